"""Which payment condition of the target a document gets: the first rule that applies wins.

The order is the rule file's contract (DESIGN §8), and a dry run shows which rule chose what:

1. a credit note gets `payment_terms.default`;
2. an invoice whose expected payment method is direct debit (`direct_debit`, `sepa_direct_debit`)
   gets `payment_terms.direct_debit`, when that is set;
3. `payment_terms.map`, keyed by the term: `after_invoice_date 14`, `end_of_month 30`, `cash`;
4. automatic: a target condition without payment discount, paid "on credit" (method `B`), with the
   term's number of days and the same end-of-month setting (`end_of_month N` needs at least one
   end of month, `after_invoice_date N` none). Collection (`I`) and cash (`K`) conditions, and any
   condition with a discount, are never chosen automatically; neither is a cash term. When several
   conditions fit, the lowest code wins (see `code_sort_key`);
5. `payment_terms.default`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from connector.contract.records import Document, PaymentTerm
from connector.contract.services import PaymentConditionInfo, ReferenceData
from connector.rules.model import Rules

ChoiceRule = Literal["credit_note", "direct_debit", "map", "automatic", "default"]

DIRECT_DEBIT_METHODS = frozenset({"direct_debit", "sepa_direct_debit"})
ON_CREDIT = "B"


@dataclass(frozen=True)
class Choice:
    """The chosen condition code, which rule chose it, and a sentence for the dry-run plan."""

    code: str
    rule: ChoiceRule
    reason: str


def code_sort_key(code: str) -> tuple[int, int, str]:
    """Order codes as a person would: numeric codes by value (`7` before `14`), then the others as text.

    Used to break ties ("the lowest code wins") and to list codes in messages.
    """
    text = code.strip()
    if text.isdigit():
        return (0, int(text), text)
    return (1, 0, text)


def normalize_term_key(key: str) -> str:
    """`after_invoice_date  14` and `after_invoice_date 14` are the same map key."""
    return " ".join(key.split())


def choose(document: Document, rules: Rules, reference: ReferenceData) -> Choice:
    """The payment condition for `document`, with the rule that chose it."""
    terms = rules.payment_terms
    if document.kind == "credit_note":
        return Choice(terms.default, "credit_note", "credit notes always get payment_terms.default")
    method = document.expected_payment_method
    if method in DIRECT_DEBIT_METHODS and terms.direct_debit:
        return Choice(terms.direct_debit, "direct_debit", f"paid by {method}: payment_terms.direct_debit")
    term = document.payment_term
    if term is None:
        return Choice(terms.default, "default", "the document has no payment term: payment_terms.default")
    mapped = {normalize_term_key(key): code for key, code in terms.map.items()}
    if term.key in mapped:
        return Choice(mapped[term.key], "map", f'payment_terms.map."{term.key}"')
    found = matching_conditions(term, reference.payment_conditions.values())
    if found:
        best = found[0]
        end = f", {best.end_of_months} end of month" if best.end_of_months else ""
        return Choice(
            best.code,
            "automatic",
            f"term {term.key} matches condition {best.code!r} "
            f"({best.days} days{end}, on credit, no discount)",
        )
    return Choice(terms.default, "default", f"no condition matches term {term.key}: payment_terms.default")


def choose_condition(document: Document, rules: Rules, reference: ReferenceData) -> str:
    """The payment condition code for `document` (see `choose` for why)."""
    return choose(document, rules, reference).code


def matching_conditions(
    term: PaymentTerm, conditions: Iterable[PaymentConditionInfo]
) -> list[PaymentConditionInfo]:
    """Conditions that fit `term` automatically, lowest code first; never any for a cash term."""
    if term.type == "cash":
        return []
    wanted_end_of_month = term.type == "end_of_month"
    found = [
        condition
        for condition in conditions
        if condition.method.strip().upper() == ON_CREDIT
        and Decimal(condition.discount_percentage) == 0
        and condition.days == term.days
        and (condition.end_of_months >= 1) == wanted_end_of_month
    ]
    return sorted(found, key=lambda condition: code_sort_key(condition.code))
