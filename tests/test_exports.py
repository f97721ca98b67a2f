"""`plansignal export` (dagster_project/exports): the planners' workbooks and Parquet files.

A small serving database built by hand in tmp_path (a fake worklist with formula-like text,
dates, timestamps, numbers and NULLs; two change sets; one more mart) is exported, and the
workbooks are read back as what they are, zip files of XML: the header is frozen and filtered,
no cell holds a formula, text is text, dates are numbers with a date format, one sheet per
change set; the Parquet files hold every row. Then the session's demo run (tests/conftest.py
demo_pipeline) is exported whole, and a property test writes arbitrary text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import duckdb
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from dagster_project.cli import main
from dagster_project.exports import planner
from dagster_project.exports.planner import (
    CHANGE_SETS_FILE,
    PARQUET_DIR,
    WORKLIST_FILE,
    export_for_planners,
)
from dagster_project.exports.workbook import (
    MAX_COLUMN_WIDTH,
    SHEET_NAME_MAX,
    SheetSource,
    sheet_names,
    write_workbook,
)
from dagster_project.runtime.settings import Settings
from tests.conftest import demo_pipeline, point_settings_at

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"m": MAIN}
DANGEROUS = ["=cmd()", "+1", "-2", "@x", "=HYPERLINK(\"http://evil\",\"x\")"]
LONG_TEXT = "x" * 200

# --------------------------------------------------------------------------------------------
# Reading an xlsx back (no openpyxl: the file is a zip of XML)
# --------------------------------------------------------------------------------------------


@dataclass
class Cell:
    kind: str | None  # the t attribute: s, inlineStr, b, str (a formula's result), None = number
    style: int
    value: str | None  # text for strings, the raw <v> otherwise
    formula: bool


def unescape(text: str) -> str:
    """OOXML's _xHHHH_ escapes (control characters, and _x005F_ for a literal underscore)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def col_index(ref: str) -> tuple[int, int]:
    letters, digits = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


class Xlsx:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.shared = []
        if "xl/sharedStrings.xml" in self.zip.namelist():
            root = ET.fromstring(self.zip.read("xl/sharedStrings.xml"))
            self.shared = [unescape("".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")))
                           for si in root.findall("m:si", NS)]
        styles = ET.fromstring(self.zip.read("xl/styles.xml"))
        codes = {int(f.get("numFmtId")): f.get("formatCode")
                 for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
        self.formats = [codes.get(int(xf.get("numFmtId", "0")), "")
                        for xf in styles.iterfind("m:cellXfs/m:xf", NS)]

    def sheets(self) -> dict[str, str]:
        """Sheet name -> its part in the zip, in workbook order."""
        book = ET.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_RELS}}}Relationship")}
        return {s.get("name"): "xl/" + target[s.get(f"{{{RELS}}}id")]
                for s in book.iterfind("m:sheets/m:sheet", NS)}

    def xml(self, sheet: str) -> ET.Element:
        return ET.fromstring(self.zip.read(self.sheets()[sheet]))

    def raw(self, sheet: str) -> str:
        return self.zip.read(self.sheets()[sheet]).decode("utf-8")

    def cells(self, sheet: str) -> dict[tuple[int, int], Cell]:
        found = {}
        for c in self.xml(sheet).iter(f"{{{MAIN}}}c"):
            kind = c.get("t")
            v = c.find("m:v", NS)
            if kind == "s":
                value = self.shared[int(v.text)]
            elif kind == "inlineStr":
                value = unescape("".join(t.text or "" for t in c.iter(f"{{{MAIN}}}t")))
            else:
                value = v.text if v is not None else None
            found[col_index(c.get("r"))] = Cell(kind, int(c.get("s", "0")), value,
                                                c.find("m:f", NS) is not None)
        return found

    def table(self, sheet: str) -> tuple[list[str], list[dict[str, Cell]]]:
        """The header and the data rows (by column name; absent = empty cell)."""
        cells = self.cells(sheet)
        width = max(c for _, c in cells) + 1
        header = [cells[0, c].value for c in range(width)]
        last = max(r for r, _ in cells)
        rows = [{header[c]: cells[r, c] for c in range(width) if (r, c) in cells}
                for r in range(1, last + 1)]
        return header, rows


def parquet_rows(path: Path) -> int:
    with duckdb.connect() as con:
        return con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]


def is_text(cell: Cell) -> bool:
    return cell.kind in ("s", "inlineStr") and not cell.formula


# --------------------------------------------------------------------------------------------
# A serving database by hand
# --------------------------------------------------------------------------------------------

WORKLIST_ROWS = [
    # finding_id, impact_rank, evidence, first_seen_at, waived_until, impact_value, days_open,
    # last_seen_tz, big_id
    ("f1", 1, "=cmd()", dt.datetime(2026, 3, 1, 6, 30), dt.date(2026, 12, 31), 1234.5, 3,
     dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), 12345678901234567),
    ("f2", 2, "+1", dt.datetime(2026, 3, 2), None, 0.25, 0, None, 7),
    ("f3", 3, "-2", None, dt.date(1850, 1, 1), None, None, None, None),
    ("f4", 4, "@x", dt.datetime(2026, 3, 4), None, float("nan"), 10, None, None),
    ("f5", 5, None, None, None, None, None, None, None),
    ("f6", 6, '=HYPERLINK("http://evil","x")', None, None, 1.0, 1, None, None),
    ("f7", 7, LONG_TEXT, None, None, 2.0, 2, None, None),
]


def build_serving_db(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("set timezone = 'UTC'")
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_master_data_exceptions (finding_id varchar, "
            "impact_rank integer, evidence varchar, first_seen_at timestamp, "
            "waived_until date, impact_value double, days_open integer, "
            "last_seen_tz timestamptz, big_id bigint)"
        )
        # Inserted out of order: the worklist comes out by impact_rank.
        con.executemany("insert into marts.mart_master_data_exceptions values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?)", list(reversed(WORKLIST_ROWS)))
        con.execute(
            "create table marts.proposed_mrp_safety_stocks as select * from (values "
            "('c2', 'P-2', 10.0, 12.5::decimal(18, 3)), ('c1', '=P-1', 5.0, null)) "
            "t(change_id, part_number, current_value, proposed_value)"
        )
        con.execute(
            "create table marts.proposed_erp_purchasing_info_lead_times_and_more as "
            "select 'c' || i as change_id, 'P-' || i as part_number, i as proposed_days, "
            "date '2026-01-01' + i::integer as valid_from from range(25) r(i)"
        )
        con.execute('create table marts."dim parts" as select range as id from range(1000)')
    return path


@pytest.fixture
def serving_db(tmp_path: Path) -> Path:
    return build_serving_db(tmp_path / "warehouse" / "planning.duckdb")


@pytest.fixture
def exported(serving_db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "exports"
    export_for_planners(serving_db, out)
    return out


# --------------------------------------------------------------------------------------------
# The worklist
# --------------------------------------------------------------------------------------------


def test_worklist_is_one_sheet_with_a_frozen_filtered_header(exported):
    book = Xlsx(exported / WORKLIST_FILE)
    assert list(book.sheets()) == ["worklist"]
    xml = book.xml("worklist")
    pane = xml.find("m:sheetViews/m:sheetView/m:pane", NS)
    assert pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"
    assert pane.get("xSplit") is None
    header, rows = book.table("worklist")
    assert header[:3] == ["finding_id", "impact_rank", "evidence"]
    assert xml.find("m:autoFilter", NS).get("ref") == f"A1:I{len(rows) + 1}"
    assert [r["finding_id"].value for r in rows] == [r[0] for r in WORKLIST_ROWS]


def test_no_cell_is_a_formula_and_formula_like_text_stays_text(exported):
    book = Xlsx(exported / WORKLIST_FILE)
    assert "<f>" not in book.raw("worklist") and "<f " not in book.raw("worklist")
    _, rows = book.table("worklist")
    evidence = {r["finding_id"].value: r.get("evidence") for r in rows}
    for finding_id, _, text, *_ in WORKLIST_ROWS:
        if text is None:
            assert evidence[finding_id] is None  # NULL: an empty cell
            continue
        cell = evidence[finding_id]
        assert is_text(cell), (finding_id, cell)
        assert cell.value == text
    assert {r[2] for r in WORKLIST_ROWS} >= set(DANGEROUS)


def test_dates_and_timestamps_are_excel_dates_numbers_are_numbers(exported):
    book = Xlsx(exported / WORKLIST_FILE)
    _, rows = book.table("worklist")
    first = rows[0]
    seen = first["first_seen_at"]
    assert seen.kind is None and not seen.formula
    # Excel's serial: days since 1899-12-30, the time of day as a fraction.
    assert float(seen.value) == pytest.approx(
        (dt.datetime(2026, 3, 1, 6, 30) - dt.datetime(1899, 12, 30)).total_seconds() / 86400)
    assert "yy" in book.formats[seen.style] and "hh:mm" in book.formats[seen.style]
    until = first["waived_until"]
    assert until.kind is None and float(until.value) == (dt.date(2026, 12, 31)
                                                         - dt.date(1899, 12, 30)).days
    assert book.formats[until.style] == "yyyy-mm-dd"
    # A timestamp with a time zone: in UTC.
    tz = first["last_seen_tz"]
    assert float(tz.value) == pytest.approx(
        (dt.datetime(2026, 3, 2, 8) - dt.datetime(1899, 12, 30)).total_seconds() / 86400)
    assert first["impact_value"].kind is None and float(first["impact_value"].value) == 1234.5
    assert first["impact_rank"].kind is None and first["impact_rank"].value == "1"
    # 17 digits would lose the last two in Excel: text. A date Excel cannot hold: ISO text.
    assert is_text(first["big_id"]) and first["big_id"].value == "12345678901234567"
    assert rows[1]["big_id"].kind is None and rows[1]["big_id"].value == "7"
    assert is_text(rows[2]["waived_until"]) and rows[2]["waived_until"].value == "1850-01-01"
    assert is_text(rows[3]["impact_value"]) and rows[3]["impact_value"].value == "nan"
    # NULLs are empty cells.
    assert "first_seen_at" not in rows[4] and "impact_value" not in rows[4]


def test_column_widths_fit_the_content_capped(exported):
    xml = Xlsx(exported / WORKLIST_FILE).xml("worklist")
    widths = {i: float(c.get("width")) for c in xml.iterfind("m:cols/m:col", NS)
              for i in range(int(c.get("min")), int(c.get("max")) + 1)}
    assert sorted(widths) == list(range(1, 10))
    assert MAX_COLUMN_WIDTH <= widths[3] < MAX_COLUMN_WIDTH + 1  # evidence: 200 chars, capped
    assert widths[1] < 15  # finding_id: the header's length decides
    assert widths[4] >= len("yyyy-mm-dd hh:mm:ss")


# --------------------------------------------------------------------------------------------
# Change sets and Parquet
# --------------------------------------------------------------------------------------------


def test_one_sheet_per_change_set_named_after_its_target(exported):
    book = Xlsx(exported / CHANGE_SETS_FILE)
    names = list(book.sheets())
    assert names == ["erp_purchasing_info_lead_times_", "mrp_safety_stocks"]
    assert all(len(n) <= SHEET_NAME_MAX for n in names)
    header, rows = book.table("mrp_safety_stocks")
    assert header == ["change_id", "part_number", "current_value", "proposed_value"]
    assert [r["change_id"].value for r in rows] == ["c1", "c2"]  # ordered by change_id
    assert is_text(rows[0]["part_number"]) and rows[0]["part_number"].value == "=P-1"
    assert "proposed_value" not in rows[0]
    assert float(rows[1]["proposed_value"].value) == 12.5
    _, long_rows = book.table("erp_purchasing_info_lead_times_")
    assert len(long_rows) == 25
    assert book.formats[long_rows[0]["valid_from"].style] == "yyyy-mm-dd"
    for sheet in names:
        assert "<f>" not in book.raw(sheet)


def test_every_mart_is_a_parquet_file_with_all_its_rows(exported, serving_db):
    files = sorted(p.name for p in (exported / PARQUET_DIR).iterdir())
    with duckdb.connect(str(serving_db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
        assert files == sorted(f"{t}.parquet" for t in tables)
        for table in tables:
            expected = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
            path = exported / PARQUET_DIR / f"{table}.parquet"
            got = parquet_rows(path)
            assert got == expected, table
    with duckdb.connect() as con:
        path = exported / PARQUET_DIR / "mart_master_data_exceptions.parquet"
        assert con.execute(f"select evidence from read_parquet('{path}') where finding_id = 'f1'"
                           ).fetchone()[0] == "=cmd()"


def test_a_mart_that_is_gone_loses_its_parquet_file_other_files_stay(exported, serving_db):
    folder = exported / PARQUET_DIR
    (folder / "notes.txt").write_text("mine")
    with duckdb.connect(str(serving_db)) as con:
        con.execute('drop table marts."dim parts"')
    export_for_planners(serving_db, exported, parts=("parquet",))
    assert not (folder / "dim parts.parquet").exists()
    assert (folder / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------------
# Row cap, atomic writes
# --------------------------------------------------------------------------------------------


def test_a_sheet_longer_than_the_cap_is_cut_with_a_note_row(serving_db, tmp_path, caplog):
    written = export_for_planners(serving_db, tmp_path, parts=("change-sets",), max_rows=10)
    sheet = next(s for s in written[0].sheets if s.sheet.startswith("erp"))
    assert (sheet.rows, sheet.total, sheet.truncated) == (9, 25, True)
    assert "cut at Excel's row limit: 9 of 25 rows" in written[0].line()
    assert "cut at Excel's row limit" in caplog.text
    book = Xlsx(tmp_path / CHANGE_SETS_FILE)
    cells = book.cells(sheet.sheet)
    assert max(r for r, _ in cells) == 10  # header, 9 rows, the note
    note = cells[10, 0].value
    assert is_text(cells[10, 0]) and "9 of 25 rows shown, 16 left out" in note
    assert f"{PARQUET_DIR}/proposed_erp_purchasing_info_lead_times_and_more.parquet" in note
    assert book.xml(sheet.sheet).find("m:autoFilter", NS).get("ref").endswith("10")
    other = next(s for s in written[0].sheets if s.sheet == "mrp_safety_stocks")
    assert not other.truncated


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(
        exported, serving_db, monkeypatch):
    before = (exported / WORKLIST_FILE).read_bytes()

    def half_written(con, path, sources, max_rows):
        Path(path).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(planner, "write_workbook", half_written)
    with pytest.raises(OSError, match="disk full"):
        export_for_planners(serving_db, exported, parts=("worklist",))
    assert (exported / WORKLIST_FILE).read_bytes() == before
    assert not list(exported.glob(".writing-*"))


def test_the_serving_database_is_only_read(serving_db, tmp_path):
    before = serving_db.read_bytes()
    export_for_planners(serving_db, tmp_path / "a")
    assert serving_db.read_bytes() == before
    assert not list((tmp_path / "a").rglob(".writing-*"))


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@pytest.fixture
def home(monkeypatch, tmp_path) -> Settings:
    return point_settings_at(monkeypatch, tmp_path)


def test_command_without_a_serving_database_says_so_and_exits_2(home, capsys):
    assert main(["export"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (f"plansignal export: no serving database at {home.serving_db}: "
                           "run `plansignal run` first")
    assert not home.planner_exports_dir.exists()


def test_command_prints_one_line_per_file(home, capsys):
    build_serving_db(home.serving_db)
    assert home.planner_exports_dir == home.data_dir / "exports"
    assert main(["export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    out = home.planner_exports_dir
    assert lines[0] == f"{out / WORKLIST_FILE}: {len(WORKLIST_ROWS)} row(s) in 1 sheet(s)"
    assert lines[1] == f"{out / CHANGE_SETS_FILE}: 27 row(s) in 2 sheet(s)"
    assert f"{out / PARQUET_DIR / 'dim parts.parquet'}: 1,000 row(s)" in lines
    assert len(lines) == 2 + 4
    # The proposed-changes CSV folder of the publish step is another folder.
    assert home.exports_dir != out


def test_command_only_one_part(home, capsys, monkeypatch, tmp_path):
    build_serving_db(home.serving_db)
    monkeypatch.setenv("PLANSIGNAL_EXPORTS_DIR", str(tmp_path / "elsewhere"))
    assert main(["export", "--only", "parquet"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == [PARQUET_DIR]


def test_command_names_a_missing_worklist(home, capsys):
    home.serving_db.parent.mkdir(parents=True)
    with duckdb.connect(str(home.serving_db)) as con:
        con.execute("create schema marts")
    assert main(["export", "--only", "worklist"]) == 2
    assert "no marts.mart_master_data_exceptions" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Sheet names, arbitrary text
# --------------------------------------------------------------------------------------------


def test_sheet_names_are_valid_and_unique():
    names = sheet_names(["a" * 40, "A" * 40, "x[1]:y*?/\\z", "History", "'quoted'", "", "a" * 31])
    assert names[0] == "a" * 31 and names[1] == "A" * 29 + "~2"
    assert names[2] == "x_1__y____z" and names[3] == "History_" and names[4] == "quoted"
    assert names[5] == "sheet" and names[6] == "a" * 29 + "~3"
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= SHEET_NAME_MAX for n in names)


@hyp_settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60) | st.sampled_from(DANGEROUS).map(lambda s: s + "x"))
def test_any_text_is_written_as_that_text_never_a_formula(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "t.xlsx"
    with duckdb.connect() as con:
        con.execute("create table t as select ?::varchar as v", [text])
        write_workbook(con, path, [SheetSource("t", "select v from t")])
    book = Xlsx(path)
    cell = book.cells("t")[1, 0]
    assert is_text(cell) and cell.value == text
    assert "<f>" not in book.raw("t")


# --------------------------------------------------------------------------------------------
# The real serving database of the session's demo run
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (settings, report):
        assert report.exit_code == 0, report.step_failures + report.blocking_failures
        yield settings


def test_the_demo_run_exports_every_mart(published, tmp_path):
    out = tmp_path / "exports"  # not the shared home's folder
    written = {w.path: w for w in export_for_planners(published.serving_db, out)}
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
        counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0]
                  for t in tables}
    assert "mart_master_data_exceptions" in counts
    proposed = [t for t in tables if t.startswith("proposed_")]
    assert len(proposed) >= 2
    for table, expected in counts.items():
        path = out / PARQUET_DIR / f"{table}.parquet"
        assert written[path].rows == expected, table
        got = parquet_rows(path)
        assert got == expected, table
    worklist = written[out / WORKLIST_FILE]
    assert worklist.rows == counts["mart_master_data_exceptions"] > 0
    _, rows = Xlsx(out / WORKLIST_FILE).table("worklist")
    assert len(rows) == worklist.rows
    assert [int(r["impact_rank"].value) for r in rows] == sorted(
        int(r["impact_rank"].value) for r in rows)
    change_sets = written[out / CHANGE_SETS_FILE]
    assert [s.sheet for s in change_sets.sheets] == [t.removeprefix("proposed_")[:31]
                                                      for t in proposed]
    assert [s.rows for s in change_sets.sheets] == [counts[t] for t in proposed]
    book = Xlsx(out / CHANGE_SETS_FILE)
    assert list(book.sheets()) == [s.sheet for s in change_sets.sheets]
    for sheet in book.sheets():
        assert "<f>" not in book.raw(sheet)
