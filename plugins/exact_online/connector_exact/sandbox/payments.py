"""What a booked sales entry leaves behind, and how a payment settles it.

A booking posts one cash-flow Receivable (the open item, Status 20) and TransactionLines: one on the
receivables account for the total, one per sales line on its revenue account, one per VAT code on the
VAT account (LineNumber 9999). Reconciling ("afletteren") a payment adds Type 40 lines in the bank
journal and, once the whole amount is matched, sets the receivable to Status 50 / IsFullyPaid, which
drops it from ReceivablesList. A partial match splits the receivable (`split_off`): the matched part
becomes a row of its own, fully paid, and the open row keeps the rest as its AmountFC. Settling an
invoice against a credit note ("afletteren" of two open items of opposite sign) matches them without
any bank line: once fully matched both are Status 50
(notes §"Evidence 2026-12", Settlement without a bank line). Every change bumps the Timestamp the
sync feeds filter on.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .books import Books
from .odata import ODataError, money, new_guid
from .store import Row

PAID, OPEN, PROCESSED = 50, 20, 40
BANK_JOURNAL_TYPE, BANK_GL_TYPE = 12, 12


def _line(ledger: Books, entry: Row, number: int, gl: Row | None, amount_fc: Decimal, **extra: Any) -> Row:
    customer = ledger.division.table("accounts").get(entry["Customer"]) or {}
    rate = entry["Rate"]
    return {
        "ID": new_guid(),
        "EntryID": entry["EntryID"],
        "EntryNumber": entry["EntryNumber"],
        "LineNumber": number,
        "Date": entry["EntryDate"],
        "FinancialYear": entry["ReportingYear"],
        "FinancialPeriod": entry["ReportingPeriod"],
        "JournalCode": entry["Journal"],
        "JournalDescription": entry["JournalDescription"],
        "Type": entry["Type"],
        "Status": OPEN,
        "Account": customer.get("ID"),
        "AccountCode": customer.get("Code"),
        "AccountName": customer.get("Name"),
        "GLAccount": gl["ID"] if gl else None,
        "GLAccountCode": gl["Code"] if gl else None,
        "GLAccountDescription": gl["Description"] if gl else None,
        "AmountFC": amount_fc,
        "AmountDC": money(amount_fc * rate),
        "InvoiceNumber": entry["InvoiceNumber"],
        "YourRef": entry["YourRef"],
        "DueDate": entry["DueDate"],
        "Description": entry["Description"],
        "Currency": entry["Currency"],
        "ExchangeRate": rate,
        **extra,
    }


def _sales_lines(ledger: Books, entry: Row) -> list[Row]:
    receivable_gl = ledger.gl_of_type(20)
    rows = [_line(ledger, entry, 0, receivable_gl, entry["AmountFC"])]
    by_code: dict[str, tuple[Row | None, Decimal]] = {}
    gl_table = ledger.division.table("gl_accounts")
    for line in ledger.lines_of(entry):
        rows.append(
            _line(
                ledger,
                entry,
                line["LineNumber"],
                gl_table.get(line["GLAccount"]),
                -line["AmountFC"],
                AmountVATBaseFC=-line["AmountFC"],
                AmountVATFC=-line["VATAmountFC"],
                VATCode=line["VATCode"],
                VATPercentage=line["VATPercentage"],
                Description=line["Description"] or entry["Description"],
            )
        )
        if line["VATAmountFC"] and line["VATCode"]:
            vat = ledger.vat_code(line["VATCode"]) or {}
            gl = gl_table.get(vat.get("GLToPay")) or ledger.gl_of_type(24)
            _, total = by_code.get(line["VATCode"], (gl, Decimal(0)))
            by_code[line["VATCode"]] = (gl, total + line["VATAmountFC"])
    for code, (gl, total) in by_code.items():
        rows.append(_line(ledger, entry, 9999, gl, -total, VATCode=code))
    return rows


def post_entry(ledger: Books, entry: Row) -> None:
    """Create (or refresh after a change) the entry's receivable and its sales transaction lines."""
    store, division = ledger.store, ledger.division
    for old in transaction_lines_of(ledger, entry["EntryID"]):
        store.delete(division, "transaction_lines", old["ID"])
    new_lines = [store.insert(division, "transaction_lines", row) for row in _sales_lines(ledger, entry)]
    customer = division.table("accounts").get(entry["Customer"]) or {}
    condition = ledger.condition(entry["PaymentCondition"]) or {}
    fields = {
        "TransactionEntryID": entry["EntryID"],
        "TransactionID": new_lines[0]["ID"],
        "Account": customer.get("ID"),
        "AccountCode": customer.get("Code"),
        "AccountName": customer.get("Name"),
        "AmountFC": entry["AmountFC"],
        "AmountDC": entry["AmountDC"],
        "TransactionAmountFC": entry["AmountFC"],
        "TransactionAmountDC": entry["AmountDC"],
        "RateFC": entry["Rate"],
        "Currency": entry["Currency"],
        "Description": entry["Description"],
        "DueDate": entry["DueDate"],
        "InvoiceDate": entry["EntryDate"],
        "EntryDate": entry["EntryDate"],
        "GLAccount": new_lines[0]["GLAccount"],
        "Document": entry.get("Document"),
        "EndToEndID": None,
        "InvoiceNumber": entry["InvoiceNumber"],
        "EntryNumber": entry["EntryNumber"],
        "Journal": entry["Journal"],
        "JournalDescription": entry["JournalDescription"],
        "YourRef": entry["YourRef"],
        "PaymentCondition": entry["PaymentCondition"],
        "PaymentConditionDescription": entry["PaymentConditionDescription"],
        "PaymentMethod": condition.get("PaymentMethod"),
        "PaymentReference": entry["PaymentReference"],
        "TransactionType": entry["Type"],
        "TransactionIsReversal": False,
        "Source": 1,
        "LineType": 20,
    }
    existing = receivable_of(ledger, entry["EntryID"])
    if existing is not None:
        store.touch("receivables", existing, **fields)
        return
    receivable: Row = {
        "EntryID": new_guid(),
        "Status": OPEN,
        "IsFullyPaid": False,
        "LastPaymentDate": None,
        "EndDate": None,
        "EndPeriod": None,
        "EndYear": None,
        "_paid": Decimal("0.00"),
        "_payments": [],
        "_hid": division.next_hid,
        **fields,
    }
    division.next_hid += 1
    store.insert(division, "receivables", receivable)


def unpost_entry(ledger: Books, entry: Row, *, keep_receivable: bool) -> None:
    store, division = ledger.store, ledger.division
    receivable = receivable_of(ledger, entry["EntryID"])
    if receivable is not None:
        _merge_parts(ledger, receivable)
        _drop_payments(ledger, receivable)
        if not keep_receivable:
            store.delete(division, "receivables", receivable["ID"])
    for old in transaction_lines_of(ledger, entry["EntryID"]):
        store.delete(division, "transaction_lines", old["ID"])


def transaction_lines_of(ledger: Books, entry_id: str) -> list[Row]:
    """The transaction lines an entry (or a payment) posted, through the index on EntryID."""
    return list(ledger.division.table("transaction_lines").indexes["EntryID"].bucket(entry_id).values())


def parts_of(ledger: Books, entry_id: str) -> list[Row]:
    """Every receivable row of an entry: the open one and the parts split off it."""
    return list(ledger.division.table("receivables").indexes["TransactionEntryID"].bucket(entry_id).values())


def receivable_of(ledger: Books, entry_id: str) -> Row | None:
    """The entry's receivable: the row that is not a part split off by a partial match."""
    rows = parts_of(ledger, entry_id)
    return next((row for row in rows if not row.get("_split_of")), rows[0] if rows else None)


def split_off(
    ledger: Books, receivable: Row, matched: Decimal, date: datetime, payment_id: str | None
) -> Row:
    """A partial match: "A receivable can be split so that one part is received on a different
    date. In that case the two records get a different EntryID" ([picqer-Receivable] EntryID), and
    after it the open row's "AmountDC/AmountFC field then shows the outstanding amount" (Exact
    support, notes §7). The part is fully matched (Status 50); the open row keeps the rest."""
    part = {
        key: value
        for key, value in receivable.items()
        if key not in ("ID", "Timestamp", "Created", "Modified")
    }
    rate = receivable["RateFC"]
    part.update(
        EntryID=new_guid(),
        AmountFC=matched,
        AmountDC=money(matched * rate),
        Status=PAID,
        IsFullyPaid=True,
        LastPaymentDate=date if payment_id else receivable["LastPaymentDate"],
        EndDate=date,
        EndYear=date.year,
        EndPeriod=date.month,
        _paid=matched,
        _payments=[payment_id] if payment_id else [],
        _settlements=[],
        _split_of=receivable["ID"],
        _hid=ledger.division.next_hid,
    )
    ledger.division.next_hid += 1
    ledger.store.insert(ledger.division, "receivables", part)
    rest = receivable["AmountFC"] - matched
    changes: dict[str, Any] = {"AmountFC": rest, "AmountDC": money(rest * rate)}
    if payment_id:
        changes["LastPaymentDate"] = date
    ledger.store.touch("receivables", receivable, **changes)
    return part


def _splits(ledger: Books, receivable: Row) -> bool:
    return ledger.options.split_partial and not receivable.get("_split_of")


def _merge_parts(ledger: Books, receivable: Row) -> None:
    """Undo the splits: each part's matches are undone and its amount is open on the row again."""
    for part in parts_of(ledger, receivable["TransactionEntryID"]):
        if part.get("_split_of") != receivable["ID"]:
            continue
        _drop_payments(ledger, part)
        receivable["AmountFC"] += part["AmountFC"]
        receivable["AmountDC"] += part["AmountDC"]
        ledger.store.delete(ledger.division, "receivables", part["ID"])


def outstanding(receivable: Row) -> Decimal:
    return Decimal(receivable["AmountFC"] - receivable["_paid"])


def _drop_payments(ledger: Books, receivable: Row) -> None:
    for payment_id in receivable["_payments"]:
        for row in transaction_lines_of(ledger, payment_id):
            ledger.store.delete(ledger.division, "transaction_lines", row["ID"])
    receivable["_payments"] = []
    receivable["_paid"] = Decimal("0.00")
    for other_id, _ in receivable.pop("_settlements", []):  # the other side of a settlement reopens too
        other = ledger.division.table("receivables").get(other_id)
        if other is None:
            continue
        kept = [(key, amount) for key, amount in other.get("_settlements", []) if key != receivable["ID"]]
        undone = sum(
            (amount for key, amount in other.get("_settlements", []) if key == receivable["ID"]), Decimal(0)
        )
        other["_settlements"] = kept
        other["_paid"] -= undone
        _reopen(ledger, other)


def _reopen(ledger: Books, receivable: Row) -> None:
    ledger.store.touch(
        "receivables",
        receivable,
        Status=OPEN,
        IsFullyPaid=False,
        EndDate=None,
        EndYear=None,
        EndPeriod=None,
        LastPaymentDate=receivable["LastPaymentDate"] if receivable["_payments"] else None,
    )


def settle(ledger: Books, invoice: Row, credit_note: Row, date: datetime) -> tuple[Row, Row]:
    """Match an open invoice against an open credit note of the same customer: no bank line; the
    smaller outstanding amount is matched on both, and each fully matched item gets Status 50 /
    IsFullyPaid with `EndDate` = `date` (notes §"Evidence 2026-12", Settlement without a bank line).
    `LastPaymentDate` stays as it was: nothing was paid (choice; Exact's value is UNVERIFIED)."""
    due, credit = outstanding(invoice), outstanding(credit_note)
    if due <= 0 or credit >= 0:
        raise ODataError(409, "Only an open receivable and an open credit of opposite sign can be matched.")
    if invoice["Account"] != credit_note["Account"]:
        raise ODataError(409, "Items of different accounts cannot be matched.")
    matched = min(due, -credit)
    if matched < due and _splits(ledger, invoice):
        invoice = split_off(ledger, invoice, matched, date, None)
        invoice["_paid"] -= matched  # counted again below
    if matched < -credit and _splits(ledger, credit_note):
        credit_note = split_off(ledger, credit_note, -matched, date, None)
        credit_note["_paid"] += matched
    invoice["_paid"] += matched
    credit_note["_paid"] -= matched
    invoice.setdefault("_settlements", []).append((credit_note["ID"], matched))
    credit_note.setdefault("_settlements", []).append((invoice["ID"], -matched))
    for receivable in (invoice, credit_note):
        changes: dict[str, Any] = {}
        if outstanding(receivable) == 0:
            changes.update(
                Status=PAID, IsFullyPaid=True, EndDate=date, EndYear=date.year, EndPeriod=date.month
            )
        ledger.store.touch("receivables", receivable, **changes)
    return invoice, credit_note


def reconcile(ledger: Books, receivable: Row, date: datetime, amount: Decimal | None = None) -> Row:
    """Match a payment of `amount` (default: all that is outstanding) on `date` against the receivable."""
    due = outstanding(receivable)
    if due == 0:
        raise ODataError(409, "This receivable is already fully matched.")
    pay = due if amount is None else money(abs(amount)).copy_sign(due)
    if abs(pay) > abs(due):
        pay = due
    entry = ledger.division.table("sales_entries").get(receivable["TransactionEntryID"])
    bank_journal = ledger.division.find("journals", Type=BANK_JOURNAL_TYPE)
    bank_gl = ledger.gl_of_type(BANK_GL_TYPE)
    if entry is not None:
        payment_id = new_guid()
        journal_code = bank_journal["Code"] if bank_journal else entry["Journal"]
        number = ledger.next_number(journal_code, date.year)
        base = {
            **entry,
            "EntryID": payment_id,
            "EntryNumber": number,
            "EntryDate": date,
            "Journal": journal_code,
            "JournalDescription": bank_journal["Description"]
            if bank_journal
            else entry["JournalDescription"],
            "ReportingYear": date.year,
            "ReportingPeriod": date.month,
        }
        rows = [
            _line(ledger, base, 1, ledger.gl_of_type(20), -pay, Type=40),
            _line(ledger, base, 2, bank_gl, pay, Type=40),
        ]
        for row in rows:
            ledger.store.insert(ledger.division, "transaction_lines", row)
        if pay != due and _splits(ledger, receivable):
            split_off(ledger, receivable, pay, date, payment_id)
            return receivable
        receivable["_payments"].append(payment_id)
    receivable["_paid"] += pay
    changes: dict[str, Any] = {"LastPaymentDate": date}
    if outstanding(receivable) == 0:
        changes.update(Status=PAID, IsFullyPaid=True, EndDate=date, EndYear=date.year, EndPeriod=date.month)
    ledger.store.touch("receivables", receivable, **changes)
    return receivable


def unreconcile(ledger: Books, receivable: Row) -> Row:
    """Undo every match: the item is open again for its full amount (a bookkeeper's "unmatch"); a
    credit note it was settled against is open again too."""
    _merge_parts(ledger, receivable)
    _drop_payments(ledger, receivable)
    _reopen(ledger, receivable)
    return receivable


def mark_processed(ledger: Books, receivable: Row) -> Row:
    """A direct-debit collection file was made: Status 40, which is not paid (notes §7)."""
    if receivable["IsFullyPaid"]:
        raise ODataError(409, "This receivable is already fully matched.")
    ledger.store.touch("receivables", receivable, Status=PROCESSED)
    return receivable


def receivables_list(ledger: Books) -> list[Row]:
    """read/financial/ReceivablesList: the outstanding items only, `Amount` = what is still open."""
    rows = []
    for receivable in ledger.division.table("receivables").values():
        due = outstanding(receivable)
        if receivable["IsFullyPaid"] or due == 0:
            continue
        rows.append(
            {
                "HID": receivable["_hid"],
                "AccountId": receivable["Account"],
                "AccountCode": receivable["AccountCode"],
                "AccountName": receivable["AccountName"],
                "Amount": due,
                "AmountInTransit": due if receivable["Status"] == PROCESSED else Decimal("0.00"),
                "CurrencyCode": receivable["Currency"],
                "Description": receivable["Description"],
                "DueDate": receivable["DueDate"],
                "EntryNumber": receivable["EntryNumber"],
                "InvoiceDate": receivable["InvoiceDate"],
                "InvoiceNumber": receivable["InvoiceNumber"],
                "JournalCode": receivable["Journal"],
                "JournalDescription": receivable["JournalDescription"],
                "YourRef": receivable["YourRef"],
                "Notes": None,
                "Timestamp": receivable["Timestamp"],
            }
        )
    return rows
