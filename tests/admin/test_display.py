"""What the admin shows of stored values: times in the active time zone, in one format, on
listings and inspect pages alike; money in the shop's currency; flags as translated yes/no and
status tags; receipts, parameters and blocks in words; an em dash for nothing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tests.admin.test_listings import URLS
from wagtail_robokassa.admin import display
from wagtail_robokassa.models import Invoice, SuccessNotification
from wagtail_robokassa.receipt_choices import label_of

pytestmark = pytest.mark.django_db

#: 22:30 UTC is already the next day in Moscow (UTC+3).
LATE_EVENING_UTC = datetime(2026, 3, 14, 22, 30, tzinfo=UTC)


@pytest.fixture
def moscow(settings):
    settings.TIME_ZONE = "Europe/Moscow"


def page(client, url, language="en"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_inspect_pages_show_times_as_the_listings_do(superuser_client, records, moscow):
    paid = records["paid"]
    Invoice.objects.filter(pk=paid.pk).update(created_at=LATE_EVENING_UTC)
    SuccessNotification.objects.filter(pk=records["notification"].pk).update(
        created_at=LATE_EVENING_UTC
    )
    shown = "03/15/2026 1:30 a.m."  # the next day, in Moscow
    for name, pk in (("payments", paid.pk), ("notifications", records["notification"].pk)):
        assert shown in page(superuser_client, URLS[name])
        inspect = page(superuser_client, f"{URLS[name]}inspect/{pk}/")
        assert shown in inspect
        assert "10:30 p.m." not in inspect
        assert "March 14" not in inspect


def test_rejected_requests_are_listed_by_their_local_time(superuser_client, records, moscow):
    from wagtail_robokassa.models import RejectedRequest

    RejectedRequest.objects.filter(pk=records["rejected"].pk).update(created_at=LATE_EVENING_UTC)
    html = page(superuser_client, URLS["rejected"])
    assert f'href="/admin/robokassa_rejected/inspect/{records["rejected"].pk}/"' in html
    assert "03/15/2026 1:30 a.m." in html


def test_flags_are_words_in_inspect_pages_and_tags_in_listings(superuser_client, records):
    pending = records["pending"]  # a test payment
    inspect = page(superuser_client, f"{URLS['payments']}inspect/{pending.pk}/")
    assert "<dd>Yes</dd>" in inspect.replace(" ", "").replace("\n", "")
    assert "True" not in inspect
    assert "False" not in inspect
    listing = page(superuser_client, URLS["payments"])
    assert "True" not in listing
    assert "False" not in listing
    assert listing.count('class="w-status') >= 6  # a mode tag and a status tag per payment
    assert ">Test<" in listing.replace(" ", "").replace("\n", "")
    assert ">Live<" in listing.replace(" ", "").replace("\n", "")


def test_flags_and_labels_are_translated(superuser_client, records):
    inspect = page(superuser_client, f"{URLS['payments']}inspect/{records['pending'].pk}/", "ru")
    squeezed = inspect.replace(" ", "").replace("\n", "")
    assert ">Да<" in squeezed
    assert "True" not in inspect
    listing = page(superuser_client, URLS["payments"], "ru").replace(" ", "").replace("\n", "")
    assert ">Тест<" in listing or ">Тестовый<" in listing


def test_money_is_shown_as_money_in_the_shops_currency(superuser_client, records):
    SuccessNotification.objects.filter(pk=records["notification"].pk).update(
        fee=Decimal("9.76950000")
    )
    listing = page(superuser_client, URLS["notifications"])
    assert "990.00\N{NO-BREAK SPACE}₽" in listing
    assert "990.000000" not in listing
    inspect = page(
        superuser_client, f"{URLS['notifications']}inspect/{records['notification'].pk}/"
    )
    assert "9.7695\N{NO-BREAK SPACE}₽" in inspect  # exact, without trailing zeros
    assert "9.76950000" not in inspect
    russian = page(superuser_client, URLS["payments"], "ru")
    assert "990,00\N{NO-BREAK SPACE}₽" in russian


def test_the_receipt_is_a_table_of_its_lines_in_words(superuser_client, records):
    paid = records["paid"]
    paid.receipt = {
        "sno": "usn_income",
        "items": [
            {"name": "Course", "quantity": "1", "sum": "990.00", "tax": "vat20",
             "payment_method": "full_prepayment", "payment_object": "service"},
        ],
    }  # fmt: skip
    paid.save()
    html = page(superuser_client, f"{URLS['payments']}inspect/{paid.pk}/")
    assert '<table class="listing robokassa-receipt">' in html
    shown = [
        "Simplified, income (USN) (usn_income)",
        "VAT 20% (vat20)",
        "Full prepayment (full_prepayment)",
        "Service (service)",
        "990.00\N{NO-BREAK SPACE}₽",
    ]
    for text in shown:
        assert text in html
    assert "{&#x27;sno" not in html
    assert "{'sno" not in html
    russian = page(superuser_client, f"{URLS['payments']}inspect/{paid.pk}/", "ru")
    assert "НДС 20% (vat20)" in russian
    assert "Способ расчёта" in russian


def test_empty_values_are_a_dash_and_no_parameters_say_so(superuser_client, records):
    html = page(superuser_client, f"{URLS['payments']}inspect/{records['paid'].pk}/")
    squeezed = html.replace(" ", "").replace("\n", "")
    assert "<dd>{}</dd>" not in squeezed
    assert "<dd>None</dd>" not in squeezed
    assert "<dd>—</dd>" in squeezed  # the reference, the page, the block
    assert "<dd>none</dd>" in squeezed  # no user parameters


def test_the_block_is_named_and_links_to_the_page_editor(superuser_client, records, shop_page):
    from wagtail_robokassa.page_blocks import payment_blocks

    block_id, value = next(payment_blocks(shop_page))
    paid = records["paid"]
    paid.page, paid.block_id = shop_page, block_id
    paid.save()
    html = page(superuser_client, f"{URLS['payments']}inspect/{paid.pk}/")
    editor = f"/admin/pages/{shop_page.pk}/edit/"
    assert f'<a href="{editor}">{value["description"]}</a>' in html
    assert block_id not in html.replace(f'"{block_id}"', "")  # the id is not shown as text
    paid.block_id = "gone"
    paid.save()
    assert "A block no longer on its page" in page(
        superuser_client, f"{URLS['payments']}inspect/{paid.pk}/"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("250.50000000"), "250.50"),
        (Decimal("9.76950000"), "9.7695"),
        (Decimal("1234567.8"), "1,234,567.80"),
        (Decimal("0"), "0.00"),
        ("250.5", "250.50"),  # a receipt's sum, stored as text
        ("n/a", "n/a"),  # not a number: shown as it is
        (None, "—"),
    ],
)
def test_amounts(value, shown):
    with translation.override("en"):
        assert display.amount(value) == shown


def test_amounts_in_russian_use_its_separators():
    with translation.override("ru"):
        assert (
            display.amount(Decimal("1234567.5"), "₸")
            == "1\N{NO-BREAK SPACE}234\N{NO-BREAK SPACE}567,50\N{NO-BREAK SPACE}₸"
        )


def test_receipt_codes_keep_their_code_and_unknown_ones_show_as_they_are():
    with translation.override("ru"):
        assert label_of("tax", "none") == "Без НДС (none)"
        assert (
            label_of("payment_object", "tovar_mark") == "Товар, подлежащий маркировке (tovar_mark)"
        )
    assert label_of("tax", "vat99") == "vat99"
    assert label_of("tax", None) == "—"


def test_the_settings_panel_offers_receipt_choices_in_words(superuser_client):
    url = "/admin/settings/wagtail_robokassa/robokassasettings/"
    response = superuser_client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    html = response.content.decode()
    assert "НДС по расчётной ставке 5/105 (vat105)" in html
    assert "Полный расчёт (full_payment)" in html
    assert ">vat105<" not in html


def test_listing_counts_use_the_languages_plural_forms(superuser_client, records):
    assert "3 платежа" in page(superuser_client, URLS["payments"], "ru")
    assert "2 посещения" in page(superuser_client, URLS["visits"], "ru")
    assert "1 уведомление" in page(superuser_client, URLS["notifications"], "ru")
    assert "3 payments" in page(superuser_client, URLS["payments"])


def test_the_dashboard_shows_amounts_and_times_as_the_listings_do(
    superuser_client, records, moscow
):
    from django.utils import timezone

    notification = records["notification"]
    SuccessNotification.objects.filter(pk=notification.pk).update(created_at=timezone.now())
    notification.refresh_from_db()
    html = page(superuser_client, "/admin/")
    assert "990.00\N{NO-BREAK SPACE}₽" in html
    assert display.moment(notification.created_at) in html
    assert ">Sum<" not in html.replace(" ", "")


def test_a_buyer_who_came_back_through_the_fail_url_is_shown_not_believed(
    superuser_client, records
):
    """The Fail URL is unsigned: it annotates the payment, its status stays as ROBOKASSA left it."""
    pending = records["pending"]  # the fixture's fail visit is for this InvId
    listing = page(superuser_client, URLS["payments"])
    assert listing.count("Fail URL visited") == 1
    inspect = page(superuser_client, f"{URLS['payments']}inspect/{pending.pk}/")
    assert "came back through the Fail URL on" in inspect
    assert "Pending" in inspect
    pending.refresh_from_db()
    assert pending.status == "pending"
    paid = page(superuser_client, f"{URLS['payments']}inspect/{records['paid'].pk}/")
    assert "Fail URL" not in paid
    russian = page(superuser_client, URLS["payments"], "ru")
    assert "Открыт Fail URL" in russian


def test_the_listing_reads_fail_visits_in_the_same_query(superuser_client, records):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page(superuser_client, URLS["payments"])
    listing_queries = [q["sql"] for q in queries if "robokassa_paymentvisit" in q["sql"]]
    assert len(listing_queries) <= 2  # the count and the page, not one per row
