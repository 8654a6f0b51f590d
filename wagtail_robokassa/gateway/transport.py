"""The one way the plugin talks to ROBOKASSA: one request, one deadline, one kind of failure.

``Transport.send()`` either returns an ``Answer`` (a status other than 3xx, and a body read
whole, decompressed and no longer than asked) or raises a ``TransportError`` that says whether
the request may have reached the server:

- ``NotSent``: no byte of the request left (no connection, a name that does not resolve, a TLS
  handshake that failed): asking again is safe;
- ``NoAnswer``: the request may have arrived, and no whole answer came back (a timeout, an answer
  cut off, a connection reset, the deadline);
- ``UnusableAnswer``: an answer came, and it cannot be trusted or read (a redirect, which is never
  followed; a corrupt gzip body; an answer larger than the limit).

The deadline covers the whole call: connecting, sending, every retry, every back-off and
``Retry-After`` wait, and the reading of the answer, however slowly it drips. A watchdog shuts
the socket down when it passes, so no read outlasts it. Retries are bounded and happen only where
they cannot do anything twice: after ``NotSent`` always, after a 5xx or ``NoAnswer`` only for a
request that changes nothing (``idempotent=True``). Nothing from urllib3 or the socket layer
escapes.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import urllib3
from django.utils.translation import gettext_lazy as _
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..conf import setting
from ..plugin_settings import declared

#: 5xx answers worth asking again, where asking again is safe.
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
#: The largest answer read from a JSON API; a longer one is an ``UnusableAnswer``.
MAX_ANSWER_BYTES = 100_000
#: Seconds a whole call may take: an admin click waits a few seconds, a task longer; each at
#: most the ceiling beside it (a task's call must end well before a refund or receipt left
#: "sending" for 10 minutes is taken for interrupted).
INTERACTIVE_DEADLINE = declared("ROBOKASSA_INTERACTIVE_DEADLINE").default
BACKGROUND_DEADLINE = declared("ROBOKASSA_BACKGROUND_DEADLINE").default
MAX_INTERACTIVE_DEADLINE, MAX_BACKGROUND_DEADLINE = 120.0, 300.0
#: Seconds to open a connection (within the deadline).
CONNECT_TIMEOUT = 5.0
#: Attempts after the first.
RETRIES = 2
#: The first back-off in seconds; it doubles with each retry.
BACKOFF = 0.2
_CHUNK = 8192


class TransportError(Exception):
    """A call that gave no usable answer. ``str()`` is a sentence for the merchant (it names no
    password and no address); ``sent`` says whether the request may have reached ROBOKASSA."""

    sent = True


class NotSent(TransportError):
    sent = False


class NoAnswer(TransportError):
    """Sent (or maybe sent), and no whole answer arrived."""

    def __init__(self, message: Any, *, timed_out: bool = False) -> None:
        super().__init__(str(message))
        self.timed_out = timed_out


class UnusableAnswer(TransportError):
    """An answer arrived that must not be read: a redirect, a corrupt body, one too large."""

    def __init__(self, message: Any, *, status: int | None = None) -> None:
        super().__init__(str(message))
        self.status = status


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    idempotent: bool
    body: bytes | None
    headers: dict[str, str]
    limit: int


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]


class _Watch:
    """One call's clock: the sockets it opened and whether any byte of a request was sent."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.sending = False  # in this attempt
        self.ever_sent = False  # in any attempt of the call
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shut(sock)
            self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv(); close() would not


_current: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar(
    "robokassa_transport_watch", default=None
)


class _Watched:
    """Connections that report their socket to the call's watch once connected (the TLS one,
    for https), and when the first byte of a request is about to leave."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watch = _current.get()
        if watch is not None:
            watch.watch(self.sock)

    def send(self, data: Any) -> None:
        watch = _current.get()
        if watch is not None:
            if self.sock is None:
                self.connect()  # http.client would connect here too: not a byte sent yet
            watch.watch(self.sock)
            watch.sending = watch.ever_sent = True
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _pool_manager() -> urllib3.PoolManager:
    manager = urllib3.PoolManager(num_pools=4, maxsize=2, retries=False)
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class Transport:
    """Sends requests to ROBOKASSA within ``deadline`` seconds a call. One transport may be
    shared by the calls of a sweep (its connections are kept); each call has its own deadline."""

    def __init__(
        self,
        deadline: float = INTERACTIVE_DEADLINE,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
    ) -> None:
        self.deadline = float(deadline)
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self._manager = _pool_manager()

    @classmethod
    def interactive(cls) -> Transport:
        """For a person waiting on a page: ``ROBOKASSA_INTERACTIVE_DEADLINE`` seconds."""
        return cls(_deadline_or_default(INTERACTIVE))

    @classmethod
    def background(cls) -> Transport:
        """For tasks and cron: ``ROBOKASSA_BACKGROUND_DEADLINE`` seconds."""
        return cls(_deadline_or_default(BACKGROUND))

    def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        limit: int = MAX_ANSWER_BYTES,
    ) -> Answer:
        """The answer to one request, retried as its kind allows. Raises a ``TransportError``."""
        request = _Request(method, url, idempotent, body, dict(headers or {}), limit)
        watch = _Watch(time.monotonic() + self.deadline)
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                answer = self._attempt(watch, request)
            except NotSent:
                if last or not _wait(watch, delay):
                    raise
            except NoAnswer:
                if last or not idempotent or not _wait(watch, delay):
                    raise
            else:
                if last or not idempotent or answer.status not in RETRIED_STATUSES:
                    return answer
                if not _wait(watch, _retry_after(answer) or delay):
                    return answer  # ROBOKASSA asks for a wait past the deadline: its answer
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, watch: _Watch, request: _Request) -> Answer:
        remaining = watch.remaining()
        if remaining <= 0:
            if not watch.ever_sent:
                raise NotSent(_("ROBOKASSA could not be reached in time: nothing was sent."))
            raise NoAnswer(_("ROBOKASSA did not answer in time."), timed_out=True)
        watch.sending = False
        timer = threading.Timer(remaining, watch.expire)
        timer.daemon = True
        token = _current.set(watch)
        timer.start()
        try:
            return self._exchange(watch, request, remaining)
        except TransportError:
            raise
        except Exception as error:  # urllib3's, the socket's, ssl's, a decoder's: all of them
            raise _classify(error, watch) from None
        finally:
            timer.cancel()
            _current.reset(token)

    def _exchange(self, watch: _Watch, request: _Request, remaining: float) -> Answer:
        timeout = urllib3.Timeout(connect=min(self.connect_timeout, remaining), read=remaining)
        # A request that must not arrive twice never rides on a kept connection, which the
        # server may close just as the request leaves (the answer is lost, the request not).
        manager = self._manager if request.idempotent else _pool_manager()
        response = manager.request(
            request.method,
            request.url,
            body=request.body,
            headers=request.headers,
            redirect=False,
            retries=False,
            timeout=timeout,
            preload_content=False,
            decode_content=True,
        )
        try:
            if 300 <= response.status < 400:
                raise UnusableAnswer(
                    _("ROBOKASSA's address answered with a redirect (HTTP %(status)s).")
                    % {"status": response.status},
                    status=response.status,
                )
            content = _read_bounded(response, request.limit, watch)
            return Answer(response.status, content, dict(response.headers))
        finally:
            if watch.expired or not request.idempotent:
                response.close()
            else:
                response.release_conn()
            if manager is not self._manager:
                manager.clear()


INTERACTIVE = ("ROBOKASSA_INTERACTIVE_DEADLINE", MAX_INTERACTIVE_DEADLINE)
BACKGROUND = ("ROBOKASSA_BACKGROUND_DEADLINE", MAX_BACKGROUND_DEADLINE)


def deadline_setting(name: str, ceiling: float) -> float:
    """The setting's seconds; ``ValueError`` unless it is a number above 0 and at most
    ``ceiling`` (system check E014)."""
    value = setting(name)
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not number or not 0 < value <= ceiling:
        raise ValueError(f"{name} must be seconds above 0 and at most {ceiling:g}, not {value!r}")
    return float(value)


def deadlines() -> tuple[float, float]:
    """The interactive and the background deadline, checked."""
    return deadline_setting(*INTERACTIVE), deadline_setting(*BACKGROUND)


def _deadline_or_default(which: tuple[str, float]) -> float:
    try:
        return deadline_setting(*which)
    except ValueError:  # ``manage.py check`` says what is wrong; a call still ends in time
        return float(declared(which[0]).default)


def _read_bounded(response: Any, limit: int, watch: _Watch) -> bytes:
    """The body, decompressed, read chunk by chunk until it ends, passes ``limit`` or the
    deadline passes (a drip of one byte a second ends with the deadline, not after it)."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(_CHUNK, decode_content=True)
        if watch.expired or watch.remaining() <= 0:
            raise NoAnswer(_("ROBOKASSA did not answer in time."), timed_out=True)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise UnusableAnswer(_("ROBOKASSA's answer is too large."), status=response.status)


def _classify(error: Exception, watch: _Watch) -> TransportError:
    from urllib3 import exceptions as u3

    if not watch.sending:  # even when the deadline cut the connecting short
        return NotSent(_("ROBOKASSA could not be reached: nothing was sent."))
    if watch.expired:
        return NoAnswer(_("ROBOKASSA did not answer in time."), timed_out=True)
    if isinstance(error, u3.DecodeError):
        return UnusableAnswer(_("ROBOKASSA's answer could not be decoded."))
    if isinstance(error, u3.TimeoutError | TimeoutError):
        return NoAnswer(_("ROBOKASSA did not answer in time."), timed_out=True)
    return NoAnswer(_("ROBOKASSA's answer did not arrive whole."))


def _wait(watch: _Watch, seconds: float) -> bool:
    """Sleep ``seconds`` if the deadline leaves room for it and for another attempt."""
    if seconds >= watch.remaining():
        return False
    time.sleep(seconds)
    return True


def _retry_after(answer: Answer) -> float | None:
    value = next((v for k, v in answer.headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: not worth parsing for a wait we would cap anyway
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


def post_token(transport: Transport | None, url: str, token: str, *, idempotent: bool) -> Answer:
    """POST a JWT as the vendor's SDKs post it: the token as a JSON string literal, with JSON
    content types (the Refund API, the Invoice API). Raises a ``TransportError``."""
    return (transport or Transport.interactive()).send(
        "POST",
        url,
        idempotent=idempotent,
        body=json.dumps(token).encode("ascii"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )


#: How deeply an answer's JSON may nest (ROBOKASSA's answers nest two or three levels).
MAX_JSON_DEPTH = 32


def json_object(body: bytes) -> dict[str, Any] | None:
    """A JSON object answer (numbers as ``Decimal``), or None when it is not one: not UTF-8,
    not JSON, too large, nested deeper than ``MAX_JSON_DEPTH``, or not an object."""
    if len(body) > MAX_ANSWER_BYTES:
        return None
    try:
        text = body.decode("utf-8")
        if _depth(text) > MAX_JSON_DEPTH:  # the same on every Python, whatever its parser
            return None
        answer = json.loads(text, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return answer if isinstance(answer, dict) else None


def _depth(text: str) -> int:
    """The deepest nesting of objects and arrays in JSON ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


__all__ = [
    "MAX_ANSWER_BYTES",
    "Answer",
    "NoAnswer",
    "NotSent",
    "Transport",
    "TransportError",
    "UnusableAnswer",
    "json_object",
    "post_token",
]
