"""The failures a front end shows differently from one sentence: each carries what it lists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from migrator.errors import MigratorError
from migrator.findings import Finding, Severity
from migrator.planning.make import Planned


class ContractInvalid(MigratorError):
    """The contract has errors; `findings` holds every finding for the front end to list."""

    def __init__(self, path: Path, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        super().__init__(f"the contract {path} has {errors} error(s)",
                         hint=f"fix them and run again (`migrator validate {path}` lists them)")


class PlanHasErrors(MigratorError):
    """The plan was made but has errors (a data-loss refusal, a live schema problem): nothing changed."""

    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        super().__init__(f"the plan has {len(planned.errors)} error(s); nothing was changed")
