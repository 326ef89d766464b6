"""A load's Glue job: which engine carries it, with which workers, and the job's arguments.

The engine is a decision the plan shows with its reason: the contract's `load.engine`, or
for `auto` the source table's row estimate read at plan time against the Spark threshold.
What the items are (view, attributes, keys, write mode) is baked into the script and the
load's fingerprint; how fast they move (writers, budget, partitions, workers) is a job
argument, so tuning a finished load updates its job in place without loading it again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from migrator.budget import RejectBudget
from migrator.contract.model import Capacity, LoadOptions
from migrator.mysql_schema import SchemaInfo

PYTHONSHELL = "pythonshell"
GLUEETL = "glueetl"
DEFAULT_WORKER_TYPE = "G.1X"
DEFAULT_WORKERS = 2
PARTITIONS_PER_WORKER = 4
PYTHONSHELL_GLUE_VERSION = "3.0"
SPARK_GLUE_VERSION = "5.0"


@dataclass(frozen=True)
class Engine:
    """How one load runs: Glue's command name, and for Spark its workers and partitions."""

    command: str
    why: str
    worker_type: str | None = None
    workers: int | None = None
    partitions: int | None = None

    @property
    def spark(self) -> bool:
        return self.command == GLUEETL

    def describe(self) -> str:
        """One line for the plan: `glueetl, 2 × G.1X workers, 8 partitions (auto: ...)`."""
        if not self.spark:
            return f"{PYTHONSHELL} ({self.why})"
        return f"{GLUEETL}, {self.workers} × {self.worker_type} workers, {self.partitions} partitions ({self.why})"


def row_estimate(schema: SchemaInfo, table: str) -> int | None:
    """The server's estimate of the source table's rows (information_schema, approximate)."""
    info = schema.tables.get(table) or next((t for n, t in schema.tables.items() if n.lower() == table.lower()), None)
    return None if info is None else info.row_estimate


def choose_engine(options: LoadOptions, source_table: str, estimate: int | None, threshold: int) -> Engine:
    """Pure: the contract's choice, else Spark from `threshold` estimated rows of the source table."""
    chosen = options.engine or "auto"
    if chosen == "auto":
        if estimate is None:
            why = f"auto: no row estimate for `{source_table}`"
            spark = False
        else:
            spark = estimate >= threshold
            why = f"auto: ~{estimate:,} rows in `{source_table}` {'≥' if spark else '<'} {threshold:,}"
    else:
        spark = chosen == "spark"
        why = f"engine {chosen} in the contract"
    if not spark:
        return Engine(PYTHONSHELL, why)
    workers = options.workers or DEFAULT_WORKERS
    return Engine(GLUEETL, why, worker_type=options.worker_type or DEFAULT_WORKER_TYPE, workers=workers,
                  partitions=options.partitions or PARTITIONS_PER_WORKER * workers)


def reject_budget(options: LoadOptions, where: str) -> RejectBudget:
    """The load's rejection budget from its contract options; `where` names them for the advice."""
    return RejectBudget(options.max_rejected_rows, options.max_rejected_percent, where)


def load_write_units(options: LoadOptions, capacity: Capacity | None) -> int | None:
    """The write capacity a provisioned table gets while it loads, or the warm throughput an
    on-demand one is given before it (None: the table is left as it is)."""
    if options.write_units is None or (capacity is not None and options.write_units <= capacity.write_units):
        return None
    return options.write_units


def write_budget(options: LoadOptions, capacity: Capacity | None, item_size: float | None) -> float | None:
    """Items per second: the contract's, else `write_percent` of the write capacity during the load,
    an item costing one WCU per started KB (`estimated_item_size_bytes`, 1 KB when not given)."""
    if options.max_items_per_second is not None:
        return options.max_items_per_second
    units = max(options.write_units or 0, capacity.write_units if capacity else 0)
    if options.write_percent is None or not units:
        return None
    per_item = max(1, math.ceil((item_size or 1024) / 1024))
    return float(max(1, math.floor(units * options.write_percent / per_item)))


def capacity_note(table: str, capacity: Capacity | None, units: int | None) -> str | None:
    if units is None:
        return None
    if capacity is None:
        return (f"dynamodb_table.{table} warmed to {units} writes per second before the load "
                "(on-demand warm throughput; it is never lowered)")
    return (f"dynamodb_table.{table} write capacity {capacity.write_units} → {units} during the load "
            f"(its indexes too), then {capacity.write_units}")


def tuning_arguments(options: LoadOptions, engine: Engine, budget: float | None = None) -> dict[str, str]:
    """Arguments that change only how fast the items move: the job's DefaultArguments."""
    out: dict[str, str] = {}
    if options.writers is not None:
        out["--writers"] = str(options.writers)
    if options.fetch_size is not None:
        out["--fetch_size"] = str(options.fetch_size)
    if budget is not None:
        out["--max_items_per_second"] = format(budget, "g")
    if engine.spark:
        out["--partitions"] = str(engine.partitions)
        if options.partition_column:
            out["--partition_column"] = options.partition_column
    return out


def job_command(engine: Engine, script_uri: str, python_version: str) -> dict[str, Any]:
    """The job definition's engine fields: Command, GlueVersion and capacity."""
    if engine.spark:
        return {"Command": {"Name": GLUEETL, "ScriptLocation": script_uri, "PythonVersion": "3"},
                "GlueVersion": SPARK_GLUE_VERSION, "WorkerType": engine.worker_type,
                "NumberOfWorkers": engine.workers}
    return {"Command": {"Name": PYTHONSHELL, "ScriptLocation": script_uri, "PythonVersion": python_version},
            "GlueVersion": PYTHONSHELL_GLUE_VERSION, "MaxCapacity": 0.0625}
