"""The inbox's indexes: its archive in order (every database), and on PostgreSQL trigram indexes on what its
search reads, so a search for a word reads the engagements holding it instead of every engagement.

The trigram indexes are on exactly the expressions Django's `icontains` compares on PostgreSQL
(`UPPER(column::text) LIKE UPPER(%s)`): the search's SQL and its results are the same on both databases, only
PostgreSQL finds the rows faster. They need the pg_trgm extension; a role that may not create it gets a
warning, no indexes and a slower search (docs/operations.md says how to add them later).
"""

import sys
from typing import Any

from django.db import DatabaseError, migrations, models, transaction

# Index name -> the expression `referrals.queries.search` compares (tests/referrals/test_list_search.py holds them).
TRIGRAM_INDEXES = {
    "engagement_need_trgm": 'UPPER("need")',
    "engagement_city_trgm": 'UPPER("customer_city"::text)',
    "engagement_company_trgm": 'UPPER("customer_company"::text)',
}
TABLE = "referrals_engagement"


def _has_trigrams(schema_editor: Any) -> bool:
    try:
        # A savepoint: a refused CREATE EXTENSION must not abort the migration's transaction.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        sys.stderr.write(
            f"\n  referrals: no trigram indexes for the inbox search (pg_trgm: {str(exc).strip()}). Search works, "
            "slower; see docs/operations.md, 'The inbox search on PostgreSQL'.\n"
        )
        return False
    return True


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql" or not _has_trigrams(schema_editor):
        return
    for name, expression in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} USING gin ({expression} gin_trgm_ops)")
    # The planner's statistics on the indexed expressions tell a word in every need from a rare one.
    schema_editor.execute(f"ANALYZE {TABLE}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0009_changes_seen")]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["partner", "-created_at", "-id"], name="referral_partner_created"),
        ),
        migrations.RunPython(create, drop),
    ]
