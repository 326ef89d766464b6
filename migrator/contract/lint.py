"""Structural lint: contract problems the schema cannot express and that need no database.

Every function reads the raw document defensively (a value of the wrong JSON type is the
schema's finding, not a crash here) and returns findings; nothing is guessed silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from migrator.findings import Finding, Severity
from migrator.contract.paths import ROOT, child
from migrator.contract.schema import near

ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
KEY_TYPES = frozenset({"S", "N", "B"})
SOURCE_FORMATS = ("timestamp", "date", "epoch_seconds", "epoch_millis")
MAX_GSIS = 20                      # DynamoDB's default quota of GSIs per table
MAX_ITEM_BYTES = 400 * 1024        # DynamoDB's item size limit
DYNAMODB_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}\Z")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

E, W = Severity.ERROR, Severity.WARNING
Node = Mapping[str, Any]


@dataclass(frozen=True)
class Owner:
    """The table or entity an attribute list belongs to: how to name it and what it reads."""

    label: str
    source_table: str | None


# ---------------------------------------------------------------------------- helpers

def _objects(value: Any) -> list[tuple[int, Node]]:
    """The (index, object) entries of a list; anything else is the schema's problem."""
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _str(node: Node, key: str) -> str | None:
    value = node.get(key)
    return value if isinstance(value, str) else None


def _obj(node: Node, key: str) -> Node | None:
    value = node.get(key)
    return value if isinstance(value, dict) else None


def _attribute_type(attribute: Node) -> str | None:
    """The attribute's DynamoDB type when it is a valid one (else the schema reports it)."""
    kind = attribute.get("type")
    return kind if isinstance(kind, str) and kind in ATTRIBUTE_TYPES else None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_whole(value: Any) -> bool:
    """A JSON number without a fraction (2 and 2.0; not 2.5, not true)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def _duplicates(named: Iterable[tuple[str, str]], what: str, code: str, fix: str) -> list[Finding]:
    """One error per repeated name, at the repeat; `named` is (path of the name, name)."""
    first: dict[str, str] = {}
    findings = []
    for path, name in named:
        if name in first:
            findings.append(Finding(E, path, f"{what} `{name}` is defined twice (first at {first[name]})", fix, code))
        else:
            first[name] = path
    return findings


def _names(items: list[tuple[int, Node]], list_path: str, key: str) -> list[tuple[str, str]]:
    return [(child(child(list_path, i), key), n) for i, item in items if (n := _str(item, key)) is not None]


def template_problem(text: str) -> tuple[str, str] | None:
    """(code, message) for a template whose placeholders cannot be read, else None."""
    depth = 0
    start = 0
    for pos, ch in enumerate(text):
        if ch == "{":
            if depth:
                return "template.braces", f"`{text}` opens a placeholder inside another at character {pos + 1}"
            depth, start = 1, pos
        elif ch == "}":
            if not depth:
                return "template.braces", f"`{text}` closes a placeholder that was never opened at character {pos + 1}"
            if not text[start + 1:pos].strip():
                return "template.placeholder", f"`{text}` has an empty placeholder at character {start + 1}"
            depth = 0
    if depth:
        return "template.braces", f"`{text}` leaves a placeholder open at character {start + 1}"
    return None


def _template_findings(text: str, path: str) -> list[Finding]:
    problem = template_problem(text)
    if problem is None:
        return []
    code, message = problem
    return [Finding(E, path, message, "write placeholders as {name}, naming an attribute or a column", code)]


def _dynamodb_name(name: str, path: str, what: str, code: str) -> list[Finding]:
    if DYNAMODB_NAME.match(name):
        return []
    reason = (f"has {len(name)} characters (3 to 255 allowed)" if not 3 <= len(name) <= 255
              else "may only contain letters, digits, '_', '-' and '.'")
    suggestion = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
    fix = f"rename it, e.g. `{suggestion}`" if DYNAMODB_NAME.match(suggestion) else "rename it"
    return [Finding(E, path, f"{what} `{name}` is not a valid DynamoDB name: it {reason}", fix, code)]


# ---------------------------------------------------------------------------- contract

def lint_findings(doc: Any) -> list[Finding]:
    """Every structural problem of a parsed contract (any JSON value)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), list):
        return []
    tables_path = child(ROOT, "tables")
    if not doc["tables"]:
        return [Finding(W, tables_path, "the contract has no tables; there is nothing to migrate",
                        "add a table", "contract.empty")]
    tables = _objects(doc["tables"])
    findings = _duplicates(_names(tables, tables_path, "table"), "table", "table.duplicate",
                           "give each DynamoDB table one entry (merge or rename them)")
    for i, table in tables:
        findings.extend(_table(table, child(tables_path, i)))
    return findings


def _table(table: Node, path: str) -> list[Finding]:
    findings: list[Finding] = []
    name = _str(table, "table")
    if name is not None:
        findings += _dynamodb_name(name, child(path, "table"), "table name", "table.name")
    size = table.get("estimated_item_size_bytes")
    if _is_number(size) and size > MAX_ITEM_BYTES:
        findings.append(Finding(W, child(path, "estimated_item_size_bytes"),
                                f"estimated item size {size} bytes exceeds DynamoDB's 400 KB item limit",
                                "move large values out of the item (e.g. to S3) or split the entity",
                                "table.item_size"))
    kind = table.get("type")
    if kind == "single-entity":
        findings += _single_entity(table, path)
    elif kind == "multi-entity":
        findings += _multi_entity(table, path)
    return findings


def _single_entity(table: Node, path: str) -> list[Finding]:
    findings: list[Finding] = []
    if "entities" in table:
        findings.append(Finding(W, child(path, "entities"), "a single-entity table's `entities` are ignored",
                                "remove them, or make the table multi-entity", "table.entities_ignored"))
    attributes = _objects(table.get("attributes"))
    owner = Owner(f"table `{table.get('table')}`", _str(table, "source_table"))
    findings += _attributes(attributes, child(path, "attributes"), owner)
    defined = {n for _, a in attributes if (n := _str(a, "name")) is not None}
    findings += _gsis(table, path, defined)
    if isinstance(table.get("attributes"), list):   # else the schema already says what is missing
        findings += _single_entity_keys(table, path, attributes)
    return findings


def _multi_entity(table: Node, path: str) -> list[Finding]:
    findings: list[Finding] = []
    if "attributes" in table:
        findings.append(Finding(W, child(path, "attributes"), "a multi-entity table's `attributes` are ignored",
                                "move them into the entities, or make the table single-entity",
                                "table.attributes_ignored"))
    entities_path = child(path, "entities")
    entities = _objects(table.get("entities"))
    if table.get("entities") == []:
        findings.append(Finding(E, entities_path, "a multi-entity table needs at least one entity",
                                "add the entities whose items the table holds", "table.empty"))
    findings += _duplicates(_names(entities, entities_path, "entity_type"), "entity type", "entity.duplicate",
                            "give each entity type one entry")
    for i, entity in entities:
        findings += _entity(table, entity, child(entities_path, i))
    defined = {n for _, e in entities for _, a in _objects(e.get("attributes")) if (n := _str(a, "name")) is not None}
    findings += _gsis(table, path, defined)
    findings += _multi_entity_keys(table, path, entities)
    return findings


# ---------------------------------------------------------------------------- keys

def _key_refs(table: Node, path: str) -> list[tuple[str, str, str]]:
    """(role, attribute name, path) of every table and GSI key."""
    refs = [("partition key", n, child(path, "pk")) for n in [_str(table, "pk")] if n is not None]
    refs += [("sort key", n, child(path, "sk")) for n in [_str(table, "sk")] if n is not None]
    gsis_path = child(path, "gsis")
    for j, gsi in _objects(table.get("gsis")):
        index = gsi.get("index_name")
        for key, word in (("pk", "partition key"), ("sk", "sort key")):
            if (n := _str(gsi, key)) is not None:
                refs.append((f"{word} of GSI `{index}`", n, child(child(gsis_path, j), key)))
    return refs


def _key_type(attribute: Node, role: str, type_path: str) -> list[Finding]:
    kind = _attribute_type(attribute)
    if kind is not None and kind not in KEY_TYPES:
        return [Finding(E, type_path, f"attribute `{attribute.get('name')}` is the {role} but has type {kind}; "
                        "DynamoDB keys must be S, N or B", "declare it S (or N for a number)", "key.type")]
    return []


def _undefined_key(role: str, key: str, path: str, defined: Iterable[str], where: str) -> Finding:
    close = near(key, defined, cutoff=0.6) if key else None
    fix = f"did you mean `{close}`?" if close else f"add an attribute named `{key}` (type S, N or B)"
    return Finding(E, path, f"the {role} is `{key}`, which {where}", fix, "key.undefined")


def _single_entity_keys(table: Node, path: str, attributes: list[tuple[int, Node]]) -> list[Finding]:
    by_name: dict[str, tuple[int, Node]] = {}
    for i, a in attributes:
        if (n := _str(a, "name")) is not None:
            by_name.setdefault(n, (i, a))
    findings = []
    for role, key, key_path in _key_refs(table, path):
        if key not in by_name:
            findings.append(_undefined_key(role, key, key_path, by_name, "is not an attribute of the table"))
            continue
        i, attribute = by_name[key]
        findings += _key_type(attribute, role, child(child(child(path, "attributes"), i), "type"))
    return findings


def _multi_entity_keys(table: Node, path: str, entities: list[tuple[int, Node]]) -> list[Finding]:
    """Keys come from an entity's attribute of that name, else (table pk/sk) from its template (type S)."""
    templated = {_str(table, "pk"): "pk_template", _str(table, "sk"): "sk_template"}
    templated.pop(None, None)
    findings: list[Finding] = []
    reported: set[str] = set()
    for role, key, key_path in _key_refs(table, path):
        sources: list[tuple[str, str, str]] = []   # (entity, type, path of the type)
        for i, entity in entities:
            entity_path = child(child(path, "entities"), i)
            label = str(entity.get("entity_type"))
            attrs = [(k, a) for k, a in _objects(entity.get("attributes")) if a.get("name") == key]
            if attrs:
                k, attribute = attrs[0]
                type_path = child(child(child(entity_path, "attributes"), k), "type")
                findings += _key_type(attribute, role, type_path)
                if (kind := _attribute_type(attribute)) is not None:
                    sources.append((label, kind, type_path))
            elif key in templated and isinstance(entity.get(templated[key]), str):
                sources.append((label, "S", child(entity_path, templated[key])))
        if not sources and entities:
            defined = {n for _, e in entities for _, a in _objects(e.get("attributes")) if (n := _str(a, "name"))}
            findings.append(_undefined_key(role, key, key_path, defined, "no entity defines"))
        types = sorted({t for _, t, _ in sources})
        if len(types) > 1 and key not in reported:
            reported.add(key)
            each = ", ".join(f"{t} in {label}" for label, t, _ in sources)
            findings.append(Finding(E, key_path, f"key attribute `{key}` has different types across entities ({each})",
                                    "a DynamoDB key attribute has one type: declare it the same in every entity",
                                    "key.type_conflict"))
    return findings


def _gsis(table: Node, path: str, defined: set[str]) -> list[Finding]:
    gsis_path = child(path, "gsis")
    raw = table.get("gsis")
    gsis = _objects(raw)
    findings: list[Finding] = []
    if isinstance(raw, list) and len(raw) > MAX_GSIS:
        findings.append(Finding(E, gsis_path, f"the table has {len(raw)} GSIs; DynamoDB allows at most {MAX_GSIS}",
                                "merge indexes (overload their keys) or move access patterns to another table",
                                "gsi.limit"))
    findings += _duplicates(_names(gsis, gsis_path, "index_name"), "GSI", "gsi.duplicate", "rename one of them")
    for j, gsi in gsis:
        findings += _gsi(gsi, child(gsis_path, j), defined)
    return findings


def _gsi(gsi: Node, path: str, defined: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    if (name := _str(gsi, "index_name")) is not None:
        findings += _dynamodb_name(name, child(path, "index_name"), "index name", "gsi.name")
    projection = gsi.get("projection", "ALL")
    projected = gsi.get("projected_attributes")
    projected_path = child(path, "projected_attributes")
    if projection == "INCLUDE" and not projected:
        findings.append(Finding(E, child(path, "projection"), "projection INCLUDE needs `projected_attributes`",
                                "list the non-key attributes to copy into the index, or use ALL or KEYS_ONLY",
                                "gsi.projection"))
    elif projection in ("ALL", "KEYS_ONLY") and isinstance(projected, list) and projected:
        findings.append(Finding(W, projected_path, f"`projected_attributes` are ignored with projection {projection}",
                                "remove them, or use projection INCLUDE", "gsi.projection_ignored"))
    elif projection == "INCLUDE" and isinstance(projected, list):
        for k, name in enumerate(projected):
            if isinstance(name, str) and name not in defined:
                close = near(name, defined)
                findings.append(Finding(W, child(projected_path, k), f"no attribute named `{name}` to project",
                                        f"did you mean `{close}`?" if close else "remove it or define the attribute",
                                        "gsi.projected_undefined"))
    return findings


# ---------------------------------------------------------------------------- entities

def _entity(table: Node, entity: Node, path: str) -> list[Finding]:
    attributes = _objects(entity.get("attributes"))
    owner = Owner(f"entity `{entity.get('entity_type')}`", _str(entity, "source_table"))
    findings = _attributes(attributes, child(path, "attributes"), owner)
    by_name: dict[str, Node] = {}
    for _, a in attributes:
        if (n := _str(a, "name")) is not None:
            by_name.setdefault(n, a)
    for key, field in ((_str(table, "pk"), "pk_template"), (_str(table, "sk"), "sk_template")):
        template = _str(entity, field)
        if template is None:
            continue
        template_path = child(path, field)
        syntax = _template_findings(template, template_path)
        findings += syntax
        if key is None:
            if field == "sk_template" and template.strip() and table.get("sk") is None:
                findings.append(Finding(W, template_path, "the table has no sort key, so `sk_template` is ignored",
                                        'set it to "" or give the table a sort key', "template.ignored"))
            continue
        explicit = by_name.get(key)
        if explicit is None and not template:
            findings.append(Finding(E, template_path, f"`{field}` is empty, so every item's key would be empty",
                                    'write a template such as "USER#{id}", or define the key attribute',
                                    "template.empty"))
        elif explicit is not None and not syntax and template:   # "" leaves the key to the attribute
            findings += _template_mismatch(key, template, explicit, by_name, template_path)
    return findings


def _plain_column(attribute: Node) -> str | None:
    if any(k in attribute for k in ("join", "calculation", "transformation")):
        return None
    return _str(attribute, "source_column")


def _canonical(template: str, by_name: Mapping[str, Node]) -> str:
    """A template with every placeholder resolved to the column it reads (attributes first)."""
    def resolve(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        attribute = by_name.get(name)
        if attribute is None:
            return "{" + name + "}"
        column = _plain_column(attribute)
        return "{" + column + "}" if column is not None else "{@" + name + "}"
    return PLACEHOLDER.sub(resolve, template)


def _attribute_template(attribute: Node, by_name: Mapping[str, Node]) -> str | None:
    """What an attribute holds as a template over columns, when that is known without a database."""
    if "join" in attribute or "calculation" in attribute:
        return None
    transformation = attribute.get("transformation")
    if transformation is None:
        column = _str(attribute, "source_column")
        return "{" + column + "}" if column is not None else None
    if isinstance(transformation, dict) and transformation.get("type") == "string-format":
        fmt = _str(transformation, "format")
        if fmt is not None and template_problem(fmt) is None:
            return _canonical(fmt, by_name)
    return None


def _template_mismatch(key: str, template: str, explicit: Node, by_name: Mapping[str, Node],
                       path: str) -> list[Finding]:
    held = _attribute_template(explicit, by_name)
    if held is None or held == _canonical(template, by_name):
        return []
    return [Finding(W, path, f"the template `{template}` disagrees with attribute `{key}` (which holds `{held}`); "
                    "the attribute wins", f"make the template match attribute `{key}`, or remove that attribute",
                    "template.mismatch")]


# ---------------------------------------------------------------------------- attributes

def _attributes(attributes: list[tuple[int, Node]], list_path: str, owner: Owner) -> list[Finding]:
    findings = _duplicates(_names(attributes, list_path, "name"), f"in {owner.label}, attribute",
                           "attribute.duplicate", "rename or remove one of them")
    for i, attribute in attributes:
        findings += _attribute(attribute, child(list_path, i), owner)
    return findings


def _attribute(attribute: Node, path: str, owner: Owner) -> list[Finding]:
    findings: list[Finding] = []
    name = _str(attribute, "name")
    if name is not None and not name.strip():
        findings.append(Finding(E, child(path, "name"), "the attribute name is empty",
                                "give the attribute the name it has in the DynamoDB item", "attribute.name"))
    join, calculation = _obj(attribute, "join"), _obj(attribute, "calculation")
    transformation = _obj(attribute, "transformation")
    source = _str(attribute, "source_table")
    if join is None and source is not None and owner.source_table is not None \
            and source.lower() != owner.source_table.lower():
        findings.append(Finding(E, child(path, "source_table"),
                                f"attribute `{name}` reads table `{source}` without a join, but {owner.label} "
                                f"reads `{owner.source_table}`",
                                f"add a join to `{source}`, or set source_table to `{owner.source_table}`",
                                "attribute.source_table"))
    column = attribute.get("source_column")
    if column == [] or (isinstance(column, str) and not column.strip()) \
            or (isinstance(column, list) and any(isinstance(c, str) and not c.strip() for c in column)):
        findings.append(Finding(E, child(path, "source_column"), "`source_column` names no column",
                                "name the column of the source table the value comes from", "attribute.source_column"))
    if join is not None and calculation is not None:
        findings.append(Finding(E, child(path, "calculation"),
                                f"attribute `{name}` has both a join and a calculation; only one can give its value",
                                "keep one; split into two attributes if both values are needed",
                                "attribute.join_and_calculation"))
    kind = _attribute_type(attribute)
    type_path = child(path, "type")
    if join is not None:
        findings += _join(join, child(path, "join"), kind, type_path)
    if calculation is not None:
        findings += _calculation(calculation, child(path, "calculation"))
    if transformation is not None:
        findings += _transformation(transformation, child(path, "transformation"), kind, type_path)
    return findings


def _json_type(produces: str, expected: str, kind: str | None, type_path: str) -> list[Finding]:
    """A JSON value (list L, map M) declared with another type: S stores the text, others cannot hold it."""
    if kind is None or kind == expected:
        return []
    shape = "list" if expected == "L" else "map"
    if kind == "S":
        return [Finding(W, type_path, f"{produces} gives a {shape}, which an S attribute stores as JSON text",
                        f"declare type {expected} to store a {shape}", "attribute.json_as_string")]
    return [Finding(E, type_path, f"{produces} gives a {shape}, which a {kind} attribute cannot hold",
                    f"declare type {expected}", "attribute.type_mismatch")]


def _join(join: Node, path: str, kind: str | None, type_path: str) -> list[Finding]:
    findings: list[Finding] = []
    join_type = join.get("type")
    for list_key, what in (("joins", "chain"), ("join_conditions", "multi-column")):
        if join_type == what and join.get(list_key) == []:
            findings.append(Finding(E, child(path, list_key), f"a {what} join needs at least one entry in `{list_key}`",
                                    "add them, or use a foreign-key join", "join.empty"))
    construction = _obj(join, "construction")
    if join_type != "json-construction" or construction is None:
        return findings
    construction_path = child(path, "construction")
    limit = construction.get("limit")
    if _is_number(limit) and (not is_whole(limit) or limit < 1):
        findings.append(Finding(E, child(construction_path, "limit"), f"limit {limit} is not a positive whole number",
                                "use 1 or more, or remove the limit", "join.limit"))
    if construction.get("select_columns") == {}:
        findings.append(Finding(E, child(construction_path, "select_columns"), "`select_columns` is empty",
                                'map each JSON key to a column, e.g. {"product_id": "product_id"}', "join.empty"))
    shape = construction.get("type")
    if shape in ("array", "object"):
        findings += _json_type(f"a json-construction {shape}", "L" if shape == "array" else "M", kind, type_path)
    return findings


def _calculation(calculation: Node, path: str) -> list[Finding]:
    kind = calculation.get("type")

    def needs(key: str, message: str, fix: str) -> Finding:
        return Finding(E, child(path, key), message, fix, "calculation.required")

    if kind == "case" and calculation.get("cases") == []:
        return [needs("cases", "a case calculation needs at least one case", 'add {"when": ..., "then": ...}')]
    if kind == "concat" and "parts" not in calculation:
        return [needs("parts", "a concat calculation needs `parts`",
                      "list the columns and quoted literals to join, e.g. [\"first_name\", \"' '\", \"last_name\"]")]
    if kind != "date-math":
        return []
    findings = [needs(key, f"a date-math calculation needs `{key}`", fix) for key, fix in (
        ("operation", "use add, subtract or diff"), ("unit", "use one of SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, "
                                                            "QUARTER, YEAR")) if key not in calculation]
    has_value, has_other = "value" in calculation, "other_column" in calculation
    if not has_value and not has_other:
        findings.append(needs("value", "a date-math calculation needs `value` or `other_column`",
                              "give a constant `value` or the `other_column` to use"))
    elif has_value and has_other:
        findings.append(Finding(E, child(path, "other_column"), "`value` and `other_column` are both given",
                                "keep one of them", "calculation.ambiguous"))
    return findings


def _transformation(transformation: Node, path: str, kind: str | None, type_path: str) -> list[Finding]:
    form = transformation.get("type")
    if form == "string-format":
        fmt = transformation.get("format")
        if "format" not in transformation:
            return [Finding(E, child(path, "format"), "a string-format transformation needs `format`",
                            'write a template such as "CUSTOMER#{id}" ("#META" is a constant)',
                            "transformation.required")]
        return _template_findings(fmt, child(path, "format")) if isinstance(fmt, str) else []
    if form == "date-format":
        source_format = _str(transformation, "source_format")
        if source_format is None or source_format in SOURCE_FORMATS:
            return []
        close = near(source_format, SOURCE_FORMATS)
        return [Finding(E, child(path, "source_format"), f"source_format `{source_format}` is not one of "
                        f"{', '.join(SOURCE_FORMATS)}", f"did you mean `{close}`?" if close
                        else f"use one of {', '.join(SOURCE_FORMATS)}", "transformation.source_format")]
    if form == "number-format":
        if "decimals" not in transformation and "pad" not in transformation:
            return [Finding(E, child(path, "decimals"), "a number-format transformation needs `decimals` or `pad`",
                            "give `decimals` (rounding) and/or `pad` (zero-padding width)", "transformation.required")]
        if "pad" in transformation and kind == "N":
            return [Finding(W, child(path, "pad"), "zero padding is lost on an N attribute (numbers have no leading "
                            "zeros)", "declare the attribute S to keep the padding", "transformation.pad_number")]
        return []
    if form == "json-parse":
        if kind == "S":
            return [Finding(W, type_path, "json-parse has no effect on an S attribute: the JSON text is stored as is",
                            "declare type M or L to store the parsed value", "attribute.json_as_string")]
        if kind is not None and kind not in ("M", "L"):
            return [Finding(E, type_path, f"json-parse gives a map or a list, which a {kind} attribute cannot hold",
                            "declare type M or L", "attribute.type_mismatch")]
    return []
