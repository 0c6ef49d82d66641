"""A user's own settings: language, time zone and notification preferences."""

from __future__ import annotations

import pytest
from django.test import Client

from partners.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db

VALID = {"language": "ru", "time_zone": "Europe/Berlin", "notify_new_referrals": "on"}


def _fields(user: User) -> tuple:  # type: ignore[type-arg]
    user.refresh_from_db()
    return (user.language, user.time_zone, user.notify_new_referrals, user.notify_reminders)


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_role_can_open_their_settings(client, role):
    client.force_login(factories.user(role=role))
    assert client.get("/settings/").status_code == 200


def test_a_user_saves_language_time_zone_and_notification_preferences(client):
    user = factories.user()
    client.force_login(user)
    response = client.post("/settings/", VALID)
    assert (response.status_code, response["Location"]) == (302, "/settings/")
    assert response.cookies["django_language"].value == "ru"
    assert _fields(user) == ("ru", "Europe/Berlin", True, False)
    assert "Настройки сохранены." in client.get("/settings/").content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            VALID | {"time_zone": "Mars/Olympus"},
            "time_zone",
            "Choose a time zone from the list, such as Europe/Berlin.",
        ),
        (VALID | {"time_zone": ""}, "time_zone", "This field is required."),
        (VALID | {"language": "de"}, "language", "Select a valid choice. de is not one of the available choices."),
    ],
)
def test_invalid_settings_are_refused_by_field_and_nothing_changes(client, data, field, message):
    user = factories.user()
    client.force_login(user)
    before = _fields(user)
    response = client.post("/settings/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert _fields(user) == before
    assert "django_language" not in response.cookies


def test_the_settings_page_asks_anonymous_visitors_to_sign_in():
    response = Client().get("/settings/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/settings/")
