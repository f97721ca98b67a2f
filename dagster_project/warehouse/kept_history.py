"""What the governance loop keeps across runs: every finding and every proposed change that a
published run has shown.

After each successful publish, ``governance.finding_history`` and
``governance.change_set_history`` of the pipeline database are replaced with the
``mart_finding_history`` and ``mart_change_set_status`` that run published; the next build
reads them back (dbt models ``stg_governance__*``) to tell new from kept, resolved, reopened,
applied and superseded. A blocked or failed run never reaches the publish step, so history
moves only with what analysts were shown. This module is the one description of the tables'
columns (the dbt staging models name the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

GOVERNANCE_SCHEMA = "governance"


@dataclass(frozen=True)
class KeptTable:
    store: str  # governance.<table>
    published_from: str  # the mart whose rows it keeps
    columns: dict[str, str]


FINDING_HISTORY = KeptTable(
    store=f"{GOVERNANCE_SCHEMA}.finding_history",
    published_from="marts.mart_finding_history",
    columns={
        "finding_id": "VARCHAR", "finding_type": "VARCHAR", "canonical_part_id": "VARCHAR",
        "first_seen_at": "TIMESTAMP", "last_seen_at": "TIMESTAMP", "resolved_at": "TIMESTAMP",
        "status": "VARCHAR", "times_reopened": "INTEGER",
    },
)
CHANGE_SET_HISTORY = KeptTable(
    store=f"{GOVERNANCE_SCHEMA}.change_set_history",
    published_from="marts.mart_change_set_status",
    columns={
        "proposal_id": "VARCHAR", "change_id": "VARCHAR", "target_system": "VARCHAR",
        "target_table": "VARCHAR", "target_field": "VARCHAR", "part_number": "VARCHAR",
        "supplier_id": "VARCHAR", "plant": "VARCHAR", "proposed_value": "DOUBLE",
        "finding_id": "VARCHAR", "status": "VARCHAR", "first_proposed_at": "TIMESTAMP",
        "last_proposed_at": "TIMESTAMP", "closed_at": "TIMESTAMP",
        "closed_by_extract": "VARCHAR",
    },
)
KEPT_TABLES = (FINDING_HISTORY, CHANGE_SET_HISTORY)


def keep_published_history(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace each kept table with the mart this run published (those that exist); rows kept.

    One transaction: a crash leaves the previous history whole, and the next run recomputes
    from it.
    """
    schema_of = {t.published_from: t.published_from.split(".") for t in KEPT_TABLES}
    present = [
        t for t in KEPT_TABLES
        if con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?", schema_of[t.published_from]
        ).fetchone()[0]
    ]
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {GOVERNANCE_SCHEMA}")
        for table in present:
            typed = ", ".join(f"cast({n} as {t}) as {n}" for n, t in table.columns.items())
            con.execute(
                f"create or replace table {table.store} as "
                f"select {typed} from {table.published_from}"
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {
        table.store: int(con.execute(f"select count(*) from {table.store}").fetchone()[0])
        for table in present
    }


def forget_kept_history(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the kept history: it described data that left raw as a whole (the demo retiring
    for a user's own extracts), whose findings and proposals must not show as the user's
    resolved or superseded ones."""
    for table in KEPT_TABLES:
        con.execute(f"drop table if exists {table.store}")

