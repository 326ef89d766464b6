"""Which MCP servers a command talks to, the MySQL account its load jobs use, and the one compile
of a command: the contract against the schema the mysql server serves."""

from __future__ import annotations

import os
from pathlib import Path

from migrator.compile.contract import Compiled, SourceCredentials, compile_contract
from migrator.contract.model import Contract
from migrator.errors import ConfigError
from migrator.mcp.config import McpConfig, find_config, load_config
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode
from migrator.mcp.facades import Facades
from migrator.mysql_schema import SYSTEM_DATABASES
from migrator.settings import Settings


def config_in_use(mcp_config: Path | None, settings: Settings) -> McpConfig:
    """The mcp.json in use, its mysql server reading the database `--database` names (if any)."""
    if settings.database is not None and settings.database.lower() in SYSTEM_DATABASES:
        raise ConfigError(f"--database {settings.database} names one of MySQL's own databases, which hold the "
                          "server's catalog, not an application's tables",
                          hint="name the database your application's tables are in")
    return load_config(find_config(mcp_config)).with_database(settings.database)


def source_credentials(config: McpConfig, settings: Settings | None = None) -> SourceCredentials:
    """The MySQL account the load job uses: the MySQL role's server environment (then ours).

    `settings.source_host/port` replace the address when Glue reaches MySQL another way.
    """
    spec = config.server_for("mysql")
    env = {**{k: v for k, v in os.environ.items() if k.startswith("MYSQL_")}, **spec.env}
    missing = [k for k in ("MYSQL_USER", "MYSQL_DATABASE") if not env.get(k)]
    if missing:
        raise ConfigError(f"the load jobs need MySQL credentials, but mcpServers.{spec.name}.env has no "
                          + " or ".join(missing), hint="set MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD and "
                          "MYSQL_DATABASE there")
    try:
        port = int(env.get("MYSQL_PORT") or 3306)
    except ValueError:
        raise ConfigError(f"mcpServers.{spec.name}.env.MYSQL_PORT is not a number") from None
    host = env.get("MYSQL_HOST") or "127.0.0.1"
    if settings is not None:
        host, port = settings.source_host or host, settings.source_port or port
    return SourceCredentials(host=host, port=port, user=env["MYSQL_USER"],
                             password=env.get("MYSQL_PASSWORD", ""), database=env["MYSQL_DATABASE"])


async def compile_live(facades: Facades, contract: Contract, settings: Settings,
                       source: SourceCredentials) -> Compiled:
    """The contract compiled against the live MySQL schema: the one compile of a command."""
    server = await facades.mysql.server_info()
    schema = await facades.mysql.describe_schema()
    return compile_contract(contract, schema, server, settings, source)


def explained(error: ToolError, config: McpConfig) -> ToolError:
    """A server's failure with the mcp.json it was configured in (a ./mcp.json wins over the
    sandbox's: the user must see which was read) and, for a sandbox server that cannot be
    reached, the command that starts the sandbox."""
    if config.path is None or error.server not in config.servers:
        return error
    detail = f"{error.detail} (mcpServers.{error.server} in {config.path})"
    hint = error.hint
    if error.code is ErrorCode.UNAVAILABLE and (config.path.parent / "sandbox.json").exists():
        hint = ("is the sandbox running? `migrator sandbox status` says, `migrator sandbox up` starts it"
                + (f"; {hint.rstrip('.')}" if hint else ""))
    return ToolError(error.code, detail, server=error.server, tool=error.tool, hint=hint)
