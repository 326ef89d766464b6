"""An HTTP proxy in front of moto (or the local Glue API) that throttles DynamoDB batch writes, as DynamoDB does.

moto never throttles. Everything is forwarded byte for byte, except that a chosen share
of `BatchWriteItem` requests is answered the two ways DynamoDB answers a table that is
over its capacity: HTTP 400 `ProvisionedThroughputExceededException` (nothing written),
or HTTP 200 with half of the items handed back as `UnprocessedItems` (the other half
forwarded and written). Which requests are hit is decided by a seeded RNG; every injected
answer is counted per table, so a test can compare the writer's own counts with them.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

BATCH_WRITE = "DynamoDB_20120810.BatchWriteItem"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


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
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.getheaders(), resp.read()
            finally:
                conn.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            head = self.command == "HEAD"  # its Content-Length is the object's, and it has no body
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP and (head or key.lower() != "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if throttling.always_throttle and self.headers.get("X-Amz-Target") == throttling.always_throttle:
                throttling.count(throttling.errors, "*")
                if throttling.always_throttle.startswith("AWSGlue."):   # Glue's API: JSON 1.1, its own type
                    error, content_type = {"__type": "ThrottlingException", "message": "Rate exceeded"}, "1.1"
                else:
                    error = {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                             "message": "The level of configured provisioned throughput for the table was exceeded."}
                    content_type = "1.0"
                self._answer(400, [("Content-Type", f"application/x-amz-json-{content_type}")],
                             json.dumps(error).encode())
                return
            if self.headers.get("X-Amz-Target") != BATCH_WRITE:
                self._answer(*self._forward(body))
                return
            request = json.loads(body)
            table, writes = next(iter(request["RequestItems"].items()))
            throttling.count(throttling.requests, table)
            verdict = throttling.decide()
            if verdict is None:
                status, headers, answer = self._forward(body)
                if status != 200:
                    throttling.count(throttling.upstream_failures, table)
                self._answer(status, headers, answer)
                if status == 200:
                    returned = json.loads(answer).get("UnprocessedItems", {}).get(table, [])
                    throttling.wrote(table, len(writes) - len(returned))
                return
            json_headers = [("Content-Type", "application/x-amz-json-1.0")]
            if verdict == "error" or len(writes) < 2:
                throttling.count(throttling.errors, table)
                error = {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                         "message": "The level of configured provisioned throughput for the table was exceeded."}
                self._answer(400, json_headers, json.dumps(error).encode())
                return
            keep, hand_back = writes[: len(writes) // 2], writes[len(writes) // 2:]
            status, headers, answer = self._forward(json.dumps({**request, "RequestItems": {table: keep}}).encode())
            if status != 200:
                throttling.count(throttling.upstream_failures, table)
                self._answer(status, headers, answer)
                return
            throttling.count(throttling.unprocessed, table)
            self._answer(200, json_headers, json.dumps({"UnprocessedItems": {table: hand_back}}).encode())
            throttling.wrote(table, len(keep))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="throttling-proxy", daemon=True)
    thread.start()
    try:
        yield Proxy(server.server_address[1], throttling)
    finally:
        server.shutdown()
        server.server_close()
