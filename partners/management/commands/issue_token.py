"""`manage.py issue_token EMAIL [--name NAME]`: a new personal API token for a user, printed once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners import tokens
from partners.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "Print a new personal API token for the user with this e-mail address. Only the token goes to standard "
        "output (TOKEN=$(manage.py issue_token ...)); it is stored hashed and shown only now."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="Command line", help="What the token is for (default: Command line)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("Give the token a name of 1 to 100 characters with --name.")
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"Nobody has the e-mail address {options['email']}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated; a token for them would not work.")
        token, plain = tokens.issue(user, name, timezone.now(), ApiToken.Kind.PERSONAL)
        self.stdout.write(plain)
        self.stderr.write(f"Token '{token.name}' ({token.prefix}…) for {user.email}. It is shown only now.")
