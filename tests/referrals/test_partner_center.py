"""Reading Partner Center's exports (referrals.partner_center is pure): the wrapper, Microsoft's names for our tags,
statusReason, expiry and the moves a later version asks for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referrals import partner_center
from referrals.lifecycle import Action
from taxonomy import seed
from tests.factories import NOW


def words() -> partner_center.Vocabulary:
    index = partner_center.Vocabulary.index
    reasons: dict[str, list[tuple[str, str]]] = {}
    for kind, code, english, _russian in seed.REASONS:
        reasons.setdefault(kind, []).append((code, english))
    return partner_center.Vocabulary(
        industries=index((code, en) for code, en, _ru in seed.INDUSTRIES),
        products=index((code, en) for code, en, _ru in seed.PRODUCTS),
        services=index((code, en) for code, en, _ru in seed.SERVICE_TYPES),
        reasons={kind: index(pairs) for kind, pairs in reasons.items()},
        countries={"US": "US", "USA": "US"},
    )


def item(kind: str, names: list[str]) -> dict[str, object]:
    return {
        "engagementId": "e-1",
        "status": "New",
        "substatus": "Pending",
        "customerProfile": {
            "name": "Fabrikam",
            "size": "",
            "address": {"country": "USA"},
            "team": {"email": "sue@fabrikam.example"},
        },
        "details": {"requirements": {kind: [{"id": name} for name in names]}},
    }


@pytest.mark.parametrize(
    ("kind", "names", "codes"),
    [
        ("products", ["Office", "Exchange", "SharePoint", "Office 365", "Microsoft365"], ("office-suite",)),
        ("products", ["Dynamics 365", "Dynamics CRM", "Dynamics365Sales"], ("crm",)),
        ("products", ["Dynamics AX", "Dynamics NAV", "Dynamics GP", "Dynamics 365 Business Central"], ("erp",)),
        ("products", ["Enterprise Mobility + Security", "Intune"], ("security",)),
        ("products", ["Azure", "Power BI", "Teams", "Surface", "Copilot"],
         ("cloud-platform", "analytics", "collaboration", "devices", "ai")),
        ("services", ["Consulting", "Custom solutions", "Deployment or migration", "Managed services (MSP)"],
         ("consulting", "custom-development", "migration", "managed-services")),
        ("services", ["Learning and certification", "Licensing"], ("training", "licensing")),
        ("industries", ["Banking", "Insurance", "Capital markets"], ("finance",)),
        ("industries", ["Automotive", "Discrete manufacturing", "Retail and consumer goods", "Health"],
         ("manufacturing", "retail", "healthcare")),
        ("industries", ["Public safety and justice", "Defense and intelligence", "Higher education"],
         ("government", "education")),
        ("industries", ["Media and entertainment", "Telecommunications", "Power and utilities", "Oil and gas"],
         ("media", "energy")),
        ("industries", ["Travel and transportation", "Hospitality and travel", "Nonprofits"],
         ("transport", "hospitality", "nonprofit")),
    ],
)  # fmt: skip
def test_microsofts_names_map_onto_our_lists_through_the_one_table(kind, names, codes):
    parsed = partner_center.parse(item(kind, names), words())
    assert getattr(parsed, kind) == codes
    assert parsed.unmapped == ()


def test_each_name_that_maps_onto_nothing_gets_its_own_report_line():
    parsed = partner_center.parse(item("products", ["Office", "HoloLens 2 Industrial", "Mesh"]), words())
    assert parsed.products == ("office-suite",)
    assert parsed.unmapped == (
        "details.requirements.products 'HoloLens 2 Industrial' is not in our products: kept in the need text.",
        "details.requirements.products 'Mesh' is not in our products: kept in the need text.",
    )


def test_an_empty_or_null_size_is_unknown_and_a_three_letter_country_is_read():
    parsed = partner_center.parse(item("products", []), words())
    assert (parsed.size, parsed.country, parsed.contacts[0].email) == ("", "US", "sue@fabrikam.example")
    raw = item("products", [])
    raw["customerProfile"]["size"] = None  # type: ignore[index]
    assert partner_center.parse(raw, words()).size == ""


@pytest.mark.parametrize(
    ("body", "items", "following"),
    [
        ([{"a": 1}], [{"a": 1}], ""),
        ({"@odata.context": "x", "value": [{"a": 1}], "@odata.nextLink": "https://next"}, [{"a": 1}], "https://next"),
        ({"value": []}, [], ""),
    ],
)
def test_an_export_is_a_bare_array_or_partner_centers_response(body, items, following):
    assert partner_center.items_of(body) == (items, following)


@pytest.mark.parametrize("body", [{"value": {"a": 1}}, {"items": []}, "x", None, 3])
def test_anything_else_is_not_an_export(body):
    with pytest.raises(partner_center.NotAnExport):
        partner_center.items_of(body)


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("lose", "Lost to competitor", "competitor"),
        ("lose", "Requirements not met", "requirements-not-met"),
        ("lose", "The customer postponed", "timing"),
        ("lose", "", "other"),
        ("decline", "Customer too small", "customer-too-small"),
        ("decline", "We have no bandwidth", "no-capacity"),
        ("decline", "Something else", "other"),
        ("skip", "Spam", "spam"),
    ],
)
def test_status_reason_becomes_one_of_our_reasons(kind, text, code):
    assert partner_center.reason_code(kind, text, words().reasons) == code


@pytest.mark.parametrize(
    ("state", "status", "substatus", "moves"),
    [
        ("new", "New", "Pending", ()),
        ("new", "new", "received", (Action.INTERESTED,)),
        ("new", "Closed", "Won", (Action.INTERESTED, Action.ACCEPT, Action.WIN)),
        ("negotiating", "Closed", "Won", (Action.WIN,)),
        ("negotiating", "Closed", "Lost", (Action.LOSE,)),
        ("new", "Closed", "Declined", (Action.SKIP,)),
        ("evaluating", "Closed", "Declined", (Action.DECLINE,)),
        ("new", "Closed", "Expired", (Action.MISS,)),
        ("negotiating", "New", "Pending", None),
        ("won", "Closed", "Lost", None),
    ],
)
def test_a_later_status_is_reached_by_the_fewest_lifecycle_moves(state, status, substatus, moves):
    assert partner_center.moves_to(state, status, substatus) == moves


@pytest.mark.parametrize(
    ("state", "expires", "arrives"),
    [
        ("new", NOW - timedelta(seconds=1), "missed"),
        ("new", NOW, "missed"),
        ("new", NOW + timedelta(seconds=1), "new"),
        ("evaluating", NOW - timedelta(days=3), "expired"),
        ("negotiating", NOW - timedelta(days=3), "negotiating"),
        ("new", None, "new"),
    ],
)
def test_an_item_past_its_expiry_arrives_as_the_timer_leaves_it(state, expires, arrives):
    assert partner_center.expired_state(state, expires, NOW) == arrives
