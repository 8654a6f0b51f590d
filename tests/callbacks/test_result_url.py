"""Result URL: every reliability rule of docs/design.md §5, each as its own test."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers import LIVE_PASSWORD2, LOGIN, make_invoice, result_params
from wagtail_robokassa.models import (
    InvoiceStatus,
    RejectedRequest,
    RejectionOverflow,
    SuccessNotification,
)
from wagtail_robokassa.protocol import sign

pytestmark = pytest.mark.django_db
URL = "/robokassa/result/"


def deliver(client, params, method="post"):
    return getattr(client, method)(URL, params)


def assert_refused(response, reason, results_log, status=400):
    assert response.status_code == status
    assert not response.content.startswith(b"OK")
    assert len(results_log) == 0
    assert SuccessNotification.objects.count() == 0
    rejection = RejectedRequest.objects.get()
    assert rejection.reason == reason
    assert rejection.endpoint == "result"
    return rejection


def test_url_names_match_django_robokassa():
    assert reverse("robokassa_result") == "/robokassa/result/"
    assert reverse("robokassa_success") == "/robokassa/success/"
    assert reverse("robokassa_fail") == "/robokassa/fail/"


def test_valid_delivery_marks_the_invoice_paid_and_signals_once(client, results_log):
    invoice = make_invoice("100.00")
    params = result_params(invoice.pk, shp={"Shp_order": "25"}, extra={"EMail": "a@b.ru"})
    response = deliver(client, params)
    assert response.status_code == 200
    assert response.content == f"OK{invoice.pk}".encode()
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None
    notification = SuccessNotification.objects.get()
    assert notification.invoice == invoice
    assert notification.InvId == invoice.pk
    assert notification.OutSum == Decimal("100")
    assert notification.email == "a@b.ru"
    assert notification.shp == {"Shp_order": "25"}
    assert "SignatureValue" not in notification.params
    assert notification.client_ip == "127.0.0.1"
    assert len(results_log) == 1
    call = results_log.last
    assert call["sender"] == notification
    assert call["notification"] == notification
    assert call["InvId"] == invoice.pk
    assert call["OutSum"] == Decimal("100")
    assert isinstance(call["OutSum"], Decimal)
    assert call["extra"] == {"order": "25"}
    assert call["invoice"] == invoice
    assert call["request"].path == URL


def test_unknown_inv_id_is_recorded_and_signalled_like_django_robokassa(client, results_log):
    response = deliver(client, result_params(777, "12.50"))
    assert response.content == b"OK777"
    notification = SuccessNotification.objects.get()
    assert notification.invoice is None
    assert notification.merchant_login == LOGIN
    assert results_log.last["invoice"] is None


def test_get_is_read_from_the_query_string(client, results_log):
    response = deliver(client, result_params(5), method="get")
    assert response.content == b"OK5"
    assert len(results_log) == 1


def test_repeated_delivery_is_acknowledged_counted_and_not_resignalled(client, results_log):
    invoice = make_invoice()
    params = result_params(invoice.pk)
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    notification = SuccessNotification.objects.get()
    assert notification.deliveries == 3
    assert notification.last_delivery_at is not None
    assert len(results_log) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"OutSum": "1.000000"},
        {"InvId": "6"},
        {"Shp_order": "26"},
        {"Shp_extra": "1"},
    ],
    ids=["OutSum", "InvId", "Shp value", "Shp added"],
)
def test_tampered_request_is_refused_recorded_and_not_signalled(client, results_log, tamper):
    params = {**result_params(5, shp={"Shp_order": "25"}), **tamper}
    rejection = assert_refused(deliver(client, params), "bad_signature", results_log)
    assert rejection.params["SignatureValue"] == "[redacted]"


def test_wrong_password_is_refused(client, results_log):
    params = result_params(5, password="guessed")
    assert_refused(deliver(client, params), "bad_signature", results_log)


def test_password1_does_not_sign_a_result(client, results_log):
    from tests.helpers import LIVE_PASSWORD1

    assert_refused(
        deliver(client, result_params(5, password=LIVE_PASSWORD1)), "bad_signature", results_log
    )


def test_lower_case_signature_is_accepted(client, results_log):
    assert deliver(client, result_params(5, upper=False)).content == b"OK5"


def test_received_out_sum_is_hashed_as_received(client, results_log):
    invoice = make_invoice("10.00")
    params = result_params(invoice.pk, "10.000000")
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_repeated_parameter_is_refused(client, results_log):
    params = result_params(5)
    body = "&".join(f"{k}={v}" for k, v in params.items()) + "&OutSum=100.000000"
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    rejection = assert_refused(response, "malformed", results_log)
    assert "repeated" in rejection.detail


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"OutSum": "100", "InvId": "x", "SignatureValue": "0" * 32},
        {"OutSum": "-1", "InvId": "5", "SignatureValue": "0" * 32},
        {"OutSum": "NaN", "InvId": "5", "SignatureValue": "0" * 32},
        {"OutSum": "1", "InvId": "99999999999", "SignatureValue": "0" * 32},
        {"OutSum": "1", "InvId": "5", "SignatureValue": "not-hex"},
        {"OutSum": "1", "InvId": "5", "SignatureValue": "0" * 32, "Shp_x": "y" * 10000},
    ],
    ids=["empty", "inv_id", "negative", "nan", "range", "signature", "long"],
)
def test_malformed_request_gets_a_clear_4xx_and_a_record(client, results_log, params):
    response = deliver(client, params)
    assert response.content.startswith(b"bad request: malformed")
    assert_refused(response, "malformed", results_log)


def test_non_form_body_is_a_4xx_not_a_500(client, results_log):
    response = client.post(URL, b"\xff\xfe<xml/>", content_type="application/xml")
    assert_refused(response, "malformed", results_log)


def test_test_payment_in_live_mode_is_refused(client, results_log):
    params = result_params(5, is_test=True)
    assert_refused(deliver(client, params), "test_in_live", results_log)


def test_test_payment_in_test_mode_needs_the_test_password(client, results_log, settings):
    settings.ROBOKASSA_TEST_MODE = True
    assert deliver(client, result_params(5, is_test=True)).content == b"OK5"
    live_signed = result_params(6, is_test=True, password=LIVE_PASSWORD2)
    response = deliver(client, live_signed)
    assert response.status_code == 400
    assert RejectedRequest.objects.get().reason == "bad_signature"


def test_amount_mismatch_never_marks_paid(client, results_log):
    invoice = make_invoice("100.00")
    params = result_params(invoice.pk, "99.000000")
    assert_refused(deliver(client, params), "amount_mismatch", results_log)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_mode_mismatch_never_marks_paid(client, results_log, settings):
    settings.ROBOKASSA_TEST_MODE = True
    invoice = make_invoice("100.00", is_test=False)
    assert_refused(
        deliver(client, result_params(invoice.pk, is_test=True)), "mode_mismatch", results_log
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_unknown_invoice_can_be_required(client, results_log, settings):
    settings.ROBOKASSA_REQUIRE_INVOICE = True
    assert_refused(deliver(client, result_params(5)), "unknown_invoice", results_log)


def test_raising_receiver_rolls_back_and_the_next_delivery_succeeds(client, results_log):
    from wagtail_robokassa.signals import result_received

    invoice = make_invoice()
    params = result_params(invoice.pk)

    def broken(sender, **kwargs):
        raise RuntimeError("the shop's handler failed")

    result_received.connect(broken, weak=False)
    try:
        response = deliver(client, params)
    finally:
        result_received.disconnect(broken)
    assert response.status_code == 500
    assert not response.content.startswith(b"OK")
    assert SuccessNotification.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    rejection = RejectedRequest.objects.get()
    assert rejection.reason == "handler_error"
    assert rejection.detail == "RuntimeError"
    assert rejection.inv_id == invoice.pk
    calls_before_retry = len(results_log)

    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert SuccessNotification.objects.get().deliveries == 1
    assert len(results_log) - calls_before_retry == 1


@pytest.mark.django_db(transaction=True)
def test_raising_receiver_with_atomic_requests(client, results_log):
    from wagtail_robokassa.signals import result_received

    invoice = make_invoice()
    params = result_params(invoice.pk)
    calls = []

    def broken_once(sender, **kwargs):
        calls.append(kwargs["InvId"])
        if len(calls) == 1:
            raise RuntimeError("first delivery fails")

    connection.settings_dict["ATOMIC_REQUESTS"] = True
    result_received.connect(broken_once, weak=False)
    try:
        assert deliver(client, params).status_code == 500
        assert SuccessNotification.objects.count() == 0
        assert RejectedRequest.objects.get().reason == "handler_error"
        assert deliver(client, params).content == f"OK{invoice.pk}".encode()
        assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    finally:
        result_received.disconnect(broken_once)
        connection.settings_dict["ATOMIC_REQUESTS"] = False
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert calls == [invoice.pk, invoice.pk]  # the failed delivery, then the one that stood
    assert len(results_log) == 2  # the third delivery was a repeat: no signal


def test_csrf_enforcing_client_still_gets_ok(results_log):
    client = Client(enforce_csrf_checks=True)
    assert deliver(client, result_params(5)).content == b"OK5"


@pytest.mark.parametrize("request_kind", ["payment", "refusal", "method"], ids=["OK", "4xx", "405"])
def test_every_answer_has_never_caches_headers(client, settings, request_kind):
    """The view sets them itself (cheaper than the decorator): the same as ``never_cache``."""
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers

    settings.ROBOKASSA_USE_POST = True
    if request_kind == "method":
        response = client.get("/robokassa/result/", result_params(5))
    else:
        params = result_params(5, password="wrong" if request_kind == "refusal" else None)
        response = deliver(client, params)
    reference = HttpResponse()
    add_never_cache_headers(reference)
    assert {part.strip() for part in response["Cache-Control"].split(",")} == {
        part.strip() for part in reference["Cache-Control"].split(",")
    }
    assert response["Expires"]


@pytest.mark.parametrize(("use_post", "refused_method"), [(True, "get"), (False, "post")])
def test_explicit_use_post_refuses_the_other_method(client, settings, use_post, refused_method):
    settings.ROBOKASSA_USE_POST = use_post
    response = deliver(client, result_params(5), method=refused_method)
    assert response.status_code == 405
    allowed_method = "get" if refused_method == "post" else "post"
    assert deliver(client, result_params(5), method=allowed_method).content == b"OK5"


def test_other_methods_are_not_allowed(client):
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


def test_missing_password2_is_a_site_failure_so_robokassa_retries(client, settings, results_log):
    settings.ROBOKASSA_PASSWORD2 = ""
    response = deliver(client, result_params(5))
    assert response.status_code == 500
    assert RejectedRequest.objects.get().reason == "not_configured"


def test_production_capture_with_legacy_duplicates(client, results_log):
    body = (
        "out_summ=69.000000&OutSum=69.000000&inv_id=16799&InvId=16799&crc={s}"
        "&SignatureValue={s}&PaymentMethod=BankCard&IncSum=69.000000&IncCurrLabel=BankCardPSR"
        "&EMail=buyer%40example.com&Fee=2.690000&Shp_days=30&Shp_id=610893809"
    )
    signature = sign(
        ["69.000000", "16799", LIVE_PASSWORD2, "Shp_days=30", "Shp_id=610893809"]
    ).upper()
    response = client.post(
        URL, body.format(s=signature), content_type="application/x-www-form-urlencoded"
    )
    assert response.content == b"OK16799"
    notification = SuccessNotification.objects.get()
    assert notification.fee == Decimal("2.69")
    assert notification.payment_method == "BankCard"
    assert "crc" not in notification.params
    assert results_log.last["extra"] == {"days": "30", "id": "610893809"}


def test_sha512_shop(client, settings, results_log):
    settings.ROBOKASSA_HASH_ALGORITHM = "sha512"
    assert deliver(client, result_params(5, algorithm="sha512")).content == b"OK5"
    assert deliver(client, result_params(6, algorithm="md5")).status_code == 400


def test_rejections_are_capped_per_minute(client, settings):
    settings.ROBOKASSA_REJECTED_REQUESTS_PER_MINUTE = 3
    for inv_id in range(1, 6):
        assert deliver(client, result_params(inv_id, password="wrong")).status_code == 400
    assert RejectedRequest.objects.count() == 3
    assert RejectionOverflow.objects.get().count == 2


def test_no_secret_or_expected_signature_anywhere(client, caplog):
    params = {**result_params(5), "OutSum": "1.000000"}
    expected = sign(["1.000000", "5", LIVE_PASSWORD2])
    response = deliver(client, params)
    stored = str(list(RejectedRequest.objects.values()))
    for text in (response.content.decode(), caplog.text, stored):
        assert expected not in text.lower()
        assert LIVE_PASSWORD2 not in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", ["django settings", "site settings"])
def test_at_most_four_queries_per_valid_delivery(
    client, settings, results_log, source, default_site
):
    """Counted as in production, where the view is outside any transaction."""
    from wagtail_robokassa.models import RobokassaSettings

    if source == "django settings":
        settings.ROBOKASSA_TEST_MODE = False
        settings.ROBOKASSA_HASH_ALGORITHM = "md5"
    RobokassaSettings.objects.create(site=default_site)
    invoice = make_invoice(site=default_site)
    for _ in range(2):  # a new payment, then a repeated delivery
        with CaptureQueriesContext(connection) as captured:
            response = deliver(client, result_params(invoice.pk))
        assert response.content == f"OK{invoice.pk}".encode()
        # SQLite's backend issues BEGIN/COMMIT as statements; PostgreSQL's does not.
        statements = [q["sql"] for q in captured if q["sql"] not in ("BEGIN", "COMMIT")]
        assert len(statements) <= 4, statements


def test_portable_path_records_once(client, results_log, portable_path):
    invoice = make_invoice()
    params = result_params(invoice.pk)
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    assert deliver(client, params).content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert SuccessNotification.objects.get().deliveries == 2
    assert SuccessNotification.objects.get().invoice == invoice
    assert len(results_log) == 1


def test_portable_path_refuses_amount_mismatch(client, results_log, portable_path):
    invoice = make_invoice("100.00")
    assert_refused(
        deliver(client, result_params(invoice.pk, "1.000000")), "amount_mismatch", results_log
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_paying_an_expired_invoice_still_records_the_money(client, results_log):
    invoice = make_invoice(status=InvoiceStatus.EXPIRED)
    assert deliver(client, result_params(invoice.pk)).content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("listening", [False, True], ids=["no-receiver", "receiver"])
def test_one_statement_per_payment_on_postgresql(
    client, settings, django_assert_num_queries, receiver, listening
):
    """With a receiver, the transaction it shares (BEGIN, COMMIT) and the same one write: what
    the signal needs comes back from the write, not from a read."""
    settings.ROBOKASSA_TEST_MODE = False  # the merchant is fully configured in Django settings
    settings.ROBOKASSA_HASH_ALGORITHM = "md5"
    seen = []
    if listening:
        receiver(lambda sender, invoice, **kwargs: seen.append((invoice.pk, invoice.status)))
    invoice = make_invoice()
    with django_assert_num_queries(3 if listening else 1):  # a connection per request: unprepared
        response = deliver(client, result_params(invoice.pk))
    assert response.content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert SuccessNotification.objects.get().invoice == invoice
    assert seen == ([(invoice.pk, InvoiceStatus.PAID)] if listening else [])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_statement_refuses_a_mismatch_without_writing(client):
    invoice = make_invoice("100.00")
    response = deliver(client, result_params(invoice.pk, "50.000000"))
    assert response.status_code == 400
    assert SuccessNotification.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert RejectedRequest.objects.get().reason == "amount_mismatch"


def test_process_result_for_developers_own_views(results_log):
    """``process_result`` is public: a developer's own Result view can call it directly."""
    from django.http import QueryDict

    from wagtail_robokassa.services import fixed_config, process_result
    from wagtail_robokassa.services.config import get_config

    invoice = make_invoice()
    params = QueryDict(mutable=True)
    params.update(result_params(invoice.pk))
    first = process_result(params, fixed_config(get_config()), client_ip="185.59.216.65")
    assert (first.ok, first.duplicate, first.body) == (True, False, f"OK{invoice.pk}")
    assert first.notification == SuccessNotification.objects.get()
    assert first.invoice == invoice
    again = process_result(params, fixed_config(get_config()))
    assert (again.ok, again.duplicate, again.notification) == (True, True, None)
    refused = process_result({**params.dict(), "OutSum": "1.000000"}, fixed_config(get_config()))
    assert (refused.ok, refused.status, refused.reason) == (False, 400, "bad_signature")
