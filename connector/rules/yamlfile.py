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
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from connector.contract.errors import Problem

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {
    _TAG + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp")
}

# Limits on what a rule file may make the parser do (docs/rules.md, "Limits"). A real rule file is
# a few KB, about five levels deep, with a handful of aliases; these leave room for a hundred times that.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 1000
MAX_ALIAS_DEPTH = 4
MAX_VALUES = 100_000
MAX_TEXT = 64 * 1024

# Characters YAML 1.2 accepts in a file (its `c-printable`); anything else is a control character.
_NOT_PRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHARACTER_NAMES = {"\x00": "a NUL byte", "\x1b": "an escape character", "\x7f": "a DEL character"}


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


class _Refused(Exception):
    """A limit the composer stops at: where, and the message for the consultant."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else 1
        self.column = mark.column + 1 if mark is not None else 1
        self.message = message


class _LimitedComposer(Composer):
    """ruamel's composer, counting as it goes: nesting depth, aliases, and values after expansion.

    Aliases are not expanded here (an alias node is its anchor's node), but `_Builder` and every
    later step walk the expanded tree, so the expanded size and depth are what must stay bounded.
    Each node's expanded size, alias depth and height are remembered by node, so counting is linear
    in the file and a refusal comes at the first event past a limit, before the rest is parsed.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.frames: list[list[int]] = []  # per open node: [values, alias depth, height]
        self.measured: dict[int, tuple[int, int, int]] = {}
        self.aliases = 0
        self.values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._alias(node, f"alias *{event.anchor}", mark)
            return node
        if len(self.frames) >= MAX_DEPTH:
            raise _Refused(
                mark,
                f"nested more than {MAX_DEPTH} levels deep, the most a rule file may nest: "
                "a rule file needs about five; flatten this value or remove it",
            )
        self._count(1, mark)
        self.frames.append([1, 0, 1])
        node = super().compose_node(parent, index)
        values, depth, height = self.frames.pop()
        self.measured[id(node)] = (values, depth, height)
        self._add(values, depth, height)
        return node

    def _alias(self, node: Node, name: str, mark: Any) -> None:
        values, depth, height = self.measured.get(id(node), (1, 0, 1))  # not yet closed: it loops
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _Refused(
                mark,
                f"{name} is alias number {self.aliases}; a rule file may use at most {MAX_ALIASES}: "
                "write the values out",
            )
        if depth + 1 > MAX_ALIAS_DEPTH:
            raise _Refused(
                mark,
                f"{name} nests aliases {depth + 1} deep (an anchor holding aliases to anchors holding "
                f"aliases); a rule file may nest at most {MAX_ALIAS_DEPTH}: write the values out",
            )
        if len(self.frames) + height > MAX_DEPTH:
            raise _Refused(
                mark,
                f"{name} puts its value {len(self.frames) + height} levels deep; a rule file may nest "
                f"at most {MAX_DEPTH}: write a flatter value",
            )
        self._count(values, mark, alias=True)
        self._add(values, depth + 1, height)

    def _count(self, values: int, mark: Any, alias: bool = False) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            by = " once its aliases are expanded" if alias else ""
            raise _Refused(
                mark,
                f"the file holds more than {MAX_VALUES:,} values{by}, the most a rule file may hold: "
                "remove what is not rules (a rule file holds a few hundred)",
            )

    def _add(self, values: int, depth: int, height: int) -> None:
        if self.frames:
            parent = self.frames[-1]
            parent[0] += values
            parent[1] = max(parent[1], depth)
            parent[2] = max(parent[2], height + 1)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _place(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read(path: Path, file: str) -> tuple[bytes, str | None, list[Problem]]:
    """The file's bytes and text, or the problems that stop reading it.

    At most `MAX_BYTES` + 1 bytes are read, so `/dev/zero` or a pipe that never ends is refused as
    fast as a small file.
    """
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_BYTES + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        return b"", None, [Problem(1, 1, "", f"cannot read the file: {reason}", file)]
    if len(content) > MAX_BYTES:
        head = content[:MAX_BYTES]
        line = head.count(b"\n") + 1
        column = MAX_BYTES - (head.rfind(b"\n") + 1) + 1
        message = (
            f"the file is larger than 1 MB ({MAX_BYTES:,} bytes), the most a rule file may hold, "
            "and passes that limit here: keep only the rules in it (a rule file is a few KB); "
            "is this the right file?"
        )
        return content, None, [Problem(line, column, "", message, file)]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        column = (
            len(content[content.rfind(b"\n", 0, error.start) + 1 : error.start].decode("utf-8", "replace"))
            + 1
        )
        message = f"the file is not UTF-8 text (byte 0x{content[error.start]:02x} here): save it as UTF-8"
        return content, None, [Problem(line, column, "", message, file)]
    problems = _control_characters(text, file)
    return content, (None if problems else text), problems


def _control_characters(text: str, file: str) -> list[Problem]:
    """Every line holding a character YAML refuses (NUL, escape, other controls), at its column."""
    problems: list[Problem] = []
    seen: set[int] = set()
    for found in _NOT_PRINTABLE.finditer(text):
        line, column = _place(text, found.start())
        if line in seen:
            continue
        seen.add(line)
        character = found.group()
        name = _CHARACTER_NAMES.get(character, "a control character")
        message = (
            f"{name} (U+{ord(character):04X}) here: a rule file is plain text; delete it, "
            "or retype the line in a text editor"
        )
        problems.append(Problem(line, column, "", message, file))
        if len(problems) == 10:
            break
    return problems


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


_FLOW_TOKEN = re.compile(r"""(?m)"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?:^|(?<=\s))#.*$|[\[\]{}]""")


def _deep_flow(text: str) -> int | None:
    """Where `[` and `{` first nest deeper than `MAX_DEPTH`, by a quick look that skips quotes.

    The scanner looks ahead up to 1,024 characters for every open `[` (it may start a key), so a
    run of `[[[[` costs it about a second before the composer sees the first node; parsing only
    the text up to this place finds the same refusal at once.
    """
    depth = 0
    for token in _FLOW_TOKEN.finditer(text):
        character = token.group()
        if character in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.end()
        elif character in "]}":
            depth = max(0, depth - 1)
    return None


def _compose(text: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.Composer = _LimitedComposer
    return yaml.compose(text)


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
