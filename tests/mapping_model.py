"""A generated schema, generated rows and generated contracts over them, with a Python model of
the items each contract must produce (tests/test_properties_mapping.py).

The schema has every relation the issue-21 property asks for:

    dept(id, name, head_id -> person)                   1:n from person, a to-one back to person
    person(id, name, salary, dept_id -> dept,           1:n, and a self reference (manager_id)
           manager_id -> person)
    profile(person_id PK -> person, bio)                1:1
    project(id, title)
    assignment(person_id -> person, project_id -> project, hours)    n:m link table

Foreign keys are NULL, dangling or real; they are declared as FOREIGN KEY constraints in some
examples (the rows are then inserted with FOREIGN_KEY_CHECKS=0, so dangling ones remain) and not in
others.

Every attribute shape (`Spec`) carries its contract JSON, a model of its value computed straight
from the raw rows (never from migrator's code), and a verdict:

- "ok": the contract format allows it; it must be accepted and loaded exactly.
- "refuse": the contract format forbids it (an aggregate in a join's value, a chain step that the
  step before does not constrain); `validate` or `plan` must refuse it with a sentence naming it.
- "data": a to-many foreign-key join. When the rows give some entity row two partners, the view
  would multiply: it must be refused at plan (the row-count invariant). When they do not, the
  value is well defined: refusing it (statically) and loading it exactly are both right.

Values follow docs/contract.md: SQL NULL -> the attribute is absent; N compared
numerically (exact decimals); a chain with a separator is CONCAT_WS of its parts (NULL parts
skipped, '' when all are NULL); COUNT of nothing is 0, SUM/MAX of nothing absent; a JSON array is
[] when there are no rows, in `order_by` order, values typed (a DECIMAL stays an exact number, a
NULL stays a JSON null).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

Row = dict[str, Any]

# =============================================================================== the schema

DDL = {
    "dept": "CREATE TABLE dept (id INT PRIMARY KEY, name VARCHAR(32) NULL, head_id INT NULL)",
    "person": "CREATE TABLE person (id INT PRIMARY KEY, name VARCHAR(32) NULL, salary DECIMAL(8,2) NULL, "
              "dept_id INT NULL, manager_id INT NULL)",
    "profile": "CREATE TABLE profile (person_id INT PRIMARY KEY, bio VARCHAR(32) NULL)",
    "project": "CREATE TABLE project (id INT PRIMARY KEY, title VARCHAR(32) NULL)",
    "assignment": "CREATE TABLE assignment (person_id INT NOT NULL, project_id INT NOT NULL, "
                  "hours DECIMAL(6,2) NULL, PRIMARY KEY (person_id, project_id))",
}
#: declared after every table exists (dept and person reference each other)
FOREIGN_KEYS = [
    "ALTER TABLE person ADD CONSTRAINT fk_person_dept FOREIGN KEY (dept_id) REFERENCES dept (id)",
    "ALTER TABLE person ADD CONSTRAINT fk_person_manager FOREIGN KEY (manager_id) REFERENCES person (id)",
    "ALTER TABLE dept ADD CONSTRAINT fk_dept_head FOREIGN KEY (head_id) REFERENCES person (id)",
    "ALTER TABLE profile ADD CONSTRAINT fk_profile_person FOREIGN KEY (person_id) REFERENCES person (id)",
    "ALTER TABLE assignment ADD CONSTRAINT fk_assignment_person FOREIGN KEY (person_id) REFERENCES person (id)",
    "ALTER TABLE assignment ADD CONSTRAINT fk_assignment_project FOREIGN KEY (project_id) REFERENCES project (id)",
]
ORDER = ["dept", "person", "profile", "project", "assignment"]
DANGLING = 90   # ids from here on never exist


@dataclass
class World:
    """The raw rows of every table, as inserted."""

    rows: dict[str, list[Row]]
    declared_fks: bool

    def by_id(self, table: str, key: Any, column: str = "id") -> Row | None:
        if key is None:
            return None
        found = [r for r in self.rows[table] if r[column] == key]
        assert len(found) <= 1
        return found[0] if found else None

    def where(self, table: str, column: str, value: Any) -> list[Row]:
        """Rows whose `column` equals `value` (SQL `=`: NULL matches nothing)."""
        if value is None:
            return []
        return [r for r in self.rows[table] if r[column] is not None and r[column] == value]


#: short texts with the awkward cases: NULL, '', quotes, backslash, unicode, spaces, the text 'null'
NAME = st.none() | st.sampled_from(["Ann", "bo", "", "Zoë 'q'", 'a"b', "汉字🚀", "a\\b", " x ", "null", "#1,2"])
MONEY = st.none() | st.decimals(min_value=-500, max_value=5000, places=2, allow_nan=False,
                                allow_infinity=False).map(lambda d: abs(d) if d == 0 else d)
HOURS = st.none() | st.decimals(min_value=0, max_value=40, places=2, allow_nan=False, allow_infinity=False)


def ref(ids: Sequence[int]) -> st.SearchStrategy[int | None]:
    """A foreign key: mostly an existing id, else NULL or dangling."""
    existing = [st.sampled_from(list(ids))] * 3 if ids else []
    return st.one_of(*existing, st.none(), st.integers(DANGLING, DANGLING + 2))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    dept_ids = draw(st.lists(st.integers(1, 5), unique=True, max_size=4), label="dept ids")
    person_ids = draw(st.lists(st.integers(1, 9), unique=True, max_size=7), label="person ids")
    project_ids = draw(st.lists(st.integers(1, 4), unique=True, max_size=3), label="project ids")
    dept = [{"id": i, "name": draw(NAME), "head_id": draw(ref(person_ids))} for i in dept_ids]
    person = [{"id": i, "name": draw(NAME), "salary": draw(MONEY), "dept_id": draw(ref(dept_ids)),
               "manager_id": draw(ref(person_ids))} for i in person_ids]
    profile_ids = draw(st.lists(st.sampled_from(person_ids + [DANGLING]), unique=True, max_size=len(person_ids) + 1))
    profile = [{"person_id": i, "bio": draw(NAME)} for i in profile_ids]
    pairs = draw(st.lists(st.tuples(st.sampled_from(person_ids + [DANGLING]),
                                    st.sampled_from(project_ids + [DANGLING])), unique=True, max_size=8))
    project = [{"id": i, "title": draw(NAME)} for i in project_ids]
    assignment = [{"person_id": p, "project_id": j, "hours": draw(HOURS)} for p, j in pairs]
    return World({"dept": dept, "person": person, "profile": profile, "project": project,
                  "assignment": assignment}, draw(st.booleans(), label="declared foreign keys"))


# =============================================================================== attribute shapes

@dataclass
class Spec:
    """One attribute shape: its contract JSON (without the name), its value for a base row, its verdict."""

    shape: str
    name: str
    doc: dict[str, Any]
    value: Callable[[World, Row], Any]
    verdict: str = "ok"                                        # ok | refuse | data
    multiplies: Callable[[World], bool] | None = None          # verdict "data": do the rows multiply?

    def attribute(self) -> dict[str, Any]:
        return {"name": self.name, **self.doc}


def attr(kind: str, source: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "source_table": source, "source_column": column, **extra}


def fk(target: str, condition: str, select: str) -> dict[str, Any]:
    return {"type": "foreign-key", "target_table": target, "join_condition": condition, "select_column": select}


def step(target: str, condition: str, select: str) -> dict[str, Any]:
    return {"target_table": target, "join_condition": condition, "select_column": select}


def agg(target: str, condition: str, op: str, select: str) -> dict[str, Any]:
    return {"type": "aggregate", "target_table": target, "join_condition": condition, "operation": op,
            "select_column": select}


def get(row: Row | None, column: str) -> Any:
    return None if row is None else row[column]


def text(value: Any) -> str | None:
    """A value as MySQL turns it into text (CONCAT_WS, templates): ints and DECIMALs as written."""
    return None if value is None else str(value)


def concat_ws(separator: str, parts: Sequence[Any]) -> str:
    return separator.join(t for t in (text(p) for p in parts) if t is not None)


def total(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def biggest(values: Sequence[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def to_many(world: World, table: str, column: str, parent: str) -> bool:
    """Does some row of `parent` have two or more rows of `table` pointing at it through `column`?"""
    return any(len(world.where(table, column, r["id"])) > 1 for r in world.rows[parent])


def only(rows: list[Row]) -> Row | None:
    assert len(rows) <= 1, "a to-many join's value is only defined when it does not multiply"
    return rows[0] if rows else None


#: aggregate and window functions in a join's value (they collapse the entity's rows or read other rows)
AGGREGATES_IN_A_JOIN = ["MAX(dept.name)", "COUNT(dept.id)", "GROUP_CONCAT(dept.name)", "SUM(dept.head_id)",
                        "MIN(dept.id)", "JSON_ARRAYAGG(dept.name)", "COUNT(*)",
                        "ROW_NUMBER() OVER (ORDER BY dept.id)"]
#: chain steps whose condition does not reach the step before (the dept row)
UNCONSTRAINED_STEPS = ["project.id > 0", "project.title IS NOT NULL", "project.id = 1"]


def person_specs(draw: st.DrawFn) -> tuple[list[Spec], list[Spec]]:
    """(good shapes, wrong shapes) of an entity whose source table is person."""
    null_value = draw(st.sampled_from([None, "-", "none"]), label="self-join null_value")
    separator = draw(st.sampled_from([" > ", "/", ""]), label="chain separator")
    threshold = draw(st.sampled_from([0, 100, 1000]), label="conditional threshold")
    else_literal = draw(st.booleans(), label="conditional else is a literal")
    limit = draw(st.sampled_from([None, 1, 2]), label="json limit")
    agg_select = draw(st.sampled_from(AGGREGATES_IN_A_JOIN), label="aggregate in select_column")
    loose = draw(st.sampled_from(UNCONSTRAINED_STEPS), label="unconstrained chain step")

    def dept_of(w: World, p: Row) -> Row | None:
        return w.by_id("dept", p["dept_id"])

    def head_of(w: World, p: Row) -> Row | None:
        return w.by_id("person", get(dept_of(w, p), "head_id"))

    def assignments(w: World, p: Row) -> list[Row]:
        return sorted(w.where("assignment", "person_id", p["id"]), key=lambda a: a["project_id"])

    self_join = {"type": "self-join", "join_alias": "mgr", "join_condition": "mgr.id = person.manager_id",
                 "select_column": "mgr.name"}
    if null_value is not None:
        self_join["null_value"] = null_value

    def manager(w: World, p: Row) -> Any:
        m = w.by_id("person", p["manager_id"])
        return (null_value if m is None else m["name"])

    construction: dict[str, Any] = {"type": "array", "select_columns": {"project": "assignment.project_id",
                                                                        "hours": "assignment.hours"},
                                    "order_by": "assignment.project_id"}
    if limit is not None:
        construction["limit"] = limit
    chain_back = [step("dept", "dept.id = person.dept_id", "dept.name"),
                  step("person", "person.id = dept.head_id", "person.name")]
    cond = {"type": "conditional", "condition": f"person.salary > {threshold}", "target_table": "dept",
            "join_condition": "dept.id = person.dept_id", "select_column": "dept.name",
            "else_value": "'n/a'" if else_literal else "person.name"}

    def conditional(w: World, p: Row) -> Any:
        if p["salary"] is not None and p["salary"] > threshold:
            return get(dept_of(w, p), "name")
        return "n/a" if else_literal else p["name"]

    good = [
        Spec("plain S", "name", attr("S", "person", "name"), lambda w, p: p["name"]),
        Spec("plain N (DECIMAL)", "salary", attr("N", "person", "salary"), lambda w, p: p["salary"]),
        Spec("plain N (a foreign key)", "dept_id", attr("N", "person", "dept_id"), lambda w, p: p["dept_id"]),
        Spec("foreign-key to-one", "dept_name",
             attr("S", "person", "dept_id", join=fk("dept", "dept.id = person.dept_id", "dept.name")),
             lambda w, p: get(dept_of(w, p), "name")),
        Spec("foreign-key 1:1", "bio",
             attr("S", "person", "id", join=fk("profile", "profile.person_id = person.id", "profile.bio")),
             lambda w, p: get(w.by_id("profile", p["id"], "person_id"), "bio")),
        Spec("chain back to its own table", "head_name",
             attr("S", "person", "dept_id", join={"type": "chain", "joins": chain_back}),
             lambda w, p: get(head_of(w, p), "name")),
        Spec("chain back to its own table, with separator", "head_path",
             attr("S", "person", "dept_id", join={"type": "chain", "joins": chain_back,
                                                   "chain_separator": separator}),
             lambda w, p: concat_ws(separator, [get(dept_of(w, p), "name"), get(head_of(w, p), "name")])),
        Spec("self-join" + (" with null_value" if null_value is not None else ""), "manager_name",
             attr("S", "person", "manager_id", join=self_join), manager),
        Spec("conditional", "dept_if_paid", attr("S", "person", "dept_id", join=cond), conditional),
        Spec("aggregate COUNT over n:m link", "project_count",
             attr("N", "person", "id", calculation=agg("assignment", "assignment.person_id = person.id", "COUNT",
                                                       "assignment.project_id")),
             lambda w, p: len(assignments(w, p))),
        Spec("aggregate SUM over n:m link", "hours_total",
             attr("N", "person", "id", calculation=agg("assignment", "assignment.person_id = person.id", "SUM",
                                                       "assignment.hours")),
             lambda w, p: total([a["hours"] for a in assignments(w, p)])),
        Spec("aggregate MAX over n:m link", "hours_max",
             attr("N", "person", "id", calculation=agg("assignment", "assignment.person_id = person.id", "MAX",
                                                       "assignment.hours")),
             lambda w, p: biggest([a["hours"] for a in assignments(w, p)])),
        Spec("json-construction array over children", "assignments",
             attr("L", "person", "id", join={"type": "json-construction", "target_table": "assignment",
                                             "join_condition": "assignment.person_id = person.id",
                                             "construction": construction}),
             lambda w, p: [{"project": a["project_id"], "hours": a["hours"]}
                           for a in assignments(w, p)][:limit]),
        Spec("string-format", "label",
             attr("S", "person", "name", transformation={"type": "string-format", "format": "{name}#{id}"}),
             lambda w, p: None if p["name"] is None else f"{p['name']}#{p['id']}"),
        Spec("number-format pad", "id_padded",
             attr("S", "person", "id", transformation={"type": "number-format", "pad": 4}),
             lambda w, p: f"{p['id']:04d}"),
    ]
    wrong = [
        Spec("foreign-key join that is to-many", "an_assignment",
             attr("N", "person", "id", join=fk("assignment", "assignment.person_id = person.id", "assignment.hours")),
             lambda w, p: get(only(w.where("assignment", "person_id", p["id"])), "hours"),
             verdict="data", multiplies=lambda w: to_many(w, "assignment", "person_id", "person")),
        Spec(f"aggregate {agg_select.split('(')[0]}() in a join's select_column", "dept_collapsed",
             attr("S", "person", "dept_id", join=fk("dept", "dept.id = person.dept_id", agg_select)),
             lambda w, p: None, verdict="refuse"),
        Spec("chain step not constrained by the step before", "dept_then_any_project",
             attr("S", "person", "dept_id", join={"type": "chain", "joins": [
                 step("dept", "dept.id = person.dept_id", "dept.name"),
                 step("project", loose, "project.title")]}),
             lambda w, p: None, verdict="refuse"),
    ]
    return good, wrong


def dept_specs(draw: st.DrawFn) -> tuple[list[Spec], list[Spec]]:
    def head(w: World, d: Row) -> Row | None:
        return w.by_id("person", d["head_id"])

    def members(w: World, d: Row) -> list[Row]:
        return sorted(w.where("person", "dept_id", d["id"]), key=lambda p: p["id"])

    good = [
        Spec("plain S", "name", attr("S", "dept", "name"), lambda w, d: d["name"]),
        Spec("foreign-key to-one (dept head)", "head",
             attr("S", "dept", "head_id", join=fk("person", "person.id = dept.head_id", "person.name")),
             lambda w, d: get(head(w, d), "name")),
        Spec("chain back to its own table (the head's dept)", "head_dept",
             attr("S", "dept", "head_id", join={"type": "chain", "joins": [
                 step("person", "person.id = dept.head_id", "person.name"),
                 step("dept", "dept.id = person.dept_id", "dept.name")]}),
             lambda w, d: get(w.by_id("dept", get(head(w, d), "dept_id")), "name")),
        Spec("aggregate COUNT over 1:n", "staff",
             attr("N", "dept", "id", calculation=agg("person", "person.dept_id = dept.id", "COUNT", "person.id")),
             lambda w, d: len(members(w, d))),
        Spec("aggregate SUM over 1:n", "payroll",
             attr("N", "dept", "id", calculation=agg("person", "person.dept_id = dept.id", "SUM", "person.salary")),
             lambda w, d: total([p["salary"] for p in members(w, d)])),
        Spec("json-construction array over 1:n", "members",
             attr("L", "dept", "id", join={"type": "json-construction", "target_table": "person",
                                           "join_condition": "person.dept_id = dept.id",
                                           "construction": {"type": "array",
                                                            "select_columns": {"id": "person.id",
                                                                               "name": "person.name"},
                                                            "order_by": "person.id"}}),
             lambda w, d: [{"id": p["id"], "name": p["name"]} for p in members(w, d)]),
    ]
    wrong = [
        Spec("foreign-key join that is to-many (dept -> its people)", "a_member",
             attr("S", "dept", "id", join=fk("person", "person.dept_id = dept.id", "person.name")),
             lambda w, d: get(only(w.where("person", "dept_id", d["id"])), "name"),
             verdict="data", multiplies=lambda w: to_many(w, "person", "dept_id", "dept")),
    ]
    return good, wrong


def project_specs(draw: st.DrawFn) -> tuple[list[Spec], list[Spec]]:
    def links(w: World, j: Row) -> list[Row]:
        return w.where("assignment", "project_id", j["id"])

    good = [
        Spec("plain S", "title", attr("S", "project", "title"), lambda w, j: j["title"]),
        Spec("aggregate COUNT over the n:m link's other side", "people",
             attr("N", "project", "id", calculation=agg("assignment", "assignment.project_id = project.id", "COUNT",
                                                        "assignment.person_id")),
             lambda w, j: len(links(w, j))),
        Spec("aggregate SUM over the n:m link's other side", "hours",
             attr("N", "project", "id", calculation=agg("assignment", "assignment.project_id = project.id", "SUM",
                                                        "assignment.hours")),
             lambda w, j: total([a["hours"] for a in links(w, j)])),
    ]
    return good, []


SPECS = {"person": person_specs, "dept": dept_specs, "project": project_specs}


# =============================================================================== contracts

@dataclass
class Entity:
    """One view: its source table, its attributes (keys first), and where they are in the contract."""

    source: str
    entity_type: str | None                 # None: a single-entity table
    specs: list[Spec]
    path: str                               # JSON path of its attribute list
    templates: dict[str, Callable[[Row], Any]] = field(default_factory=dict)   # multi-entity key attributes


@dataclass
class Case:
    world: World
    contract: dict[str, Any]
    table: str
    entities: list[Entity]
    sk_rejects: Callable[[Row], bool] | None = None   # rows of a single entity whose sort key is NULL or empty
    budget: int | None = None                          # load.max_rejected_rows

    def wrong(self) -> list[tuple[str, Spec]]:
        """(JSON path, spec) of every attribute whose verdict is not "ok"."""
        out = []
        for e in self.entities:
            for i, s in enumerate(e.specs):
                if s.verdict != "ok":
                    out.append((f"{e.path}[{i}]", s))
        return out

    def must_refuse(self) -> list[tuple[str, Spec]]:
        return [(p, s) for p, s in self.wrong()
                if s.verdict == "refuse" or (s.multiplies is not None and s.multiplies(self.world))]

    def rejected(self) -> int:
        if self.sk_rejects is None:
            return 0
        (entity,) = self.entities
        return sum(1 for r in self.world.rows[entity.source] if self.sk_rejects(r))

    def expected_items(self) -> list[Row]:
        """Every item the load must write (rows with an unloadable key are left out): attribute -> value,
        absent attributes left out."""
        items = []
        for e in self.entities:
            for row in self.world.rows[e.source]:
                if self.sk_rejects is not None and self.sk_rejects(row):
                    continue
                item = {name: f(row) for name, f in e.templates.items()}
                item.update({s.name: s.value(self.world, row) for s in e.specs})
                items.append({k: v for k, v in item.items() if v is not None})
        return items

    def shapes(self) -> list[str]:
        return [f"{e.source}: {s.shape}" for e in self.entities for s in e.specs]


def _pick(draw: st.DrawFn, good: list[Spec], wrong: list[Spec], allow_wrong: bool, label: str) -> list[Spec]:
    chosen = [s for s in good if draw(st.booleans(), label=f"{label} has {s.name}")]
    if allow_wrong and wrong and draw(st.integers(0, 2), label=f"{label} has a wrong attribute") == 0:
        bad = draw(st.sampled_from(wrong), label=f"{label} wrong attribute")
        chosen.insert(draw(st.integers(0, len(chosen)), label="where"), bad)
    return chosen


@st.composite
def cases(draw: st.DrawFn, table: str) -> Case:
    """A world and a contract of one table named `table` over it."""
    world = draw(worlds())
    if draw(st.integers(0, 3), label="multi-entity") == 0:
        return _multi(draw, world, table)
    source = draw(st.sampled_from(["person", "person", "dept", "project"]), label="source table")
    good, wrong = SPECS[source](draw)
    specs = _pick(draw, good, wrong, True, source)
    string_pk = draw(st.booleans(), label="string pk")
    prefix = source[0].upper()
    if string_pk:
        pk = Spec("pk string-format", "PK", attr("S", source, "id", transformation={
            "type": "string-format", "format": f"{prefix}#{{id}}"}), lambda w, r: f"{prefix}#{r['id']}")
    else:
        pk = Spec("pk N", "pk_id", attr("N", source, "id"), lambda w, r: r["id"])
    sk_kind = draw(st.sampled_from([None, "constant", "column"]), label="sort key")
    keys = [pk]
    sk_rejects = None
    budget = None
    if sk_kind == "constant":
        keys.append(Spec("sk constant", "SK", attr("S", source, "id", transformation={
            "type": "string-format", "format": "#META"}), lambda w, r: "#META"))
    elif sk_kind == "column":
        column = "title" if source == "project" else "name"
        keys.append(Spec("sk from a nullable column", "SK", attr("S", source, column),
                         lambda w, r: r[column]))
        sk_rejects = lambda r: r[column] is None or r[column] == ""   # noqa: E731
        budget = draw(st.sampled_from([None, 0, 1, 3, 100]), label="max_rejected_rows")
    doc = {"table": table, "type": "single-entity", "source_table": source, "pk": pk.name,
           "attributes": [s.attribute() for s in keys + specs], "satisfies": ["AP1"],
           "estimated_item_size_bytes": 400}
    if len(keys) > 1:
        doc["sk"] = "SK"
    if budget is not None:
        doc["load"] = {"max_rejected_rows": budget}
    entity = Entity(source, None, keys + specs, "$.tables[0].attributes")
    return Case(world, {"tables": [doc]}, table, [entity], sk_rejects, budget)


def _multi(draw: st.DrawFn, world: World, table: str) -> Case:
    sources = draw(st.sampled_from([["person", "dept"], ["dept", "person"], ["person", "project"],
                                    ["person", "dept", "project"]]), label="entities")
    wrong_at = draw(st.sampled_from([None, *range(len(sources))]), label="entity with a wrong attribute")
    docs, entities = [], []
    for n, source in enumerate(sources):
        good, wrong = SPECS[source](draw)
        specs = _pick(draw, good, wrong, n == wrong_at, source)
        kind = source.upper()
        docs.append({"entity_type": kind, "source_table": source, "pk_template": f"{kind}#{{id}}",
                     "sk_template": "#META", "attributes": [s.attribute() for s in specs]})
        entities.append(Entity(source, kind, specs, f"$.tables[0].entities[{n}].attributes", {
            "PK": lambda r, kind=kind: f"{kind}#{r['id']}", "SK": lambda r: "#META"}))
    doc = {"table": table, "type": "multi-entity", "source_table": sources[0], "pk": "PK", "sk": "SK",
           "entities": docs, "satisfies": ["AP1"], "estimated_item_size_bytes": 400}
    return Case(world, {"tables": [doc]}, table, entities)


# =============================================================================== comparing items

def canonical(value: Any) -> Any:
    """How an item value compares: numbers numerically (exact), lists in order, maps by key."""
    if isinstance(value, bool):
        return ("BOOL", value)
    if isinstance(value, (int, Decimal)):
        return ("N", Decimal(value).normalize())
    if isinstance(value, float):
        return ("float!", value)
    if isinstance(value, str):
        return ("S", value)
    if value is None:
        return ("NULL",)
    if isinstance(value, (list, tuple)):
        return ("L", tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("M", tuple(sorted((k, canonical(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(canonical(v) for v in value))
    return (type(value).__name__, repr(value))


def item_key(item: Row) -> tuple:
    return tuple(sorted((k, canonical(v)) for k, v in item.items()))
