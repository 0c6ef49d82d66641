"""The web editor's form: read the posted fields into what partners.services expects.

No rule is checked here: the services validate (the same as for the API) and name the bad fields.
Only what a browser form cannot say directly is translated: rows of locations and contacts, lists
typed as text, and a city name resolved to coordinates from the bundled city list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from partners import cities
from partners.models import BusinessProfile

ROW = re.compile(r"^(location|contact)-(\d+)-(\w+)$")


@dataclass
class Posted:
    fields: dict[str, Any]
    # Errors found while reading the form itself (a city not in the list), by the services' field names.
    errors: dict[str, str] = field(default_factory=dict)


def _rows(data: QueryDict, kind: str) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in data:
        match = ROW.match(key)
        if match and match.group(1) == kind:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = data.get(key, "").strip()
    return [rows[i] for i in sorted(rows)]


def split_list(text: str) -> list[str]:
    """Comma- or line-separated values; blanks dropped."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def read(data: QueryDict, files: MultiValueDict[str, Any], country: str) -> Posted:
    """The fields for services.create_profile / update_profile from a posted editor form."""
    errors: dict[str, str] = {}
    locations: list[dict[str, Any]] = []
    for row in _rows(data, "location"):
        if not (row.get("city") or row.get("address")):
            continue  # an empty row
        i = len(locations)
        location: dict[str, Any] = {
            "id": int(row["id"]) if row.get("id", "").isdigit() else None,
            "city": row.get("city", ""),
            "address": row.get("address", ""),
            "lat": None,
            "lon": None,
        }
        city = cities.lookup(country, location["city"]) if location["city"] else None
        if city is not None:
            location.update(city=city.name, lat=city.lat, lon=city.lon)
        elif location["city"]:
            errors[f"locations.{i}.city"] = _("Pick the city from the list of cities of this country.")
            location.update(lat=0.0, lon=0.0)
        locations.append(location)
    contacts = [
        {"name": r.get("name", ""), "email": r.get("email", ""), "language": r.get("language") or "en"}
        for r in _rows(data, "contact")
        if r.get("name") or r.get("email")
    ]
    capacity_text = data.get("capacity", "").strip()
    capacity: int | None = None
    if capacity_text:
        try:
            capacity = int(capacity_text)
        except ValueError:
            errors["capacity"] = _("Enter a whole number, or leave it empty for no limit.")
    fields: dict[str, Any] = {
        "country": country,
        "locations": locations,
        "contacts": contacts,
        "description": data.get("description", ""),
        "website": data.get("website", ""),
        "languages": split_list(data.get("languages", "")),
        "industries": data.getlist("industries"),
        "products": data.getlist("products"),
        "services": data.getlist("services"),
        "keywords": split_list(data.get("keywords", "")),
        "target_sizes": data.getlist("target_sizes"),
        "only_target_sizes": data.get("only_target_sizes") == "on",
        "status": data.get("status", BusinessProfile.Status.ACTIVE),
        "capacity": capacity,
    }
    if "logo" in files:
        fields["logo"] = files["logo"]
    elif data.get("logo_remove") == "on":
        fields["logo"] = None
    return Posted(fields, errors)


def initial(profile: BusinessProfile | None) -> dict[str, Any]:
    """The editor's values from a saved profile (or empty for a new one), in the shape of `read`."""
    if profile is None:
        return {
            "country": "",
            "locations": [],
            "contacts": [],
            "description": "",
            "website": "",
            "languages": [],
            "industries": [],
            "products": [],
            "services": [],
            "keywords": [],
            "target_sizes": [],
            "only_target_sizes": False,
            "status": BusinessProfile.Status.ACTIVE,
            "capacity": None,
        }
    return {
        "country": profile.country,
        "locations": [
            {"id": x.pk, "city": x.city, "address": x.address, "lat": x.lat, "lon": x.lon}
            for x in profile.locations.all()
        ],
        "contacts": [{"name": c.name, "email": c.email, "language": c.language} for c in profile.contacts.all()],
        "description": profile.description,
        "website": profile.website,
        "languages": list(profile.languages),
        "industries": [t.code for t in profile.industries.all()],
        "products": [t.code for t in profile.products.all()],
        "services": [t.code for t in profile.services.all()],
        "keywords": list(profile.keywords),
        "target_sizes": [t.code for t in profile.target_sizes.all()],
        "only_target_sizes": profile.only_target_sizes,
        "status": profile.status,
        "capacity": profile.capacity,
    }
