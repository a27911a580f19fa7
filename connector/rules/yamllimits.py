"""The limits that keep the YAML parser from being the weak point: the file's size, its characters,
its nesting depth, its aliases (count, depth and the values they expand to), text length and tags,
checked before or while composing so that a "billion laughs" bomb, `/dev/zero` or a 5,000-deep list
is refused at once with its line and column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import Node

from connector.contract.errors import Problem

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
