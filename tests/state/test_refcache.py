"""The reference-data cache: a faithful JSON round trip, a time-to-live, one key per account."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.contract.codec import from_jsonable, to_jsonable
from connector.contract.records import TaxRate
from connector.contract.report import Outcome, RunReport
from connector.contract.services import (
    AccountInfo,
    JournalInfo,
    PaymentConditionInfo,
    ReferenceData,
    ServiceContext,
    Sink,
    VatCode,
)
from connector.state.refcache import ReferenceCache

REFERENCE = ReferenceData(
    vat_codes={"4": VatCode("4", "BTW 21%", "E", Decimal("0.21"))},
    journals={"70": JournalInfo("70", "Verkoopboek", 20)},
    accounts={"7000": AccountInfo("7000", "Omzet", 110, "guid-1")},
    payment_conditions={"30": PaymentConditionInfo("30", "30 dagen", 30, 0, Decimal("0.0"), "B")},
)


class CountingSink(Sink):
    name = "counting"

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options, ServiceContext("acme", "sink"))
        self.reads = 0

    def reference_data(self) -> ReferenceData:
        self.reads += 1
        return REFERENCE


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_reference_data_and_reports_survive_the_json_round_trip() -> None:
    assert from_jsonable(ReferenceData, to_jsonable(REFERENCE)) == REFERENCE
    rates = [TaxRate("t", "21%", Decimal("0.21"))]
    assert from_jsonable(list[TaxRate], to_jsonable(rates)) == rates
    report = RunReport(
        "acme", ("documents",), datetime(2026, 1, 1, tzinfo=UTC), counts={"documents.booked": 2}
    )
    report.outcomes.append(Outcome("invoice:1", "skipped", "why", None))
    assert from_jsonable(RunReport, report.to_dict()) == report


def test_a_second_read_within_the_ttl_comes_from_the_file_and_refresh_reads_again(tmp_path: Path) -> None:
    clock = Clock()
    cache = ReferenceCache.for_client(tmp_path, "acme", clock=clock)
    sink = CountingSink({"division": 1, "client_secret": "s3cret"})

    assert cache.sink_reference(sink) == REFERENCE
    again = ReferenceCache.for_client(tmp_path, "acme", clock=clock)  # another process
    assert again.sink_reference(sink) == REFERENCE
    assert sink.reads == 1 and again.fetched["sink"].cached
    assert again.sink_reference(sink, refresh=True) == REFERENCE
    assert sink.reads == 2

    clock.now += timedelta(hours=1, seconds=1)
    ReferenceCache.for_client(tmp_path, "acme", clock=clock).sink_reference(sink)
    assert sink.reads == 3

    path = tmp_path / "acme.reference.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cret" not in path.read_text()


def test_another_division_is_read_again(tmp_path: Path) -> None:
    cache = ReferenceCache.for_client(tmp_path, "acme")
    first, second = CountingSink({"division": 1}), CountingSink({"division": 2})
    cache.sink_reference(first)
    cache.sink_reference(second)
    assert (first.reads, second.reads) == (1, 1)


def test_an_unreadable_cache_file_is_read_again_from_the_service(tmp_path: Path) -> None:
    (tmp_path / "acme.reference.json").write_text("{not json")
    sink = CountingSink({"division": 1})
    assert ReferenceCache.for_client(tmp_path, "acme").sink_reference(sink) == REFERENCE
    assert sink.reads == 1
