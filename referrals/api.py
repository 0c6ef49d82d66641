"""REST endpoints for a partner's referrals: list, read, act, edit, history, CSV export."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Header, Query, Router, Schema
from pydantic import Field
from pydantic_core import to_json

from kernel import csvexport
from kernel.api_types import (
    IsoDateTime,
    ObjectId,
    PreconditionFailed,
    expected_version,
    problems,
    response_headers,
    with_etag,
)
from kernel.errors import ReferralChanged
from partners.auth import current_user
from referrals import exports, list_cache, queries, routing_why, services
from referrals.actors import ActorRef
from referrals.lifecycle import Action
from referrals.presenters import present
from referrals.schemas import (
    AcceptIn,
    DeclineIn,
    EventOut,
    ReferralDetailOut,
    ReferralOut,
    ReferralPage,
    ReferralPatch,
    SkipIn,
    WinIn,
    event_out,
    referral_out,
    routing_out,
)
from referrals.validation import ActionInput

router = Router(tags=["referrals"])


class ListFilters(Schema):
    state: str | None = Field(None, description="Comma-separated states, e.g. new,evaluating")
    updated_since: IsoDateTime | None = Field(
        None,
        description=(
            "ISO 8601; UTC if it has no offset. To sync, pass the last `updated_at` you saw less a minute and "
            "skip the rows you already have at that `updated_at`: a change is stamped when it is made, and one "
            "whose transaction commits later than a newer one's can carry the earlier time."
        ),
    )


def _actor(request: HttpRequest) -> ActorRef:
    token = getattr(request, "auth", None)
    return ActorRef.api(current_user(request), getattr(token, "name", ""))


def _read(request: HttpRequest, referral_id: int) -> Any:
    referral = queries.visible_one(current_user(request), referral_id)
    if referral is None:
        raise Http404("No such referral.")
    return referral


@router.get(
    "/referrals",
    response={200: ReferralPage, 304: None},
    summary="List referrals, oldest change first (with an ETag: send If-None-Match to poll cheaply)",
    openapi_extra=response_headers({200: ("ETag",), 304: ("ETag",)}),
    operation_id="listReferrals",
)
def list_referrals(
    request: HttpRequest,
    filters: Query[ListFilters],
    limit: int = Query(50, ge=1, le=queries.MAX_LIMIT),
    cursor: str | None = None,
    if_none_match: str | None = Header(
        None, alias="If-None-Match", description="The ETag of the page you have: 304 with no body if it is the same"
    ),
) -> HttpResponse:
    user = current_user(request)
    chosen = queries.Filters(queries.parse_states(filters.state), filters.updated_since)
    if cursor:
        queries.decode_cursor(cursor)  # a bad cursor is refused even when a page is kept

    def build() -> bytes:
        views, following = queries.page(user, chosen, limit, cursor)
        # Written straight by pydantic's compiled core, in the same JSON as the schema's own serialiser
        # (tests/referrals/test_list_sql.py): validating 50 dicts we built costs more than the query.
        return to_json({"items": [referral_out(v) for v in views], "next_cursor": following})

    page = list_cache.page(user, (chosen.states, chosen.updated_since, limit, cursor), build)
    if if_none_match == page.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(page.body, content_type="application/json")
    response["ETag"] = page.etag
    return response


CSV = {"responses": {200: {"description": "OK", "content": {"text/csv": {"schema": {"type": "string"}}}}}}
# Acting on a referral: not yours (404), not allowed in its state or its deadline passed (409), stale If-Match (412).
ACTED = {200: ReferralOut, **problems(404, 409, 412)}
WITH_ETAG = response_headers({200: ("ETag",)})


class CsvFilters(ListFilters):
    sep: Literal["comma", "semicolon"] | None = Field(
        None,
        description=(
            "The column separator: comma (the default) or semicolon, which Excel expects where the decimal "
            "separator is a comma (e.g. Russian). The file is UTF-8 with a byte order mark either way."
        ),
    )


@router.get(
    "/referrals.csv",
    summary="Export the selected referrals as CSV (UTF-8 with a byte order mark; ?sep=semicolon for Excel)",
    response={200: None},
    openapi_extra=CSV,
    operation_id="exportReferralsCsv",
)
def export_csv(request: HttpRequest, filters: Query[CsvFilters]) -> StreamingHttpResponse:
    chosen = queries.Filters(queries.parse_states(filters.state), filters.updated_since)
    views = queries.all_selected(current_user(request), chosen)
    return csvexport.response("referrals.csv", exports.COLUMNS, exports.rows(views), csvexport.separator(filters.sep))


@router.get(
    "/referrals/{referral_id}",
    response={200: ReferralDetailOut, **problems(404)},
    summary="Read one referral (with an ETag and why it was routed)",
    openapi_extra=WITH_ETAG,
    operation_id="getReferral",
)
def read_referral(request: HttpRequest, referral_id: ObjectId, response: HttpResponse) -> dict[str, Any]:
    referral = _read(request, referral_id)
    view = present(referral)
    with_etag(response, view.version)
    return {**referral_out(view), "routing": routing_out(routing_why.of(referral))}


@router.get(
    "/referrals/{referral_id}/history",
    response={200: list[EventOut], **problems(404)},
    summary="Every change, oldest first",
    operation_id="getReferralHistory",
)
def referral_history(request: HttpRequest, referral_id: ObjectId) -> list[dict[str, Any]]:
    referral = _read(request, referral_id)
    return [event_out(e) for e in referral.events.all()]


def _act(request: HttpRequest, referral_id: int, action: Action, data: ActionInput, if_match: str | None) -> Any:
    version = expected_version(if_match)
    try:
        services.perform(referral_id, action, _actor(request), timezone.now(), data, expected_version=version)
    except ReferralChanged:
        if version is not None:
            raise PreconditionFailed() from None
        raise
    return _read(request, referral_id)


def _acted(response: HttpResponse, referral: Any) -> dict[str, Any]:
    view = present(referral)
    with_etag(response, view.version)
    return referral_out(view)


IF_MATCH = Header(None, alias="If-Match", description="The ETag you read; 412 if the referral changed since")


@router.post(
    "/referrals/{referral_id}/interested",
    response=ACTED,
    summary="I'm interested: new → evaluating",
    openapi_extra=WITH_ETAG,
    operation_id="markInterested",
)
def interested(
    request: HttpRequest, referral_id: ObjectId, response: HttpResponse, if_match: str | None = IF_MATCH
) -> Any:
    return _acted(response, _act(request, referral_id, Action.INTERESTED, ActionInput(), if_match))


@router.post(
    "/referrals/{referral_id}/skip",
    response=ACTED,
    summary="No thanks: new → skipped",
    openapi_extra=WITH_ETAG,
    operation_id="skipReferral",
)
def skip(
    request: HttpRequest, referral_id: ObjectId, body: SkipIn, response: HttpResponse, if_match: str | None = IF_MATCH
) -> Any:
    data = ActionInput(reason=body.reason, comment=body.comment)
    return _acted(response, _act(request, referral_id, Action.SKIP, data, if_match))


@router.post(
    "/referrals/{referral_id}/accept",
    response=ACTED,
    summary="Accept: evaluating → negotiating",
    openapi_extra=WITH_ETAG,
    operation_id="acceptReferral",
)
def accept(
    request: HttpRequest, referral_id: ObjectId, body: AcceptIn, response: HttpResponse, if_match: str | None = IF_MATCH
) -> Any:
    data = ActionInput(deal_value=body.deal_value, currency=body.currency, expected_close_date=body.expected_close_date)
    return _acted(response, _act(request, referral_id, Action.ACCEPT, data, if_match))


@router.post(
    "/referrals/{referral_id}/decline",
    response=ACTED,
    summary="Decline: evaluating → declined",
    openapi_extra=WITH_ETAG,
    operation_id="declineReferral",
)
def decline(
    request: HttpRequest,
    referral_id: ObjectId,
    body: DeclineIn,
    response: HttpResponse,
    if_match: str | None = IF_MATCH,
) -> Any:
    data = ActionInput(reason=body.reason, comment=body.comment)
    return _acted(response, _act(request, referral_id, Action.DECLINE, data, if_match))


@router.post(
    "/referrals/{referral_id}/win",
    response=ACTED,
    summary="Won: negotiating → won",
    openapi_extra=WITH_ETAG,
    operation_id="winReferral",
)
def win(
    request: HttpRequest, referral_id: ObjectId, body: WinIn, response: HttpResponse, if_match: str | None = IF_MATCH
) -> Any:
    return _acted(response, _act(request, referral_id, Action.WIN, ActionInput(final_value=body.deal_value), if_match))


@router.post(
    "/referrals/{referral_id}/lose",
    response=ACTED,
    summary="Lost: negotiating → lost",
    openapi_extra=WITH_ETAG,
    operation_id="loseReferral",
)
def lose(
    request: HttpRequest,
    referral_id: ObjectId,
    body: DeclineIn,
    response: HttpResponse,
    if_match: str | None = IF_MATCH,
) -> Any:
    data = ActionInput(reason=body.reason, comment=body.comment)
    return _acted(response, _act(request, referral_id, Action.LOSE, data, if_match))


@router.patch(
    "/referrals/{referral_id}",
    response=ACTED,
    summary="Edit notes or the assignee",
    openapi_extra=WITH_ETAG,
    operation_id="updateReferral",
)
def edit_referral(
    request: HttpRequest, referral_id: ObjectId, body: ReferralPatch, response: HttpResponse,
    if_match: str | None = IF_MATCH,
) -> Any:  # fmt: skip
    version = expected_version(if_match)
    actor, now = _actor(request), timezone.now()
    fields = body.model_dump(exclude_unset=True)
    try:
        # Both or neither: a refused assignee must not leave the new notes behind.
        with transaction.atomic():
            if "notes" in fields:
                referral = services.update_notes(referral_id, actor, now, fields["notes"] or "", version)
                version = referral.version if version is not None else None
            if "assignee" in fields:
                services.assign(referral_id, actor, now, fields["assignee"], version)
    except ReferralChanged:
        if version is not None:
            raise PreconditionFailed() from None
        raise
    return _acted(response, _read(request, referral_id))
