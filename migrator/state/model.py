"""The state file as plain data: what migrator made, as observed after it made it.

Like Terraform's: a format version, a lineage (which state this is, for life), a serial
(bumped on every write), and per address the observed attributes. Secrets are never
part of it: providers record only what they read back, and readers hide passwords.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from migrator import __version__
from migrator.errors import MigratorError
from migrator.graph import Address

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ResourceState:
    address: Address
    attributes: Mapping[str, Any]
    config_fingerprint: str = ""
    depends_on: tuple[Address, ...] = ()
    status: str = "ok"  # ok | tainted (a create failed midway: replace on the next plan)
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"attributes": dict(self.attributes), "config_fingerprint": self.config_fingerprint,
                "depends_on": [str(d) for d in self.depends_on], "status": self.status,
                "updated_at": self.updated_at}

    @staticmethod
    def from_json(address: Address, doc: Mapping[str, Any]) -> ResourceState:
        return ResourceState(address=address, attributes=dict(doc.get("attributes") or {}),
                             config_fingerprint=str(doc.get("config_fingerprint", "")),
                             depends_on=tuple(Address.parse(d) for d in doc.get("depends_on", ())),
                             status=str(doc.get("status", "ok")), updated_at=str(doc.get("updated_at", "")))


@dataclass(frozen=True)
class State:
    lineage: str
    serial: int = 0
    resources: Mapping[Address, ResourceState] = field(default_factory=dict)
    migrator_version: str = __version__

    @staticmethod
    def new() -> State:
        """No state yet: the lineage is chosen when something is first about to be recorded,
        so plans made before then (and saved with `plan --out`) still match."""
        return State(lineage="")

    def with_lineage(self) -> State:
        return self if self.lineage else replace(self, lineage=str(uuid.uuid4()))

    def get(self, address: Address) -> ResourceState | None:
        return self.resources.get(address)

    def with_resource(self, resource: ResourceState) -> State:
        stamped = replace(resource, updated_at=now())
        return replace(self, resources={**self.resources, resource.address: stamped})

    def without(self, address: Address) -> State:
        return replace(self, resources={a: r for a, r in self.resources.items() if a != address})

    def to_json(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "lineage": self.lineage, "serial": self.serial,
                "migrator_version": self.migrator_version,
                "resources": {str(a): self.resources[a].to_json() for a in sorted(self.resources)}}

    @staticmethod
    def from_json(doc: Any, where: str) -> State:
        if not isinstance(doc, dict) or "lineage" not in doc:
            raise MigratorError(f"{where} is not a migrator state file", hint="restore it from its .backup copy")
        version = doc.get("format_version")
        if version != FORMAT_VERSION:
            raise MigratorError(f"{where} has state format version {version}; this migrator reads version "
                                f"{FORMAT_VERSION}", hint="use the migrator version that wrote it")
        resources = {}
        for text, body in (doc.get("resources") or {}).items():
            address = Address.parse(text)
            resources[address] = ResourceState.from_json(address, body)
        return State(lineage=str(doc["lineage"]), serial=int(doc.get("serial", 0)), resources=resources,
                     migrator_version=str(doc.get("migrator_version", "")))


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
