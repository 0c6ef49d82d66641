"""Business profile pages: the editor saves through partners.services, names each bad field, and keeps
every partner to its own profiles."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from partners import cities
from partners.models import BusinessProfile, Role
from partners.services import profile_version
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_client(client, profile):  # type: ignore[no-untyped-def]
    client.force_login(factories.user(profile.partner, role=Role.PROFILE_ADMIN, email="profiles@partner.example"))
    return client


def form(profile: BusinessProfile, **overrides: Any) -> dict[str, Any]:
    """The editor's fields as a browser posts them, for the profile as it is."""
    data: dict[str, Any] = {"country": profile.country, "version": str(profile_version(profile)), "status": "active"}
    for i, loc in enumerate(profile.locations.all()):
        data |= {f"location-{i}-id": str(loc.pk), f"location-{i}-city": loc.city, f"location-{i}-address": loc.address}
    for i, c in enumerate(profile.contacts.all()):
        data |= {f"contact-{i}-name": c.name, f"contact-{i}-email": c.email, f"contact-{i}-language": c.language}
    data["description"] = profile.description
    return data | overrides


def image(kind: str, size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind)
    return out.getvalue()


def snapshot(profile: BusinessProfile) -> dict[str, Any]:
    profile = BusinessProfile.objects.get(pk=profile.pk)
    return {
        "updated_at": profile.updated_at,
        "locations": list(profile.locations.values_list("city", "address", "lat", "lon")),
        "contacts": list(profile.contacts.values_list("email", flat=True)),
        "industries": sorted(profile.industries.values_list("code", flat=True)),
        "logo": profile.logo.name,
        "description": profile.description,
    }


# --- The city list ---------------------------------------------------------------------------------


def test_the_bundled_city_list_knows_berlin_with_its_coordinates():
    berlin = cities.lookup("DE", "Berlin")
    assert berlin is not None
    assert (berlin.name, berlin.country) == ("Berlin", "DE")
    assert berlin.lat == pytest.approx(52.52, abs=0.01)
    assert berlin.lon == pytest.approx(13.40, abs=0.02)


def test_the_city_list_finds_a_city_by_its_russian_name_and_ignores_accents():
    assert cities.lookup("RU", "Москва").name == "Moscow"  # type: ignore[union-attr]
    assert cities.lookup("CH", "zurich").name == "Zürich"  # type: ignore[union-attr]


def test_the_city_autocomplete_offers_the_cities_of_the_chosen_country_with_coordinates(admin_client):
    german = admin_client.get("/profiles/cities/", {"country": "DE", "location-0-city": "Berl"}).content.decode()
    assert '<option value="Berlin">Berlin · 52.5244, 13.4105</option>' in german
    austrian = admin_client.get("/profiles/cities/", {"country": "AT", "location-0-city": "Berl"}).content.decode()
    assert "Berlin" not in austrian


# --- Creating and editing ------------------------------------------------------------------------


def test_a_profile_admin_creates_a_profile_whose_city_is_resolved_from_the_list(admin_client, profile):
    response = admin_client.post(
        "/profiles/new/",
        {
            "country": "AT",
            "location-0-city": "Wien",
            "location-0-address": "Ringstraße 1",
            "contact-0-name": "Leads",
            "contact-0-email": "Leads@Partner.example",
            "contact-0-language": "ru",
            "industries": ["retail", "manufacturing"],
            "target_sizes": ["50-249"],
            "only_target_sizes": "on",
            "keywords": "Exchange\nTeams rollout, Exchange",
            "languages": "de, EN",
            "capacity": "12",
            "status": "paused",
        },
    )
    created = BusinessProfile.objects.get(partner=profile.partner, country="AT")
    assert response.status_code == 302
    assert response["Location"] == f"/profiles/{created.pk}/"
    [vienna] = created.locations.all()
    assert (vienna.city, vienna.address) == ("Vienna", "Ringstraße 1")
    assert (vienna.lat, vienna.lon) == (cities.lookup("AT", "Vienna").lat, cities.lookup("AT", "Vienna").lon)  # type: ignore[union-attr]
    assert vienna.lat == pytest.approx(48.21, abs=0.01)
    assert list(created.contacts.values_list("name", "email", "language")) == [("Leads", "leads@partner.example", "ru")]
    assert sorted(created.industries.values_list("code", flat=True)) == ["manufacturing", "retail"]
    assert list(created.target_sizes.values_list("code", flat=True)) == ["50-249"]
    assert created.only_target_sizes is True
    assert created.keywords == ["Exchange", "Teams rollout"]
    assert created.languages == ["de", "en"]
    assert (created.capacity, created.status) == (12, "paused")


def test_a_second_profile_in_the_same_country_is_refused_and_nothing_is_created(admin_client, profile):
    response = admin_client.post(
        "/profiles/new/", {"country": "DE", "location-0-city": "Hamburg", "contact-0-email": "x@partner.example"}
    )
    assert response.status_code == 409
    assert "Your organisation already has a profile in Germany. Edit that one instead." in response.content.decode()
    assert BusinessProfile.objects.filter(partner=profile.partner).count() == 1
    assert not profile.locations.filter(city="Hamburg").exists()


def test_a_country_that_is_not_in_the_list_is_refused_and_nothing_is_created(admin_client, profile):
    response = admin_client.post(
        "/profiles/new/", {"country": "XX", "location-0-city": "Berlin", "contact-0-email": "x@partner.example"}
    )
    assert response.status_code == 422
    assert "Choose a country from the list." in response.content.decode()
    assert BusinessProfile.objects.filter(partner=profile.partner).count() == 1


def test_the_editor_adds_a_location_keeps_the_existing_one_and_shows_its_coordinates(admin_client, profile):
    berlin = profile.locations.get()
    response = admin_client.post(
        f"/profiles/{profile.pk}/",
        form(profile, **{"location-1-city": "Hamburg", "website": "https://partner.example", "capacity": ""}),
    )
    assert response.status_code == 302
    hamburg = profile.locations.get(city="Hamburg")
    assert list(profile.locations.values_list("id", "city")) == [(berlin.pk, "Berlin"), (hamburg.pk, "Hamburg")]
    assert (hamburg.lat, hamburg.lon) == (53.55073, 9.99302)
    page = admin_client.get(f"/profiles/{profile.pk}/").content.decode()
    assert "Coordinates: 53.5507, 9.9930" in page
    assert "Your changes are saved." in page
    profile.refresh_from_db()
    assert profile.website == "https://partner.example"
    assert profile.capacity is None


def test_a_sixth_location_is_refused_by_the_field_and_nothing_changes(admin_client, profile):
    before = snapshot(profile)
    rows = {
        f"location-{i}-city": city for i, city in enumerate(["Berlin", "Hamburg", "Munich", "Cologne", "Bonn", "Essen"])
    }
    data = form(profile) | rows
    data.pop("location-0-id")
    response = admin_client.post(f"/profiles/{profile.pk}/", data)
    assert response.status_code == 422
    assert "A profile has at most 5 locations." in response.content.decode()
    assert snapshot(profile) == before


def test_six_industries_are_refused_by_the_field_and_nothing_changes(admin_client, profile):
    before = snapshot(profile)
    six = ["retail", "manufacturing", "finance", "healthcare", "education", "government"]
    from taxonomy.models import Industry

    assert Industry.objects.filter(code__in=six).count() == 6
    response = admin_client.post(f"/profiles/{profile.pk}/", form(profile, industries=six))
    assert response.status_code == 422
    page = response.content.decode()
    assert '<small id="industries-error">Choose at most 5 industries: fewer, precise tags match better.</small>' in page
    assert snapshot(profile) == before


def test_a_city_that_is_not_in_the_list_is_refused_by_the_field_and_nothing_changes(admin_client, profile):
    before = snapshot(profile)
    response = admin_client.post(
        f"/profiles/{profile.pk}/", form(profile, **{"location-1-city": "Atlantis", "website": "ftp://x"})
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Pick the city from the list of cities of this country." in page
    assert "Enter a web address starting with https:// or http://." in page  # every bad field at once
    assert snapshot(profile) == before


def test_a_png_logo_is_stored_under_a_new_name_and_served_to_the_partner(admin_client, profile):
    upload = SimpleUploadedFile("logo.png", image("PNG"), content_type="image/png")
    response = admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.logo.name.startswith("logos/") and profile.logo.name.endswith(".png")
    served = admin_client.get(f"/profiles/{profile.pk}/logo/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == image("PNG")


def test_the_logo_can_be_removed(admin_client, profile):
    upload = SimpleUploadedFile("logo.png", image("PNG"), content_type="image/png")
    admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload))
    profile.refresh_from_db()
    assert profile.logo
    assert admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo_remove="on")).status_code == 302
    profile.refresh_from_db()
    assert profile.logo.name == ""
    assert admin_client.get(f"/profiles/{profile.pk}/logo/").status_code == 404


def test_a_webp_logo_named_jpg_is_stored_as_webp_by_its_content(admin_client, profile):
    upload = SimpleUploadedFile("logo.jpg", image("WEBP"), content_type="image/jpeg")
    assert admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload)).status_code == 302
    profile.refresh_from_db()
    assert profile.logo.name.endswith(".webp")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),  # an SVG named .png
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("logo.png", b"not an image at all"),
    ],
)
def test_a_logo_that_is_not_png_jpeg_or_webp_by_content_is_refused_and_nothing_changes(
    admin_client, profile, name, content
):
    before = snapshot(profile)
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload, description="Changed"))
    assert response.status_code == 422
    assert (
        "Upload the logo as a PNG, JPEG or WebP image (SVG and other files are refused)." in response.content.decode()
    )
    assert snapshot(profile) == before


def test_a_logo_over_1_mb_is_refused_and_nothing_changes(admin_client, profile):
    before = snapshot(profile)
    big = image("PNG") + b"\0" * (1024 * 1024)
    upload = SimpleUploadedFile("logo.png", big, content_type="image/png")
    response = admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload))
    assert response.status_code == 422
    assert "The logo is larger than 1 MB. Upload a smaller PNG, JPEG or WebP image." in response.content.decode()
    assert snapshot(profile) == before


def test_an_edit_from_a_stale_page_is_refused_and_nothing_changes(admin_client, profile):
    stale = form(profile, description="Old tab")
    assert admin_client.post(f"/profiles/{profile.pk}/", form(profile, description="New tab")).status_code == 302
    before = snapshot(profile)
    response = admin_client.post(f"/profiles/{profile.pk}/", stale, follow=True)
    assert "Someone changed this profile while you were editing." in response.content.decode()
    assert snapshot(profile) == before
    assert before["description"] == "New tab"


def test_pause_and_resume_from_the_list(admin_client, profile):
    admin_client.post(f"/profiles/{profile.pk}/status/", {"status": "paused"})
    profile.refresh_from_db()
    assert profile.status == "paused"
    page = admin_client.get("/profiles/").content.decode()
    assert "Resume" in page
    admin_client.post(f"/profiles/{profile.pk}/status/", {"status": "active"})
    profile.refresh_from_db()
    assert profile.status == "active"


def test_the_list_shows_only_the_partners_own_profiles(admin_client, profile):
    factories.profile(country="FR", city="Paris")
    page = admin_client.get("/profiles/").content.decode()
    assert "Germany (DE)" in page
    assert "France" not in page


# --- Roles and tenancy -------------------------------------------------------------------------


def test_a_referrals_admin_may_edit_profiles_too(client, profile):
    client.force_login(factories.user(profile.partner, role=Role.REFERRALS_ADMIN))
    assert client.get(f"/profiles/{profile.pk}/").status_code == 200


def test_another_partners_profile_edit_url_is_not_found_and_a_post_changes_nothing(admin_client):
    other = factories.profile(country="FR", city="Paris")
    before = snapshot(other)
    assert admin_client.get(f"/profiles/{other.pk}/").status_code == 404
    assert admin_client.post(f"/profiles/{other.pk}/", form(other, description="Hijacked")).status_code == 404
    assert admin_client.post(f"/profiles/{other.pk}/status/", {"status": "paused"}).status_code == 404
    assert admin_client.get(f"/profiles/{other.pk}/logo/").status_code == 404
    assert snapshot(other) == before
    assert BusinessProfile.objects.get(pk=other.pk).status == "active"


@pytest.mark.parametrize("role", [Role.REFERRALS_USER, Role.AGENT])
def test_a_user_who_does_not_manage_profiles_is_forbidden_and_changes_nothing(client, profile, role):
    user = factories.user(profile.partner if role == Role.REFERRALS_USER else None, role=role)
    client.force_login(user)
    before = snapshot(profile)
    assert client.get("/profiles/").status_code == 403
    assert client.get("/profiles/new/?country=AT").status_code == 403
    assert client.post("/profiles/new/", {"country": "AT", "location-0-city": "Wien"}).status_code == 403
    assert client.get("/profiles/cities/?country=DE&q=Ber").status_code == 403
    assert client.get(f"/profiles/{profile.pk}/").status_code == 403
    assert client.post(f"/profiles/{profile.pk}/", form(profile, description="x")).status_code == 403
    assert client.post(f"/profiles/{profile.pk}/status/", {"status": "paused"}).status_code == 403
    assert snapshot(profile) == before
    assert not BusinessProfile.objects.filter(country="AT").exists()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, profile):
    response = client.get("/profiles/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_editor_speaks_the_users_language_russian_with_its_field_errors(client, profile):
    client.force_login(factories.user(profile.partner, role=Role.PROFILE_ADMIN, language="ru"))
    page = client.get(f"/profiles/{profile.pk}/").content.decode()
    assert "Контакты для уведомлений о рекомендациях" in page
    assert "Сохранить профиль" in page
    refused = client.post(f"/profiles/{profile.pk}/", form(profile, website="ftp://x")).content.decode()
    assert "Введите адрес сайта, начинающийся с https:// или http://." in refused


def test_a_replaced_logo_file_is_deleted_once_the_change_is_committed(
    admin_client, profile, django_capture_on_commit_callbacks
):
    first = SimpleUploadedFile("logo.png", image("PNG"), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=first))
    profile.refresh_from_db()
    old = profile.logo.name
    assert profile.logo.storage.exists(old)
    second = SimpleUploadedFile("logo.webp", image("WEBP"), content_type="image/webp")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=second)).status_code == 302
    profile.refresh_from_db()
    assert len(callbacks) == 1
    assert not profile.logo.storage.exists(old)
    assert profile.logo.storage.exists(profile.logo.name)


def test_a_removed_logo_file_is_deleted_and_a_refused_change_keeps_it(
    admin_client, profile, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("logo.png", image("PNG"), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo=upload))
    profile.refresh_from_db()
    name = profile.logo.name
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo_remove="on", website="ftp://x"))
    assert refused.status_code == 422
    assert callbacks == []
    assert profile.logo.storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/profiles/{profile.pk}/", form(profile, logo_remove="on"))
    assert not profile.logo.storage.exists(name)
