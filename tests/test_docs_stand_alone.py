"""The documentation stands alone: every file it links or cites is in this repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CITED = re.compile(r"`((?:docs|connector|plugins|examples|tests|benchmarks|schemas)/[\w./-]+)`")


def test_every_link_and_cited_path_in_the_docs_is_in_the_repository() -> None:
    missing = []
    for page in PAGES:
        text = page.read_text()
        for target in LINK.findall(text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).resolve().exists():
                missing.append(f"{page.relative_to(ROOT)}: link {target}")
        if page.parent.name == "api":
            continue  # the research notes cite files of the client libraries they read, by path
        for path in CITED.findall(text):
            if not (ROOT / path.rstrip(".")).exists() and "<" not in path:
                missing.append(f"{page.relative_to(ROOT)}: cites {path}")
    assert missing == []


def test_no_page_cites_a_file_outside_the_repository() -> None:
    outside = [
        f"{page.relative_to(ROOT)}:{number}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if re.search(r"(?<![\w/.])(shared/|\.\./\.\./|/work/)", line)
    ]
    assert outside == []
