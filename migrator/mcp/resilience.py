"""Retry with exponential backoff and full jitter, and a per-server circuit breaker.

Only transient faults are retried (throttling, an unavailable or restarted server, a
timeout) and only for calls that are safe to repeat; everything else fails at once so
the user sees the real cause.
"""

from __future__ import annotations

import random
from collections.abc import Callable
import time
from dataclasses import dataclass, field
from enum import Enum

from migrator.mcp.errors import ToolError
from migrator.runtime.backoff import backoff_delay
from migrator.protocol import ErrorCode


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 0.2
    cap_seconds: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)], the writers' rule (runtime.backoff)."""
        return backoff_delay(attempt + 1, self.base_seconds, self.cap_seconds, rng)


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Fails fast after `threshold` consecutive failures; lets one probe through after `reset_seconds`."""

    server: str
    threshold: int = 5
    reset_seconds: float = 30.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    failures: int = 0
    opened_at: float | None = None

    def _now(self) -> float:
        return self.clock()

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self._now() - self.opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self) -> None:
        if self.state is BreakerState.OPEN:
            wait = self.reset_seconds - (self._now() - (self.opened_at or 0.0))
            raise ToolError(ErrorCode.UNAVAILABLE,
                            f"{self.failures} consecutive failures; calls are suspended for {wait:.0f} s more",
                            server=self.server, hint="check the server's log and that its backend is reachable")

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def record_failure(self) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.threshold:
            self.opened_at = self._now()
