"""Deterministic demo extract generator: ERP and MRP landing files plus their ground truth.

Writes one folder per landing table (``<landing>/<table>/<table>__<extract_date>.csv`` or
``.parquet``) that keeps the raw landing contract, with the master-data troubles the marts
find (docs/marts.md) injected, and a truth folder that records what was injected so tests
can check the pipeline's findings against it. Same scale and seed, same bytes.

    python -m tooling.demo_data --scale 1 --seed 42 [--landing DIR] [--truth DIR]
        [--format csv|parquet] [--force]

Scale N gives about N x 100,000 goods receipt rows; master tables grow with sqrt(N). The big
tables (purchase order lines, receipts, demand history) are generated vectorised with numpy in
fixed-size chunks, each chunk from its own random stream, and appended to the extract files
with pyarrow, so memory stays flat and the output does not depend on the machine.

Fixed reference date ``AS_OF`` (2026-10-31): no date in the output lies after it. Requested and
promised dates of lines ordered shortly before it are capped at ``AS_OF`` (due today, not past
due) so that no future date appears.

Ground truth (CSV, in the truth dir; the first columns named are the interface, later ones are
evidence):

- ``part_identities.csv``: source_system, source_table, source_part_number, true_part_id,
  canonical_part_number, spelling_kind (canonical, variant, revision, fuzzy_duplicate,
  mrp_format, mrp_legacy) -- every distinct spelling of every table.
- ``part_crosswalk.csv``: the steward's decisions for the MRP legacy numbers, identical for
  every seed and scale (the dbt seed ``part_crosswalk``).
- ``lead_times.csv``: per part and supplier, planned lead times (ERP, MRP), the true mean now,
  drifted, drift_start_date (change point or null).
- ``po_lines.csv``: per PO line the status, exclusion reason, short-closed flag and lead times
  the receipt netting must find, and the receipt pattern behind them.
- ``mrp_parameters.csv``: per MRP part and plant: stale, safety_stock_misset.
- ``availability.csv``: per MRP availability row: false_available.
- ``order_policy.csv``: conflicts of MRP lot sizes and PO quantities with the ERP min order
  quantity / order multiple of each supplier.
- ``manifest.json``: seed, scale, as_of, sizes, row counts, landing and truth files.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.ingest.load_log import DEMO_MARKER, is_demo_extract

# --------------------------------------------------------------------------------------------
# Fixed calendar and constants
# --------------------------------------------------------------------------------------------

EPOCH = date(1970, 1, 1)
AS_OF = date(2026, 10, 31)
HISTORY_START = date(2023, 11, 1)  # first order date: three years of purchasing history
PO_EXTRACT_1 = date(2026, 6, 30)  # first PO-line extract; the second (AS_OF) re-states changes
INVENTORY_SNAPSHOTS = (date(2026, 9, 30), AS_OF)
RECEIPT_PERIOD_ENDS = (
    date(2023, 12, 31),
    date(2024, 6, 30),
    date(2024, 12, 31),
    date(2025, 6, 30),
    date(2025, 12, 31),
    date(2026, 6, 30),
    AS_OF,
)
DEMAND_WEEKS = 104
PLANTS = ("PL01", "PL02", "PL03")
SERVICE_Z = 1.6448536269514722  # normal quantile of the design's default service level 0.95
LINES_PER_CHUNK = 250_000  # fixed, so that output never depends on memory or cores
PART_PLANTS_PER_CHUNK = 20_000  # demand history chunk: x 104 weeks

# The first five canonical parts are the same for every seed and scale: MRP knows them only by
# legacy numbers, and the steward's crosswalk (a committed dbt seed) maps them back.
LEGACY_PARTS = tuple((f"PN-{101 + i:06d}", f"LEG-{9001 + i}") for i in range(5))
CROSSWALK_DECIDED_BY = "m.keller (master data steward)"
CROSSWALK_DECIDED_ON = "2026-09-15"

RECEIPT, REVERSAL, RETURN = 0, 1, 2
MOVEMENT_TYPES = ("RECEIPT", "REVERSAL", "RETURN")
OPEN, CLOSED, CANCELLED = 0, 1, 2
LINE_STATUSES = ("OPEN", "CLOSED", "CANCELLED")

# Receipt patterns per PO line (see truth/po_lines.csv column "pattern").
SINGLE, PARTIAL, REVERSED, RETURNED, SHORT, CANCEL, STUCK, BEFORE_ORDER, AWAITING = range(9)
PATTERN_NAMES = (
    "single_full_receipt",
    "partial_receipts",
    "reversed_and_reposted",
    "returned_and_redelivered",
    "closed_short",
    "cancelled",
    "open_stuck",  # ordered 45-300 days ago, nothing or little delivered since
    "receipt_before_order_date",
    "open_awaiting_delivery",  # would complete after AS_OF (some receipts may be in)
)
# Draw probabilities for the first six; STUCK and BEFORE_ORDER are assigned afterwards.
PATTERN_P = (0.53, 0.30, 0.035, 0.035, 0.07, 0.03)

NICE_QTYS = np.array([1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000])
COUNTRIES = (
    ("DE", "EUR", "GmbH", 18), ("US", "USD", "Inc.", 12), ("CN", "CNY", "Co., Ltd.", 10),
    ("PL", "EUR", "Sp. z o.o.", 6), ("CZ", "EUR", "s.r.o.", 5), ("IT", "EUR", "S.p.A.", 6),
    ("FR", "EUR", "SAS", 5), ("GB", "GBP", "Ltd", 5), ("JP", "JPY", "K.K.", 4),
    ("KR", "USD", "Co., Ltd.", 3), ("MX", "USD", "S.A. de C.V.", 3), ("IN", "USD", "Pvt. Ltd.", 4),
    ("TW", "USD", "Co., Ltd.", 3), ("NL", "EUR", "B.V.", 4), ("SE", "EUR", "AB", 3),
    ("CH", "CHF", "AG", 3), ("AT", "EUR", "GmbH", 3), ("ES", "EUR", "S.L.", 2),
    ("TR", "EUR", "A.S.", 2), ("HU", "EUR", "Kft.", 2),
)
SUPPLIER_WORDS_A = (
    "Nord", "Alpen", "Rhein", "Atlas", "Vector", "Pioneer", "Delta", "Orion", "Summit",
    "Keystone", "Meridian", "Apex", "Falcon", "Granite", "Harbor", "Iron", "Polar", "Quantum",
    "Sigma", "Titan", "Union", "Vertex", "Westfield", "Zenith", "Baltic", "Crown", "Eagle",
)
SUPPLIER_WORDS_B = (
    "Precision", "Components", "Fasteners", "Electronics", "Hydraulics", "Bearings", "Metals",
    "Plastics", "Motion", "Industrial", "Technik", "Supply", "Werke", "Systems", "Castings",
    "Sensors", "Drives", "Seals", "Cables", "Machining",
)
MANUFACTURERS = (
    "SKF", "FAG", "WRTH", "BOSCH", "FESTO", "SMC", "IFM", "SICK", "PHX", "WAGO", "TE", "MOLEX",
    "VISHAY", "MURATA", "PARKER", "EATON", "ABB", "SIEMENS", "HARTING", "IGUS",
)


def _day(d: date) -> int:
    return (d - EPOCH).days


def _date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


AS_OF_DAY = _day(AS_OF)
START_DAY = _day(HISTORY_START)
PO_E1_DAY = _day(PO_EXTRACT_1)
_PERIOD_DAYS = np.array([_day(d) for d in RECEIPT_PERIOD_ENDS])


class LandingNotEmptyError(RuntimeError):
    """The landing folder already holds extracts and force was not given."""


# --------------------------------------------------------------------------------------------
# Sizing and random streams
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    scale: float
    seed: int
    n_parts: int
    n_suppliers: int
    n_po_lines: int

    @classmethod
    def for_scale(cls, scale: float, seed: int) -> Config:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        root = math.sqrt(scale)  # master data grows sub-linearly with volume
        return cls(
            scale=scale,
            seed=seed,
            n_parts=int(min(60_000, max(60, round(2000 * root)))),
            n_suppliers=int(min(9_999, max(8, round(80 * root)))),
            # ~2 receipt rows per line on average, so this gives ~100,000 receipts per scale
            n_po_lines=int(max(300, round(52_000 * scale))),
        )


def _rng(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    """An independent random stream per concern (and chunk): tables do not shift each other."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(stream.encode()), chunk]))


def _pick(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct indices out of n, in random order."""
    return rng.permutation(n)[:k]


class Progress:
    """One line per table or chunk on stderr: rows written and elapsed seconds."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def log(self, what: str, rows: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        tail = f" ({total:,} so far)" if total is not None else ""
        print(f"demo_data: {what:<44} {rows:>11,} rows{tail}  {elapsed:7.1f}s", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Writing extracts
# --------------------------------------------------------------------------------------------

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("s"),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(table: LandingTable) -> pa.Schema:
    """The contract's columns, in order, with the Arrow type matching each DuckDB type."""
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.sql_type], c.nullable) for c in table.columns]
    )


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), mask=null)


def timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))


def codes(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'PO00001234'-style identifiers from integers, in Arrow (fast for millions of rows)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width,
                          padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _to_arrow(values: object, type_: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(type_) if values.type != type_ else values
    return pa.array(values, type_)


class ExtractWriter:
    """Appends chunks to one file per extract date of a landing table; files open lazily."""

    def __init__(self, landing_dir: Path, table: str, file_format: str) -> None:
        self.contract = LANDING_TABLES[table]
        self.schema = arrow_schema(self.contract)
        self.folder = landing_dir / table
        self.file_format = file_format
        self._writers: dict[date, pacsv.CSVWriter | pq.ParquetWriter] = {}
        self.rows: dict[date, int] = {}

    def path(self, extract_date: date) -> Path:
        # The demo marker keeps demo rows from ever mixing with a user's own (ingest/load_log.py).
        name = f"{self.contract.name}{DEMO_MARKER}{extract_date.isoformat()}.{self.file_format}"
        return self.folder / name

    def write(self, extract_date: date, columns: dict[str, object]) -> int:
        arrays = [_to_arrow(columns[f.name], f.type) for f in self.schema]
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        if batch.num_rows == 0:
            return 0
        writer = self._writers.get(extract_date)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.path(extract_date)
            if self.file_format == "csv":
                writer = pacsv.CSVWriter(path, self.schema)
            else:
                writer = pq.ParquetWriter(path, self.schema, compression="zstd")
            self._writers[extract_date] = writer
            self.rows[extract_date] = 0
        writer.write_table(batch)
        self.rows[extract_date] += batch.num_rows
        return batch.num_rows

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def files(self) -> dict[str, int]:
        return {
            f"{self.contract.name}/{self.path(d).name}": n for d, n in sorted(self.rows.items())
        }


class TruthWriter:
    """Appends chunks to one ground-truth CSV file with a fixed schema."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._writer = pacsv.CSVWriter(path, schema)

    def write(self, columns: dict[str, object]) -> None:
        arrays = [_to_arrow(columns[f.name], f.type) for f in self.schema]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += len(arrays[0])

    def close(self) -> None:
        self._writer.close()


def write_truth(path: Path, columns: dict[str, object], types: dict[str, pa.DataType]) -> int:
    schema = pa.schema([pa.field(name, types.get(name, pa.string())) for name in columns])
    writer = TruthWriter(path, schema)
    writer.write(columns)
    writer.close()
    return writer.rows


# --------------------------------------------------------------------------------------------
# Part numbers: spellings, traps and normalisation
# --------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-_./]+")


def normalise_part_number(value: str) -> str:
    """The design's deterministic normalisation: case, whitespace, separators - _ . /."""
    return _SEPARATORS.sub("", value).upper()


def mrp_spelling(number: str) -> str:
    """MRP writes every part number lower-case without separators: 'PN-004711' -> 'pn004711'."""
    return _SEPARATORS.sub("", number).lower()


def variant_spellings(number: str, k: int, rng: np.random.Generator) -> list[str]:
    """k spellings of a canonical 'PN-004711' that normalisation merges back into it."""
    prefix, digits = number.split("-", 1)
    candidates = [
        case(prefix) + sep + digits
        for sep in ("", " ", "_", ".", "/", "-", " - ")
        for case in (str.upper, str.lower)
    ]
    candidates = [c for c in candidates if c != number]
    chosen = [candidates[i] for i in _pick(rng, len(candidates), k)]
    padded = []
    for spelling in chosen:  # surrounding whitespace on some: still distinct once stripped
        pad = rng.integers(0, 4)
        padded.append(spelling + " " if pad == 1 else " " + spelling if pad == 2 else spelling)
    return padded


def typo_spelling(number: str, rng: np.random.Generator, taken: set[str]) -> str | None:
    """A near-duplicate number only fuzzy matching finds: letter O for zero, or two swapped
    digits; None if every candidate would collide with an existing part after normalisation."""
    prefix, digits = number.split("-", 1)
    options = [digits[:i] + "O" + digits[i + 1 :] for i, ch in enumerate(digits) if ch == "0"]
    options += [
        digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        for i in range(len(digits) - 1)
        if digits[i] != digits[i + 1]
    ]
    for i in rng.permutation(len(options)):
        candidate = f"{prefix}-{options[i]}"
        if normalise_part_number(candidate) not in taken:
            return candidate
    return None


_DESCRIPTION_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Hex bolt M{a}x{b} zinc plated", "EA"),
    ("Socket screw DIN912 M{a}x{b} 8.8", "EA"),
    ("Ball bearing 62{c:02d}-2RS", "EA"),
    ("O-ring {a}x{d} NBR70", "EA"),
    ("Capacitor {e}uF {f}V X7R", "EA"),
    ("Resistor {g}k 1% 0603", "EA"),
    ("Inductive sensor M{h} PNP NO", "EA"),
    ("Connector {i}-pin crimp housing", "EA"),
    ("Solenoid valve G1/{j} 24VDC", "EA"),
    ("Steel sheet {k}mm S235JR", "KG"),
    ("Control cable {i}x{l}mm2 PVC", "M"),
    ("Hydraulic hose DN{a} {m}mm", "EA"),
    ("Gear motor {n}W {o}rpm", "EA"),
    ("Aluminium profile 40x{p} anodised", "M"),
    ("Paint RAL {q} 5L", "L"),
    ("Seal kit cylinder D{m}", "SET"),
    ("Cable tie {b}0x{d} black", "BOX"),
    ("Hose clamp {a}-{b}mm W2", "EA"),
)
_UOM_CONFLICT = {"EA": "PC", "KG": "KGM", "M": "MTR", "L": "LTR", "SET": "KIT", "BOX": "PAK"}


def describe_part(rng: np.random.Generator) -> tuple[str, str]:
    template, uom = _DESCRIPTION_TEMPLATES[rng.integers(len(_DESCRIPTION_TEMPLATES))]
    values = {
        "a": int(rng.choice([4, 5, 6, 8, 10, 12, 16, 20])),
        "b": int(rng.choice([10, 12, 16, 20, 25, 30, 40, 50, 60, 80])),
        "c": int(rng.integers(0, 20)),
        "d": float(rng.choice([1.5, 2.0, 2.5, 3.0, 3.5, 4.8])),
        "e": float(rng.choice([0.1, 1.0, 2.2, 4.7, 10.0, 22.0, 47.0, 100.0])),
        "f": int(rng.choice([16, 25, 50, 63, 100])),
        "g": float(rng.choice([1.0, 2.2, 4.7, 10.0, 22.0, 47.0, 100.0])),
        "h": int(rng.choice([8, 12, 18, 30])),
        "i": int(rng.integers(2, 25)),
        "j": int(rng.choice([2, 4, 8])),
        "k": float(rng.choice([0.8, 1.0, 1.5, 2.0, 3.0, 5.0])),
        "l": float(rng.choice([0.25, 0.5, 0.75, 1.0, 1.5])),
        "m": int(rng.integers(10, 2000)),
        "n": int(rng.choice([90, 120, 180, 250, 370, 550, 750])),
        "o": int(rng.integers(10, 400)),
        "p": int(rng.choice([40, 80, 120, 160])),
        "q": int(rng.choice([1013, 3020, 5010, 6011, 7016, 7035, 9005, 9010])),
    }
    return template.format(**values), uom


def near_identical(description: str, rng: np.random.Generator) -> str:
    """A description a person would read as the same: case, a dropped char, a hyphen."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return description.upper()
    if kind == 1:
        return description.replace(" ", "-", 1)
    if kind == 2:
        i = int(rng.integers(1, len(description) - 1))
        return description[:i] + description[i + 1 :]
    return description + " "


# --------------------------------------------------------------------------------------------
# Master data
# --------------------------------------------------------------------------------------------


@dataclass
class Suppliers:
    ids: list[str]
    names: list[str]
    country: np.ndarray
    currency: np.ndarray
    status: np.ndarray  # 'ACTIVE' / 'BLOCKED'


def build_suppliers(cfg: Config) -> Suppliers:
    rng = _rng(cfg.seed, "suppliers")
    n = cfg.n_suppliers
    weights = np.array([c[3] for c in COUNTRIES], dtype=float)
    which = rng.choice(len(COUNTRIES), size=n, p=weights / weights.sum())
    names: list[str] = []
    used: set[str] = set()
    for i in range(n):
        _, _, legal, _ = COUNTRIES[which[i]]
        base = f"{rng.choice(SUPPLIER_WORDS_A)} {rng.choice(SUPPLIER_WORDS_B)}"
        # distinct names, so that a supplier is recognisable in the marts
        names.append(f"{base} {i + 1} {legal}" if base in used else f"{base} {legal}")
        used.add(base)
    status = np.full(n, "ACTIVE", dtype=object)
    status[_pick(rng, n, max(1, round(0.05 * n)))] = "BLOCKED"
    return Suppliers(
        ids=[f"S{i + 1:04d}" for i in range(n)],
        names=names,
        country=np.array([COUNTRIES[w][0] for w in which], dtype=object),
        currency=np.array([COUNTRIES[w][1] for w in which], dtype=object),
        status=status,
    )


@dataclass
class Parts:
    """Canonical parts (index = part) and the ERP item records (spellings) that name them."""

    number: list[str]  # canonical ERP number, the ACTIVE record's
    kind: np.ndarray  # plain, legacy, variant, revision, fuzzy (part level)
    buy: np.ndarray  # procurement_type BUY (else MAKE)
    uom: list[str]
    description: list[str]
    mpn: list[str | None]
    mrp_number: list[str]
    weekly_demand: np.ndarray  # typical weekly demand, drives order sizes
    popularity: np.ndarray  # relative purchasing volume
    # ERP item records: one row of erp_items each
    sp_number: list[str] = field(default_factory=list)
    sp_part: list[int] = field(default_factory=list)
    # canonical, variant, revision, fuzzy_duplicate
    sp_kind: list[str] = field(default_factory=list)
    sp_status: list[str] = field(default_factory=list)
    sp_uom: list[str] = field(default_factory=list)
    sp_description: list[str] = field(default_factory=list)
    sp_mpn: list[str | None] = field(default_factory=list)
    sp_updated: list[int] = field(default_factory=list)  # seconds since epoch
    # Spellings transactions may use, per part: use_spell[use_off[p] : use_off[p] + use_cnt[p]],
    # the canonical one first.
    use_spell: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    use_off: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    use_cnt: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @property
    def n(self) -> int:
        return len(self.number)

    def add_record(self, part: int, number: str, kind: str, status: str, uom: str,
                   description: str, mpn: str | None, updated: int) -> int:
        self.sp_number.append(number)
        self.sp_part.append(part)
        self.sp_kind.append(kind)
        self.sp_status.append(status)
        self.sp_uom.append(uom)
        self.sp_description.append(description)
        self.sp_mpn.append(mpn)
        self.sp_updated.append(updated)
        return len(self.sp_number) - 1

    def pick_spelling(self, rng: np.random.Generator, part: np.ndarray, p_variant: float
                      ) -> np.ndarray:
        """Spelling id per row: the canonical one, or with p_variant one of the part's variants."""
        cnt = self.use_cnt[part]
        alt = (cnt > 1) & (rng.random(len(part)) < p_variant)
        j = np.where(alt, 1 + rng.integers(0, 1 << 30, len(part)) % np.maximum(cnt - 1, 1), 0)
        return self.use_spell[self.use_off[part] + j]


def _timestamp(day: int, rng: np.random.Generator) -> int:
    return int(day) * 86400 + int(rng.integers(6 * 3600, 18 * 3600))


def build_parts(cfg: Config) -> Parts:
    rng = _rng(cfg.seed, "parts")
    n = cfg.n_parts
    legacy = len(LEGACY_PARTS)
    # Sparse random numbers so that a transposed digit rarely hits another real part.
    drawn = rng.choice(np.arange(1000, 1_000_000), size=n, replace=False)
    numbers = [num for num, _ in LEGACY_PARTS] + [f"PN-{x:06d}" for x in drawn[legacy:]]

    # Trap sets, disjoint, never among the five legacy parts.
    order = legacy + rng.permutation(n - legacy)
    n_rev_pairs = max(2, round(0.01 * n))
    n_variant = max(3, round(0.05 * n))
    n_fuzzy = max(2, round(0.01 * n))
    cut = np.cumsum([2 * n_rev_pairs, n_variant, n_fuzzy])
    rev_idx, variant_idx, fuzzy_idx = np.split(order[: cut[-1]], cut[:2])
    plain_idx = order[cut[-1] :]
    kind = np.full(n, "plain", dtype=object)
    kind[:legacy] = "legacy"
    kind[rev_idx] = "revision"
    kind[variant_idx] = "variant"
    kind[fuzzy_idx] = "fuzzy"
    buy = np.ones(n, dtype=bool)
    buy[plain_idx[: round(0.10 * n)]] = False  # MAKE parts: no suppliers, only MRP

    # Revision traps: 'PN-x-A' / 'PN-x-B', or 'PN-x' / 'PN-x-R2' -- different parts.
    for pair_no, (i, j) in enumerate(rev_idx.reshape(-1, 2)):
        base = numbers[i]
        if pair_no % 2 == 0:
            numbers[i], numbers[j] = f"{base}-A", f"{base}-B"
        else:
            numbers[j] = f"{base}-R2"

    descriptions: list[str] = []
    uoms: list[str] = []
    mpns: list[str | None] = []
    for p in range(n):
        text, uom = describe_part(rng)
        descriptions.append(text)
        uoms.append(uom)
        has_mpn = buy[p] and (kind[p] == "fuzzy" or rng.random() < 0.8)
        mpns.append(
            f"{rng.choice(MANUFACTURERS)}-{rng.integers(10_000, 9_999_999)}" if has_mpn else None
        )
    for i, j in rev_idx.reshape(-1, 2):  # siblings: same item, another revision
        uoms[j] = uoms[i]
        descriptions[j] = f"{descriptions[i]} rev {numbers[j].rsplit('-', 1)[-1]}"
        if numbers[i].count("-") == 2:  # the A of an A/B pair
            descriptions[i] = f"{descriptions[i]} rev {numbers[i].rsplit('-', 1)[-1]}"

    legacy_mrp = dict(LEGACY_PARTS)
    parts = Parts(
        number=numbers,
        kind=kind,
        buy=buy,
        uom=uoms,
        description=descriptions,
        mpn=mpns,
        mrp_number=[legacy_mrp.get(num, mrp_spelling(num)) for num in numbers],
        weekly_demand=np.clip(rng.lognormal(math.log(40), 1.0, n), 5, 5000),
        popularity=rng.lognormal(0.0, 0.8, n),
    )
    add_item_records(parts, rng, variant_idx, fuzzy_idx)
    return parts


def add_item_records(parts: Parts, rng: np.random.Generator, variant_idx: np.ndarray,
                     fuzzy_idx: np.ndarray) -> None:
    """erp_items rows: one ACTIVE record per part, 1-2 extra spellings for variant parts
    (OBSOLETE/BLOCKED, sometimes another uom or description) and a typo'd twin for fuzzy parts."""
    taken = {normalise_part_number(num) for num in parts.number}
    variants = set(variant_idx.tolist())
    fuzzy = set(fuzzy_idx.tolist())
    use: list[list[int]] = []
    for p in range(parts.n):
        number, uom, text, mpn = parts.number[p], parts.uom[p], parts.description[p], parts.mpn[p]
        kind = "revision" if parts.kind[p] == "revision" else "canonical"
        updated = _timestamp(AS_OF_DAY - int(rng.integers(1, 1500)), rng)
        ids = [parts.add_record(p, number, kind, "ACTIVE", uom, text, mpn, updated)]
        if p in variants:
            for spelling in variant_spellings(number, int(rng.integers(1, 3)), rng):
                status = "OBSOLETE" if rng.random() < 0.7 else "BLOCKED"
                v_uom = _UOM_CONFLICT[uom] if rng.random() < 0.3 else uom
                v_text = text.upper() if rng.random() < 0.3 else text
                v_mpn = mpn if rng.random() < 0.7 else None
                v_updated = _timestamp(AS_OF_DAY - int(rng.integers(400, 2500)), rng)
                ids.append(parts.add_record(p, spelling, "variant", status, v_uom, v_text, v_mpn,
                                            v_updated))
        if p in fuzzy:
            twin = typo_spelling(number, rng, taken)
            if twin is not None:
                taken.add(normalise_part_number(twin))
                status = "ACTIVE" if rng.random() < 0.5 else "OBSOLETE"
                parts.add_record(p, twin, "fuzzy_duplicate", status, uom,
                                 near_identical(text, rng), mpn,
                                 _timestamp(AS_OF_DAY - int(rng.integers(30, 2000)), rng))
        use.append(ids)
    parts.use_cnt = np.array([len(u) for u in use], dtype=np.int64)
    parts.use_off = np.concatenate([[0], np.cumsum(parts.use_cnt)[:-1]]).astype(np.int64)
    parts.use_spell = np.array([i for u in use for i in u], dtype=np.int64)


@dataclass
class Sourcing:
    """erp_purchasing_info: one row per (part, supplier), plus the true lead-time behaviour."""

    part: np.ndarray
    supplier: np.ndarray
    preferred: np.ndarray
    spelling: np.ndarray
    planned_lt: np.ndarray  # ERP planned lead time, days
    moq: np.ndarray
    multiple: np.ndarray
    unit_price: np.ndarray
    last_reviewed: np.ndarray  # day, or -1 for null
    mean_before: np.ndarray  # true mean lead time before the change point (or throughout)
    mean_after: np.ndarray  # true mean lead time now
    change_day: np.ndarray  # -1 if no change point
    drifted: np.ndarray
    shape: np.ndarray  # gamma shape of actual lead times (CV = 1/sqrt(shape))
    sloppy: np.ndarray  # buyers of this pair sometimes ignore min order qty / multiple
    weight: np.ndarray  # share of purchase order lines
    preferred_of_part: np.ndarray  # pair index of each part's preferred supplier, -1 for MAKE

    @property
    def n(self) -> int:
        return len(self.part)


def _nice_at_most(values: np.ndarray) -> np.ndarray:
    return NICE_QTYS[np.maximum(np.searchsorted(NICE_QTYS, values, side="right") - 1, 0)]


def build_sourcing(cfg: Config, parts: Parts, suppliers: Suppliers) -> Sourcing:
    rng = _rng(cfg.seed, "purchasing_info")
    buy_parts = np.flatnonzero(parts.buy)
    k = rng.choice([1, 2, 3], size=len(buy_parts), p=[0.45, 0.35, 0.20])
    k = np.minimum(k, len(suppliers.ids))
    part = np.repeat(buy_parts, k)
    supplier = np.concatenate([_pick(rng, len(suppliers.ids), int(m)) for m in k])
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    preferred = np.zeros(len(part), dtype=bool)
    preferred[first] = True  # exactly one preferred supplier per part
    n = len(part)

    # Planned lead times: a part-level base, each supplier a bit different.
    base_lt = np.clip(rng.lognormal(math.log(28), 0.6, parts.n), 3, 180)
    planned = np.maximum(1, np.round(base_lt[part] * rng.uniform(0.8, 1.25, n))).astype(np.int64)

    # Order policy. A compliant quantity for the preferred supplier is compliant for all
    # suppliers of the part: other multiples divide it, other minimums are not higher.
    demand = parts.weekly_demand
    mult_pref = _nice_at_most(demand * rng.uniform(0.1, 0.6, parts.n))
    moq_pref = mult_pref * rng.integers(1, 6, parts.n)
    divides = (mult_pref[part][:, None] % NICE_QTYS[None, :]) == 0
    choice = np.argmax(divides * rng.random((n, len(NICE_QTYS))), axis=1)
    multiple = np.where(preferred, mult_pref[part], NICE_QTYS[choice])
    moq = np.where(
        preferred,
        moq_pref[part],
        multiple * (1 + rng.integers(0, 1 << 30, n) % (moq_pref[part] // multiple)),
    )

    price = np.round(
        np.clip(rng.lognormal(math.log(12), 1.3, parts.n), 0.05, 20_000)[part]
        * rng.uniform(0.9, 1.15, n),
        2,
    )
    reviewed = np.where(rng.random(n) < 0.2, -1, AS_OF_DAY - rng.integers(0, 1800, n))

    # True lead times: ~20% drifted by 30%+ from the ERP plan (mostly slower), some of them
    # from a change point on; the rest within 15% of the plan.
    drifted = rng.random(n) < 0.20
    slower = rng.random(n) < 0.75
    ratio = np.where(
        drifted,
        np.where(slower, rng.uniform(1.38, 2.0, n), rng.uniform(0.45, 0.62, n)),
        rng.uniform(0.87, 1.13, n),
    )
    mean_after = planned * ratio
    has_cp = drifted & (rng.random(n) < 0.45)
    # Change points 380-640 days back: most of a two-year window already sees the new mean.
    change_day = np.where(has_cp, AS_OF_DAY - rng.integers(380, 640, n), -1)
    mean_before = np.where(has_cp, planned * rng.uniform(0.92, 1.08, n), mean_after)

    weight = parts.popularity[part] * np.where(preferred, 4.0, 1.0)
    preferred_of_part = np.full(parts.n, -1, dtype=np.int64)
    preferred_of_part[part[preferred]] = np.flatnonzero(preferred)
    return Sourcing(
        part=part,
        supplier=supplier,
        preferred=preferred,
        spelling=parts.pick_spelling(rng, part, 0.35),
        planned_lt=planned,
        moq=moq.astype(np.int64),
        multiple=multiple.astype(np.int64),
        unit_price=price,
        last_reviewed=reviewed,
        mean_before=mean_before,
        mean_after=mean_after,
        change_day=change_day,
        drifted=drifted,
        shape=rng.uniform(10, 30, n),
        sloppy=rng.random(n) < 0.08,
        weight=weight / weight.sum(),
        preferred_of_part=preferred_of_part,
    )


@dataclass
class Planning:
    """MRP part-plants: parameters, demand behaviour and the injected parameter troubles."""

    part: np.ndarray
    plant: np.ndarray  # index into PLANTS
    weekly_mean: np.ndarray
    weekly_sd: np.ndarray  # true standard deviation of weekly demand
    cv: np.ndarray
    p_zero: np.ndarray  # probability of a week without demand (intermittent parts)
    planned_lt: np.ndarray  # MRP planned lead time (per part, same at every plant)
    safety_stock: np.ndarray
    expected_ss: np.ndarray
    misset: np.ndarray
    reorder_point: np.ndarray
    policy: np.ndarray
    fixed_lot: np.ndarray  # NaN if null
    min_lot: np.ndarray  # NaN if null
    last_changed: np.ndarray
    stale: np.ndarray

    @property
    def n(self) -> int:
        return len(self.part)


def build_planning(cfg: Config, parts: Parts, src: Sourcing) -> Planning:
    rng = _rng(cfg.seed, "mrp_parameters")
    n_plants = rng.choice([1, 2, 3], size=parts.n, p=[0.5, 0.35, 0.15])
    part = np.repeat(np.arange(parts.n), n_plants)
    plant = np.concatenate([np.sort(_pick(rng, len(PLANTS), int(k))) for k in n_plants])
    n = len(part)

    # Demand: per plant around the part's level; ~15% intermittent (many zero weeks).
    mean = np.maximum(2.0, parts.weekly_demand[part] * rng.uniform(0.5, 1.5, n))
    cv = rng.uniform(0.2, 0.9, n)
    p_zero = np.where(rng.random(n) < 0.15, rng.uniform(0.5, 0.85, n), 0.0)
    size_mean = mean / (1 - p_zero)
    sd = np.sqrt((1 - p_zero) * ((size_mean * cv) ** 2 + size_mean**2) - mean**2)

    # MRP planned lead time: the preferred supplier's ERP value, but 30% of parts differ.
    pref = src.preferred_of_part
    erp_lt = np.where(pref >= 0, src.planned_lt[np.maximum(pref, 0)], 0)
    make_lt = rng.integers(2, 25, parts.n)
    differs = rng.random(parts.n) < 0.30
    factor = np.where(rng.random(parts.n) < 0.5, rng.uniform(0.5, 0.8, parts.n),
                      rng.uniform(1.25, 1.7, parts.n))
    mrp_lt_part = np.where(
        pref >= 0, np.where(differs, np.maximum(1, np.round(erp_lt * factor)), erp_lt), make_lt
    ).astype(np.int64)
    mrp_lt = mrp_lt_part[part]

    # The safety stock demand variability and the true lead time imply (design formula).
    true_lt = np.where(pref >= 0, src.mean_after[np.maximum(pref, 0)], make_lt)
    lt_shape = np.where(pref >= 0, src.shape[np.maximum(pref, 0)], 25.0)
    big_l, sigma_l = true_lt[part], true_lt[part] / np.sqrt(lt_shape[part])
    d, sigma_d = mean / 7.0, sd / math.sqrt(7.0)
    expected = SERVICE_Z * np.sqrt(big_l * sigma_d**2 + d**2 * sigma_l**2)
    misset = rng.random(n) < 0.18
    wild = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.3, n), rng.uniform(3.0, 6.0, n))
    safety = np.round(expected * np.where(misset, wild, rng.uniform(0.9, 1.1, n)))
    reorder = np.round(d * mrp_lt + safety)

    # Lot sizing; ~12% of FIXED / MIN_MAX lots of bought parts break the ERP order policy.
    policy = rng.choice(4, size=n, p=[0.40, 0.25, 0.25, 0.10])
    moq = np.where(pref >= 0, src.moq[np.maximum(pref, 0)], 0)[part]
    mult = np.where(pref >= 0, src.multiple[np.maximum(pref, 0)], 0)[part]
    bought = parts.buy[part]
    lot = np.where(bought, moq * rng.integers(1, 5, n), np.round(mean * rng.uniform(1, 4, n)))
    breaks = bought & (rng.random(n) < 0.12)
    below = breaks & (moq >= 2) & ((rng.random(n) < 0.5) | (mult < 2))
    off_multiple = breaks & ~below & (mult >= 2)
    lot = np.where(below, np.maximum(1, np.floor(moq * rng.uniform(0.2, 0.8, n))), lot)
    lot = np.where(off_multiple, lot + 1 + rng.integers(0, 1 << 30, n) % np.maximum(mult - 1, 1),
                   lot)
    fixed_lot = np.where(policy == 1, lot, np.nan)
    min_lot = np.where(policy == 2, lot, np.nan)

    stale = rng.random(n) < 0.15
    last_changed = np.where(stale, AS_OF_DAY - rng.integers(730, 2191, n),
                            AS_OF_DAY - rng.integers(0, 331, n))
    return Planning(
        part=part, plant=plant, weekly_mean=mean, weekly_sd=sd, cv=cv, p_zero=p_zero,
        planned_lt=mrp_lt, safety_stock=safety, expected_ss=expected, misset=misset,
        reorder_point=reorder, policy=policy, fixed_lot=fixed_lot, min_lot=min_lot,
        last_changed=last_changed, stale=stale,
    )


# --------------------------------------------------------------------------------------------
# Master table writers
# --------------------------------------------------------------------------------------------


def write_items(parts: Parts, out: ExtractWriter) -> None:
    order = np.argsort(np.array(parts.sp_number, dtype=object), kind="stable")
    pick = pa.array(order)
    out.write(AS_OF, {
        "part_number": pa.array(parts.sp_number).take(pick),
        "description": pa.array(parts.sp_description).take(pick),
        "uom": pa.array(parts.sp_uom).take(pick),
        "procurement_type": pa.array(
            np.where(parts.buy[np.array(parts.sp_part)], "BUY", "MAKE").tolist()).take(pick),
        "status": pa.array(parts.sp_status).take(pick),
        "manufacturer_part_number": pa.array(parts.sp_mpn, pa.string()).take(pick),
        "updated_at": timestamps(np.array(parts.sp_updated)[order]),
    })


def write_suppliers(sup: Suppliers, out: ExtractWriter) -> None:
    out.write(AS_OF, {
        "supplier_id": sup.ids,
        "supplier_name": sup.names,
        "country": sup.country.tolist(),
        "status": sup.status.tolist(),
    })


def write_purchasing_info(parts: Parts, sup: Suppliers, src: Sourcing,
                          out: ExtractWriter) -> None:
    out.write(AS_OF, {
        "part_number": pa.array(parts.sp_number).take(pa.array(src.spelling)),
        "supplier_id": pa.array(sup.ids).take(pa.array(src.supplier)),
        "planned_lead_time_days": src.planned_lt,
        "min_order_qty": src.moq.astype(float),
        "order_multiple": src.multiple.astype(float),
        "unit_price": src.unit_price,
        "currency": sup.currency[src.supplier].tolist(),
        "preferred": src.preferred,
        "last_reviewed_date": dates(np.maximum(src.last_reviewed, 0), src.last_reviewed < 0),
    })


def write_mrp_parameters(parts: Parts, plan: Planning, out: ExtractWriter) -> None:
    policies = np.array(["LOT_FOR_LOT", "FIXED", "MIN_MAX", "PERIODIC"], dtype=object)
    out.write(AS_OF, {
        "part_number": pa.array(parts.mrp_number).take(pa.array(plan.part)),
        "plant": np.array(PLANTS, dtype=object)[plan.plant].tolist(),
        "planned_lead_time_days": plan.planned_lt,
        "safety_stock_qty": plan.safety_stock,
        "reorder_point": plan.reorder_point,
        "lot_size_policy": policies[plan.policy].tolist(),
        "fixed_lot_size": pa.array(plan.fixed_lot, from_pandas=True),
        "min_lot_size": pa.array(plan.min_lot, from_pandas=True),
        "last_changed_date": dates(plan.last_changed),
    })


def demand_weeks() -> np.ndarray:
    """The 104 Mondays of demand history; the last full week ends before AS_OF."""
    last_monday = AS_OF_DAY - ((_date(AS_OF_DAY).weekday()) % 7) - 7
    return last_monday - 7 * np.arange(DEMAND_WEEKS - 1, -1, -1)


def write_demand_history(cfg: Config, parts: Parts, plan: Planning, out: ExtractWriter,
                         progress: Progress) -> None:
    weeks = demand_weeks()
    names = pa.array(parts.mrp_number)
    plants = pa.array(PLANTS)
    for chunk, lo in enumerate(range(0, plan.n, PART_PLANTS_PER_CHUNK)):
        rng = _rng(cfg.seed, "mrp_demand_history", chunk)
        hi = min(plan.n, lo + PART_PLANTS_PER_CHUNK)
        m = hi - lo
        size_mean = (plan.weekly_mean[lo:hi] / (1 - plan.p_zero[lo:hi]))[:, None]
        shape = (1.0 / plan.cv[lo:hi] ** 2)[:, None]
        qty = rng.gamma(shape, size_mean / shape, (m, DEMAND_WEEKS))
        qty[rng.random((m, DEMAND_WEEKS)) < plan.p_zero[lo:hi, None]] = 0.0
        row_pp = np.repeat(np.arange(lo, hi), DEMAND_WEEKS)
        out.write(AS_OF, {
            "part_number": names.take(pa.array(plan.part[row_pp])),
            "plant": plants.take(pa.array(plan.plant[row_pp])),
            "week_start": dates(np.tile(weeks, m)),
            "demand_qty": np.round(qty).ravel(),
        })
        progress.log(f"mrp_demand_history chunk {chunk + 1}", m * DEMAND_WEEKS, out.total_rows)


# --------------------------------------------------------------------------------------------
# Purchase order lines and goods receipts
# --------------------------------------------------------------------------------------------


@dataclass
class Events:
    """Goods movements of one chunk, as offsets in days from their line's order date."""

    line: list[np.ndarray] = field(default_factory=list)
    offset: list[np.ndarray] = field(default_factory=list)
    qty: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    ref: list[np.ndarray] = field(default_factory=list)  # event index a REVERSAL cancels, or -1
    size: int = 0

    def add(self, line: np.ndarray, offset: np.ndarray, qty: np.ndarray, kind: int,
            ref: np.ndarray | None = None) -> np.ndarray:
        """Append events; return their indices (for reversals to point at)."""
        m = len(line)
        self.line.append(line)
        self.offset.append(np.asarray(offset, dtype=np.int64))
        self.qty.append(np.asarray(qty, dtype=np.int64))
        self.kind.append(np.full(m, kind, dtype=np.int8))
        self.ref.append(np.full(m, -1, dtype=np.int64) if ref is None else ref)
        self.size += m
        return np.arange(self.size - m, self.size)

    def arrays(self) -> tuple[np.ndarray, ...]:
        if not self.line:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty, empty.astype(np.int8), empty
        return tuple(np.concatenate(x) for x in (self.line, self.offset, self.qty, self.kind,
                                                  self.ref))


def _scheduled(events: Events, rng: np.random.Generator, lines: np.ndarray, total: np.ndarray,
               last: np.ndarray, k: np.ndarray) -> np.ndarray:
    """k receipts per line, every g days, the last on day `last`, quantities summing to `total`
    (each >= 1). Returns the first receipt's offset per line."""
    k = np.minimum(k, total)
    ev_line = np.repeat(lines, k)
    group = np.repeat(np.arange(len(lines)), k)
    starts = np.concatenate([[0], np.cumsum(k)[:-1]])
    j = np.arange(len(ev_line)) - np.repeat(starts, k)
    from_end = np.repeat(k, k) - 1 - j
    # Every 2-10 days, but the first not before 40% of the lead time (nothing on order day).
    room = np.floor(0.6 * last / np.maximum(k - 1, 1)).astype(np.int64)
    gap = np.minimum(rng.integers(2, 11, len(lines)), room)
    offset = np.repeat(last, k) - from_end * np.repeat(gap, k)
    # 1 each, then the rest split by random weights; the last one takes the remainder.
    w = rng.random(len(ev_line)) + 0.3
    spare = np.repeat(total - k, k)
    extra = np.floor(spare * w / np.bincount(group, w)[group]).astype(np.int64)
    is_last = from_end == 0
    extra[is_last] = 0
    extra[is_last] = (total - k) - np.bincount(group, extra)
    events.add(ev_line, offset, 1 + extra, RECEIPT)
    return last - (k - 1) * gap


@dataclass
class Collected:
    """What later tables and the truth need from all purchase-order chunks."""

    n_parts: int
    n_spellings: int
    n_pairs: int
    po_spellings: np.ndarray = field(init=False)
    gr_spellings: np.ndarray = field(init=False)
    past_due_open_qty: np.ndarray = field(init=False)  # per part
    other_open_qty: np.ndarray = field(init=False)  # per part, open and not past due
    completed_lines: np.ndarray = field(init=False)  # per pair
    below_moq_lines: np.ndarray = field(init=False)  # per pair
    off_multiple_lines: np.ndarray = field(init=False)  # per pair
    po_count: int = 0
    receipt_count: int = 0

    def __post_init__(self) -> None:
        self.po_spellings = np.zeros(self.n_spellings, dtype=bool)
        self.gr_spellings = np.zeros(self.n_spellings, dtype=bool)
        self.past_due_open_qty = np.zeros(self.n_parts)
        self.other_open_qty = np.zeros(self.n_parts)
        self.completed_lines = np.zeros(self.n_pairs, dtype=np.int64)
        self.below_moq_lines = np.zeros(self.n_pairs, dtype=np.int64)
        self.off_multiple_lines = np.zeros(self.n_pairs, dtype=np.int64)


@dataclass
class LineChunk:
    po_number: np.ndarray
    po_line: np.ndarray
    pair: np.ndarray
    spelling: np.ndarray
    order_day: np.ndarray
    requested_day: np.ndarray
    promised_day: np.ndarray  # -1 = null
    qty: np.ndarray
    pattern: np.ndarray


def _po_lines(src: Sourcing, parts: Parts, rng: np.random.Generator, n: int,
              w0: int, w1: int, po_offset: int) -> LineChunk:
    """n purchase order lines ordered in [w0, w1), grouped into POs of one supplier and date."""
    pair = np.searchsorted(np.cumsum(src.weight), rng.random(n) * src.weight.sum())
    pair = np.minimum(pair, src.n - 1)
    day = rng.integers(w0, w1, n)
    supplier = src.supplier[pair]
    o = np.lexsort((day, supplier))
    pair, day, supplier = pair[o], day[o], supplier[o]
    idx = np.arange(n)
    new_po = np.ones(n, dtype=bool)
    new_po[1:] = (supplier[1:] != supplier[:-1]) | (rng.random(n - 1) < 0.45)
    start = np.maximum.accumulate(np.where(new_po, idx, 0))
    order_day = day[start]
    po_line = (idx - start + 1) * 10
    po_local = np.cumsum(new_po) - 1
    firsts = idx[new_po]
    rank = np.empty(len(firsts), dtype=np.int64)
    rank[np.lexsort((supplier[firsts], order_day[firsts]))] = np.arange(len(firsts))
    po_number = po_offset + rank[po_local]  # PO numbers rise with the order date
    o = np.lexsort((po_line, po_number))
    pair, order_day, po_line, po_number = pair[o], order_day[o], po_line[o], po_number[o]
    part = src.part[pair]

    planned = src.planned_lt[pair]
    requested = np.clip(order_day + planned + rng.integers(-3, 8, n), order_day, AS_OF_DAY)
    promised = np.clip(requested + rng.integers(-5, 15, n), order_day, AS_OF_DAY)
    promised = np.where(rng.random(n) < 0.15, -1, promised)

    # Order quantity: min order qty times 1-4 plus some multiples; sloppy buyers break it.
    moq, mult = src.moq[pair], src.multiple[pair]
    qty = moq * rng.integers(1, 5, n) + mult * rng.poisson(2, n)
    breaks = src.sloppy[pair] & (rng.random(n) < 0.25)
    below = breaks & (moq >= 2) & ((rng.random(n) < 0.5) | (mult < 2))
    off_multiple = breaks & ~below & (mult >= 2)
    qty = np.where(below, np.maximum(1, np.floor(moq * rng.uniform(0.3, 0.9, n))), qty)
    qty = np.where(off_multiple, qty + 1 + rng.integers(0, 1 << 30, n) % np.maximum(mult - 1, 1),
                   qty).astype(np.int64)

    pattern = rng.choice(6, size=n, p=PATTERN_P)
    pattern[(pattern == SHORT) & (qty < 2)] = SINGLE
    stuck_window = (order_day >= AS_OF_DAY - 300) & (order_day <= AS_OF_DAY - 45)
    pattern[stuck_window & (rng.random(n) < 0.05)] = STUCK
    candidates = np.flatnonzero((pattern == SINGLE) & (order_day >= START_DAY + 15))
    n_before = min(len(candidates), max(2, round(n * 0.0005)))
    pattern[rng.choice(candidates, n_before, replace=False)] = BEFORE_ORDER
    return LineChunk(po_number, po_line, pair, parts.pick_spelling(rng, part, 0.35), order_day,
                     requested, promised, qty, pattern)


@dataclass
class LineOutcome:
    status: np.ndarray
    final_day: np.ndarray  # day of the last status change (closing, cancelling, last receipt)
    lead: np.ndarray  # completion lead time, -1 if excluded
    first_lead: np.ndarray  # first effective receipt lead time, -1 if none
    short: np.ndarray
    received: np.ndarray  # net received quantity


def _receipts(src: Sourcing, lines: LineChunk, rng: np.random.Generator
              ) -> tuple[Events, LineOutcome]:
    """Goods movements per line by its pattern, and the outcome the netting must find."""
    n = len(lines.pair)
    pair, order_day, qty, pattern = lines.pair, lines.order_day, lines.qty, lines.pattern
    after_cp = (src.change_day[pair] >= 0) & (order_day >= src.change_day[pair])
    mean = np.where(after_cp, src.mean_after[pair], src.mean_before[pair])
    shape = src.shape[pair]
    lt = np.maximum(1, np.round(rng.gamma(shape, mean / shape))).astype(np.int64)
    d_rev = rng.integers(1, 6, n)
    d_ret = rng.integers(3, 22, n)
    t_c = np.where(pattern == REVERSED, np.maximum(lt, d_rev),
                   np.where(pattern == RETURNED, np.maximum(lt, d_ret), lt))
    close_off = t_c + np.where(pattern == SHORT, rng.integers(0, 21, n), 0)
    # Lines not finished by AS_OF are still OPEN; reversal/return stories cannot have started.
    late = np.isin(pattern, (SINGLE, PARTIAL, REVERSED, RETURNED, SHORT)) & (
        order_day + close_off > AS_OF_DAY)
    pattern = np.where(late & np.isin(pattern, (REVERSED, RETURNED)), SINGLE, pattern)

    ev = Events()
    first = np.full(n, -1, dtype=np.int64)
    lead = np.full(n, -1, dtype=np.int64)

    sel = np.flatnonzero(pattern == SINGLE)
    ev.add(sel, t_c[sel], qty[sel], RECEIPT)
    first[sel] = t_c[sel]

    sel = np.flatnonzero(pattern == PARTIAL)
    first[sel] = _scheduled(ev, rng, sel, qty[sel], t_c[sel], rng.integers(2, 7, len(sel)))

    sel = np.flatnonzero(pattern == REVERSED)  # wrong posting, reversed, then posted again
    start = t_c[sel] - d_rev[sel]
    bad = ev.add(sel, start, qty[sel], RECEIPT)
    ev.add(sel, start + rng.integers(0, d_rev[sel] + 1), qty[sel], REVERSAL, bad)
    ev.add(sel, t_c[sel], qty[sel], RECEIPT)
    first[sel] = t_c[sel]

    sel = np.flatnonzero(pattern == RETURNED)  # part of it sent back, redelivered later
    start = t_c[sel] - d_ret[sel]
    back = np.maximum(1, np.floor(qty[sel] * rng.uniform(0.1, 1.0, len(sel)))).astype(np.int64)
    ev.add(sel, start, qty[sel], RECEIPT)
    ev.add(sel, start + rng.integers(1, d_ret[sel]), back, RETURN)
    ev.add(sel, t_c[sel], back, RECEIPT)
    first[sel] = start

    sel = np.flatnonzero(pattern == SHORT)  # closed with 60-95% delivered
    delivered = np.clip(np.floor(qty[sel] * rng.uniform(0.6, 0.95, len(sel))), 1, qty[sel] - 1)
    first[sel] = _scheduled(ev, rng, sel, delivered.astype(np.int64), t_c[sel],
                            rng.integers(1, 3, len(sel)))

    cancel_day = np.minimum(order_day + rng.integers(3, 60, n), AS_OF_DAY)
    sel = np.flatnonzero((pattern == CANCEL) & (qty >= 2) & (rng.random(n) < 0.1))
    part_qty = np.maximum(1, np.floor(qty[sel] * rng.uniform(0.2, 0.7, len(sel))))
    ev.add(sel, rng.integers(0, cancel_day[sel] - order_day[sel] + 1), part_qty, RECEIPT)

    sel = np.flatnonzero((pattern == STUCK) & (qty >= 2) & (rng.random(n) < 0.3))
    part_qty = np.maximum(1, np.floor(qty[sel] * rng.uniform(0.2, 0.7, len(sel))))
    ev.add(sel, np.floor((AS_OF_DAY - order_day[sel]) * rng.uniform(0, 0.5, len(sel))),
           part_qty, RECEIPT)

    sel = np.flatnonzero(pattern == BEFORE_ORDER)  # the injected data error
    ev.add(sel, -rng.integers(1, 11, len(sel)), qty[sel], RECEIPT)

    # Outcome per line.
    e_line, e_off, e_qty, e_kind, e_ref = ev.arrays()
    posted = order_day[e_line] + e_off <= AS_OF_DAY
    sign = np.where(e_kind == RETURN, -1, 1)
    counted = posted & (e_kind != REVERSAL)
    reversed_away = np.zeros(len(e_line), dtype=bool)
    reversed_away[e_ref[posted & (e_kind == REVERSAL)]] = True
    counted &= ~reversed_away
    received = np.bincount(e_line[counted], (sign * e_qty)[counted], minlength=n)
    last_event = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_event, e_line[posted], order_day[e_line[posted]] + e_off[posted])

    done = ~late & np.isin(pattern, (SINGLE, PARTIAL, REVERSED, RETURNED, SHORT))
    status = np.where(pattern == CANCEL, CANCELLED,
                      np.where(done | (pattern == BEFORE_ORDER), CLOSED, OPEN))
    lead[done] = t_c[done]
    final_day = np.where(
        pattern == CANCEL, cancel_day,
        np.where(done, order_day + close_off,
                 np.where(pattern == BEFORE_ORDER, order_day + rng.integers(0, 3, n),
                          np.maximum(order_day, last_event))))
    final_day = np.minimum(final_day, AS_OF_DAY)
    first = np.where(done, first, -1)
    outcome = LineOutcome(status, final_day, lead, first, done & (pattern == SHORT), received)
    lines.pattern = np.where(late, AWAITING, pattern)
    return ev, outcome


@dataclass(frozen=True)
class Names:
    """Arrow lookup arrays: integer codes in numpy become strings by one `take` per column."""

    spellings: pa.Array
    supplier_ids: pa.Array
    uoms: pa.Array  # per part
    statuses: pa.Array = field(default_factory=lambda: pa.array(LINE_STATUSES))
    movements: pa.Array = field(default_factory=lambda: pa.array(MOVEMENT_TYPES))
    patterns: pa.Array = field(default_factory=lambda: pa.array(PATTERN_NAMES))
    exclusions: pa.Array = field(default_factory=lambda: pa.array(
        ["open_incomplete", None, "cancelled", "receipt_before_order_date"], pa.string()))


def _take(names: pa.Array, codes_: np.ndarray) -> pa.Array:
    return names.take(pa.array(codes_))


def write_po_line_extracts(lines: LineChunk, out: LineOutcome, ev: Events, src: Sourcing,
                           names: Names, po_out: ExtractWriter, rng: np.random.Generator
                           ) -> None:
    """Extract 1 shows each line as it stood on PO_EXTRACT_1; extract 2 (AS_OF) brings the
    lines ordered since and re-states those whose status changed after it."""
    n = len(lines.pair)
    e_line, e_off, *_ = ev.arrays()
    e_day = lines.order_day[e_line] + e_off
    seen_e1 = np.full(n, -1, dtype=np.int64)  # last goods movement up to extract 1
    early = e_day <= PO_E1_DAY
    np.maximum.at(seen_e1, e_line[early], e_day[early])
    in_e1 = lines.order_day <= PO_E1_DAY
    settled_e1 = (out.status != OPEN) & (out.final_day <= PO_E1_DAY)
    status_e1 = np.where(settled_e1, out.status, OPEN)
    day_e1 = np.where(settled_e1, out.final_day, np.maximum(lines.order_day, seen_e1))
    in_e2 = ~in_e1 | (status_e1 != out.status)
    touch = rng.integers(6 * 3600, 18 * 3600, n)  # time of day of updated_at
    part = src.part[lines.pair]
    for extract_date, rows, status, day in (
        (PO_EXTRACT_1, np.flatnonzero(in_e1), status_e1, day_e1),
        (AS_OF, np.flatnonzero(in_e2), out.status, out.final_day),
    ):
        promised = lines.promised_day[rows]
        po_out.write(extract_date, {
            "po_number": codes("PO", 1 + lines.po_number[rows], 8),
            "po_line": lines.po_line[rows],
            "supplier_id": _take(names.supplier_ids, src.supplier[lines.pair[rows]]),
            "part_number": _take(names.spellings, lines.spelling[rows]),
            "order_date": dates(lines.order_day[rows]),
            "requested_date": dates(lines.requested_day[rows]),
            "promised_date": dates(np.maximum(promised, 0), promised < 0),
            "order_qty": lines.qty[rows].astype(float),
            "uom": _take(names.uoms, part[rows]),
            "line_status": _take(names.statuses, status[rows]),
            "updated_at": timestamps(day[rows] * 86400 + touch[rows]),
        })


def write_receipts(lines: LineChunk, ev: Events, src: Sourcing, parts: Parts, names: Names,
                   gr_out: ExtractWriter, got: Collected, rng: np.random.Generator) -> int:
    """Posted movements, into the extract of their half-year; ids in date order within the
    chunk and unique across all extracts. Returns the rows written."""
    e_line, e_off, e_qty, e_kind, e_ref = ev.arrays()
    e_day = lines.order_day[e_line] + e_off
    keep = np.flatnonzero(e_day <= AS_OF_DAY)
    o = keep[np.lexsort((keep, e_day[keep]))]
    receipt_no = np.full(len(e_line), -1, dtype=np.int64)
    receipt_no[o] = got.receipt_count + 1 + np.arange(len(o))
    got.receipt_count += len(o)
    ref = e_ref[o]
    reverses = codes("GR", receipt_no[np.maximum(ref, 0)], 10)
    reverses = pc.if_else(pa.array(ref >= 0), reverses, pa.scalar(None, pa.string()))
    # Receipts mostly name the PO line's spelling, sometimes another of the same part.
    line_of = e_line[o]
    part = src.part[lines.pair[line_of]]
    spelling = np.where(rng.random(len(o)) < 0.9, lines.spelling[line_of],
                        parts.pick_spelling(rng, part, 0.5))
    got.gr_spellings[spelling] = True
    batch = pa.table({
        "receipt_id": codes("GR", receipt_no[o], 10),
        "po_number": codes("PO", 1 + lines.po_number[line_of], 8),
        "po_line": lines.po_line[line_of],
        "part_number": _take(names.spellings, spelling),
        "receipt_date": dates(e_day[o]),
        "quantity": e_qty[o].astype(float),
        "uom": _take(names.uoms, part),
        "movement_type": _take(names.movements, e_kind[o]),
        "reverses_receipt_id": reverses,
    })
    period = np.searchsorted(_PERIOD_DAYS, e_day[o], side="left")
    for p, period_end in enumerate(RECEIPT_PERIOD_ENDS):
        chunk = batch.filter(pa.array(period == p))
        gr_out.write(period_end, {c: chunk.column(c) for c in chunk.column_names})
    return len(o)


def collect(lines: LineChunk, out: LineOutcome, src: Sourcing, got: Collected) -> None:
    """Per-part open supply and per-pair counts that later tables and the truth need."""
    part = src.part[lines.pair]
    n_parts = len(got.past_due_open_qty)
    got.po_spellings[lines.spelling] = True
    # Past due: requested and promised dates before AS_OF (a null promise is -1 here).
    past_due = ((out.status == OPEN) & (lines.requested_day < AS_OF_DAY)
                & (lines.promised_day < AS_OF_DAY))
    on_time = (out.status == OPEN) & ~past_due
    open_qty = np.maximum(lines.qty - out.received, 0)
    got.past_due_open_qty += np.bincount(part[past_due], open_qty[past_due], minlength=n_parts)
    got.other_open_qty += np.bincount(part[on_time], open_qty[on_time], minlength=n_parts)
    got.completed_lines += np.bincount(lines.pair[out.lead >= 0], minlength=src.n)
    moq, mult = src.moq[lines.pair], src.multiple[lines.pair]
    got.below_moq_lines += np.bincount(lines.pair[lines.qty < moq], minlength=src.n)
    got.off_multiple_lines += np.bincount(lines.pair[lines.qty % mult != 0], minlength=src.n)


def po_line_truth(lines: LineChunk, out: LineOutcome, src: Sourcing, names: Names
                  ) -> dict[str, object]:
    reason = np.where(lines.pattern == BEFORE_ORDER, 3, out.status)  # see Names.exclusions
    return {
        "po_number": codes("PO", 1 + lines.po_number, 8),
        "po_line": lines.po_line,
        "expected_line_status": _take(names.statuses, out.status),
        "expected_exclusion_reason": _take(names.exclusions, reason),
        "expected_short_closed": out.short,
        "true_lead_time_days": pa.array(out.lead, mask=out.lead < 0),
        "true_first_receipt_lead_time_days": pa.array(out.first_lead, mask=out.first_lead < 0),
        "completion_date": dates(np.maximum(lines.order_day + out.lead, 0), out.lead < 0),
        "true_part_id": src.part[lines.pair] + 1,
        "supplier_id": _take(names.supplier_ids, src.supplier[lines.pair]),
        "pattern": _take(names.patterns, lines.pattern),
    }


def generate_purchasing(cfg: Config, parts: Parts, sup: Suppliers, src: Sourcing,
                        po_out: ExtractWriter, gr_out: ExtractWriter, truth_out: TruthWriter,
                        progress: Progress) -> Collected:
    """PO lines and goods receipts, chunk by chunk of order dates."""
    got = Collected(parts.n, len(parts.sp_number), src.n)
    names = Names(pa.array(parts.sp_number), pa.array(sup.ids), pa.array(parts.uom))
    n_chunks = max(1, math.ceil(cfg.n_po_lines / LINES_PER_CHUNK))
    sizes = np.diff(np.linspace(0, cfg.n_po_lines, n_chunks + 1).round().astype(int))
    bounds = np.linspace(START_DAY, AS_OF_DAY + 1, n_chunks + 1).round().astype(int)
    for k in range(n_chunks):
        rng = _rng(cfg.seed, "purchase_orders", k)
        lines = _po_lines(src, parts, rng, int(sizes[k]), int(bounds[k]), int(bounds[k + 1]),
                          got.po_count)
        got.po_count = int(lines.po_number.max()) + 1
        ev, out = _receipts(src, lines, rng)
        write_po_line_extracts(lines, out, ev, src, names, po_out, rng)
        n_receipts = write_receipts(lines, ev, src, parts, names, gr_out, got, rng)
        collect(lines, out, src, got)
        truth_out.write(po_line_truth(lines, out, src, names))
        progress.log(f"erp_purchase_order_lines chunk {k + 1}/{n_chunks}", len(lines.pair),
                     po_out.total_rows)
        progress.log(f"erp_goods_receipts chunk {k + 1}/{n_chunks}", n_receipts,
                     gr_out.total_rows)
    return got


# --------------------------------------------------------------------------------------------
# Inventory and availability
# --------------------------------------------------------------------------------------------


@dataclass
class Availability:
    required: np.ndarray
    available: np.ndarray
    on_hand: np.ndarray  # latest snapshot (AS_OF)
    on_hand_prev: np.ndarray
    status: np.ndarray  # True = AVAILABLE
    false_available: np.ndarray
    spelling: np.ndarray  # ERP spelling the inventory uses for the part-plant


def build_availability(cfg: Config, parts: Parts, plan: Planning, got: Collected
                       ) -> Availability:
    """Honest AVAILABLE (stock covers the need), honest SHORT, and ~3% false AVAILABLE rows
    whose stock is short and whose only cover is a past-due open PO line: stock plus the
    part's open supply that is not past due stays below the need."""
    rng = _rng(cfg.seed, "availability")
    n = plan.n
    required = np.maximum(1, np.round(plan.weekly_mean * rng.uniform(0.5, 3.0, n)))
    supply = got.past_due_open_qty[plan.part]
    eligible = np.flatnonzero((supply >= 1) & parts.buy[plan.part])
    n_false = min(len(eligible), max(1, round(0.03 * n)))
    false_rows = rng.choice(eligible, n_false, replace=False) if n_false else eligible
    false_available = np.zeros(n, dtype=bool)
    false_available[false_rows] = True
    short = ~false_available & (rng.random(n) < 0.18)

    on_hand = np.where(short, np.floor(required * rng.uniform(0.0, 0.9, n)),
                       np.ceil(required * rng.uniform(1.0, 4.0, n)))
    available = np.where(short, on_hand + np.floor((required - on_hand) * rng.uniform(0, 0.9, n)),
                         on_hand)
    # False AVAILABLE: stock below the need, MRP counts the past-due open quantity as cover.
    fa_on_hand = np.floor(required * rng.uniform(0.0, 0.8, n))
    on_time = got.other_open_qty[plan.part]
    fa_required = fa_on_hand + on_time + np.maximum(1, np.floor(supply * rng.uniform(0.5, 1, n)))
    on_hand = np.where(false_available, fa_on_hand, on_hand)
    required = np.where(false_available, fa_required, required)
    available = np.where(false_available, fa_on_hand + on_time + supply, available)
    on_hand_prev = np.round(on_hand * rng.uniform(0.5, 1.8, n) + plan.weekly_mean
                            * rng.uniform(0, 2, n))
    return Availability(
        required=required, available=available, on_hand=on_hand, on_hand_prev=on_hand_prev,
        status=~short, false_available=false_available,
        spelling=parts.pick_spelling(rng, plan.part, 0.35),
    )


def write_inventory(parts: Parts, plan: Planning, av: Availability, out: ExtractWriter) -> None:
    names = pa.array(parts.sp_number).take(pa.array(av.spelling))
    plants = np.array(PLANTS, dtype=object)[plan.plant].tolist()
    for snapshot, qty in zip(INVENTORY_SNAPSHOTS, (av.on_hand_prev, av.on_hand), strict=True):
        out.write(snapshot, {
            "snapshot_date": dates(np.full(plan.n, _day(snapshot))),
            "part_number": names,
            "plant": plants,
            "on_hand_qty": qty,
        })


def write_availability(parts: Parts, plan: Planning, av: Availability,
                       out: ExtractWriter) -> None:
    out.write(AS_OF, {
        "as_of_date": dates(np.full(plan.n, AS_OF_DAY)),
        "part_number": pa.array(parts.mrp_number).take(pa.array(plan.part)),
        "plant": np.array(PLANTS, dtype=object)[plan.plant].tolist(),
        "required_qty": av.required,
        "available_qty": av.available,
        "status": np.where(av.status, "AVAILABLE", "SHORT").tolist(),
    })


# --------------------------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------------------------

INT = pa.int64()
BOOL = pa.bool_()
FLOAT = pa.float64()


def crosswalk_rows() -> dict[str, list[str]]:
    """The steward's decisions: identical for every seed and scale (a committed dbt seed)."""
    return {
        "source_system": ["mrp"] * len(LEGACY_PARTS),
        "source_part_number": [legacy for _, legacy in LEGACY_PARTS],
        "canonical_part_number": [number for number, _ in LEGACY_PARTS],
        "decided_by": [CROSSWALK_DECIDED_BY] * len(LEGACY_PARTS),
        "decided_on": [CROSSWALK_DECIDED_ON] * len(LEGACY_PARTS),
        "note": [
            f"MRP legacy number from the pre-2019 system; confirmed as {number} against drawings"
            for number, _ in LEGACY_PARTS
        ],
    }


def truth_part_identities(parts: Parts, src: Sourcing, plan: Planning, av: Availability,
                          got: Collected) -> dict[str, object]:
    sp_part = np.array(parts.sp_part)
    rows: list[tuple[str, str, int]] = []  # (system, table, spelling id or -1 - part)
    used = {
        "erp_items": np.arange(len(sp_part)),
        "erp_purchasing_info": np.unique(src.spelling),
        "erp_purchase_order_lines": np.flatnonzero(got.po_spellings),
        "erp_goods_receipts": np.flatnonzero(got.gr_spellings),
        "erp_inventory": np.unique(av.spelling),
    }
    for table, ids in used.items():
        rows += [("erp", table, int(i)) for i in ids]
    mrp_parts = np.unique(plan.part)
    for table in ("mrp_parameters", "mrp_availability", "mrp_demand_history"):
        rows += [("mrp", table, -1 - int(p)) for p in mrp_parts]
    legacy = {legacy for _, legacy in LEGACY_PARTS}
    number, part, kind = [], [], []
    for _, _, ref in rows:
        if ref >= 0:
            number.append(parts.sp_number[ref])
            part.append(int(sp_part[ref]))
            kind.append(parts.sp_kind[ref])
        else:
            p = -1 - ref
            number.append(parts.mrp_number[p])
            part.append(p)
            kind.append("mrp_legacy" if parts.mrp_number[p] in legacy else "mrp_format")
    return {
        "source_system": [r[0] for r in rows],
        "source_table": [r[1] for r in rows],
        "source_part_number": number,
        "true_part_id": np.array(part) + 1,
        "canonical_part_number": [parts.number[p] for p in part],
        "spelling_kind": kind,
    }


def truth_lead_times(parts: Parts, sup: Suppliers, src: Sourcing, plan: Planning,
                     got: Collected) -> dict[str, object]:
    mrp_lt = np.zeros(parts.n, dtype=np.int64)
    mrp_lt[plan.part] = plan.planned_lt
    has_cp = src.change_day >= 0
    return {
        "true_part_id": src.part + 1,
        "canonical_part_number": [parts.number[p] for p in src.part],
        "supplier_id": [sup.ids[s] for s in src.supplier],
        "erp_planned_lead_time_days": src.planned_lt,
        "mrp_planned_lead_time_days": mrp_lt[src.part],
        "true_mean_lead_time_days": np.round(src.mean_after, 1),
        "drifted": src.drifted,
        "drift_start_date": dates(np.maximum(src.change_day, 0), ~has_cp),
        "true_mean_before_change_days": pa.array(np.round(src.mean_before, 1), mask=~has_cp),
        "preferred": src.preferred,
        "n_completed_lines": got.completed_lines,
    }


def truth_mrp_parameters(parts: Parts, plan: Planning) -> dict[str, object]:
    return {
        "mrp_part_number": [parts.mrp_number[p] for p in plan.part],
        "plant": [PLANTS[i] for i in plan.plant],
        "true_part_id": plan.part + 1,
        "stale": plan.stale,
        "safety_stock_misset": plan.misset,
        "current_safety_stock": plan.safety_stock,
        "expected_safety_stock": np.round(plan.expected_ss, 2),
    }


def truth_availability(parts: Parts, plan: Planning, av: Availability, got: Collected
                       ) -> dict[str, object]:
    return {
        "as_of_date": dates(np.full(plan.n, AS_OF_DAY)),
        "mrp_part_number": [parts.mrp_number[p] for p in plan.part],
        "plant": [PLANTS[i] for i in plan.plant],
        "true_part_id": plan.part + 1,
        "mrp_status": np.where(av.status, "AVAILABLE", "SHORT").tolist(),
        "false_available": av.false_available,
        "erp_on_hand_qty": av.on_hand,
        "required_qty": av.required,
        "past_due_open_qty": got.past_due_open_qty[plan.part],
        "other_open_qty": got.other_open_qty[plan.part],
    }


def truth_order_policy(sup: Suppliers, src: Sourcing, plan: Planning, got: Collected
                       ) -> dict[str, object]:
    """Conflicts checked against every supplier of the part, from the generated data."""
    rows: list[tuple[int, str | None, int, str, float | None, int | None]] = []
    lot = np.where(plan.policy == 1, plan.fixed_lot, plan.min_lot)
    pairs_of_part: dict[int, list[int]] = {}
    for i, p in enumerate(src.part):
        pairs_of_part.setdefault(int(p), []).append(i)
    for r in np.flatnonzero(~np.isnan(lot)):
        for i in pairs_of_part.get(int(plan.part[r]), []):
            size = int(lot[r])
            checks = (
                (size < src.moq[i], "mrp_lot_below_min_order_qty"),
                (size % src.multiple[i] != 0, "mrp_lot_not_multiple_of_order_multiple"),
            )
            for broken, conflict in checks:
                if broken:
                    rows.append((int(plan.part[r]), PLANTS[plan.plant[r]], int(src.supplier[i]),
                                 conflict, float(size), None))
    for counts, conflict in ((got.below_moq_lines, "po_qty_below_min_order_qty"),
                             (got.off_multiple_lines, "po_qty_not_multiple_of_order_multiple")):
        for i in np.flatnonzero(counts):
            rows.append((int(src.part[i]), None, int(src.supplier[i]), conflict, None,
                         int(counts[i])))
    rows.sort(key=lambda r: (r[0], r[1] or "", r[2], r[3]))
    return {
        "true_part_id": pa.array([r[0] + 1 for r in rows], INT),
        "plant": pa.array([r[1] for r in rows], pa.string()),
        "supplier_id": pa.array([sup.ids[r[2]] for r in rows], pa.string()),
        "conflict_type": pa.array([r[3] for r in rows], pa.string()),
        "mrp_lot_size": pa.array([r[4] for r in rows], FLOAT),
        "n_po_lines": pa.array([r[5] for r in rows], INT),
    }


PO_TRUTH_SCHEMA = pa.schema([
    ("po_number", pa.string()),
    ("po_line", pa.int32()),
    ("expected_line_status", pa.string()),
    ("expected_exclusion_reason", pa.string()),
    ("expected_short_closed", BOOL),
    ("true_lead_time_days", INT),
    ("true_first_receipt_lead_time_days", INT),
    ("completion_date", pa.date32()),
    ("true_part_id", INT),
    ("supplier_id", pa.string()),
    ("pattern", pa.string()),
])
TRUTH_TYPES = {
    "true_part_id": INT, "erp_planned_lead_time_days": INT, "mrp_planned_lead_time_days": INT,
    "true_mean_lead_time_days": FLOAT, "drifted": BOOL, "drift_start_date": pa.date32(),
    "true_mean_before_change_days": FLOAT, "preferred": BOOL, "n_completed_lines": INT,
    "stale": BOOL, "safety_stock_misset": BOOL, "current_safety_stock": FLOAT,
    "expected_safety_stock": FLOAT, "as_of_date": pa.date32(), "false_available": BOOL,
    "erp_on_hand_qty": FLOAT, "required_qty": FLOAT, "past_due_open_qty": FLOAT,
    "other_open_qty": FLOAT,
    "mrp_lot_size": FLOAT, "n_po_lines": INT,
}


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def landing_has_tables(landing_dir: Path) -> bool:
    """True if the landing dir has a table folder, even an empty one (the user's choice)."""
    return landing_dir.is_dir() and any(
        p.is_dir() and not p.name.startswith(".") for p in landing_dir.iterdir()
    )


def generate(scale: float, seed: int, landing_dir: Path, truth_dir: Path,
             file_format: str = "csv", progress: bool = True, force: bool = False
             ) -> dict[str, int]:
    """Write the demo extract and its ground truth; return the row count per landing table.

    Refuses (LandingNotEmptyError) when a folder of the landing dir already holds a file,
    unless force, which deletes only the demo files (``__demo__`` names) before writing; own
    extracts are never touched, and with one present it refuses even with force (the demo
    would retire itself at once). Truth files are overwritten.
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    landing_dir, truth_dir = Path(landing_dir), Path(truth_dir)
    existing = [p for p in landing_dir.glob("*/*") if p.is_file()]
    own = [p for p in existing if not is_demo_extract(p.name) and not p.name.startswith(".")]
    if own:
        raise LandingNotEmptyError(
            f"{landing_dir} holds your own extracts (e.g. {own[0].parent.name}/{own[0].name}); "
            "the demo never mixes with them"
        )
    if existing and not force:
        raise LandingNotEmptyError(
            f"{landing_dir} already holds the demo extract; use --force to replace it"
        )
    cfg = Config.for_scale(scale, seed)
    log = Progress(progress)
    for path in existing:
        if is_demo_extract(path.name):
            path.unlink()
    landing_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    suppliers = build_suppliers(cfg)
    parts = build_parts(cfg)
    sourcing = build_sourcing(cfg, parts, suppliers)
    planning = build_planning(cfg, parts, sourcing)

    writers = {name: ExtractWriter(landing_dir, name, file_format) for name in LANDING_TABLES}
    po_truth = TruthWriter(truth_dir / "po_lines.csv", PO_TRUTH_SCHEMA)
    try:
        for table, write in (
            ("erp_items", lambda w: write_items(parts, w)),
            ("erp_suppliers", lambda w: write_suppliers(suppliers, w)),
            ("erp_purchasing_info",
             lambda w: write_purchasing_info(parts, suppliers, sourcing, w)),
            ("mrp_parameters", lambda w: write_mrp_parameters(parts, planning, w)),
        ):
            write(writers[table])
            log.log(table, writers[table].total_rows)
        write_demand_history(cfg, parts, planning, writers["mrp_demand_history"], log)
        got = generate_purchasing(cfg, parts, suppliers, sourcing,
                                  writers["erp_purchase_order_lines"],
                                  writers["erp_goods_receipts"], po_truth, log)
        availability = build_availability(cfg, parts, planning, got)
        write_inventory(parts, planning, availability, writers["erp_inventory"])
        log.log("erp_inventory", writers["erp_inventory"].total_rows)
        write_availability(parts, planning, availability, writers["mrp_availability"])
        log.log("mrp_availability", writers["mrp_availability"].total_rows)
    finally:
        po_truth.close()
        for writer in writers.values():
            writer.close()

    truth_rows = {"po_lines.csv": po_truth.rows}
    for name, columns in (
        ("part_identities.csv",
         truth_part_identities(parts, sourcing, planning, availability, got)),
        ("part_crosswalk.csv", crosswalk_rows()),
        ("lead_times.csv", truth_lead_times(parts, suppliers, sourcing, planning, got)),
        ("mrp_parameters.csv", truth_mrp_parameters(parts, planning)),
        ("availability.csv", truth_availability(parts, planning, availability, got)),
        ("order_policy.csv", truth_order_policy(suppliers, sourcing, planning, got)),
    ):
        truth_rows[name] = write_truth(truth_dir / name, columns, TRUTH_TYPES)
    log.log("ground truth", sum(truth_rows.values()))

    counts = {name: w.total_rows for name, w in writers.items()}
    files: dict[str, int] = {}
    for writer in writers.values():
        files.update(writer.files())
    manifest = {
        "generator": "tooling.demo_data",
        "seed": seed,
        "scale": scale,
        "as_of": AS_OF.isoformat(),
        "file_format": file_format,
        "sizes": {"canonical_parts": cfg.n_parts, "suppliers": cfg.n_suppliers,
                  "item_records": len(parts.sp_number), "part_supplier_pairs": sourcing.n,
                  "part_plants": planning.n},
        "row_counts": counts,
        "landing_files": files,
        "truth_files": dict(sorted(truth_rows.items())),
    }
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    from dagster_project.runtime.settings import get_settings

    parser = argparse.ArgumentParser(
        prog="python -m tooling.demo_data",
        description="Write the deterministic demo ERP/MRP extract and its ground truth.",
    )
    parser.add_argument("--scale", type=float, default=1.0,
                        help="about scale x 100,000 goods receipts (fractions allowed)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing", type=Path, default=None,
                        help="landing dir (default: settings landing_dir)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="ground-truth dir (default: settings truth_dir)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--force", action="store_true",
                        help="replace the demo files already in the landing dir")
    parser.add_argument("--if-empty", action="store_true",
                        help="only when the landing dir has no table folder (what `make run` "
                        "does); otherwise do nothing")
    args = parser.parse_args(argv)
    settings = get_settings()
    landing = args.landing or settings.landing_dir
    truth = args.truth or settings.truth_dir
    if args.if_empty:
        if landing_has_tables(landing):
            return 0
        print(f"{landing} is empty: generating the demo extract (scale {args.scale:g})",
              file=sys.stderr)
    started = time.perf_counter()
    try:
        counts = generate(args.scale, args.seed, landing, truth, args.format, progress=True,
                          force=args.force)
    except LandingNotEmptyError as exc:
        print(f"demo_data: refused: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"demo_data: {exc}", file=sys.stderr)
        return 2
    total = sum(counts.values())
    print(f"demo_data: wrote {total:,} rows into {landing} and the ground truth into {truth} "
          f"in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
