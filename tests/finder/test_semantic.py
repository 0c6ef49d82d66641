"""finder.semantic: a need finds partners by meaning across languages; phrases are embedded when indexed, the
need once per search; an unrelated need finds nothing."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from finder import semantic
from finder.models import PhraseVector
from finder.search import Criteria, search
from matching import embeddings
from tests.factories import NOW
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts embedded from now on (the encoder itself still runs)."""
    texts: list[str] = []
    real = embeddings.embed

    def counted(batch: list[str]) -> np.ndarray:
        texts.extend(batch)
        return real(batch)

    semantic.need_vector.cache_clear()
    monkeypatch.setattr(embeddings, "embed", counted)
    yield texts
    semantic.need_vector.cache_clear()


def found(q: str) -> list[str]:
    return [hit.partner_name for hit in search(Criteria(q=q), NOW).hits]


def test_a_russian_need_finds_a_partner_tagged_only_in_english_and_says_why():
    make("Cloud Movers", keywords=["cloud email migration"])
    make("Web Studio", keywords=["website design"])
    results = search(Criteria(q="миграция почты в облако"), NOW)
    assert ([h.partner_name for h in results.hits], results.total) == (["Cloud Movers"], 1)
    why = {c.signal: c for c in results.hits[0].why}
    assert why["meaning"].label == "Its keyword “cloud email migration” means what you searched for (83% alike)"
    assert (why["tags"].points, why["text"].points, why["meaning"].value) == (0.0, 0.0, 0.83)


def test_an_english_need_finds_a_partner_tagged_only_in_russian():
    make("Облако", keywords=["миграция почты в облако"])
    make("Бухгалтерия", keywords=["бухгалтерский учёт"])
    assert found("cloud email migration") == ["Облако"]


def test_an_unrelated_need_finds_no_partner_by_meaning():
    make("Cloud Movers", keywords=["cloud email migration"])
    make("Web Studio", keywords=["website design"])
    results = search(Criteria(q="бухгалтерия для малого бизнеса"), NOW)
    assert (results.hits, results.total) == ([], 0)


def test_a_phrase_sharing_a_word_but_not_the_meaning_is_not_found_by_it():
    make("Hosting", keywords=["email hosting"])
    assert found("email migration") == []


def test_a_word_match_ranks_above_a_match_by_meaning_alone():
    make("Russian tags", keywords=["резервное копирование"])
    make("English tags", keywords=["backup"])
    assert found("backup") == ["English tags", "Russian tags"]


def test_phrases_are_embedded_when_indexed_once_each_and_a_search_embeds_only_its_need(embedded: list[str]):
    make("One", keywords=["Cloud  Email Migration", "crm"])
    make("Two", keywords=["cloud email migration"])
    assert embedded == ["cloud email migration", "crm"] or embedded == ["crm", "cloud email migration"]
    assert sorted(PhraseVector.objects.values_list("phrase", flat=True)) == ["cloud email migration", "crm"]
    embedded.clear()
    assert sorted(found("миграция почты в облако")) == ["One", "Two"]
    assert found("миграция почты в облако") != []  # the next page of the same search embeds nothing more
    assert embedded == ["миграция почты в облако"]


def test_without_the_encoder_profiles_are_indexed_and_found_by_their_words(monkeypatch: pytest.MonkeyPatch):
    def missing(batch: list[str]) -> np.ndarray:
        raise embeddings.EmbeddingsUnavailable("not installed")

    semantic.need_vector.cache_clear()
    monkeypatch.setattr(embeddings, "embed", missing)
    make("Cloud Movers", keywords=["cloud email migration"])
    assert PhraseVector.objects.count() == 0
    assert (found("cloud email migration"), found("миграция почты в облако")) == (["Cloud Movers"], [])
    semantic.need_vector.cache_clear()


def test_a_profile_vector_is_the_unit_mean_of_its_phrases_for_the_routing_engine():
    both = make("Both", keywords=["crm", "erp"])
    none = make("None")
    vectors = semantic.profile_vectors([both.pk, none.pk])
    assert list(vectors) == [both.pk]
    crm, erp = embeddings.embed(["crm", "erp"])
    expected = (crm + erp) / np.linalg.norm(crm + erp)
    assert np.allclose(vectors[both.pk], expected, atol=1e-6)
    assert float(np.linalg.norm(vectors[both.pk])) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.django_db(transaction=True)
def test_a_kept_snapshot_catching_up_finds_a_profile_added_since_by_meaning():
    from finder import freshness

    freshness._kept.clear()
    make("Web Studio", keywords=["website design"])
    assert found("миграция почты в облако") == []
    kept = freshness._kept["default"]
    make("Cloud Movers", keywords=["cloud email migration"])
    assert found("миграция почты в облако") == ["Cloud Movers"]
    assert freshness._kept["default"] is not kept and freshness._kept["default"].size == kept.size + 1  # patched
    freshness._kept.clear()
