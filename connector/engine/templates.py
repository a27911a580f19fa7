"""The rule file's `fields:` templates, rendered per document in a Jinja sandbox.

Consultants write these (`description: "{{ document.number }} {{ customer.name }}"`), so they run in
`ImmutableSandboxedEnvironment` with `StrictUndefined`: a misspelled name is an error, never an
empty string, and nothing in a template can reach Python internals or change data. A template that
fails for one document skips that document only, with the file line of the template.

The context is two read-only views, `document` and `customer` (see `document_view` and
`customer_view` for their keys), not the records themselves: templates see plain values.

The sandbox also bounds the work a template can ask for (`LimitedSandbox`, docs/rules.md "Limits"):
ranges, powers, repeated and concatenated text, widths of padding and formats, loop iterations,
and each rendering's time and output. `connector validate` renders every template against
`SAMPLE_DOCUMENT`, so a template that breaks a limit fails offline at its line in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from connector.contract.errors import Problem, RecordSkipped, RuleFileError
from connector.contract.records import (
    Customer,
    Document,
)
from connector.engine.template_limits import TemplateLimit, _environment
from connector.engine.template_sample import SAMPLE_DOCUMENT
from connector.rules.model import Rules, Template

MAX_YOUR_REF = 255

DEFAULT_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "description": "{{ document.number }} {{ customer.name }}",
        "your_ref": "{{ document.number }}",
        "payment_reference": "{{ document.payment_reference }}",
    }
)

"""What `connector validate` renders every template for: every key of the views holds a value."""


def _template_line(error: BaseException) -> int:
    """The line inside the template where rendering failed (Jinja rewrites tracebacks to it)."""
    line = 1
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _undefined_message(error: str) -> str:
    attribute = re.search(r"has no attribute '([^']*)'", error)
    if attribute:
        name = attribute.group(1)
        return (
            f"template uses {name}, which no document or customer has: check the spelling "
            "(docs/rules.md, fields, lists what a template sees)"
        )
    undefined = re.search(r"'([^']*)' is undefined", error)
    if undefined:
        return (
            f"template uses the name {undefined.group(1)}, which is not defined: a template sees "
            "document and customer (docs/rules.md, fields)"
        )
    return f"template uses something no document has: {error} (docs/rules.md, fields)"


def sample_problem(source: str) -> tuple[str, int] | None:
    """Why `source` cannot be a field, found by rendering it for `SAMPLE_DOCUMENT`, and at which
    of its lines; None when it renders (or fails only for a reason the sample's data decides).

    A broken limit, a refused attribute and a name the views never hold fail for every document,
    so `connector validate` reports them; a syntax error is reported by the syntax check.
    """
    environment = _environment()
    try:
        environment.render(environment.from_string(source), _context(SAMPLE_DOCUMENT))
    except jinja2.TemplateSyntaxError:
        return None
    except TemplateLimit as error:
        return f"template breaks a limit: {error}; see docs/rules.md, Limits", _template_line(error)
    except SecurityError as error:
        return f"template is refused by the sandbox: {error}", _template_line(error)
    except jinja2.UndefinedError as error:
        if "has no element" in str(error):  # an index past the sample's lines: data decides
            return None
        return _undefined_message(str(error)), _template_line(error)
    except Exception:  # the sample's values decide (a division by a zero amount, ...): run time says
        return None
    return None


def _view(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


def customer_view(customer: Customer) -> Mapping[str, Any]:
    """What a template sees as `customer`."""
    address = customer.address
    return _view(
        {
            "id": customer.id,
            "kind": customer.kind,
            "name": customer.name,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "vat_number": customer.vat_number,
            "email": customer.email,
            "phone": customer.phone,
            "language": customer.language,
            "tags": tuple(customer.tags),
            "address": _view(
                {
                    "line_1": address.line_1,
                    "postal_code": address.postal_code,
                    "city": address.city,
                    "country": address.country,
                }
            ),
        }
    )


def document_view(document: Document) -> Mapping[str, Any]:
    """What a template sees as `document`."""
    totals = document.totals
    return _view(
        {
            "id": document.id,
            "kind": document.kind,
            "number": document.number,
            "date": document.date,
            "due_date": document.due_date,
            "currency": document.currency,
            "exchange_rate": document.exchange_rate,
            "reference": document.reference,
            "payment_reference": document.payment_reference,
            "payment_term": document.payment_term.key if document.payment_term else None,
            "expected_payment_method": document.expected_payment_method,
            "invoice_id": document.invoice_id,
            "totals": _view(
                {
                    "tax_exclusive": totals.tax_exclusive,
                    "tax_inclusive": totals.tax_inclusive,
                    "tax_exclusive_before_discount": totals.tax_exclusive_before_discount,
                    "payable": totals.payable,
                    "due": totals.due,
                }
            ),
            "lines": tuple(
                _view(
                    {
                        "description": line.description,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "amount": line.amount,
                        "tax_rate": line.tax_rate.description,
                    }
                )
                for line in document.lines
            ),
        }
    )


def _context(document: Document) -> dict[str, Any]:
    return {"document": document_view(document), "customer": customer_view(document.customer)}


def _templates(rules: Rules) -> dict[str, Template]:
    """The file's templates, with the defaults (`DEFAULT_FIELDS`) where it has none."""
    found = {name: Template(name, source) for name, source in DEFAULT_FIELDS.items()}
    found.update(rules.fields)
    return found


def _where(rules: Rules, template: Template) -> tuple[int, int]:
    if template.line:
        return (template.line, template.column)
    return rules.where(f"fields.{template.name}")


def check_templates(rules: Rules) -> list[Problem]:
    """Syntax errors in `fields:`, for `connector validate`; each at the template's line."""
    environment = _environment()
    problems = []
    for name, template in _templates(rules).items():
        try:
            environment.from_string(template.source)
        except jinja2.TemplateSyntaxError as exc:
            line, column = _where(rules, template)
            problems.append(
                Problem(
                    line,
                    column,
                    f"fields.{name}",
                    f"template syntax error: {exc.message}",
                    file=str(rules.path) if rules.path else "",
                )
            )
    return sorted(problems)


class Templates:
    """The compiled `fields:` of one rule file; build once per run, render per document."""

    def __init__(self, rules: Rules) -> None:
        problems = check_templates(rules)
        if problems:
            raise RuleFileError(str(rules.path) if rules.path else "rule file", problems)
        self._rules = rules
        self._environment = environment = _environment()
        self._templates = _templates(rules)
        self._compiled = {name: environment.from_string(t.source) for name, t in self._templates.items()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._compiled))

    def render(self, document: Document) -> dict[str, str]:
        """Every field for `document`, stripped; always with `description` and `your_ref`.

        Raises `RecordSkipped` (for this document only) when a template fails or `your_ref` is
        empty or longer than a target accepts.
        """
        context = _context(document)
        rendered = {name: self._render(name, document, context) for name in self.names}
        self._check_your_ref(document, rendered["your_ref"])
        return rendered

    def field(self, name: str, document: Document) -> str:
        """One field for `document`; KeyError for a field the file lacks and that has no default."""
        if name not in self._compiled:
            raise KeyError(name)
        value = self._render(name, document, _context(document))
        if name == "your_ref":
            self._check_your_ref(document, value)
        return value

    def your_ref(self, document: Document) -> str:
        """The reference the target finds the entry by again: `fields.your_ref`, or the number."""
        return self.field("your_ref", document)

    def description(self, document: Document) -> str:
        """The entry's description: `fields.description`, or the number and the customer's name."""
        return self.field("description", document)

    def payment_reference(self, document: Document) -> str | None:
        """What the customer pays with: `fields.payment_reference`, or the source's own (invoices
        only: a credit note carries one only when the rule file's template gives it); None for none."""
        if document.kind == "credit_note" and "payment_reference" not in self._rules.fields:
            return None
        return self.field("payment_reference", document) or None

    def _check_your_ref(self, document: Document, your_ref: str) -> None:
        if not your_ref:
            raise self._skip(
                document, "your_ref", "rendered empty", "a document is found again by its your_ref"
            )
        if len(your_ref) > MAX_YOUR_REF:
            raise self._skip(
                document,
                "your_ref",
                f"is {len(your_ref)} characters long; the target accepts at most {MAX_YOUR_REF}",
                "shorten the template",
            )

    def _render(self, name: str, document: Document, context: dict[str, Any]) -> str:
        try:
            return self._environment.render(self._compiled[name], context).strip()
        except Exception as exc:  # any failure of a consultant's template skips this document only
            raise self._skip(document, name, f"failed: {exc}", "fix the template") from exc

    def _skip(self, document: Document, name: str, what: str, todo: str) -> RecordSkipped:
        template = self._templates[name]
        line, column = _where(self._rules, template)
        file = str(self._rules.path) if self._rules.path else "rule file"
        place = f"{file}:{line}:{column}"
        return RecordSkipped(
            f"document {document.number}: fields.{name} ({place}) {what}",
            record_id=document.key,
            field=f"fields.{name}",
            hint=f"{todo} at {place}; only this document is skipped",
        )
