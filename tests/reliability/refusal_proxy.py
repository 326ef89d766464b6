"""An HTTP proxy in front of moto that refuses DynamoDB writes carrying a marked item, as DynamoDB does.

Why a proxy: DynamoDB refuses a whole BatchWriteItem (HTTP 400 ValidationException) for one item
it will not store, and the runtime already rejects, row by row, every cause it can predict (key
sizes, empty keys, item size, numbers...). moto refuses nothing beyond those, so the refusal of an
item nobody predicted cannot be produced in moto itself. This proxy forwards everything byte for
byte, except that a `BatchWriteItem` or `PutItem` whose items contain `marker` in any string
value (at any depth) is answered with DynamoDB's ValidationException, nothing written. Its message
quotes the marked value, so a test can check that no value reaches migrator's logs or results.
Every refusal and every item moto accepted is counted per table.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.http_proxy import BATCH_WRITE, ForwardingHandler, serving

PUT_ITEM = "DynamoDB_20120810.PutItem"
VALIDATION = "com.amazon.coral.validate#ValidationException"


def strings(value: Any) -> Iterator[str]:
    """Every string inside a DynamoDB JSON value (S, N, set members, nested M and L)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


@dataclass
class Refusals:
    """What to refuse (items holding `marker`) and what happened, per table."""

    marker: str
    #: instead of refusing marked items, answer every write with this error code (a fault not about items)
    fail_every_write: str | None = None
    refused_batches: Counter[str] = field(default_factory=Counter)   # BatchWriteItem answered 400
    refused_puts: Counter[str] = field(default_factory=Counter)      # PutItem answered 400
    batch_sizes: list[int] = field(default_factory=list)             # items per BatchWriteItem that arrived
    written: Counter[str] = field(default_factory=Counter)           # items moto accepted
    lock: threading.Lock = field(default_factory=threading.Lock)

    def marked(self, item: dict[str, Any]) -> str | None:
        return next((s for s in strings(item) if self.marker in s), None)

    def count(self, counter: Counter[str], table: str, n: int = 1) -> None:
        with self.lock:
            counter[table] += n


@dataclass(frozen=True)
class Proxy:
    port: int
    refusals: Refusals

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def refusal_proxy(upstream: str, refusals: Refusals) -> Iterator[Proxy]:
    class Handler(ForwardingHandler):
        def _refuse(self, kind: str, message: str) -> None:
            self.error(kind if "#" in kind else f"com.amazonaws.dynamodb.v20120810#{kind}", message)

        def handle_request(self, body: bytes) -> None:
            operation = self.headers.get("X-Amz-Target")
            if operation not in (BATCH_WRITE, PUT_ITEM):
                self.answer(*self.forward(body))
                return
            request = json.loads(body)
            if operation == BATCH_WRITE:
                table, writes = next(iter(request["RequestItems"].items()))
                items = [w["PutRequest"]["Item"] for w in writes]
                with refusals.lock:
                    refusals.batch_sizes.append(len(items))
            else:
                table, items = request["TableName"], [request["Item"]]
            if refusals.fail_every_write:
                self._refuse(refusals.fail_every_write, "User is not authorized to perform this action.")
                return
            marked = [m for m in (refusals.marked(i) for i in items) if m is not None]
            if marked:
                refusals.count(refusals.refused_batches if operation == BATCH_WRITE else refusals.refused_puts, table)
                self._refuse(VALIDATION, f"One or more parameter values were invalid: the value {marked[0]} of an "
                                         f"attribute is not accepted. Second sentence with {marked[0]} again.")
                return
            status, headers, answer = self.forward(body)
            self.answer(status, headers, answer)
            if status == 200:
                returned = json.loads(answer).get("UnprocessedItems", {}).get(table, []) \
                    if operation == BATCH_WRITE else []
                refusals.count(refusals.written, table, len(items) - len(returned))

    with serving(Handler, upstream, "refusal-proxy") as port:
        yield Proxy(port, refusals)
