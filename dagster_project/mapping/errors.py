"""The mapping's error type and the one-line text of its messages.

Owns :class:`MappingError` (every mistake in a mapping or its input, one line for the user,
naming the mapping file and the setting) and the helpers that fold a value or DuckDB's
multi-line errors into that line.
"""

from __future__ import annotations

import re
from typing import Any


class MappingError(Exception):
    """A mapping or input that cannot be applied; the message is one line for the user."""


def show(value: Any) -> str:
    """A YAML value in a message: its type and text, at most 80 characters."""
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def first_line(exc: BaseException) -> str:
    """The first non-blank line of an error (DuckDB's messages run over several lines)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def csv_error(exc: BaseException) -> str:
    """DuckDB's multi-line CSV error as one line: 'line N: reason'."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line_no = re.search(r"CSV Error on Line: (\d+)", text)
    reason = next(
        (line for line in lines[1:]
         if not line.startswith(("Original Line", "Possible", "*", "Detected", "Number of"))),
        lines[0] if lines else type(exc).__name__,
    )
    return (f"line {line_no.group(1)}: " if line_no else "") + reason
