import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.helpers import LIVE_PASSWORD1, SECRETS
from wagtail_robokassa.conf import MerchantConfig
from wagtail_robokassa.services.config import get_config


def test_defaults_follow_django_robokassa():
    config = MerchantConfig()
    assert config.use_post is True
    assert config.strict_check is True
    assert config.test_mode is False
    assert config.extra_params == ()
    assert config.algorithm == "md5"


def test_settings_are_read_at_call_time(settings):
    assert get_config().login == "demo"
    settings.ROBOKASSA_LOGIN = "other-shop"
    settings.ROBOKASSA_EXTRA_PARAMS = ["a"]
    settings.ROBOKASSA_HASH_ALGORITHM = " SHA512 "
    config = get_config()
    assert (config.login, config.extra_params, config.algorithm) == ("other-shop", ("a",), "sha512")


def test_use_post_is_explicit_only_when_set(settings):
    assert get_config().use_post_explicit is False
    settings.ROBOKASSA_USE_POST = False
    assert (get_config().use_post, get_config().use_post_explicit) == (False, True)


def test_repr_never_shows_a_password():
    text = repr(get_config())
    assert "demo" in text
    assert not any(secret in text for secret in SECRETS)


def test_password_pairs(settings):
    config = get_config()
    assert config.password1_for(False) == LIVE_PASSWORD1
    settings.ROBOKASSA_TEST_PASSWORD1 = ""
    with pytest.raises(ImproperlyConfigured, match="test Password#1"):
        get_config().password1_for(True)


def test_currency_follows_the_host(settings):
    assert get_config().currency_symbol == "₽"
    settings.ROBOKASSA_HOST = "auth.robokassa.kz"
    assert get_config().currency_symbol == "₸"
