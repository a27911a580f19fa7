"""Offline checks a JSON Schema cannot express: they need two keys at once, the raw text, or a parser.

Each check looks only at values of the right type (the schema reports the others), so all of them
run on every file and every problem is reported at once.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from connector.contract.errors import Problem
from connector.rules.envvars import is_single_reference
from connector.rules.schema import is_secret
from connector.rules.triggers import parse_trigger
from connector.rules.yamlfile import KeyPath, Parsed, dotted

TERM_KEY = re.compile(r"(after_invoice_date|end_of_month) [0-9]+|cash")
TERM_FORMS = '"after_invoice_date N", "end_of_month N" or "cash"'


def _section(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _walk(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def literal_secrets(parsed: Parsed, file: str) -> tuple[list[Problem], set[KeyPath]]:
    """Secrets written as literals in the raw file (before expansion), and their paths.

    The value is never quoted in the message: it is a secret.
    """
    problems: list[Problem] = []
    paths: set[KeyPath] = set()
    for path, value in _walk(parsed.data):
        if not is_secret(path) or value is None:
            continue
        reference = is_single_reference(value) if isinstance(value, str) else None
        if reference is not None and reference.default is None:
            continue
        if reference is not None:
            message = f"write ${{{reference.name}}} without a default: a default puts the secret in the file"
        else:
            message = (
                "a secret must not be written in the file: put it in an environment variable and "
                f"write ${{{_suggested_name(parsed.data, path)}}}"
            )
        line, column = parsed.where(path)
        problems.append(Problem(line, column, dotted(path), message, file))
        paths.add(path)
    return problems, paths


def _suggested_name(data: Any, path: KeyPath) -> str:
    prefix = [str(part) for part in path[:-1]]
    if path[:1] in (("source",), ("sink",)):
        plugin = _section(data, str(path[0])).get("plugin")
        if isinstance(plugin, str) and plugin:
            prefix = [plugin.split("_")[0], *prefix[1:]]
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join([*prefix, str(path[-1])])).upper()


def journals(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    """A journal code for every kind of document that is synced."""
    sync, codes = _section(data, "sync"), _section(data, "journals")
    problems = []
    for kind, words in (("invoices", "invoices"), ("credit_notes", "credit notes")):
        if sync.get(kind, True) is not True or kind in codes:
            continue
        if "journals" in data:
            line, column = parsed.where_key(("journals",))
        else:
            line, column = parsed.where_key(("sync", kind) if kind in sync else ("sync",))
        message = (
            f"required because {words} are synced (sync.{kind} is true): add {kind}: "
            f'"70" under journals: with the sales journal code, or set sync.{kind}: false'
        )
        problems.append(Problem(line, column, f"journals.{kind}", message, file))
    return problems


def revenue_accounts(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    """Every VAT rate books its lines somewhere: its own revenue account or the file's."""
    if "revenue_account" in data:
        return []
    problems = []
    for key, rule in _section(data, "vat").items():
        if isinstance(rule, dict) and "code" in rule and "revenue_account" not in rule:
            line, column = parsed.where_key(("vat", key))
            message = (
                "no revenue account for this rate: add revenue_account: under it, or a top-level "
                "revenue_account: for every rate that names none"
            )
            problems.append(Problem(line, column, dotted(("vat", key)), message, file))
    return problems


def triggers(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    problems = []
    for flow, text in _section(data, "triggers").items():
        if isinstance(text, str):
            try:
                parse_trigger(text)
            except ValueError as error:
                line, column = parsed.where(("triggers", flow))
                problems.append(Problem(line, column, dotted(("triggers", flow)), str(error), file))
    return problems


def payment_term_keys(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    problems = []
    for key in _section(_section(data, "payment_terms"), "map"):
        if TERM_KEY.fullmatch(key):
            continue
        path = ("payment_terms", "map", key)
        word = key.split(" ")[0]
        close = difflib.get_close_matches(
            word, ["after_invoice_date", "end_of_month", "cash"], n=1, cutoff=0.6
        )
        hint = f" (did you mean {close[0]}?)" if close and close[0] != word else ""
        line, column = parsed.where_key(path)
        message = f"unknown payment term {json.dumps(key)}: write {TERM_FORMS}{hint}"
        problems.append(Problem(line, column, dotted(path), message, file))
    return problems


def templates(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    """Every `fields:` template parses as Jinja and renders for a sample document within the
    sandbox's limits; a problem points at its line in the file."""
    from connector.engine.templates import (
        sample_problem,  # templates imports the rules' model: not at the top
    )

    environment = SandboxedEnvironment()
    problems = []
    for name, source in _section(data, "fields").items():
        if not isinstance(source, str):
            continue
        path = ("fields", name)
        try:
            environment.parse(source)
        except TemplateSyntaxError as error:
            message = f"Jinja syntax error: {str(error.message).rstrip('.')}"
            problems.append(
                Problem(*_template_place(parsed, path, error.lineno), dotted(path), message, file)
            )
            continue
        refused = sample_problem(source)
        if refused is not None:
            message, lineno = refused
            problems.append(Problem(*_template_place(parsed, path, lineno), dotted(path), message, file))
    return problems


def _template_place(parsed: Parsed, path: KeyPath, lineno: int | None) -> tuple[int, int]:
    """Where line `lineno` of a template stands in the file (a block text starts on the next line)."""
    line, column = parsed.where(path)
    if parsed.styles.get(path) in ("|", ">"):
        line = line + (lineno or 1)
        text = parsed.lines[line - 1] if 0 < line <= len(parsed.lines) else ""
        column = len(text) - len(text.lstrip()) + 1
    return line, column


def offline(data: Any, parsed: Parsed, file: str) -> list[Problem]:
    """Every offline check on the expanded data of a file whose top level is a mapping."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    for check in (journals, revenue_accounts, triggers, payment_term_keys, templates):
        problems.extend(check(data, parsed, file))
    return problems
