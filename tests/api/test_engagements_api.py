"""Engagements from the operator's staff and intake: one referral per target, exactly once per Idempotency-Key."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import connection
from django.utils import timezone

from matching.models import RoutingDecision
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Role
from referrals import idempotency, services
from referrals.actors import ActorRef
from referrals.models import Engagement, IdempotencyRecord, Referral, ReferralEvent
from referrals.services import mark_interested
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def request_body(targets, **overrides):  # type: ignore[no-untyped-def]
    body = {
        "customer": {
            "company": "Contoso GmbH",
            "size": "50-249",
            "industry": "manufacturing",
            "country": "DE",
            "city": "Berlin",
            "address": "Alexanderplatz 1",
            "contacts": [{"name": "Anna Schmidt", "email": "anna@contoso.example", "phone": "+49 30 1234567"}],
        },
        "need": "Move 200 mailboxes to the cloud",
        "requirements": {"industries": ["manufacturing"], "products": ["office-suite"], "services": ["migration"]},
        "budget": "25000.00",
        "budget_currency": "EUR",
        "timeline": "Before March",
        "language": "en",
        "consent": {"contact_by_selected_partners": True, "share_with_other_partners": False},
        "source": "advertising",
        "campaign_id": "spring-2027",
        "targets": targets,
    }
    body.update(overrides)
    return body


@pytest.fixture
def profiles(db):  # type: ignore[no-untyped-def]
    return [
        factories.profile(contacts=("alerts@one.example",)),
        factories.profile(contacts=("alerts@two.example", "boss@two.example")),
    ]


@pytest.fixture
def agent_api(db):  # type: ignore[no-untyped-def]
    return client_for(factories.user(None, role=Role.AGENT, email="agent@operator.example"))


def post(client, body, key="key-1"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/engagements", body, headers={"Idempotency-Key": key} if key is not None else None)


def test_an_agent_creates_an_engagement_with_one_referral_per_target(agent_api, profiles):
    response = post(agent_api, request_body([p.pk for p in profiles]))
    assert response.status_code == 201
    engagement = Engagement.objects.get()
    referrals = list(Referral.objects.order_by("profile_id"))
    body = response.json()
    assert body == {
        "id": engagement.pk,
        "created_at": body["created_at"],
        "source": "advertising",
        "campaign_id": "spring-2027",
        "language": "en",
        "customer": {
            "company": "Contoso GmbH",
            "size": "50-249",
            "industry": "manufacturing",
            "country": "DE",
            "city": "Berlin",
            "address": "Alexanderplatz 1",
            "contacts": [{"name": "Anna Schmidt", "email": "anna@contoso.example", "phone": "+49 30 1234567"}],
        },
        "need": "Move 200 mailboxes to the cloud",
        "requirements": {"industries": ["manufacturing"], "products": ["office-suite"], "services": ["migration"]},
        "budget": "25000.00",
        "budget_currency": "EUR",
        "timeline": "Before March",
        "consent": {"contact_by_selected_partners": True, "share_with_other_partners": False},
        "referrals": [
            {"id": r.pk, "profile_id": r.profile_id, "partner_id": r.partner_id, "state": "new"} for r in referrals
        ],
    }
    assert engagement.created_by.email == "agent@operator.example"
    assert [(e.actor_kind, e.actor_label, e.action, e.to_state) for e in ReferralEvent.objects.order_by("id")] == [
        ("api", "test", "create", "new"),
        ("api", "test", "create", "new"),
    ]
    assert sorted(OutboxMessage.objects.values_list("template", "to_address")) == [
        ("referral_new", "alerts@one.example"),
        ("referral_new", "alerts@two.example"),
        ("referral_new", "boss@two.example"),
    ]
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.status_code, record.response) == ("key-1", 201, body)


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"budget_currency": ""}, [{"field": "budget_currency", "message": "Choose the budget's currency."}]),
        ({"budget": "0"}, [{"field": "budget", "message": "The budget must be greater than zero."}]),
        ({"budget": "10.005"}, [{"field": "budget", "message": "Use at most two decimals."}]),
        ({"need": "x" * 5001}, [{"field": "need", "message": "Keep the description under 5,000 characters."}]),
    ],
)
def test_a_request_the_forms_refuse_is_refused_with_the_same_sentence_and_nothing_is_stored(
    agent_api, profiles, overrides, errors
):
    before = counting.rows()
    response = post(agent_api, request_body([profiles[0].pk], **overrides))
    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
    assert response.json()["errors"] == errors
    assert counting.rows() == before


def test_a_need_of_exactly_5000_characters_is_accepted(agent_api, profiles):
    response = post(agent_api, request_body([profiles[0].pk], need="x" * 5000))
    assert response.status_code == 201
    assert len(Engagement.objects.get().need) == 5000


def test_the_same_key_and_body_gives_the_same_result_with_200_and_creates_nothing(agent_api, profiles):
    first = post(agent_api, request_body([profiles[0].pk]))
    before = counting.rows()
    again = post(agent_api, request_body([profiles[0].pk]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert counting.rows() == before
    assert Engagement.objects.count() == 1


def test_the_same_body_in_another_key_order_is_the_same_request(agent_api, profiles):
    body = request_body([profiles[0].pk])
    first = post(agent_api, body)
    reordered = dict(reversed(list(copy.deepcopy(body).items())))
    reordered["customer"] = dict(reversed(list(reordered["customer"].items())))
    again = post(agent_api, reordered)
    assert (again.status_code, again.json()) == (200, first.json())
    assert Engagement.objects.count() == 1


def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(agent_api, profiles):
    post(agent_api, request_body([profiles[0].pk]))
    before = counting.rows()
    response = post(agent_api, request_body([profiles[0].pk], need="Something else entirely"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "This Idempotency-Key was already used with a different request body. Use a new key for a new request; "
        "a retry must send exactly the same body."
    )
    assert response.json()["errors"] == [{"field": "Idempotency-Key", "message": "Already used with a different body."}]
    assert counting.rows() == before


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 256, "naïve-key"])
def test_a_missing_or_unusable_key_is_400_and_creates_nothing(agent_api, profiles, key):
    before = counting.rows()
    response = post(agent_api, request_body([profiles[0].pk]), key=key)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Send an Idempotency-Key header (up to 255 printable characters")
    assert counting.rows() == before


def test_keys_belong_to_the_caller(agent_api, operator_api, profiles):
    mine = post(agent_api, request_body([profiles[0].pk]), key="shared-key")
    theirs = post(operator_api, request_body([profiles[0].pk]), key="shared-key")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Engagement.objects.count() == 2


def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(agent_api, profiles):
    before = counting.rows()
    bad = request_body([profiles[0].pk], consent={"contact_by_selected_partners": False})
    response = post(agent_api, bad)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "consent.contact_by_selected_partners",
            "message": "The customer must agree to be contacted by the partners.",
        }
    ]
    assert counting.rows() == before
    assert post(agent_api, request_body([profiles[0].pk])).status_code == 201


def test_invalid_fields_are_422_naming_each_and_create_nothing(agent_api, profiles):
    before = counting.rows()
    body = request_body([profiles[0].pk, 99999])
    body["customer"] = body["customer"] | {"size": "huge", "contacts": [{"name": "Anna", "email": "anna"}]}
    response = post(agent_api, body)
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "customer.size": "Choose a company size.",
        "customer.contacts.0.email": "Enter a valid e-mail address.",
    }
    assert counting.rows() == before
    response = post(agent_api, request_body([profiles[0].pk, 99999]), key="key-2")
    assert response.json()["errors"] == [
        {"field": "targets", "message": "These partners cannot take this request now: 99999"}
    ]
    assert counting.rows() == before


def test_a_source_we_do_not_take_is_422(agent_api, profiles):
    before = counting.rows()
    response = post(agent_api, request_body([profiles[0].pk], source="finder"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["source"]
    assert counting.rows() == before


@pytest.mark.parametrize("role", [Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN])
def test_partner_users_cannot_create_or_read_engagements(profiles, role):
    engagement = factories.engagement([profiles[0]])
    caller = client_for(factories.user(profiles[0].partner, role=role, email="someone@partner.example"))
    before = counting.rows()
    response = post(caller, request_body([profiles[0].pk]))
    assert response.status_code == 403
    assert (
        response.json()["detail"] == "Only the operator's agents and programme admins can create and read engagements."
    )
    assert caller.get(f"/api/v1/engagements/{engagement.pk}").status_code == 403
    assert counting.rows() == before


def test_an_operator_reads_an_engagement_with_its_referrals_states(operator_api, agent_api, profiles):
    created = post(agent_api, request_body([p.pk for p in profiles])).json()
    first = Referral.objects.get(pk=created["referrals"][0]["id"])
    admin = factories.user(first.partner, email="admin@one.example")
    mark_interested(first.pk, ActorRef.person(admin), timezone.now())
    response = operator_api.get(f"/api/v1/engagements/{created['id']}")
    assert response.status_code == 200
    assert [(r["id"], r["state"]) for r in response.json()["referrals"]] == [
        (created["referrals"][0]["id"], "evaluating"),
        (created["referrals"][1]["id"], "new"),
    ]
    missing = operator_api.get("/api/v1/engagements/999999")
    assert (missing.status_code, missing.json()["detail"]) == (404, "No such engagement.")


def test_a_duplicate_that_missed_the_first_read_still_gets_the_first_response(agent_api, profiles, monkeypatch):
    """The unique (user, key) constraint and the re-read, without the early lookup to help."""
    first = post(agent_api, request_body([profiles[0].pk]))
    monkeypatch.setattr(idempotency, "_stored", lambda user, key: None)
    before = counting.rows()
    again = post(agent_api, request_body([profiles[0].pk]))
    assert (again.status_code, again.json()) == (200, first.json())
    assert counting.rows() == before
    changed = post(agent_api, request_body([profiles[0].pk], need="Other"))
    assert changed.status_code == 422
    assert counting.rows() == before


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_engagement_is_written_leaves_neither_it_nor_the_key(agent_api, profiles, monkeypatch):
    before = counting.rows()
    written: list[int] = []
    create_engagement, save = services.create_engagement, IdempotencyRecord.save

    def create_and_note(*args, **kwargs):  # type: ignore[no-untyped-def]
        engagement = create_engagement(*args, **kwargs)
        written.append(engagement.pk)
        return engagement

    def crash_when_storing_the_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("update_fields"):
            raise RuntimeError("the process died here")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(services, "create_engagement", create_and_note)
    monkeypatch.setattr(IdempotencyRecord, "save", crash_when_storing_the_response)
    response = post(agent_api, request_body([profiles[0].pk]))
    assert response.status_code == 500
    assert len(written) == 1
    assert not Engagement.objects.filter(pk=written[0]).exists()
    assert counting.rows() == before
    monkeypatch.undo()
    assert post(agent_api, request_body([profiles[0].pk])).status_code == 201
    assert Engagement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("early_read", [True, False], ids=["with the early read", "all racing to insert"])
def test_concurrent_duplicates_create_one_engagement_and_get_the_same_answer(profiles, monkeypatch, early_read):
    if not early_read:
        monkeypatch.setattr(idempotency, "_stored", lambda user, key: None)
    agent = factories.user(None, role=Role.AGENT, email="agent@operator.example")
    clients = [client_for(agent) for _ in range(4)]
    body = request_body([profiles[0].pk, profiles[1].pk])
    barrier = threading.Barrier(len(clients))
    responses: list[object] = [None] * len(clients)

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[i] = post(clients[i], body, key="race-key")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]  # type: ignore[attr-defined]
    assert len({r.content for r in responses}) == 1  # type: ignore[attr-defined]
    assert (Engagement.objects.count(), Referral.objects.count(), IdempotencyRecord.objects.count()) == (1, 2, 1)
    assert OutboxMessage.objects.filter(template="referral_new").count() == 3


# --- Routing: "route": {"count": n} instead of targets ---------------------------------------------------------


def routed_body(count, **overrides):  # type: ignore[no-untyped-def]
    body = request_body([], route={"count": count}, **overrides)
    del body["targets"]
    return body


def test_a_routed_request_goes_to_the_engines_choice_and_its_decision_is_stored(agent_api, profiles):
    response = post(agent_api, routed_body(1))

    assert response.status_code == 201
    engagement = Engagement.objects.get()
    decision = RoutingDecision.objects.get(engagement=engagement)
    chosen = list(decision.candidates.filter(chosen=True).values_list("profile_id", flat=True))
    assert [r["profile_id"] for r in response.json()["referrals"]] == chosen
    assert len(chosen) == 1 and chosen[0] in {p.pk for p in profiles}
    assert decision.count == 1
    assert OutboxMessage.objects.filter(template="referral_new").count() == len(
        BusinessProfile.objects.get(pk=chosen[0]).contacts.all()
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            lambda ps: request_body([ps[0].pk], route={"count": 2}),
            [{"field": "route", "message": "Name the partners (targets) or ask for routing (route), not both."}],
        ),
        (
            lambda ps: request_body([]),
            [{"field": "targets", "message": "Choose at least one partner, or ask for routing (route)."}],
        ),
        (lambda ps: routed_body(0), [{"field": "route.count", "message": "Ask for 1 to 6 partners."}]),
        (lambda ps: routed_body(7), [{"field": "route.count", "message": "Ask for 1 to 6 partners."}]),
    ],
)
def test_route_and_targets_together_or_neither_or_a_count_out_of_range_is_422_and_creates_nothing(
    agent_api, profiles, body, errors
):
    before = counting.rows()

    response = post(agent_api, body(profiles))

    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
    assert response.json()["errors"] == errors
    assert counting.rows() == before


def test_a_routed_request_nobody_can_take_is_422_and_creates_nothing(agent_api, profiles):
    BusinessProfile.objects.update(status="paused")
    before = counting.rows()

    response = post(agent_api, routed_body(3))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "route", "message": "No partner can take this request now."}]
    assert counting.rows() == before


def test_a_routed_partner_reads_its_referral_with_nothing_of_the_decision_about_other_partners(agent_api, profiles):
    post(agent_api, routed_body(2))
    mine = Referral.objects.get(profile=profiles[0])
    other = Referral.objects.get(profile=profiles[1])
    partner_api = client_for(factories.user(mine.partner))

    body = partner_api.get(f"/api/v1/referrals/{mine.pk}").content.decode()

    assert partner_api.get(f"/api/v1/referrals/{other.pk}").status_code == 404
    assert f'"profile_id": {other.profile_id}' not in body and f'"profile_id":{other.profile_id}' not in body
    assert "propensity" not in body and "candidates" not in body
