"""The fault matrix: bad, odd and hostile input, each ending in one clear line and nothing lost.

Every case drops files into a landing folder and ingests them the way the raw assets do
(``ingest_table``). A good-but-odd file (BOM, CR line ends, Latin-1, a 1 MB field, quotes and
semicolons in names) loads every row intact; a bad one raises LandingError, one line naming
the file and the problem, with raw exactly as before and the file still in the landing folder.
Folder-level faults (unknown table folder, unreadable landing folder) and a full disk during
publish are at the end. The cases are listed in README.md, "Operations".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.ingest.assets import raw_assets
from dagster_project.ingest.extracts import (
    LandingError,
    discover_extracts,
    ensure_raw_schema,
    ingest_table,
    list_extract_files,
)
from dagster_project.resources import Warehouse
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse import publish as publish_module
from dagster_project.warehouse.publish import TMP_MARKER, PublishError, publish

SUPPLIERS = "supplier_id,supplier_name,country,status"
ITEMS = "part_number,description,uom,procurement_type,status,manufacturer_part_number,updated_at"
INVENTORY = "snapshot_date,part_number,plant,on_hand_qty"
PO_LINES = (
    "po_number,po_line,supplier_id,part_number,order_date,requested_date,promised_date,"
    "order_qty,uom,line_status,updated_at"
)
ODD_NAME = "it's; \"odd\" name.csv"


@dataclass
class Case:
    table: str
    files: list[tuple[str, bytes]]  # in landing order (names sort in this order)
    error: str | None = None  # expected LandingError text; None = loads
    rows: int | None = None  # rows in raw after a good case
    log: str | None = None  # a line the run log must carry (it also names the file)
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    merged_before_error: int = 0  # extracts merged before the bad one
    extra: dict[str, str] = field(default_factory=dict)


def _value(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _check_supplier_name(expected: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    def check(con: duckdb.DuckDBPyConnection) -> None:
        assert _value(con, "select supplier_name from raw.erp_suppliers") == expected

    return check


def _check_long_description(con: duckdb.DuckDBPyConnection) -> None:
    assert _value(con, "select length(description) from raw.erp_items") == 1_000_000


def _check_latest_extract(con: duckdb.DuckDBPyConnection) -> None:
    # Both extracts are kept in raw; the later one is loaded later, so staging picks it.
    rows = con.execute(
        "select _source_file, line_status from raw.erp_purchase_order_lines "
        "order by _loaded_at desc"
    ).fetchall()
    assert rows == [("b_corrected.csv", "CLOSED"), ("a.csv", "OPEN")]


PO_ROW_OPEN = "PO1,1,S1,PN-1,2024-01-05,2024-02-01,,10,EA,OPEN,2024-01-05 10:00:00"
PO_ROW_CLOSED = "PO1,1,S1,PN-1,2024-01-05,2024-02-01,,10,EA,CLOSED,2024-03-01 10:00:00"

CASES: dict[str, Case] = {
    "extra_column_kept_and_ignored": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS},comment\nS1,Acme,DE,ACTIVE,call first\n".encode())],
        rows=1,
        log="extra column(s) kept out of raw and ignored: comment",
    ),
    "missing_required_column": Case(
        "erp_suppliers",
        [("a.csv", b"supplier_id,supplier_name,status\nS1,Acme,ACTIVE\n")],
        error="missing required column(s) country",
    ),
    "wrong_type": Case(
        "erp_inventory",
        [("a.csv", f"{INVENTORY}\n2024-01-01,PN-1,P1,12\n2024-01-01,PN-2,P1,twelve\n".encode())],
        error="column on_hand_qty: 1 value(s) are not DOUBLE, e.g. ['twelve']",
    ),
    "empty_file": Case("erp_suppliers", [("a.csv", b"")], error="empty file (no header row)"),
    "header_only_file": Case("erp_suppliers", [("a.csv", f"{SUPPLIERS}\n".encode())], rows=0),
    "same_file_twice": Case(
        "erp_suppliers",
        [
            ("a.csv", f"{SUPPLIERS}\nS1,Acme,DE,ACTIVE\n".encode()),
            ("b_copy.csv", f"{SUPPLIERS}\nS1,Acme,DE,ACTIVE\n".encode()),
        ],
        rows=1,
        log="b_copy.csv: content already loaded, skipped",
    ),
    "corrected_reextract_same_keys": Case(
        "erp_purchase_order_lines",
        [
            ("a.csv", f"{PO_LINES}\n{PO_ROW_OPEN}\n".encode()),
            ("b_corrected.csv", f"{PO_LINES}\n{PO_ROW_CLOSED}\n".encode()),
        ],
        rows=2,
        check=_check_latest_extract,
    ),
    "utf8_with_bom": Case(
        "erp_suppliers",
        [("a.csv", f"\ufeff{SUPPLIERS}\nS1,Société Générale,FR,ACTIVE\n".encode())],
        rows=1,
        check=_check_supplier_name("Société Générale"),
    ),
    "carriage_return_only_line_ends": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS}\rS1,Acme,DE,ACTIVE\rS2,Bolt,FR,ACTIVE\r".encode())],
        rows=2,
    ),
    "latin1_text": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS}\nS1,Müller Straße,DE,ACTIVE\n".encode("latin-1"))],
        rows=1,
        log="not UTF-8; read as cp1252",
        check=_check_supplier_name("Müller Straße"),
    ),
    "windows_1252_text": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS}\nS1,“Acme” 5€,DE,ACTIVE\n".encode("cp1252"))],
        rows=1,
        check=_check_supplier_name("“Acme” 5€"),
    ),
    "utf16_with_bom": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS}\r\nS1,Ørsted,DK,ACTIVE\r\n".encode("utf-16"))],
        rows=1,
        log="not UTF-8; read as utf-16",
        check=_check_supplier_name("Ørsted"),
    ),
    "very_long_field_1mb": Case(
        "erp_items",
        [(
            "a.csv",
            f"{ITEMS}\nPN-1,{'x' * 1_000_000},EA,BUY,ACTIVE,,2024-01-01 00:00:00\n".encode(),
        )],
        rows=1,
        check=_check_long_description,
    ),
    "quotes_semicolons_spaces_in_names": Case(
        "erp_suppliers",
        [(
            ODD_NAME,
            f'{SUPPLIERS},"note; it\'s ""odd"""\nS1,"Acme; ""the"" best",DE,ACTIVE,x\n'.encode(),
        )],
        rows=1,
        log="extra column(s) kept out of raw and ignored: note; it's \"odd\"",
        check=_check_supplier_name('Acme; "the" best'),
    ),
    "row_with_an_extra_field": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS}\nS1,Acme,DE,ACTIVE,oops\n".encode())],
        error="malformed CSV",
    ),
    "semicolon_separated": Case(
        "erp_suppliers",
        [("a.csv", f"{SUPPLIERS.replace(',', ';')}\nS1;Acme;DE;ACTIVE\n".encode())],
        error="the header looks semicolon-separated",
    ),
    "bad_file_after_a_good_one": Case(
        "erp_suppliers",
        [
            ("a.csv", f"{SUPPLIERS}\nS1,Acme,DE,ACTIVE\n".encode()),
            ("b.csv", b"supplier_id,supplier_name\nS2,Bolt\n"),
        ],
        error="missing required column(s) country, status",
        merged_before_error=1,
    ),
}


def raw_state(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(rows in every raw table, rows in the load log): must not move on a refused file."""
    from dagster_project.ingest.landing_contract import LANDING_TABLES

    rows = sum(_value(con, f"select count(*) from raw.{t}") for t in LANDING_TABLES)
    return int(rows), int(_value(con, "select count(*) from raw._load_log"))


@pytest.mark.parametrize("name", list(CASES))
def test_fault_matrix(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / "landing" / case.table
    folder.mkdir(parents=True)
    paths = []
    for file_name, body in case.files:
        path = folder / file_name
        path.write_bytes(body)
        paths.append(path)
    log: list[str] = []
    con = duckdb.connect(str(tmp_path / "pipeline.duckdb"))
    ensure_raw_schema(con)
    files = list_extract_files(folder)
    assert [p.name for p in files] == sorted(p.name for p in paths)

    if case.error:
        with pytest.raises(LandingError) as err:
            ingest_table(con, case.table, files, log=log.append, work_dir=tmp_path / "work")
        message = str(err.value)
        assert "\n" not in message and case.error in message, message
        bad = paths[case.merged_before_error]
        assert message.startswith(f"{bad}: "), message
        # Nothing lost: extracts before the bad one are merged whole, the bad one not at all,
        # and every file is still where it was.
        logged = con.execute("select source_file from raw._load_log order by 1").fetchall()
        assert [r[0] for r in logged] == [p.name for p in paths[: case.merged_before_error]]
        assert all(p.exists() for p in paths)
    else:
        result = ingest_table(con, case.table, files, log=log.append, work_dir=tmp_path / "work")
        assert _value(con, f"select count(*) from raw.{case.table}") == case.rows
        loaded = sum(r for (r,) in con.execute("select row_count from raw._load_log").fetchall())
        assert loaded == case.rows  # raw holds exactly what the load log says was merged
        assert len(result.merged) + len(result.skipped) == len(paths)
        if case.log:
            assert any(case.log in line and str(folder) in line for line in log), log
        if case.check:
            case.check(con)
        assert all(p.exists() for p in paths)
    assert not list((tmp_path / "work").glob("*"))  # transcoded copies are removed
    con.close()


def test_unknown_table_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "erp_items").mkdir()
    (tmp_path / "erp_itemz").mkdir()
    with pytest.raises(LandingError) as err:
        discover_extracts(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'erp_itemz'}: unknown table folder 'erp_itemz'")


def test_unsupported_file_type_is_named(tmp_path: Path) -> None:
    (tmp_path / "erp_items").mkdir()
    (tmp_path / "erp_items" / "items.xlsx").write_bytes(b"PK")
    with pytest.raises(LandingError, match=r"items\.xlsx: unsupported file type"):
        discover_extracts(tmp_path)


def test_landing_path_that_is_a_file(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.write_text("not a folder", encoding="utf-8")
    with pytest.raises(LandingError, match="landing path is a file, not a folder"):
        discover_extracts(landing)


def test_unreadable_landing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, and chmod 000 does not stop root: the refusal is simulated.
    landing = tmp_path / "landing"
    landing.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self: Path):  # noqa: ANN202
        if self == landing:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(LandingError) as err:
        discover_extracts(landing)
    assert str(err.value) == f"{landing}: landing folder is not readable (Permission denied)"


def test_bad_file_fails_the_raw_asset_with_one_line(tmp_settings: Settings) -> None:
    """Through Dagster: the step failure is the same one line, and the file stays put."""
    folder = tmp_settings.landing_dir / "erp_suppliers"
    folder.mkdir(parents=True)
    bad = folder / ODD_NAME
    bad.write_bytes(b"supplier_id,supplier_name,status\nS1,Acme,ACTIVE\n")
    asset = next(a for a in raw_assets if a.key.path == ["raw", "erp_suppliers"])
    result = dg.materialize(
        [asset],
        resources={"warehouse": Warehouse.from_settings(tmp_settings)},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    description = failure.step_failure_data.user_failure_data.description
    assert description == f"{bad}: missing required column(s) country"
    assert bad.exists()


def _pipeline_with_marts(tmp_path: Path, value: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "pipeline.duckdb"))
    con.execute("create schema if not exists marts")
    con.execute(f"create or replace table marts.facts as select {value} as v from range(3)")
    return con


@pytest.mark.parametrize("where", ["os.replace", "fsync"])
def test_full_disk_during_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    serving = tmp_path / "planning.duckdb"
    con = _pipeline_with_marts(tmp_path, 1)
    publish(con, serving, [("marts.facts", "facts")])
    before = (serving.stat().st_ino, serving.read_bytes())
    con.execute("create or replace table marts.facts as select 2 as v from range(5)")

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "os.replace":
        monkeypatch.setattr(publish_module.os, "replace", no_space)
    else:
        monkeypatch.setattr(publish_module, "_fsync", no_space)
    with pytest.raises(PublishError) as err:
        publish(con, serving, [("marts.facts", "facts")])
    message = str(err.value)
    assert message == (
        f"{serving}: not published, serving database left as it was: "
        "No space left on device (ENOSPC)"
    )
    assert (serving.stat().st_ino, serving.read_bytes()) == before
    assert not list(tmp_path.glob(f"{TMP_MARKER}*"))
    monkeypatch.undo()
    with duckdb.connect(str(serving), read_only=True) as reader:
        assert _value(reader, "select sum(v) from marts.facts") == 3
    con.close()


def test_corrected_reextract_wins_in_staging(tmp_path: Path) -> None:
    """The same PO line in a later extract replaces the earlier one in dbt staging."""
    from tests.dbt_harness import load_landing, run_dbt

    landing = tmp_path / "landing"
    folder = landing / "erp_purchase_order_lines"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes(f"{PO_LINES}\n{PO_ROW_OPEN}\nPO2,1,S1,PN-2,2024-01-05,"
                                   "2024-02-01,,5,EA,OPEN,2024-01-05 10:00:00\n".encode())
    (folder / "b_corrected.csv").write_bytes(f"{PO_LINES}\n{PO_ROW_CLOSED}\n".encode())
    database = tmp_path / "pipeline.duckdb"
    load_landing(landing, database)
    run_dbt(database, ["run", "--select", "stg_erp__purchase_order_lines"], tmp_path)
    with duckdb.connect(str(database), read_only=True) as con:
        schema = _value(
            con,
            "select table_schema from information_schema.tables "  # table or view
            "where table_name = 'stg_erp__purchase_order_lines'",
        )
        rows = con.execute(
            f"select * from {schema}.stg_erp__purchase_order_lines order by po_number"
        ).fetchdf()
    assert list(rows["po_number"]) == ["PO1", "PO2"]  # one row per key, nothing dropped
    statuses = dict(zip(rows["po_number"], rows.filter(like="status").iloc[:, 0], strict=True))
    assert statuses == {"PO1": "CLOSED", "PO2": "OPEN"}


def test_utf8_character_across_read_blocks_is_still_utf8(tmp_path: Path) -> None:
    from dagster_project.ingest.encodings import READ_BLOCK, detect_encoding

    head = f"{SUPPLIERS}\nS1,"
    pad = "x" * (READ_BLOCK - len(head.encode()) - 1)  # "é" (2 bytes) straddles the boundary
    path = tmp_path / "a.csv"
    path.write_bytes(f"{head}{pad}é,DE,ACTIVE\n".encode())
    assert detect_encoding(path) == "utf-8"
    path.write_bytes(f"{head}{pad}é,DE,ACTIVE\n".encode("latin-1"))
    assert detect_encoding(path) == "cp1252"
    path.write_bytes(f"{head}\x81,DE,ACTIVE\n".encode("latin-1"))  # undefined in cp1252
    assert detect_encoding(path) == "latin-1"


def test_non_utf8_byte_deep_in_a_large_file_is_still_caught(tmp_path: Path) -> None:
    """Staging trusts DuckDB's own UTF-8 validation instead of a Python pass over the file:
    one Windows-1252 byte after 40 MB of ASCII rows (beyond DuckDB's first read buffers, read
    in parallel) still sends the file through the transcoded route."""
    from dagster_project.ingest.extracts import Extract, next_load_time, stage_extract
    from dagster_project.ingest.file_digests import file_sha256

    path = tmp_path / "erp_suppliers__big.csv"
    filler = "".join(f"S{i:07d},Supplier {i:07d},DE,ACTIVE\n" for i in range(1_200_000))
    path.write_bytes(f"{SUPPLIERS}\n{filler}S9999999,Müller,DE,ACTIVE\n".encode("cp1252"))
    assert path.stat().st_size > 40 * 2**20
    extract = Extract("erp_suppliers", path, file_sha256(path), path.stat().st_size)
    with duckdb.connect() as con:
        ensure_raw_schema(con)
        staged = stage_extract(con, extract, next_load_time(con), tmp_path / "work")
        name = _value(
            con, "select supplier_name from incoming.erp_suppliers where supplier_id = 'S9999999'"
        )
    assert staged.encoding == "cp1252"
    assert staged.row_count == 1_200_001
    assert name == "Müller"


def test_refused_extract_holds_back_the_later_ones(tmp_path: Path) -> None:
    """A contract refusal: nothing of it merged, later extracts wait, every file stays."""
    folder = tmp_path / "erp_suppliers"
    folder.mkdir()
    for name, status in (("a.csv", "ACTIVE"), ("b.csv", "UNKNOWN"), ("c.csv", "BLOCKED")):
        (folder / name).write_bytes(f"{SUPPLIERS}\nS1,Acme,DE,{status}\n".encode())
    con = duckdb.connect()
    log: list[str] = []

    def contract(staged: object) -> bool:  # stands in for the GX raw contract
        return _value(con, "select count(*) from incoming.erp_suppliers "
                           "where status not in ('ACTIVE', 'BLOCKED')") == 0

    result = ingest_table(con, "erp_suppliers", list_extract_files(folder), contract, log.append)
    assert [s.extract.path.name for s in result.merged] == ["a.csv"]
    assert [e.path.name for e in result.refused] == ["b.csv"]
    assert [e.path.name for e in result.waiting] == ["c.csv"]
    assert any(line.startswith(f"{folder / 'c.csv'}: waits until b.csv") for line in log), log
    assert _value(con, "select count(*) from raw.erp_suppliers") == 1
    assert _value(con, "select count(*) from duckdb_tables() where database_name = 'incoming'") == 0
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv", "c.csv"]
