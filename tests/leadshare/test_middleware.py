"""The Content-Security-Policy on every response, and NUL characters in a page's input refused as a 400."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from matching import charts
from partners.models import User
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for
from tests.finder.test_views import form as finder_form

ROOT = Path(__file__).resolve().parent.parent.parent
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# What the policy refuses to run: inline scripts, <style> elements, style attributes and on* handlers.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style|\sstyle=|\son[a-z]+=", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/partners/", "/accounts/login/", "/api/v1/docs", "/api/v1/ping"])
def test_every_response_carries_the_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY == POLICY


def _page_templates() -> list[Path]:
    found = [
        path
        for folder in ("templates", "accounts", "console", "finder", "matching", "partners", "referrals")
        for path in (ROOT / folder).rglob("*.html")
    ]
    # E-mails are read in mail programs, where no policy applies and inline styles are the norm.
    return [path for path in found if "emails" not in path.parts]


def test_no_page_template_has_inline_script_style_or_event_handler():
    templates = _page_templates()
    assert len(templates) > 40
    assert {str(path.relative_to(ROOT)): INLINE.findall(path.read_text()) for path in templates} == {
        str(path.relative_to(ROOT)): [] for path in templates
    }


def test_the_charts_draw_without_inline_styles():
    times = charts.response_times("Hours to answer", ["Alpha", "Beta"], [3.0, None], 24.0, "No answers")
    outcomes = charts.stacked_outcomes("Outcomes", ["Alpha"], {"won": [2], "lost": [1]}, {"won": "Won", "lost": "Lost"})
    assert (INLINE.findall(times), INLINE.findall(outcomes)) == ([], [])
    assert times.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    assert 'class="ls-chart">' in times


def test_the_api_docs_load_swagger_ui_from_our_static_files_not_a_cdn(client):
    page = client.get("/api/v1/docs").content.decode()
    assert '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">' in page
    assert '<script src="/static/js/api-docs.js"></script>' in page
    assert "cdn" not in page and "http" not in page


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"q": "cloud\x00"}, {"city\x00": "Berlin"}, {"country": "\x00"}])
def test_a_nul_in_a_pages_query_string_is_a_400_page(client, query):
    response = client.get("/partners/", query)
    assert response.status_code == 400
    assert "The request cannot be read" in response.content.decode()


@pytest.mark.django_db
def test_a_nul_in_a_posted_form_is_a_400_page_and_nothing_is_saved(client):
    user = factories.user(time_zone="UTC")
    client.force_login(user)
    response = client.post("/settings/", {"language": "ru", "time_zone": "Europe/Berlin\x00"})
    assert response.status_code == 400
    assert "The request cannot be read" in response.content.decode()
    assert User.objects.filter(pk=user.pk).values_list("language", "time_zone").get() == ("en", "UTC")


@pytest.mark.django_db
def test_a_nul_in_the_apis_query_stays_its_422_problem():
    response = client_for(factories.user()).get("/api/v1/referrals", state="new\x00")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_rate_limits")
def test_a_nul_that_would_reach_a_query_is_a_400_page_on_both_databases(client):
    """On PostgreSQL these were 500s: the inbox's search and the finder's request both query with the text."""
    profile = factories.profile()
    before = counting.rows()
    client.force_login(factories.user(profile.partner))
    assert client.get("/referrals/", {"q": "Contoso\x00"}).status_code == 400
    client.logout()
    rows = counting.rows()
    request = finder_form([profile.pk], need="Move mail\x00 to the cloud")
    assert client.post("/partners/request/", request).status_code == 400
    assert counting.rows() == rows
    assert rows["User"] == before["User"] + 1
