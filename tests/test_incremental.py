"""Incremental builds equal full rebuilds (dbt/macros/incremental.sql, README "Incremental builds").

The same extracts are built two ways and every mart compared row for row by key (numbers
within a relative 1e-9: DuckDB's parallel sums differ in the last digits):
- incremental: the demo plus one new day, built with the day of the run before that day (so
  its movements are future-dated); then a second new day loaded and built incrementally with
  the day of the run after both, so the first day's movements cross into the past while the
  second day's are new; then an extract retracted and built again (a rebuild from scratch);
- full: the same extracts built once from scratch (--full-refresh) at each of those points.
The incremental tables themselves are compared too, and the second build is checked to have
rewritten only a small part of the facts. Then the same through the whole job a user runs: a
published demo, one new day run (incremental), and a forced run (from scratch) on the same
home publish the same marts.

Both are marked e2e (several builds each; `make test-e2e`, which CI runs).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import run_log_path, run_pipeline
from dagster_project.defs.dbt.assets import PARTIAL_PARSE, dbt_docs_target
from dagster_project.defs.publish.assets import SERVING_KEY
from dagster_project.ingest.load_log import RETRACTED_BY_COMMAND, find_extracts, retract
from dagster_project.resources.dbt import dbt_project
from dagster_project.runtime.settings import Settings
from tests.conftest import point_settings_at
from tests.dbt_harness import build_with_upstream, load_landing, run_dbt
from tests.spark_harness import compare, duckdb_table
from tests.test_spark import MARTS
from tooling.demo_data import generate
from tooling.demo_next_day import GR_TABLE, next_day

SCALE, SEED = 0.05, 11
BUILD = ["build", "--exclude-resource-type", "unit_test"]
# The demo ends on 2026-10-31; the next days are 2026-11-01 and 2026-11-02.
DAY_BEFORE, DAY_AFTER = "2026-10-31", "2026-11-02"
INCREMENTAL = {
    "staging.stg_erp__goods_receipts": ("receipt_id",),
    "staging.stg_erp__purchase_order_lines": ("po_number", "po_line"),
    "intermediate.int_goods_receipts__netted": ("receipt_id",),
    "intermediate.int_purchase_order_lines__lead_times": ("po_number", "po_line"),
}
# Bookkeeping columns of the incremental tables (when and from where a row was written) and
# the load time, which differs between the two warehouses.
BOOKKEEPING = ("built_at", "moved_from_po_number", "moved_from_po_line", "loaded_at")
# A finding's impact is rounded to cents from numbers equal within 1e-9: a number at a
# rounding tie may land on either cent (text evidence included) in any two builds.
CENT_ROUNDED = ("impact_value", "impact_basis")
ALL_TABLES = {**{f"marts.{m}": k for m, k in MARTS.items()}, **INCREMENTAL}


def build(database: Path, work: Path, run_date: str, *extra: str) -> None:
    vars_yaml = f"{{run_date: '{run_date}', run_timestamp: '{run_date} 06:00:00'}}"
    run_dbt(database, [*BUILD, *extra], work, vars_yaml=vars_yaml)


def full_build(landing: Path, work: Path, run_date: str, retracted: str | None = None) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    database = work / "full.duckdb"
    load_landing(landing, database)
    if retracted:
        with duckdb.connect(str(database)) as con:
            for extract in find_extracts(con, retracted):
                retract(con, extract, RETRACTED_BY_COMMAND, "test")
    build(database, work, run_date, "--full-refresh")
    return database


def differences(
    incremental: Path,
    full: Path,
    tables: dict[str, tuple[str, ...]] = ALL_TABLES,
    ignore: tuple[str, ...] = BOOKKEEPING,
) -> list[str]:
    found = []
    with duckdb.connect(str(incremental), read_only=True) as inc, \
            duckdb.connect(str(full), read_only=True) as ful:
        for table, key in tables.items():
            problems, diffs = compare(duckdb_table(inc, table, key),
                                      duckdb_table(ful, table, key), ignore=ignore)
            problems = [p for p in problems if not p.startswith("columns differ")]
            cents = {d.key for d in diffs if d.column == "impact_value"
                     and abs(d.duckdb - d.spark) <= 0.011}
            diffs = [d for d in diffs if not (d.key in cents and d.column in CENT_ROUNDED)]
            found += [f"{table}: {p}" for p in problems]
            found += [f"{table}: {d}" for d in diffs[:5]]
    return found


def rows_replaced(settings: Settings, run_id: str) -> dict[str, int]:
    """The publish's metadata: tables updated in a copy of the served file, rows replaced."""
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.asset_materialization
            if materialization is not None and materialization.asset_key == SERVING_KEY:
                return dict(materialization.metadata["rows_replaced"].value)
    raise AssertionError(f"run {run_id} published nothing")


def rewritten_share(database: Path, table: str) -> float:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"select avg(case when built_at = (select max(built_at) from {table}) "
            f"then 1.0 else 0.0 end) from {table}"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    generate(SCALE, SEED, root / "landing", root / "truth", progress=False)
    next_day(root / "landing")
    return root / "landing"


@pytest.mark.e2e
def test_incremental_builds_equal_full_rebuilds(landing: Path, tmp_path: Path) -> None:
    incremental = tmp_path / "incremental.duckdb"
    load_landing(landing, incremental)
    build(incremental, tmp_path / "first", DAY_BEFORE)

    day = shutil.copytree(landing, tmp_path / "landing")
    next_day(day)
    assert load_landing(day, incremental), "the second new day loaded nothing"
    build(incremental, tmp_path / "second", DAY_AFTER)
    assert 0 < rewritten_share(incremental, "intermediate.int_goods_receipts__netted") < 0.2
    assert 0 < rewritten_share(
        incremental, "intermediate.int_purchase_order_lines__lead_times") < 0.2
    full = full_build(day, tmp_path / "full", DAY_AFTER)
    assert differences(incremental, full) == []

    # Retract the first new day's goods receipts: the models rebuild from scratch.
    retracted = f"{GR_TABLE}__demo__2026-11-01.csv"
    with duckdb.connect(str(incremental)) as con:
        for extract in find_extracts(con, retracted):
            retract(con, extract, RETRACTED_BY_COMMAND, "test")
    build(incremental, tmp_path / "third", DAY_AFTER)
    full.unlink()
    full = full_build(day, tmp_path / "full", DAY_AFTER, retracted=retracted)
    assert differences(incremental, full) == []


def test_the_incremental_key_test_finds_a_duplicate_that_a_build_writes(
    landing: Path, tmp_path: Path
) -> None:
    """unique_incremental_key (dbt/macros/tests) reads only the newest build's keys, against
    every row: a key the newest build wrote twice, or wrote while an earlier build's row
    kept it, fails it; a table every row of which one build wrote is checked whole, and a
    build from scratch (--full-refresh) groups every key."""
    database = tmp_path / "keys.duckdb"
    load_landing(landing, database)
    model = "staging.stg_erp__goods_receipts"
    build_with_upstream(database, "stg_erp__goods_receipts", tmp_path)
    key_test = ["test", "--select", "test_name:unique_incremental_key,stg_erp__goods_receipts"]

    def passes(*flags: str) -> bool:
        """The key test alone (dbt build of a test runs just the test)."""
        command = ["build", *flags, *key_test[1:]] if flags else key_test
        return run_dbt(database, command, tmp_path, check=False)

    def add_copy_of_a_row(built: str) -> None:
        with duckdb.connect(str(database)) as con:
            con.execute(f"insert into {model} select * replace ({built} as built_at) "
                        f"from {model} where receipt_id = (select min(receipt_id) from {model})")

    def drop_copies() -> None:
        with duckdb.connect(str(database)) as con:
            con.execute(f"delete from {model} where rowid in (select rowid from {model} "
                        "qualify row_number() over (partition by receipt_id order by rowid) > 1)")

    assert passes() and passes("--full-refresh")
    add_copy_of_a_row("built_at")  # one build wrote every row: the whole table is checked
    assert not passes()
    assert not passes("--full-refresh")  # a build from scratch groups every key
    drop_copies()
    with duckdb.connect(str(database)) as con:  # the rows become an earlier build's
        con.execute(f"update {model} set built_at = built_at - interval 1 day")
    assert passes()
    add_copy_of_a_row("built_at + interval 1 day")  # the newest build rewrote a kept key
    assert not passes()


@pytest.mark.e2e
def test_the_key_test_of_a_view_reads_the_keys_its_incremental_model_wrote(
    landing: Path, tmp_path: Path
) -> None:
    """fct_po_line_lead_times, a view: unique_incremental_key with kept_by takes the newest
    build's keys from int_purchase_order_lines__lead_times and finds their duplicates."""
    database = tmp_path / "fct.duckdb"
    load_landing(landing, database)
    build_with_upstream(database, "fct_po_line_lead_times", tmp_path)
    key_test = ["test", "--select", "test_name:unique_incremental_key,fct_po_line_lead_times"]
    assert run_dbt(database, key_test, tmp_path, check=False)
    lines = "intermediate.int_purchase_order_lines__lead_times"
    with duckdb.connect(str(database)) as con:  # the other rows become an earlier build's
        con.execute(f"update {lines} set built_at = built_at - interval 1 day")
        con.execute(f"insert into {lines} select * replace (built_at + interval 1 day "
                    f"as built_at) from {lines} limit 1")
    assert not run_dbt(database, key_test, tmp_path, check=False)


@pytest.mark.e2e
def test_a_new_day_through_the_whole_job_publishes_what_a_rebuild_does(tmp_path, monkeypatch):
    settings = point_settings_at(monkeypatch, tmp_path)
    generate(0.03, 11, settings.landing_dir, settings.truth_dir, progress=False)
    first = run_pipeline(settings)
    assert first.exit_code == 0 and first.published
    # The site's dbt docs started from the build's parse state, on the home's first run too.
    docs_log = dbt_docs_target(settings.pipeline_db) / "dbt.log"
    first_docs_log = docs_log.read_text()
    assert "Unable to do partial parsing" not in first_docs_log
    next_day(settings.landing_dir)
    # dbt/target's parse state may be another database's (a test's, another home's); here
    # there is none: the build starts from the state its home kept (resources/dbt.py).
    (dbt_project().manifest_path.parent / PARTIAL_PARSE).unlink(missing_ok=True)
    daily = run_pipeline(settings)
    assert daily.exit_code == 0 and daily.published and not daily.unchanged_since
    # A day of rows changes nothing dbt docs show: the page is kept, dbt docs did not run.
    assert docs_log.read_text() == first_docs_log
    site_dbt_docs = (settings.site_dir / "index.html").read_text(encoding="utf-8")
    assert "unchanged since: same project, relations and columns" in site_dbt_docs
    # The first build left its parse state for the next (defs/dbt/assets.py keep_partial_parse):
    # dbt re-parsed only what changed, not the whole project (6 s in full).
    assert "Unable to do partial parsing" not in run_log_path(settings).read_text()
    assert daily.mart_rows["fct_po_line_lead_times"] >= first.mart_rows["fct_po_line_lead_times"]
    # The day's publish replaced only the changed PO lines in a copy of the served file
    # (warehouse/publish.py KeptRows); the comparison with the rebuild below proves it whole.
    assert 0 < rows_replaced(settings, daily.run_id)["fct_po_line_lead_times"] < (
        0.2 * daily.mart_rows["fct_po_line_lead_times"])
    netted = "intermediate.int_goods_receipts__netted"
    assert 0 < rewritten_share(settings.pipeline_db, netted) < 0.2, "the new day rebuilt it all"
    # The fact's contract checked its ERROR row rules on the day's rebuilt PO lines only
    # (contracts/changed_rows.py), and its other rules on the whole fact.
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        checked = con.execute(
            "select expectation_type, severity, rows_scope, element_count "
            "from dq.contract_results "
            "where run_id = ? and suite = 'marts__fct_po_line_lead_times'",
            [daily.run_id],
        ).fetchall()
    on_changed = [r for r in checked if r[2] != "whole table"]
    assert {r[0] for r in on_changed} >= {
        "expect_column_values_to_not_be_null", "expect_compound_columns_to_be_unique"}
    assert all(r[1] == "ERROR" and r[2].startswith("rows whose key (po_number, po_line)")
               for r in on_changed)
    assert 0 < max(r[3] for r in on_changed) < 0.2 * daily.mart_rows["fct_po_line_lead_times"]
    assert {(r[0], r[1]) for r in checked if r[2] == "whole table"} == {
        ("expect_table_columns_to_match_set", "ERROR"),
        ("expect_column_values_to_be_between", "WARNING"),
        ("unexpected_rows_expectation", "ERROR"),
    }
    published_daily = tmp_path / "daily.duckdb"
    shutil.copyfile(settings.serving_db, published_daily)

    rebuilt = run_pipeline(settings, force=True)
    assert rebuilt.exit_code == 0 and rebuilt.published
    assert rows_replaced(settings, rebuilt.run_id) == {}, "a rebuild must copy every table"
    assert rewritten_share(settings.pipeline_db, netted) == 1.0, "--force kept old rows"
    # The rebuild is a later run: the finding lifecycle stamps its moment.
    assert differences(published_daily, settings.serving_db, {
        f"marts.{m}": k for m, k in MARTS.items()
    }, ignore=(*BOOKKEEPING, "last_seen_at")) == []


@pytest.mark.e2e
def test_a_selection_of_models_makes_the_next_run_rebuild_from_scratch(tmp_path, monkeypatch):
    """A UI selection builds the netting without the lead times: the next whole run must not
    build on it incrementally (a receipt moved again would stay on its first PO line)."""
    settings = point_settings_at(monkeypatch, tmp_path)
    generate(0.03, 11, settings.landing_dir, settings.truth_dir, progress=False)
    assert run_pipeline(settings).published
    next_day(settings.landing_dir)
    netted = "intermediate.int_goods_receipts__netted"

    from dagster_project.definitions import FULL_PIPELINE, build_defs

    selection = [dg.AssetKey(["raw", GR_TABLE]),
                 dg.AssetKey(["staging", "stg_erp__goods_receipts"]),
                 dg.AssetKey(["intermediate", "int_goods_receipts__netted"])]
    with dg.DagsterInstance.ephemeral() as instance:
        subset = build_defs(settings).resolve_job_def(FULL_PIPELINE).execute_in_process(
            instance=instance, asset_selection=selection, raise_on_error=False)
    assert subset.success
    assert 0 < rewritten_share(settings.pipeline_db, netted) < 0.2, "the selection rebuilt it all"

    after = run_pipeline(settings)
    assert after.exit_code == 0 and after.published
    assert rewritten_share(settings.pipeline_db, netted) == 1.0, "built on a partial build"
    published_after = tmp_path / "after.duckdb"
    shutil.copyfile(settings.serving_db, published_after)
    assert run_pipeline(settings, force=True).published
    assert differences(published_after, settings.serving_db, {
        f"marts.{m}": k for m, k in MARTS.items()
    }, ignore=(*BOOKKEEPING, "last_seen_at")) == []
