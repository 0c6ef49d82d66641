"""Drop the full-text index that 0002 made in databases migrated before the SQL search path went: every search
runs on the process's snapshot (finder.snapshot), and nothing writes or reads the index any more."""

from typing import Any

from django.db import migrations


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS finder_search_document")
        schema_editor.execute("ALTER TABLE finder_search DROP COLUMN IF EXISTS document")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS finder_search_fts")


class Migration(migrations.Migration):
    dependencies = [("finder", "0006_request_sender")]

    # Reversed as nothing: only code older than this migration read the index (and 0002 no longer makes it).
    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
