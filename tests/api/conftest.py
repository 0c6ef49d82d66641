from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from partners import tokens
from tests import factories


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **params):  # type: ignore[no-untyped-def]
        return self.client.get(path, params or None, headers=self._headers(headers))

    def post(self, path: str, body=None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(
            path, body if body is not None else {}, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path: str, body=None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return self.client.patch(path, body or {}, content_type="application/json", headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=self._headers(headers))


def client_for(user) -> ApiClient:  # type: ignore[no-untyped-def]
    _token, plain = tokens.issue(user, "test", timezone.now())
    return ApiClient(plain)


@pytest.fixture
def partner_api(admin_user):  # type: ignore[no-untyped-def]
    return client_for(admin_user)


@pytest.fixture
def operator_api(db):  # type: ignore[no-untyped-def]
    return client_for(factories.user(None, role="programme_admin", email="ops@operator.example"))
