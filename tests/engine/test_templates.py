"""`fields:` templates: defaults, rendering, and errors that skip one document at the template's line."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from connector.contract.errors import RecordSkipped, RuleFileError
from connector.contract.records import Address, Customer, Document, PaymentTerm, Totals
from connector.engine.templates import Templates, check_templates
from connector.rules.model import Rules, Template
from connector.testing.rules import make_rules

D = Decimal
CUSTOMER = Customer(
    id="c1",
    kind="company",
    name="Acme BV",
    vat_number="BE0123456789",
    address=Address(line_1="Dok Noord 3A", postal_code="9000", city="Gent", country="BE"),
)


def rules(fields: Mapping[str, str] | None = None) -> Rules:
    """Rules whose templates stand on line 31, 32, ... of rules/acme.yaml, column 16."""
    templates = {
        name: Template(name, source, line=31 + index, column=16)
        for index, (name, source) in enumerate((fields or {}).items())
    }
    return make_rules(
        fields=templates,
        path=Path("rules/acme.yaml"),
    )


def doc(number: str = "2026 / 3", reference: str | None = "PO-778") -> Document:
    return Document(
        id="d1",
        kind="invoice",
        number=number,
        date=date(2026, 3, 2),
        customer=CUSTOMER,
        currency="EUR",
        lines=(),
        totals=Totals(D("100.00"), D("121.00"), ()),
        reference=reference,
        payment_term=PaymentTerm("end_of_month", 30),
    )


def skipped(fields: Mapping[str, str], document: Document | None = None) -> RecordSkipped:
    with pytest.raises(RecordSkipped) as caught:
        Templates(rules(fields)).render(document or doc())
    return caught.value


def test_without_fields_your_ref_is_the_number_and_description_number_and_customer() -> None:
    assert Templates(rules()).render(doc()) == {
        "description": "2026 / 3 Acme BV",
        "your_ref": "2026 / 3",
        "payment_reference": "",
    }


def test_the_payment_reference_is_the_sources_for_invoices_and_none_for_credit_notes_by_default() -> None:
    invoice = dataclasses.replace(doc(), payment_reference="+++084/2613/66074+++")
    credit_note = dataclasses.replace(invoice, kind="credit_note")
    templates = Templates(rules())

    assert templates.payment_reference(invoice) == "+++084/2613/66074+++"
    assert templates.payment_reference(credit_note) is None
    assert templates.payment_reference(dataclasses.replace(doc(), payment_reference=None)) is None


def test_a_payment_reference_template_gives_credit_notes_one_too() -> None:
    templates = Templates(rules({"payment_reference": "CN {{ document.number }}"}))
    credit_note = dataclasses.replace(doc(), kind="credit_note")

    assert templates.payment_reference(credit_note) == "CN 2026 / 3"


def test_templates_see_document_and_customer_values_and_output_is_stripped() -> None:
    fields = {
        "description": "  {{ customer.name }} – {{ document.reference }}"
        " ({{ document.date.strftime('%d/%m/%Y') }})\n",
        "your_ref": "{{ document.number | replace(' ', '') }}",
        "note": "{{ customer.address.city }} {{ document.totals.tax_inclusive }} {{ document.payment_term }}",
    }
    assert Templates(rules(fields)).render(doc()) == {
        "description": "Acme BV – PO-778 (02/03/2026)",
        "your_ref": "2026/3",
        "note": "Gent 121.00 end_of_month 30",
        "payment_reference": "",
    }


def test_a_missing_value_renders_empty_not_none() -> None:
    rendered = Templates(rules({"description": "{{ document.number }} {{ document.reference }}"}))
    assert rendered.render(doc(reference=None))["description"] == "2026 / 3"


def test_undefined_name_skips_the_document_naming_the_template_line_and_the_document() -> None:
    error = skipped({"your_ref": "{{ document.number }}", "description": "{{ customer.nmae }}"})
    assert error.message.startswith("document 2026 / 3: fields.description (rules/acme.yaml:32:16) failed:")
    assert "nmae" in error.message
    assert (error.record_id, error.field) == ("invoice:d1", "fields.description")
    assert error.hint == "fix the template at rules/acme.yaml:32:16; only this document is skipped"


def test_runtime_error_skips_the_document() -> None:
    error = skipped({"description": "{{ 1 / 0 }}"})
    assert "fields.description (rules/acme.yaml:31:16) failed: division by zero" in error.message


@pytest.mark.parametrize(
    "source",
    [
        "{{ document.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ customer.name.__class__.__init__.__globals__ }}",
    ],
)
def test_sandbox_blocks_access_to_python_internals(source: str) -> None:
    error = skipped({"description": source})
    assert isinstance(error.__cause__, jinja2.exceptions.SecurityError)
    assert "unsafe" in error.message


def test_templates_cannot_change_what_they_see() -> None:
    error = skipped({"description": "{{ customer.address.update({'city': 'x'}) }}"})
    assert error.field == "fields.description"


def test_your_ref_longer_than_a_target_accepts_is_skipped_not_truncated() -> None:
    error = skipped({"your_ref": "{{ document.number }}-{{ 'x' * 300 }}"})
    assert (
        "fields.your_ref (rules/acme.yaml:31:16) is 309 characters long; the target accepts at most 255"
        in (error.message)
    )
    assert error.hint and error.hint.startswith("shorten the template")


def test_empty_your_ref_is_skipped() -> None:
    assert "rendered empty" in skipped({"your_ref": "{{ document.reference }}"}, doc(reference=None)).message


def test_a_template_syntax_error_is_a_rule_file_error_at_its_line() -> None:
    bad = rules({"description": "{{ document.number }", "your_ref": "{{ document.number }}"})
    [problem] = check_templates(bad)
    assert (problem.line, problem.column, problem.path) == (31, 16, "fields.description")
    assert problem.message.startswith("template syntax error:")
    with pytest.raises(RuleFileError):
        Templates(bad)


def test_single_fields_render_like_the_whole_set() -> None:
    templates = Templates(rules({"description": "Invoice {{ document.number }}"}))
    assert (templates.your_ref(doc()), templates.description(doc())) == ("2026 / 3", "Invoice 2026 / 3")
    with pytest.raises(RecordSkipped, match="rendered empty"):
        Templates(rules({"your_ref": " {{ document.reference }} "})).your_ref(doc(reference=None))
