"""Part-number reconciliation helpers: the deterministic normaliser and the fuzzy proposer.

``normalize_part_number`` is the Python twin of the dbt macro ``normalize_part_number``; a test
holds both to the same cases. Fuzzy matching never merges: it proposes pairs of different
canonical parts to the steward's review queue with a score and the evidence behind it.

Candidate pairs come from blocking keys, never from comparing every part with every other:
the same manufacturer part number, the same number once look-alike characters are folded
(O/0, I/1, S/5, ...), the same multiset of characters (transposed digits), and the same
leading description tokens. Each pair is then scored with rapidfuzz.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_SEPARATORS = re.compile(r"[\s\-_./]+")
_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5",
                             "Z": "2", "B": "8", "G": "6"})
# A trailing revision marker: -A, -B, -R2, REV3 ... Two parts that differ only there are
# different revisions, never the same part.
_REVISION = re.compile(r"(?:[-_. /]?(?:REV|R)\d+|[-_. /][A-Z])$")
MAX_BLOCK = 50  # a blocking key shared by more parts than this says nothing about identity


def normalize_part_number(value: str | None) -> str | None:
    """Upper case, surrounding and inner whitespace and separators - _ . / removed."""
    if value is None:
        return None
    normalized = _SEPARATORS.sub("", value.strip().upper())
    return normalized or None


def revision_suffix(value: str) -> str | None:
    match = _REVISION.search(value.strip().upper())
    return _SEPARATORS.sub("", match.group(0)) if match else None


@dataclass(frozen=True)
class PartRecord:
    canonical_part_id: str
    part_number: str  # the canonical spelling
    description: str | None = None
    manufacturer_part_number: str | None = None
    suppliers: frozenset[str] = field(default_factory=frozenset)
    source_system: str = "erp"


@dataclass(frozen=True)
class MatchCandidate:
    part_id_a: str
    part_id_b: str
    part_number_a: str
    part_number_b: str
    score: float  # 0..1; higher means more likely the same part
    number_similarity: float
    description_similarity: float
    same_manufacturer_part_number: bool
    shared_suppliers: int
    revision_conflict: bool
    blocking_keys: tuple[str, ...]
    evidence: str


def _blocking_keys(part: PartRecord) -> list[str]:
    number = normalize_part_number(part.part_number) or ""
    keys = [f"folded:{number.translate(_LOOKALIKES)}", f"chars:{''.join(sorted(number))}"]
    if part.manufacturer_part_number:
        mpn = normalize_part_number(part.manufacturer_part_number)
        if mpn:
            keys.append(f"mpn:{mpn}")
    if part.description:
        tokens = re.findall(r"[a-z0-9]+", part.description.lower())
        if len(tokens) >= 2:
            keys.append("desc:" + " ".join(tokens[:3]))
    return keys


def _score(a: PartRecord, b: PartRecord, keys: tuple[str, ...]) -> MatchCandidate:
    na = normalize_part_number(a.part_number) or ""
    nb = normalize_part_number(b.part_number) or ""
    number_similarity = max(
        Levenshtein.normalized_similarity(na, nb),
        Levenshtein.normalized_similarity(na.translate(_LOOKALIKES), nb.translate(_LOOKALIKES)),
    )
    description_similarity = (
        fuzz.token_set_ratio(a.description, b.description) / 100
        if a.description and b.description
        else 0.0
    )
    same_mpn = bool(
        a.manufacturer_part_number
        and b.manufacturer_part_number
        and normalize_part_number(a.manufacturer_part_number)
        == normalize_part_number(b.manufacturer_part_number)
    )
    shared = len(a.suppliers & b.suppliers)
    rev_a, rev_b = revision_suffix(a.part_number), revision_suffix(b.part_number)
    revision_conflict = rev_a != rev_b and (rev_a is not None or rev_b is not None)
    score = (
        0.45 * number_similarity
        + 0.30 * description_similarity
        + (0.20 if same_mpn else 0.0)
        + (0.05 if shared else 0.0)
    )
    if revision_conflict:
        score *= 0.5  # a different revision is a different part; keep it visible, rank it low
    evidence = (
        f"number similarity {number_similarity:.2f} ({a.part_number} vs {b.part_number}); "
        f"description similarity {description_similarity:.2f}; "
        f"same manufacturer part number: {'yes' if same_mpn else 'no'}; "
        f"shared suppliers: {shared}"
        + (f"; revision suffixes differ ({rev_a or '-'} vs {rev_b or '-'})"
           if revision_conflict else "")
    )
    first, second = (a, b) if a.canonical_part_id < b.canonical_part_id else (b, a)
    return MatchCandidate(
        part_id_a=first.canonical_part_id,
        part_id_b=second.canonical_part_id,
        part_number_a=first.part_number,
        part_number_b=second.part_number,
        score=round(score, 4),
        number_similarity=round(number_similarity, 4),
        description_similarity=round(description_similarity, 4),
        same_manufacturer_part_number=same_mpn,
        shared_suppliers=shared,
        revision_conflict=revision_conflict,
        blocking_keys=keys,
        evidence=evidence,
    )


def propose_matches(parts: Iterable[PartRecord], min_score: float = 0.6) -> list[MatchCandidate]:
    """Pairs of different canonical parts that may be one part, best first."""
    by_id = {p.canonical_part_id: p for p in parts}
    blocks: dict[str, list[str]] = defaultdict(list)
    for part in by_id.values():
        for key in _blocking_keys(part):
            blocks[key].append(part.canonical_part_id)
    pair_keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, ids in blocks.items():
        if len(ids) < 2 or len(ids) > MAX_BLOCK:
            continue
        for a, b in combinations(sorted(ids), 2):
            pair_keys[(a, b)].append(key.split(":", 1)[0])
    candidates = [
        _score(by_id[a], by_id[b], tuple(sorted(set(keys)))) for (a, b), keys in pair_keys.items()
    ]
    kept = [c for c in candidates if c.score >= min_score]
    return sorted(kept, key=lambda c: (-c.score, c.part_id_a, c.part_id_b))
