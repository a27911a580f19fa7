"""Exact Online JSON to and from connector's canonical records.

Pure functions, no HTTP: what an account, a sales entry, a payment term or a reference-data row looks
like on each side.

Conventions, each from the API notes (docs/api/exact-online.md) or, where they are silent, chosen
here and written down:

- **Dates** come back as ``/Date(ms)/`` (optionally ``/Date(ms+0100)/``): Exact's wall-clock time
  encoded as if it were UTC (notes §4.4), so the UTC calendar date of the milliseconds *is* the date
  Exact shows. Dates are sent as ISO dates (``2026-03-01``), which Exact accepts (notes §4.4).
- **Amounts** are sent as decimal strings (``"121.00"``), as ossobv does and Exact accepts (notes §4.4),
  so money never passes through a float; they are read back from JSON numbers through ``str``.
- **Codes** (VAT codes ``"2  "``, account codes) are padded with blanks by Exact: connector's reference
  data holds them stripped; what is sent is the code exactly as Exact listed it.
- **Credit notes** (Type 21) are posted with *negative* amounts: every line's `AmountFC` and
  `VATAmountFC` is the negation of the amount printed on the credit note (a discount line, negative on
  the credit note, becomes positive). Exact's reference marks `Type` GET-only and says a credit
  invoice's amounts are negative "when retrieved or posted"; every integration found posts them
  negative (notes §"Evidence 2026-12", Credit notes: picqer/exact-php-client `SalesEntry.php`,
  fretje/exactonline-api-dotnet-client `SalesEntry.cs`, Recras/exactonline `synctool.go`,
  openstudioproject). `Type: 21` is still sent: harmless, and common. Connector's own records keep
  credit notes positive (connector/records.py); `exact_amount` is the one place that turns them.
  Read back, an entry is classified by its `Type` as Exact returns it, else by the sign of its
  total (`entry_kind`); amounts read back are never negated again.
- **VAT numbers** are compared without spaces, dots and hyphens, upper-cased (DESIGN §8).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector.contract.errors import RecordFailed
from connector.contract.records import Address, Customer, DocumentKind, JournalEntry
from connector.contract.services import AccountInfo, JournalInfo, PaymentConditionInfo, VatCode

IMPORT_TAG = "Exact Online Import"
INVOICE_TYPE, CREDIT_NOTE_TYPE = 20, 21
# Exact publishes no maximum length for these SalesEntries fields (notes §"Evidence 2026-12", Text
# fields: a hand-written SalesInvoices schema gives 60 / 40 / 25); connector cuts defensively to these
# unless the rule file's `sink.field_lengths` says otherwise, and reports every cut.
FIELD_LENGTHS = {"Description": 60, "YourRef": 30, "PaymentReference": 25}
FIELD_OPTIONS = {"description": "Description", "your_ref": "YourRef", "payment_reference": "PaymentReference"}

_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_VAT_NOISE = re.compile(r"[\s.\-]")


# ---------------------------------------------------------------- values


def parse_date(value: Any) -> datetime | None:
    """``/Date(1641034800000)/`` → an aware UTC datetime; ISO strings are accepted too; null → None.

    An offset suffix (``+0100``) is ignored: the milliseconds already are Exact's wall-clock time.
    """
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = _DATE.match(text)
    if match:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_day(value: Any) -> date | None:
    moment = parse_date(value)
    return moment.date() if moment else None


def decimal(value: Any) -> Decimal:
    """A JSON number (or string) as a Decimal, through `str` so 0.1 stays 0.1; null → 0."""
    return Decimal(0) if value in (None, "") else Decimal(str(value))


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


def normalise_vat(number: str | None) -> str:
    return _VAT_NOISE.sub("", number or "").upper()


def normalise_text(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def odata_string(value: str) -> str:
    """A string literal for `$filter`: quotes doubled (notes §4.3)."""
    return "'" + value.replace("'", "''") + "'"


def kind_of(entry_type: Any) -> DocumentKind | None:
    try:
        number = int(entry_type)
    except (TypeError, ValueError):
        return None
    return {INVOICE_TYPE: "invoice", CREDIT_NOTE_TYPE: "credit_note"}.get(number)  # type: ignore[return-value]


def type_of(kind: DocumentKind) -> int:
    return CREDIT_NOTE_TYPE if kind == "credit_note" else INVOICE_TYPE


# ---------------------------------------------------------------- reference data


def vat_code(row: Mapping[str, Any]) -> VatCode:
    return VatCode(
        code=str(row.get("Code") or "").strip(),
        description=str(row.get("Description") or ""),
        type=str(row.get("Type") or "").strip(),
        percentage=decimal(row.get("Percentage")),
        listed_as=str(row.get("Code") or ""),
    )


def journal(row: Mapping[str, Any]) -> JournalInfo:
    return JournalInfo(
        code=str(row.get("Code") or "").strip(),
        description=str(row.get("Description") or ""),
        type=int(row.get("Type") or 0),
    )


def gl_account(row: Mapping[str, Any]) -> AccountInfo:
    return AccountInfo(
        code=str(row.get("Code") or "").strip(),
        description=str(row.get("Description") or ""),
        type=int(row.get("Type") or 0),
        id=str(row.get("ID") or ""),
        # UseCostcenter / UseCostunit: 0 optional, 1 mandatory, 2 no (notes §6.2, §6.7)
        needs_cost_center=int(row.get("UseCostcenter") or 0) == 1,
        needs_cost_unit=int(row.get("UseCostunit") or 0) == 1,
    )


def payment_condition(row: Mapping[str, Any]) -> PaymentConditionInfo:
    return PaymentConditionInfo(
        code=str(row.get("Code") or "").strip(),
        description=str(row.get("Description") or ""),
        days=int(row.get("PaymentDays") or 0),
        end_of_months=int(row.get("PaymentEndOfMonths") or 0),
        discount_percentage=decimal(row.get("DiscountPercentage")),
        method=str(row.get("PaymentMethod") or "").strip(),
    )


# ---------------------------------------------------------------- customers


def language_code(language: str | None) -> str | None:
    """Exact's account Language: two upper-case letters (``NL``) from ``nl``, ``nl-BE``, ``fr_BE``."""
    if not language:
        return None
    letters = re.split(r"[-_]", language.strip(), maxsplit=1)[0]
    return letters[:2].upper() or None


def account_name(customer: Customer) -> str:
    """A company's name; a person's "first last" (DESIGN §8)."""
    if customer.kind == "person":
        full = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        return full or customer.name
    return customer.name


def account_payload(customer: Customer) -> dict[str, Any]:
    """The crm/Accounts body for creating or updating the account of `customer`.

    Empty values are sent as null on purpose: an update then clears what the source cleared.
    """
    address = customer.address
    return {
        "Name": account_name(customer),
        "Status": "C",
        "IsSales": True,
        "VATNumber": customer.vat_number or None,
        "Email": customer.email or None,
        "Phone": customer.phone or None,
        "AddressLine1": address.line_1 or None,
        "Postcode": address.postal_code or None,
        "City": address.city or None,
        "Country": address.country.upper() if address.country else None,
        "Language": language_code(customer.language),
    }


def company_from_account(row: Mapping[str, Any]) -> Customer:
    language = row.get("Language")
    return Customer(
        id=str(row["ID"]),
        kind="company",
        name=str(row.get("Name") or "").strip(),
        vat_number=row.get("VATNumber") or None,
        email=row.get("Email") or None,
        phone=row.get("Phone") or None,
        address=Address(
            line_1=row.get("AddressLine1") or None,
            postal_code=row.get("Postcode") or None,
            city=row.get("City") or None,
            country=(str(row["Country"]).strip().upper() or None) if row.get("Country") else None,
        ),
        language=str(language).strip().lower() or None if language else None,
        updated_at=parse_date(row.get("Modified")),
        tags=(IMPORT_TAG,),
    )


def person_from_contact(row: Mapping[str, Any], account: Customer | None) -> Customer:
    first, last = row.get("FirstName") or None, row.get("LastName") or None
    name = str(row.get("FullName") or " ".join(p for p in (first, last) if p)).strip()
    language = row.get("Language")
    return Customer(
        id=str(row["ID"]),
        kind="person",
        name=name,
        first_name=first,
        last_name=last,
        email=row.get("Email") or row.get("BusinessEmail") or None,
        phone=row.get("Phone") or row.get("BusinessPhone") or row.get("Mobile") or None,
        language=(str(language).strip().lower() or None)
        if language
        else (account.language if account else None),
        company_id=str(row["Account"]) if row.get("Account") else None,
        updated_at=parse_date(row.get("Modified")),
        tags=(IMPORT_TAG,),
    )


def is_importable(row: Mapping[str, Any]) -> bool:
    """Accounts worth importing into a CRM: customers, prospects and suspects; not pure suppliers."""
    status = str(row.get("Status") or "").strip().upper()
    if row.get("IsSales") or status in ("C", "P", "S"):
        return True
    return not row.get("IsSupplier")


# ---------------------------------------------------------------- sales entries


def exact_amount(kind: DocumentKind, amount: Decimal) -> Decimal:
    """An entry amount as Exact wants it posted. The one place of the credit-note sign convention:
    a credit note's amounts are posted negated, so its lines are negative and its discount lines
    positive (see module docstring)."""
    return -amount if kind == "credit_note" else amount


def entry_kind(row: Mapping[str, Any]) -> DocumentKind | None:
    """What an entry read from Exact is: its `Type` (20, 21) when Exact returns one, else the sign of
    its `AmountFC` (negative: a credit note). Exact derives `Type` from the amounts itself (notes
    §"Evidence 2026-12"), so for its own entries both agree; nothing read back is negated."""
    kind = kind_of(row.get("Type"))
    if kind is not None or row.get("AmountFC") in (None, ""):
        return kind
    return "credit_note" if decimal(row.get("AmountFC")) < 0 else "invoice"


@dataclass(frozen=True)
class Cut:
    """A text shortened to what Exact takes: which field, the text connector had, what was sent
    (empty: left out)."""

    field: str
    original: str
    sent: str


def cut_text(value: str | None, limit: int) -> str | None:
    """`value` at most `limit` characters long, trailing blanks of the cut dropped; None stays None."""
    if value is None or len(value) <= limit:
        return value
    return value[:limit].rstrip()


def entry_payload(
    entry: JournalEntry,
    gl_ids: Mapping[str, str],
    vat_codes: Mapping[str, str],
    lengths: Mapping[str, int] = FIELD_LENGTHS,
    cuts: list[Cut] | None = None,
) -> dict[str, Any]:
    """The salesentry/SalesEntries body for `entry`.

    `gl_ids` maps a GL account code (stripped) to its GUID; `vat_codes` maps a VAT code (stripped) to
    the code as Exact lists it (padded). `VATAmountFC` is always sent, so Exact books the VAT the
    source computed (rounded per VAT code, DESIGN §8) instead of recomputing it per line.
    `Description` (header and lines) and `YourRef` are cut to `lengths`; a `PaymentReference` longer
    than its length is left out whole (a `Cut` with nothing sent). Each is appended to `cuts` so the
    caller can report it (never silently).
    """
    found: list[Cut] = [] if cuts is None else cuts

    def fit(field: str, value: str | None) -> str | None:
        sent = cut_text(value, int(lengths.get(field, FIELD_LENGTHS[field])))
        if value is not None and sent != value:
            cut = Cut(field, value, sent or "")
            if cut not in found:
                found.append(cut)
        return sent

    lines = []
    for line in entry.lines:
        account = gl_ids.get(line.account.strip())
        if not account:
            raise RecordFailed(
                f"revenue account {line.account!r} does not exist in Exact Online",
                record_id=entry.document_key,
                field="account",
                hint="fix the rule file's revenue accounts; `connector check` lists the accounts",
            )
        body = {
            "GLAccount": account,
            "VATCode": vat_codes.get(line.vat_code.strip(), line.vat_code),
            "AmountFC": money_text(exact_amount(entry.kind, line.amount)),
            "VATAmountFC": money_text(exact_amount(entry.kind, line.vat_amount)),
            "Description": fit("Description", line.description or entry.description),
        }
        for field, code in (("CostCenter", line.cost_center), ("CostUnit", line.cost_unit)):
            if code:  # writable codes on SalesEntryLines (notes §6.2)
                body[field] = code.strip()
        lines.append(body)
    payload: dict[str, Any] = {
        "Journal": entry.journal.strip(),
        "Type": type_of(entry.kind),  # GET-only in Exact's reference (derived), sent all the same
        "Customer": entry.customer_target_id,
        "EntryDate": entry.date.isoformat(),
        "YourRef": fit("YourRef", entry.your_ref),
        "Description": fit("Description", entry.description),
        "Currency": entry.currency,
        "PaymentCondition": entry.payment_condition,
        "SalesEntryLines": lines,
    }
    if entry.payment_reference:  # never cut: a bank matches a payment only on the whole reference
        limit = int(lengths.get("PaymentReference", FIELD_LENGTHS["PaymentReference"]))
        if len(entry.payment_reference) <= limit:
            payload["PaymentReference"] = entry.payment_reference
        else:
            found.append(Cut("PaymentReference", entry.payment_reference, ""))
    if entry.due_date is not None:  # the date on the customer's invoice, not one Exact derives
        payload["DueDate"] = entry.due_date.isoformat()
    if entry.exchange_rate is not None:  # home currency per document unit: AmountDC = AmountFC × Rate
        payload["Rate"] = str(entry.exchange_rate)
    return payload


def sent_your_ref(your_ref: str, lengths: Mapping[str, int] = FIELD_LENGTHS) -> str:
    """The YourRef Exact holds for an entry booked with `your_ref` (after the cut `entry_payload` makes)."""
    return cut_text(your_ref, int(lengths.get("YourRef", FIELD_LENGTHS["YourRef"]))) or ""
