"""An agent's new referral: the form, the finder's proposals with their reasons, and sending it once."""

from __future__ import annotations

import re

import pytest

from console import agent_services
from matching import routing
from matching.engine.types import Contribution, Label
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Role
from referrals.models import Engagement, IdempotencyRecord, Referral, ReferralEvent
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/console/referrals/new/"
HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = "form-token-0123456789abcdef"


@pytest.fixture
def agent(client):
    user = factories.user(role=Role.AGENT, email="agent@operator.example")
    client.force_login(user)
    return user


@pytest.fixture
def partners(db):
    return [factories.profile(factories.partner(name)) for name in ("Cloudwerk", "Nordlicht IT", "Tiny Consult")]


def form(**overrides):
    data = {
        "token": TOKEN,
        "company": "Contoso GmbH",
        "size": "50-249",
        "industry": "manufacturing",
        "country": "DE",
        "city": "Berlin",
        "address": "Alexanderplatz 1",
        "contact_name": "Anna Schmidt",
        "contact_email": "anna@contoso.example",
        "contact_phone": "+49 30 1234567",
        "need": "Move 200 mailboxes to the cloud",
        "requested_products": ["office-suite"],
        "requested_services": ["implementation"],
        "timeline": "Before the summer",
        "language": "en",
        "consent_contact": "on",
        "campaign_id": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def hit(profile, score=0.5):
    why = (
        Contribution("base", Label("a typical request"), 300.0),
        Contribution("products", Label("offers %(products)s", {"products": "office-suite"}), score * 1000 - 300.0),
    )
    return routing.Proposal(
        profile.pk, profile.partner.name, "DE", "Berlin", ["Office suite and email"], score * 1000, why
    )


class FakePreview:
    """Stands in for the routing engine's order: answers `found`, and records the requests it was asked about."""

    def __init__(self, found):
        self.found, self.calls = found, []

    def __call__(self, data, now, limit):
        self.calls.append(data)
        return self.found[:limit]


def snapshot():
    return (
        Engagement.objects.count(),
        Referral.objects.count(),
        ReferralEvent.objects.count(),
        OutboxMessage.objects.count(),
        IdempotencyRecord.objects.count(),
    )


def test_the_empty_form_carries_a_one_time_token(client, agent):
    response = client.get(URL)
    assert response.status_code == 200
    [token] = re.findall(r'name="token" value="([^"]+)"', response.content.decode())
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)


def test_an_invalid_form_shows_each_error_by_its_field_and_proposes_nothing(client, agent, monkeypatch):
    fake = FakePreview([])
    monkeypatch.setattr(agent_services, "preview", fake)
    before = snapshot()
    response = client.post(
        URL, form(company="", contact_email="anna@", consent_contact=None, budget="500", step="propose")
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors == {
        "company": ["This field is required."],
        "contact_email": ["Enter a valid email address."],
        "consent_contact": ["The customer must agree to be contacted by the partners."],
        "budget_currency": ["Choose the budget's currency."],
    }
    page = response.content.decode()
    assert '<small class="ls-error" id="id_company_error">This field is required.</small>' in page
    assert 'aria-invalid="true" aria-describedby="id_contact_email_error" id="id_contact_email"' in page
    assert "Proposed partners" not in page
    assert fake.calls == []
    assert snapshot() == before


@pytest.mark.parametrize(
    ("budget", "need", "errors"),
    [
        ("0", "Cloud", {"budget": ["The budget must be greater than zero."]}),
        ("10.005", "Cloud", {"budget": ["Use at most two decimals."]}),
        ("", "x" * 5001, {"need": ["Ensure this value has at most 5000 characters (it has 5001)."]}),
    ],
)
def test_the_form_refuses_what_the_engagement_validator_refuses(client, agent, monkeypatch, budget, need, errors):
    fake = FakePreview([])
    monkeypatch.setattr(agent_services, "preview", fake)
    before = snapshot()
    fields = form(budget=budget, budget_currency="EUR" if budget else "", need=need, step="propose")
    response = client.post(URL, fields)
    assert (response.status_code, response.context["form"].errors) == (422, errors)
    assert fake.calls == []
    assert snapshot() == before


def test_a_budget_under_one_is_accepted_as_the_api_and_the_finder_accept_it(client, agent, partners, monkeypatch):
    monkeypatch.setattr(agent_services, "preview", FakePreview([hit(partners[0])]))
    response = client.post(URL, form(budget="0.50", budget_currency="EUR", step="propose"))
    assert (response.status_code, response.context["form"].errors) == (200, {})


def test_a_valid_form_shows_the_engines_proposals_in_its_order_with_their_reasons(client, agent, partners, monkeypatch):
    fake = FakePreview([hit(partners[1], 0.91), hit(partners[0], 0.55)])
    monkeypatch.setattr(agent_services, "preview", fake)
    before = snapshot()
    response = client.post(URL, form(step="propose"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Nordlicht IT") < page.index("Cloudwerk")
    assert f'name="partner" id="partner-{partners[1].pk}" value="{partners[1].pk}"' in page
    assert "<td>a typical request</td><td>300</td>" in page
    assert "<td>offers Office suite and email</td><td>610</td>" in page
    assert "expected value of sending 910 EUR" in page
    assert [(d.need, d.requested_services, d.targets) for d in fake.calls] == [
        ("Move 200 mailboxes to the cloud", ["implementation"], [])
    ]
    assert snapshot() == before  # proposing writes nothing


def test_with_no_partner_at_all_the_agent_is_told_so(client, agent, monkeypatch):
    monkeypatch.setattr(agent_services, "preview", FakePreview([]))
    page = client.post(URL, form(step="propose")).content.decode()
    assert "No active partner serves this customer's country and company size." in page
    assert 'value="send"' not in page


def test_htmx_refreshes_the_form_and_its_proposals_in_place_even_with_errors(client, agent, partners, monkeypatch):
    monkeypatch.setattr(agent_services, "preview", FakePreview([hit(partners[0])]))
    ok = client.post(URL, form(step="propose"), **HTMX)
    assert ok.status_code == 200
    assert ok.content.decode().lstrip().startswith('<div id="referral-form">')
    assert "Cloudwerk" in ok.content.decode()
    bad = client.post(URL, form(need="", step="propose"), **HTMX)
    assert bad.status_code == 200
    assert "<html" not in bad.content.decode()
    assert bad.context["form"].errors == {"need": ["This field is required."]}


def test_sending_creates_one_agent_engagement_with_a_referral_per_ticked_partner(client, agent, partners):
    chosen = [partners[0].pk, partners[2].pk]
    response = client.post(URL, form(step="send", partner=[str(p) for p in chosen], campaign_id="call-centre"))
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/console/engagements/{engagement.pk}/"
    assert (engagement.source, engagement.created_by, engagement.campaign_id) == ("agent", agent, "call-centre")
    assert (engagement.customer_company, engagement.customer_city, engagement.need) == (
        "Contoso GmbH",
        "Berlin",
        "Move 200 mailboxes to the cloud",
    )
    assert engagement.requested_products == ["office-suite"]
    assert [(c.name, c.email, c.phone) for c in engagement.contacts.all()] == [
        ("Anna Schmidt", "anna@contoso.example", "+49 30 1234567")
    ]
    referrals = Referral.objects.filter(engagement=engagement).order_by("profile_id")
    assert [(r.profile_id, r.state) for r in referrals] == [(chosen[0], "new"), (chosen[1], "new")]
    events = ReferralEvent.objects.filter(referral__engagement=engagement)
    assert {(e.action, e.actor_kind, e.actor_id, e.actor_label) for e in events} == {
        ("create", "user", agent.pk, "agent@operator.example")
    }
    assert OutboxMessage.objects.filter(template="referral_new").count() == 2


def test_the_engagement_page_shows_the_customer_the_need_and_each_partners_state(client, agent, partners):
    client.post(URL, form(step="send", partner=[str(partners[0].pk), str(partners[1].pk)]))
    engagement = Engagement.objects.get()
    Referral.objects.filter(profile=partners[1]).update(state="declined")
    response = client.get(response_url := f"/console/engagements/{engagement.pk}/")
    page = response.content.decode()
    assert response.status_code == 200, response_url
    assert "Referral sent. The partners have been alerted." in page
    assert "<h1>Contoso GmbH</h1>" in page
    assert "Move 200 mailboxes to the cloud" in page
    assert 'Anna Schmidt · <a href="mailto:anna@contoso.example">anna@contoso.example</a> · +49 30 1234567' in page
    assert re.search(r"<td>Cloudwerk</td><td>Berlin</td><td><span class=\"ls-badge new\">New</span>", page)
    assert re.search(r"<td>Nordlicht IT</td><td>Berlin</td><td><span class=\"ls-badge declined\">Declined</span>", page)
    assert "<form" not in page.split('id="main"')[1].replace('<form method="post" action="/accounts/logout/">', "")


def test_a_missing_engagement_is_not_found(client, agent):
    assert client.get("/console/engagements/999999/").status_code == 404


def test_sending_the_same_form_twice_creates_one_engagement(client, agent, partners):
    first = client.post(URL, form(step="send", partner=[str(partners[0].pk)]))
    after_first = snapshot()
    again = client.post(URL, form(step="send", partner=[str(partners[0].pk), str(partners[1].pk)]))
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert snapshot() == after_first
    assert Engagement.objects.count() == 1
    assert (
        "This form was already sent: here is the referral it created." in client.get(again["Location"]).content.decode()
    )


def test_two_forms_with_their_own_tokens_create_two_engagements(client, agent, partners):
    client.post(URL, form(step="send", partner=[str(partners[0].pk)]))
    client.post(URL, form(step="send", token="another-token-0123456789", partner=[str(partners[0].pk)]))
    assert Engagement.objects.count() == 2


@pytest.mark.parametrize(
    ("ticked", "message"),
    [([], "Tick at least one partner."), (["a", ""], "Tick at least one partner."), (None, "Tick at most 5 partners.")],
)
def test_sending_without_partners_or_with_too_many_is_refused_and_changes_nothing(
    client, agent, partners, monkeypatch, ticked, message
):
    monkeypatch.setattr(agent_services, "preview", FakePreview([hit(p) for p in partners]))
    if ticked is None:
        ticked = [str(p.pk) for p in partners] + ["100001", "100002", "100003"]
    before = snapshot()
    response = client.post(URL, form(step="send", partner=ticked))
    assert response.status_code == 422
    assert response.context["targets_error"] == message
    assert f'<small class="ls-error" id="partners-error">{message}</small>' in response.content.decode()
    assert snapshot() == before


def test_a_partner_that_cannot_take_the_request_is_refused_and_nothing_is_sent(client, agent, partners):
    BusinessProfile.objects.filter(pk=partners[1].pk).update(status="paused")
    before = snapshot()
    response = client.post(URL, form(step="send", partner=[str(partners[0].pk), str(partners[1].pk)]))
    assert response.status_code == 422
    assert response.context["targets_error"] == f"These partners cannot take this request now: {partners[1].pk}"
    assert snapshot() == before
    # The token was not spent: the corrected form goes through under it.
    assert client.post(URL, form(step="send", partner=[str(partners[0].pk)])).status_code == 302
    assert Engagement.objects.count() == 1


def test_an_invalid_form_sent_is_refused_and_changes_nothing(client, agent, partners):
    before = snapshot()
    response = client.post(URL, form(step="send", country="", partner=[str(partners[0].pk)]))
    assert response.status_code == 422
    assert response.context["form"].errors == {"country": ["This field is required."]}
    assert snapshot() == before


def test_a_mangled_token_gets_a_fresh_one_instead_of_failing(client, agent, partners):
    response = client.post(URL, form(step="send", token="<script>", partner=[str(partners[0].pk)]))
    assert response.status_code == 302
    [record] = IdempotencyRecord.objects.all()
    assert re.fullmatch(r"console-new-referral:[A-Za-z0-9_-]{32}", record.key)


def test_a_programme_admin_sends_referrals_too(client, partners):
    admin = factories.user(role=Role.PROGRAMME_ADMIN)
    client.force_login(admin)
    assert client.post(URL, form(step="send", partner=[str(partners[0].pk)])).status_code == 302
    assert Engagement.objects.get().created_by == admin


def test_the_engines_real_proposals_are_only_partners_that_can_take_it_each_with_reasons(client, agent):
    from taxonomy.models import CompanySize, Product

    fits = factories.profile(factories.partner("Cloudwerk"))
    fits.products.add(Product.objects.get(code="office-suite"))
    plain = factories.profile(factories.partner("Plain IT"))
    paused = factories.profile(factories.partner("Sleepy Mail"), status="paused")
    paused.products.add(Product.objects.get(code="office-suite"))
    too_small = factories.profile(factories.partner("Small Shops Only"), only_target_sizes=True)
    too_small.products.add(Product.objects.get(code="office-suite"))
    too_small.target_sizes.add(CompanySize.objects.get(code="1-9"))
    french = factories.profile(factories.partner("Paris Cloud"), country="FR", city="Paris")
    french.products.add(Product.objects.get(code="office-suite"))

    response = client.post(URL, form(step="propose", requested_services=None, industry=""))

    proposal = response.context["proposal"]
    assert [h.profile_id for h in proposal.hits] == [fits.pk, plain.pk]  # the declared product ranks first
    assert [h.score for h in proposal.hits] == sorted((h.score for h in proposal.hits), reverse=True)
    page = response.content.decode()
    assert "<td>offers Office suite and email</td>" in page
    assert all(c.label for c in proposal.hits[0].why)


def test_send_to_the_best_3_sends_the_request_to_the_engines_choice_and_stores_the_decision(client, agent):
    from matching.models import RoutingCandidate

    profiles = [factories.profile(factories.partner(name)) for name in ("A", "B", "C", "D")]

    sent = client.post(URL, form(step="route"))

    assert sent.status_code == 302
    engagement = Engagement.objects.get()
    chosen = set(
        RoutingCandidate.objects.filter(decision__engagement=engagement, chosen=True).values_list(
            "profile_id", flat=True
        )
    )
    assert set(Referral.objects.values_list("profile_id", flat=True)) == chosen
    assert len(chosen) == 3 and chosen <= {p.pk for p in profiles}
    assert engagement.created_by == agent


def test_send_to_the_best_3_with_nobody_able_to_take_it_says_so_and_sends_nothing(client, agent, partners):
    BusinessProfile.objects.update(status="paused")
    before = snapshot()

    response = client.post(URL, form(step="route"))

    assert response.status_code == 422
    assert "No partner can take this request now." in response.content.decode()
    assert snapshot() == before
