"""Ingestion helpers on hand-made extracts: typed load, clear one-line errors, no double loads."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.extracts import (
    LandingError,
    discover_extracts,
    ensure_raw_schema,
    ingest_table,
    merge_extract,
    next_load_time,
    pending_extracts,
    stage_extract,
)

SUPPLIERS_HEADER = "supplier_id,supplier_name,country,status"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def con():
    connection = duckdb.connect()
    ensure_raw_schema(connection)
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    ingest_table(con, table, [path])
    return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_typed_load_with_metadata_columns(con, tmp_path):
    path = write(
        tmp_path / "erp_purchase_order_lines" / "po_1.csv",
        "po_number,po_line,supplier_id,part_number,order_date,requested_date,promised_date,"
        "order_qty,uom,line_status,updated_at,comment\n"
        "PO1,1,S1,PN-1,2024-01-05,2024-02-01,,10,EA,OPEN,2024-01-05 10:00:00,extra\n",
    )
    assert load(con, "erp_purchase_order_lines", path) == 1
    row = con.execute(
        "select po_line, order_date, promised_date, order_qty, _source_file, _row_hash "
        "from raw.erp_purchase_order_lines"
    ).fetchone()
    assert row[0] == 1 and str(row[1]) == "2024-01-05" and row[2] is None and row[3] == 10.0
    assert row[4] == "po_1.csv" and len(row[5]) == 16  # 64-bit hash as hex (row_hash_sql)


def test_same_content_is_not_loaded_twice(con, tmp_path):
    body = f"{SUPPLIERS_HEADER}\nS1,Acme,DE,ACTIVE\n"
    first = write(tmp_path / "erp_suppliers" / "a.csv", body)
    second = write(tmp_path / "erp_suppliers" / "b_copy.csv", body)
    assert load(con, "erp_suppliers", first) == 1
    new, skipped = pending_extracts(con, "erp_suppliers", [first, second])
    assert new == [] and [s.path.name for s in skipped] == ["a.csv", "b_copy.csv"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty file"),
        (
            "supplier_id,supplier_name,status\nS1,Acme,ACTIVE\n",
            "missing required column(s) country",
        ),
    ],
)
def test_bad_files_fail_with_one_line_naming_the_file(con, tmp_path, body, message):
    path = write(tmp_path / "erp_suppliers" / "bad.csv", body)
    with pytest.raises(LandingError) as err:
        load(con, "erp_suppliers", path)
    text = str(err.value)
    assert str(path) in text and message in text and "\n" not in text


def test_wrong_type_names_column_and_values(con, tmp_path):
    path = write(
        tmp_path / "erp_inventory" / "inv.csv",
        "snapshot_date,part_number,plant,on_hand_qty\n2024-01-01,PN-1,P1,12\n"
        "2024-01-01,PN-2,P1,twelve\n",
    )
    with pytest.raises(LandingError, match=r"column on_hand_qty: 1 value\(s\) are not DOUBLE"):
        load(con, "erp_inventory", path)
    assert con.execute("select count(*) from raw.erp_inventory").fetchone()[0] == 0
    assert path.exists()


def test_header_only_file_loads_zero_rows(con, tmp_path):
    path = write(tmp_path / "erp_suppliers" / "empty.csv", f"{SUPPLIERS_HEADER}\n")
    assert load(con, "erp_suppliers", path) == 0
    assert con.execute("select count(*) from raw._load_log").fetchone()[0] == 1


def test_unknown_table_folder_is_named(tmp_path):
    (tmp_path / "erp_itemz").mkdir()
    with pytest.raises(LandingError, match="unknown table folder 'erp_itemz'"):
        discover_extracts(tmp_path)


def test_load_times_strictly_increase(con, tmp_path):
    first = next_load_time(con)
    con.execute(
        "insert into raw._load_log (table_name, source_file, content_sha256, file_size, "
        "row_count, extra_columns, loaded_at) values ('t', 'f', 'h', 1, 1, '', ?)",
        [datetime(2999, 1, 1)],
    )
    assert next_load_time(con) > datetime(2999, 1, 1) > first


def test_staging_stays_in_memory_and_replaces_a_legacy_incoming_schema(tmp_path):
    """Extracts are staged in an in-memory database attached as `incoming`, never in the
    warehouse file; a warehouse that still has the old `incoming` schema loses it."""
    database = tmp_path / "pipeline.duckdb"
    with duckdb.connect(str(database)) as old:
        old.execute("create schema incoming")
        old.execute("create table incoming.erp_suppliers (supplier_id varchar)")
    path = write(tmp_path / "erp_suppliers" / "s.csv", f"{SUPPLIERS_HEADER}\nS1,Acme,DE,ACTIVE\n")
    with duckdb.connect(str(database)) as con:
        ensure_raw_schema(con)
        new, _ = pending_extracts(con, "erp_suppliers", [path])
        staged = stage_extract(con, new[0], next_load_time(con))
        where = con.execute(
            "select database_name, schema_name from duckdb_tables() "
            "where table_name = 'erp_suppliers' and schema_name <> 'raw'"
        ).fetchall()
        assert where == [("incoming", "main")]
        merge_extract(con, staged)
        assert con.execute("select count(*) from raw.erp_suppliers").fetchone()[0] == 1
        assert con.execute(
            "select count(*) from duckdb_tables() where database_name = 'incoming'"
        ).fetchone()[0] == 0
    with duckdb.connect(str(database)) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert "incoming" not in schemas


GLOB_NAMES = [
    "erp_suppliers__*.csv",
    "erp_suppliers__?.csv",
    "extract [1].csv",
    "extract [!x].csv",
    "erp_suppliers__{a,b}.csv",
    "erp_suppliers__}{.csv",
    "[.csv",
]


@pytest.mark.parametrize("name", GLOB_NAMES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("landing", ["landing", "landing [x]"])
def test_a_file_name_is_a_name_never_a_pattern(con, tmp_path, name, suffix, landing):
    """Each of * ? [ ] { } in a name: the file loads exactly itself, never its look-alikes."""
    folder = tmp_path / landing / "erp_suppliers"
    # Neighbours every pattern above would match if it were expanded.
    for index, neighbour in enumerate(["erp_suppliers__1", "extract 1", "erp_suppliers__a", "x"]):
        write(folder / f"{neighbour}.csv", f"{SUPPLIERS_HEADER}\nN{index},Neighbour,DE,ACTIVE\n")
    target = folder / Path(name).with_suffix(suffix)
    if suffix == ".csv":
        write(target, f"{SUPPLIERS_HEADER}\nS1,Self,FR,ACTIVE\nS2,Self too,FR,ACTIVE\n")
    else:
        duckdb.sql(
            "select * from (values ('S1', 'Self', 'FR', 'ACTIVE'), ('S2', 'Self too', 'FR', "
            "'ACTIVE')) t(supplier_id, supplier_name, country, status)"
        ).write_parquet(str(tmp_path / "t.parquet"))
        (tmp_path / "t.parquet").rename(target)
    new, _ = pending_extracts(con, "erp_suppliers", [target])
    staged = stage_extract(con, new[0], next_load_time(con), tmp_path / "work")
    merge_extract(con, staged)
    rows = con.execute(
        "select supplier_id, _source_file from raw.erp_suppliers order by 1"
    ).fetchall()
    assert rows == [("S1", target.name), ("S2", target.name)]
    assert not any((tmp_path / "work").glob("*")), "the link is removed after reading"


def test_an_unchanged_file_is_not_hashed_again_and_a_changed_one_is(con, tmp_path, monkeypatch):
    """file_digests.py: the content hash is remembered by (path, size, mtime, inode)."""
    from dagster_project.ingest import file_digests

    path = write(tmp_path / "erp_suppliers__a.csv", f"{SUPPLIERS_HEADER}\nS1,One,DE,ACTIVE\n")
    [(first, size)] = file_digests.sha256_and_size(con, [path])
    assert first == file_digests.file_sha256(path) and size == path.stat().st_size

    hashed: list[Path] = []
    real = file_digests.file_sha256
    monkeypatch.setattr(file_digests, "file_sha256", lambda p: hashed.append(p) or real(p))
    assert file_digests.sha256_and_size(con, [path]) == [(first, size)]
    assert hashed == [], "an unchanged file was read again"

    # Same size, new content, a later modification time: hashed again.
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"One", b"Two"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    [(second, _)] = file_digests.sha256_and_size(con, [path])
    assert hashed == [path] and second != first

    # Another file renamed over it with the same size and modification time: a new inode.
    other = write(tmp_path / "other.csv", f"{SUPPLIERS_HEADER}\nS1,Six,DE,ACTIVE\n")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    other.replace(path)
    [(third, _)] = file_digests.sha256_and_size(con, [path])
    assert len(hashed) == 2 and third not in (first, second)


def test_a_reloaded_home_skips_content_it_already_holds(con, tmp_path):
    path = write(tmp_path / "erp_suppliers__a.csv", f"{SUPPLIERS_HEADER}\nS1,One,DE,ACTIVE\n")
    assert len(ingest_table(con, "erp_suppliers", [path]).merged) == 1
    again = ingest_table(con, "erp_suppliers", [path])
    assert not again.merged and [e.path for e in again.skipped] == [path]


def _suppliers(tmp_path: Path, names_and_ids: list[tuple[str, str]]) -> list[Path]:
    return [write(tmp_path / "erp_suppliers" / name, f"{SUPPLIERS_HEADER}\n{sid},Acme,DE,ACTIVE\n")
            for name, sid in names_and_ids]


def _incoming_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'incoming'").fetchall()]


def test_each_extract_is_validated_alone_while_the_next_is_staged(con, tmp_path):
    """The next extract is staged beside the current one (ingest_table's stager): the contract
    still sees exactly one extract in incoming.<table>, and load order is name order."""
    files = _suppliers(tmp_path, [("a.csv", "S1"), ("b.csv", "S2"), ("c.csv", "S3")])
    seen = []

    def validate(staged) -> bool:
        seen.append(con.execute("select list(distinct _source_file), list(supplier_id) "
                                "from incoming.erp_suppliers").fetchone())
        return True

    result = ingest_table(con, "erp_suppliers", files, validate)
    assert seen == [(["a.csv"], ["S1"]), (["b.csv"], ["S2"]), (["c.csv"], ["S3"])]
    loads = con.execute("select _source_file from raw.erp_suppliers order by _loaded_at").fetchall()
    assert [r[0] for r in loads] == ["a.csv", "b.csv", "c.csv"]
    assert [s.extract.path.name for s in result.merged] == ["a.csv", "b.csv", "c.csv"]
    assert _incoming_tables(con) == []


def test_a_refused_extract_discards_the_one_staged_after_it(con, tmp_path):
    files = _suppliers(tmp_path, [("a.csv", "S1"), ("b.csv", "S2"), ("c.csv", "S3")])
    result = ingest_table(con, "erp_suppliers", files,
                          lambda staged: staged.extract.path.name != "b.csv")
    assert [s.extract.path.name for s in result.merged] == ["a.csv"]
    assert [e.path.name for e in result.refused] == ["b.csv"]
    assert [e.path.name for e in result.waiting] == ["c.csv"]
    assert con.execute("select list(supplier_id) from raw.erp_suppliers").fetchone()[0] == ["S1"]
    assert _incoming_tables(con) == []


def test_an_unreadable_later_extract_fails_after_the_earlier_ones_merged(con, tmp_path):
    files = _suppliers(tmp_path, [("a.csv", "S1"), ("b.csv", "S2")])
    files.append(write(tmp_path / "erp_suppliers" / "c.csv", "supplier_id,country\nS3,DE\n"))
    with pytest.raises(LandingError, match=r"c\.csv: missing required column\(s\) supplier_name"):
        ingest_table(con, "erp_suppliers", files, lambda staged: True)
    assert con.execute("select list(supplier_id order by supplier_id) from raw.erp_suppliers"
                       ).fetchone()[0] == ["S1", "S2"]
    assert _incoming_tables(con) == []
