"""Errors in the REST API as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


def field_errors(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"field": field, "message": message} for field, message in errors.items()]


def pydantic_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Ninja's validation errors as {field, message}, the field without the 'body'/'query' prefix."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        while location and location[0] in {"body", "query", "path", "header", "payload", "data", "filters"}:
            location = location[1:]
        result.append({"field": ".".join(location) or "body", "message": str(error.get("msg", "is not valid"))})
    return result
