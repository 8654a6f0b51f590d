"""HTTP sessions for ROBOKASSA's services: bounded retries with a short back-off, and only where
a retry cannot do something twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

#: 5xx answers worth asking again, where asking again is safe.
RETRIED_STATUSES = (500, 502, 503, 504)


def retrying_session(
    retries: int, *, methods: Iterable[str], after_5xx: bool, after_read_error: bool
) -> requests.Session:
    """A session that retries ``methods`` up to ``retries`` times when the connection could not
    be made (nothing was sent); ``after_5xx`` and ``after_read_error`` also after a 5xx answer or
    a read error, for requests that change nothing (the first may have been processed)."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries if after_read_error else 0,
        status=retries if after_5xx else 0,
        other=0,
        status_forcelist=RETRIED_STATUSES if after_5xx else (),
        allowed_methods=frozenset(methods),
        backoff_factor=0.2,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


#: The largest answer read from a JSON API; a longer one is treated as unreadable.
MAX_ANSWER_BYTES = 100_000


def bounded_answer(
    session: requests.Session, method: str, url: str, limit: int, **kwargs: Any
) -> tuple[int, bytes]:
    """The status and at most ``limit + 1`` bytes of the answer, decompressed (a gzip answer
    is read as its text), so that a longer one can be told apart without reading it all."""
    with session.request(method, url, stream=True, **kwargs) as response:
        return response.status_code, response.raw.read(limit + 1, decode_content=True)


def json_object(body: bytes) -> dict[str, Any] | None:
    """A JSON object answer (numbers as ``Decimal``), or None when it is not one."""
    if len(body) > MAX_ANSWER_BYTES:
        return None
    try:
        answer = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def never_sent(error: requests.ConnectionError) -> bool:
    """Whether the connection failed before any byte of the request was sent (refused, no
    route, a name that does not resolve): a retry-exhausted connect error."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | NameResolutionError)
