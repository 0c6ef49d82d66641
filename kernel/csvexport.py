"""Every CSV download: streamed, opened correctly by spreadsheet programs, and safe to open there.

- UTF-8 with a byte order mark, always: without it Excel reads UTF-8 as the machine's ANSI code page and
  Russian text turns into mojibake. Python's `utf-8-sig` and most CSV readers drop the mark.
- Comma-separated by default; `;`-separated on request (`?sep=semicolon`), as Excel expects in locales whose
  decimal separator is a comma (Russian, German, ...), where it would otherwise put a whole row in one cell.
  Console pages default to `;` in such a language (`default_separator`); the API defaults to `,` whatever the
  language, so that a script's download does not change with its Accept-Language.
- In a `;`-separated file, fractional numbers have a decimal comma (`1234,50`), as those locales read them.
- Timestamps written exactly as the API's JSON writes them (pydantic: ISO 8601, `Z` for UTC), so a row of
  the CSV and the same referral in the JSON can be matched by their text.
- A cell that begins with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice and
  Google Sheets, so a customer could type `=HYPERLINK(...)` as a company name and have it run on the
  partner's machine. Such text is written with a leading single quote, as OWASP advises ("CSV injection"):
  the program shows it as text. Numbers, dates and other non-text values are written as they are, so a
  negative amount stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pydantic_core import to_json

from kernel.errors import InvalidInput

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"
# The values of the `sep` query parameter.
SEPARATORS = {"comma": ",", "semicolon": ";"}
# Languages whose spreadsheet programs split CSV on `;` (their decimal separator is a comma).
SEMICOLON_LANGUAGES = frozenset({"ru", "de", "fr", "es", "it", "nl", "pl", "uk"})


def default_separator(language: str | None) -> str:
    """The separator a spreadsheet program expects in `language` (a Django language code such as 'ru')."""
    return ";" if (language or "").split("-")[0].casefold() in SEMICOLON_LANGUAGES else ","


def separator(choice: str | None, default: str = ",") -> str:
    """The separator a `sep` query parameter asks for; `default` when it is absent or empty."""
    if not choice:
        return default
    try:
        return SEPARATORS[choice]
    except KeyError:
        raise InvalidInput({"sep": f"Use sep=comma or sep=semicolon, not {choice!r}."}) from None


def cell(value: Any, delimiter: str = ",") -> Any:
    """`value` as the CSV writes it: a timestamp as the JSON does, text that would start a formula as text, and
    in a `;`-separated file a fractional number with a decimal comma, which is how the spreadsheets of those
    locales read a number (with a point, Excel there takes 1.50 for text or a date)."""
    if isinstance(value, datetime):
        return to_json(value).decode().strip('"')
    if delimiter == ";" and isinstance(value, Decimal | float) and not isinstance(value, bool):
        return str(value).replace(".", ",")
    return neutralise(value)


def neutralise(value: Any) -> Any:
    """`value` as a spreadsheet will read it as text, if it is text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines(header: list[str], rows: Iterable[Iterable[Any]], delimiter: str = ",") -> Iterator[str]:
    """The byte order mark, then the header and rows as CSV lines, every cell written by `cell`."""
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield BYTE_ORDER_MARK + writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value, delimiter) for value in row])


def response(
    filename: str, header: list[str], rows: Iterable[Iterable[Any]], delimiter: str = ","
) -> StreamingHttpResponse:
    """A streamed CSV download; `delimiter` from `separator()`."""
    streamed = StreamingHttpResponse(lines(header, rows, delimiter), content_type="text/csv; charset=utf-8")
    streamed["Content-Disposition"] = f'attachment; filename="{filename}"'
    return streamed


def page_download(
    request: HttpRequest, filename: str, header: list[str], rows: Iterable[Iterable[Any]]
) -> HttpResponse | StreamingHttpResponse:
    """A page's CSV download: `;`-separated in a language whose Excel expects it, unless ?sep= says otherwise;
    an unknown ?sep= is a plain 400 in the reader's language."""
    try:
        delimiter = separator(request.GET.get("sep"), default_separator(get_language()))
    except InvalidInput:
        return HttpResponse(_("Use sep=comma or sep=semicolon."), status=400, content_type="text/plain; charset=utf-8")
    return response(filename, header, rows, delimiter)
