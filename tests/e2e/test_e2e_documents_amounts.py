"""Amounts in Exact equal Teamleader's to the cent: per VAT code, VAT, total (DESIGN §8, docs/accounting.md).

Each test books an invoice in the Teamleader sandbox, runs the real CLI, and compares the Exact entry
with what Teamleader's `invoices.info` says: per VAT code the sum of the line amounts and of the line
VAT, and the total including VAT.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import booked_entry, money, per_vat_code
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
RATE_OF_CODE = {"4": "0.21", "5": "0.12", "2": "0.06", "0": "0", "7": "0"}  # examples/demo.yaml's vat:

WORKED_EXAMPLE: dict[str, Any] = {  # docs/accounting.md, "Worked example"
    "customer": CUSTOMER,
    "date": "2027-03-01",
    "lines": [
        {"description": "A", "qty": 2, "price": "400.00", "tax": "21%"},
        {"description": "B", "qty": 1, "price": "250.00", "tax": "21%", "discount": 10},
        {"description": "C", "qty": 10, "price": "12.35", "tax": "6%"},
    ],
    "discounts": [5],
}


def source_per_rate(info: dict[str, Any]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Teamleader's `total.taxes`: rate → (taxable, tax)."""
    return {
        Decimal(str(tax["rate"])): (money(tax["taxable"]["amount"]), money(tax["tax"]["amount"]))
        for tax in info["total"]["taxes"]
    }


def entry_per_rate(entry: dict[str, Any]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """The entry's sums per VAT code, added up per the percentage each code stands for."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for code, (amount, vat) in per_vat_code(entry).items():
        rate = Decimal(RATE_OF_CODE[code])
        before = sums.get(rate, (Decimal(0), Decimal(0)))
        sums[rate] = (before[0] + amount, before[1] + vat)
    return sums


def lines_of(entry: dict[str, Any]) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (
            line["GLAccountCode"].strip(),
            line["VATCode"].strip(),
            money(line["AmountFC"]),
            money(line["VATAmountFC"]),
        )
        for line in entry["SalesEntryLines"]
    ]


def test_mixed_vat_rates_on_one_invoice_add_up_to_the_cent_per_code_including_a_rounding_cent(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Three lines of 2.50 at 21 %: 0.53 each per line, but 1.58 on the rounded total; Exact gets
    0.52 + 0.53 + 0.53. The other rates (12 %, 6 %, 0 %, 0 % ICL) sit on the same invoice."""
    invoice = teamleader.book_invoice(
        customer=CUSTOMER,
        date="2027-03-01",
        lines=[
            {"description": "Sticker", "qty": 1, "price": "2.50", "tax": "21%"},
            {"description": "Sticker", "qty": 1, "price": "2.50", "tax": "21%"},
            {"description": "Sticker", "qty": 1, "price": "2.50", "tax": "21%"},
            {"description": "Catering", "qty": 7, "price": "1.15", "tax": "12%", "discount": 15},
            {"description": "Books", "qty": 2, "price": "12.345", "tax": "6%"},
            {"description": "Export", "qty": 1, "price": "10.125", "tax": "0%"},
            {"description": "EU service", "qty": 1, "price": "40", "tax": "0% ICL"},
        ],
    )
    info = teamleader.invoice_info(invoice.id)

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 1 booked" in result.stdout
    entry = booked_entry(exact, "2027 / 1")
    assert entry_per_rate(entry) == source_per_rate(info)
    codes = per_vat_code(entry)
    assert codes["4"] == (money("7.50"), money("1.58"))
    assert sorted(vat for _, code, _, vat in lines_of(entry) if code == "4") == [
        money("0.52"),
        money("0.53"),
        money("0.53"),
    ]
    assert codes["0"] == (money("10.13"), money(0)) and codes["7"] == (money("40.00"), money(0))
    assert money(entry["AmountFC"]) == money(info["total"]["tax_inclusive"]["amount"])
    assert money(entry["VATAmountFC"]) == sum(tax for _, tax in source_per_rate(info).values())


def test_discounts_with_a_discount_account_book_gross_lines_and_one_discount_line_per_vat_code(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """docs/accounting.md's worked example, with `discount_account: "7080"` (the demo file's)."""
    invoice = teamleader.book_invoice(**WORKED_EXAMPLE)
    info = teamleader.invoice_info(invoice.id)

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    entry = booked_entry(exact, "2027 / 1")
    assert lines_of(entry) == [
        ("7000", "4", money("800.00"), money("168.00")),
        ("7000", "4", money("250.00"), money("52.50")),
        ("7010", "2", money("123.50"), money("7.41")),
        ("7080", "4", money("-76.25"), money("-16.01")),
        ("7080", "2", money("-6.17"), money("-0.37")),
    ]
    assert entry_per_rate(entry) == source_per_rate(info)
    assert (money(entry["AmountFC"]), money(entry["VATAmountFC"])) == (money("1302.61"), money("211.53"))
    assert money(info["total"]["tax_inclusive"]["amount"]) == money("1302.61")


def test_discounts_without_a_discount_account_book_net_lines(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """docs/accounting.md's worked example without `discount_account`: the lines carry net amounts."""
    later.write_rules({"discount_account": None})
    invoice = teamleader.book_invoice(**WORKED_EXAMPLE)
    info = teamleader.invoice_info(invoice.id)

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    entry = booked_entry(exact, "2027 / 1")
    assert lines_of(entry) == [
        ("7000", "4", money("760.00"), money("159.60")),
        ("7000", "4", money("213.75"), money("44.89")),
        ("7010", "2", money("117.33"), money("7.04")),
    ]
    assert entry_per_rate(entry) == source_per_rate(info)
    assert money(entry["AmountFC"]) == money("1302.61")
