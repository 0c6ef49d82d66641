"""Month names as each language writes them in a date, written out here independently of CLDR, so the tests
hold kernel/dates.py to the expected words rather than to itself."""

from __future__ import annotations

from datetime import date

EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

# On a chart's axis, where Russian abbreviates the month as CLDR does.
RU_SHORT_MONTHS = ("янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек.")


def en_date(day: date) -> str:
    """ "6 Dec 2026" """
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def ru_date(day: date) -> str:
    """ "6 декабря 2026" """
    return f"{day.day} {RU_MONTHS[day.month - 1]} {day.year}"


def en_day(day: date) -> str:
    """ "6 Dec" """
    return f"{day.day} {EN_MONTHS[day.month - 1]}"


def ru_day(day: date) -> str:
    """ "6 дек." """
    return f"{day.day} {RU_SHORT_MONTHS[day.month - 1]}"
