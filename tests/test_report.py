"""The report built from a state: figures, guidance, formats (text, JSON against its schema,
markdown within a pull-request comment's limit), byte-identical for the same state.

The states here are written by hand, so every expected figure is computed from the records
the test wrote, not from the report code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from migrator.graph import Address
from migrator.report.build import build_report
from migrator.report.render_html import render_html
from migrator.report.render_markdown import MAX_CHARS, render_markdown
from migrator.report.render_text import render_report, summary_lines
from migrator.state.model import ResourceState, State
from tests.helpers import browser_dom, shown_figures

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


def load_record(table: str, read: int, written: int, rejected: int = 0, skipped: int = 0, throttles: int = 0,
                seconds: float = 10.0, wcu: float = 0.0, budget: int | None = None) -> dict[str, Any]:
    return {"reject_budget": {"rows": budget, "percent": None, "where": "$.tables[0].load"},
            "finished": True, "within_budget": rejected <= (budget or 0), "table": table, "view": f"v_{table.lower()}", "state": "SUCCEEDED", "rows_read": read,
            "items_written": written, "items_rejected": rejected, "items_skipped": skipped,
            "rejected_by_reason": {"key_empty:name": rejected} if rejected else {},
            "samples": [{"reason": "key_empty", "attribute": "name", "detail": "", "key": {"id": 7}}] if rejected else [],
            "duration_seconds": seconds, "rows_per_second": round(read / seconds, 1),
            "writer": {"retries": throttles, "throttles": throttles, "consumed_wcu": wcu},
            "result_bucket": "b", "rejects_prefix": f"migrator/rejects/{table}/", "rejects_logged": rejected,
            "engine": "pythonshell"}


def state_of(records: dict[str, tuple[dict[str, Any], str]]) -> State:
    resources = {Address.parse(a): ResourceState(Address.parse(a), attrs, status=status,
                                                 updated_at=f"2026-12-0{1 + n % 9}T00:00:00Z")
                 for n, (a, (attrs, status)) in enumerate(sorted(records.items()))}
    return State(lineage="L", serial=7, resources=resources)


def shop_state() -> State:
    return state_of({
        "dynamodb_table.Orders": ({"TableName": "Orders", "BillingMode": "PROVISIONED",
                                   "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 10},
                                   "PointInTimeRecoveryStatus": "DISABLED", "DeletionProtectionEnabled": True,
                                   "TimeToLive": {"TimeToLiveStatus": "DISABLED", "AttributeName": None},
                                   "TimeToLiveAttribute": "expires_at"}, "ok"),
        "dynamodb_gsi.Orders/ByCustomer": ({"IndexName": "ByCustomer"}, "ok"),
        "dynamodb_table.Users": ({"TableName": "Users", "BillingMode": "PAY_PER_REQUEST"}, "ok"),
        "mysql_view.v_orders": ({"name": "v_orders"}, "ok"),
        "load.Orders": (load_record("Orders", 1000, 990, rejected=4, skipped=6, throttles=3, wcu=990.0, budget=5),
                        "ok"),
        "load.Users": (load_record("Users", 50, 50, seconds=2.0, wcu=50.0), "ok"),
        "check.Orders": ({"ok": True, "view_rows": 1000, "table_items": 996, "distinct_keys": 996,
                          "overwritten": 0, "problems": [], "indexes": [
                              {"index": "ByCustomer", "keys": ["customer_id"], "index_items": 990, "carrying": 990,
                               "expected_min": 990, "expected_max": 992, "ok": True},
                              {"index": "ByCoupon", "keys": ["coupon", "at"], "index_items": 0, "carrying": 0,
                               "expected_min": 0, "expected_max": 0, "ok": True}],
                          "sample": {"sampled": 1000, "compared": 996, "matching": 996, "missing": 0,
                                     "differing": 0, "ok": True, "differences": []}}, "ok"),
        "check.Users": ({"ok": False, "view_rows": 50, "table_items": 49, "distinct_keys": 50, "overwritten": 2,
                         "problems": ["the table holds 49 items but the views have 50 distinct loadable keys"],
                         "sample": {"sampled": 50, "compared": 50, "matching": 49, "missing": 1, "differing": 0,
                                    "ok": False, "differences": [{"sentence": "Users item id=3 is missing"}]}},
                        "tainted"),
    })


def test_figures_per_table_and_totals() -> None:
    report = build_report(shop_state())
    orders, users = report.tables
    assert (orders.name, orders.billing_mode, orders.read_units, orders.write_units, orders.indexes) == (
        "Orders", "PROVISIONED", 5, 10, ["ByCustomer"])
    load = orders.loads[0]
    assert (load.rows_read, load.items_written, load.items_rejected, load.items_skipped) == (1000, 990, 4, 6)
    assert load.success_rate == (990 + 6) / 1000 and load.throttles == 3 and load.consumed_wcu == 990.0
    assert load.rejects_location == "s3://b/migrator/rejects/Orders/"
    assert load.rejected_samples == [{"key": {"id": 7}, "reason": "key_empty", "attribute": "name"}]
    assert users.billing_mode == "PAY_PER_REQUEST" and users.read_units is None
    assert (orders.protection.point_in_time_recovery, orders.protection.deletion_protection,
            orders.protection.ttl_declared, orders.protection.ttl_status) == (False, True, "expires_at", "DISABLED")
    assert users.protection.point_in_time_recovery is None   # a state that never read them
    assert orders.check is not None and [(i.index, i.index_items, i.carrying, i.expected_min, i.expected_max)
                                         for i in orders.check.indexes] == [("ByCustomer", 990, 990, 990, 992),
                                                                            ("ByCoupon", 0, 0, 0, 0)]
    assert users.check is not None and not users.check.ok and users.check.sample is not None
    assert users.check.sample["differences"] == ["Users item id=3 is missing"]
    assert report.totals == {"tables": 2, "loads": 2, "rows_read": 1050, "items_written": 1040, "items_rejected": 4,
                             "items_skipped": 6, "success_rate": round(1046 / 1050, 6), "load_seconds": 12.0,
                             "retries": 3, "throttles": 3, "consumed_wcu": 1040.0, "checks_failed": 1,
                             "loads_failed": 0}
    assert report.problems == ["check.Users failed: the table holds 49 items but the views have 50 distinct "
                               "loadable keys"]
    assert not report.ok and report.last_change == max(r.updated_at for r in shop_state().resources.values())


def test_guidance_follows_what_was_seen() -> None:
    report = build_report(shop_state())
    topics = {(a.topic, a.table) for a in report.advice}
    assert {("check_failed", "Users"), ("rejected_rows", "Orders"), ("key_collisions", "Users"),
            ("throttling", "Orders"), ("billing", "Orders"), ("billing", "Users"), ("backups", "Orders")} <= topics
    assert ("throttling", "Users") not in topics and ("rejected_rows", "Users") not in topics
    assert ("cut_over", None) not in topics             # a check failed: not done, so no cut-over
    rejected = next(a for a in report.advice if a.topic == "rejected_rows")
    assert "4 rows of v_orders" in rejected.sentence and "s3://b/migrator/rejects/Orders/" in rejected.sentence
    assert "within the load's budget of 5 rows" in rejected.sentence
    assert rejected.commands == ["migrator apply CONTRACT -replace load.Orders"]
    records = {str(a): (dict(r.attributes), r.status) for a, r in shop_state().resources.items()}
    records["check.Users"] = ({"ok": True, "view_rows": 50, "table_items": 50, "distinct_keys": 50}, "ok")
    done = build_report(state_of(records))
    assert done.ok and done.problems == []
    cut = next(a for a in done.advice if a.topic == "cut_over")
    assert cut.commands == ["migrator state rm dynamodb_gsi.Orders/ByCustomer dynamodb_table.Orders "
                            "dynamodb_table.Users", "migrator destroy"]
    alarm = next(a for a in report.advice if a.topic == "throttling").commands[0]
    assert "--dimensions Name=TableName,Value=Orders" in alarm
    backups = {a.table: a for a in report.advice if a.topic == "backups"}
    assert backups["Orders"].sentence.startswith("Orders has point-in-time recovery off:")
    assert backups["Orders"].commands == ["aws dynamodb update-continuous-backups --table-name Orders "
                                          "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"]
    assert "has not read them" in backups["Users"].sentence and len(backups["Users"].commands) == 2
    (ttl,) = [a for a in report.advice if a.topic == "ttl"]
    assert ttl.table == "Orders" and "declares ttl_attribute expires_at but time to live is disabled" in ttl.sentence
    assert ttl.commands == ["aws dynamodb update-time-to-live --table-name Orders --time-to-live-specification "
                            "Enabled=true,AttributeName=expires_at"]
    (empty,) = [a for a in report.advice if a.topic == "empty_index"]
    assert empty.sentence.startswith("Index Orders.ByCoupon holds no items: no item of Orders carries its key "
                                     "attributes (coupon, at).")


def test_guidance_reads_the_live_settings_when_the_plan_gave_them() -> None:
    live = {"Orders": {"PointInTimeRecoveryStatus": "ENABLED", "DeletionProtectionEnabled": True,
                       "TimeToLive": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"},
                       "TimeToLiveAttribute": "expires_at"},
            "Users": {"PointInTimeRecoveryStatus": "ENABLED", "DeletionProtectionEnabled": False,
                      "TimeToLive": {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone_at"}}}
    report = build_report(shop_state(), live=live)
    by = {(a.topic, a.table): a for a in report.advice}
    assert ("backups", "Orders") not in by and ("ttl", "Orders") not in by     # all on, as declared
    assert by[("backups", "Users")].sentence.startswith("Users has deletion protection off:")
    assert "enabled on gone_at, which the contract does not declare" in by[("ttl", "Users")].sentence
    wrong = build_report(shop_state(), live={"Orders": {**live["Orders"], "TimeToLive": {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "created_at"}}})
    (ttl,) = [a for a in wrong.advice if a.topic == "ttl"]
    assert "enabled on created_at, but the contract declares expires_at" in ttl.sentence and len(ttl.commands) == 2


def test_json_matches_its_schema_and_the_published_copy_is_the_packaged_one() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert (REPO / "schemas" / "report.schema.json").read_bytes() == (
        REPO / "migrator" / "report" / "report.schema.json").read_bytes()
    doc = build_report(shop_state(), warnings=["warning: something"]).to_json()
    VALIDATOR.validate(doc)
    VALIDATOR.validate(build_report(State(lineage="")).to_json())
    assert json.dumps(doc, sort_keys=True) == json.dumps(build_report(shop_state(), ["warning: something"]).to_json(),
                                                          sort_keys=True)


def test_text_and_summary() -> None:
    report = build_report(shop_state())
    text = render_report(report)
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith(("Orders", "Users", "TOTAL"))}
    assert "1,000" in rows["Orders"] and "99.60%" in rows["Orders"] and "ok (sample 996/996 match)" in rows["Orders"]
    assert "FAILED (sample 49/50 match)" in rows["Users"] and "1 failed" in rows["TOTAL"]
    assert ("load.Orders: 4 (key_empty:name 4), listed in s3://b/migrator/rejects/Orders/, within budget 5 rows"
            in text)
    assert "check.Users: the table holds 49 items" in text
    settings = {line.split()[0]: line.split(None, 1)[1] for line in text.split("\nTables\n")[1].split("\n\n")[0]
                .splitlines()[1:]}
    assert settings["Orders"].split() == ["provisioned", "5/10", "ByCustomer", "off", "on", "expires_at",
                                          "declared,", "disabled"]
    assert settings["Users"].split() == ["on-demand", "-", "not", "read", "not", "read", "not", "read"]
    coverage = [line.split() for line in text.split("\nIndex coverage")[1].split("\n\n")[0].splitlines()[2:]]
    assert coverage == [["Orders.ByCustomer", "customer_id", "990", "990", "990-992", "ok"],
                        ["Orders.ByCoupon", "coupon,", "at", "0", "0", "0", "ok"]]
    assert summary_lines(report, "here") == [
        "Report: 2 table(s), 1,050 rows read, 1,040 items written, 4 rejected, success 99.62%; check.Users failed: "
        "the table holds 49 items but the views have 50 distinct loadable keys.",
        "The full report: here"]
    assert "nothing was migrated yet" in render_report(build_report(State(lineage="")))


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.integers(min_value=0, max_value=30))
def test_markdown_stays_within_a_comment_and_its_fences_close(tables: int, problems: int) -> None:
    records: dict[str, tuple[dict[str, Any], str]] = {}
    for n in range(tables):
        name = f"Table{n:04d}WithAFairlyLongName"
        records[f"dynamodb_table.{name}"] = ({"TableName": name, "BillingMode": "PAY_PER_REQUEST"}, "ok")
        records[f"load.{name}"] = (load_record(name, 100, 90, rejected=10, throttles=1, wcu=90.0), "ok")
        records[f"check.{name}"] = ({"ok": False, "problems": [f"problem {i} | with a pipe" for i in range(problems)]},
                                    "tainted")
    text = render_markdown(build_report(state_of(records)))
    assert len(text) <= MAX_CHARS
    assert text.count("```") % 2 == 0
    assert text.startswith("### migrator report: ❌")


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_the_html_page_shows_in_chromium_exactly_the_figures_of_the_json(tmp_path: Path) -> None:
    state = shop_state()
    orders = state.resources[Address.parse("load.Orders")]
    timeline = [[2.0, 300, 290], [4.0, 700, 690], [6.5, 1000, 990]]
    state = State(lineage=state.lineage, serial=state.serial, resources={
        **state.resources, orders.address: ResourceState(orders.address, {**orders.attributes, "timeline": timeline},
                                                         updated_at=orders.updated_at)})
    report = build_report(state)
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    assert "<script" not in page.read_text() and "http://" not in page.read_text().replace(
        "http://www.w3.org/2000/svg", "")   # self-contained: nothing fetched
    dom = browser_dom(page)
    shown = shown_figures(dom)
    doc = report.to_json()
    for table in doc["tables"]:
        name = table["name"]
        (load,) = table["loads"]
        for field in ("rows_read", "items_written", "items_rejected", "items_skipped", "retries", "throttles",
                      "consumed_wcu"):
            assert number(shown[(name, field)]) == load[field], (name, field)
        assert number(shown[(name, "success_rate")]) == round(load["success_rate"] * 100, 2)
        assert number(shown[(name, "duration_seconds")]) == load["duration_seconds"]
    totals = doc["totals"]
    for field in ("rows_read", "items_written", "items_rejected", "items_skipped", "retries", "throttles"):
        assert number(shown[("TOTAL", field)]) == totals[field], field
    assert shown[("Users", "check")].startswith("FAILED") and shown[("Orders", "check")].startswith("ok")
    for table in doc["tables"]:
        protection = table["protection"]
        for field in ("point_in_time_recovery", "deletion_protection"):
            assert shown[(table["name"], field)] == {None: "not read", True: "on", False: "off"}[protection[field]]
        for index in (table["check"] or {}).get("indexes", []):
            row = f"{table['name']}.{index['index']}"
            assert (number(shown[(row, "index_items")]), number(shown[(row, "carrying")])) == (
                index["index_items"], index["carrying"])
            assert shown[(row, "expected")] == (str(index["expected_min"]) if index["expected_min"] ==
                                                index["expected_max"] else
                                                f"{index['expected_min']}-{index['expected_max']}")
            assert shown[(row, "coverage")] == ("ok" if index["ok"] else "FAILED")
    assert shown[("Orders", "ttl")] == "expires_at declared, disabled"
    assert dom.count("<polyline") == 1 and 'id="rows-chart"' in dom and 'id="throughput-chart"' in dom
    for name, read, written in (("Orders", 1000, 990), ("Users", 50, 50)):
        assert f"{name}: {read:,} rows read" in dom and f"{name}: {written:,} items written" in dom
    assert dom.count('data-topic="') == len(doc["advice"])


def failed_state() -> State:
    """A load over its budget, one that stopped part way, one recorded before loads kept their table."""
    over = {**load_record("Orders", 197, 163, rejected=34), "error": "over budget"}
    stopped = {"table": "Users", "view": "v_users", "state": "FAILED", "finished": False, "rows_read": 120,
               "items_written": 100, "items_rejected": 0, "items_skipped": 0, "error": "the run ended FAILED"}
    return state_of({
        "dynamodb_table.Orders": ({"TableName": "Orders"}, "ok"), "dynamodb_table.Users": ({"TableName": "Users"}, "ok"),
        "dynamodb_table.Items": ({"TableName": "Items"}, "ok"),
        "load.Orders": (over, "tainted"), "load.Users": (stopped, "tainted"),
        "load.Items": ({"error": "recorded before loads kept their table"}, "tainted"),
        "check.Orders": ({"ok": True, "view_rows": 197, "table_items": 163, "distinct_keys": 197}, "ok")})


def test_a_failed_or_unfinished_load_is_under_its_table_and_turns_every_format_red() -> None:
    report = build_report(failed_state())
    by_table = {t.name: [load.address for load in t.loads] for t in report.tables}
    assert by_table == {"Items": ["load.Items"], "Orders": ["load.Orders"], "Users": ["load.Users"]}
    assert report.problems == [
        "load.Items did not finish (its run ended early): its figures are unknown (no writer reported any)",
        "check.Items did not run (load.Items did not finish)",
        "load.Orders failed: 34 of 197 rows rejected (over budget 0 rows)",
        "load.Users did not finish (its run ended FAILED): 100 items written from 120 rows read before it stopped",
        "check.Users did not run (load.Users did not finish)"]
    doc = report.to_json()
    VALIDATOR.validate(doc)
    assert doc["ok"] is False and doc["totals"]["loads_failed"] == 3
    assert not [a for a in report.advice if a.topic == "cut_over"]
    (over_advice,) = [a for a in report.advice if a.topic == "rejected_rows"]
    assert "over the load's budget of 0 rows, so it failed" in over_advice.sentence
    assert '"max_rejected_rows": 34' in over_advice.sentence
    for text in (render_report(report), render_markdown(report), render_html(report),
                 "\n".join(summary_lines(report, "here"))):
        assert "every check passed" not in text
        assert "load.Orders failed: 34 of 197 rows rejected (over budget 0 rows)" in text
    assert render_markdown(report).startswith("### migrator report: ❌ load.Items did not finish")
    again = build_report(failed_state())
    assert (render_report(again), render_markdown(again), render_html(again)) == (
        render_report(report), render_markdown(report), render_html(report))


def test_every_check_passed_only_when_every_row_is_accounted_for_and_checked() -> None:
    table = {"dynamodb_table.T": ({"TableName": "T"}, "ok")}
    check = {"check.T": ({"ok": True, "view_rows": 10, "table_items": 8, "distinct_keys": 10}, "ok")}
    within = build_report(state_of({**table, **check, "load.T": (load_record("T", 10, 8, rejected=2, budget=2), "ok")}))
    assert within.ok and summary_lines(within, "here")[0].endswith(
        "every check passed, every row accounted for (2 rejected within budget).")
    unchecked = build_report(state_of({**table, "load.T": (load_record("T", 10, 10), "ok")}))
    assert unchecked.problems == ["check.T did not run"]
    lost = build_report(state_of({**table, **check, "load.T": (load_record("T", 10, 7), "ok")}))
    assert lost.problems == ["load.T does not account for every row: 10 read but 7 written, 0 rejected, 0 skipped"]
    nothing = build_report(state_of(table))
    assert nothing.problems == ["nothing was loaded into T"] and "every check passed" not in render_markdown(nothing)
