"""The `ttl_attribute` extension: an attribute the table's items carry, holding a number
(DynamoDB's time to live reads epoch seconds from an N attribute and ignores any other type,
so a mistyped one would silently never expire anything)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, kind_of, linted_tables, name_of, owners
from migrator.contract.paths import child
from migrator.findings import Finding


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        name = table.ttl_attribute
        if not name:
            continue
        path = child(table.path, "ttl_attribute")
        given = [a for owner in owners(draft, table) for a in owner.attributes if name_of(draft, a) == name]
        if not given:
            yield Finding(E, path, f"ttl_attribute `{name}` is not an attribute of table `{table.name}`",
                          "name the attribute that holds each item's expiry time (epoch seconds, type N)",
                          "ttl.unknown_attribute")
            continue
        for attribute in given:
            kind = kind_of(attribute)
            if kind is not None and kind != "N":
                yield Finding(E, child(attribute.path, "type"), f"ttl_attribute `{name}` is of type {kind}, but "
                              "time to live expires items only by a number of epoch seconds (N)",
                              "give the attribute type N from a column of epoch seconds, or declare another "
                              "ttl_attribute", "ttl.not_a_number")
