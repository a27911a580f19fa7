"""A period's booked documents, for `connector reconcile`: counted by listing, then read in detail.

Counting is the listing itself (`invoices.list` / `creditNotes.list`, 100 a page, filtered server-side
on department, booked status and both date bounds): its pages are kept, so the read that follows
spends only what the details cost: one `.info` a document (the API takes one id, notes §7.1), the
customers 100 a call per kind, and the department's tax rates once.

The date bounds are sent one day wider than the period (a credit note's `credit_note_date_before` is
exclusive, the invoice bounds inclusive, teamleadercrm/api#621; notes §7.1) and the answer is cut to
the period by each document's own date, so neither reading of a bound loses or adds a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from connector.contract.records import DocumentKind
from connector.contract.services import Listed, ReadCost

from . import translate
from .client import PAGE_SIZE, TeamleaderClient
from .resources import BOOKED_INVOICE, KINDS

ONE_DAY = timedelta(days=1)


def listing(
    client: TeamleaderClient,
    department_id: str,
    kinds: Iterable[DocumentKind],
    start: date,
    end: date,
    wanted: Callable[[str, Mapping[str, Any], date | None], bool],
) -> tuple[list[Listed], bool]:
    """Every booked document of the department dated `start` to `end`, as its list shows it, and
    whether one is in a foreign currency (its list item's `currency_exchange_rate` says so)."""
    found: list[Listed] = []
    foreign = False
    for kind in dict.fromkeys(kinds):
        spec = KINDS[kind]
        flt: dict[str, Any] = {
            "department_id": department_id,
            f"{spec.date}_after": (start - ONE_DAY).isoformat(),
            f"{spec.date}_before": (end + ONE_DAY).isoformat(),
        }
        if kind == "invoice":
            flt["status"] = list(BOOKED_INVOICE)
        for page in client.pages(f"{spec.resource}.list", {"filter": flt}):
            for item in page:
                when = translate.day(item.get(spec.date))
                if when is None or not start <= when <= end or not wanted(kind, item, None):
                    continue
                rate = item.get("currency_exchange_rate") or {}
                foreign = foreign or (isinstance(rate, dict) and rate.get("from") != rate.get("to"))
                number = str(item.get(spec.number) or "")
                found.append(
                    Listed(kind, str(item["id"]), translate.moment(item.get("updated_at")), when, number)
                )
    return found, foreign


def cost(listed: Sequence[Listed], spent: int, rates_known: bool, exchange: bool) -> ReadCost:
    """The calls reading `listed` in detail takes, `spent` (the listing's) included: one `.info` a
    document, at most one customer call per 100 documents for each kind of customer, the tax rates,
    and today's exchange rates when a foreign-currency document's rate is to be checked (`exchange`)."""
    batches = -(-len(listed) // PAGE_SIZE)
    details = len(listed) + 2 * batches + (0 if rates_known or not listed else 1) + (1 if exchange else 0)
    return ReadCost(records=len(listed), calls=spent + details, spent=spent)


def documents(
    listed: Sequence[Listed], details: Callable[[Sequence[Listed]], Iterator[Any]]
) -> Iterator[Any]:
    """The documents of `listed` in date order, a page of 100 at a time (customers per page)."""
    ordered = sorted(listed, key=lambda item: (item.date or date.min, item.key))
    for first in range(0, len(ordered), PAGE_SIZE):
        yield from details(ordered[first : first + PAGE_SIZE])
