"""Reading `mcp.json`: the IDE's `mcpServers` map plus migrator's own `migrator.roles` section.

```json
{"mcpServers": {"mysql": {"command": "mysql_mcp_server", "args": [], "env": {"MYSQL_PASSWORD": "${env:DB_PASSWORD}"}}},
 "migrator": {"roles": {"mysql": {"server": "mysql", "adapter": "mysql_mcp_server"}}}}
```

Without a `migrator` section each role uses the server named `migrator-<role>` with the
built-in adapter; the adapter names a role accepts are those the adapters declare
(`adapters/registry.py`). `${VAR}` and `${env:VAR}` in `env` values are expanded from the
environment, so passwords can stay out of the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from migrator.errors import ConfigError
from migrator.mcp.adapters.registry import DEFAULT, adapter_names
from migrator.mcp.facades import ROLES

#: where migrator looks when no --mcp-config is given, in order.
SEARCH_PATH: tuple[Path, ...] = (Path("mcp.json"), Path(".migrator/sandbox/mcp.json"), Path(".vscode/mcp.json"),
                                 Path(".cursor/mcp.json"), Path(".amazonq/mcp.json"))

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_VAR = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True)
class RoleBinding:
    role: str
    server: str
    adapter: str


@dataclass(frozen=True)
class McpConfig:
    path: Path | None
    servers: dict[str, ServerSpec]
    roles: dict[str, RoleBinding]

    def server_for(self, role: str) -> ServerSpec:
        return self.servers[self.roles[role].server]

    def with_database(self, database: str | None) -> McpConfig:
        """The same servers, the mysql role's reading `database` (its MYSQL_DATABASE, which the built-in
        server and mysql_mcp_server both read); unchanged for None."""
        binding = self.roles.get("mysql")
        if database is None or binding is None or binding.server not in self.servers:
            return self
        spec = self.servers[binding.server]
        servers = {**self.servers, spec.name: replace(spec, env={**spec.env, "MYSQL_DATABASE": database})}
        return replace(self, servers=servers)


def find_config(explicit: Path | None = None, cwd: Path | None = None) -> Path:
    if explicit is not None:
        if not explicit.exists():
            raise ConfigError(f"MCP configuration {explicit} does not exist",
                              hint="pass the path of your mcp.json with --mcp-config, or run `migrator sandbox up`")
        return explicit
    env = os.environ.get("MIGRATOR_MCP_CONFIG")
    if env:
        return find_config(Path(env))
    base = cwd or Path.cwd()
    for candidate in SEARCH_PATH:
        if (base / candidate).exists():
            return base / candidate
    raise ConfigError("no MCP configuration found (looked for " + ", ".join(str(p) for p in SEARCH_PATH) + ")",
                      hint="run `migrator sandbox up` for a local sandbox, or pass --mcp-config PATH")


def load_config(path: Path, environ: dict[str, str] | None = None) -> McpConfig:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read MCP configuration {path}: {exc.strerror}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                          hint="fix the syntax") from exc
    return parse_config(doc, path, os.environ if environ is None else environ)


def parse_config(doc: Any, path: Path | None, environ: dict[str, str] | os._Environ[str]) -> McpConfig:
    where = str(path) if path else "mcp.json"
    if not isinstance(doc, dict) or not isinstance(doc.get("mcpServers"), dict):
        raise ConfigError(f"{where} has no 'mcpServers' object",
                          hint='write {"mcpServers": {"name": {"command": ..., "args": [...], "env": {...}}}}')
    servers: dict[str, ServerSpec] = {}
    for name, raw in doc["mcpServers"].items():
        servers[name] = _server(name, raw, where, environ)
    roles = _roles(doc.get("migrator"), servers, where)
    return McpConfig(path=path, servers=servers, roles=roles)


def _member(key: str) -> str:
    """`.name`, or `["odd name"]` for a name that is not an identifier (a message stays one line)."""
    return f".{key}" if _IDENT.match(key) else f"[{json.dumps(key)}]"


def _server(name: str, raw: Any, where: str, environ: Any) -> ServerSpec:
    at = f"{where}: mcpServers{_member(name)}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at} must be an object with 'command', 'args' and 'env'")
    if raw.get("url") or raw.get("type") in {"sse", "http", "streamable-http"}:
        raise ConfigError(f"{at} is a remote (HTTP/SSE) server; migrator drives stdio servers only",
                          hint="configure a 'command' that starts the server locally")
    command = raw.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ConfigError(f"{at} has no 'command'", hint="set the executable that starts the server")
    args = raw.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ConfigError(f"{at}.args must be a list of strings")
    env = raw.get("env", {}) or {}
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in env.items()):
        raise ConfigError(f"{at}.env must map names to strings")
    expanded = {k: _expand(str(v), f"{at}.env{_member(k)}", environ) for k, v in env.items()}
    cwd = raw.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ConfigError(f"{at}.cwd must be a string")
    return ServerSpec(name=name, command=command, args=tuple(args), env=expanded, cwd=cwd)


def _expand(value: str, at: str, environ: Any) -> str:
    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in environ:
            raise ConfigError(f"{at} refers to ${{{var}}}, which is not set in the environment",
                              hint=f"export {var} before running migrator")
        return str(environ[var])
    return _VAR.sub(sub, value)


def _roles(section: Any, servers: dict[str, ServerSpec], where: str) -> dict[str, RoleBinding]:
    raw_roles: dict[str, Any] = {}
    if section is not None:
        if not isinstance(section, dict) or not isinstance(section.get("roles", {}), dict):
            raise ConfigError(f"{where}: 'migrator' must be an object with a 'roles' object")
        raw_roles = section.get("roles", {})
        unknown = sorted(set(raw_roles) - set(ROLES))
        if unknown:
            raise ConfigError(f"{where}: migrator.roles{_member(unknown[0])} is not a role",
                              hint="roles are " + ", ".join(ROLES))
    out: dict[str, RoleBinding] = {}
    for role in ROLES:
        raw = raw_roles.get(role)
        if raw is None:
            server, adapter = f"migrator-{role}", DEFAULT
        elif isinstance(raw, str):
            server, adapter = raw, DEFAULT
        elif isinstance(raw, dict) and isinstance(raw.get("server"), str):
            server, adapter = raw["server"], raw.get("adapter", DEFAULT)
        else:
            raise ConfigError(f"{where}: migrator.roles.{role} must name a server",
                              hint='write {"server": "<name in mcpServers>", "adapter": "builtin"}')
        if adapter not in adapter_names(role):
            raise ConfigError(f"{where}: migrator.roles.{role}.adapter {json.dumps(adapter)} is not known",
                              hint="use one of " + ", ".join(adapter_names(role)))
        if raw is not None and server not in servers:
            raise ConfigError(f"{where}: migrator.roles.{role} names server {json.dumps(server)}, "
                              "which mcpServers does not define",
                              hint="add it to mcpServers or fix the name")
        out[role] = RoleBinding(role=role, server=server, adapter=adapter)
    return out
