"""The simulator's test and demo hooks: under /_sandbox/ over HTTP, and as methods in-process.

Routes (in addition to the shared calls/clock/faults ones): ``POST seed``, ``GET state``,
``POST reconcile``, ``POST unreconcile``, ``POST settle`` (an invoice against a credit note),
``POST process-direct-debit``, ``POST refresh-token``,
``POST entries`` (an entry booked by hand in Exact), ``POST accounts`` (an account typed in Exact),
``GET errors`` (the per-endpoint error budget), ``POST periods`` (close periods, remove a financial
year: see `periods`).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.testing.sandbox import Clock, Request, Response

from . import payments, periods
from .crm import save_account
from .demo import DIVISION, seed_demo
from .odata import ODataError, parse_datetime, parse_decimal, parse_guid, render
from .store import Row, Store

if TYPE_CHECKING:
    from .booking import Ledger
    from .books import BookingOptions
    from .oauth import OAuthServer
    from .ratelimit import ErrorBudget, RateLimiter


def bank_reference(text: str | None) -> str:
    return re.sub(r"[\s+*/]", "", text or "").casefold()


def plain(row: Row) -> dict[str, Any]:
    """A stored row as JSON, without the simulator's own `_` keys."""
    return {key: render(value) for key, value in row.items() if not key.startswith("_")}


class AdminMixin:
    store: Store
    lock: threading.RLock
    clock: Clock
    oauth: OAuthServer
    limiter: RateLimiter
    error_budget: ErrorBudget
    options: BookingOptions

    def ledger(self, division: int = DIVISION) -> Ledger:
        raise NotImplementedError

    def issue_refresh_token(self) -> str:
        raise NotImplementedError

    # -- in-process conveniences -----------------------------------------------------------------

    def seed(self, *, demo: bool = True, accounts: list[dict[str, Any]] | None = None) -> None:
        """Reset all data to the demo division (`demo=False`: an empty one), plus extra `accounts`."""
        with self.lock:
            division = seed_demo(self.store)
            if not demo:
                for name in list(division.tables):
                    if name not in ("divisions", periods.TABLE):
                        division.tables[name].clear()
            for account in accounts or []:
                save_account(self.store, division, account, 400)

    def state(self) -> dict[str, Any]:
        """Everything a test or a person may want to see, as JSON-ready data."""
        with self.lock:
            divisions = {}
            for code, division in self.store.divisions.items():
                ledger = self.ledger(code)
                receivables = []
                attachments: dict[Any, list[dict[str, Any]]] = {}
                for row in division.table("document_attachments").values():
                    attachments.setdefault(row["Document"], []).append(row)
                for row in division.table("receivables").values():
                    receivables.append({**plain(row), "Outstanding": float(payments.outstanding(row))})
                divisions[str(code)] = {
                    "accounts": [plain(r) for r in division.table("accounts").values()],
                    "contacts": [plain(r) for r in division.table("contacts").values()],
                    "sales_entries": [
                        {**plain(e), "SalesEntryLines": [plain(line) for line in ledger.lines_of(e)]}
                        for e in division.table("sales_entries").values()
                    ],
                    "receivables": receivables,
                    "receivables_list": [plain(r) for r in payments.receivables_list(ledger)],
                    "transaction_lines": len(division.table("transaction_lines")),
                    "documents": [
                        {**plain(d), "Attachments": [plain(a) for a in attachments.get(d["ID"], [])]}
                        for d in division.table("documents").values()
                    ],
                }
            return {
                "now": self.clock.now().isoformat(),
                "timestamp": self.store.timestamp,
                "divisions": divisions,
                "rate_limits": self.limiter.state(),
                "errors": self.error_budget.state(),
                "oauth": self.oauth.state(),
            }

    def find_receivable(
        self,
        *,
        entry_id: str | None = None,
        your_ref: str | None = None,
        journal: str | None = None,
        type: int | None = None,
        payment_reference: str | None = None,
        division: int = DIVISION,
    ) -> Row:
        """The receivable of one entry: by its id, by `your_ref` (+ `journal`, `type`), or as a bank
        import matches a bank line to it, by the `payment_reference` the line quotes: Exact's
        PaymentReference is "used for bank imports" (notes §"Evidence 2026-12", Text fields). The
        references are compared without blanks, `+`, `*` and `/` (a structured reference on a bank
        line comes as its digits or in either printed form); an entry without one matches nothing."""
        ledger = self.ledger(division)
        entries = list(ledger.division.table("sales_entries").values())
        if entry_id:
            wanted = parse_guid(entry_id)
            matches = [e for e in entries if e["EntryID"] == wanted]
        elif payment_reference is not None:
            quoted = bank_reference(payment_reference)
            matches = [e for e in entries if quoted and bank_reference(e["PaymentReference"]) == quoted]
        elif your_ref is not None:
            matches = [
                e
                for e in entries
                if e["YourRef"] == your_ref
                and (journal is None or e["Journal"].strip() == str(journal).strip())
                and (type is None or e["Type"] == int(type))
            ]
        else:
            raise ODataError(
                400, "Give entry_id, payment_reference, or your_ref (with journal and, when needed, type)."
            )
        if len(matches) != 1:
            raise ODataError(404 if not matches else 409, f"{len(matches)} sales entries match.")
        receivable = payments.receivable_of(ledger, matches[0]["EntryID"])
        if receivable is None:
            raise ODataError(404, "That entry has no receivable.")
        return receivable

    def reconcile(
        self,
        *,
        date: datetime | str | None = None,
        amount: Decimal | str | float | None = None,
        **locator: Any,
    ) -> dict[str, Any]:
        """Match a payment (all that is outstanding, or `amount`) against an entry's receivable."""
        with self.lock:
            receivable = self.find_receivable(**locator)
            moment = parse_datetime(date) or self.store.now().replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            paid = parse_decimal(amount) if amount is not None else None
            division = locator.get("division", DIVISION)
            payments.reconcile(self.ledger(division), receivable, moment, paid)
            return {**plain(receivable), "Outstanding": float(payments.outstanding(receivable))}

    def reconcile_group(self, matches: list[dict[str, Any]], date: datetime | str | None = None) -> list[Any]:
        """One bank line matched against several receivables, each for its own `amount` (a customer
        paying two invoices at once): Exact keeps the match per receivable, so each gets its part.
        (Here each match posts its own bank lines; the connector reads only the receivables.)"""
        return [self.reconcile(date=date, **match) for match in matches]

    def settle(
        self,
        invoice: dict[str, Any],
        credit_note: dict[str, Any],
        date: datetime | str | None = None,
        division: int = DIVISION,
    ) -> dict[str, Any]:
        """Match an invoice's receivable against a credit note's (each given by a locator: `entry_id`,
        or `your_ref` + `journal` (+ `type`)), without a bank line; both receivables as they are then."""
        with self.lock:
            first = self.find_receivable(**invoice, division=division)
            second = self.find_receivable(**credit_note, division=division)
            moment = parse_datetime(date) or self.store.now().replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            payments.settle(self.ledger(division), first, second, moment)
            return {
                name: {**plain(row), "Outstanding": float(payments.outstanding(row))}
                for name, row in (("invoice", first), ("credit_note", second))
            }

    def unreconcile(self, **locator: Any) -> dict[str, Any]:
        with self.lock:
            receivable = self.find_receivable(**locator)
            payments.unreconcile(self.ledger(locator.get("division", DIVISION)), receivable)
            return plain(receivable)

    def process_direct_debit(self, **locator: Any) -> dict[str, Any]:
        with self.lock:
            receivable = self.find_receivable(**locator)
            payments.mark_processed(self.ledger(locator.get("division", DIVISION)), receivable)
            return plain(receivable)

    def book_by_hand(self, entry: dict[str, Any], division: int = DIVISION) -> dict[str, Any]:
        """A sales entry typed by a bookkeeper: booked exactly like a POST, but not an API call."""
        with self.lock:
            row = self.ledger(division).book(entry)
            return plain(row)

    def periods(self, change: dict[str, Any], division: int = DIVISION) -> dict[str, Any]:
        """Close periods, reopen them, remove or add a financial year (see `periods.admin`)."""
        with self.lock:
            return periods.admin(self.store, self.store.divisions[division], change)

    def add_account(self, account: dict[str, Any], division: int = DIVISION) -> dict[str, Any]:
        with self.lock:
            return plain(save_account(self.store, self.store.divisions[division], account, 400))

    # -- over HTTP -------------------------------------------------------------------------------

    def admin(self, request: Request) -> Response | None:
        route = request.path.removeprefix("/_sandbox/").strip("/")
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return Response.json({"error": "body must be JSON"}, 400)
        try:
            return self._admin_route(request.method, route, body or {})
        except ODataError as error:
            return Response.json({"error": error.message}, error.status)
        except (TypeError, ValueError) as error:
            return Response.json({"error": str(error)}, 400)

    def _admin_route(self, method: str, route: str, body: dict[str, Any]) -> Response | None:
        locator_keys = ("entry_id", "your_ref", "journal", "type", "payment_reference")
        locator = {key: body[key] for key in locator_keys if key in body}
        if (method, route) == ("POST", "seed"):
            self.seed(demo=body.get("demo", True), accounts=body.get("accounts"))
            return Response.json({"seeded": True})
        if (method, route) == ("GET", "state"):
            return Response.json(self.state())
        if (method, route) == ("GET", "errors"):
            return Response.json(self.error_budget.state())
        if (method, route) == ("POST", "reconcile") and isinstance(body.get("matches"), list):
            return Response.json(self.reconcile_group(body["matches"], body.get("date")))
        if (method, route) == ("POST", "reconcile"):
            return Response.json(self.reconcile(date=body.get("date"), amount=body.get("amount"), **locator))
        if (method, route) == ("POST", "settle"):
            pick = {
                key: body.get(side) for key, side in (("invoice", "invoice"), ("credit_note", "credit_note"))
            }
            if not all(isinstance(value, dict) for value in pick.values()):
                raise ODataError(
                    400, 'Give "invoice" and "credit_note", each {"entry_id"} or {"your_ref", "journal"}.'
                )
            located = {
                side: {key: value[key] for key in locator_keys if key in value}
                for side, value in pick.items()
                if isinstance(value, dict)
            }
            return Response.json(self.settle(located["invoice"], located["credit_note"], body.get("date")))
        if (method, route) == ("POST", "unreconcile"):
            return Response.json(self.unreconcile(**locator))
        if (method, route) == ("POST", "process-direct-debit"):
            return Response.json(self.process_direct_debit(**locator))
        if (method, route) == ("POST", "refresh-token"):
            return Response.json({"refresh_token": self.issue_refresh_token()})
        if (method, route) == ("POST", "entries"):
            return Response.json(self.book_by_hand(body), 201)
        if (method, route) == ("POST", "periods"):
            return Response.json(self.periods(body))
        if (method, route) == ("POST", "accounts"):
            return Response.json(self.add_account(body), 201)
        return None
