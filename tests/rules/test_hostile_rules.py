"""Hostile rule files are refused at once, with file:line:col and the limit broken, never `unexpected error`.

The small ones are in the corpus (tests/rules/invalid/hostile_*.yaml, each beside its exact output,
checked by test_rules_corpus.py); here each is also timed. Files too big to commit (50 MB, a 1 GB
stream, /dev/zero) are made at run time. Before the limits, a 9-level alias bomb took 44 s and
ended in MemoryError, a 50 MB file over 60 s, and 5,000-deep nesting a RecursionError.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from connector.contract.errors import Problem, RecordSkipped
from connector.contract.plugins import Plugins
from connector.engine.template_limits import MAX_TEXT
from connector.engine.template_sample import SAMPLE_DOCUMENT
from connector.engine.templates import Templates
from connector.rules import check, load

CORPUS = Path(__file__).parent
HOSTILE = sorted((CORPUS / "invalid").glob("hostile_*.yaml"))
MINIMAL = (CORPUS / "valid" / "minimal.yaml").read_text()
ENVIRON = {
    "TEAMLEADER_CLIENT_ID": "tl-client-id",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret",
    "EXACT_CLIENT_ID": "{1234-abcd}",
    "EXACT_CLIENT_SECRET": "exact-secret",
}
TOO_BIG = "the file is larger than 1 MB (1,048,576 bytes), the most a rule file may hold"


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins.load(disabled=[])


def timed_check(path: str | Path, plugins: Plugins) -> tuple[list[Problem], float]:
    started = time.monotonic()
    problems = check(path, plugins=plugins, environ=ENVIRON)
    return problems, time.monotonic() - started


def test_the_corpus_holds_every_kind_of_hostile_file() -> None:
    names = {path.stem for path in HOSTILE}
    kinds = ["alias_bomb_6", "alias_bomb_9", "deep_flow", "nul_byte", "python_tag"]
    kinds += ["template_range", "template_power", "template_repeat", "template_nested_loops"]
    for kind in kinds:
        assert f"hostile_{kind}" in names


@pytest.mark.parametrize("path", HOSTILE, ids=[path.stem for path in HOSTILE])
def test_a_hostile_file_is_refused_in_under_a_second_with_its_place(path: Path, plugins: Plugins) -> None:
    problems, elapsed = timed_check(path, plugins)
    assert elapsed < 1.0
    assert problems
    assert all(
        problem.file == str(path) and problem.line >= 1 and problem.column >= 1 for problem in problems
    )
    assert not any("unexpected error" in str(problem) for problem in problems)


def test_a_50_mb_file_is_refused_by_its_size_before_it_is_parsed(tmp_path: Path, plugins: Plugins) -> None:
    path = tmp_path / "big.yaml"
    row = "  - " + "x" * 75 + "\n"
    with path.open("w") as out:
        out.write(MINIMAL + "unknown:\n")
        out.write(row * (50 * 1024 * 1024 // len(row)))
    problems, elapsed = timed_check(path, plugins)
    assert elapsed < 1.0
    with path.open("rb") as stream:
        first_megabyte = stream.read(1024 * 1024)
    line = first_megabyte.count(b"\n") + 1
    column = len(first_megabyte) - first_megabyte.rfind(b"\n")
    assert [(p.line, p.column, p.message.startswith(TOO_BIG)) for p in problems] == [(line, column, True)]


def test_dev_zero_is_refused_by_its_size_without_reading_it_all(plugins: Plugins) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    problems, elapsed = timed_check("/dev/zero", plugins)
    assert elapsed < 1.0
    assert [(p.line, p.column) for p in problems] == [(1, 1024 * 1024 + 1)]
    assert problems[0].message.startswith(TOO_BIG)


@pytest.fixture
def endless_stream(tmp_path: Path) -> Iterator[Path]:
    """A named pipe a writer would fill with 1 GB of YAML; it stops when the reader hangs up."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need a POSIX system")
    path = tmp_path / "stream.yaml"
    os.mkfifo(path)
    written = [0]

    def write() -> None:
        chunk = ("- " + "x" * 1021 + "\n").encode() * 1024  # 1 MB
        try:
            with path.open("wb") as out:
                out.write(MINIMAL.encode() + b"unknown:\n")
                while written[0] < 1024 * len(chunk):
                    out.write(chunk)
                    written[0] += len(chunk)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield path
    writer.join(timeout=5)
    assert not writer.is_alive()
    assert written[0] < 4 * 1024 * 1024  # the reader hung up after the first MB or so, not after 1 GB


def test_a_1_gb_stream_is_refused_after_its_first_megabyte(endless_stream: Path, plugins: Plugins) -> None:
    problems, elapsed = timed_check(endless_stream, plugins)
    assert elapsed < 1.0
    [problem] = problems
    assert problem.message.startswith(TOO_BIG)


def test_a_value_over_64_kb_is_refused_at_its_place(tmp_path: Path, plugins: Plugins) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL.replace("client: minimal", 'client: "' + "a" * 70_000 + '"'))
    problems, elapsed = timed_check(path, plugins)
    assert elapsed < 1.0
    assert [str(problem) for problem in problems] == [
        f"{path}:3:9: client: this text is 70,000 characters long; a value may hold at most 65,536 (64 KB): "
        "shorten it or remove it"
    ]


def test_a_megabyte_of_open_brackets_is_refused_at_the_32nd(tmp_path: Path, plugins: Plugins) -> None:
    path = tmp_path / "brackets.yaml"
    path.write_text(MINIMAL + "x: " + "[" * (1024 * 1024 - len(MINIMAL) - 10) + "\n")
    problems, elapsed = timed_check(path, plugins)
    assert elapsed < 1.0
    assert [(p.line, p.column, p.message.split(",")[0]) for p in problems] == [
        (MINIMAL.count("\n") + 1, 4 + 31, "nested more than 32 levels deep")  # the top level is one
    ]


def test_brackets_inside_text_do_not_count_as_nesting(tmp_path: Path, plugins: Plugins) -> None:
    """The quick look for deep `[[[[` is only a shortcut: brackets in a block text are text."""
    path = tmp_path / "brackets_in_text.yaml"
    path.write_text(MINIMAL + "fields:\n  description: |\n    " + "[" * 40 + " {{ document.number }}\n")
    assert check(path, plugins=plugins, environ=ENVIRON) == []


def test_a_template_within_limits_for_the_sample_is_still_bounded_for_a_real_document(
    tmp_path: Path, plugins: Plugins
) -> None:
    """The sample has one line; a document with two makes this template render 20,000 characters."""
    path = tmp_path / "acme.yaml"
    loop = "{% for line in document.lines %}{% for i in range(10000) %}x{% endfor %}{% endfor %}"
    path.write_text(MINIMAL + f'fields:\n  description: "{loop}"\n')
    templates = Templates(load(path, plugins=plugins, environ=ENVIRON))
    assert len(templates.description(SAMPLE_DOCUMENT)) == MAX_TEXT
    two_lines = replace(SAMPLE_DOCUMENT, lines=SAMPLE_DOCUMENT.lines * 2)
    started = time.monotonic()
    with pytest.raises(RecordSkipped) as skipped:
        templates.description(two_lines)
    assert time.monotonic() - started < 1.0
    assert str(skipped.value).startswith(
        f"document 2026 / 1: fields.description ({path}:25:16) failed: the output is longer than 10,000 "
        "characters, the most a field may render"
    )


def test_ordinary_templates_render_for_the_sample(tmp_path: Path, plugins: Plugins) -> None:
    path = tmp_path / "acme.yaml"
    fields = {
        "description": "{{ customer.name|upper }} {{ '%05d'|format(2026001234) }}"
        "{% for line in document.lines %} {{ loop.index }}. {{ line.description }}{% endfor %}",
        "your_ref": "{{ document.reference or document.number }}-{{ (document.totals.payable * 100)|int }}",
    }
    path.write_text(MINIMAL + "fields:\n" + "".join(f'  {k}: "{v}"\n' for k, v in fields.items()))
    templates = Templates(load(path, plugins=plugins, environ=ENVIRON))
    assert templates.render(SAMPLE_DOCUMENT) == {
        "description": "SAMPLE CUSTOMER BV 2026001234 1. Consulting",
        "your_ref": "PO-1-12100",
        "payment_reference": "+++084/2613/66074+++",
    }


def connector(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    executable = shutil.which("connector") or str(Path(sys.executable).parent / "connector")
    started = time.monotonic()
    done = subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **ENVIRON}
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize("name", ["hostile_alias_bomb_9", "hostile_deep_flow", "hostile_template_power"])
def test_connector_validate_refuses_a_hostile_file_with_its_place(name: str) -> None:
    path = CORPUS / "invalid" / f"{name}.yaml"
    done, elapsed = connector("validate", str(path))
    expected = path.with_suffix(".expected").read_text().replace(f"{name}.yaml", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith(expected)
    assert "unexpected error" not in done.stderr
    assert elapsed < 15  # the command's own start-up included; before the limits the bomb took 44 s


def test_connector_validate_refuses_dev_zero() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    done, elapsed = connector("validate", "/dev/zero")
    assert done.returncode == 2
    assert done.stderr.startswith(f"/dev/zero:1:1048577: {TOO_BIG}")
    assert elapsed < 15
