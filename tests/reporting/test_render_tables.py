"""Readable tables and moments for `status` and `history`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.reporting.render import table, when


def test_columns_are_as_wide_as_their_widest_cell_and_empty_cells_show_a_dash() -> None:
    text = table(("run", "status"), [(1, "success"), (12, None)])
    assert text.splitlines() == ["run  status", "---  -------", "1    success", "12   -"]


def test_a_moment_says_how_long_ago_it_was() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert when(now - timedelta(minutes=5), now) == "2026-11-28 11:55 UTC (5 min ago)"
    assert when(now - timedelta(hours=3), now) == "2026-11-28 09:00 UTC (3 h ago)"
    assert when(None) == "-"
