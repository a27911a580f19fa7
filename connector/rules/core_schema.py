"""The core's part of the rule file's JSON Schema (draft 2020-12), as Python data.

`connector.rules.schema.effective_schema()` adds each installed plugin's section schema under
`source` and `sink`. Every key carries a `description` (editors show it on hover) and, where it
helps, `examples` and `default`: the missing-key messages quote the first example.
"""

from __future__ import annotations

from typing import Any

from connector.rules.case_schema import tests_schema

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:connector:schema:rules:v1"
CLIENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# An http(s) URL, nothing, or (as editors see the raw file) an ${ENV} reference.
WEBHOOK_PATTERN = r"^(https?://\S+|\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\})?$"
FIELD_NAMES = ("description", "your_ref", "payment_reference")
MATCH_KEYS = ("vat_number", "email", "name")
FLOWS = ("documents", "payments", "customers")


def _string(description: str, *examples: str, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "description": description}
    if examples:
        schema["examples"] = list(examples)
    schema.update(extra)
    return schema


def _boolean(description: str, default: bool) -> dict[str, Any]:
    return {"type": "boolean", "description": description, "default": default}


def _trigger(flow: str) -> dict[str, Any]:
    return _string(
        f"When the {flow} flow runs in watch mode: `every N minutes`, `every N hours`, "
        "`daily at HH:MM` or `monthly on day N at HH:MM`. Leave it out to run this flow only by hand.",
        "every 15 minutes",
        "every 2 hours",
        "daily at 02:00",
    )


def _cost_rule(what: str, example: str) -> dict[str, Any]:
    """`cost_center:` or `cost_unit:`: a lookup table per line, like `vat:`, with a default."""
    code = f"The sink's {what} code, quoted."
    return {
        "type": "object",
        "description": f"The {what} each line is booked on, looked up by what the line carries: its "
        "product, else its product category, else `default`. Without a match and a default a line "
        f"has no {what}. `connector check` checks every code in the sink.",
        "properties": {
            "default": _string(
                f"The {what} of lines no other key matches (the department's: a rule file syncs one).",
                example,
            ),
            "product": {
                "type": "object",
                "description": f"By the line's product: the source's product id → {what} code.",
                "additionalProperties": _string(code, example),
            },
            "product_category": {
                "type": "object",
                "description": f"By the line's product category: the source's category id → {what} code.",
                "additionalProperties": _string(code, example),
            },
        },
        "additionalProperties": False,
    }


def core_schema() -> dict[str, Any]:
    """The schema of every key the core reads; `source` and `sink` hold only `plugin` here."""
    return {
        "$schema": SCHEMA_URI,
        "$id": SCHEMA_ID,
        "title": "connector rule file, version 1",
        "description": "One client's rules: which source documents are booked in which sink, and how "
        "(journals, VAT codes, accounts, payment conditions, triggers). See docs/rules.md.",
        "type": "object",
        "properties": {
            "version": {
                "type": "integer",
                "const": 1,
                "description": "Version of the rule file format. Always 1.",
                "examples": [1],
            },
            "client": _string(
                "Id of this client (letters, digits, '-', '_', '.'); its state, tokens and reports are "
                "kept under it.",
                "acme",
                pattern=CLIENT_PATTERN,
                maxLength=64,
            ),
            "source": {
                "type": "object",
                "description": "The system documents come from (and payments go back to): `plugin` names "
                "it, the other keys are that plugin's options.",
                "properties": {},
            },
            "sink": {
                "type": "object",
                "description": "The bookkeeping system entries are booked in (and payments come from): "
                "`plugin` names it, the other keys are that plugin's options.",
                "properties": {},
            },
            "sync": {
                "type": "object",
                "description": "Which documents are synced, and from which date.",
                "properties": {
                    "start_date": {
                        "type": "string",
                        "format": "date",
                        "description": "First document date that is synced (YYYY-MM-DD); older documents "
                        "are never booked.",
                        "examples": ["2026-01-01"],
                    },
                    "invoices": _boolean("Book the source's booked invoices.", True),
                    "credit_notes": _boolean("Book the source's booked credit notes.", True),
                    "import_customers": _boolean(
                        "Import the sink's companies and contacts into the source: all once, then the new "
                        "ones, without duplicates.",
                        False,
                    ),
                    "attachments": {
                        "enum": ["none", "pdf", "ubl", "both"],
                        "default": "none",
                        "description": "Files of each booked document attached to its entry in the sink: "
                        "the PDF, the UBL e-invoice (the legal original of Belgian B2B invoices since "
                        "2026), both, or none. Costs extra sink calls per document (see docs/rules.md); "
                        "bookings always go first.",
                    },
                },
                "required": ["start_date"],
                "additionalProperties": False,
            },
            "journals": {
                "type": "object",
                "description": "Sales journal codes in the sink. Required for each kind of document synced.",
                "properties": {
                    "invoices": _string("Journal code for invoices.", "70"),
                    "credit_notes": _string(
                        "Journal code for credit notes (may equal the invoices' one).", "70"
                    ),
                },
                "additionalProperties": False,
            },
            "vat": {
                "type": "object",
                "description": "Source tax rate (its description as written in the source, or its id) -> "
                "the sink's VAT code, which must be an exclusive code.",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "description": "How document lines with this tax rate are booked.",
                    "properties": {
                        "code": _string("The sink's VAT code (exclusive) for this rate.", "4"),
                        "revenue_account": _string(
                            "Revenue GL account for lines with this rate; the top-level `revenue_account` "
                            "when left out.",
                            "7000",
                        ),
                    },
                    "required": ["code"],
                    "additionalProperties": False,
                },
                "examples": [{"21%": {"code": "4", "revenue_account": "7000"}}],
            },
            "customers": {
                "type": "object",
                "description": "How customers of the source are found or created in the sink.",
                "properties": {
                    "match": {
                        "type": "array",
                        "description": "How a customer not linked yet finds an existing account in the sink, "
                        "in order: vat_number, email, name.",
                        "items": {
                            "type": "string",
                            "enum": list(MATCH_KEYS),
                            "description": "A customer field compared between both systems.",
                        },
                        "minItems": 1,
                        "uniqueItems": True,
                        "default": ["vat_number"],
                    },
                    "update": _boolean(
                        "Update a linked account when the customer changed in the source since the last "
                        "sync.",
                        True,
                    ),
                },
                "additionalProperties": False,
            },
            "revenue_account": _string("Revenue GL account for lines whose VAT rate names none.", "7000"),
            "discount_account": _string(
                "GL account for discounts (line and commercial). Without it lines are booked net of "
                "discount.",
                "7080",
            ),
            "cost_center": _cost_rule("cost centre (kostenplaats)", "100"),
            "cost_unit": _cost_rule("cost unit (kostendrager)", "P01"),
            "closed_period": {
                "type": "string",
                "enum": ["fail", "next_open"],
                "default": "fail",
                "description": "A document dated in a period the sink has closed (or in a financial year "
                "it lacks): `fail` reports it and books nothing; `next_open` books it on the first day of "
                "the first open period after it, its own date kept in the description.",
            },
            "payments": {
                "type": "object",
                "description": "How the payments flow sets invoices paid in the source from the sink's "
                "matched receivables.",
                "properties": {
                    "partial": {
                        "type": "string",
                        "enum": ["ignore", "register"],
                        "default": "ignore",
                        "description": "`ignore`: an invoice is set paid only once the sink matched all "
                        "of it. `register`: each payment the sink matched on it (a part, or its share "
                        "of one bank payment settling several invoices) is registered in the source "
                        "with its own date and amount, never more than is still due; a match undone in "
                        "the sink is reported, not undone in the source.",
                    },
                },
                "additionalProperties": False,
            },
            "payment_terms": {
                "type": "object",
                "description": "Which payment condition each invoice gets in the sink.",
                "properties": {
                    "default": _string(
                        "Payment condition code used when nothing else matches, and for every credit note.",
                        "30",
                    ),
                    "direct_debit": _string(
                        "Payment condition code for invoices paid by direct debit.", "DD"
                    ),
                    "map": {
                        "type": "object",
                        "description": "Explicit overrides, checked before automatic matching: keys "
                        "`after_invoice_date N`, `end_of_month N` or `cash`, values condition codes.",
                        "additionalProperties": _string(
                            "The sink's payment condition code for this source payment term.", "14"
                        ),
                        "examples": [
                            {"after_invoice_date 14": "14", "end_of_month 30": "30EM", "cash": "00"}
                        ],
                    },
                },
                "required": ["default"],
                "additionalProperties": False,
            },
            "fields": {
                "type": "object",
                "description": "Jinja templates for fields of the booked entry, rendered in a sandbox with "
                "strict undefined (`document` and `customer` are available).",
                "properties": {
                    "description": _string(
                        "The entry's description.", "{{ document.number }} {{ customer.name }}"
                    ),
                    "your_ref": _string(
                        "The entry's reference (YourRef); the document number when left out.",
                        "{{ document.number }}",
                    ),
                    "payment_reference": _string(
                        "The entry's payment reference, which the bank import matches payments on; "
                        "the source's own when left out (invoices only: a credit note gets one only "
                        "from this template). A Belgian structured reference (+++ddd/dddd/ddddd+++) "
                        "with wrong check digits is left out and reported.",
                        "{{ document.payment_reference }}",
                        "{{ document.number }}",
                    ),
                },
                "additionalProperties": False,
            },
            "triggers": {
                "type": "object",
                "description": "Schedules of watch mode. A flow without a trigger runs only by hand.",
                "properties": {
                    **{flow: _trigger(flow) for flow in FLOWS},
                    "reconcile": _string(
                        "When watch mode runs `connector reconcile` of the month before and sends its "
                        "result with the notifications: `monthly on day N at HH:MM` (any trigger form "
                        "works). Leave it out to reconcile only by hand.",
                        "monthly on day 2 at 06:00",
                    ),
                    "immediate": {
                        "type": "object",
                        "description": "Also sync a document moments after it is booked: the source "
                        "calls public_url for each booked invoice or credit note. The scheduled runs "
                        "stay the safety net.",
                        "properties": {
                            "public_url": {
                                "type": "string",
                                "pattern": WEBHOOK_PATTERN,
                                "description": "The address the source can reach, forwarded to `listen` "
                                "(a reverse proxy or tunnel). Put a hard-to-guess secret in its path.",
                                "examples": ["https://connector.example.com/hooks/acme-6f3d9a"],
                            },
                            "listen": {
                                "type": "string",
                                "pattern": r"^[^\s:]*:[0-9]{1,5}$",
                                "description": "host:port watch mode listens on for those calls "
                                "(default 127.0.0.1:8765).",
                                "examples": ["127.0.0.1:8765"],
                            },
                        },
                        "required": ["public_url"],
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
            "notify": {
                "type": "object",
                "description": "Notifications after runs and when invoices are set paid.",
                "properties": {
                    "paid": _boolean("A notification for every invoice set paid from the sink.", False),
                    "webhook": {
                        "type": "string",
                        "pattern": WEBHOOK_PATTERN,
                        "description": "Optional http(s) URL: each run report and each paid notice is "
                        "POSTed here as JSON. Empty means none.",
                        "examples": ["https://hooks.example.com/connector"],
                    },
                    "email": {
                        "type": "object",
                        "description": "Send each report worth reading (something booked, failed or "
                        "skipped, invoices set paid) by e-mail through an SMTP server.",
                        "properties": {
                            "smtp_host": _string("Host name of the SMTP server.", "smtp.example.com"),
                            "smtp_port": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 65535,
                                "description": "Port of the SMTP server "
                                "(default 587 with starttls, else 25).",
                            },
                            "starttls": _boolean("Switch to TLS with STARTTLS before logging in.", True),
                            "username": _string("User name to log in with; none: no login."),
                            "password": _string(
                                "Password to log in with; must be an ${ENV} reference, never a literal."
                            ),
                            "from": _string("Sender address.", "connector@acme.example"),
                            "to": {
                                "type": "array",
                                "minItems": 1,
                                "items": _string("A recipient address.", "boekhouding@acme.example"),
                                "description": "Recipient addresses.",
                            },
                        },
                        "required": ["smtp_host", "from", "to"],
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
            "tests": tests_schema(),
        },
        "required": ["version", "client", "source", "sink", "sync", "vat", "payment_terms"],
        "additionalProperties": False,
    }
