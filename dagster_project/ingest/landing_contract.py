"""The raw landing contract (docs/landing-contract.md) as data.

One entry per landing table: its key and its columns with the DuckDB type each is loaded as.
Ingestion, the demo generator, the dbt sources and the raw contracts all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB type the column is cast to when loaded into schema raw
    nullable: bool = False
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class LandingTable:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # Transactional tables: the latest extract of a key wins. Master tables: likewise, the
    # newest extract is the current picture; both are deduplicated the same way in staging.
    transactional: bool = True
    description: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, sql_type: str = "VARCHAR", nullable: bool = False, *allowed: str) -> Column:
    return Column(name, sql_type, nullable, tuple(allowed))


LANDING_TABLES: dict[str, LandingTable] = {
    t.name: t
    for t in (
        LandingTable(
            "erp_items",
            ("part_number",),
            (
                _c("part_number"),
                _c("description"),
                _c("uom"),
                _c("procurement_type", "VARCHAR", False, "BUY", "MAKE"),
                _c("status", "VARCHAR", False, "ACTIVE", "OBSOLETE", "BLOCKED"),
                _c("manufacturer_part_number", "VARCHAR", True),
                _c("updated_at", "TIMESTAMP"),
            ),
            transactional=False,
            description="ERP item master",
        ),
        LandingTable(
            "erp_suppliers",
            ("supplier_id",),
            (
                _c("supplier_id"),
                _c("supplier_name"),
                _c("country"),
                _c("status", "VARCHAR", False, "ACTIVE", "BLOCKED"),
            ),
            transactional=False,
            description="ERP supplier master",
        ),
        LandingTable(
            "erp_purchasing_info",
            ("part_number", "supplier_id"),
            (
                _c("part_number"),
                _c("supplier_id"),
                _c("planned_lead_time_days", "INTEGER"),
                _c("min_order_qty", "DOUBLE"),
                _c("order_multiple", "DOUBLE"),
                _c("unit_price", "DOUBLE"),
                _c("currency"),
                _c("preferred", "BOOLEAN"),
                _c("last_reviewed_date", "DATE", True),
            ),
            transactional=False,
            description="ERP purchasing info record per part and supplier",
        ),
        LandingTable(
            "erp_purchase_order_lines",
            ("po_number", "po_line"),
            (
                _c("po_number"),
                _c("po_line", "INTEGER"),
                _c("supplier_id"),
                _c("part_number"),
                _c("order_date", "DATE"),
                _c("requested_date", "DATE"),
                _c("promised_date", "DATE", True),
                _c("order_qty", "DOUBLE"),
                _c("uom"),
                _c("line_status", "VARCHAR", False, "OPEN", "CLOSED", "CANCELLED"),
                _c("updated_at", "TIMESTAMP"),
            ),
            description="ERP purchase order lines",
        ),
        LandingTable(
            "erp_goods_receipts",
            ("receipt_id",),
            (
                _c("receipt_id"),
                _c("po_number"),
                _c("po_line", "INTEGER"),
                _c("part_number"),
                _c("receipt_date", "DATE"),
                _c("quantity", "DOUBLE"),
                _c("uom"),
                _c("movement_type", "VARCHAR", False, "RECEIPT", "REVERSAL", "RETURN"),
                _c("reverses_receipt_id", "VARCHAR", True),
            ),
            description="ERP goods receipts, reversals and returns",
        ),
        LandingTable(
            "erp_inventory",
            ("snapshot_date", "part_number", "plant"),
            (
                _c("snapshot_date", "DATE"),
                _c("part_number"),
                _c("plant"),
                _c("on_hand_qty", "DOUBLE"),
            ),
            description="ERP on-hand inventory snapshots",
        ),
        LandingTable(
            "mrp_parameters",
            ("part_number", "plant"),
            (
                _c("part_number"),
                _c("plant"),
                _c("planned_lead_time_days", "INTEGER"),
                _c("safety_stock_qty", "DOUBLE"),
                _c("reorder_point", "DOUBLE"),
                _c("lot_size_policy", "VARCHAR", False, "LOT_FOR_LOT", "FIXED", "MIN_MAX",
                   "PERIODIC"),
                _c("fixed_lot_size", "DOUBLE", True),
                _c("min_lot_size", "DOUBLE", True),
                _c("last_changed_date", "DATE"),
            ),
            transactional=False,
            description="MRP planning parameters per part and plant",
        ),
        LandingTable(
            "mrp_availability",
            ("as_of_date", "part_number", "plant"),
            (
                _c("as_of_date", "DATE"),
                _c("part_number"),
                _c("plant"),
                _c("required_qty", "DOUBLE"),
                _c("available_qty", "DOUBLE"),
                _c("status", "VARCHAR", False, "AVAILABLE", "SHORT"),
            ),
            description="MRP availability check results",
        ),
        LandingTable(
            "mrp_demand_history",
            ("part_number", "plant", "week_start"),
            (
                _c("part_number"),
                _c("plant"),
                _c("week_start", "DATE"),
                _c("demand_qty", "DOUBLE"),
            ),
            description="MRP weekly demand history (week_start is a Monday)",
        ),
    )
}

# Columns ingestion adds to every raw table.
METADATA_COLUMNS: tuple[Column, ...] = (
    _c("_source_file"),
    _c("_loaded_at", "TIMESTAMP"),
    _c("_row_hash"),
)
