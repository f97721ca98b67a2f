"""The governance site: static HTML written by every run to the site folder.

First version: the state of the serving database (marts and row counts), the latest contract
results from the data-quality history, and the worklist's findings by type and severity.
Everything ships with the page; nothing is fetched from the network.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
h1 { margin-bottom: 0.2rem; } .muted { color: #616e7c; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #cbd2d9; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f5f7fa; } .fail { color: #b42318; font-weight: 600; }
.warn { color: #b54708; } .pass { color: #027a48; }
"""


@dataclass
class SiteInputs:
    mart_rows: dict[str, int] = field(default_factory=dict)
    contract_rows: list[tuple] = field(default_factory=list)
    failures: list[tuple] = field(default_factory=list)
    findings: list[tuple] = field(default_factory=list)
    last_run_id: str | None = None


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def collect(pipeline_db: Path, serving_db: Path) -> SiteInputs:
    inputs = SiteInputs()
    if serving_db.exists():
        con = duckdb.connect(str(serving_db), read_only=True)
        try:
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall():
                inputs.mart_rows[name] = con.execute(
                    f'select count(*) from marts."{name}"'
                ).fetchone()[0]
            if _table_exists(con, "marts", "mart_master_data_exceptions"):
                inputs.findings = con.execute(
                    "select finding_type, severity, count(*) "
                    "from marts.mart_master_data_exceptions group by all order by 3 desc"
                ).fetchall()
        finally:
            con.close()
    if pipeline_db.exists():
        con = duckdb.connect(str(pipeline_db), read_only=True)
        try:
            if _table_exists(con, "dq", "contract_results"):
                last = con.execute(
                    "select run_id from dq.contract_results order by validated_at desc limit 1"
                ).fetchone()
                inputs.last_run_id = last[0] if last else None
                inputs.contract_rows = con.execute(
                    """
                    select table_name, suite, count(*) as evaluated,
                        count(*) filter (where success) as passed,
                        count(*) filter (where not success and severity = 'ERROR') as errors,
                        count(*) filter (where not success and severity = 'WARNING') as warnings
                    from dq.contract_results where run_id = ?
                    group by all order by errors desc, table_name
                    """,
                    [inputs.last_run_id],
                ).fetchall()
                inputs.failures = con.execute(
                    """
                    select table_name, coalesce(source_file, ''), expectation_type,
                        coalesce(column_name, ''), severity, unexpected_count
                    from dq.contract_results where run_id = ? and not success
                    order by severity, table_name
                    """,
                    [inputs.last_run_id],
                ).fetchall()
        finally:
            con.close()
    return inputs


def _table(headers: list[str], rows: list[tuple], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(inputs: SiteInputs, status_line: str) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plansignal: planning data quality</title>
<style>{STYLE}</style></head><body>
<h1>plansignal: planning data quality</h1>
<p class="muted">Generated {generated}.
Last contract run: {html.escape(str(inputs.last_run_id))}</p>
<p id="status">{html.escape(status_line)}</p>
<h2>Contracts (latest run)</h2>
{_table(["table", "suite", "evaluated", "passed", "ERROR failures", "WARNING failures"],
        inputs.contract_rows, "No contract has run yet.")}
<h2>Failed expectations</h2>
{_table(["table", "extract", "expectation", "column", "severity", "unexpected rows"],
        inputs.failures, "None: every expectation passed.")}
<h2>Governance worklist: findings by type</h2>
{_table(["finding type", "severity", "findings"], inputs.findings, "No findings published.")}
<h2>Serving database: marts</h2>
{_table(["mart", "rows"], sorted(inputs.mart_rows.items()), "Nothing published yet.")}
</body></html>
"""


def build_site(pipeline_db: Path, serving_db: Path, site_dir: Path, status_line: str) -> Path:
    site_dir.mkdir(parents=True, exist_ok=True)
    index = site_dir / "index.html"
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(render(collect(pipeline_db, serving_db), status_line), encoding="utf-8")
    tmp.replace(index)
    return index
