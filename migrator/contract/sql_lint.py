"""Offline lint of the SQL fragments in a contract: each must be one safe MySQL expression
(no second statement, comment, subquery, DDL or DML), and name only tables of its join.
The live schema check of tables and columns happens at plan time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from migrator.sql.fragments import FragmentError, parse_fragment, split_order
from migrator.findings import Finding, Severity
from migrator.contract.paths import child

Fragment = tuple[str, str, set[str]]  # (text, path, table names the fragment may use)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(node: Any, key: str) -> str | None:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, str) else None


def _order_parts(text: str) -> list[str]:
    return [re.sub(r"\s+(ASC|DESC)$", "", p.strip(), flags=re.IGNORECASE) for p in split_order(text)]


def _join_fragments(join: dict[str, Any], path: str, source: str) -> Iterator[Fragment]:
    target = _s(join, "target_table")
    names = {source.lower()} | ({target.lower()} if target else set())
    alias = _s(join, "join_alias")
    if alias:
        names.add(alias.lower())
    for key in ("join_condition", "select_column", "condition", "else_value"):
        if (text := _s(join, key)) is not None:
            yield text, child(path, key), names
    for i, text in enumerate(_list(join.get("join_conditions"))):
        if isinstance(text, str):
            yield text, child(child(path, "join_conditions"), i), names
    chained = {source.lower()}
    for i, step in enumerate(_list(join.get("joins"))):
        if not isinstance(step, dict):
            continue
        step_path = child(child(path, "joins"), i)
        if (t := _s(step, "target_table")) is not None:
            chained.add(t.lower())
        for key in ("join_condition", "select_column"):
            if (text := _s(step, key)) is not None:
                yield text, child(step_path, key), set(chained)
    construction = join.get("construction")
    if isinstance(construction, dict):
        cpath = child(path, "construction")
        columns = construction.get("select_columns")
        if isinstance(columns, dict):
            for key, text in columns.items():
                if isinstance(text, str):
                    yield text, child(child(cpath, "select_columns"), key), names
        if (order := _s(construction, "order_by")) is not None:
            for part in _order_parts(order):
                yield part, child(cpath, "order_by"), names


def _calc_fragments(calc: dict[str, Any], path: str, source: str) -> Iterator[Fragment]:
    target = _s(calc, "target_table")
    names = {source.lower()} | ({target.lower()} if target else set())
    if calc.get("type") == "aggregate":
        for key in ("join_condition", "select_column"):
            if (text := _s(calc, key)) is not None and text != "*":
                yield text, child(path, key), names
    if calc.get("type") == "case":
        for i, case in enumerate(_list(calc.get("cases"))):
            if not isinstance(case, dict):
                continue
            for key in ("when", "then"):
                if (text := _s(case, key)) is not None:
                    yield text, child(child(child(path, "cases"), i), key), {source.lower()}
        if (text := _s(calc, "else")) is not None:
            yield text, child(path, "else"), {source.lower()}


def _fragments(doc: Any) -> Iterator[Fragment]:
    for ti, table in enumerate(_list(doc.get("tables")) if isinstance(doc, dict) else []):
        if not isinstance(table, dict):
            continue
        tpath = child("$.tables", ti)
        owners = [(table, tpath)] if table.get("type") != "multi-entity" else [
            (e, child(child(tpath, "entities"), ei)) for ei, e in enumerate(_list(table.get("entities")))
            if isinstance(e, dict)]
        for owner, opath in owners:
            source = _s(owner, "source_table") or ""
            for ai, attr in enumerate(_list(owner.get("attributes"))):
                if not isinstance(attr, dict):
                    continue
                apath = child(child(opath, "attributes"), ai)
                if isinstance(attr.get("join"), dict):
                    yield from _join_fragments(attr["join"], child(apath, "join"), source)
                if isinstance(attr.get("calculation"), dict):
                    yield from _calc_fragments(attr["calculation"], child(apath, "calculation"), source)


def sql_findings(doc: Any) -> list[Finding]:
    out: list[Finding] = []
    for text, path, names in _fragments(doc):
        try:
            tree = parse_fragment(text).tree
        except FragmentError as exc:
            out.append(Finding(Severity.ERROR, path, f"'{text}' {exc}", None, "sql.unsafe"))
            continue
        for column in tree.find_all(exp.Column):
            if column.table and column.table.lower() not in names:
                out.append(Finding(Severity.WARNING, path, f"'{text}' names '{column.table}', which is not a table of "
                                   "this join", "name the source table, the target table or the join_alias",
                                   "sql.table"))
                break
    return out
