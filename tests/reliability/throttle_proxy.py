"""An HTTP proxy in front of moto (or the local Glue API) that throttles DynamoDB batch writes, as DynamoDB does.

moto never throttles. Everything is forwarded byte for byte, except that a chosen share
of `BatchWriteItem` requests is answered the two ways DynamoDB answers a table that is
over its capacity: HTTP 400 `ProvisionedThroughputExceededException` (nothing written),
or HTTP 200 with half of the items handed back as `UnprocessedItems` (the other half
forwarded and written). Which requests are hit is decided by a seeded RNG; every injected
answer is counted per table, so a test can compare the writer's own counts with them.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.reliability.http_proxy import BATCH_WRITE, JSON_10, ForwardingHandler, serving

THROUGHPUT = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
THROUGHPUT_MESSAGE = "The level of configured provisioned throughput for the table was exceeded."


@dataclass
class Throttling:
    """What to inject: `fraction` of batch writes, `mode` "error", "unprocessed" or "mixed".

    `on_write(table, items written so far)` is called after every batch that reached moto,
    so a test can act at an exact point of a load (kill something after N items).
    """

    fraction: float
    mode: str = "mixed"
    seed: int = 7
    #: another operation (`X-Amz-Target`) to answer with a throttling error every time, counted under "*"
    always_throttle: str | None = None
    on_write: Callable[[str, int], None] | None = None
    errors: Counter[str] = field(default_factory=Counter)        # per table: 400 answers
    unprocessed: Counter[str] = field(default_factory=Counter)   # per table: answers with UnprocessedItems
    written: Counter[str] = field(default_factory=Counter)       # per table: items moto accepted
    requests: Counter[str] = field(default_factory=Counter)      # per table: BatchWriteItem requests that arrived
    upstream_failures: Counter[str] = field(default_factory=Counter)  # per table: forwarded, moto answered non-200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def decide(self) -> str | None:
        with self.lock:
            if self._rng.random() >= self.fraction:
                return None
            if self.mode == "mixed":
                return "error" if self._rng.random() < 0.5 else "unprocessed"
            return self.mode

    def count(self, counter: Counter[str], table: str) -> None:
        with self.lock:
            counter[table] += 1

    def injected(self, table: str) -> int:
        with self.lock:
            return self.errors[table] + self.unprocessed[table]

    def wrote(self, table: str, items: int) -> None:
        with self.lock:
            self.written[table] += items
            total = self.written[table]
        if self.on_write is not None:
            self.on_write(table, total)


@dataclass(frozen=True)
class Proxy:
    port: int
    throttling: Throttling

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def throttling_proxy(upstream: str, throttling: Throttling) -> Iterator[Proxy]:
    class Handler(ForwardingHandler):
        def handle_request(self, body: bytes) -> None:
            target = self.headers.get("X-Amz-Target")
            if throttling.always_throttle and target == throttling.always_throttle:
                throttling.count(throttling.errors, "*")
                if throttling.always_throttle.startswith("AWSGlue."):   # Glue's API: JSON 1.1, its own type
                    self.error("ThrottlingException", "Rate exceeded", [("Content-Type", "application/x-amz-json-1.1")])
                else:
                    self.error(THROUGHPUT, THROUGHPUT_MESSAGE)
                return
            if target != BATCH_WRITE:
                self.answer(*self.forward(body))
                return
            request = json.loads(body)
            table, writes = next(iter(request["RequestItems"].items()))
            throttling.count(throttling.requests, table)
            verdict = throttling.decide()
            if verdict is None:
                status, headers, answer = self.forward(body)
                if status != 200:
                    throttling.count(throttling.upstream_failures, table)
                self.answer(status, headers, answer)
                if status == 200:
                    returned = json.loads(answer).get("UnprocessedItems", {}).get(table, [])
                    throttling.wrote(table, len(writes) - len(returned))
                return
            if verdict == "error" or len(writes) < 2:
                throttling.count(throttling.errors, table)
                self.error(THROUGHPUT, THROUGHPUT_MESSAGE)
                return
            keep, hand_back = writes[: len(writes) // 2], writes[len(writes) // 2:]
            status, headers, answer = self.forward(json.dumps({**request, "RequestItems": {table: keep}}).encode())
            if status != 200:
                throttling.count(throttling.upstream_failures, table)
                self.answer(status, headers, answer)
                return
            throttling.count(throttling.unprocessed, table)
            self.answer(200, JSON_10, json.dumps({"UnprocessedItems": {table: hand_back}}).encode())
            throttling.wrote(table, len(keep))

    with serving(Handler, upstream, "throttling-proxy") as port:
        yield Proxy(port, throttling)
