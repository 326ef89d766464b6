"""The contract's JSON schema: where it lives, its violations as findings, the keys it knows.

The schema file is the single description of which keys exist for which node (and join,
calculation or transformation type); the unknown-key lint and the model builder read
that from it instead of keeping a second list.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

import migrator
from migrator.findings import Finding, Severity
from migrator.contract.edits import Edit, Remove, Rename, SetValue
from migrator.contract.paths import PathPart, child, json_path, node_name
from migrator.errors import MigratorError

SCHEMA_FILE = "migration_contract.schema.json"
# Keys allowed on any object without a warning (JSON Schema's own comment keyword).
FREE_KEYS = frozenset({"$comment"})

Schema = Mapping[str, Any]


def schema_path() -> Path:
    """The canonical `schemas/` file in a source checkout, else the copy shipped in the package."""
    canonical = Path(migrator.__file__).resolve().parent.parent / "schemas" / SCHEMA_FILE
    return canonical if canonical.is_file() else Path(__file__).resolve().with_name(SCHEMA_FILE)


@lru_cache(maxsize=1)
def contract_schema() -> Schema:
    """The parsed schema (read once: it is constant for the life of the process)."""
    path = schema_path()
    try:
        schema: Schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MigratorError(f"the contract schema {path} cannot be read ({exc})",
                            hint="reinstall migrator") from exc
    Draft7Validator.check_schema(schema)
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft7Validator:
    return Draft7Validator(contract_schema())


# ---------------------------------------------------------------------------- violations

_JSON_TYPES = {"string": "a string", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "an object", "array": "a list", "null": "null"}


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (bool before int: Python's bool is an int)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _code(validator: str) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in validator)
    return f"schema.{snake}"


def _resolve(fragment: Schema) -> Schema:
    """Follow local `$ref`s (`#/definitions/x`), the only kind the contract schema uses."""
    root = contract_schema()
    while "$ref" in fragment:
        node: Any = root
        for token in str(fragment["$ref"]).lstrip("#/").split("/"):
            node = node[token]
        fragment = node
    return fragment


def _at(steps: list[Any]) -> Any:
    """The schema node at an error's `absolute_schema_path` (which steps through `$ref`s as if inlined)."""
    node: Any = contract_schema()
    for token in steps:
        node = _resolve(node)[token] if isinstance(node, Mapping) else node[token]
    return _resolve(node) if isinstance(node, Mapping) else node


def _branch_type(error: ValidationError) -> str | None:
    """For an error inside an `if/then` branch, the `type` value that selected the branch."""
    steps = list(error.absolute_schema_path)
    if "then" not in steps:
        return None
    owner = _at(steps[:len(steps) - 1 - steps[::-1].index("then")])
    const = owner.get("if", {}).get("properties", {}).get("type", {}).get("const")
    return const if isinstance(const, str) else None


def _property(error: ValidationError, key: str) -> Schema | None:
    """The schema of `key`, from the innermost schema node of the error that defines it."""
    steps = list(error.absolute_schema_path)
    for end in range(len(steps), -1, -1):
        node = _at(steps[:end])
        prop = node.get("properties", {}).get(key) if isinstance(node, Mapping) else None
        if isinstance(prop, Mapping):
            return _resolve(prop)
    return None


def _add_fix(key: str, prop: Schema | None) -> str:
    """`add `key`` with its allowed values or the gist of its description (up to the first aside)."""
    if prop is None:
        return f"add `{key}`"
    if isinstance(prop.get("enum"), list):
        return f"add `{key}`, one of {', '.join(str(v) for v in prop['enum'])}"
    desc = prop.get("description")
    if not isinstance(desc, str) or not desc:
        return f"add `{key}`"
    gist = re.split(r" \(| - |; ", desc)[0]
    if gist.split()[0][1:].islower():
        gist = gist[0].lower() + gist[1:]
    return f"add `{key}` ({gist})"


def _article(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def near(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    """A close spelling of `word` among `choices`, for "did you mean" (case first, then difflib)."""
    pool = sorted(set(choices))
    folded = {c.lower(): c for c in pool}
    if word.lower() in folded:
        return folded[word.lower()]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return close[0] if close else None


#: an attribute's sources of its value: at most one of them
VALUE_SOURCES = ("join", "calculation", "hierarchy")


def _fits(value: Any, prop: Schema | None) -> bool:
    """`value` is valid for the property schema `prop` (so renaming a key to it adds no error)."""
    return prop is not None and _validator().evolve(schema=prop).is_valid(value)


def rename_fix(instance: Mapping[str, Any], path: str, typo: str, key: str,
               prop: Schema | None) -> tuple[str, Edit | None]:
    """How to turn the misspelled key `typo` (at `path`) into `key`: a rename when the value fits
    and the node has no `key` yet; a removal when the node has it already (or a rename would give an
    attribute a second source of its value, an error of its own)."""
    if key in instance:
        return f"remove it: `{key}` is given", Remove(path)
    others = [k for k in VALUE_SOURCES if k in instance and k != key] if key in VALUE_SOURCES else []
    if others:
        return f"remove it: as `{key}` it would conflict with the attribute's `{others[0]}`", Remove(path)
    if not _fits(instance[typo], prop):
        return f"rename `{typo}` to `{key}`, and correct its value", None
    return f"rename `{typo}` to `{key}`", Rename(path, key)


def _template_fix(doc: Any, parts: tuple[PathPart, ...], instance: Mapping[str, Any],
                  key: str) -> tuple[str, Edit] | None:
    """`""` for an entity's missing key template when that is decidable: the table has no sort
    key, or an attribute of the entity gives the key."""
    if key not in ("pk_template", "sk_template") or len(parts) != 4 or parts[0] != "tables":
        return None
    table = _node(doc, parts[:2])
    if not isinstance(table, dict):
        return None
    key_name = table.get(key[:2])
    attributes = instance.get("attributes")
    names = {a.get("name") for a in attributes if isinstance(a, dict)} if isinstance(attributes, list) else set()
    if key == "sk_template" and key_name is None:
        why = "the table has no sort key"
    elif isinstance(key_name, str) and key_name in names:
        why = f"attribute `{key_name}` gives the key"
    else:
        return None
    return f'add `{key}` as "" ({why})', SetValue(child(json_path(parts), key), "")


def _node(doc: Any, parts: tuple[PathPart, ...]) -> Any:
    for part in parts:
        if isinstance(part, int) and isinstance(doc, list) and part < len(doc):
            doc = doc[part]
        elif isinstance(part, str) and isinstance(doc, dict):
            doc = doc.get(part)
        else:
            return None
    return doc


def _owner_table(doc: Any, parts: tuple[PathPart, ...]) -> str | None:
    """The source table of the table or entity whose attribute is at `parts` (when given as text)."""
    if len(parts) < 2 or parts[-2] != "attributes":
        return None
    owner = _node(doc, parts[:-2])
    source = owner.get("source_table") if isinstance(owner, dict) else None
    return source if isinstance(source, str) and source else None


def _required_findings(error: ValidationError, doc: Any) -> Iterator[Finding]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    parts = tuple(error.absolute_path)
    kind = node_name(parts)
    branch = _branch_type(error)
    if branch:
        owner = _article(branch if kind == "join" and branch.endswith("join") else f"{branch} {kind}")
    else:
        owner = f"the {kind}"
    for key in (k for k in error.validator_value if k not in instance):
        message = f"{owner} needs `{key}`"
        typo = near(key, [k for k in instance if isinstance(k, str) and _property(error, k) is None])
        edit: Edit | None = None
        if typo is not None:
            fix, edit = rename_fix(instance, json_path((*parts, typo)), typo, key, _property(error, key))
        elif (template := _template_fix(doc, parts, instance, key)) is not None:
            fix, edit = template
        elif key == "source_table" and kind == "attribute" and (own := _owner_table(doc, parts)) is not None:
            fix = f"add `source_table`: `{own}` (the source table of its items)"
            edit = SetValue(child(json_path(parts), key), own)
        elif key == "source_column" and kind == "attribute" and ("join" in instance or "calculation" in instance):
            via = "join" if "join" in instance else "calculation"
            fix = (f"add `source_column`: a column of the attribute's `source_table`, its key column for one (the "
                   f"value comes from the {via}; the contract format requires the field)")
        elif key == "entities" and "attributes" in instance:
            fix = ("describe its items in `entities` (one per entity type, each with its own source_table, "
                   "pk_template, sk_template and attributes); `attributes` are for single-entity tables")
        else:
            fix = _add_fix(key, _property(error, key))
        yield Finding(Severity.ERROR, child(json_path(parts), key), message, fix, "schema.required", edit)


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_JSON_TYPES.get(t, t) for t in names)


def _error_finding(error: ValidationError) -> Finding:
    path = json_path(error.absolute_path)
    value = error.instance
    v = error.validator
    if v == "type":
        if not error.absolute_path:
            return Finding(Severity.ERROR, path, f"the contract is {_JSON_TYPES.get(json_type(value), 'a value')}, "
                           "not an object", 'write it as {"tables": [...]}', "schema.type")
        expected = _expected(error.validator_value)
        return Finding(Severity.ERROR, path, f"must be {expected}, not {_JSON_TYPES.get(json_type(value), 'that')}",
                       f"write it as {expected}", "schema.type")
    if v == "enum":
        choices = [str(c) for c in error.validator_value]
        close = near(value, choices) if isinstance(value, str) else None
        return Finding(Severity.ERROR, path, f"{json.dumps(value)} is not one of {', '.join(choices)}",
                       f"did you mean {json.dumps(close)}?" if close else f"use one of {', '.join(choices)}",
                       "schema.enum", None if close is None else SetValue(path, close))
    if v == "oneOf" and error.absolute_path and error.absolute_path[-1] == "source_column":
        return Finding(Severity.ERROR, path, "must be a column name or a list of column names",
                       'write "column" or ["column_a", "column_b"]', "schema.one_of")
    if v == "oneOf" and error.absolute_path and error.absolute_path[-1] == "path" and isinstance(value, Mapping):
        ends = [k for k in ("value", "aggregate", "collect") if k in value]
        if ends:
            return Finding(Severity.ERROR, path, "a path ends in exactly one of value, aggregate or collect; this one "
                           f"gives {' and '.join(ends)}", "keep the one that says what the attribute holds",
                           "path.end")
        return Finding(Severity.ERROR, path, "a path needs an end: value, aggregate or collect",
                       'add one, e.g. "value": "<step>.<column>"', "path.end")
    if v == "minItems":
        n = error.validator_value
        return Finding(Severity.ERROR, path, f"must have at least {n} item{'s' if n != 1 else ''}",
                       "add the missing items", "schema.min_items")
    if v in ("minimum", "maximum"):   # the edit: the nearest value allowed
        bound = error.validator_value
        least = v == "minimum"
        return Finding(Severity.ERROR, path, f"must be at {'least' if least else 'most'} {bound}",
                       f"use a value of {bound} or {'more' if least else 'less'}", _code(v), SetValue(path, bound))
    if v == "minLength":
        return Finding(Severity.ERROR, path, "must not be empty", "write at least one character", "schema.min_length")
    return Finding(Severity.ERROR, path, error.message, None, _code(str(v)))


def schema_findings(doc: Any) -> list[Finding]:
    """Every schema violation, one finding each; a wrong JSON type hides other complaints about that value."""
    errors = list(_validator().iter_errors(doc))
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    findings: list[Finding] = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in typed:
            continue
        if error.validator == "required":
            findings.extend(_required_findings(error, doc))
        else:
            findings.append(_error_finding(error))
    return findings


# ---------------------------------------------------------------------------- known keys

def _if_holds(condition: Schema, instance: Mapping[str, Any]) -> bool:
    """Evaluate the one `if` form the schema uses: `required` keys and `const` properties."""
    if any(k not in instance for k in condition.get("required", ())):
        return False
    for key, sub in condition.get("properties", {}).items():
        if key in instance and "const" in sub and (json_type(instance[key]) != json_type(sub["const"])
                                                   or instance[key] != sub["const"]):
            return False
    return True


def _properties(fragment: Schema, instance: Mapping[str, Any]) -> tuple[dict[str, Schema], set[str]]:
    """The properties that apply to `instance` and those only other branches define."""
    active = dict(fragment.get("properties", {}))
    elsewhere: set[str] = set()
    for part in fragment.get("allOf", ()):
        then = part.get("then", {}).get("properties", {})
        if _if_holds(part.get("if", {}), instance):
            active.update(then)
        else:
            elsewhere.update(then)
    return active, elsewhere - set(active)


def node_keys(definition: str, instance: Mapping[str, Any]) -> frozenset[str]:
    """The keys the schema defines for this node of `definitions/<definition>` (given its `type`)."""
    fragment = contract_schema()["definitions"][definition]
    return frozenset(_properties(fragment, instance)[0])


def _typed(fragment: Schema, instance: Mapping[str, Any]) -> str | None:
    """The node's `type` when it is one the schema allows (else which keys belong is unknown)."""
    allowed = fragment.get("properties", {}).get("type", {}).get("enum", ())
    kind = instance.get("type")
    return kind if isinstance(kind, str) and kind in allowed else None


def _unknown(instance: Mapping[str, Any], key: str, fragment: Schema, parts: tuple[PathPart, ...]) -> Finding | None:
    """A warning for a key the node does not use; None where the node's type is itself wrong."""
    active, elsewhere = _properties(fragment, instance)
    path = json_path((*parts, key))
    kind = node_name(parts)
    if key in elsewhere:
        selected = _typed(fragment, instance)
        if selected is None:
            return None
        owner = selected if kind == "join" and selected.endswith("join") else f"{selected} {kind}"
        return Finding(Severity.WARNING, path, f"`{key}` is not used by {_article(owner)}",
                       "remove it, or change the type", "contract.unused_key", Remove(path))
    close = near(key, sorted(active))
    edit: Edit | None = Remove(path)
    if close is None:
        fix = f"remove it; the {kind} knows: {', '.join(sorted(active))}"
    else:
        fix, edit = rename_fix(instance, path, key, close, _resolve(active[close]))
        if isinstance(edit, Rename):
            fix = f"did you mean `{close}`?"
    return Finding(Severity.WARNING, path, f"unknown key `{key}` in the {kind} (ignored)", fix,
                   "contract.unknown_key", edit)


def unknown_key_findings(doc: Any) -> list[Finding]:
    """A warning for every key the schema does not define where it appears (a possible typo)."""
    findings: list[Finding] = []
    stack: list[tuple[Schema, Any, tuple[PathPart, ...]]] = [(contract_schema(), doc, ())]
    while stack:
        fragment, instance, parts = stack.pop()
        fragment = _resolve(fragment)
        if isinstance(instance, list) and isinstance(fragment.get("items"), Mapping):
            stack.extend((fragment["items"], item, (*parts, i)) for i, item in enumerate(instance))
        if not isinstance(instance, dict):
            continue
        free = fragment.get("additionalProperties")
        if isinstance(free, Mapping):
            stack.extend((free, value, (*parts, key)) for key, value in instance.items())
            continue
        active = _properties(fragment, instance)[0]
        for key, value in instance.items():
            if key in active:
                stack.append((active[key], value, (*parts, key)))
            elif key not in FREE_KEYS and (finding := _unknown(instance, key, fragment, parts)) is not None:
                findings.append(finding)
    return findings
