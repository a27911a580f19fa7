"""The Exact Online sink passes connector's conformance suite for sinks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from connector.contract.records import Customer, EntryLine, JournalEntry
from connector.contract.services import ServiceContext, Sink
from connector.testing.contract import SinkContract
from connector_exact.sandbox import start_sandbox
from connector_exact.sink import ExactOnlineSink


class TestExactOnlineSinkContract(SinkContract):
    @pytest.fixture
    def sink(self) -> Iterator[ExactOnlineSink]:  # type: ignore[override]
        server = start_sandbox(seed=True, port=0)
        env = server.environment
        options = {
            "division": int(env["EXACT_DIVISION"]),
            "client_id": env["EXACT_CLIENT_ID"],
            "client_secret": env["EXACT_CLIENT_SECRET"],
            "base_url": env["EXACT_BASE_URL"],
        }
        sink = ExactOnlineSink(options, ServiceContext("acme", "sink", clock=server.clock.now))
        sink.authorize(refresh_token=server.refresh_token())
        yield sink
        sink.close()
        server.stop()

    def entry(self, sink: Sink, your_ref: str) -> JournalEntry:
        customer = sink.find_customer(
            Customer("c", "company", "x", vat_number="BE0477472701"), ["vat_number"]
        )
        assert customer is not None
        line = EntryLine("7000", "4", Decimal("100.00"), Decimal("21.00"), "Consultancy")
        return JournalEntry(
            f"invoice:{your_ref}",
            "invoice",
            "70",
            your_ref,
            customer,
            date(2026, 3, 1),
            your_ref,
            "EUR",
            "30",
            (line,),
        )
