"""Routing compares a request's need with a profile's keywords, tags and description across languages, with
each profile embedded once per change of that text."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from matching import embeddings, learning, roster, routing, vectors
from matching.embeddings import Vector
from matching.models import ProfileVector
from partners.models import BusinessProfile
from referrals.models import Referral
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _tagged(keywords: list[str], description: str = "") -> BusinessProfile:
    profile = factories.profile()
    profile.keywords, profile.description = keywords, description
    profile.save()
    return profile


@pytest.fixture
def embedded(monkeypatch):  # type: ignore[no-untyped-def]
    """The texts routing embedded, in order (the finder embeds keyword phrases of its own: finder.semantic)."""
    texts: list[str] = []
    embed = vectors._embed

    def counting(batch: list[str]) -> list[object] | None:
        texts.extend(batch)
        return embed(batch)

    monkeypatch.setattr(vectors, "_embed", counting)
    return texts


def test_a_russian_need_routes_to_the_partner_tagged_only_in_english_for_it():
    unrelated = _tagged(["industrial bakery ovens"])
    cloud = _tagged(["cloud email migration"])

    engagement = factories.engagement(
        [], route_count=1, need="миграция почты в облако", requested_products=[], industry="", language="ru"
    )
    proposals = routing.preview(factories.engagement_input([], need="миграция почты в облако"), NOW, 2)

    assert list(Referral.objects.filter(engagement=engagement).values_list("profile_id", flat=True)) == [cloud.pk]
    assert [p.profile_id for p in proposals] == [cloud.pk, unrelated.pk]
    words = [str(c.label) for c in proposals[0].why if c.signal == "words"]
    assert words == ["the request reads close to your profile"]


def test_a_request_becomes_a_deal_with_its_needs_embedding():
    engagement = factories.engagement([factories.profile()], need="Move 200 mailboxes to the cloud")

    deal = learning.deal_of(engagement)

    assert isinstance(deal.vector, Vector) and len(deal.vector) == embeddings.DIMENSIONS
    assert np.array_equal(np.asarray(deal.vector), embeddings.embed(["Move 200 mailboxes to the cloud"])[0])


def test_a_profile_is_embedded_once_per_change_of_its_text_and_its_vector_is_stored(embedded):
    profile = _tagged(["cloud email migration"], "Mail to the cloud.")

    first = {p.profile_id: p for p in roster.partners()}[profile.pk].vector
    roster.forget()  # another process: reads the stored vector
    again = {p.profile_id: p for p in roster.partners()}[profile.pk].vector
    texts_before_edit = list(embedded)
    profile.keywords = ["payroll"]
    profile.save()
    edited = {p.profile_id: p for p in roster.partners()}[profile.pk].vector

    assert texts_before_edit == ["cloud email migration. Mail to the cloud."]
    assert again == first and edited != first
    assert embedded == ["cloud email migration. Mail to the cloud.", "payroll. Mail to the cloud."]
    stored = ProfileVector.objects.get(profile_id=profile.pk)
    assert (stored.digest, Vector.from_bytes(bytes(stored.vector))) == (
        vectors.digest("payroll. Mail to the cloud."),
        edited,
    )


def test_a_vector_is_a_compact_immutable_sequence_numpy_reads_and_pickle_keeps():
    vector = Vector([0.5, -1.0, 2.0])

    assert (len(vector), list(vector), vector[1]) == (3, [0.5, -1.0, 2.0], -1.0)
    assert np.asarray(vector).dtype == np.float32 and np.asarray(vector, dtype=np.float64).tolist() == [0.5, -1.0, 2.0]
    assert pickle.loads(pickle.dumps(vector))  # noqa: S301 - our own bytes == vector and hash(Vector([0.5, -1.0, 2.0])) == hash(vector)
    assert vector != Vector([0.5, -1.0, 2.5]) and vector != (0.5, -1.0, 2.0)


def test_a_decision_embeds_a_few_profiles_at_most_and_the_full_refit_embeds_the_rest(monkeypatch, embedded):
    monkeypatch.setattr(roster, "EMBED_PER_DECISION", 1)
    first, second, third = (_tagged([f"skill {n}"]) for n in range(3))

    made = roster.current()
    roster._keep("default", made)
    learning.train(NOW)
    caught_up = roster.current()

    assert [p.vector is not None for p in made.partners] == [True, False, False]
    assert sorted(made.pending) == [second.pk, third.pk]
    assert embedded == ["skill 0", "skill 1", "skill 2"]  # the refit embedded the two others, once
    assert all(p.vector is not None for p in caught_up.partners) and caught_up.pending == {}
    assert ProfileVector.objects.filter(profile_id__in=[first.pk, second.pk, third.pk]).count() == 3
