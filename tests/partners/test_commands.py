"""`manage.py createoperator` and `manage.py issue_token`: what they print and what they refuse."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from partners.models import ApiToken, Role, User
from tests import factories
from tests.api import counting
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_createoperator_makes_a_programme_admin_and_prints_a_generated_password():
    out, _ = run("createoperator", "Ops@Operator.example")
    [password] = re.findall(r"^Created programme admin ops@operator\.example\. Password: (\S+)$", out, re.M)
    assert out.endswith("It is shown only now; sign in and keep it somewhere safe.\n")
    assert len(password) == 16
    user = User.objects.get(email="ops@operator.example")
    assert (user.role, user.partner, user.is_active, user.is_staff) == (Role.PROGRAMME_ADMIN, None, True, True)
    assert authenticate(username="ops@operator.example", password=password) == user


def test_createoperator_takes_a_password_and_an_agent_role():
    out, _ = run("createoperator", "agent@operator.example", "--password", "Long enough phrase 7", "--role", "agent")
    assert out == "Created operator agent agent@operator.example with the password you gave.\n"
    user = authenticate(username="agent@operator.example", password="Long enough phrase 7")
    assert user is not None and user.role == Role.AGENT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken@operator.example"], "taken@operator.example already has an account; nothing was changed."),
        (["TAKEN@operator.example"], "taken@operator.example already has an account; nothing was changed."),
        (["not-an-address"], "'not-an-address' is not a valid e-mail address."),
        (
            ["new@operator.example", "--password", "short"],
            "That password is refused: This password is too short. It must contain at least 8 characters.",
        ),
    ],
)
def test_createoperator_refuses_and_changes_nothing(args, message):
    factories.user(None, role=Role.AGENT, email="taken@operator.example")
    before = counting.rows()
    with pytest.raises(CommandError) as refused:
        run("createoperator", *args)
    assert str(refused.value) == message
    assert counting.rows() == before


def test_issue_token_prints_only_a_working_token():
    user = factories.user(email="admin@partner.example")
    out, err = run("issue_token", "Admin@Partner.example", "--name", "CRM sync")
    token = ApiToken.objects.get(user=user)
    plain = out.strip()
    assert out == plain + "\n" and plain.startswith("ls_")
    assert err == f"Token 'CRM sync' ({token.prefix}…) for admin@partner.example. It is shown only now.\n"
    assert (token.name, token.kind, token.prefix) == ("CRM sync", "personal", plain[:10])
    assert ApiClient(plain).get("/api/v1/referrals").status_code == 200


def test_issue_token_names_the_token_after_the_command_line_by_default():
    factories.user(email="admin@partner.example")
    run("issue_token", "admin@partner.example")
    assert ApiToken.objects.get().name == "Command line"


@pytest.mark.parametrize(
    ("email", "extra", "message"),
    [
        ("nobody@partner.example", [], "Nobody has the e-mail address nobody@partner.example."),
        ("gone@partner.example", [], "gone@partner.example is deactivated; a token for them would not work."),
        ("admin@partner.example", ["--name", " "], "Give the token a name of 1 to 100 characters with --name."),
    ],
)
def test_issue_token_refuses_and_issues_nothing(email, extra, message):
    factories.user(email="admin@partner.example")
    factories.user(email="gone@partner.example", is_active=False)
    before = counting.rows()
    with pytest.raises(CommandError) as refused:
        run("issue_token", email, *extra)
    assert str(refused.value) == message
    assert counting.rows() == before
