"""`connector test` and `connector validate` run the rule file's tests: cases; what a consultant sees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "TEAMLEADER_CLIENT_ID": "tl-client",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret-value",
    "EXACT_CLIENT_ID": "exact-client",
    "EXACT_CLIENT_SECRET": "exact-secret-value",
}
EXAMPLE = ROOT / "examples" / "acme.yaml"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def acme(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the example rule file with each (old, new) replaced once, checked to be there."""
    text = EXAMPLE.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "acme.yaml"
    path.write_text(text)
    return path


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


SIX_PERCENT_ACCOUNT = ('"6%":     { code: "2", revenue_account: "7010" }', '"6%":     { code: "2" }')


def test_the_example_cases_pass_and_say_what_codes_they_were_mapped_against(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "4 cases passed" in out
    assert "not checked against the target" in out


def test_a_rule_change_that_breaks_a_case_fails_it_with_its_line_and_the_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = acme(tmp_path, SIX_PERCENT_ACCOUNT)
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    line = line_of(path, "- name: invoice with two VAT rates and a line discount")
    assert f"{path}:{line}:7: test 'invoice with two VAT rates and a line discount' failed" in out
    assert "  lines[1].account: expected '7010', got '7000'" in out
    assert "3 of 4 cases passed" in out


def test_validate_exits_2_when_a_rule_change_breaks_a_case_and_0_with_no_tests(tmp_path: Path) -> None:
    path = acme(tmp_path, SIX_PERCENT_ACCOUNT)
    executable = shutil.which("connector") or str(Path(sys.executable).parent / "connector")
    environment = {**os.environ, **ENV, "CONNECTOR_STATE_DIR": str(tmp_path / "state")}
    failed = subprocess.run(
        [executable, "validate", str(path)], capture_output=True, text=True, env=environment, timeout=60
    )
    assert failed.returncode == 2
    assert "test 'invoice with two VAT rates and a line discount' failed" in failed.stderr
    skipped = subprocess.run(
        [executable, "validate", "--no-tests", str(path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert f"{path}: ok" in skipped.stdout


def test_validate_says_how_many_cases_passed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "ok (4 test cases passed)" in capsys.readouterr().out


def test_a_refusal_case_fails_when_the_document_is_booked_after_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = acme(tmp_path, ('"0% ICL": { code: "7" }', '"0% ICL": { code: "7" }\n  "9%":     { code: "5" }'))
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    assert "test 'a rate this file does not map is refused, not booked' failed" in out
    assert "expected the refusal 'unmapped rate', got an entry" in out


def test_a_case_expecting_an_entry_shows_the_refusal_it_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = acme(tmp_path, ('  "6%":     { code: "2", revenue_account: "7010" }\n', ""))
    assert main(["test", str(path)]) == 1
    assert "expected an entry, got the refusal \"tax rate '6%' is not mapped\"" in capsys.readouterr().out


def test_codes_the_cached_reference_data_lacks_stop_the_cases_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = acme(tmp_path, ("tests:\n  cases:", 'tests:\n  reference: { journals: { "70": {} } }\n  cases:'))
    assert main(["test", str(path)]) == 2
    err = capsys.readouterr().err
    assert "VAT code '4' does not exist in the target" in err
    assert "no case ran" in err


def test_a_file_without_cases_passes_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EXAMPLE.read_text()
    path = tmp_path / "acme.yaml"
    path.write_text(text[: text.index("\n# Cases `connector test")] + "\n")
    assert main(["test", str(path)]) == 0
    assert "no tests: cases to run" in capsys.readouterr().out


def test_a_broken_rule_file_exits_2(tmp_path: Path) -> None:
    path = acme(
        tmp_path, ("      fails: unmapped rate", "      fails: unmapped rate\n      expect: { journal: x }")
    )
    assert main(["test", str(path)]) == 2
