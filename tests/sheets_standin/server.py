"""The HTTP layer: a real server on 127.0.0.1 speaking HTTP/1.1 with keep-alive.

It also keeps the call log tests count, and plays the faults tests ask for: a 500 or 429
instead of the answer, a connection dropped before the request has any effect, or one
dropped after the request was applied but before its answer was sent.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import INTERNAL, ApiError, quota_exceeded
from .service import Service

FAULTS = ("500", "429", "drop", "drop_after")


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it; status 0 means no answer was sent (a dropped call)."""

    method: str
    path: str
    query: str
    status: int
    request_bytes: int
    response_bytes: int
    user: str
    # The answer's bytes as sent, when the stand-in was told to keep them (keep_bodies).
    response_body: bytes = field(default=b"", repr=False, compare=False)


class Recorder:
    """The call log, the fault plan and the before-request hook, shared with the handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[Logged] = []
        self.token_log: list[Logged] = []
        self.count = 0  # API requests received so far, never reset
        self.faults: dict[int, str] = {}
        self.before: Callable[[int], None] | None = None
        self.keep_bodies = False

    def next_index(self) -> tuple[int, str | None]:
        with self.lock:
            index = self.count
            self.count += 1
            return index, self.faults.pop(index, None)


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def make_server(service: Service, recorder: Recorder) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # an idle keep-alive connection is closed after this long

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes; without this, Nagle's algorithm and
            # the client's delayed ACK add some 40 ms to every keep-alive request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test log is the record; stderr noise helps nobody

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            if parts.path == "/token" and method == "POST":
                self._token(raw, parts.path, parts.query)
                return
            index, fault = recorder.next_index()
            entry = (method, parts.path, parts.query)
            if recorder.before is not None:
                try:
                    recorder.before(index)
                except Exception as broken:  # a broken hook must show in the test, not hang it
                    failed = ApiError(500, f"before_request callback failed: {broken!r}")
                    self._answer(entry, len(raw), 500, failed.body(), "")
                    return
            if fault == "drop":
                self._drop(entry, len(raw), "")
                return
            if fault in ("500", "429"):
                kind = "Read" if method == "GET" else "Write"
                injected = (
                    ApiError(500, INTERNAL)
                    if fault == "500"
                    else quota_exceeded(kind, service.quota.per_minute)
                )
                self._answer(entry, len(raw), injected.code, injected.body(), "")
                return
            answer = service.handle(
                method, parts.path, query, raw, self.headers.get("Authorization")
            )
            if fault == "drop_after":
                self._drop(entry, len(raw), answer.user)
                return
            self._answer(entry, len(raw), answer.status, answer.body, answer.user)

        def _token(self, raw: bytes, path: str, query: str) -> None:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
            with service.lock:
                status, body = service.auth.grant(form)
            data = _encode(body)
            with recorder.lock:
                recorder.token_log.append(
                    Logged("POST", path, query, status, len(raw), len(data), "")
                )
            self._send(status, data)

        def _answer(
            self, entry: tuple[str, str, str], size: int, status: int, body: Any, user: str
        ) -> None:
            data = _encode(body)
            # Logged before the answer leaves, so a test reading the log after its call sees it.
            with recorder.lock:
                kept = data if recorder.keep_bodies else b""
                recorder.log.append(Logged(*entry, status, size, len(data), user, kept))
            self._send(status, data)

        def _drop(self, entry: tuple[str, str, str], size: int, user: str) -> None:
            with recorder.lock:
                recorder.log.append(Logged(*entry, 0, size, 0, user))
            self.close_connection = True

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    return server
