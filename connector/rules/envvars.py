"""`${VAR}` and `${VAR:-default}` in a rule file's values, read from the environment.

References are expanded in the parsed string values, never in the raw text, so whatever the
environment holds stays one string: an id like `{1234-abcd}` is not read as YAML. Keys are never
expanded. `$${` writes a literal `${`. `${VAR:-default}` takes the default when VAR is unset or
empty, as a shell does; `${VAR}` with VAR unset is a problem naming the variable and its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.contract.errors import Problem
from connector.rules.yamlfile import KeyPath, Parsed, dotted

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SLOT = re.compile("\x00([0-9]+)\x00")


@dataclass(frozen=True)
class Reference:
    """One `${NAME}` or `${NAME:-default}` found in a value."""

    name: str
    default: str | None


def references(text: str) -> tuple[str, list[Reference]]:
    """Split `text` into its literal parts and references; raises ValueError on a bad `${`.

    Returns the text with `$${` unescaped and each reference replaced by `\\x00<index>\\x00`, so
    callers can substitute in one pass.
    """
    out: list[str] = []
    found: list[Reference] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index):
            out.append("${")
            index += 3
            continue
        if not text.startswith("${", index):
            out.append(text[index])
            index += 1
            continue
        end = text.find("}", index + 2)
        if end < 0:
            raise ValueError(f"`{text[index:]}` is never closed: write ${{NAME}}, or $${{ for a literal ${{")
        inner = text[index + 2 : end]
        name, sep, default = inner.partition(":-")
        if not NAME.fullmatch(name):
            hint = "write ${NAME:-default} (with :-)" if ":" in inner and not sep else "write ${NAME}"
            raise ValueError(
                f"`${{{inner}}}` is not an environment reference: {hint}; a name holds letters, "
                "digits and _, and does not start with a digit"
            )
        out.append(f"\x00{len(found)}\x00")
        found.append(Reference(name, default if sep else None))
        index = end + 1
    return "".join(out), found


def unset_message(name: str, secret: bool) -> str:
    """What to do about an unset variable: a secret must come from the environment (a default would
    put it in the file), anything else may also take a default."""
    if secret:
        return (
            f"environment variable {name} is not set: it holds a secret, so set it in the environment "
            f"the command runs in (e.g. `read -rs {name} && export {name}`, which keeps it out of the "
            "shell's history, or your service manager's environment file), never as a default in the file"
        )
    return f"environment variable {name} is not set: set it, or write ${{{name}:-default}} to give a default"


def is_single_reference(text: str) -> Reference | None:
    """The reference when `text` is exactly one `${NAME}` or `${NAME:-default}`, else None."""
    try:
        template, found = references(text)
    except ValueError:
        return None
    return found[0] if len(found) == 1 and template == "\x000\x00" else None


@dataclass
class Expansion:
    """The data with every reference expanded, and what went wrong.

    `failed` holds the paths whose value could not be expanded (they hold "" so that later checks
    do not pile up a second message about the same value); `sources` the variable names each
    expanded value came from.
    """

    data: Any
    problems: list[Problem] = field(default_factory=list)
    failed: set[KeyPath] = field(default_factory=set)
    sources: dict[KeyPath, tuple[str, ...]] = field(default_factory=dict)


def expand(
    parsed: Parsed,
    environ: Mapping[str, str],
    file: str,
    secret: Callable[[KeyPath], bool] = lambda path: False,
) -> Expansion:
    """A copy of `parsed.data` with `${...}` expanded in every string value."""
    result = Expansion(data=None)

    def walk(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            return substitute(value, path)
        return value

    def substitute(text: str, path: KeyPath) -> str:
        line, column = parsed.where(path)
        try:
            template, found = references(text)
        except ValueError as error:
            result.problems.append(Problem(line, column, dotted(path), str(error), file))
            result.failed.add(path)
            return ""
        values: list[str] = []
        for reference in found:
            value = environ.get(reference.name)
            if value is None or (value == "" and reference.default is not None):
                if reference.default is None:
                    result.problems.append(
                        Problem(
                            line,
                            column,
                            dotted(path),
                            unset_message(reference.name, secret(path)),
                            file,
                        )
                    )
                    result.failed.add(path)
                    value = ""
                else:
                    value = reference.default
            values.append(value)
        if found:
            result.sources[path] = tuple(reference.name for reference in found)
        return _SLOT.sub(lambda match: values[int(match.group(1))], template)

    result.data = walk(parsed.data, ())
    return result
