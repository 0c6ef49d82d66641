"""The API keeps its OpenAPI contract: Schemathesis over every operation of /api/v1/openapi.json.

The document is read from the Django app in-process (WSGI), so endpoints added later are tested too.
Two runs per operation, both deterministic (the same requests every time):
  - fuzzing: 15 generated requests, valid and invalid; path ids and a few body fields are sometimes
    those of real objects, so requests get past "not found" and "choose a listed reason";
  - coverage: Schemathesis's boundary values, missing and wrong-typed fields, unexpected methods.
A fuzzing request goes with a partner referrals admin's token and then with an operator's, coverage
requests with one or the other in turn (requests with generated, invalid headers go as they are), on
a database with referrals in most states.

Checks: no 5xx; the status is documented; body, headers and media type are as documented; invalid
requests are refused; every error is application/problem+json with its status in it.

A failure shows the request as a curl command. To reproduce it, run the test again:
    .venv/bin/pytest tests/api/test_openapi_contract.py -k "POST /api/v1/referrals/{referral_id}/accept"
If an operation gives an error its `response=` does not list, add it with `**problems(404, ...)` from
kernel.api_types (400/401/422/429/500 are documented for every operation that can give them).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kernel.problems import CONTENT_TYPE as PROBLEM_JSON
from leadshare.wsgi import application
from tests.api import tenants

MAX_EXAMPLES = 15
DOCUMENT = "/api/v1/openapi.json"
# Not Schemathesis's own stateful phase: sequences of calls are what the other API tests are for.
NO_STATEFUL = {"stateful": {"enabled": False}}
DETERMINISTIC = {"deterministic": True, "database": "none"}

fuzzing = schemathesis.openapi.from_wsgi(
    DOCUMENT,
    application,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": MAX_EXAMPLES, **DETERMINISTIC},
            "phases": {**NO_STATEFUL, "coverage": {"enabled": False}, "examples": {"enabled": False}},
        }
    ),
)
coverage = schemathesis.openapi.from_wsgi(
    DOCUMENT,
    application,
    config=schemathesis.Config.from_dict(
        {
            "generation": DETERMINISTIC,
            "phases": {**NO_STATEFUL, "coverage": {"enabled": True}, "fuzzing": {"enabled": False}},
        }
    ),
)

# Valid values of fields the schema types only as strings, so that actions can succeed.
BODY_HINTS: dict[str, list[Any]] = {
    "reason": ["other", "duplicate", "competitor", "no-capacity"],
    "currency": ["EUR", "USD"],
    "expected_close_date": ["2099-06-30"],
    "events": [["referral.created"], ["referral.created", "referral.updated"]],
    "url": ["https://hooks.alpha.example/in"],
    "country": ["PL", "NL"],
    "language": ["en", "ru"],
}


def errors_are_problems(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx and 5xx is application/problem+json with `status` equal to the HTTP status."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if content_type != PROBLEM_JSON:
        raise AssertionError(f"{response.status_code} with Content-Type {content_type!r}, expected {PROBLEM_JSON}")
    body = json.loads(response.content)
    if body.get("status") != response.status_code or not body.get("detail"):
        raise AssertionError(f"problem body {body!r} does not match status {response.status_code}")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    errors_are_problems,
]


@pytest.fixture
def world(db, settings):  # type: ignore[no-untyped-def]
    # Schemathesis calls the bare WSGI app, which closes the connection after each request (and with
    # it the test's transaction); Django's test client keeps it open the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()  # the throttle counts per token id, and SQLite reuses ids after a rollback
    _operator, operator_token = tenants.operator()
    yield World(tenants.tenant("Alpha"), operator_token)
    cache.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class World:
    alpha: tenants.Tenant
    operator_token: str
    sent: int = 0


# Items that do not match the Partner Center schema are skipped with a reason in a 200 report, by design (the
# same export is sent again with some items fixed): the body's description is not a refusal rule there.
SKIPS_INSTEAD_OF_REFUSING = {"/api/v1/import/partner-center"}


def checks_for(case: Any) -> list[Any]:
    if case.path in SKIPS_INSTEAD_OF_REFUSING:
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


def mode(case: Any, location: ParameterLocation) -> GenerationMode | None:
    info = case.meta.components.get(location) if case.meta else None
    return info.mode if info is not None else None


def send(case: Any, world: World, both: bool = True) -> None:
    """The case with the partner admin's token, then the operator's (or, not `both`, one of them in turn)."""
    if mode(case, ParameterLocation.HEADER) == GenerationMode.NEGATIVE:
        # Invalid headers (a malformed Authorization among them) go as generated: they must be refused.
        case.call_and_validate(checks=checks_for(case))
        return
    chosen = [world.alpha.tokens["referrals_admin"], world.operator_token]
    if not both:
        world.sent += 1
        chosen = [chosen[world.sent % 2]]
    for token in chosen:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks_for(case))


@fuzzing.parametrize()
@fuzzing.given(data=st.data())
# One world per operation, shared by its examples: they may change it, as clients would.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_its_contract(case, data, world):  # type: ignore[no-untyped-def]
    alpha = world.alpha
    if case.path_parameters and mode(case, ParameterLocation.PATH) == GenerationMode.POSITIVE:
        for name in list(case.path_parameters):
            pool = tenants.ID_KINDS.get(tenants.kind_of(case.path, name) or "", lambda _w: [])(alpha)
            if pool and data.draw(st.booleans(), label=f"a real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(pool), label=name)
    if isinstance(case.body, dict) and mode(case, ParameterLocation.BODY) == GenerationMode.POSITIVE:
        for name in [n for n in case.body if n in BODY_HINTS]:
            if data.draw(st.booleans(), label=f"a valid {name}"):
                case.body[name] = data.draw(st.sampled_from(BODY_HINTS[name]), label=name)
    send(case, world)


@coverage.parametrize()
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_its_contract_at_the_boundaries(case, world):  # type: ignore[no-untyped-def]
    # Hundreds of cases: each goes once, with the partner's and the operator's token in turn.
    send(case, world, both=False)


# --- What Schemathesis found, and what following it up found, as plain requests -----------------


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


LIST, ONE = "/api/v1/referrals", "/api/v1/referrals/{new}"
FOUND = [
    # (what was wrong before, method, path, query or body, the status now)
    ("undocumented 404: id beyond 64 bits", "get", "/api/v1/referrals/2055280606248871475932993421312", None, 422),
    ("500 on PostgreSQL: UTC offset beyond 15:59", "get", LIST, {"updated_since": "2026-06-18T21:30:05-20:00"}, 200),
    ("500 on SQLite: year 1 with an offset", "get", LIST, {"updated_since": "0001-01-01T00:00:00+05:00"}, 422),
    ("200: a number taken as Unix time", "get", LIST, {"updated_since": "-40173"}, 422),
    (
        "forged cursor with a huge id accepted",
        "get",
        LIST,
        {"cursor": cursor("2026-01-01T00:00:00+00:00|99999999999999999999")},
        422,
    ),
    ("forged cursor with a naive time accepted", "get", LIST, {"cursor": cursor("2026-01-01T00:00:00|1")}, 422),
    ("NUL in a query refused before a handler", "get", LIST, {"state": "new\x00"}, 422),
    ("500 on PostgreSQL: NUL in notes", "patch", ONE, {"notes": "a\x00b"}, 422),
    ("500 on PostgreSQL: NUL in a reason", "post", ONE + "/skip", {"reason": "other\x00"}, 422),
    ("200: a JSON array taken as an empty patch", "patch", ONE, [[], {"": []}, -9731707, False], 422),
    ("false read as user 0 (412 with If-Match)", "patch", ONE, {"assignee": False}, 422),
    ("422 but the notes saved all the same", "patch", ONE, {"notes": "saved?", "assignee": 999999}, 422),
    ("HTML: unknown method", "trace", LIST, None, 405),
    ("HTML: unknown path", "get", "/api/v1/no-such-thing", None, 404),
]


@pytest.mark.parametrize(("why", "method", "path", "data", "status"), FOUND, ids=[f[0] for f in FOUND])
def test_what_fuzzing_found_stays_fixed(why, method, path, data, status, world, client):  # type: ignore[no-untyped-def]
    alpha = world.alpha
    url = path.format(new=alpha.referrals[0].pk)
    headers = {"Authorization": f"Bearer {alpha.tokens['referrals_admin']}"}
    if method == "trace":
        response = client.generic("TRACE", url, headers=headers)
    elif method == "get":
        response = client.get(url, data, headers=headers)
    else:
        response = getattr(client, method)(url, json.dumps(data), content_type="application/json", headers=headers)
    assert response.status_code == status, response.content
    if status >= 400:
        assert response["Content-Type"] == PROBLEM_JSON
        assert response.json()["status"] == status
        alpha.referrals[0].refresh_from_db()
        assert alpha.referrals[0].notes == "Alpha notes"


def test_without_a_token_every_operation_is_a_401_problem(world):  # type: ignore[no-untyped-def]
    document = Client().get(DOCUMENT).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            url = path.replace("{", "").replace("}", "")  # a path that matches; the id is never read
            response = getattr(Client(), method)(url)
            assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
            assert response["Content-Type"] == PROBLEM_JSON
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert "401" in operation["responses"] or 401 in operation["responses"]
