"""Publishing swaps a new serving file in; an open reader keeps its consistent old view."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.warehouse.publish import TMP_MARKER, PublishError, publish


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
