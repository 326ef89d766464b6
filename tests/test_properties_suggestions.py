"""Every suggestion is tested (issue 23): a finding's `edit`, applied, removes the finding and adds no error.

Contracts that lint clean (the shop, Chinook and modernizr examples) are mutated the way
authors get them wrong: a misspelled key or value, a field that conflicts or is ignored, a
required field dropped, a name MySQL or DynamoDB refuses, a type a key or a JSON value
cannot have. Each is linted with the check `migrator validate` runs (`check_contract`);
then for every finding that carries an edit, the edit is applied to the document and it is
linted again:

(a) that finding (same code, same place) is gone;
(b) no ERROR appears that was not there before;
and the edit never changes the document it is applied to.

"Same place" follows the edit: after a list item is removed the items behind it move up one,
after a rename the value lives under its new key; findings of the edited document are mapped
back to the original one's paths before they are compared.

`test_every_edit_code_is_reached` makes sure no code with an edit goes untested: each has a
deterministic trigger here, and the codes the lint source attaches edits to are all listed.
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from migrator.contract.document import check_contract
from migrator.contract.edits import (
    Batch,
    Edit,
    EditError,
    Remove,
    Rename,
    SetValue,
    apply_edit,
    edit_from_json,
    edit_json,
)
from migrator.contract.paths import PathPart, json_path, parse_path
from migrator.findings import Finding, Severity

REPO = Path(__file__).resolve().parents[1]
BASES: dict[str, Any] = {name: json.loads((REPO / path).read_text()) for name, path in (
    ("shop", "examples/shop/contract.json"), ("chinook", "examples/chinook/contract.json"),
    ("modernizr", "examples/modernizr/contract.hierarchy.json"))}

#: every code of the offline lint whose findings carry an edit (the AST test below keeps it complete)
EDIT_CODES = frozenset({
    "contract.unknown_key", "contract.unused_key", "schema.required", "schema.enum", "schema.minimum",
    "schema.maximum", "table.entities_ignored", "table.name", "gsi.name", "attribute.mysql_name",
    "attribute.case_duplicate", "key.undefined", "key.type", "gsi.projection", "gsi.projection_ignored",
    "gsi.projected_undefined", "template.ignored", "template.mismatch", "attribute.source_table",
    "attribute.json_as_string", "attribute.type_mismatch", "join.limit", "transformation.source_format",
    "transformation.pad_number", "load.spark_only", "load.version_ignored", "load.capacity_ignored",
    "load.write_units_low", "hierarchy.type", "path.two_sources", "path.type",
})
#: codes with an edit that only the plan reports (they need the MySQL column types)
PLAN_TIME_EDIT_CODES = frozenset({"key.numeric_as_string", "key.text_as_number"})


# =============================================================================== the property

def _old_parts(parts: tuple[PathPart, ...], edit: Edit) -> tuple[PathPart, ...] | None:
    """Where the node at `parts` of the edited document was before `edit` (None: it is new)."""
    if isinstance(edit, Batch):
        for one in reversed(edit.edits):
            old = _old_parts(parts, one)
            if old is None:
                return None
            parts = old
        return parts
    at = parse_path(edit.path)
    if isinstance(edit, Rename):
        target = (*at[:-1], edit.new_key)
        return (*at, *parts[len(target):]) if parts[:len(target)] == target else parts
    removed, head = at[-1], len(at) - 1
    if isinstance(edit, Remove) and isinstance(removed, int) and parts[:head] == at[:head] and len(parts) > head:
        index = parts[head]
        if isinstance(index, int) and index >= removed:   # the items behind a removed one moved up
            return (*parts[:head], index + 1, *parts[head + 1:])
    return parts


def _old_path(path: str, edit: Edit) -> str:
    try:
        parts = parse_path(path)
    except ValueError:
        return path
    old = _old_parts(parts, edit)
    return "<new>" + path if old is None else json_path(old)


def check_suggestions(doc: Any, seen: set[str] | None = None, events: bool = False) -> list[Finding]:
    """Apply each edit of the document's findings and check the property; the findings with edits."""
    text = json.dumps(doc, sort_keys=True)
    before = check_contract(doc)
    errors = {(f.code, f.path) for f in before if f.severity is Severity.ERROR}
    with_edits = [f for f in before if f.edit is not None]
    by_edit: dict[Edit, list[Finding]] = {}
    for finding in with_edits:   # a misspelled key is two findings with one edit: lint once
        assert finding.edit is not None
        by_edit.setdefault(finding.edit, []).append(finding)
    for edit, findings in by_edit.items():
        assert edit_from_json(json.loads(json.dumps(edit_json(edit)))) == edit
        try:
            edited = apply_edit(doc, edit)
        except EditError as exc:   # pragma: no cover - the message says which
            raise AssertionError(f"{findings[0].sentence()} {edit} does not apply: {exc}") from exc
        assert json.dumps(doc, sort_keys=True) == text, f"{edit} changed its input"
        after = [(f, _old_path(f.path, edit)) for f in check_contract(edited)]
        new = [f for f, old in after if f.severity is Severity.ERROR and (f.code, old) not in errors]
        for finding in findings:
            again = [f for f, old in after if f.code == finding.code and old == finding.path]
            assert not again, f"{finding.sentence()}\n  edit {edit}\n  leaves {again[0].sentence()}"
            assert not new, (f"{finding.sentence()}\n  edit {edit}\n  brings "
                             + "\n  and ".join(f.sentence() for f in new))
            if seen is not None:
                seen.add(finding.code)
            if events:
                event(finding.code)
    return with_edits


# =============================================================================== mutations

Pick = Callable[[list[Any]], Any]
Mutation = Callable[[Any, Pick], None]


def _tables(doc: Any) -> list[dict[str, Any]]:
    return list(doc["tables"])


def _attributes(doc: Any) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(table, owner: the table or an entity, attribute) of every attribute."""
    out = []
    for table in doc["tables"]:
        for owner in table.get("entities", []) if table["type"] == "multi-entity" else [table]:
            out += [(table, owner, a) for a in owner["attributes"]]
    return out


def _keys_of(table: dict[str, Any]) -> set[str]:
    names = {table.get("pk"), table.get("sk")}
    for gsi in table.get("gsis", []):
        names |= {gsi.get("pk"), gsi.get("sk")}
    return {n for n in names if n}


def _misspell(word: str, pick: Pick) -> str:
    """A typo: one letter dropped, doubled or upper-cased."""
    i = pick(list(range(len(word))))
    return pick([word[:i] + word[i + 1:], word[:i] + word[i] + word[i:], word[:i] + word[i:].capitalize()])


def _need(condition: Any) -> None:
    if not condition:
        raise NotApplicable


class NotApplicable(Exception):
    """The mutation has nothing to work on in this contract."""


def misspell_key(doc: Any, pick: Pick) -> None:
    """A key of a table, GSI, attribute, join or calculation misspelled (the value kept)."""
    nodes: list[dict[str, Any]] = []
    for table in doc["tables"]:
        nodes += [table, *table.get("gsis", [])]
    for _, _, attribute in _attributes(doc):
        nodes += [attribute] + [attribute[k] for k in ("join", "calculation", "transformation") if k in attribute]
    node = pick(nodes)
    key = pick(sorted(k for k in node if len(k) > 3))
    typo = _misspell(key, pick)
    _need(typo not in node and typo != key)
    node[typo] = node.pop(key)
    if pick([False, True]):   # the right key given too (the typo is then only to be removed)
        node[key] = copy.deepcopy(node[typo])


def junk_key(doc: Any, pick: Pick) -> None:
    """A key no node knows, or one only another kind of join or transformation uses."""
    _, _, attribute = pick(_attributes(doc))
    if pick(["junk", "unused"]) == "junk":
        attribute["colour_of_the_sky"] = "blue"
    elif attribute.get("join", {}).get("type") not in (None, "chain"):
        attribute["join"]["chain_separator"] = " / "
    else:
        _need(attribute.get("transformation", {}).get("type") == "string-format")
        attribute["transformation"]["pad"] = 4


def misspell_value(doc: Any, pick: Pick) -> None:
    """An enum value misspelled: an attribute's type, a projection, a join's or a calculation's type."""
    spots: list[tuple[dict[str, Any], str]] = []
    for table in doc["tables"]:
        spots += [(g, "projection") for g in table.get("gsis", []) if "projection" in g]
    for _, _, a in _attributes(doc):
        spots.append((a, "type"))
        spots += [(a[k], "type") for k in ("join", "calculation", "transformation") if k in a]
        if a.get("calculation", {}).get("type") == "aggregate":
            spots.append((a["calculation"], "operation"))
    node, key = pick(spots)
    value = node[key]
    node[key] = value.lower() if value.isupper() else _misspell(value, pick)
    _need(node[key] != value)


def out_of_range(doc: Any, pick: Pick) -> None:
    """A load option below its minimum or above its maximum."""
    table = pick(_tables(doc))
    key, value = pick([("workers", 1), ("workers", 300), ("writers", 0), ("writers", 65), ("fetch_size", 0),
                       ("partitions", 2000), ("max_rejected_percent", 101)])
    table.setdefault("load", {})[key] = value


def drop_required(doc: Any, pick: Pick) -> None:
    """A required field dropped that has a decidable value: an attribute's source_table, an entity's template."""
    spots: list[tuple[dict[str, Any], str]] = [(a, "source_table") for _, _, a in _attributes(doc)]
    for table in doc["tables"]:
        for entity in table.get("entities", []):
            names = {a["name"] for a in entity["attributes"]}
            spots += [(entity, f) for f, k in (("pk_template", "pk"), ("sk_template", "sk"))
                      if table.get(k) in names]
    node, key = pick(spots)
    del node[key]


def _owners(table: dict[str, Any]) -> list[dict[str, Any]]:
    return table["entities"] if table["type"] == "multi-entity" else [table]


def table_name(doc: Any, pick: Pick) -> None:
    """A table name DynamoDB refuses (its fix must not take another table's name)."""
    table = pick(_tables(doc))
    other = pick(_tables(doc))["table"]
    table["table"] = pick([table["table"] + " copy", other + "!", "My Table", "T"])


def index_name(doc: Any, pick: Pick) -> None:
    gsi = pick(_gsis(doc))
    gsi["index_name"] = pick([gsi["index_name"] + " idx", "By Email", "By Email!"])


def attribute_name(doc: Any, pick: Pick) -> None:
    """An attribute name MySQL refuses as a view column, renamed wherever the contract names it."""
    table = pick(_tables(doc))
    old = pick([a["name"] for owner in _owners(table) for a in owner["attributes"]])
    new = pick([old + " ", " " + old, old + "\U0001F600", old + "x" * 64])
    for owner in _owners(table):
        for a in owner["attributes"]:
            if a["name"] == old:
                a["name"] = new
    for node in [table, *table.get("gsis", [])]:
        for k in ("pk", "sk"):
            if node.get(k) == old:
                node[k] = new


def case_name(doc: Any, pick: Pick) -> None:
    """A second attribute whose name differs from another's only in case."""
    owner = pick(_owners(pick(_tables(doc))))
    attribute = pick(owner["attributes"])
    new = pick([attribute["name"].swapcase(), attribute["name"].upper(), attribute["name"].lower()])
    _need(new != attribute["name"])
    owner["attributes"].append({**copy.deepcopy(attribute), "name": new})


def bad_key(doc: Any, pick: Pick) -> None:
    """A key that names no attribute (a typo), or a key attribute of a type no key can have."""
    table = pick(_tables(doc))
    node = pick([table, *table.get("gsis", [])])
    field = pick([k for k in ("pk", "sk") if node.get(k)])
    name = node[field]
    if pick(["typo", "type"]) == "typo":
        node[field] = _misspell(name, pick)
        _need(node[field] != name)
        return
    owners = table.get("entities", []) if table["type"] == "multi-entity" else [table]
    for owner in owners:
        for a in owner["attributes"]:
            if a["name"] == name:
                a["type"] = pick(["M", "SS", "NS", "BOOL"]) if "transformation" not in a else "N"


def _gsis(doc: Any) -> list[dict[str, Any]]:
    return [g for t in doc["tables"] for g in t.get("gsis", [])]


def include_without_attributes(doc: Any, pick: Pick) -> None:
    gsi = pick(_gsis(doc))
    gsi["projection"] = "INCLUDE"
    gsi.pop("projected_attributes", None)


def attributes_ignored_by_projection(doc: Any, pick: Pick) -> None:
    table = pick([t for t in doc["tables"] if t.get("gsis")])
    gsi = pick(table["gsis"])
    gsi["projection"] = pick(["ALL", "KEYS_ONLY"])
    gsi["projected_attributes"] = [pick(_attributes(doc))[2]["name"]]


def misspelled_projection(doc: Any, pick: Pick) -> None:
    gsi = pick([g for g in _gsis(doc) if g.get("projected_attributes")])
    k = pick(list(range(len(gsi["projected_attributes"]))))
    gsi["projected_attributes"][k] = pick([_misspell(gsi["projected_attributes"][k], pick), "no_such_thing"])


def template_against_attribute(doc: Any, pick: Pick) -> None:
    """A multi-entity table's template that the key attribute of that name overrides."""
    entity = pick([e for t in doc["tables"] if t["type"] == "multi-entity" for e in t["entities"]])
    entity[pick(["pk_template", "sk_template"])] = "OTHER#{created_at}"


def template_without_sort_key(doc: Any, pick: Pick) -> None:
    """A single-entity table without a sort key made a multi-entity one, with an sk_template."""
    table = pick([t for t in doc["tables"] if t["type"] == "single-entity" and t.get("sk") is None])
    table.pop("sk", None)
    table["type"] = "multi-entity"
    table["entities"] = [{"entity_type": "ONE", "source_table": table["source_table"], "pk_template": "",
                          "sk_template": "#META", "attributes": table.pop("attributes")}]


def _plain(attribute: dict[str, Any]) -> bool:
    return not any(k in attribute for k in ("join", "calculation", "transformation", "hierarchy"))


def other_source_table(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if "join" not in x[2] and "calculation" not in x[2]])
    attribute["source_table"] = "somewhere_else"


def json_value_as_text(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if x[2].get("join", {}).get("type") == "json-construction"])
    attribute["type"] = pick(["S", "N", "BOOL"])


def hierarchy_type(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if "hierarchy" in x[2]])
    attribute["type"] = pick(["B", "BOOL", "L"])


def path_type(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if "aggregate" in x[2].get("path", {})
                            or "collect" in x[2].get("path", {})])
    attribute["type"] = pick(["BOOL", "B", "SS", "L", "M"])


def path_name_taken(doc: Any, pick: Pick) -> None:
    """A step without `as` to a table already on the path (the entity's own, or an earlier step's)."""
    _, owner, attribute = pick([x for x in _attributes(doc) if x[2].get("path", {}).get("steps")])
    steps = attribute["path"]["steps"]
    i = pick(list(range(len(steps))))
    taken = [owner["source_table"], *[st.get("as", st["table"]) for st in steps[:i]]]
    steps[i].pop("as", None)
    steps[i]["table"] = pick(taken)


def path_two_sources(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if "path" in x[2]])
    attribute[pick(["calculation", "join", "hierarchy"])] = pick([
        {"type": "case", "cases": [{"when": "1 = 1", "then": "1"}]},
        {"type": "foreign-key", "target_table": "Album", "join_condition": "Album.AlbumId = 1",
         "select_column": "Title"}])


def entities_on_single(doc: Any, pick: Pick) -> None:
    pick([t for t in doc["tables"] if t["type"] == "single-entity"])["entities"] = []


def zero_limit(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if x[2].get("join", {}).get("construction")])
    attribute["join"]["construction"]["limit"] = pick([0, -2])


def misspelled_source_format(doc: Any, pick: Pick) -> None:
    _, _, attribute = pick([x for x in _attributes(doc) if _plain(x[2])])
    attribute["transformation"] = {"type": "date-format", "format": "%Y", "source_format": pick(["timestmp", "Date"])}


def padded_number(doc: Any, pick: Pick) -> None:
    table, _, attribute = pick([x for x in _attributes(doc) if _plain(x[2]) and x[2]["type"] == "N"])
    attribute["transformation"] = {"type": "number-format", "pad": 6, **pick([{}, {"decimals": 0}])}
    if pick([False, True]):   # a number it must stay
        table["ttl_attribute"] = attribute["name"]


def load_options(doc: Any, pick: Pick) -> None:
    """Load options that do nothing: Spark's on the Python shell engine, a version column without its
    write mode, a write percentage of an on-demand table, write units below the table's."""
    table = pick(_tables(doc))
    kind = pick(["spark", "version", "percent", "units"])
    if kind == "spark":
        table["load"] = {"engine": "pythonshell", pick(["workers", "partitions"]): 4}
    elif kind == "version":
        name = pick([a["name"] for _, _, a in _attributes(doc)])
        table["load"] = {"write_mode": pick(["overwrite", "insert_only"]), "version_column": name}
    elif kind == "percent":
        table["load"] = {"write_percent": 0.5}
    else:
        table["capacity"] = {"read_units": 5, "write_units": 10}
        table["load"] = {"write_units": 4}


MUTATIONS: list[Mutation] = [misspell_key, junk_key, misspell_value, out_of_range, drop_required, table_name, index_name,
             attribute_name, case_name, bad_key,
             include_without_attributes, attributes_ignored_by_projection, misspelled_projection,
             template_against_attribute, template_without_sort_key, other_source_table, json_value_as_text,
             hierarchy_type, entities_on_single, zero_limit, misspelled_source_format, padded_number, load_options,
             path_type, path_name_taken, path_two_sources]

#: mutations that hide part of the contract from the lint (a misspelled key is ignored, a misspelled type
#: selects no rules, a missing field stops the checks that need it): they come alone, on a valid contract,
#: since fixing them shows the problems of what they hid, whichever way they are fixed
HIDING: list[Mutation] = [misspell_key, misspell_value, drop_required]
COMBINED = [m for m in MUTATIONS if m not in HIDING]

SEEN: set[str] = set()   # codes whose edits the generated contracts exercised


@st.composite
def mutated(draw: st.DrawFn, first: Mutation) -> Any:
    """`first`, maybe then another mutation, on the first example contract (in a drawn order) `first` applies to."""
    steps = [first] if first in HIDING else [first, *draw(st.lists(st.sampled_from(COMBINED), max_size=1))]

    def pick(options: list[Any]) -> Any:
        if not options:
            raise NotApplicable
        return draw(st.sampled_from(options))

    for base in draw(st.permutations(sorted(BASES))):
        doc = copy.deepcopy(BASES[base])
        for n, mutation in enumerate(steps):
            trial = copy.deepcopy(doc)
            try:
                mutation(trial, pick)
            except (NotApplicable, KeyError, IndexError, TypeError, AttributeError):
                if n == 0:
                    break   # `first` does not apply to this contract: try the next
                continue    # the second found nothing left to work on
            doc = trial
            event(f"mutation {mutation.__name__}")
        else:
            return doc
    reject()


@pytest.mark.parametrize("first", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_edit_removes_its_finding_and_adds_no_error(first: Mutation, data: st.DataObject) -> None:
    check_suggestions(data.draw(mutated(first), label="contract"), SEEN, events=True)


# =============================================================================== one trigger per code

def _shop() -> Any:
    return copy.deepcopy(BASES["shop"])


def _modernizr() -> Any:
    return copy.deepcopy(BASES["modernizr"])


def _chinook() -> Any:
    return copy.deepcopy(BASES["chinook"])


def _chinook_attribute(name: str) -> str:
    """The JSON path of the Chinook attribute `name` (its tables change more often than the shop's)."""
    return next(f"$.tables[{t}].attributes[{a}]" for t, table in enumerate(BASES["chinook"]["tables"])
                for a, attribute in enumerate(table["attributes"]) if attribute["name"] == name)


def _set(doc: Any, path: str, value: Any) -> Any:
    return apply_edit(doc, SetValue(path, value)) if not isinstance(value, list | dict) else _put(doc, path, value)


def _put(doc: Any, path: str, value: Any) -> Any:
    parts = parse_path(path)
    node = doc
    for part in parts[:-1]:
        node = node[part]
    if isinstance(node, list) and parts[-1] == len(node):
        node.append(copy.deepcopy(value))
    else:
        node[parts[-1]] = copy.deepcopy(value)
    return doc


def _del(doc: Any, path: str) -> Any:
    return apply_edit(doc, Remove(path))


def _rename(doc: Any, path: str, to: str) -> Any:
    return apply_edit(doc, Rename(path, to))


SHOP_ATTR = "$.tables[0].attributes[3]"          # Customers.email (plain S)
CHINOOK_MANAGER = _chinook_attribute("ManagerName")   # a path back to Employee, named manager
TRIGGERS: dict[str, Callable[[], Any]] = {
    "contract.unknown_key": lambda: _rename(_shop(), f"{SHOP_ATTR}.source_column", "source_colum"),
    "contract.unused_key": lambda: _set(_shop(), "$.tables[0].attributes[0].transformation.pad", 3),
    "schema.required": lambda: _del(_shop(), f"{SHOP_ATTR}.source_table"),
    "schema.enum": lambda: _set(_shop(), f"{SHOP_ATTR}.type", "s"),
    "schema.minimum": lambda: _put(_shop(), "$.tables[0].load", {"workers": 1}),
    "schema.maximum": lambda: _put(_shop(), "$.tables[0].load", {"writers": 65}),
    "table.entities_ignored": lambda: _put(_shop(), "$.tables[0].entities", []),
    "table.name": lambda: _set(_shop(), "$.tables[1].table", "Customers!"),
    "gsi.name": lambda: _set(_shop(), "$.tables[0].gsis[0].index_name", "By Email"),
    "attribute.mysql_name": lambda: _set(_set(_shop(), "$.tables[0].attributes[0].name", "PK "), "$.tables[0].pk",
                                         "PK "),
    "attribute.case_duplicate": lambda: _put(_shop(), "$.tables[0].attributes[13]",
                                             {"name": "EMAIL", "type": "S", "source_table": "customers",
                                              "source_column": "email"}),
    "key.undefined": lambda: _set(_shop(), "$.tables[0].pk", "PKK"),
    "key.type": lambda: _set(_shop(), "$.tables[1].attributes[0].type", "NS"),
    "gsi.projection": lambda: _set(_shop(), "$.tables[0].gsis[0].projection", "INCLUDE"),
    "gsi.projection_ignored": lambda: _put(_shop(), "$.tables[0].gsis[0].projected_attributes", ["phone"]),
    "gsi.projected_undefined": lambda: _set(_shop(), "$.tables[1].gsis[0].projected_attributes[1]", "skuu"),
    "template.ignored": lambda: bad_template_trigger(),
    "template.mismatch": lambda: _set(_modernizr(), "$.tables[0].entities[0].sk_template", "USER#{created_at}"),
    "attribute.source_table": lambda: _set(_shop(), f"{SHOP_ATTR}.source_table", "orders"),
    "attribute.json_as_string": lambda: _modernizr(),
    "attribute.type_mismatch": lambda: _set(_modernizr(), "$.tables[0].entities[2].attributes[5].type", "N"),
    "join.limit": lambda: _set(_modernizr(), "$.tables[0].entities[2].attributes[5].join.construction.limit", 0),
    "transformation.source_format": lambda: _put(_shop(), f"{SHOP_ATTR}.transformation",
                                                 {"type": "date-format", "format": "%Y", "source_format": "timestmp"}),
    "transformation.pad_number": lambda: _put(_shop(), "$.tables[0].attributes[8].transformation",
                                              {"type": "number-format", "pad": 6}),
    "load.spark_only": lambda: _put(_shop(), "$.tables[0].load", {"engine": "pythonshell", "workers": 4}),
    "load.version_ignored": lambda: _put(_shop(), "$.tables[0].load",
                                         {"write_mode": "overwrite", "version_column": "updated_at"}),
    "load.capacity_ignored": lambda: _put(_shop(), "$.tables[0].load", {"write_percent": 0.5}),
    "load.write_units_low": lambda: _put(_put(_shop(), "$.tables[0].capacity", {"read_units": 5, "write_units": 10}),
                                         "$.tables[0].load", {"write_units": 4}),
    "hierarchy.type": lambda: _set(_modernizr(), "$.tables[1].attributes[5].type", "BOOL"),
    "path.two_sources": lambda: _put(_chinook(), f"{CHINOOK_MANAGER}.calculation",
                                     {"type": "case", "cases": [{"when": "1 = 1", "then": "'x'"}]}),
    "path.type": lambda: _set(_chinook(), _chinook_attribute("Revenue") + ".type", "BOOL"),
}


def bad_template_trigger() -> Any:
    doc = _modernizr()
    table = doc["tables"][0]
    del table["sk"]
    for entity in table["entities"]:
        entity["attributes"] = [a for a in entity["attributes"] if a["name"] != "SK"]
    return doc


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_trigger(code: str) -> None:
    doc = TRIGGERS[code]()
    seen: set[str] = set()
    findings = check_suggestions(doc, seen)
    assert code in seen, [f.sentence() for f in findings] or [f.sentence() for f in check_contract(doc)]


def _edit_codes_in_source() -> set[str]:
    """Codes of the `Finding(...)` calls in the offline lint that pass an edit (a sixth argument or `edit=`)."""
    codes: set[str] = set()
    files = [*sorted((REPO / "migrator" / "contract" / "lint").glob("*.py")), REPO / "migrator/contract/schema.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"):
                continue
            edit = node.args[5] if len(node.args) > 5 else next((k.value for k in node.keywords if k.arg == "edit"),
                                                                None)
            if edit is None or (isinstance(edit, ast.Constant) and edit.value is None):
                continue
            code = node.args[4] if len(node.args) > 4 else None
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes.add(code.value)
            elif isinstance(code, ast.JoinedStr | ast.Call):   # the schema's codes from a validator's name
                codes.add("schema.*")
    return codes


def test_every_edit_code_is_reached() -> None:
    """Every code with an edit has a trigger above, is listed, and the generated contracts reach them all."""
    source = _edit_codes_in_source()
    listed = EDIT_CODES | PLAN_TIME_EDIT_CODES
    assert source - {"schema.*"} <= listed, f"codes with edits not listed here: {sorted(source - listed)}"
    assert set(TRIGGERS) == EDIT_CODES
    if EDIT_CODES - SEEN:   # run alone, or on a worker that did not run every property example: run them here
        for mutation in MUTATIONS:
            test_every_edit_removes_its_finding_and_adds_no_error(mutation)
    missing = EDIT_CODES - SEEN
    assert not missing, f"the generated contracts never reach: {sorted(missing)}"


def test_plan_time_key_edits() -> None:
    """The plan's key-type warnings: the declared type they propose agrees with the column."""
    from migrator.contract.lint.keys import column_type_findings
    from migrator.contract.typed import build_contract

    doc = _shop()
    contract = build_contract(doc)
    attribute = contract.tables[1].attributes[0]           # product_id, N
    for declared, data_type in (("S", "int"), ("N", "varchar")):
        retyped = _set(copy.deepcopy(doc), "$.tables[1].attributes[0].type", declared)
        attribute = build_contract(retyped).tables[1].attributes[0]
        [finding] = column_type_findings(attribute, "product_id", data_type, "products.id")
        assert finding.code in PLAN_TIME_EDIT_CODES and finding.edit is not None
        fixed = build_contract(apply_edit(retyped, finding.edit)).tables[1].attributes[0]
        assert column_type_findings(fixed, "product_id", data_type, "products.id") == []


def test_apply_edit_is_pure_and_exact() -> None:
    doc = {"a": {"x": 1, "y": [1, 2, 3]}}
    assert apply_edit(doc, Rename("$.a.x", "z")) == {"a": {"z": 1, "y": [1, 2, 3]}}
    assert list(apply_edit(doc, Rename("$.a.x", "z"))["a"]) == ["z", "y"]   # the key keeps its place
    assert apply_edit(doc, Remove("$.a.y[1]")) == {"a": {"x": 1, "y": [1, 3]}}
    assert apply_edit(doc, SetValue("$.a.w", None)) == {"a": {"x": 1, "y": [1, 2, 3], "w": None}}
    assert apply_edit(doc, Batch((Remove("$.a.x"), SetValue("$.b", "c")))) == {"a": {"y": [1, 2, 3]}, "b": "c"}
    assert doc == {"a": {"x": 1, "y": [1, 2, 3]}}
    for bad in (Remove("$.b"), Rename("$.a.y", "x"), Remove("$.a.y[5]"), SetValue("$", 1), SetValue("$.a[0]", 1),
                Remove("$.a.y.q")):
        with pytest.raises(EditError):
            apply_edit(doc, bad)
