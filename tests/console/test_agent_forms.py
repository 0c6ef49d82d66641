"""The agent's form: how many partners a request may name, said with the right plural in both languages."""

from __future__ import annotations

import pytest
from django.utils import translation

from console import agent_forms


@pytest.mark.parametrize(
    ("most", "english", "russian"),
    [
        (1, "Tick at most 1 partner.", "Отметьте не больше 1 партнёра."),
        (2, "Tick at most 2 partners.", "Отметьте не больше 2 партнёров."),
        (5, "Tick at most 5 partners.", "Отметьте не больше 5 партнёров."),
        (21, "Tick at most 21 partners.", "Отметьте не больше 21 партнёра."),
    ],
)
def test_too_many_partners_are_refused_naming_the_limit_with_its_plural(monkeypatch, most, english, russian):
    monkeypatch.setattr(agent_forms, "MAX_PARTNERS", most)
    ticked = [str(n) for n in range(1, most + 2)]
    with translation.override("en"):
        assert agent_forms.parse_targets(ticked) == (list(range(1, most + 2)), english)
    with translation.override("ru"):
        assert agent_forms.parse_targets(ticked) == (list(range(1, most + 2)), russian)
