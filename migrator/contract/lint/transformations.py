"""Transformations: the options each kind needs, and an attribute type that can hold what
it produces."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import Edit, Remove, SetValue
from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W, kind_of, linted_tables, owners, retype
from migrator.contract.lint.templates import template_findings
from migrator.contract.model import Attribute, Table, Transformation
from migrator.contract.paths import child
from migrator.contract.schema import near
from migrator.findings import Finding

SOURCE_FORMATS = ("timestamp", "date", "epoch_seconds", "epoch_millis")


def _transformation(draft: Draft, table: Table, attribute: Attribute,
                    transformation: Transformation) -> Iterator[Finding]:
    form, path = transformation.type, transformation.path
    kind = kind_of(attribute)
    type_path = child(attribute.path, "type")
    if form == "string-format":
        if not draft.has(path, "format"):
            yield Finding(E, child(path, "format"), "a string-format transformation needs `format`",
                          'write a template such as "CUSTOMER#{id}" ("#META" is a constant)', "transformation.required")
        elif transformation.format is not None:
            yield from template_findings(transformation.format, child(path, "format"))
    elif form == "date-format":
        source_format = transformation.source_format
        if source_format is not None and source_format not in SOURCE_FORMATS:
            close = near(source_format, SOURCE_FORMATS)
            at = child(path, "source_format")
            yield Finding(E, at, f"source_format `{source_format}` is not one of {', '.join(SOURCE_FORMATS)}",
                          f"did you mean `{close}`?" if close else f"use one of {', '.join(SOURCE_FORMATS)}",
                          "transformation.source_format", None if close is None else SetValue(at, close))
    elif form == "number-format":
        if not draft.has(path, "decimals") and not draft.has(path, "pad"):
            yield Finding(E, child(path, "decimals"), "a number-format transformation needs `decimals` or `pad`",
                          "give `decimals` (rounding) and/or `pad` (zero-padding width)", "transformation.required")
        elif draft.has(path, "pad") and kind == "N":
            edit: Edit | None = retype(draft, table, attribute, "S")
            fix = "declare the attribute S to keep the padding"
            if edit is None:   # a key, ttl or load column that must stay a number
                fix, edit = ("remove `pad` (the attribute must stay a number)", Remove(child(path, "pad"))) \
                    if draft.has(path, "decimals") else \
                    ("remove the transformation (the attribute must stay a number)", Remove(path))
            yield Finding(W, child(path, "pad"), "zero padding is lost on an N attribute (numbers have no leading "
                          "zeros)", fix, "transformation.pad_number", edit)
    elif form == "json-parse":
        if kind == "S":
            yield Finding(W, type_path, "json-parse has no effect on an S attribute: the JSON text is stored as is",
                          "declare type M or L to store the parsed value", "attribute.json_as_string")
        elif kind is not None and kind not in ("M", "L"):
            yield Finding(E, type_path, f"json-parse gives a map or a list, which a {kind} attribute cannot hold",
                          "declare type M or L", "attribute.type_mismatch")


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        for owner in owners(draft, table):
            for attribute in owner.attributes:
                if attribute.transformation is not None:
                    yield from _transformation(draft, table, attribute, attribute.transformation)
