"""The API's answers to bodies it cannot take: not text, or too large. Both are problems, and change nothing."""

from __future__ import annotations

import pytest

from referrals.models import Referral
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def referral():  # type: ignore[no-untyped-def]
    found = factories.referral(factories.profile())
    found.api = client_for(factories.user(found.partner))
    return found


def _patch(referral, body: bytes):  # type: ignore[no-untyped-def]
    api = referral.api
    return api.client.patch(
        f"/api/v1/referrals/{referral.pk}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )


@pytest.mark.parametrize("escaped", [b'"\\ud800"', b'"a\\udfffb"', b'"\\udc00\\ud800"'])
def test_a_lone_surrogate_in_a_json_body_is_a_400_problem_and_saves_nothing(referral, escaped):
    before = counting.rows()
    response = _patch(referral, b'{"notes": ' + escaped + b"}")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The body is not valid text: notes holds a lone surrogate (such as \\ud800).",
    }
    assert counting.rows() == before
    assert Referral.objects.get(pk=referral.pk).notes == ""


def test_a_surrogate_pair_is_one_character_and_is_saved(referral):
    response = _patch(referral, b'{"notes": "\\ud83d\\ude00"}')
    assert response.status_code == 200
    assert Referral.objects.get(pk=referral.pk).notes == "\U0001f600"


def test_a_body_over_two_and_a_half_megabytes_is_a_413_problem_and_saves_nothing(referral, settings):
    before = counting.rows()
    response = _patch(referral, b'{"notes": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}')
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "The body is larger than the 2.5 MB the API takes. Send less at once."
    assert counting.rows() == before
    assert Referral.objects.get(pk=referral.pk).notes == ""
