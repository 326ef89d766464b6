"""What apply and destroy show while they work: events, and live figures of running loads.

Three audiences: a person at a terminal gets a rich progress bar per running load (rows read
of the estimate, rate, written, rejected, throttled, ETA) with the events printed above it;
a log (not a terminal) gets the events and one plain line per load every PLAIN_EVERY_SECONDS;
a machine (`--json`) gets one JSON object per line for every event and every progress read.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from migrator.graph import Address

PLAIN_EVERY_SECONDS = 10.0
#: event messages after which an address is no longer running
_RUN_STARTED = re.compile(r"^job (\S+) run (\S+) started$")
_ENDINGS = ("created", "replaced", "updated", "failed", "destroyed", "skipped")


def _count(value: Any) -> str:
    return f"{int(value or 0):,}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def figures_line(figures: Mapping[str, Any]) -> str:
    """`12,000/~50,000 rows, 1,850 rows/s, 11,950 written, 0 rejected, 3 throttled, ETA 0:20`."""
    estimate = figures.get("rows_estimate")
    rows = _count(figures.get("rows_read")) + (f"/~{int(estimate):,}" if estimate else "")
    rate = figures.get("rows_per_second")
    parts = [f"{rows} rows", f"{_count(rate)} rows/s" if rate is not None else "starting",
             f"{_count(figures.get('items_written'))} written", f"{_count(figures.get('items_rejected'))} rejected"]
    if figures.get("items_skipped"):
        parts.append(f"{_count(figures.get('items_skipped'))} skipped")
    parts.append(f"{_count(figures.get('throttles'))} throttled")
    if figures.get("eta_seconds") is not None:
        parts.append(f"ETA {_duration(figures.get('eta_seconds'))}")
    return ", ".join(parts)


def load_line(record: Mapping[str, Any]) -> str:
    """A finished load's figures from its state record, for the apply summary."""
    writer = record.get("writer") or {}
    engine = record.get("engine") or "pythonshell"
    rate = record.get("rows_per_second")
    parts = [f"{_count(record.get('rows_read'))} rows in {float(record.get('duration_seconds') or 0):.1f} s"
             + (f" ({_count(rate)} rows/s)" if rate is not None else ""),
             f"{_count(record.get('items_written'))} written", f"{_count(record.get('items_rejected'))} rejected"]
    if record.get("items_skipped"):
        parts.append(f"{_count(record.get('items_skipped'))} skipped")
    parts.append(f"{_count(writer.get('throttles'))} throttled, {_count(writer.get('retries'))} retries")
    if writer.get("consumed_wcu"):
        parts.append(f"{float(writer['consumed_wcu']):,.0f} WCU")
    where = f"{engine}, {record['partitions']} partitions" if record.get("partitions") else engine
    return ", ".join(parts) + f" ({where})"


@dataclass
class ApplyView:
    """The hooks' front end for one command; `close()` when the command ends."""

    mode: str  # live | plain | json
    out: TextIO = field(default_factory=lambda: sys.stdout)
    clock: Any = time.monotonic
    _progress: Progress | None = None
    _tasks: dict[Address, TaskID] = field(default_factory=dict)
    _printed: dict[Address, float] = field(default_factory=dict)
    _rows: dict[Address, int] = field(default_factory=dict)
    #: Glue runs started and not yet ended, by the load that started them (for an interrupted apply)
    _runs: dict[Address, tuple[str, str]] = field(default_factory=dict)

    @staticmethod
    def for_output(as_json: bool) -> ApplyView:
        return ApplyView("json" if as_json else "live" if sys.stdout.isatty() else "plain")

    # -- the hooks --------------------------------------------------------------------

    def event(self, address: Address, message: str) -> None:
        started = _RUN_STARTED.match(message)
        if started:
            self._runs[address] = (started.group(1), started.group(2))
        elif message.startswith((*_ENDINGS, "succeeded")):
            self._runs.pop(address, None)
        if self.mode == "json":
            self.emit({"type": "event", "address": str(address), "message": message})
            return
        if message.startswith(_ENDINGS):
            self._finish(address, failed=message.startswith("failed"))
        text = f"{address}: {message}"
        if self._progress is not None:
            self._progress.console.print(text, style="red" if message.startswith("failed") else None,
                                         markup=False, highlight=False)
        else:
            typer.secho(text, fg=typer.colors.RED if message.startswith("failed") else None)

    def progress(self, address: Address, figures: Mapping[str, Any]) -> None:
        if self.mode == "json":
            self.emit({"type": "progress", "address": str(address), **figures})
        elif self.mode == "plain":
            now = self.clock()
            if now - self._printed.get(address, -PLAIN_EVERY_SECONDS) >= PLAIN_EVERY_SECONDS:
                self._printed[address] = now
                typer.echo(f"{address}: {figures_line(figures)}")
        else:
            self._bar(address, figures)

    def emit(self, doc: Mapping[str, Any]) -> None:
        """One JSON object on one line (`--json`)."""
        self.out.write(json.dumps(doc, sort_keys=True, default=str) + "\n")
        self.out.flush()

    def interrupted(self, state_file: str) -> str:
        """What an interrupted apply leaves: the state as saved, the Glue runs that go on, what next."""
        saved = f"interrupted; what was done is in {state_file}"
        if not self._runs:
            return f"{saved}, nothing is left running, and the next `migrator apply` continues from there."
        runs = "; ".join(f"{address} (job {job} run {run})" for address, (job, run) in sorted(
            self._runs.items(), key=lambda item: str(item[0])))
        return (f"{saved}; still running in Glue: {runs}. The next `migrator apply` waits for "
                f"{'it' if len(self._runs) == 1 else 'them'} to end, then continues.")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # -- the live bars ----------------------------------------------------------------

    def _bar(self, address: Address, figures: Mapping[str, Any]) -> None:
        if self._progress is None:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[line]}"), console=Console(), transient=False,
                                      refresh_per_second=4)
            self._progress.start()
        estimate = figures.get("rows_estimate")
        rows = int(figures.get("rows_read") or 0)
        total = max(int(estimate), rows) if estimate else None
        if address not in self._tasks:
            self._tasks[address] = self._progress.add_task(str(address), total=total, line="")
        self._rows[address] = rows
        self._progress.update(self._tasks[address], completed=rows, total=total, line=figures_line(figures))

    def _finish(self, address: Address, failed: bool) -> None:
        task = self._tasks.pop(address, None)
        if task is None or self._progress is None:
            return
        if not failed:  # the estimate was only an estimate: a finished load shows a full bar
            done = self._rows.get(address) or 1
            self._progress.update(task, total=done, completed=done)
        if not self._tasks:
            self.close()
