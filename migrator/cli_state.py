"""`migrator state list|show|rm`, `migrator import`, `migrator force-unlock` (registered on cli.app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from migrator.cli import JsonFlag, McpConfigOpt, _emit_json, _fail, app, guarded
from migrator.cli_migrate import StateDir
from migrator.errors import MigratorError
from migrator.graph import Address

state_app = typer.Typer(no_args_is_help=True, help="Inspect and edit the state file (never the resources).")
app.add_typer(state_app, name="state")

def _parse(text: str) -> Address:
    from migrator.providers import parse_address

    return parse_address(text)


def _store(state_dir: Path) -> Any:
    from migrator.state.store import StateStore

    return StateStore(state_dir)


@state_app.command("list")
def state_list(state_dir: StateDir = Path("state"), as_json: JsonFlag = False) -> None:
    """The addresses the state records, in order."""
    state = guarded(lambda: _store(state_dir).read())
    if as_json:
        _emit_json({"lineage": state.lineage, "serial": state.serial,
                    "resources": [{"address": str(a), "status": r.status} for a, r in sorted(state.resources.items())]})
        return
    for address, resource in sorted(state.resources.items()):
        typer.echo(f"{address}" + ("  (tainted)" if resource.status != "ok" else ""))


@state_app.command("show")
def state_show(address: Annotated[str, typer.Argument(help="KIND.NAME")], state_dir: StateDir = Path("state")) -> None:
    """One resource as recorded: attributes observed after apply, dependencies, status."""
    state = guarded(lambda: _store(state_dir).read())
    addr = guarded(lambda: _parse(address))
    resource = state.get(addr)
    if resource is None:
        _fail(str(MigratorError(f"{address} is not in the state", hint="`migrator state list` shows what is")))
    _emit_json({"address": str(addr), **resource.to_json()})


@state_app.command("rm")
def state_rm(addresses: Annotated[list[str], typer.Argument(help="KIND.NAME ...")],
             state_dir: StateDir = Path("state")) -> None:
    """Forget resources: migrator stops managing them; they are not destroyed."""
    store = _store(state_dir)

    def body() -> list[Address]:
        parsed = [_parse(a) for a in addresses]
        with store.lock("state rm"):
            state = store.read()
            missing = [str(a) for a in parsed if state.get(a) is None]
            if missing:
                raise MigratorError(f"{', '.join(missing)} not in the state", hint="`migrator state list` shows what is")
            for a in parsed:
                state = state.without(a)
            store.write(state)
        return parsed

    for address in guarded(body):
        typer.echo(f"Removed {address} from the state; the resource itself is untouched.")


@app.command("force-unlock")
def force_unlock(lock_id: Annotated[str, typer.Argument(help="The lock ID from the message that reported the lock.")],
                 state_dir: StateDir = Path("state")) -> None:
    """Break a lock left by a run that died (check that it really is not running)."""
    holder = guarded(lambda: _store(state_dir).force_unlock(lock_id))
    typer.echo(f"Lock {lock_id} removed (it was held by {holder.get('who')} for {holder.get('operation')} since "
               f"{holder.get('created')}).")


@app.command("import")
def import_command(address: Annotated[str, typer.Argument(help="dynamodb_table.NAME or mysql_view.NAME")],
                   resource_id: Annotated[str, typer.Argument(metavar="ID", help="The table or view name.")],
                   mcp_config: McpConfigOpt = None, state_dir: StateDir = Path("state")) -> None:
    """Adopt an existing DynamoDB table or MySQL view into the state; the next plan reconciles it."""
    from migrator.cli_migrate import _run
    from migrator.providers import IMPORTABLE
    from migrator.providers import providers as make_providers
    from migrator.providers.base import ProviderContext
    from migrator.settings import Settings
    from migrator.state.model import ResourceState

    addr = guarded(lambda: _parse(address))
    if addr.kind not in IMPORTABLE:
        _fail(str(MigratorError(f"{addr.kind} resources cannot be imported",
                                hint="import one of: " + ", ".join(IMPORTABLE))))
    if addr.name != resource_id:
        _fail(str(MigratorError(f"{address} names '{addr.name}' but the ID is '{resource_id}'",
                                hint=f"the address of {resource_id} is {addr.kind}.{resource_id}")))
    store = _store(state_dir)

    async def body(config: Any, facades: Any) -> dict[str, Any]:
        with store.lock("import"):
            state = store.read().with_lineage()
            if state.get(addr) is not None:
                raise MigratorError(f"{addr} is already in the state", hint="`migrator state rm` it first to re-import")
            ctx = ProviderContext(facades=facades, settings=Settings(state_dir=state_dir), lineage=state.lineage)
            observed = await make_providers(state.lineage)[addr.kind].read(addr, None, None, ctx)
            if observed is None:
                raise MigratorError(f"there is no {addr.kind.replace('_', ' ')} named '{resource_id}' to import")
            store.write(state.with_resource(ResourceState(addr, observed)))
            return observed

    observed = _run(body, mcp_config)
    typer.echo(f"Imported {addr}. The next plan compares it with the contract.")
    typer.echo(json.dumps(observed, indent=2, sort_keys=True, default=str))
