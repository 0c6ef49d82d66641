"""Operator agents: create a referral for a customer with the finder's proposals; advertising leads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {})
