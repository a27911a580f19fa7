"""Teamleader Focus: registered through the `connector` entry-point group, like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable

from connector import hookimpl
from connector.contract.sandboxes import SandboxFactory
from connector.contract.services import Source


@hookimpl
def register_sandboxes(register: Callable[[str, SandboxFactory], None]) -> None:
    from connector_teamleader.sandbox import start_sandbox

    register("teamleader", start_sandbox)


@hookimpl
def register_sources(register: Callable[[type[Source]], None]) -> None:
    from connector_teamleader.source import TeamleaderSource

    register(TeamleaderSource)
