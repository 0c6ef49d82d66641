"""Model instances from a hand-written SELECT, for the few hot paths where compiling an ORM query
costs more than running it (every API request authenticates its token).

Values go through the same converters the ORM applies, so SQLite's text dates come back aware.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


class Columns:
    """The concrete columns of a model under a table alias, and how to turn a row slice into an instance."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.alias = alias
        self.attnames = [f.attname for f in self.fields]
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in self.fields)
        self._converters: list[tuple[list[Converter], Any]] | None = None

    def table(self) -> str:
        """The table under its alias, for FROM and JOIN."""
        return f"{self.bare_table()} {self.alias}"

    def bare_table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    def column(self, attname: str) -> str:
        """A column by its attribute name (`assignee_id`, not `assignee`), under the alias."""
        return f"{self.alias}.{self.bare(attname)}"

    def bare(self, attname: str) -> str:
        field = next(f for f in self.fields if f.attname == attname)
        return connection.ops.quote_name(field.column)

    def converters(self) -> list[tuple[list[Converter], Any]]:
        if self._converters is None:
            self._converters = []
            for field in self.fields:
                col = field.get_col(self.alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                self._converters.append((found, col))
        return self._converters

    def instance(self, values: Sequence[Any]) -> Any:
        converted = []
        for value, (converters, col) in zip(values, self.converters(), strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)
