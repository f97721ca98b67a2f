"""A plain-Python reference of receipt netting and PO-line lead times (DESIGN.md, Semantics).

Written from the design's words, independently of the SQL in dbt/models/intermediate, so the
property test can compare the two on random receipt histories:

- RECEIPT adds its quantity to its PO line; REVERSAL cancels the movement it names (a RECEIPT
  or RETURN, on any line), which then counts as never posted, and moves nothing itself (a
  reversal of an unknown id or of another REVERSAL cancels nothing); RETURN subtracts.
- first receipt: the first RECEIPT not reversed.
- completion: the earliest date from which the cumulative net received quantity stays at or
  above order_qty (all movements of a day count together; 1e-6 tolerance); a CLOSED line that
  never stays there is short-closed and completes on its last effective receipt.
- exclusion (first that applies): cancelled, receipt_before_order_date (an effective
  movement dated before the order), open_incomplete, no_effective_receipts (CLOSED without
  an effective receipt).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

TOLERANCE = 1e-6


@dataclass(frozen=True)
class PoLine:
    po_number: str
    po_line: int
    order_date: date
    order_qty: float
    line_status: str  # OPEN, CLOSED, CANCELLED


@dataclass(frozen=True)
class Movement:
    receipt_id: str
    po_number: str
    po_line: int
    receipt_date: date
    quantity: float
    movement_type: str  # RECEIPT, REVERSAL, RETURN
    reverses_receipt_id: str | None = None


@dataclass(frozen=True)
class LeadTime:
    first_receipt_date: date | None
    completion_date: date | None
    first_receipt_lead_time_days: int | None
    lead_time_days: int | None
    short_closed: bool
    exclusion_reason: str | None


def cancelled_ids(movements: list[Movement]) -> set[str]:
    """Ids of the RECEIPT and RETURN movements some REVERSAL names."""
    kinds = {m.receipt_id: m.movement_type for m in movements}
    return {
        m.reverses_receipt_id
        for m in movements
        if m.movement_type == "REVERSAL"
        and m.reverses_receipt_id is not None
        and kinds.get(m.reverses_receipt_id) in ("RECEIPT", "RETURN")
    }


def lead_times(lines: list[PoLine], movements: list[Movement]) -> dict[tuple[str, int], LeadTime]:
    """The lead time of every PO line, keyed by (po_number, po_line)."""
    cancelled = cancelled_ids(movements)
    effective: dict[tuple[str, int], list[Movement]] = defaultdict(list)
    for m in movements:
        if m.movement_type in ("RECEIPT", "RETURN") and m.receipt_id not in cancelled:
            effective[(m.po_number, m.po_line)].append(m)

    result: dict[tuple[str, int], LeadTime] = {}
    for line in lines:
        moves = effective.get((line.po_number, line.po_line), [])
        receipts = [m.receipt_date for m in moves if m.movement_type == "RECEIPT"]
        first_receipt = min(receipts) if receipts else None
        last_receipt = max(receipts) if receipts else None

        per_day: dict[date, float] = defaultdict(float)
        for m in moves:
            per_day[m.receipt_date] += m.quantity if m.movement_type == "RECEIPT" else -m.quantity
        cumulative = 0.0
        staying_since: date | None = None
        for day in sorted(per_day):
            cumulative += per_day[day]
            if cumulative >= line.order_qty - TOLERANCE:
                staying_since = staying_since or day
            else:
                staying_since = None
        complete = staying_since is not None
        short_closed = line.line_status == "CLOSED" and not complete and last_receipt is not None
        completion = staying_since if complete else (last_receipt if short_closed else None)

        if line.line_status == "CANCELLED":
            reason = "cancelled"
        elif any(m.receipt_date < line.order_date for m in moves):
            reason = "receipt_before_order_date"
        elif line.line_status == "OPEN" and not complete:
            reason = "open_incomplete"
        elif line.line_status == "CLOSED" and last_receipt is None:
            reason = "no_effective_receipts"
        else:
            reason = None

        def days(to: date | None, origin: date = line.order_date) -> int | None:
            return None if to is None else (to - origin).days

        result[(line.po_number, line.po_line)] = LeadTime(
            first_receipt_date=first_receipt,
            completion_date=completion,
            first_receipt_lead_time_days=days(first_receipt),
            lead_time_days=days(completion),
            short_closed=short_closed,
            exclusion_reason=reason,
        )
    return result
