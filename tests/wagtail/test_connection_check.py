""" "Test connection" in Settings → ROBOKASSA: the form's typed values (an empty password is the
stored one) checked against the emulator's status interface over HTTP; each pair's verdict as a
message, never a password."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from tests.admin.conftest import make_user
from tests.wagtail.test_settings_admin import SECRETS, edit_url, form_data
from wagtail_robokassa.contrib.emulator.models import EmulatorSwitches
from wagtail_robokassa.models import RobokassaSettings

EMULATOR_SHOP = {"login": "demo", "password2": "live-2", "test_password2": "test-2"}


@pytest.fixture
def shop(emulator, admin_configured, default_site):
    """The emulator's shop (it answers for the default Site's stored settings)."""
    site = default_site
    return RobokassaSettings.objects.create(site=site, algorithm="md5", **EMULATOR_SHOP)


@pytest.fixture
def editor(client, transactional_db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def check_url(site):
    return f"/admin/robokassa_settings_link/test-connection/{site.pk}/"


def verdicts(client, site, **typed):
    data = {key: value for key, value in typed.items() if value is not None}
    response = client.post(check_url(site), data)
    assert response.status_code == 200  # the settings page, as typed, not saved
    said = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    return [verdict for verdict in said if "not shown again" not in verdict[1]]


def test_the_stored_passwords_are_right(editor, shop):
    assert verdicts(editor, shop.site) == [
        ("success", "Live passwords: The login and Password #2 are right."),
        ("success", "Test passwords: The login and Password #2 are right."),
    ]


def test_typed_values_are_checked_without_being_saved(editor, shop):
    said = verdicts(editor, shop.site, password2="typo", login="demo")
    assert said[0] == (
        "error",
        "Live passwords: ROBOKASSA refused the signature: Password #2 or the hash algorithm "
        "is wrong.",
    )
    assert said[1][0] == "success"
    assert all("typo" not in text for _, text in said)
    shop.refresh_from_db()
    assert shop.password2 == "live-2"


@pytest.mark.parametrize(
    ("typed", "live", "test"),
    [
        ({"login": "not-our-shop"}, "the merchant login is wrong", "the merchant login is wrong"),
        ({"algorithm": "sha256"}, "Password #2 or the hash algorithm", "Password #2 or the hash"),
        ({"algorithm": "no-such-hash"}, "are right", "are right"),  # ignored, stored one used
        ({"login": "x\x00y"}, "are right", "are right"),  # unusable: the stored login
    ],
)
def test_each_mistake_is_named(editor, shop, typed, live, test):
    (_, live_text), (_, test_text) = verdicts(editor, shop.site, **typed)
    assert live in live_text
    assert test in test_text


def test_a_pair_not_set_is_said_so(editor, shop):
    RobokassaSettings.objects.filter(pk=shop.pk).update(test_password2="")
    said = verdicts(editor, shop.site)
    assert said[1][0] == "error"
    assert "Test passwords:" in said[1][1]
    assert "not configured" in said[1][1] or "not set" in said[1][1]


@pytest.mark.parametrize(("answer", "said"), [(1000, "internal error"), (500, "HTTP status 500")])
def test_robokassa_failing_is_a_warning_not_a_verdict(editor, shop, answer, said):
    EmulatorSwitches.objects.create(pk=1, status_answer=answer)
    for level, text in verdicts(editor, shop.site):
        assert level == "warning"
        assert said in text


def test_the_page_has_the_button_and_the_answer_shows_no_secret(editor, shop):
    page = editor.get(edit_url(shop.site)).content.decode()
    assert f'formaction="{check_url(shop.site)}"' in page
    response = editor.post(check_url(shop.site), form_data(), follow=True)
    html = response.content.decode()
    assert "Live passwords:" in html
    for secret in (*SECRETS.values(), *EMULATOR_SHOP.values()):
        if secret != "demo":
            assert secret not in html


def test_only_editors_of_the_settings_may_check(client, shop):
    client.force_login(make_user("viewer", "view_invoice"))
    response = client.post(check_url(shop.site))
    assert (response.status_code, response.url) == (302, "/admin/")
    (said,) = [str(message).strip() for message in get_messages(response.wsgi_request)]
    assert said == "Sorry, you do not have permission to access this area."  # Wagtail's own


def test_only_a_post_checks(editor, shop):
    assert editor.get(check_url(shop.site)).status_code == 405
    assert editor.post("/admin/robokassa_settings_link/test-connection/424242/").status_code == 404


def test_what_was_typed_comes_back_unsaved(editor, shop):
    typed = {**form_data(), "login": "not-our-shop", "culture": "en", "password2": "typo-typed"}
    response = editor.post(check_url(shop.site), typed)
    html = response.content.decode()
    assert 'value="not-our-shop"' in html  # the typed login, to be corrected and saved
    assert "typo-typed" not in html  # a password is never shown back
    assert "type them once more" in html
    assert f'action="{edit_url(shop.site)}"' in html  # saving still goes to the settings page
    shop.refresh_from_db()
    assert (shop.login, shop.culture, shop.password2) == ("demo", "", "live-2")
