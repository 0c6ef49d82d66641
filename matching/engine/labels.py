"""Every label template the engine's explanations use, marked for translation here and nowhere else. Pure.

A label is kept as one of these templates and its values (`types.Label`), never as filled-in text, so the
product renders it in the reader's language at display time (matching/explanations.py). `gettext_noop` is
this module's own: the engine has no Django, and makemessages knows the name. A new signal adds its
templates here.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks a template for translation (makemessages extracts it) and returns it unchanged."""
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
DISTANCE_KM = gettext_noop("%(km)s km away")
LANGUAGE_SPOKEN = gettext_noop("speaks %(language)s")
LANGUAGE_UNKNOWN = gettext_noop("language not stated")
WORDS_SHARED = gettext_noop("%(count)s of your keywords match the request")
WORDS_CLOSE = gettext_noop("the request reads close to your profile")
WORDS_NONE = gettext_noop("no keywords in common")
SOURCE = gettext_noop("came from %(source)s")
BUDGET_NONE = gettext_noop("no budget given")
BUDGET_ABOUT = gettext_noop("budget about %(budget)s EUR")
INTERESTED_IN = gettext_noop("interested in %(yes)s of %(asked)s requests")
NO_ANSWERS = gettext_noop("no answers yet")
ANSWERS_WITHIN = gettext_noop("answers within %(hours)s h")
ACCEPTED_SIMILAR = gettext_noop("you accepted %(yes)s of %(total)s similar %(kind)s deals")
ACCEPTED_NONE = gettext_noop("no similar deals accepted or declined yet")
WON_SIMILAR = gettext_noop("you won %(yes)s of %(total)s similar %(kind)s deals")
WON_NONE = gettext_noop("no similar deals closed yet")
INTERESTED_SIMILAR = gettext_noop("interested in %(yes)s of %(total)s similar %(kind)s requests")
VALUE_ABOUT = gettext_noop("deals like this are worth about %(value)s EUR")
CAPACITY_UNLIMITED = gettext_noop("no limit on open referrals")
CAPACITY_OPEN = gettext_noop("%(open)s of %(capacity)s open referrals")

# Every template above, in the order they are defined.
TEMPLATES: tuple[str, ...] = tuple(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
