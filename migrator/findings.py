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
        """`path: message; fix.` — one full stop, none after a fix that asks a question."""
        return f"{self.path}: " + end_sentence(self.message.rstrip(".") + (f"; {self.fix.rstrip('.')}" if self.fix
                                                                             else ""))


def end_sentence(text: str) -> str:
    """`text` with one closing mark: a full stop unless it already ends in ? or !."""
    text = text.rstrip()
    return text if text.endswith(("?", "!", ".")) else text + "."
