"""Evidence for every part with a finding, as the evidence page reads it.

parts/part.html?id=<canonical_part_id> holds no data: static/evidence.js loads the one data
file that holds the part, parts/data/<n>.js, and draws the part's tables and charts from it.
This module writes those files' text, in DuckDB, set-based (the pieces in `datafiles`): one
JSON array per row, the rows of a section grouped per part (string_agg); the parts' documents
are joined into files of about SHARD_BYTES as they are fetched. An HTML file per part, what
the site wrote before, cost 2.5 ms and 27 KB each: 96 s at scale 100, 37 % of the run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import chain, groupby
from operator import itemgetter

import duckdb

from .datafiles import columns_of, json_rows, script_safe_text

# Per part on its evidence page:
SCATTER_POINTS = 1500  # most recent completed PO lines plotted per part
EXCLUDED_ROWS = 50  # excluded PO lines listed per part
AVAILABILITY_ROWS = 50  # SHORT or falsely AVAILABLE checks listed per part


@dataclass
class Evidence:
    """The parts with evidence and the data files: file number -> JavaScript text, each a
    call plansignalEvidence({"shard": n, "shards": files, "columns": {section: [column, ...]},
    "parts": {canonical_part_id: {"part": {...}, "n_completed": n, section: [[value, ...],
    ...], ...}}})."""

    ids: frozenset[str] = frozenset()
    files: dict[int, str] = field(default_factory=dict)
    shards: int = 0


# The evidence of every part with a finding, as the browser reads it (static/evidence.js):
# one table per section, each a list of rows per part (arrays in the order of its columns),
# all parts' documents grouped into data files (shards) of about SHARD_BYTES each. Which file
# holds a part is FNV-1a (32 bit) over the code points of its canonical id, modulo the number
# of files: evidence.js computes the same hash from the id in the page's address.
SHARD_BYTES = 1_000_000
FETCH_ROWS = 1_000  # parts' documents fetched at a time
FNV_1A = """list_reduce(list_transform(string_split(canonical_part_id, ''), lambda c: unicode(c)),
    lambda h, c: (xor(h, c) * 16777619) % 4294967296, 2166136261::bigint)"""


@dataclass(frozen=True)
class _PartTable:
    """One section of a part's evidence. Sorting is what costs here (at scale 20 a sort of the
    million PO lines took 1 s, three times the rest of the points), so rows are sorted only for
    a table's order on the page, and cut at `keep` only for the parts that have more."""

    sql: str  # canonical_part_id and the columns shown, for every part (joined to ev_parts)
    order: str | None  # order of the rows on the page (None: any, e.g. a chart's points)
    keep: int | None = None  # at most this many rows per part, the first by `keep_order`
    keep_order: str = ""


PART_TABLES = {
    "findings": _PartTable("""
        select canonical_part_id, worklist_rank, severity, finding_type, supplier_id, plant,
            impact_value, impact_currency, size, magnitude, days_open, status, proposed_change,
            case when json_valid(evidence) then evidence::json else to_json(evidence) end
              as evidence
        from ranked_findings""", "worklist_rank"),
    "suppliers": _PartTable("""
        select canonical_part_id, supplier_id, is_preferred_supplier, n_lines,
            recommended_lead_time_days, recommended_lead_time_quantile, low_confidence,
            median_lead_time_days, p90_lead_time_days, erp_planned_lead_time_days,
            mrp_planned_lead_time_days, drift_vs_erp_days, drift_vs_mrp_days,
            stddev_lead_time_days, on_time_rate, lead_time_window_start_date,
            lead_time_window_end_date
        from marts.mart_supplier_lead_times""", "n_lines desc, supplier_id"),
    # The scatter: the most recent completed PO lines.
    "points": _PartTable("""
        select canonical_part_id, supplier_id, po_number, po_line, order_date, completion_date,
            lead_time_days, short_closed
        from marts.fct_po_line_lead_times
        where not is_excluded and completion_date is not null and lead_time_days is not null""",
        None, SCATTER_POINTS,
        "completion_date desc, po_number, po_line"),
    # The distribution the recommendation is computed from: lines inside the statistics window.
    "histogram": _PartTable("""
        select f.canonical_part_id, f.supplier_id, f.lead_time_days, count(*) as n
        from marts.fct_po_line_lead_times f
        left join marts.mart_supplier_lead_times s using (canonical_part_id, supplier_id)
        where not f.is_excluded and f.lead_time_days is not null
          and f.completion_date between coalesce(s.lead_time_window_start_date, f.completion_date)
                                    and coalesce(s.lead_time_window_end_date, f.completion_date)
        group by all""", None),
    "excluded_counts": _PartTable("""
        select canonical_part_id, exclusion_reason, count(*) as lines
        from marts.fct_po_line_lead_times where is_excluded group by all""",
        "lines desc, exclusion_reason"),
    "excluded": _PartTable("""
        select canonical_part_id, exclusion_reason, po_number, po_line, supplier_id, order_date,
            line_status, order_qty, net_received_qty, first_receipt_date, last_receipt_date
        from marts.fct_po_line_lead_times where is_excluded""",
        "exclusion_reason, order_date desc, po_number, po_line", EXCLUDED_ROWS,
        "order_date desc, po_number, po_line"),
    "safety": _PartTable("""
        select canonical_part_id, plant, current_safety_stock, recommended_safety_stock,
            safety_stock_deviation_ratio, is_stale, last_changed_date, mean_daily_demand,
            stddev_daily_demand, lead_time_mean_days, lead_time_stddev_days, lead_time_basis
        from marts.mart_safety_stock_review""", "plant"),
    "availability": _PartTable("""
        select canonical_part_id, as_of_date, plant, mrp_status, false_available, required_qty,
            mrp_available_qty, on_hand_qty, covering_po_number, covering_po_line,
            covering_supplier_id, covering_due_date, days_past_due
        from marts.mart_availability_check where false_available or mrp_status = 'SHORT'""",
        "as_of_date desc, plant", AVAILABILITY_ROWS, "as_of_date desc, plant"),
}


def read_evidence(con: duckdb.DuckDBPyConnection) -> Evidence:
    """The evidence data files: every part with a finding, set-based, no loop over parts.
    Reads the temp table ranked_findings (queries._read_findings) for the parts.

    Each row becomes a JSON array (json_array); everything above it is concatenated as text
    (string_agg), not nested with DuckDB's JSON functions, which parse their JSON arguments
    again (2.7 s of 5.3 s at scale 20)."""
    con.execute("""
        create or replace temp table ev_parts as
        select distinct canonical_part_id from ranked_findings
        where canonical_part_id is not null""")
    ids = frozenset(
        r[0] for r in con.execute("select canonical_part_id from ev_parts").fetchall())
    if not ids:
        return Evidence()
    columns: dict[str, list[str]] = {}
    for name, table in PART_TABLES.items():
        shown = columns_of(con, f"select * exclude (canonical_part_id) from ({table.sql})")
        columns[name] = [c for c, _ in shown]
        rows = f"select * from ({table.sql}) join ev_parts using (canonical_part_id)"
        if table.keep:
            rows = f"""
                with all_rows as ({rows}), over as (
                    select canonical_part_id from all_rows group by 1
                    having count(*) > {int(table.keep)})
                select * from all_rows anti join over using (canonical_part_id)
                union all by name
                select * from all_rows semi join over using (canonical_part_id)
                qualify row_number() over (partition by canonical_part_id
                                           order by {table.keep_order}) <= {int(table.keep)}"""
        con.execute(f"""
            create or replace temp table ev_{name} as
            select canonical_part_id, {json_rows(shown, table.order)} as rows
            from ({rows}) group by canonical_part_id""")
    sections = " || ".join(f"""',"{name}":' || coalesce(ev_{name}.rows, '[]')"""
                           for name in columns)
    joins = " ".join(f"left join ev_{name} using (canonical_part_id)" for name in columns)
    doc = f"""
            to_json(canonical_part_id)::varchar || ':{{"part":' || json_object(
                'canonical_part_id', canonical_part_id,
                'canonical_part_number', d.canonical_part_number, 'description', d.description,
                'procurement_type', d.procurement_type, 'status', d.status)::varchar
            || ',"n_completed":' || coalesce(c.n, 0) || {sections} || '}}'"""
    con.execute(f"""
        create or replace temp table ev_docs as
        select canonical_part_id, {FNV_1A} as fnv, {doc} as doc
        from ev_parts left join marts.dim_parts d using (canonical_part_id)
        left join (select canonical_part_id, count(*) as n from marts.fct_po_line_lead_times
                   where not is_excluded and lead_time_days is not null group by 1) c
          using (canonical_part_id)
        {joins}""")
    total = con.execute("select sum(strlen(doc)) from ev_docs").fetchone()[0] or 0
    shards = max(1, math.ceil(total / SHARD_BYTES))
    # The parts' documents are joined into files here rather than by string_agg, and made
    # script-safe once per file in Python (script_safe_text), where that is free for text
    # without those characters: at scale 100 (333 MB of evidence) read_evidence took 6.1-6.2 s
    # with both in SQL, 5.0-5.3 s this way, the same documents.
    head = '"shards":' + str(shards) + ',"columns":' + json.dumps(columns) + ',"parts":{'
    cursor = con.execute("select fnv % $shards as shard, doc from ev_docs "
                         "order by shard, canonical_part_id", {"shards": shards})
    rows = chain.from_iterable(iter(lambda: cursor.fetchmany(FETCH_ROWS), []))
    files = {shard: script_safe_text(f'plansignalEvidence({{"shard":{shard},{head}'
                                     + ",".join(doc for _, doc in docs) + "}});\n")
             for shard, docs in groupby(rows, key=itemgetter(0))}
    con.execute("drop table ev_docs")
    return Evidence(ids, files, shards)
