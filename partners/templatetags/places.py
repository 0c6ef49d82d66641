"""Country, currency and city names on pages, in the page's language: `{% load places %}`, then
`{{ code|country }}`, `{{ city|city:country_code }}` and `{{ code|currency }}`. The names are partners.places'."""

from __future__ import annotations

from django import template

from partners import places

register = template.Library()


@register.filter
def country(code: str | None) -> str:
    return places.country_name(code or "")


@register.filter
def city(name: str | None, country_code: str | None) -> str:
    return places.city_name(name or "", country_code or "") if name else ""


@register.filter
def currency(code: str | None) -> str:
    return places.currency_name(code or "")
