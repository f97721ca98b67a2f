"""The demo generator keeps the raw landing contract and its ground truth matches the data.

Small scales only (0.02-0.03: a few thousand receipts), one shared extract per module.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.landing_contract import LANDING_TABLES
from tooling import demo_data

SCALE = 0.03
SEED = 42
AS_OF = date(2026, 10, 31)
FILE_NAME = re.compile(r"^(?P<table>[a-z_]+)__demo__(?P<date>\d{4}-\d{2}-\d{2})\.(csv|parquet)$")
ISO_COUNTRIES = {
    "AT", "AU", "BE", "BG", "BR", "CA", "CH", "CN", "CZ", "DE", "DK", "ES", "FI", "FR", "GB",
    "GR", "HU", "ID", "IE", "IN", "IT", "JP", "KR", "MX", "MY", "NL", "NO", "PL", "PT", "RO",
    "SE", "SG", "SK", "TH", "TR", "TW", "US", "VN", "ZA",
}


def normalise(value: str) -> str:
    """The design's deterministic normalisation, written independently of the generator."""
    return re.sub(r"[\s\-_./]+", "", value).upper()


def reader(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return (
        f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"', "
        "all_varchar = true, strict_mode = true)"
    )


def table_reader(landing: Path, table: str) -> str:
    """All extracts of a table, typed as the contract says, with the file name."""
    files = sorted((landing / table).iterdir())
    casts = ", ".join(
        f"cast({c.name} as {c.sql_type}) as {c.name}" for c in LANDING_TABLES[table].columns
    )
    parts = [f"select {casts}, '{p.name}' as _file from {reader(p)}" for p in files]
    return "(" + " union all ".join(parts) + ")"


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("demo")
    landing, truth = root / "landing", root / "truth"
    counts = demo_data.generate(SCALE, SEED, landing, truth, progress=False)
    con = duckdb.connect()
    for table in LANDING_TABLES:
        con.execute(f"create view {table} as select * from {table_reader(landing, table)}")
    for name in ("part_identities", "po_lines", "lead_times", "mrp_parameters", "availability",
                 "order_policy", "part_crosswalk"):
        con.execute(
            f"create view truth_{name} as select * from read_csv('{truth / (name + '.csv')}', "
            "header = true)"
        )
    # Latest extract wins, as staging does it.
    con.execute(
        """
        create view po_latest as
        select * exclude (rn) from (
            select *, row_number() over (partition by po_number, po_line order by _file desc) rn
            from erp_purchase_order_lines
        ) where rn = 1
        """
    )
    # Every source spelling resolved to its true part through the truth file.
    con.execute(
        """
        create view ids as
        select distinct source_system, source_part_number, true_part_id from truth_part_identities
        """
    )
    return {"landing": landing, "truth": truth, "counts": counts, "con": con, "root": root}


def _files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------
# Determinism and layout
# ---------------------------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path, extract: dict) -> None:
    again = tmp_path / "again"
    demo_data.generate(SCALE, SEED, again / "landing", again / "truth", progress=False)
    first = _files(extract["root"])
    second = _files(again)
    assert [p.relative_to(extract["root"]) for p in first] == [
        p.relative_to(again) for p in second
    ]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_other_data_same_crosswalk(tmp_path: Path, extract: dict) -> None:
    other = tmp_path / "other"
    demo_data.generate(0.02, 7, other / "landing", other / "truth", progress=False)
    receipts = "erp_goods_receipts/erp_goods_receipts__demo__2025-06-30.csv"
    assert (other / "landing" / receipts).read_bytes() != (
        extract["landing"] / receipts
    ).read_bytes()
    crosswalk = (extract["truth"] / "part_crosswalk.csv").read_text()
    assert (other / "truth" / "part_crosswalk.csv").read_text() == crosswalk
    with (extract["truth"] / "part_crosswalk.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source_system", "source_part_number", "canonical_part_number",
                       "decided_by", "decided_on", "note"]
    assert [r[1] for r in rows[1:]] == [f"LEG-{9001 + i}" for i in range(5)]


def test_every_table_folder_with_contract_columns_in_order(extract: dict) -> None:
    landing = extract["landing"]
    assert sorted(p.name for p in landing.iterdir()) == sorted(LANDING_TABLES)
    for table, contract in LANDING_TABLES.items():
        files = sorted((landing / table).iterdir())
        assert files, table
        for path in files:
            match = FILE_NAME.match(path.name)
            assert match and match["table"] == table, path.name
            assert date.fromisoformat(match["date"]) <= AS_OF
            with path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            assert tuple(header) == contract.column_names, path.name


def test_transactional_tables_come_in_several_extracts(extract: dict) -> None:
    landing = extract["landing"]
    assert len(list((landing / "erp_purchase_order_lines").iterdir())) == 2
    assert len(list((landing / "erp_goods_receipts").iterdir())) >= 4
    assert len(list((landing / "erp_inventory").iterdir())) >= 2
    con = extract["con"]
    restated = con.execute(
        """
        select count(*) from erp_purchase_order_lines a join erp_purchase_order_lines b
          using (po_number, po_line)
        where a._file < b._file and a.line_status = 'OPEN' and b.line_status = 'CLOSED'
          and b.updated_at > a.updated_at
        """
    ).fetchone()[0]
    assert restated > 0


def test_scale_gives_about_100k_receipts_per_unit(extract: dict) -> None:
    receipts = extract["counts"]["erp_goods_receipts"]
    assert 0.8 * SCALE * 100_000 <= receipts <= 1.2 * SCALE * 100_000
    manifest = json.loads((extract["truth"] / "manifest.json").read_text())
    assert manifest["row_counts"] == extract["counts"]
    assert manifest["seed"] == SEED and manifest["as_of"] == "2026-10-31"
    assert sum(manifest["landing_files"].values()) == sum(extract["counts"].values())
    for name in manifest["truth_files"]:
        assert (extract["truth"] / name).is_file()


# ---------------------------------------------------------------------------------------------
# The raw contract
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(LANDING_TABLES))
def test_values_cast_nulls_and_allowed_values(extract: dict, table: str) -> None:
    con = extract["con"]
    contract = LANDING_TABLES[table]
    for path in sorted((extract["landing"] / table).iterdir()):
        source = reader(path)
        for column in contract.columns:
            name = column.name
            bad_cast = con.execute(
                f"select count(*) from {source} where {name} is not null "
                f"and try_cast({name} as {column.sql_type}) is null"
            ).fetchone()[0]
            assert bad_cast == 0, (path.name, name)
            if not column.nullable:
                nulls = con.execute(
                    f"select count(*) from {source} where {name} is null"
                ).fetchone()[0]
                assert nulls == 0, (path.name, name)
            if column.allowed:
                values = {r[0] for r in con.execute(
                    f"select distinct {name} from {source} where {name} is not null"
                ).fetchall()}
                assert values <= set(column.allowed), (path.name, name, values)


@pytest.mark.parametrize("table", list(LANDING_TABLES))
def test_keys_unique_within_each_extract(extract: dict, table: str) -> None:
    key = ", ".join(LANDING_TABLES[table].key)
    duplicates = extract["con"].execute(
        f"select _file, {key}, count(*) from {table} group by all having count(*) > 1"
    ).fetchall()
    assert duplicates == []


def test_no_dates_after_as_of(extract: dict) -> None:
    con = extract["con"]
    for table, contract in LANDING_TABLES.items():
        for column in contract.columns:
            if column.sql_type in ("DATE", "TIMESTAMP"):
                latest = con.execute(f"select max({column.name}) from {table}").fetchone()[0]
                if latest is not None:
                    latest = latest.date() if hasattr(latest, "date") else latest
                    assert latest <= AS_OF, (table, column.name, latest)


def test_receipt_movements(extract: dict) -> None:
    con = extract["con"]
    assert con.execute("select min(quantity) from erp_goods_receipts").fetchone()[0] > 0
    assert con.execute(
        "select count(*) - count(distinct receipt_id) from erp_goods_receipts"
    ).fetchone()[0] == 0
    mismatched = con.execute(
        """
        select count(*) from erp_goods_receipts
        where (movement_type = 'REVERSAL') <> (reverses_receipt_id is not null)
        """
    ).fetchone()[0]
    assert mismatched == 0
    reversals, good = con.execute(
        """
        select count(*), count(r.receipt_id) from erp_goods_receipts v
        left join erp_goods_receipts r
          on r.receipt_id = v.reverses_receipt_id and r.movement_type = 'RECEIPT'
         and r.po_number = v.po_number and r.po_line = v.po_line
         and r.quantity = v.quantity and r.receipt_date <= v.receipt_date
        where v.movement_type = 'REVERSAL'
        """
    ).fetchone()
    assert reversals > 0 and good == reversals
    kinds = {r[0] for r in con.execute(
        "select distinct movement_type from erp_goods_receipts").fetchall()}
    assert kinds == {"RECEIPT", "REVERSAL", "RETURN"}
    orphans = con.execute(
        """
        select count(*) from erp_goods_receipts g
        anti join po_latest l using (po_number, po_line)
        """
    ).fetchone()[0]
    assert orphans == 0


def test_po_line_dates_and_planning_calendar(extract: dict) -> None:
    con = extract["con"]
    assert con.execute(
        """
        select count(*) from erp_purchase_order_lines
        where requested_date < order_date or promised_date < order_date
        """
    ).fetchone()[0] == 0
    assert con.execute(
        "select count(*) from mrp_demand_history where isodow(week_start) <> 1"
    ).fetchone()[0] == 0
    weeks = con.execute(
        "select count(distinct week_start), max(week_start) from mrp_demand_history"
    ).fetchone()
    assert weeks[0] == 104 and weeks[1] < AS_OF
    countries = {r[0] for r in con.execute(
        "select distinct country from erp_suppliers").fetchall()}
    assert countries <= ISO_COUNTRIES
    assert con.execute(
        "select count(*) from erp_suppliers where status = 'BLOCKED'"
    ).fetchone()[0] >= 1
    assert con.execute(
        "select count(*) from erp_suppliers where not regexp_full_match(supplier_id, 'S\\d{4}')"
    ).fetchone()[0] == 0


def test_lot_sizes_match_the_policy(extract: dict) -> None:
    wrong = extract["con"].execute(
        """
        select count(*) from mrp_parameters
        where (fixed_lot_size is not null) <> (lot_size_policy = 'FIXED')
           or (min_lot_size is not null) <> (lot_size_policy = 'MIN_MAX')
        """
    ).fetchone()[0]
    assert wrong == 0


def test_receipts_before_order_date_are_the_injected_ones(extract: dict) -> None:
    con = extract["con"]
    found = set(con.execute(
        """
        select distinct g.po_number, g.po_line from erp_goods_receipts g
        join po_latest l using (po_number, po_line) where g.receipt_date < l.order_date
        """
    ).fetchall())
    expected = set(con.execute(
        """
        select po_number, po_line from truth_po_lines
        where expected_exclusion_reason = 'receipt_before_order_date'
        """
    ).fetchall())
    assert found == expected and 1 <= len(found) <= 0.002 * len(
        con.execute("select * from po_latest").fetchall()) + 2


def test_parquet_extract_has_contract_types(tmp_path: Path) -> None:
    counts = demo_data.generate(0.02, 3, tmp_path / "landing", tmp_path / "truth",
                                file_format="parquet", progress=False)
    demo_data.generate(0.02, 3, tmp_path / "again", tmp_path / "truth2",
                       file_format="parquet", progress=False)
    for path in _files(tmp_path / "landing"):
        twin = tmp_path / "again" / path.relative_to(tmp_path / "landing")
        assert path.read_bytes() == twin.read_bytes(), path.name
    con = duckdb.connect()
    for table, contract in LANDING_TABLES.items():
        rows = 0
        for path in sorted((tmp_path / "landing" / table).iterdir()):
            assert path.suffix == ".parquet"
            described = con.execute(f"describe select * from read_parquet('{path}')").fetchall()
            assert [(r[0], r[1]) for r in described] == [
                (c.name, c.sql_type) for c in contract.columns
            ]
            rows += con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
        assert rows == counts[table] > 0


# ---------------------------------------------------------------------------------------------
# Ground truth against the data
# ---------------------------------------------------------------------------------------------


def test_part_identities_cover_exactly_the_spellings_in_the_data(extract: dict) -> None:
    con = extract["con"]
    for table in LANDING_TABLES:
        if "part_number" not in LANDING_TABLES[table].column_names:
            continue
        in_data = {r[0] for r in con.execute(
            f"select distinct part_number from {table}").fetchall()}
        in_truth = {r[0] for r in con.execute(
            "select source_part_number from truth_part_identities where source_table = ?",
            [table]).fetchall()}
        assert in_data == in_truth, table


def test_part_identity_traps(extract: dict) -> None:
    con = extract["con"]
    rows = con.execute(
        "select distinct source_system, source_part_number, true_part_id, canonical_part_number,"
        " spelling_kind from truth_part_identities"
    ).fetchall()
    by_spelling: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for system, spelling, true_id, canonical, kind in rows:
        assert by_spelling.setdefault(spelling, true_id) == true_id  # one part per spelling
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind in ("canonical", "revision", "variant", "mrp_format"):
            assert normalise(spelling) == normalise(canonical), spelling
        if kind in ("variant", "mrp_format"):
            assert spelling != canonical
        if kind == "fuzzy_duplicate":
            assert normalise(spelling) != normalise(canonical)
        if system == "mrp":
            assert kind in ("mrp_format", "mrp_legacy")
    assert {"canonical", "variant", "revision", "fuzzy_duplicate", "mrp_format",
            "mrp_legacy"} <= set(kinds)
    # Normalisation never merges two true parts (revision suffixes stay apart) ...
    normalised: dict[str, int] = {}
    for _, spelling, true_id, _, kind in rows:
        if kind != "mrp_legacy":
            assert normalised.setdefault(normalise(spelling), true_id) == true_id, spelling
    # ... the revision siblings share a base number but are different parts ...
    revisions = [r for r in rows if r[4] == "revision" and r[0] == "erp"]
    bases: dict[str, set[int]] = {}
    for _, spelling, true_id, _, _ in revisions:
        base = re.sub(r"-(A|B|R2)$", "", spelling)
        bases.setdefault(base, set()).add(true_id)
    assert bases and all(len(true_ids) == 2 for true_ids in bases.values())  # A/B, x/x-R2
    assert any(base in by_spelling for base in bases)  # some PN-x beside its PN-x-R2
    # ... and the legacy MRP numbers are exactly the crosswalk's, for the first five parts.
    legacy = {r[1]: r[3] for r in rows if r[4] == "mrp_legacy"}
    crosswalk = dict(con.execute(
        "select source_part_number, canonical_part_number from truth_part_crosswalk"
    ).fetchall())
    assert legacy == crosswalk
    assert {by_spelling[s] for s in legacy} == {1, 2, 3, 4, 5}
    for table in ("mrp_parameters", "mrp_availability", "mrp_demand_history"):
        seen = {r[0] for r in con.execute(
            f"select distinct part_number from {table} where part_number like 'LEG-%'"
        ).fetchall()}
        assert seen == set(crosswalk), table


def test_item_master_duplicates(extract: dict) -> None:
    con = extract["con"]
    items = con.execute(
        "select part_number, status, manufacturer_part_number, description from erp_items"
    ).fetchall()
    groups: dict[str, list[str]] = {}
    for number, status, _, _ in items:
        groups.setdefault(normalise(number), []).append(status)
    # Spellings normalisation merges: exactly one ACTIVE record. (A fuzzy twin alone in its
    # group may be OBSOLETE.)
    multi = [g for g in groups.values() if len(g) > 1]
    assert all(statuses.count("ACTIVE") == 1 for statuses in multi)
    assert all(statuses.count("ACTIVE") <= 1 for statuses in groups.values())
    assert 0.03 * len(groups) <= len(multi) and all(len(g) <= 3 for g in multi)
    # Fuzzy twins: same manufacturer part number as the record they duplicate.
    twins = con.execute(
        """
        select i.manufacturer_part_number, o.manufacturer_part_number
        from truth_part_identities t
        join erp_items i on i.part_number = t.source_part_number
        join erp_items o on o.part_number = t.canonical_part_number
        where t.source_table = 'erp_items' and t.spelling_kind = 'fuzzy_duplicate'
        """
    ).fetchall()
    assert twins and all(a == b and a is not None for a, b in twins)
    # Transactions use variant spellings too.
    used = con.execute(
        """
        select count(distinct source_table) from truth_part_identities
        where spelling_kind = 'variant' and source_table <> 'erp_items'
        """
    ).fetchone()[0]
    assert used >= 4


NETTING_SQL = """
with gr as (
    select g.*, l.order_date, l.order_qty, l.line_status
    from erp_goods_receipts g join po_latest l using (po_number, po_line)
),
effective as (  -- a reversed receipt counts as never posted; the reversal itself neither
    select * from gr
    where movement_type <> 'REVERSAL'
      and receipt_id not in (select reverses_receipt_id from gr where movement_type = 'REVERSAL')
),
daily as (
    select po_number, po_line, receipt_date, order_qty,
           sum(case movement_type when 'RETURN' then -quantity else quantity end) as qty
    from effective group by all
),
running as (
    select *, sum(qty) over (partition by po_number, po_line order by receipt_date) as cum
    from daily
),
per_line as (
    select po_number, po_line,
           max(case when cum < order_qty then receipt_date end) as last_below,
           max(cum) filter (where receipt_date = (select max(receipt_date) from running r2
               where r2.po_number = running.po_number and r2.po_line = running.po_line)) as net
    from running group by all
),
completion as (
    select r.po_number, r.po_line, min(r.receipt_date) as completion_date
    from running r join per_line p using (po_number, po_line)
    where r.cum >= r.order_qty and (p.last_below is null or r.receipt_date > p.last_below)
    group by all
),
receipts as (
    select po_number, po_line, min(receipt_date) as first_receipt,
           max(receipt_date) as last_receipt
    from effective where movement_type = 'RECEIPT' group by all
)
select l.po_number, l.po_line, l.line_status, l.order_date, coalesce(p.net, 0) as net,
       l.order_qty, c.completion_date, r.first_receipt, r.last_receipt,
       t.expected_line_status, t.expected_exclusion_reason, t.expected_short_closed,
       t.true_lead_time_days, t.true_first_receipt_lead_time_days
from po_latest l
join truth_po_lines t using (po_number, po_line)
left join per_line p using (po_number, po_line)
left join completion c using (po_number, po_line)
left join receipts r using (po_number, po_line)
"""


def test_po_line_truth_matches_receipt_netting(extract: dict) -> None:
    con = extract["con"]
    rows = con.execute(NETTING_SQL).fetchall()
    assert len(rows) == con.execute("select count(*) from truth_po_lines").fetchone()[0]
    assert len(rows) == con.execute("select count(*) from po_latest").fetchone()[0]
    reasons: dict[str | None, int] = {}
    shorts = 0
    for (po, line, status, ordered, net, qty, completion, first, last, exp_status, reason,
         short, lead, first_lead) in rows:
        key = (po, line)
        assert status == exp_status, key
        reasons[reason] = reasons.get(reason, 0) + 1
        if reason == "cancelled":
            assert status == "CANCELLED" and lead is None
        elif reason == "open_incomplete":
            assert status == "OPEN" and net < qty and lead is None, key
        elif reason == "receipt_before_order_date":
            assert first is not None and first < ordered and lead is None
        elif short:
            shorts += 1
            assert status == "CLOSED" and net < qty, key
            assert (last - ordered).days == lead, key
        else:
            assert status == "CLOSED" and completion is not None, key
            assert (completion - ordered).days == lead, key
            assert (first - ordered).days == first_lead, key
    assert set(reasons) == {None, "cancelled", "open_incomplete", "receipt_before_order_date"}
    assert shorts > 0
    assert reasons[None] > 0.75 * len(rows)


def test_lead_time_truth(extract: dict) -> None:
    con = extract["con"]
    preferred = con.execute(
        """
        select count(*) from (
            select i.true_part_id, count(*) filter (where p.preferred) as n
            from erp_purchasing_info p
            join ids i on i.source_system = 'erp' and i.source_part_number = p.part_number
            group by all
        ) where n <> 1
        """
    ).fetchone()[0]
    assert preferred == 0
    rows = con.execute(
        """
        select t.erp_planned_lead_time_days, t.true_mean_lead_time_days, t.drifted,
               t.drift_start_date, p.planned_lead_time_days
        from truth_lead_times t
        join erp_purchasing_info p on p.supplier_id = t.supplier_id
        join ids i on i.source_system = 'erp' and i.source_part_number = p.part_number
                  and i.true_part_id = t.true_part_id
        """
    ).fetchall()
    assert len(rows) == con.execute("select count(*) from erp_purchasing_info").fetchone()[0]
    drifted = 0
    for planned, true_mean, is_drifted, start, in_data in rows:
        assert planned == in_data
        off = abs(true_mean / planned - 1)
        assert (off >= 0.3) if is_drifted else (off < 0.15)
        assert start is None or (is_drifted and start < AS_OF)
        drifted += is_drifted
    assert 0.1 * len(rows) < drifted < 0.3 * len(rows)
    mrp_mismatch = con.execute(
        """
        select count(*) from truth_lead_times t
        join ids i on i.source_system = 'mrp' and i.true_part_id = t.true_part_id
        join mrp_parameters m on m.part_number = i.source_part_number
        where m.planned_lead_time_days <> t.mrp_planned_lead_time_days
        """
    ).fetchone()[0]
    assert mrp_mismatch == 0
    assert con.execute(
        "select count(*) from truth_lead_times "
        "where mrp_planned_lead_time_days <> erp_planned_lead_time_days and preferred"
    ).fetchone()[0] > 0


def test_mrp_parameter_truth(extract: dict) -> None:
    con = extract["con"]
    rows = con.execute(
        """
        select t.stale, m.last_changed_date, t.safety_stock_misset, m.safety_stock_qty,
               t.expected_safety_stock
        from truth_mrp_parameters t
        join mrp_parameters m on m.part_number = t.mrp_part_number and m.plant = t.plant
        """
    ).fetchall()
    assert len(rows) == con.execute("select count(*) from mrp_parameters").fetchone()[0]
    for stale, changed, _, _, _ in rows:
        assert stale == ((AS_OF - changed).days > 365)
    assert 0.05 < sum(r[0] for r in rows) / len(rows) < 0.3
    misset = [r for r in rows if r[2]]
    assert misset and all(
        ss <= 0.35 * expected or ss >= 2.5 * expected for *_, ss, expected in misset
        if expected >= 5
    )


def test_availability_truth(extract: dict) -> None:
    con = extract["con"]
    rows = con.execute(
        """
        with on_hand as (
            select i.true_part_id, v.plant, sum(v.on_hand_qty) as on_hand
            from erp_inventory v
            join ids i on i.source_system = 'erp' and i.source_part_number = v.part_number
            where v.snapshot_date = (select max(snapshot_date) from erp_inventory)
            group by all
        ),
        net as (
            select po_number, po_line,
                   sum(case movement_type when 'RETURN' then -quantity else quantity end) as qty
            from erp_goods_receipts
            where movement_type <> 'REVERSAL' and receipt_id not in (
                select reverses_receipt_id from erp_goods_receipts
                where movement_type = 'REVERSAL')
            group by all
        ),
        open_supply as (
            select i.true_part_id,
                   l.requested_date < date '2026-10-31'
                   and coalesce(l.promised_date, date '1990-01-01') < date '2026-10-31'
                   as past_due,
                   sum(l.order_qty - coalesce(n.qty, 0)) as qty
            from po_latest l
            join ids i on i.source_system = 'erp' and i.source_part_number = l.part_number
            left join net n using (po_number, po_line)
            where l.line_status = 'OPEN'
            group by all
        )
        select a.status, t.mrp_status, t.false_available,
               a.status = 'AVAILABLE' and o.on_hand < a.required_qty
               and p.qty > 0 as recomputed,
               o.on_hand + coalesce(q.qty, 0) < a.required_qty as only_past_due_covers,
               coalesce(p.qty, 0) = t.past_due_open_qty
               and coalesce(q.qty, 0) = t.other_open_qty as same_supply
        from mrp_availability a
        join ids i on i.source_system = 'mrp' and i.source_part_number = a.part_number
        join truth_availability t on t.mrp_part_number = a.part_number and t.plant = a.plant
        left join on_hand o on o.true_part_id = i.true_part_id and o.plant = a.plant
        left join open_supply p on p.true_part_id = i.true_part_id and p.past_due
        left join open_supply q on q.true_part_id = i.true_part_id and not q.past_due
        """
    ).fetchall()
    assert len(rows) == con.execute("select count(*) from mrp_availability").fetchone()[0]
    assert all(status == truth_status for status, truth_status, *_ in rows)
    assert all(bool(false) == bool(recomputed) for _, _, false, recomputed, _, _ in rows)
    assert all(only for _, _, false, _, only, _ in rows if false)
    assert all(same for *_, same in rows)
    n_false = sum(r[2] for r in rows)
    assert 1 <= n_false <= 0.05 * len(rows) + 1
    assert {r[0] for r in rows} == {"AVAILABLE", "SHORT"}


def test_order_policy_truth(extract: dict) -> None:
    con = extract["con"]
    recomputed = set(con.execute(
        """
        with info as (
            select i.true_part_id, p.supplier_id, p.min_order_qty, p.order_multiple
            from erp_purchasing_info p
            join ids i on i.source_system = 'erp' and i.source_part_number = p.part_number
        ),
        lots as (
            select i.true_part_id, m.plant,
                   case m.lot_size_policy when 'FIXED' then m.fixed_lot_size
                        when 'MIN_MAX' then m.min_lot_size end as lot
            from mrp_parameters m
            join ids i on i.source_system = 'mrp' and i.source_part_number = m.part_number
        ),
        lines as (
            select i.true_part_id, l.supplier_id, l.order_qty
            from po_latest l
            join ids i on i.source_system = 'erp' and i.source_part_number = l.part_number
        )
        select true_part_id, plant, supplier_id, 'mrp_lot_below_min_order_qty', null
        from lots join info using (true_part_id) where lot < min_order_qty
        union all
        select true_part_id, plant, supplier_id, 'mrp_lot_not_multiple_of_order_multiple', null
        from lots join info using (true_part_id) where lot % order_multiple <> 0
        union all
        select true_part_id, null, supplier_id, 'po_qty_below_min_order_qty', count(*)
        from lines join info using (true_part_id, supplier_id) where order_qty < min_order_qty
        group by all
        union all
        select true_part_id, null, supplier_id, 'po_qty_not_multiple_of_order_multiple',
               count(*)
        from lines join info using (true_part_id, supplier_id)
        where order_qty % order_multiple <> 0 group by all
        """
    ).fetchall())
    truth = set(con.execute(
        "select true_part_id, plant, supplier_id, conflict_type, n_po_lines "
        "from truth_order_policy"
    ).fetchall())
    assert recomputed == truth
    assert {r[3] for r in truth} == {
        "mrp_lot_below_min_order_qty", "mrp_lot_not_multiple_of_order_multiple",
        "po_qty_below_min_order_qty", "po_qty_not_multiple_of_order_multiple",
    }


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def test_cli_never_touches_own_extracts_and_replaces_the_demo_only_when_forced(
    tmp_path: Path, capsys
) -> None:
    landing, truth = tmp_path / "landing", tmp_path / "truth"
    (landing / "erp_items").mkdir(parents=True)
    own = landing / "erp_items" / "old.csv"
    own.write_text("part_number\n")
    (landing / "README.md").write_text("landing zone\n")
    argv = ["--scale", "0.01", "--landing", str(landing), "--truth", str(truth)]
    for extra in ([], ["--force"]):
        assert demo_data.main([*argv, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "erp_items/old.csv" in err[0] and "never mixes" in err[0]
        assert own.read_text() == "part_number\n" and not truth.exists()

    own.unlink()
    assert demo_data.main(argv) == 0  # table folders without files: nothing to protect
    demo_files = sorted(p.name for p in landing.glob("*/*"))
    assert demo_files and all("__demo__" in name for name in demo_files)
    assert demo_data.main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert demo_data.main([*argv, "--force", "--scale", "0.02"]) == 0
    assert sorted(p.name for p in landing.glob("*/*")) == demo_files  # replaced, same names
    assert (landing / "README.md").read_text() == "landing zone\n"
    assert (truth / "manifest.json").is_file()
    err = capsys.readouterr().err
    assert "erp_goods_receipts" in err and "rows" in err


def test_if_empty_generates_only_into_a_landing_dir_without_table_folders(
    tmp_path: Path, capsys
) -> None:
    landing, truth = tmp_path / "landing", tmp_path / "truth"
    argv = ["--scale", "0.01", "--landing", str(landing), "--truth", str(truth), "--if-empty"]
    assert demo_data.main(argv) == 0
    assert "is empty: generating the demo extract" in capsys.readouterr().err
    written = sorted(landing.glob("*/*"))
    assert written
    for path in written:
        path.unlink()  # e.g. `make demo-clean`: the table folders stay, so no demo comes back
    assert demo_data.main(argv) == 0
    assert not list(landing.glob("*/*")) and capsys.readouterr().err == ""


def test_a_readme_alone_does_not_make_the_landing_dir_non_empty(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "README.md").write_text("x\n")
    counts = demo_data.generate(0.01, 1, landing, tmp_path / "truth", progress=False)
    assert counts["erp_goods_receipts"] > 0
    with pytest.raises(demo_data.LandingNotEmptyError):
        demo_data.generate(0.01, 1, landing, tmp_path / "truth", progress=False)
