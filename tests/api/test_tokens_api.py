"""API tokens: shown once, listed without the secret, revoked for good; integrations act as their own user."""

from __future__ import annotations

import pytest
from django.utils import timezone

from console import admin_services
from console.models import AdminAction
from partners import tokens
from partners.models import ApiToken, Role, User
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.api import counting
from tests.api.conftest import ApiClient, client_for

pytestmark = pytest.mark.django_db


def test_a_new_personal_token_is_shown_once_and_works(partner_api, admin_user):
    response = partner_api.post("/api/v1/tokens", {"name": "CRM sync"})
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert body == {
        "id": token.pk,
        "name": "CRM sync",
        "kind": "personal",
        "prefix": body["token"][:10],
        "created_at": body["created_at"],
        "last_used_at": None,
        "revoked_at": None,
        "token": body["token"],
    }
    assert body["token"].startswith("ls_") and len(body["token"]) == 46
    assert (token.user, token.kind, token.prefix) == (admin_user, "personal", body["token"][:10])
    assert body["token"] not in {token.digest, token.prefix}
    assert ApiClient(body["token"]).get("/api/v1/tokens").status_code == 200


def test_the_token_list_never_includes_a_token(partner_api):
    plain = partner_api.post("/api/v1/tokens", {"name": "CRM sync"}).json()["token"]
    response = partner_api.get("/api/v1/tokens")
    assert response.status_code == 200
    assert [(t["name"], t["kind"]) for t in response.json()] == [("CRM sync", "personal"), ("test", "personal")]
    assert all(
        set(t) == {"id", "name", "kind", "prefix", "created_at", "last_used_at", "revoked_at"} for t in response.json()
    )
    assert plain not in response.content.decode()
    assert partner_api.token not in response.content.decode()


def test_a_revoked_token_is_refused_with_401(partner_api):
    created = partner_api.post("/api/v1/tokens", {"name": "Old laptop"}).json()
    assert partner_api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    response = ApiClient(created["token"]).get("/api/v1/referrals")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Send a valid API token as 'Authorization: Bearer <token>'."
    listed = {t["id"]: t for t in partner_api.get("/api/v1/tokens").json()}
    assert listed[created["id"]]["revoked_at"] is not None


def test_revoking_a_token_twice_is_fine(partner_api):
    created = partner_api.post("/api/v1/tokens", {"name": "Old laptop"}).json()
    partner_api.delete(f"/api/v1/tokens/{created['id']}")
    first = ApiToken.objects.get(pk=created["id"]).revoked_at
    assert partner_api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at == first


def test_the_caller_can_revoke_the_token_it_is_using(partner_api):
    own = ApiToken.objects.get(name="test")
    assert partner_api.delete(f"/api/v1/tokens/{own.pk}").status_code == 204
    assert partner_api.get("/api/v1/tokens").status_code == 401


def test_another_users_token_is_404_and_stays_valid(partner_api):
    stranger = factories.user(email="stranger@other.example")
    theirs, plain = tokens.issue(stranger, "Theirs", timezone.now())
    response = partner_api.delete(f"/api/v1/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such token."
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert ApiClient(plain).get("/api/v1/tokens").status_code == 200


def test_a_token_needs_a_name_and_a_known_kind(partner_api):
    before = counting.rows()
    response = partner_api.post("/api/v1/tokens", {"name": "  ", "kind": "personal"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "Name the token after where it will be used, such as 'CRM sync'."}
    ]
    response = partner_api.post("/api/v1/tokens", {"name": "CRM", "kind": "root"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["kind"]
    assert counting.rows() == before


def test_an_integration_token_acts_as_a_service_user_named_after_it(partner_api, admin_user, profile):
    created = partner_api.post("/api/v1/tokens", {"name": "Dynamics sync", "kind": "integration"}).json()
    token = ApiToken.objects.select_related("user").get(pk=created["id"])
    service = token.user
    assert service != admin_user
    assert (service.partner, service.role, service.first_name) == (
        admin_user.partner,
        Role.REFERRALS_ADMIN,
        "Dynamics sync",
    )
    assert service.email.endswith("@integrations.invalid")
    assert not service.has_usable_password()
    referral = factories.referral(profile, now=timezone.now())
    response = ApiClient(created["token"]).post(f"/api/v1/referrals/{referral.pk}/interested")
    assert response.status_code == 200
    event = ReferralEvent.objects.get(referral=referral, action="interested")
    assert (event.actor_kind, event.actor, event.actor_label) == ("api", service, "Dynamics sync")


def test_an_integration_belongs_to_the_organisation_and_role(partner_api, admin_user):
    created = partner_api.post("/api/v1/tokens", {"name": "Dynamics sync", "kind": "integration"}).json()
    colleague = client_for(factories.user(admin_user.partner, email="colleague@partner.example"))
    # Newest first: the colleague's own token was made after the integration.
    assert [t["name"] for t in colleague.get("/api/v1/tokens").json()] == ["test", "Dynamics sync"]
    profile_admin = client_for(
        factories.user(admin_user.partner, role=Role.PROFILE_ADMIN, email="profiles@partner.example")
    )
    assert [t["name"] for t in profile_admin.get("/api/v1/tokens").json()] == ["test"]
    stranger = client_for(factories.user(email="stranger@other.example"))
    assert [t["name"] for t in stranger.get("/api/v1/tokens").json()] == ["test"]
    assert stranger.delete(f"/api/v1/tokens/{created['id']}").status_code == 404
    assert colleague.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    service = ApiToken.objects.get(pk=created["id"]).user
    assert not User.objects.get(pk=service.pk).is_active
    assert ApiClient(created["token"]).get("/api/v1/referrals").status_code == 401


def test_an_integration_token_cannot_manage_tokens(partner_api):
    created = partner_api.post("/api/v1/tokens", {"name": "Dynamics sync", "kind": "integration"}).json()
    integration = ApiClient(created["token"])
    before = counting.rows()
    response = integration.post("/api/v1/tokens", {"name": "Another", "kind": "integration"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Manage tokens with a personal token; an integration's token cannot."
    assert integration.get("/api/v1/tokens").status_code == 403
    assert integration.delete(f"/api/v1/tokens/{created['id']}").status_code == 403
    assert counting.rows() == before
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is None


def test_a_referrals_user_cannot_create_an_integration_token(admin_user):
    member = client_for(factories.user(admin_user.partner, role=Role.REFERRALS_USER, email="member@partner.example"))
    before = counting.rows()
    response = member.post("/api/v1/tokens", {"name": "My sync", "kind": "integration"})
    assert response.status_code == 403
    assert response.json()["detail"] == "A referrals user cannot create integration tokens. Ask your referrals admin."
    assert counting.rows() == before
    assert member.post("/api/v1/tokens", {"name": "My laptop"}).status_code == 201


def test_an_operator_integration_acts_with_the_operators_role(operator_api):
    created = operator_api.post("/api/v1/tokens", {"name": "Ad platform", "kind": "integration"}).json()
    service = ApiToken.objects.get(pk=created["id"]).user
    assert (service.partner, service.role) == (None, Role.PROGRAMME_ADMIN)
    assert ApiClient(created["token"]).get("/api/v1/partners").status_code == 200


def test_a_suspended_partners_tokens_answer_403_saying_so_and_change_nothing(profile, admin_user):
    referral = factories.referral(profile, timezone.now())
    personal = client_for(admin_user)
    integration = ApiClient(integration_token(admin_user))
    boss = factories.user(None, role=Role.PROGRAMME_ADMIN, email="boss@operator.example")
    admin_services.change_partner(boss, profile.partner_id, AdminAction.Kind.SUSPEND, "Unpaid fees", timezone.now())
    used_before = list(ApiToken.objects.order_by("pk").values_list("last_used_at", flat=True))
    before = counting.rows()
    for api in (personal, integration):
        for response in (
            api.get("/api/v1/referrals"),
            api.post(f"/api/v1/referrals/{referral.pk}/interested"),
        ):
            assert response.status_code == 403
            assert response["Content-Type"] == "application/problem+json"
            assert response.json() == {
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
                "detail": "Your partner is suspended: its API tokens work again once the programme reactivates it.",
            }
    assert counting.rows() == before
    assert Referral.objects.get(pk=referral.pk).state == "new"
    assert list(ApiToken.objects.order_by("pk").values_list("last_used_at", flat=True)) == used_before
    admin_services.change_partner(boss, profile.partner_id, AdminAction.Kind.REACTIVATE, "", timezone.now())
    assert personal.get("/api/v1/referrals").status_code == 200


def integration_token(admin: User) -> str:
    response = client_for(admin).post("/api/v1/tokens", {"name": "CRM sync", "kind": "integration"})
    assert response.status_code == 201
    return str(response.json()["token"])
