"""One more day of demo extracts, as a real ERP's daily export would look.

    python -m tooling.demo_next_day [--landing DIR] [--seed 42]    (make demo-data NEXT_DAY=1)

Beside the demo extract (tooling/demo_data.py) it writes, for the day after the newest demo
extract, ``erp_purchase_order_lines__demo__<day>.csv`` and ``erp_goods_receipts__demo__<day>
.csv``; called again, it adds the day after that. The day's volume is the demo's own daily rate
over its last year (PO lines ordered, receipts, reversals and returns per day), drawn from a
generator seeded by the seed and the day, so the same landing folder and seed give the same
bytes. What a day holds:

- new PO lines ordered that day, copied from a recent line of the same part and supplier
  (quantity, unit, the requested lead time), with new PO numbers, OPEN;
- re-sent open lines: promise dates moved, a few short-closed (CLOSED with something
  received) or cancelled (nothing received), and lines the day's receipts complete (CLOSED),
  each with ``updated_at`` on that day ("latest extract of a key wins" applies them);
- goods receipts that day against open lines that are due (the rest of the order, or a part of
  it), reversals of recent receipts, returns of part of what a line received.

Master data (items, suppliers, purchasing info, MRP parameters) does not change daily, so no
file of theirs is written. The demo's ground truth (demo_truth/) describes the demo extract
only; the days added here are not in it. Refused, with one line, when the landing folder holds
no demo extract or holds an own extract (the demo would retire itself).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.ingest.load_log import DEMO_MARKER, is_demo_extract
from dagster_project.runtime.settings import get_settings

PO_TABLE = "erp_purchase_order_lines"
GR_TABLE = "erp_goods_receipts"
DATED = re.compile(rf"^(?P<table>\w+?){DEMO_MARKER}(?P<day>\d{{4}}-\d{{2}}-\d{{2}})\.csv$")
PO_COLUMNS = ["po_number", "po_line", "supplier_id", "part_number", "order_date",
              "requested_date", "promised_date", "order_qty", "uom", "line_status", "updated_at"]
GR_COLUMNS = ["receipt_id", "po_number", "po_line", "part_number", "receipt_date", "quantity",
              "uom", "movement_type", "reverses_receipt_id"]


class NextDayError(Exception):
    """The landing folder cannot take a next demo day; one line for the user."""


@dataclass(frozen=True)
class DayWritten:
    day: date
    files: dict[str, int]  # path -> rows

    def lines(self) -> list[str]:
        return [f"demo day {self.day}: {path}: {rows:,} rows" for path, rows in self.files.items()]


def _demo_files(landing: Path, table: str) -> list[Path]:
    folder = landing / table
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    own = [p for p in files if not is_demo_extract(p.name) and not p.name.startswith(".")]
    if own:
        raise NextDayError(f"{folder} holds own extracts (e.g. {own[0].name}): the demo is "
                           "retired there; no demo day is added")
    demo = [p for p in files if is_demo_extract(p.name)]
    if not demo:
        raise NextDayError(f"no demo extract in {folder}: run `make demo-data` first")
    return demo


def _newest_day(files: list[Path]) -> date:
    days = [date.fromisoformat(m.group("day")) for p in files if (m := DATED.match(p.name))]
    if not days:
        raise NextDayError(f"no dated demo file among {files[0].parent}")
    return max(days)


@dataclass(frozen=True)
class DemoState:
    """What a day draws from, small whatever the demo's size: DuckDB reads every extract and
    hands pandas only the PO lines ordered in the last year or still open (latest extract of
    each line, with its net received quantity), the unreversed receipts of the last 30 days,
    the year's movement counts and the next free PO and receipt numbers. (Reading every
    movement into pandas took 10.7 GB at scale 100.)"""

    lines: pd.DataFrame
    reversible: pd.DataFrame
    yearly_moves: dict[str, int]
    next_po: int
    next_gr: int


def _number_after(column: str, prefix: str) -> str:
    return f"coalesce(max(try_cast(regexp_replace({column}, '^{prefix}', '') as bigint)), 0) + 1"


def _state(po_files: list[Path], gr_files: list[Path], day: date) -> DemoState:
    year_ago, month_ago = day - timedelta(days=365), day - timedelta(days=30)
    con = duckdb.connect()
    try:
        for name, files in (("po_rows", po_files), ("moves", gr_files)):
            con.register(name, con.read_csv([str(p) for p in files], header=True, filename=True,
                                            all_varchar=True))
        # The latest row of every PO line, by file name, as staging decides.
        con.execute("""
            create temp table latest_lines as
            select * exclude (filename, rn) from (
                select *, row_number() over (partition by po_number, po_line
                                             order by filename desc) as rn from po_rows)
            where rn = 1""")
        con.execute("""
            create temp table reversed_ids as
            select distinct reverses_receipt_id as receipt_id from moves
            where movement_type = 'REVERSAL' and reverses_receipt_id is not null""")
        # Net quantity per PO line: receipts minus returns, reversed movements left out.
        lines = con.execute("""
            with net as (
                select po_number, cast(po_line as integer) as line_number,
                    sum(case when movement_type = 'RETURN' then -1 else 1 end
                        * cast(quantity as double)) as net
                from moves anti join reversed_ids using (receipt_id)
                where movement_type <> 'REVERSAL'
                group by all
            )
            select latest_lines.*, coalesce(net.net, 0) as net
            from latest_lines left join net
                on latest_lines.po_number = net.po_number
                and cast(latest_lines.po_line as integer) = net.line_number
            where try_cast(order_date as date) > ?
                or (line_status = 'OPEN' and try_cast(order_date as date) < ?)
            order by latest_lines.po_number, latest_lines.po_line""", [year_ago, day]).df()
        reversible = con.execute("""
            select * exclude (filename) from moves anti join reversed_ids using (receipt_id)
            where movement_type = 'RECEIPT' and try_cast(receipt_date as date) > ?
            order by receipt_id, filename""", [month_ago]).df()
        yearly_moves = dict(con.execute(
            "select movement_type, count(*) from moves "
            "where try_cast(receipt_date as date) > ? group by movement_type",
            [year_ago]).fetchall())
        next_po = con.execute(f"select {_number_after('po_number', 'PO')} from po_rows"
                              ).fetchone()[0]
        next_gr = con.execute(f"select {_number_after('receipt_id', 'GR')} from moves"
                              ).fetchone()[0]
    finally:
        con.close()
    for frame, columns in ((lines, ["order_date", "requested_date", "promised_date"]),
                           (reversible, ["receipt_date"])):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], errors="coerce").dt.date
    lines["po_line"] = lines["po_line"].astype(int)
    lines["order_qty"] = lines["order_qty"].astype(float)
    reversible["po_line"] = reversible["po_line"].astype(int)
    reversible["quantity"] = reversible["quantity"].astype(float)
    return DemoState(lines, reversible, yearly_moves, int(next_po), int(next_gr))


def _daily(count: int, rng: np.random.Generator) -> int:
    """A day's number of events, for a yearly count."""
    return int(rng.poisson(count / 365))


def _stamp(day: date, rng: np.random.Generator, n: int) -> list[str]:
    start = datetime.combine(day, datetime.min.time())
    seconds = rng.integers(6 * 3600, 20 * 3600, n)
    return [(start + timedelta(seconds=int(s))).isoformat(sep=" ") for s in seconds]


def build_day(state: DemoState, day: date, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's PO-line rows and goods movements (see the module docstring)."""
    rng = np.random.default_rng([seed, day.toordinal()])
    lines = state.lines
    recent_lines = lines[lines.order_date > day - timedelta(days=365)]
    open_lines = lines[(lines.line_status == "OPEN") & (lines.order_date < day)].copy()
    open_lines["rest"] = open_lines.order_qty - open_lines.net

    # New lines, each copied from a recent line (its part, supplier, unit, quantity, lead time).
    n_new = _daily(len(recent_lines), rng)
    templates = recent_lines.iloc[rng.integers(0, len(recent_lines), n_new)] if n_new else \
        recent_lines.iloc[:0]
    po_numbers = [f"PO{state.next_po + i // 3:08d}" for i in range(n_new)]  # up to 3 lines a PO
    lead = np.array([(r - o).days for r, o in zip(templates.requested_date,
                                                   templates.order_date, strict=True)], int)
    requested = [day + timedelta(days=int(max(d, 0))) for d in lead]
    new = pd.DataFrame({
        "po_number": po_numbers,
        "po_line": [10 * (1 + i % 3) for i in range(n_new)],
        "supplier_id": templates.supplier_id.to_numpy(),
        "part_number": templates.part_number.to_numpy(),
        "order_date": [day] * n_new,
        "requested_date": requested,
        "promised_date": [r + timedelta(days=int(x)) for r, x in
                          zip(requested, rng.integers(0, 8, n_new), strict=True)],
        "order_qty": templates.order_qty.to_numpy(),
        "uom": templates.uom.to_numpy(),
        "line_status": ["OPEN"] * n_new,
    })

    # Receipts against due open lines: the rest of the order, now and then a part of it.
    due = open_lines[(open_lines.rest > 0) & (open_lines.promised_date.fillna(
        open_lines.requested_date) <= day + timedelta(days=3))]
    n_receipts = min(_daily(state.yearly_moves.get("RECEIPT", 0), rng), len(due))
    receiving = due.iloc[rng.choice(len(due), n_receipts, replace=False)] if n_receipts else \
        due.iloc[:0]
    partial = rng.random(n_receipts) < 0.2
    quantity = np.where(partial, np.maximum(np.floor(receiving.rest * 0.5), 1), receiving.rest)
    receipts = pd.DataFrame({
        "po_number": receiving.po_number.to_numpy(), "po_line": receiving.po_line.to_numpy(),
        "part_number": receiving.part_number.to_numpy(), "quantity": quantity,
        "uom": receiving.uom.to_numpy(), "movement_type": "RECEIPT",
        "reverses_receipt_id": None,
    })

    # Reversals of recent receipts not reversed yet; returns of part of what a line received.
    candidates = state.reversible
    n_rev = min(_daily(state.yearly_moves.get("REVERSAL", 0), rng), len(candidates))
    reversing = candidates.iloc[rng.choice(len(candidates), n_rev, replace=False)] if n_rev \
        else candidates.iloc[:0]
    reversals = pd.DataFrame({
        "po_number": reversing.po_number.to_numpy(), "po_line": reversing.po_line.to_numpy(),
        "part_number": reversing.part_number.to_numpy(),
        "quantity": reversing.quantity.to_numpy(), "uom": reversing.uom.to_numpy(),
        "movement_type": "REVERSAL", "reverses_receipt_id": reversing.receipt_id.to_numpy(),
    })
    holding = lines[(lines.net >= 2) & (lines.order_date > day - timedelta(days=120))]
    n_ret = min(_daily(state.yearly_moves.get("RETURN", 0), rng), len(holding))
    returning = holding.iloc[rng.choice(len(holding), n_ret, replace=False)] if n_ret else \
        holding.iloc[:0]
    returns = pd.DataFrame({
        "po_number": returning.po_number.to_numpy(), "po_line": returning.po_line.to_numpy(),
        "part_number": returning.part_number.to_numpy(),
        "quantity": np.maximum(np.floor(returning.net * 0.25), 1),
        "uom": returning.uom.to_numpy(), "movement_type": "RETURN", "reverses_receipt_id": None,
    })
    movements = pd.concat([receipts, reversals, returns], ignore_index=True)
    movements.insert(0, "receipt_id",
                     [f"GR{state.next_gr + i:010d}" for i in range(len(movements))])
    movements.insert(4, "receipt_date", day)

    # Re-sent open lines: completed today, promise moved, short-closed, cancelled.
    completed = receiving[~partial]
    still_open = open_lines[~open_lines.index.isin(completed.index)]
    n_moved = min(_daily(len(recent_lines) // 2, rng), len(still_open))
    moved = still_open.iloc[rng.choice(len(still_open), n_moved, replace=False)].copy() \
        if n_moved else still_open.iloc[:0].copy()
    moved["promised_date"] = [max(day, (day if pd.isna(p) else p)
                                  + timedelta(days=int(x))) for p, x in
                              zip(moved.promised_date, rng.integers(1, 15, len(moved)),
                                  strict=True)]
    rest = still_open[~still_open.index.isin(moved.index)]
    n_close = min(_daily(len(recent_lines) // 40, rng), len(rest))
    closing = rest.iloc[rng.choice(len(rest), n_close, replace=False)].copy() if n_close \
        else rest.iloc[:0].copy()
    closing["line_status"] = np.where(closing.net > 0, "CLOSED", "CANCELLED")
    done = completed.copy()
    done["line_status"] = "CLOSED"
    updates = pd.concat([moved, closing, done])[PO_COLUMNS[:-1]]
    po_rows = pd.concat([updates, new], ignore_index=True)
    po_rows["updated_at"] = _stamp(day, rng, len(po_rows))
    return po_rows[PO_COLUMNS], movements[GR_COLUMNS]


def _write(frame: pd.DataFrame, path: Path) -> int:
    temp = path.with_name(f".{path.name}.writing")
    con = duckdb.connect()
    try:
        con.register("day_rows", frame)
        con.execute(f"copy day_rows to '{temp}' (format csv, header true)")
    finally:
        con.close()
    temp.replace(path)
    return len(frame)


def next_day(landing: Path, seed: int = 42) -> DayWritten:
    """Write the day after the newest demo extract into ``landing``."""
    po_files = _demo_files(landing, PO_TABLE)
    gr_files = _demo_files(landing, GR_TABLE)
    day = max(_newest_day(po_files), _newest_day(gr_files)) + timedelta(days=1)
    po_rows, movements = build_day(_state(po_files, gr_files, day), day, seed)
    written = {}
    for table, frame in ((PO_TABLE, po_rows), (GR_TABLE, movements)):
        path = landing / table / f"{table}{DEMO_MARKER}{day.isoformat()}.csv"
        written[str(path)] = _write(frame, path)
    return DayWritten(day, written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.demo_next_day")
    parser.add_argument("--landing", type=Path, default=None,
                        help="the landing folder (default: the settings' PLANSIGNAL_LANDING_DIR)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=None,
                        help="ignored: the day's volume follows the demo already there")
    parser.add_argument("--truth", type=Path, default=None, help="ignored (see the docstring)")
    args = parser.parse_args(argv)
    landing = args.landing or get_settings().landing_dir
    try:
        written = next_day(landing, args.seed)
    except NextDayError as exc:
        print(f"demo_next_day: {exc}", file=sys.stderr)
        return 2
    print("\n".join(written.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
