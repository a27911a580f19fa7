"""Sales entries as Exact books them: validation, VAT, numbering, due date, receivable, ledger lines.

Validation answers the way Exact does: every problem found at once, localized (Dutch) messages joined
with CRLF, HTTP 500 by default (notes §4.6, §6.1). What is computed and how is described in
docs/sandbox-exact.md; in short:

- line VAT = the line's `VATAmountFC` when sent, else amount × percentage rounded half-up to cents; an
  inclusive (`I`) code treats the amount as VAT-inclusive and extracts the VAT from it;
- the header `AmountFC` is the lines' amounts plus VAT; posted header totals are ignored (read-only);
- amounts are stored exactly as posted: a credit note's lines come negative and stay negative, on the
  entry, its lines, the receivable and the ledger lines. `Type` is GET-only in Exact's reference: when a
  POST does not send it, it is derived from the sign of the entry's total (negative: 21, a credit note);
  a sent 20 or 21 is kept (notes §"Evidence 2026-12", Credit notes);
- `EntryNumber` = `InvoiceNumber` = YY + journal code + 4-digit sequence per journal and year (26700001);
- `DueDate` = end of the month `PaymentEndOfMonths` months after the entry date (when set), plus
  `PaymentDays`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import documents, periods
from .books import (
    REVENUE,
    SALES_JOURNAL_TYPES,
    STATUS_TEXT,
    TYPE_TEXT,
    Books,
    due_date,
)
from .odata import ODataError, money, new_guid, parse_datetime, parse_decimal, parse_guid
from .payments import post_entry, unpost_entry
from .store import Row


class Ledger(Books):
    """The sales side of one division's books: booking, changing and deleting entries and lines."""

    # -- booking ---------------------------------------------------------------------------------

    def book(self, payload: Any) -> Row:
        """Validate and book a posted SalesEntry (header with embedded `SalesEntryLines`)."""
        if not isinstance(payload, dict):
            raise ODataError(
                400,
                "Error processing request stream. The request should be a valid top-level resource object.",
            )
        errors: list[str] = []
        header = self._header(payload, errors)
        lines_in = payload.get("SalesEntryLines")
        if isinstance(lines_in, dict):
            lines_in = lines_in.get("results")
        if not isinstance(lines_in, list) or not lines_in:
            errors.append("At least one Sales Entry Line is required")
            lines_in = []
        lines = [self._line(header, index, line, errors) for index, line in enumerate(lines_in)]
        document = documents.linked(self.division, payload, errors)
        if errors:
            raise self.fail(errors)
        entry = self._entry(payload, header)
        entry["Document"] = document
        for line in lines:
            line["EntryID"] = entry["EntryID"]
            self.store.insert(self.division, "sales_entry_lines", line)
        self._totals(entry)
        if entry["Type"] is None:  # Exact derives Type: a negative total is a credit note (Evidence 2026-12)
            entry.update(Type=21 if entry["AmountFC"] < 0 else 20)
            self._totals(entry)  # the lines take the entry's Type
        entry["TypeDescription"] = TYPE_TEXT[entry["Type"]]
        self.store.insert(self.division, "sales_entries", entry, key="EntryID")
        self._post(entry)
        return entry

    def _header(self, payload: dict[str, Any], errors: list[str]) -> dict[str, Any]:
        header: dict[str, Any] = {}
        journal = None
        if payload.get("Journal") in (None, ""):
            errors.append("Verplicht: Dagboek")
        else:
            journal = self.journal(payload["Journal"])
            if journal is None:
                errors.append("Ongeldige referentie: Dagboek")
            elif journal["Type"] not in SALES_JOURNAL_TYPES:
                errors.append("Ongeldig: Dagboek")
        header["journal"] = journal
        customer = self._reference("accounts", payload.get("Customer"), "Klant", errors)
        header["customer"] = customer
        try:  # None: derived from the sign of the total once the lines are computed (see `_totals`)
            entry_type = None if payload.get("Type") in (None, "") else int(payload["Type"])
        except (TypeError, ValueError):
            entry_type = 0
        if entry_type not in (None, 20, 21):
            errors.append("Ongeldig: Type")
        header["type"] = entry_type
        try:
            header["date"] = parse_datetime(payload.get("EntryDate")) or self.store.now().replace(
                hour=0, minute=0, second=0, microsecond=0
            )
        except ValueError:
            errors.append("Ongeldig: Boekdatum")
            header["date"] = self.store.now()
        else:  # a closed period, or a date in no financial year (see `periods`)
            refused = periods.refusal(self.store, self.division, header["date"].date())
            if refused:
                errors.append(refused)
        try:  # writable (notes §6.1); computed from the condition when not sent
            header["due"] = parse_datetime(payload.get("DueDate"))
        except ValueError:
            errors.append("Ongeldig: Vervaldatum")
            header["due"] = None
        code = payload.get("PaymentCondition") or (customer or {}).get("PaymentConditionSales") or "30"
        header["condition"] = self.condition(code)
        if header["condition"] is None:
            errors.append("Ongeldige referentie: Betalingsconditie")
        try:
            header["rate"] = parse_decimal(payload.get("Rate")) or Decimal(1)
        except ValueError:
            errors.append("Ongeldig: Koers")
            header["rate"] = Decimal(1)
        header["currency"] = payload.get("Currency") or self.division.currency
        return header

    def _line(self, header: dict[str, Any], index: int, line: Any, errors: list[str]) -> Row:
        if not isinstance(line, dict):
            errors.append(
                "Error processing request stream. The request should be a valid top-level resource object."
            )
            return {}
        gl = self._reference("gl_accounts", line.get("GLAccount"), "Grootboekrekening", errors)
        if gl is not None and gl["Type"] != REVENUE:
            errors.append("Ongeldig: Grootboekrekeningtype")
        vat_code_text = line.get("VATCode") or (gl or {}).get("VATCode")
        vat = self.vat_code(vat_code_text)
        if vat_code_text and vat is None:
            errors.append("Ongeldige referentie: Btw-code")
        try:
            amount = parse_decimal(line.get("AmountFC"))
            if amount is None and line.get("AmountDC") is not None:
                amount = money(Decimal(str(line["AmountDC"])) / header["rate"])
            given_vat = parse_decimal(line.get("VATAmountFC"))
            quantity = parse_decimal(line.get("Quantity"))
        except ValueError:
            errors.append("Ongeldig: Bedrag")
            return {}
        if amount is None:
            errors.append("Verplicht: Bedrag")
            return {}
        center = self._cost_code("cost_centers", line.get("CostCenter"), "Kostenplaats", errors)
        unit = self._cost_code("cost_units", line.get("CostUnit"), "Kostendrager", errors)
        # The GL account decides whether a cost centre / unit is mandatory: UseCostcenter, UseCostunit
        # 1 (notes §6.2: "also used to determine whether the costcenter / costunit is mandatory").
        if gl is not None and gl.get("UseCostcenter") == 1 and line.get("CostCenter") in (None, ""):
            errors.append("Verplicht: Kostenplaats")
        if gl is not None and gl.get("UseCostunit") == 1 and line.get("CostUnit") in (None, ""):
            errors.append("Verplicht: Kostendrager")
        row: Row = {
            "LineNumber": index + 1,
            "Description": line.get("Description"),
            "Quantity": quantity,
            "CostCenter": center["Code"] if center else None,
            "CostCenterDescription": center["Description"] if center else None,
            "CostUnit": unit["Code"] if unit else None,
            "CostUnitDescription": unit["Description"] if unit else None,
            "_amount": money(amount),
            "_given_vat": None if given_vat is None else money(given_vat),
        }
        if gl is not None:
            row.update(GLAccount=gl["ID"], GLAccountCode=gl["Code"], GLAccountDescription=gl["Description"])
        row["_vat"] = vat
        return row

    def _cost_code(self, table: str, code: Any, label: str, errors: list[str]) -> Row | None:
        """A line's `CostCenter` / `CostUnit`: codes (notes §6.2). An unknown one is refused as an
        invalid reference, as Exact answers it ("Invalid reference: Cost unit", picqer/exact-php-client
        #325); an inactive cost centre is accepted (what Exact does with one is UNVERIFIED)."""
        if code in (None, ""):
            return None
        found = self.division.find(table, Code=str(code))
        if found is None:
            errors.append(f"Ongeldige referentie: {label}")
        return found

    def _entry(self, payload: dict[str, Any], header: dict[str, Any]) -> Row:
        journal, customer, condition = header["journal"], header["customer"], header["condition"]
        date = header["date"]
        number = self.next_number(journal["Code"], date.year, payload.get("InvoiceNumber"))
        return {
            "EntryID": new_guid(),
            "EntryNumber": number,
            "InvoiceNumber": number,
            "Type": header["type"],
            "TypeDescription": TYPE_TEXT.get(header["type"]),
            "Status": 20,
            "StatusDescription": STATUS_TEXT[20],
            "Journal": journal["Code"],
            "JournalDescription": journal["Description"],
            "Customer": customer["ID"],
            "CustomerName": customer["Name"],
            "EntryDate": date,
            "ReportingYear": int(payload.get("ReportingYear") or date.year),
            "ReportingPeriod": int(payload.get("ReportingPeriod") or date.month),
            "PaymentCondition": condition["Code"],
            "PaymentConditionDescription": condition["Description"],
            "PaymentConditionPaymentMethod": condition["PaymentMethod"],
            "DueDate": header["due"]
            or due_date(date, condition["PaymentDays"] or 0, condition["PaymentEndOfMonths"] or 0),
            "Currency": header["currency"],
            "Rate": header["rate"],
            "Description": payload.get("Description"),
            "YourRef": payload.get("YourRef"),
            "OrderNumber": payload.get("OrderNumber"),
            "PaymentReference": payload.get("PaymentReference"),
            "Document": None,
            "Reversal": False,
        }

    def _compute_line(self, entry: Row, line: Row) -> None:
        rate = entry["Rate"]
        vat: Row | None = line.get("_vat")
        amount = line["_amount"]  # as posted: a credit note's lines arrive negative and stay so
        given = line["_given_vat"]
        percentage = vat["Percentage"] if vat else Decimal(0)
        vat_type = vat["Type"] if vat else "N"
        if given is not None:
            vat_amount = given
        elif vat_type in ("E", "I"):
            base = amount * percentage / (1 + percentage) if vat_type == "I" else amount * percentage
            vat_amount = money(base)
        else:
            vat_amount = Decimal("0.00")
        net = amount - vat_amount if vat_type == "I" else amount
        line.update(
            Type=entry["Type"],
            AmountFC=net,
            AmountDC=money(net * rate),
            VATAmountFC=vat_amount,
            VATAmountDC=money(vat_amount * rate),
            VATBaseAmountFC=net,
            VATBaseAmountDC=money(net * rate),
            VATCode=vat["Code"] if vat else None,
            VATCodeDescription=vat["Description"] if vat else None,
            VATPercentage=percentage,
        )

    def _totals(self, entry: Row) -> None:
        lines = self.lines_of(entry)
        for line in lines:
            self._compute_line(entry, line)
        fc = sum((line["AmountFC"] + line["VATAmountFC"] for line in lines), Decimal("0.00"))
        vat = sum((line["VATAmountFC"] for line in lines), Decimal("0.00"))
        entry.update(
            AmountFC=fc,
            AmountDC=sum((line["AmountDC"] + line["VATAmountDC"] for line in lines), Decimal("0.00")),
            VATAmountFC=vat,
            VATAmountDC=sum((line["VATAmountDC"] for line in lines), Decimal("0.00")),
        )

    # -- what a booking posts: the receivable and the transaction lines --------------------------

    def _post(self, entry: Row) -> None:
        post_entry(self, entry)

    def refresh(self, entry: Row) -> None:
        """Recompute an entry after a change to it or its lines, and repost what it derives."""
        self._totals(entry)
        self.store.touch("sales_entries", entry)
        self._post(entry)

    def delete_entry(self, entry: Row) -> None:
        unpost_entry(self, entry, keep_receivable=False)
        for line in self.lines_of(entry):
            self.store.delete(self.division, "sales_entry_lines", line["ID"])
        self.store.delete(self.division, "sales_entries", entry["EntryID"])

    def update_entry(self, entry: Row, payload: dict[str, Any]) -> None:
        """PUT: the header fields a client may change; embedded new lines fail as on Exact (notes §4.5)."""
        if "SalesEntryLines" in payload:
            raise ODataError(
                400,
                "Error processing request stream. Binding to new entities is not supported in update "
                "requests.",
            )
        errors: list[str] = []
        changes: dict[str, Any] = {}
        for name in ("Description", "YourRef", "OrderNumber", "PaymentReference"):
            if name in payload:
                changes[name] = payload[name]
        if "Document" in payload:
            changes["Document"] = documents.linked(self.division, payload, errors)
        if "Customer" in payload:
            try:
                customer = self.division.table("accounts").get(parse_guid(payload["Customer"]))
            except ValueError:
                customer = None
            if customer is None:
                errors.append("Ongeldige referentie: Klant")
            else:
                changes.update(Customer=customer["ID"], CustomerName=customer["Name"])
        condition = self.condition(payload.get("PaymentCondition", entry["PaymentCondition"]))
        if condition is None:
            errors.append("Ongeldige referentie: Betalingsconditie")
        due = None
        try:
            due = parse_datetime(payload.get("DueDate"))
        except ValueError:
            errors.append("Ongeldig: Vervaldatum")
        if errors or condition is None:
            raise self.fail(errors)
        changes.update(
            PaymentCondition=condition["Code"],
            PaymentConditionDescription=condition["Description"],
            PaymentConditionPaymentMethod=condition["PaymentMethod"],
        )
        if due is not None:  # a sent due date wins; a new condition recomputes it
            changes["DueDate"] = due
        elif "PaymentCondition" in payload:
            changes["DueDate"] = due_date(
                entry["EntryDate"], condition["PaymentDays"] or 0, condition["PaymentEndOfMonths"] or 0
            )
        entry.update(changes)
        self.refresh(entry)

    def add_line(self, payload: Any) -> Row:
        """POST salesentry/SalesEntryLines with an `EntryID`: a line added to a booked entry."""
        if not isinstance(payload, dict):
            raise ODataError(
                400,
                "Error processing request stream. The request should be a valid top-level resource object.",
            )
        try:
            entry = self.division.table("sales_entries").get(parse_guid(payload.get("EntryID")))
        except ValueError:
            entry = None
        if entry is None:
            raise self.fail(["Ongeldige referentie: Boeking"])
        errors: list[str] = []
        number = max((line["LineNumber"] for line in self.lines_of(entry)), default=0)
        header = {"rate": entry["Rate"]}
        line = self._line(header, number, payload, errors)
        if errors:
            raise self.fail(errors)
        line["EntryID"] = entry["EntryID"]
        self.store.insert(self.division, "sales_entry_lines", line)
        self.refresh(entry)
        return line

    def update_line(self, line: Row, payload: dict[str, Any]) -> None:
        """PUT salesentry/SalesEntryLines(guid'…'): the changed line is recomputed and its entry reposted."""
        entry = self.division.table("sales_entries")[line["EntryID"]]
        current = {
            "GLAccount": line.get("GLAccount"),
            "VATCode": (line.get("_vat") or {}).get("Code"),
            "AmountFC": line["_amount"],
            "VATAmountFC": line["_given_vat"],
            "Description": line.get("Description"),
            "Quantity": line.get("Quantity"),
            "CostCenter": line.get("CostCenter"),
            "CostUnit": line.get("CostUnit"),
        }
        errors: list[str] = []
        changed = self._line({"rate": entry["Rate"]}, line["LineNumber"] - 1, {**current, **payload}, errors)
        if errors:
            raise self.fail(errors)
        line.update(changed)
        self.store.touch("sales_entry_lines", line)
        self.refresh(entry)

    def delete_line(self, line: Row) -> None:
        """Deleting the last line deletes the whole entry (notes §4.5)."""
        entry = self.division.table("sales_entries")[line["EntryID"]]
        self.store.delete(self.division, "sales_entry_lines", line["ID"])
        if self.lines_of(entry):
            self.refresh(entry)
        else:
            self.delete_entry(entry)
