"""What the site shows, read from DuckDB with every aggregation done in SQL.

Contract results come from the pipeline database (``dq.contract_results`` keeps every run,
failed ones too); the planning facts come from the serving database, i.e. what analysts see.
Row counts returned to Python are bounded (top-N lists, binned histograms, capped samples), so
the site stays fast at scale 100: the detail pages' and the evidence page's rows go from DuckDB
straight into data files as text (`details`, `evidence`). The connections are read-only, with
the project's DuckDB memory ceiling (PLANSIGNAL_DUCKDB_MEMORY_LIMIT).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.ingest.freshness import read_landing_freshness
from dagster_project.runtime.settings import get_settings
from dagster_project.warehouse.sql import table_columns

from .details import DETAIL_TABLES, DetailData, preview, read_detail
from .evidence import Evidence, read_evidence

Row = dict[str, Any]
log = logging.getLogger(__name__)

TREND_RUNS = 30  # contract runs shown in the pass-rate trend
TOP_ROWS = 12  # rows per table on the index page

SEVERITY_RANK = "case severity when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end"

# How big a finding is, comparable within its type: relative lead-time drift, relative safety
# stock deviation, share of the requirement not on hand, years unchanged, match score, ...
MAGNITUDE = """
case finding_type
  when 'lead_time_drift' then abs(try_cast(evidence ->> 'drift_days' as double))
    / greatest(coalesce(try_cast(evidence ->> 'erp_planned_lead_time_days' as double),
                        try_cast(evidence ->> 'mrp_planned_lead_time_days' as double), 1), 1)
  when 'safety_stock_deviation' then abs(try_cast(evidence ->> 'deviation_ratio' as double))
  when 'false_availability' then
    greatest(try_cast(evidence ->> 'required_qty' as double)
             - coalesce(try_cast(evidence ->> 'on_hand_qty' as double), 0), 0)
    / greatest(try_cast(evidence ->> 'required_qty' as double), 1)
  when 'stale_safety_stock' then try_cast(evidence ->> 'days_since_last_change' as double) / 365
  when 'possible_duplicate_part' then try_cast(evidence ->> 'score' as double)
  when 'duplicate_part_records' then try_cast(evidence ->> 'n_erp_item_records' as double)
  when 'order_policy_conflict' then coalesce(
    try_cast(evidence ->> 'n_po_lines_below_min_order_qty' as double)
    + try_cast(evidence ->> 'n_po_lines_not_order_multiple' as double), 1)
  else 0
end
"""


# The same, as words a reviewer reads.
MAGNITUDE_LABEL = """
case finding_type
  when 'lead_time_drift' then format('{:+.0f} d vs {:.0f} d planned',
    try_cast(evidence ->> 'drift_days' as double),
    coalesce(try_cast(evidence ->> 'erp_planned_lead_time_days' as double),
             try_cast(evidence ->> 'mrp_planned_lead_time_days' as double)))
  when 'safety_stock_deviation' then format('{:+.0f} % vs recommended',
    100 * try_cast(evidence ->> 'deviation_ratio' as double))
  when 'false_availability' then format('{:.0f} % of need not on hand, PO {} d late',
    100 * greatest(try_cast(evidence ->> 'required_qty' as double)
                   - coalesce(try_cast(evidence ->> 'on_hand_qty' as double), 0), 0)
        / greatest(try_cast(evidence ->> 'required_qty' as double), 1),
    evidence ->> 'days_past_due')
  when 'stale_safety_stock' then format('unchanged {:.1f} years',
    try_cast(evidence ->> 'days_since_last_change' as double) / 365)
  when 'possible_duplicate_part' then format('match score {:.2f}',
    try_cast(evidence ->> 'score' as double))
  when 'duplicate_part_records' then format('{} ERP item records',
    evidence ->> 'n_erp_item_records')
  else ''
end
"""


@dataclass
class QualityData:
    """Contract results: per table latest validation, trend over runs, latest failures."""

    source: str = ""  # which database the history came from
    latest_run_id: str | None = None
    latest_run_at: Any = None
    tables: list[Row] = field(default_factory=list)
    trend: list[Row] = field(default_factory=list)
    failures: list[Row] = field(default_factory=list)
    note: str = ""
    # Per landing table: newest extract, load time, age, newest business date (freshness.py).
    freshness: list[Row] = field(default_factory=list)
    # Files for planners (exports, change-set CSVs), linked from the home page.
    downloads: list[Row] = field(default_factory=list)
    extract_max_age_days: float = 7.0


@dataclass
class MartData:
    """Planning facts from the serving database (empty when nothing is published)."""

    published: bool = False
    mart_rows: dict[str, int] = field(default_factory=dict)
    kpis: Row = field(default_factory=dict)
    findings_by_type: list[Row] = field(default_factory=list)
    top_findings: list[Row] = field(default_factory=list)
    # The overview's first rows of three detail pages (drift, safety_stock, availability).
    drift: list[Row] = field(default_factory=list)
    drift_hist: list[Row] = field(default_factory=list)
    safety_stock: list[Row] = field(default_factory=list)
    safety_hist: list[Row] = field(default_factory=list)
    availability: list[Row] = field(default_factory=list)
    availability_by_plant: list[Row] = field(default_factory=list)
    # Every part with a finding, and its evidence as data files for parts/part.html.
    evidence: Evidence = field(default_factory=Evidence)
    # The governance loop: cost of the findings, their age, the review queue.
    impact_totals: list[Row] = field(default_factory=list)  # per currency
    impact_pareto: list[Row] = field(default_factory=list)  # costliest findings, cumulative
    top_impact: list[Row] = field(default_factory=list)
    ageing: list[Row] = field(default_factory=list)  # open and waived findings by age
    resolved_per_run: list[Row] = field(default_factory=list)
    resolve_stats: Row = field(default_factory=dict)
    change_set_summary: list[Row] = field(default_factory=list)  # per target and status
    # Every detail page's rows, as data files: details.DETAIL_TABLES name -> DetailData.
    details: dict[str, DetailData] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # sections that could not be read

    def detail_rows(self, name: str) -> int:
        """How many rows the detail page `name` lists (0 when its section was not read)."""
        return self.details.get(name, DetailData()).rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0])


@contextlib.contextmanager
def _read_only(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(db), read_only=True,
                         config={"memory_limit": get_settings().duckdb_memory_limit})
    try:
        yield con
    finally:
        con.close()


def _contract_sql(relation: str, has_rows_scope: bool = True) -> dict[str, str]:
    # One row per (run, table): the unit of the trend and of "latest validation of a table".
    per_run = f"""
        select run_id, table_name, any_value(suite) as suite, min(validated_at) as run_at,
            count(*) as evaluated, count(*) filter (where success) as passed,
            count(*) filter (where not success and severity = 'ERROR') as errors,
            count(*) filter (where not success and severity = 'WARNING') as warnings,
            count(distinct source_file) as extracts
        from {relation} group by run_id, table_name
    """
    # Histories written before rows_scope (contracts/changed_rows.py) checked whole tables.
    rows_checked = "coalesce(r.rows_scope, 'whole table')" if has_rows_scope else "'whole table'"
    return {
        "latest": f"select run_id, min(validated_at) as run_at from {relation} "
                  "group by run_id order by run_at desc limit 1",
        "tables": f"""
            select *, passed / evaluated as pass_rate from ({per_run})
            qualify row_number() over (partition by table_name order by run_at desc) = 1
            order by errors desc, warnings desc, table_name
        """,
        "trend": f"""
            with runs as (select run_id, min(validated_at) as started from {relation}
                          group by run_id order by started desc limit {TREND_RUNS})
            select p.run_id, runs.started as run_at, p.table_name,
                p.passed / p.evaluated as pass_rate, p.errors, p.warnings
            from ({per_run}) p join runs using (run_id) order by run_at, table_name
        """,
        "failures": f"""
            with latest as (
                select table_name, run_id from ({per_run})
                qualify row_number() over (partition by table_name order by run_at desc) = 1)
            select r.table_name, r.run_id, coalesce(r.source_file, '') as source_file,
                r.expectation_type, coalesce(r.column_name, '') as column_name, r.severity,
                r.unexpected_count, r.element_count, {rows_checked} as rows_checked,
                left(r.observed_value, 120) as observed
            from {relation} r join latest using (table_name, run_id)
            where not r.success
            order by case r.severity when 'ERROR' then 1 else 2 end, r.table_name
            limit 200
        """,
    }


def read_freshness(pipeline_db: Path, max_age_days: float) -> list[Row]:
    """Each landing table's newest extract (ingest/freshness.py); empty if unreadable."""
    now = datetime.now(UTC).replace(tzinfo=None)
    tables = read_landing_freshness(pipeline_db, now, max_age_days) or []
    return [
        {"table_name": f.table, "newest_file": f.newest_file, "loaded_at": f.loaded_at,
         "age_days": None if f.loaded_at is None else round(f.age_days(now) or 0.0, 1),
         "extracts": f.extracts,
         "business_date": (f"{f.business_date_column} {f.newest_business_date}"
                           if f.business_date_column else None),
         "stale": "STALE" if f.stale else ""}
        for f in tables
    ]


def read_quality(
    pipeline_db: Path, serving_db: Path, extract_max_age_days: float = 7.0
) -> QualityData:
    """Contract history from the pipeline database, else the serving copy (published runs);
    the extracts' freshness from the pipeline database."""
    data = _read_contract_history(pipeline_db, serving_db)
    data.freshness = read_freshness(pipeline_db, extract_max_age_days)
    data.extract_max_age_days = extract_max_age_days
    return data


def _read_contract_history(pipeline_db: Path, serving_db: Path) -> QualityData:
    candidates = [(pipeline_db, "dq", "contract_results"),
                  (serving_db, "marts", "dq_contract_history")]
    notes = []
    for db, schema, table in candidates:
        if not db.exists():
            continue
        try:
            with _read_only(db) as con:
                if not _exists(con, schema, table):
                    continue
                has_rows_scope = "rows_scope" in table_columns(con, schema, table)
                sql = _contract_sql(f"{schema}.{table}", has_rows_scope)
                data = QualityData(source=f"{db.name}: {schema}.{table}")
                latest = con.execute(sql["latest"]).fetchone()
                if latest:
                    data.latest_run_id, data.latest_run_at = latest
                data.tables = _rows(con, sql["tables"])
                data.trend = _rows(con, sql["trend"])
                data.failures = _rows(con, sql["failures"])
                data.note = " ".join(notes)
                return data
        except duckdb.IOException as exc:  # locked by a running pipeline: use the other copy
            notes.append(f"{db.name} unreadable ({str(exc).splitlines()[0]}).")
    return QualityData(note=" ".join(notes) or "No contract has run yet.")


FINDING_COLUMNS = """finding_id, finding_type, severity, canonical_part_id, canonical_part_number,
    supplier_id, plant, proposed_change, evidence, impact_value, impact_currency, impact_basis,
    days_open, status"""


def read_marts(serving_db: Path, top_parts: int = 25, top_rows: int = TOP_ROWS) -> MartData:
    data = MartData()
    if not serving_db.exists():
        return data
    with _read_only(serving_db) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1").fetchall()]
        data.mart_rows = {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0]
                          for n in names}
        needed = {"dim_parts", "fct_po_line_lead_times", "mart_supplier_lead_times",
                  "mart_safety_stock_review", "mart_availability_check",
                  "mart_master_data_exceptions"}
        if not needed <= set(names):
            return data
        data.published = True
        sections: list[tuple[str, Callable[[], None]]] = [
            ("overview", lambda: _read_overview(con, data)),
            ("findings", lambda: _read_findings(con, data, top_parts)),
            ("lead times", lambda: _read_lead_times(con, data, top_rows)),
            ("safety stock", lambda: _read_safety_stock(con, data, top_rows)),
            ("availability", lambda: _read_availability(con, data, top_rows)),
            ("evidence pages", lambda: setattr(data, "evidence", read_evidence(con))),
            ("governance loop", lambda: _read_governance(con, data)),
        ]
        sections += [(f"{name} page", partial(_read_detail, con, data, name))
                     for name in DETAIL_TABLES
                     if name != "change_sets" or "mart_change_set_status" in names]
        for name, read in sections:
            # A mart whose columns changed costs its section, not the site: the site is also
            # what reviewers read after a failed run.
            try:
                read()
            except duckdb.Error as exc:
                message = f"{name}: {str(exc).splitlines()[0][:300]}"
                log.warning("governance site section not read: %s", message)
                data.errors.append(message)
    return data


def _read_overview(con: duckdb.DuckDBPyConnection, data: MartData) -> None:
    data.kpis = _rows(con, """
        select (select count(*) from marts.dim_parts) as parts,
          (select count(*) from marts.mart_master_data_exceptions) as findings,
          (select count(*) from marts.mart_master_data_exceptions where severity = 'high')
            as high_findings,
          (select count(*) from marts.mart_supplier_lead_times
            where is_drifting_vs_erp or is_drifting_vs_mrp) as drifting_part_suppliers,
          (select count(*) from marts.mart_supplier_lead_times) as part_suppliers,
          (select count(*) from marts.mart_safety_stock_review where is_safety_stock_deviation)
            as safety_stock_deviations,
          (select count(*) from marts.mart_safety_stock_review where is_stale) as stale_parameters,
          (select count(*) from marts.mart_availability_check where false_available)
            as false_available,
          (select count(*) from marts.mart_availability_check) as availability_checks
    """)[0]


def _read_findings(con: duckdb.DuckDBPyConnection, data: MartData, top_parts: int) -> None:
    data.findings_by_type = _rows(con, f"""
        select finding_type, severity, count(*) as findings,
            count(distinct canonical_part_id) as parts
        from marts.mart_master_data_exceptions group by finding_type, severity
        order by {SEVERITY_RANK}, findings desc
    """)
    # The worklist order: what a finding costs (impact_value), then, among findings without a
    # monetary measure, severity and how extreme it is within its type (its percentile) and
    # its raw magnitude; so each type's worst cases come up, not one type's.
    con.execute(f"""
        create or replace temp table ranked_findings as
        select {FINDING_COLUMNS}, magnitude, size,
            row_number() over (order by impact_value desc, {SEVERITY_RANK}, pct desc,
                                        magnitude desc, finding_id) as worklist_rank
        from (select *, cume_dist() over (partition by finding_type, severity
                                           order by magnitude nulls first) as pct
              from (select *, {MAGNITUDE} as magnitude, {MAGNITUDE_LABEL} as size
                    from marts.mart_master_data_exceptions))
    """)
    data.top_findings = _rows(con, f"""
        select * exclude (evidence) from ranked_findings
        where canonical_part_id in (
            select canonical_part_id from ranked_findings where canonical_part_id is not null
            group by 1 order by min(worklist_rank) limit {int(top_parts)})
        qualify row_number() over (partition by canonical_part_id order by worklist_rank) = 1
        order by worklist_rank
    """)


def _read_lead_times(con: duckdb.DuckDBPyConnection, data: MartData, top_rows: int) -> None:
    data.drift = _rows(con, preview("lead_times", top_rows))
    # Drift distribution in 5-day bins, clipped at +-100 days so outliers do not flatten it.
    data.drift_hist = _rows(con, """
        select basis, least(greatest(floor(drift / 5) * 5, -100), 100) as bin, count(*) as n
        from (unpivot (select drift_vs_erp_days as "vs ERP", drift_vs_mrp_days as "vs MRP"
                       from marts.mart_supplier_lead_times where not low_confidence)
              on "vs ERP", "vs MRP" into name basis value drift)
        group by all order by basis, bin
    """)


def _read_safety_stock(con: duckdb.DuckDBPyConnection, data: MartData, top_rows: int) -> None:
    data.safety_stock = _rows(con, preview("safety_stock", top_rows))
    # Deviation of current from recommended, in 10 % bins clipped to [-100 %, +300 %].
    data.safety_hist = _rows(con, """
        select least(greatest(floor(safety_stock_deviation_ratio * 10) / 10, -1), 3) as bin,
            is_stale, count(*) as n
        from marts.mart_safety_stock_review where safety_stock_deviation_ratio is not null
        group by all order by bin
    """)


def _read_availability(con: duckdb.DuckDBPyConnection, data: MartData, top_rows: int) -> None:
    data.availability = _rows(con, preview("availability", top_rows))
    data.availability_by_plant = _rows(con, """
        select plant, count(*) filter (where false_available) as false_available,
            count(*) filter (where mrp_status = 'AVAILABLE') as reported_available,
            count(*) as checks
        from marts.mart_availability_check group by plant order by plant
    """)


PARETO_BARS = 50  # costliest findings drawn in the Pareto chart
AGE_BUCKET = """
case when days_open < 7 then '1: under 7 days' when days_open < 30 then '2: 7 to 29 days'
     when days_open < 90 then '3: 30 to 89 days' else '4: 90 days or more' end
"""


def _read_governance(con: duckdb.DuckDBPyConnection, data: MartData) -> None:
    exceptions = "marts.mart_master_data_exceptions"
    data.impact_totals = _rows(con, f"""
        select impact_currency as currency, sum(impact_value) as impact,
            count(*) as findings
        from {exceptions} where impact_value > 0
        group by impact_currency order by impact desc
    """)
    # Pareto of the currency that carries the most: costs in different currencies never add.
    main_currency = data.impact_totals[0]["currency"] if data.impact_totals else None
    data.impact_pareto = _rows(con, f"""
        select impact_rank, finding_type, canonical_part_number, impact_value,
            sum(impact_value) over (order by impact_value desc, finding_id
                                    rows between unbounded preceding and current row)
              / sum(impact_value) over () as cumulative_share
        from {exceptions} where impact_currency = ? and impact_value > 0
        order by impact_value desc, finding_id limit {PARETO_BARS}
    """, [main_currency]) if main_currency else []
    data.top_impact = _rows(con, f"""
        select impact_rank as worklist_rank, finding_type, severity, canonical_part_id,
            canonical_part_number, supplier_id, plant, impact_value, impact_currency,
            impact_basis, days_open, status
        from {exceptions} where impact_value > 0 order by impact_rank limit 10
    """)
    data.ageing = _rows(con, f"""
        select {AGE_BUCKET} as age, count(*) filter (where status = 'open') as open,
            count(*) filter (where status = 'waived') as waived,
            sum(impact_value) filter (where status = 'open') as open_impact
        from {exceptions} group by all order by age
    """)
    if _exists(con, "marts", "mart_finding_history"):
        data.resolved_per_run = _rows(con, """
            select resolved_at as run_at, count(*) as resolved
            from marts.mart_finding_history where status = 'resolved'
            group by resolved_at order by resolved_at desc limit 30
        """)
        data.resolve_stats = _rows(con, """
            select count(*) filter (where status = 'resolved') as resolved,
                avg(date_diff('day', first_seen_at, resolved_at))
                  filter (where status = 'resolved') as mean_days_to_resolve,
                sum(times_reopened) as reopened
            from marts.mart_finding_history
        """)[0]
    if _exists(con, "marts", "mart_change_set_status"):
        data.change_set_summary = _rows(con, """
            select target_table || '.' || target_field as target,
                count(*) filter (where status = 'outstanding') as outstanding,
                count(*) filter (where status = 'applied') as applied,
                count(*) filter (where status = 'superseded') as superseded
            from marts.mart_change_set_status group by all order by target
        """)



def _read_detail(con: duckdb.DuckDBPyConnection, data: MartData, name: str) -> None:
    data.details[name] = read_detail(con, name, evidence=bool(data.evidence.ids))
