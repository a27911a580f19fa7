"""The effective JSON Schema of a rule file, and schema errors as messages a consultant can act on.

The effective schema is the core's (`core_schema.py`) with each installed plugin's section schema
chosen by `plugin` under `source` and `sink` (an `if`/`then` per plugin), so editors autocomplete a
plugin's options as soon as `plugin:` is written. Validation collects every error (`iter_errors`)
and words each one for a person: where it is, what was expected, what to write instead.

`python -m connector.rules` prints it; schemas/rules.schema.json is that output.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, ValidationError

from connector.contract.errors import Problem
from connector.rules.core_schema import CLIENT_PATTERN, WEBHOOK_PATTERN, core_schema
from connector.rules.yamlfile import KeyPath, Parsed, dotted, show

if TYPE_CHECKING:
    from connector.contract.plugins import Plugins
    from connector.contract.services import Service

SIDES = ("source", "sink")
SECRET_KEY = re.compile(r"(?:^|_)(?:secret|password|token|api_key)$")

_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a section of keys (key: value, indented below it)",
    "array": "a list like [a, b]",
}
_PATTERN_MESSAGES = {
    CLIENT_PATTERN: "a client id holds only letters, digits, '-', '_' and '.' (it names the client's "
    "state directory), got {value}",
    WEBHOOK_PATTERN: "expected an http(s) URL like https://hooks.example.com/connector, or nothing, "
    "got {value}",
}


def is_secret(path: KeyPath) -> bool:
    """Whether the value at `path` is a secret: never echoed in messages, never a literal."""
    return bool(path) and isinstance(path[-1], str) and bool(SECRET_KEY.search(path[-1]))


# -- the schema --------------------------------------------------------------------------------


def _section(side: str, services: Mapping[str, type[Service]]) -> dict[str, Any]:
    names = sorted(services)
    return {
        "plugin": {
            "type": "string",
            "enum": names,
            "description": f"Name of the {side} plugin; installed: {', '.join(names) or 'none'}.",
        },
        "branches": [
            {
                "if": {
                    "type": "object",
                    "properties": {"plugin": {"const": name, "description": f"The {name} plugin."}},
                    "required": ["plugin"],
                },
                "then": copy.deepcopy(dict(services[name].options_schema)),
            }
            for name in names
        ],
    }


def effective_schema(plugins: Plugins) -> dict[str, Any]:
    """The core's schema with the section schema of every installed source and sink plugin."""
    schema = core_schema()
    for side, services in (("source", plugins.sources()), ("sink", plugins.sinks())):
        section = _section(side, services)
        target = schema["properties"][side]
        target["properties"]["plugin"] = section["plugin"]
        target["required"] = ["plugin"]
        if section["branches"]:
            target["allOf"] = section["branches"]
    return schema


def render_schema(plugins: Plugins) -> str:
    """The effective schema as the text of schemas/rules.schema.json."""
    return json.dumps(effective_schema(plugins), indent=2, ensure_ascii=False) + "\n"


# -- validation --------------------------------------------------------------------------------


class _Words:
    """Words every error message for one file, with what it knows of that file."""

    def __init__(self, parsed: Parsed, plugins: Plugins, sources: Mapping[KeyPath, tuple[str, ...]]) -> None:
        self.parsed = parsed
        self.plugins = plugins
        self.sources = sources

    def show(self, path: KeyPath, value: Any) -> str:
        if is_secret(path):
            return "a literal value"
        if path in self.sources:
            names = ", ".join(f"${{{name}}}" for name in self.sources[path])
            return f"{show(value)} (from {names})"
        return show(value, self.parsed.raw.get(path))

    def problems(self, error: ValidationError, file: str) -> Iterable[Problem]:
        path: KeyPath = tuple(error.absolute_path)
        keyword = error.validator
        if keyword == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            extra = [key for key in error.instance if key not in allowed]
            for key in extra:
                line, column = self.parsed.where_key((*path, key))
                yield Problem(line, column, dotted((*path, key)), unknown_key(key, allowed, path), file)
            return
        if keyword == "required" and isinstance(error.instance, dict):
            for key in error.validator_value:
                if key not in error.instance:
                    line, column = self.parsed.where_key(path) if path else (1, 1)
                    sub = error.schema.get("properties", {}).get(key, {})
                    yield Problem(line, column, dotted((*path, key)), missing_key(key, path, sub), file)
            return
        line, column = self.parsed.where(path)
        yield Problem(line, column, dotted(path), self.message(error, path), file)

    def message(self, error: ValidationError, path: KeyPath) -> str:
        keyword, expected, value = error.validator, error.validator_value, error.instance
        if keyword == "type":
            return self.wrong_type(expected if isinstance(expected, str) else expected[0], value, path)
        if keyword == "enum" and path[-1:] == ("plugin",) and path[:1] in (("source",), ("sink",)):
            return self.unknown_plugin(str(path[0]), value, list(expected))
        if keyword == "enum":
            options = ", ".join(str(option) for option in expected)
            return f"expected one of {options}, got {self.show(path, value)}{did_you_mean(value, expected)}"
        if keyword == "const" and path == ("version",):
            shown = self.show(path, value)
            return f"unsupported version {shown}: this connector reads version 1; write version: 1"
        if keyword == "const":
            return f"expected {show(expected)}, got {self.show(path, value)}"
        if keyword == "format" and expected == "date":
            return bad_date(value, self.show(path, value))
        if keyword == "minLength":
            return "must not be empty" if not is_secret(path) else "must not be empty: set the variable"
        if keyword == "maxLength":
            return f"is too long: at most {expected} characters"
        if keyword in ("minimum", "exclusiveMinimum"):
            return f"must be at least {expected}, got {self.show(path, value)}"
        if keyword == "minProperties":
            return "must not be empty: add at least one entry"
        if keyword == "minItems":
            return "must list at least one value"
        if keyword == "uniqueItems":
            return "lists a value twice: remove the duplicate"
        if keyword == "pattern":
            template = _PATTERN_MESSAGES.get(
                expected, "does not have the expected form " + expected + ", got {value}"
            )
            return template.format(value=self.show(path, value))
        return str(error.message)

    def wrong_type(self, expected: str, value: Any, path: KeyPath) -> str:
        want = _TYPE_WORDS.get(expected, expected)
        if value is None:
            return f"has no value: write {want}"
        shown = self.show(path, value)
        raw = self.parsed.raw.get(path, str(value))
        from_env = path in self.sources
        if expected == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            if is_secret(path):
                return "expected a string (quote it)"
            return f'expected a string like "{raw}", got {raw} (quote it)'
        if expected == "string" and isinstance(value, bool):
            return f'expected a string, got {raw} (quote it if you mean the text: "{raw}")'
        if expected in ("integer", "number") and isinstance(value, str):
            if from_env:
                return (
                    f"expected {want}, got {shown}: values from the environment are text, "
                    "write the number here"
                )
            if re.fullmatch(r"[+-]?[0-9]+", value.strip()):
                return f"expected {want}, got the string {shown} (remove the quotes)"
            return f"expected {want}, got {shown}"
        if expected == "boolean" and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "false"):
                return f"expected true or false, got the string {shown} (remove the quotes)"
            if lowered in ("yes", "no", "on", "off", "y", "n"):
                return f"expected true or false, got {shown} (YAML 1.2 reads only true and false)"
        if expected == "array" and isinstance(value, str):
            return f"expected a list, got {shown} (write it in brackets: [{value}])"
        return f"expected {want}, got {shown}"

    def unknown_plugin(self, side: str, value: Any, installed: list[str]) -> str:
        names = ", ".join(installed) or "none"
        other = self.plugins.sinks() if side == "source" else self.plugins.sources()
        if isinstance(value, str) and value in other:
            kind = "sink" if side == "source" else "source"
            return (
                f"{value} is a {kind} plugin, not a {side} one: write it under {kind}:; "
                f"installed {side}s: {names}"
            )
        shown = self.show((side, "plugin"), value)
        return f"unknown plugin {shown}; installed: {names}{did_you_mean(value, installed)}"


def did_you_mean(value: Any, options: Iterable[Any]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(option) for option in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown_key(key: str, allowed: list[str], parent: KeyPath) -> str:
    where = f"in {dotted(parent)}" if parent else "at the top level"
    hint = did_you_mean(key, allowed)
    if hint:
        return f"unknown key {key}{hint}"
    return f"unknown key {key}; allowed {where}: {', '.join(allowed)}"


def missing_key(key: str, parent: KeyPath, schema: Mapping[str, Any]) -> str:
    examples = schema.get("examples") or []
    example = f" {yaml_flow(examples[0])}" if examples else ""
    where = f" under {dotted(parent)}:" if parent else ""
    return f"required key missing: add {key}:{example}{where}"


def yaml_flow(value: Any) -> str:
    """An example value as it is written in YAML on one line: "30" quoted, acme plain, { k: v }."""
    if isinstance(value, dict):
        items = ", ".join(f"{yaml_flow(key)}: {yaml_flow(item)}" for key, item in value.items())
        return f"{{ {items} }}"
    if isinstance(value, list):
        return f"[{', '.join(yaml_flow(item) for item in value)}]"
    if not isinstance(value, str):
        return show(value)
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9 _./-]*|[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
    return value if plain and value.lower() not in ("true", "false", "null") else json.dumps(value)


def bad_date(value: Any, shown: str) -> str:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            date.fromisoformat(value)
        except ValueError as error:
            return f"{value} is not a real date ({error}): check the day and the month"
    return f"expected a date like 2026-01-01 (year-month-day), got {shown}"


def validate(
    data: Any,
    schema: Mapping[str, Any],
    parsed: Parsed,
    plugins: Plugins,
    file: str,
    *,
    skip: Iterable[KeyPath] = (),
    sources: Mapping[KeyPath, tuple[str, ...]] | None = None,
) -> list[Problem]:
    """Every schema error in `data` as a Problem; errors at or below a `skip` path are left out
    (another check already reported that value)."""
    skipped = set(skip)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    words = _Words(parsed, plugins, sources or {})
    errors = [
        error
        for error in validator.iter_errors(data)
        if not any(tuple(error.absolute_path)[: len(path)] == path for path in skipped)
    ]
    mistyped = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    found: set[Problem] = set()
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue  # "expected a string" says it all; "not one of ..." about the same value is noise
        found.update(words.problems(error, file))
    return sorted(found)
