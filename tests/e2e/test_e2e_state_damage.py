"""A damaged or lost state file after a first sync (issue 20): one clear message, and a fresh state
that books nothing twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_calls, booked_entries


def state_file() -> Path:
    [path] = Path(os.environ["CONNECTOR_STATE_DIR"]).glob("*.db")  # tests/conftest.py points it here
    return path


def scribble(path: Path) -> None:
    """4 KB of noise in the middle of the file, the header left intact."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes((index * 37 + 11) % 256 for index in range(4096))
    path.write_bytes(bytes(data))


def test_a_damaged_state_file_is_named_with_the_way_out_and_a_fresh_state_books_nothing_twice(
    world: World, exact: ExactSandbox
) -> None:
    first = world.run()
    assert first.returncode == 0, first.stdout + first.stderr
    entries = len(booked_entries(exact))
    path = state_file()
    scribble(path)

    for command in (("run", str(world.rules_path)), ("status", str(world.rules_path), "--offline")):
        result = world.cli(*command)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "unexpected error" not in result.stderr, result.stderr
        assert f"{path.name} is damaged" in result.stderr and "books nothing twice" in result.stderr

    path.rename(path.with_name(path.name + ".damaged"))
    for side_file in path.parent.glob(path.name + "-*"):
        side_file.unlink()
    world.authorize()  # the tokens were in the damaged file too
    exact.calls.clear()

    again = world.run("--json")

    assert again.returncode == 0, again.stdout + again.stderr
    counts = json.loads(again.stdout)["counts"]
    assert counts.get("documents.booked", 0) == 0 and counts.get("documents.linked") == entries
    assert len(booked_entries(exact)) == entries, "nothing booked twice"
    assert not [call for call in api_calls(exact, "POST") if "SalesEntries" in call.path]
