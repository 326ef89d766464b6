"""A finding: one problem in a contract or a plan, with where it is and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in a contract: where, what, and what to do."""

    severity: Severity
    path: str
    message: str
    fix: str | None = None
    code: str = ""

    def sentence(self) -> str:
        text = f"{self.path}: {self.message.rstrip('.')}"
        return text + (f"; {self.fix.rstrip('.')}." if self.fix else ".")
