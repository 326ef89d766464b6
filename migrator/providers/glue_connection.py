"""`glue_connection.<name>`: the MySQL credentials the load job reads at run time.

The password is part of the desired config only as a sensitive value: it is sent to the
Glue server, never shown in a plan and never recorded; a changed password is therefore
not detected (rotate it with `-replace`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.graph import Address, Node
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.state.model import ResourceState


class GlueConnectionProvider(Provider):
    kind = "glue_connection"
    operations = uses(glue=("get_connection", "create_connection", "delete_connection"))

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"name": config.get("name"), "jdbc_url": config.get("jdbc_url"), "username": config.get("username")}

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        doc = await ctx.facades.glue.get_connection(address.name)
        if doc is None:
            return None
        props = doc.get("ConnectionProperties") or {}
        return {"name": doc.get("Name", address.name), "jdbc_url": props.get("JDBC_CONNECTION_URL"),
                "username": props.get("USERNAME")}

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        c = node.config
        await ctx.facades.glue.delete_connection(c["name"])  # no update tool: replace in place
        await ctx.facades.glue.create_connection({
            "Name": c["name"], "ConnectionType": "JDBC", "Description": "MySQL source of migrator loads",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": c["jdbc_url"], "USERNAME": c["username"],
                                     "PASSWORD": c["password"]}})
        return await self.read(node.address, node, None, ctx) or {}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        await ctx.facades.glue.delete_connection(address.name)
