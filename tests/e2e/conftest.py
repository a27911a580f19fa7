"""End-to-end fixtures: both sandboxes and the real CLI (see connector/e2e.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.e2e import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Both sandboxes with demo data (Exact without a tight minute limit, so tests do not wait),
    the demo rule file in tmp_path, both sides authorized."""
    started = World.start(tmp_path, exact_online={"per_minute": 100_000, "per_day": 1_000_000})
    try:
        started.write_rules()
        started.authorize()
        yield started
    finally:
        started.stop()
