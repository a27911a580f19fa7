"""Exchange rates: `currencies.exchangeRates`, and the orientation documents' rates are written in.

`currencies.exchangeRates` (notes §"Evidence 2026-12", from the developer portal): ``POST {"base":
"EUR"}``, `base` required and one of the 23 documented currencies, answers ``{"data": [{"code",
"symbol", "name", "exchange_rate"}]}``, "the exchange rate from the provided base currency to the
listed currency": base EUR, USD 1.087 means 1 EUR = 1.087 USD. Today's rates only (no date).

The rates below are invented but realistic (late 2026: 1 USD ≈ 0.92 EUR); a test changes them with
the `exchange_rates` setting to play a market that moved.

A document's `currency_exchange_rate {from, to, rate}` (from = the document's currency, to = the
department's) has no documented direction: the help centre says it "is always from the foreign
currency to your own default currency" (1 USD = 0.92 EUR: `home_per_foreign`), the spec's example
(USD→EUR 1.1234) reads as 1 EUR = 1.1234 USD (`foreign_per_home`). UNVERIFIED either way, so it is
the `rate_orientation` setting, and tests run both. Documents keep their rate as home currency per
unit of theirs; the setting only decides how `invoices.draft` reads `currency.exchange_rate` and how
documents show `currency_exchange_rate.rate`, so changing it later re-reads every document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from connector.testing.sandbox import Response

from .common import ApiError, number

Orientation = Literal["home_per_foreign", "foreign_per_home"]
ORIENTATIONS: tuple[Orientation, ...] = ("home_per_foreign", "foreign_per_home")
DEFAULT_ORIENTATION: Orientation = "home_per_foreign"
"""The help centre's reading; which one the real API uses is UNVERIFIED (see the module docstring)."""
DIGITS = 6
"""Rates are shown to six significant digits (the documentation's examples have five)."""

CURRENCIES: dict[str, tuple[str, str]] = {  # code: (symbol, name); the documented base list
    "BAM": ("KM", "Bosnia-Herzegovina Convertible Mark"),
    "CAD": ("$", "Canadian Dollar"),
    "CHF": ("CHF", "Swiss Franc"),
    "CLP": ("$", "Chilean Peso"),
    "CNY": ("¥", "Chinese Yuan"),
    "COP": ("$", "Colombian Peso"),
    "CZK": ("Kč", "Czech Koruna"),
    "DKK": ("kr", "Danish Krone"),
    "EUR": ("€", "Euro"),
    "GBP": ("£", "British Pound"),
    "INR": ("₹", "Indian Rupee"),
    "ISK": ("kr", "Icelandic Króna"),
    "JPY": ("¥", "Japanese Yen"),
    "MAD": ("DH", "Moroccan Dirham"),
    "MXN": ("$", "Mexican Peso"),
    "NOK": ("kr", "Norwegian Krone"),
    "PEN": ("S/", "Peruvian Sol"),
    "PLN": ("zł", "Polish Zloty"),
    "RON": ("lei", "Romanian Leu"),
    "SEK": ("kr", "Swedish Krona"),
    "TRY": ("₺", "Turkish Lira"),
    "USD": ("$", "US Dollar"),
    "ZAR": ("R", "South African Rand"),
}

EUR_RATES: dict[str, Decimal] = {  # 1 EUR = this many units (invented, realistic)
    code: Decimal(value)
    for code, value in {
        "BAM": "1.9558",
        "CAD": "1.5020",
        "CHF": "0.9390",
        "CLP": "1021.50",
        "CNY": "7.8400",
        "COP": "4480.00",
        "CZK": "25.180",
        "DKK": "7.4600",
        "EUR": "1",
        "GBP": "0.8520",
        "INR": "92.450",
        "ISK": "150.10",
        "JPY": "165.30",
        "MAD": "10.820",
        "MXN": "20.480",
        "NOK": "11.690",
        "PEN": "4.0900",
        "PLN": "4.2500",
        "RON": "4.9800",
        "SEK": "11.310",
        "TRY": "38.100",
        "USD": "1.0870",
        "ZAR": "19.950",
    }.items()
}


class Market:
    """Today's market and the orientation documents are written in."""

    def __init__(self) -> None:
        self.eur: dict[str, Decimal] = dict(EUR_RATES)
        self.orientation: Orientation = DEFAULT_ORIENTATION

    def per_base(self, base: str, code: str) -> Decimal:
        """1 `base` = this many `code`."""
        return self.eur[code] / self.eur[base]

    def home_per_foreign(self, foreign: str, home: str) -> Decimal:
        """Today's rate of a document in `foreign` booked by a department in `home`."""
        return Decimal(1) if foreign == home else self.per_base(foreign, home)

    def read(self, given: Decimal) -> Decimal:
        """`invoices.draft`'s `currency.exchange_rate`, as home currency per unit of the document's."""
        return given if self.orientation == "home_per_foreign" else Decimal(1) / given

    def show(self, home_per_foreign: Decimal) -> Decimal:
        """A document's rate as `currency_exchange_rate.rate` shows it, in the configured orientation."""
        value = home_per_foreign if self.orientation == "home_per_foreign" else Decimal(1) / home_per_foreign
        return significant(value)

    def set_orientation(self, value: Any) -> None:
        if value not in ORIENTATIONS:
            raise ApiError(400, f"rate_orientation must be one of {', '.join(ORIENTATIONS)}")
        self.orientation = value

    def set_eur_rates(self, value: Any) -> None:
        """Change today's market: {"USD": 1.2} means 1 EUR = 1.2 USD from now on."""
        if not isinstance(value, dict):
            raise ApiError(400, "exchange_rates must be an object of currency code -> units per EUR")
        for code, rate in value.items():
            if code not in CURRENCIES or code == "EUR":
                raise ApiError(400, f"exchange_rates: {code!r} is not a documented currency other than EUR")
            parsed = Decimal(str(rate))
            if not parsed.is_finite() or parsed <= 0:
                raise ApiError(400, f"exchange_rates: {code} must be a positive number")
            self.eur[code] = parsed


def exchange_rates(market: Market, body: dict[str, Any]) -> Response:
    """`currencies.exchangeRates`: every other documented currency, per one unit of `base`."""
    base = body.get("base")
    if base is None:
        raise ApiError(400, "base is required", field="base")
    if base not in CURRENCIES:
        raise ApiError(400, f"base must be one of {', '.join(CURRENCIES)}", field="base")
    data = [
        {
            "code": code,
            "symbol": symbol,
            "name": name,
            "exchange_rate": number(significant(market.per_base(base, code))),
        }
        for code, (symbol, name) in CURRENCIES.items()
        if code != base
    ]
    return Response.json({"data": data})


def significant(value: Decimal) -> Decimal:
    """`value` to `DIGITS` significant digits, without trailing zeros (1.0869565 -> 1.08696)."""
    return value.quantize(Decimal(1).scaleb(value.adjusted() - DIGITS + 1)).normalize()
