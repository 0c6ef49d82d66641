"""A person's saved inbox views: named filters, kept per person, refused when the name is unusable."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from kernel.errors import InvalidInput, NotFound
from referrals import saved_views
from referrals.forms import InboxQuery
from referrals.models import SavedView
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def query(text):
    return InboxQuery.parse(QueryDict(text))


def test_a_view_keeps_only_the_filters_that_differ_from_the_defaults(admin_user):
    view = saved_views.save(admin_user, "  Mine,   by deadline ", query("tab=new&sort=deadline&mine=1&page=3"), NOW)
    assert (view.name, view.query, view.created_at) == ("Mine, by deadline", "sort=deadline&mine=1", NOW)
    archive = saved_views.save(admin_user, "Lost deals", query("tab=archive&outcome=lost&q=cloud+mail"), NOW)
    assert archive.query == "tab=archive&outcome=lost&q=cloud+mail"


def test_saving_under_a_name_already_used_replaces_its_filters(admin_user):
    saved_views.save(admin_user, "Mine", query("mine=1"), NOW)
    saved_views.save(admin_user, "Mine", query("mine=1&tab=evaluating"), NOW)
    assert list(SavedView.objects.values_list("name", "query")) == [("Mine", "tab=evaluating&mine=1")]


def test_each_person_lists_only_their_own_views(profile, admin_user):
    colleague = factories.user(profile.partner, email="bob@partner.example")
    saved_views.save(admin_user, "Mine", query("mine=1"), NOW)
    saved_views.save(colleague, "Bob's", query("sort=oldest"), NOW)
    assert [v.name for v in saved_views.of(admin_user)] == ["Mine"]
    assert [v.name for v in saved_views.of(colleague)] == ["Bob's"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("   ", "Enter a name for the view."),
        ("x" * 81, "Keep the name under 80 characters."),
        ("two\nlines", "Use a single line, without line breaks or other control characters."),
    ],
)
def test_an_unusable_name_is_refused_and_nothing_is_saved(admin_user, name, error):
    with pytest.raises(InvalidInput) as caught:
        saved_views.save(admin_user, name, query("mine=1"), NOW)
    assert caught.value.errors == {"name": error}
    assert SavedView.objects.count() == 0


def test_a_person_keeps_at_most_30_views(admin_user):
    for n in range(30):
        saved_views.save(admin_user, f"View {n}", query("mine=1"), NOW)
    with pytest.raises(InvalidInput) as caught:
        saved_views.save(admin_user, "One more", query("mine=1"), NOW)
    assert caught.value.errors == {"name": "You can keep up to 30 views. Delete one first."}
    assert SavedView.objects.count() == 30
    assert saved_views.save(admin_user, "View 3", query("sort=oldest"), NOW).query == "sort=oldest"


def test_only_its_owner_deletes_a_view(profile, admin_user):
    view = saved_views.save(admin_user, "Mine", query("mine=1"), NOW)
    with pytest.raises(NotFound):
        saved_views.delete(factories.user(profile.partner, email="bob@partner.example"), view.pk)
    assert SavedView.objects.filter(pk=view.pk).exists()
    saved_views.delete(admin_user, view.pk)
    assert not SavedView.objects.exists()
