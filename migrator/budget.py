"""A load's rejection budget: how many rejected rows a run may leave and still pass.

A judgement of a run's result, so it sits at the bottom: the compiler makes one from the contract,
the load provider judges its run by it, planning compares a recorded run with the current one
and the report (built from the state alone) reads the one recorded with the run. Pure: it imports
nothing of migrator. Percentages are compared exactly (as the decimal the contract wrote), never
as binary floats: 0.57% of 10,000 rows allows 57 of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

#: the key of a load node's notes (and of its record) that holds its RejectBudget
NOTE = "reject_budget"
ROWS = "max_rejected_rows"
PERCENT = "max_rejected_percent"
#: the decimals of a percentage the advice suggests
PERCENT_PLACES = 2


def exact(percent: float) -> Fraction:
    """The percentage as the decimal it was written as (`0.57`, not 0.56999…)."""
    return Fraction(Decimal(str(percent)))


@dataclass(frozen=True)
class RejectBudget:
    """How many rejected rows a load may leave and still pass (`max_rejected_rows`,
    `max_rejected_percent`; none given: 0 rows). Not part of what the items are: it travels in the
    load's notes, never in its fingerprint, so changing it never reloads a load that passes it.
    With both limits, exceeding either one fails."""

    rows: int | None = None
    percent: float | None = None
    where: str = ""     # the contract's `load` that sets it, or where one would go: `$.tables[0].load`

    @property
    def default(self) -> bool:
        return self.rows is None and self.percent is None

    def within_rows(self, rejected: int) -> bool:
        """The row limit (0 rows when no limit is given at all)."""
        if self.default:
            return rejected == 0
        return self.rows is None or rejected <= self.rows

    def within_percent(self, rejected: int, read: int) -> bool:
        """rejected / read × 100 ≤ percent, exactly."""
        return self.percent is None or rejected * 100 <= exact(self.percent) * read

    def allows(self, rejected: int, read: int) -> bool:
        """True when `rejected` of `read` rows is within every limit given (0 rows when none is)."""
        return self.within_rows(rejected) and self.within_percent(rejected, read)

    def to_pass(self, rejected: int, read: int) -> dict[str, int | float]:
        """Pure: the limits this run exceeded, each with the value that lets it pass, as the
        contract's `load` options (empty when it passes). Only the exceeded ones: with both limits
        either one fails the run, so raising one that held changes nothing. A percentage is the
        smallest with two decimals that covers the run; none covers rejected rows of 0 rows read,
        so then the row limit is what is raised."""
        out: dict[str, int | float] = {}
        if not self.within_rows(rejected):
            out[ROWS] = rejected
        if not self.within_percent(rejected, read):
            if read > 0:
                scale = 10 ** PERCENT_PLACES
                out[PERCENT] = math.ceil(Fraction(rejected * 100 * scale, read)) / scale
            else:
                out[ROWS] = rejected
        return out

    def advice(self, rejected: int, read: int) -> str:
        """`"max_rejected_rows": 5 in $.tables[0].load`: what to write to let this run pass
        ("" when it passes). The one wording the failed apply and the report's guidance both use."""
        limits = self.to_pass(rejected, read)
        if not limits:
            return ""
        options = ", ".join(f'"{key}": {format(value, "g") if isinstance(value, float) else value}'
                            for key, value in limits.items())
        return f"{options} in {self.where or 'the load options of its table'}"

    def describe(self) -> str:
        """`0 rows`, `5 rows`, `2% of the rows read`, `5 rows and 2% of the rows read`."""
        parts = [f"{self.rows if self.rows is not None else 0:,} row{'' if self.rows == 1 else 's'}"] \
            if self.rows is not None or self.percent is None else []
        if self.percent is not None:
            parts.append(f"{Decimal(str(self.percent)).normalize():f}% of the rows read")
        return " and ".join(parts)

    def notes(self) -> dict[str, Any]:
        """The load node's notes: the budget for the run to judge by, and for a budget the contract
        gives, the line the plan shows beside the load."""
        out: dict[str, Any] = {NOTE: self.to_doc()}
        if not self.default:
            out["rejections"] = f"at most {self.describe()} may be rejected ({self.where})"
        return out

    @staticmethod
    def from_notes(notes: Mapping[str, Any]) -> RejectBudget:
        return RejectBudget.from_doc(notes.get(NOTE))

    def to_doc(self) -> dict[str, Any]:
        return {"rows": self.rows, "percent": self.percent, "where": self.where}

    @staticmethod
    def from_doc(doc: Any) -> RejectBudget:
        """A recorded or noted budget; anything unreadable is the default (0 rows)."""
        if not isinstance(doc, Mapping):
            return RejectBudget()
        rows, percent = doc.get("rows"), doc.get("percent")
        return RejectBudget(rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
                            float(percent) if isinstance(percent, (int, float)) and not isinstance(percent, bool)
                            else None, str(doc.get("where") or ""))
