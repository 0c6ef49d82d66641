"""Programme admins' partner pages: the list, a partner's profiles, and verify / suspend with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from console import admin_services
from console.models import AdminAction
from kernel.errors import InvalidInput
from partners.models import Partner
from referrals import services
from referrals.models import ProfileResponsiveness
from taxonomy.models import Industry
from tests import factories
from tests.console.admin_fixtures import NOW, at, programme_admin, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client: Any) -> Any:
    user = programme_admin()
    client.force_login(user)
    return user


@pytest.fixture
def reindexed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(admin_services, "reindex_partner", calls.append)
    return calls


def test_the_list_shows_each_partner_with_its_profiles_and_open_referrals(client, boss):
    alpha = factories.partner("Alpha Cloud", "DE")
    factories.profile(alpha, "DE")
    beta = factories.profile(factories.partner("Beta Systems", "RU"), "RU")
    factories.profile(beta.partner, "KZ", city="Almaty")
    factories.referral(beta)
    Partner.objects.filter(pk=alpha.pk).update(verified=True)
    page = client.get("/console/partners/").content.decode()
    assert "2 partners" in page
    alpha_row = page.split(f'data-partner="{alpha.pk}"')[1].split("</tr>")[0]
    assert [c.split(">", 1)[1] for c in alpha_row.split("<td")[1:]] == [
        f'<a href="/console/partners/{alpha.pk}/">Alpha Cloud</a></td>\n',
        "Germany</td>\n",
        "Active</td>\n",
        "Yes</td>\n",
        "1</td>\n",
        "0</td>\n",
    ]
    beta_row = page.split(f'data-partner="{beta.partner.pk}"')[1].split("</tr>")[0]
    assert "Russia</td>" in beta_row and "<td>2</td>\n<td>1</td>" in beta_row


def test_the_list_searches_by_name_or_country_and_filters_by_status(client, boss):
    alpha = factories.partner("Alpha Cloud", "DE")
    beta = factories.partner("Beta Systems", "RU")
    Partner.objects.filter(pk=beta.pk).update(status="suspended")
    assert f'data-partner="{alpha.pk}"' in client.get("/console/partners/?q=alpha").content.decode()
    assert f'data-partner="{beta.pk}"' not in client.get("/console/partners/?q=alpha").content.decode()
    by_country = client.get("/console/partners/?q=ru").content.decode()
    assert f'data-partner="{beta.pk}"' in by_country and f'data-partner="{alpha.pk}"' not in by_country
    suspended = client.get("/console/partners/?status=suspended").content.decode()
    assert "1 partner" in suspended and f'data-partner="{beta.pk}"' in suspended
    unverified = client.get("/console/partners/?verified=no&q=Cloud").content.decode()
    assert f'data-partner="{alpha.pk}"' in unverified


def test_the_list_has_25_partners_a_page_in_name_order(client, boss):
    for i in range(30):
        factories.partner(f"Partner {i:02d}")
    first = client.get("/console/partners/").content.decode()
    assert first.count("data-partner=") == 25
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = client.get("/console/partners/?page=2").content.decode()
    assert second.count("data-partner=") == 5
    assert "Partner 29" in second and "Partner 24" not in second


def test_the_partner_page_summarises_each_profile(client, boss):
    profile = factories.profile(factories.partner("Alpha Cloud"), "DE", keywords=["email migration"])
    profile.industries.add(Industry.objects.get(code="manufacturing"))
    ProfileResponsiveness.objects.create(profile=profile, received=4, answered=3, answered_within_24h=2,
                                         answer_seconds_total=3 * 7200, missed=1)  # fmt: skip
    page = client.get(f"/console/partners/{profile.partner.pk}/").content.decode()
    card = page.split(f'data-profile="{profile.pk}"')[1].split("</article>")[0]
    assert "<strong>Germany</strong> · Active" in card
    assert "<dd>Berlin, Hauptstr. 1</dd>" in card
    assert "<dd>Manufacturing</dd>" in card
    assert "<dd>email migration</dd>" in card
    assert "4 received; 50% answered within 24 h; 2.0 h to the first answer on average; 1 missed, 0 expired" in card


def test_an_unknown_partner_is_404(client, boss):
    assert client.get("/console/partners/999999/").status_code == 404
    assert client.post("/console/partners/999999/verify/", {"comment": ""}).status_code == 404


def test_verifying_records_who_and_why(client, boss, monkeypatch, reindexed):
    partner = factories.partner("Alpha Cloud")
    at(monkeypatch, NOW)
    response = client.post(f"/console/partners/{partner.pk}/verify/", {"comment": "Checked the registry"})
    assert response.status_code == 302 and response["Location"] == f"/console/partners/{partner.pk}/"
    assert Partner.objects.get(pk=partner.pk).verified is True
    action = AdminAction.objects.get()
    assert (action.kind, action.partner_id, action.actor_label, action.comment, action.at) == (
        "verify", partner.pk, "boss@operator.example", "Checked the registry", NOW,
    )  # fmt: skip
    assert reindexed == []
    page = client.get(f"/console/partners/{partner.pk}/").content.decode()
    assert "The partner is verified." in page and "Checked the registry" in page


def test_withdrawing_a_verification_needs_a_reason(client, boss):
    partner = factories.partner("Alpha Cloud")
    Partner.objects.filter(pk=partner.pk).update(verified=True)
    before = snapshot()
    response = client.post(f"/console/partners/{partner.pk}/unverify/", {"comment": "  "})
    assert response.status_code == 422
    assert "Say why: the partner&#x27;s history keeps the reason." in response.content.decode()
    assert snapshot() == before
    client.post(f"/console/partners/{partner.pk}/unverify/", {"comment": "Registry lapsed"})
    assert Partner.objects.get(pk=partner.pk).verified is False


def test_suspending_stops_new_referrals_reindexes_and_records_the_reason(client, boss, reindexed):
    profile = factories.profile(factories.partner("Alpha Cloud"))
    open_referral = factories.referral(profile)
    response = client.post(f"/console/partners/{profile.partner.pk}/suspend/", {"comment": "Fake reviews"})
    assert response.status_code == 302
    assert Partner.objects.get(pk=profile.partner.pk).status == "suspended"
    assert reindexed == [profile.partner.pk]
    assert AdminAction.objects.get().comment == "Fake reviews"
    assert not services.targetable_profiles("50-249").filter(pk=profile.pk).exists()
    with pytest.raises(InvalidInput):
        factories.engagement([profile])
    open_referral.refresh_from_db()
    assert open_referral.state == "new"  # open work runs its course
    client.post(f"/console/partners/{profile.partner.pk}/reactivate/", {"comment": ""})
    assert Partner.objects.get(pk=profile.partner.pk).status == "active"
    assert reindexed == [profile.partner.pk, profile.partner.pk]
    assert services.targetable_profiles("50-249").filter(pk=profile.pk).exists()


def test_suspending_without_a_reason_changes_nothing(client, boss, reindexed):
    partner = factories.partner("Alpha Cloud")
    before = snapshot()
    response = client.post(f"/console/partners/{partner.pk}/suspend/", {"comment": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="suspend-error"' in page
    assert snapshot() == before and reindexed == []


def test_a_comment_over_2000_characters_is_refused(client, boss):
    partner = factories.partner("Alpha Cloud")
    before = snapshot()
    response = client.post(f"/console/partners/{partner.pk}/verify/", {"comment": "x" * 2001})
    assert response.status_code == 422
    assert "Keep the comment under 2000 characters." in response.content.decode()
    assert snapshot() == before


def test_suspending_a_suspended_partner_says_so_and_changes_nothing(client, boss, reindexed):
    partner = factories.partner("Alpha Cloud")
    Partner.objects.filter(pk=partner.pk).update(status="suspended")
    before = snapshot()
    response = client.post(f"/console/partners/{partner.pk}/suspend/", {"comment": "again"}, follow=True)
    assert "This partner is already suspended." in response.content.decode()
    assert snapshot() == before and reindexed == []


def test_an_unknown_action_is_404_and_changes_nothing(client, boss):
    partner = factories.partner("Alpha Cloud")
    before = snapshot()
    assert client.post(f"/console/partners/{partner.pk}/delete/", {"comment": "x"}).status_code == 404
    assert snapshot() == before


def test_the_partner_page_is_in_russian_for_a_russian_speaking_admin(client):
    user = programme_admin()
    user.language = "ru"
    user.save()
    client.force_login(user)
    partner = factories.partner("Alpha Cloud")
    page = client.get(f"/console/partners/{partner.pk}/").content.decode()
    assert "Приостановить" in page and "Партнёры" in page


def test_a_suspended_partner_vanishes_from_the_finder_at_once_and_returns_when_reactivated(client, boss):
    from finder.search import Criteria, search

    profile = factories.profile(factories.partner("Alpha Cloud"), keywords=["email migration"])
    other = factories.profile(factories.partner("Beta Systems"), keywords=["email migration"])

    def found() -> set[int]:
        return {hit.profile_id for hit in search(Criteria(q="email migration"), NOW).hits}

    assert found() == {profile.pk, other.pk}
    client.post(f"/console/partners/{profile.partner.pk}/suspend/", {"comment": "Fake reviews"})
    assert found() == {other.pk}
    client.post(f"/console/partners/{profile.partner.pk}/reactivate/", {"comment": ""})
    assert found() == {profile.pk, other.pk}
