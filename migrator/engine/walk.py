"""One parallel walk of a dependency graph, used forwards by apply and backwards by deletes.

Every node starts as soon as everything it waits for has finished; a node whose wait
failed is not visited. The caller bounds concurrency inside `visit` (a no-op needs no slot).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping

from migrator.graph import Address, topological


def dependants(deps: Mapping[Address, Iterable[Address]]) -> dict[Address, list[Address]]:
    """The reversed edges: for each address, what depends on it (the order a delete must wait for)."""
    out: dict[Address, list[Address]] = {a: [] for a in deps}
    for address, needs in deps.items():
        for need in needs:
            out.setdefault(need, []).append(address)
    return out


async def walk(nodes: Iterable[Address], waits_for: Mapping[Address, Iterable[Address]],
               visit: Callable[[Address], Awaitable[bool]], blocked: Callable[[Address, Address], None]) -> None:
    """Visit every node after all it waits for (within `nodes`) succeeded; `visit` says whether it did.

    A node that waits for a failed or blocked node is not visited: `blocked(node, cause)` is
    called with the first such cause by address. A cycle raises before anything runs.
    """
    present = sorted(set(nodes))
    waits = {a: sorted({d for d in waits_for.get(a, ()) if d in present and d != a}) for a in present}
    topological(present, waits)  # raises on a cycle instead of waiting for ever
    finished = {a: asyncio.Event() for a in present}
    succeeded: dict[Address, bool] = {}

    async def one(address: Address) -> None:
        try:
            for dep in waits[address]:
                await finished[dep].wait()
            cause = next((d for d in waits[address] if not succeeded[d]), None)
            if cause is not None:
                succeeded[address] = False
                blocked(address, cause)
                return
            succeeded[address] = await visit(address)
        except BaseException:
            succeeded[address] = False
            raise
        finally:
            finished[address].set()

    # A TaskGroup, not gather: if anything unexpected escapes a node, the others are cancelled
    # instead of running on unobserved.
    async with asyncio.TaskGroup() as group:
        for address in present:
            group.create_task(one(address))
