"""`mysql_view.<name>`: CREATE OR REPLACE VIEW through the MySQL role.

MySQL stores a rewritten definition, so the contract's SQL is never compared with it
as text: a change in the contract shows as a new config fingerprint, a change made
outside migrator as a definition different from the one recorded after apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.plan.diff import attribute_changes
from migrator.plan.model import Action, Change, Reason
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.state.model import ResourceState


class MysqlViewProvider(Provider):
    kind = "mysql_view"
    operations = uses(mysql=("describe_schema", "create_view", "drop_view"))
    computed = ("definition", "database")
    importable = True

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"definition": config.get("definition"), "columns": list(config.get("columns") or [])}

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        schema = await ctx.facades.mysql.describe_schema([address.name])
        _same_database(address, prior, schema.database)
        view = schema.views.get(address.name)
        table = schema.tables.get(address.name)
        if view is None or table is None:
            return None
        return {"name": address.name, "definition": view.definition, "columns": [c.name for c in table.columns],
                "database": schema.database}

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        if node is None or observed is None or prior is None or prior.status == "tainted":
            return super().plan(address, node, prior, observed)
        after = node.public_config()
        common: dict[str, Any] = {"before": observed, "after": after, "node": node, "prior": prior,
                                  "observed": observed}
        if node.fingerprint != prior.config_fingerprint:
            return Change(address, Action.UPDATE, Reason.UPDATE_BECAUSE_CONFIG_CHANGED,
                          attributes=attribute_changes({"sql": prior.attributes.get("sql")}, {"sql": node.config["sql"]}),
                          **common)
        if observed.get("definition") != prior.attributes.get("definition") or \
                list(observed.get("columns") or []) != list(node.config["columns"]):
            return Change(address, Action.UPDATE, Reason.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR,
                          attributes=attribute_changes({"definition": prior.attributes.get("definition"),
                                                        "columns": prior.attributes.get("columns")},
                                                       {"definition": observed.get("definition"),
                                                        "columns": observed.get("columns")}), **common)
        return Change(address, Action.NOOP, Reason.NO_CHANGES, **common)

    async def refuse_destroy(self, records: Sequence[ResourceState], ctx: RunContext) -> MigratorError | None:
        """Views recorded in another database than the one the mysql server reads now (an apply given
        --database, a destroy not): refused before anything is touched rather than stop at the views."""
        recorded = {str(r.attributes.get("database")) for r in records if r.attributes.get("database")}
        if not recorded:
            return None
        current = (await ctx.facades.mysql.server_info()).database
        other = sorted(recorded - {current})
        if not other:
            return None
        return MigratorError(f"the state's views were created in database {', '.join(other)}, but the mysql "
                             f"server now reads database {current}; nothing was changed",
                             hint=f"pass --database {other[0]} (or point mcp.json's MYSQL_DATABASE back at it)")

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        await ctx.facades.mysql.create_view(node.config["name"], node.config["sql"])
        observed = await self.read(node.address, node, None, ctx)
        return {**(observed or {}), "sql": node.config["sql"]}

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        # Never in another database: a plan's `read` refuses one, and destroy refuses before it starts.
        await ctx.facades.mysql.drop_view(address.name)


def _same_database(address: Address, prior: ResourceState | None, current: str | None) -> None:
    """A view recorded in one database is never looked for, replaced or dropped in another (a
    `--database` given to apply and not to destroy, or an mcp.json pointed elsewhere since)."""
    recorded = prior.attributes.get("database") if prior is not None else None
    if recorded and current and recorded != current:
        raise MigratorError(f"{address} was created in database {recorded}, but the mysql server now reads "
                            f"database {current}", hint=f"pass --database {recorded} (or point mcp.json's "
                                                        "MYSQL_DATABASE back at it)")
