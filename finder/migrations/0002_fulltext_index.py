"""The full-text index of the search table: FTS5 on SQLite, a tsvector column with GIN on PostgreSQL."""

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from finder import backends

    backends.for_connection(schema_editor.connection).create(schema_editor)


def drop(apps: Any, schema_editor: Any) -> None:
    from finder import backends

    backends.for_connection(schema_editor.connection).drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("finder", "0001_search_index")]

    operations = [migrations.RunPython(create, drop)]
