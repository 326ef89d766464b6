"""The client layer over real stdio sessions: concurrency, timeouts, retries, restart, breaker.

The misbehaving server (tests/fixtures/flaky_server.py) is a real MCP server process;
nothing in the transport is mocked.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

import pytest

from migrator.mcp.adapters.base import parse_envelope
from migrator.mcp.client import CallOptions, McpHub
from migrator.mcp.config import parse_config
from migrator.mcp.errors import ErrorCode, ToolError
from migrator.mcp.resilience import BreakerState, CircuitBreaker, RetryPolicy

REPO = Path(__file__).resolve().parents[1]
FAST = RetryPolicy(attempts=4, base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _hub(tmp_path: Path, **kwargs: object) -> McpHub:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    doc = {"mcpServers": {
        "flaky": {"command": sys.executable, "args": [str(REPO / "tests/fixtures/flaky_server.py")],
                  "env": {"FLAKY_DIR": str(state), "PYTHONPATH": str(REPO)}},
        "missing": {"command": "definitely-not-a-command-xyz"},
        "dies": {"command": sys.executable, "args": ["-c", "import sys; print('boom: bad config', file=sys.stderr); sys.exit(3)"]},
        "once": {"command": sys.executable, "args": [str(REPO / "tests/fixtures/abrupt_server.py")],
                 "env": {"ONCE_DIR": str(state)}},
    }}
    return McpHub(parse_config(doc, None, os.environ), log_dir=tmp_path / "logs", rng=random.Random(7), **kwargs)


def _count(tmp_path: Path, name: str) -> int:
    path = tmp_path / "state" / name
    return int(path.read_text()) if path.exists() else 0


@pytest.mark.anyio
async def test_one_session_serves_concurrent_calls(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        results = await asyncio.gather(*(hub.call("flaky", "sleep", {"seconds": 0.5}, parse_envelope) for _ in range(8)))
        pids = {(await hub.call("flaky", "echo", {"text": str(i)}, parse_envelope))["pid"] for i in range(5)}
    assert [r["slept"] for r in results] == [0.5] * 8
    # Concurrency from what the server saw, not from a wall-clock bound a busy machine can break:
    # the most calls running at one moment (one after another, it would be 1).
    events = sorted([(r["started"], 1) for r in results] + [(r["ended"], -1) for r in results])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak >= 2, f"calls ran one after another: {[(r['started'], r['ended']) for r in results]}"
    assert len(pids) == 1  # the session stayed open: one process served every call


@pytest.mark.anyio
async def test_timeout_is_a_coded_error_and_not_retried_when_unsafe(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "sleep", {"seconds": 5}, parse_envelope,
                           CallOptions(timeout=0.5, idempotent=False, retry=FAST))
    assert info.value.code is ErrorCode.TIMEOUT
    assert "'flaky'" in str(info.value) and "sleep" in str(info.value)


@pytest.mark.anyio
async def test_transient_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        out = await hub.call("flaky", "throttled_then_ok", {"tag": "a", "failures": 2}, parse_envelope,
                             CallOptions(retry=FAST))
        assert out == {"attempt": 3}
        with pytest.raises(ToolError) as info:  # more failures than attempts
            await hub.call("flaky", "throttled_then_ok", {"tag": "b", "failures": 10}, parse_envelope,
                           CallOptions(retry=FAST))
        assert info.value.code is ErrorCode.THROTTLED
        assert _count(tmp_path, "throttle-b") == FAST.attempts


@pytest.mark.anyio
async def test_permanent_errors_and_unsafe_calls_are_not_retried(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "always", {"code": "invalid"}, parse_envelope, CallOptions(retry=FAST))
        assert info.value.code is ErrorCode.INVALID and _count(tmp_path, "always-invalid") == 1
        with pytest.raises(ToolError):
            await hub.call("flaky", "throttled_then_ok", {"tag": "c", "failures": 1}, parse_envelope,
                           CallOptions(retry=FAST, idempotent=False))
        assert _count(tmp_path, "throttle-c") == 1


@pytest.mark.anyio
async def test_crashed_server_is_restarted_and_a_safe_call_repeated(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        before = (await hub.call("flaky", "echo", {"text": "x"}, parse_envelope))["pid"]
        out = await hub.call("flaky", "crash_once", {"tag": "t"}, parse_envelope, CallOptions(retry=FAST))
        assert out["pid"] != before
        assert hub.connection("flaky").restarts == 1
        # The next call uses the new process without another restart.
        assert (await hub.call("flaky", "echo", {"text": "y"}, parse_envelope))["pid"] == out["pid"]


@pytest.mark.anyio
async def test_a_server_that_exits_right_after_answering_neither_hangs_nor_repeats_the_call(tmp_path: Path) -> None:
    """Each process answers one call and exits at once. The answer is kept (not repeated, even
    for an unsafe call), and no call waits for its timeout on the dead process.

    Regression: the SDK lists the tools after a session's first answer, with no timeout; a
    server gone by then left that request, and the apply, waiting for ever."""
    parse = lambda r: r.structuredContent  # noqa: E731
    async with _hub(tmp_path) as hub:
        async def calls() -> list[int]:
            # The first is answered by a fresh process, so it must come back even though unsafe;
            # the later ones may also be sent before the death is seen, so they are repeatable.
            first = await hub.call("once", "once", {}, parse, CallOptions(timeout=30, idempotent=False))
            rest = [await hub.call("once", "once", {}, parse, CallOptions(timeout=30, retry=FAST)) for _ in range(4)]
            return [first["pid"], *(r["pid"] for r in rest)]
        pids = await asyncio.wait_for(calls(), 25)  # less than one call's timeout: none may wait for it
        assert hub.connection("once").restarts >= 4
    assert len(set(pids)) == 5
    assert _count(tmp_path, "calls") == 5  # every answered call was answered once


@pytest.mark.anyio
async def test_calls_on_a_server_that_hung_up_fail_at_once_not_at_their_timeout(tmp_path: Path) -> None:
    """The server stops reading and never answers; the next request's write fails while its
    output is still open. Both calls learn at once that the process is gone: the unsafe one
    in flight says so in one sentence, the repeatable one is answered by a new process.

    Regression: the broken write tore the SDK session down before it told the waiting calls,
    so each waited for its whole timeout (60 s in an apply)."""
    parse = lambda r: r.structuredContent  # noqa: E731
    async with _hub(tmp_path) as hub:
        await hub.connection("once").ensure_started()
        began = time.monotonic()
        hung = asyncio.create_task(hub.call("once", "hang_up", {}, parse, CallOptions(timeout=30, idempotent=False)))
        await asyncio.sleep(0.5)
        retried = await asyncio.wait_for(hub.call("once", "once", {}, parse, CallOptions(timeout=30, retry=FAST)), 25)
        with pytest.raises(ToolError) as info:
            await asyncio.wait_for(hung, 25)
        elapsed = time.monotonic() - began
    assert "not safe to repeat" in str(info.value) and "'hang_up'" in str(info.value)
    assert retried["pid"] and _count(tmp_path, "calls") == 1
    assert elapsed < 20, f"the calls waited {elapsed:.0f} s for a dead server"


@pytest.mark.anyio
async def test_crash_during_unsafe_call_is_reported_not_repeated(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "crash_once", {"tag": "u"}, parse_envelope,
                           CallOptions(retry=FAST, idempotent=False))
        assert info.value.code is ErrorCode.UNAVAILABLE
        assert "not safe to repeat" in str(info.value)
        assert _count(tmp_path, "crash-u") == 1
        # And the server comes back for the next call.
        assert (await hub.call("flaky", "echo", {"text": "z"}, parse_envelope))["text"] == "z"


@pytest.mark.anyio
async def test_one_crash_cutting_many_calls_is_one_failure_for_the_breaker(tmp_path: Path) -> None:
    """Eight calls in flight when the process dies: all are retried on the restarted server;
    the breaker (threshold 3) counts the death once, so it stays closed."""
    async with _hub(tmp_path, breaker_threshold=3, breaker_reset_seconds=60) as hub:
        await hub.call("flaky", "echo", {"text": "warm"}, parse_envelope)
        sleepers = [asyncio.create_task(hub.call("flaky", "sleep", {"seconds": 1.0}, parse_envelope,
                                                 CallOptions(retry=FAST))) for _ in range(8)]
        await asyncio.sleep(0.3)
        crashed = await hub.call("flaky", "crash_once", {"tag": "many"}, parse_envelope, CallOptions(retry=FAST))
        results = await asyncio.gather(*sleepers)
        assert [r["slept"] for r in results] == [1.0] * 8
        assert crashed["pid"] and hub.connection("flaky").restarts == 1
        assert hub.breaker("flaky").state is BreakerState.CLOSED


@pytest.mark.anyio
async def test_circuit_breaker_fails_fast_after_repeated_failures(tmp_path: Path) -> None:
    async with _hub(tmp_path, breaker_threshold=3, breaker_reset_seconds=60) as hub:
        with pytest.raises(ToolError):
            await hub.call("flaky", "crash_always", {}, parse_envelope, CallOptions(retry=FAST))
        crashes = _count(tmp_path, "crash-always")
        assert crashes == 3  # the breaker opened at the third failure and stopped the retries
        began = time.monotonic()
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "echo", {"text": "x"}, parse_envelope)
        assert time.monotonic() - began < 0.5
        assert "suspended" in str(info.value) and info.value.code is ErrorCode.UNAVAILABLE
        assert _count(tmp_path, "echo") == 0


def test_breaker_half_opens_after_the_reset_time() -> None:
    now = [0.0]
    breaker = CircuitBreaker("s", threshold=2, reset_seconds=10, clock=lambda: now[0])
    breaker.record_failure()
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(ToolError):
        breaker.before_call()
    now[0] = 10.5
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()
    breaker.record_failure()  # the probe failed: open again at once
    assert breaker.state is BreakerState.OPEN
    now[0] = 21
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_backoff_is_bounded_full_jitter() -> None:
    policy = RetryPolicy(attempts=10, base_seconds=0.1, cap_seconds=2.0)
    rng = random.Random(1)
    for attempt in range(10):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        ceiling = min(2.0, 0.1 * 2 ** attempt)
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spans the range


@pytest.mark.anyio
async def test_missing_command_and_dying_server_are_sentences(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        with pytest.raises(ToolError) as info:
            await hub.call("missing", "x", {}, parse_envelope)
        assert "command 'definitely-not-a-command-xyz' was not found" in str(info.value)
        with pytest.raises(ToolError) as info:
            await hub.call("dies", "x", {}, parse_envelope, CallOptions(retry=FAST))
        message = str(info.value)
        assert "could not start or initialise" in message and "boom: bad config" in message
        assert "Traceback" not in message and "\n" not in message


@pytest.mark.anyio
async def test_unknown_tool_and_bad_arguments_are_coded(tmp_path: Path) -> None:
    async with _hub(tmp_path) as hub:
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "no_such_tool", {}, parse_envelope)
        assert info.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(ToolError) as info:
            await hub.call("flaky", "sleep", {"seconds": "long"}, parse_envelope)
        assert info.value.code is ErrorCode.INVALID
