"""What the commands share: the common options and arguments, loading a rule file, JSON output, and
`Exit` for leaving with a code after the output was printed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from connector.contract.plugins import Plugins

F = TypeVar("F", bound=Callable[..., Any])


class Exit(Exception):
    """Leave with this exit code after the output was already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def state_dir_option(function: F) -> F:
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the client's state lives (default: .connector/ beside the rule file; "
        "env CONNECTOR_STATE_DIR).",
    )(function)


def rules_argument(function: F) -> F:
    return click.argument("rules_path", metavar="RULES", type=click.Path(path_type=Path))(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text.")(
        function
    )


def load_rules(rules_path: Path) -> tuple[Any, Plugins]:
    from connector import rules

    plugins = Plugins.load()
    return rules.load(rules_path, plugins=plugins), plugins


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
