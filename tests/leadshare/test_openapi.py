"""The OpenAPI document is a contract for generated clients: stable names, shared enums, declared headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from notifications import webhooks
from partners.models import ApiToken, BusinessProfile
from referrals.lifecycle import PARTNER_CENTER_STATUS, State
from referrals.models import ReferralEvent

# Renaming one breaks every generated client: change this list only with a note to integrators.
OPERATION_IDS = {
    ("get", "/api/v1/ping"): "ping",
    ("get", "/api/v1/referrals"): "listReferrals",
    ("get", "/api/v1/referrals.csv"): "exportReferralsCsv",
    ("get", "/api/v1/referrals/{referral_id}"): "getReferral",
    ("patch", "/api/v1/referrals/{referral_id}"): "updateReferral",
    ("get", "/api/v1/referrals/{referral_id}/history"): "getReferralHistory",
    ("post", "/api/v1/referrals/{referral_id}/interested"): "markInterested",
    ("post", "/api/v1/referrals/{referral_id}/skip"): "skipReferral",
    ("post", "/api/v1/referrals/{referral_id}/accept"): "acceptReferral",
    ("post", "/api/v1/referrals/{referral_id}/decline"): "declineReferral",
    ("post", "/api/v1/referrals/{referral_id}/win"): "winReferral",
    ("post", "/api/v1/referrals/{referral_id}/lose"): "loseReferral",
    ("post", "/api/v1/engagements"): "createEngagement",
    ("get", "/api/v1/engagements/{engagement_id}"): "getEngagement",
    ("post", "/api/v1/import/partner-center"): "importPartnerCenterReferrals",
    ("get", "/api/v1/tokens"): "listTokens",
    ("post", "/api/v1/tokens"): "createToken",
    ("delete", "/api/v1/tokens/{token_id}"): "revokeToken",
    ("get", "/api/v1/partners"): "listPartners",
    ("post", "/api/v1/partners"): "createPartner",
    ("get", "/api/v1/profiles"): "listProfiles",
    ("post", "/api/v1/profiles"): "createProfile",
    ("get", "/api/v1/profiles/{profile_id}"): "getProfile",
    ("patch", "/api/v1/profiles/{profile_id}"): "updateProfile",
    ("delete", "/api/v1/profiles/{profile_id}"): "deleteProfile",
    ("get", "/api/v1/webhooks"): "listWebhooks",
    ("post", "/api/v1/webhooks"): "createWebhook",
    ("get", "/api/v1/webhooks/{webhook_id}"): "getWebhook",
    ("patch", "/api/v1/webhooks/{webhook_id}"): "updateWebhook",
    ("delete", "/api/v1/webhooks/{webhook_id}"): "deleteWebhook",
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"): "listWebhookDeliveries",
    ("post", "/api/v1/webhooks/{webhook_id}/secret"): "rotateWebhookSecret",
    ("post", "/api/v1/webhooks/{webhook_id}/test"): "testWebhook",
    ("get", "/api/v1/finder/profiles"): "searchProfiles",
    ("post", "/api/v1/finder/requests"): "sendFinderRequest",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, ops in document["paths"].items() for method, op in ops.items()}


def test_every_operation_has_its_hand_chosen_operation_id(document):
    assert {key: op["operationId"] for key, op in operations(document).items()} == OPERATION_IDS


def test_the_enums_are_components_with_the_values_of_their_owners(document):
    schemas = document["components"]["schemas"]
    assert schemas["ReferralState"]["enum"] == [s.value for s in State]
    assert schemas["PartnerCenterStatus"]["enum"] == ["New", "Active", "Closed"]
    substatuses = list(dict.fromkeys(substatus for _, substatus in PARTNER_CENTER_STATUS.values()))
    assert schemas["PartnerCenterSubstatus"]["enum"] == substatuses
    assert schemas["EventAction"]["enum"] == [v for v, _ in ReferralEvent._meta.get_field("action").choices]
    assert schemas["ProfileStatus"]["enum"] == list(BusinessProfile.Status.values)
    assert schemas["TokenKind"]["enum"] == list(ApiToken.Kind.values)
    assert schemas["WebhookEventType"]["enum"] == [webhooks.CREATED, webhooks.UPDATED]


def test_fields_refer_to_the_enum_components_instead_of_copying_them(document):
    referral = document["components"]["schemas"]["ReferralOut"]["properties"]
    assert referral["state"] == {"$ref": "#/components/schemas/ReferralState"}
    assert referral["status"] == {"$ref": "#/components/schemas/PartnerCenterStatus"}
    profile_in = document["components"]["schemas"]["ProfileIn"]["properties"]
    assert profile_in["status"]["anyOf"] == [{"$ref": "#/components/schemas/ProfileStatus"}, {"type": "null"}]
    assert profile_in["status"]["default"] == "active"
    inline = [s for s in document["components"]["schemas"].values() if s.get("title") == "ReferralState"]
    assert len(inline) == 1


def test_etag_location_and_retry_after_are_declared_where_they_are_sent(document):
    ops = operations(document)
    assert "ETag" in ops[("get", "/api/v1/referrals/{referral_id}")]["responses"]["200"]["headers"]
    assert "ETag" in ops[("post", "/api/v1/referrals/{referral_id}/win")]["responses"]["200"]["headers"]
    assert "ETag" in ops[("get", "/api/v1/referrals")]["responses"]["304"]["headers"]
    assert set(ops[("post", "/api/v1/engagements")]["responses"]["201"]["headers"]) == {"Location"}
    assert set(ops[("post", "/api/v1/profiles")]["responses"]["201"]["headers"]) == {"ETag", "Location"}
    assert "Retry-After" in ops[("post", "/api/v1/finder/requests")]["responses"]["429"]["headers"]
    assert "Retry-After" in ops[("get", "/api/v1/referrals")]["responses"]["429"]["headers"]


def header_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation["parameters"] if p["in"] == "header"}


def test_request_headers_are_declared_where_they_are_read(document):
    ops = operations(document)
    assert header_names(ops[("get", "/api/v1/referrals")]) == {"If-None-Match"}
    assert header_names(ops[("post", "/api/v1/referrals/{referral_id}/accept")]) == {"If-Match"}
    assert header_names(ops[("patch", "/api/v1/profiles/{profile_id}")]) == {"If-Match"}
    assert header_names(ops[("post", "/api/v1/engagements")]) == {"Idempotency-Key"}


def test_public_operations_say_they_need_no_token(document):
    public = {key for key, op in operations(document).items() if op["security"] == []}
    assert public == {("get", "/api/v1/ping"), ("get", "/api/v1/finder/profiles"), ("post", "/api/v1/finder/requests")}


def test_the_document_names_its_server_licence_and_contact(document, settings):
    assert document["servers"] == [{"url": settings.SITE_ROOT, "description": "This installation (SITE_ROOT)"}]
    assert document["info"]["license"] == {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}
    assert document["info"]["contact"]["url"] == f"{settings.SITE_ROOT}/api/v1/docs"


def test_the_problem_schema_has_the_members_of_a_409(document):
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert problem["state"]["type"] == "string"
    assert problem["action"]["type"] == "string"
    assert problem["deadline"] == {
        "description": "409, too late: the deadline that passed",
        "format": "date-time",
        "title": "Deadline",
        "type": "string",
    }


def test_the_import_body_is_partner_centers_response_or_a_bare_array_of_its_referrals(document):
    body = operations(document)[("post", "/api/v1/import/partner-center")]["requestBody"]
    bare, wrapped = body["content"]["application/json"]["schema"]["oneOf"]
    assert bare["items"] == {"$ref": "#/components/schemas/PartnerCenterReferral"}
    assert wrapped["properties"]["value"]["items"] == {"$ref": "#/components/schemas/PartnerCenterReferral"}
    assert wrapped["required"] == ["value"]
    item = document["components"]["schemas"]["PartnerCenterReferral"]["properties"]
    assert item["status"] == {"$ref": "#/components/schemas/PartnerCenterStatus"}
    assert {"engagementId", "customerProfile", "details", "consent"} <= set(item)


def test_webhooks_describe_each_event_with_its_change(document):
    assert set(document["webhooks"]) == {webhooks.CREATED, webhooks.UPDATED, webhooks.PING}
    created = document["webhooks"][webhooks.CREATED]["post"]["requestBody"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/ReferralEvent"}
    change = document["components"]["schemas"]["ReferralChange"]
    assert set(change["properties"]) == {"action", "from", "to", "at", "version", "actor"}
    assert change["properties"]["action"] == {"$ref": "#/components/schemas/EventAction"}
