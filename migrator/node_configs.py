"""The configs of the nodes other modules read, as typed shapes: a load's and a check's.

Why here, neutral: the compiler writes them (`to_config`, the plain data a plan shows, a state
records and a fingerprint hashes) and the providers, `verify` and the comparisons read them back
(`from_config`) — none of the readers should reach into the compiler or pick the config apart
by string keys. A new node kind whose config others read puts its shape here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator.graph import Address
from migrator.runtime.verify import Source


@dataclass(frozen=True)
class LoadOutputs:
    """Where a load's job writes besides the table: its result, its live progress, its rejected rows.

    The load node's config carries these fields and so does the load's record in the state (a
    destroy reads them from there, the node being gone)."""

    bucket: str
    result_key: str
    progress_prefix: str | None = None
    rejects_prefix: str | None = None

    def fields(self) -> dict[str, Any]:
        return {"result_bucket": self.bucket, "result_key": self.result_key,
                "progress_prefix": self.progress_prefix, "rejects_prefix": self.rejects_prefix}

    @staticmethod
    def of(fields: Mapping[str, Any]) -> LoadOutputs | None:
        """From a node's config or a recorded load; None when it names no result (an old record)."""
        bucket, key = fields.get("result_bucket"), fields.get("result_key")
        if not bucket or not key:
            return None
        progress, rejects = fields.get("progress_prefix"), fields.get("rejects_prefix")
        return LoadOutputs(str(bucket), str(key), str(progress) if progress else None,
                           str(rejects) if rejects else None)


@dataclass(frozen=True)
class LoadRun:
    """The load node's config as one typed shape: the view it reads, the table it fills, the job
    that moves the rows, where that job writes, and `inputs` (what its items depend on: a change
    re-runs it)."""

    table: str
    view: str
    job: str
    outputs: LoadOutputs
    inputs: str

    def to_config(self) -> dict[str, Any]:
        return {"table": self.table, "view": self.view, "job": self.job, **self.outputs.fields(),
                "inputs": self.inputs}

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> LoadRun:
        outputs = LoadOutputs.of(config)
        if outputs is None:
            raise ValueError("a load node's config names its result_bucket and result_key")
        return LoadRun(str(config["table"]), str(config["view"]), str(config["job"]), outputs,
                       str(config["inputs"]))


@dataclass(frozen=True)
class EntitySource:
    """One entity of the table: its view has one row per row of `source_table`; `load` reads it."""

    view: str
    source_table: str
    load: Address

    def to_config(self) -> dict[str, str]:
        return {"view": self.view, "source_table": self.source_table, "load": str(self.load)}


@dataclass(frozen=True)
class CheckSpec:
    """The table, its entities (row counts), and the item specs its loads applied (the sample and
    the full comparison map rows with them); `sample_size` rows under `sample_seed`."""

    table: str
    entities: tuple[EntitySource, ...]
    sources: tuple[Source, ...]
    sample_size: int
    sample_seed: str

    @property
    def views(self) -> list[str]:
        return [e.view for e in self.entities]

    @property
    def loads(self) -> list[Address]:
        return [e.load for e in self.entities]

    @property
    def keys(self) -> tuple[str, ...]:
        """The table key (every source's spec has the same)."""
        return self.sources[0].spec.keys if self.sources else ()

    def to_config(self) -> dict[str, Any]:
        return {"table": self.table, "views": self.views, "loads": [str(a) for a in self.loads],
                "sources": [e.to_config() for e in self.entities],
                "sample": {"size": self.sample_size, "seed": self.sample_seed, "keys": list(self.keys),
                           "sources": [s.to_doc() for s in self.sources]}}

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> CheckSpec:
        """The spec of a check node's config (written by `to_config`; a plan file's or this run's)."""
        sample = config["sample"]
        return CheckSpec(str(config["table"]),
                         tuple(EntitySource(str(e["view"]), str(e["source_table"]), Address.parse(str(e["load"])))
                               for e in config["sources"]),
                         tuple(Source.from_doc(s) for s in sample["sources"]), int(sample["size"]),
                         str(sample["seed"]))
