"""Reading a rule file's YAML into plain values while remembering where every key and value stands.

The file is composed with ruamel.yaml's round-trip parser into nodes (which carry their line and
column) and the nodes are turned into plain dicts, lists and scalars here, so that:

- every problem found later can point at `line:col` of the key or value it is about;
- a duplicate key is reported (each one) instead of silently keeping one of the values;
- scalars follow YAML 1.2 as editors read it: `2026-01-01` stays the text "2026-01-01" (the schema
  checks it is a real date), `yes` is the text "yes", `4` is the number 4;
- a syntax error, a tab in the indentation or a second document becomes a `Problem` that says what
  to do, not a parser traceback;
- the parser is not the weak point: the file's size, its nesting depth, its aliases (count, depth
  and the values they expand to) and each text value are limited, and the limits are checked
  before or while composing, so a "billion laughs" bomb, `/dev/zero` or a 5,000-deep list is
  refused at once with its line and column; a control character is reported where it stands and
  any YAML tag other than the plain ones (`!!python/object/...`, `!custom`) is refused by name.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from connector.contract.errors import Problem
from connector.rules.yamlerrors import _syntax_problem
from connector.rules.yamllimits import (
    _PLAIN_TAGS,
    _TAG,
    MAX_TEXT,
    _compose,
    _deep_flow,
    _place,
    _position,
    _Refused,
    _show_tag,
    _tag,
)

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
        refused = self.refused(node)
        if refused:
            self.parsed.broken.add(path)
            line, column = _position(node)
            self.problems.append(Problem(line, column, dotted(path), refused, self.file))
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

    def refused(self, node: Node) -> str | None:
        """Why a node is refused outright: a tag other than the plain ones, or a huge text."""
        tag = _tag(node)
        if tag not in _PLAIN_TAGS:
            return (
                f"YAML tag {_show_tag(tag)} is not allowed: remove it; a rule file holds plain text, "
                "numbers, true/false, lists and sections, and connector never runs what a tag names"
            )
        if isinstance(node, ScalarNode) and len(node.value) > MAX_TEXT:
            return (
                f"this text is {len(node.value):,} characters long; a value may hold at most "
                f"{MAX_TEXT:,} (64 KB): shorten it or remove it"
            )
        return None

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
        refused = self.refused(node)
        if refused:
            line, column = _position(node)
            self.problems.append(Problem(line, column, "", f"key: {refused}", self.file))
            return None
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


def parse(text: str, file: str) -> tuple[Parsed | None, list[Problem]]:
    """The file's top-level value with positions, or None and the problems that stop reading it."""
    deep = _deep_flow(text)
    if deep is not None:
        try:
            _compose(text[:deep])
        except _Refused as refused:
            return None, [Problem(refused.line, refused.column, "", refused.message, file)]
        except YAMLError:
            pass  # the brackets were inside text the quick look took for YAML: read the whole file
    try:
        node = _compose(text)
    except _Refused as refused:
        return None, [Problem(refused.line, refused.column, "", refused.message, file)]
    except MarkedYAMLError as error:
        return None, _syntax_problem(error, text, file)
    except ReaderError as error:  # `read` reports these first; this is the parser's own word
        line, column = _place(text, max(0, int(error.position)))
        message = f"this character is not allowed in YAML ({error.reason}): delete it"
        return None, [Problem(line, column, "", message, file)]
    except YAMLError as error:
        message = f"YAML error: {error}; check the file around this place"
        return None, [Problem(1, 1, "", message, file)]
    if node is None:
        return None, [
            Problem(1, 1, "", "the file is empty: start with `version: 1` (see examples/acme.yaml)", file)
        ]
    builder = _Builder(file)
    parsed = builder.build(node)
    parsed.lines = text.splitlines()
    return parsed, builder.problems
