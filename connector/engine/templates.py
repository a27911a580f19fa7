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

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal as D
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from connector.contract.errors import Problem, RecordSkipped, RuleFileError
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
from connector.rules.model import Rules, Template

MAX_YOUR_REF = 255

DEFAULT_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "description": "{{ document.number }} {{ customer.name }}",
        "your_ref": "{{ document.number }}",
    }
)


# Limits on the work of one rendering. A field is a line of text rendered in microseconds; these
# leave a thousand times that and stop `range(10**9)`, `10**10**8` and `'x' * 10**9` at once.
MAX_RANGE = 10_000  # items of one range()
MAX_ITERATIONS = 100_000  # loop iterations of one rendering, all loops together
MAX_TEXT = 10_000  # characters (or items) of any text or list a template makes, and of its output
MAX_DIGITS = 40  # digits of the result of a power
TIME_LIMIT = 0.25  # seconds per rendering


class TemplateLimit(SecurityError):
    """A template asked for more work than a field may take; the message names the limit."""


def _finalize(value: Any) -> Any:
    """`{{ document.reference }}` of a document without one renders empty, not `None`."""
    return "" if value is None else value


_PERCENT_WIDTH = re.compile(r"%[#0+\- ]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)(\{)?")


def _wide_format(text: str) -> bool:
    """A `%` or `{}` format whose width or precision is over `MAX_TEXT` or taken from an argument."""
    widths: list[str] = []
    for found in _PERCENT_WIDTH.finditer(text):
        widths += [width for width in found.groups() if width]
    for found in _BRACE_SPEC.finditer(text):
        if found.group(2):
            return True
        widths += re.findall(r"\d+", found.group(1))
    return any(width == "*" or int(width) > MAX_TEXT for width in widths)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _amount(count: int, value: Any) -> str:
    return f"{count:,} {'characters' if isinstance(value, str) else 'items'}"


_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
_WIDTH_FILTERS = {"center", "indent", "batch", "slice", "wordwrap", "truncate"}


class _Budget(threading.local):
    deadline = float("inf")
    iterations = 0


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable Jinja sandbox with bounds on the work a template can ask for.

    Every arithmetic operator, call and filter checks the rendering's deadline and the size of
    what it makes; every `{% for %}` loop counts its iterations (its iterable goes through the
    `_loop_guard` filter, added when the template is parsed). `namespace`, `lipsum`, `cycler`
    and `joiner` are removed: a field needs none of them, and `namespace` would let a loop grow
    a text by doubling it. Render with `render` to get the time and output limits.
    """

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False, finalize=_finalize)
        for name in ("namespace", "lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals["range"] = self._range
        self.filters = {name: self._limited_filter(name, function) for name, function in self.filters.items()}
        self.filters["_loop_guard"] = self._loop_guard
        self.budget = _Budget()

    # -- rendering ---------------------------------------------------------------------------
    def render(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        """`template` rendered within `TIME_LIMIT` seconds and `MAX_TEXT` characters."""
        self.budget.deadline = time.monotonic() + TIME_LIMIT
        self.budget.iterations = 0
        output: list[str] = []
        length = 0
        try:
            for chunk in template.generate(dict(context)):
                length += len(chunk)
                if length > MAX_TEXT:
                    raise TemplateLimit(
                        f"the output is longer than {MAX_TEXT:,} characters, the most a field may render"
                    )
                self._tick()
                output.append(chunk)
        finally:
            self.budget.deadline = float("inf")
        return "".join(output)

    def _tick(self) -> None:
        if time.monotonic() > self.budget.deadline:
            raise TemplateLimit(f"rendering took more than {TIME_LIMIT} s, the most a field may take")

    def _made(self, value: Any, what: str) -> Any:
        if _size(value) > MAX_TEXT:
            raise TemplateLimit(
                f"{what} makes {_amount(_size(value), value)}, more than the {MAX_TEXT:,} a field may make"
            )
        return value

    # -- parsing: every loop counts its iterations -------------------------------------------
    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Jinja's own hook between parsing and code generation (used by `parse` and `compile`).
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_loop_guard", [], [], None, None, lineno=loop.lineno)
        return tree

    def _loop_guard(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.budget.iterations += 1
            if self.budget.iterations > MAX_ITERATIONS:
                raise TemplateLimit(
                    f"the loops ran more than {MAX_ITERATIONS:,} times, the most a field may loop"
                )
            self._tick()
            yield item

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateLimit(
                f"range() of {len(numbers):,} numbers; a template may use at most {MAX_RANGE:,}"
            )
        return numbers

    # -- operators, calls and filters --------------------------------------------------------
    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self._tick()
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
            digits = right * abs(left).bit_length() * 3 // 10  # log10(2) is about 0.3
            if digits > MAX_DIGITS:
                raise TemplateLimit(
                    f"{left} ** {right} has about {digits:,} digits; a power may have at most {MAX_DIGITS}"
                )
        if operator == "*" and isinstance(right, int) and _size(left):
            self._made_by_repeat(left, right)
        if operator == "*" and isinstance(left, int) and _size(right):
            self._made_by_repeat(right, left)
        if operator == "+" and _size(left) + _size(right) > MAX_TEXT:
            raise TemplateLimit(
                f"+ makes {_amount(_size(left) + _size(right), left)}, "
                f"more than the {MAX_TEXT:,} a field may make"
            )
        if operator == "%" and isinstance(left, str) and _wide_format(left):
            raise TemplateLimit(f"a % format wider than {MAX_TEXT:,} characters, or with a * width")
        return self._made(super().call_binop(context, operator, left, right), operator)

    def _made_by_repeat(self, value: Any, times: int) -> None:
        if _size(value) * times > MAX_TEXT:
            raise TemplateLimit(
                f"* {times:,} makes {_amount(_size(value) * times, value)}, more than the {MAX_TEXT:,} "
                "a field may make"
            )

    def call_unop(self, context: jinja2.runtime.Context, operator: str, arg: Any) -> Any:
        self._tick()
        return super().call_unop(context, operator, arg)

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:  # Jinja's own signature
        __self._tick()
        target = getattr(__obj, "__wrapped__", __obj)
        receiver, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
        for value in (*args, *kwargs.values()):
            if _size(value) > MAX_TEXT:  # e.g. a macro calling itself with its text doubled
                raise TemplateLimit(
                    f"{name or 'a call'}() is given {_amount(_size(value), value)}, "
                    f"more than the {MAX_TEXT:,} a field may make"
                )
        if isinstance(receiver, str):
            if name in ("format", "format_map") and _wide_format(receiver):
                raise TemplateLimit(f"a format wider than {MAX_TEXT:,} characters, or with a nested width")
            if name in _WIDTH_METHODS:
                __self._check_widths(name, args, kwargs)
        return __self._made(super().call(__context, __obj, *args, **kwargs), f"{name or 'a call'}()")

    def _check_widths(self, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TEXT:
                raise TemplateLimit(f"{name} with a width of {value:,}; a field may use at most {MAX_TEXT:,}")

    def _limited_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)  # keeps Jinja's pass_context / pass_environment marks
        def limited(*args: Any, **kwargs: Any) -> Any:
            self._tick()
            values = [
                value for value in args if not isinstance(value, jinja2.runtime.Context | jinja2.Environment)
            ]
            if name in _WIDTH_FILTERS:
                self._check_widths(name, tuple(values[1:]), kwargs)
            if name == "format" and values and isinstance(values[0], str) and _wide_format(values[0]):
                raise TemplateLimit(f"a format wider than {MAX_TEXT:,} characters, or with a * width")
            return self._made(function(*args, **kwargs), f"the {name} filter")

        return limited


def _environment() -> LimitedSandbox:
    return LimitedSandbox()


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
    """The file's templates, with the defaults for `description` and `your_ref` where it has none."""
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
