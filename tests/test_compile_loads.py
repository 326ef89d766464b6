"""The `load` extension: contract checks, the engine chosen at plan time and why, and which
option changes a finished load runs again for (none of the tuning ones).

Pure: a hand-made schema, no database (the estimate is what describe_schema would report)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.compile.contract import SourceCredentials, compile_contract
from migrator.compile.loads import choose_engine
from migrator.contract.document import check_contract, read_contract
from migrator.contract.model import LoadOptions
from migrator.findings import Severity
from migrator.graph import Address
from migrator.mysql_schema import ColumnInfo, SchemaInfo, ServerInfo, TableInfo
from migrator.plan.model import Action, Change, Plan, Reason
from migrator.plan.render_json import plan_json
from migrator.plan.render_text import render_plan
from migrator.settings import Settings

SERVER = ServerInfo("10.11.0-MariaDB", "mariadb", (10, 11, 0), "", False, "+00:00", "shop", "u@h")
SOURCE = SourceCredentials("h", 3306, "u", "pw", "shop")


def schema(rows: int | None) -> SchemaInfo:
    cols = (ColumnInfo("id", "int", "int(11)", False, "PRI"), ColumnInfo("status", "varchar", "varchar(20)", True),
            ColumnInfo("version", "int", "int(11)", False), ColumnInfo("note", "varchar", "varchar(20)", True))
    return SchemaInfo("shop", {"orders": TableInfo("orders", "table", cols, ("id",), (), rows)})


def contract_doc(load: dict[str, Any] | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {
        "table": "Orders", "type": "single-entity", "source_table": "orders", "pk": "id",
        "satisfies": [], "estimated_item_size_bytes": 100,
        "attributes": [{"name": "id", "type": "N", "source_table": "orders", "source_column": "id"},
                       {"name": "status", "type": "S", "source_table": "orders", "source_column": "status"},
                       {"name": "version", "type": "N", "source_table": "orders", "source_column": "version"},
                       {"name": "note", "type": "S", "source_table": "orders", "source_column": "note"}]}
    if load is not None:
        table["load"] = load
    return {"tables": [table]}


def compiled(tmp_path: Path, load: dict[str, Any] | None, rows: int | None = 10,
             settings_: Settings | None = None) -> Any:
    path = tmp_path / f"c{abs(hash(json.dumps(load, sort_keys=True)))}.json"
    path.write_text(json.dumps(contract_doc(load)))
    contract, findings = read_contract(path)
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    return compile_contract(contract, schema(rows), SERVER, settings_ or Settings(), SOURCE)


def nodes(c: Any) -> tuple[Any, Any, bytes]:
    job = c.graph.nodes[Address("glue_job", "migrator-load-Orders")]
    load = c.graph.nodes[Address("load", "Orders")]
    script = c.artifacts["migrator/scripts/load_Orders.py"]
    return job, load, script


# ----------------------------------------------------------------------------- the engine


def test_auto_picks_spark_from_the_estimate_and_says_why() -> None:
    assert choose_engine(LoadOptions(), "orders", 999_999, 1_000_000).command == "pythonshell"
    spark = choose_engine(LoadOptions(), "orders", 1_000_000, 1_000_000)
    assert (spark.command, spark.workers, spark.worker_type, spark.partitions) == ("glueetl", 2, "G.1X", 8)
    assert spark.describe() == ("glueetl, 2 × G.1X workers, 8 partitions "
                                "(auto: ~1,000,000 rows in `orders` ≥ 1,000,000)")
    assert choose_engine(LoadOptions(), "orders", None, 10).describe() == \
        "pythonshell (auto: no row estimate for `orders`)"
    pinned = choose_engine(LoadOptions(engine="pythonshell"), "orders", 10**9, 10)
    assert pinned.describe() == "pythonshell (engine pythonshell in the contract)"
    big = choose_engine(LoadOptions(engine="spark", workers=10, worker_type="G.2X", partitions=64), "orders", 5, 10)
    assert (big.workers, big.worker_type, big.partitions) == (10, "G.2X", 64)


def test_a_spark_load_compiles_to_a_glueetl_job(tmp_path: Path) -> None:
    job, load, script = nodes(compiled(tmp_path, {"engine": "auto", "writers": 4, "max_items_per_second": 500,
                                                  "partition_column": "id", "fetch_size": 5000}, rows=2_000_000))
    assert job.config["Command"]["Name"] == "glueetl" and job.config["GlueVersion"] == "5.0"
    assert (job.config["WorkerType"], job.config["NumberOfWorkers"]) == ("G.1X", 2)
    assert "MaxCapacity" not in job.config
    assert job.config["DefaultArguments"] == {
        "--extra-py-files": "s3://migrator-artifacts/migrator/runtime/migrator_runtime.zip",
        "--job-language": "python", "--writers": "4", "--fetch_size": "5000", "--max_items_per_second": "500",
        "--partitions": "8", "--partition_column": "id"}
    assert b"migrator.runtime.spark_load" in script and b'"write_mode": "overwrite"' in script
    assert load.notes == {"engine": "glueetl, 2 × G.1X workers, 8 partitions (auto: ~2,000,000 rows in `orders` "
                                    "≥ 1,000,000)", "rows_estimate": 2_000_000,
                          "reject_budget": {"rows": None, "percent": None, "where": "$.tables[0].load"}}
    assert load.config["progress_prefix"] == "migrator/progress/Orders/"


def test_a_small_table_gets_a_python_shell_job(tmp_path: Path) -> None:
    job, _load, script = nodes(compiled(tmp_path, None, rows=10))
    assert job.config["Command"]["Name"] == "pythonshell" and job.config["MaxCapacity"] == 0.0625
    assert "WorkerType" not in job.config and "--partitions" not in job.config["DefaultArguments"]
    assert b"migrator.runtime.load import main" in script
    assert b'"progress_s3_uri": "s3://migrator-artifacts/migrator/progress/Orders/"' in script


def test_the_spark_threshold_is_a_setting(tmp_path: Path) -> None:
    job, _, _ = nodes(compiled(tmp_path, None, rows=10, settings_=Settings(spark_threshold_rows=5)))
    assert job.config["Command"]["Name"] == "glueetl"


def test_tuning_changes_the_job_not_the_load_and_write_semantics_change_the_load(tmp_path: Path) -> None:
    base_job, base_load, _ = nodes(compiled(tmp_path, None, rows=10))
    for tuning in ({"writers": 16}, {"max_items_per_second": 100}, {"engine": "spark"},
                   {"engine": "spark", "workers": 5, "partitions": 3}):
        job, load, _ = nodes(compiled(tmp_path, tuning, rows=10))
        assert job.fingerprint != base_job.fingerprint, tuning
        assert load.fingerprint == base_load.fingerprint, tuning
    for semantic in ({"write_mode": "insert_only"}, {"write_mode": "version_guarded", "version_column": "version"}):
        _, load, script = nodes(compiled(tmp_path, semantic, rows=10))
        assert load.fingerprint != base_load.fingerprint, semantic
        assert f'"write_mode": "{semantic["write_mode"]}"'.encode() in script


def test_a_rejection_budget_is_a_judgement_not_an_input(tmp_path: Path) -> None:
    """Changing max_rejected_rows / _percent never reloads a load: only its notes carry the budget."""
    _, base, _ = nodes(compiled(tmp_path, None, rows=10))
    for budget in ({"max_rejected_rows": 5}, {"max_rejected_percent": 2.5},
                   {"max_rejected_rows": 0, "max_rejected_percent": 100}):
        _, load, _ = nodes(compiled(tmp_path, budget, rows=10))
        assert load.fingerprint == base.fingerprint, budget
        noted = load.notes["reject_budget"]
        assert (noted["rows"], noted["percent"]) == (budget.get("max_rejected_rows"),
                                                    budget.get("max_rejected_percent")), budget
    _, load, _ = nodes(compiled(tmp_path, {"max_rejected_rows": 5}, rows=10))
    plan = Plan((Change(load.address, Action.CREATE, Reason.CREATE_BECAUSE_NEW, after=load.public_config(),
                        node=load),), lineage="l", serial=1)
    assert "      # rejections: at most 5 rows may be rejected ($.tables[0].load)" in render_plan(plan)


def test_a_moving_estimate_changes_nothing_compared(tmp_path: Path) -> None:
    """TABLE_ROWS is approximate and moves between plans: only the notes follow it."""
    a, b = compiled(tmp_path, None, rows=10), compiled(tmp_path, None, rows=90_000)
    assert {n: v.fingerprint for n, v in a.graph.nodes.items()} == {n: v.fingerprint for n, v in b.graph.nodes.items()}
    assert a.graph.nodes[Address("load", "Orders")].notes["rows_estimate"] == 10


def test_the_plan_shows_the_engine_beside_the_load(tmp_path: Path) -> None:
    _, load, _ = nodes(compiled(tmp_path, {"engine": "spark"}, rows=10))
    plan = Plan((Change(load.address, Action.CREATE, Reason.CREATE_BECAUSE_NEW, after=load.public_config(),
                        node=load),), lineage="l", serial=1)
    text = render_plan(plan)
    assert "      # engine: glueetl, 2 × G.1X workers, 8 partitions (engine spark in the contract)" in text
    assert "rows estimate" not in text  # a number moving between plans: only in the JSON notes
    doc = plan_json(plan)
    assert doc["notes"] == {"load.Orders": {"engine": load.notes["engine"], "rows_estimate": 10,
                                            "reject_budget": {"rows": None, "percent": None,
                                                              "where": "$.tables[0].load"}}}
    moved = Plan((Change(load.address, Action.CREATE, Reason.CREATE_BECAUSE_NEW, after=load.public_config(),
                         node=dataclasses.replace(load, notes={**load.notes, "rows_estimate": 99})),), lineage="l", serial=1)
    assert plan_json(moved)["fingerprint"] == doc["fingerprint"]


# ----------------------------------------------------------------------------- contract checks


def findings_of(load: Any, entity_load: Any = None) -> list[tuple[str, str, str]]:
    doc = contract_doc(load)
    if entity_load is not None:
        table = doc["tables"][0]
        attrs = table.pop("attributes")
        table.update(type="multi-entity", pk="PK", sk="SK")
        table["entities"] = [{"entity_type": "ORDER", "source_table": "orders", "pk_template": "O#{id}",
                              "sk_template": "V#{version}", "attributes": attrs, "load": entity_load}]
    return [(f.severity.value, f.path, f.message) for f in check_contract(doc)]


def test_load_option_findings_name_the_path_and_the_fix() -> None:
    assert findings_of({"write_mode": "version_guarded"}) == [
        ("error", "$.tables[0].load.write_mode", "write_mode version_guarded needs a version_column for table `Orders`")]
    assert findings_of({"write_mode": "version_guarded", "version_column": "nope"}) == [
        ("error", "$.tables[0].load.version_column", "version_column `nope` is not an attribute of table `Orders`")]
    assert findings_of({"partition_column": "status"}) == [
        ("error", "$.tables[0].load.partition_column", "partition_column `status` of table `Orders` is of type S, "
                                                        "not N")]
    assert findings_of({"engine": "pythonshell", "partitions": 4}) == [
        ("warning", "$.tables[0].load.partitions", "`partitions` is ignored by the pythonshell engine")]
    assert findings_of({"write_mode": "insert_only", "version_column": "version"}) == [
        ("warning", "$.tables[0].load.version_column", "`version_column` is ignored with write_mode insert_only")]
    assert findings_of({"write_mode": "version_guarded", "version_column": "version", "partition_column": "id"}) == []
    # the rules the load job applies to its item spec (runtime.spec.write_mode_problems), asked here too
    assert findings_of({"write_mode": "version_guarded", "version_column": "id"}) == [
        ("error", "$.tables[0].load.version_column", "version_column `id` of table `Orders` is a table key, which "
                                                      "never changes, so no row could ever be newer")]


def test_an_entity_inherits_the_table_load_and_findings_point_where_the_key_was_written() -> None:
    assert findings_of({"write_mode": "version_guarded"}, {"version_column": "status"}) == []
    assert findings_of({"write_mode": "version_guarded", "version_column": "gone"}, {}) == [
        ("error", "$.tables[0].load.version_column", "version_column `gone` is not an attribute of entity `ORDER`")]
    assert findings_of({}, {"write_mode": "version_guarded", "version_column": "gone"}) == [
        ("error", "$.tables[0].entities[0].load.version_column",
         "version_column `gone` is not an attribute of entity `ORDER`")]


def test_schema_findings_for_load_values() -> None:
    got = findings_of({"engine": "sparks", "writers": 0, "workers": 1.5})
    assert [(s, p) for s, p, _ in got] == [("error", "$.tables[0].load.engine"), ("error", "$.tables[0].load.workers"),
                                           ("error", "$.tables[0].load.writers")]


LOAD_VALUES = st.fixed_dictionaries({}, optional={
    "engine": st.sampled_from(["auto", "pythonshell", "spark", "sparks", 3]),
    "workers": st.one_of(st.integers(-1, 400), st.just("2")),
    "partitions": st.integers(0, 2000), "writers": st.integers(0, 100),
    "max_items_per_second": st.one_of(st.floats(allow_nan=False), st.just(0)),
    "write_mode": st.sampled_from(["overwrite", "insert_only", "version_guarded", "upsert"]),
    "version_column": st.sampled_from(["version", "status", "id", "nope"]),
    "partition_column": st.sampled_from(["id", "status", "nope"]),
    "worker_type": st.sampled_from(["G.1X", "G.8X", "Z.1X"])})


@settings(max_examples=150, deadline=None)
@given(LOAD_VALUES)
def test_any_load_block_validates_or_fails_with_a_sentence_at_its_path(load: dict[str, Any]) -> None:
    for _severity, path, message in findings_of(load):
        assert path.startswith("$.tables[0].load"), (path, message)
        assert message and "\n" not in message and "Traceback" not in message
    if not any(s == "error" for s, _, _ in findings_of(load)):
        doc = contract_doc(load)
        contract = read_contract_doc(doc)
        engine = choose_engine(contract.tables[0].load, "orders", 10, 1_000_000)
        assert engine.command in ("pythonshell", "glueetl")


def read_contract_doc(doc: dict[str, Any]) -> Any:
    from migrator.contract.typed import build_contract

    return build_contract(doc)


@pytest.mark.parametrize("value", [0, -5, "fast"])
def test_a_bad_budget_is_a_schema_error(value: Any) -> None:
    assert [s for s, p, _ in findings_of({"max_items_per_second": value})
            if p == "$.tables[0].load.max_items_per_second"] == ["error"]
