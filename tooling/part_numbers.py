"""The Python twin of the dbt macro ``normalize_part_number``.

dbt decides reconciliation (``int_part_aliases``, ``part_match_review``); this twin lets Python
code and tests name the canonical key of a spelling without a database. A pipeline test holds
the two to the same answer on every generated spelling, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re

# Whitespace (Python's \s, Unicode-aware like the macro) and the separators - _ . /
_SEPARATORS = re.compile(r"[\s\-_./]+")


def normalize_part_number(value: str | None) -> str | None:
    """Upper case, surrounding and inner whitespace and separators - _ . / removed."""
    if value is None:
        return None
    normalized = _SEPARATORS.sub("", value.strip().upper())
    return normalized or None


def canonical_part_id(canonical_part_key: str) -> str:
    """The stable surrogate dbt gives a canonical part: md5 hex of its normalised key."""
    return hashlib.md5(canonical_part_key.encode("utf-8")).hexdigest()
