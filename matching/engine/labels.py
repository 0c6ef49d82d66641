"""Every label template the engine's explanations use, marked for translation here and nowhere else. Pure.

A label is kept as one of these templates and its values (`types.Label`), never as filled-in text, so the
product renders it in the reader's language at display time (matching/explanations.py). The markers are this
module's own, as the engine has no Django: a counted label has a singular and a plural (Russian has four forms,
chosen by the number), and a label whose English another app also uses for another meaning has a context, so
that Django's merged catalogues keep both translations. A new signal adds its templates here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counted:
    """A template with plural forms, as ngettext takes it, and the value whose number chooses the form."""

    singular: str
    plural: str
    number: str


# Counted templates by the template a label keeps: the English plural, what rows kept before plurals.
COUNTED: dict[str, Counted] = {}
# The msgctxt of the templates that have one.
CONTEXTS: dict[str, str] = {}


def gettext_noop(message: str) -> str:
    """Marks a template for translation (makemessages extracts it) and returns it unchanged."""
    return message


def ngettext_noop(singular: str, plural: str, number: str) -> str:
    """Marks a counted template (msgid and msgid_plural) and returns the plural, the template a label keeps."""
    COUNTED[plural] = Counted(singular, plural, number)
    return plural


def pgettext_noop(context: str, message: str) -> str:
    """Marks a template with its msgctxt and returns it unchanged."""
    CONTEXTS[message] = context
    return message


BASE = gettext_noop("a typical request")
NEW_PARTNER = gettext_noop("new partner: a fair chance")
EXPLORING = gettext_noop("exploring: few answers from you yet")
INDUSTRY_MATCH = gettext_noop("works in %(industry)s")
INDUSTRY_UNKNOWN = gettext_noop("industry not stated")
INDUSTRY_INFERRED = gettext_noop("your products are typical of %(industry)s requests")
INDUSTRY_OTHER = gettext_noop("%(industry)s is not among your industries")
PRODUCTS_OFFERED = gettext_noop("offers %(products)s")
PRODUCTS_INFERRED = gettext_noop("%(products)s are typical of your industries' requests")
PRODUCTS_NONE_OFFERED = gettext_noop("none of the requested products in your profile")
PRODUCTS_NONE_NAMED = gettext_noop("no products named")
SIZE_IN_TARGET = gettext_noop("serves companies of %(size)s employees")
SIZE_ANY = gettext_noop("any company size")
SIZE_OUTSIDE = gettext_noop("company size %(size)s is outside your target sizes")
DISTANCE_REMOTE = gettext_noop("remote: no distance known")
DISTANCE_KM = pgettext_noop("routing reason", "%(km)s km away")
LANGUAGE_SPOKEN = gettext_noop("speaks %(language)s")
LANGUAGE_UNKNOWN = gettext_noop("language not stated")
WORDS_SHARED = ngettext_noop(
    "%(count)s of your keywords matches the request", "%(count)s of your keywords match the request", "count"
)
WORDS_CLOSE = gettext_noop("the request reads close to your profile")
WORDS_NONE = gettext_noop("no keywords in common")
SOURCE = gettext_noop("came from %(source)s")
BUDGET_NONE = gettext_noop("no budget given")
BUDGET_ABOUT = gettext_noop("budget about %(budget)s EUR")
INTERESTED_IN = ngettext_noop(
    "interested in %(yes)s of %(asked)s request", "interested in %(yes)s of %(asked)s requests", "asked"
)
NO_ANSWERS = gettext_noop("no answers yet")
ANSWERS_WITHIN = gettext_noop("answers within %(hours)s h")
ACCEPTED_SIMILAR = ngettext_noop(
    "you accepted %(yes)s of %(total)s similar %(kind)s deal",
    "you accepted %(yes)s of %(total)s similar %(kind)s deals",
    "total",
)
ACCEPTED_NONE = gettext_noop("no similar deals accepted or declined yet")
WON_SIMILAR = ngettext_noop(
    "you won %(yes)s of %(total)s similar %(kind)s deal", "you won %(yes)s of %(total)s similar %(kind)s deals", "total"
)
WON_NONE = gettext_noop("no similar deals closed yet")
INTERESTED_SIMILAR = ngettext_noop(
    "interested in %(yes)s of %(total)s similar %(kind)s request",
    "interested in %(yes)s of %(total)s similar %(kind)s requests",
    "total",
)
VALUE_ABOUT = gettext_noop("deals like this are worth about %(value)s EUR")
CAPACITY_UNLIMITED = gettext_noop("no limit on open referrals")
CAPACITY_OPEN = ngettext_noop(
    "%(open)s of %(capacity)s open referral", "%(open)s of %(capacity)s open referrals", "capacity"
)

# Every template a label keeps, in the order they are defined.
TEMPLATES: tuple[str, ...] = tuple(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
