"""Small helpers shared by API handlers: ETags, If-Match, ids in paths, and the documented errors.

Every error of the API is an RFC 9457 problem (kernel.problems), sent as application/problem+json.
`document_problems` (run on the whole OpenAPI document by leadshare.api) documents the errors any
operation can give: 401 and 429 where a token is needed, 400 (unreadable JSON) where there is a body,
422 where there are parameters or a body, 500 everywhere. An operation lists only its own errors:

    @router.get("/things/{thing_id}", response={200: ThingOut, **problems(404)})

and `document_problems` gives every Problem response the media type application/problem+json.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import Schema
from ninja import parser as ninja_parser
from ninja.params import functions as params
from pydantic import BaseModel, BeforeValidator, Field, Strict

from kernel.problems import CONTENT_TYPE as PROBLEM_MEDIA_TYPE
from kernel.text import has_nul

# The largest primary key of a BigAutoField. Larger ids in a path would overflow the database driver.
MAX_ID = 2**63 - 1


class PreconditionFailed(Exception):
    def __init__(self) -> None:
        super().__init__("It changed since you read it (If-Match does not match its ETag). Read it again.")


def etag(version: int) -> str:
    return f'"v{version}"'


def with_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = etag(version)


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names; a header we cannot read matches nothing."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if value.startswith("v") and value[1:].isdigit():
        return int(value[1:])
    return -1


# An object id in a path: `def read(request, thing_id: ObjectId)`. Anything else is a 422, never a 500.
ObjectId = Annotated[int, params.Path(ge=1, le=MAX_ID)]
# An id in a body that names a row (e.g. an assignee): a JSON integer, never `true` or "12".
RowId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]


class Input(BaseModel):
    """The base of every request body. A body must be a JSON object: ninja's Schema reads fields off any
    value (a list, a number, a string) and, when every field is optional, takes it for an empty object."""


class Output(BaseModel):
    """The base of response shapes that handlers build as dicts. Pydantic checks these in its compiled
    core; ninja's Schema wraps every nested dict in a DjangoGetter first, which on a page of 50
    referrals costs more than the database does."""


def _iso_datetime(value: Any) -> Any:
    message = "Use an ISO 8601 date and time, such as 2026-01-31T09:00:00Z."
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(message) from None
    if not isinstance(value, datetime):
        raise ValueError(message)
    try:
        # In UTC: PostgreSQL takes offsets only up to 15:59, and near year 1 or 9999 an offset overflows.
        return value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
    except OverflowError:
        raise ValueError("This date is out of range.") from None


# A date and time as ISO 8601 only (pydantic alone also takes numbers as Unix time); UTC if no offset.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


# --- NUL characters ----------------------------------------------------------------------------


class NulCharacter(ValueError):
    """Text with a NUL character, which PostgreSQL cannot store: refused (422) before any handler runs."""

    def __init__(self, field: str) -> None:
        super().__init__("Text cannot contain the NUL character (U+0000).")
        self.field = field


class UnreadableText(ValueError):
    """A JSON string with a lone surrogate (an escape such as \\ud800 alone): no text at all, so nothing can
    store, compare or print it. Refused as a 400, as any body that is not JSON."""

    def __init__(self, field: str) -> None:
        super().__init__(f"The body is not valid text: {field or 'it'} holds a lone surrogate (such as \\ud800).")


def _is_not_text(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def nul_field(value: Any, where: str = "", bad: Callable[[str], bool] = has_nul) -> str | None:
    """The dotted name of the first text in `value` (a parsed JSON or query) with a NUL in it (or that is
    `bad`), else None."""
    if isinstance(value, str):
        return where if bad(value) else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and bad(key):
            return name
        found = nul_field(item, name, bad)
        if found is not None:
            return found
    return None


class Parser(ninja_parser.Parser):
    """JSON bodies, queries and forms as ninja reads them, refusing text with NUL characters."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        surrogate = nul_field(data, bad=_is_not_text)
        if surrogate is not None:
            raise UnreadableText(surrogate)
        field = nul_field(data)
        if field is not None:
            # ninja answers any error here with a 400; leadshare.api turns this one into a 422 again.
            raise NulCharacter(field or "body")
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        field = nul_field(result)
        if field is not None:
            raise NulCharacter(field)
        return result


# --- Problems ----------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description="The field, dotted for nested ones (e.g. contacts.0.email); 'body' for all")
    message: str


class Problem(Schema):
    """An error (RFC 9457 problem details). Some problems add members, e.g. 409s carry `state` and `action`."""

    type: str = Field("about:blank", description="Always about:blank: `status` and `title` say what happened")
    title: str = Field(description="The HTTP status phrase, e.g. Not Found")
    status: int = Field(description="The HTTP status code, repeated")
    detail: str = Field(description="A sentence for a person: what went wrong and what to do")
    errors: list[FieldError] = Field(default_factory=list, description="422 only: what is wrong with which field")


def problems(*codes: int) -> dict[int, type[Problem]]:
    """`response={200: X, **problems(404, 409)}`: the errors this operation gives besides the generic ones."""
    return dict.fromkeys(codes, Problem)


GENERIC_PROBLEMS = {
    400: "The request cannot be read, e.g. its body is not JSON.",
    401: "No valid API token.",
    413: "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB unless set otherwise).",
    422: "Some parameters or fields are missing or not valid.",
    429: "Too many requests for this token; see Retry-After.",
    500: "An error on our side; it has been logged.",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}}


PROBLEM_REF = "#/components/schemas/Problem"


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Document the generic errors of every operation, and every Problem as application/problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    definition = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(definition.pop("$defs", {}))
    schemas["Problem"] = definition
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                content = response.get("content", {})
                if content.get("application/json", {}).get("schema") == {"$ref": PROBLEM_REF}:
                    response["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
            generic = {500}
            if operation.get("security"):
                generic |= {401, 429}
            if operation.get("requestBody"):
                generic |= {400, 413, 422}
            if operation.get("parameters"):
                generic.add(422)
            documented = {str(code) for code in responses}
            for code in sorted(generic):
                if str(code) not in documented:
                    responses[code] = _problem_response(GENERIC_PROBLEMS[code])
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
    return document
