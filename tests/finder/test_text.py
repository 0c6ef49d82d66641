from __future__ import annotations

import pytest

from finder import text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ёлка", "елка"),
        ("MIGRATION", "migration"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_folds_case_and_yo(raw, expected):
    assert text.normalise(raw) == expected


def test_tokens_drop_punctuation_and_underscores():
    assert text.tokens("Cloud-migration, (email); 1С:Бухгалтерия snake_case!") == [
        "cloud",
        "migration",
        "email",
        "1с",
        "бухгалтерия",
        "snake",
        "case",
    ]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("облачные решения", "облачное решение"),
        ("миграцию почты", "миграция почты"),
        ("migrating email", "email migration"),
        ("Cloud Solutions", "cloud solution"),
    ],
)
def test_word_forms_share_their_stems(one, other):
    assert set(text.stems(one)) == set(text.stems(other))


def test_russian_words_take_the_russian_stemmer_and_english_words_the_english_one():
    assert text.stems("облачные решения for migrating") == ["облачн", "решен", "migrat"]


def test_stop_words_are_left_out_in_both_languages():
    assert text.stems("the migration of mail и перенос почты для вас") == ["migrat", "mail", "перенос", "почт"]


def test_the_indexed_text_is_the_stems_joined_by_spaces():
    assert text.indexed(["Email migration", "Облачное решение"]) == "email migrat облачн решен"


def test_a_query_gives_distinct_stems_at_most_the_limit():
    assert text.query_stems("email emails EMAIL migration", limit=12) == ["email", "migrat"]
    assert text.query_stems("one two three four", limit=2) == ["one", "two"]


def test_a_query_of_only_punctuation_or_stop_words_has_no_stems():
    assert text.query_stems("--- !!! the и") == []
