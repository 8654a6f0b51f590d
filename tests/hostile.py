"""Servers on 127.0.0.1 that answer as no honest ROBOKASSA would: a redirect to another port, an
answer cut off, a corrupt gzip body, silence after the headers, a drip of one byte a second,
``Retry-After: 3600``, deeply nested or huge JSON. Each is a plain socket server, so that a fault
happens exactly where the test puts it (``http.server`` would tidy some of them up).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

Behaviour = Callable[[socket.socket, "HostileServer"], None]


class HostileServer:
    """Accepts connections, reads each request whole, keeps it in ``requests`` and lets
    ``behaviour`` answer (or not) on the raw socket."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.behaviour(conn, self)
            except OSError:
                pass

    def pause(self, seconds: float) -> None:
        """Wait, but no longer than the test lasts."""
        self.stopping.wait(seconds)

    def stop(self) -> None:
        self.stopping.set()
        self._listener.close()
        self._thread.join(timeout=2)


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    def behave(conn: socket.socket, server: HostileServer) -> None:
        lines = [f"HTTP/1.1 {status} Whatever"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if "Content-Length" not in (headers or {}):
            lines.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return behave


def redirect(status: int, target: str) -> Behaviour:
    return answer(status, headers={"Location": target})


def cut_off(promised: int = 1000, sent: bytes = b'{"success": true, "requ') -> Behaviour:
    """Promises ``promised`` bytes, sends fewer and closes the connection."""
    return answer(200, sent, {"Content-Length": str(promised), "Content-Type": "application/json"})


def corrupt_gzip() -> Behaviour:
    body = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all"
    return answer(200, body, {"Content-Encoding": "gzip", "Content-Type": "application/json"})


def silent_after_headers(seconds: float = 30) -> Behaviour:
    def behave(conn: socket.socket, server: HostileServer) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
        server.pause(seconds)

    return behave


def drip(body: bytes = b'{"success": true}' + b" " * 200, every: float = 1.0) -> Behaviour:
    """One byte a second (by default): each read gets something, so no read timeout fires."""

    def behave(conn: socket.socket, server: HostileServer) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for byte in body:
            if server.stopping.is_set():
                return
            conn.sendall(bytes([byte]))
            server.pause(every)

    return behave


def retry_after(seconds: int = 3600) -> Behaviour:
    return answer(503, b"busy", {"Retry-After": str(seconds)})


def nested_json(depth: int = 5000) -> Behaviour:
    return answer(200, b'{"a":' * depth + b"1" + b"}" * depth, {"Content-Type": "application/json"})


def huge_json(size: int = 5_000_000) -> Behaviour:
    body = b'{"success": true, "pad": "' + b"x" * size + b'"}'
    return answer(200, body, {"Content-Type": "application/json"})


@pytest.fixture
def hostile():
    """``hostile(behaviour)`` starts a server; all are stopped after the test."""
    started: list[HostileServer] = []

    def start(behaviour: Behaviour) -> HostileServer:
        server = HostileServer(behaviour)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
