"""What `check.<table>` compares, as one typed shape from the compiler to the check and `verify`.

Why typed: the check node's config is plain data (the plan shows it, the state records it, its
fingerprint decides a re-run), but three readers (the check provider, `verify`, `verify --full`)
used to pick it apart by string keys. They read a `CheckSpec` instead; `to_config` writes the
node's config and `from_config` reads it back, so the plan's bytes stay what they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator.graph import Address
from migrator.runtime.verify import Source


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
