"""The finder's "why here": a partner's record on deals like the one searched, with the plural its count needs."""

from __future__ import annotations

import pytest
from django.utils import translation

from finder import engine
from matching.fit import Record


@pytest.mark.parametrize(
    ("total", "english", "russian"),
    [
        (1, "Won 1 of 1 similar deal", "Выиграл 1 из 1 похожей сделки"),
        (2, "Won 1 of 2 similar deals", "Выиграл 1 из 2 похожих сделок"),
        (5, "Won 1 of 5 similar deals", "Выиграл 1 из 5 похожих сделок"),
        (21, "Won 1 of 21 similar deals", "Выиграл 1 из 21 похожей сделки"),
    ],
)
def test_a_record_is_said_with_the_plural_of_its_total(total, english, russian):
    record = Record(stage="won", facet="", code="", yes=1, total=total)
    with translation.override("en"):
        assert engine._fit(record) == english
    with translation.override("ru"):
        assert engine._fit(record) == russian


@pytest.mark.parametrize(
    ("stage", "english", "russian"),
    [
        ("interested", "Took up 1 of 1 request", "Откликнулся на 1 из 1 запроса"),
        ("accepted", "Accepted 1 of 1 similar deal", "Принял 1 из 1 похожей сделки"),
    ],
)
def test_each_stage_says_a_single_deal_in_the_singular(stage, english, russian):
    record = Record(stage=stage, facet="", code="", yes=1, total=1)
    with translation.override("en"):
        assert engine._fit(record) == english
    with translation.override("ru"):
        assert engine._fit(record) == russian
