"""The plan as a document (`plan --json` against its published schema) and as a pull-request
comment (`plan --markdown`): content, secrets, determinism and the size limit.

Plans are built directly (no sandbox): the renderers are pure functions of a Plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from migrator.findings import Finding, Severity
from migrator.graph import Address, Node
from migrator.plan.model import Action, AttributeChange, Change, Plan
from migrator.plan.model import Reason as R
from migrator.plan.render_json import FORMAT_VERSION, plan_json, plan_schema
from migrator.plan.render_markdown import MIN_LIMIT, render_markdown
from migrator.kinds import KINDS
from migrator.providers import PROVIDERS

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "schemas" / "plan.schema.json"
PACKAGED_SCHEMA = REPO / "migrator" / "plan" / "plan.schema.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_FILE.read_text()),
                                 format_checker=Draft202012Validator.FORMAT_CHECKER)

A = Address.parse
#: what each kind learns only after apply (planning copies it onto every change it decides)
COMPUTED = {p.kind: p.computed for p in PROVIDERS}


def t(name: str) -> Address:
    return Address("dynamodb_table", name)


# ---------------------------------------------------------------------------- a small plan

def small_plan() -> Plan:
    conn = Node(A("glue_connection.mysql"), {"name": "mysql", "username": "etl", "password": "hunter2-Sekret"},
                sensitive=frozenset({"password"}))
    plan = Plan(changes=(
        Change(t("legacy"), Action.DELETE, R.DELETE_BECAUSE_REMOVED_FROM_CONTRACT,
               before={"TableName": "legacy", "ItemCount": 1200}),
        Change(A("mysql_view.v_orders"), Action.UPDATE, R.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR,
               before={"definition": "select 1"}, after={"sql": "select id from orders"},
               attributes=(AttributeChange("definition", "select 1", "select id from orders"),)),
        Change(A("glue_connection.mysql"), Action.UPDATE, R.UPDATE_BECAUSE_CONFIG_CHANGED,
               before={"name": "mysql", "username": "old"}, after=conn.public_config(),
               attributes=(AttributeChange("username", "old", "etl"),), node=conn),
        Change(t("orders"), Action.REPLACE, R.REPLACE_BECAUSE_KEY_SCHEMA_CHANGED,
               before={"TableName": "orders", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]},
               after={"TableName": "orders", "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}]},
               attributes=(AttributeChange("KeySchema[0].AttributeName", "id", "PK"),)),
        Change(t("customers"), Action.CREATE, R.CREATE_BECAUSE_NEW, after={"TableName": "customers"}),
        Change(A("mysql_view.v_customers"), Action.CREATE, R.CREATE_BECAUSE_MISSING, after={"sql": "select 2"}),
        Change(A("load.orders"), Action.REPLACE, R.REPLACE_BECAUSE_DEPENDENCY_CHANGED, after={"job": "load-orders"},
               dependency=t("orders")),
        Change(A("check.orders"), Action.NOOP, R.NO_CHANGES),
    ), lineage="3f1c9a2e-1b7d-4c55-9e0a-6d2f8b4a7c10", serial=7, findings=(
        Finding(Severity.WARNING, "$.tables[1].attributes[2]", "denormalized attribute has no justification",
                fix="add a `justification`", code="denormalized-without-justification"),
        Finding(Severity.ERROR, "$.tables[0].gsis[0].pk", "GSI key `status_x` is not an attribute",
                fix="use one of the table's attributes", code="gsi-key-unknown"),
    ))
    return decided(plan)


def decided(plan: Plan) -> Plan:
    """The plan as planning hands it over: each change carries what its kind learns only after apply."""
    return replace(plan, changes=tuple(replace(c, known_after_apply=COMPUTED[c.address.kind]) for c in plan.changes))


def lines_of(text: str) -> list[str]:
    return text.split("\n")


# ---------------------------------------------------------------------------- the published schema

def test_the_schema_is_published_in_the_repo_and_the_package_byte_for_byte() -> None:
    assert SCHEMA_FILE.read_bytes() == PACKAGED_SCHEMA.read_bytes()
    Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))
    assert plan_schema() == json.loads(SCHEMA_FILE.read_text())
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "plan/*.json" in package_data["migrator"]


def test_the_schema_knows_every_kind_and_the_format_version() -> None:
    schema = plan_schema()
    assert schema["properties"]["format_version"]["const"] == FORMAT_VERSION == "1.1"
    assert tuple(schema["$defs"]["kind"]["enum"]) == KINDS
    for kind in KINDS:
        assert re.search(schema["$defs"]["address"]["pattern"], f"{kind}.x")
    assert not re.search(schema["$defs"]["address"]["pattern"], "nonsense.x")


def test_the_small_plan_as_json() -> None:
    doc = plan_json(small_plan())
    VALIDATOR.validate(doc)
    by = {c["address"]: c for c in doc["resource_changes"]}
    assert doc["summary"] == {"create": 2, "update": 2, "replace": 2, "delete": 1, "no-op": 1}
    assert by["dynamodb_table.orders"]["actions"] == ["delete", "create"]
    assert by["dynamodb_table.orders"]["reason"] == "replace_because_key_schema_changed"
    assert by["dynamodb_table.legacy"]["actions"] == ["delete"]
    assert by["check.orders"]["actions"] == ["no-op"]
    assert by["dynamodb_table.customers"]["after_unknown"] == {
        "TableStatus": True, "ItemCount": True, "Tags": True, "DeletionProtectionEnabled": True,
        "PointInTimeRecoveryStatus": True, "TimeToLive": True}
    assert by["load.orders"]["after_unknown"] == dict.fromkeys(
        ["run_id", "state", "rows_read", "items_written", "items_rejected", "items_skipped", "rejected_by_reason",
         "duration_seconds", "writer", "engine", "partitions", "partition_column", "session_seconds", "samples",
         "rejects_logged", "rejects_error", "timeline", "reject_budget", "finished", "within_budget"], True)
    assert by["mysql_view.v_customers"]["after_unknown"] == {"definition": True, "database": True}
    assert by["mysql_view.v_orders"]["after_unknown"] == {}  # an update learns nothing new
    assert by["dynamodb_table.orders"]["changed"] == [{"path": "KeySchema[0].AttributeName", "before": "id",
                                                       "after": "PK"}]
    assert doc["drift"] == ["mysql_view.v_orders", "mysql_view.v_customers"]
    assert [f["severity"] for f in doc["findings"]] == ["warning", "error"]
    assert by["glue_connection.mysql"]["after"]["password"] == "(sensitive)"
    assert "hunter2" not in json.dumps(doc)


def test_the_fingerprint_is_sha256_of_the_canonical_resource_changes() -> None:
    plan = Plan(changes=(Change(A("s3_object.scripts/a.py"), Action.CREATE, R.CREATE_BECAUSE_NEW,
                                after={"sha256": "ab", "bucket": "b"}),), lineage="L", serial=1)
    canonical = ('[{"actions":["create"],"address":"s3_object.scripts/a.py","after":{"bucket":"b","sha256":"ab"},'
                 '"after_unknown":{},"before":null,"changed":[],"kind":"s3_object","name":"scripts/a.py",'
                 '"reason":"create_because_new"}]')
    assert plan_json(plan)["fingerprint"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_fingerprint_does_not_depend_on_key_order_and_follows_every_change() -> None:
    one = Change(t("a"), Action.UPDATE, R.UPDATE_BECAUSE_CONFIG_CHANGED, before={"x": 1, "y": [1, 2]},
                 after={"y": [1, 2], "x": 2}, attributes=(AttributeChange("x", 1, 2),))
    same = Change(t("a"), Action.UPDATE, R.UPDATE_BECAUSE_CONFIG_CHANGED, before={"y": [1, 2], "x": 1},
                  after={"x": 2, "y": [1, 2]}, attributes=(AttributeChange("x", 1, 2),))
    base = plan_json(Plan((one,), "L", 1))["fingerprint"]
    assert base == plan_json(Plan((same,), "other lineage", 9))["fingerprint"]
    for other in (Change(t("a"), Action.REPLACE, one.reason, one.before, one.after, one.attributes),
                  Change(t("a"), one.action, R.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR, one.before, one.after,
                         one.attributes),
                  Change(t("a"), one.action, one.reason, one.before, {"x": 3, "y": [1, 2]}, one.attributes),
                  Change(t("b"), one.action, one.reason, one.before, one.after, one.attributes)):
        assert plan_json(Plan((other,), "L", 1))["fingerprint"] != base
    assert plan_json(Plan((one, same), "L", 1))["fingerprint"] != base


# ---------------------------------------------------------------------------- generated plans

JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
JSON_OBJECTS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=4)
NAMES = st.text(min_size=1, max_size=24)
ADDRESSES = st.builds(Address, st.sampled_from(KINDS), NAMES)


@st.composite
def changes(draw: st.DrawFn) -> Change:
    address = draw(ADDRESSES)
    reason = draw(st.sampled_from(list(R)))
    node = None
    if draw(st.booleans()):
        config = draw(JSON_OBJECTS)
        node = Node(address, config, sensitive=frozenset(draw(st.sets(st.sampled_from(sorted(config) or ["k"])))))
    return Change(address, draw(st.sampled_from(list(Action))), reason,
                  before=draw(st.none() | JSON_OBJECTS), after=draw(st.none() | JSON_OBJECTS),
                  attributes=tuple(draw(st.lists(st.builds(AttributeChange, st.text(max_size=16), JSON_VALUES,
                                                           JSON_VALUES), max_size=3))),
                  node=node, dependency=draw(ADDRESSES) if reason.names_dependency else None,
                  known_after_apply=COMPUTED[address.kind])


FINDINGS = st.builds(Finding, st.sampled_from(list(Severity)), st.text(max_size=20), st.text(max_size=40),
                     st.none() | st.text(max_size=30), st.text(max_size=10))
PLANS = st.builds(Plan, st.lists(changes(), max_size=8).map(tuple), st.text(max_size=40),
                  st.integers(0, 10**6), st.lists(FINDINGS, max_size=4).map(tuple))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS)
def test_every_plan_document_matches_the_published_schema(plan: Plan) -> None:
    doc = plan_json(plan)
    VALIDATOR.validate(doc)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON: what --json writes is what we validated
    assert plan_json(plan) == doc
    assert sum(doc["summary"].values()) == len(plan.changes)
    expected = hashlib.sha256(json.dumps(doc["resource_changes"], sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False).encode()).hexdigest()
    assert doc["fingerprint"] == expected
    for change, rc in zip(plan.changes, doc["resource_changes"], strict=True):
        assert rc["address"] == str(change.address)
        unknown = set(COMPUTED[change.address.kind]) if change.action in (Action.CREATE, Action.REPLACE) \
            else set()
        assert set(rc["after_unknown"]) == unknown
    assert doc["drift"] == [str(c.address) for c in plan.changes
                            if c.reason in ("update_because_changed_outside_migrator", "create_because_missing",
                                            "replace_because_changed_outside_migrator")]


SECRETS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=20)


@settings(max_examples=100, deadline=None)
@given(SECRETS, st.sampled_from(list(Action)), JSON_OBJECTS)
def test_sensitive_values_never_leave_the_node(secret: str, action: Action, other: dict) -> None:
    """Masked wherever it could surface: the after (public_config), an observed before, a changed attribute."""
    assume(secret not in json.dumps(other, ensure_ascii=False))  # the other, public, values may say anything
    config = {**other, "name": "mysql", "password": secret}
    node = Node(A("glue_connection.mysql"), config, sensitive=frozenset({"password"}))
    change = Change(node.address, action, R.UPDATE_BECAUSE_CONFIG_CHANGED,
                    before={"name": "mysql", "password": secret + "-old"}, after=node.public_config(),
                    attributes=(AttributeChange("password", secret + "-old", secret),
                                AttributeChange("name", "old", "mysql")), node=node)
    plan = Plan((change, Change(t("x"), Action.CREATE, R.CREATE_BECAUSE_NEW, after={"n": 1})), "L", 1)
    doc = json.dumps(plan_json(plan), ensure_ascii=False)
    markdown = render_markdown(plan)
    for text in (doc, markdown):
        assert secret not in text
    rc = plan_json(plan)["resource_changes"][0]
    assert rc["after"]["password"] == rc["before"]["password"] == "(sensitive)"
    assert rc["changed"] == [{"path": "password", "before": "(sensitive)", "after": "(sensitive)"},
                             {"path": "name", "before": "old", "after": "mysql"}]
    assert rc["after"] == {**node.public_config()}


# ---------------------------------------------------------------------------- markdown: content

def test_the_small_plan_as_markdown() -> None:
    plan = small_plan()
    md = render_markdown(plan)
    lines = lines_of(md)
    assert lines[0] == "### migrator plan: failed, 1 error (see Findings); nothing can be applied"  # never beside an error
    # the banner names the deleted and the replaced table, and only those
    banner = [line for line in lines if line.startswith(">")]
    assert banner[0] == "> [!CAUTION]"
    assert "**Data would be destroyed.** 2 DynamoDB tables" in banner[1]
    assert banner[2] == "> - `dynamodb_table.legacy` (about 1,200 items) would be destroyed: no longer in the contract"
    assert banner[3].startswith("> - `dynamodb_table.orders` would be replaced: the key schema changed")
    assert len(banner) == 4
    # one row per address that changes, in plan order; no row for the no-op
    rows = [line for line in lines if line.startswith("| `")]
    assert [re.findall(r"`([^`]+)`", r)[1] for r in rows] == [str(c.address) for c in plan.actionable]
    assert rows[0] == "| `-` | `dynamodb_table.legacy` | destroy | no longer in the contract |"
    assert rows[3].startswith("| `-/+` | `dynamodb_table.orders` | replace | the key schema changed")
    assert rows[6] == "| `-/+` | `load.orders` | replace | runs again: `dynamodb_table.orders` changes |"
    assert "check.orders" not in md.split("<details>")[0]
    # drift has its own section
    drift = md.split("#### Changed outside migrator\n\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert drift == ["- `mysql_view.v_orders`: changed outside migrator; apply puts back the contract's definition",
                     ("- `mysql_view.v_customers`: it no longer exists (removed outside migrator); "
                      "apply creates it again")]
    # findings: errors first, with path, message and fix; quoted names stay code
    findings = md.split("#### Findings: 1 error, 1 warning\n\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert findings == [
        ("- **error** `$.tables[0].gsis[0].pk`: GSI key `status_x` is not an attribute. Fix: use one of the "
         "table's attributes."),
        ("- **warning** `$.tables[1].attributes[2]`: denormalized attribute has no justification. Fix: add a "
         "`justification`.")]
    # the full diff, folded, coloured by column-0 symbols, with values known after apply
    details = md.split("<details><summary>Full diff</summary>\n\n```diff\n", 1)[1].split("\n```\n\n</details>")[0]
    assert "-/+ dynamodb_table.orders" in details
    assert "~       KeySchema[0].AttributeName: \"id\" -> \"PK\"" in details
    assert "+       TableStatus = (known after apply)" in details
    assert "+       TableName = \"customers\"" in details
    assert "hunter2" not in md and "(sensitive)" not in md  # an update shows only what changed
    # the fingerprint is the JSON document's
    assert lines[-2] == (f"Plan fingerprint: `{plan_json(plan)['fingerprint']}` "
                         "(state lineage `3f1c9a2e-1b7d-4c55-9e0a-6d2f8b4a7c10`, serial 7)")
    assert md.endswith("\n") and md.index("> [!CAUTION]") < md.index("| |") < md.index("#### Changed outside") \
        < md.index("#### Findings") < md.index("<details>") < md.index("Plan fingerprint")


def test_an_empty_plan() -> None:
    plan = Plan((Change(A("check.orders"), Action.NOOP, R.NO_CHANGES),), "L", 3)
    md = render_markdown(plan, title="shop plan")
    assert md == ("### shop plan: no changes\n\nReality matches the contract.\n\n"
                  f"Plan fingerprint: `{plan_json(plan)['fingerprint']}` (state lineage `L`, serial 3)\n")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", [a for a in Action if a is not Action.NOOP])
def test_the_banner_only_when_a_table_and_its_items_go(kind: str, action: Action) -> None:
    md = render_markdown(Plan((Change(Address(kind, "orders"), action, R.REPLACE_BECAUSE_TAINTED),
                               Change(A("load.x"), Action.CREATE, R.CREATE_BECAUSE_NEW)), "L", 1))
    destroys = kind == "dynamodb_table" and action in (Action.DELETE, Action.REPLACE)
    assert ("> [!CAUTION]" in md) is destroys
    assert ("Data would be destroyed" in md) is destroys


def test_no_drift_or_findings_sections_without_them() -> None:
    md = render_markdown(Plan((Change(t("a"), Action.CREATE, R.CREATE_BECAUSE_NEW),), "", 0))
    assert "Changed outside migrator" not in md and "Findings" not in md
    assert lines_of(md)[0] == "### migrator plan: 1 to add, 0 to change, 0 to replace, 0 to destroy"
    assert re.fullmatch(r"Plan fingerprint: `[0-9a-f]{64}` \(serial 0\)", lines_of(md)[-2])  # no lineage yet


def test_hostile_names_and_messages_cannot_break_the_layout() -> None:
    name = "a|b`c``d\nnew line <details> *x*"
    plan = Plan((Change(t(name), Action.DELETE, R.DELETE_BECAUSE_REMOVED_FROM_CONTRACT),
                 Change(A("load.x"), Action.REPLACE, R.REPLACE_BECAUSE_DEPENDENCY_CHANGED,
                        dependency=Address("glue_job", "because <b>|</b>\n```"))),
                "L", 1, (Finding(Severity.ERROR, "$.`x`", "no <details> | here\n- list", "`a|b` and ```"),))
    md = render_markdown(plan)
    fence = re.search(r"^(`{3,})diff$", md, re.MULTILINE)
    assert fence is not None and md.count("\n" + fence.group(1) + "\n") == 1  # closed once, after the diff
    prose = re.sub(r"^(`{3,})diff\n.*?^\1$", "", md, flags=re.MULTILINE | re.DOTALL)  # outside the fenced diff ...
    prose = re.sub(r"(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)", "", prose)  # ... and outside code spans
    # only <details><summary>Full diff</summary> ... </details>: every other < is escaped
    assert len(re.findall(r"(?<!\\)<", prose)) == 4
    assert "\n<details><summary>Full diff</summary>\n" in md and md.count("\n</details>\n") == 1
    rows = [line for line in lines_of(md) if line.startswith("|")]
    for row in rows:  # every row has exactly four cells: no unescaped pipe inside one
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    assert len(rows) == 2 + 2
    findings = md.split("#### Findings: 1 error\n\n", 1)[1].split("\n\n", 1)[0]
    assert "\n" not in findings


def test_the_same_plan_renders_the_same_under_any_hash_seed() -> None:
    script = ("import sys; sys.path.insert(0, 'tests'); from test_plan_render import small_plan; "
              "from migrator.plan.render_markdown import render_markdown; from migrator.plan.render_json import "
              "plan_json; import json; sys.stdout.write(render_markdown(small_plan()) + json.dumps(plan_json("
              "small_plan())))")
    outs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "4242")}
    assert len(outs) == 1
    assert outs.pop().startswith(render_markdown(small_plan()))


# ---------------------------------------------------------------------------- markdown: the limit

def big_plan(loads: int, checks: int = 0, tables_gone: int = 0, drifted: int = 0, findings: int = 0,
             name_pad: int = 20, attrs: int = 3) -> Plan:
    pad = "x" * name_pad
    out: list[Change] = []
    out += [Change(t(f"gone_{i:05d}_{pad}"), Action.DELETE, R.DELETE_BECAUSE_REMOVED_FROM_CONTRACT,
                   before={"ItemCount": i}) for i in range(tables_gone)]
    out += [Change(A(f"mysql_view.v_{i:05d}_{pad}"), Action.UPDATE, R.UPDATE_BECAUSE_CHANGED_OUTSIDE_MIGRATOR,
                   attributes=(AttributeChange("definition", "select 1", f"select {i}"),)) for i in range(drifted)]
    out += [Change(A(f"load.t_{i:05d}_{pad}"), Action.CREATE, R.CREATE_BECAUSE_NEW,
                   after={f"attr_{j}": f"value {j} of {i}" for j in range(attrs)}) for i in range(loads)]
    out += [Change(A(f"check.t_{i:05d}_{pad}"), Action.REPLACE, R.REPLACE_BECAUSE_INPUTS_CHANGED)
            for i in range(checks)]
    found = tuple(Finding(Severity.ERROR if i % 3 == 0 else Severity.WARNING, f"$.tables[{i}].pk",
                          f"problem number {i} {pad}", fix=f"fix number {i}") for i in range(findings))
    return decided(Plan(tuple(out), "lineage", 1, found))


SUMMARY_LINE = re.compile(r"^(> - |- )?(… and [\d,]+ more(: .+| tables?)"
                          r"|([\d,]+ )?not listed, too many for one comment(: .+)?)$")
NOTE_LINE = re.compile(r"^_Full diff omitted: [\d,]+ characters; run `migrator plan` locally to see it\._$")


def assert_well_cut(md: str, full: str, plan: Plan, limit: int) -> None:
    assert len(md) <= limit
    lines, known = lines_of(md), set(lines_of(full))
    assert lines[0] == lines_of(full)[0]  # the headline
    assert lines[-2] == lines_of(full)[-2] and lines[-2].startswith("Plan fingerprint: `")  # the fingerprint
    for line in lines:  # never a line cut in the middle: each is the full document's, or says what was left out
        assert line in known or SUMMARY_LINE.match(line) or NOTE_LINE.match(line), line
    destroys = any(c.address.kind == "dynamodb_table" and c.action in (Action.DELETE, Action.REPLACE)
                   for c in plan.changes)
    assert ("> [!CAUTION]" in lines) is destroys
    drift = any(c.reason in ("update_because_changed_outside_migrator", "create_because_missing",
                             "replace_because_changed_outside_migrator") for c in plan.changes)
    assert ("#### Changed outside migrator" in lines) is drift
    assert lines.count("<details><summary>Full diff</summary>") == lines.count("</details>") <= 1


def test_a_long_plan_loses_its_full_diff_first() -> None:
    plan = big_plan(loads=150, attrs=8)
    full = render_markdown(plan, limit=10**9)
    without = full.split("<details>")[0]
    assert len(full) > 65_000 > len(without)
    md = render_markdown(plan)
    diff = full[full.index("<details>"):full.index("</details>") + len("</details>")]
    assert md == without + f"_Full diff omitted: {len(diff):,} characters; run `migrator plan` locally to see it._" \
        + "\n\n" + lines_of(full)[-2] + "\n"
    assert_well_cut(md, full, plan, 65_000)


def test_a_huge_plan_is_summarised_by_kind() -> None:
    plan = big_plan(loads=3000, checks=300, tables_gone=2, drifted=5, findings=4)
    full = render_markdown(plan, limit=10**9)
    md = render_markdown(plan)
    assert len(full) > 1_000_000 and len(md) <= 65_000
    assert_well_cut(md, full, plan, 65_000)
    rows = [line for line in lines_of(md) if line.startswith("| `")]
    loads_shown = len(rows) - 7  # the two deleted tables and the five drifted views come first
    summary = next(line for line in lines_of(md) if line.startswith("… and"))
    assert summary == f"… and {3307 - len(rows):,} more: {3000 - loads_shown:,} load, 300 check"
    assert len(md) > 65_000 - 200  # filled, not emptied
    assert md.count("mysql_view.v_") >= 10  # every drifted view: in the rows and in the drift section
    assert "#### Findings: 2 errors, 2 warnings" in md


def test_at_the_smallest_limit_everything_is_summarised_but_headline_banner_drift_and_fingerprint_stay() -> None:
    plan = big_plan(loads=2000, checks=300, tables_gone=3000, drifted=3000, findings=3000, name_pad=120)
    md = render_markdown(plan, limit=MIN_LIMIT, title="x" * 500)
    assert_well_cut(md, render_markdown(plan, limit=10**9, title="x" * 500), plan, MIN_LIMIT)
    assert "\n8,300 not listed, too many for one comment: 3,000 dynamodb_table, 3,000 mysql_view, 2,000 load, " \
           "300 check\n" in md
    assert "| |" not in md  # no table without rows
    assert "#### Changed outside migrator\n\n- 3,000 not listed, too many for one comment: 3,000 mysql_view\n" in md
    assert "- 3,000 not listed, too many for one comment: 1,000 errors, 2,000 warnings\n" in md
    assert "> - … and 2,995 more tables\n" in md


def test_a_tiny_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2,000"):
        render_markdown(small_plan(), limit=MIN_LIMIT - 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loads=st.integers(0, 2500), checks=st.integers(0, 300), tables_gone=st.integers(0, 400),
       drifted=st.integers(0, 400), findings=st.integers(0, 400), name_pad=st.integers(0, 120),
       attrs=st.integers(0, 12), limit=st.integers(MIN_LIMIT, 70_000), title=st.text(max_size=300))
def test_never_over_the_limit(loads: int, checks: int, tables_gone: int, drifted: int, findings: int,
                              name_pad: int, attrs: int, limit: int, title: str) -> None:
    plan = big_plan(loads, checks, tables_gone, drifted, findings, name_pad, attrs)
    md = render_markdown(plan, limit=limit, title=title)
    assert_well_cut(md, render_markdown(plan, limit=10**9, title=title), plan, limit)
    assert render_markdown(plan, limit=limit, title=title) == md


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS, st.integers(MIN_LIMIT, 8_000))
def test_never_over_the_limit_for_any_plan(plan: Plan, limit: int) -> None:
    md = render_markdown(plan, limit=limit)
    assert_well_cut(md, render_markdown(plan, limit=10**9), plan, limit)


# ---------------------------------------------------------------------------- a plan the providers decide

def test_a_plan_decided_by_the_real_providers() -> None:
    """decide() over a small graph and state: the shapes real providers produce validate and render."""
    from migrator.graph import Graph
    from migrator.planning.decide import decide
    from migrator.providers import providers
    from migrator.state.model import ResourceState, State

    def table(name: str, key: str) -> dict:
        return {"TableName": name, "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST", "GlobalSecondaryIndexes": []}

    orders, legacy, conn, load = t("orders"), t("legacy"), A("glue_connection.mysql"), A("load.orders")
    graph = Graph.build([
        Node(orders, table("orders", "PK")),
        Node(conn, {"name": "mysql", "jdbc_url": "jdbc:mysql://db/shop", "username": "etl",
                    "password": "Hunter2-Sekret"}, sensitive=frozenset({"password"})),
        Node(load, {"job": "load-orders", "view": "v_orders", "table": "orders", "result_bucket": "b",
                    "result_key": "k"}, depends_on=(orders, conn)),
    ])
    tags = {"managed-by": "migrator", "migrator-lineage": "L"}
    observed = {orders: {**table("orders", "id"), "TableStatus": "ACTIVE", "ItemCount": 500, "Tags": tags},
                legacy: {**table("legacy", "id"), "TableStatus": "ACTIVE", "ItemCount": 12, "Tags": tags},
                conn: {"name": "mysql", "jdbc_url": "jdbc:mysql://db/shop", "username": "old"},
                load: {"run_id": "jr_1", "state": "SUCCEEDED", "rows_read": 500}}
    state = State("L", 4, {a: ResourceState(a, v, config_fingerprint=graph.nodes[a].fingerprint if a in graph.nodes
                                            else "") for a, v in observed.items()})
    plan = decide(graph, state, providers("L"), observed)
    doc = plan_json(plan)
    VALIDATOR.validate(doc)
    actions = {c["address"]: (c["actions"], c["reason"]) for c in doc["resource_changes"]}
    assert actions == {
        "dynamodb_table.legacy": (["delete"], "delete_because_removed_from_contract"),
        "dynamodb_table.orders": (["delete", "create"], "replace_because_key_schema_changed"),
        "glue_connection.mysql": (["update"], "update_because_config_changed"),
        "load.orders": (["delete", "create"], "replace_because_dependency_changed:dynamodb_table.orders"),
    }
    md = render_markdown(plan)
    assert "Hunter2" not in md and "Hunter2" not in json.dumps(doc)
    assert lines_of(md)[0] == "### migrator plan: 0 to add, 1 to change, 2 to replace, 1 to destroy"
    assert "> - `dynamodb_table.legacy` (about 12 items) would be destroyed: no longer in the contract" in md
    assert "> - `dynamodb_table.orders` (about 500 items) would be replaced: the key schema changed" in md
