"""The Russian catalogues speak with one voice: a referral is «рекомендация» in every app (decision 64), and a
message reads the same in every app's catalogue (Django merges them, and the first app's translation would win
on every page)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings


def catalogues() -> dict[str, list[tuple[str | None, str, str]]]:
    """App -> (context, English, Russian) of each message; plural forms joined."""
    root = Path(settings.BASE_DIR)
    found: dict[str, list[tuple[str | None, str, str]]] = {}
    for po in [root / "locale/ru/LC_MESSAGES/django.po", *sorted(root.glob("*/locale/ru/LC_MESSAGES/django.po"))]:
        with po.open("rb") as file:
            rows = []
            for m in read_po(file):
                if m.id:
                    english = " ".join(m.id) if isinstance(m.id, tuple) else m.id
                    russian = " | ".join(m.string) if isinstance(m.string, tuple) else m.string
                    rows.append((m.context, english, russian))
            found[str(po.relative_to(root).parts[0])] = rows
    return found


def test_every_referral_of_our_messages_is_a_рекомендация():
    off = [
        (app, english)
        for app, rows in catalogues().items()
        for _context, english, russian in rows
        if re.search(r"\breferral", english, re.I) and not re.search(r"рекоменд", russian, re.I)
    ]
    assert off == []


def test_no_message_says_реферал():
    assert [(app, r) for app, rows in catalogues().items() for _c, _e, r in rows if "реферал" in r.lower()] == []


def test_a_message_reads_the_same_in_every_apps_catalogue():
    readings: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for rows in catalogues().values():
        for context, english, russian in rows:
            readings[(context, english)].add(russian)
    assert {key: sorted(r) for key, r in readings.items() if len(r) > 1} == {}
