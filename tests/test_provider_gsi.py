"""The index provider's pure plan: what is a replace, what is adopted (no I/O)."""

from __future__ import annotations

from typing import Any

from migrator.graph import Address, Node
from migrator.plan.model import Action, Reason
from migrator.providers.dynamodb_gsi import DynamoGsiProvider
from migrator.state.model import ResourceState

ADDRESS = Address("dynamodb_gsi", "Orders/ByStatus")


def _config(kind: str = "S", projection: str = "KEYS_ONLY") -> dict[str, Any]:
    return {"TableName": "Orders", "IndexName": "ByStatus", "Projection": {"ProjectionType": projection},
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "status", "AttributeType": kind}]}


def _observed(kind: str = "S", status: str = "ACTIVE") -> dict[str, Any]:
    """As `read` shapes DescribeTable: the index and the types of its keys."""
    return {**DynamoGsiProvider().comparable(_config(kind)), "IndexStatus": status}


def test_a_key_type_change_replaces_the_index() -> None:
    node = Node(ADDRESS, _config("N"))
    change = DynamoGsiProvider().plan(ADDRESS, node, ResourceState(ADDRESS, _observed("S")), _observed("S"))
    assert change.action is Action.REPLACE
    assert [c.path.split("[")[0] for c in change.attributes] == ["AttributeDefinitions"]


def test_a_projection_change_replaces_the_index_and_the_same_index_is_no_change() -> None:
    provider = DynamoGsiProvider()
    prior = ResourceState(ADDRESS, _observed())
    assert provider.plan(ADDRESS, Node(ADDRESS, _config(projection="ALL")), prior, _observed()).action is Action.REPLACE
    assert provider.plan(ADDRESS, Node(ADDRESS, _config()), prior, _observed()).action is Action.NOOP


def test_an_index_whose_backfill_outlived_the_wait_is_adopted_not_rebuilt() -> None:
    """The create timed out (tainted) while DynamoDB went on building it: wait and record it."""
    node = Node(ADDRESS, _config())
    tainted = ResourceState(ADDRESS, {"error": "not ACTIVE after 7200 s"}, status="tainted")
    change = DynamoGsiProvider().plan(ADDRESS, node, tainted, _observed(status="CREATING"))
    assert (change.action, change.reason) == (Action.UPDATE, Reason.UPDATE_BECAUSE_CREATED_BUT_NOT_RECORDED)
    # one that is not as the contract says is replaced
    other = DynamoGsiProvider().plan(ADDRESS, Node(ADDRESS, _config("N")), tainted, _observed("S", "CREATING"))
    assert other.action is Action.REPLACE


def test_index_changes_are_exclusive_per_table() -> None:
    provider = DynamoGsiProvider()
    assert provider.exclusive_group(ADDRESS) == provider.exclusive_group(Address("dynamodb_gsi", "Orders/Other"))
    assert provider.exclusive_group(ADDRESS) != provider.exclusive_group(Address("dynamodb_gsi", "Users/ByStatus"))
