"""Importing a Partner Center export: every status pair, the fields, the clock, duplicates and each skip reason."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from finder.models import SearchEntry
from finder.search import Criteria, search
from leadshare.worker import run_pass
from matching import scorecard
from notifications.models import OutboxMessage, Webhook
from partners import cities
from partners.models import Role
from referrals import partner_center, services
from referrals.actors import ActorRef
from referrals.models import Engagement, PartnerCenterImport, ProfileResponsiveness, Referral, ReferralEvent
from referrals.responsiveness import recompute
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for
from tests.factories import NOW
from tests.finder import profiles as finder_profiles

pytestmark = pytest.mark.django_db
URL = "/api/v1/import/partner-center"

CREATED = NOW - timedelta(days=10, hours=3) + timedelta(microseconds=457954)
UPDATED = NOW - timedelta(days=9)
EXPIRES = NOW + timedelta(days=20)
CLOSES = (NOW + timedelta(days=60)).date()


def pc_time(instant: datetime) -> str:
    """An instant as Partner Center writes it (UTC, Z)."""
    return f"{instant:%Y-%m-%dT%H:%M:%S}Z"


# As GET https://api.partner.microsoft.com/v1.0/engagements/referrals returns one (its `value` items), at times
# around the suite's NOW (Partner Center writes seven digits of a second).
SAMPLE = {
    "id": "c5fbb3b6-be74-4795-9fb5-4324c73fed37",
    "engagementId": "65edc0b5-3485-41b7-a17e-dfa9ef4706e2",
    "organizationName": "Contoso Company",
    "externalReferenceId": "",
    "createdDateTime": f"{CREATED:%Y-%m-%dT%H:%M:%S.%f}2Z",
    "updatedDateTime": pc_time(UPDATED),
    "expirationDateTime": pc_time(EXPIRES),
    "statusReason": None,
    "status": "New",
    "substatus": "Pending",
    "customerProfile": {
        "name": "Fabrikam Customer Inc",
        "address": {
            "addressLine1": "Friedrichstraße 10",
            "addressLine2": "3. OG",
            "city": "Berlin",
            "state": "",
            "postalCode": "10117",
            "country": "DE",
        },
        "size": "51to250employees",
        "team": [
            {
                "contactPreference": {"locale": "ru-RU", "disableNotifications": False},
                "firstName": "Sue",
                "lastName": "Smith",
                "phoneNumber": "1234567890",
                "email": "sue.smith@fabrikam.example",
            }
        ],
    },
    "consent": {"consentToContact": True, "consentToShareReferralWithMicrosoftSellers": True},
    "details": {
        "notes": "We want Microsoft 365 and training for our staff.",
        "dealValue": 50000,
        "currency": "usd",
        "closingDateTime": f"{CLOSES}T00:00:00Z",
        "requirements": {
            "industries": [{"id": "Education"}],
            "products": [{"id": "Microsoft365"}, {"id": "MixedReality"}],
            "services": [{"id": "LearningAndCertification"}],
            "solutions": [{"id": "FieldService", "name": "Dynamics 365 for Field Service", "type": "Category"}],
        },
    },
}


def item(**changes):  # type: ignore[no-untyped-def]
    """SAMPLE with top-level members replaced; dotted names reach inside (customerProfile.size=...)."""
    result = copy.deepcopy(SAMPLE)
    for name, value in changes.items():
        *parents, last = name.split("__")
        target = result
        for parent in parents:
            target = target[parent]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value
    return result


UNMAPPED_MARKETING = "details.requirements.products 'MixedReality' is not in our products: kept in the need text."
PAIRS = [
    ("New", "Pending", "new", timedelta(hours=72)),
    ("New", "Received", "evaluating", timedelta(days=7)),
    ("Active", "Accepted", "negotiating", None),
    ("Closed", "Won", "won", None),
    ("Closed", "Lost", "lost", None),
    ("Closed", "Declined", "declined", None),
    ("Closed", "Expired", "expired", None),
]


@pytest.mark.parametrize(("status", "substatus", "state", "window"), PAIRS)
def test_every_partner_center_status_becomes_our_state_with_its_deadline(
    partner_api, profile, admin_user, status, substatus, state, window
):
    response = partner_api.post(URL, [item(status=status.upper(), substatus=substatus.lower())])
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert response.json() == {
        "imported": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "items": [
            {
                "index": 0,
                "outcome": "imported",
                "engagement_id": "65edc0b5-3485-41b7-a17e-dfa9ef4706e2",
                "referral_id": referral.pk,
                "state": state,
                "reason": "",
                "notes": [
                    "details.requirements.products 'MixedReality' is not in our products: kept in the need text."
                ],
            }
        ],
        "next_link": "",
    }
    assert (referral.state, referral.profile, referral.partner, referral.version) == (
        state,
        profile,
        profile.partner,
        1,
    )
    assert referral.updated_at == referral.created_at == referral.state_entered_at
    assert referral.deadline_at == (referral.created_at + window if window else None)
    assert (referral.remind_at is not None) == (window is not None)
    if state != "new":
        assert getattr(referral, f"{state}_at") == referral.created_at
    [event] = ReferralEvent.objects.all()
    assert (event.action, event.from_state, event.to_state, event.actor_kind, event.actor, event.actor_label) == (
        "create", "", state, "api", admin_user, "test",
    )  # fmt: skip
    assert event.comment == (
        "Imported from Partner Center: engagement 65edc0b5-3485-41b7-a17e-dfa9ef4706e2, "
        f"referral c5fbb3b6-be74-4795-9fb5-4324c73fed37, {status.upper()}/{substatus.lower()}, "
        f"created {CREATED.isoformat()}, updated {UPDATED.isoformat()}."
    )
    deal = (referral.deal_value, referral.deal_currency, referral.expected_close_date, referral.final_value)
    if state in ("negotiating", "lost"):
        assert deal == (Decimal("50000.00"), "USD", CLOSES, None)
    elif state == "won":
        assert deal == (Decimal("50000.00"), "USD", CLOSES, Decimal("50000.00"))
    else:
        assert deal == (None, "", None, None)
    assert OutboxMessage.objects.count() == 0


def test_an_imported_referral_carries_the_customer_and_the_request(partner_api, profile):
    partner_api.post(URL, [item(status="New", substatus="Received")])
    engagement = Engagement.objects.get()
    assert (
        engagement.source, engagement.customer_company, engagement.customer_size_id, engagement.customer_industry_id,
        engagement.customer_country, engagement.customer_city, engagement.customer_address, engagement.language,
        engagement.consent_contact, engagement.consent_share, engagement.budget, engagement.budget_currency,
        engagement.timeline,
    ) == (
        "import", "Fabrikam Customer Inc", "50-249", "education", "DE", "Berlin", "Friedrichstraße 10, 3. OG", "ru",
        True, False, Decimal("50000.00"), "USD", f"Close by {CLOSES}",
    )  # fmt: skip
    assert (engagement.requested_industries, engagement.requested_products, engagement.requested_services) == (
        ["education"], ["office-suite"], ["training"],
    )  # fmt: skip
    assert engagement.need == (
        "We want Microsoft 365 and training for our staff.\n\nAlso requested in Partner Center (not in our lists): "
        "products: MixedReality; solutions: Dynamics 365 for Field Service."
    )
    referral = Referral.objects.get()
    read = partner_api.get(f"/api/v1/referrals/{referral.pk}").json()
    assert (read["state"], read["status"], read["substatus"], read["source"]) == (
        "evaluating", "New", "Received", "import",
    )  # fmt: skip
    assert read["customer"]["contacts"] == [
        {"name": "Sue Smith", "email": "sue.smith@fabrikam.example", "phone": "1234567890"}
    ]
    assert referral.location == profile.locations.get()
    record = PartnerCenterImport.objects.get()
    assert (record.referral, record.profile, record.external_status, record.external_expires_at) == (
        referral, profile, "New/Received", EXPIRES,
    )  # fmt: skip


def test_an_import_is_not_counted_as_received_and_the_counters_match_the_record(partner_api, profile):
    partner_api.post(URL, [item(), item(engagementId="second", status="Closed", substatus="Won")])
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert stats.received == 0
    assert recompute(profile.pk) == {
        "received": stats.received, "answered": stats.answered, "answered_within_24h": stats.answered_within_24h,
        "answer_seconds_total": stats.answer_seconds_total, "missed": stats.missed, "expired": stats.expired,
    }  # fmt: skip


def test_an_import_emails_nobody_and_tells_the_subscribed_webhooks(partner_api, profile):
    hook = Webhook.objects.create(
        partner=profile.partner, url="https://crm.example/hook", events=["referral.created"], secret="s" * 20,
        created_at=timezone.now(),
    )  # fmt: skip
    partner_api.post(URL, [item()])
    referral = Referral.objects.get()
    assert list(OutboxMessage.objects.values_list("channel", "template", "referral_id", "webhook_id")) == [
        ("webhook", "referral.created", referral.pk, hook.pk),
    ]


def test_importing_the_same_version_again_changes_nothing_and_says_so(partner_api, profile):
    first = partner_api.post(URL, [item()]).json()["items"][0]
    before = counting.rows()
    again = partner_api.post(URL, [item(), item(updatedDateTime=pc_time(UPDATED - timedelta(seconds=1)))])
    assert again.status_code == 200
    same = (
        f"Unchanged: this version (updated {UPDATED.isoformat()}) is not later than the one imported "
        f"(updated {UPDATED.isoformat()})."
    )
    older = (
        f"Unchanged: this version (updated {(UPDATED - timedelta(seconds=1)).isoformat()}) is not later than the "
        f"one imported (updated {UPDATED.isoformat()})."
    )
    assert [(i["outcome"], i["referral_id"], i["state"], i["reason"]) for i in again.json()["items"]] == [
        ("unchanged", first["referral_id"], "new", same),
        ("unchanged", first["referral_id"], "new", older),
    ]
    assert (again.json()["unchanged"], again.json()["imported"], again.json()["updated"]) == (2, 0, 0)
    assert counting.rows() == before


def test_the_same_engagement_twice_in_one_export_is_imported_once(partner_api, profile):
    body = partner_api.post(URL, [item(), item()]).json()
    assert [(i["index"], i["outcome"]) for i in body["items"]] == [(0, "imported"), (1, "unchanged")]
    assert Referral.objects.count() == 1


def test_another_referral_of_an_imported_engagement_is_skipped_and_changes_nothing(partner_api, profile):
    partner_api.post(URL, [item()])
    before = counting.rows()
    body = partner_api.post(URL, [item(id="other-referral-id", updatedDateTime=pc_time(NOW))]).json()
    assert body["items"][0]["reason"] == (
        "engagement 65edc0b5-3485-41b7-a17e-dfa9ef4706e2 was imported from Partner Center referral "
        "c5fbb3b6-be74-4795-9fb5-4324c73fed37; this is another referral of it (other-referral-id)."
    )
    assert counting.rows() == before


def test_another_partners_import_of_the_same_engagement_is_theirs(partner_api, profile):
    partner_api.post(URL, [item()])
    other = factories.profile(country="DE")
    other_admin = client_for(factories.user(other.partner, email="admin@other.example"))
    body = other_admin.post(URL, [item()]).json()
    assert [(i["index"], i["outcome"]) for i in body["items"]] == [(0, "imported")]
    assert sorted(Referral.objects.values_list("profile_id", flat=True)) == sorted([profile.pk, other.pk])


SKIPS = [
    (42, None, "This item is not a JSON object."),
    (item(engagementId=...), None, "engagementId is missing: it tells a re-import from a new referral."),
    (
        item(status="Active", substatus="Pending"),
        "E",
        "status 'Active' with substatus 'Pending' has no Leadshare state.",
    ),
    (item(status=...), "E", "status '' with substatus 'Pending' has no Leadshare state."),
    (item(customerProfile__name=" "), "E", "customerProfile.name is missing: the customer's company is needed."),
    (
        item(customerProfile__address__country="USAA"),
        "E",
        "customerProfile.address.country 'USAA' is not a two- or three-letter country code we know.",
    ),
    (
        item(customerProfile__address__country="ZZ"),
        "E",
        "customerProfile.address.country 'ZZ' is not a two- or three-letter country code we know.",
    ),
    (
        item(customerProfile__address__country="USA"),
        "E",
        "Your organisation has no business profile in US. Add one, then import again.",
    ),
    (item(customerProfile__size="Unknown"), "E", "customerProfile.size 'Unknown' is not a company size we know."),
    (
        item(customerProfile__team=[]),
        "E",
        "customerProfile.team has nobody in it: the customer needs a contact person.",
    ),
    (
        item(customerProfile__team=[{"firstName": "Sue", "email": "sue@"}]),
        "E",
        "customerProfile.team.0.email 'sue@' is not a valid e-mail address.",
    ),
    (item(customerProfile__team=[{"firstName": "Sue"}]), "E", "customerProfile.team.0.email is missing."),
    (
        item(consent={"consentToContact": False}),
        "E",
        "consent.consentToContact is false: the customer did not agree to be contacted.",
    ),
    (item(details__dealValue="lots"), "E", "details.dealValue 'lots' is not a number."),
    (item(details__dealValue=-5), "E", "details.dealValue '-5' is not an amount we can keep."),
    (item(details__currency="EURO"), "E", "details.currency 'EURO' is not a three-letter currency code."),
    (item(details__currency=...), "E", "details.currency is missing: a deal value needs its currency."),
    # Checked as accepting a referral checks them (referrals.validation).
    (item(details__dealValue=0), "E", "details.dealValue: The amount must be greater than zero."),
    (item(details__dealValue="12.345"), "E", "details.dealValue: Use at most two decimal places."),
    (item(details__dealValue=10**12), "E", f"details.dealValue '{10**12}' is not an amount we can keep."),
    (item(details__currency="XYZ"), "E", "details.currency: XYZ is not a currency we know."),
    (
        item(status="Closed", substatus="Won", details__dealValue=..., details__currency=...),
        "E",
        "details.dealValue: Enter the amount.",
    ),
    (item(createdDateTime="yesterday"), "E", "createdDateTime 'yesterday' is not a date and time."),
    (item(details__closingDateTime="soon"), "E", "details.closingDateTime 'soon' is not a date and time."),
    (item(details__requirements__products="Microsoft365"), "E", "details.requirements.products is not a list."),
    (item(customerProfile=[]), "E", "customerProfile is not an object."),
]


@pytest.mark.parametrize(("bad", "engagement_id", "reason"), SKIPS)
def test_an_item_that_cannot_be_imported_is_skipped_with_its_reason(partner_api, profile, bad, engagement_id, reason):
    before = counting.rows()
    response = partner_api.post(URL, [bad])
    assert response.status_code == 200
    expected_id = "65edc0b5-3485-41b7-a17e-dfa9ef4706e2" if engagement_id == "E" else engagement_id
    assert response.json() == {
        "imported": 0,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
        "items": [
            {
                "index": 0,
                "outcome": "skipped",
                "engagement_id": expected_id,
                "referral_id": None,
                "state": None,
                "reason": reason,
                "notes": [],
            }
        ],
        "next_link": "",
    }
    assert counting.rows() == before


def test_a_mixed_export_imports_the_good_items_and_names_the_others(partner_api, profile):
    factories.profile(partner_=profile.partner, country="AT")
    response = partner_api.post(
        URL,
        [
            item(engagementId="a"),
            item(engagementId="b", status="Open"),
            item(engagementId="c", customerProfile__address__country="at", status="Closed", substatus="Lost"),
        ],
    )
    body = response.json()
    assert [(i["index"], i["outcome"], i["engagement_id"], i["state"], i["reason"]) for i in body["items"]] == [
        (0, "imported", "a", "new", ""),
        (1, "skipped", "b", None, "status 'Open' with substatus 'Pending' has no Leadshare state."),
        (2, "imported", "c", "lost", ""),
    ]
    assert sorted(Referral.objects.values_list("profile__country", flat=True)) == ["AT", "DE"]


@pytest.mark.parametrize("body", [{"value": "all"}, {"items": [SAMPLE]}, "referrals", 7, None])
def test_a_body_that_is_not_an_array_or_a_response_is_422_and_imports_nothing(partner_api, profile, body):
    before = counting.rows()
    response = partner_api.client.post(
        URL, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {partner_api.token}"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or not valid."
    assert [e["field"] for e in response.json()["errors"]] == ["body"]
    assert counting.rows() == before


def test_more_than_a_thousand_items_is_422(partner_api, profile):
    before = counting.rows()
    response = partner_api.post(URL, [item(engagementId=str(i)) for i in range(1001)])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body", "message": "Send at most 1000 referrals per request; split the export."}
    ]
    assert counting.rows() == before


@pytest.mark.parametrize("role", [Role.REFERRALS_USER, Role.PROFILE_ADMIN, Role.PROGRAMME_ADMIN])
def test_only_a_referrals_admin_imports(profile, role):
    caller = client_for(factories.user(profile.partner if role != Role.PROGRAMME_ADMIN else None, role=role))
    before = counting.rows()
    response = caller.post(URL, [item()])
    assert response.status_code == 403
    assert response.json()["detail"] == "Only a partner's referrals admin can import referrals."
    assert counting.rows() == before


# --- The mapping on its own (referrals.partner_center is pure) --------------------------------------


WORDS = partner_center.Vocabulary(
    industries=partner_center.Vocabulary.index(
        [("education", "Education"), ("professional-services", "Professional services")]
    ),
    products=partner_center.Vocabulary.index([("office-suite", "Office suite and email"), ("crm", "CRM")]),
    services=partner_center.Vocabulary.index([("training", "Training")]),
    countries=cities.country_codes(),
)


@pytest.mark.parametrize(
    ("size", "band"),
    [
        ("1to9employees", "1-9"), ("10to50employees", "10-49"), ("51to250employees", "50-249"),
        ("251to1000employees", "250-999"), ("1001to5000employees", "1000-4999"), ("5001to10000employees", "5000+"),
        ("10001to20000employees", "5000+"), ("Morethan20000employees", "5000+"), ("1to50employees", "1-9"),
        ("51to500employees", "50-249"), ("Morethan500employees", "250-999"), ("250-999", "250-999"),
    ],
)  # fmt: skip
def test_partner_center_sizes_map_to_our_bands(size, band):
    assert partner_center.parse(item(customerProfile__size=size), WORDS).size == band


def test_member_names_are_read_in_any_letter_case_and_tags_by_code_or_name():
    raw = item(details__requirements__industries=[{"id": "ProfessionalServices"}, {"id": "Mining"}])
    raw["EngagementID"] = raw.pop("engagementId")
    parsed = partner_center.parse(raw, WORDS)
    assert (parsed.engagement_id, parsed.industries, parsed.industry) == (
        "65edc0b5-3485-41b7-a17e-dfa9ef4706e2", ("professional-services",), "professional-services",
    )  # fmt: skip
    assert "(not in our lists): industries: Mining; products: MixedReality;" in parsed.need


def test_partner_centers_seven_digit_fractions_of_a_second_are_read():
    parsed = partner_center.parse(item(), WORDS)
    assert parsed.created_at == CREATED
    assert parsed.closing_date == CLOSES


def test_an_export_of_won_deals_answered_at_once_does_not_move_the_partner_in_the_finder(profile, admin_user):
    """A partner at the bottom of its country imports wins and new referrals it answers at once: it stays there."""
    rival = finder_profiles.make("Rival", keywords=["crm"])
    profile.keywords = ["crm"]
    profile.save()
    rival_admin = factories.user(rival.partner)
    services.mark_interested(factories.referral(rival).pk, ActorRef.person(rival_admin), NOW)
    run_pass(NOW)
    before = [hit.profile_id for hit in search(Criteria(q="crm", country="DE"), NOW).hits]
    assert before == [rival.pk, profile.pk]
    won = [item(engagementId=f"won-{i}", status="Closed", substatus="Won") for i in range(60)]
    pending = [item(engagementId=f"new-{i}") for i in range(40)]
    response = client_for(admin_user).post(URL, won + pending)
    assert response.json()["imported"] == 100
    for referral in Referral.objects.filter(partner=profile.partner, state="new"):
        services.mark_interested(referral.pk, ActorRef.person(admin_user), NOW + timedelta(minutes=1))
    run_pass(NOW + timedelta(minutes=2))
    entry = SearchEntry.objects.get(pk=profile.pk)
    assert (entry.answered, entry.unanswered, entry.won, entry.lost) == (0, 0, 0, 0)
    assert (entry.responsiveness, entry.outcomes) == (0.5, 0.5)
    assert [hit.profile_id for hit in search(Criteria(q="crm", country="DE"), NOW).hits] == before
    stats = ProfileResponsiveness.objects.get(profile=profile)
    assert (stats.received, stats.answered, stats.answered_within_24h) == (0, 0, 0)
    card = scorecard.compute(profile.partner_id, NOW + timedelta(minutes=2))
    assert (card.won, card.received) == (0, 0)


# --- Real exports: Partner Center's response wrapper and the shapes its items really have -------------------

# Based on the items Microsoft's Referrals API returns (learn.microsoft.com, "Get a list of referrals", and real
# exports published by integrators): size null, a team of one given as the member itself, ids as names.
REAL = {
    "id": "5dd4dc44-2c1a-4e16-8478-f783ebe815de",
    "engagementId": "65921e35-4f28-472f-9ae4-58ddd6ae6270",
    "name": "Integration_Test_Referral",
    "organizationName": "Contoso Company",
    "externalReferenceId": "CRM-OPP-00042",
    "createdDateTime": f"{CREATED:%Y-%m-%dT%H:%M:%S.%f}0Z",
    "updatedDateTime": f"{UPDATED:%Y-%m-%dT%H:%M:%S}.6076542Z",
    "expirationDateTime": None,
    "status": "Active",
    "substatus": "Accepted",
    "statusReason": None,
    "qualification": "SalesQualified",
    "type": "Shared",
    "direction": "Incoming",
    "customerProfile": {
        "name": "Integration_Test_Customer",
        "size": None,
        "isMatchingComplete": True,
        "address": {
            "addressLine1": "Lake hills", "addressLine2": "", "city": "Bellevue", "state": None,
            "postalCode": "98004", "country": "USA", "region": "WA",
        },
        "team": {
            "firstName": "Abby", "lastName": "Stone", "phoneNumber": "4444444444", "email": "abby@fabrikam.example",
            "title": None, "contactPreference": {"locale": None, "disableNotifications": None},
        },
        "ids": [{"profileType": "External", "id": "1-15NFGVZ"}],
    },
    "consent": {
        "consentToToShareInfoWithOthers": True, "consentToContact": True,
        "consentToShareReferralWithMicrosoftSellers": True,
    },
    "details": {
        "notes": "update", "dealValue": 30000, "currency": "USD", "closingDateTime": f"{CLOSES}T18:30:00Z",
        "requirements": {
            "industries": [{"id": "Education"}], "products": [{"id": "Office"}], "services": [{"id": "Licensing"}],
            "solutions": [{"id": "SOL-6115380-IPC", "name": None, "type": "Name"}],
        },
    },
}  # fmt: skip


def real(**changes):  # type: ignore[no-untyped-def]
    result = copy.deepcopy(REAL)
    for name, value in changes.items():
        *parents, last = name.split("__")
        target = result
        for parent in parents:
            target = target[parent]
        target[last] = value
    return result


def wrapped(*items, next_link=None):  # type: ignore[no-untyped-def]
    body = {"@odata.context": "https://api.partner.microsoft.com/v1.0/engagements/$metadata#referrals", "value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return body


@pytest.fixture
def in_us(profile):
    return factories.profile(partner_=profile.partner, country="US", city="Bellevue")


def test_partner_centers_response_imports_as_sent_and_points_to_its_next_page(partner_api, in_us):
    following = "https://api.partner.microsoft.com/v1.0/engagements/referrals?$skiptoken=abc"
    response = partner_api.post(URL, wrapped(real(), next_link=following))
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert response.json() == {
        "imported": 1, "updated": 0, "unchanged": 0, "skipped": 0,
        "items": [{
            "index": 0, "outcome": "imported", "engagement_id": "65921e35-4f28-472f-9ae4-58ddd6ae6270",
            "referral_id": referral.pk, "state": "negotiating", "reason": "", "notes": [],
        }],
        "next_link": following,
    }  # fmt: skip
    engagement = referral.engagement
    assert (referral.profile, engagement.customer_country, engagement.customer_size_id) == (in_us, "US", None)
    assert list(engagement.contacts.values_list("name", "email")) == [("Abby Stone", "abby@fabrikam.example")]
    assert (engagement.requested_industries, engagement.requested_products, engagement.requested_services) == (
        ["education"], ["office-suite"], ["licensing"],
    )  # fmt: skip


def test_a_referral_of_unknown_size_shows_an_empty_size_and_reaches_only_profiles_that_take_any_size(
    partner_api, in_us
):
    partner_api.post(URL, [real()])
    referral = Referral.objects.get()
    assert partner_api.get(f"/api/v1/referrals/{referral.pk}").json()["customer"]["size"] == ""
    picky = factories.profile(country="US", only_target_sizes=True)
    picky.target_sizes.set(["50-249"])
    open_to_all = factories.profile(country="US")
    reachable = set(services.targetable_profiles(referral.engagement.customer_size_id).values_list("pk", flat=True))
    assert open_to_all.pk in reachable and in_us.pk in reachable
    assert picky.pk not in reachable


def test_partner_centers_ids_are_on_the_referral_in_the_api_and_the_csv(partner_api, in_us):
    partner_api.post(URL, [real()])
    referral = Referral.objects.get()
    ids = {
        "id": "5dd4dc44-2c1a-4e16-8478-f783ebe815de",
        "engagement_id": "65921e35-4f28-472f-9ae4-58ddd6ae6270",
        "external_reference_id": "CRM-OPP-00042",
    }
    assert partner_api.get(f"/api/v1/referrals/{referral.pk}").json()["partner_center"] == ids
    assert partner_api.get("/api/v1/referrals").json()["items"][0]["partner_center"] == ids
    exported = b"".join(partner_api.get("/api/v1/referrals.csv").streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert (row["partner_center_id"], row["partner_center_engagement_id"], row["external_reference_id"]) == (
        ids["id"], ids["engagement_id"], ids["external_reference_id"],
    )  # fmt: skip


def test_a_referral_not_imported_has_no_partner_center_ids(partner_api, profile):
    referral = factories.referral(profile, timezone.now())
    assert partner_api.get(f"/api/v1/referrals/{referral.pk}").json()["partner_center"] is None


# --- A later version moves the referral forward ------------------------------------------------------------


def everything():  # type: ignore[no-untyped-def]
    """Every row an import may write or change, to show that nothing did."""
    return (
        list(Referral.objects.order_by("pk").values_list()),
        list(ReferralEvent.objects.order_by("pk").values_list()),
        list(OutboxMessage.objects.order_by("pk").values_list()),
        list(PartnerCenterImport.objects.order_by("pk").values_list()),
    )


def history(referral_id):  # type: ignore[no-untyped-def]
    return list(
        ReferralEvent.objects.filter(referral_id=referral_id)
        .order_by("pk")
        .values_list("action", "from_state", "to_state", "reason", "comment")
    )


def test_a_later_version_closed_won_moves_an_accepted_referral_to_won_with_a_history_row(partner_api, in_us):
    partner_api.post(URL, [real()])
    referral = Referral.objects.get()
    later = real(status="Closed", substatus="Won", updatedDateTime=pc_time(NOW), details__dealValue=32000)
    body = partner_api.post(URL, wrapped(later)).json()
    assert (body["updated"], body["items"][0]["outcome"], body["items"][0]["state"]) == (1, "updated", "won")
    after = Referral.objects.get()
    assert (after.state, after.final_value, after.version) == ("won", Decimal("32000.00"), referral.version + 1)
    assert [row[:3] for row in history(referral.pk)] == [("create", "", "negotiating"), ("win", "negotiating", "won")]
    record = PartnerCenterImport.objects.get()
    assert (record.external_status, record.external_updated_at) == ("Closed/Won", NOW)
    assert list(OutboxMessage.objects.filter(channel="email").values_list("template")) == []


def test_a_later_version_of_a_new_referral_takes_every_step_in_between(partner_api, profile):
    partner_api.post(URL, [item()])
    referral = Referral.objects.get()
    later = item(status="Closed", substatus="Won", updatedDateTime=pc_time(NOW))
    assert partner_api.post(URL, [later]).json()["items"][0]["state"] == "won"
    assert [row[:3] for row in history(referral.pk)] == [
        ("create", "", "new"), ("interested", "new", "evaluating"), ("accept", "evaluating", "negotiating"),
        ("win", "negotiating", "won"),
    ]  # fmt: skip
    after = Referral.objects.get()
    assert (after.deal_value, after.deal_currency, after.expected_close_date, after.final_value) == (
        Decimal("50000.00"), "USD", CLOSES, Decimal("50000.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status_reason", "reason"),
    [("Lost to competitor", "competitor"), ("Pricing too high", "price"), ("Customer went quiet", "other")],
)
def test_a_later_version_closed_lost_takes_its_reason_from_status_reason_with_the_text_as_comment(
    partner_api, in_us, status_reason, reason
):
    partner_api.post(URL, [real()])
    referral = Referral.objects.get()
    later = real(status="Closed", substatus="Lost", statusReason=status_reason, updatedDateTime=pc_time(NOW))
    assert partner_api.post(URL, [later]).json()["items"][0]["outcome"] == "updated"
    assert history(referral.pk)[-1] == ("lose", "negotiating", "lost", reason, status_reason)
    after = Referral.objects.get()
    assert (after.state, after.reason, after.comment) == ("lost", reason, status_reason)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"status": "New", "substatus": "Pending"},
            "status 'New' with substatus 'Pending' cannot follow the referral's state here (negotiating): "
            "a referral only moves forward.",
        ),
        (
            {"details__closingDateTime": pc_time(NOW - timedelta(days=30)), "status": "Active"},
            "Unchanged",
        ),
    ],
)
def test_a_later_version_that_cannot_follow_changes_nothing(partner_api, in_us, changes, reason):
    partner_api.post(URL, [real()])
    before = everything()
    body = partner_api.post(URL, [real(updatedDateTime=pc_time(NOW), **changes)]).json()
    assert body["items"][0]["reason"].startswith(reason)
    assert body["items"][0]["outcome"] == ("unchanged" if reason == "Unchanged" else "skipped")
    assert everything() == before


def test_a_later_version_whose_accept_the_lifecycle_refuses_is_skipped_and_changes_nothing(partner_api, profile):
    partner_api.post(URL, [item()])
    before = everything()
    stale = item(
        status="Active", substatus="Accepted", updatedDateTime=pc_time(NOW),
        details__closingDateTime=pc_time(NOW - timedelta(days=30)),
    )  # fmt: skip
    body = partner_api.post(URL, [stale]).json()
    assert body["items"][0] == {
        "index": 0, "outcome": "skipped", "engagement_id": "65edc0b5-3485-41b7-a17e-dfa9ef4706e2",
        "referral_id": None, "state": None,
        "reason": "details.closingDateTime: The expected close date cannot be in the past.", "notes": [],
    }  # fmt: skip
    assert everything() == before


def test_an_expiry_reported_for_a_new_referral_is_left_to_its_own_deadline(partner_api, profile):
    partner_api.post(URL, [item()])
    referral = Referral.objects.get()
    before = everything()
    body = partner_api.post(URL, [item(status="Closed", substatus="Expired", updatedDateTime=pc_time(NOW))]).json()
    assert body["items"][0]["reason"] == (
        "status 'Closed' with substatus 'Expired' is reached here by the referral's own deadline "
        f"({referral.deadline_at.isoformat()}), not by an import."
    )
    assert everything() == before


# --- What the export says is kept ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "substatus", "state"), [("New", "Pending", "missed"), ("New", "Received", "expired")]
)
def test_an_item_whose_expiry_passed_arrives_as_the_timer_would_have_left_it(
    partner_api, profile, status, substatus, state
):
    gone = NOW - timedelta(days=2)
    body = partner_api.post(URL, [item(status=status, substatus=substatus, expirationDateTime=pc_time(gone))]).json()
    assert body["items"][0]["state"] == state
    assert body["items"][0]["notes"] == [
        UNMAPPED_MARKETING, f"expirationDateTime {gone.isoformat()} has passed: imported as {state}.",
    ]  # fmt: skip
    referral = Referral.objects.get()
    assert (referral.state, referral.deadline_at, referral.remind_at) == (state, None, None)
    assert OutboxMessage.objects.filter(channel="email").count() == 0


@pytest.mark.parametrize(
    ("substatus", "status_reason", "reason"),
    [
        ("Lost", "Lost to competitor", "competitor"),
        ("Lost", "", "other"),
        ("Declined", "Duplicate of another referral", "duplicate"),
        ("Declined", "Outside our expertise", "not-our-field"),
    ],
)
def test_an_item_imported_lost_or_declined_keeps_its_status_reason(
    partner_api, profile, substatus, status_reason, reason
):
    partner_api.post(URL, [item(status="Closed", substatus=substatus, statusReason=status_reason)])
    referral = Referral.objects.get()
    assert (referral.reason, referral.comment) == (reason, status_reason)
