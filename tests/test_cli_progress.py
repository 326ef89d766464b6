"""What apply shows while loads run: the figures line, the plain-log rate, the JSON lines, and
the ETA computed from the summed progress objects. Pure (a fake clock; no terminal)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from migrator.cli.progress import ApplyView, figures_line, load_line
from migrator.graph import Address
from migrator.providers.load import progress_figures
from migrator.runtime.progress import merge_progress, progress_doc

LOAD = Address("load", "Orders")


def parts() -> dict[str, dict[str, Any]]:
    return {"p/part-00000.json": progress_doc("part-00000", {"rows_read": 3000, "items_written": 2975,
                                                            "throttles": 2, "retries": 2, "consumed_wcu": 2975},
                                             elapsed=2.0, done=False),
            "p/part-00001.json": progress_doc("part-00001", {"rows_read": 1000, "items_written": 990,
                                                            "items_rejected": 10}, elapsed=4.0, done=True)}


def test_progress_figures_sum_the_parts_and_give_an_eta_from_the_estimate() -> None:
    figures = progress_figures(merge_progress(parts()), rows_estimate=12_000, run_state="RUNNING")
    assert figures == {"rows_read": 4000, "items_written": 3965, "items_rejected": 10, "items_skipped": 0,
                       "throttles": 2, "retries": 2, "consumed_wcu": 2975.0, "parts": 2, "parts_done": 1,
                       "elapsed_seconds": 4.0, "rows_per_second": 1000.0, "rows_estimate": 12_000,
                       "eta_seconds": 8.0, "state": "RUNNING"}
    # no estimate: no ETA; more rows than estimated: ETA 0, not negative
    assert progress_figures(merge_progress(parts()), None, "RUNNING")["eta_seconds"] is None
    assert progress_figures(merge_progress(parts()), 100, "RUNNING")["eta_seconds"] == 0.0
    assert progress_figures({}, 100, "STARTING")["rows_per_second"] is None


def test_the_figures_line() -> None:
    figures = progress_figures(merge_progress(parts()), 12_000, "RUNNING")
    assert figures_line(figures) == ("4,000/~12,000 rows, 1,000 rows/s, 3,965 written, 10 rejected, 2 throttled, "
                                     "ETA 0:08")
    assert figures_line({"rows_read": 0}) == "0 rows, starting, 0 written, 0 rejected, 0 throttled"


def test_the_final_line_of_a_load() -> None:
    record = {"rows_read": 200_000, "items_written": 199_990, "items_rejected": 10, "items_skipped": 0,
              "duration_seconds": 80.0, "rows_per_second": 2500.0, "engine": "glueetl", "partitions": 8,
              "writer": {"throttles": 3, "retries": 4, "consumed_wcu": 199990.0}}
    assert load_line(record) == ("200,000 rows in 80.0 s (2,500 rows/s), 199,990 written, 10 rejected, "
                                 "3 throttled, 4 retries, 199,990 WCU (glueetl, 8 partitions)")
    assert load_line({"rows_read": 5, "items_written": 5, "duration_seconds": 1}).endswith("(pythonshell)")


def test_a_log_gets_one_line_per_load_every_ten_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    now = [100.0]
    view = ApplyView("plain", clock=lambda: now[0])
    figures = progress_figures(merge_progress(parts()), None, "RUNNING")
    for step in range(25):  # 25 reads 1 s apart: lines at 0, 10 and 20 s
        now[0] = 100.0 + step
        view.progress(LOAD, figures)
    view.event(LOAD, "created (25.0s)")
    out = capsys.readouterr().out.splitlines()
    assert out == [f"load.Orders: {figures_line(figures)}"] * 3 + ["load.Orders: created (25.0s)"]


def test_json_lines_for_events_and_progress() -> None:
    out = io.StringIO()
    view = ApplyView("json", out=out)
    view.event(LOAD, "creating")
    view.progress(LOAD, {"rows_read": 5, "state": "RUNNING"})
    view.emit({"type": "summary", "ok": True})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [{"type": "event", "address": "load.Orders", "message": "creating"},
                     {"type": "progress", "address": "load.Orders", "rows_read": 5, "state": "RUNNING"},
                     {"type": "summary", "ok": True}]


def test_live_bars_close_when_the_last_load_ends() -> None:
    view = ApplyView("live")
    view.progress(LOAD, {"rows_read": 10, "rows_estimate": 100})
    view.progress(Address("load", "Other"), {"rows_read": 1})
    assert view._progress is not None
    view.event(LOAD, "created (1.0s)")
    assert view._progress is not None  # Other still runs
    view.event(Address("load", "Other"), "failed: boom")
    assert view._progress is None


def test_an_interrupted_apply_names_the_glue_runs_that_go_on(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24: Ctrl-C during apply said nothing of the Glue runs that keep going. The view follows
    the runs the loads report started and ended, and the sentence names those still running."""
    view = ApplyView("plain")
    a, b, c = Address("load", "A"), Address("load", "B"), Address("load", "C")
    view.event(a, "job migrator-load-A run jr_1 started")
    view.event(b, "job migrator-load-B run jr_2 started")
    view.event(c, "job migrator-load-C run jr_3 started")
    view.event(b, "succeeded (3s)")
    view.event(c, "failed: the job ended FAILED")
    text = view.interrupted("state/migrator.state.json")
    assert text == ("interrupted; what was done is in state/migrator.state.json; still running in Glue: load.A (job "
                    "migrator-load-A run jr_1). The next `migrator apply` waits for it to end, then continues.")
    view.event(a, "created (9.1s)")
    assert view.interrupted("s.json") == ("interrupted; what was done is in s.json, nothing is left running, and the "
                                          "next `migrator apply` continues from there.")
