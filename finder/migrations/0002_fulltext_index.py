"""Made the database's full-text index of the search table (FTS5 on SQLite, a tsvector column with GIN on
PostgreSQL) for the search path that ran in SQL. That path is gone (docs/decisions.md, "One ranking path"):
a new database never makes the index, and 0007_drop_fulltext_index drops it from one that has it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finder", "0001_search_index")]

    operations: list[migrations.RunPython] = []
