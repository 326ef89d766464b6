"""How writers slow down: the backoff delay before a re-send, a backoff shared by the threads
of one load, and a write budget (token bucket) they may share.

Why shared: a delay one writer takes after throttling holds back the next request of every
writer sharing the SharedBackoff, so threads that were not throttled yet do not keep the table
under pressure while the throttled one waits; a TokenBucket spends one budget in items per
second for all the threads of a load, re-sends included.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from migrator.runtime.writer.interface import MAX_BATCH


class TokenBucket:
    """A write budget in items per second, safe to share between threads.

    `acquire(n)` reserves n items and sleeps until the budget has paid for them: the reservation
    is made under a lock (so concurrent callers are served one after another) and the sleep is
    outside it. Tokens may go negative, so a request larger than the burst still gets through;
    hence, from any start, at most `burst + rate * elapsed` items have been let through.
    """

    def __init__(self, rate: float, burst: Optional[float] = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if not rate > 0:
            raise ValueError("the write rate must be a positive number of items per second")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else min(self.rate, float(MAX_BATCH))
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0   # seconds callers were told to wait, summed

    def acquire(self, items: int) -> float:
        """Reserve `items`; returns (and sleeps) the wait that pays for them."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= items
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            self.sleep(wait)
        return wait


class SharedBackoff:
    """The time before which writers sharing it should not send: the latest end of a backoff
    delay any of them took. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def defer(self, delay: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + delay)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - self.clock())
