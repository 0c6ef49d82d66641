"""Routing reads a profile as plain values: its fields, its places in order, its tags' codes and names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching import profiles
from partners.models import Location
from taxonomy.models import CompanySize, Industry, Product, ServiceType
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_profile_is_read_with_its_places_in_order_and_its_tags_codes_and_english_names():
    profile = factories.profile(capacity=3, languages=["en", "ru"], keywords=["cloud email migration"])
    Location.objects.create(profile=profile, city="Hamburg", address="Hafen 1", lat=53.55, lon=9.99)
    profile.industries.set([Industry.objects.get(code="manufacturing")])
    profile.products.set([Product.objects.get(code="office-suite"), Product.objects.get(code="crm")])
    profile.services.set([ServiceType.objects.get(code="migration")])
    profile.target_sizes.set([CompanySize.objects.get(code="50-249")])
    bare = factories.profile()

    with CaptureQueriesContext(connection) as reads:
        found = profiles.read([profile.pk, bare.pk, 10**9])

    facts = found[profile.pk]
    assert list(found) == [profile.pk, bare.pk] and len(reads.captured_queries) == 6
    assert (facts.partner_id, facts.country, facts.capacity, facts.only_target_sizes) == (
        profile.partner_id,
        "DE",
        3,
        False,
    )
    assert (facts.keywords, facts.languages, facts.description) == (
        ("cloud email migration",),
        ("en", "ru"),
        "We move mail to the cloud.",
    )
    assert facts.places == ((52.52, 13.405), (53.55, 9.99))
    assert facts.codes == {
        "industries": {"manufacturing"},
        "products": {"crm", "office-suite"},
        "services": {"migration"},
        "target_sizes": {"50-249"},
    }
    assert facts.tag_names == ("Manufacturing", "CRM", "Office suite and email", "Migration")
    assert (found[bare.pk].codes, found[bare.pk].tag_names) == ({}, ())
