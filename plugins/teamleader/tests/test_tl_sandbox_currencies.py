"""The simulated `currencies.exchangeRates` and the orientation documents' rates are written in
(notes §"Evidence 2026-12"; the orientation is UNVERIFIED, so both are tested)."""

from __future__ import annotations

from typing import Any

import pytest

from connector_teamleader.sandbox import TeamleaderSandbox


def test_exchange_rates_are_per_one_unit_of_the_base(api: Any) -> None:
    """Base EUR, USD 1.087: 1 EUR = 1.087 USD, as the portal documents it."""
    rates = {item["code"]: item for item in api.data("currencies.exchangeRates", {"base": "EUR"})}
    assert rates["USD"] == {"code": "USD", "symbol": "$", "name": "US Dollar", "exchange_rate": 1.087}
    assert "EUR" not in rates and len(rates) == 22
    per_usd = {
        item["code"]: item["exchange_rate"] for item in api.data("currencies.exchangeRates", {"base": "USD"})
    }
    assert per_usd["EUR"] == pytest.approx(1 / 1.087, rel=1e-5)


@pytest.mark.parametrize("body", [{}, {"base": "XYZ"}, {"base": "eur"}])
def test_a_base_outside_the_documented_list_is_refused(api: Any, body: dict[str, Any]) -> None:
    answer = api("currencies.exchangeRates", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["meta"]["field"] == "base"


def test_the_demo_usd_invoice_is_worth_0_92_eur_per_dollar(sandbox: TeamleaderSandbox) -> None:
    [usd] = [item for item in sandbox.invoices.values() if item.currency == "USD"]
    assert sandbox.invoice_info(usd.id)["currency_exchange_rate"] == {
        "from": "USD",
        "to": "EUR",
        "rate": 0.92,
    }


@pytest.mark.parametrize(
    ("orientation", "shown"), [("home_per_foreign", 0.92), ("foreign_per_home", 1.08696)]
)
def test_the_orientation_setting_decides_how_a_document_shows_its_rate(
    api: Any, sandbox: TeamleaderSandbox, orientation: str, shown: float
) -> None:
    settings = api.http.post("/_sandbox/settings", json={"rate_orientation": orientation}).json()
    assert settings["rate_orientation"] == orientation
    [usd] = [item for item in sandbox.invoices.values() if item.currency == "USD"]
    info = api.data("invoices.info", {"id": usd.id})
    assert info["currency_exchange_rate"] == {"from": "USD", "to": "EUR", "rate": shown}
    listed = api.data("invoices.list", {"filter": {"ids": [usd.id]}})
    assert listed[0]["currency_exchange_rate"]["rate"] == shown


@pytest.mark.parametrize("orientation", ["home_per_foreign", "foreign_per_home"])
def test_a_drafted_rate_reads_back_as_it_was_written(bare: TeamleaderSandbox, orientation: str) -> None:
    bare.store.market.set_orientation(orientation)
    written = 0.92 if orientation == "home_per_foreign" else 1.087
    invoice = bare.book_invoice(
        customer="Pied Piper BV", currency="USD", exchange_rate=written, lines=[{"price": 100, "tax": "21%"}]
    )
    assert bare.invoice_info(invoice.id)["currency_exchange_rate"]["rate"] == written


def test_without_a_rate_a_document_gets_todays_and_a_eur_one_gets_1(bare: TeamleaderSandbox) -> None:
    usd = bare.book_invoice(customer="Pied Piper BV", currency="USD", lines=[{"price": 100, "tax": "21%"}])
    eur = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100, "tax": "21%"}])
    assert bare.invoice_info(usd.id)["currency_exchange_rate"]["rate"] == pytest.approx(1 / 1.087, rel=1e-5)
    assert bare.invoice_info(eur.id)["currency_exchange_rate"] == {"from": "EUR", "to": "EUR", "rate": 1}


def test_bad_settings_are_refused_with_what_is_accepted(api: Any) -> None:
    answer = api.http.post("/_sandbox/settings", json={"rate_orientation": "usd_per_eur"})
    assert answer.status_code == 400 and "home_per_foreign" in answer.text
    answer = api.http.post("/_sandbox/settings", json={"exchange_rates": {"XYZ": 2}})
    assert answer.status_code == 400 and "XYZ" in answer.text


def test_todays_market_can_move(api: Any) -> None:
    api.http.post("/_sandbox/settings", json={"exchange_rates": {"USD": 1.3}})
    rates = {
        item["code"]: item["exchange_rate"] for item in api.data("currencies.exchangeRates", {"base": "EUR"})
    }
    assert rates["USD"] == 1.3
