"""The inbox search's PostgreSQL trigram indexes (migration `*_inbox_search_index`): they change its speed, never
what it finds; a database role that may not create pg_trgm gets a warning and a working, slower search."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import ProgrammingError, connection

from referrals import queries, services
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from tests import factories

pytestmark = pytest.mark.django_db

MIGRATION = next(Path(__file__).parents[2].glob("referrals/migrations/*_inbox_search_index.py")).stem
index_migration = importlib.import_module(f"referrals.migrations.{MIGRATION}")
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the indexes exist on PostgreSQL only")


@pytest.fixture
def searched(profile, admin_user):
    """Referrals whose need, city or company hold the words searched, in other cases and inside longer words."""
    made = {
        "erp": factories.referral(profile, need="Roll out an ERP for 40 people", city="Hamburg"),
        "mail": factories.referral(profile, need="Move 200 mailboxes to the cloud", city="Berlin"),
        "masked": factories.referral(profile, need="A CRM for the sales team", company="Fabrikam AG"),
        "shown": factories.referral(profile, need="Data dashboards", company="Fabrikam Holding"),
        "cyrillic": factories.referral(profile, need="Перенос почты в облако", city="Москва"),
    }
    services.mark_interested(made["shown"].pk, ActorRef.system("test"), factories.NOW)
    return admin_user, {name: r.pk for name, r in made.items()}


FOUND = {
    "erp": {"erp"},
    "hamburg": {"erp"},
    "BURG": {"erp"},
    "MailBox": {"mail"},
    "fabrikam": {"shown"},  # a masked referral's company is never matched
    "dashboards": {"shown"},
    "почты": {"cyrillic"},
    "Москва": {"cyrillic"},
    "o": {"erp", "mail", "masked", "shown"},
    "nowhere": set(),
}


def found(user, ids, text):
    hits = set(queries.search(visible_referrals(user), text).values_list("id", flat=True))
    return {name for name, pk in ids.items() if pk in hits}


def test_the_search_finds_the_need_city_and_visible_company_in_any_case_on_every_database(searched):
    user, ids = searched
    assert {text: found(user, ids, text) for text in FOUND} == FOUND


@postgresql_only
def test_on_postgresql_the_search_finds_the_same_referrals_without_its_trigram_indexes(searched):
    user, ids = searched
    with_indexes = {text: found(user, ids, text) for text in FOUND}
    with connection.cursor() as cursor:
        for name in index_migration.TRIGRAM_INDEXES:  # dropped in the test's transaction, rolled back after it
            cursor.execute(f"DROP INDEX {name}")
    assert {text: found(user, ids, text) for text in FOUND} == with_indexes == FOUND


@postgresql_only
def test_on_postgresql_the_search_reads_each_trigram_index_for_a_rare_word(searched):
    user, _ = searched
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE referrals_engagement")
        # Left to choose, the planner reads five rows by their partner; these ask it to start from the search.
        for method in ("seqscan", "indexscan", "nestloop"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
    plan = queries.search(visible_referrals(user), "fabrikam").explain()
    assert [name for name in index_migration.TRIGRAM_INDEXES if name in plan] == list(index_migration.TRIGRAM_INDEXES)


class RefusingEditor:
    """A schema editor on PostgreSQL whose role may not create extensions."""

    connection = SimpleNamespace(vendor="postgresql", alias="default")

    def __init__(self) -> None:
        self.executed: list[str] = []

    def execute(self, sql: str) -> None:
        if sql.startswith("CREATE EXTENSION"):
            raise ProgrammingError('permission denied to create extension "pg_trgm"')
        self.executed.append(sql)


def test_a_role_that_may_not_create_pg_trgm_is_warned_and_no_index_is_made(capsys):
    editor = RefusingEditor()
    index_migration.create(None, editor)
    assert editor.executed == []
    assert capsys.readouterr().err.strip() == (
        'referrals: no trigram indexes for the inbox search (pg_trgm: permission denied to create extension "pg_trgm").'
        " Search works, slower; see docs/operations.md, 'The inbox search on PostgreSQL'."
    )


def test_on_sqlite_the_migration_makes_no_trigram_index():
    editor = RefusingEditor()
    editor.connection = SimpleNamespace(vendor="sqlite", alias="default")
    index_migration.create(None, editor)
    assert editor.executed == []
