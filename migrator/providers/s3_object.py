"""`s3_object.<key>`: a generated artifact (job script, runtime bundle) in the artifacts bucket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.runtime.lineage import lineage_metadata
from migrator.state.model import ResourceState


class S3ObjectProvider(Provider):
    kind = "s3_object"
    operations = uses(s3=("head_object", "put_object", "delete_object"))

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"bucket": config.get("bucket"), "key": config.get("key"), "sha256": config.get("sha256"),
                "size": config.get("size")}

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        bucket = (node.config if node else prior.attributes if prior else {}).get("bucket", ctx.settings.bucket)
        info = await ctx.facades.s3.head_object(bucket, address.name)
        if info is None:
            return None
        return {"bucket": bucket, "key": address.name, "sha256": info.sha256, "size": info.size}

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        content = ctx.artifacts.get(node.address.name)
        if content is None:
            raise MigratorError(f"{node.address}: the content of this artifact was not compiled (internal error)")
        info = await ctx.facades.s3.put_object(node.config["bucket"], node.address.name, content,
                                               node.config.get("content_type"), lineage_metadata(ctx.lineage))
        return {"bucket": info.bucket, "key": info.key, "sha256": info.sha256, "size": info.size}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        await ctx.facades.s3.delete_object(str(prior.attributes.get("bucket", ctx.settings.bucket)), address.name)
