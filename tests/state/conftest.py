"""Fixtures of the state tests: a store for client `acme` on a clock that moves only when told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.state.store import StateStore
from connector.testing import FakeClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def store(state_dir: Path, clock: FakeClock) -> Iterator[StateStore]:
    with StateStore.for_client(state_dir, "acme", clock=clock.now) as opened:
        yield opened
