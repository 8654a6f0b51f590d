import pytest
from django.core import checks

from tests.helpers import forget_settings
from wagtail_robokassa import checks as robokassa_checks
from wagtail_robokassa.checks import TAG


def ids():
    return sorted(message.id for message in checks.run_checks(tags=[TAG]))


def test_configured_project_is_clean():
    assert ids() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ROBOKASSA_LOGIN": ""}, "robokassa.E001"),
        ({"ROBOKASSA_PASSWORD1": ""}, "robokassa.E002"),
        ({"ROBOKASSA_PASSWORD2": ""}, "robokassa.E003"),
        ({"ROBOKASSA_TEST_MODE": True, "ROBOKASSA_TEST_PASSWORD2": ""}, "robokassa.E004"),
        ({"ROBOKASSA_TEST_PASSWORD1": "live-password-1"}, "robokassa.E007"),
        ({"ROBOKASSA_FIRST_INV_ID": 0}, "robokassa.E008"),
        ({"ROBOKASSA_FIRST_INV_ID": "1000"}, "robokassa.E008"),
        ({"ROBOKASSA_FIRST_INV_ID": 2**31}, "robokassa.E008"),
        ({"ROBOKASSA_HASH_ALGORITHM": "sha3_256"}, "robokassa.E005"),
        ({"ROBOKASSA_INTERACTIVE_DEADLINE": 0}, "robokassa.E014"),
        ({"ROBOKASSA_INTERACTIVE_DEADLINE": "10"}, "robokassa.E014"),
        ({"ROBOKASSA_INTERACTIVE_DEADLINE": float("nan")}, "robokassa.E014"),
        ({"ROBOKASSA_BACKGROUND_DEADLINE": 3600}, "robokassa.E014"),
        ({"ROBOKASSA_BACKGROUND_DEADLINE": True}, "robokassa.E014"),
    ],
)
def test_each_misconfiguration_is_reported(settings, overrides, expected):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert ids() == [expected]


def test_password2_is_not_needed_without_the_result_url(settings):
    settings.ROBOKASSA_PASSWORD2 = ""
    settings.ROOT_URLCONF = "tests.urls_without_robokassa"
    assert ids() == []


def test_unavailable_ripemd160_is_an_error(settings, monkeypatch):
    import wagtail_robokassa.rules as module

    settings.ROBOKASSA_HASH_ALGORITHM = "ripemd160"
    assert ids() == []
    monkeypatch.setattr(module, "algorithm_available", lambda name: False)
    assert ids() == ["robokassa.E006"]


def test_a_project_configured_in_the_admin_has_no_errors(settings):
    forget_settings(settings, "ROBOKASSA_LOGIN", "ROBOKASSA_PASSWORD1", "ROBOKASSA_PASSWORD2")
    assert ids() == []
    settings.ROBOKASSA_HASH_ALGORITHM = "gost"
    assert ids() == ["robokassa.E005"]


def test_each_check_is_registered_with_django():
    registered = checks.registry.registry.get_checks(include_deployment_checks=True)
    for name in (
        "check_merchant_configuration",
        "check_first_inv_id",
        "check_trusted_proxies",
        "check_stored_passwords",
        "check_encryption_keys",
    ):
        assert getattr(robokassa_checks, name) in registered, name


def test_rules_run_in_the_order_of_their_ids():
    from wagtail_robokassa.rules import RULES

    def everything_wrong(name):
        return {"algorithm": "gost", "test_mode": True, "login": ""}.get(name, "same")

    problems = [rule(everything_wrong, result_url=True) for rule in RULES]
    found = [problem.id for problem in problems if problem is not None]
    assert found == sorted(found) == ["E001", "E005", "E007"]


def test_an_unusable_deadline_still_gives_calls_an_end(settings):
    from wagtail_robokassa.gateway.transport import INTERACTIVE_DEADLINE, Transport

    settings.ROBOKASSA_INTERACTIVE_DEADLINE = "soon"
    assert Transport.interactive().deadline == INTERACTIVE_DEADLINE
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 2.5
    assert Transport.interactive().deadline == 2.5
