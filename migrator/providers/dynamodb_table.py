"""`dynamodb_table.<name>`: a table, its keys and billing mode.

Tables are tagged `managed-by=migrator` and with the state's lineage, so a table this
state created but did not get to record (a crash between create and state write) is
adopted, while a table someone else made is never taken over silently. A key schema
change is a replace. Its global secondary indexes are nodes of their own
(`dynamodb_gsi`); a new table is created with them in one call, which they then record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.errors import MigratorError
from migrator.graph import Address, Node
from migrator.plan.model import Action, Change, Reason
from migrator.providers.base import ApplyContext, Provider, RunContext, uses
from migrator.providers.capacity import throughput
from migrator.state.model import ResourceState

#: the parts of a table that change how fast it takes writes, not what it holds
CAPACITY_PATHS = frozenset({"BillingMode", "ProvisionedThroughput"})
MANAGED_TAG = "managed-by"
LINEAGE_TAG = "migrator-lineage"


def table_keys(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The table's key attributes with their DynamoDB types, partition key first."""
    types = {a["AttributeName"]: a["AttributeType"] for a in config.get("AttributeDefinitions", [])}
    return [(k["AttributeName"], types.get(k["AttributeName"], "S")) for k in config.get("KeySchema", [])]


def key_attributes(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attribute definitions of the table's own keys (an index's live with the index)."""
    keys = {k["AttributeName"] for k in config.get("KeySchema") or []}
    return sorted((dict(a) for a in config.get("AttributeDefinitions") or [] if a["AttributeName"] in keys),
                  key=lambda a: a["AttributeName"])


class DynamoTableProvider(Provider):
    kind = "dynamodb_table"
    operations = uses(dynamodb=("describe_table", "tags", "continuous_backups", "time_to_live", "create_table",
                                "update_table", "delete_table", "wait_for_table"))
    #: observed, never compared: the contract does not manage them (SETTINGS: the report's guidance reads them)
    computed = ("TableStatus", "ItemCount", "Tags", "DeletionProtectionEnabled", "PointInTimeRecoveryStatus",
                "TimeToLive")
    #: DynamoDB cannot change a table's keys in place (nor its name)
    replace_paths = ("KeySchema", "TableName")
    replace_reason_for_config = Reason.REPLACE_BECAUSE_KEY_SCHEMA_CHANGED
    importable = True

    def comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        billing = config.get("BillingMode", "PAY_PER_REQUEST")
        out = {
            "TableName": config.get("TableName"),
            "KeySchema": [dict(k) for k in config.get("KeySchema") or []],
            "AttributeDefinitions": key_attributes(config),
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":  # an on-demand table reports zeros here: not part of it
            out["ProvisionedThroughput"] = throughput(config.get("ProvisionedThroughput"))
        return out

    async def read(self, address: Address, node: Node | None, prior: ResourceState | None,
                   ctx: RunContext) -> dict[str, Any] | None:
        desc = await ctx.facades.dynamodb.describe_table(address.name)
        if desc is None:
            return None
        billing = (desc.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
        observed = self.comparable({**desc, "BillingMode": billing})
        observed["TableStatus"] = desc.get("TableStatus")
        observed["ItemCount"] = desc.get("ItemCount")
        observed["Tags"] = await ctx.facades.dynamodb.list_tags(address.name)
        return {**observed, **await self._settings(address.name, desc, ctx)}

    async def _settings(self, name: str, desc: Mapping[str, Any], ctx: RunContext) -> dict[str, Any]:
        """What protects and expires the table's items; read so the report says what is, not what to check."""
        backups = await ctx.facades.dynamodb.describe_continuous_backups(name)
        ttl = await ctx.facades.dynamodb.describe_time_to_live(name)
        return {"DeletionProtectionEnabled": bool(desc.get("DeletionProtectionEnabled")),
                "PointInTimeRecoveryStatus": (backups.get("PointInTimeRecoveryDescription") or {}).get(
                    "PointInTimeRecoveryStatus") or "DISABLED",
                "TimeToLive": {"TimeToLiveStatus": ttl.get("TimeToLiveStatus") or "DISABLED",
                               "AttributeName": ttl.get("AttributeName")}}

    def plan(self, address: Address, node: Node | None, prior: ResourceState | None,
             observed: Mapping[str, Any] | None) -> Change:
        if node is not None and prior is None and observed is not None:
            tags = observed.get("Tags") or {}
            if tags.get(MANAGED_TAG) != "migrator" or tags.get(LINEAGE_TAG) != self.lineage:
                raise MigratorError(f"{address} already exists and was not created by this state",
                                    hint="delete or rename that table, or rename the table in the contract")
            change = super().plan(address, node, ResourceState(address, dict(observed)), observed)
            if change.action is Action.NOOP:
                return Change(address, Action.UPDATE, Reason.UPDATE_BECAUSE_CREATED_BUT_NOT_RECORDED, before=observed,
                              after=node.public_config(), node=node, prior=None, observed=observed)
            return change
        return super().plan(address, node, prior, observed)

    def reruns_dependants_for(self, change: Change) -> bool:
        """A change of capacity or billing only (a raise left by a crashed load, autoscaling, the
        contract's capacity) loads nothing again; any other change of the table does."""
        if change.action is Action.UPDATE and change.attributes and all(
                a.path.split(".", 1)[0].split("[", 1)[0] in CAPACITY_PATHS for a in change.attributes):
            return False
        return self.reruns_dependants

    def change_kind(self, change: Change) -> Action:
        """Beyond `replace_paths`: a key attribute whose type changes (in `AttributeDefinitions`)."""
        if super().change_kind(change) is Action.REPLACE:
            return Action.REPLACE
        before = {a["AttributeName"]: a["AttributeType"] for a in (change.before or {}).get("AttributeDefinitions", [])}
        after_cfg = change.node.config if change.node else {}
        keys = {k["AttributeName"] for k in after_cfg.get("KeySchema", [])}
        after = {a["AttributeName"]: a["AttributeType"] for a in after_cfg.get("AttributeDefinitions", [])}
        if any(before.get(k) != after.get(k) for k in keys):
            return Action.REPLACE
        return Action.UPDATE

    async def holds_data(self, address: Address, ctx: RunContext) -> bool:
        """A table holds data while it exists and one counted scan finds an item."""
        if await ctx.facades.dynamodb.describe_table(address.name) is None:
            return False
        page = await ctx.facades.dynamodb.scan_page(address.name, limit=1, select="COUNT")
        return not (int(page.get("count") or 0) == 0 and not page.get("last_evaluated_key"))

    async def refuse_destroy(self, records: Sequence[ResourceState], ctx: RunContext) -> MigratorError | None:
        """A table with deletion protection cannot be deleted, but its indexes, views and jobs can:
        a destroy would stop halfway. Refused before anything is touched, saying how to go on."""
        protected = [r.address for r in records
                     if (await ctx.facades.dynamodb.describe_table(r.address.name) or {}).get("DeletionProtectionEnabled")]
        if not protected:
            return None
        names = ", ".join(str(a) for a in protected)
        return MigratorError(f"{names} {'has' if len(protected) == 1 else 'have'} deletion protection on, so destroy "
                             "would stop halfway; nothing was changed",
                             hint=f"to keep {'it' if len(protected) == 1 else 'them'}, `migrator state rm "
                                  f"{' '.join(str(a) for a in protected)}` and destroy the rest; to delete, first "
                                  + "; ".join(f"aws dynamodb update-table --table-name {a.name} "
                                              "--no-deletion-protection-enabled" for a in protected))

    def report_observed(self, change: Change) -> dict[str, Any] | None:
        """The table as read (its protection, backups, TTL) with the TTL attribute the contract declares."""
        if change.observed is None:
            return None
        return {**change.observed, "TimeToLiveAttribute": (change.node.config if change.node else {}).get(
            "TimeToLiveAttribute")}

    async def create(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        c = node.config
        await ctx.facades.dynamodb.create_table({
            "table_name": c["TableName"], "key_schema": c["KeySchema"], "attribute_definitions": c["AttributeDefinitions"],
            "global_secondary_indexes": c.get("GlobalSecondaryIndexes") or None, "billing_mode": c["BillingMode"],
            **({"provisioned_throughput": c["ProvisionedThroughput"]} if c.get("ProvisionedThroughput") else {}),
            "tags": {MANAGED_TAG: "migrator", LINEAGE_TAG: ctx.lineage}})
        ctx.report(node.address, "waiting for ACTIVE")
        await ctx.facades.dynamodb.wait_for_table(c["TableName"], "ACTIVE")
        return await self._observed(node, ctx)

    async def _observed(self, node: Node, ctx: ApplyContext) -> dict[str, Any]:
        observed = await self.read(node.address, node, None, ctx) or {}
        observed.pop("ItemCount", None)  # changes with every load; not part of the resource's identity
        if node.config.get("TimeToLiveAttribute"):  # declared, never enabled by migrator: the report compares
            observed["TimeToLiveAttribute"] = node.config["TimeToLiveAttribute"]
        return observed

    async def update(self, change: Change, ctx: ApplyContext) -> dict[str, Any]:
        assert change.node is not None
        node, name = change.node, change.node.address.name
        if change.observed is None:
            return await self.create(node, ctx)
        wanted = self.comparable(node.config)
        have = self.comparable(change.observed)
        if (have["BillingMode"], have.get("ProvisionedThroughput")) != (wanted["BillingMode"],
                                                                        wanted.get("ProvisionedThroughput")):
            changes: dict[str, Any] = {"billing_mode": wanted["BillingMode"]} \
                if have["BillingMode"] != wanted["BillingMode"] else {}
            if wanted["BillingMode"] == "PROVISIONED":
                changes["provisioned_throughput"] = wanted["ProvisionedThroughput"]
                if have["BillingMode"] != "PROVISIONED":  # AWS wants every index's capacity in the same call
                    desc = await ctx.facades.dynamodb.describe_table(name) or {}
                    changes["gsi_throughput"] = {g["IndexName"]: wanted["ProvisionedThroughput"]
                                                 for g in desc.get("GlobalSecondaryIndexes") or []}
            await ctx.facades.dynamodb.update_table(name, **changes)
            await ctx.facades.dynamodb.wait_for_table(name, "ACTIVE")
        return await self._observed(node, ctx)

    async def delete(self, address: Address, prior: ResourceState, ctx: ApplyContext) -> None:
        if await ctx.facades.dynamodb.delete_table(address.name) is not None:
            ctx.report(address, "waiting for deletion")
            await ctx.facades.dynamodb.wait_for_table(address.name, "DELETED")
