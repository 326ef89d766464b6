"""`s3_bucket.<name>`: the artifacts bucket, created if missing and removed by destroy.

Before the bucket goes, every object in it that carries this state's lineage is deleted
(`runtime.lineage`): an apply that died between writing an object and recording it, or a
job run that wrote its result unrecorded, leaves nothing behind. An object without our
lineage is never deleted; the bucket is then kept and the message says which object.
"""

from __future__ import annotations

import asyncio
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.mcp.facades import ObjectInfo
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.runtime.lineage import LINEAGE_METADATA
from migrator.state.model import ResourceState

_HEADS_AT_ONCE = 16


class S3BucketProvider(Provider):
    kind = "s3_bucket"
    operations = uses(s3=("list_buckets", "create_bucket", "delete_bucket", "list_objects", "head_object",
                          "delete_object"))

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        return {"bucket": address.name} if address.name in await ctx.facades.s3.list_buckets() else None

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        await ctx.facades.s3.create_bucket(node.address.name)
        return {"bucket": node.address.name}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        s3 = ctx.facades.s3
        if address.name not in await s3.list_buckets():
            return
        foreign = await _delete_own_objects(address.name, ctx)
        if foreign:
            raise MigratorError(
                f"{address}: kept: the bucket holds {len(foreign)} object(s) that this state did not write "
                f"(first: {foreign[0]}), and migrator never deletes those",
                hint=f"move or delete them yourself, or run `migrator state rm {address}` to keep the bucket")
        await s3.delete_bucket(address.name)


async def _delete_own_objects(bucket: str, ctx: ApplyContext) -> list[str]:
    """Delete the objects that carry our lineage; return the keys of the others, sorted."""
    s3 = ctx.facades.s3
    limit = asyncio.Semaphore(_HEADS_AT_ONCE)

    async def delete_if_ours(obj: ObjectInfo) -> str | None:
        async with limit:
            info = await s3.head_object(bucket, obj.key)
            if info is not None and not (ctx.lineage and info.metadata.get(LINEAGE_METADATA) == ctx.lineage):
                return obj.key
            await s3.delete_object(bucket, obj.key)
            return None

    kept = await asyncio.gather(*(delete_if_ours(o) for o in await s3.list_objects(bucket)))
    return sorted(key for key in kept if key is not None)
