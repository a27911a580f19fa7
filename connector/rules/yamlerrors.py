"""A YAML syntax error turned into a `Problem` that says what to do: an unclosed quote, a tab in the
indentation, a second document, a colon in a plain value."""

from __future__ import annotations

import re

from ruamel.yaml.error import MarkedYAMLError

from connector.contract.errors import Problem

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
