"""`{% load when %}`: the template side of `kernel/dates.py`, the one way a page or an e-mail shows a time.

Registered as a template library in settings (TEMPLATES' `libraries`): the kernel is not an app. An empty
value shows nothing, as Django's `date` filter does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import template

from kernel import dates

register = template.Library()


@register.filter
def date_shown(value: date | datetime | None) -> str:
    """`{{ close_date|date_shown }}`: "6 Dec 2026"."""
    return dates.date_text(value) if value else ""


@register.filter
def day_shown(value: date | datetime | None) -> str:
    """`{{ week_start|day_shown }}`: "6 Dec"."""
    return dates.day_text(value) if value else ""


@register.filter
def datetime_shown(value: datetime | None, zone: Any = "") -> str:
    """`{{ at|datetime_shown }}`: "6 Dec 2026, 14:47"; `{{ at|datetime_shown:"zone" }}` names the time zone
    (e-mails)."""
    return dates.datetime_text(value, with_zone=zone == "zone") if value else ""


@register.filter
def relative(value: datetime | None, now: datetime) -> str:
    """`{{ at|relative:now }}`: "just now", "2 days ago", "in 3 hours"."""
    return dates.relative_text(value, now) if value else ""


@register.filter
def left_until(value: datetime | None, now: datetime) -> str:
    """`{{ deadline|left_until:now }}`: the time left, "3 hours" (in "3 hours left")."""
    return dates.until_text(value, now) if value else ""


@register.filter
def duration(value: timedelta | None) -> str:
    """`{{ valid_for|duration }}`: "3 days", "3 дня"."""
    return dates.duration_text(value) if value is not None else ""


@register.filter
def iso(value: date | datetime | None) -> str:
    """`<time datetime="{{ at|iso }}">`: ISO 8601, for machines."""
    return dates.iso(value) if value else ""
