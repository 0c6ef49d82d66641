"""An agent reading Russian sees the routing engine's proposals, their place and their reasons in Russian."""

from __future__ import annotations

import pytest

from console import agent_services
from partners.models import Role
from tests import factories
from tests.console.test_agent_new_referral import URL, FakePreview, form, hit


@pytest.fixture
def russian_agent(client, db):  # type: ignore[no-untyped-def]
    client.force_login(factories.user(role=Role.AGENT, language="ru"))
    return client


def test_the_proposals_reasons_and_place_read_in_russian(russian_agent, monkeypatch):
    profile = factories.profile(factories.partner("Облачные решения"))
    monkeypatch.setattr(agent_services, "preview", FakePreview([hit(profile, 0.91)]))
    page = russian_agent.post(URL, form(step="propose")).content.decode()
    assert "<td>обычный запрос</td><td>300</td>" in page
    assert "<td>предлагает: Офисный пакет и почта</td><td>610</td>" in page
    assert "Берлин, Германия · ожидаемая ценность отправки 910 EUR" in page
