"""Sessions to MCP servers over stdio, kept open for the run.

`ServerConnection` owns one server process: a background task enters the SDK's
`stdio_client`/`ClientSession` contexts and holds them (anyio requires a context to be
exited by the task that entered it), so any task can call tools concurrently on the
same session. A server that dies is restarted on the next call. `McpHub` owns the
connections of one run and applies the call policy: per-call timeout, retries with
backoff and jitter on transient faults of repeatable calls, and a circuit breaker.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CONNECTION_CLOSED, CallToolResult, Tool

from migrator.errors import ConfigError
from migrator.mcp.config import McpConfig, ServerSpec
from migrator.mcp.errors import ErrorCode, ToolError
from migrator.mcp.resilience import CircuitBreaker, RetryPolicy

T = TypeVar("T")

#: environment a server inherits from migrator unless its mcp.json entry sets it.
FORWARDED_PREFIXES: tuple[str, ...] = ("AWS_", "MYSQL_")
REQUEST_TIMEOUT_CODE = 408


@dataclass(frozen=True)
class CallOptions:
    timeout: float = 60.0
    idempotent: bool = True       # safe to repeat after a timeout or a crash mid-call
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class ServerDied(Exception):
    """The session to the server closed (process exited or pipe broken).

    `generation` says which process it was (the connection's restart count), so the calls
    that were in flight together count as one failure of the server, not one each.
    """

    def __init__(self, message: str, generation: int = 0) -> None:
        super().__init__(message)
        self.generation = generation


class ServerConnection:
    """One stdio server process and its initialised session."""

    def __init__(self, spec: ServerSpec, log_dir: Path, *, start_timeout: float = 60.0) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self.start_timeout = start_timeout
        self.session: ClientSession | None = None
        self.server_info: dict[str, Any] = {}
        self.started_in: float | None = None
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._lock = asyncio.Lock()
        self._log: TextIO | None = None

    def _params(self) -> StdioServerParameters:
        env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_PREFIXES)}
        env.update(self.spec.env)
        return StdioServerParameters(command=self.spec.command, args=list(self.spec.args), env=env,
                                     cwd=self.spec.cwd)

    async def ensure_started(self) -> ClientSession:
        async with self._lock:
            if self.session is not None and self._task is not None and not self._task.done():
                return self.session
            # Not started, or died: a dead session is replaced by a fresh process.
            if self._task is not None:
                await self._shutdown()
                self.restarts += 1
            return await self._start()

    async def _start(self) -> ClientSession:
        if shutil.which(self.spec.command) is None and not Path(self.spec.command).exists():
            raise ToolError(ErrorCode.UNAVAILABLE, f"command '{self.spec.command}' was not found",
                            server=self.spec.name,
                            hint=f"install it or fix mcpServers.{self.spec.name}.command in your mcp.json")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "a", encoding="utf-8")
        self._log.write(f"--- start {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {self.spec.command}\n")
        self._log.flush()
        ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        began = time.monotonic()
        self._task = asyncio.create_task(self._hold(ready, self._stop), name=f"mcp:{self.spec.name}")
        try:
            session = await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except asyncio.TimeoutError:
            await self._shutdown()
            raise ToolError(ErrorCode.UNAVAILABLE, f"did not initialise within {self.start_timeout:.0f} s",
                            server=self.spec.name, hint=f"see {self.log_path}") from None
        except BaseException as exc:
            await self._shutdown()
            raise self._start_failure(exc) from None
        self.started_in = time.monotonic() - began
        self.session = session
        return session

    async def _hold(self, ready: asyncio.Future[ClientSession], stop: asyncio.Event) -> None:
        try:
            assert self._log is not None  # opened by _start before this task runs
            async with stdio_client(self._params(), errlog=self._log) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    self.server_info = {"name": init.serverInfo.name, "version": init.serverInfo.version,
                                        "protocol": init.protocolVersion}
                    ready.set_result(session)
                    await stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported through the future or on the next call
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ServerDied(str(exc)))
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            self.session = None

    def _start_failure(self, exc: BaseException) -> ToolError:
        tail = self.last_log_line()
        reason = tail or (str(exc) or type(exc).__name__)
        return ToolError(ErrorCode.UNAVAILABLE, f"could not start or initialise: {reason}", server=self.spec.name,
                         hint=f"run `{self.spec.command} {' '.join(self.spec.args)}` by hand or see {self.log_path}")

    def last_log_line(self) -> str:
        """The last meaningful line the server wrote to stderr (exception lines first)."""
        try:
            lines = [l.strip() for l in self.log_path.read_text(errors="replace").splitlines() if l.strip()]
        except OSError:
            return ""
        lines = [l for l in lines if not l.startswith("--- start")]
        for line in reversed(lines[-40:]):
            if "Error" in line or "error" in line or "Exception" in line:
                return line[:300]
        return lines[-1][:300] if lines else ""

    async def call_tool(self, name: str, arguments: dict[str, Any], timeout: float) -> CallToolResult:
        session = await self.ensure_started()
        generation = self.restarts
        try:
            return await session.call_tool(name, arguments, read_timeout_seconds=timedelta(seconds=timeout))
        except McpError as exc:
            if exc.error.code == CONNECTION_CLOSED:
                self.session = None  # the next call restarts the server
                raise ServerDied(exc.error.message, generation) from exc
            if exc.error.code == REQUEST_TIMEOUT_CODE:
                raise ToolError(ErrorCode.TIMEOUT, f"no answer within {timeout:.0f} s", server=self.spec.name,
                                tool=name) from exc
            raise ToolError(ErrorCode.INVALID, exc.error.message, server=self.spec.name, tool=name) from exc
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            self.session = None
            raise ServerDied(type(exc).__name__, generation) from exc

    async def list_tools(self, timeout: float = 30.0) -> list[Tool]:
        session = await self.ensure_started()
        tools: list[Tool] = []
        cursor: str | None = None
        while True:
            page = await asyncio.wait_for(session.list_tools(cursor=cursor), timeout)
            tools.extend(page.tools)
            cursor = page.nextCursor
            if not cursor:
                return tools

    async def _shutdown(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - a dying server may fail its own exit
                self._task.cancel()
        self._task = None
        self.session = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def close(self) -> None:
        async with self._lock:
            await self._shutdown()


class McpHub:
    """The connections of one run, by server name; `async with McpHub(config) as hub`."""

    def __init__(self, config: McpConfig, log_dir: Path = Path(".migrator/logs"), *,
                 rng: random.Random | None = None, breaker_threshold: int = 5,
                 breaker_reset_seconds: float = 30.0) -> None:
        self.config = config
        self.log_dir = log_dir
        self.rng = rng or random.Random()
        self._connections: dict[str, ServerConnection] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._breaker_args = (breaker_threshold, breaker_reset_seconds)
        self._deaths_counted: dict[str, int] = {}  # per server: the last process whose death the breaker saw

    async def __aenter__(self) -> McpHub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.gather(*(c.close() for c in self._connections.values()), return_exceptions=True)
        self._connections.clear()

    def server_for_role(self, role: str) -> ServerSpec:
        binding = self.config.roles[role]
        spec = self.config.servers.get(binding.server)
        if spec is None:
            where = self.config.path or "mcp.json"
            raise ConfigError(f"{where} defines no MCP server for role '{role}' (expected mcpServers.{binding.server})",
                              hint=f"add it, or map the role in migrator.roles.{role}")
        return spec

    def connection(self, server: str) -> ServerConnection:
        conn = self._connections.get(server)
        if conn is None:
            conn = ServerConnection(self.config.servers[server], self.log_dir)
            self._connections[server] = conn
        return conn

    def breaker(self, server: str) -> CircuitBreaker:
        if server not in self._breakers:
            threshold, reset = self._breaker_args
            self._breakers[server] = CircuitBreaker(server, threshold=threshold, reset_seconds=reset)
        return self._breakers[server]

    async def call(self, server: str, tool: str, arguments: dict[str, Any],
                   parse: Callable[[CallToolResult], T], options: CallOptions = CallOptions()) -> T:
        """Call `tool` and `parse` its result, under the retry policy and the breaker."""
        conn = self.connection(server)
        breaker = self.breaker(server)
        attempt = 0
        while True:
            breaker.before_call()
            try:
                result = await conn.call_tool(tool, arguments, options.timeout)
                value = parse(result)
            except ServerDied as exc:
                if self._deaths_counted.get(server) != exc.generation:  # one death, however many calls it cut
                    self._deaths_counted[server] = exc.generation
                    breaker.record_failure()
                error = ToolError(ErrorCode.UNAVAILABLE,
                                  f"the server stopped during the call ({conn.last_log_line() or exc})",
                                  server=server, tool=tool,
                                  hint=f"see {conn.log_path}; it is restarted on the next call")
                if not options.idempotent:
                    raise ToolError(ErrorCode.UNAVAILABLE, error.message.split(": ", 1)[-1], server=server, tool=tool,
                                    hint="the call is not safe to repeat blindly; check its effect, then run again") from None
            except ToolError as exc:
                if not exc.server:
                    exc = ToolError(exc.code, exc.message, server=server, tool=tool, hint=exc.hint)
                if exc.code in (ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.THROTTLED):
                    breaker.record_failure()
                else:
                    breaker.record_success()  # the server answered; the fault is the request's
                if not exc.transient or not options.idempotent:
                    raise exc from None
                error = exc
            else:
                breaker.record_success()
                return value
            attempt += 1
            if attempt >= options.retry.attempts:
                raise error
            await asyncio.sleep(options.retry.delay(attempt, self.rng))

    async def list_tools(self, server: str) -> list[Tool]:
        try:
            return await self.connection(server).list_tools()
        except ServerDied as exc:
            raise ToolError(ErrorCode.UNAVAILABLE, f"the server stopped while listing tools ({exc})",
                            server=server) from None
