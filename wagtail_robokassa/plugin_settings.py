"""Every ``ROBOKASSA_*`` Django setting that is not part of a shop's configuration, declared once.

The merchant's own settings (login, passwords, test mode…) are declared with their fields in
``conf.MerchantConfig``. ``conf.setting()`` reads a setting declared here, with the default given
here; the documentation's settings reference is generated from both declarations, so a setting
cannot be read without being documented.

The documentation build imports it without configuring Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class PluginSetting:
    """One setting: its name, its default, how the default reads in the reference (when the
    value itself does not say it well), the topic it belongs to, and what it does."""

    name: str
    default: Any
    topic: str
    doc: str
    shown_default: str = ""

    @property
    def default_text(self) -> str:
        """The default as the reference shows it."""
        return self.shown_default or f"``{self.default!r}``"


PAYMENTS = "Payments and the payment block"
CALLBACKS = "Result, Success and Fail URLs"
RECORDS = "What anonymous requests may store"
CALLS = "Calls to ROBOKASSA: status checks, reconciliation, refunds, final receipts, payment links"
SUBSCRIPTIONS = "Subscriptions (recurring payments)"
HOLDS = "Holds and ResultUrl2"
SECURITY = "Security and deployment"
DEVELOPMENT = "Development"

#: In the order the reference lists them, topic by topic.
PLUGIN_SETTINGS: tuple[PluginSetting, ...] = (
    PluginSetting(
        "ROBOKASSA_FIRST_INV_ID",
        1,
        PAYMENTS,
        "The first InvId the plugin gives an invoice: set it above your own order numbers (the "
        "counter moves there the first time it is below).",
    ),
    PluginSetting(
        "ROBOKASSA_PAY_METHOD",
        "POST",
        PAYMENTS,
        '``"GET"`` redirects the buyer to ROBOKASSA instead of posting a form (only when no '
        "receipt is sent).",
    ),
    PluginSetting(
        "ROBOKASSA_PAY_RATE_LIMIT",
        (10, 60),
        PAYMENTS,
        "Invoices per client (an IPv4 address or an IPv6 /64) per that many seconds; ``None`` "
        "turns the limit off. Counted in Django's cache: use a cache that every process shares.",
    ),
    PluginSetting(
        "ROBOKASSA_PAY_TOKEN_MAX_AGE",
        7 * 24 * 3600,
        PAYMENTS,
        "Seconds a rendered payment button stays valid.",
        shown_default="7 days",
    ),
    PluginSetting(
        "ROBOKASSA_BASE_TEMPLATE",
        "wagtail_robokassa/base.html",
        CALLBACKS,
        "The template that the Success, Fail and error pages extend.",
    ),
    PluginSetting(
        "ROBOKASSA_REQUIRE_INVOICE",
        False,
        CALLBACKS,
        "Refuse notifications for an InvId that has no ``Invoice``.",
    ),
    PluginSetting(
        "ROBOKASSA_WRITE_PATH",
        "auto",
        CALLBACKS,
        "How a payment is written: ``one_statement`` (PostgreSQL), ``upsert`` (SQLite 3.35+, "
        "PostgreSQL) or ``portable`` (any database); ``auto`` takes the first the database "
        "supports. System check ``robokassa.E012``.",
    ),
    PluginSetting(
        "ROBOKASSA_PREPARED_STATEMENTS",
        True,
        CALLBACKS,
        "On PostgreSQL with psycopg 3 and persistent connections, prepare the Result URL's "
        "statement once per connection. Set ``False`` behind a connection pooler in transaction "
        "mode that loses prepared statements (PgBouncer before 1.21).",
    ),
    PluginSetting(
        "ROBOKASSA_REJECTED_REQUESTS_PER_MINUTE",
        60,
        RECORDS,
        "How many refused requests are stored per minute in all; past that they are only counted.",
    ),
    PluginSetting(
        "ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE",
        10,
        RECORDS,
        "The same, per client (an IPv4 address or an IPv6 /64). Counted in Django's cache.",
    ),
    PluginSetting(
        "ROBOKASSA_VISITS_PER_MINUTE",
        600,
        RECORDS,
        "How many Success and Fail visits are stored per minute in all.",
    ),
    PluginSetting(
        "ROBOKASSA_VISITS_PER_ADDRESS_PER_MINUTE",
        10,
        RECORDS,
        "The same, per client. Counted in Django's cache.",
    ),
    PluginSetting(
        "ROBOKASSA_STATUS_URL",
        "",
        CALLS,
        "Where the status interface (OpStateExt) is asked; the emulator's in development.",
        shown_default="ROBOKASSA's own",
    ),
    PluginSetting(
        "ROBOKASSA_REFUND_URL",
        "",
        CALLS,
        "Where the Refund API is (``…/RefundService``); the emulator's in development.",
        shown_default="ROBOKASSA's own",
    ),
    PluginSetting(
        "ROBOKASSA_INVOICE_API_URL",
        "",
        CALLS,
        "Where the Invoice API is (``…/InvoiceServiceWebApi/api``), for payment links; the "
        "emulator's in development. Links from its answers may lead to its host too.",
        shown_default="ROBOKASSA's own",
    ),
    PluginSetting(
        "ROBOKASSA_RECURRING_URL",
        "",
        SUBSCRIPTIONS,
        "Where renewals are sent (``…/Merchant/Recurring``); the emulator's in development. "
        "ROBOKASSA has no test mode for renewals: a test subscription is renewed only when this "
        "is set.",
        shown_default="``Merchant/Recurring`` on the shop's ROBOKASSA host",
    ),
    PluginSetting(
        "ROBOKASSA_SUBSCRIPTION_RETRY_DAYS",
        (1, 3, 7),
        SUBSCRIPTIONS,
        "After a refused renewal, the days to wait before each new attempt; when they are used "
        "up, the subscription is cancelled. While they last it is past due.",
    ),
    PluginSetting(
        "ROBOKASSA_SUBSCRIPTION_REMINDER_DAYS",
        3,
        SUBSCRIPTIONS,
        "How many days before a renewal the buyer is reminded by e-mail (0: no reminder).",
    ),
    PluginSetting(
        "ROBOKASSA_SUBSCRIPTION_CHECK_AFTER",
        timedelta(hours=1),
        SUBSCRIPTIONS,
        "How long a renewal ROBOKASSA accepted may wait for its Result URL notification before "
        "the sweep asks the status interface about it.",
        shown_default="one hour",
    ),
    PluginSetting(
        "ROBOKASSA_SUBSCRIPTION_FIRST_PAYMENT_DAYS",
        7,
        SUBSCRIPTIONS,
        "A subscription whose first payment has not come after this many days ends.",
    ),
    PluginSetting(
        "ROBOKASSA_SUBSCRIPTION_EMAILS",
        True,
        SUBSCRIPTIONS,
        "Whether the plugin e-mails buyers (started, reminder, failed renewal, cancelled); "
        "every e-mail has the signed cancel link.",
    ),
    PluginSetting(
        "ROBOKASSA_RESULT_URL2_CERTIFICATE",
        "",
        HOLDS,
        "The certificate that verifies live ResultUrl2 notifications: PEM text or the path of a "
        "PEM or DER file. When it is set, only it is trusted. System check ``robokassa.W004``.",
        shown_default="the copy ``robokassa_refresh_certificate`` stored, and the bundled one",
    ),
    PluginSetting(
        "ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE",
        "",
        HOLDS,
        "The certificate that verifies ResultUrl2 notifications of test payments (the "
        "emulator's: ROBOKASSA sends none in test mode). Unset, they are refused.",
    ),
    PluginSetting(
        "ROBOKASSA_RESULT_URL2_CERTIFICATE_URL",
        "https://docs.robokassa.ru/media/files/jwtsign.cer",
        HOLDS,
        "Where ``robokassa_refresh_certificate`` fetches ROBOKASSA's current certificate.",
    ),
    PluginSetting(
        "ROBOKASSA_RESULT_URL2_MAX_AGE",
        timedelta(days=7),
        HOLDS,
        "A ResultUrl2 notification older than this is refused (seconds, a ``timedelta`` or "
        'text such as ``"3d"``).',
        shown_default='``"7d"``',
    ),
    PluginSetting(
        "ROBOKASSA_SEND_RESULT_URL2",
        False,
        HOLDS,
        "Send the plugin's ResultUrl2 with every payment, not only with holds: ROBOKASSA then "
        "also announces each live payment with a signed notification there.",
    ),
    PluginSetting(
        "ROBOKASSA_HOLD_URL",
        "",
        HOLDS,
        "Where charges and releases of holds are sent (``…/Merchant/Payment``, to which "
        "``/Confirm`` and ``/Cancel`` are added); the emulator's in development. ROBOKASSA has "
        "no test mode for them: a test hold is charged or released only when this is set.",
        shown_default="``Merchant/Payment`` on the shop's ROBOKASSA host",
    ),
    PluginSetting(
        "ROBOKASSA_HOLD_DAYS",
        7,
        HOLDS,
        "How long ROBOKASSA keeps money on hold before it releases it by itself (days).",
    ),
    PluginSetting(
        "ROBOKASSA_HOLD_MARGIN",
        timedelta(days=1),
        HOLDS,
        "How long before a hold expires the sweep settles it (``ROBOKASSA_HOLD_EXPIRY_ACTION``);"
        " staff are warned a day before that.",
        shown_default='``"1d"``',
    ),
    PluginSetting(
        "ROBOKASSA_HOLD_EXPIRY_ACTION",
        "release",
        HOLDS,
        '``"release"`` or ``"charge"``: what the sweep does with a hold nobody settled in time.',
    ),
    PluginSetting(
        "ROBOKASSA_HOLD_WARNING_EMAILS",
        None,
        HOLDS,
        "Who is e-mailed about holds the sweep is about to settle (a list of addresses; ``[]`` "
        "for nobody).",
        shown_default="``MANAGERS``",
    ),
    PluginSetting(
        "ROBOKASSA_FISCAL_URL",
        "",
        CALLS,
        "Where RoboFiscal is (``…/RoboFiscal``), for final receipts; the emulator's in "
        "development.",
        shown_default="ROBOKASSA's own",
    ),
    PluginSetting(
        "ROBOKASSA_INTERACTIVE_DEADLINE",
        10.0,
        CALLS,
        "Seconds one call to ROBOKASSA from an admin page may take, retries included (at most "
        "120). System check ``robokassa.E014``.",
    ),
    PluginSetting(
        "ROBOKASSA_BACKGROUND_DEADLINE",
        60.0,
        CALLS,
        "Seconds one call to ROBOKASSA from cron or a task may take, retries included (at most "
        "300). System check ``robokassa.E014``.",
    ),
    PluginSetting(
        "ROBOKASSA_RECONCILE_AFTER",
        timedelta(minutes=10),
        CALLS,
        "The periodic status check asks about pending payments older than this (seconds, a "
        '``timedelta``, or text such as ``"30m"``, ``"2h"``, ``"3d"``).',
        shown_default='``"10m"``',
    ),
    PluginSetting(
        "ROBOKASSA_RECONCILE_WITHIN",
        timedelta(days=3),
        CALLS,
        "… and younger than this.",
        shown_default='``"3d"``',
    ),
    PluginSetting(
        "ROBOKASSA_RECONCILE_BATCH",
        100,
        CALLS,
        "The most payments one run of the ``reconcile_payments`` task checks.",
    ),
    PluginSetting(
        "ROBOKASSA_TRUSTED_PROXIES",
        (),
        SECURITY,
        'Addresses or networks of your reverse proxies (``["127.0.0.1", "10.0.0.0/8"]``): only '
        "their ``X-Forwarded-For`` is believed.",
    ),
    PluginSetting(
        "ROBOKASSA_CLIENT_IP_HEADER",
        "HTTP_X_FORWARDED_FOR",
        SECURITY,
        "The ``request.META`` key the trusted proxies write the client address to.",
    ),
    PluginSetting(
        "ROBOKASSA_ENCRYPTION_KEYS",
        None,
        SECURITY,
        "Keys that encrypt the stored passwords, the current one first; every one decrypts. "
        "System check ``robokassa.E011``.",
        shown_default="derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``",
    ),
    PluginSetting(
        "ROBOKASSA_PERMISSIONS_PER_SITE",
        False,
        SECURITY,
        "A group's ROBOKASSA permissions apply only to the Sites ticked on its page in "
        "Settings → Groups.",
    ),
    PluginSetting(
        "ROBOKASSA_EMULATOR_ENABLED",
        False,
        DEVELOPMENT,
        "Serve the emulator although ``DEBUG`` is off (a staging site). System check "
        "``robokassa_emulator.E001``.",
    ),
    PluginSetting(
        "ROBOKASSA_EMULATOR_RESULT_URL",
        "",
        DEVELOPMENT,
        "Where the emulator's *Pay* sends its notification.",
        shown_default="the Site's root URL + the Result URL's path",
    ),
)

BY_NAME: dict[str, PluginSetting] = {declared.name: declared for declared in PLUGIN_SETTINGS}


def declared(name: str) -> PluginSetting:
    """The declaration of ``name``; ``KeyError`` for a setting nobody declared."""
    return BY_NAME[name]


def setting(name: str) -> Any:
    """A plugin setting that is not part of a merchant's configuration (read at call time), or
    its declared default; ``KeyError`` for a name nobody declared."""
    return getattr(settings, name, declared(name).default)
