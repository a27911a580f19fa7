"""Exact Online's reference data as connector's: what `ExactOnlineSink.reference_data` reads.

Six reads, each with `$select` (GL accounts take one more per further 60): VAT codes, journals, GL
accounts, payment conditions, cost centres (`hrm/Costcenters`: Code, Description, Active) and cost
units (`hrm/Costunits`: Code, Description; they have no Active flag). Field names are those of
Exact's REST reference as picqer/exact-php-client copies it (`Costcenter.php`, `Costunit.php`);
docs/api/exact-online.md §6.2 has the SalesEntryLines side (`CostCenter`, `CostUnit`: codes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connector.contract.services import CostCode, ReferenceData

from . import translate

Rows = Callable[[str, dict[str, str]], list[dict[str, Any]]]
ACCOUNT_FIELDS = "ID,Code,Description,Type,UseCostcenter,UseCostunit"
CONDITION_FIELDS = "Code,Description,PaymentDays,PaymentEndOfMonths,DiscountPercentage,PaymentMethod"


def cost_code(row: Mapping[str, Any]) -> CostCode:
    """A cost centre or cost unit; one without an `Active` field (cost units) is active."""
    active = row.get("Active")
    return CostCode(
        code=str(row.get("Code") or "").strip(),
        description=str(row.get("Description") or ""),
        active=True if active is None else bool(active),
    )


def read(rows: Rows) -> tuple[ReferenceData, dict[str, str]]:
    """The division's reference data, and each VAT code as Exact lists it (padded) by its stripped code."""
    vat_rows = rows("vat/VATCodes", {"$select": "Code,Description,Type,Percentage"})
    listed = {str(r.get("Code") or "").strip(): str(r.get("Code") or "") for r in vat_rows}
    vat = [translate.vat_code(r) for r in vat_rows]
    journals = [
        translate.journal(r) for r in rows("financial/Journals", {"$select": "Code,Description,Type"})
    ]
    accounts = [translate.gl_account(r) for r in rows("financial/GLAccounts", {"$select": ACCOUNT_FIELDS})]
    conditions = [
        translate.payment_condition(r)
        for r in rows("cashflow/PaymentConditions", {"$select": CONDITION_FIELDS})
    ]
    centers = [cost_code(r) for r in rows("hrm/Costcenters", {"$select": "Code,Description,Active"})]
    units = [cost_code(r) for r in rows("hrm/Costunits", {"$select": "Code,Description"})]
    data = ReferenceData(
        vat_codes={v.code: v for v in vat},
        journals={j.code: j for j in journals},
        accounts={a.code: a for a in accounts},
        payment_conditions={c.code: c for c in conditions},
        cost_centers={c.code: c for c in centers},
        cost_units={u.code: u for u in units},
    )
    return data, listed
