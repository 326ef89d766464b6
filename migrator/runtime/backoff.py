"""Exponential backoff with full jitter: one formula for the job's writers and the client's MCP calls.

Why here: the Glue job needs it (runtime ships alone, so it lives in runtime) and the client's
retries of MCP calls use the same rule; this module imports nothing, so the client pays nothing
for it. Python 3.9.
"""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base_delay: float, max_delay: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))] before attempt+1
    (the AWS Architecture Blog's "Exponential Backoff And Jitter")."""
    ceiling = min(max_delay, base_delay * (2 ** min(attempt - 1, 62)))
    return rng.uniform(0.0, ceiling)
