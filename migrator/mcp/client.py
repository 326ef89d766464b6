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
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CONNECTION_CLOSED, CallToolResult, Tool

from migrator.errors import ConfigError
from migrator.mcp.errors import ToolError
from migrator.mcp.server_log import BoundedLog, tail_lines
from migrator.mcp.resilience import CircuitBreaker, RetryPolicy
from migrator.protocol import ErrorCode

if TYPE_CHECKING:  # types only: config reads the adapter registry, and the adapters import this module
    from migrator.mcp.config import McpConfig, ServerSpec

T = TypeVar("T")

#: environment a server inherits from migrator unless its mcp.json entry sets it.
FORWARDED_PREFIXES: tuple[str, ...] = ("AWS_", "MYSQL_")
REQUEST_TIMEOUT_CODE = 408
#: how much longer than its timeout a call may take in all (sending, the SDK's own bookkeeping).
DEADLINE_GRACE_SECONDS = 5.0
#: how long an answer that arrived just before the server died may take to reach its caller.
ANSWER_GRACE_SECONDS = 1.0


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


@dataclass
class _Session:
    """One server process and its session. Never revived: a dead one is replaced by a new one,
    so nothing that still holds the old one (a late error, a slow teardown) can touch its successor."""

    generation: int
    client: ClientSession
    ended: asyncio.Event  # set when the server's output ended, the transport failed or a call saw it die
    task: asyncio.Task[None]
    stop: asyncio.Event

    @property
    def alive(self) -> bool:
        return not self.ended.is_set() and not self.task.done()


class ServerConnection:
    """One stdio server at a time, restarted when it dies."""

    def __init__(self, spec: ServerSpec, log_dir: Path, *, start_timeout: float = 60.0) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self.start_timeout = start_timeout
        self.server_info: dict[str, Any] = {}
        self.tools: list[Tool] = []
        self.started_in: float | None = None
        self.restarts = 0
        self._current: _Session | None = None
        self._lock = asyncio.Lock()
        self._log: BoundedLog | None = None

    def _params(self) -> StdioServerParameters:
        env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_PREFIXES)}
        env.update(self.spec.env)
        return StdioServerParameters(command=self.spec.command, args=list(self.spec.args), env=env,
                                     cwd=self.spec.cwd)

    async def ensure_started(self) -> _Session:
        async with self._lock:
            current = self._current
            if current is not None and current.alive:
                return current
            if current is not None:  # it died: a fresh process replaces it
                await self._shutdown()
                self.restarts += 1
            return await self._start()

    async def _start(self) -> _Session:
        if shutil.which(self.spec.command) is None and not Path(self.spec.command).exists():  # noqa: ASYNC240 - once per start
            raise ToolError(ErrorCode.UNAVAILABLE, f"command '{self.spec.command}' was not found",
                            server=self.spec.name,
                            hint=f"install it or fix mcpServers.{self.spec.name}.command in your mcp.json")
        if self.spec.cwd is not None and not Path(self.spec.cwd).is_dir():  # noqa: ASYNC240 - once per start
            raise ToolError(ErrorCode.UNAVAILABLE, f"its working directory {self.spec.cwd} does not exist",
                            server=self.spec.name, hint=f"fix or remove mcpServers.{self.spec.name}.cwd in your mcp.json")
        self._log = BoundedLog(self.log_path)   # the server's stderr, copied into a log of bounded size
        self._log.note(f"--- start {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {self.spec.command}")
        ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        stop, ended = asyncio.Event(), asyncio.Event()
        began = time.monotonic()
        task = asyncio.create_task(self._hold(ready, stop, ended), name=f"mcp:{self.spec.name}")
        try:
            client = await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except TimeoutError:
            await self._stop_task(task, stop)
            self._close_log()
            raise ToolError(ErrorCode.UNAVAILABLE, f"did not initialise within {self.start_timeout:.0f} s",
                            server=self.spec.name, hint=f"see {self.log_path}") from None
        except BaseException as exc:
            await self._stop_task(task, stop)
            self._close_log()
            raise self._start_failure(exc) from None
        self.started_in = time.monotonic() - began
        self._current = _Session(self.restarts, client, ended, task, stop)
        return self._current

    async def _hold(self, ready: asyncio.Future[ClientSession], stop: asyncio.Event, ended: asyncio.Event) -> None:
        try:
            assert self._log is not None  # opened by _start before this task runs
            async with stdio_client(self._params(), errlog=self._log.stream) as (read, write):
                # The session reads through a relay that sets `ended` when the server's output
                # ends, so calls waiting on a dead process learn it at once, not at their timeout.
                relay_in, relay_out = anyio.create_memory_object_stream[Any](0)
                async with anyio.create_task_group() as relays:
                    relays.start_soon(_relay, read, relay_in, ended)
                    async with ClientSession(relay_out, write) as session:
                        init = await session.initialize()
                        self.server_info = {"name": init.serverInfo.name, "version": init.serverInfo.version,
                                            "protocol": init.protocolVersion}
                        # Listing fills the SDK's cache of output schemas. Without it the SDK lists
                        # the tools after the first answer, with no timeout: if the server dies just
                        # then, that request is never answered and the call hangs for ever.
                        self.tools = await _list_all(session, self.start_timeout)
                        ready.set_result(session)
                        await stop.wait()
                    relays.cancel_scope.cancel()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ServerDied(str(exc)))
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            ended.set()

    def _start_failure(self, exc: BaseException) -> ToolError:
        tail = self.last_log_line()
        reason = tail or (str(exc) or type(exc).__name__)
        return ToolError(ErrorCode.UNAVAILABLE, f"could not start or initialise: {reason}", server=self.spec.name,
                         hint=f"run `{self.spec.command} {' '.join(self.spec.args)}` by hand or see {self.log_path}")

    def last_log_line(self) -> str:
        """The last meaningful line the server wrote to stderr (exception lines first)."""
        lines = [l for l in tail_lines(self.log_path) if not l.startswith(("--- start", "--- rotated"))]
        for line in reversed(lines[-40:]):
            if "Error" in line or "error" in line or "Exception" in line:
                return line[:300]
        return lines[-1][:300] if lines else ""

    async def call_tool(self, name: str, arguments: dict[str, Any], timeout: float) -> CallToolResult:
        live = await self.ensure_started()
        call = asyncio.ensure_future(
            live.client.call_tool(name, arguments, read_timeout_seconds=timedelta(seconds=timeout)))
        ended = asyncio.ensure_future(live.ended.wait())
        try:
            # The SDK's read timeout covers waiting for the answer only; this deadline covers
            # everything the call can wait on (sending included), so no call outlives it.
            await asyncio.wait({call, ended}, timeout=timeout + DEADLINE_GRACE_SECONDS,
                               return_when=asyncio.FIRST_COMPLETED)
            if not call.done() and ended.done():
                # The process is gone. An answer that arrived before its output ended still comes
                # through (the caller may just not have run yet); nothing else will.
                await asyncio.wait({call}, timeout=ANSWER_GRACE_SECONDS)
            if not call.done():
                raise self._no_answer(live, name, timeout)
            return self._result(live, name, timeout, call)
        finally:
            for waiter in (call, ended):
                waiter.cancel()

    def _result(self, live: _Session, name: str, timeout: float, call: asyncio.Future[CallToolResult]) -> CallToolResult:
        try:
            return call.result()
        except McpError as exc:
            if exc.error.code == CONNECTION_CLOSED:
                live.ended.set()
                raise ServerDied(exc.error.message, live.generation) from exc
            if exc.error.code == REQUEST_TIMEOUT_CODE:
                raise self._no_answer(live, name, timeout) from exc
            raise ToolError(ErrorCode.INVALID, exc.error.message, server=self.spec.name, tool=name) from exc
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            live.ended.set()
            raise ServerDied(type(exc).__name__, live.generation) from exc

    def _no_answer(self, live: _Session, tool: str, timeout: float) -> Exception:
        if not live.alive:  # no answer because the process is gone, not because it is slow
            return ServerDied("the server exited without answering", live.generation)
        return ToolError(ErrorCode.TIMEOUT, f"no answer within {timeout:.0f} s", server=self.spec.name, tool=tool)

    async def list_tools(self) -> list[Tool]:
        """The tools the running server offers (listed when it started)."""
        await self.ensure_started()
        return list(self.tools)

    async def _shutdown(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            await self._stop_task(current.task, current.stop)
        self._close_log()

    @staticmethod
    async def _stop_task(task: asyncio.Task[None], stop: asyncio.Event) -> None:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except (TimeoutError, Exception):
            task.cancel()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    async def close(self) -> None:
        async with self._lock:
            await self._shutdown()


async def _relay(source: MemoryObjectReceiveStream[Any], sink: MemoryObjectSendStream[Any],
                 ended: asyncio.Event) -> None:
    try:
        async with sink:
            async for message in source:
                await sink.send(message)
    finally:
        ended.set()


async def _list_all(session: ClientSession, timeout: float) -> list[Tool]:
    tools: list[Tool] = []
    cursor: str | None = None
    with anyio.fail_after(timeout):
        while True:
            page = await session.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.nextCursor
            if not cursor:
                return tools


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
        return await self.connection(server).list_tools()
