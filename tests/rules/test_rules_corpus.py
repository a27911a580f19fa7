"""The rule file corpus: every invalid file produces exactly the lines beside it, every valid one none.

tests/rules/invalid/NAME.yaml is checked from inside its directory (as a consultant runs
`connector validate NAME.yaml`) and must print exactly the lines of NAME.expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.contract.errors import RuleFileError
from connector.contract.plugins import Plugins
from connector.rules import check, format_problems, load

CORPUS = Path(__file__).parent
INVALID = sorted((CORPUS / "invalid").glob("*.yaml"))
VALID = sorted((CORPUS / "valid").glob("*.yaml"))
ENVIRON = {
    "TEAMLEADER_CLIENT_ID": "tl-client-id",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret",
    "EXACT_CLIENT_ID": "{1234-abcd}",
    "EXACT_CLIENT_SECRET": "exact-secret",
}


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins.load(disabled=[])


def test_corpus_holds_at_least_35_invalid_files_each_with_its_expected_output() -> None:
    assert len(INVALID) >= 35
    missing = [path.name for path in INVALID if not path.with_suffix(".expected").exists()]
    assert missing == []
    orphans = [
        path.name
        for path in (CORPUS / "invalid").glob("*.expected")
        if not path.with_suffix(".yaml").exists()
    ]
    assert orphans == []


@pytest.mark.parametrize("path", INVALID, ids=[path.stem for path in INVALID])
def test_invalid_rule_file_reports_exactly_the_expected_lines(
    path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(path.parent)
    problems = check(path.name, plugins=plugins, environ=ENVIRON)
    assert [str(problem) for problem in problems] == path.with_suffix(".expected").read_text().splitlines()


@pytest.mark.parametrize("path", VALID, ids=[path.stem for path in VALID])
def test_valid_rule_file_has_no_problems(path: Path, plugins: Plugins) -> None:
    assert check(path, plugins=plugins, environ=ENVIRON) == []


@pytest.mark.parametrize("path", INVALID, ids=[path.stem for path in INVALID])
def test_invalid_rule_file_problems_are_sorted_by_line_after_misspelt_keys_and_name_the_file(
    path: Path, plugins: Plugins
) -> None:
    problems = check(path, plugins=plugins, environ=ENVIRON)
    assert problems, "an invalid file must report at least one problem"
    rest = [p for p in problems if "(did you mean" not in p.message or "unknown key" not in p.message]
    assert problems[len(problems) - len(rest) :] == rest, "a misspelt key comes first"
    assert [(p.line, p.column) for p in rest] == sorted((p.line, p.column) for p in rest)
    assert {problem.file for problem in problems} == {str(path)}
    assert all(problem.line >= 1 and problem.column >= 1 for problem in problems)


def test_several_problems_are_all_reported_at_once_by_load(
    plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS / "invalid")
    with pytest.raises(RuleFileError) as raised:
        load("several_problems.yaml", plugins=plugins, environ=ENVIRON)
    expected = (CORPUS / "invalid" / "several_problems.expected").read_text().splitlines()
    assert len(expected) >= 5
    assert str(raised.value).splitlines() == expected
    assert raised.value.file == "several_problems.yaml"


@pytest.mark.parametrize("name", ["literal_secret", "secret_with_default", "secret_as_number"])
def test_a_literal_secret_is_refused_without_ever_being_echoed(name: str, plugins: Plugins) -> None:
    path = CORPUS / "invalid" / f"{name}.yaml"
    output = format_problems(check(path, plugins=plugins, environ=ENVIRON))
    assert "client_secret" in output
    for secret in ("s3cr3t", "123456"):
        assert secret not in output


def test_format_problems_prints_one_line_per_problem_and_a_count(plugins: Plugins) -> None:
    path = CORPUS / "invalid" / "duplicate_key.yaml"
    text = format_problems(check(path, plugins=plugins, environ=ENVIRON))
    lines = text.splitlines()
    assert lines[0].startswith(f"{path}:12:3: sink.division: duplicate key")
    assert lines[-1] == "2 problems; the file was not used"
    assert format_problems([]) == ""
