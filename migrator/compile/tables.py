"""DynamoDB table definitions: key schema and GSIs, key types taken from the attribute types."""

from __future__ import annotations

from typing import Any

from migrator.contract.model import Attribute, Table
from migrator.findings import Finding, Severity

KEY_TYPES = {"S", "N", "B"}


def key_type(table: Table, attributes: dict[str, Attribute], name: str, path: str,
             findings: list[Finding]) -> str | None:
    attr = attributes.get(name)
    if attr is None:
        findings.append(Finding(Severity.ERROR, path, f"key attribute '{name}' is not an attribute of table "
                                f"'{table.name}'", "add an attribute with that name", "key.undefined"))
        return None
    if attr.type not in KEY_TYPES:
        findings.append(Finding(Severity.ERROR, f"{attr.path}.type", f"key attribute '{name}' has type {attr.type}; "
                                "DynamoDB keys are S, N or B", "declare it S, N or B", "key.type"))
        return None
    if attr.type == "N" and attr.transformation is not None and attr.transformation.type == "string-format":
        findings.append(Finding(Severity.ERROR, f"{attr.path}.type", f"key attribute '{name}' is declared N but "
                                "its string-format builds text", "declare it S", "key.type"))
        return None
    return attr.type


def table_config(table: Table, attributes: dict[str, Attribute]) -> tuple[dict[str, Any], list[Finding]]:
    """`attributes`: every attribute by name (of the table, or of all its entities, first wins)."""
    findings: list[Finding] = []
    definitions: dict[str, str] = {}

    def key(name: str | None, role: str, path: str) -> list[dict[str, str]]:
        if not name:
            return []
        kind = key_type(table, attributes, name, path, findings)
        if kind is not None:
            definitions[name] = kind
        return [{"AttributeName": name, "KeyType": role}]

    schema = key(table.pk, "HASH", f"{table.path}.pk") + key(table.sk, "RANGE", f"{table.path}.sk")
    gsis = []
    for gsi in sorted(table.gsis, key=lambda g: g.index_name):
        projection: dict[str, Any] = {"ProjectionType": gsi.projection}
        if gsi.projection == "INCLUDE":
            projection["NonKeyAttributes"] = sorted(gsi.projected_attributes)
        gsis.append({"IndexName": gsi.index_name,
                     "KeySchema": key(gsi.pk, "HASH", f"{gsi.path}.pk") + key(gsi.sk, "RANGE", f"{gsi.path}.sk"),
                     "Projection": projection})
    config = {"TableName": table.name, "KeySchema": schema, "BillingMode": "PAY_PER_REQUEST",
              "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(definitions.items())],
              "GlobalSecondaryIndexes": gsis}
    return config, findings
