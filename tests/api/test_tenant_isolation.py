"""Partner A never reaches partner B's objects, through any operation of the API.

The operations come from the live OpenAPI document, so endpoints added later are walked too. For each
operation with ids in its path, A's people (every partner role, each with its own token) send the
operation with the ids of B's objects (and, with several ids, B's id in one place and A's in the
others), with a body that passes validation; every answer must be 404 or 403, show nothing of B,
and change nothing: B's rows, every table's row count and the outbox stay as they were. Operations
without ids must show nothing of B either (no B id in a list, no B text anywhere in the answer).

A path parameter this file does not know fails its test: map it in tests/api/tenants.py ID_KINDS
(name -> B's objects of that kind), or, if it names no partner's object, add it to NOT_TENANT_IDS
with the reason.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from itertools import product
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from leadshare.api import api
from partners.models import ApiToken, BusinessProfile, Location, Partner, ProfileContact, User
from referrals.models import CustomerContact, Engagement, ProfileResponsiveness, Referral, ReferralEvent
from tests.api import tenants

# Path parameters that name no partner's object, with the reason. Keep this short.
NOT_TENANT_IDS: dict[str, str] = {}
# Public operations that show every partner's public profile (name, city, tags), B's too, with the reason.
# The walk still checks that nothing B keeps private shows there (see shows_private).
PUBLIC_PROFILES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/finder/profiles"): "the partner finder lists every active partner's public profile",
}

DOCUMENT = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path)
    for path, operations in DOCUMENT["paths"].items()
    for method in operations
    if method in {"get", "post", "put", "patch", "delete"}
]
PATH_PARAMETER = re.compile(r"{([^}]+)}")

# Values that pass validation, by field name, where the schema alone does not say.
FIELD_HINTS: dict[str, Any] = {
    "reason": "other",
    "currency": "EUR",
    "budget_currency": "EUR",
    "deal_currency": "EUR",
    "country": "PL",
    "language": "en",
    "events": ["referral.created"],
    "secret": "alpha-secret-0123456789",
    "email": "someone@alpha.example",
    "phone": "+48 22 1234567",
    "size": "50-249",
    "company_size": "50-249",
    "industry": "manufacturing",
    "url": "https://hooks.alpha.example/in",
    "website": "https://alpha.example",
}
# Ids in bodies point at B's objects too: a body must not reach across either.
ID_FIELDS = {"targets": "profile_id", "assignee": "user_id", "profile": "profile_id", "partner": "partner_id"}


@pytest.fixture
def worlds(db, settings):  # type: ignore[no-untyped-def]
    cache.clear()  # the throttle counts per token id, and SQLite reuses ids after a rollback
    alpha = tenants.tenant("Alpha", country="DE")
    bravo = tenants.tenant("Bravo", country="FR")
    yield alpha, bravo
    cache.clear()


# --- Requests ----------------------------------------------------------------------------------


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


def plausible(schema: dict[str, Any], bravo: tenants.Tenant, name: str = "") -> Any:
    """A value that `schema` (and, by field name, the services) accept; ids are B's."""
    schema = resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = ID_FIELDS.get(name) or (name if name in tenants.ID_KINDS else None)
    if kind is not None:
        ids = tenants.ID_KINDS[kind](bravo)
        if ids:
            return ids if schema.get("type") == "array" else ids[0]
    if name in FIELD_HINTS:
        return FIELD_HINTS[name]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = [resolve(o) for o in schema.get(combinator, []) if resolve(o).get("type") != "null"]
        if options:
            return plausible(options[0], bravo, name)
    kind_of_value = schema.get("type")
    if kind_of_value == "object" or "properties" in schema:
        return {key: plausible(sub, bravo, key) for key, sub in schema.get("properties", {}).items()}
    if kind_of_value == "array":
        return [plausible(schema.get("items", {}), bravo, name)] * max(1, schema.get("minItems", 1))
    if kind_of_value == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind_of_value == "number":
        return max(1000, schema.get("minimum", 0))
    if kind_of_value == "boolean":
        return True
    if kind_of_value == "string":
        today = timezone.now().date()
        formats = {
            "date": (today + timedelta(days=30)).isoformat(),
            "date-time": timezone.now().isoformat(),
            "email": "someone@alpha.example",
            "uri": "https://alpha.example/x",
            "uuid": str(uuid.uuid4()),
        }
        if schema.get("format") in formats:
            return formats[schema["format"]]
        text = "Alpha " + (name or "text")
        return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", len(text))]
    return {}


def request_for(method: str, path: str, operation: dict[str, Any], bravo: tenants.Tenant) -> dict[str, Any]:
    """Client keyword arguments: the body, query and headers that pass validation."""
    kwargs: dict[str, Any] = {"headers": {}}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and (parameter.get("required") or parameter["name"] == "Idempotency-Key"):
            kwargs["headers"][parameter["name"]] = str(uuid.uuid4())
        elif parameter["in"] == "query" and parameter.get("required"):
            kwargs.setdefault("data", {})[parameter["name"]] = plausible(parameter["schema"], bravo, parameter["name"])
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = plausible(content["application/json"]["schema"], bravo)
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif "multipart/form-data" in content:
        fields = resolve(content["multipart/form-data"]["schema"]).get("properties", {})
        kwargs["data"] = {
            key: SimpleUploadedFile(f"{key}.csv", b"a,b\n1,2\n", "text/csv")
            if resolve(sub).get("format") == "binary"
            else plausible(sub, bravo, key)
            for key, sub in fields.items()
        }
    return kwargs


def send(token: str, method: str, url: str, kwargs: dict[str, Any]) -> Any:
    kwargs = {**kwargs, "headers": {**kwargs["headers"], "Authorization": f"Bearer {token}"}}
    return getattr(Client(), method.lower())(url, **kwargs)


# --- What B has --------------------------------------------------------------------------------


def rows_of(bravo: tenants.Tenant) -> dict[str, list[dict[str, Any]]]:
    """Every row of B's, as the database holds it."""
    partner = bravo.partner
    rows = {
        "partner": Partner.objects.filter(pk=partner.pk),
        "profiles": BusinessProfile.objects.filter(partner=partner),
        "locations": Location.objects.filter(profile__partner=partner),
        "profile contacts": ProfileContact.objects.filter(profile__partner=partner),
        "responsiveness": ProfileResponsiveness.objects.filter(profile__partner=partner),
        "users": User.objects.filter(partner=partner),
        "tokens": ApiToken.objects.filter(user__partner=partner),
        "referrals": Referral.objects.filter(partner=partner),
        "history": ReferralEvent.objects.filter(referral__partner=partner),
        "engagements": Engagement.objects.filter(referrals__partner=partner).distinct(),
        "customer contacts": CustomerContact.objects.filter(engagement__referrals__partner=partner).distinct(),
    }
    outbox = apps.get_model("notifications", "OutboxMessage")
    about_b = Q(referral__partner=partner) | Q(to_address__icontains=bravo.marker())
    if any(f.name == "webhook" for f in outbox._meta.get_fields()):
        about_b |= Q(webhook__partner=partner)
    rows["outbox"] = outbox.objects.filter(about_b)
    for hook in bravo.extra.get("webhooks", []):
        rows["webhooks"] = type(hook).objects.filter(partner=partner)
    return {name: list(qs.order_by("pk").values()) for name, qs in rows.items()}


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def shows_b(response: Any, bravo: tenants.Tenant) -> str | None:
    """What of B's the response shows: its label in any text, or B's id in a field that names that kind."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    if bravo.marker() in text.lower():
        at = text.lower().index(bravo.marker())
        return f"B's text: ...{text[max(0, at - 80) : at + 40]}..."
    try:
        body = json.loads(text)
    except ValueError:
        return None
    b_ids = {kind: set(ids(bravo)) for kind, ids in tenants.ID_KINDS.items()}
    found: list[str] = []

    def walk(value: Any, kind_of_ids: str | None) -> None:
        # `id` names the collection's objects in the answer itself and in its (items) list; deeper, others.
        if isinstance(value, dict):
            for key, item in value.items():
                kind = kind_of_ids if key == "id" else (key if key in b_ids else None)
                if kind is not None and not isinstance(item, dict | list) and item in b_ids.get(kind, ()):
                    found.append(f"{key}={item} is B's {kind}")
                walk(item, kind_of_ids if key == "items" and isinstance(item, list) else None)
        elif isinstance(value, list):
            for item in value:
                walk(item, kind_of_ids)

    collection = response.request["PATH_INFO"].removeprefix("/api/v1/").split("/")[0].split(".")[0]
    walk(body, tenants.kind_of(f"/{collection}/{{id}}", "id"))
    return "; ".join(found) or None


def shows_private(response: Any, bravo: tenants.Tenant) -> str | None:
    """What B keeps private that the response shows: its customers, their contacts, its notes, its addresses."""
    text = response.content.decode(errors="replace").lower()
    label = bravo.label.lower()
    private = (f"{label} customer", f"{label} contact", f"{label} needs", f"{label} notes", f"@{label}.example")
    return next((f"B's private text {marker!r}" for marker in private if marker in text), None)


# --- The walk ----------------------------------------------------------------------------------


def id_kinds(path: str) -> dict[str, str]:
    kinds = {}
    for name in PATH_PARAMETER.findall(path):
        if name in NOT_TENANT_IDS:
            continue
        kind = tenants.kind_of(path, name)
        if kind is None:
            pytest.fail(
                f"{path}: the path parameter {{{name}}} names objects this test does not know. Map it in "
                f"tests/api/tenants.py ID_KINDS (name -> the partner's objects of that kind), or add it to "
                f"NOT_TENANT_IDS in {__name__.replace('.', '/')}.py with the reason it names no partner's object."
            )
        kinds[name] = kind
    return kinds


def urls(path: str, kinds: dict[str, str], alpha: tenants.Tenant, bravo: tenants.Tenant) -> list[str]:
    """The path with B's ids everywhere, and with several ids, B's in one place and A's in the others."""
    names = list(kinds)
    choices = []
    for b_place in [None, *names] if len(names) > 1 else [None]:
        per_name = []
        for name in names:
            owner = bravo if b_place in (None, name) else alpha
            per_name.append(tenants.ID_KINDS[kinds[name]](owner)[: 1 if owner is alpha else None])
        choices.extend(product(*per_name))
    filled = []
    for values in dict.fromkeys(choices):
        url = path
        for name, value in zip(names, values, strict=True):
            url = url.replace("{" + name + "}", str(value))
        filled.append(url)
    return filled


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_partner_a_cannot_reach_partner_b(method, path, worlds):  # type: ignore[no-untyped-def]
    alpha, bravo = worlds
    operation = DOCUMENT["paths"][path][method.lower()]
    kinds = id_kinds(path)
    for kind in set(kinds.values()):
        assert tenants.ID_KINDS[kind](bravo), f"B has no {kind} objects to try on {path}: build some in tenants.py"
    kwargs = request_for(method, path, operation, bravo)
    before, counts = rows_of(bravo), row_counts()
    problems = []
    for role, token in alpha.tokens.items():
        for url in urls(path, kinds, alpha, bravo) if kinds else [path]:
            response = send(token, method, url, kwargs)
            seen = f"{method} {url} as A's {role}: {response.status_code}"
            if kinds and response.status_code not in (403, 404):
                problems.append(f"{seen}, expected 404 or 403: {response.content[:300]!r}")
            if response.status_code >= 500:
                problems.append(f"{seen}: {response.content[:300]!r}")
            leak = shows_private(response, bravo) if (method, path) in PUBLIC_PROFILES else shows_b(response, bravo)
            if leak:
                problems.append(f"{seen} shows {leak}")
    assert not problems, "\n".join(problems[:15] + [f"... and {len(problems) - 15} more"] * (len(problems) > 15))
    after = rows_of(bravo)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"{method} {path} changed B's rows: {changed}"
    if kinds:
        # Also nothing added anywhere: no outbox row, no history, no log of a refused request.
        assert row_counts() == counts


def test_every_operation_is_walked():
    """The walk above covers the whole document (and the document has the operations we know of)."""
    assert ("GET", "/api/v1/referrals/{referral_id}") in OPERATIONS
    assert len(OPERATIONS) == sum(len(ops) for ops in DOCUMENT["paths"].values())
