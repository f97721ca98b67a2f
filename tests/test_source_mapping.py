"""Source mappings: foreign ERP extracts onto the landing contract by configuration.

The SAP example (data/samples/sap + data/mappings/sap_ecc.yml) is mapped and every produced
file is loaded by the real ingestion code; each kind of mapping mistake gives its one-line
error; the USAID mapping runs on the real file when ../shared/realdata is present.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.contracts import suites as contracts
from dagster_project.ingest.extracts import (
    discover_extracts,
    ensure_raw_schema,
    ingest_landing,
    next_load_time,
    pending_extracts,
    stage_extract,
)
from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.cli import main
from dagster_project.mapping.config import find_mapping, load_mapping
from dagster_project.mapping.errors import MappingError
from dagster_project.mapping.sql import date_sql, number_sql

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "data" / "mappings"
SAP_SAMPLE = REPO / "data" / "samples" / "sap"
EXPECTATIONS = REPO / "expectations"
REALDATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
SCMS_FILE = REALDATA_DIR / "usaid_scms" / "SCMS_Delivery_History_Dataset.csv"
SAP_DATE = date(2024, 4, 30)

SAP_ROWS = {
    "erp_items": 7,
    "erp_suppliers": 5,
    "erp_purchasing_info": 6,  # 7 info records, one flagged for deletion
    "erp_purchase_order_lines": 10,
    "erp_goods_receipts": 12,  # 14 EKBE rows, 2 invoice receipts
    "erp_inventory": 7,  # 8 storage locations summed per plant
    "mrp_parameters": 8,
}


def ingest_all(landing: Path) -> duckdb.DuckDBPyConnection:
    """Load every landing file exactly as the pipeline does (stage, then merge)."""
    con = duckdb.connect()
    ingest_landing(con, landing)
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


@pytest.fixture(scope="module")
def sap_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    landing = tmp_path_factory.mktemp("sap") / "landing"
    report = apply_mapping(load_mapping(MAPPINGS / "sap_ecc.yml"), SAP_SAMPLE, landing,
                           extract_date=SAP_DATE)
    return landing, report


@pytest.fixture(scope="module")
def sap_raw(sap_landing: tuple[Path, object]) -> duckdb.DuckDBPyConnection:
    con = ingest_all(sap_landing[0])
    yield con
    con.close()


# --- the SAP worked example ---------------------------------------------------------------


def test_sap_report_and_file_names(sap_landing):
    landing, report = sap_landing
    assert report.rows() == SAP_ROWS
    for table in SAP_ROWS:
        assert (landing / table / f"{table}__sap_ecc__2024-04-30.csv").is_file()
    assert not list(landing.rglob(".*"))  # no temporary files left behind
    steps = {t.table: t.steps for t in report.tables}
    assert "2 row(s) dropped by where: VGABE = '1'" in steps["erp_goods_receipts"]
    assert any("aggregated into 7" in s for s in steps["erp_inventory"])
    assert all(not t.warnings for t in report.tables)


def test_sap_files_load_through_ingestion(sap_raw):
    for table, rows in SAP_ROWS.items():
        assert one(sap_raw, f"select count(*) from raw.{table}")[0] == rows, table
    logged = one(sap_raw, "select count(*) from raw._load_log")[0]
    assert logged == len(SAP_ROWS)


def test_sap_movement_types_and_reversal_link(sap_raw):
    counts = dict(sap_raw.execute(
        "select movement_type, count(*) from raw.erp_goods_receipts group by 1").fetchall())
    assert counts == {"RECEIPT": 10, "REVERSAL": 1, "RETURN": 1}
    reversal = one(sap_raw, "select receipt_id, reverses_receipt_id, quantity, receipt_date "
                            "from raw.erp_goods_receipts where movement_type = 'REVERSAL'")
    assert reversal == ("2024-5000000009-0001", "2024-5000000008-0001", 3000.0,
                        date(2024, 3, 18))  # EKBE BUDAT 20240318, yyyymmdd
    assert one(sap_raw, "select reverses_receipt_id from raw.erp_goods_receipts "
                        "where movement_type = 'RETURN'")[0] is None


def test_sap_dates_decimal_comma_and_joins(sap_raw):
    line = one(sap_raw, "select supplier_id, order_date, requested_date, promised_date, "
                        "order_qty, uom, line_status, updated_at from raw.erp_purchase_order_lines "
                        "where po_number = '4500000101' and po_line = 10")
    assert line == ("0000100001", date(2024, 1, 8), date(2024, 1, 22), date(2024, 1, 24),
                    5000.0, "EA", "CLOSED", datetime(2024, 1, 25))  # '5.000' ST, dd.mm.yyyy
    statuses = dict(sap_raw.execute(
        "select po_number || '/' || po_line, line_status from raw.erp_purchase_order_lines "
        "where line_status <> 'CLOSED'").fetchall())
    assert statuses == {"4500000103/20": "OPEN", "4500000105/20": "CANCELLED",
                        "4500000106/10": "OPEN"}
    assert one(sap_raw, "select on_hand_qty from raw.erp_inventory where part_number = '100400'"
               )[0] == 2340.5  # '2.340,5'
    assert one(sap_raw, "select on_hand_qty, snapshot_date from raw.erp_inventory "
                        "where part_number = '100100' and plant = '1000'") == (1550.0, SAP_DATE)
    info = one(sap_raw, "select unit_price, min_order_qty, order_multiple, preferred, "
                        "planned_lead_time_days from raw.erp_purchasing_info "
                        "where part_number = '100100' and supplier_id = '0000100001'")
    assert info == (0.125, 1000.0, 500.0, True, 10)  # 12,50 EUR per 100; MARC-BSTRF 500
    mrp = dict(sap_raw.execute("select part_number || '@' || plant, lot_size_policy "
                               "from raw.mrp_parameters").fetchall())
    assert mrp["100100@1100"] == "MIN_MAX" and mrp["100200@1000"] == "FIXED"
    assert mrp["100400@1000"] == "PERIODIC"
    assert one(sap_raw, "select safety_stock_qty, last_changed_date from raw.mrp_parameters "
                        "where part_number = '100400'") == (1500.5, date(2021, 1, 15))


def test_sap_items_suppliers_encodings(sap_raw):
    items = {r[0]: r[1:] for r in sap_raw.execute(
        "select part_number, description, procurement_type, status, uom from raw.erp_items"
    ).fetchall()}
    assert items["100200"] == ("Sealing ring Ø 20 mm", "BUY", "ACTIVE", "EA")  # latin-1 MAKT
    assert items["200100"][1] == "MAKE"
    assert items["100500"][2] == "OBSOLETE" and items["100600"][2] == "BLOCKED"
    assert items["100400"][3] == "KG"  # unmapped unit kept
    suppliers = dict(sap_raw.execute(
        "select supplier_id, supplier_name from raw.erp_suppliers").fetchall())
    assert suppliers["0000100001"] == "Schrauben Müller GmbH"  # UTF-8 with BOM
    assert one(sap_raw, "select status from raw.erp_suppliers where supplier_id = '0000100005'"
               )[0] == "BLOCKED"


def test_sap_receipts_pass_raw_contract(sap_landing):
    """Mapped output must pass the raw contracts (only suites that exist are run)."""
    con = duckdb.connect()
    ensure_raw_schema(con)
    for table, paths in discover_extracts(sap_landing[0]).items():
        suite = EXPECTATIONS / f"raw__{table}.json"
        for extract in pending_extracts(con, table, paths)[0]:
            stage_extract(con, extract, next_load_time(con))
            if suite.is_file():
                outcome = contracts.validate_table(con, f"incoming.{table}", suite)
                assert not outcome.error_failures, outcome.summary_line()


def test_check_mode_writes_nothing(tmp_path):
    report = apply_mapping(load_mapping(MAPPINGS / "sap_ecc.yml"), SAP_SAMPLE,
                           tmp_path / "landing", extract_date=SAP_DATE, write=False)
    assert report.rows() == SAP_ROWS
    assert not (tmp_path / "landing").exists()


def test_cli_maps_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PLANSIGNAL_DATA_DIR", str(REPO / "data"))
    landing = tmp_path / "landing"
    code = main(["--mapping", "sap_ecc", "--input", str(SAP_SAMPLE), "--landing", str(landing),
                 "--extract-date", "2024-04-30", "--tag", "wk18"])
    assert code == 0
    assert (landing / "erp_items" / "erp_items__sap_ecc__wk18.csv").is_file()
    assert "erp_goods_receipts" in capsys.readouterr().out


def test_cli_error_is_one_line(tmp_path, capsys):
    code = main(["--mapping", str(tmp_path / "nope.yml"), "--input", str(SAP_SAMPLE),
                 "--landing", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err and "nope.yml" in err


def test_find_mapping_in_folder(tmp_path):
    (tmp_path / "odoo.yaml").write_text("tables: {}\n")
    assert find_mapping("odoo", tmp_path) == tmp_path / "odoo.yaml"
    with pytest.raises(MappingError, match="mappings there: odoo"):
        find_mapping("sap", tmp_path)


# --- mistakes: one clear line each --------------------------------------------------------

SAP_YAML = (MAPPINGS / "sap_ecc.yml").read_text(encoding="utf-8")


def edit_file(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / name
        data = path.read_bytes()
        assert old.encode() in data, f"{old!r} not in {name}"
        path.write_bytes(data.replace(old.encode(), new.encode(), 1))
    return edit


def yaml_edit(old: str, new: str) -> str:
    assert old in SAP_YAML, old
    return SAP_YAML.replace(old, new, 1)


MISTAKES = [
    pytest.param(
        yaml_edit("  erp_suppliers:\n", "  erp_supplier:\n"), None,
        ["tables.erp_supplier", "unknown landing table", "did you mean 'erp_suppliers'"],
        id="unknown-landing-table"),
    pytest.param(
        yaml_edit("      supplier_name: NAME1", "      supplier_nam: NAME1"), None,
        ["erp_suppliers.columns.supplier_nam", "unknown landing column"],
        id="unknown-landing-column"),
    pytest.param(
        yaml_edit("      supplier_name: NAME1", "      supplier_name: NAME2"), None,
        ["erp_suppliers.columns.supplier_name.from", "unknown source column 'NAME2'",
         "did you mean 'NAME1'", "LFA1.csv"],
        id="unknown-source-column"),
    pytest.param(
        yaml_edit("coalesce(LAEDA, ERSDA)", "coalesce(LAEDAT, ERSDA)"), None,
        ["erp_items.columns.updated_at.expr", "unknown source column 'LAEDAT'"],
        id="unknown-source-column-in-expr"),
    pytest.param(
        yaml_edit("on: [MATNR, WERKS]", "on: [MATNR, WERKZ]"), None,
        ["erp_purchasing_info.join[MARC].on", "unknown source column 'WERKZ'"],
        id="unknown-join-column"),
    pytest.param(
        yaml_edit("      supplier_name: NAME1\n", ""), None,
        ["erp_suppliers.columns", "required landing column(s) not mapped: supplier_name"],
        id="missing-required-column"),
    pytest.param(
        SAP_YAML, edit_file("EKKO.csv", "15.01.2024;15.01.2024", "2024-01-15;15.01.2024"),
        ["erp_purchase_order_lines.columns.order_date", "'2024-01-15'", "EKKO.csv line 3",
         "date_formats ['%d.%m.%Y']"],
        id="date-not-parsing"),
    pytest.param(
        SAP_YAML, edit_file("EKBE.txt", "20240219", "19.02.2024"),
        ["erp_goods_receipts.columns.receipt_date", "'19.02.2024'", "EKBE.txt line 4",
         "['%Y%m%d']"],
        id="date-not-parsing-headerless-file"),
    pytest.param(
        SAP_YAML, edit_file("EKBE.txt", "\t122\t", "\t161\t"),
        ["erp_goods_receipts.columns.movement_type.map", "value '161' has no mapping",
         "1 row(s)", "EKBE.txt line 14"],
        id="unmapped-value"),
    pytest.param(
        SAP_YAML, edit_file("EKPO.csv", ";2.500;KG", ";2,500.0;KG"),
        ["erp_purchase_order_lines.columns.order_qty", "'2,500.0'", "EKPO.csv line 7",
         "not a number with decimal ','"],
        id="number-in-wrong-notation"),
    pytest.param(
        yaml_edit("      on: [MATNR]\n      where", "      on: [MATNR\n      where"), None,
        ["bad YAML", "line "],
        id="bad-yaml"),
    pytest.param(
        yaml_edit("read: {encoding: latin-1}", "read: {encoding: utf-8}"), None,
        ["erp_items.join[MAKT]", "MAKT.csv", "not utf-8 encoded", "encoding"],
        id="wrong-encoding"),
    pytest.param(
        yaml_edit("files: MARD*.csv", "files: MARDX*.csv"), None,
        ["tables.erp_inventory.files", "no input file matches MARDX*.csv"],
        id="no-input-file"),
    pytest.param(
        yaml_edit("    aggregate: {on_hand_qty: sum}", "    # no aggregate"), None,
        ["erp_inventory.columns", "occur more than once", "2024-04-30/100100/1000"],
        id="duplicate-key"),
    pytest.param(
        yaml_edit("        where: \"ETENR = '0001'\"", "        # all schedule lines"), None,
        ["erp_purchase_order_lines.join[EKET]", "occur more than once in EKET.csv",
         "4500000104/00010"],
        id="join-matches-several-rows"),
    pytest.param(
        yaml_edit("        how: inner", "        hwo: inner"), None,
        ["join[0].hwo", "unknown setting", "did you mean 'how'"],
        id="misspelt-setting"),
    pytest.param(
        yaml_edit("coalesce(LAEDA, ERSDA)", "coalesce(LAEDA, ERSDA"), None,
        ["erp_items.columns.updated_at.expr", "not valid SQL"],
        id="bad-sql"),
    pytest.param(
        SAP_YAML, edit_file("LFA1.csv", "Nordic Seals AB;SE;Göteborg;;;", "Nordic Seals AB;SE;;;"),
        ["tables.erp_suppliers", "cannot read", "LFA1.csv: line 3",
         "Expected Number of Columns"],
        id="malformed-input-line"),
    pytest.param(
        yaml_edit("      supplier_name: NAME1", "      supplier_name: {expr: 'NAME1::int'}"),
        None,
        ["erp_suppliers.columns: cannot compute the columns", "Conversion Error"],
        id="sql-error-at-run-time"),
    pytest.param(
        yaml_edit('date_formats: ["%d.%m.%Y"]', 'date_formats: ["dd.mm.yyyy"]'), None,
        ["defaults.date_formats", "not a strptime format"],
        id="bad-date-format"),
]


@pytest.mark.parametrize(("mapping_text", "edit_input", "expected"), MISTAKES)
def test_mapping_mistakes_give_one_clear_line(tmp_path, mapping_text, edit_input, expected):
    mapping_path = tmp_path / "my_sap.yml"
    mapping_path.write_text(mapping_text, encoding="utf-8")
    inputs = tmp_path / "in"
    shutil.copytree(SAP_SAMPLE, inputs)
    if edit_input is not None:
        edit_input(inputs)
    landing = tmp_path / "landing"
    with pytest.raises(MappingError) as caught:
        apply_mapping(load_mapping(mapping_path), inputs, landing, extract_date=SAP_DATE)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(mapping_path))
    for fragment in expected:
        assert fragment in message, message
    assert not landing.exists()  # nothing written when any table fails


def test_yaml_keeps_codes_as_written(tmp_path):
    """on:, 0101 and dates stay text (plain YAML 1.1 would give True, 65 and a date)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "moves.csv").write_text(
        "id,doc,item,type,day,qty\nR1,D1,0010,0101,2024-01-31,5\nR2,D1,0010,0102,2024-02-01,5\n")
    (tmp_path / "m.yml").write_text(
        "source: tiny\n"
        "tables:\n"
        "  erp_goods_receipts:\n"
        "    files: moves.csv\n"
        "    join: {file: moves.csv, alias: other, on: [doc, item], how: left,\n"
        "           where: \"type = '0101'\"}\n"
        "    columns:\n"
        "      receipt_id: id\n"
        "      po_number: doc\n"
        "      po_line: item\n"
        "      part_number: {constant: 0042}\n"
        "      receipt_date: day\n"
        "      quantity: qty\n"
        "      uom: {constant: EA}\n"
        "      movement_type: {from: type, map: {0101: RECEIPT, 0102: REVERSAL}}\n"
        "      reverses_receipt_id: {expr: \"case when type = '0102' then \\\"other.id\\\" end\"}\n"
    )
    report = apply_mapping(load_mapping(tmp_path / "m.yml"), tmp_path / "in",
                           tmp_path / "landing", tag="t")
    assert report.rows() == {"erp_goods_receipts": 2}
    con = ingest_all(tmp_path / "landing")
    rows = con.execute("select receipt_id, part_number, po_line, movement_type, "
                       "reverses_receipt_id from raw.erp_goods_receipts order by 1").fetchall()
    assert rows == [("R1", "0042", 10, "RECEIPT", None), ("R2", "0042", 10, "REVERSAL", "R1")]


def test_unmapped_default_and_null_token(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "v.csv").write_text(
        "id|name|land|flag\n1|A|de|\n2|B|n/a|X\n3|C|fr|Z\n", encoding="latin-1")
    (tmp_path / "m.yml").write_text(
        "tables:\n"
        "  erp_suppliers:\n"
        "    files: v.csv\n"
        "    read: {delimiter: '|', encoding: latin-1, null_values: [n/a]}\n"
        "    columns:\n"
        "      supplier_id: id\n"
        "      supplier_name: name\n"
        "      country: {expr: upper(land)}\n"
        "      status: {from: flag, map: {X: BLOCKED, '': ACTIVE}, default: ACTIVE}\n"
    )
    report = apply_mapping(load_mapping(tmp_path / "m.yml"), tmp_path / "in",
                           tmp_path / "landing", tag="t")
    table = report.tables[0]
    assert table.rows_written == 3
    assert table.warnings == ["1 row(s) have no country, which the contract requires: the raw "
                              "contract will refuse this extract"]
    out = (tmp_path / "landing" / "erp_suppliers" / "erp_suppliers__m__t.csv").read_text()
    assert out.splitlines()[1:] == ["1,A,DE,ACTIVE", "2,B,,BLOCKED", "3,C,FR,ACTIVE"]


# --- parsing helpers: property tests ------------------------------------------------------

_CON = duckdb.connect()


def _eval(sql: str) -> object:
    return _CON.execute(f"select {sql}").fetchall()[0][0]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def format_number(value: Decimal, decimal: str, thousands: str | None, sap_sign: bool) -> str:
    sign = "-" if value < 0 else ""
    integer, _, fraction = f"{abs(value):f}".partition(".")
    if thousands:
        groups = []
        while len(integer) > 3:
            groups.insert(0, integer[-3:])
            integer = integer[:-3]
        integer = thousands.join([integer, *groups])
    text = integer + (decimal + fraction if fraction else "")
    return text + sign if sap_sign else sign + text


NOTATIONS = st.sampled_from([(".", None), (".", ","), (",", None), (",", "."), (",", " "),
                             (".", "'")])


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False),
       notation=NOTATIONS, sap_sign=st.booleans())
def test_number_sql_reads_every_notation(value, notation, sap_sign):
    decimal, thousands = notation
    text = format_number(value, decimal, thousands, sap_sign)
    assert _eval(number_sql(_literal(text), decimal, thousands)) == pytest.approx(float(value))


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False),
       written=NOTATIONS, read=NOTATIONS)
def test_number_sql_never_misreads_another_notation(value, written, read):
    """Read with the wrong notation, a number is refused (NULL) or still the same value.

    Holds for numbers written with their decimals ('1,234.00'); a bare '1,234' is ambiguous
    by nature (1234 or 1.234), which is why the notation is stated in the mapping.
    """
    value = value.quantize(Decimal("0.01"))
    text = format_number(value, *written, sap_sign=False)
    assert (written[0] + str(value)[-2:]) in text
    parsed = _eval(number_sql(_literal(text), *read))
    assert parsed is None or parsed == pytest.approx(float(value)), (text, read)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATE_STYLES = {
    "%d.%m.%Y": lambda d: d.strftime("%d.%m.%Y"),
    "%Y%m%d": lambda d: d.strftime("%Y%m%d"),
    "%Y-%m-%d": lambda d: d.isoformat(),
    # SCMS style, without zero padding: 1/2/13 and 2-Jun-06
    "%m/%d/%y": lambda d: f"{d.month}/{d.day}/{d:%y}",
    "%d-%b-%y": lambda d: f"{d.day}-{MONTHS[d.month - 1]}-{d:%y}",
}


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
       style=st.sampled_from(sorted(DATE_STYLES)))
def test_date_sql_reads_listed_formats(day, style):
    text = DATE_STYLES[style](day)
    formats = ["%m/%d/%y", "%d-%b-%y"] if style in ("%m/%d/%y", "%d-%b-%y") else [style]
    parsed = _eval(date_sql(_literal(text), formats))
    assert parsed == datetime(day.year, day.month, day.day)
    if style == "%d.%m.%Y" and day.day > 12:  # day and month cannot be swapped silently
        assert _eval(date_sql(_literal(text), ["%m.%d.%Y"])) is None


# --- the real USAID SCMS file -------------------------------------------------------------


@pytest.mark.realdata
def test_usaid_scms_maps_real_file(tmp_path):
    if not SCMS_FILE.is_file():
        pytest.skip(f"real data not available: {SCMS_FILE}")
    landing = tmp_path / "landing"
    report = apply_mapping(load_mapping(MAPPINGS / "usaid_scms.yml"), SCMS_FILE.parent, landing,
                           tag="2015-09-30")
    assert report.rows() == {
        "erp_items": 184,
        "erp_suppliers": 72,
        "erp_purchase_order_lines": 4592,  # 10,324 - 5,404 from RDC - 328 no PO sent date
        "erp_goods_receipts": 4592,
        "erp_purchasing_info": 374,  # one per part (item description) and vendor of those lines
    }
    steps = {t.table: t.steps for t in report.tables}
    assert steps["erp_purchase_order_lines"] == [
        "5404 row(s) dropped by where: \"Fulfill Via\" = 'Direct Drop'",
        "328 row(s) dropped by where: \"PO Sent to Vendor Date\" is not null",
    ]
    assert all(not t.warnings for t in report.tables)

    con = ingest_all(landing)
    assert one(con, "select count(*) from raw.erp_purchase_order_lines")[0] == 4592
    # ID 3 (SCMS-13): PO sent "Date Not Captured", so dropped; ID 1245 (SCMS-1) kept:
    # PO sent 4/19/06 (m/d/yy), scheduled and delivered 27-Jun-06 (d-Mon-yy).
    assert one(con, "select count(*) from raw.erp_purchase_order_lines where po_line = 3")[0] == 0
    line = one(con, "select po_number, order_date, requested_date, promised_date, order_qty "
                    "from raw.erp_purchase_order_lines where po_line = 1245")
    assert line == ("SCMS-1", date(2006, 4, 19), date(2006, 6, 27), date(2006, 6, 27), 147.0)
    receipt = one(con, "select receipt_date, quantity, movement_type from raw.erp_goods_receipts "
                       "where po_line = 1245")
    assert receipt == (date(2006, 6, 27), 147.0, "RECEIPT")
    orphans = one(con, "select count(*) from raw.erp_goods_receipts r anti join "
                       "raw.erp_purchase_order_lines p using (po_number, po_line)")[0]
    assert orphans == 0
    unknown_parts = one(con, "select count(*) from raw.erp_purchase_order_lines p anti join "
                             "raw.erp_items i using (part_number)")[0]
    assert unknown_parts == 0
    first, last = one(con, "select min(order_date), max(receipt_date) from "
                           "raw.erp_purchase_order_lines join raw.erp_goods_receipts "
                           "using (po_number, po_line)")
    assert first >= date(2006, 1, 1) and last <= date(2016, 1, 1) and last - first > timedelta(0)
