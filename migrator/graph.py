"""Resource addresses, nodes and the dependency graph with a deterministic topological walk.

A bottom module: it does not know which node kinds exist (`migrator.kinds.KINDS` lists them,
one provider each); `Address.parse` checks a kind against the kinds it is given.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import MigratorError

#: what a kind looks like: `dynamodb_table`, `s3_object`
_KIND = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, order=True)
class Address:
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.name}"

    @staticmethod
    def parse(text: str, kinds: Collection[str] | None = None) -> Address:
        """KIND.NAME; with `kinds` (user input: `migrator.providers.parse_address`), KIND must be one of them.
        Without, any well-formed kind parses (a state file: a kind no provider has is refused where
        the providers are asked for it)."""
        kind, dot, name = text.partition(".")
        if not dot or not name or not _KIND.fullmatch(kind) or (kinds is not None and kind not in kinds):
            raise MigratorError(f"'{text}' is not a resource address",
                                hint="write KIND.NAME with KIND " + ("one of " + ", ".join(kinds) if kinds is not None
                                                                     else "a node kind such as dynamodb_table"))
        return Address(kind, name)


def canonical_json(value: Any) -> str:
    """The one serialisation used for fingerprints: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Node:
    """A desired resource: its address, its configuration (plain JSON data) and what it needs."""

    address: Address
    config: Mapping[str, Any]
    depends_on: tuple[Address, ...] = ()
    #: configuration keys whose values are secret: never shown, never stored.
    sensitive: frozenset[str] = field(default_factory=frozenset)
    #: what the plan shows beside the change and the apply may use (a load's engine and why, its
    #: row estimate), never compared nor recorded: an estimate moving must not change the plan
    notes: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint({k: v for k, v in self.config.items() if k not in self.sensitive})

    def public_config(self) -> dict[str, Any]:
        return {k: ("(sensitive)" if k in self.sensitive else v) for k, v in self.config.items()}


@dataclass(frozen=True)
class Graph:
    nodes: Mapping[Address, Node]

    @staticmethod
    def build(nodes: Iterable[Node]) -> Graph:
        by_addr: dict[Address, Node] = {}
        for node in nodes:
            if node.address in by_addr:
                raise MigratorError(f"two resources have the address {node.address}",
                                    hint="rename one of the tables or entities that produce it")
            by_addr[node.address] = node
        for node in by_addr.values():
            for dep in node.depends_on:
                if dep not in by_addr:
                    raise MigratorError(f"{node.address} depends on {dep}, which the contract does not produce")
        graph = Graph(dict(sorted(by_addr.items())))
        graph.order()  # raises on a cycle
        return graph

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def order(self) -> list[Address]:
        """Dependencies first; ties broken by address so the order is the same every time."""
        return topological(self.nodes.keys(), {a: n.depends_on for a, n in self.nodes.items()})


def topological(addresses: Iterable[Address], deps: Mapping[Address, Iterable[Address]]) -> list[Address]:
    present = set(addresses)
    remaining = {a: {d for d in deps.get(a, ()) if d in present} for a in present}
    order: list[Address] = []
    while remaining:
        ready = sorted(a for a, d in remaining.items() if not d)
        if not ready:
            cycle = ", ".join(str(a) for a in sorted(remaining))
            raise MigratorError(f"the resources {cycle} depend on each other in a cycle")
        for a in ready:
            order.append(a)
            del remaining[a]
        for d in remaining.values():
            d.difference_update(ready)
    return order
