"""The JSON Schema of a canonical document, generated from the record types themselves.

A rule file's `tests:` cases hold documents in the canonical shape (`connector.contract.records`),
so their schema is derived from the dataclasses' type hints: a field added to `Document` is a key
editors know at once, and a test keeps every key described (`DESCRIPTIONS`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.contract.records import Document

DECIMAL_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"

# Ids a hand-written case may leave out: they default to the number, the name, the description.
OPTIONAL_IN_CASES = frozenset({"Document.id", "Customer.id", "TaxRate.id"})

DESCRIPTIONS: dict[str, str] = {
    "Document.id": "The source's id of the document (default in a case: its number).",
    "Document.kind": "invoice or credit_note.",
    "Document.number": "The document's number as printed on it.",
    "Document.date": "The document's date (YYYY-MM-DD).",
    "Document.customer": "The customer it is addressed to.",
    "Document.currency": "ISO 4217 currency code of the amounts, e.g. EUR.",
    "Document.lines": "The document's lines, amounts excluding VAT.",
    "Document.totals": "The source's own totals, which the entry must equal to the cent.",
    "Document.department_id": "The source department the document belongs to.",
    "Document.due_date": "When payment is due (YYYY-MM-DD).",
    "Document.exchange_rate": "Home currency per one unit of `currency` (1 USD = 0.92 EUR: 0.92).",
    "Document.discounts": "Commercial discounts on the whole document.",
    "Document.payment_term": "The source's payment term; chooses the payment condition.",
    "Document.expected_payment_method": "How payment is expected: direct_debit, sepa_direct_debit, ...",
    "Document.status": "The source's status of the document.",
    "Document.paid": "Whether the source has it paid.",
    "Document.invoice_id": "For a credit note: the id of the invoice it credits.",
    "Document.reference": "Purchase order number or payment reference, for templates.",
    "Document.payment_reference": "What the customer quotes when paying: +++084/2613/66074+++ or a text.",
    "Document.updated_at": "When the source last changed it (ISO 8601).",
    "Document.failure": "Why the source will not let it be booked (the run reports it failed).",
    "Customer.id": "The source's id of the customer (default in a case: its name).",
    "Customer.kind": "company or person.",
    "Customer.name": "The customer's name.",
    "Customer.first_name": "A person's first name.",
    "Customer.last_name": "A person's last name.",
    "Customer.vat_number": "VAT number, e.g. BE0477472701.",
    "Customer.email": "E-mail address.",
    "Customer.phone": "Phone number.",
    "Customer.address": "Postal address.",
    "Customer.language": "Language code, e.g. nl.",
    "Customer.company_id": "For a person: the id of the company it belongs to.",
    "Customer.updated_at": "When the source last changed it (ISO 8601).",
    "Customer.tags": "The source's tags of the customer.",
    "Address.line_1": "Street and number.",
    "Address.postal_code": "Postal code.",
    "Address.city": "City.",
    "Address.country": "ISO 3166-1 alpha-2 country code, e.g. BE.",
    "TaxRate.id": "The source's id of the rate (default in a case: its description).",
    "TaxRate.description": "The rate as the source names it: what `vat:` maps, e.g. 21%.",
    "TaxRate.rate": "The rate as a fraction: 0.21 for 21 %.",
    "Discount.percentage": "The discount in percent: 10 for 10 %.",
    "Discount.description": "What the discount is called.",
    "Line.description": "The line's text.",
    "Line.quantity": "How many.",
    "Line.unit_price": "Price of one, excluding VAT.",
    "Line.tax_rate": "The line's VAT rate.",
    "Line.amount_before_discount": "Quantity × unit price.",
    "Line.amount": "After the line's discount, before document discounts.",
    "Line.discount": "The line's own discount.",
    "Line.product_id": "The source's id of the line's product: what `cost_center.product` maps.",
    "Line.product_category_id": "The source's id of its product category: `cost_center.product_category`.",
    "TaxTotal.rate": "The rate as a fraction: 0.21.",
    "TaxTotal.taxable": "The amount taxed at this rate.",
    "TaxTotal.tax": "The VAT at this rate.",
    "Totals.tax_exclusive": "Total excluding VAT.",
    "Totals.tax_inclusive": "Total including VAT.",
    "Totals.taxes": "Taxable amount and VAT per rate.",
    "Totals.tax_exclusive_before_discount": "Total excluding VAT before commercial discounts.",
    "Totals.payable": "What the customer has to pay.",
    "Totals.due": "What is still due.",
    "PaymentTerm.type": "after_invoice_date, end_of_month or cash.",
    "PaymentTerm.days": "Number of days of the term.",
    "Failure.message": "Why it cannot be booked.",
    "Failure.hint": "What to do about it.",
}


def _scalar(kind: Any) -> dict[str, Any]:
    if kind is str:
        return {"type": "string"}
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return {"type": "integer"}
    if kind is Decimal:
        return {"type": ["number", "string"], "pattern": DECIMAL_PATTERN}
    if kind is date:
        return {"type": "string", "format": "date"}
    if kind is datetime:
        return {"type": "string", "format": "date-time"}
    raise TypeError(f"no schema for {kind!r}")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        schema["type"] = [*kinds, "null"]
    elif isinstance(kinds, str):
        schema["type"] = [kinds, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def type_schema(kind: Any, optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The schema of a value of type `kind` (a record type, or what its fields hold)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return _nullable(type_schema(options[0], optional))
    if origin is typing.Literal:
        return {"type": "string", "enum": list(typing.get_args(kind))}
    if origin is tuple:
        items = type_schema(typing.get_args(kind)[0], optional)
        items["description"] = "One of them."
        return {"type": "array", "items": items}
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        properties = {}
        required = []
        for item in dataclasses.fields(kind):
            name = f"{kind.__name__}.{item.name}"
            schema = type_schema(hints[item.name], optional)
            schema["description"] = DESCRIPTIONS.get(name, "")
            properties[item.name] = schema
            has_default = item.default is not dataclasses.MISSING or item.default_factory is not (
                dataclasses.MISSING
            )
            if not has_default and name not in optional:
                required.append(item.name)
        return {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
    return _scalar(kind)


def document_schema() -> dict[str, Any]:
    """A document of a `tests:` case: the canonical shape, some ids optional."""
    schema = type_schema(Document, OPTIONAL_IN_CASES)
    schema["description"] = "A source document in the canonical shape (docs/rules.md, tests)."
    return schema
