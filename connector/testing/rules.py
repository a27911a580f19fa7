"""`make_rules`: a valid `Rules` for tests, without a rule file.

A test names only what it is about; everything else is a plain client `acme` with the fake plugins'
names, a start date of 2026-01-01, journals 70 and 71, no VAT rules and payment condition 30.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connector.rules.model import Journals, PaymentTermRules, PluginSection, Rules, SyncRules


def make_rules(**changes: Any) -> Rules:
    """`Rules` with the defaults above, overridden by `changes` (any field of `Rules`)."""
    fields: dict[str, Any] = {
        "version": 1,
        "client": "acme",
        "source": PluginSection("fake_source"),
        "sink": PluginSection("fake_sink"),
        "sync": SyncRules(start_date=date(2026, 1, 1)),
        "journals": Journals("70", "71"),
        "vat": (),
        "payment_terms": PaymentTermRules(default="30"),
    }
    return Rules(**{**fields, **changes})
