"""finder.in_memory: the page ranked over the snapshot is the order each hit's score, computed again in Python
to explain it, gives; totals count partners; a cursor continues where the page before stopped."""

from __future__ import annotations

import numpy as np
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
)
def test_the_snapshot_orders_every_result_by_the_score_that_explains_it_and_pages_continue_it(
    directory: list[int], q, place, country, size, industry, language, excluded
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
    everything = search(criteria, NOW, limit=100)
    scores = [hit.score for hit in everything.hits]
    assert scores == sorted(scores, reverse=True)
    partners = BusinessProfile.objects.filter(pk__in=[h.profile_id for h in everything.hits])
    assert everything.total == len(everything.hits) == len({p.partner_id for p in partners})
    assert not {h.profile_id for h in everything.hits} & criteria.exclude_profiles
    first = search(criteria, NOW, limit=2)
    rest = search(criteria, NOW, cursor=first.next_cursor, limit=100).hits if first.next_cursor else []
    assert [h.profile_id for h in [*first.hits, *rest]] == [h.profile_id for h in everything.hits]


def test_among_equal_scores_the_more_specialised_profile_comes_first(directory: list[int]) -> None:
    generalist = make("Generalist", keywords=["backup", "erp", "crm", "email hosting"])
    specialist = make("Specialist", keywords=["backup"])
    plan = plans.plan(Criteria(q="backup"), None, 20)
    neutral = engine.run_in_memory(plan, freshness.current(), lambda ids: np.full(len(ids), 0.5))
    theta = directory[7]  # "резервное копирование": backup by meaning, no word in common, so after both
    assert neutral[0] == [specialist.pk, generalist.pk, theta]
