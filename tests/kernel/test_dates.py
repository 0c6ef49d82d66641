"""How a time reads to a person: one format per language, in the reader's time zone, plurals as each language
says them. Every instant is built from the suite's NOW; month names come from tests/calendar_words.py."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation

from kernel import dates
from tests.calendar_words import en_date, en_day, ru_date, ru_day
from tests.factories import NOW

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
# Zones without summer time, so their offsets hold on any date the suite's clock is moved to.
HONOLULU = ZoneInfo("Pacific/Honolulu")  # UTC-10
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9
DUBAI = ZoneInfo("Asia/Dubai")  # UTC+4, no abbreviation in the zone database
UTC = ZoneInfo("UTC")
# 05:00 UTC the day after NOW: still NOW's day in Honolulu, already the next in Tokyo.
LATE = NOW + 20 * H


def test_a_date_is_day_month_year_in_each_language():
    assert dates.date_text(NOW, "en", UTC) == en_date(NOW)
    assert dates.date_text(NOW, "ru", UTC) == ru_date(NOW)


def test_a_date_and_time_is_the_date_then_the_24_hour_time_in_the_readers_zone():
    assert dates.datetime_text(LATE, "en", HONOLULU) == f"{en_date(NOW)}, 19:00"
    assert dates.datetime_text(LATE, "ru", HONOLULU) == f"{ru_date(NOW)}, 19:00"
    assert dates.datetime_text(LATE, "en", TOKYO) == f"{en_date(NOW + DAY)}, 14:00"
    assert dates.datetime_text(LATE, "ru", TOKYO) == f"{ru_date(NOW + DAY)}, 14:00"


def test_the_day_of_an_instant_is_the_day_in_the_readers_zone():
    assert dates.date_text(LATE, "en", HONOLULU) == en_date(NOW)
    assert dates.date_text(LATE, "en", TOKYO) == en_date(NOW + DAY)


def test_a_calendar_day_is_never_moved_to_another_zone():
    assert dates.date_text(NOW.date(), "en", HONOLULU) == en_date(NOW)
    assert dates.date_text(NOW.date(), "ru", TOKYO) == ru_date(NOW)


def test_a_calendar_day_has_no_time_of_day():
    with pytest.raises(TypeError):
        dates.datetime_text(NOW.date(), "en", UTC)  # type: ignore[arg-type]


def test_day_and_month_without_the_year_for_a_chart():
    assert dates.day_text(NOW, "en", UTC) == en_day(NOW)
    assert dates.day_text(NOW, "ru", UTC) == ru_day(NOW)


@pytest.mark.parametrize("month", range(1, 13))
def test_russian_abbreviates_each_month_on_a_chart(month):
    day = NOW.date().replace(month=month, day=1)
    assert dates.day_text(day, "ru") == ru_day(day)


def test_an_e_mail_names_the_zone_by_its_abbreviation_or_its_offset():
    assert dates.datetime_text(LATE, "en", TOKYO, with_zone=True) == f"{en_date(NOW + DAY)}, 14:00 JST"
    assert dates.datetime_text(LATE, "ru", UTC, with_zone=True) == f"{ru_date(NOW + DAY)}, 05:00 UTC"
    assert dates.datetime_text(LATE, "en", DUBAI, with_zone=True) == f"{en_date(NOW + DAY)}, 09:00 UTC+04"


def test_the_active_language_and_zone_are_the_readers_by_default():
    with translation.override("ru"), timezone.override(TOKYO):
        assert dates.datetime_text(LATE) == f"{ru_date(NOW + DAY)}, 14:00"
        assert dates.relative_text(NOW - 2 * H, NOW) == "2\xa0часа назад"
    with translation.override("en"), timezone.override(HONOLULU):
        assert dates.datetime_text(LATE) == f"{en_date(NOW)}, 19:00"


def test_a_language_we_do_not_speak_reads_as_english():
    assert dates.date_text(NOW, "de", UTC) == en_date(NOW)


@pytest.mark.parametrize(
    ("ago", "en", "ru"),
    [
        (timedelta(0), "just now", "только что"),
        (59 * timedelta(seconds=1), "just now", "только что"),
        (MIN, "1\xa0minute ago", "1\xa0минуту назад"),
        (5 * MIN, "5\xa0minutes ago", "5\xa0минут назад"),
        (H, "1\xa0hour ago", "1\xa0час назад"),
        (2 * H + 59 * MIN, "2\xa0hours ago", "2\xa0часа назад"),
        (DAY + 23 * H, "1\xa0day ago", "1\xa0день назад"),
        (2 * DAY, "2\xa0days ago", "2\xa0дня назад"),
    ],
)
def test_how_long_ago_is_cut_to_its_largest_whole_unit(ago, en, ru):
    assert (dates.relative_text(NOW - ago, NOW, "en"), dates.relative_text(NOW - ago, NOW, "ru")) == (en, ru)


@pytest.mark.parametrize(
    ("ahead", "en", "ru"),
    [
        (30 * timedelta(seconds=1), "in less than a minute", "меньше чем через минуту"),
        (3 * H + 30 * MIN, "in 3\xa0hours", "через 3\xa0часа"),
        (DAY, "in 1\xa0day", "через 1\xa0день"),
    ],
)
def test_how_soon_is_cut_to_its_largest_whole_unit(ahead, en, ru):
    assert (dates.relative_text(NOW + ahead, NOW, "en"), dates.relative_text(NOW + ahead, NOW, "ru")) == (en, ru)


@pytest.mark.parametrize(
    ("n", "minutes", "hours", "days"),
    [
        (1, "1\xa0минуту назад", "1\xa0час назад", "1\xa0день назад"),
        (2, "2\xa0минуты назад", "2\xa0часа назад", "2\xa0дня назад"),
        (5, "5\xa0минут назад", "5\xa0часов назад", "5\xa0дней назад"),
        (21, "21\xa0минуту назад", "21\xa0час назад", None),  # 21 days are 3 weeks
    ],
)
def test_russian_says_each_of_its_plural_forms(n, minutes, hours, days):
    assert dates.relative_text(NOW - n * MIN, NOW, "ru") == minutes
    assert dates.relative_text(NOW - n * H, NOW, "ru") == hours
    if days:
        assert dates.relative_text(NOW - n * DAY, NOW, "ru") == days


def test_twenty_one_days_are_three_weeks():
    assert dates.relative_text(NOW - 21 * DAY, NOW, "ru") == "3\xa0недели назад"
    assert dates.relative_text(NOW - 21 * DAY, NOW, "en") == "3\xa0weeks ago"


@pytest.mark.parametrize(
    ("left", "en", "ru"),
    [
        (2 * DAY + 23 * H + 59 * MIN, "2\xa0days, 23\xa0hours", "2\xa0дня 23\xa0часа"),
        (2 * DAY + 30 * MIN, "2\xa0days", "2\xa0дня"),
        (3 * H + 21 * MIN, "3\xa0hours, 21\xa0minutes", "3\xa0часа 21\xa0минута"),
        (5 * MIN, "5\xa0minutes", "5\xa0минут"),
        (30 * timedelta(seconds=1), "less than a minute", "меньше минуты"),
        (-H, "less than a minute", "меньше минуты"),
    ],
)
def test_the_time_left_to_a_deadline_is_its_two_largest_units(left, en, ru):
    assert (dates.until_text(NOW + left, NOW, "en"), dates.until_text(NOW + left, NOW, "ru")) == (en, ru)


@pytest.mark.parametrize(
    ("days", "en", "ru"), [(1, "1\xa0day", "1\xa0день"), (2, "2\xa0days", "2\xa0дня"), (5, "5\xa0days", "5\xa0дней")]
)
def test_a_span_is_said_with_its_plural(days, en, ru):
    assert (dates.duration_text(days * DAY, "en"), dates.duration_text(days * DAY, "ru")) == (en, ru)


def test_a_machine_reads_an_instant_in_the_readers_zone_with_its_offset():
    assert dates.iso(LATE, TOKYO) == (LATE + 9 * H).replace(tzinfo=None).isoformat() + "+09:00"
    assert dates.iso(NOW.date()) == NOW.date().isoformat()


APPS = ("accounts", "console", "finder", "leadshare", "matching", "notifications", "partners", "referrals")


def test_no_python_module_formats_a_time_for_a_person_but_the_owner():
    root = Path(settings.BASE_DIR)
    modules = [
        path
        for package in (
            "accounts",
            "console",
            "finder",
            "leadshare",
            "matching",
            "notifications",
            "partners",
            "referrals",
        )
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
    ]
    direct = re.compile(r"django\.utils\.timesince|\bdate_format\(|\btime_format\(|naturaltime")
    assert [str(p.relative_to(root)) for p in modules if direct.search(p.read_text(encoding="utf-8"))] == []
