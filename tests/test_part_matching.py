"""Normalisation and fuzzy proposals on hand-worked cases and generated spellings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dagster_project.lib.part_matching import (
    PartRecord,
    normalize_part_number,
    propose_matches,
    revision_suffix,
)


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


def test_revision_suffix():
    assert revision_suffix("PN-004711-A") == "A"
    assert revision_suffix("PN-004711-R2") == "R2"
    assert revision_suffix("PN-004711") is None


def part(pid, number, desc=None, mpn=None, suppliers=()):
    return PartRecord(pid, number, desc, mpn, frozenset(suppliers))


def test_typo_with_same_mpn_is_proposed_not_revision():
    parts = [
        part("a", "PN-004711", "Hex bolt M8x40 zinc", "MFR-778", ["S1"]),
        part("b", "PN-0O4711", "Hex bolt M8x40 zinc plated", "MFR-778", ["S1"]),
        part("c", "PN-009999", "Gasket 40mm", "MFR-001"),
    ]
    proposals = propose_matches(parts)
    assert [(c.part_id_a, c.part_id_b) for c in proposals] == [("a", "b")]
    best = proposals[0]
    assert best.same_manufacturer_part_number and best.score > 0.9
    assert "MFR" not in best.evidence or "same manufacturer part number: yes" in best.evidence


def test_transposed_digits_are_proposed():
    parts = [part("a", "PN-004711", "Valve body"), part("b", "PN-004171", "Valve body")]
    assert [(c.part_id_a, c.part_id_b) for c in propose_matches(parts)] == [("a", "b")]


def test_revisions_rank_low_and_say_why():
    parts = [
        part("a", "PN-004711-A", "Bracket", "MFR-9"),
        part("b", "PN-004711-B", "Bracket", "MFR-9"),
    ]
    proposals = propose_matches(parts, min_score=0.0)
    assert proposals and proposals[0].revision_conflict
    assert proposals[0].score < 0.6
    assert propose_matches(parts) == []
