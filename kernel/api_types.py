"""Small helpers shared by API handlers: ETags, If-Match, ids in paths, and the documented errors.

Every error of the API is an RFC 9457 problem (kernel.problems), sent as application/problem+json.
`document_problems` (run on the whole OpenAPI document by leadshare.api) documents the errors any
operation can give: 401 and 429 where a token is needed, 400 (unreadable JSON) where there is a body,
422 where there are parameters or a body, 500 everywhere. An operation lists only its own errors:

    @router.get("/things/{thing_id}", response={200: ThingOut, **problems(404)})

and `document_problems` gives every Problem response the media type application/problem+json.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import Schema
from ninja import parser as ninja_parser
from ninja.params import functions as params
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import core_schema

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


def _accepts_null(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_accepts_null(arg) for arg in typing.get_args(annotation))
    return False


def _null_is_missing(field: FieldInfo | None) -> bool:
    return field is not None and not field.is_required() and not _accepts_null(field.annotation)


_SIBLINGS = ("title", "description", "default")


def _document_nulls(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The document says so too: such a field takes null (as well as its type), so clients may send it."""
    properties = schema.get("properties", {})
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in properties and _null_is_missing(field):
            typed = {k: v for k, v in properties[key].items() if k not in _SIBLINGS}
            kept = {k: v for k, v in properties[key].items() if k in _SIBLINGS}
            properties[key] = {"anyOf": [typed, {"type": "null"}], **kept}


class Input(BaseModel):
    """The base of every request body. A body must be a JSON object: ninja's Schema reads fields off any
    value (a list, a number, a string) and, when every field is optional, takes it for an empty object.

    An optional field sent as JSON null is the same as leaving it out (clients and generated SDKs send
    null for "not set"), unless null is one of its values (e.g. `assignee: null` unassigns)."""

    model_config = ConfigDict(json_schema_extra=_document_nulls)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        return {key: value for key, value in data.items() if value is not None or not _null_is_missing(fields.get(key))}


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


# --- Enums shared by the whole document ---------------------------------------------------------


class SharedEnum:
    """A string field whose values are a named component of the OpenAPI document, for generated clients:

        StateName = Annotated[str, SharedEnum("ReferralState", (s.value for s in State), "A referral's state")]

    The values come from the rule's owner (never a copy); the field refuses others and holds a plain str.
    `shared_enums` (run on the whole document by leadshare.api) turns each use into a $ref."""

    registry: typing.ClassVar[dict[str, SharedEnum]] = {}

    def __init__(self, name: str, values: Iterable[str], description: str) -> None:
        self.name, self.values, self.description = name, tuple(values), description
        self.enum = StrEnum(name, [(value, value) for value in self.values])  # type: ignore[misc]
        self.enum.__doc__ = description
        self._schema: core_schema.CoreSchema | None = None
        SharedEnum.registry[name] = self

    def component(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values), "title": self.name, "description": self.description}

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        self._schema = handler.generate_schema(self.enum)
        return core_schema.no_info_after_validator_function(
            lambda member: member.value, self._schema, serialization=core_schema.to_string_ser_schema()
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**self.component(), ENUM_MARK: self.name}


ENUM_MARK = "x-shared-enum"


def _enum_refs(node: Any, used: set[str]) -> Any:
    if isinstance(node, list):
        return [_enum_refs(item, used) for item in node]
    if not isinstance(node, dict):
        return node
    name = node.get(ENUM_MARK)
    if name is None:
        return {key: _enum_refs(value, used) for key, value in node.items()}
    used.add(name)
    shared = SharedEnum.registry[name]
    extra = {k: v for k, v in node.items() if k not in {*shared.component(), ENUM_MARK}}
    if node.get("description", shared.description) != shared.description:
        extra["description"] = node["description"]
    return {"$ref": f"#/components/schemas/{name}", **extra}


def shared_enums(document: dict[str, Any]) -> dict[str, Any]:
    """Each shared enum the document uses once, in components, and a $ref wherever a field uses it."""
    used: set[str] = set()
    document.update(_enum_refs(document, used))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(used):
        schemas[name] = SharedEnum.registry[name].component()
    return document


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


def _absent_when_unset(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Problem(Schema):
    """An error (RFC 9457 problem details). Some 409s add members: `state` and `action` when the action is not
    allowed in the referral's state, `deadline` when its deadline has passed."""

    type: str = Field("about:blank", description="Always about:blank: `status` and `title` say what happened")
    title: str = Field(description="The HTTP status phrase, e.g. Not Found")
    status: int = Field(description="The HTTP status code, repeated")
    detail: str = Field(description="A sentence for a person: what went wrong and what to do")
    errors: list[FieldError] = Field(
        default_factory=list, description="What is wrong with which field (422; some 400s and 409s)"
    )
    # Sent only by some 409s: absent, never null, in every other problem.
    state: str | SkipJsonSchema[None] = Field(
        None, description="409, action not allowed: the referral's state", json_schema_extra=_absent_when_unset
    )
    action: str | SkipJsonSchema[None] = Field(
        None, description="409, action not allowed: the action refused", json_schema_extra=_absent_when_unset
    )
    deadline: datetime | SkipJsonSchema[None] = Field(
        None, description="409, too late: the deadline that passed", json_schema_extra=_absent_when_unset
    )


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


# --- Headers -------------------------------------------------------------------------------------

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The version read or written; send it as If-Match to change it only if nobody else has",
        "schema": {"type": "string", "examples": ['"v3"']},
    },
    "Location": {"description": "Where to read what was created", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 0}},
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def response_headers(by_status: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    """`openapi_extra=response_headers({200: ("ETag",)})`: the headers an operation's responses carry."""
    return {
        "responses": {
            status: {"headers": {name: HEADERS[name] for name in names}} for status, names in by_status.items()
        }
    }


PROBLEM_REF = "#/components/schemas/Problem"
REF_TEMPLATE = "#/components/schemas/{model}"

# Models the document shows that no handler's signature names (a body read by hand, webhook payloads).
DOCUMENTED_MODELS: dict[str, type[BaseModel]] = {}


def documented(model: type[BaseModel]) -> dict[str, str]:
    """A $ref to `model`, which `add_components` puts in the document."""
    DOCUMENTED_MODELS[model.__name__] = model
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def add_components(document: dict[str, Any], *models: type[BaseModel]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (*DOCUMENTED_MODELS.values(), *models):
        definition = model.model_json_schema(ref_template=REF_TEMPLATE, mode="serialization")
        schemas.update(definition.pop("$defs", {}))
        schemas[model.__name__] = definition
    return document


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
    return found.union(*(_refs(value) for key, value in node.items() if key != "$ref"))


def drop_unused_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Components no operation or webhook reaches (ninja also adds the models of query parameters)."""
    schemas = document.get("components", {}).get("schemas", {})
    outside = {key: value for key, value in document.items() if key != "components"}
    reached, frontier = set(), _refs(outside)
    while frontier:
        reached |= frontier
        frontier = _refs([schemas.get(name) for name in frontier]) - reached
    for name in set(schemas) - reached:
        del schemas[name]
    return document


def public_operations(document: dict[str, Any]) -> dict[str, Any]:
    """`security: []` on the operations that need no token, so that no client sends one by mistake."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("security", [])
    return document


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Document the generic errors of every operation, and every Problem as application/problem+json."""
    add_components(document, Problem)
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
            for code, response in responses.items():
                if str(code) == "429":
                    response.setdefault("headers", {})["Retry-After"] = HEADERS["Retry-After"]
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
    return document
