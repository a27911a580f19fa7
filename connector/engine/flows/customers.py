"""Customers, target → source (`sync.import_customers`): the target's accounts and their contacts.

Once in full, then only what changed since the target's cursor. No duplicates: an account already
linked in the ledger updates its source customer; an unlinked one is matched in the source by the
rule file's `customers.match` keys (VAT number first by default) and linked; only then is a new one
created. The links are the same the documents flow uses, so an imported company's documents are
booked on the very account it came from.
"""

from __future__ import annotations

import dataclasses
import logging

from connector.contract.errors import ApiError, Paused, RecordError, RetriableError
from connector.contract.records import Customer
from connector.engine.fingerprint import content_hash
from connector.engine.flows.customer_links import ALL_KEYS
from connector.engine.run import Run
from connector.testing import killpoints

log = logging.getLogger("connector.customers")

CURSOR = "customers.target_cursor"
GROUP = "customers_import"


def import_customers(run: Run) -> None:
    state, report = run.state, run.report
    customers, cursor = run.sink.changed_customers(state.cursor_get(CURSOR))
    companies = [c for c in customers if c.kind == "company"]
    people = [c for c in customers if c.kind == "person"]
    for customer in companies + people:  # companies first: people are linked to them
        if run.stopping("customers"):
            cursor = None
            break
        try:
            import_one(run, customer)
        except Paused:
            raise
        except (RecordError, ApiError, RetriableError) as error:
            report.fail(
                f"customer:{customer.id}", f"{customer.name}: {error.message}", error.hint, group=GROUP
            )
            cursor = None  # read these again next run
    if cursor is not None and not run.dry_run:
        state.cursor_set(CURSOR, cursor)


def import_one(run: Run, customer: Customer) -> None:
    state, report = run.state, run.report
    if customer.company_id:
        company = state.customer_link_by_target(customer.company_id)
        customer = dataclasses.replace(customer, company_id=company.source_id if company else None)
    fingerprint = content_hash(customer)
    link = state.customer_link_by_target(customer.id)
    if link is not None:
        if link.import_hash == fingerprint:
            return
        if link.import_hash is None:  # linked by the documents flow: nothing imported to compare with
            if not run.dry_run:
                state.customer_link_imported(link.source_id, customer.id, fingerprint)
            return
        if not run.dry_run:
            run.source.save_customer(customer, link.source_id)
            state.customer_link_imported(link.source_id, customer.id, fingerprint)
        report.add(f"{GROUP}.updated")
        run.plan.append(f"update  {customer.kind} {customer.name}")
        return
    match = run.rules.customers.match
    if state.customer_intent_pending("source", customer.id):
        match = ALL_KEYS  # a run died after creating it, maybe: look harder before creating
    found = run.source.find_customer(customer, match)
    if found is not None:
        report.add(f"{GROUP}.linked")
        run.plan.append(f"link    {customer.kind} {customer.name}: already in the source as {found}")
        if not run.dry_run:
            state.customer_link_imported(found, customer.id, fingerprint)
        return
    report.add(f"{GROUP}.created")
    run.plan.append(f"create  {customer.kind} {customer.name}")
    if not run.dry_run:
        state.customer_intent_set("source", customer.id)
        source_id = run.source.save_customer(customer, None)
        killpoints.reached("import.after_write")
        with state.transaction():
            state.customer_link_imported(source_id, customer.id, fingerprint)
            state.customer_intent_clear("source", customer.id)
