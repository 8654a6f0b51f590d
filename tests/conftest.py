"""Test-suite switches.

``DATABASE_URL`` selects the database (see ``tests/settings.py``). ``REQUIRE_POSTGRES=1`` and
``REQUIRE_E2E=1`` turn "skipped: needs PostgreSQL / a browser" into failures, so CI cannot pass
while quietly testing less.
"""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.hostile import hostile  # noqa: F401 - shared
from tests.status_servers import (  # noqa: F401 - shared
    emulator,
    fiscal_service,
    misbehaving,
    refund_service,
)
from tests.task_backends import task_backend  # noqa: F401 - shared

settings.register_profile(
    "default", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _required(name: str) -> bool:
    return os.environ.get(name, "") == "1"


def pytest_configure(config: pytest.Config) -> None:
    if _required("REQUIRE_POSTGRES") and not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        raise pytest.UsageError("REQUIRE_POSTGRES=1 needs DATABASE_URL=postgres://...")


#: axe-core's browser build, installed from the npm registry by ``make test`` (package.json).
AXE_CORE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            message = f"needs PostgreSQL, running on {connection.vendor}"
            if _required("REQUIRE_POSTGRES"):
                pytest.fail(message + " while REQUIRE_POSTGRES=1")
            pytest.skip(message)
    if item.get_closest_marker("e2e") and (chromium_path() is None or not _has_playwright()):
        message = "needs Chromium and the playwright package"
        if _required("REQUIRE_E2E"):
            pytest.fail(message + " while REQUIRE_E2E=1")
        pytest.skip(message)
    if item.get_closest_marker("axe") and not AXE_CORE.exists():
        message = "needs axe-core (make test installs it with npm)"
        if _required("REQUIRE_E2E"):
            pytest.fail(message + " while REQUIRE_E2E=1")
        pytest.skip(message)


def _has_playwright() -> bool:
    import importlib.util

    return importlib.util.find_spec("playwright") is not None


class SignalLog:
    """Records every sending of a signal, with its sender and keyword arguments."""

    def __init__(self, signal):
        self.signal = signal
        self.calls: list[dict] = []

    def __call__(self, sender, **kwargs):
        kwargs.pop("signal", None)
        self.calls.append({"sender": sender, **kwargs})

    def __len__(self) -> int:
        return len(self.calls)

    @property
    def last(self) -> dict:
        return self.calls[-1]


def _signal_log(signal):
    log = SignalLog(signal)
    signal.connect(log, weak=False)
    yield log
    signal.disconnect(log)


@pytest.fixture
def results_log():
    from wagtail_robokassa.signals import result_received

    yield from _signal_log(result_received)


@pytest.fixture
def success_log():
    from wagtail_robokassa.signals import success_page_visited

    yield from _signal_log(success_page_visited)


@pytest.fixture
def fail_log():
    from wagtail_robokassa.signals import fail_page_visited

    yield from _signal_log(fail_page_visited)


@pytest.fixture
def default_site(django_db_blocker):
    """The default Site with a root page (transactional tests flush the migrations' ones)."""
    from wagtail.models import Locale, Page, Site

    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(hostname="testserver", root_page=root, is_default_site=True)
    return site


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and site-root paths live in the cache, shop configurations in the process:
    no test sees another's."""
    from django.core.cache import cache

    from wagtail_robokassa.services.config import forget_kept_configs

    cache.clear()
    forget_kept_configs()
    yield
    cache.clear()
    forget_kept_configs()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
    # themselves are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
