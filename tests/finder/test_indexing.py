"""finder.indexing: a profile change is searchable at once, whichever way it is made."""

from __future__ import annotations

from datetime import timedelta

import pytest

from finder import indexing, text
from finder.indexing import forget_changes
from finder.models import IndexChange, IndexStamp, PriorWatermark, SearchEntry, SearchPlace
from finder.search import Criteria, search
from leadshare.worker import run_pass
from partners import services
from partners.models import BusinessProfile, Location, Partner
from referrals import services as referral_services
from referrals.actors import ActorRef
from referrals.models import ProfileResponsiveness, ReferralEvent
from tests import factories
from tests.factories import NOW
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


def found(q: str = "", **filters: object) -> list[int]:
    return [hit.profile_id for hit in search(Criteria(q=q, **filters), NOW).hits]  # type: ignore[arg-type]


def in_search_table(profile_id: int, word: str) -> bool:
    """The profile's row of the search table holds the word's stems (what the snapshot's posting lists read)."""
    entry = SearchEntry.objects.filter(pk=profile_id).first()
    stored = set(f"{entry.tags_text} {entry.description_text}".split()) if entry else set()
    return set(text.query_stems(word)) <= stored


def test_an_entry_holds_what_the_finder_filters_and_ranks_on():
    profile = make(
        "Entry", keywords=["Облачное решение"], description="Email migration.", industries=["retail", "finance"]
    )
    profile.target_sizes.set(["10-49", "1-9"])
    entry = SearchEntry.objects.get(pk=profile.pk)
    assert (entry.partner_name, entry.country, entry.city) == ("Entry", "DE", "Berlin")
    assert (entry.industries, entry.target_sizes, entry.sizes, entry.languages) == (
        " finance retail ",
        " 1-9 10-49 ",
        " * ",
        " en ",
    )
    assert entry.tags_text == "retail розничн торговл financi servic финансов услуг облачн решен"
    assert entry.description_text == "email migrat"
    assert (entry.responsiveness, entry.outcomes, entry.prior) == (0.5, 0.5, 0.5)
    assert list(SearchPlace.objects.filter(entry=entry).values_list("city", flat=True)) == ["Berlin"]


def test_profiles_made_through_the_services_are_searchable_at_once_and_follow_each_update():
    admin = factories.user(factories.partner(name="Serviced"))
    profile = services.create_profile(
        admin,
        {
            "country": "DE",
            "description": "",
            "keywords": ["email migration"],
            "locations": [{"city": "Berlin", "lat": 52.52, "lon": 13.405}],
            "contacts": [{"email": "alerts@serviced.example"}],
        },
    )
    assert found("migrating email") == [profile.pk]
    services.update_profile(admin, profile.pk, {"keywords": ["crm"], "industries": ["finance"]})
    assert (found("migrating email"), found("crm"), found(industry="finance")) == ([], [profile.pk], [profile.pk])
    assert not in_search_table(profile.pk, "email")
    services.update_profile(admin, profile.pk, {"locations": [{"city": "Munich", "lat": 48.137, "lon": 11.575}]})
    assert found("crm", country="DE", city="Munich", radius_km=10) == [profile.pk]
    assert found("crm", country="DE", city="Berlin", radius_km=10) == []
    services.update_profile(admin, profile.pk, {"status": "paused"})
    assert (found("crm"), SearchEntry.objects.count()) == ([], 0)
    assert not in_search_table(profile.pk, "crm")
    services.update_profile(admin, profile.pk, {"status": "active"})
    assert found("crm") == [profile.pk]
    services.delete_profile(admin, profile.pk)
    assert (found("crm"), SearchEntry.objects.count(), SearchPlace.objects.count()) == ([], 0, 0)
    assert not in_search_table(profile.pk, "crm")


def test_opting_out_of_sizes_is_followed_at_once():
    profile = make("Sizes", keywords=["crm"], sizes=["1-9"])
    assert found("crm", size="5000+") == [profile.pk]
    profile.only_target_sizes = True
    profile.save()
    assert found("crm", size="5000+") == []
    assert found("crm", size="1-9") == [profile.pk]


def test_a_suspended_partner_leaves_the_index_and_comes_back():
    profile = make("Suspendable", keywords=["crm"])
    Partner.objects.filter(pk=profile.partner_id).update(status=Partner.Status.SUSPENDED)
    indexing.reindex_partner(profile.partner_id)  # update() sends no signal: the console calls this
    assert found("crm") == []
    Partner.objects.filter(pk=profile.partner_id).update(status=Partner.Status.ACTIVE, name="Renamed")
    indexing.reindex_partner(profile.partner_id)
    assert [h.partner_name for h in search(Criteria(q="crm"), NOW).hits] == ["Renamed"]


def test_deleting_a_partner_takes_its_profiles_out_of_the_full_text_index():
    profile = make("Gone", keywords=["crm"])
    Partner.objects.filter(pk=profile.partner_id).delete()
    assert (found("crm"), SearchEntry.objects.count()) == ([], 0)
    assert not in_search_table(profile.pk, "crm")


def test_a_location_added_or_removed_outside_the_services_is_followed():
    profile = make("Places", keywords=["crm"])
    extra = Location.objects.create(profile=profile, city="Hamburg", lat=53.55, lon=9.99)
    assert found("crm", country="DE", city="Hamburg", radius_km=5) == [profile.pk]
    extra.delete()
    assert found("crm", country="DE", city="Hamburg", radius_km=5) == []


def test_rebuild_all_indexes_every_visible_profile_and_only_those():
    one, two = make("One", keywords=["crm"]), make("Two", keywords=["crm"])
    make("Paused", keywords=["crm"], status=BusinessProfile.Status.PAUSED)
    SearchEntry.objects.all().delete()
    assert indexing.rebuild_all() == 2
    assert sorted(found("crm")) == [one.pk, two.pk]
    assert in_search_table(one.pk, "crm")


def test_the_worker_refreshes_the_prior_of_profiles_whose_referrals_changed():
    quick, slow = make("Quick", keywords=["crm"]), make("Slow", keywords=["crm"])
    indexing.rebuild_all()
    referrals = [factories.referral(p, company="Contoso") for p in (quick, slow)]
    admin = factories.user(quick.partner)
    referral_services.mark_interested(referrals[0].pk, ActorRef.person(admin), NOW)
    assert SearchEntry.objects.get(pk=quick.pk).responsiveness == 0.5  # not yet
    run_pass(NOW)
    assert SearchEntry.objects.get(pk=quick.pk).responsiveness == 0.6
    assert SearchEntry.objects.get(pk=slow.pk).responsiveness == 0.5
    assert found("crm") == [quick.pk, slow.pk]
    mark = PriorWatermark.objects.get(pk=1).last_event_id
    assert indexing.refresh_changed_priors() == 0  # nothing new
    assert PriorWatermark.objects.get(pk=1).last_event_id == mark


def test_the_first_worker_pass_counts_the_answers_and_timeouts_written_before_it():
    answering, silent = make("Answering", keywords=["crm"]), make("Silent", keywords=["crm"])
    assert not PriorWatermark.objects.exists()  # never rebuilt: the worker's first pass sets the mark
    admin = factories.user(answering.partner)
    for _ in range(3):
        referral_services.mark_interested(factories.referral(answering).pk, ActorRef.person(admin), NOW)
        factories.referral(silent)
    run_pass(NOW + timedelta(hours=73))  # the silent one's three referrals are missed in this same pass
    run_pass(NOW + timedelta(hours=73))
    ranked = {e.profile_id: e for e in SearchEntry.objects.all()}
    assert (ranked[answering.pk].answered, ranked[answering.pk].unanswered) == (3, 0)
    assert (ranked[silent.pk].answered, ranked[silent.pk].unanswered) == (0, 3)
    # Three timely answers and four neutral pseudo-referrals: 5/7; three missed: 2/7.
    assert round(ranked[answering.pk].responsiveness, 4) == 0.7143
    assert round(ranked[silent.pk].responsiveness, 4) == 0.2857
    assert found("crm") == [answering.pk, silent.pk]


def test_the_first_refresh_takes_all_earlier_history_at_once_and_the_next_finds_nothing_new():
    answering = make("Answering", keywords=["crm"])
    admin = factories.user(answering.partner)
    for _ in range(3):  # six history rows, more than one page of two
        referral_services.mark_interested(factories.referral(answering).pk, ActorRef.person(admin), NOW)
    assert indexing.refresh_changed_priors(limit=2) == 1
    assert SearchEntry.objects.get(profile=answering).answered == 3
    assert indexing.refresh_changed_priors(limit=2) == 0
    assert PriorWatermark.objects.get(pk=1).last_event_id == ReferralEvent.objects.latest("id").pk


def test_history_that_commits_after_a_later_row_still_refreshes_its_profile():
    early, late = make("Early", keywords=["crm"]), make("Late", keywords=["crm"])
    indexing.rebuild_all()
    referrals = {p.pk: factories.referral(p, company="Contoso") for p in (early, late)}
    indexing.refresh_changed_priors()
    # The late transaction takes its history id first, then the early one commits; the late one has not yet
    # when the worker reads.
    created = ReferralEvent.objects.filter(referral=referrals[late.pk]).first()
    assert created is not None
    row = {f.attname: getattr(created, f.attname) for f in ReferralEvent._meta.concrete_fields if not f.primary_key}
    pending = ReferralEvent.objects.create(**{**row, "action": "edit"})
    admin = factories.user(early.partner)
    referral_services.mark_interested(referrals[early.pk].pk, ActorRef.person(admin), NOW)
    ReferralEvent.objects.filter(pk=pending.pk)._raw_delete(using="default")
    assert indexing.refresh_changed_priors() == 1
    assert pending.pk in PriorWatermark.objects.get(pk=1).gaps  # (PostgreSQL: other tests' ids are gaps too)
    # It commits, below the mark: its profile's prior is refreshed all the same.
    ProfileResponsiveness.objects.update_or_create(profile=late, defaults={"answered": 1, "answered_within_24h": 1})
    ReferralEvent.objects.bulk_create([ReferralEvent(**{**row, "action": "edit", "id": pending.pk})])
    assert indexing.refresh_changed_priors() == 1
    assert SearchEntry.objects.get(pk=late.pk).responsiveness == 0.6
    assert pending.pk not in PriorWatermark.objects.get(pk=1).gaps
    assert indexing.refresh_changed_priors() == 0


def test_each_write_and_delete_raises_the_version_and_logs_the_profile() -> None:
    profile = make("Logged")
    before = IndexStamp.objects.get(pk=1).version
    profile.keywords = ["crm"]
    profile.save()
    pk = profile.pk
    profile.delete()
    assert IndexStamp.objects.get(pk=1).version == before + 2
    assert list(IndexChange.objects.filter(version__gt=before).values_list("version", "profile_id", "kind")) == [
        (before + 1, pk, IndexChange.ROW),
        (before + 2, pk, IndexChange.ROW),
    ]
    assert search(Criteria(), NOW).total == 0


def test_old_changes_are_forgotten_and_the_horizon_raised_to_the_last_one_forgotten() -> None:
    profile = make("Forgotten")
    for keyword in ("crm", "erp"):
        profile.keywords = [keyword]
        profile.save()
    old, new = list(IndexChange.objects.order_by("version"))[-2:]
    logged = IndexChange.objects.count()
    IndexChange.objects.exclude(pk=new.pk).update(at=NOW - timedelta(hours=2))
    IndexChange.objects.filter(pk=new.pk).update(at=NOW)
    assert forget_changes(NOW) == logged - 1
    assert list(IndexChange.objects.values_list("pk", flat=True)) == [new.pk]
    assert IndexStamp.objects.get(pk=1).horizon == old.version
    assert forget_changes(NOW) == 0
