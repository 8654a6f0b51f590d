"""HTTP sessions for ROBOKASSA's services: bounded retries with a short back-off, and only where
a retry cannot do something twice."""

from __future__ import annotations

from collections.abc import Iterable

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
