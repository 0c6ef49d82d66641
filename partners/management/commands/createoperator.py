"""`manage.py createoperator EMAIL`: a programme admin (or, with --role agent, an agent) of the operator."""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from partners.models import OPERATOR_ROLES, Role, User


class Command(BaseCommand):
    help = "Create a programme admin of the operator and print the password (a generated one unless --password)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The sign-in e-mail address")
        parser.add_argument("--password", help="Use this password instead of a generated one")
        parser.add_argument(
            "--role",
            choices=sorted(r.value for r in OPERATOR_ROLES),
            default=Role.PROGRAMME_ADMIN.value,
            help="programme_admin (default) or agent",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{options['email']}' is not a valid e-mail address.") from None
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"{email} already has an account; nothing was changed.")
        generated = options["password"] is None
        password = secrets.token_urlsafe(12) if generated else options["password"]
        user = User(email=email, role=options["role"])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("That password is refused: " + " ".join(exc.messages)) from None
        try:
            with transaction.atomic():
                # A programme admin also runs the Django admin (partners, programme settings, reasons).
                is_staff = options["role"] == Role.PROGRAMME_ADMIN
                user = User.objects.create_user(
                    email, password, role=options["role"], is_staff=is_staff, is_superuser=is_staff
                )
        except IntegrityError:
            raise CommandError(f"{email} already has an account; nothing was changed.") from None
        label = Role(user.role).label.lower()
        if generated:
            self.stdout.write(f"Created {label} {user.email}. Password: {password}")
            self.stdout.write("It is shown only now; sign in and keep it somewhere safe.")
        else:
            self.stdout.write(f"Created {label} {user.email} with the password you gave.")
