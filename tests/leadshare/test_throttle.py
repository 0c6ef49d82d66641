"""The rate limits: a burst of the limit, then one request per interval, with Retry-After; per API token,
and per client address on the finder's public endpoints."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from kernel.throttle import parse_rate
from leadshare import throttle
from leadshare.api import api
from leadshare.throttle import TokenRateThrottle
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for


@pytest.mark.parametrize(
    ("rate", "parsed"), [("600/m", (600, 60)), ("5/s", (5, 1)), ("100/hour", (100, 3600)), (" 2/d ", (2, 86400))]
)
def test_a_rate_reads_as_requests_per_period(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["600", "x/m", "0/m", "10/w", ""])
def test_a_rate_that_is_not_a_rate_is_refused_with_the_format(rate):
    with pytest.raises(ValueError, match="600/m"):
        parse_rate(rate)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    cache.clear()
    yield now
    cache.clear()


@pytest.fixture
def three_a_minute(monkeypatch):  # type: ignore[no-untyped-def]
    (limit,) = api.throttle  # type: ignore[misc]
    monkeypatch.setattr(limit, "requests", 3)
    monkeypatch.setattr(limit, "period", 60)
    return limit


@pytest.mark.django_db
def test_a_token_gets_its_burst_then_429_with_retry_after_then_one_more_per_interval(
    clock, three_a_minute, profile, admin_user
):
    api_client = client_for(admin_user)
    assert [api_client.get("/api/v1/referrals").status_code for _ in range(3)] == [200, 200, 200]
    refused = api_client.get("/api/v1/referrals")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "20"
    clock[0] += 19.5
    assert api_client.get("/api/v1/referrals").status_code == 429
    clock[0] += 0.5
    assert api_client.get("/api/v1/referrals").status_code == 200
    assert api_client.get("/api/v1/referrals").status_code == 429


@pytest.mark.django_db
def test_each_token_has_its_own_bucket_and_requests_without_a_token_are_not_counted(
    clock, three_a_minute, profile, admin_user
):
    first, second = client_for(admin_user), client_for(factories.user(profile.partner))
    assert [first.get("/api/v1/referrals").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/api/v1/referrals").status_code == 200
    assert first.client.get("/api/v1/ping").status_code == 200


def test_the_state_kept_per_token_is_one_number_however_high_the_limit(clock):
    from django.test import RequestFactory

    from partners.models import ApiToken

    request = RequestFactory().get("/")
    request.auth = ApiToken(pk=7)  # type: ignore[attr-defined]
    limit = TokenRateThrottle("1000000/m")
    for _ in range(1000):
        assert limit.allow_request(request)
    assert cache.get("throttle_token_7") == pytest.approx(clock[0] + 1000 * 60 / 1_000_000)


# --- The finder's public endpoints, per client address -----------------------------------------


@pytest.fixture
def two_a_minute(settings):  # type: ignore[no-untyped-def]
    settings.FINDER_RATE_LIMIT = "2/m"


def _search_page(ip: str):  # type: ignore[no-untyped-def]
    return Client().get("/partners/", {"q": "cloud"}, REMOTE_ADDR=ip)


def _search_api(ip: str):  # type: ignore[no-untyped-def]
    return Client().get("/api/v1/finder/profiles", {"q": "cloud"}, REMOTE_ADDR=ip)


def _request_api(ip: str):  # type: ignore[no-untyped-def]
    return Client().post("/api/v1/finder/requests", {}, content_type="application/json", REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_the_public_search_page_answers_an_address_over_its_limit_with_a_plain_429_page(clock, two_a_minute):
    assert [_search_page("203.0.113.7").status_code for _ in range(2)] == [200, 200]
    refused = _search_page("203.0.113.7")
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    assert refused["Content-Type"] == "text/html; charset=utf-8"
    assert "Too many requests came from your address. Please wait 30 seconds and try again." in " ".join(
        refused.content.decode().split()
    )
    assert _search_page("198.51.100.1").status_code == 200  # another address has its own allowance
    clock[0] += 30
    assert _search_page("203.0.113.7").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("call", "answer"), [(_search_api, 200), (_request_api, 422)], ids=["search", "request"])
def test_the_public_finder_api_answers_an_address_over_its_limit_with_a_429_problem(clock, two_a_minute, call, answer):
    before = counting.rows()
    assert [call("203.0.113.7").status_code for _ in range(2)] == [answer, answer]
    refused = call("203.0.113.7")
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Too many requests from your address. Wait and retry (see Retry-After).",
    }
    assert counting.rows() == before


@pytest.mark.django_db
def test_the_search_page_and_the_finder_api_share_one_allowance_per_address(clock, two_a_minute):
    assert (_search_page("203.0.113.7").status_code, _search_api("203.0.113.7").status_code) == (200, 200)
    assert (_request_api("203.0.113.7").status_code, _search_page("203.0.113.7").status_code) == (429, 429)
