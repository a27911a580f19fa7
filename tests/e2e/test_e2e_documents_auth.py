"""`connector auth` through the loopback redirect and with a refresh token, and `connector demo`'s
command line (the full demo waits on Exact's real 60 calls a minute: it is left to the manual check)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import booked_entries


def authorize_in_a_browser(world: World, side: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start `connector auth RULES side`, open the URL it prints as a browser would (the sandboxes
    approve at once and redirect to the loopback receiver), and wait for the command to finish."""
    process = world.popen("auth", str(world.rules_path), side, "--timeout", "20", env=env)
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.strip().startswith("http"):
                break
        url = printed[-1].strip()
        assert url.startswith("http"), "".join(printed)
        landing = httpx.get(url, follow_redirects=True, timeout=10)
        assert landing.status_code == 200 and "authorization received" in landing.text
        out, err = process.communicate(timeout=30)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(printed) + out, err)


def test_auth_through_the_loopback_redirect_connects_both_sides_and_a_run_then_works(
    world: World, exact: ExactSandbox, tmp_path: Path
) -> None:
    fresh = {"CONNECTOR_STATE_DIR": str(tmp_path / "fresh")}  # nothing authorized there yet
    world.write_rules({"sync": {"start_date": "2026-11-01"}})
    assert world.run(env=fresh).returncode == 3

    for side, who in (("source", "authorized as"), ("sink", "authorized as Demo Boekhouder")):
        result = authorize_in_a_browser(world, side, fresh)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "open this URL in a browser" in result.stdout
        assert f"demo: {side} {who}" in result.stdout

    run = world.run(env=fresh)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "booked" in run.stdout and booked_entries(exact)


@pytest.mark.parametrize("side", ["source", "sink"])
def test_a_bad_refresh_token_exits_3_and_says_to_run_connector_auth(world: World, side: str) -> None:
    result = world.cli("auth", str(world.rules_path), side, "--refresh-token", "not-a-real-token")

    assert result.returncode == 3, result.stdout + result.stderr
    assert "connector auth" in result.stderr


def test_a_refresh_token_read_from_standard_input_or_the_environment_never_shows_in_the_process_list(
    world: World, exact: ExactSandbox, tmp_path: Path
) -> None:
    fresh = {"CONNECTOR_STATE_DIR": str(tmp_path / "fresh")}
    piped = world.cli(
        "auth",
        str(world.rules_path),
        "sink",
        "--refresh-token",
        "-",
        env=fresh,
        input=exact.refresh_token() + "\n",
    )
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert "authorized as" in piped.stdout and "warning" not in piped.stderr

    from_env = {**fresh, "CONNECTOR_REFRESH_TOKEN": world.sandboxes["teamleader"].refresh_token()}  # type: ignore[attr-defined]
    environment = world.cli("auth", str(world.rules_path), "source", env=from_env)
    assert environment.returncode == 0, environment.stdout + environment.stderr
    assert "warning" not in environment.stderr
    assert world.run(env=fresh).returncode == 0


def test_a_refresh_token_typed_on_the_command_line_works_with_a_warning_and_an_empty_stdin_is_refused(
    world: World, exact: ExactSandbox, tmp_path: Path
) -> None:
    fresh = {"CONNECTOR_STATE_DIR": str(tmp_path / "fresh")}
    typed = world.cli(
        "auth", str(world.rules_path), "sink", "--refresh-token", exact.refresh_token(), env=fresh
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert "shows the token to every user of this machine" in typed.stderr
    assert "--refresh-token -" in typed.stderr

    empty = world.cli("auth", str(world.rules_path), "sink", "--refresh-token", "-", env=fresh, input="")
    assert empty.returncode == 2, empty.stdout + empty.stderr
    assert "standard input gave no token" in empty.stderr


def test_demo_has_a_command_line(world: World) -> None:
    result = world.cli("demo", "--help")

    assert result.returncode == 0, result.stderr
    assert "Start the sandboxes, authorize, run the demo rule file" in result.stdout
