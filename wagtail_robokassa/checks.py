"""System checks: a misconfigured shop is reported at start-up, not at the first payment.

One function per check, ids in order. E001 to E007 are the rules of the settings panel
(``rules``), applied here to Django settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .conf import SECRET_FIELDS, SETTING_NAMES, server_config, server_values, setting
from .protocol import MAX_INV_ID
from .rules import configuration_problems, result_url_in_use

TAG = "wagtail_robokassa"
#: Rules checked whoever configures the rest (the server must compute the algorithm).
ALWAYS_CHECKED = frozenset({"E005", "E006"})

E008 = "ROBOKASSA_FIRST_INV_ID must be a whole number from 1 to {maximum}, not {value!r}."
E008_HINT = "Set it above the order numbers your own code sends to ROBOKASSA."
E009 = "ROBOKASSA_TRUSTED_PROXIES is not a list of addresses or networks: {error}"
E009_HINT = "List your reverse proxies, for example ['127.0.0.1', '10.0.0.0/8']."
E010 = "ROBOKASSA settings of {site}: {fields} cannot be decrypted."
E010_HINT = (
    "Restore the old key in ROBOKASSA_ENCRYPTION_KEYS or SECRET_KEY_FALLBACKS, or enter the "
    "passwords again."
)
E011 = "ROBOKASSA_ENCRYPTION_KEYS cannot make encryption keys: {error}"
E011_HINT = "Give a list of non-empty secret strings, the one to encrypt with first."
E012 = "ROBOKASSA_WRITE_PATH {name!r} cannot write payments to {vendor} (database {alias!r})."
E012_HINT = "Use one of: {names}."
E013 = "ROBOKASSA_RECONCILE_AFTER and ROBOKASSA_RECONCILE_WITHIN make no window: {error}"
E013_HINT = (
    "Give durations such as 600 (seconds), timedelta(minutes=10), '10m', '2h' or '3d', the "
    "second longer than the first."
)

E014 = "ROBOKASSA's call deadlines are not usable: {error}"
E014_HINT = (
    "ROBOKASSA_INTERACTIVE_DEADLINE (default 10) and ROBOKASSA_BACKGROUND_DEADLINE (default 60) "
    "are seconds for a whole call to ROBOKASSA, retries included."
)


def _server_configured() -> bool:
    """Whether the merchant is configured in Django settings rather than in the Wagtail admin
    (whose form applies the same rules per Site)."""
    return any(name in server_values() for name in ("login", "password1", "password2"))


def _refused_setting(
    read: Callable[[], object], message: str, hint: str, check_id: str
) -> list[CheckMessage]:
    """The error of a setting that ``read`` refuses with ``TypeError`` or ``ValueError``."""
    try:
        read()
    except (TypeError, ValueError) as error:
        return [Error(message.format(error=error), hint=hint, id=check_id)]
    return []


@register(TAG)
def check_merchant_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001 to E007: the rules of ``rules``, for the merchant configured in Django settings."""
    config = server_config()
    problems = configuration_problems(
        lambda name: getattr(config, name), result_url_in_use=result_url_in_use()
    )
    server_configured = _server_configured()
    return [
        Error(
            f"ROBOKASSA: {problem.message}",
            hint=f"Django setting {SETTING_NAMES[problem.field]}.",
            id=f"robokassa.{problem.id}",
        )
        for problem in problems
        if server_configured or problem.id in ALWAYS_CHECKED
    ]


@register(TAG)
def check_first_inv_id(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E008: ``ROBOKASSA_FIRST_INV_ID`` is a usable InvId."""
    from .services.numbering import first_inv_id

    first = first_inv_id()
    if isinstance(first, int) and not isinstance(first, bool) and 1 <= first <= MAX_INV_ID:
        return []
    message = E008.format(maximum=MAX_INV_ID, value=first)
    return [Error(message, hint=E008_HINT, id="robokassa.E008")]


@register(TAG)
def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E009: ``ROBOKASSA_TRUSTED_PROXIES`` parses as addresses and networks."""
    from .requester import trusted_networks

    return _refused_setting(trusted_networks, E009, E009_HINT, "robokassa.E009")


@register(TAG, Tags.database)
def check_stored_passwords(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """E010: passwords stored with a key this server does not have (``check --database``)."""
    if not databases or check_encryption_keys():
        return []
    from django.db import connections

    from .models import RobokassaSettings

    errors: list[CheckMessage] = []
    for alias in databases:
        # ``migrate`` runs this check before the table exists.
        if RobokassaSettings._meta.db_table in connections[alias].introspection.table_names():
            errors += _unreadable_rows(RobokassaSettings.objects.using(alias))
    return errors


def _unreadable_rows(rows: Any) -> list[CheckMessage]:
    from .crypto import UnreadableSecret

    errors: list[CheckMessage] = []
    for row in rows.select_related("site"):
        lost = [name for name in SECRET_FIELDS if isinstance(getattr(row, name), UnreadableSecret)]
        if lost:
            message = E010.format(site=row.site, fields=", ".join(lost))
            errors.append(Error(message, hint=E010_HINT, id="robokassa.E010"))
    return errors


@register(TAG)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E011: ``ROBOKASSA_ENCRYPTION_KEYS`` makes usable keys."""
    from .crypto import fernet

    return _refused_setting(fernet, E011, E011_HINT, "robokassa.E011")


@register(TAG)
def check_write_path(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E012: ``ROBOKASSA_WRITE_PATH`` names a path the default database supports."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from .services.write_paths import AUTO, WRITE_PATHS, supported_names

    name = setting("ROBOKASSA_WRITE_PATH")
    db = connections[DEFAULT_DB_ALIAS]
    path = WRITE_PATHS.get(name) if isinstance(name, str) else None
    if name == AUTO or (path is not None and path.supports(db)):
        return []
    message = E012.format(name=name, vendor=db.vendor, alias=DEFAULT_DB_ALIAS)
    hint = E012_HINT.format(names=", ".join(supported_names(db)))
    return [Error(message, hint=hint, id="robokassa.E012")]


@register(TAG)
def check_reconcile_window(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E013: the reconciliation window's settings are durations, the second the longer."""
    from .services.sweeps import reconcile_window

    return _refused_setting(reconcile_window, E013, E013_HINT, "robokassa.E013")


@register(TAG)
def check_call_deadlines(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E014: the deadlines of calls to ROBOKASSA are positive seconds within their ceilings."""
    from .gateway.transport import deadlines

    return _refused_setting(deadlines, E014, E014_HINT, "robokassa.E014")


E015 = "{name} names no readable certificate: {error}"
E015_HINT = "Give the certificate's PEM text, or the path of its PEM or DER file."


@register(TAG)
def check_certificate_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E015: the ResultUrl2 certificate settings, where set, give a certificate."""
    from .protocol.jws import JwsError
    from .services.certificates import certificate_from_setting

    errors: list[CheckMessage] = []
    for name in ("ROBOKASSA_RESULT_URL2_CERTIFICATE", "ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE"):
        if not setting(name):
            continue
        try:
            certificate_from_setting(name)
        except JwsError as error:
            message = E015.format(name=name, error=error)
            errors.append(Error(message, hint=E015_HINT, id="robokassa.E015"))
    return errors


W004 = "ROBOKASSA's ResultUrl2 certificate {state}."
W004_HINT = (
    "Run `manage.py robokassa_refresh_certificate` (daily, from cron or the refresh_certificate "
    "task), or set ROBOKASSA_RESULT_URL2_CERTIFICATE to ROBOKASSA's new certificate: "
    "notifications of holds are refused without it."
)
#: How long before the certificate expires W004 warns.
CERTIFICATE_WARNING = 30


@register(TAG, Tags.database)
def check_certificate_expiry(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004: the live ResultUrl2 certificate is valid for 30 days more (the stored copies are
    counted with ``check --database``)."""
    from datetime import timedelta

    from django.utils import timezone

    from .protocol.jws import JwsError
    from .services.certificates import latest_expiry

    now = timezone.now()
    try:
        expiry, _source = latest_expiry(now=now, stored=_certificates_table(databases))
    except JwsError:  # E015 says why
        return []
    if expiry is None:
        state = "has expired (no certificate that verifies them is valid now)"
    elif expiry - now < timedelta(days=CERTIFICATE_WARNING):
        state = f"expires on {expiry:%Y-%m-%d}"
    else:
        return []
    return [Warning(W004.format(state=state), hint=W004_HINT, id="robokassa.W004")]


def _certificates_table(databases: Any) -> bool:
    """Whether the stored certificates can be read (``migrate`` checks before the table is)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from .models import ResultUrl2Certificate

    if not databases or DEFAULT_DB_ALIAS not in databases:
        return False
    table = ResultUrl2Certificate._meta.db_table
    return table in connections[DEFAULT_DB_ALIAS].introspection.table_names()


W002 = "The default cache ({backend}) keeps ROBOKASSA's counters in each process."
W002_HINT = (
    "The rate limit on new invoices and the per-client caps on stored requests then count per "
    "process: use a cache every process shares (Redis, Memcached or the database cache)."
)
W003 = "The task backend ({backend}) runs no ROBOKASSA task in the background."
W003_HINT = (
    "Reconciliation, refunds and final receipts handed to the tasks then run inside the request "
    "or cron job that enqueues them, or not at all. Use a worker backend (django-tasks-db, RQ) "
    "and run its workers; if cron runs `manage.py robokassa_reconcile` (without --enqueue) and "
    "nothing is enqueued, add robokassa.W003 to SILENCED_SYSTEM_CHECKS."
)
#: Caches whose entries live in one process (or nowhere).
PER_PROCESS_CACHES = frozenset({"LocMemCache", "DummyCache"})
#: Task backends without workers.
FOREGROUND_TASK_BACKENDS = frozenset({"ImmediateBackend", "DummyBackend"})


def _production() -> bool:
    from django.conf import settings

    return not settings.DEBUG


@register(TAG)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W002: with ``DEBUG`` off, the rate limit and the caps count in a cache that every process
    shares."""
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches

    backend = type(caches[DEFAULT_CACHE_ALIAS]).__name__
    if not _production() or backend not in PER_PROCESS_CACHES:
        return []
    return [Warning(W002.format(backend=backend), hint=W002_HINT, id="robokassa.W002")]


@register(TAG)
def check_background_tasks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W003: with ``DEBUG`` off, the default task backend has workers."""
    from .tasks import task_backends

    try:
        backend = type(task_backends["default"]).__name__
    except Exception:  # a broken TASKS setting is for Django's own checks to report
        return []
    if not _production() or backend not in FOREGROUND_TASK_BACKENDS:
        return []
    return [Warning(W003.format(backend=backend), hint=W003_HINT, id="robokassa.W003")]
