"""What text people may type: the one rule for single-line inputs, for pages, the API and services alike.

A single-line input (a name, a company, a city, a phone, a label) holds no control characters but the
tab: a line break in one splits e-mail headers and log lines and breaks the layout of every list that
shows it, and the other C0 characters cannot be seen, only stored. Multi-line texts (a need, a comment,
notes) keep their line breaks; a NUL is refused everywhere, since PostgreSQL cannot store it.

The services that validate an input for both pages and API ask `line_errors`; where pages and API reach
a service that does not (the finder's request), the form reader asks it and the API schema types the
field `Line`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from django.utils.translation import gettext_noop
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# C0 controls and DEL, the tab excepted.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# English, as every service message; pages translate it (locale/), the API answers in English.
LINE_MESSAGE = gettext_noop("Use a single line, without line breaks or other control characters.")


def has_nul(value: str) -> bool:
    return "\x00" in value


def line_error(value: str) -> str | None:
    """Why `value` is not a single line of text, for the person who typed it; None if it is one."""
    return LINE_MESSAGE if _CONTROL.search(value) else None


def line_errors(fields: Mapping[str, str]) -> dict[str, str]:
    """`line_error` of each named single-line field that has one."""
    return {name: error for name, value in fields.items() if (error := line_error(value))}


def _single_line(value: str) -> str:
    error = line_error(value)
    if error:
        raise PydanticCustomError("single_line", error)
    return value


# A single-line text field of an API schema: `company: Line = Field(max_length=200)`.
Line = Annotated[str, AfterValidator(_single_line)]
