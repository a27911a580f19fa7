"""Reading a rule file's YAML into plain values while remembering where every key and value stands.

The file is composed with ruamel.yaml's round-trip parser into nodes (which carry their line and
column) and the nodes are turned into plain dicts, lists and scalars here, so that:

- every problem found later can point at `line:col` of the key or value it is about;
- a duplicate key is reported (each one) instead of silently keeping one of the values;
- scalars follow YAML 1.2 as editors read it: `2026-01-01` stays the text "2026-01-01" (the schema
  checks it is a real date), `yes` is the text "yes", `4` is the number 4;
- a syntax error, a tab in the indentation or a second document becomes a `Problem` that says what
  to do, not a parser traceback.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from connector.contract.errors import Problem

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAG = "tag:yaml.org,2002:"


def dotted(path: KeyPath) -> str:
    """A key path as users write it in messages: `vat."21%".code`, `customers.match[1]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
        text = f"{text}.{name}" if text else name
    return text


def show(value: Any, raw: str | None = None) -> str:
    """A value as it would be written in YAML, for messages: "text", 2, true, null, a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, int | float):
        return raw if raw is not None else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a section of keys"
    if isinstance(value, list):
        return "a list"
    return str(value)


@dataclass
class Parsed:
    """A rule file's top-level value as plain Python, with the place of every key and value.

    Positions are 1-based `(line, column)`. `keys` holds where a mapping key (or a list item)
    starts, `values` where its value starts; `raw` holds the text of each scalar as written.
    """

    data: Any
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    raw: dict[KeyPath, str] = field(default_factory=dict)
    styles: dict[KeyPath, str | None] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    broken: set[KeyPath] = field(default_factory=set)  # values already reported, left out of later checks

    def where(self, path: KeyPath) -> tuple[int, int]:
        """Where to point for `path`: a scalar's value, a section's key, else the nearest parent."""
        while path:
            if path in self.values and path in self.raw and self.raw[path] != "":
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return (1, 1)

    def where_key(self, path: KeyPath) -> tuple[int, int]:
        """Where the key itself stands (for unknown or duplicate keys)."""
        return self.keys.get(path) or self.where(path)


def _position(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _tag(node: Node) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


class _Builder:
    """Turns composed nodes into plain values, collecting positions and duplicate-key problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.parsed = Parsed(data=None)
        self.open: set[int] = set()  # nodes being built: an alias inside its own anchor loops

    def build(self, node: Node) -> Parsed:
        self.parsed.data = self.value(node, ())
        return self.parsed

    def value(self, node: Node, path: KeyPath) -> Any:
        self.parsed.values[path] = _position(node)
        if id(node) in self.open:
            self.parsed.broken.add(path)
            line, column = self.parsed.where_key(path)
            message = "this anchor contains an alias to itself: write the value out"
            self.problems.append(Problem(line, column, dotted(path), message, self.file))
            return None
        if isinstance(node, MappingNode | SequenceNode):
            self.open.add(id(node))
            try:
                return self.collection(node, path)
            finally:
                self.open.discard(id(node))
        assert isinstance(node, ScalarNode)
        self.parsed.raw[path] = node.value
        self.parsed.styles[path] = node.style
        return self.scalar(node, path)

    def collection(self, node: MappingNode | SequenceNode, path: KeyPath) -> Any:
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        items = []
        for index, item in enumerate(node.value):
            self.parsed.keys[(*path, index)] = _position(item)
            items.append(self.value(item, (*path, index)))
        return items

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if _tag(key_node) == _TAG + "merge":
                merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            key = self.key(key_node)
            if key is None:
                continue
            child = (*path, key)
            if key in result:
                first_line = self.parsed.keys[child][0]
                line, column = _position(key_node)
                self.problems.append(
                    Problem(
                        line,
                        column,
                        dotted(child),
                        f"duplicate key: {key} is already set on line {first_line}; keep only one of them",
                        self.file,
                    )
                )
                continue
            self.parsed.keys[child] = _position(key_node)
            result[key] = self.value(value_node, child)
        for source in merged:
            if not isinstance(source, MappingNode):
                continue
            for key_node, value_node in source.value:
                key = self.key(key_node)
                if key is not None and key not in result:
                    self.parsed.keys[(*path, key)] = _position(key_node)
                    result[key] = self.value(value_node, (*path, key))
        return result

    def key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode):
            return str(node.value)
        line, column = _position(node)
        self.problems.append(
            Problem(line, column, "", "a key must be a plain name, not a list or a section", self.file)
        )
        return None

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        """YAML 1.2 core scalars; timestamps stay text (the schema checks dates)."""
        tag, text = _tag(node), node.value
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            return text.lower() == "true"
        if tag == _TAG + "int":
            return _to_int(text)
        if tag == _TAG + "float":
            return _to_float(text)
        if tag.startswith("!") and not tag.startswith("!!"):
            line, column = _position(node)
            self.problems.append(
                Problem(
                    line,
                    column,
                    dotted(path),
                    f"unknown YAML tag {tag}: remove it (rule files use plain values)",
                    self.file,
                )
            )
        return text


def _to_int(text: str) -> int | str:
    digits = text.replace("_", "")
    try:
        if digits.lower().startswith(("0x", "+0x", "-0x")):
            return int(digits, 16)
        if digits.lower().startswith(("0o", "+0o", "-0o")):
            return int(digits, 8)
        if digits.lower().startswith(("0b", "+0b", "-0b")):
            return int(digits, 2)
        return int(digits)
    except ValueError:
        return text


def _to_float(text: str) -> float | str:
    lowered = text.lower().replace("_", "")
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(lowered)
    except ValueError:
        return text


_QUOTED_VALUE = re.compile(r"""(?:^\s*(?:- )?[^"'#]*?:\s+|^\s*-\s+)(["'])""")


def _unclosed_quote(lines: list[str]) -> tuple[int, int] | None:
    """Where a value opens a quote that its line never closes (YAML would read on to the next)."""
    for number, row in enumerate(lines, start=1):
        opening = _QUOTED_VALUE.match(row)
        if opening is None:
            continue
        quote, begin = opening.group(1), opening.end(1)
        rest = row[begin:]
        if quote == '"':
            closed = re.match(r'(?:[^"\\]|\\.)*"', rest) is not None
        else:
            closed = re.match(r"(?:[^']|'')*'", rest) is not None
        if not closed:
            return (number, begin)
    return None


def _syntax_problem(error: MarkedYAMLError, text: str, file: str) -> list[Problem]:
    """A parser error as problems a consultant can act on."""
    problem = str(error.problem or "")
    context = str(error.context or "")
    mark = error.problem_mark
    start = error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if "'\\t'" in problem or "\t" in problem:
        tabs = [
            Problem(
                number,
                row.index("\t") + 1,
                "",
                "tab character in the indentation: indent with spaces, never tabs",
                file,
            )
            for number, row in enumerate(text.splitlines(), start=1)
            if "\t" in row[: len(row) - len(row.lstrip(" \t"))]
        ]
        return tabs or [
            Problem(line, column, "", "tab character here: YAML only accepts spaces; replace it", file)
        ]
    unclosed = _unclosed_quote(text.splitlines()[:line])
    if unclosed is not None:
        return [
            Problem(
                *unclosed, "", "this quoted text is never closed on its line: add the closing quote", file
            )
        ]
    if start is not None and "quoted scalar" in context:
        return [
            Problem(
                start.line + 1,
                start.column + 1,
                "",
                "this quoted text is never closed: add the closing quote",
                file,
            )
        ]
    if start is not None and "flow" in context and "${" in "".join(text.splitlines()[start.line : line]):
        message = 'inside [ ] or { }, quote a value that holds ${...}: write "${NAME}"'
        return [Problem(start.line + 1, start.column + 1, "", message, file)]
    if start is not None and "flow sequence" in context:
        return [Problem(start.line + 1, start.column + 1, "", "this [ list is never closed: add ]", file)]
    if start is not None and "flow mapping" in context:
        return [Problem(start.line + 1, start.column + 1, "", "this { section is never closed: add }", file)]
    if "single document" in context:
        return [
            Problem(
                line,
                column,
                "",
                "a rule file holds one document: remove the second `---` and what follows",
                file,
            )
        ]
    if "mapping values are not allowed" in problem:
        message = "unexpected ':' here: quote a value that contains ': ', or put the key on its own line"
        return [Problem(line, column, "", message, file)]
    if "expected <block end>" in problem or "could not find expected ':'" in problem:
        message = "this line is not indented like the keys around it: line it up with its siblings"
        return [Problem(line, column, "", message, file)]
    detail = f"{problem} ({context})" if context else problem
    return [
        Problem(line, column, "", f"YAML syntax error: {detail}; check this line and the one above", file)
    ]


def parse(text: str, file: str) -> tuple[Parsed | None, list[Problem]]:
    """The file's top-level value with positions, or None and the problems that stop reading it."""
    yaml = YAML(typ="rt")
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as error:
        return None, _syntax_problem(error, text, file)
    if node is None:
        return None, [
            Problem(1, 1, "", "the file is empty: start with `version: 1` (see examples/acme.yaml)", file)
        ]
    builder = _Builder(file)
    parsed = builder.build(node)
    parsed.lines = text.splitlines()
    return parsed, builder.problems
