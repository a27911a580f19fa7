"""One division's books as bookings and payments both see them: the lookups of codes and accounts,
entry numbering and the lines of an entry. `booking.Ledger` adds what changes them; `payments`
posts and settles what they hold."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .odata import ODataError, parse_guid
from .store import Division, Row, Store

REVENUE, RECEIVABLE_GL, VAT_GL = 110, 20, 24
SALES_JOURNAL_TYPES = (20, 21)
STATUS_TEXT = {20: "Open", 50: "Processed"}
TYPE_TEXT = {20: "Sales entry", 21: "Sales credit note"}


@dataclass
class BookingOptions:
    validation_status: int = 500
    # A partial match splits the receivable into a matched part and an open rest, each its own row
    # (notes §6.9 EntryID, §7 support answer); False keeps one row whose AmountFC never changes
    # (whether Exact ever does that is UNVERIFIED; see `payments.split_off`).
    split_partial: bool = True


def due_date(entry_date: datetime, days: int, end_of_months: int) -> datetime:
    """The condition's due date: "17/01, PaymentEndOfMonths = 2 => 31/03, PaymentDays = 15 => 15/04"."""
    moment = entry_date
    if end_of_months:
        month_index = moment.month - 1 + end_of_months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        moment = moment.replace(year=year, month=month, day=calendar.monthrange(year, month)[1])
    return moment + timedelta(days=days)


def _dedupe(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


class Books:
    """The sales side of one division's books, read-only: what bookings and payments look up."""

    def __init__(self, store: Store, division: Division, options: BookingOptions) -> None:
        self.store = store
        self.division = division
        self.options = options

    def fail(self, messages: list[str]) -> ODataError:
        return ODataError(self.options.validation_status, "\r\n".join(_dedupe(messages)))

    def journal(self, code: Any) -> Row | None:
        return self.division.find("journals", Code=str(code)) if code not in (None, "") else None

    def vat_code(self, code: Any) -> Row | None:
        return self.division.find("vat_codes", Code=str(code)) if code not in (None, "") else None

    def condition(self, code: Any) -> Row | None:
        return self.division.find("payment_conditions", Code=str(code)) if code not in (None, "") else None

    def _reference(self, table: str, value: Any, label: str, errors: list[str]) -> Row | None:
        """The row a mandatory GUID field refers to, or None with Exact's message for what is wrong."""
        if value in (None, ""):
            errors.append(f"Verplicht: {label}")
            return None
        try:
            row = self.division.table(table).get(parse_guid(value))
        except ValueError:
            row = None
        if row is None:
            errors.append(f"Ongeldige referentie: {label}")
        return row

    def gl_of_type(self, gl_type: int) -> Row | None:
        return self.division.find("gl_accounts", Type=gl_type)

    def next_number(self, journal_code: str, year: int, hint: Any = None) -> int:
        """Next number of the journal's range for `year`; a hint is taken only when higher (so unused)."""
        digits = journal_code.strip() if journal_code.strip().isdigit() else "00"
        key = (journal_code.strip(), year)
        last = self.division.last_numbers.get(key, int(f"{year % 100:02d}{digits}0000"))
        try:
            wanted = int(hint) if hint not in (None, "") else None
        except (TypeError, ValueError):
            wanted = None
        number = wanted if wanted is not None and wanted > last else last + 1
        self.division.last_numbers[key] = number
        return number

    def lines_of(self, entry: Row) -> list[Row]:
        rows = self.division.table("sales_entry_lines").indexes["EntryID"].bucket(entry["EntryID"])
        return sorted(rows.values(), key=lambda r: r["LineNumber"])
