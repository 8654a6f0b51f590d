"""Why was a notification refused? Each plausible mistake, made for real: a request signed the
wrong way is sent to the Result or Success URL, refused, and its record says which mistake would
have matched, without a password or a signature anywhere (record, admin page, dashboard)."""

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import (
    LIVE_PASSWORD1,
    LIVE_PASSWORD2,
    SECRETS,
    TEST_PASSWORD2,
    result_params,
    success_params,
)
from wagtail_robokassa.models import RejectedRequest
from wagtail_robokassa.protocol import sign
from wagtail_robokassa.services.diagnosis import NO_MATCH, explain

pytestmark = pytest.mark.django_db

SHP = {"Shp_order": "A-7", "Shp_basket": "12"}


def refused(client, url, params):
    response = client.post(url, params)
    assert response.status_code == 400, response.content
    record = RejectedRequest.objects.latest("pk")
    assert record.reason == "bad_signature"
    return record


def signed_by_hand(password, *, out_sum="100.000000", shp_parts=(), algorithm="md5"):
    """A Result URL request whose signature is built from exactly these parts."""
    parts = [out_sum, "5", password, *(f"{name}={value}" for name, value in shp_parts)]
    return {"OutSum": "100.000000", "InvId": "5", "SignatureValue": sign(parts, algorithm)}


@pytest.mark.parametrize(
    ("params", "key", "sentence"),
    [
        (
            result_params(5, password=TEST_PASSWORD2),
            "password=test_password2;needed=password2",
            "signed with the test Password #2, but this request needs the live Password #2",
        ),
        (
            result_params(5, password=LIVE_PASSWORD1),
            "password=password1;needed=password2",
            "signed with the live Password #1, but this request needs the live Password #2",
        ),
        (
            result_params(5, algorithm="sha256"),
            "algorithm=sha256;configured=md5",
            "the signature uses SHA256 but the shop is set to MD5",
        ),
        (
            result_params(5, password=TEST_PASSWORD2, algorithm="sha512"),
            "password=test_password2;needed=password2;algorithm=sha512;configured=md5",
            "test Password #2, but this request needs the live Password #2; the signature uses "
            "SHA512 but the shop is set to MD5",
        ),
        (
            {**signed_by_hand(LIVE_PASSWORD2, shp_parts=list(SHP.items())), **SHP},
            "shp=received",
            "the Shp_ parameters were signed in the order received, not sorted",
        ),
        (
            {**signed_by_hand(LIVE_PASSWORD2), **SHP},
            "shp=without",
            "the Shp_ parameters were left out of the signature",
        ),
        (
            signed_by_hand(LIVE_PASSWORD2, out_sum="100.00"),
            "out_sum=two_places",
            "OutSum was signed written another way than it was sent",
        ),
        (
            signed_by_hand(LIVE_PASSWORD2, out_sum="100"),
            "out_sum=plain",
            "OutSum was signed written another way than it was sent",
        ),
        (
            result_params(5, password="nobody-knows-this"),
            NO_MATCH,
            "the password in the settings differs from the one in the ROBOKASSA cabinet",
        ),
    ],
    ids=[
        "test-pair-for-live",
        "password1-for-2",
        "algorithm",
        "pair-and-algorithm",
        "shp-order",
        "shp-missing",
        "out-sum-two-places",
        "out-sum-plain",
        "no-match",
    ],
)
def test_a_refused_notification_says_which_mistake_matches(client, params, key, sentence):
    record = refused(client, "/robokassa/result/", params)
    assert record.diagnosis == key
    assert sentence.lower() in explain(record.diagnosis).lower()
    stored = str(record.params) + record.detail + record.diagnosis
    for secret in SECRETS:
        assert secret not in stored
    assert params["SignatureValue"] not in stored


def test_the_live_pair_in_test_mode(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    record = refused(
        client, "/robokassa/result/", result_params(5, password=LIVE_PASSWORD2, is_test=True)
    )
    assert record.diagnosis == "password=password2;needed=test_password2"
    assert "needs the test Password #2" in explain(record.diagnosis)


@pytest.mark.parametrize(
    ("params", "key"),
    [
        (success_params(5, password=LIVE_PASSWORD2), "password=password2;needed=password1"),
        (success_params(5, algorithm="sha1"), "algorithm=sha1;configured=md5"),
    ],
)
def test_a_refused_success_visit_is_diagnosed_too(client, params, key):
    record = refused(client, "/robokassa/success/", params)
    assert record.endpoint == "success"
    assert record.diagnosis == key


def test_a_refusal_for_another_reason_has_no_diagnosis(client):
    response = client.post("/robokassa/result/", {"OutSum": "abc", "InvId": "5"})
    assert response.status_code == 400
    assert RejectedRequest.objects.get().diagnosis == ""


def test_the_admin_shows_the_diagnosis_and_groups_the_problem(client):
    for inv_id in (5, 6, 7):
        refused(client, "/robokassa/result/", result_params(inv_id, algorithm="sha256"))
    refused(client, "/robokassa/result/", result_params(8, password="nobody-knows-this"))
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    record = RejectedRequest.objects.filter(inv_id=5).get()
    page = client.get(f"/admin/robokassa_rejected/inspect/{record.pk}/").content.decode()
    assert "The signature uses SHA256 but the shop is set to MD5." in page

    home = client.get("/admin/").content.decode()
    assert "3 notifications refused: The signature uses SHA256 but the shop is set to MD5." in home
    assert "1 notification refused: No plausible mistake matches" in home
    for secret in SECRETS:
        assert secret not in home + page

    listing = client.get(
        "/admin/robokassa_rejected/",
        {"diagnosis": "algorithm=sha256;configured=md5", "reason": "bad_signature"},
    )
    assert {r.inv_id for r in listing.context["object_list"]} == {5, 6, 7}


def test_the_dashboard_warns_only_when_requests_were_refused_and_only_those_who_may_see(client):
    from tests.admin.conftest import make_user

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    assert "ROBOKASSA: refused requests" not in client.get("/admin/").content.decode()

    refused(client, "/robokassa/result/", result_params(5, algorithm="sha256"))
    assert "ROBOKASSA: refused requests" in client.get("/admin/").content.decode()

    client.force_login(make_user("clerk", "view_invoice"))
    assert "ROBOKASSA: refused requests" not in client.get("/admin/").content.decode()
    client.force_login(make_user("auditor", "view_rejectedrequest"))
    assert "1 notification refused" in client.get("/admin/").content.decode()


def test_a_success_visit_before_its_notification_is_a_problem_until_it_arrives(client, settings):
    from wagtail_robokassa.admin.problems import problems

    settings.ROBOKASSA_STRICT_CHECK = True
    assert client.get("/robokassa/success/", success_params(5)).status_code == 400
    assert client.get("/robokassa/success/", success_params(6)).status_code == 400
    (problem,) = problems()
    assert (problem.reason, problem.count) == ("not_notified", 2)
    assert problem.summary == "2 Success URL visits refused: No Result URL notification yet"
    assert client.post("/robokassa/result/", result_params(5)).status_code == 200
    (problem,) = problems()
    assert problem.count == 1  # InvId 6 is still waiting: its notification may be lost
