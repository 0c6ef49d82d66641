"""Hiding a customer's contact details written into free text (a need that says "call me: +7 916 ...").

Pure: no Django. `hide_contacts` replaces e-mail addresses, web and messenger links and phone numbers by a
marker the caller gives (translated by referrals.presenters, the only caller). It errs on the side of hiding:
a number is read as a phone when it has 7 or more digits, unless it is written as an amount (grouped in
thousands, with decimals, or next to a currency), a date (2026-12-01, 01.12.2026) or a range of years.
Known limits (docs/decisions.md): two numbers written side by side with only a space between them read as one
phone ("Office 365 2019"), and so do long build numbers (10.0.19045); a phone written in groups of three
digits with no "+" or brackets ("916 123 456") reads as an amount.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+ ?@ ?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# "ivan at example dot com", "ivan (at) example (dot) com", "ivan [at] example [dot] com"
SPELLED_EMAIL = re.compile(
    r"[\w.+-]+(?:\s+at\s+|\s*[(\[]\s*at\s*[)\]]\s*)[\w-]+(?:(?:\s+dot\s+|\s*[(\[]\s*dot\s*[)\]]\s*)[\w-]+)+",
    re.IGNORECASE,
)
# Links with a scheme or www., any case; a link's last character is not the sentence's punctuation.
LINK = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.|\b(?:mailto|tel|callto|skype|tg|whatsapp|viber):)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]",
    re.IGNORECASE,
)
# Bare domains (contoso.de, t.me/ivan) on common top-level domains, written in lower case ("ASP.NET" is not one).
TOP_LEVEL = "com|net|org|info|biz|io|co|me|app|dev|site|online|ru|su|рф|de|at|ch|fr|uk|eu|it|es|nl|pl|by|kz|ua|us"
DOMAIN = re.compile(
    rf"(?<![\w.@-])(?:[a-z0-9а-я](?:[a-z0-9а-я-]*[a-z0-9а-я])?\.)+(?:{TOP_LEVEL})\b(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?"
)
# A messenger handle (@ivan_petrov): a mention of a person, not of a number ("@ 50 EUR").
HANDLE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
# Digits in groups joined by single spaces, dots or dashes, and brackets: +7 (916) 123-45-67, (030) 1234567.
# Possessive quantifiers: no backtracking, linear in the text's length.
PHONE = re.compile(
    r"(?<![\w+])(?:\+[ \u00a0]?)?(?:\(\d++\)|\d++)"
    r"(?:(?:[ \u00a0.\-]|(?<=\))[ \u00a0]?|[ \u00a0]?(?=\())(?:\(\d++\)|\d++))*+(?!\w)"
)
MIN_PHONE_DIGITS = 7
THOUSANDS = re.compile(r"[1-9]\d{0,2}(?P<sep>[ \u00a0.,'])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d{1,2})?")
DECIMAL = re.compile(r"\d+[.,]\d{1,2}")
DATE = re.compile(r"\d{4}(?P<a>[.\-])\d{1,2}(?P=a)\d{1,2}|\d{1,2}(?P<b>[.\-])\d{1,2}(?P=b)\d{4}")
YEARS = re.compile(r"(?:19|2[01])\d\d-(?:19|2[01])\d\d")
CURRENCY = r"(?:EUR|USD|RUB|GBP|CHF|руб|р\.|€|\$|₽|£|k\b|K\b|тыс|млн|mln|million|thousand)"
CURRENCY_AFTER = re.compile(rf"[ \u00a0]?{CURRENCY}", re.IGNORECASE)
CURRENCY_BEFORE = re.compile(rf"{CURRENCY}[ \u00a0]?$", re.IGNORECASE)


def hide_contacts(text: str, marker: str) -> str:
    """`text` with every e-mail address, link and phone number replaced by `marker`; the rest unchanged."""
    if not text:
        return text
    for pattern in (EMAIL, SPELLED_EMAIL, LINK, DOMAIN, HANDLE):
        text = pattern.sub(marker, text)
    return PHONE.sub(lambda found: marker if _is_phone(found) else found.group(0), text)


def _is_phone(found: re.Match[str]) -> bool:
    number = found.group(0)
    if sum(ch.isdigit() for ch in number) < MIN_PHONE_DIGITS:
        return False
    if number.startswith("+") or "(" in number:
        return True
    if any(pattern.fullmatch(number) for pattern in (THOUSANDS, DECIMAL, DATE, YEARS)):
        return False
    text = found.string
    return not (CURRENCY_AFTER.match(text, found.end()) or CURRENCY_BEFORE.search(text, 0, found.start()))
