"""The real `connector` command: output and exit codes a consultant sees (DESIGN §5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import jsonschema
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "TEAMLEADER_CLIENT_ID": "tl-client",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret-value",
    "EXACT_CLIENT_ID": "{b81cc4de-d192-400e-bcb4-09254394c52a}",
    "EXACT_CLIENT_SECRET": "exact-secret-value",
}


def connector(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("connector") or str(Path(sys.executable).parent / "connector")
    return subprocess.run(
        [executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV, **(env or {})},
        cwd=ROOT,
        timeout=60,
    )


def test_validate_accepts_the_annotated_example() -> None:
    result = connector("validate", "examples/acme.yaml")
    assert result.returncode == 0, result.stderr
    assert "examples/acme.yaml: ok" in result.stdout


def test_validate_reports_every_problem_of_several_files_and_exits_2() -> None:
    result = connector(
        "validate",
        "examples/acme.yaml",
        "tests/rules/invalid/bad_date.yaml",
        "tests/rules/invalid/bad_trigger.yaml",
    )
    assert result.returncode == 2
    assert "examples/acme.yaml: ok" in result.stdout
    assert "tests/rules/invalid/bad_date.yaml:15:15: sync.start_date:" in result.stderr
    assert "tests/rules/invalid/bad_trigger.yaml:" in result.stderr


def test_the_printed_schema_validates_the_example() -> None:
    result = connector("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    document = YAML(typ="safe").load((ROOT / "examples" / "acme.yaml").read_text())
    jsonschema.validate(dates_as_text(document), schema)


def dates_as_text(value: object) -> object:
    """What YAML 1.2 (and so an editor) reads: `2026-01-01` is text; the safe loader makes it a date."""
    if isinstance(value, dict):
        return {key: dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [dates_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


def test_plugins_lists_both_systems_with_their_hooks() -> None:
    result = connector("plugins")
    assert result.returncode == 0
    assert "teamleader" in result.stdout and "exact_online" in result.stdout
    assert "register_sources" in result.stdout and "register_sinks" in result.stdout


def test_run_refuses_an_invalid_rule_file_with_exit_2_and_its_lines() -> None:
    result = connector("run", "tests/rules/invalid/literal_secret.yaml")
    assert result.returncode == 2
    assert "tests/rules/invalid/literal_secret.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_a_clear_error_not_a_traceback() -> None:
    result = connector("run", "rules/nope.yaml")
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_authorization_exits_3_and_says_to_run_auth(tmp_path: Path) -> None:
    result = connector(
        "run",
        "examples/acme.yaml",
        "--state-dir",
        str(tmp_path),
        env={"TEAMLEADER_API_URL": "http://127.0.0.1:9", "EXACT_BASE_URL": "http://127.0.0.1:9"},
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "connector auth" in result.stderr


@pytest.mark.parametrize("secret", ["tl-secret-value", "exact-secret-value"])
def test_secrets_never_appear_in_output(secret: str, tmp_path: Path) -> None:
    result = connector(
        "--debug",
        "run",
        "examples/acme.yaml",
        "--state-dir",
        str(tmp_path),
        env={"TEAMLEADER_API_URL": "http://127.0.0.1:9", "EXACT_BASE_URL": "http://127.0.0.1:9"},
    )
    assert secret not in result.stdout + result.stderr


def test_sandbox_starts_both_simulators_quickly_and_stops_on_ctrl_c() -> None:
    """`connector sandbox` prints both URLs and stops cleanly on SIGINT (the time is only a hang guard:
    start-up speed is not a test's business)."""
    import signal
    import time

    executable = shutil.which("connector") or str(Path(sys.executable).parent / "connector")
    started = time.monotonic()
    process = subprocess.Popen(
        [executable, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Ctrl-C" in line:
            break
    elapsed = time.monotonic() - started
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    output = "".join(lines)
    assert "teamleader: http://127.0.0.1:" in output and "exact_online: http://127.0.0.1:" in output
    assert "export TEAMLEADER_API_URL=" in output and "export EXACT_BASE_URL=" in output
    assert elapsed < 30.0, f"took {elapsed:.2f} s: something hangs"  # a guard, not a timing
    url = next(line.split(": ", 1)[1].strip() for line in lines if line.startswith("teamleader: "))
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1)


def test_sandbox_at_speed_60_with_200_documents_runs_as_a_subprocess_others_can_read() -> None:
    """`connector sandbox --speed 60 --documents 200`, started and read as a benchmark would: its
    export lines point at both sandboxes, their clocks run 60 times faster, and the 200 booked
    documents are listed through the API with a token from the sandbox's admin route."""
    from connector.testing.e2e import SandboxProcess

    box = SandboxProcess.start("--speed", "60", "--documents", "200")
    try:
        assert "Speed 60: a sandbox minute lasts 1 s" in box.output
        assert set(box.urls) == {"exact_online", "teamleader"}
        assert box.environment["TEAMLEADER_API_URL"] == box.urls["teamleader"]
        for url in box.urls.values():
            assert httpx.get(f"{url}/_sandbox/clock", timeout=10).json()["speed"] == 60
        tokens = httpx.post(f"{box.urls['teamleader']}/_sandbox/refresh-token", timeout=10).json()
        assert tokens["expires_in"] == 60
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        booked = []
        for page in range(1, 10):
            body = {"filter": {"status": ["outstanding", "matched"]}, "page": {"size": 100, "number": page}}
            data = httpx.post(
                f"{box.environment['TEAMLEADER_API_URL']}/invoices.list", json=body, headers=headers
            )
            booked += [item for item in data.json()["data"] if "Benchmark" in item["invoicee"]["name"]]
            if len(data.json()["data"]) < 100:
                break
        notes = httpx.post(
            f"{box.environment['TEAMLEADER_API_URL']}/creditNotes.list",
            json={"page": {"size": 100}},
            headers=headers,
        ).json()["data"]
        assert len(booked) + sum("Benchmark" in n["invoicee"]["name"] for n in notes) == 200
        assert box.refresh_token("exact_online")
    finally:
        assert box.stop() == 0
