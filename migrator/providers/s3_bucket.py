"""`s3_bucket.<name>`: the artifacts bucket, created if missing and removed by destroy when empty."""

from __future__ import annotations

from typing import Any

from migrator.graph import Address, Node
from migrator.providers.base import Provider, ProviderContext
from migrator.state.model import ResourceState


class S3BucketProvider(Provider):
    kind = "s3_bucket"

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: ProviderContext) -> dict[str, Any] | None:
        return {"bucket": address.name} if address.name in await ctx.facades.s3.list_buckets() else None

    async def create(self, node: Node, ctx: ProviderContext) -> dict[str, Any]:
        await ctx.facades.s3.create_bucket(node.address.name)
        return {"bucket": node.address.name}

    async def delete(self, address: Address, prior: ResourceState, ctx: ProviderContext) -> None:
        if address.name in await ctx.facades.s3.list_buckets():
            await ctx.facades.s3.delete_bucket(address.name)
