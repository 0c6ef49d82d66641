"""The one CSV writer: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pydantic_core import to_json

from kernel import csvexport
from kernel.errors import InvalidInput
from tests.factories import NOW


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+49 30 1234567", "'+49 30 1234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Contoso = good", "Contoso = good"),
        ("", ""),
        (-5, -5),
        (Decimal("-12.50"), Decimal("-12.50")),
        (None, None),
    ],
)
def test_only_text_that_starts_like_a_formula_gets_a_leading_quote(value, written):
    assert csvexport.neutralise(value) == written


def test_a_download_streams_a_byte_order_mark_the_header_and_neutralised_rows_with_its_file_name():
    at = NOW + timedelta(hours=1, microseconds=250)
    response = csvexport.response("x.csv", ["name", "amount", "at"], [["=1+1", -3, at], ["Alpha", 2, None]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert b"".join(response.streaming_content).decode() == (
        f"\ufeffname,amount,at\r\n'=1+1,-3,{at:%Y-%m-%dT%H:%M:%S}.000250Z\r\nAlpha,2,\r\n"
    )


def test_a_timestamp_is_written_as_the_api_json_writes_it():
    moscow = timezone.get_fixed_timezone(180)
    assert csvexport.cell(NOW) == to_json(NOW).decode().strip('"') == f"{NOW:%Y-%m-%dT%H:%M:%S}Z"
    assert csvexport.cell(NOW.astimezone(moscow)) == f"{NOW.astimezone(moscow):%Y-%m-%dT%H:%M:%S}+03:00"


def test_a_semicolon_separated_download_quotes_cells_that_hold_a_semicolon_and_keeps_russian_text():
    response = csvexport.response("x.csv", ["компания", "сумма"], [["ООО «Ромашка»; филиал", Decimal("1.50")]], ";")
    assert b"".join(response.streaming_content) == ('\ufeffкомпания;сумма\r\n"ООО «Ромашка»; филиал";1,50\r\n'.encode())


def test_fractional_numbers_have_a_decimal_comma_only_where_cells_are_separated_by_semicolons():
    row = [Decimal("1234.50"), 2.5, 7, "1.5", True]
    assert list(csvexport.lines(["a"], [row], ";"))[1] == "1234,50;2,5;7;1.5;True\r\n"
    assert list(csvexport.lines(["a"], [row], ","))[1] == "1234.50,2.5,7,1.5,True\r\n"


@pytest.mark.parametrize(
    ("choice", "default", "chosen"),
    [(None, ",", ","), ("", ";", ";"), ("comma", ";", ","), ("semicolon", ",", ";")],
)
def test_sep_names_the_separator_and_its_absence_leaves_the_default(choice, default, chosen):
    assert csvexport.separator(choice, default) == chosen


def test_an_unknown_sep_is_invalid_input_naming_the_parameter():
    with pytest.raises(InvalidInput) as caught:
        csvexport.separator("tab")
    assert caught.value.errors == {"sep": "Use sep=comma or sep=semicolon, not 'tab'."}


@pytest.mark.parametrize(
    ("language", "expected"), [("ru", ";"), ("de-at", ";"), ("en", ","), ("en-gb", ","), (None, ","), ("", ",")]
)
def test_languages_whose_decimal_separator_is_a_comma_default_to_semicolons(language, expected):
    assert csvexport.default_separator(language) == expected
