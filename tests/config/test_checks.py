import pytest
from django.core import checks

from tests.helpers import forget_settings
from wagtail_robokassa import checks as robokassa_checks
from wagtail_robokassa.checks import TAG


def ids():
    """What ``manage.py check`` reports (it leaves out the silenced ids)."""
    from django.conf import settings

    silenced = settings.SILENCED_SYSTEM_CHECKS
    return sorted(m.id for m in checks.run_checks(tags=[TAG], databases=[]) if m.id not in silenced)


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


@pytest.mark.parametrize(
    "cache",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_a_per_process_cache_in_production_is_a_warning(settings, cache):
    settings.SILENCED_SYSTEM_CHECKS = []
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CACHES = {"default": {"BACKEND": cache}}
    assert ids() == ["robokassa.W002"]
    (warning,) = checks.run_checks(tags=[TAG], databases=[])
    assert "count per process" in warning.hint
    assert cache.rsplit(".", 1)[1] in warning.msg
    settings.DEBUG = True
    assert ids() == []


def test_a_shared_cache_and_a_worker_backend_are_clean(settings):
    settings.SILENCED_SYSTEM_CHECKS = []
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ""}
    }
    assert ids() == []


@pytest.mark.parametrize("backend", ["ImmediateBackend", "DummyBackend"])
def test_a_task_backend_without_workers_in_production_is_a_warning(settings, backend):
    from wagtail_robokassa.tasks import task

    module = task.__module__.rsplit(".", 1)[0]  # django.tasks or django_tasks
    settings.SILENCED_SYSTEM_CHECKS = []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}}
    settings.TASKS = {"default": {"BACKEND": f"{module}.backends.{backend.lower()[:-7]}.{backend}"}}
    assert ids() == ["robokassa.W003"]
    settings.SILENCED_SYSTEM_CHECKS = ["robokassa.W003"]
    assert ids() == []
