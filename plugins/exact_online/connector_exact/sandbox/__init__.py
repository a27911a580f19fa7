"""A faithful local simulator of Exact Online (see docs/sandbox-exact.md)."""

from __future__ import annotations

from .server import ExactSandbox, start_sandbox

__all__ = ["ExactSandbox", "start_sandbox"]
