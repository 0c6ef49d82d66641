"""Business profiles through the API: one per country, validated by field, only for the partner's own admins."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partners.models import BusinessProfile, Location, ProfileContact, Role
from referrals.models import Referral
from tests import factories
from tests.api import counting
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

AUSTRIA = {
    "country": "at",
    "locations": [
        {"address": "Ringstraße 1", "city": "Wien", "lat": 48.2082, "lon": 16.3738},
        {"city": "Graz", "lat": 47.0707, "lon": 15.4395},
    ],
    "contacts": [{"name": "Leads", "email": "Leads@Partner.example", "language": "en"}],
    "description": "Cloud migrations for the Alpine region.",
    "website": "https://partner.example/at",
    "languages": ["de", "en"],
    "industries": ["retail", "manufacturing"],
    "products": ["office-suite"],
    "services": ["migration", "training"],
    "keywords": ["Exchange", "Teams rollout"],
    "target_sizes": ["250-999", "50-249"],
    "only_target_sizes": True,
    "status": "paused",
    "capacity": 12,
}


def location(i: int, **overrides):  # type: ignore[no-untyped-def]
    return {"address": f"Street {i}", "city": f"City {i}", "lat": 48.0, "lon": 16.0} | overrides


def test_a_referrals_admin_lists_the_profiles_of_their_partner(partner_api, profile):
    factories.profile(country="FR")  # another partner's
    response = partner_api.get("/api/v1/profiles")
    assert response.status_code == 200
    [only] = response.json()
    berlin = profile.locations.get()
    assert only == {
        "id": profile.pk,
        "country": "DE",
        "locations": [{"id": berlin.pk, "address": "Hauptstr. 1", "city": "Berlin", "lat": 52.52, "lon": 13.405}],
        "contacts": [{"name": "Alerts", "email": "alerts@partner.example", "language": "en"}],
        "description": "We move mail to the cloud.",
        "website": "",
        "languages": [],
        "industries": [],
        "products": [],
        "services": [],
        "keywords": [],
        "target_sizes": [],
        "only_target_sizes": False,
        "status": "active",
        "capacity": None,
        "created_at": only["created_at"],
        "updated_at": only["updated_at"],
    }


def test_a_profile_in_another_country_is_created_with_every_field(partner_api, profile):
    response = partner_api.post("/api/v1/profiles", AUSTRIA)
    assert response.status_code == 201
    created = BusinessProfile.objects.get(partner=profile.partner, country="AT")
    body = response.json()
    assert response["ETag"] == f'"v{int(created.updated_at.timestamp() * 1_000_000)}"'
    wien, graz = created.locations.all()
    assert body | {"created_at": None, "updated_at": None} == {
        "id": created.pk,
        "country": "AT",
        "locations": [
            {"id": wien.pk, "address": "Ringstraße 1", "city": "Wien", "lat": 48.2082, "lon": 16.3738},
            {"id": graz.pk, "address": "", "city": "Graz", "lat": 47.0707, "lon": 15.4395},
        ],
        "contacts": [{"name": "Leads", "email": "leads@partner.example", "language": "en"}],
        "description": "Cloud migrations for the Alpine region.",
        "website": "https://partner.example/at",
        "languages": ["de", "en"],
        "industries": ["manufacturing", "retail"],
        "products": ["office-suite"],
        "services": ["migration", "training"],
        "keywords": ["Exchange", "Teams rollout"],
        "target_sizes": ["50-249", "250-999"],
        "only_target_sizes": True,
        "status": "paused",
        "capacity": 12,
        "created_at": None,
        "updated_at": None,
    }


def test_a_second_profile_in_the_same_country_is_409_and_creates_nothing(partner_api, profile):
    before = counting.rows()
    response = partner_api.post("/api/v1/profiles", AUSTRIA | {"country": "DE"})
    assert response.status_code == 409
    assert response.json()["detail"] == "Your organisation already has a profile in DE. Edit that one instead."
    assert response.json()["errors"][0]["field"] == "country"
    assert counting.rows() == before


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"locations": [location(i) for i in range(6)]}, {"locations": "A profile has at most 5 locations."}),
        ({"locations": []}, {"locations": "Add at least one location: the finder searches by place."}),
        (
            {"industries": ["retail", "finance", "energy", "media", "education", "healthcare"]},
            {"industries": "Choose at most 5 industries: fewer, precise tags match better."},
        ),
        ({"locations": [location(0, lat=90.5)]}, {"locations.0.lat": "The latitude is a number from -90 to 90."}),
        (
            {"locations": [location(0), location(1, lon=-180.01)]},
            {"locations.1.lon": "The longitude is a number from -180 to 180."},
        ),
        ({"target_sizes": ["50-249", "50-250"]}, {"target_sizes": "Unknown: 50-250"}),
        (
            {"industries": ["retail", "mining"], "services": ["hosting"]},
            {"industries": "Unknown: mining", "services": "Unknown: hosting"},
        ),
        (
            {"contacts": [{"email": "leads@partner"}, {"email": "a@partner.example"}, {"email": "A@partner.example"}]},
            {
                "contacts.0.email": "Enter a valid e-mail address.",
                "contacts.2.email": "This address is already a contact of the profile.",
            },
        ),
        ({"contacts": []}, {"contacts": "Add at least one contact to receive the referral alerts."}),
        ({"country": "Austria"}, {"country": "Use the two-letter country code, such as DE or RU."}),
        ({"website": "partner.example"}, {"website": "Enter a web address starting with https:// or http://."}),
        ({"capacity": 0}, {"capacity": "Leave the capacity empty for no limit, or give 1 to 100000."}),
        ({"target_sizes": []}, {"target_sizes": "Choose the target sizes, or turn off only_target_sizes."}),
        (
            {"keywords": [f"k{i}" for i in range(31)]},
            {"keywords": "Use at most 30 keywords: fewer, precise ones match better."},
        ),
        ({"languages": ["deu"]}, {"languages": "Use two-letter language codes, such as en or de."}),
    ],
)
def test_an_invalid_profile_is_422_naming_each_field_and_creates_nothing(partner_api, profile, change, errors):
    before = counting.rows()
    response = partner_api.post("/api/v1/profiles", AUSTRIA | change)
    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or not valid."
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == errors
    assert counting.rows() == before


def test_a_latitude_that_is_not_a_number_is_422(partner_api, profile):
    before = counting.rows()
    response = partner_api.post("/api/v1/profiles", AUSTRIA | {"locations": [location(0, lat="north")]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["locations.0.lat"]
    assert counting.rows() == before


def test_patch_changes_the_fields_sent_and_keeps_locations_by_id(partner_api, profile):
    berlin = profile.locations.get()
    referral = factories.referral(profile, now=timezone.now())
    assert referral.location == berlin
    response = partner_api.patch(
        f"/api/v1/profiles/{profile.pk}",
        {
            "description": "Now also Exchange.",
            "status": "paused",
            "locations": [
                {"id": berlin.pk, "address": "Unter den Linden 5", "city": "Berlin", "lat": 52.517, "lon": 13.389},
                {"city": "Hamburg", "lat": 53.55, "lon": 9.99},
            ],
            "contacts": [
                {"name": "Sales", "email": "ALERTS@partner.example", "language": "ru"},
                {"email": "new@partner.example"},
            ],
            "industries": ["retail"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["description"], body["status"], body["industries"], body["website"]) == (
        "Now also Exchange.", "paused", ["retail"], "",
    )  # fmt: skip
    assert [(x["id"] == berlin.pk, x["address"], x["city"]) for x in body["locations"]] == [
        (True, "Unter den Linden 5", "Berlin"),
        (False, "", "Hamburg"),
    ]
    assert body["contacts"] == [
        {"name": "Sales", "email": "alerts@partner.example", "language": "ru"},
        {"name": "", "email": "new@partner.example", "language": "en"},
    ]
    assert Referral.objects.get(pk=referral.pk).location_id == berlin.pk
    profile.refresh_from_db()
    assert response["ETag"] == f'"v{int(profile.updated_at.timestamp() * 1_000_000)}"'


def test_patch_drops_the_locations_left_out(partner_api, profile):
    berlin = profile.locations.get()
    response = partner_api.patch(f"/api/v1/profiles/{profile.pk}", {"locations": [location(1, city="München")]})
    assert response.status_code == 200
    assert [x["city"] for x in response.json()["locations"]] == ["München"]
    assert not Location.objects.filter(pk=berlin.pk).exists()


def test_patch_with_an_etag_from_before_is_412_and_changes_nothing(partner_api, profile):
    etag = partner_api.get(f"/api/v1/profiles/{profile.pk}")["ETag"]
    assert (
        partner_api.patch(f"/api/v1/profiles/{profile.pk}", {"capacity": 3}, headers={"If-Match": etag}).status_code
        == 200
    )
    response = partner_api.patch(f"/api/v1/profiles/{profile.pk}", {"capacity": 9}, headers={"If-Match": etag})
    assert response.status_code == 412
    assert BusinessProfile.objects.get(pk=profile.pk).capacity == 3
    assert partner_api.delete(f"/api/v1/profiles/{profile.pk}", headers={"If-Match": etag}).status_code == 412
    assert BusinessProfile.objects.filter(pk=profile.pk).exists()


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"country": "AT"},
            {"country": "The country of a profile cannot change. Create a profile for the other country."},
        ),
        ({"locations": None}, {"locations": "Send a list (it may be empty)."}),
        (
            {"locations": [{"id": 999999, "city": "Bonn", "lat": 50.7, "lon": 7.1}]},
            {"locations.0.id": "This is not a location of this profile; leave the id out to add one."},
        ),
        ({"only_target_sizes": True}, {"target_sizes": "Choose the target sizes, or turn off only_target_sizes."}),
    ],
)
def test_an_invalid_patch_is_422_and_changes_nothing(partner_api, profile, change, errors):
    before = counting.rows()
    seen = partner_api.get(f"/api/v1/profiles/{profile.pk}").json()
    response = partner_api.patch(f"/api/v1/profiles/{profile.pk}", change)
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == errors
    assert counting.rows() == before
    assert partner_api.get(f"/api/v1/profiles/{profile.pk}").json() == seen


def test_a_patch_body_that_is_not_an_object_is_422(partner_api, profile):
    response = partner_api.patch(f"/api/v1/profiles/{profile.pk}", [1, 2])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body", "message": "Value error, Send a JSON object with the fields to change."}
    ]


def test_a_profile_without_referrals_is_deleted(partner_api, profile):
    created = partner_api.post("/api/v1/profiles", AUSTRIA).json()
    assert partner_api.delete(f"/api/v1/profiles/{created['id']}").status_code == 204
    assert not BusinessProfile.objects.filter(pk=created["id"]).exists()
    assert not Location.objects.filter(profile_id=created["id"]).exists()
    assert partner_api.get(f"/api/v1/profiles/{created['id']}").status_code == 404


def test_a_profile_with_referrals_cannot_be_deleted_pause_it_instead(partner_api, profile):
    factories.referral(profile, now=timezone.now())
    before = counting.rows()
    response = partner_api.delete(f"/api/v1/profiles/{profile.pk}")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This profile has referrals, so it cannot be deleted. Pause it instead (status: paused)."
    )
    assert counting.rows() == before


def test_another_partners_profile_is_404_for_read_change_and_delete(partner_api):
    theirs = factories.profile(country="FR")
    before = counting.rows()
    seen = BusinessProfile.objects.values().get(pk=theirs.pk)
    for response in (
        partner_api.get(f"/api/v1/profiles/{theirs.pk}"),
        partner_api.patch(f"/api/v1/profiles/{theirs.pk}", {"description": "Mine now"}),
        partner_api.delete(f"/api/v1/profiles/{theirs.pk}"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "No such business profile."
    assert counting.rows() == before
    assert BusinessProfile.objects.values().get(pk=theirs.pk) == seen


@pytest.mark.parametrize("role", [Role.REFERRALS_USER, Role.AGENT, Role.PROGRAMME_ADMIN])
def test_only_a_partners_referrals_admin_or_profile_admin_manages_profiles(profile, role):
    partner = profile.partner if role == Role.REFERRALS_USER else None
    caller = client_for(factories.user(partner, role=role, email="caller@example.com"))
    before = counting.rows()
    seen = BusinessProfile.objects.values().get(pk=profile.pk)
    for response in (
        caller.get("/api/v1/profiles"),
        caller.post("/api/v1/profiles", AUSTRIA),
        caller.get(f"/api/v1/profiles/{profile.pk}"),
        caller.patch(f"/api/v1/profiles/{profile.pk}", {"description": "Changed"}),
        caller.delete(f"/api/v1/profiles/{profile.pk}"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "Only a partner's referrals admin or profile admin can manage business profiles."
        )
    assert counting.rows() == before
    assert BusinessProfile.objects.values().get(pk=profile.pk) == seen


def test_a_profile_admin_edits_the_profiles(profile):
    editor = client_for(factories.user(profile.partner, role=Role.PROFILE_ADMIN, email="profiles@partner.example"))
    response = editor.patch(f"/api/v1/profiles/{profile.pk}", {"keywords": ["Exchange Online"]})
    assert response.status_code == 200
    assert BusinessProfile.objects.get(pk=profile.pk).keywords == ["Exchange Online"]
    assert ProfileContact.objects.filter(profile=profile).count() == 1


def test_json_types_are_taken_as_sent_false_is_not_zero(partner_api, profile):
    before = counting.rows()
    response = partner_api.post("/api/v1/profiles", AUSTRIA | {"capacity": False, "only_target_sizes": "yes"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["only_target_sizes", "capacity"]
    assert counting.rows() == before


def test_an_empty_patch_changes_nothing_not_even_the_etag(partner_api, profile):
    etag = partner_api.get(f"/api/v1/profiles/{profile.pk}")["ETag"]
    response = partner_api.patch(f"/api/v1/profiles/{profile.pk}", {}, headers={"If-Match": etag})
    assert (response.status_code, response["ETag"]) == (200, etag)
