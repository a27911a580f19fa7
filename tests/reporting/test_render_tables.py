"""Readable tables and moments for `status` and `history`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.reporting.render import in_place, table, when


def test_columns_are_as_wide_as_their_widest_cell_and_empty_cells_show_a_dash() -> None:
    text = table(("run", "status"), [(1, "success"), (12, None)])
    assert text.splitlines() == ["run  status", "---  -------", "1    success", "12   -"]


def test_a_moment_says_how_long_ago_it_was() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert when(now - timedelta(minutes=5), now) == "2026-11-28 11:55 UTC (5 min ago)"
    assert when(now - timedelta(hours=3), now) == "2026-11-28 09:00 UTC (3 h ago)"
    assert when(None) == "-"


def test_a_line_rewritten_in_place_fits_an_80_column_terminal_and_erases_the_old_one() -> None:
    long = "next: " + "; ".join(f"client{n} documents in 14m59s" for n in range(10))
    line = in_place(long, columns=80)
    assert line.startswith("\r") and line.endswith("\x1b[K")
    shown = line[1:-3]
    assert len(shown) == 79 and shown.endswith("…"), "one column short of the width: the cursor never wraps"
    assert in_place("next: nothing scheduled", columns=80) == "\rnext: nothing scheduled\x1b[K"
