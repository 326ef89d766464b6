"""DynamoDB table definitions: key schema and GSIs, key types taken from the attribute types.

Which type a key attribute has, and whether it can be a key at all, is decided by
`contract.lint.keys` (the lint already refused a contract where it cannot); a contract
built without that check gets the same findings here and no definition for that key.
"""

from __future__ import annotations

from typing import Any

from migrator.contract.lint.keys import key_type, key_type_findings, undefined_key
from migrator.contract.model import Attribute, Table
from migrator.findings import Finding


def _key_type(attributes: dict[str, Attribute], name: str, role: str, path: str,
              findings: list[Finding]) -> str | None:
    attr = attributes.get(name)
    if attr is None:
        findings.append(undefined_key(role, name, path, attributes, "is not an attribute of the table"))
        return None
    kind = key_type(attr)
    if kind is None:
        findings += key_type_findings(attr, role, name)
    return kind


def table_config(table: Table, attributes: dict[str, Attribute]) -> tuple[dict[str, Any], list[Finding]]:
    """`attributes`: every attribute by name (of the table, or of all its entities, first wins)."""
    findings: list[Finding] = []
    definitions: dict[str, str] = {}

    def key(name: str | None, hash_or_range: str, role: str, path: str) -> list[dict[str, str]]:
        if not name:
            return []
        kind = _key_type(attributes, name, role, path, findings)
        if kind is not None:
            definitions[name] = kind
        return [{"AttributeName": name, "KeyType": hash_or_range}]

    schema = (key(table.pk, "HASH", "partition key", f"{table.path}.pk")
              + key(table.sk, "RANGE", "sort key", f"{table.path}.sk"))
    throughput = None if table.capacity is None else {"ReadCapacityUnits": table.capacity.read_units,
                                                      "WriteCapacityUnits": table.capacity.write_units}
    gsis = []
    for gsi in sorted(table.gsis, key=lambda g: g.index_name):
        projection: dict[str, Any] = {"ProjectionType": gsi.projection}
        if gsi.projection == "INCLUDE":
            projection["NonKeyAttributes"] = sorted(gsi.projected_attributes)
        of = f" of GSI `{gsi.index_name}`"
        gsis.append({"IndexName": gsi.index_name,
                     "KeySchema": key(gsi.pk, "HASH", "partition key" + of, f"{gsi.path}.pk")
                     + key(gsi.sk, "RANGE", "sort key" + of, f"{gsi.path}.sk"),
                     "Projection": projection, **({"ProvisionedThroughput": throughput} if throughput else {})})
    config = {"TableName": table.name, "KeySchema": schema,
              "BillingMode": "PAY_PER_REQUEST" if throughput is None else "PROVISIONED",
              "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(definitions.items())],
              "GlobalSecondaryIndexes": gsis, **({"ProvisionedThroughput": throughput} if throughput else {}),
              **({"TimeToLiveAttribute": table.ttl_attribute} if table.ttl_attribute else {})}
    return config, findings
