"""End-to-end fixtures: both sandboxes and the real CLI (see connector/testing/e2e.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fault_engine import Engine

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_teamleader.sandbox import TeamleaderSandbox

LATER = "2027-01-01"
"""The start date of scenario tests: after every demo document (all dated 2026), so a run books only
the documents the test itself books in 2027."""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Both sandboxes with demo data (no tight minute limits, so tests do not wait: the limits have
    their own tests), the demo rule file in tmp_path, both sides authorized."""
    started = World.start(
        tmp_path,
        exact_online={"per_minute": 100_000, "per_day": 1_000_000},
        teamleader={"rate_limit": 100_000},
    )
    try:
        started.write_rules()
        started.authorize()
        yield started
    finally:
        started.stop()


@pytest.fixture
def later(world: World) -> World:
    """`world` whose rule file syncs from 2027-01-01: only what the test books in 2027 is synced."""
    world.rule_defaults = {"sync": {"start_date": LATER}}
    world.write_rules()
    return world


@pytest.fixture
def teamleader(world: World) -> TeamleaderSandbox:
    return cast(TeamleaderSandbox, world.sandboxes["teamleader"])


@pytest.fixture
def exact(world: World) -> ExactSandbox:
    return cast(ExactSandbox, world.sandboxes["exact_online"])


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Both sandboxes with demo data and no tight limits (tests set their own), both sides authorized."""
    world = World.start(
        tmp_path,
        exact_online={"per_minute": 100_000, "per_day": 1_000_000},
        teamleader={"rate_limit": 100_000},
    )
    try:
        world.write_rules()
        started = Engine(world, monkeypatch)
        started.authorize()
        yield started
    finally:
        world.stop()
