"""referrals.redaction: contact details written into free text are hidden, and nothing else is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from referrals.redaction import hide_contacts

MARK = "[hidden]"
# Text around a contact: no digits, no "@", nothing that reads as a contact itself.
AROUND = st.sampled_from(["call me: ", "Звоните: ", "Contact ", "", "(mobile) ", "ask for Ivan on "])
AFTER = st.sampled_from(["", ".", ", thanks", " any time", "; or write", ")"])


def digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=low, max_value=high).map(str)


def groups(sizes: list[int], separator: str) -> st.SearchStrategy[str]:
    return st.tuples(*(st.text("0123456789", min_size=n, max_size=n) for n in sizes)).map(separator.join)


SEPARATOR = st.sampled_from([" ", "-", ".", "\u00a0"])
# How subscriber numbers are written: 1234567, 123-4567, 123-45-67, 1234-5678, 12-34-56-78.
SUBSCRIBER = st.sampled_from([[7], [3, 4], [3, 2, 2], [4, 4], [2, 2, 2, 2], [3, 3, 4]]).flatmap(
    lambda sizes: SEPARATOR.flatmap(lambda sep: groups(sizes, sep))
)
AREA = st.text("0123456789", min_size=2, max_size=4)
PHONES = st.one_of(
    st.builds(lambda cc, area, sep, sub: f"+{cc}{sep}{area}{sep}{sub}", digits(1, 998), AREA, SEPARATOR, SUBSCRIBER),
    st.builds(lambda cc, area, sub: f"+{cc} ({area}) {sub}", digits(1, 998), AREA, SUBSCRIBER),
    st.builds(lambda area, sub: f"(0{area}) {sub}", AREA, SUBSCRIBER),
    st.builds(lambda area, sep, sub: f"8{sep}{area}{sep}{sub}", AREA, SEPARATOR, SUBSCRIBER),
    st.builds(lambda area, sep, sub: f"0{area}{sep}{sub}", AREA, SEPARATOR, SUBSCRIBER),
    st.builds(lambda number: f"+{number}", st.text("0123456789", min_size=8, max_size=15)),
    st.text("0123456789", min_size=10, max_size=12),  # 79161234567
    st.sampled_from(["+7 916 123-45-67", "(030) 1234567", "+49 30 1234567", "8-800-555-35-35", "+1.415.555.0100"]),
)
LOCAL = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z0-9]{1,8})?(\+[a-z0-9]{1,6})?", fullmatch=True)
DOMAIN = st.from_regex(r"([a-z][a-z0-9-]{0,8}[a-z0-9]\.){1,3}(com|ru|de|example|co\.uk)", fullmatch=True)
EMAILS = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", LOCAL, DOMAIN),
    st.builds(lambda local, domain: f"{local}@{domain}".upper(), LOCAL, DOMAIN),
    st.builds(lambda local, domain: f"{local} at {domain.replace('.', ' dot ')}", LOCAL, DOMAIN),
)


@given(before=AROUND, phone=PHONES, after=AFTER)
def test_no_digit_of_a_phone_number_remains(before: str, phone: str, after: str) -> None:
    hidden = hide_contacts(before + phone + after, MARK)
    assert hidden == before + MARK + after


@given(before=AROUND, email=EMAILS, after=AFTER)
def test_no_part_of_an_email_address_remains(before: str, email: str, after: str) -> None:
    hidden = hide_contacts(before + email + after, MARK)
    assert hidden == before + MARK + after


def amount(value: int) -> str:
    return f"{value:,}".replace(",", " ")


ORDINARY = st.one_of(
    digits(1990, 2100).map(lambda year: f"in {year}"),
    st.builds(lambda a, b: f"{a}-{b}", digits(1990, 2100), digits(1990, 2100)),
    st.builds(
        lambda value, currency: f"budget {amount(value)} {currency}",
        st.integers(min_value=1, max_value=999_999_999_999),
        st.sampled_from(["EUR", "USD", "RUB", "руб."]),
    ),
    st.builds(lambda value: f"{value} EUR", st.integers(min_value=1, max_value=999_999_999)),
    st.builds(
        lambda value, cents: f"{value}.{cents:02d}",
        st.integers(min_value=1, max_value=99_999_999),
        digits(0, 99).map(int),
    ),
    st.builds(lambda n, noun: f"{n} {noun}", digits(1, 99_999), st.sampled_from(["mailboxes", "users", "ящиков"])),
    st.sampled_from(["Microsoft 365", "Office 365 E3", "version 2.4.10", "v1.2", "ASP.NET", "Node.js", "30%"]),
    st.sampled_from(["2026-12-01", "01.12.2026", "by Q3 2027", "Windows 11", "1 500 000 EUR", "1.500.000 EUR"]),
)
JOINS = st.sampled_from([", ", ". ", " and ", "; ", "\n"])


@given(parts=st.lists(ORDINARY, min_size=1, max_size=5), join=JOINS)
def test_ordinary_numbers_and_words_are_left_alone(parts: list[str], join: str) -> None:
    text = join.join(parts)
    assert hide_contacts(text, MARK) == text


def test_a_need_with_a_phone_an_email_and_a_link_keeps_everything_else():
    need = "Move 200 mailboxes in 2026, budget 50 000 EUR. Call me: +7 916 123-45-67, ivan.petrov@example.com"
    need += " or see https://contoso.example/about."
    assert hide_contacts(need, MARK) == (
        "Move 200 mailboxes in 2026, budget 50 000 EUR. Call me: [hidden], [hidden] or see [hidden]."
    )


def test_messenger_handles_and_bare_domains_are_hidden():
    assert hide_contacts("Telegram @ivan_petrov or t.me/ivan_petrov, site contoso.de", MARK) == (
        "Telegram [hidden] or [hidden], site [hidden]"
    )
