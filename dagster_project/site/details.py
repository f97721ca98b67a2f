"""The detail pages' rows (findings.html, lead_times.html, ...), as data files the browser reads.

A detail page is a shell: its headings and text, no row. Its rows come in the data files
<page>.data.<n>.js beside it, scripts calling plansignalRows({"page": ..., "file": n,
"files": ..., "columns": [...], "rows": [[value, ...], ...]}) (a page opened from disk may not
fetch() them), and static/site.js builds the 100 rows on show, filters and sorts from the
arrays, every value set as text. DuckDB writes the files set-based (`datafiles`): a JSON array
per row in the page's order, cut into files of about FILE_BYTES. Rendering the rows as HTML in
Jinja2 cost 1.9 s for the worklist's 16,297 rows at scale 20, most of the site's render.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from .datafiles import columns_of, json_row, script_safe

# Rows a detail page holds, in its order; a page with more says so. Not for the browser's sake
# (it holds a million rows: the worklist's scale-20 rows repeated to 1M loaded in 4.5 s in
# headless Chromium, 0.6 GB of heap, a sort 0.3 s) but the site's: those 1M rows are 310 MB of
# data files and 9 s of the build. At 200,000: 65 MB, about 1 s to write, 1.6 s to load.
DETAIL_ROWS = 200_000
FILE_BYTES = 4_000_000  # about this much of a page's rows in each of its data files

# Whether a row's part has an evidence page (every part with a finding: evidence.read_evidence
# leaves them in ev_parts); the part link is drawn only then.
HAS_EVIDENCE = "canonical_part_id in (select canonical_part_id from ev_parts) as has_evidence"


@dataclass(frozen=True)
class DetailTable:
    sql: str  # every row of the page, with each column its table shows or links or sorts by
    order: str  # the page's order (of the columns of `sql`)
    evidence: bool = False  # the rows link parts: add has_evidence


@dataclass
class DetailData:
    """A detail page's rows: how many the selection has, the ceiling it was cut at, and the
    data files' text."""

    rows: int = 0
    limit: int = DETAIL_ROWS
    files: dict[int, str] = field(default_factory=dict)

    @property
    def shown(self) -> int:
        return min(self.rows, self.limit)

    @property
    def cut(self) -> bool:
        return self.rows > self.limit


# The worklist order, its columns and ranked_findings come from queries._read_findings.
DETAIL_TABLES = {
    "findings": DetailTable("""
        select worklist_rank, severity, finding_type, canonical_part_id, canonical_part_number,
            supplier_id, plant, impact_value, impact_currency, size, magnitude, days_open,
            status, proposed_change
        from ranked_findings""", "worklist_rank", evidence=True),
    "lead_times": DetailTable("""
        select canonical_part_id, canonical_part_number, supplier_id, n_lines,
            median_lead_time_days, p90_lead_time_days, erp_planned_lead_time_days,
            mrp_planned_lead_time_days, drift_vs_erp_days, drift_vs_mrp_days,
            recommended_lead_time_days, on_time_rate
        from marts.mart_supplier_lead_times
        where not low_confidence and (is_drifting_vs_erp or is_drifting_vs_mrp)""",
        """greatest(abs(coalesce(drift_vs_erp_days, 0)), abs(coalesce(drift_vs_mrp_days, 0)))
            desc, canonical_part_number, supplier_id""", evidence=True),
    "safety_stock": DetailTable("""
        select canonical_part_id, canonical_part_number, plant, current_safety_stock,
            recommended_safety_stock, safety_stock_deviation_ratio, is_safety_stock_deviation,
            is_stale, last_changed_date, lead_time_basis
        from marts.mart_safety_stock_review
        where is_safety_stock_deviation or is_stale""",
        """is_safety_stock_deviation desc, abs(safety_stock_deviation_ratio) desc nulls last,
            canonical_part_number, plant""", evidence=True),
    "availability": DetailTable("""
        select canonical_part_id, canonical_part_number, plant, as_of_date, required_qty,
            mrp_available_qty, on_hand_qty, covering_po_number, covering_po_line,
            covering_supplier_id, covering_due_date, days_past_due
        from marts.mart_availability_check where false_available""",
        "days_past_due desc nulls last, canonical_part_number, plant", evidence=True),
    "review": DetailTable("""
        select r.match_review_id, r.score, r.part_number_a, a.description as description_a,
            a.uom as uom_a, a.manufacturer_part_number as mpn_a, r.part_number_b,
            b.description as description_b, b.uom as uom_b,
            b.manufacturer_part_number as mpn_b, r.shared_suppliers, r.evidence,
            'plansignal review accept ' || r.match_review_id || ' --by NAME --note TEXT'
              as accept_command,
            'plansignal review reject ' || r.match_review_id || ' --by NAME --note TEXT'
              as reject_command
        from marts.part_match_review as r
        left join marts.dim_parts as a on r.part_id_a = a.canonical_part_id
        left join marts.dim_parts as b on r.part_id_b = b.canonical_part_id
        where r.review_status = 'proposed'""", "score desc, match_review_id"),
    "change_sets": DetailTable("""
        select status, target_system, target_table, target_field, part_number, supplier_id,
            plant, proposed_value, first_proposed_at, closed_at, closed_by_extract
        from marts.mart_change_set_status""",
        """case status when 'outstanding' then 1 when 'applied' then 2 else 3 end,
            closed_at desc nulls first, part_number"""),
}


def preview(name: str, limit: int) -> str:
    """SQL: the first `limit` rows of a detail page, in its order (the overview's tables)."""
    table = DETAIL_TABLES[name]
    return f"select * from ({table.sql}) order by {table.order} limit {int(limit)}"


def read_detail(con: duckdb.DuckDBPyConnection, name: str, evidence: bool) -> DetailData:
    """A detail page's data files, set-based: its rows numbered in the page's order, cut at
    DETAIL_ROWS, each a JSON array, grouped into files by their running size. `evidence`:
    whether parts have evidence pages (ev_parts is there)."""
    table = DETAIL_TABLES[name]
    sql = table.sql
    if table.evidence:
        sql = f"select *, {HAS_EVIDENCE if evidence else 'false as has_evidence'} from ({sql})"
    columns = columns_of(con, sql)
    total = con.execute(f"select count(*) from ({sql})").fetchone()[0]
    limit = DETAIL_ROWS
    if not total:
        return DetailData(0, limit)
    con.execute(f"""
        create or replace temp table detail_rows as
        select n, {script_safe(json_row(columns))} as r from (
            select *, row_number() over (order by {table.order}) as n from ({sql}))
        where n <= {int(limit)}""")
    files = dict(con.execute("""
        with sized as (
            select n, r, sum(strlen(r) + 1) over (order by n) // $bytes as bucket
            from detail_rows),
        numbered as (select *, dense_rank() over (order by bucket) - 1 as file from sized)
        select file, 'plansignalRows({"page":' || to_json($page::varchar) || ',"file":' || file
            || ',"files":' || (select max(file) + 1 from numbered) || ',"columns":' || $columns
            || ',"rows":[' || string_agg(r, ',' order by n) || ']});' || chr(10)
        from numbered group by file order by file""",
        {"bytes": FILE_BYTES, "page": name,
         "columns": json.dumps([c for c, _ in columns])}).fetchall())
    return DetailData(total, limit, files)
