"""The vendor-specific SQL of the finder's full-text index, behind one seam.

`for_connection()` gives the module for the database in use: finder.backends.sqlite (an FTS5 table)
or finder.backends.postgres (a weighted tsvector column with a GIN index). Both index the same
pre-stemmed text (finder.text), so they match the same profiles. Each module provides:

    create(schema_editor) / drop(schema_editor)     the migration's DDL
    write(cursor, rows)                             (profile_id, tags_text, description_text) rows
    delete(cursor, profile_ids)
    match(stems) -> (sql, params)                   a FROM-able subquery of the matching profile_ids
    join(stems, table)                              the search table joined to its match
    bare(stems, limit) -> (sql, params)             the plain index query, the benchmark's floor
"""

from __future__ import annotations

from types import ModuleType

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper


def for_connection(conn: BaseDatabaseWrapper | None = None) -> ModuleType:
    vendor = (conn or connection).vendor
    if vendor == "postgresql":
        from finder.backends import postgres

        return postgres
    if vendor == "sqlite":
        from finder.backends import sqlite

        return sqlite
    raise ImproperlyConfigured(f"The finder has a full-text index for SQLite and PostgreSQL only, not {vendor}.")
