"""finder.search.search: words, filters, facets, pages and order, on hand-made profiles."""

from __future__ import annotations

import pytest
from django.utils import translation

from finder.models import SearchEntry
from finder.search import Criteria, InvalidCriteria, search
from partners.models import BusinessProfile, Partner
from tests.factories import NOW
from tests.finder.profiles import counters, make

pytestmark = pytest.mark.django_db


def names(criteria: Criteria, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.partner_name for hit in search(criteria, NOW, **kwargs).hits]


def test_russian_words_find_other_forms_of_them():
    make("Cloudy", keywords=["облачное решение"])
    make("Other", keywords=["бухгалтерия"])
    assert names(Criteria(q="облачные решения")) == ["Cloudy"]


def test_english_words_find_other_forms_of_them_in_any_order():
    make("Movers", keywords=["email migration"])
    make("Other", keywords=["accounting"])
    assert names(Criteria(q="migrating email")) == ["Movers"]


def test_every_word_of_the_query_must_be_found():
    make("Both", keywords=["email migration"])
    make("Half", keywords=["email hosting"])
    assert names(Criteria(q="email migration")) == ["Both"]


def test_words_in_the_description_and_in_tag_labels_are_found_too():
    make("Described", description="Мы переносим почту в облако.")
    make("Tagged", industries=["finance"])
    assert names(Criteria(q="перенос почты")) == ["Described"]
    assert names(Criteria(q="financial")) == ["Tagged"]
    assert names(Criteria(q="финансовые услуги")) == ["Tagged"]


def test_query_syntax_in_the_words_is_taken_literally():
    make("Quoted", keywords=["email migration"])
    assert names(Criteria(q='"email" OR NEAR(migration*')) == []
    assert names(Criteria(q="email AND migration")) == ["Quoted"]  # "and" is a stop word, not an operator
    assert names(Criteria(q="email' & migration")) == ["Quoted"]


def test_filters_by_country_industry_product_service_and_language():
    make("Right", country="DE", industries=["finance"], products=["crm"], services=["migration"], languages=["de"])
    make("Wrong country", country="FR", city="Paris", industries=["finance"], products=["crm"], languages=["de"])
    make("Wrong industry", industries=["retail"], products=["crm"], services=["migration"], languages=["de"])
    make("Wrong language", industries=["finance"], products=["crm"], services=["migration"], languages=["en"])
    criteria = Criteria(country="DE", industry="finance", product="crm", service="migration", language="de")
    assert names(criteria) == ["Right"]


def test_a_profile_that_opted_out_of_the_size_never_shows_and_size_blind_ones_do():
    make("Small only", sizes=["1-9"], only_target_sizes=True, keywords=["crm"])
    make("Prefers small", sizes=["1-9"], only_target_sizes=False, keywords=["crm"])
    make("Anyone", keywords=["crm"])
    assert sorted(names(Criteria(q="crm", size="5000+"))) == ["Anyone", "Prefers small"]
    assert names(Criteria(q="crm", size="1-9"))[0] in {"Small only", "Prefers small"}
    assert len(names(Criteria(q="crm", size="1-9"))) == 3


def test_paused_profiles_and_suspended_partners_never_appear():
    make("Active", keywords=["crm"])
    make("Paused", keywords=["crm"], status=BusinessProfile.Status.PAUSED)
    suspended = make("Suspended", keywords=["crm"])
    suspended.partner.status = Partner.Status.SUSPENDED
    suspended.partner.save()
    assert names(Criteria(q="crm")) == ["Active"]
    assert names(Criteria()) == ["Active"]


def test_a_radius_keeps_the_profiles_within_it_by_great_circle_distance():
    make("Moscow", country="RU", city="Moscow", keywords=["crm"])
    make("Podolsk", country="RU", city="Podolsk", keywords=["crm"])  # about 38 km from Moscow's centre
    make("Tver", country="RU", city="Tver", keywords=["crm"])  # about 160 km
    results = search(Criteria(q="crm", country="RU", city="Москва", radius_km=50), NOW)
    assert [(h.partner_name, h.city) for h in results.hits] == [("Moscow", "Moscow"), ("Podolsk", "Podolsk")]
    assert [round(h.distance_km or 0) for h in results.hits] == [0, 37]
    assert names(Criteria(country="RU", city="Moscow", radius_km=200)) == ["Moscow", "Podolsk", "Tver"]


def test_a_closer_profile_outranks_a_farther_one_otherwise_equal():
    make("Farther", country="RU", city="Tver", keywords=["crm"])
    make("Closer", country="RU", city="Podolsk", keywords=["crm"])
    assert names(Criteria(q="crm", country="RU", city="Moscow", radius_km=300)) == ["Closer", "Farther"]


def test_a_responsive_profile_outranks_an_otherwise_equal_unresponsive_one():
    slow = make("Slow", keywords=["crm"])
    quick = make("Quick", keywords=["crm"])
    counters(slow, received=10, answered=3, answered_within_24h=1, missed=7)
    counters(quick, received=10, answered=10, answered_within_24h=9)
    assert names(Criteria(q="crm")) == ["Quick", "Slow"]


def test_a_new_profile_gets_a_fair_place_between_responsive_and_unresponsive_ones():
    slow, new, quick = make("Slow", keywords=["crm"]), make("New", keywords=["crm"]), make("Quick", keywords=["crm"])
    counters(slow, received=6, missed=6)
    counters(quick, received=6, answered=6, answered_within_24h=6)
    assert new.pk and names(Criteria(q="crm")) == ["Quick", "New", "Slow"]


def test_each_hit_explains_its_score():
    make("Tagged", country="RU", city="Moscow", keywords=["crm"], sizes=["10-49"])
    hit = search(Criteria(q="crm", country="RU", city="Moscow", size="10-49"), NOW).hits[0]
    assert [c.signal for c in hit.why] == [
        "tags",
        "text",
        "meaning",
        "proximity",
        "size_fit",
        "responsiveness",
        "outcomes",
        "fit",
    ]
    assert [c.label for c in hit.why] == [
        "Its tags and keywords match 1 of 1 search word",
        "Its description matches 0 of 1 search word",
        "Its keyword “crm” means what you searched for (100% alike)",
        "0 km from Moscow",
        "Targets companies of this size",
        "New to referrals: a fair, neutral start",
        "No closed deals yet: neutral",
        "No answers to deals like this yet: neutral",
    ]
    assert hit.score == pytest.approx(sum(c.points for c in hit.why), abs=1e-3)
    assert hit.tags == ["crm"]


def test_facets_count_what_each_value_would_leave_with_the_other_filters_kept():
    make("DE finance", country="DE", industries=["finance"])
    make("DE retail", country="DE", industries=["retail"])
    make("DE both", country="DE", industries=["finance", "retail"])
    make("FR finance", country="FR", city="Paris", industries=["finance"])
    results = search(Criteria(country="DE", industry="finance"), NOW)
    assert sorted(h.partner_name for h in results.hits) == ["DE both", "DE finance"]
    assert results.total == 2
    facets = {name: {v.code: v.count for v in values} for name, values in results.facets.items()}
    assert facets["country"] == {"DE": 2, "FR": 1}  # finance kept
    assert facets["industry"] == {"finance": 2, "retail": 2}  # DE kept
    assert facets["language"] == {"en": 2}
    assert facets["size"] == dict.fromkeys(("1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"), 2)


def test_a_chosen_value_with_no_results_still_shows_in_its_facet():
    make("DE", country="DE")
    results = search(Criteria(country="DE", industry="education"), NOW)
    assert results.total == 0
    assert [(v.code, v.count) for v in results.facets["industry"]] == [("education", 0)]
    assert [(v.code, v.label, v.count) for v in results.facets["country"]] == [("DE", "Germany", 0)]


def test_pages_follow_each_other_with_the_cursor_until_the_last():
    for i in range(5):
        make(f"P{i}", keywords=["crm"])
    first = search(Criteria(q="crm"), NOW, limit=2)
    second = search(Criteria(q="crm"), NOW, cursor=first.next_cursor, limit=2)
    third = search(Criteria(q="crm"), NOW, cursor=second.next_cursor, limit=2)
    seen = [h.partner_name for page in (first, second, third) for h in page.hits]
    assert seen == ["P0", "P1", "P2", "P3", "P4"]
    assert (first.total, third.next_cursor) == (5, None)


@pytest.mark.parametrize("cursor", ["nonsense", "eyJvIjotMX0", "", "e30"])
def test_a_cursor_that_is_not_ours_is_refused_by_its_field(cursor):
    make("One", keywords=["crm"])
    if not cursor:
        assert names(Criteria(q="crm"), cursor=cursor) == ["One"]  # no cursor: the first page
        return
    with pytest.raises(InvalidCriteria) as error:
        search(Criteria(q="crm"), NOW, cursor=cursor)
    assert list(error.value.errors) == ["cursor"]


def test_a_cursor_of_another_search_is_refused():
    for i in range(3):
        make(f"P{i}", keywords=["crm", "erp"])
    cursor = search(Criteria(q="crm"), NOW, limit=1).next_cursor
    with pytest.raises(InvalidCriteria) as error:
        search(Criteria(q="erp"), NOW, cursor=cursor, limit=1)
    assert error.value.errors == {"cursor": "This cursor is not valid for this search. Start again without it."}


@pytest.mark.parametrize(
    ("criteria", "errors"),
    [
        (Criteria(city="Atlantis", country="DE"), {"city": "We do not know this city. Choose one from the list."}),
        (
            Criteria(city="Berlin", radius_km=-1),
            {"radius_km": "The radius is a number of kilometres from 0 to 20040."},
        ),
        (Criteria(radius_km=10), {"radius_km": "Choose a city to search around."}),
        (Criteria(size="huge"), {"size": "Unknown size: huge."}),
        (
            Criteria(industry="mining", country="Germany"),
            {
                "industry": "Unknown industry: mining.",
                "country": "Use the two-letter country code, such as DE or RU.",
            },
        ),
        (Criteria(language="english"), {"language": "Use a two-letter language code, such as en or ru."}),
        (
            Criteria(radius_km=float("nan"), city="Berlin"),
            {"radius_km": "The radius is a number of kilometres from 0 to 20040."},
        ),
    ],
)
def test_bad_criteria_are_refused_by_field_and_change_nothing(criteria, errors):
    make("One", keywords=["crm"])
    before = list(SearchEntry.objects.values())
    with pytest.raises(InvalidCriteria) as error:
        search(criteria, NOW)
    assert error.value.errors == errors
    assert list(SearchEntry.objects.values()) == before


def test_a_city_without_country_is_the_biggest_of_that_name():
    make("Moscow", country="RU", city="Moscow")
    assert names(Criteria(city="Moscow")) == ["Moscow"]


def test_excluded_profiles_do_not_appear():
    one, _two = make("One", keywords=["crm"]), make("Two", keywords=["crm"])
    assert names(Criteria(q="crm", exclude_profiles=frozenset({one.pk}))) == ["Two"]


def test_otherwise_equal_profiles_come_oldest_first_on_every_database():
    made = [make(f"Twin {i}", keywords=["crm"]) for i in range(5)]
    assert [h.profile_id for h in search(Criteria(q="crm"), NOW).hits] == [p.pk for p in made]


def test_the_order_ranked_in_sql_agrees_with_the_scores_explained_in_python_across_pages():
    make("Tag and city", country="RU", city="Moscow", keywords=["облачное решение"], sizes=["10-49"])
    make("Tag, farther", country="RU", city="Podolsk", keywords=["облачное решение"])
    make("Description only", country="RU", city="Moscow", description="Облачные решения для бизнеса")
    make("Half in tags", country="RU", city="Moscow", keywords=["облачное хранилище"], description="Решения")
    quick = make("Quick, other size", country="RU", city="Tver", keywords=["облачное решение"], sizes=["5000+"])
    counters(quick, received=8, answered=8, answered_within_24h=8)
    criteria = Criteria(q="облачные решения", country="RU", city="Moscow", radius_km=300, size="10-49")
    first = search(criteria, NOW, limit=3)
    second = search(criteria, NOW, cursor=first.next_cursor, limit=3)
    hits = first.hits + second.hits
    assert [h.partner_name for h in hits] == [
        "Tag and city",
        "Tag, farther",
        "Quick, other size",
        "Half in tags",
        "Description only",
    ]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(abs(h.score - sum(c.points for c in h.why)) < 1e-3 for h in hits)  # why adds up
    assert second.next_cursor is None and first.total == second.total == 5


def test_a_partner_with_profiles_in_two_countries_shows_once_and_is_counted_once():
    berlin = make("Omni", "DE", "Berlin", keywords=["crm"])
    paris = make("Omni", "FR", "Paris", keywords=["crm"], partner=berlin.partner)
    counters(paris, received=3, answered=3, answered_within_24h=3)  # its best-ranked profile
    munich = make("Solo", "DE", "Munich", keywords=["crm"])
    anywhere = search(Criteria(q="crm"), NOW)
    assert [(hit.profile_id, hit.city) for hit in anywhere.hits] == [(paris.pk, "Paris"), (munich.pk, "Munich")]
    assert anywhere.total == 2
    assert {v.code: v.count for v in anywhere.facets["country"]} == {"DE": 2, "FR": 1}
    near_berlin = search(Criteria(q="crm", city="Berlin", radius_km=2000), NOW)
    assert [(hit.profile_id, hit.city) for hit in near_berlin.hits] == [(berlin.pk, "Berlin"), (munich.pk, "Munich")]
    assert near_berlin.total == 2


def test_the_engines_learned_fit_moves_a_partner_that_takes_deals_like_the_one_searched_up_and_says_why():
    import pickle

    from matching.models import EngineState
    from tests.matching.learned import trained

    declining = make("Declines CRM", keywords=["crm"], industries=["retail"], products=["crm"])
    accepting = make("Takes CRM", keywords=["crm"], industries=["retail"], products=["crm"])
    criteria = Criteria(q="crm", industry="retail", product="crm")
    assert names(criteria) == ["Declines CRM", "Takes CRM"]  # nothing learned: the older profile first
    policy = trained(accepting=accepting.pk, declining=declining.pk)
    EngineState.objects.create(
        pk=1, version=policy.model_version, trained_at=NOW, updated_at=NOW, state=pickle.dumps(policy)
    )
    hits = search(criteria, NOW).hits
    assert [h.partner_name for h in hits] == ["Takes CRM", "Declines CRM"]
    fits = [next(c for c in h.why if c.signal == "fit") for h in hits]
    # Both took up every CRM request (they surely work in CRM, membership.py): the decliner's declines keep it
    # second, and what moved its fit most is still that interest.
    assert [f.label for f in fits] == ["Took up 5 of 5 similar CRM requests", "Took up 5 of 5 similar CRM requests"]
    assert fits[0].value > fits[1].value
    with translation.override("ru"):
        labels = [c.label for h in search(criteria, NOW).hits for c in h.why if c.signal in ("fit", "meaning")]
    assert labels == [
        "Его ключевое слово «crm» означает то, что вы ищете (сходство 100%)",
        "Откликнулся на 5 из 5 похожих запросов (CRM)",
        "Его ключевое слово «crm» означает то, что вы ищете (сходство 100%)",
        "Откликнулся на 5 из 5 похожих запросов (CRM)",
    ]
    assert all(h.score == pytest.approx(sum(c.points for c in h.why), abs=1e-3) for h in hits)
