"""The Teamleader source passes connector's conformance suite for sources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.contract import SourceContract
from connector.services import ServiceContext
from connector_teamleader.sandbox import start_sandbox
from connector_teamleader.source import TeamleaderSource


class TestTeamleaderSourceContract(SourceContract):
    @pytest.fixture
    def source(self) -> Iterator[TeamleaderSource]:  # type: ignore[override]
        server = start_sandbox(seed=True, port=0)
        env = server.environment
        options = {
            "department": "Acme BV",
            "client_id": env["TEAMLEADER_CLIENT_ID"],
            "client_secret": env["TEAMLEADER_CLIENT_SECRET"],
            "api_url": env["TEAMLEADER_API_URL"],
            "auth_url": env["TEAMLEADER_AUTH_URL"],
        }
        source = TeamleaderSource(options, ServiceContext("acme", "source", clock=server.clock.now))
        source.authorize(refresh_token=server.refresh_token())
        yield source
        source.close()
        server.stop()
