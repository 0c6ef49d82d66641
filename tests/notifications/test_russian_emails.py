"""A Russian note to the customer names the other partners' cities in Russian, as pages do (partners.places)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from finder.alternatives import Alternative


def note(language: str) -> str:
    alternative = Alternative(1, "Облачные решения", "Berlin", "DE", "https://leadshare.example/x")
    context = {"partner_name": "Альфа", "company": "ООО «Ромашка»", "alternatives": [alternative], "url": "u"}
    with translation.override(language):
        return render_to_string(f"emails/{language}/customer_partner_declined.txt", context)


def test_the_customers_note_names_an_alternatives_city_in_the_readers_language():
    assert ("Облачные решения (Берлин)" in note("ru"), "Облачные решения (Berlin)" in note("en")) == (True, True)
