"""Every CSV download: streamed, and safe to open in a spreadsheet program.

A cell that begins with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice and
Google Sheets, so a customer could type `=HYPERLINK(...)` as a company name and have it run on the
partner's machine. Such text is written with a leading single quote, as OWASP advises ("CSV injection"):
the program shows it as text. Numbers, dates and other non-text values are written as they are, so a
negative amount stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` as a spreadsheet will read it as text, if it is text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The header and rows as CSV lines, every text cell neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(value) for value in row])


def response(
    filename: str, header: list[str], rows: Iterable[Iterable[Any]], byte_order_mark: bool = False
) -> StreamingHttpResponse:
    """A streamed CSV download. `byte_order_mark`: so that spreadsheet programs read the file as UTF-8."""
    body = lines(header, rows)
    streamed = StreamingHttpResponse(
        _prefixed("\ufeff", body) if byte_order_mark else body, content_type="text/csv; charset=utf-8"
    )
    streamed["Content-Disposition"] = f'attachment; filename="{filename}"'
    return streamed


def _prefixed(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
