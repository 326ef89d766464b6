"""Lint: contract problems the schema cannot express and that need no database.

Every rule module reads the typed model of the document (`build_draft`), never the raw
JSON, and is named by what it checks. The rules run on a draft so that they report on a
contract that also has schema errors; a value of the wrong JSON type is the schema
check's finding, not a crash or a guess here.
"""

from __future__ import annotations

from migrator.contract.typed import Draft
from migrator.contract.lint import (
    attributes,
    calculations,
    gsis,
    hierarchies,
    joins,
    keys,
    load,
    names,
    paths,
    tables,
    templates,
    transformations,
    ttl,
)
from migrator.findings import Finding

RULES = (tables, names, keys, gsis, templates, attributes, joins, calculations, transformations, load, ttl,
         hierarchies, paths)


def lint(draft: Draft) -> list[Finding]:
    """Every structural problem of the contract (the SQL fragments are `sql_findings`)."""
    return [f for rule in RULES for f in rule.findings(draft)]


def sql_findings(draft: Draft) -> list[Finding]:
    """Every unsafe SQL fragment (imports sqlglot: only when there is a contract to check)."""
    from migrator.contract.lint import sql

    return list(sql.findings(draft))
