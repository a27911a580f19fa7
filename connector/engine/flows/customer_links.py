"""Linking a source customer to a target account: the ledger link, then a match, else a new one.

Shared by the documents flow (customers of documents about to be booked) and by the customer import
(the same links, read from the other side), so an imported company's invoices are booked on the very
account it came from.
"""

from __future__ import annotations

from connector.contract.records import Customer
from connector.contract.report import RunReport
from connector.contract.services import Sink
from connector.engine.fingerprint import content_hash
from connector.rules.model import Rules
from connector.state.store import StateStore
from connector.testing import killpoints

ALL_KEYS = ("vat_number", "email", "name")


class CustomerLinker:
    """Finds or creates the target account of each customer, once per run."""

    def __init__(
        self,
        rules: Rules,
        state: StateStore,
        sink: Sink,
        report: RunReport,
        dry_run: bool,
        plan: list[str] | None = None,
    ) -> None:
        self.plan = plan if plan is not None else []
        self.rules = rules
        self.state = state
        self.sink = sink
        self.report = report
        self.dry_run = dry_run
        self.done: dict[str, str] = {}

    def target_for(self, customer: Customer) -> str:
        """The target id of `customer`'s account, creating or updating it as the rules say."""
        if customer.id in self.done:
            return self.done[customer.id]
        fingerprint = content_hash(customer)
        link = self.state.customer_link_get(customer.id)
        if link is not None:
            if link.content_hash is None:  # imported from the target: this is its first document
                if not self.dry_run:
                    self.state.customer_link_set(customer.id, link.target_id, fingerprint)
            elif self.rules.customers.update and link.content_hash != fingerprint:
                if not self.dry_run:
                    self.sink.save_customer(customer, link.target_id)
                    self.state.customer_link_set(customer.id, link.target_id, fingerprint)
                self.report.add("customers.updated")
            target = link.target_id
        else:
            match = self.rules.customers.match
            if self.state.customer_intent_pending("target", customer.id):
                match = ALL_KEYS  # a run died after creating it, maybe: look harder before creating
            found = self.sink.find_customer(customer, match)
            if found is not None:
                self.report.add("customers.linked")
                target = found
            elif self.dry_run:
                self.report.add("customers.created")
                self.plan.append(f"create  customer {customer.name} ({customer.kind}, {customer.id})")
                target = f"(new account for {customer.name})"
            else:
                self.state.customer_intent_set("target", customer.id)
                target = self.sink.save_customer(customer, None)
                killpoints.reached("customers.after_write")
                self.report.add("customers.created")
            if not self.dry_run:
                with self.state.transaction():
                    self.state.customer_link_set(customer.id, target, fingerprint)
                    self.state.customer_intent_clear("target", customer.id)
        self.done[customer.id] = target
        return target
