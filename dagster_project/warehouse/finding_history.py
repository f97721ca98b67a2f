"""The finding history kept across runs: every finding a published run has seen.

``governance.finding_history`` of the pipeline database holds, after each successful publish,
the ``mart_finding_history`` that run published; the next build reads it back
(dbt model ``stg_governance__finding_history``) to tell new findings from kept, resolved and
reopened ones. A blocked or failed run never reaches the publish step, so history moves only
with what analysts were shown. This module is the one description of the table's columns.
"""

from __future__ import annotations

import duckdb

GOVERNANCE_SCHEMA = "governance"
FINDING_HISTORY_TABLE = "finding_history"
FINDING_HISTORY = f"{GOVERNANCE_SCHEMA}.{FINDING_HISTORY_TABLE}"
PUBLISHED_FROM = "marts.mart_finding_history"

FINDING_HISTORY_COLUMNS: dict[str, str] = {
    "finding_id": "VARCHAR",
    "finding_type": "VARCHAR",
    "canonical_part_id": "VARCHAR",
    "first_seen_at": "TIMESTAMP",
    "last_seen_at": "TIMESTAMP",
    "resolved_at": "TIMESTAMP",
    "status": "VARCHAR",
    "times_reopened": "INTEGER",
}


def keep_published_finding_history(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the kept history with the mart this run published; rows kept.

    One transaction: a crash leaves the previous history whole, and the next run recomputes
    from it.
    """
    typed = ", ".join(f"cast({n} as {t}) as {n}" for n, t in FINDING_HISTORY_COLUMNS.items())
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {GOVERNANCE_SCHEMA}")
        con.execute(
            f"create or replace table {FINDING_HISTORY} as "
            f"select {typed} from {PUBLISHED_FROM} order by finding_id"
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    row = con.execute(f"select count(*) from {FINDING_HISTORY}").fetchone()
    return int(row[0]) if row else 0
