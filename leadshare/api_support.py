"""Small helpers shared by API handlers: ETags and If-Match."""

from __future__ import annotations

from django.http import HttpResponse


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
