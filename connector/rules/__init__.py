"""Rule files: read, expand, validate, and build the frozen `Rules` of one client.

`load(path)` returns `Rules` or raises `RuleFileError` holding every problem; `check(path)` returns
the problems (empty when the file is valid); `effective_schema(plugins)` is the JSON Schema editors
and `connector schema` use. The steps, each collecting problems rather than stopping at the first:

1. read the YAML with positions (`yamlfile`): a syntax error stops here, nothing else can be read;
2. refuse literal secrets in the raw values (`checks.literal_secrets`);
3. expand `${VAR}` and `${VAR:-default}` in string values (`envvars`);
4. validate against the effective schema (`schema`), every error with its line and column;
5. offline checks that need more than a schema (`checks`);
6. build `Rules` (`build`) and let each plugin check its own rules (`validate_rules` hook).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.contract import secrets
from connector.contract.errors import Problem, RuleFileError, reading_order
from connector.rules import checks, envvars, schema, yamlfile, yamllimits
from connector.rules.build import build
from connector.rules.cases import read_cases
from connector.rules.model import Rules

if TYPE_CHECKING:
    from connector.contract.plugins import Plugins

__all__ = ["Rules", "check", "effective_schema", "format_problems", "load"]


def effective_schema(plugins: Plugins | None = None) -> dict[str, Any]:
    """The rule file's JSON Schema (draft 2020-12) with every installed plugin's section."""
    return schema.effective_schema(plugins or _plugins())


def check(
    path: str | os.PathLike[str],
    plugins: Plugins | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem of the rule file at `path`, sorted by line; empty when it is valid."""
    return _load(Path(path), plugins, environ)[1]


def load(
    path: str | os.PathLike[str],
    plugins: Plugins | None = None,
    environ: Mapping[str, str] | None = None,
) -> Rules:
    """The validated `Rules` of the file at `path`; `RuleFileError` with every problem otherwise."""
    rules, problems = _load(Path(path), plugins, environ)
    if problems or rules is None:
        raise RuleFileError(str(path), problems)
    return rules


# URLs whose path is usually a secret (a webhook's token): never printed whole.
SECRET_URLS = {("notify", "webhook"), ("triggers", "immediate", "public_url")}


def register_secrets(data: Any, path: tuple[str | int, ...] = ()) -> None:
    """Every secret value of the expanded rules is masked from now on (connector.contract.secrets)."""
    if isinstance(data, dict):
        for key, value in data.items():
            register_secrets(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            register_secrets(value, (*path, index))
    elif isinstance(data, str) and (schema.is_secret(path) or path in SECRET_URLS):
        secrets.register(data)


def format_problems(problems: Sequence[Problem]) -> str:
    """Problems as the terminal shows them: one `file:line:col: path: message` per line, then a count."""
    if not problems:
        return ""
    count = len(problems)
    lines = [str(problem) for problem in sorted(problems, key=reading_order)]
    lines.append(f"{count} problem{'s' if count != 1 else ''}; the file was not used")
    return "\n".join(lines)


def _order(problem: Problem) -> tuple[int, int, str, str]:
    return (problem.line, problem.column, problem.path, problem.message)


_MISSPELT = re.compile(r"unknown key \S+ \(did you mean (\S+)\?\)")


def _typos_first(problems: Iterable[Problem]) -> list[Problem]:
    """A misspelt key first, without the problems it causes: `revenue_acount` makes every rate "have no
    revenue account", and those lines only hide the one line that says what is wrong."""
    ordered = sorted(problems, key=reading_order)
    meant = {match.group(1) for p in ordered if (match := _MISSPELT.search(p.message))}
    if not meant:
        return ordered
    caused = [
        p for p in ordered if not _MISSPELT.search(p.message) and any(f"{key}:" in p.message for key in meant)
    ]
    return [p for p in ordered if p not in caused]


def _plugins() -> Plugins:
    from connector.contract.plugins import Plugins

    return Plugins.load()


def _load(
    path: Path, plugins: Plugins | None, environ: Mapping[str, str] | None
) -> tuple[Rules | None, list[Problem]]:
    file = str(path)
    content, text, problems = yamllimits.read(path, file)
    if text is None:
        return None, problems

    parsed, problems = yamlfile.parse(text, file)
    if parsed is None:
        return None, sorted(problems, key=_order)
    if not isinstance(parsed.data, dict):
        got = yamlfile.show(parsed.data)
        message = f"the top level must be keys like version: 1 and client: acme, got {got}"
        return None, sorted([*problems, Problem(1, 1, "", message, file)], key=_order)

    plugins = plugins or _plugins()
    secrets, secret_paths = checks.literal_secrets(parsed, file)
    expansion = envvars.expand(parsed, os.environ if environ is None else environ, file, schema.is_secret)
    problems += secrets + expansion.problems
    problems += schema.validate(
        expansion.data,
        schema.effective_schema(plugins),
        parsed,
        plugins,
        file,
        skip=secret_paths | expansion.failed | parsed.broken,
        sources=expansion.sources,
    )
    problems += checks.offline(expansion.data, parsed, file)
    if problems:
        return None, _typos_first(set(problems))
    tests, problems = read_cases(expansion.data.get("tests"), parsed, path, plugins)
    if problems:
        return None, sorted(set(problems), key=_order)

    rules = build(expansion.data, parsed, path, content, tests)
    register_secrets(expansion.data)
    problems = [replace(problem, file=problem.file or file) for problem in plugins.validate_rules(rules)]
    return (None if problems else rules), sorted(problems, key=_order)
