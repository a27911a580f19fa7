"""Accounting rules: configuration checks before any write, and entries equal to the source to the cent.

Every expected figure here is worked out by hand in the comments next to it.
"""

from __future__ import annotations

from datetime import date

import pytest
from mapping_cases import (
    T0,
    T0_ICL,
    T6,
    T12,
    T21,
    D,
    document,
    entry_for,
    line,
    make_rules,
    per_code,
    rows,
)

from connector.contract.errors import RecordFailed, RecordSkipped
from connector.rules.model import Journals

# The worked example of docs/accounting.md:
#   A  2 × 400.00 = 800.00 at 21%
#   B  250.00 at 21% with a 10% line discount → 225.00
#   C  123.50 at 6%
#   5% commercial discount on the whole invoice
# 21%: (800 + 225) × 0.95 = 973.75 taxable; 973.75 × 0.21 = 204.4875 → 204.49 VAT
#  6%: 123.50 × 0.95 = 117.325 → 117.33 taxable; 117.33 × 0.06 = 7.0398 → 7.04 VAT
WORKED = document(
    [
        line("A", "800.00", T21, quantity="2"),
        line("B", "250.00", T21, after="225.00"),
        line("C", "123.50", T6),
    ],
    [("0.21", "973.75", "204.49"), ("0.06", "117.33", "7.04")],
    discounts=["5"],
)


# ---------------------------------------------------------------- entries


def test_mixed_rates_book_each_line_on_its_rate_code_and_account() -> None:
    doc = document(
        [line("Consulting", "100.00", T21), line("Books", "50.00", T6)],
        [("0.21", "100.00", "21.00"), ("0.06", "50.00", "3.00")],
    )
    entry = entry_for(doc)
    assert rows(entry) == [("7000", "4", "100.00", "21.00"), ("7010", "2", "50.00", "3.00")]
    assert entry.lines[0].description == "Consulting"
    assert (entry.journal, entry.kind, entry.your_ref, entry.customer_target_id) == (
        "70",
        "invoice",
        "2026 / 3",
        "acct-1",
    )
    assert (entry.date, entry.due_date, entry.currency) == (date(2026, 3, 2), date(2026, 3, 16), "EUR")
    assert entry.description == "2026 / 3 Acme BV"
    assert entry.payment_condition == "14"  # after_invoice_date 14 matches condition 14 automatically
    assert entry.total_excluding + entry.total_vat == D("174.00")


def test_discounts_with_a_discount_account_book_gross_lines_and_one_discount_line_per_code() -> None:
    entry = entry_for(WORKED, make_rules(discount_account="7080"))
    assert rows(entry) == [
        ("7000", "4", "800.00", "168.00"),
        ("7000", "4", "250.00", "52.50"),  # before its 10% line discount
        ("7010", "2", "123.50", "7.41"),
        # 973.75 − 1050.00 = −76.25; VAT −76.25 × 0.21 = −16.0125 → −16.01
        ("7080", "4", "-76.25", "-16.01"),
        # 117.33 − 123.50 = −6.17; VAT −6.17 × 0.06 = −0.3702 → −0.37
        ("7080", "2", "-6.17", "-0.37"),
    ]
    assert per_code(entry) == {"4": (D("973.75"), D("204.49")), "2": (D("117.33"), D("7.04"))}
    assert entry.total_excluding + entry.total_vat == D("1302.61")


def test_discounts_without_a_discount_account_book_net_lines_with_the_commercial_discount_spread() -> None:
    entry = entry_for(WORKED)
    assert rows(entry) == [
        ("7000", "4", "760.00", "159.60"),  # 800 × 973.75 / 1025
        ("7000", "4", "213.75", "44.89"),  # 225 × 973.75 / 1025; 213.75 × 0.21 = 44.8875
        ("7010", "2", "117.33", "7.04"),
    ]
    assert per_code(entry) == {"4": (D("973.75"), D("204.49")), "2": (D("117.33"), D("7.04"))}


def test_commercial_discount_remainder_cent_goes_on_the_largest_line() -> None:
    """3 × 10.00 less 5.03% = 28.491 → 28.49: −1.51 spread as −0.50 each and the last cent on line 1."""
    doc = document(
        [line("a", "10.00", T21), line("b", "10.00", T21), line("c", "10.00", T21)],
        [("0.21", "28.49", "5.98")],  # 28.49 × 0.21 = 5.9829
        discounts=["5.03"],
    )
    entry = entry_for(doc)
    # VAT per line: 9.49 → 1.9929 → 1.99, 9.50 → 1.995 → 2.00 (twice) = 5.99; one cent less on a 9.50 line
    assert rows(entry) == [
        ("7000", "4", "9.49", "1.99"),
        ("7000", "4", "9.50", "1.99"),
        ("7000", "4", "9.50", "2.00"),
    ]
    assert per_code(entry) == {"4": (D("28.49"), D("5.98"))}


def test_vat_rounding_cent_down_goes_on_the_largest_line() -> None:
    """Per line 2.50 × 21% = 0.525 → 0.53 (×3 = 1.59); per rate 7.50 × 21% = 1.575 → 1.58."""
    doc = document(
        [line("x", "2.00", T21), line("y", "2.50", T21), line("z", "2.50", T21)],
        [("0.21", "7.00", "1.47")],  # 2.00 → 0.42, 2.50 → 0.53 twice = 1.48; 7.00 × 0.21 = 1.47
    )
    assert rows(entry_for(doc)) == [
        ("7000", "4", "2.00", "0.42"),
        ("7000", "4", "2.50", "0.52"),  # the first of the two largest lines takes the cent
        ("7000", "4", "2.50", "0.53"),
    ]


def test_vat_rounding_cent_up_goes_on_the_largest_line() -> None:
    """Per line 0.35 × 21% = 0.0735 → 0.07 (×3 = 0.21); per rate 1.05 × 21% = 0.2205 → 0.22."""
    doc = document(
        [line("x", "0.35", T21), line("y", "0.35", T21), line("z", "0.35", T21)], [("0.21", "1.05", "0.22")]
    )
    assert rows(entry_for(doc)) == [
        ("7000", "4", "0.35", "0.08"),
        ("7000", "4", "0.35", "0.07"),
        ("7000", "4", "0.35", "0.07"),
    ]


def test_vat_rounding_cent_goes_on_a_revenue_line_even_when_the_discount_line_is_larger() -> None:
    """3 × 0.35 less 60% = 0.42 taxable, VAT 0.0882 → 0.09; per line 0.07 × 3 and −0.63 → −0.1323 → −0.13."""
    doc = document(
        [line("x", "0.35", T21), line("y", "0.35", T21), line("z", "0.35", T21)],
        [("0.21", "0.42", "0.09")],
        discounts=["60"],
    )
    assert rows(entry_for(doc, make_rules(discount_account="7080"))) == [
        ("7000", "4", "0.35", "0.08"),
        ("7000", "4", "0.35", "0.07"),
        ("7000", "4", "0.35", "0.07"),
        ("7080", "4", "-0.63", "-0.13"),
    ]


def test_per_line_and_per_rate_vat_that_agree_are_left_alone() -> None:
    """3 × 0.33 at 21%: 0.0693 → 0.07 per line, 0.99 × 0.21 = 0.2079 → 0.21 per rate: no cent to move."""
    doc = document(
        [line("x", "0.33", T21), line("y", "0.33", T21), line("z", "0.33", T21)], [("0.21", "0.99", "0.21")]
    )
    assert [e.vat_amount for e in entry_for(doc).lines] == [D("0.07"), D("0.07"), D("0.07")]


def test_credit_note_books_positive_amounts_in_the_credit_note_journal_with_the_default_condition() -> None:
    doc = document([line("Refund", "100.00", T21)], [("0.21", "100.00", "21.00")], kind="credit_note")
    entry = entry_for(doc)
    assert (entry.kind, entry.journal, entry.payment_condition) == ("credit_note", "71", "30")
    assert rows(entry) == [("7000", "4", "100.00", "21.00")]
    assert entry.document_key == "credit_note:d1"


def test_foreign_currency_document_is_booked_in_its_currency_with_its_rate() -> None:
    doc = document(
        [line("Export", "1000.00", T0_ICL)],
        [("0", "1000.00", "0.00")],
        currency="USD",
        exchange_rate="1.1234",
    )
    entry = entry_for(doc)
    assert (entry.currency, entry.exchange_rate) == ("USD", D("1.1234"))
    assert rows(entry) == [("7020", "7", "1000.00", "0.00")]


@pytest.mark.parametrize(
    "taxes",
    [[("0", "135.00", "0.00")], [("0", "90.00", "0.00"), ("0", "45.00", "0.00")]],
    ids=["one-total-for-0%", "a-total-per-0%-rate"],
)
def test_two_rules_with_one_percentage_share_the_source_total_by_their_lines(
    taxes: list[tuple[str, str, str]],
) -> None:
    """`0%` (100.00) and `0% ICL` (50.00) less 10%: 135.00 at 0% splits 90.00 / 45.00 over codes 0 and 7."""
    doc = document([line("Local", "100.00", T0), line("EU", "50.00", T0_ICL)], taxes, discounts=["10"])
    entry = entry_for(doc)
    assert rows(entry) == [("7000", "0", "90.00", "0.00"), ("7020", "7", "45.00", "0.00")]


def test_a_line_without_a_rate_account_uses_the_default_revenue_account() -> None:
    doc = document([line("Local", "100.00", T0)], [("0", "100.00", "0.00")])
    assert rows(entry_for(doc, make_rules(revenue_account="7010"))) == [("7010", "0", "100.00", "0.00")]


def test_unmapped_tax_rate_skips_the_document_with_where_to_add_it() -> None:
    doc = document([line("Odd", "100.00", T12)], [("0.12", "100.00", "12.00")])
    with pytest.raises(RecordSkipped) as caught:
        entry_for(doc)
    assert caught.value.message == "tax rate '12%' is not mapped"
    assert caught.value.hint == "add it under vat: in rules/acme.yaml"
    assert caught.value.record_id == "invoice:d1"


def test_no_revenue_account_skips_the_document_with_a_hint() -> None:
    doc = document([line("Local", "100.00", T0)], [("0", "100.00", "0.00")])
    with pytest.raises(RecordSkipped) as caught:
        entry_for(doc, make_rules(revenue_account=None))
    assert "no revenue account for tax rate '0%'" in caught.value.message
    assert 'vat."0%"' in str(caught.value.hint)


def test_missing_credit_note_journal_skips_credit_notes() -> None:
    doc = document([line("Refund", "10.00", T21)], [("0.21", "10.00", "2.10")], kind="credit_note")
    with pytest.raises(RecordSkipped, match="no journal for credit_notes"):
        entry_for(doc, make_rules(journals=Journals("70", None)))


def test_document_without_lines_is_skipped() -> None:
    with pytest.raises(RecordSkipped, match="has no lines"):
        entry_for(document([], []))


def test_total_including_vat_that_does_not_match_fails_with_both_figures() -> None:
    doc = document([line("x", "100.00", T21)], [("0.21", "100.00", "21.00")], tax_inclusive="121.01")
    with pytest.raises(RecordFailed) as caught:
        entry_for(doc)
    assert "121.01" in caught.value.message and "121.00" in caught.value.message
    assert caught.value.hint and caught.value.record_id == "invoice:d1"


def test_taxable_amount_that_does_not_match_the_lines_fails() -> None:
    doc = document([line("x", "100.00", T21)], [("0.21", "110.00", "23.10")])
    with pytest.raises(
        RecordFailed, match=r"taxable amount at 21% is 110\.00 but its lines add up to 100\.00"
    ):
        entry_for(doc)


def test_vat_that_does_not_match_the_rate_fails() -> None:
    doc = document([line("x", "100.00", T21)], [("0.21", "100.00", "20.00")])
    with pytest.raises(RecordFailed, match=r"VAT at 21% is 20\.00 but 21% of 100\.00 is 21\.00"):
        entry_for(doc)


def test_source_rate_without_lines_fails() -> None:
    doc = document([line("x", "100.00", T21)], [("0.21", "100.00", "21.00"), ("0.06", "50.00", "3.00")])
    with pytest.raises(RecordFailed, match="lists 6% totals"):
        entry_for(doc)
