"""A small threaded HTTP server on 127.0.0.1 for provider stand-ins, with scripted faults.

A stand-in subclasses :class:`StandIn` and implements ``route(req) -> Reply``. Tests queue
faults that the next matching requests get instead of the real answer::

    with OpenAIStandIn() as api:
        api.fault("429", path="/v1/chat/completions", retry_after=1)
        api.fault("cut")          # the connection is closed without a response
        api.fault("hang", seconds=5)  # no answer until the client times out
        api.fault("500")
        api.fault("malformed")    # 200 with a body that is not JSON
        ...
        api.requests              # every request seen: method, path, headers, body

Everything binds to 127.0.0.1 only, and ``close()`` (or leaving the ``with``) stops the
server and releases any hung handler, so no test can leave it running.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        return body, headers


def json_reply(data: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, data, dict(headers))


@dataclass
class Fault:
    kind: str  # "429", "500", "503", "hang", "cut", "malformed", or any status code as text
    path: str | None = None  # only requests whose path starts with this
    retry_after: float | None = None
    seconds: float = 30.0  # for "hang"
    body: Any = None


class StandIn:
    """Base class: subclasses implement ``route``."""

    def __init__(self):
        self.requests: list[Request] = []
        self.in_flight = 0  # requests being answered right now
        self.max_in_flight = 0  # the most at once since the start
        self.delay_s = 0.0  # answer every request this much later
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if not length and self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                parts = urlsplit(self.path)
                req = Request(self.command, parts.path, parse_qs(parts.query),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                with stand_in._lock:
                    stand_in.requests.append(req)
                    fault = stand_in._take_fault(req)
                    stand_in.in_flight += 1
                    stand_in.max_in_flight = max(stand_in.max_in_flight, stand_in.in_flight)
                try:
                    self._answer(req, fault)
                finally:
                    with stand_in._lock:
                        stand_in.in_flight -= 1

            def _answer(self, req, fault):
                if fault is not None and stand_in._apply_fault(self, fault):
                    return
                if stand_in.delay_s:
                    stand_in._release.wait(stand_in.delay_s)  # a slow provider (concurrency tests)
                try:
                    reply = stand_in.route(req)
                except Exception as exc:
                    reply = Reply(599, {"error": f"stand-in error: {exc!r}"})
                if reply is None:
                    return  # the route wrote the response itself
                payload, headers = reply.encoded()
                self.send_response(reply.status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"{type(self).__name__}-{self.port}")
        self._thread.start()

    # -- faults --------------------------------------------------------------------
    def fault(self, kind: str, *, path: str | None = None, retry_after: float | None = None,
              seconds: float = 30.0, body: Any = None, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(Fault(kind, path, retry_after, seconds, body) for _ in range(times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, req: Request) -> Fault | None:
        for i, f in enumerate(self._faults):
            if f.path is None or req.path.startswith(f.path):
                return self._faults.pop(i)
        return None

    @staticmethod
    def cut(handler: BaseHTTPRequestHandler) -> None:
        """Close the connection now, mid-exchange (the client sees a reset or an early EOF)."""
        handler.wfile.flush()
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _apply_fault(self, handler: BaseHTTPRequestHandler, fault: Fault) -> bool:
        if fault.kind == "cut":
            self.cut(handler)
            return True
        if fault.kind == "hang":
            self._release.wait(fault.seconds)
            handler.close_connection = True
            return True
        if fault.kind == "malformed":
            payload = b'{"this is": not json'
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return True
        status = int(fault.kind)
        reply = self.error_reply(status, fault)
        payload, headers = reply.encoded()
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                         else fault.retry_after)
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        return True

    def error_reply(self, status: int, fault: Fault) -> Reply:
        """The provider's error body for an injected status (override for the real shape)."""
        return Reply(status, fault.body if fault.body is not None else {"error": {"message": f"injected {status}"}})

    # -- routes --------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        raise NotImplementedError

    def seen(self, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_chunked(rfile) -> bytes:
    out = bytearray()
    while True:
        size_line = rfile.readline().strip()
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            rfile.readline()
            return bytes(out)
        out += rfile.read(size)
        rfile.readline()
