"""The steward decision files: validated, then written atomically, one row per decision.

A decision names something the serving database shows now (an open review pair, a finding of
the worklist); anything else ends in one line (DecisionError) and writes nothing. A later
decision on the same id replaces the earlier row: the dbt models test that ids are unique.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

MATCH_DECISIONS = "match_decisions"
FINDING_WAIVERS = "finding_waivers"
# The columns of each file, in order (dbt/models/staging/steward reads them by these names).
DECISION_COLUMNS: dict[str, tuple[str, ...]] = {
    MATCH_DECISIONS: ("match_review_id", "part_number_a", "part_number_b", "decision",
                      "decided_by", "decided_on", "note"),
    FINDING_WAIVERS: ("finding_id", "waived_by", "waived_on", "waived_until", "note"),
}


class DecisionError(Exception):
    """A decision that cannot be recorded; the message is the one line the user sees."""


@dataclass(frozen=True)
class Recorded:
    path: Path
    replaced: bool  # an earlier decision on the same id was replaced


def decision_file(decisions_dir: Path, name: str) -> Path:
    return decisions_dir / f"{name}.csv"


def ensure_decision_files(decisions_dir: Path) -> list[Path]:
    """Create missing decision files with their header (a fresh PLANSIGNAL_DECISIONS_DIR must
    build); the files created."""
    created = []
    for name, columns in DECISION_COLUMNS.items():
        path = decision_file(decisions_dir, name)
        if not path.exists():
            _write_rows(path, columns, [])
            created.append(path)
    return created


def read_decisions(decisions_dir: Path, name: str) -> list[dict[str, str]]:
    path = decision_file(decisions_dir, name)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    """The whole file through a temporary sibling and a rename: never half written."""
    buffer = io.StringIO()
    # Every field quoted: a note may hold a lone carriage return, which QUOTE_MINIMAL with a
    # "\n" line end would leave bare (and a reader would take for a line break).
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.writing")
    temp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temp, path)


def _upsert(decisions_dir: Path, name: str, row: dict[str, str]) -> Recorded:
    columns = DECISION_COLUMNS[name]
    key = columns[0]
    rows = read_decisions(decisions_dir, name)
    kept = [r for r in rows if (r.get(key) or "").strip() != row[key]]
    _write_rows(decision_file(decisions_dir, name), columns, [*kept, row])
    return Recorded(decision_file(decisions_dir, name), replaced=len(kept) != len(rows))


def _signed(by: str | None, note: str | None) -> tuple[str, str]:
    who = (by or "").strip()
    if not who:
        raise DecisionError("--by is required: who decides (a name or a role)")
    return who, (note or "").strip()


def _serving(serving_db: Path) -> duckdb.DuckDBPyConnection:
    if not serving_db.exists():
        raise DecisionError(f"{serving_db}: no serving database yet; run `plansignal run` first")
    return duckdb.connect(str(serving_db), read_only=True)


def decide_match(
    decisions_dir: Path,
    serving_db: Path,
    match_review_id: str,
    decision: str,
    by: str | None,
    note: str | None,
    today: date,
) -> Recorded:
    """Accept or reject a pair of the review queue (part_match_review)."""
    if decision not in ("accept", "reject"):
        raise DecisionError(f"decision must be accept or reject, not {decision!r}")
    who, why = _signed(by, note)
    review_id = match_review_id.strip()
    with _serving(serving_db) as con:
        pair = con.execute(
            "select part_number_a, part_number_b from marts.part_match_review "
            "where match_review_id = ?",
            [review_id],
        ).fetchone()
    if pair is None:
        raise DecisionError(
            f"{review_id!r} is no pair of the review queue (marts.part_match_review); "
            "`plansignal review list` shows the open ones"
        )
    return _upsert(decisions_dir, MATCH_DECISIONS, {
        "match_review_id": review_id, "part_number_a": pair[0], "part_number_b": pair[1],
        "decision": decision, "decided_by": who, "decided_on": today.isoformat(), "note": why,
    })


def waive_finding(
    decisions_dir: Path,
    serving_db: Path,
    finding_id: str,
    until: str,
    by: str | None,
    note: str | None,
    today: date,
) -> Recorded:
    """Waive a finding of the worklist until a day (inclusive) not in the past."""
    who, why = _signed(by, note)
    try:
        waived_until = date.fromisoformat(until.strip())
    except ValueError:
        raise DecisionError(f"--until {until!r} is not a date (YYYY-MM-DD)") from None
    if waived_until < today:
        raise DecisionError(f"--until {waived_until} is in the past (today is {today})")
    wanted = finding_id.strip()
    with _serving(serving_db) as con:
        found = con.execute(
            "select count(*) from marts.mart_master_data_exceptions where finding_id = ?",
            [wanted],
        ).fetchone()
    if not found or not found[0]:
        raise DecisionError(
            f"{wanted!r} is no finding of the worklist (marts.mart_master_data_exceptions)"
        )
    return _upsert(decisions_dir, FINDING_WAIVERS, {
        "finding_id": wanted, "waived_by": who, "waived_on": today.isoformat(),
        "waived_until": waived_until.isoformat(), "note": why,
    })
