"""What the fault-injecting proxies share: a handler that forwards a request to the emulator byte
for byte (or answers it itself), and a server on a free loopback port for the length of a `with`.
Each proxy (throttle_proxy.py, refusal_proxy.py) only decides which requests to answer itself."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, urlsplit

BATCH_WRITE = "DynamoDB_20120810.BatchWriteItem"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
JSON_10 = [("Content-Type", "application/x-amz-json-1.0")]


class ForwardingHandler(BaseHTTPRequestHandler):
    """Forwards to `upstream` unless `handle_request` answers; subclasses set `upstream`."""

    protocol_version = "HTTP/1.1"
    upstream: SplitResult

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        head = self.command == "HEAD"  # its Content-Length is the object's, and it has no body
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP and (head or key.lower() != "content-length"):
                self.send_header(key, value)
        if not head:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, error_type: str, message: str, headers: list[tuple[str, str]] = JSON_10) -> None:
        """An AWS JSON error answer (HTTP 400)."""
        self.answer(400, headers, json.dumps({"__type": error_type, "message": message}).encode())

    def handle_request(self, body: bytes) -> None:
        self.answer(*self.forward(body))

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.handle_request(self.rfile.read(length) if length else b"")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


@contextmanager
def serving(handler: type[ForwardingHandler], upstream: str, name: str) -> Iterator[int]:
    """`handler` (forwarding to `upstream`) on a free loopback port, yielded, until the block ends."""
    bound = type(handler.__name__, (handler,), {"upstream": urlsplit(upstream)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
