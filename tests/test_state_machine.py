"""A hypothesis state machine over contract edits, apply, destroy, drift made through the
backends and crashes between state writes. After every successful apply the plan is empty
and the state matches reality; data is never lost without --allow-data-loss; after destroy
nothing migrator created is left. Real MariaDB, moto, MCP servers and local Glue runtime;
the one injected fault is a state store that "loses power" after N writes.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from migrator.service.errors import PlanHasErrors
from migrator.service.files import ApplyRequest
from migrator.service.session import Applied, Session
from migrator.contract.typed import build_contract
from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.facades import Facades
from migrator.planning.options import PlanOptions
from migrator.sandbox import lifecycle
from migrator.settings import Settings
from migrator.state.model import State
from migrator.state.store import StateStore
from tests.conftest import root_connection
from tests.helpers import aws, stress

ROWS = [(1, "a", "x"), (2, "b", None), (3, "c", "y"), (4, "d", None), (5, "e", "z")]


def _log(text: str) -> None:
    import os
    import sys

    if os.environ.get("MACHINE_DEBUG"):
        print(text, file=sys.stderr)
    event(text)


class SimulatedCrash(Exception):
    """The process died between two state writes."""


class CrashingStore(StateStore):
    """A state store that writes `budget` times, then fails every write, like a dead process."""

    def __init__(self, directory: Path, budget: int) -> None:
        super().__init__(directory)
        object.__setattr__(self, "budget", budget)

    def write(self, state: State) -> State:
        if self.budget <= 0:  # type: ignore[attr-defined]
            raise SimulatedCrash()
        object.__setattr__(self, "budget", self.budget - 1)  # type: ignore[attr-defined]
        return super().write(state)


def contract_doc(table: str, knobs: dict[str, bool]) -> dict[str, Any]:
    if not knobs["present"]:
        return {"tables": []}
    attrs = [{"name": "PK", "type": "S", "source_table": "sm_src", "source_column": "id",
              "transformation": {"type": "string-format", "format": "ROW#{id}"}},
             {"name": "name", "type": "S", "source_table": "sm_src", "source_column": "name"}]
    if knobs["extra"]:
        attrs.append({"name": "tag", "type": "S", "source_table": "sm_src", "source_column": "tag"})
    doc: dict[str, Any] = {"table": table, "type": "single-entity", "source_table": "sm_src", "pk": "PK",
                           "sk": "name" if knobs["sk"] else None, "attributes": attrs, "satisfies": ["AP1"],
                           "estimated_item_size_bytes": 50}
    if knobs["gsi"]:
        doc["gsis"] = [{"index_name": "ByName", "pk": "name", "projection": "KEYS_ONLY"}]
    return {"tables": [doc]}


@pytest.fixture(scope="module")
def machine_world(sandbox: lifecycle.SandboxRecord, tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = f"sm_{uuid.uuid4().hex[:8]}"
    conn = root_connection(sandbox)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{db}`.* TO %s@%s", (sandbox.mysql_user, host))
        cur.execute(f"CREATE TABLE `{db}`.sm_src (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, tag VARCHAR(20))")
        cur.executemany(f"INSERT INTO `{db}`.sm_src VALUES (%s, %s, %s)", ROWS)
    tmp = tmp_path_factory.mktemp("machine")
    doc = lifecycle.mcp_config(sandbox)
    doc["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = db
    doc["mcpServers"]["migrator-glue"]["env"]["MIGRATOR_GLUE_LOCAL_DIR"] = str(tmp / "glue")
    config = parse_config(doc, None, {})
    with anyio.from_thread.start_blocking_portal() as portal:
        hub = McpHub(config, log_dir=tmp / "logs")
        try:
            yield {"portal": portal, "facades": Facades.open(hub), "config": config, "db": db, "tmp": tmp,
                   "sandbox": sandbox}
        finally:
            portal.call(hub.aclose)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE `{db}`")
            conn.close()


class Migration(RuleBasedStateMachine):
    world: dict[str, Any]

    @initialize()
    def setup(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.table = f"SM{tag}"
        self.view = f"ddb_sm{tag}_view"
        self.knobs = {"present": True, "gsi": False, "sk": False, "extra": False}
        self.directory = self.world["tmp"] / f"state_{tag}"
        self.settings = Settings(bucket=f"sm-{tag}", prefix=f"{tag}/", job_prefix=f"s{tag}-",
                                 connection_name=f"c{tag}", poll_seconds=0.1)
        self.converged = False  # the last apply succeeded and nothing changed since

    # -- helpers -------------------------------------------------------------------

    def _call(self, fn: Any) -> Any:
        return self.world["portal"].call(fn)

    def _session(self, store: StateStore) -> Session:
        return Session(self.world["config"], self.world["facades"], self.settings, store=store)

    def _contract(self) -> Any:
        return build_contract(contract_doc(self.table, self.knobs), "machine.json")

    def _plan(self, allow: bool, store: StateStore) -> Any:
        return self._call(lambda: self._session(store).plan(self._contract(), PlanOptions(allow_data_loss=allow)))

    def _items(self) -> int | None:
        ddb = aws(self.world["sandbox"], "dynamodb")
        if self.table not in ddb.list_tables()["TableNames"]:
            return None
        return int(ddb.scan(TableName=self.table, Select="COUNT")["Count"])

    def _apply(self, allow: bool, store: StateStore) -> Applied | None:
        """The apply of the CLI (plan under the lock, then execute); None when the plan was refused."""
        contract = self._contract()
        request = ApplyRequest(Path(contract.source), PlanOptions(allow_data_loss=allow), auto_approve=True)
        try:
            return self._call(lambda: self._session(store).apply(contract, request))
        except PlanHasErrors as refused:
            assert {f.code for f in refused.planned.errors} == {"safety.data_loss"}, refused.planned.errors
            assert not allow
            return None

    # -- rules -----------------------------------------------------------------------

    @rule(knob=st.sampled_from(["present", "gsi", "sk", "extra"]))
    def edit_contract(self, knob: str) -> None:
        _log("rule edit_contract")
        self.knobs[knob] = not self.knobs[knob]
        self.converged = False

    @rule(allow=st.booleans())
    def apply(self, allow: bool) -> None:
        _log("rule apply")
        before = self._items()
        applied = self._apply(allow, StateStore(self.directory))
        if applied is None:  # refused: protected data is untouched
            _log("apply refused: data loss")
            assert self._items() == before
            self.converged = False
            return
        assert applied.result is None or applied.result.ok, applied.result.failed
        _log(f"apply: {len(applied.result.done) if applied.result else 0} resources")
        self.converged = True

    @rule(budget=st.integers(min_value=0, max_value=10))
    def apply_and_crash(self, budget: int) -> None:
        _log("rule apply_and_crash")
        try:
            self._apply(True, CrashingStore(self.directory, budget))
        except* SimulatedCrash:
            _log("crashed")
        self.converged = False

    @rule()
    def drop_view_by_hand(self) -> None:
        _log("rule drop_view_by_hand")
        conn = root_connection(self.world["sandbox"], self.world["db"])
        with conn.cursor() as cur:
            cur.execute(f"DROP VIEW IF EXISTS `{self.view}`")
        conn.close()
        self.converged = False

    @rule()
    def drop_gsi_by_hand(self) -> None:
        _log("rule drop_gsi_by_hand")
        ddb = aws(self.world["sandbox"], "dynamodb")
        if self.table in ddb.list_tables()["TableNames"] and \
                ddb.describe_table(TableName=self.table)["Table"].get("GlobalSecondaryIndexes"):
            ddb.update_table(TableName=self.table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByName"}}])
            self.converged = False

    @rule()
    def destroy(self) -> None:
        _log("rule destroy")
        self._destroy()
        self.converged = False

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def converged_means_empty_plan_and_true_state(self) -> None:
        if not getattr(self, "converged", False):
            return
        assert self._plan(False, StateStore(self.directory)).plan.empty
        state = StateStore(self.directory).read()
        tables = {a.name for a in state.resources if a.kind == "dynamodb_table"}
        assert tables == ({self.table} if self.knobs["present"] else set())
        if self.knobs["present"]:
            assert self._items() == len(ROWS)  # every row, once

    def _destroy(self) -> None:
        store = StateStore(self.directory)
        result = self._call(lambda: self._session(store).destroy(auto_approve=True))
        assert result is None or result.ok, result.failed
        assert not store.read().resources

    def teardown(self) -> None:
        if not hasattr(self, "table"):
            return
        # A crash may have left things the state never recorded: a final apply adopts them, then destroy.
        self.knobs["present"] = True
        applied = self._apply(True, StateStore(self.directory))
        assert applied is not None and (applied.result is None or applied.result.ok)
        self._destroy()
        sandbox = self.world["sandbox"]
        assert self.table not in aws(sandbox, "dynamodb").list_tables()["TableNames"]
        assert self.settings.bucket not in [b["Name"] for b in aws(sandbox, "s3").list_buckets()["Buckets"]]
        conn = root_connection(sandbox, self.world["db"])
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (self.world["db"],))
            assert cur.fetchone() == (0,)
        conn.close()
        glue = self.world["tmp"] / "glue"
        assert not list((glue / "jobs").glob(f"{self.settings.job_prefix}*"))
        assert not list((glue / "connections").glob(f"{self.settings.connection_name}*"))


def test_state_machine(machine_world: dict[str, Any]) -> None:
    Migration.world = machine_world
    run_state_machine_as_test(Migration, settings=settings(max_examples=stress(6), stateful_step_count=10, deadline=None,
                                                           suppress_health_check=list(HealthCheck)))
