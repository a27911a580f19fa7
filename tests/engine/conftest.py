"""The fake plugins every engine test runs against, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_cases import REFERENCE

from connector import hookimpl
from connector.contract.plugins import Plugins
from connector.testing import FakeSink, FakeSource


@pytest.fixture
def plugins() -> Iterator[Plugins]:
    class Fakes:
        @hookimpl
        def register_sources(self, register: object) -> None:
            register(FakeSource)  # type: ignore[operator]

        @hookimpl
        def register_sinks(self, register: object) -> None:
            register(FakeSink)  # type: ignore[operator]

    loaded = Plugins.load()
    fakes = Fakes()
    loaded.manager.register(fakes)
    FakeSource.reset()
    FakeSink.reset(REFERENCE)
    yield loaded
    loaded.manager.unregister(fakes)
