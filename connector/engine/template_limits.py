"""The limits on a template's work: a sandboxed Jinja environment that bounds `range()`, loops, powers,
repeated text and widths, and each rendering's time and output. A field is a line of text rendered in
microseconds; the limits leave a thousand times that and stop `range(10**9)`, `10**10**8` and
`'x' * 10**9` at once."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# Limits on the work of one rendering. A field is a line of text rendered in microseconds; these
# leave a thousand times that and stop `range(10**9)`, `10**10**8` and `'x' * 10**9` at once.
MAX_RANGE = 10_000  # items of one range()

MAX_ITERATIONS = 100_000  # loop iterations of one rendering, all loops together

MAX_TEXT = 10_000  # characters (or items) of any text or list a template makes, and of its output

MAX_DIGITS = 40  # digits of the result of a power

TIME_LIMIT = 0.25  # seconds of the rendering thread's own CPU time: a busy machine does not count


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
        self.budget.deadline = time.thread_time() + TIME_LIMIT
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
        if time.thread_time() > self.budget.deadline:
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
