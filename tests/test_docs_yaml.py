"""Every rule file shown in the docs is valid: a consultant copies them.

A ```yaml block in docs/*.md counts as a rule file when it starts with `version: 1` (after comments)
or holds a `client:` key; a block marked `# invalid example` is left out. Environment references
without a default are read as set (to a placeholder), those with a default as unset, so only
the rule file itself is judged.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.contract.plugins import Plugins
from connector.rules import check, format_problems

DOCS = Path(__file__).parent.parent / "docs"
FENCE = re.compile(r"^```ya?ml[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


REQUIRED_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def environment_for(block: str) -> dict[str, str]:
    """Every variable the block needs set (those without a default), set to a placeholder."""
    return {name: f"example-{name.lower()}" for name in REQUIRED_VARIABLE.findall(block)}


def is_rule_file(block: str) -> bool:
    if "# invalid example" in block:
        return False
    meaningful = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    starts = bool(meaningful) and meaningful[0].strip() == "version: 1"
    return starts or re.search(r"^client:", block, re.MULTILINE) is not None


def rule_file_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for match in FENCE.finditer(text):
            if is_rule_file(match.group(1)):
                line = text.count("\n", 0, match.start()) + 1
                blocks.append((page.name, line, match.group(1)))
    return blocks


BLOCKS = rule_file_blocks()


def test_the_docs_show_at_least_one_complete_rule_file() -> None:
    assert any(name == "rules.md" for name, _, _ in BLOCKS)


def test_only_variables_without_a_default_are_set_for_a_docs_block() -> None:
    block = "a: ${NEEDED}\nb: ${OPTIONAL:-x}\nc: $${ESCAPED}\n"
    assert environment_for(block) == {"NEEDED": "example-needed"}


def test_blocks_marked_invalid_or_partial_are_not_taken_for_rule_files() -> None:
    assert not is_rule_file("# invalid example\nversion: 1\nclient: acme\n")
    assert not is_rule_file("sync:\n  start_date: 2026-01-01\n")
    assert is_rule_file("# comment\nversion: 1\n")
    assert is_rule_file("source:\n  plugin: x\nclient: acme\n")


@pytest.mark.parametrize(("page", "line", "block"), BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_rule_file_in_docs_is_valid(page: str, line: int, block: str, tmp_path: Path) -> None:
    path = tmp_path / f"{Path(page).stem}-{line}.yaml"
    path.write_text(block)
    problems = check(path, plugins=Plugins.load(disabled=[]), environ=environment_for(block))
    assert problems == [], f"docs/{page}, block at line {line}:\n{format_problems(problems)}"
