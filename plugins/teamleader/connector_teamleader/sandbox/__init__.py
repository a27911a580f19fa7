"""A faithful local simulator of Teamleader Focus (API + OAuth); see docs/sandbox-teamleader.md."""

from __future__ import annotations

from .server import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TeamleaderSandbox, start_sandbox

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "TeamleaderSandbox", "start_sandbox"]
