"""`manage.py openapi`: print the API's OpenAPI document, as /api/v1/openapi.json serves it (for linters)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from leadshare.api import api


class Command(BaseCommand):
    help = "Print the OpenAPI document of /api/v1 as JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        document = api.get_openapi_schema(path_prefix="/api/v1/")
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str))
