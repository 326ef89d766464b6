"""The typed contract: what the rest of migrator reads after loading and validation.

Every node keeps `path`, its JSON path in the contract file (`$.tables[0].attributes[3]`),
so any later finding (lint, compile, plan) can say where the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from migrator.findings import Finding


@dataclass(frozen=True)
class ChainStep:
    target_table: str
    join_condition: str
    select_column: str
    path: str


@dataclass(frozen=True)
class Construction:
    type: str                                   # array | object
    select_columns: tuple[tuple[str, str], ...]  # (key, expression), in contract order
    order_by: str | None = None
    limit: int | float | None = None             # whole once checked; a draft keeps what was written
    path: str = ""


@dataclass(frozen=True)
class Join:
    type: str  # self-join | foreign-key | multi-column | conditional | chain | lookup-table | json-construction
    path: str
    target_table: str | None = None
    join_condition: str | None = None
    join_conditions: tuple[str, ...] = ()
    select_column: str | None = None
    join_alias: str | None = None
    null_value: str | None = None
    condition: str | None = None
    else_value: str | None = None
    chain_separator: str | None = None
    joins: tuple[ChainStep, ...] = ()
    construction: Construction | None = None


@dataclass(frozen=True)
class CaseWhen:
    when: str
    then: str
    path: str = ""


@dataclass(frozen=True)
class Calculation:
    type: str  # aggregate | case | concat | date-math
    path: str
    operation: str | None = None        # aggregate: SUM..MAX; date-math: add | subtract | diff
    target_table: str | None = None
    join_condition: str | None = None
    select_column: str | None = None
    cases: tuple[CaseWhen, ...] = ()
    else_value: str | None = None
    parts: tuple[str, ...] = ()
    separator: str | None = None
    unit: str | None = None
    value: str | int | float | None = None
    other_column: str | None = None


@dataclass(frozen=True)
class Transformation:
    type: str  # string-format | date-format | number-format | json-parse
    path: str
    format: str | None = None
    source_format: str | None = None
    decimals: int | None = None
    pad: int | None = None


@dataclass(frozen=True)
class Hierarchy:
    """migrator extension: a value found by walking a self-referencing foreign key up to the root
    (docs/patterns.md, "Hierarchies"); the walk starts at the row whose id the attribute's
    source_column holds."""

    table: str
    parent_column: str
    value: str                      # path | depth | root_id
    path: str
    id_column: str | None = None    # default: the table's primary key
    path_column: str | None = None  # what a path is made of (value "path")
    separator: str = "/"
    max_depth: int = 16


@dataclass(frozen=True)
class PathStep:
    """One step of a relational path: the rows of `table` (named `alias` in fragments) that match
    `on`, or the columns of the foreign key `foreign_key`, against the row of the step before
    (the entity's own row for the first). Neither given: the one foreign key between the two."""

    table: str
    path: str
    alias: str | None = None
    on: str | None = None
    foreign_key: str | None = None

    @property
    def name(self) -> str:
        """What fragments call this step's row."""
        return self.alias or self.table


@dataclass(frozen=True)
class PathAggregate:
    """COUNT, SUM, AVG, MIN or MAX of `of` over the rows at the end of the path (COUNT of
    nothing is 0, the others give no value); `distinct` and a `filter` on those rows."""

    function: str
    path: str
    of: str | None = None          # None or "*": COUNT(*)
    distinct: bool = False
    filter: str | None = None


@dataclass(frozen=True)
class PathField:
    """One typed value of a collection's element: `key` None when the element is the value itself."""

    expression: str
    path: str
    key: str | None = None
    type: str | None = None        # S N BOOL M L; None: from the MySQL type of the column it reads


@dataclass(frozen=True)
class PathCollection:
    """The rows at the end of the path as JSON: a `list` of elements (ordered, limited), or the
    first row's `object`; an element is one value or an object of `fields`."""

    type: str                      # list | object
    fields: tuple[PathField, ...]
    path: str
    scalar: bool = False           # the element is the one field's value, not an object
    order_by: str | None = None
    limit: int | float | None = None
    filter: str | None = None


@dataclass(frozen=True)
class RelationalPath:
    """migrator extension: an attribute's value reached through `steps`, ending in exactly one of
    a `value` (an expression over every row on the path), an `aggregate` or a `collection`."""

    steps: tuple[PathStep, ...]
    path: str
    value: str | None = None
    aggregate: PathAggregate | None = None
    collection: PathCollection | None = None


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str  # S N B BOOL NULL M L SS NS BS
    source_table: str
    source_column: str | tuple[str, ...]
    path: str
    join: Join | None = None
    calculation: Calculation | None = None
    transformation: Transformation | None = None
    denormalized: bool = False
    justification: str | None = None
    hierarchy: Hierarchy | None = None
    relational_path: RelationalPath | None = None   # the `path` extension

    @property
    def column(self) -> str:
        """The single source column (the first when the contract lists several)."""
        return self.source_column if isinstance(self.source_column, str) else self.source_column[0]


@dataclass(frozen=True)
class Gsi:
    index_name: str
    pk: str
    path: str
    sk: str | None = None
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    projected_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capacity:
    """Provisioned capacity of a table and each of its indexes (the `capacity` extension)."""

    read_units: int
    write_units: int
    path: str = ""


@dataclass(frozen=True)
class LoadOptions:
    """The `load` extension of a table or entity: every field None when the contract leaves it
    to the default (compile decides); `merged` lays an entity's over its table's."""

    path: str = ""
    engine: str | None = None              # auto | pythonshell | spark
    worker_type: str | None = None
    workers: int | None = None
    partitions: int | None = None
    partition_column: str | None = None
    writers: int | None = None
    fetch_size: int | None = None          # rows per MySQL round trip in each reading process
    max_items_per_second: float | None = None
    write_mode: str | None = None          # overwrite | insert_only | version_guarded
    version_column: str | None = None
    write_units: int | None = None         # provisioned tables: write capacity while loading
    write_percent: float | None = None     # provisioned tables: budget as a share of that capacity
    max_rejected_rows: int | None = None   # rejected rows a load may leave and still pass (default 0)
    max_rejected_percent: float | None = None   # the same as a share (0-100) of the rows read

    def merged(self, override: LoadOptions) -> LoadOptions:
        values = {f.name: getattr(self, f.name) if getattr(override, f.name) is None else getattr(override, f.name)
                  for f in fields(self) if f.name != "path"}
        return LoadOptions(path=override.path or self.path, **values)

    def source(self, key: str, table: LoadOptions) -> str:
        """Where a merged key was written: this (an entity's) `load`, else its table's."""
        return f"{self.path if getattr(self, key) is not None else table.path}.{key}"


@dataclass(frozen=True)
class Entity:
    entity_type: str
    source_table: str
    pk_template: str
    sk_template: str
    attributes: tuple[Attribute, ...]
    path: str
    load: LoadOptions = field(default_factory=LoadOptions)


@dataclass(frozen=True)
class Table:
    name: str
    type: str  # single-entity | multi-entity
    source_table: str
    pk: str
    path: str
    sk: str | None = None
    gsis: tuple[Gsi, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    entities: tuple[Entity, ...] = ()
    satisfies: tuple[str, ...] = ()
    estimated_item_size_bytes: float | None = None
    allow_data_loss: bool = False
    load: LoadOptions = field(default_factory=LoadOptions)
    capacity: Capacity | None = None  # None: on-demand
    ttl_attribute: str | None = None  # declared expiry attribute (epoch seconds); migrator never enables TTL

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True)
class Contract:
    tables: tuple[Table, ...]
    source: str = ""  # file it came from, for messages
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)
