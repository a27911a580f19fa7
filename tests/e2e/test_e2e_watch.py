"""Watch mode against the sandboxes: schedules on a test-driven clock, hot reload, several clients."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from connector.contract.plugins import Plugins
from connector.testing.e2e import World
from connector.watch.watcher import Watcher

TRIGGERS = {"triggers": {"documents": "every 15 minutes", "payments": "every 10 minutes"}}


class Clock:
    """The watcher's clock: it moves only when the test says so."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, minutes: float) -> None:
        self.moment += timedelta(minutes=minutes)


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def entries(world: World) -> list[dict[str, Any]]:
    division = world.sandboxes["exact_online"].state()["divisions"]["1234567"]  # type: ignore[attr-defined]
    return list(division["sales_entries"])


@pytest.fixture
def watching(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, Watcher, Clock, list[str]]]:
    world.write_rules(TRIGGERS)
    assert world.rules_path is not None
    clock, printed = Clock(), []
    for key, value in world.environment.items():
        monkeypatch.setenv(key, value)
    watcher = Watcher(world.rules_path, plugins=Plugins.load(), echo=printed.append, clock=clock.now)
    watcher.start()
    try:
        [worker] = watcher.workers.values()
        eventually(lambda: worker.runs >= 1)
        yield world, watcher, clock, printed
    finally:
        watcher.stop()


def test_an_invoice_booked_while_watching_is_in_exact_after_the_next_run(watching: Any) -> None:
    world, watcher, clock, _ = watching
    [worker] = watcher.workers.values()
    invoice = world.sandboxes["teamleader"].book_invoice(
        department="Acme BV",
        customer="Bakkerij Peeters BV",
        date="2026-11-27",
        lines=[{"description": "Brood", "quantity": 3, "unit_price": 4.5, "tax": "6%"}],
    )
    assert not [e for e in entries(world) if e["YourRef"] == invoice.invoice_number and e["Type"] == 20]
    runs = worker.runs
    clock.advance(9)
    time.sleep(0.5)
    assert worker.runs == runs, "no run before a trigger is due"
    clock.advance(6)
    eventually(lambda: worker.runs > runs)
    eventually(
        lambda: any(e["YourRef"] == invoice.invoice_number and e["Type"] == 20 for e in entries(world))
    )


def test_a_reconciled_receivable_is_paid_by_the_next_payments_run(watching: Any) -> None:
    world, _watcher, clock, _ = watching
    teamleader = world.sandboxes["teamleader"]
    booked = {e["YourRef"] for e in entries(world) if e["Type"] == 20}
    invoice_id = next(
        i
        for i in teamleader.invoices
        if (info := teamleader.invoice_info(i))["status"] == "outstanding"
        and info["invoice_number"] in booked
        and not info["payments"]
    )
    number = teamleader.invoice_info(invoice_id)["invoice_number"]
    world.sandboxes["exact_online"].reconcile(your_ref=number, journal="70", type=20, date="2026-11-27")
    clock.advance(10)
    eventually(lambda: teamleader.invoice_info(invoice_id)["paid"] is True)


def test_a_valid_edit_applies_from_the_next_run(watching: Any) -> None:
    world, watcher, clock, printed = watching
    [worker] = watcher.workers.values()
    started = time.monotonic()
    world.write_rules({**TRIGGERS, "vat": {"6%": {"code": "2", "revenue_account": "7020"}}})
    eventually(lambda: any(outcome == "applied" for _, outcome, _, _ in watcher.reloads), timeout=5)
    delay = time.monotonic() - started
    print(f"reload applied {delay:.2f} s after the save")
    assert delay < 2.0
    assert any(rule.key == "6%" and rule.revenue_account == "7020" for rule in worker.rules.vat)
    invoice = world.sandboxes["teamleader"].book_invoice(
        department="Acme BV",
        customer="Bakkerij Peeters BV",
        date="2026-11-27",
        lines=[{"description": "Brood", "quantity": 2, "unit_price": 10, "tax": "6%"}],
    )
    runs = worker.runs
    clock.advance(15)
    eventually(lambda: worker.runs > runs)
    eventually(lambda: any(e["YourRef"] == invoice.invoice_number for e in entries(world)))
    [entry] = [e for e in entries(world) if e["YourRef"] == invoice.invoice_number and e["Type"] == 20]
    assert {line["GLAccountCode"].strip() for line in entry["SalesEntryLines"]} == {"7020"}
    assert "reload applied" in "\n".join(printed)


def test_a_reload_keeps_the_schedule_of_every_trigger_it_did_not_change(watching: Any) -> None:
    """Changing the documents trigger must not move payments back to a full interval."""
    world, watcher, clock, _ = watching
    [worker] = watcher.workers.values()
    started = clock.now()
    clock.advance(1)
    world.write_rules({"triggers": {**TRIGGERS["triggers"], "documents": "every 20 minutes"}})
    eventually(lambda: any(outcome == "applied" for _, outcome, _, _ in watcher.reloads), timeout=5)
    assert worker.due["payments"] == started + timedelta(minutes=10), "payments keeps its place"
    assert worker.due["documents"] == started + timedelta(minutes=20), "documents from its last run"
    assert "payments in 9m00s" in watcher.status_line()


def watch_with(world: World, clock: Clock, triggers: dict[str, str], printed: list[str]) -> Watcher:
    world.write_rules({"triggers": triggers})
    assert world.rules_path is not None
    watcher = Watcher(world.rules_path, plugins=Plugins.load(), echo=printed.append, clock=clock.now)
    watcher.start()
    return watcher


@pytest.mark.parametrize("ran_before", [False, True], ids=["never-ran", "ran-before"])
def test_a_trigger_enabled_by_a_reload_follows_its_own_rule(
    world: World, monkeypatch: pytest.MonkeyPatch, ran_before: bool
) -> None:
    """`every` counts from the flow's last run: at once when it never ran, else when it is due."""
    for key, value in world.environment.items():
        monkeypatch.setenv(key, value)
    clock, printed = Clock(), []
    clock.moment = datetime.now(UTC).replace(microsecond=0)  # the run history is on the real clock
    if ran_before:
        world.write_rules()
        assert world.run("--only", "payments").returncode == 0
        last = datetime.now(UTC)
    watcher = watch_with(world, clock, {"documents": "every 15 minutes"}, printed)
    try:
        [worker] = watcher.workers.values()
        eventually(lambda: worker.runs >= 1)
        clock.moment = datetime.now(UTC).replace(microsecond=0)
        world.write_rules({"triggers": TRIGGERS["triggers"]})
        eventually(lambda: any(outcome == "applied" for _, outcome, _, _ in watcher.reloads), timeout=5)
        if not ran_before:
            eventually(lambda: worker.runs >= 2)  # without moving the clock
            assert "payments" in worker.last_started, "payments ran at once"
        else:
            due = worker.due["payments"]
            assert last - timedelta(seconds=30) < due - timedelta(minutes=10) <= last
            assert worker.runs == 1, "not before it is due"
    finally:
        watcher.stop()


def test_an_invalid_edit_is_rejected_with_its_line_and_syncing_goes_on(watching: Any) -> None:
    world, watcher, clock, printed = watching
    [worker] = watcher.workers.values()
    good = worker.rules.digest
    path: Path = world.rules_path
    text = path.read_text().replace("start_date: 2026-01-01", "start_date: 2026-02-30")
    started = time.monotonic()
    path.write_text(text)
    eventually(lambda: any(outcome == "rejected" for _, outcome, _, _ in watcher.reloads), timeout=5)
    print(f"reload rejected {time.monotonic() - started:.2f} s after the save")
    assert time.monotonic() - started < 2.0
    output = "\n".join(printed)
    assert f"{path}:" in output and ": sync.start_date: 2026-02-30 is not a real date" in output
    assert worker.rules.digest == good, "the last good rules keep running"
    runs = worker.runs
    clock.advance(15)
    eventually(lambda: worker.runs > runs)


def test_an_invalid_edit_is_reported_once_however_long_it_stays(watching: Any) -> None:
    """Reading the file makes file events of its own (opened, closed without writing): they must not
    read it again, or a rejected version is printed every few tenths of a second until it is fixed."""
    world, watcher, _, printed = watching
    path: Path = world.rules_path
    good = path.read_text()
    path.write_text(good.replace("every 15 minutes", "every 15 minuts"))
    eventually(lambda: any(outcome == "rejected" for _, outcome, _, _ in watcher.reloads), timeout=5)
    time.sleep(2.0)  # a loop re-read the file every 0.31 s: six times by now
    assert [outcome for _, outcome, _, _ in watcher.reloads] == ["rejected"]
    assert sum("not used; fix it and save again" in line for line in printed) == 1

    path.write_text(good.replace("every 15 minutes", "every 20 minutes"))
    eventually(lambda: [o for _, o, _, _ in watcher.reloads] == ["rejected", "applied"], timeout=5)


def test_a_folder_serves_every_client_and_a_broken_one_stops_no_other(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    yaml = YAML()
    base = world.write_rules(TRIGGERS)
    data = yaml.load(base.read_text())
    for name, start in (("alpha", "2026-01-01"), ("beta", "2027-01-01")):
        data["client"] = name
        data["sync"]["start_date"] = start
        with (folder / f"{name}.yaml").open("w") as handle:
            yaml.dump(data, handle)
    (folder / "broken.yaml").write_text("version: 1\nclient: broken\nsync: [oops\n")
    for name in ("alpha",):  # beta is never authorized: its runs fail, alpha's do not
        for side, plugin in (("source", "teamleader"), ("sink", "exact_online")):
            token = world.sandboxes[plugin].refresh_token()
            result = world.cli("auth", str(folder / f"{name}.yaml"), side, "--refresh-token", token)
            assert result.returncode == 0, result.stderr
    printed: list[str] = []
    for key, value in world.environment.items():
        monkeypatch.setenv(key, value)
    clock = Clock()
    watcher = Watcher(folder, plugins=Plugins.load(), echo=printed.append, clock=clock.now)
    watcher.start()
    try:
        assert sorted(w.client for w in watcher.workers.values()) == ["alpha", "beta"]
        eventually(lambda: all(w.runs >= 1 for w in watcher.workers.values()))
        output = "\n".join(printed)
        assert "broken.yaml:3:" in output
        assert "beta: run failed" in output and "connector auth" in output
        assert len(entries(world)) > 50, "alpha booked the demo documents"
        (folder / "gamma.yaml").write_text(
            (folder / "alpha.yaml").read_text().replace("client: alpha", "client: gamma")
        )
        eventually(lambda: any(w.client == "gamma" for w in watcher.workers.values()), timeout=5)
        (folder / "beta.yaml").unlink()
        eventually(lambda: all(w.client != "beta" for w in watcher.workers.values()), timeout=5)
    finally:
        watcher.stop()


def test_sigterm_finishes_cleanly_with_exit_0(world: World) -> None:
    world.write_rules(TRIGGERS)
    assert world.rules_path is not None
    import os
    import shutil
    import sys

    executable = shutil.which("connector") or str(Path(sys.executable).parent / "connector")
    process = subprocess.Popen(
        [executable, "run", str(world.rules_path), "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **world.environment},
        cwd=world.directory,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "run of documents, payments" in line:
            break
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert any("watching" in line for line in seen)


def test_a_booked_invoice_is_synced_moments_later_with_an_immediate_trigger(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks/acme-6f3d9a"
    world.write_rules(
        {
            **TRIGGERS,
            "triggers": {
                **TRIGGERS["triggers"],
                "immediate": {"public_url": url, "listen": f"127.0.0.1:{port}"},
            },
        }
    )
    assert world.rules_path is not None
    for key, value in world.environment.items():
        monkeypatch.setenv(key, value)
    printed: list[str] = []
    watcher = Watcher(world.rules_path, plugins=Plugins.load(), echo=printed.append, clock=Clock().now)
    watcher.start()
    try:
        [worker] = watcher.workers.values()
        eventually(lambda: worker.runs >= 1)
        assert any("moments after booking" in line for line in printed), printed
        invoice = world.sandboxes["teamleader"].book_invoice(
            department="Acme BV",
            customer="Bakkerij Peeters BV",
            date="2026-11-27",
            lines=[{"description": "Taart", "quantity": 1, "unit_price": 30, "tax": "6%"}],
        )
        eventually(
            lambda: any(e["YourRef"] == invoice.invoice_number and e["Type"] == 20 for e in entries(world))
        )
        assert world.sandboxes["teamleader"].store.webhooks.get(url), "registered while watching"
    finally:
        watcher.stop()
    assert not world.sandboxes["teamleader"].store.webhooks.get(url), "unregistered when watch mode stopped"
