"""The sample customer and document `connector validate` renders every template for, so that a template
that breaks a limit or names a field that does not exist fails offline with its file:line:col."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from connector.contract.records import (
    Address,
    Customer,
    Document,
    Line,
    PaymentTerm,
    TaxRate,
    TaxTotal,
    Totals,
)

SAMPLE_CUSTOMER = Customer(
    id="sample-customer",
    kind="company",
    name="Sample Customer BV",
    first_name="Sam",
    last_name="Sample",
    vat_number="BE0123456789",
    email="billing@example.com",
    phone="+32 9 123 45 67",
    address=Address(line_1="Sample Street 1", postal_code="9000", city="Gent", country="BE"),
    language="nl",
    tags=("sample",),
)

_SAMPLE_RATE = TaxRate(id="sample-vat-21", description="21%", rate=D("0.21"))

SAMPLE_DOCUMENT = Document(
    id="sample-document",
    kind="invoice",
    number="2026 / 1",
    date=date(2026, 1, 15),
    customer=SAMPLE_CUSTOMER,
    currency="EUR",
    lines=(
        Line(
            description="Consulting",
            quantity=D("2"),
            unit_price=D("50.00"),
            tax_rate=_SAMPLE_RATE,
            amount_before_discount=D("100.00"),
            amount=D("100.00"),
        ),
    ),
    totals=Totals(
        tax_exclusive=D("100.00"),
        tax_inclusive=D("121.00"),
        taxes=(TaxTotal(rate=D("0.21"), taxable=D("100.00"), tax=D("21.00")),),
        tax_exclusive_before_discount=D("100.00"),
        payable=D("121.00"),
        due=D("121.00"),
    ),
    due_date=date(2026, 2, 14),
    exchange_rate=D("1"),
    payment_term=PaymentTerm("after_invoice_date", 30),
    expected_payment_method="bank_transfer",
    invoice_id="sample-invoice",
    reference="PO-1",
    payment_reference="+++084/2613/66074+++",
)
