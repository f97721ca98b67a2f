"""The normaliser twin on hand-worked cases and generated spellings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tooling.part_numbers import normalize_part_number


def test_normalisation_cases():
    cases = {
        " pn-004711 ": "PN004711",
        "PN_004711": "PN004711",
        "pn.004.711": "PN004711",
        "PN / 004 711": "PN004711",
        "PN\t004711": "PN004711",
        "PN-004711-A": "PN004711A",
        "": None,
        " - ": None,
    }
    for raw, expected in cases.items():
        assert normalize_part_number(raw) == expected, raw


separators = st.sampled_from(["", "-", "_", ".", "/", " ", "  "])


@given(
    prefix=st.text(alphabet="ABCXYZ", min_size=1, max_size=3),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=8),
    sep=separators,
    pad_left=st.sampled_from(["", " ", "\t"]),
    pad_right=st.sampled_from(["", " ", "\t"]),
    lower=st.booleans(),
)
def test_every_spelling_normalises_to_the_same_key(prefix, digits, sep, pad_left, pad_right, lower):
    spelled = f"{pad_left}{prefix}{sep}{digits}{pad_right}"
    spelled = spelled.lower() if lower else spelled
    assert normalize_part_number(spelled) == f"{prefix}{digits}"


@given(st.text(max_size=30))
def test_normalisation_is_idempotent(value):
    once = normalize_part_number(value)
    assert once is None or normalize_part_number(once) == once
