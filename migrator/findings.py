"""A finding: one problem in a contract or a plan, with where it is and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # a finding is plain data: the edit types are only named here
    from migrator.contract.edits import Edit


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in a contract: where, what, and what to do.

    `fix` says it in prose; `edit` is the same change as data when it is one concrete change to
    the document (migrator.contract.edits), for tools to apply.
    """

    severity: Severity
    path: str
    message: str
    fix: str | None = None
    code: str = ""
    edit: Edit | None = None

    def sentence(self) -> str:
        text = f"{self.path}: {self.message.rstrip('.')}"
        return text + (f"; {self.fix.rstrip('.')}." if self.fix else ".")
