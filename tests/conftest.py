"""Fixtures every test gets."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point `CONNECTOR_STATE_DIR` at the test's own directory, so no test touches a real state."""
    monkeypatch.setenv("CONNECTOR_STATE_DIR", str(tmp_path))
    return tmp_path
