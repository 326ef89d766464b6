"""The `load` extension: options that only mean something together, and the attributes
they name (a version or partition column must be an attribute of every item it loads)."""

from __future__ import annotations

from collections.abc import Iterator

from migrator.contract.edits import Remove
from migrator.contract.typed import Draft
from migrator.contract.lint.common import E, W, by_name, kind_of, linted_tables
from migrator.contract.model import Attribute, LoadOptions, Table
from migrator.findings import Finding
from migrator.runtime.spec import write_mode_problems

SPARK_ONLY = ("worker_type", "workers", "partitions", "partition_column")


def _loads(table: Table) -> Iterator[tuple[LoadOptions, LoadOptions, tuple[Attribute, ...], str]]:
    """Per set of items: the options written there, the merged ones, its attributes, its name."""
    if table.type == "multi-entity":
        for entity in table.entities:
            yield entity.load, table.load.merged(entity.load), entity.attributes, f"entity `{entity.entity_type}`"
    else:
        yield table.load, table.load, table.attributes, f"table `{table.name}`"


def _combinations(options: LoadOptions) -> Iterator[Finding]:
    if options.engine == "pythonshell":
        for key in SPARK_ONLY:
            if getattr(options, key) is not None:
                yield Finding(W, f"{options.path}.{key}", f"`{key}` is ignored by the pythonshell engine",
                              "remove it, or set engine to spark or auto", "load.spark_only",
                              Remove(f"{options.path}.{key}"))
    if options.version_column is not None and options.write_mode not in (None, "version_guarded"):
        yield Finding(W, f"{options.path}.version_column",
                      f"`version_column` is ignored with write_mode {options.write_mode}",
                      "remove it, or set write_mode to version_guarded", "load.version_ignored",
                      Remove(f"{options.path}.version_column"))


def _budget(options: LoadOptions) -> Iterator[Finding]:
    """Two limits on rejected rows are allowed, but how they combine must not be a surprise."""
    if options.max_rejected_rows is not None and options.max_rejected_percent is not None:
        yield Finding(W, f"{options.path}.max_rejected_percent",
                      f"both max_rejected_rows ({options.max_rejected_rows}) and max_rejected_percent "
                      f"({options.max_rejected_percent:g}) are given: the load fails when either limit is exceeded",
                      "keep only the limit you mean, or leave both if both must hold", "load.budget_both")


def _capacity(options: LoadOptions, table: Table) -> Iterator[Finding]:
    if options.write_percent is not None and table.capacity is None and options.write_units is None:
        yield Finding(W, f"{options.path}.write_percent",
                      f"`write_percent` is ignored: table `{table.name}` is on-demand and no write_units are given",
                      "remove it, or give the table a `capacity` or the load write_units", "load.capacity_ignored",
                      Remove(f"{options.path}.write_percent"))
    if table.capacity is not None and options.write_units is not None \
            and options.write_units < table.capacity.write_units:
        yield Finding(W, f"{options.path}.write_units",
                      f"write_units {options.write_units} is below the table's {table.capacity.write_units}: "
                      "the load runs at the table's capacity", "remove it, or raise it", "load.write_units_low",
                      Remove(f"{options.path}.write_units"))


def findings(draft: Draft) -> Iterator[Finding]:
    for table in linted_tables(draft):
        yield from _combinations(table.load)
        yield from _budget(table.load)
        yield from _capacity(table.load, table)
        for own, merged, attributes, label in _loads(table):
            if own is not table.load:
                yield from _combinations(own)
                yield from _budget(own)
                yield from _capacity(own, table)
            names = by_name(draft, attributes)
            types = {name: a.type for name, a in names.items() if kind_of(a) is not None}
            unknown_type = {name for name, a in names.items() if kind_of(a) is None}
            for problem in write_mode_problems(merged.write_mode, merged.version_column, types,
                                               [k for k in (table.pk, table.sk) if k], label):
                if not (problem.code == "load.version_column_unknown" and merged.version_column in unknown_type):
                    yield Finding(E, own.source(problem.field, table.load), problem.message, problem.fix,
                                  problem.code)
            if merged.partition_column is not None and merged.engine != "pythonshell":
                yield from _column(own.source("partition_column", table.load), merged.partition_column, names,
                                   "partition_column", ("N",), label)


def _column(path: str, column: str, names: dict[str, Attribute], key: str, types: tuple[str, ...],
            label: str) -> Iterator[Finding]:
    wanted = " or ".join(types)
    attribute = names.get(column)
    if attribute is None:
        yield Finding(E, path, f"{key} `{column}` is not an attribute of {label}",
                      f"name one of its attributes of type {wanted}", f"load.{key}_unknown")
    elif kind_of(attribute) is not None and attribute.type not in types:
        yield Finding(E, path, f"{key} `{column}` of {label} is of type {attribute.type}, not {wanted}",
                      f"name an attribute of type {wanted}", f"load.{key}_type")
