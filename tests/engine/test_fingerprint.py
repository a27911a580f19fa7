"""A document's content hash survives an upgrade that gives documents a new field."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D

from connector.contract.records import Customer, Document, Line, TaxRate, TaxTotal, Totals
from connector.engine.fingerprint import content_hash, same_content

RATE = TaxRate("r21", "21%", D("0.21"))
DOCUMENT = Document(
    id="tl-1",
    kind="invoice",
    number="2026 / 1",
    date=date(2026, 3, 1),
    customer=Customer(id="c-1", kind="company", name="Acme BV"),
    currency="EUR",
    lines=(Line("Consultancy", D("1"), D("100.00"), RATE, D("100.00"), D("100.00")),),
    totals=Totals(D("100.00"), D("121.00"), (TaxTotal(D("0.21"), D("100.00"), D("21.00")),)),
    reference="+++084/2613/66074+++",
)
# The ledger's hash of DOCUMENT as the version before `payment_reference` kept it.
KEPT_BEFORE_PAYMENT_REFERENCE = "6340d2d8ca704f093f323cd57f15e9ee8fda80e1167bfa869bc64b0655f77a8a"


def test_a_hash_kept_before_a_field_was_added_is_still_the_same_content() -> None:
    now = dataclasses.replace(DOCUMENT, payment_reference="+++084/2613/66074+++")

    assert content_hash(now) != KEPT_BEFORE_PAYMENT_REFERENCE
    assert same_content(KEPT_BEFORE_PAYMENT_REFERENCE, now)
    assert same_content(content_hash(now), now)


def test_a_real_change_is_still_a_change() -> None:
    changed = dataclasses.replace(DOCUMENT, payment_reference="+++084/2613/66074+++", number="2026 / 2")

    assert not same_content(KEPT_BEFORE_PAYMENT_REFERENCE, changed)
    assert not same_content(content_hash(DOCUMENT), dataclasses.replace(DOCUMENT, payment_reference="x"))
