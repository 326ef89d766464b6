"""Every view SELECT of a contract using every pattern parses with sqlglot (read="mysql"), for MariaDB
10.11 (the server the pattern tests run on) and for MySQL 8.0.36.

MySQL 8 is not available here, so its variant is only compiled and parsed, never run; the
one difference docs/contract.md names (ordering inside JSON_ARRAYAGG, which MySQL 8.0 does not
accept) is checked on the parsed tree.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from migrator.findings import Severity
from migrator.mysql_schema import ServerInfo
from tests.patterns.contracts import every_pattern
from tests.patterns.support import PatternDB, entity_views, model

MYSQL8_MODE = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
               "NO_ENGINE_SUBSTITUTION")


def _servers(pdb: PatternDB) -> dict[str, ServerInfo]:
    return {"mariadb": pdb.server,
            "mysql8": ServerInfo("8.0.36", "mysql", (8, 0, 36), MYSQL8_MODE, True, "+00:00", pdb.database, "u@%")}


def _arrayagg_with_order(tree: exp.Expression) -> list[str]:
    """JSON_ARRAYAGG calls whose argument carries an ORDER BY or LIMIT (MariaDB syntax)."""
    found = []
    for node in tree.walk():
        is_arrayagg = (isinstance(node, exp.Anonymous) and node.name.upper() == "JSON_ARRAYAGG") \
            or type(node).__name__ == "JSONArrayAgg"
        args = list(node.iter_expressions()) if is_arrayagg else []
        if any(isinstance(a, (exp.Order, exp.Limit)) for a in args) or (is_arrayagg and node.args.get("order")):
            found.append(node.sql("mysql")[:120])
    return found


@pytest.mark.parametrize("flavour", ["mariadb", "mysql8"])
def test_every_view_compiles_and_parses(pdb: PatternDB, flavour: str) -> None:
    server = _servers(pdb)[flavour]
    problems: list[str] = []
    for doc in every_pattern():
        table, _ = model(doc)
        for _, name, spec, findings in entity_views(table, pdb.schema, server):
            errors = [f.sentence() for f in findings if f.severity is Severity.ERROR]
            if spec is None or errors:
                problems.append(f"{name}: not compiled: {errors}")
                continue
            try:
                tree = sqlglot.parse_one(spec.select_sql, read="mysql")
            except sqlglot.errors.SqlglotError as exc:
                problems.append(f"{name}: does not parse: {str(exc).splitlines()[0]}")
                continue
            if not isinstance(tree, exp.Select):
                problems.append(f"{name}: parses as {type(tree).__name__}, not a SELECT")
            if flavour == "mysql8" and (bad := _arrayagg_with_order(tree)):
                problems.append(f"{name}: MySQL 8.0 accepts no ORDER BY/LIMIT inside JSON_ARRAYAGG: {bad}")
    assert not problems, "\n".join(problems)
