"""Refresh tokens given to `auth` and `init`, kept off the command line.

A value typed after `--refresh-token` is visible to every user of the machine in the process list
while the command runs, and stays in the shell's history. So:

- `--refresh-token -` reads the token from standard input (one line: pipe it from a password
  manager, or paste it at the prompt, which does not echo);
- the option's environment variable works too (`CONNECTOR_REFRESH_TOKEN` for `auth`,
  `CONNECTOR_REFRESH_TOKEN_SOURCE` / `_SINK` for `init`);
- the plain `--refresh-token TEXT` still works, with a warning saying so.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

import click
from click.core import ParameterSource

STDIN = "-"


def refresh_token(
    context: click.Context,
    parameter: str,
    *,
    label: str,
    stdin: TextIO | None = None,
    warn: Callable[[str], None] | None = None,
) -> str | None:
    """The token the option `parameter` gave, read from standard input for `-`; None when none."""
    value = context.params.get(parameter)
    if value is None or value == "":
        return None
    option = "--" + parameter.replace("_", "-")
    if value == STDIN:
        return _read(stdin or sys.stdin, label, option)
    if context.get_parameter_source(parameter) == ParameterSource.COMMANDLINE:
        (warn or _warn)(
            f"warning: {option} TEXT shows the token to every user of this machine while connector "
            f"runs, and keeps it in your shell history; next time give `{option} -` (the token on "
            "standard input) or the environment variable"
        )
    return str(value).strip()


def _read(stream: TextIO, label: str, option: str) -> str:
    if stream.isatty():
        text = click.prompt(f"refresh token for the {label}", hide_input=True, err=True)
    else:
        text = stream.readline()
    token = str(text).strip()
    if not token:
        raise click.UsageError(f"{option} -: standard input gave no token for the {label}")
    return token


def _warn(text: str) -> None:
    click.echo(text, err=True)
