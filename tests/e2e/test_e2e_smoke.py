"""The main job through the real CLI against both sandboxes."""

from __future__ import annotations

from connector.testing.e2e import World


def test_a_first_run_books_the_demo_documents_and_a_rerun_writes_nothing(world: World) -> None:
    assert world.rules_path is not None
    first = world.cli("run", str(world.rules_path))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "documents:" in first.stdout and "booked" in first.stdout
    exact = world.sandboxes["exact_online"]
    entries = len(exact.state()["divisions"]["1234567"]["sales_entries"])  # type: ignore[attr-defined]
    assert entries > 50

    second = world.cli("run", str(world.rules_path))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "booked" not in second.stdout
    assert len(exact.state()["divisions"]["1234567"]["sales_entries"]) == entries  # type: ignore[attr-defined]
