"""The loaded rule file as frozen, typed objects: nothing downstream reads raw YAML.

`connector.rules.load()` builds these after the schema and the offline checks passed, so every
value here is already of the right type and every reference is present. `Rules.locations` keeps
each key's line and column so later checks against live data can still point at the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from connector.contract.records import AttachmentFormat
from connector.rules.case_model import Cases

FlowName = Literal["documents", "payments", "customers"]


def frozen_mapping(values: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class PluginSection:
    """`source:` or `sink:` — the plugin's name and its own options (validated by its schema)."""

    plugin: str
    options: Mapping[str, Any] = field(default_factory=frozen_mapping, repr=False)  # holds secrets


@dataclass(frozen=True)
class SyncRules:
    start_date: date
    invoices: bool = True
    credit_notes: bool = True
    import_customers: bool = False
    attachments: Literal["none", "pdf", "ubl", "both"] = "none"

    @property
    def attachment_formats(self) -> tuple[AttachmentFormat, ...]:
        """The files attached to each booked entry: none, the PDF, the UBL, or the UBL and the PDF."""
        chosen: dict[str, tuple[AttachmentFormat, ...]] = {
            "pdf": ("pdf",),
            "ubl": ("ubl",),
            "both": ("ubl", "pdf"),
        }
        return chosen.get(self.attachments, ())


@dataclass(frozen=True)
class Journals:
    invoices: str | None = None
    credit_notes: str | None = None


@dataclass(frozen=True)
class VatRule:
    """How one source tax rate (its description or its id, as written in the file) is booked."""

    key: str
    code: str
    revenue_account: str | None = None


@dataclass(frozen=True)
class CustomerRules:
    match: tuple[str, ...] = ("vat_number",)
    update: bool = True


@dataclass(frozen=True)
class PaymentRules:
    """`payments:` — how the payments flow brings the sink's matches back to the source.

    `partial`: `ignore` sets an invoice paid only once the sink matched all of it (the amount still
    due, on the date of the last payment); `register` registers each payment the sink matched on
    it, with its own date and amount, never more than is still due in the source."""

    partial: Literal["ignore", "register"] = "ignore"


@dataclass(frozen=True)
class PaymentTermRules:
    default: str
    direct_debit: str | None = None
    map: Mapping[str, str] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class CostRule:
    """`cost_center:` or `cost_unit:`: the target's code for a line, looked up by what the line
    carries (its product, else its product category), else `default`; None for no code."""

    default: str | None = None
    product: Mapping[str, str] = field(default_factory=frozen_mapping)
    product_category: Mapping[str, str] = field(default_factory=frozen_mapping)

    def codes(self) -> list[tuple[tuple[str, ...], str]]:
        """Every code the rule names, with its key path in the section (`product`, "<id>")."""
        found: list[tuple[tuple[str, ...], str]] = [(("default",), self.default)] if self.default else []
        for name in LOOKUP_KEYS:
            found += [((name, key), code) for key, code in getattr(self, name).items()]
        return found


LOOKUP_KEYS = ("product", "product_category")
"""What a cost rule looks a line up by, in this order (then `default`)."""


@dataclass(frozen=True)
class Template:
    """A `fields:` template and where it stands in the file, for error messages."""

    name: str
    source: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Trigger:
    """When a flow runs in watch mode: `every 15 minutes`, `every 2 hours`, `daily at 02:00`,
    `monthly on day 2 at 06:00` (`daily_at` is then the time of that day)."""

    text: str
    every: timedelta | None = None
    daily_at: time | None = None
    monthly_on: int | None = None


@dataclass(frozen=True)
class Immediate:
    """Sync a document moments after it is booked: the source calls `public_url`, which reaches the
    listener watch mode opens on `host`:`port` (through the consultant's reverse proxy or tunnel)."""

    public_url: str
    host: str = "127.0.0.1"
    port: int = 8765


@dataclass(frozen=True)
class Triggers:
    documents: Trigger | None = None
    payments: Trigger | None = None
    customers: Trigger | None = None
    reconcile: Trigger | None = None  # `connector reconcile` of the month before, with the notifications
    immediate: Immediate | None = None

    def get(self, flow: FlowName) -> Trigger | None:
        trigger: Trigger | None = getattr(self, flow)
        return trigger


@dataclass(frozen=True)
class Notify:
    paid: bool = False
    webhook: str | None = None
    email: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Rules:
    """One client's rule file, validated."""

    version: int
    client: str
    source: PluginSection
    sink: PluginSection
    sync: SyncRules
    journals: Journals
    vat: tuple[VatRule, ...]
    payment_terms: PaymentTermRules
    customers: CustomerRules = field(default_factory=CustomerRules)
    payments: PaymentRules = field(default_factory=PaymentRules)
    revenue_account: str | None = None
    discount_account: str | None = None
    cost_center: CostRule | None = None
    cost_unit: CostRule | None = None
    fields: Mapping[str, Template] = field(default_factory=frozen_mapping)
    closed_period: Literal["fail", "next_open"] = "fail"
    triggers: Triggers = field(default_factory=Triggers)
    notify: Notify = field(default_factory=Notify)
    path: Path | None = None
    digest: str = ""  # sha256 of the file's bytes: logged on every (re)load
    locations: Mapping[str, tuple[int, int]] = field(default_factory=frozen_mapping)
    tests: Cases = field(default_factory=Cases, repr=False)  # the `tests:` section's cases

    def vat_rule(self, tax_rate_id: str, description: str) -> VatRule | None:
        """The rule for a source tax rate, matched by id first, then by description."""
        for rule in self.vat:
            if rule.key == tax_rate_id:
                return rule
        for rule in self.vat:
            if rule.key == description:
                return rule
        return None

    def where(self, key_path: str) -> tuple[int, int]:
        """Line and column of a dotted key path (`vat."21%".code`), or of its nearest parent."""
        path = key_path
        while path:
            if path in self.locations:
                return self.locations[path]
            is_item = path.endswith("]") and "[" in path
            path = path[: path.rindex("[")] if is_item else path.rpartition(".")[0]
        return (1, 1)
