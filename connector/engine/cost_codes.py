"""Cost centres (kostenplaatsen) and cost units (kostendragers): which a line is booked on (the check
that every code exists in the target is `preflight.check_cost_codes`).

A line is looked up by what the source says of it: its product, else its product category (the
keys are the source's ids), else the rule's `default`. The department needs no key of its own: a
rule file syncs one department, so its cost centre is the `default`.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.contract.records import Line
from connector.contract.services import CostCode, ReferenceData
from connector.rules.model import CostRule, Rules

KINDS = (("cost_center", "cost centre"), ("cost_unit", "cost unit"))


def cost_code(rule: CostRule | None, line: Line) -> str | None:
    """The code `rule` gives `line`: by its product, else its product category, else the default."""
    if rule is None:
        return None
    for table, key in ((rule.product, line.product_id), (rule.product_category, line.product_category_id)):
        if key and key in table:
            return table[key]
    return rule.default


def cost_codes(rules: Rules, line: Line) -> tuple[str | None, str | None]:
    """The cost centre and the cost unit of `line`."""
    return cost_code(rules.cost_center, line), cost_code(rules.cost_unit, line)


def listing(reference: ReferenceData, section: str) -> Mapping[str, CostCode]:
    return reference.cost_centers if section == "cost_center" else reference.cost_units
