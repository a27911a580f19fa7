"""The core knows accounting, not systems: no service's name appears in connector/ (DESIGN §2)."""

from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "connector"
NAMES = re.compile(r"Teamleader|teamleader|Exact\b|exact_online|EXACT_|TEAMLEADER_")


def test_no_service_is_named_in_the_core() -> None:
    found = [
        f"{path.relative_to(CORE.parent)}:{number}: {line.strip()}"
        for path in sorted(CORE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAMES.search(line)
    ]
    assert not found, "service names in the core:\n" + "\n".join(found)
