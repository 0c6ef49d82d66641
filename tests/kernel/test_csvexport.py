"""The one CSV writer: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kernel import csvexport
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


def test_a_download_streams_the_header_and_neutralised_rows_with_its_file_name():
    at = (NOW + timedelta(hours=1)).isoformat()
    response = csvexport.response("x.csv", ["name", "amount", "at"], [["=1+1", -3, at], ["Alpha", 2, ""]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert b"".join(response.streaming_content).decode() == f"name,amount,at\r\n'=1+1,-3,{at}\r\nAlpha,2,\r\n"


def test_a_download_for_spreadsheet_programs_starts_with_a_byte_order_mark():
    response = csvexport.response("x.csv", ["name"], [["Alpha"]], byte_order_mark=True)
    assert b"".join(response.streaming_content).decode() == "\ufeffname\r\nAlpha\r\n"
