"""finder.in_memory and finder.in_database: a search gives the same page, total and facet counts whichever
runs it, on every database (the snapshot serves; the database answers while it is built)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finder import engine, freshness, plans
from finder.search import Criteria, search
from partners.models import BusinessProfile
from tests.factories import NOW
from tests.finder.profiles import counters, make

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory() -> list[int]:
    """Profiles sharing words, places, tags and sizes in many ways, some with history."""
    rows = [
        ("Alpha", "RU", "Moscow", ["облачное решение", "crm"], "Миграция почты в облако", ["finance"], ["10-49"]),
        ("Beta", "RU", "Podolsk", ["облачное решение"], "", ["retail"], []),
        ("Gamma", "RU", "Tver", ["миграция почты"], "Облачные решения", ["finance", "retail"], ["5000+"]),
        ("Delta", "DE", "Berlin", ["email migration", "crm"], "Cloud solutions", ["finance"], ["10-49", "50-249"]),
        ("Epsilon", "DE", "Potsdam", ["cloud solutions"], "We migrate email", [], ["50-249"]),
        ("Zeta", "DE", "Munich", ["crm"], "", ["retail"], []),
        ("Eta", "FR", "Paris", ["email migration"], "crm", ["finance"], ["10-49"]),
        ("Theta", "RU", "Moscow", ["crm", "erp", "облачное решение", "резервное копирование"], "", [], []),
    ]
    made = []
    for i, (name, country, city, keywords, description, industries, sizes) in enumerate(rows):
        profile = make(
            name,
            country=country,
            city=city,
            keywords=keywords,
            description=description,
            industries=industries,
            sizes=sizes,
            only_target_sizes=i % 3 == 0,
            languages=["ru"] if country == "RU" else ["en"],
        )
        if i % 2:
            counters(profile, received=i + 2, answered=i, answered_within_24h=i // 2, missed=1)
        made.append(profile.pk)
    # Partners with a profile in another country too: each shows once, by its nearest (or best-ranked) profile.
    alpha, delta = BusinessProfile.objects.get(pk=made[0]), BusinessProfile.objects.get(pk=made[3])
    also = [
        (alpha.partner, "DE", "Potsdam", ["crm", "email migration"], "Cloud", ["finance"], []),
        (delta.partner, "RU", "Tver", ["crm"], "Облачные решения", ["retail"], ["10-49"]),
        (delta.partner, "FR", "Paris", ["cloud solutions"], "", [], []),
    ]
    for partner, country, city, keywords, description, industries, sizes in also:
        profile = make(
            partner.name,
            country=country,
            city=city,
            keywords=keywords,
            description=description,
            industries=industries,
            sizes=sizes,
            partner=partner,
            languages=["ru"] if country == "RU" else ["en"],
        )
        made.append(profile.pk)
    counters(BusinessProfile.objects.get(pk=made[-1]), received=4, answered=4, answered_within_24h=4)
    return made


WORDS = st.sampled_from(["", "crm", "облачные решения", "email migration", "миграция", "cloud", "erp crm", "nothing"])
PLACES = st.sampled_from([("", "", None), ("RU", "Moscow", 100.0), ("DE", "Berlin", 50.0), ("", "Moscow", 2000.0)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=WORDS,
    place=PLACES,
    country=st.sampled_from(["", "RU", "DE"]),
    size=st.sampled_from(["", "10-49", "50-249", "5000+"]),
    industry=st.sampled_from(["", "finance", "retail"]),
    language=st.sampled_from(["", "ru", "en"]),
    excluded=st.integers(min_value=0, max_value=3),
    offset=st.sampled_from([None, 2]),
)
def test_the_snapshot_and_the_database_give_the_same_page_total_and_facets(
    directory: list[int], q, place, country, size, industry, language, excluded, offset
) -> None:  # type: ignore[no-untyped-def]
    place_country, city, radius = place
    criteria = Criteria(
        q=q,
        country=place_country if city else country,
        city=city,
        radius_km=radius,
        size=size,
        industry=industry,
        language=language,
        exclude_profiles=frozenset(directory[:excluded]),
    )
    cursor = None
    if offset:
        cursor = search(criteria, NOW, limit=offset).next_cursor
        if cursor is None:
            return
    plan = plans.plan(criteria, cursor, 3)
    found = freshness.current()
    assert found is not None
    assert engine.run_in_memory(plan, found) == engine.run_in_database(plan)


def test_among_equal_scores_the_more_specialised_profile_comes_first(directory: list[int]) -> None:
    generalist = make("Generalist", keywords=["backup", "erp", "crm", "email hosting"])
    specialist = make("Specialist", keywords=["backup"])
    plan = plans.plan(Criteria(q="backup"), None, 20)
    found = freshness.current()
    assert found is not None
    assert engine.run_in_memory(plan, found)[0] == engine.run_in_database(plan)[0] == [specialist.pk, generalist.pk]
