"""What a user asks of one plan (`-target`, `-replace`, `--allow-data-loss`), and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass

from migrator.compile.contract import Compiled
from migrator.findings import Finding, Severity
from migrator.graph import Address
from migrator.state.model import State


@dataclass(frozen=True)
class PlanOptions:
    targets: frozenset[Address] = frozenset()
    replace: frozenset[Address] = frozenset()
    allow_data_loss: bool = False


def option_findings(compiled: Compiled, state: State, options: PlanOptions) -> list[Finding]:
    """An address neither the contract nor the state knows is an error; targeting is a warning."""
    out = []
    for address in sorted(options.targets | options.replace):
        if address not in compiled.graph.nodes and state.get(address) is None:
            out.append(Finding(Severity.ERROR, "$", f"{address} is neither in the contract nor in the state",
                               "check the address with `migrator state list` or `migrator plan`", "option.address"))
    if options.targets:
        out.append(Finding(Severity.WARNING, "$", "resource targeting is in effect: the plan covers "
                           + ", ".join(str(a) for a in sorted(options.targets)) + " and what they depend on, so it "
                           "may not show everything that differs from the contract",
                           "run a plan without -target before you rely on the result", "option.target"))
    return out
