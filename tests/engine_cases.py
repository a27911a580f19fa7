"""The engine's test data: a fake source's documents, the fake sink's reference data, a run."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from connector.contract.plugins import Plugins
from connector.contract.records import Customer, Document, Line, TaxRate, TaxTotal, Totals, cents
from connector.contract.services import AccountInfo, JournalInfo, PaymentConditionInfo, ReferenceData, VatCode
from connector.engine.runner import run_once
from connector.rules.model import Rules, VatRule
from connector.testing import FakeSink
from connector.testing.rules import make_rules

RATE_21 = TaxRate("tr-21", "21%", Decimal("0.21"))
RATE_6 = TaxRate("tr-6", "6%", Decimal("0.06"))
PIED_PIPER = Customer("c-1", "company", "Pied Piper", vat_number="BE0899623035")
HOOLI = Customer("c-2", "company", "Hooli", vat_number="BE0477472701")

REFERENCE = ReferenceData(
    vat_codes={
        "4": VatCode("4", "21% excl", "E", Decimal("0.21")),
        "2": VatCode("2", "6% excl", "E", Decimal("0.06")),
        "1": VatCode("1", "21% incl", "I", Decimal("0.21")),
    },
    journals={"70": JournalInfo("70", "Verkoopboek", 20), "71": JournalInfo("71", "Creditnota's", 21)},
    accounts={"7000": AccountInfo("7000", "Omzet", 110, "gl-7000")},
    payment_conditions={"30": PaymentConditionInfo("30", "30 dagen", 30, 0, Decimal(0), "B")},
)


def rules_for(tmp_path: Path, **changes: object) -> Rules:
    rules = make_rules(
        vat=(VatRule("21%", "4"),),
        revenue_account="7000",
        path=tmp_path / "acme.yaml",
    )
    return dataclasses.replace(rules, **changes)  # type: ignore[arg-type]


def document(
    number: int,
    *,
    kind: str = "invoice",
    customer: Customer = PIED_PIPER,
    lines: tuple[tuple[str, str, TaxRate], ...] = (("Consultancy", "100.00", RATE_21),),
    day: int = 10,
    updated: int = 1,
) -> Document:
    built = tuple(
        Line(text, Decimal(1), Decimal(price), rate, Decimal(price), Decimal(price))
        for text, price, rate in lines
    )
    per_rate: dict[Decimal, Decimal] = {}
    for line in built:
        per_rate[line.tax_rate.rate] = per_rate.get(line.tax_rate.rate, Decimal(0)) + line.amount
    taxes = tuple(TaxTotal(rate, taxable, cents(taxable * rate)) for rate, taxable in per_rate.items())
    excluding = sum((t.taxable for t in taxes), Decimal(0))
    including = excluding + sum((t.tax for t in taxes), Decimal(0))
    return Document(
        id=f"{kind}-{number}",
        kind=kind,  # type: ignore[arg-type]
        number=f"2026 / {number}",
        date=date(2026, 3, day),
        customer=customer,
        currency="EUR",
        lines=built,
        totals=Totals(excluding, including, taxes, payable=including, due=including),
        updated_at=datetime(2026, 3, day, 12, updated, tzinfo=UTC),
    )


def run(rules: Rules, plugins: Plugins, flows: tuple[str, ...] = ("documents",), **options: object):  # type: ignore[no-untyped-def]
    report, plan = run_once(rules, plugins, flows=flows, **options)  # type: ignore[arg-type]
    return report, plan


def booked_refs() -> list[str]:
    return sorted(entry.your_ref for entry in FakeSink.entries.values())
