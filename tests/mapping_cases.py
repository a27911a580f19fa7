"""What the mapping and preflight tests share: tax rates, VAT rules with their rule-file positions,
the sink's reference data, and builders of rules, lines and documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from connector.contract.records import (
    Customer,
    Discount,
    Document,
    JournalEntry,
    Line,
    PaymentTerm,
    TaxRate,
    TaxTotal,
    Totals,
)
from connector.contract.services import AccountInfo, JournalInfo, PaymentConditionInfo, ReferenceData, VatCode
from connector.engine.mapping import build_entry
from connector.rules.model import Journals, PaymentTermRules, Rules, VatRule
from connector.testing.rules import make_rules as base_rules

D = Decimal
T21 = TaxRate("t21", "21%", D("0.21"))
T6 = TaxRate("t6", "6%", D("0.06"))
T0 = TaxRate("t0", "0%", D("0"))
T0_ICL = TaxRate("t0icl", "0% ICL", D("0"))
T12 = TaxRate("t12", "12%", D("0.12"))

VAT_RULES = (
    VatRule("21%", "4", "7000"),
    VatRule("6%", "2", "7010"),
    VatRule("0%", "0"),
    VatRule("0% ICL", "7", "7020"),
)
LOCATIONS = {
    "vat": (14, 1),
    'vat."21%"': (15, 3),
    'vat."21%".code': (15, 17),
    'vat."21%".revenue_account': (15, 44),
    'vat."6%".code': (16, 17),
    'vat."0%"': (17, 3),
    'vat."0%".code': (17, 17),
    "journals": (9, 1),
    "journals.invoices": (10, 13),
    "journals.credit_notes": (11, 17),
    "revenue_account": (20, 18),
    "discount_account": (21, 19),
    "payment_terms.default": (24, 12),
    "payment_terms.direct_debit": (25, 17),
    'payment_terms.map."after_invoice_date 14"': (27, 29),
}

REFERENCE = ReferenceData(
    vat_codes={
        "1": VatCode("1", "BTW 21% incl.", "I", D("0.21")),
        "2": VatCode("2", "BTW 6%", "E", D("0.06")),
        "4": VatCode("4", "BTW 21%", "E", D("0.21")),
        "5": VatCode("5", "BTW 21% verlegd", "E", D("0.21")),
        "0": VatCode("0", "BTW 0%", "E", D("0")),
        "7": VatCode("7", "ICL 0%", "E", D("0")),
    },
    journals={
        "70": JournalInfo("70", "Verkoopboek", 20),
        "71": JournalInfo("71", "Creditnota's", 21),
        "90": JournalInfo("90", "Memoriaal", 90),
    },
    accounts={
        "7000": AccountInfo("7000", "Omzet 21%", 110),
        "7010": AccountInfo("7010", "Omzet 6%", 110),
        "7020": AccountInfo("7020", "Omzet ICL", 110),
        "7080": AccountInfo("7080", "Kortingen", 110),
        "1300": AccountInfo("1300", "Debiteuren", 20),
    },
    payment_conditions={
        "30": PaymentConditionInfo("30", "30 dagen", 30, 0, D("0"), "B"),
        "14": PaymentConditionInfo("14", "14 dagen", 14, 0, D("0"), "B"),
    },
)

JOURNALS = Journals("70", "71")
TERMS = PaymentTermRules(default="30")
CUSTOMER = Customer(id="c1", kind="company", name="Acme BV", vat_number="BE0123456789")


def make_rules(
    *,
    vat: tuple[VatRule, ...] = VAT_RULES,
    journals: Journals = JOURNALS,
    revenue_account: str | None = "7000",
    discount_account: str | None = None,
    payment_terms: PaymentTermRules = TERMS,
) -> Rules:
    return base_rules(
        journals=journals,
        vat=vat,
        payment_terms=payment_terms,
        revenue_account=revenue_account,
        discount_account=discount_account,
        path=Path("rules/acme.yaml"),
        locations=LOCATIONS,
    )


def line(description: str, before: str, rate: TaxRate, after: str | None = None, quantity: str = "1") -> Line:
    """A line of `before` (quantity × unit price) and `after` (after its line discount, if any)."""
    amount = D(after if after is not None else before)
    discount = Discount((1 - amount / D(before)) * 100) if after is not None else None
    return Line(description, D(quantity), D(before) / D(quantity), rate, D(before), amount, discount)


def document(
    lines: Sequence[Line],
    taxes: Sequence[tuple[str, str, str]],
    *,
    kind: str = "invoice",
    discounts: Sequence[str] = (),
    currency: str = "EUR",
    exchange_rate: str | None = None,
    tax_exclusive: str | None = None,
    tax_inclusive: str | None = None,
) -> Document:
    """A document whose totals are `taxes` (rate, taxable, tax); the sums unless stated otherwise."""
    tax_totals = tuple(TaxTotal(D(rate), D(taxable), D(tax)) for rate, taxable, tax in taxes)
    excl = sum((t.taxable for t in tax_totals), D(0))
    incl = excl + sum((t.tax for t in tax_totals), D(0))
    return Document(
        id="d1",
        kind=kind,  # type: ignore[arg-type]  # the tests pass only the two kinds
        number="2026 / 3",
        date=date(2026, 3, 2),
        customer=CUSTOMER,
        currency=currency,
        lines=tuple(lines),
        totals=Totals(
            D(tax_exclusive) if tax_exclusive else excl,
            D(tax_inclusive) if tax_inclusive else incl,
            tax_totals,
        ),
        exchange_rate=D(exchange_rate) if exchange_rate else None,
        discounts=tuple(Discount(D(p)) for p in discounts),
        payment_term=PaymentTerm("after_invoice_date", 14),
        due_date=date(2026, 3, 16),
    )


def entry_for(doc: Document, rules: Rules | None = None) -> JournalEntry:
    return build_entry(doc, rules or make_rules(), REFERENCE, "acct-1", doc.number, f"{doc.number} Acme BV")


def rows(entry: JournalEntry) -> list[tuple[str, str, str, str]]:
    return [(e.account, e.vat_code, str(e.amount), str(e.vat_amount)) for e in entry.lines]


def per_code(entry: JournalEntry) -> dict[str, tuple[Decimal, Decimal]]:
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for e in entry.lines:
        amount, vat = sums.get(e.vat_code, (D(0), D(0)))
        sums[e.vat_code] = (amount + e.amount, vat + e.vat_amount)
    return sums
