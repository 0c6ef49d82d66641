"""How a date, a time or a span of time reads to a person: one format per language, in the reader's time zone.

Every page, e-mail and message that shows a time to a person asks this module (templates through the `when`
library, `kernel/templatetags/when.py`); machine-readable times (API, CSV, `<time datetime>`) stay ISO 8601.
Month names, plural forms and "in …"/"… ago" come from CLDR (Babel), as country names do (`partners/places.py`).

- The language is the active one (the page's, or the e-mail's `translation.override`) unless given; the time zone
  is the active one (the user's, set by `accounts.middleware`, or the alert's, set by `notifications.emails`).
- A date-only value (an expected close date) is a calendar day: it is never moved to another time zone.
- Spans are cut down to their largest whole unit ("1 day" for 47 hours), never rounded up: a deadline never
  looks further away than it is, nor an event older.
- A date, or a date and time, never ends with a full stop (CLDR's abbreviated Russian year does), so it may end
  a sentence without a double one; only a chart's day and month ("6 дек.") abbreviates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from functools import cache

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.lists import format_list
from django.utils import timezone, translation
from django.utils.translation import gettext

LANGUAGES = ("en", "ru")
# CLDR patterns: day, month, year, 24-hour time. Russian writes the month's name out (genitive: "6 декабря"),
# but on a chart's axis, where twelve labels share a line.
PATTERNS = {
    "en": {"date": "d MMM y", "datetime": "d MMM y, HH:mm", "day": "d MMM"},
    "ru": {"date": "d MMMM y", "datetime": "d MMMM y, HH:mm", "day": "d MMM"},
}
_NUMBER_AND_UNIT = re.compile(r"(\d) ")
# Babel's own lengths of its units, so that a span cut to one of them is named in that unit.
UNITS = (
    timedelta(days=365),
    timedelta(days=30),
    timedelta(days=7),
    timedelta(days=1),
    timedelta(hours=1),
    timedelta(minutes=1),
)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or "en").split("-")[0].casefold()
    return code if code in LANGUAGES else "en"


def _zone(zone: tzinfo | None) -> tzinfo:
    return zone if zone is not None else timezone.get_current_timezone()


def _formatted(value: date | datetime, kind: str, language: str | None, zone: tzinfo | None) -> str:
    code = _language(language)
    pattern = PATTERNS[code][kind]
    if isinstance(value, datetime):
        return format_datetime(value, pattern, tzinfo=_zone(zone), locale=_locale(code))
    if kind == "datetime":
        raise TypeError(f"a calendar day has no time of day: {value!r}")
    return format_date(value, pattern, locale=_locale(code))


def date_text(value: date | datetime, language: str | None = None, zone: tzinfo | None = None) -> str:
    """The calendar day of `value` in the reader's time zone: "6 Dec 2026", "6 декабря 2026"."""
    return _formatted(value, "date", language, zone)


def day_text(value: date | datetime, language: str | None = None, zone: tzinfo | None = None) -> str:
    """The day and month, for a chart's axis: "6 Dec", "6 дек."."""
    return _formatted(value, "day", language, zone)


def datetime_text(
    value: datetime, language: str | None = None, zone: tzinfo | None = None, with_zone: bool = False
) -> str:
    """The day and time of `value` in the reader's time zone: "6 Dec 2026, 14:47", "6 декабря 2026, 14:47";
    `with_zone` names the zone, for an e-mail, which is read away from the settings it was made for:
    "6 Dec 2026, 14:47 CET", "… 13:47 UTC+04" where the zone has no abbreviation."""
    text = _formatted(value, "datetime", language, zone)
    return f"{text} {_zone_abbreviation(value.astimezone(_zone(zone)))}" if with_zone else text


def _zone_abbreviation(local: datetime) -> str:
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name.startswith(("+", "-")) else name


def _whole(span: timedelta) -> timedelta:
    """`span` cut to a whole number of its largest unit, or zero under a minute."""
    for unit in UNITS:
        if span >= unit:
            return (span // unit) * unit
    return timedelta(0)


def _spoken(span: timedelta, language: str | None, direction: bool) -> str:
    # threshold=1: the span is already whole, so Babel names it in that unit and never rounds it up.
    text = format_timedelta(span, threshold=1, add_direction=direction, locale=_locale(_language(language)))
    # A number and its unit never part at the end of a line ("2 / days").
    return _NUMBER_AND_UNIT.sub("\\1\xa0", text)


def relative_text(instant: datetime, now: datetime, language: str | None = None) -> str:
    """How long ago or how soon `instant` is, seen at `now`: "just now", "5 minutes ago", "in 3 hours",
    "через 2 дня", "2 дня назад"."""
    whole = _whole(abs(instant - now))
    if not whole:
        with translation.override(_language(language)):
            return gettext("just now") if instant <= now else gettext("in less than a minute")
    return _spoken(whole if instant > now else -whole, language, direction=True)


def duration_text(span: timedelta, language: str | None = None) -> str:
    """A span of time, cut to its largest whole unit: "3 hours", "2 дня"; "less than a minute" under one
    (a deadline just passed as well)."""
    whole = _whole(span)
    if not whole:
        with translation.override(_language(language)):
            return gettext("less than a minute")
    return _spoken(whole, language, direction=False)


def until_text(instant: datetime, now: datetime, language: str | None = None) -> str:
    """The time left until `instant` at `now`, in its two largest units when they are next to each other, as a
    countdown needs: "2 days, 23 hours", "2 дня 23 часа", "3 hours, 20 minutes"; else as `duration_text`."""
    left = instant - now
    first = _whole(left)
    rest = _whole(left - first)
    if not first or not rest or _unit(rest) != _unit(first) + 1:
        return duration_text(left, language)
    code = _language(language)
    return format_list([_spoken(first, code, False), _spoken(rest, code, False)], style="unit", locale=_locale(code))


def _unit(whole: timedelta) -> int:
    return next(i for i, unit in enumerate(UNITS) if whole >= unit)


def iso(value: date | datetime, zone: tzinfo | None = None) -> str:
    """`value` as a machine reads it (`<time datetime>`): ISO 8601 in the reader's time zone, with its offset."""
    if isinstance(value, datetime):
        return value.astimezone(_zone(zone)).isoformat()
    return value.isoformat()
