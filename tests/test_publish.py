"""Publishing swaps a new serving file in; an open reader keeps its consistent old view."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from dagster_project.warehouse.publish import TMP_MARKER, KeptRows, PublishError, publish


def make_pipeline(tmp_path, value: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "pipeline.duckdb"))
    con.execute("create schema if not exists marts")
    con.execute(f"create or replace table marts.facts as select {value} as v from range(3)")
    return con


def test_reader_keeps_old_state_until_it_reconnects(tmp_path):
    serving = tmp_path / "planning.duckdb"
    con = make_pipeline(tmp_path, 1)
    publish(con, serving, [("marts.facts", "facts")])
    reader = duckdb.connect(str(serving), read_only=True)
    assert reader.execute("select sum(v) from marts.facts").fetchone()[0] == 3

    con.execute("create or replace table marts.facts as select 2 as v from range(5)")
    published = publish(con, serving, [("marts.facts", "facts")])
    assert published[0].row_count == 5
    # The open reader still sees the file it opened, whole.
    assert reader.execute("select sum(v) from marts.facts").fetchone()[0] == 3
    reader.close()
    fresh = duckdb.connect(str(serving), read_only=True)
    assert fresh.execute("select sum(v) from marts.facts").fetchone()[0] == 10
    fresh.close()
    assert not list(tmp_path.glob(f"{TMP_MARKER}*"))


def test_failed_publish_leaves_serving_file_untouched(tmp_path):
    serving = tmp_path / "planning.duckdb"
    con = make_pipeline(tmp_path, 1)
    publish(con, serving, [("marts.facts", "facts")])
    before = serving.read_bytes()
    with pytest.raises(PublishError, match="not published, serving database left as it was"):
        publish(con, serving, [("marts.facts", "facts"), ("marts.missing", "missing")])
    assert serving.read_bytes() == before
    assert not list(tmp_path.glob(f"{TMP_MARKER}*"))


def _served(serving, table: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def test_a_kept_fact_is_published_by_its_changed_keys_and_equals_a_whole_copy(tmp_path):
    """KeptRows: the new file starts as the served one; of the fact only the keys written
    after `published_until` are replaced, every other table is copied anew, a table no longer
    published leaves; the result equals a whole copy. Most keys changed: copied whole."""
    con = duckdb.connect(str(tmp_path / "pipeline.duckdb"))
    con.execute("create schema marts")
    con.execute("create schema intermediate")
    con.execute("""create table intermediate.lines as
        select i as po, 10 * i as qty, timestamp '2026-11-01' as built_at from range(8) t(i)""")
    con.execute("create view marts.fct as select po, qty from intermediate.lines")
    con.execute("create table marts.small as select 1 as v")
    con.execute("create table marts.dropped as select 1 as v")
    served = tmp_path / "planning.duckdb"
    tables = [("marts.fct", "fct"), ("marts.small", "small"), ("marts.dropped", "dropped")]
    assert all(p.replaced_rows is None for p in publish(con, served, tables))

    # A day: PO 3 changed, PO 8 is new; the small table changed; one mart is no longer built.
    con.execute("update intermediate.lines set qty = 33, built_at = timestamp '2026-11-02' "
                "where po = 3")
    con.execute("insert into intermediate.lines values (8, 80, timestamp '2026-11-02')")
    con.execute("create or replace table marts.small as select 2 as v")
    kept = KeptRows("fct", "intermediate.lines", ("po",), datetime(2026, 11, 1))
    published = publish(con, served, tables[:2], kept=kept)
    assert [(p.target, p.row_count, p.replaced_rows) for p in published] == [
        ("fct", 9, 2), ("small", 1, None)]
    whole = tmp_path / "whole.duckdb"
    publish(con, whole, tables[:2])
    for table in ("fct", "small"):
        assert _served(served, table) == _served(whole, table)
    assert _served(served, "fct")[3] == (3, 33)
    with duckdb.connect(str(served), read_only=True) as reader:
        assert [r[0] for r in reader.execute(
            "select table_name from duckdb_tables() order by 1").fetchall()] == ["fct", "small"]

    # A build from scratch rewrote every key: the table is copied whole.
    con.execute("update intermediate.lines set built_at = timestamp '2026-11-03'")
    published = publish(con, served, tables[:2], kept=kept)
    assert published[0].replaced_rows is None and _served(served, "fct") == _served(whole, "fct")
    assert not list(tmp_path.glob(f"{TMP_MARKER}*"))
