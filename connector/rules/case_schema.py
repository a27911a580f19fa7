"""The JSON Schema of the rule file's `tests:` section: cases (a document, and the entry or the
refusal it must give) and the reference data they are mapped against."""

from __future__ import annotations

from typing import Any

from connector.rules.record_schema import DECIMAL_PATTERN, document_schema


def _string(description: str, *examples: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "description": description}
    if examples:
        schema["examples"] = list(examples)
    return schema


def _amount(description: str) -> dict[str, Any]:
    return {
        "type": ["number", "string"],
        "pattern": DECIMAL_PATTERN,
        "description": description,
        "examples": ["121.00"],
    }


def _table(description: str, item: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {
            "type": "object",
            "description": item,
            "properties": {"description": _string("What the target calls it."), **fields},
            "additionalProperties": False,
        },
    }


def reference_schema() -> dict[str, Any]:
    """The sink's reference data as a `tests:` section may state it: only what exists, by code."""
    return {
        "type": ["object", "string"],
        "description": "The target's codes the cases are mapped against: a section like this, or the "
        "name of a YAML file beside the rule file holding one. Without it the client's cached reference "
        "data is used, else what the rule file names (docs/rules.md, tests).",
        "properties": {
            "vat_codes": _table(
                "VAT codes by code.",
                "One VAT code.",
                {
                    "type": {
                        "type": "string",
                        "enum": ["E", "I", "B", "N"],
                        "description": "E exclusive (default), I inclusive, B base only, N none.",
                    },
                    "percentage": _amount("Its percentage: 21 (or 0.21)."),
                },
            ),
            "journals": _table(
                "Journals by code.",
                "One journal.",
                {"type": {"type": "integer", "description": "20 sales (default), 21 return invoices."}},
            ),
            "accounts": _table(
                "GL accounts by code.",
                "One account.",
                {"type": {"type": "integer", "description": "110 revenue (default)."}},
            ),
            "payment_conditions": _table(
                "Payment conditions by code.",
                "One payment condition.",
                {
                    "days": {"type": "integer", "description": "Days until due (default 0)."},
                    "end_of_months": {
                        "type": "integer",
                        "description": "Ends of month added (default 0).",
                    },
                    "discount_percentage": _amount("Payment discount in percent (default 0)."),
                    "method": _string("B on credit (default), I collection, K cash."),
                },
            ),
            **{
                table: _table(
                    f"{label} by code.",
                    f"One {label[:-1].lower()}.",
                    {"active": {"type": "boolean", "description": "Whether it may be used (default true)."}},
                )
                for table, label in (("cost_centers", "Cost centres"), ("cost_units", "Cost units"))
            },
        },
        "additionalProperties": False,
    }


def _expected_entry() -> dict[str, Any]:
    line = {
        "type": "object",
        "description": "One expected line of the entry; only the keys given are compared.",
        "properties": {
            "account": _string("Revenue GL account.", "7000"),
            "vat_code": _string("VAT code.", "4"),
            "amount": _amount("Amount excluding VAT."),
            "vat_amount": _amount("VAT of the line."),
            "description": {"type": "string", "description": "The line's description."},
            "cost_center": _string("Its cost centre code.", "100"),
            "cost_unit": _string("Its cost unit code.", "P01"),
        },
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "The journal entry the document must give; only the keys given are compared, "
        "`lines` all of them, in order.",
        "minProperties": 1,
        "properties": {
            "journal": _string("Journal code.", "70"),
            "customer": {
                "type": "object",
                "description": "Whose account it is booked on, as far as it can be told offline.",
                "properties": {
                    "name": _string("The customer's name."),
                    "match": _string(
                        "How an account not linked yet is looked up: the first `customers.match` key "
                        "the customer has, and its value; `none` when it has none.",
                        "vat_number BE0477472701",
                    ),
                },
                "additionalProperties": False,
            },
            "your_ref": _string("The entry's YourRef.", "2026/0042"),
            "description": {"type": "string", "description": "The entry's description."},
            "payment_condition": _string("Payment condition code.", "30"),
            "payment_reference": _string("The payment reference it carries.", "+++084/2613/66074+++"),
            "currency": _string("Currency of the entry.", "EUR"),
            "exchange_rate": _amount("Home currency per unit of the entry's currency."),
            "lines": {"type": "array", "description": "Every line of the entry, in order.", "items": line},
        },
        "additionalProperties": False,
    }


def tests_schema() -> dict[str, Any]:
    """`tests:`: documents and the entry (or the refusal) the mapping must give for each."""
    document = document_schema()
    document["type"] = ["object", "string"]
    document["description"] = (
        "The source document in the canonical shape, or the name of a YAML file beside the rule file "
        "holding one."
    )
    return {
        "type": "object",
        "description": "Cases `connector test` runs offline through the mapping of a real run; "
        "`validate` and watch mode run them too (docs/rules.md, tests).",
        "properties": {
            "reference": reference_schema(),
            "cases": {
                "type": "array",
                "description": "The cases, each a document and what it must give.",
                "items": {
                    "type": "object",
                    "description": "One case: `document` with `expect` or `fails`.",
                    "properties": {
                        "name": _string("What the case shows.", "invoice with two VAT rates"),
                        "document": document,
                        "expect": _expected_entry(),
                        "fails": _string(
                            "The refusal expected instead of an entry: `unmapped rate`, `no revenue "
                            "account`, `no journal`, `no lines`, `totals do not add up`, or words the "
                            "message holds.",
                            "unmapped rate",
                        ),
                    },
                    "required": ["name", "document"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["cases"],
        "additionalProperties": False,
    }
