"""The rejection budget (migrator/budget.py) and what judges by it: exact percentages, advice that
lets the run pass when applied literally, a run whose figures do not add up failing its load, the
plan re-running a load a tightened budget refuses, and the report's words for each. Expected values
are computed here with integer arithmetic, never taken from the code under test."""

from __future__ import annotations

import ast
import asyncio
import json
import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.budget import PERCENT, ROWS, RejectBudget
from migrator.graph import Address, Node
from migrator.mcp.facades import JobRun
from migrator.planning.decide import over_budget_now
from migrator.providers.load import KEY_CHARS, LoadFailed, LoadProvider, over_budget
from migrator.report.model import LoadReport
from migrator.state.model import ResourceState

REPO = Path(__file__).resolve().parents[1]
LOAD = Address("load", "Things")
#: percentages with at most 4 decimals, 0 to 100, as a contract writes them (a JSON number read as a float)
PERCENTS = st.integers(0, 100 * 10_000).map(lambda n: float(Decimal(n) / 10_000))


def test_a_percentage_is_compared_as_the_decimal_it_was_written_as() -> None:
    assert 0.57 * 10_000 < 5700   # the float product a naive comparison would use
    assert RejectBudget(None, 0.57).allows(57, 10_000)
    assert not RejectBudget(None, 0.57).allows(58, 10_000)
    assert RejectBudget(None, 0.1).allows(3, 3000) and RejectBudget(None, 33.33).allows(3333, 10_000)


@given(rejected=st.integers(0, 10**9), read=st.integers(0, 10**9), percent=PERCENTS)
def test_allows_is_exactly_rejected_times_100_at_most_percent_times_read(rejected: int, read: int,
                                                                         percent: float) -> None:
    hundredths_of_a_thousandth = round(Decimal(repr(percent)) * 10_000)   # the percent × 10,000, an integer
    assert RejectBudget(None, percent).allows(rejected, read) == (rejected * 100 * 10_000
                                                                 <= hundredths_of_a_thousandth * read)


@given(read=st.integers(1, 10**7), share=st.fractions(0, 1), rows=st.none() | st.integers(0, 10**7),
       percent=st.none() | PERCENTS)
def test_the_advice_applied_literally_lets_the_run_pass_and_names_only_the_limits_exceeded(
        read: int, share: Any, rows: int | None, percent: float | None) -> None:
    rejected = math.floor(share * read)
    budget = RejectBudget(rows, percent, "$.tables[0].load")
    limits = budget.to_pass(rejected, read)
    if budget.allows(rejected, read):
        assert limits == {} and budget.advice(rejected, read) == ""
        return
    # the contract's load options after following the advice (the JSON number read back as a float)
    options = {ROWS: rows, PERCENT: percent, **json.loads("{" + budget.advice(rejected, read).split(" in ")[0] + "}")}
    assert RejectBudget(options[ROWS], options[PERCENT]).allows(rejected, read)
    exceeded_rows = rejected > (rows if rows is not None else (0 if percent is None else rejected))
    exceeded_percent = percent is not None and rejected * 100 * 10_000 > round(Decimal(repr(percent)) * 10_000) * read
    assert set(limits) == {k for k, hit in ((ROWS, exceeded_rows), (PERCENT, exceeded_percent)) if hit}
    if PERCENT in limits:   # the smallest percentage with two decimals that covers the run
        hundredths = round(Decimal(repr(limits[PERCENT])) * 100)
        assert hundredths * read >= rejected * 10_000 > (hundredths - 1) * read


def test_an_exceeded_percentage_is_advised_as_a_percentage_not_as_a_row_count() -> None:
    budget = RejectBudget(100, 5.0, "$.tables[0].load")
    _, hint = over_budget(LOAD, {"rows_read": 39, "items_rejected": 5}, budget, None) or ("", "")
    assert hint.endswith('allow them with "max_rejected_percent": 12.83 in $.tables[0].load')   # 5/39 = 12.82…%
    _, hint = over_budget(LOAD, {"rows_read": 39, "items_rejected": 5}, RejectBudget(2, 50.0, "w"), None) or ("", "")
    assert hint.endswith('allow them with "max_rejected_rows": 5 in w')
    _, hint = over_budget(LOAD, {"rows_read": 39, "items_rejected": 5}, RejectBudget(2, 5.0, "w"), None) or ("", "")
    assert hint.endswith('allow them with "max_rejected_rows": 5, "max_rejected_percent": 12.83 in w')


def test_sample_keys_in_the_over_budget_sentence_are_cut_to_100_characters() -> None:
    long_key = {"PK": "x" * 200}
    message, _ = over_budget(LOAD, {"rows_read": 3, "items_rejected": 3, "samples": [{"key": long_key}] * 3},
                             RejectBudget(), None) or ("", "")
    shown = message.split("; e.g. ", 1)[1].split("; ")
    assert len(shown) == 3 and all(len(k) == KEY_CHARS and k.startswith("PK=xxx") and k.endswith("…") for k in shown)
    assert len(message) < 3 * KEY_CHARS + 200


def test_the_budget_module_imports_nothing_of_migrator() -> None:
    tree = ast.parse((REPO / "migrator" / "budget.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.split(".")[0] == "migrator"]
    for module in ("report/model.py", "providers/load.py", "planning/decide.py"):
        assert "migrator.compile" not in (REPO / "migrator" / module).read_text(), module


def _record(status: str, **figures: Any) -> ResourceState:
    return ResourceState(address=LOAD, status=status, attributes=figures)


def test_a_tightened_budget_refuses_a_recorded_run_and_a_loosened_one_does_not() -> None:
    def node(rows: int | None, percent: float | None = None) -> Node:
        return Node(LOAD, config={}, notes=RejectBudget(rows, percent, "w").notes())

    ran = _record("ok", rows_read=39, items_rejected=3)
    assert over_budget_now(node(2), ran) and not over_budget_now(node(3), ran)
    assert over_budget_now(node(None, 7.69), ran) and not over_budget_now(node(None, 7.7), ran)   # 3/39 = 7.692…%
    assert not over_budget_now(node(2), _record("tainted", rows_read=39, items_rejected=3))   # runs again anyway
    assert not over_budget_now(Node(LOAD, config={}), ran)   # a node without a budget (not a load)


def test_a_load_without_figures_says_they_are_unknown_not_zero() -> None:
    died = LoadReport.from_state(_record("tainted", state="FAILED", finished=False, table="Things"))
    assert died.problem == "load.Things did not finish (its run ended FAILED): its figures are unknown (no writer " \
                           "reported any)"
    stopped = LoadReport.from_state(_record("tainted", state="FAILED", finished=False, table="Things", rows_read=80,
                                            items_written=60, items_rejected=0, items_skipped=0))
    assert stopped.problem == "load.Things did not finish (its run ended FAILED): 60 items written from 80 rows " \
                              "read before it stopped"


class _Glue:
    async def list_job_runs(self, job: str) -> list[JobRun]:
        return []

    async def start_job_run(self, job: str, arguments: dict[str, str]) -> str:
        return "jr_1"

    async def get_job_run(self, job: str, run_id: str) -> JobRun:
        return JobRun(job, run_id, "SUCCEEDED")


class _S3:
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result

    async def delete_object(self, bucket: str, key: str) -> None:
        return None

    async def list_objects(self, bucket: str, prefix: str) -> list[Any]:
        return []

    async def get_object(self, bucket: str, key: str) -> str | None:
        return json.dumps(self.result) if key == "result.json" else None


def _create(result: dict[str, Any]) -> dict[str, Any]:
    ctx = SimpleNamespace(facades=SimpleNamespace(glue=_Glue(), s3=_S3(result)), lineage="l",
                          report=lambda *a: None, progress=lambda *a: None, settings=SimpleNamespace(poll_seconds=0))
    node = Node(LOAD, config={"job": "job", "view": "v", "table": "Things", "result_bucket": "b",
                              "result_key": "result.json", "inputs": "x"}, notes=RejectBudget(5).notes())
    created: dict[str, Any] = asyncio.run(LoadProvider().create(node, ctx))  # type: ignore[arg-type]
    return created


def test_a_run_whose_figures_do_not_add_up_fails_its_load_with_the_numbers() -> None:
    adds_up = {"rows_read": 10, "items_written": 7, "items_rejected": 2, "items_skipped": 1}
    assert _create(adds_up)["within_budget"] is True
    with pytest.raises(LoadFailed) as failed:
        _create({**adds_up, "items_written": 5})
    assert failed.value.finished is True
    assert failed.value.message == ("load.Things: the job's figures do not add up: 10 rows read but 5 written "
                                    "+ 2 rejected + 1 skipped = 8")
    assert failed.value.result["error"] == failed.value.message and failed.value.result["items_written"] == 5
