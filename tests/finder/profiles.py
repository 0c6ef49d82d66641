"""Hand-made business profiles for the finder's tests, placed at real cities of the bundled list."""

from __future__ import annotations

from collections.abc import Sequence

from partners import cities
from partners.models import BusinessProfile, Location, Partner
from referrals.models import ProfileResponsiveness


def make(
    name: str,
    country: str = "DE",
    city: str = "Berlin",
    keywords: Sequence[str] = (),
    description: str = "",
    industries: Sequence[str] = (),
    products: Sequence[str] = (),
    services: Sequence[str] = (),
    sizes: Sequence[str] = (),
    only_target_sizes: bool = False,
    languages: Sequence[str] = ("en",),
    status: str = BusinessProfile.Status.ACTIVE,
    partner: Partner | None = None,
) -> BusinessProfile:
    """`partner`: another profile of that partner (in another country), else a new partner named `name`."""
    partner = partner or Partner.objects.create(name=name, country=country)
    profile = BusinessProfile.objects.create(
        partner=partner,
        country=country,
        description=description,
        keywords=list(keywords),
        languages=list(languages),
        only_target_sizes=only_target_sizes,
        status=status,
    )
    place = cities.lookup(country, city)
    assert place is not None, city
    Location.objects.create(profile=profile, city=place.name, lat=place.lat, lon=place.lon)
    profile.industries.set(industries)
    profile.products.set(products)
    profile.services.set(services)
    profile.target_sizes.set(sizes)
    return profile


def counters(profile: BusinessProfile, **values: int) -> None:
    """Set the responsiveness counters (as the referral services would have) and refresh the index's prior."""
    from finder.indexing import refresh_priors

    ProfileResponsiveness.objects.update_or_create(profile=profile, defaults=values)
    refresh_priors([profile.pk])
