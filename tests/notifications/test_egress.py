"""Where a webhook may go: one rule for addresses, every form of an internal address refused."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from notifications import egress
from notifications.egress import UnsafeUrl, address_allowed, check_url

REFUSED = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared (carrier-grade NAT)
    "169.254.169.254",  # link-local: the cloud metadata service
    "0.0.0.0",  # noqa: S104 - unspecified
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",  # unique local
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",  # IPv4-compatible, deprecated whatever it embeds
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64
    "64:ff9b::5db8:d822",  # NAT64 even of a public address: the gateway, not we, would choose where it goes
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:808:808::1",  # 6to4 even of a public address: a relay would choose where it goes
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001:80b::200e"]


@pytest.fixture(autouse=True)
def no_test_hosts(settings):
    settings.WEBHOOK_TEST_HOSTS = []


@pytest.mark.parametrize("address", REFUSED)
def test_an_internal_address_in_any_form_is_not_allowed(address):
    assert address_allowed(ip_address(address)) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_is_allowed(address):
    assert address_allowed(ip_address(address)) is True


@pytest.mark.parametrize("address", REFUSED)
def test_a_url_naming_an_internal_address_is_refused(address):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        check_url(f"http://{host}:8080/in")


@pytest.mark.parametrize("url", ["http://localhost/in", "http://2130706433/in", "http://0x7f.1/in", "http://127.1/in"])
def test_a_name_or_spelling_that_resolves_to_loopback_is_refused(url):
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        check_url(url)


def test_a_name_with_one_internal_address_among_public_ones_is_refused(dns):
    dns.answer("mixed.test", ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(UnsafeUrl, match=r"The host mixed\.test is not a public address"):
        check_url("https://mixed.test/in")


def test_a_checked_url_names_the_address_to_connect_to_and_the_host_to_speak_to(dns):
    dns.answer("crm.test", ["93.184.216.34"])
    assert check_url("https://crm.test/hooks/in?x=1") == egress.Target(
        "https", "crm.test", 443, "/hooks/in?x=1", "93.184.216.34"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "http:// or https://"),
        ("http:///x", "http:// or https://"),
        ("http://crm.test:99999/x", "port"),
        ("http://nowhere.invalid/x", "does not resolve"),
    ],
)
def test_a_url_that_is_not_a_reachable_http_url_is_refused_with_a_reason(url, message):
    with pytest.raises(UnsafeUrl, match=message):
        check_url(url)


def test_a_test_host_is_not_checked_and_nothing_else_is_exempt(settings):
    settings.WEBHOOK_TEST_HOSTS = ["127.0.0.1"]
    assert check_url("http://127.0.0.1:9/in").address == "127.0.0.1"
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        check_url("http://127.0.0.2:9/in")
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        check_url("http://[::ffff:7f00:1]:9/in")
