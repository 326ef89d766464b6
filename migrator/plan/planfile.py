"""Saved plans (`plan --out FILE`, `apply FILE`): apply exactly what was reviewed, or nothing.

The file holds no secret and no desired configuration: it records the contract's hash,
the state's lineage and serial, the options and settings, and the list of (address,
action). `apply FILE` plans again from the same inputs and refuses when anything differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.plan.model import Plan
from migrator.plan.render_json import plan_json
from migrator.settings import Settings
from migrator.state.model import State

FORMAT = "migrator-plan"
FORMAT_VERSION = 1
SETTINGS_FIELDS = ("bucket", "prefix", "job_prefix", "glue_role", "connection_name", "source_host", "source_port",
                   "database")


@dataclass(frozen=True)
class PlanFile:
    contract: str
    contract_sha256: str
    lineage: str
    serial: int
    targets: tuple[str, ...]
    replace: tuple[str, ...]
    allow_data_loss: bool
    settings: dict[str, Any]
    changes: tuple[tuple[str, str], ...]


def contract_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def change_list(plan: Plan) -> tuple[tuple[str, str], ...]:
    return tuple((str(c.address), c.action.value) for c in plan.actionable)


def write_planfile(path: Path, plan: Plan, contract: Path, settings: Settings, targets: tuple[str, ...],
                   replace: tuple[str, ...], allow_data_loss: bool) -> None:
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "contract": str(contract),
           "contract_sha256": contract_sha256(contract), "lineage": plan.lineage, "serial": plan.serial,
           "targets": list(targets), "replace": list(replace), "allow_data_loss": allow_data_loss,
           "settings": {k: getattr(settings, k) for k in SETTINGS_FIELDS},
           "changes": [list(c) for c in change_list(plan)], "plan": plan_json(plan)}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def read_planfile(path: Path) -> PlanFile | None:
    """The saved plan, or None when `path` is not one (a contract, say)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    if doc.get("format_version") != FORMAT_VERSION:
        raise MigratorError(f"{path} is a plan of format version {doc.get('format_version')}; this migrator reads "
                            f"version {FORMAT_VERSION}", hint="run `migrator plan --out` again")
    return PlanFile(contract=str(doc["contract"]), contract_sha256=str(doc["contract_sha256"]),
                    lineage=str(doc["lineage"]), serial=int(doc["serial"]), targets=tuple(doc.get("targets", ())),
                    replace=tuple(doc.get("replace", ())), allow_data_loss=bool(doc.get("allow_data_loss")),
                    settings=dict(doc.get("settings") or {}), changes=tuple(tuple(c) for c in doc["changes"]))


def check_inputs(saved: PlanFile, path: Path, state: State) -> None:
    """Refuse before any I/O when the contract or the state is not the one the plan saw."""
    contract = Path(saved.contract)
    if not contract.exists():
        raise MigratorError(f"the plan {path} was made from {contract}, which no longer exists",
                            hint="run `migrator plan --out` again")
    if contract_sha256(contract) != saved.contract_sha256:
        raise MigratorError(f"the contract {contract} changed since the plan {path} was made",
                            hint="review a new plan: `migrator plan --out` again")
    if saved.lineage and state.lineage != saved.lineage:
        raise MigratorError(f"the plan {path} was made for another state (lineage {saved.lineage}, this state is "
                            f"{state.lineage})", hint="run `migrator plan --out` against this state")
    if state.serial != saved.serial or state.lineage != saved.lineage:
        raise MigratorError(f"the state changed since the plan {path} was made (serial {saved.serial}, now "
                            f"{state.serial})", hint="review a new plan: `migrator plan --out` again")


def check_same(saved: PlanFile, path: Path, plan: Plan) -> None:
    """The fresh plan must propose exactly the saved changes."""
    fresh = change_list(plan)
    if fresh != saved.changes:
        old, new = set(saved.changes), set(fresh)
        diff = sorted(new - old) or sorted(old - new)
        what = ", ".join(f"{a} ({act})" for a, act in diff[:3]) or "the order of the changes"
        raise MigratorError(f"reality changed since the plan {path} was made: it now differs at {what}",
                            hint="review a new plan: `migrator plan --out` again")


def settings_from(saved: PlanFile, base: Settings) -> Settings:
    values = {k: saved.settings[k] for k in SETTINGS_FIELDS if k in saved.settings}
    return Settings(**{**asdict(base), **values})
