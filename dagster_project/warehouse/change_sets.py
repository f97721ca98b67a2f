"""Proposed master-data change sets: one CSV per target table, next to the serving database.

The dbt marts ``marts.proposed_*`` (dbt/models/marts/exports) hold the changes an ERP or MRP
team can load: per target record the current value, the proposed value, the evidence (JSON
text), the confidence and the finding it resolves. :func:`write_change_sets` copies every one
of them from the published serving database into ``<exports_dir>/<table>.csv`` (UTF-8, header,
comma, ISO dates, empty = null), each written to a temporary file in the same folder and
renamed over the old one, so a reader never sees half a file. CSVs of ``proposed_*`` tables
that no longer exist are removed; other files in the folder are left alone.

Called by the publish step after the serving database is swapped in
(``settings.exports_dir`` = ``<warehouse>/proposed_changes/``).

    python -m dagster_project.warehouse.change_sets [--serving-db PATH] [--exports-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb

from dagster_project.warehouse.sql import (
    copy_to_csv_atomically,
    ordered_select,
    quote_ident,
    row_count,
    table_names,
)

CHANGE_SET_PREFIX = "proposed_"
SCHEMA = "marts"
TMP_MARKER = ".writing-"
# Rows in a stable order: a re-run on the same data gives the same bytes.
ORDER_BY = ("target_table", "target_field", "part_number", "change_id")


def change_set_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The proposed_* tables of schema marts, by name."""
    return table_names(con, SCHEMA, CHANGE_SET_PREFIX)


def write_change_sets(serving_db: Path, exports_dir: Path) -> dict[str, int]:
    """Write marts.proposed_* of serving_db as <exports_dir>/<table>.csv; rows per file name."""
    exports_dir = Path(exports_dir)
    exports_dir.mkdir(parents=True, exist_ok=True)
    for leftover in exports_dir.glob(f"{TMP_MARKER}*"):
        leftover.unlink(missing_ok=True)
    written: dict[str, int] = {}
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        for table in change_set_tables(con):
            target = exports_dir / f"{table}.csv"
            tmp = exports_dir / f"{TMP_MARKER}{table}.{uuid.uuid4().hex}.csv"
            query = ordered_select(con, SCHEMA, table, ORDER_BY)
            copy_to_csv_atomically(
                con, query, target, tmp,
                "format csv, header true, delimiter ',', dateformat '%Y-%m-%d'",
            )
            written[target.name] = row_count(con, f"{SCHEMA}.{quote_ident(table)}")
    finally:
        con.close()
    for stale in exports_dir.glob(f"{CHANGE_SET_PREFIX}*.csv"):
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    from dagster_project.runtime.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-db", type=Path, default=settings.serving_db)
    parser.add_argument("--exports-dir", type=Path, default=settings.exports_dir)
    args = parser.parse_args(argv)
    for name, rows in write_change_sets(args.serving_db, args.exports_dir).items():
        print(f"{args.exports_dir / name}: {rows} row(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
