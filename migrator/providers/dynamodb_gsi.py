"""`dynamodb_gsi.<table>/<index>`: one global secondary index, created, backfilled and deleted on its own.

A new table is created with the contract's indexes in the same CreateTable call (one wait
instead of one backfill per index); their nodes then find them made and record them. On an
existing table an index is added with UpdateTable and waited for until it has backfilled;
the indexes of one table are chained in the graph, because DynamoDB takes one index change
per table at a time. An index cannot be changed in place: a different key or projection is
a replace. A load waits for its table's indexes (rows are checked against the keys the table
has when it runs) but does not run again for them: adding an index loads nothing again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.graph import Address, Node
from migrator.plan.model import Action, Change, Reason
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.providers.capacity import throughput
from migrator.state.model import ResourceState


def split_name(address: Address) -> tuple[str, str]:
    table, _, index = address.name.partition("/")
    return table, index


def index_spec(g: Mapping[str, Any]) -> dict[str, Any]:
    """What UpdateTable's Create takes: name, key schema, projection (attribute lists sorted)."""
    projection = dict(g.get("Projection") or {"ProjectionType": "ALL"})
    if projection.get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    else:
        projection.pop("NonKeyAttributes", None)
    return {"IndexName": g["IndexName"], "KeySchema": [dict(k) for k in g["KeySchema"]], "Projection": projection}


def create_spec(config: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateTable's Create: the spec, with its capacity on a provisioned table (AWS requires it)."""
    capacity = config.get("ProvisionedThroughput")
    return {**index_spec(config), **({"ProvisionedThroughput": throughput(capacity)} if capacity else {})}


def comparable_gsi(g: Mapping[str, Any], definitions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The shape of an index that matters: its spec and the types of its key attributes (a type
    change needs a new index: DynamoDB would refuse every item of the new type), and the
    capacity of an index of a provisioned table (the only part that changes in place)."""
    spec = index_spec(g)
    keys = {k["AttributeName"] for k in spec["KeySchema"]}
    types = sorted((dict(a) for a in definitions if a["AttributeName"] in keys), key=lambda a: a["AttributeName"])
    out = {**spec, "AttributeDefinitions": types}
    if g.get("ProvisionedThroughput"):
        out["ProvisionedThroughput"] = throughput(g["ProvisionedThroughput"])
    return out


def observed_index(address: Address, table: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The index as a DescribeTable of its table shows it; None when absent or going away."""
    _, index = split_name(address)
    found = next((g for g in (table or {}).get("GlobalSecondaryIndexes") or [] if g.get("IndexName") == index), None)
    if found is None or found.get("IndexStatus") == "DELETING":
        return None
    definitions = (table or {}).get("AttributeDefinitions") or []
    if ((table or {}).get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST":
        found = {k: v for k, v in found.items() if k != "ProvisionedThroughput"}  # zeros on an on-demand table
    return {**comparable_gsi(found, definitions), "IndexStatus": found.get("IndexStatus")}


class DynamoGsiProvider(Provider):
    kind = "dynamodb_gsi"
    operations = uses(dynamodb=("describe_table", "update_table", "wait_for_table"))
    computed = ("IndexStatus",)
    replace_paths = ("IndexName", "KeySchema", "Projection", "AttributeDefinitions")  # none changes in place
    reruns_dependants = False  # an index backfills by itself: the load waits for it, never reloads for it

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return comparable_gsi(config, config.get("AttributeDefinitions") or [])

    def exclusive_group(self, address: Address) -> str | None:
        # DynamoDB creates or deletes one index of a table at a time (two at once: LimitExceeded /
        # ResourceInUse); the graph chains an apply's creates, this also covers deletes.
        return f"dynamodb_table.{split_name(address)[0]}"

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        table, _ = split_name(address)
        return observed_index(address, await ctx.facades.dynamodb.describe_table(table))

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        unrecorded = prior is None or prior.status == "tainted"
        if node is not None and unrecorded and observed is not None:
            # Its table is ours (the table's plan refuses a foreign one), so an index found on it
            # was made by us: by CreateTable, or by a run that died, or stopped waiting for its
            # backfill, before recording it. One that is as the contract says is waited for and
            # recorded, never built again.
            if self.comparable(observed) == self.comparable(node.config):
                return Change(address, Action.UPDATE, Reason.UPDATE_BECAUSE_CREATED_BUT_NOT_RECORDED, before=observed,
                              after=node.public_config(), node=node, prior=None, observed=observed)
            return super().plan(address, node, ResourceState(address, dict(observed)), observed)
        return super().plan(address, node, prior, observed)

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        table, _index = split_name(node.address)
        desc = await ctx.facades.dynamodb.describe_table(table) or {}
        if observed_index(node.address, desc) is None:
            ctx.report(node.address, "creating the index")
            # The table's definitions with the index's: UpdateTable takes the whole list.
            definitions = {a["AttributeName"]: dict(a) for a in desc.get("AttributeDefinitions") or []}
            definitions.update({a["AttributeName"]: dict(a) for a in node.config["AttributeDefinitions"]})
            await ctx.facades.dynamodb.update_table(table, attribute_definitions=[definitions[n] for n in sorted(definitions)],
                                                    create_gsi=create_spec(node.config))
        ctx.report(node.address, "waiting for the index to backfill")
        # A backfill over a large table takes as long as a load may: the same limit.
        await ctx.facades.dynamodb.wait_for_table(table, "ACTIVE", timeout=ctx.settings.job_timeout_minutes * 60)
        return await self.read(node.address, node, None, ctx) or {}

    async def update(self, change: Change, ctx: ApplyContext) -> dict[str, Any]:
        """The index's capacity; an index "created but not recorded" is waited for and recorded."""
        assert change.node is not None
        wanted = change.node.config.get("ProvisionedThroughput")
        observed = change.observed or {}
        if observed and wanted and throughput(wanted) != observed.get("ProvisionedThroughput"):
            table, index = split_name(change.address)
            await ctx.facades.dynamodb.update_table(table, gsi_throughput={index: throughput(wanted)})
        return await self.create(change.node, ctx)

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        table, index = split_name(address)
        if Address("dynamodb_table", table) in ctx.deleting:
            return  # its table goes in the same run and takes the index with it: no backfill wait for nothing
        if await self.read(address, None, prior, ctx) is None:
            return
        ctx.report(address, "deleting the index")
        await ctx.facades.dynamodb.update_table(table, delete_gsi=index)
        await ctx.facades.dynamodb.wait_for_table(table, "ACTIVE")
