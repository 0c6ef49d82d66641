"""`{% load when %}`: templates show times only through kernel/dates.py, so the format keeps one owner."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from tests.calendar_words import en_day, ru_date
from tests.factories import NOW

H = timedelta(hours=1)
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9, no summer time
# Django's own ways of showing a time to a person: each would be a second owner of the format.
DIRECT = re.compile(r"\|\s*(date|time|naturaltime|naturalday|timesince|timeuntil)\b|\{%\s*now\b")


def rendered(source: str, **context: object) -> str:
    return Template("{% load when %}" + source).render(Context(context))


def test_the_filters_show_the_owners_formats_in_the_active_language_and_zone():
    with translation.override("ru"), timezone.override(TOKYO):
        assert rendered("{{ at|datetime_shown }}", at=NOW + 20 * H) == f"{ru_date(NOW + 24 * H)}, 14:00"
        assert rendered("{{ at|date_shown }}", at=NOW.date()) == ru_date(NOW)
        assert rendered('{{ at|datetime_shown:"zone" }}', at=NOW) == f"{ru_date(NOW)}, 18:00 JST"
        assert rendered("{{ at|relative:now }}", at=NOW - 5 * H, now=NOW) == "5\xa0часов назад"
        assert rendered("{{ at|left_until:now }}", at=NOW + 2 * H, now=NOW) == "2\xa0часа"
        assert rendered("{{ span|duration }}", span=timedelta(days=3)) == "3\xa0дня"
        assert rendered("{{ at|iso }}", at=NOW) == (NOW + 9 * H).replace(tzinfo=None).isoformat() + "+09:00"
    with translation.override("en"):
        assert rendered("{{ at|relative:now }}", at=NOW, now=NOW) == "just now"
        assert rendered("{{ at|day_shown }}", at=NOW) == en_day(NOW)


@pytest.mark.parametrize("name", ["date_shown", "day_shown", "datetime_shown", "iso"])
def test_an_empty_value_shows_nothing(name):
    assert rendered(f"{{{{ at|{name} }}}}", at=None) == ""


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = [
        path
        for folder in [root / "templates", *root.glob("*/templates")]
        for path in folder.rglob("*")
        if path.suffix in {".html", ".txt"}
    ]
    assert len(found) > 100  # the search reached every app's templates
    return found


def test_no_template_shows_a_time_but_through_the_when_library():
    offending = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in _templates()
        for match in DIRECT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_no_template_loads_django_humanize_for_a_time():
    # humanize's intcomma formats numbers and stays; its time filters are caught by the test above.
    assert all("naturaltime" not in path.read_text(encoding="utf-8") for path in _templates())
