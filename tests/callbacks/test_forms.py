"""django-robokassa's forms: RobokassaForm signs, the callback forms verify."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.http import QueryDict

from tests.helpers import (
    LIVE_PASSWORD1,
    TEST_PASSWORD1,
    make_invoice,
    result_params,
    success_params,
)
from wagtail_robokassa.forms import (
    FailRedirectForm,
    ResultURLForm,
    RobokassaForm,
    SuccessRedirectForm,
)
from wagtail_robokassa.protocol import (
    Receipt,
    ReceiptError,
    ReceiptItem,
    payment_signature,
    sign,
)
from wagtail_robokassa.services.config import get_config


def test_form_signs_with_password1_and_renders_hidden_inputs():
    form = RobokassaForm(
        initial={"OutSum": Decimal("99.90"), "InvId": 7, "Desc": "Книга", "Email": "a@b.ru"}
    )
    values = dict(form.params)
    assert values["OutSum"] == "99.90"
    assert values["Description"] == "Книга"
    assert values["SignatureValue"] == payment_signature("demo", "99.90", 7, LIVE_PASSWORD1)
    assert "IsTest" not in values
    html = form.as_p()
    assert html.count('type="hidden"') == len(form.params)
    assert 'name="SignatureValue"' in html
    assert form.target == "https://auth.robokassa.ru/Merchant/Index.aspx"


def test_test_mode_signs_with_the_test_password_and_sends_is_test(settings):
    settings.ROBOKASSA_TEST_MODE = True
    form = RobokassaForm(initial={"OutSum": "10", "InvId": 1})
    values = dict(form.params)
    assert values["IsTest"] == "1"
    assert values["SignatureValue"] == payment_signature("demo", "10", 1, TEST_PASSWORD1)


def test_test_form_target_applies_only_in_test_mode(settings):
    settings.ROBOKASSA_TEST_FORM_TARGET = "http://127.0.0.1:8000/emulator/Index.aspx"
    assert RobokassaForm(initial={"OutSum": 1}).target.startswith("https://auth.robokassa.ru")
    settings.ROBOKASSA_TEST_MODE = True
    assert RobokassaForm(initial={"OutSum": 1}).target == settings.ROBOKASSA_TEST_FORM_TARGET


def test_kazakh_host(settings):
    settings.ROBOKASSA_HOST = "auth.robokassa.kz"
    assert RobokassaForm(initial={"OutSum": 1}).target.startswith("https://auth.robokassa.kz/")


def test_extra_params_by_bare_name_become_shp(settings):
    settings.ROBOKASSA_EXTRA_PARAMS = ["order", "user"]
    form = RobokassaForm(initial={"OutSum": 1, "InvId": 2, "order": 5, "user": "u1"})
    values = dict(form.params)
    assert values["Shp_order"] == "5"
    assert values["Shp_user"] == "u1"
    expected = sign(["demo", "1.00", "2", LIVE_PASSWORD1, "Shp_order=5", "Shp_user=u1"])
    assert values["SignatureValue"] == expected


def test_culture_default_and_algorithm_from_settings(settings):
    settings.ROBOKASSA_CULTURE = "en"
    settings.ROBOKASSA_HASH_ALGORITHM = "SHA256"
    values = dict(RobokassaForm(initial={"OutSum": 1, "InvId": 2}).params)
    assert values["Culture"] == "en"
    assert values["SignatureValue"] == payment_signature(
        "demo", 1, 2, LIVE_PASSWORD1, algorithm="sha256"
    )


def test_redirect_url_is_the_get_variant():
    form = RobokassaForm(initial={"OutSum": "5.5", "InvId": 3, "Desc": "a b"})
    url = form.get_redirect_url()
    assert url.startswith("https://auth.robokassa.ru/Merchant/Index.aspx?")
    assert parse_qsl(urlsplit(url).query) == form.params


def test_receipt_is_encoded_and_must_add_up():
    receipt = Receipt(items=[ReceiptItem(name="Книга", sum=Decimal(10), tax="none")])
    values = dict(RobokassaForm(initial={"OutSum": 10, "InvId": 1, "Receipt": receipt}).params)
    assert values["Receipt"].startswith("%7B%22items%22")
    with pytest.raises(ReceiptError):
        RobokassaForm(initial={"OutSum": 11, "InvId": 1, "Receipt": receipt})


@pytest.mark.parametrize(
    ("initial", "message"),
    [
        ({"OutSum": 10.5}, "float"),
        ({"InvId": 1}, "needs OutSum"),
        ({"OutSum": 1, "email": "x"}, "does not know 'email'"),
        ({"OutSum": 1, "InvId": 0}, "between 1 and"),
        ({"OutSum": "-5"}, "plain decimal"),
    ],
)
def test_bad_initial_values_are_refused_clearly(initial, message):
    with pytest.raises(ValueError, match=message):
        RobokassaForm(initial=initial)


@pytest.mark.django_db
def test_result_form_verifies_and_exposes_typed_values():
    form = ResultURLForm(QueryDict(urlencode(result_params(5, "12.340000", shp={"Shp_a": "b"}))))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["OutSum"] == Decimal("12.34")
    assert form.cleaned_data["InvId"] == 5
    assert form.extra_params() == {"a": "b"}


@pytest.mark.django_db
def test_result_form_refuses_a_bad_signature_with_a_code():
    form = ResultURLForm({**result_params(5), "OutSum": "1.000000"})
    assert not form.is_valid()
    assert form.has_error("__all__", code="bad_signature")
    assert form.extra_params() == {}


@pytest.mark.django_db
def test_success_form_strict_check(client):
    make_invoice()
    form = SuccessRedirectForm(success_params(1))
    assert not form.is_valid()
    assert form.has_error("__all__", code="not_notified")
    client.post("/robokassa/result/", result_params(1))
    form = SuccessRedirectForm(success_params(1))
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_success_form_without_strict_check(settings):
    settings.ROBOKASSA_STRICT_CHECK = False
    form = SuccessRedirectForm(success_params(1, shp={"Shp_x": "y"}))
    assert form.is_valid()
    assert form.extra_params() == {"x": "y"}


def test_fail_form_needs_no_signature():
    form = FailRedirectForm({"OutSum": "3.00", "InvId": "4", "Culture": "en"})
    assert form.is_valid()
    assert form.cleaned_data["Culture"] == "en"
    assert not FailRedirectForm({"InvId": "4"}).is_valid()


def test_forms_accept_an_explicit_config():
    config = get_config()
    assert RobokassaForm(initial={"OutSum": 1}, config=config).config is config


def test_an_extra_value_that_could_be_split_is_refused(settings):
    settings.ROBOKASSA_EXTRA_PARAMS = ["comment"]
    with pytest.raises(ValueError, match="split"):
        RobokassaForm(initial={"OutSum": Decimal("10.00"), "comment": "hi:Shp_order=42"})
    form = RobokassaForm(initial={"OutSum": Decimal("10.00"), "comment": "12:30"})
    assert dict(form.params)["Shp_comment"] == "12:30"


def test_extra_values_a_callback_cannot_carry_back_are_refused(settings):
    settings.ROBOKASSA_EXTRA_PARAMS = ["note"]
    with pytest.raises(ValueError, match="longer than 2048"):
        RobokassaForm(initial={"OutSum": Decimal("10.00"), "note": "x" * 2049})
