"""A person's saved inbox views: named filter sets that only their owner lists, opens or deletes."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import QueryDict

from kernel.errors import InvalidInput, NotFound
from kernel.text import line_error
from partners.models import User
from referrals.forms import InboxQuery
from referrals.models import SavedView

MAX_NAME = 80
MAX_VIEWS = 30


def of(user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user)


def save(user: User, name: str, query: InboxQuery, now: datetime) -> SavedView:
    """Keeps the filters under `name`; a view of the same name takes the new filters. Raises InvalidInput."""
    error = line_error(name)
    if error:
        raise InvalidInput({"name": error})
    name = " ".join(name.split())
    if not name:
        raise InvalidInput({"name": "Enter a name for the view."})
    if len(name) > MAX_NAME:
        raise InvalidInput({"name": f"Keep the name under {MAX_NAME} characters."})
    existing = of(user).filter(name=name).first()
    if existing is None and of(user).count() >= MAX_VIEWS:
        raise InvalidInput({"name": f"You can keep up to {MAX_VIEWS} views. Delete one first."})
    encoded = QueryDict(mutable=True)
    encoded.update(query.params())
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": encoded.urlencode(), "created_at": now}
    )
    return view


def delete(user: User, view_id: int) -> None:
    """Deletes one of the user's own views; another person's is NotFound, as if it did not exist."""
    deleted, _rows = of(user).filter(pk=view_id).delete()
    if not deleted:
        raise NotFound()
