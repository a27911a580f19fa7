"""The OData v2 `$filter` language as Exact Online accepts it (notes §4.3).

Parsed once into a typed predicate over a stored row. Literals: ``'text'`` (``''`` escapes a quote),
``guid'…'``, ``datetime'…'``, integers (``123``; Int64 needs ``123L``), decimals, ``true``/``false``/
``null``. Operators ``eq ne gt ge lt le and or not`` and parentheses; functions ``substringof``,
``startswith``, ``endswith``, ``trim``, ``tolower``, ``toupper``, ``length``, ``year``, ``month``, ``day``.

String comparison follows SQL Server's default collation, which Exact runs on: case-insensitive and
blind to trailing spaces, while leading spaces count (so an Account ``Code`` must be sent padded to 18
characters or wrapped in ``trim()``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .odata import parse_datetime

SYNTAX_ERROR = "Error in query syntax"
INT32_MAX = 2**31 - 1

Row = Mapping[str, Any]
Getter = Callable[[Row], Any]

TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<prefixed>(?:guid|datetime|datetimeoffset)'[^']*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?[LlMmDdFf]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_/]*)
  | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}


class FilterSyntaxError(ValueError):
    """The filter is not valid OData: Exact answers 400 "Error in query syntax"."""


class UnsupportedFields(ValueError):
    """The filter names fields this endpoint cannot filter on."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__("Filtering on these fields is not supported: " + ", ".join(fields))
        self.fields = fields


Hint = dict[str, list[Any]]
"""field -> values: a row can only match when its field equals one of them (``eq`` semantics). What
lets `Table.candidates` answer through an index instead of a scan."""


@dataclass
class Node:
    kind: str  # str guid date int decimal bool null
    get: Getter
    field: str | None = None  # a plain field, or trim() of one: what an index can look up
    constant: bool = False
    value: Any = None
    hint: Hint | None = None


@dataclass
class Filter:
    predicate: Callable[[Row], bool]
    fields: set[str] = field(default_factory=set)
    hint: Hint | None = None
    """Set when the filter holds only rows with certain values of a field (``YourRef eq 'a' or
    YourRef eq 'b'``, also inside an ``and``); None when only a scan can tell (``substringof``)."""

    def __call__(self, row: Row) -> bool:
        return self.predicate(row)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN_RE.match(text, position)
        if not match or match.end() == position:
            raise FilterSyntaxError(SYNTAX_ERROR)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.rstrip(" ").casefold()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return bool(norm(left) == norm(right))
    if op == "ne":
        return bool(norm(left) != norm(right))
    if left is None or right is None:
        return False
    a, b = norm(left), norm(right)
    return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op])


NUMERIC = {"int", "decimal"}


def _compatible(a: str, b: str) -> bool:
    if {"null", "any"} & {a, b} or a == b:
        return True
    return a in NUMERIC and b in NUMERIC


class Parser:
    """Recursive descent over the token list; `kinds` gives each filterable field's type."""

    def __init__(self, text: str, kinds: Mapping[str, str]) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.kinds = kinds
        self.fields: set[str] = set()

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError(SYNTAX_ERROR)
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise FilterSyntaxError(SYNTAX_ERROR)

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() in words:
            self.index += 1
            return token[1].lower()
        return None

    def parse(self) -> Filter:
        node = self.or_expr()
        if self.peek() is not None or node.kind != "bool":
            raise FilterSyntaxError(SYNTAX_ERROR)
        get = node.get
        return Filter(lambda row: bool(get(row)), self.fields, node.hint)

    def or_expr(self) -> Node:
        left = self.and_expr()
        while self.keyword("or"):
            right = self.and_expr()
            left = self._logical(left, right, any, _either(left.hint, right.hint))
        return left

    def and_expr(self) -> Node:
        left = self.not_expr()
        while self.keyword("and"):
            right = self.not_expr()
            left = self._logical(left, right, all, _both(left.hint, right.hint))
        return left

    @staticmethod
    def _logical(left: Node, right: Node, combine: Callable[[Any], bool], hint: Hint | None) -> Node:
        if left.kind != "bool" or right.kind != "bool":
            raise FilterSyntaxError(SYNTAX_ERROR)
        lget, rget = left.get, right.get
        return Node("bool", lambda row: combine(g(row) for g in (lget, rget)), hint=hint)

    def not_expr(self) -> Node:
        if self.keyword("not"):
            inner = self.not_expr()
            if inner.kind != "bool":
                raise FilterSyntaxError(SYNTAX_ERROR)
            get = inner.get
            return Node("bool", lambda row: not get(row))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.primary()
        op = self.keyword(*COMPARISONS)
        if op is None:
            return left
        right = self.primary()
        if not _compatible(left.kind, right.kind):
            raise FilterSyntaxError(SYNTAX_ERROR)
        lget, rget = left.get, right.get
        hint = None
        if op == "eq" and left.field and right.constant:
            hint = {left.field: [right.value]}
        elif op == "eq" and right.field and left.constant:
            hint = {right.field: [left.value]}
        return Node("bool", lambda row: _compare(op, lget(row), rget(row)), hint=hint)

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "punct" and text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "string":
            value = text[1:-1].replace("''", "'")
            return Node("str", lambda row: value, constant=True, value=value)
        if kind == "prefixed":
            return self._prefixed(text)
        if kind == "number":
            return self._number(text)
        if kind == "name":
            lowered = text.lower()
            if lowered in ("true", "false"):
                flag = lowered == "true"
                return Node("bool", lambda row: flag)
            if lowered == "null":
                return Node("null", lambda row: None, constant=True)
            nxt = self.peek()
            if nxt == ("punct", "("):
                return self._call(lowered)
            return self._field(text)
        raise FilterSyntaxError(SYNTAX_ERROR)

    def _prefixed(self, text: str) -> Node:
        prefix, _, rest = text.partition("'")
        raw = rest[:-1]
        if prefix == "guid":
            if not re.fullmatch(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", raw):
                raise FilterSyntaxError(SYNTAX_ERROR)
            guid = raw.lower()
            return Node("guid", lambda row: guid, constant=True, value=guid)
        try:
            moment = parse_datetime(raw)
        except ValueError as error:
            raise FilterSyntaxError(SYNTAX_ERROR) from error
        return Node("date", lambda row: moment)

    @staticmethod
    def _number(text: str) -> Node:
        suffix = text[-1].upper() if text[-1].isalpha() else ""
        digits = text[:-1] if suffix else text
        if suffix == "L" or (not suffix and "." not in digits):
            if suffix == "L" and "." in digits:
                raise FilterSyntaxError(SYNTAX_ERROR)
            integer = int(digits)
            if not suffix and abs(integer) > INT32_MAX:  # an Int64 literal needs its L (notes §4.3)
                raise FilterSyntaxError(SYNTAX_ERROR)
            return Node("int", lambda row: integer, constant=True, value=integer)
        number = Decimal(digits)
        return Node("decimal", lambda row: number)

    def _field(self, name: str) -> Node:
        self.fields.add(name)
        kind = self.kinds.get(name, "any")  # unknown: reported as unsupported after parsing
        kind = {"int64": "int"}.get(kind, kind)
        return Node(kind, lambda row: row.get(name), field=name)

    def _args(self) -> list[Node]:
        self.expect("(")
        args = [self.or_expr()]
        while self.peek() == ("punct", ","):
            self.take()
            args.append(self.or_expr())
        self.expect(")")
        return args

    def _call(self, name: str) -> Node:
        args = self._args()
        gets = [arg.get for arg in args]
        given = [arg.kind for arg in args]

        def takes(*expected: str) -> bool:
            return len(given) == len(expected) and all(
                k in (e, "any") for k, e in zip(given, expected, strict=True)
            )

        def text(value: Any) -> str:
            return "" if value is None else str(value).casefold()

        if name in ("substringof", "startswith", "endswith") and takes("str", "str"):
            a, b = gets
            if name == "substringof":  # substringof(needle, haystack)
                return Node("bool", lambda row: text(a(row)) in text(b(row)))
            if name == "startswith":
                return Node("bool", lambda row: text(a(row)).startswith(text(b(row))))
            return Node("bool", lambda row: text(a(row)).endswith(text(b(row))))
        if name in ("trim", "tolower", "toupper") and takes("str"):
            (a,) = gets
            apply = _trim if name == "trim" else (str.lower if name == "tolower" else str.upper)
            field_name = args[0].field if name == "trim" else None  # an index key is already trimmed
            return Node("str", lambda row: None if a(row) is None else apply(str(a(row))), field=field_name)
        if name == "length" and takes("str"):
            (a,) = gets
            return Node("int", lambda row: None if a(row) is None else len(str(a(row))))
        if name in ("year", "month", "day") and takes("date"):
            (a,) = gets

            def part(row: Row) -> int | None:
                value = a(row)
                return getattr(value, name) if isinstance(value, datetime) else None

            return Node("int", part)
        raise FilterSyntaxError(SYNTAX_ERROR)


def _trim(text: str) -> str:
    return text.strip()


def _either(left: Hint | None, right: Hint | None) -> Hint | None:
    """``or``: a field both sides narrow, to the values of either."""
    if left is None or right is None:
        return None
    common = {name: left[name] + right[name] for name in left if name in right}
    return common or None


def _both(left: Hint | None, right: Hint | None) -> Hint | None:
    """``and``: whatever either side narrows (a row must pass both); the fewer values per field."""
    if left is None or right is None:
        return left or right
    merged = dict(left)
    for name, values in right.items():
        if name not in merged or len(values) < len(merged[name]):
            merged[name] = values
    return merged


def parse_filter(text: str, kinds: Mapping[str, str], allowed: frozenset[str] | None = None) -> Filter:
    """Parse `$filter`; `kinds` maps each field of the entity to its type.

    Fields outside `allowed` (when given) or unknown to the entity raise `UnsupportedFields`,
    Exact's "Filtering on these fields is not supported: X".
    """
    parser = Parser(text, kinds)
    result = parser.parse()
    bad = sorted(
        name for name in result.fields if name not in kinds or (allowed is not None and name not in allowed)
    )
    if bad:
        raise UnsupportedFields(bad)
    return result
