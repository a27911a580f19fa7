"""Turning a validated rule file's data into the frozen `Rules` the rest of connector reads.

Only called once the schema and the offline checks found nothing, so every value has its type and
every required key is present; defaults of optional keys are filled in here (they match the
`default`s the schema documents).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connector.rules.case_model import Cases
from connector.rules.model import (
    LOOKUP_KEYS,
    CostRule,
    CustomerRules,
    Immediate,
    Journals,
    Notify,
    PaymentRules,
    PaymentTermRules,
    PluginSection,
    Rules,
    SyncRules,
    Template,
    Triggers,
    VatRule,
)
from connector.rules.triggers import parse_trigger
from connector.rules.yamlfile import Parsed, dotted


def freeze(value: Any) -> Any:
    """Mappings become read-only, lists become tuples, all the way down."""
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    return value


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _plugin_section(data: Mapping[str, Any]) -> PluginSection:
    options = {key: value for key, value in data.items() if key != "plugin"}
    return PluginSection(plugin=data["plugin"], options=freeze(options))


def immediate(section: Mapping[str, Any] | None) -> Immediate | None:
    if not section:
        return None
    host, _, port = str(section.get("listen") or "127.0.0.1:8765").rpartition(":")
    return Immediate(public_url=str(section["public_url"]), host=host or "127.0.0.1", port=int(port))


def cost_rule(section: Mapping[str, Any] | None) -> CostRule | None:
    if section is None:
        return None
    return CostRule(
        default=section.get("default"),
        **{name: MappingProxyType(dict(section.get(name) or {})) for name in LOOKUP_KEYS},
    )


def build(
    data: dict[str, Any], parsed: Parsed, path: Path, content: bytes, tests: Cases | None = None
) -> Rules:
    """The `Rules` of a valid file: `data` is its expanded values, `content` its bytes."""
    sync = data["sync"]
    journals = data.get("journals") or {}
    customers = data.get("customers") or {}
    terms = data["payment_terms"]
    fields = data.get("fields") or {}
    triggers = data.get("triggers") or {}
    notify = data.get("notify") or {}
    locations = {dotted(key_path): parsed.where(key_path) for key_path in parsed.keys}
    return Rules(
        version=data["version"],
        client=data["client"],
        source=_plugin_section(data["source"]),
        sink=_plugin_section(data["sink"]),
        sync=SyncRules(
            start_date=date.fromisoformat(sync["start_date"]),
            invoices=sync.get("invoices", True),
            credit_notes=sync.get("credit_notes", True),
            import_customers=sync.get("import_customers", False),
            attachments=sync.get("attachments", "none"),
        ),
        journals=Journals(invoices=journals.get("invoices"), credit_notes=journals.get("credit_notes")),
        vat=tuple(
            VatRule(key=key, code=rule["code"], revenue_account=rule.get("revenue_account"))
            for key, rule in data["vat"].items()
        ),
        payment_terms=PaymentTermRules(
            default=terms["default"],
            direct_debit=terms.get("direct_debit"),
            map=MappingProxyType(dict(terms.get("map") or {})),
        ),
        customers=CustomerRules(
            match=tuple(customers.get("match", ("vat_number",))),
            update=customers.get("update", True),
        ),
        payments=PaymentRules(partial=(data.get("payments") or {}).get("partial", "ignore")),
        revenue_account=data.get("revenue_account"),
        discount_account=data.get("discount_account"),
        cost_center=cost_rule(data.get("cost_center")),
        cost_unit=cost_rule(data.get("cost_unit")),
        fields=MappingProxyType(
            {name: Template(name, source, *parsed.where(("fields", name))) for name, source in fields.items()}
        ),
        closed_period=data.get("closed_period", "fail"),
        triggers=Triggers(
            **{flow: parse_trigger(text) for flow, text in triggers.items() if flow != "immediate"},
            immediate=immediate(triggers.get("immediate")),
        ),
        notify=Notify(
            paid=notify.get("paid", False),
            webhook=notify.get("webhook") or None,
            email=freeze(notify["email"]) if notify.get("email") is not None else None,
        ),
        path=path,
        digest=digest(content),
        locations=MappingProxyType(locations),
        tests=tests or Cases(),
    )
