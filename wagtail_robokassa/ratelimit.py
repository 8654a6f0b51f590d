"""A fixed-window counter per client group, in Django's cache.

Use a cache shared by every process (Redis, Memcached, the database cache) in production: with
the per-process local-memory cache, each process counts on its own.
"""

from __future__ import annotations

from django.core.cache import cache

from .requester import client_group


def allow(bucket: str, address: str | None, limit: int | None, seconds: int) -> bool:
    """Count one event for ``address``'s group in ``bucket``; False once more than ``limit``
    happened within the window. A limit of None or 0 allows everything."""
    if not limit:
        return True
    key = f"wagtail_robokassa:{bucket}:{client_group(address)}"
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return True
