"""Properties of the whole flow, for generated small contracts and data (hypothesis).

For every generated schema, rows and contract: `apply` succeeds, `plan` right after is
empty, the items equal a plain Python computation from the generated rows (read back
with boto3), and `destroy` leaves no view, table, object, job or connection behind.
Everything is real: MariaDB, moto, stdio MCP servers, the local Glue runtime.
"""

from __future__ import annotations

import datetime as dt
import decimal
import inspect
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.contract.typed import build_contract
from migrator.contract.document import check_contract
from migrator.service.files import ApplyRequest
from migrator.service import session as session_module
from migrator.service.session import Session
from migrator.mcp.client import McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.facades import Facades
from migrator.planning.needs import operations_needed
from migrator.sandbox import lifecycle
from migrator.settings import Settings
from migrator.state.store import StateStore
from tests.conftest import root_connection
from tests.helpers import aws, scan_items

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
MONEY = st.decimals(min_value=-9999, max_value=9999, places=2, allow_nan=False, allow_infinity=False)
WHEN = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


@dataclass(frozen=True)
class Case:
    rows: list[dict[str, Any]]
    parents: list[dict[str, Any]]
    string_key: bool
    with_sk: bool
    with_join: bool
    with_gsi: bool


@st.composite
def cases(draw: st.DrawFn) -> Case:
    parents = [{"id": i, "name": draw(TEXT)} for i in range(1, draw(st.integers(0, 4)) + 1)]
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(1, n + 1):
        rows.append({
            "id": i,
            "label": draw(st.none() | TEXT),
            "amount": draw(st.none() | MONEY),
            "flag": draw(st.none() | st.integers(0, 1)),
            "seen": draw(st.none() | WHEN),
            "code": draw(TEXT.filter(bool)),
            "parent_id": draw(st.none() | st.integers(1, 6)),
        })
    return Case(rows, parents, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))


def _contract(case: Case, table: str, source: str, parent: str) -> dict[str, Any]:
    attrs: list[dict[str, Any]] = []
    if case.string_key:
        attrs.append({"name": "PK", "type": "S", "source_table": source, "source_column": "id",
                      "transformation": {"type": "string-format", "format": "ITEM#{id}"}})
    else:
        attrs.append({"name": "PK", "type": "N", "source_table": source, "source_column": "id"})
    if case.with_sk:
        attrs.append({"name": "SK", "type": "S", "source_table": source, "source_column": "id",
                      "transformation": {"type": "string-format", "format": "#META"}})
    attrs += [
        {"name": "label", "type": "S", "source_table": source, "source_column": "label"},
        {"name": "amount", "type": "N", "source_table": source, "source_column": "amount"},
        {"name": "flag", "type": "BOOL", "source_table": source, "source_column": "flag"},
        {"name": "seen", "type": "S", "source_table": source, "source_column": "seen"},
        {"name": "code", "type": "S", "source_table": source, "source_column": "code"},
    ]
    if case.with_join:
        attrs.append({"name": "parent_name", "type": "S", "source_table": source, "source_column": "parent_id",
                      "join": {"type": "foreign-key", "target_table": parent,
                               "join_condition": f"{parent}.id = {source}.parent_id",
                               "select_column": f"{parent}.name"}})
    doc: dict[str, Any] = {"table": table, "type": "single-entity", "source_table": source, "pk": "PK",
                           "sk": "SK" if case.with_sk else None, "attributes": attrs, "satisfies": ["AP1"],
                           "estimated_item_size_bytes": 100}
    if case.with_gsi:
        doc["gsis"] = [{"index_name": "ByCode", "pk": "code", "sk": "PK" if case.string_key else None,
                        "projection": "KEYS_ONLY"}]
    return {"tables": [doc]}


def _expected(case: Case) -> list[dict[str, Any]]:
    names = {p["id"]: p["name"] for p in case.parents}
    out = []
    for row in case.rows:
        item: dict[str, Any] = {"PK": f"ITEM#{row['id']}" if case.string_key else decimal.Decimal(row["id"])}
        if case.with_sk:
            item["SK"] = "#META"
        if row["label"] is not None:
            item["label"] = row["label"]
        if row["amount"] is not None:
            item["amount"] = decimal.Decimal(row["amount"])
        if row["flag"] is not None:
            item["flag"] = bool(row["flag"])
        if row["seen"] is not None:
            item["seen"] = row["seen"].strftime("%Y-%m-%dT%H:%M:%S.") + f"{row['seen'].microsecond // 1000:03d}Z"
        item["code"] = row["code"]
        if case.with_join and row["parent_id"] in names:
            item["parent_name"] = names[row["parent_id"]]
        out.append(item)
    return out


@pytest.fixture(scope="module")
def world(sandbox: lifecycle.SandboxRecord, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db = f"p_{uuid.uuid4().hex[:8]}"
    conn = root_connection(sandbox)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{db}`.* TO %s@%s", (sandbox.mysql_user, host))
    tmp = tmp_path_factory.mktemp("props")
    doc = lifecycle.mcp_config(sandbox)
    doc["mcpServers"]["migrator-mysql"]["env"]["MYSQL_DATABASE"] = db
    doc["mcpServers"]["migrator-glue"]["env"]["MIGRATOR_GLUE_LOCAL_DIR"] = str(tmp / "glue")
    config = parse_config(doc, None, {})
    with anyio.from_thread.start_blocking_portal() as portal:
        hub = portal.call(lambda: _enter(McpHub(config, log_dir=tmp / "logs")))
        try:
            yield {"portal": portal, "facades": Facades.open(hub), "config": config, "db": db, "tmp": tmp}
        finally:
            portal.call(hub.aclose)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE `{db}`")
            conn.close()


#: facade methods whose operation (doctor's word) has another name
OPERATION_OF = {"scan_page": "scan", "count_carrying": "count_items", "list_tags": "tags",
                "describe_continuous_backups": "continuous_backups", "describe_time_to_live": "time_to_live"}


class _Recording:
    """A role's adapter that notes every operation called on it (then does it)."""

    def __init__(self, inner: Any, role: str, calls: list[tuple[str, str]]) -> None:
        self._inner, self._role, self._calls = inner, role, calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(value):
            return value

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((self._role, name))
            return await value(*args, **kwargs)
        return call


def recording(facades: Facades, calls: list[tuple[str, str]]) -> Facades:
    return Facades(**{role: _Recording(getattr(facades, role), role, calls)  # type: ignore[arg-type]
                      for role in ("mysql", "dynamodb", "glue", "s3")})


async def _enter(hub: McpHub) -> McpHub:
    return await hub.__aenter__()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(case=cases())
def test_apply_then_plan_is_empty_items_match_and_destroy_leaves_nothing(
        sandbox: lifecycle.SandboxRecord, world: dict[str, Any], case: Case) -> None:
    tag = uuid.uuid4().hex[:8]
    source, parent, table = f"src_{tag}", f"par_{tag}", f"Prop_{tag}"
    conn = root_connection(sandbox, world["db"])
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE `{parent}` (id INT PRIMARY KEY, name VARCHAR(40)) CHARACTER SET utf8mb4")
        cur.execute(f"CREATE TABLE `{source}` (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2), "
                    "flag TINYINT(1), seen DATETIME(3), code VARCHAR(40) NOT NULL, parent_id INT) CHARACTER SET utf8mb4")
        cur.executemany(f"INSERT INTO `{parent}` VALUES (%(id)s, %(name)s)", case.parents)
        cur.executemany(f"INSERT INTO `{source}` VALUES (%(id)s, %(label)s, %(amount)s, %(flag)s, %(seen)s, "
                        "%(code)s, %(parent_id)s)", case.rows)
    doc = _contract(case, table, source, parent)
    assert not [f for f in check_contract(doc) if f.severity.value == "error"]
    contract = build_contract(doc, "generated.json")
    store = StateStore(world["tmp"] / f"state_{tag}")
    settings_ = Settings(bucket=f"prop-{tag}", prefix=f"{tag}/", job_prefix=f"p{tag}-", connection_name=f"c{tag}",
                         poll_seconds=0.2)
    calls: list[tuple[str, str]] = []
    session = Session(world["config"], recording(world["facades"], calls), settings_, store=store)

    compiles: list[str] = []            # each command compiles its contract once (Session.compile_for)
    compiled_by: dict[str, int] = {}

    async def counting_compile(*args: Any, **kwargs: Any) -> Any:
        compiles.append("compile")
        return await live_compile(*args, **kwargs)

    async def counted(command: str, body: Any) -> Any:
        before = len(compiles)
        result = await body
        compiled_by[command] = len(compiles) - before
        return result

    async def flow() -> dict[str, Any]:
        applied = await counted("apply", session.apply(contract, ApplyRequest(Path(contract.source),
                                                                                auto_approve=True)))
        assert not applied.planned.errors, applied.planned.plan.findings
        assert applied.result is not None and applied.result.ok, applied.result
        again = await counted("plan", session.plan(contract))
        await counted("report", session.report(contract))
        await counted("verify", session.verify(contract, 5, "prop"))
        items = scan_items(aws(sandbox, "dynamodb"), table)
        destroyed = await counted("destroy", session.destroy(auto_approve=True))
        return {"empty": again.plan.empty, "again": again.plan, "items": items, "destroyed": destroyed,
                "kinds": {a.kind for a in applied.planned.compiled.graph.nodes}}

    live_compile = session_module.compile_live
    session_module.compile_live = counting_compile
    try:
        out = world["portal"].call(flow)
    finally:
        session_module.compile_live = live_compile
    assert out["empty"], [(str(c.address), c.reason) for c in out["again"].actionable]
    assert compiled_by == {"apply": 1, "plan": 1, "report": 1, "verify": 1, "destroy": 0}, compiled_by
    # Every operation the flow called is one `doctor CONTRACT` requires of the servers for this plan.
    declared = operations_needed(out["kinds"])
    called = {(role, OPERATION_OF.get(method, method)) for role, method in calls}
    assert {(role, op) for role, op in called if op not in declared.get(role, {})} == set(), declared
    def key(item: dict[str, Any]) -> str:
        return str(item["PK"])

    assert sorted(out["items"], key=key) == sorted(_expected(case), key=key)
    assert out["destroyed"].ok and not out["destroyed"].state.resources and not store.read().resources
    # Nothing is left: checked directly, not through migrator.
    assert table not in aws(sandbox, "dynamodb").list_tables()["TableNames"]
    assert f"prop-{tag}" not in [b["Name"] for b in aws(sandbox, "s3").list_buckets()["Buckets"]]
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (world["db"],))
        assert cur.fetchone() == (0,)
        cur.execute(f"DROP TABLE `{source}`, `{parent}`")
    conn.close()
    glue = Path(world["tmp"] / "glue")
    assert not list((glue / "jobs").glob(f"p{tag}-*")) and not list((glue / "connections").glob(f"c{tag}*"))

