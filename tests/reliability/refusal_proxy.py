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

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.reliability.throttle_proxy import _HOP_BY_HOP, BATCH_WRITE

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
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.getheaders(), resp.read()
            finally:
                conn.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            head = self.command == "HEAD"
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP and (head or key.lower() != "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _refuse(self, kind: str, message: str) -> None:
            error = {"__type": kind if "#" in kind else f"com.amazonaws.dynamodb.v20120810#{kind}",
                     "message": message}
            self._answer(400, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(error).encode())

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            operation = self.headers.get("X-Amz-Target")
            if operation not in (BATCH_WRITE, PUT_ITEM):
                self._answer(*self._forward(body))
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
            status, headers, answer = self._forward(body)
            self._answer(status, headers, answer)
            if status == 200:
                returned = json.loads(answer).get("UnprocessedItems", {}).get(table, []) \
                    if operation == BATCH_WRITE else []
                refusals.count(refusals.written, table, len(items) - len(returned))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="refusal-proxy", daemon=True)
    thread.start()
    try:
        yield Proxy(server.server_address[1], refusals)
    finally:
        server.shutdown()
        server.server_close()
