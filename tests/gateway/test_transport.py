"""The one transport against hostile local servers: no redirect followed, one deadline for the
whole call, every failure typed, retries only where nothing can happen twice."""

import gzip
import socket
import time

import pytest

from tests.hostile import (
    Stopwatch,
    answer,
    corrupt_gzip,
    cut_off,
    drip,
    huge_json,
    redirect,
    retry_after,
    silent_after_headers,
)
from wagtail_robokassa.gateway.transport import (
    RETRIES,
    NoAnswer,
    NotSent,
    Transport,
    TransportError,
    UnusableAnswer,
    json_object,
)

DEADLINE = 1.5
#: What a call may overrun its deadline by: the watchdog's wake-up and the socket's teardown.
SLACK = 0.5


def send(server, *, idempotent=True, deadline=DEADLINE):
    return Transport(deadline, backoff=0.05).send(
        "POST", server.url + "/path", idempotent=idempotent, body=b"a=1"
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("idempotent", [True, False])
def test_a_redirect_is_never_followed(hostile, status, idempotent):
    elsewhere = hostile(answer(200, b'{"success": true}'))
    server = hostile(redirect(status, elsewhere.url + "/steal"))
    with pytest.raises(UnusableAnswer, match="redirect") as caught:
        send(server, idempotent=idempotent)
    assert caught.value.sent
    assert caught.value.status == status
    assert elsewhere.requests == []  # the signed request went nowhere else
    assert len(server.requests) == 1  # and a redirect is not a reason to ask again


def test_an_answer_cut_off_is_no_answer_and_asked_again_only_when_safe(hostile):
    server = hostile(cut_off())
    with pytest.raises(NoAnswer, match="did not arrive whole") as caught:
        send(server, idempotent=True)
    assert caught.value.sent
    assert not caught.value.timed_out
    assert len(server.requests) == 1 + RETRIES

    once = hostile(cut_off())
    with pytest.raises(NoAnswer):
        send(once, idempotent=False)
    assert len(once.requests) == 1


def test_a_corrupt_gzip_body_is_unusable(hostile):
    with pytest.raises(UnusableAnswer, match="could not be decoded"):
        send(hostile(corrupt_gzip()), idempotent=False)


def test_a_gzip_body_is_read_as_its_text(hostile):
    body = gzip.compress(b'{"success": true}')
    server = hostile(answer(200, body, {"Content-Encoding": "gzip"}))
    assert json_object(send(server).body) == {"success": True}


@pytest.mark.parametrize("behaviour", [silent_after_headers(), drip()], ids=["silent", "drip"])
@pytest.mark.parametrize("idempotent", [True, False])
def test_a_slow_server_ends_with_the_deadline(hostile, behaviour, idempotent):
    server = hostile(behaviour)
    with Stopwatch() as watch, pytest.raises(NoAnswer, match="in time") as caught:
        send(server, idempotent=idempotent)
    assert caught.value.timed_out
    assert DEADLINE - 0.1 < watch.seconds < DEADLINE + SLACK
    assert len(server.requests) == 1  # no time was left to ask again


def test_retry_after_beyond_the_deadline_is_not_waited_for(hostile):
    server = hostile(retry_after(3600))
    with Stopwatch() as watch:
        reply = send(server)
    assert reply.status == 503
    assert watch.seconds < 0.5
    assert len(server.requests) == 1


def test_retry_after_within_the_deadline_is_honoured(hostile):
    server = hostile(retry_after(0))
    reply = send(server)
    assert reply.status == 503
    assert len(server.requests) == 1 + RETRIES


def test_a_5xx_is_asked_again_only_when_safe(hostile):
    server = hostile(answer(502, b"bad gateway"))
    assert send(server, idempotent=False).status == 502
    assert len(server.requests) == 1


def test_an_answer_over_the_limit_is_unusable(hostile):
    with pytest.raises(UnusableAnswer, match="too large"):
        send(hostile(huge_json()))


def test_a_refused_connection_is_not_sent(hostile):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = Transport(DEADLINE, backoff=0.05)
    with pytest.raises(NotSent, match="nothing was sent") as caught:
        transport.send("POST", f"http://127.0.0.1:{port}/", idempotent=False, body=b"")
    assert not caught.value.sent


def test_a_deadline_already_spent_sends_nothing(hostile):
    server = hostile(answer(200, b"{}"))
    with pytest.raises(NotSent, match="nothing was sent"):
        send(server, idempotent=False, deadline=0)
    assert server.requests == []


def test_a_connection_cut_short_by_the_deadline_sent_nothing(hostile, monkeypatch):
    """The deadline passing while connecting is "not sent", never "uncertain"."""
    import socket as sockets

    from urllib3.connection import HTTPConnection

    def slow_connect(self):
        sockets.socket().close()
        time.sleep(0.6)
        raise OSError("connecting took too long")

    monkeypatch.setattr(HTTPConnection, "connect", slow_connect)
    server = hostile(answer(200, b"{}"))
    with pytest.raises(NotSent):
        send(server, idempotent=False, deadline=0.5)
    assert server.requests == []


def test_every_failure_is_a_transport_error(hostile):
    """Whatever the server does, nothing but a ``TransportError`` leaves the transport."""
    faults = [cut_off(), corrupt_gzip(), silent_after_headers(), drip(), huge_json()]
    faults += [redirect(302, "http://127.0.0.1:9/")]
    for fault in faults:
        with pytest.raises(TransportError):
            send(hostile(fault), deadline=0.5)


def test_one_transport_serves_several_calls(hostile):
    server = hostile(answer(200, b"{}", {"Connection": "close"}))
    transport = Transport(DEADLINE)
    for _ in range(3):
        assert transport.send("GET", server.url, idempotent=True).status == 200
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    "body",
    [b'{"a":' * 5000 + b"1" + b"}" * 5000, b"[" * 100_000, b"\xff\xfe", b"1e999999", b"[]"],
    ids=["nested", "deep-list", "not-utf8", "huge-number", "not-an-object"],
)
def test_json_that_cannot_be_read_is_none(body):
    assert json_object(body) is None


@pytest.mark.parametrize(
    ("body", "readable"),
    [
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', True),  # brackets in a string
        (b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', True),
        (b'{"a":' * 32 + b"1" + b"}" * 32, True),
        (b'{"a":' * 33 + b"1" + b"}" * 33, False),
    ],
)
def test_nesting_is_limited_the_same_on_every_python(body, readable):
    assert (json_object(body) is not None) == readable
