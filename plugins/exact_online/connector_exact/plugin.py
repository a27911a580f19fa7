"""Exact Online: registered through the `connector` entry-point group, like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable

from connector import hookimpl
from connector.contract.sandboxes import SandboxFactory
from connector.contract.services import Sink


@hookimpl
def register_sandboxes(register: Callable[[str, SandboxFactory], None]) -> None:
    from connector_exact.sandbox import start_sandbox

    register("exact_online", start_sandbox)


@hookimpl
def register_sinks(register: Callable[[type[Sink]], None]) -> None:
    from connector_exact.sink import ExactOnlineSink

    register(ExactOnlineSink)
