"""The client address: the peer's unless a trusted proxy vouches for another, and grouped by
/64 for IPv6. The rate limit, the caps and the stored address all use it."""

import pytest
from django.test import Client, RequestFactory

from tests.config.test_checks import ids
from tests.helpers import result_params
from wagtail_robokassa.models import RejectedRequest
from wagtail_robokassa.requester import client_group, client_ip

factory = RequestFactory()


def request(remote: str, forwarded: str | None = None, **meta):
    extra = {"REMOTE_ADDR": remote, **meta}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return factory.get("/", **extra)


def test_headers_are_ignored_without_trusted_proxies():
    assert client_ip(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


def test_a_trusted_proxy_vouches_for_the_client(settings):
    settings.ROBOKASSA_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    assert client_ip(request("10.1.2.3", "198.51.100.1")) == "198.51.100.1"
    # The buyer's own forged hop stands left of what the proxies added: it is never read.
    assert client_ip(request("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.2")) == "198.51.100.1"
    assert client_ip(request("10.1.2.3", "")) is None
    assert client_ip(request("10.1.2.3", "not-an-address")) is None
    assert client_ip(request("10.1.2.3", "10.0.0.2")) == "10.1.2.3"  # all hops are proxies
    assert client_ip(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"  # not trusted


def test_another_header_can_be_named(settings):
    settings.ROBOKASSA_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.ROBOKASSA_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_ip(request("127.0.0.1", "1.1.1.1", HTTP_X_REAL_IP="198.51.100.2")) == (
        "198.51.100.2"
    )


def test_addresses_are_normalised():
    assert client_ip(request("::ffff:192.0.2.1")) == "192.0.2.1"
    assert client_ip(request("2001:DB8::1")) == "2001:db8::1"
    assert client_ip(request("garbage")) is None


def test_ipv6_addresses_are_grouped_by_64():
    assert client_group("2001:db8:1:2::1") == client_group("2001:db8:1:2:ffff::9")
    assert client_group("2001:db8:1:2::1") != client_group("2001:db8:1:3::1")
    assert client_group("203.0.113.5") == "203.0.113.5"
    assert client_group(None) == "unknown"


@pytest.mark.django_db
def test_the_stored_address_is_the_client_behind_the_proxy(settings):
    settings.ROBOKASSA_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="185.59.216.65")
    assert client.post("/robokassa/result/", result_params(1, password="x")).status_code == 400
    assert RejectedRequest.objects.get().client_ip == "185.59.216.65"


@pytest.mark.parametrize("value", [["not a network"], [None], "300.1.1.1"])
def test_a_bad_trusted_proxy_setting_is_a_system_check_error(settings, value):
    settings.ROBOKASSA_TRUSTED_PROXIES = value
    assert ids() == ["robokassa.E009"]
