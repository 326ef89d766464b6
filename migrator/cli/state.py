"""`migrator state list|show|rm`, `migrator import`, `migrator force-unlock`: the state file
itself (never the resources, except `import` which only reads one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from migrator.cli.common import Database, JsonFlag, McpConfigOpt, StateDir, emit_json, fail, guarded, settings
from migrator.errors import MigratorError


def state_list(state_dir: StateDir = Path("state"), as_json: JsonFlag = False) -> None:
    """The addresses the state records, in order."""
    from migrator.service import files

    state = guarded(lambda: files.read_state(state_dir))
    if as_json:
        emit_json({"lineage": state.lineage, "serial": state.serial,
                   "resources": [{"address": str(a), "status": r.status} for a, r in sorted(state.resources.items())]})
        return
    for address, resource in sorted(state.resources.items()):
        typer.echo(f"{address}" + ("  (tainted)" if resource.status != "ok" else ""))


def state_show(address: Annotated[str, typer.Argument(help="KIND.NAME")], state_dir: StateDir = Path("state")) -> None:
    """One resource as recorded: attributes observed after apply, dependencies, status."""
    from migrator.service import files

    state = guarded(lambda: files.read_state(state_dir))
    addr = guarded(lambda: files.resource_address(address))
    resource = state.get(addr)
    if resource is None:
        fail(str(MigratorError(f"{address} is not in the state", hint="`migrator state list` shows what is")))
    emit_json({"address": str(addr), **resource.to_json()})


def state_rm(addresses: Annotated[list[str], typer.Argument(help="KIND.NAME ...")],
             state_dir: StateDir = Path("state")) -> None:
    """Forget resources: migrator stops managing them; they are not destroyed."""
    from migrator.service import files

    parsed = guarded(lambda: [files.resource_address(a) for a in addresses])
    guarded(lambda: files.forget(state_dir, parsed))
    for address in parsed:
        typer.echo(f"Removed {address} from the state; the resource itself is untouched.")


def force_unlock(lock_id: Annotated[str, typer.Argument(help="The lock ID from the message that reported the lock.")],
                 state_dir: StateDir = Path("state")) -> None:
    """Break a lock left by a run that died (check that it really is not running)."""
    from migrator.service import files

    holder = guarded(lambda: files.force_unlock(state_dir, lock_id))
    typer.echo(f"Lock {lock_id} removed (it was held by {holder.get('who')} for {holder.get('operation')} since "
               f"{holder.get('created')}).")


def import_(address: Annotated[str, typer.Argument(help="dynamodb_table.NAME or mysql_view.NAME")],
            resource_id: Annotated[str, typer.Argument(metavar="ID", help="The table or view name.")],
            mcp_config: McpConfigOpt = None, database: Database = None,
            state_dir: StateDir = Path("state")) -> None:
    """Adopt an existing DynamoDB table or MySQL view into the state; the next plan reconciles it."""
    from migrator.service import files
    from migrator.service import session as service

    addr = guarded(lambda: files.resource_address(address))
    guarded(lambda: files.check_importable(addr, resource_id))  # before any server starts
    observed = guarded(lambda: service.run(lambda session: session.import_(addr, resource_id),
                                       settings(state_dir, database=database),
                                       mcp_config))
    typer.echo(f"Imported {addr}. The next plan compares it with the contract.")
    typer.echo(json.dumps(observed, indent=2, sort_keys=True, default=str))
