"""What commands do without a server: read and validate a contract, read a saved plan and the
state, save a plan, forget a resource, break a lock, parse what a user typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrator.contract.document import ValidationReport, read_contract, validate_file
from migrator.contract.model import Contract
from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.graph import Address
from migrator.plan.model import Plan
from migrator.plan.planfile import PlanFile, read_planfile, settings_from, write_planfile
from migrator.planning.options import PlanOptions
from migrator.providers import IMPORTABLE, parse_address
from migrator.report.build import build_report
from migrator.report.model import Report
from migrator.service.errors import ContractInvalid
from migrator.settings import Settings
from migrator.state.model import State
from migrator.state.store import StateStore


@dataclass(frozen=True)
class SavedPlan:
    """A plan saved by `plan --out` and the file it came from."""

    path: Path
    file: PlanFile


@dataclass(frozen=True)
class ApplyRequest:
    """What `apply` runs: a contract with options, or a saved plan (which fixes both)."""

    contract: Path
    options: PlanOptions = field(default_factory=PlanOptions)
    auto_approve: bool = False
    saved: SavedPlan | None = None


def load_contract(path: Path) -> Contract:
    """The typed contract, or ContractInvalid with every finding when it has errors."""
    contract, findings = read_contract(path)
    if contract is None or any(f.severity is Severity.ERROR for f in findings):
        raise ContractInvalid(path, findings)
    return contract


def validate(path: Path) -> ValidationReport:
    """`migrator validate`: schema and lint, no I/O beyond reading the file."""
    return validate_file(path)


def resolve_apply(path: Path, settings: Settings, options: PlanOptions,
                  auto_approve: bool) -> tuple[ApplyRequest, Settings]:
    """`apply PATH`: a saved plan brings its own contract, options and settings, and needs no
    confirmation (it was reviewed); anything else is a contract applied with `options`."""
    saved = read_planfile(path)
    if saved is None:
        return ApplyRequest(path, options, auto_approve), settings
    options = PlanOptions(targets=frozenset(parse_address(t) for t in saved.targets),
                          replace=frozenset(parse_address(r) for r in saved.replace),
                          allow_data_loss=saved.allow_data_loss)
    settings = replace(settings_from(saved, settings), parallelism=settings.parallelism)
    return ApplyRequest(Path(saved.contract), options, True, SavedPlan(path, saved)), settings


def save_plan(path: Path, plan: Plan, contract: Path, settings: Settings, options: PlanOptions) -> None:
    """`plan --out`: the saved plan holds no secret and no desired configuration."""
    write_planfile(path, plan, contract, settings, tuple(str(a) for a in sorted(options.targets)),
                   tuple(str(a) for a in sorted(options.replace)), options.allow_data_loss)


def read_state(state_dir: Path) -> State:
    """The state as recorded (`migrator state list|show`); no lock needed to read."""
    return StateStore(state_dir).read()


def report_from_state(state_dir: Path) -> Report:
    """The report of the last apply from the state file alone (no server; drift not checked)."""
    return build_report(read_state(state_dir))


def forget(state_dir: Path, addresses: Sequence[Address]) -> None:
    """`migrator state rm`: migrator stops managing these resources; they are not destroyed."""
    store = StateStore(state_dir)
    with store.lock("state rm"):
        state = store.read()
        missing = [str(a) for a in addresses if state.get(a) is None]
        if missing:
            raise MigratorError(f"{', '.join(missing)} not in the state", hint="`migrator state list` shows what is")
        for address in addresses:
            state = state.without(address)
        store.write(state)


def force_unlock(state_dir: Path, lock_id: str) -> dict[str, object]:
    """Break the lock of a run that died; returns who held it."""
    return StateStore(state_dir).force_unlock(lock_id)


def resource_address(text: str) -> Address:
    """A resource address typed by a user (`-target`, `state rm`, `import`): KIND.NAME of a known kind."""
    return parse_address(text)


def check_importable(address: Address, resource_id: str) -> None:
    """`migrator import ADDRESS ID`: only kinds that exist outside migrator, and the ID must be the name."""
    if address.kind not in IMPORTABLE:
        raise MigratorError(f"{address.kind} resources cannot be imported",
                            hint="import one of: " + ", ".join(IMPORTABLE))
    if address.name != resource_id:
        raise MigratorError(f"{address} names '{address.name}' but the ID is '{resource_id}'",
                            hint=f"the address of {resource_id} is {address.kind}.{resource_id}")
