"""The ROBOKASSA emulator: validation like ROBOKASSA's, real server-to-server notifications."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.helpers import LIVE_PASSWORD1, TEST_PASSWORD1, TEST_PASSWORD2, make_invoice
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import InvoiceStatus, SuccessNotification
from wagtail_robokassa.protocol import (
    OperationState,
    OpStateResult,
    Receipt,
    ReceiptItem,
    is_signed_success,
    opstate_request,
    parse_callback,
    parse_opstate,
    payment_params,
)

INDEX = "/emulator/Merchant/Index.aspx"


@pytest.fixture
def test_mode(settings):
    settings.ROBOKASSA_TEST_MODE = True
    return settings


def request_for(inv_id=1, amount="100.00", **kwargs):
    kwargs.setdefault("is_test", True)
    return dict(
        payment_params("demo", amount, inv_id, TEST_PASSWORD1, description="Книга", **kwargs)
    )


@pytest.mark.django_db
def test_a_valid_request_shows_the_payment_page(client, test_mode):
    response = client.post(INDEX, request_for(7, "250.00", email="a@b.ru"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "250.00" in html
    assert "Книга" in html
    operation = EmulatedOperation.objects.get()
    assert (operation.inv_id, operation.out_sum, operation.email) == (
        7,
        Decimal("250.00"),
        "a@b.ru",
    )
    assert client.get(INDEX, request_for(8)).status_code == 200  # GET works too


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MerchantLogin": "other"}, "Unknown MerchantLogin"),
        ({"IsTest": "0"}, "test payments only"),
        ({"OutSum": "100,00"}, "OutSum"),
        ({"OutSum": "1.005"}, "OutSum"),
        ({"InvId": "0"}, "InvId must be an integer"),
        ({"Description": "x" * 101}, "longer than 100"),
        ({"SignatureValue": "0" * 32}, "SignatureValue does not match"),
        ({"Shp_extra": "1"}, "MerchantLogin:OutSum:InvId:Password#1 (test):Shp_extra="),
    ],
)
def test_invalid_requests_are_explained(client, test_mode, change, message):
    response = client.post(INDEX, {**request_for(), **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert TEST_PASSWORD1 not in html
    assert EmulatedOperation.objects.count() == 0


@pytest.mark.django_db
def test_receipt_is_checked_against_out_sum(client, test_mode):
    receipt = Receipt(items=[ReceiptItem(name="Книга", sum=Decimal("100.00"), tax="none")])
    good = request_for(receipt=receipt)
    assert client.post(INDEX, good).status_code == 200
    tampered = {**good, "Receipt": good["Receipt"].replace("100", "90")}
    response = client.post(INDEX, tampered)
    assert response.status_code == 400
    assert "add up to 90" in response.content.decode()


@pytest.mark.django_db
def test_repeated_parameters_are_refused(client, test_mode):
    body = "&".join(f"{k}={v}" for k, v in request_for().items()) + "&OutSum=1.00"
    response = client.post(INDEX, body, content_type="application/x-www-form-urlencoded")
    assert "repeated" in response.content.decode()


@pytest.mark.django_db
def test_disabled_outside_development(client, settings):
    settings.ROBOKASSA_EMULATOR_ENABLED = False
    settings.DEBUG = False
    assert client.post(INDEX, request_for()).status_code == 404
    with pytest.raises(SystemCheckError, match=r"robokassa_emulator\.E001"):
        call_command("check")
    settings.DEBUG = True
    call_command("check")


def live_host(live_server, site=None):
    """The live server's host; ``site`` is moved there, since the emulator notifies the
    Site's own Result URL."""
    parts = urlsplit(live_server.url)
    if site is not None:
        site.hostname, site.port = parts.hostname, parts.port
        site.save()
    return parts.netloc


@pytest.mark.django_db(transaction=True)
def test_pay_notifies_the_shop_and_redirects_to_success(
    client, live_server, test_mode, default_site
):
    invoice = make_invoice("100.00", is_test=True, site=default_site)
    host = {"HTTP_HOST": live_host(live_server, default_site)}
    client.post(INDEX, request_for(invoice.pk, shp={"order": "5"}), **host)
    operation = EmulatedOperation.objects.get()
    response = client.post(f"/emulator/Merchant/Pay/{operation.pk}/", **host)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    notification = SuccessNotification.objects.get()
    assert notification.params["OutSum"] == "100.000000"
    assert notification.params["out_summ"] == "100.000000"
    assert notification.is_test
    assert notification.extra == {"order": "5"}
    location = urlsplit(response["Location"])
    assert location.path == "/robokassa/success/"
    callback = parse_callback(parse_qs(location.query))
    assert is_signed_success(callback, TEST_PASSWORD1)
    assert callback.culture == "ru"
    operation.refresh_from_db()
    assert operation.state == EmulatedOperation.PAID
    assert operation.shop_answer == f"200 OK{invoice.pk}"


@pytest.mark.django_db(transaction=True)
def test_a_shop_that_does_not_answer_ok_gets_a_retry(
    client, live_server, test_mode, default_site, settings
):
    from wagtail_robokassa.signals import result_received

    invoice = make_invoice("100.00", is_test=True, site=default_site)
    host = {"HTTP_HOST": live_host(live_server, default_site)}
    client.post(INDEX, request_for(invoice.pk), **host)
    operation = EmulatedOperation.objects.get()

    def broken(sender, **kwargs):
        raise RuntimeError("shop is down")

    result_received.connect(broken)
    try:
        response = client.post(f"/emulator/Merchant/Pay/{operation.pk}/", **host)
    finally:
        result_received.disconnect(broken)
    assert response.status_code == 502
    assert "Retry" in response.content.decode()
    assert "500" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    retry = client.post(f"/emulator/Merchant/Pay/{operation.pk}/", **host)
    assert retry.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.django_db
def test_decline_goes_to_the_fail_url_unsigned(client, test_mode):
    client.post(INDEX, request_for(9, shp={"order": "5"}))
    operation = EmulatedOperation.objects.get()
    response = client.post(f"/emulator/Merchant/Decline/{operation.pk}/")
    location = urlsplit(response["Location"])
    assert location.path == "/robokassa/fail/"
    query = parse_qs(location.query)
    assert query["InvId"] == ["9"]
    assert query["Shp_order"] == ["5"]
    assert "SignatureValue" not in query
    operation.refresh_from_db()
    assert operation.state == EmulatedOperation.CANCELLED


@pytest.mark.django_db
def test_opstate_answers_from_the_emulators_records(client, test_mode):
    client.post(INDEX, request_for(11, "42.00", shp={"order": "5"}))
    EmulatedOperation.objects.update(state=EmulatedOperation.PAID)
    answer = parse_opstate(
        client.post(
            "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
            dict(opstate_request("demo", 11, TEST_PASSWORD2)),
        ).content
    )
    assert answer.result is OpStateResult.OK
    assert answer.state is OperationState.PAID
    assert answer.out_sum == Decimal("42")
    assert answer.user_fields == (("Shp_order", "5"),)
    missing = client.get(
        "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
        dict(opstate_request("demo", 12, TEST_PASSWORD2)),
    )
    assert parse_opstate(missing.content).result is OpStateResult.NOT_FOUND
    forged = client.get(
        "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
        dict(opstate_request("demo", 11, "guess")),
    )
    assert parse_opstate(forged.content).result is OpStateResult.BAD_SIGNATURE


@pytest.mark.django_db(transaction=True)
def test_pay_never_sends_the_notification_to_the_host_the_request_names(
    client, live_server, test_mode, default_site, settings, monkeypatch
):
    """An attacker's Host header must not receive a notification signed with Password#2."""
    from wagtail_robokassa.contrib.emulator import views

    sent_to = []
    real_send = views.send_result
    monkeypatch.setattr(
        views, "send_result", lambda url, *a: sent_to.append(url) or real_send(url, *a)
    )
    settings.ALLOWED_HOSTS = ["*"]
    invoice = make_invoice("100.00", is_test=True, site=default_site)
    own = live_host(live_server, default_site)
    client.post(INDEX, request_for(invoice.pk), HTTP_HOST=own)
    operation = EmulatedOperation.objects.get()
    response = client.post(
        f"/emulator/Merchant/Pay/{operation.pk}/", HTTP_HOST="attacker.example:9"
    )
    assert sent_to == [f"http://{own}/robokassa/result/"]
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.django_db(transaction=True)
def test_the_result_url_can_be_set(client, live_server, test_mode, default_site, settings):
    settings.ROBOKASSA_EMULATOR_RESULT_URL = f"{live_server.url}/robokassa/result/"
    invoice = make_invoice("100.00", is_test=True, site=default_site)
    client.post(INDEX, request_for(invoice.pk))
    operation = EmulatedOperation.objects.get()
    assert client.post(f"/emulator/Merchant/Pay/{operation.pk}/").status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "description", "shp"])
def test_a_signed_request_with_nul_gets_a_400_page(client, test_mode, field):
    """Signed correctly, so only the NUL can refuse it (PostgreSQL could not store it)."""
    kwargs = {"shp": {"note": "a\x00b"}} if field == "shp" else {field: "a\x00b"}
    if field == "description":
        params = dict(payment_params("demo", "1.00", 3, TEST_PASSWORD1, is_test=True, **kwargs))
    else:
        params = request_for(3, "1.00", **kwargs)
    response = client.post(INDEX, params)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert EmulatedOperation.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("inv_id", ["²", "١٢", "99999999999", "0"])
def test_opstate_takes_only_ascii_invoice_numbers(client, test_mode, inv_id):
    from wagtail_robokassa.protocol import opstate_signature

    signature = opstate_signature("demo", inv_id, TEST_PASSWORD2)
    response = client.get(
        "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
        {"MerchantLogin": "demo", "InvoiceID": inv_id, "Signature": signature},
    )
    assert response.status_code == 200
    assert "<Code>3</Code>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("culture", "browser", "language", "pay"),
    [("en", "ru", "en", "Pay"), ("ru", "en", "ru", "Оплатить"), ("", "en", "en", "Pay")],
)
def test_the_payment_page_speaks_the_payments_culture(
    client, test_mode, culture, browser, language, pay
):
    """As ROBOKASSA's own page: ``Culture`` first, else the browser's language; ``<html lang>``
    says which."""
    params = request_for(11, culture=culture) if culture else request_for(11)
    html = client.post(INDEX, params, HTTP_ACCEPT_LANGUAGE=browser).content.decode()
    assert f'<html lang="{language}">' in html
    assert f">{pay}</button>" in html


@pytest.mark.django_db
def test_the_amount_keeps_its_currency_and_the_receipt_says_its_rate(client, test_mode):
    receipt = Receipt(items=[ReceiptItem(name="Книга", sum=Decimal("250.00"), tax="vat20")])
    html = client.post(INDEX, request_for(12, "250.00", receipt=receipt)).content.decode()
    assert "250.00\N{NO-BREAK SPACE}₽" in html
    assert "VAT 20% (vat20)" in html


def test_the_pay_button_is_readable():
    """WCAG AA: 4.5:1 between the Pay button's text and its background."""
    import re
    from pathlib import Path

    import wagtail_robokassa.contrib.emulator as emulator

    css = (Path(emulator.__file__).parent / "templates/robokassa_emulator/base.html").read_text()
    background, color = re.search(
        r"\.pay \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{3,6}); \}", css
    ).groups()
    assert contrast(background, color) >= 4.5


def contrast(first, second):
    def luminance(colour):
        colour = colour.lstrip("#")
        if len(colour) == 3:
            colour = "".join(c * 2 for c in colour)
        channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(first), luminance(second)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.django_db
def test_pay_without_notifying_the_shop_is_a_lost_notification(client, test_mode, results_log):
    """The buyer pays and lands on Success, but the Result URL is never called."""
    from wagtail_robokassa.models import Invoice, SuccessNotification

    invoice = Invoice.objects.create(merchant_login="demo", amount="990.00", is_test=True)
    operation = EmulatedOperation.objects.create(
        merchant_login="demo", inv_id=invoice.pk, out_sum="990.00", op_key="k"
    )
    response = client.post(f"/emulator/Merchant/PayWithoutNotifying/{operation.pk}/")
    assert response.status_code == 302
    assert response.url.startswith("/robokassa/success/?")
    operation.refresh_from_db()
    assert (operation.state, operation.shop_answer) == (EmulatedOperation.PAID, "not notified")
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls
    success = client.get(response.url)  # strict: the Success URL waits for the notification
    assert success.status_code == 400
    assert "Your payment is being processed" in success.content.decode()
    test_mode.ROBOKASSA_STRICT_CHECK = False
    success = client.get(response.url)
    assert success.status_code == 200
    assert "waiting for ROBOKASSA's confirmation" in success.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("code", [1, 2, 3, 4, 1000])
def test_the_status_interface_answers_an_error_on_demand(client, test_mode, code):
    from wagtail_robokassa.protocol import OpStateResult, parse_opstate

    switch = client.get("/emulator/status-interface/")
    assert switch.status_code == 200
    assert 'value="1000"' in switch.content.decode()
    assert client.post("/emulator/status-interface/", {"status_answer": code}).status_code == 302
    answer = client.post(
        "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
        {"MerchantLogin": "anything", "InvoiceID": "1", "Signature": "x"},
    )
    state = parse_opstate(answer.content)
    assert state.result is OpStateResult(code)
    assert client.post("/emulator/status-interface/", {"status_answer": ""}).status_code == 302
    normal = client.post(
        "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
        {"MerchantLogin": "anything", "InvoiceID": "1", "Signature": "x"},
    )
    assert parse_opstate(normal.content).result is OpStateResult.SHOP_NOT_FOUND


@pytest.mark.django_db
def test_the_status_interface_can_fail_without_xml(client, test_mode):
    client.post("/emulator/status-interface/", {"status_answer": 500})
    answer = client.post("/emulator/Merchant/WebService/Service.asmx/OpStateExt", {})
    assert answer.status_code == 500


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["7", "abc", "1\x00"])
def test_the_status_switch_refuses_unknown_answers(client, test_mode, value):
    from wagtail_robokassa.contrib.emulator.models import EmulatorSwitches

    assert client.post("/emulator/status-interface/", {"status_answer": value}).status_code == 400
    assert EmulatorSwitches.current().status_answer is None


def _signed_with_receipt(signed_receipt, sent_receipt):
    """A payment whose signature covers ``signed_receipt`` while ``sent_receipt`` is sent."""
    params = dict(
        payment_params("demo", "100.00", 1, TEST_PASSWORD1, is_test=True, receipt=signed_receipt)
    )
    return {**params, "Receipt": sent_receipt}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signed", "said"),
    [
        ("encoded", "the Receipt was URL-encoded once more for the signature"),
        ("raw", "the Receipt was signed decoded"),
    ],
)
def test_a_receipt_signed_the_wrong_way_is_named(client, test_mode, signed, said):
    from urllib.parse import quote, unquote

    receipt = Receipt(items=[ReceiptItem(name="Книга", sum=Decimal("100.00"), tax="none")])
    sent = dict(request_for(receipt=receipt))["Receipt"]
    signed_receipt = quote(sent, safe="") if signed == "encoded" else unquote(sent)
    response = client.post(INDEX, _signed_with_receipt(signed_receipt, sent))
    assert response.status_code == 400
    html = response.content.decode()
    assert said in html
    assert TEST_PASSWORD1 not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signing", "said"),
    [
        ({"password1": LIVE_PASSWORD1}, "live Password#1 instead of the test one"),
        ({"algorithm": "sha256"}, "hashed with sha256, but the shop is set to md5"),
    ],
)
def test_a_payment_signed_with_the_wrong_key_is_named(client, test_mode, signing, said):
    password = signing.pop("password1", TEST_PASSWORD1)
    params = dict(payment_params("demo", "100.00", 1, password, is_test=True, **signing))
    response = client.post(INDEX, params)
    assert response.status_code == 400
    assert said in response.content.decode()


@pytest.mark.django_db
def test_refunds_and_final_receipts_end_as_switched(client, test_mode):
    from wagtail_robokassa.contrib.emulator.models import EmulatorSwitches

    page = client.get("/emulator/status-interface/").content.decode()
    assert 'name="refund_outcome" value="answer_lost"' in page
    assert 'name="receipt_outcome" value="refused"' in page
    saved = client.post(
        "/emulator/status-interface/",
        {"status_answer": "", "refund_outcome": "canceled", "receipt_outcome": "http_500"},
    )
    assert saved.status_code == 302
    switches = EmulatorSwitches.current()
    assert (switches.refund_outcome, switches.receipt_outcome) == ("canceled", "http_500")
    for bad in ({"refund_outcome": "nope"}, {"receipt_outcome": "\x00"}):
        assert client.post("/emulator/status-interface/", bad).status_code == 400
    assert EmulatorSwitches.current().refund_outcome == "canceled"


@pytest.mark.django_db
def test_the_switches_page_lists_what_the_cabinet_would(client, test_mode):
    import uuid
    from decimal import Decimal

    from wagtail_robokassa.contrib.emulator.models import (
        EmulatedOperation,
        EmulatedReceipt,
        EmulatedRefund,
    )

    operation = EmulatedOperation.objects.create(
        merchant_login="demo", inv_id=77, out_sum=Decimal("10.00"), state=100, op_key="k"
    )
    request_id = uuid.uuid4()
    EmulatedRefund.objects.create(request_id=request_id, operation=operation, amount=Decimal(5))
    EmulatedReceipt.objects.create(receipt_id="1000000000077", operation=operation, payload={})
    page = client.get("/emulator/status-interface/").content.decode()
    assert f"<code>{request_id}</code>" in page
    assert "<code>1000000000077</code>" in page
