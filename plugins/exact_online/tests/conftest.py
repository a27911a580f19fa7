"""Fixtures of the Exact Online plugin tests: a running sandbox and an authorized API client, and for
the sink's unit tests a `FakeExact` (MockTransport) answering the reference data, on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_client, make_sandbox
from connector_exact.sink import ExactOnlineSink
from connector_exact.testing import FakeClock, FakeExact, build_sink, page

GL_7000 = "0d9b6d1f-59c5-4a48-8bda-111111117000"
GL_7080 = "0d9b6d1f-59c5-4a48-8bda-111111117080"


@pytest.fixture
def sandbox() -> Iterator[ExactSandbox]:
    server = make_sandbox()
    yield server
    server.stop()


@pytest.fixture
def api(sandbox: ExactSandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def exact(clock: FakeClock) -> FakeExact:
    fake = FakeExact(clock)
    fake.on(
        "GET",
        "vat/VATCodes",
        page(
            [
                {"Code": "4  ", "Description": "BTW 21%", "Type": "E", "Percentage": 0.21},
                {"Code": "2  ", "Description": "BTW 6%", "Type": "E", "Percentage": 0.06},
                {"Code": "5  ", "Description": "BTW 21% incl.", "Type": "I", "Percentage": 0.21},
            ]
        ),
    )
    fake.on("GET", "financial/Journals", page([{"Code": "70", "Description": "Verkoopboek", "Type": 20}]))
    fake.on(
        "GET",
        "financial/GLAccounts",
        page(
            [
                {"ID": GL_7000, "Code": "7000", "Description": "Omzet", "Type": 110},
                {"ID": GL_7080, "Code": "7080", "Description": "Kortingen", "Type": 110},
            ]
        ),
    )
    fake.on(
        "GET",
        "cashflow/PaymentConditions",
        page(
            [
                {
                    "Code": "30",
                    "Description": "30 dagen",
                    "PaymentDays": 30,
                    "PaymentEndOfMonths": 0,
                    "DiscountPercentage": 0.0,
                    "PaymentMethod": "B",
                }
            ]
        ),
    )
    fake.on(
        "GET",
        "hrm/Costcenters",
        page(
            [
                {"Code": "100", "Description": "Verkoop", "Active": True},
                {"Code": "900", "Description": "Oud", "Active": False},
            ]
        ),
    )
    fake.on("GET", "hrm/Costunits", page([{"Code": "P01", "Description": "Consultancy"}]))
    return fake


@pytest.fixture
def sink(exact: FakeExact, clock: FakeClock) -> ExactOnlineSink:
    return build_sink(exact, clock)
