"""The department and its tax rates, kept across runs: a run within the hour reads neither, and a
rate added in Teamleader since is read at once, never taken for an unknown one."""

from __future__ import annotations

from decimal import Decimal

from teamleader_fake import DEPT, OTHER, FakeTeamleader, all_documents, invoice, make_source

from connector.contract.tokens import MemoryTokenStore
from connector.testing import FakeClock

REFERENCE_READS = ("departments.list", "taxRates.list")


def reference_reads(fake: FakeTeamleader) -> int:
    return sum(fake.count(path) for path in REFERENCE_READS)


def kept_state(fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock) -> dict[str, object]:
    """What a first run keeps, having read one invoice."""
    first = make_source(fake, store, clock)
    assert len(all_documents(first)) == 1
    state = first.reference_state()
    assert state is not None
    return dict(state)


def test_a_run_primed_with_what_the_last_one_read_reads_neither_department_nor_rates(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices["1"] = invoice("1")
    state = kept_state(fake, store, clock)
    fake.calls.clear()

    later = make_source(fake, store, clock)
    assert later.prime_reference(state)
    [document] = all_documents(later)

    assert reference_reads(fake) == 0
    assert (document.lines[0].tax_rate.description, document.lines[0].tax_rate.rate) == (
        "21%",
        Decimal("0.21"),
    )
    assert later.reference_state() is None, "what it kept is not stored again as if read now"


def test_a_rate_added_since_is_read_at_once_not_booked_as_unknown(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices["1"] = invoice("1")
    state = kept_state(fake, store, clock)
    fake.added_rates.append(
        {
            "id": "rate-12",
            "description": "12%",
            "rate": 0.12,
            "department": {"type": "department", "id": DEPT},
        }
    )
    twelve = invoice("2")
    twelve["grouped_lines"][0]["line_items"][0]["tax"] = {"type": "taxRate", "id": "rate-12"}
    fake.invoices = {"2": twelve}
    fake.calls.clear()

    later = make_source(fake, store, clock)
    assert later.prime_reference(state)
    [document] = all_documents(later)

    assert fake.count("taxRates.list") == 1
    assert (document.lines[0].tax_rate.description, document.lines[0].tax_rate.rate) == (
        "12%",
        Decimal("0.12"),
    )
    assert later.reference_state() is not None, "what it read again is kept for the next runs"


def test_what_was_kept_for_another_department_or_in_another_form_is_not_used(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices["1"] = invoice("1")
    state = kept_state(fake, store, clock)

    assert not make_source(fake, store, clock, department=OTHER).prime_reference(state)
    assert not make_source(fake, store, clock).prime_reference({"department": {"id": DEPT}})
    assert make_source(fake, store, clock, department=DEPT).prime_reference(state), "by id as well"


def test_a_run_that_read_no_rates_keeps_the_department_and_the_next_reads_the_rates_when_needed(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    first = make_source(fake, store, clock)
    assert all_documents(first) == []  # nothing booked: the rates were never needed
    state = first.reference_state()
    assert state is not None and state["tax_rates"] is None
    fake.invoices["1"] = invoice("1")
    fake.calls.clear()

    later = make_source(fake, store, clock)
    assert later.prime_reference(state)
    [document] = all_documents(later)

    assert (fake.count("departments.list"), fake.count("taxRates.list")) == (0, 1)
    assert document.lines[0].tax_rate.description == "21%"
