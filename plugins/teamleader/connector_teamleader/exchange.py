"""Which way a document's `currency_exchange_rate.rate` runs: decided per document, never guessed.

Teamleader does not document it (notes §"Evidence 2026-12"): the help centre says the rate "is
always from the foreign currency to your own default currency" (1 USD = 0.92 EUR), the spec's own
example reads the other way (USD→EUR 1.1234: 1 EUR = 1.1234 USD). The core wants home currency per
unit of the document's (`connector.contract.records`). So, with `source.exchange_rate: detect` (the
default), each document's rate is compared with `currencies.exchangeRates`, whose direction is
documented (base EUR, USD 1.1238: 1 EUR = 1.1238 USD) but which gives today's rates only:

- within `TOLERANCE` of today's home-per-foreign rate: taken as it is;
- within `TOLERANCE` of today's foreign-per-home rate: inverted;
- neither, both (a rate near 1), or no reference to compare with: the document is not booked
  (`Document.failure`), with both numbers and the fix: pin the orientation in the rule file.

`home_per_foreign` or `foreign_per_home` pins it once a consultant has checked one invoice in
Teamleader's screens; then no reference is read, and `connector check` still warns about documents
whose rate is more than `TOLERANCE` off today's in the pinned orientation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from connector.contract.errors import ApiError, Paused, RetriableError
from connector.contract.records import Document, Failure
from connector.contract.services import CheckNote

from .translate import number, text

Setting = Literal["detect", "home_per_foreign", "foreign_per_home"]
Orientation = Literal["home_per_foreign", "foreign_per_home"]
SETTINGS: tuple[Setting, ...] = ("detect", "home_per_foreign", "foreign_per_home")
TOLERANCE = Decimal("0.05")
"""How far a document's rate may be from today's and still be recognised: the reference has no
date, so an older invoice's rate differs by however much the market moved since."""
DIGITS = 10
"""Significant digits kept of an inverted rate: far below a cent on any invoice."""
OPTION = "exchange_rate"


def invert(rate: Decimal) -> Decimal:
    value = Decimal(1) / rate
    return value.quantize(Decimal(1).scaleb(value.adjusted() - DIGITS + 1)).normalize()


def close(value: Decimal, reference: Decimal) -> bool:
    return abs(value / reference - 1) <= TOLERANCE


def off(value: Decimal, reference: Decimal) -> str:
    """How far `value` is from `reference`, as a percentage for messages."""
    return f"{(value / reference - 1) * 100:+.1f}%"


def shown(rate: Decimal) -> str:
    """A rate for a message, to six significant digits."""
    return f"{rate.quantize(Decimal(1).scaleb(rate.adjusted() - 5)).normalize():f}"


class ReferenceRates:
    """Today's rates from `currencies.exchangeRates`, read once per base currency per run."""

    def __init__(self, read: Callable[[str], Any]) -> None:
        self._read = read  # read(base) -> the answer's `data`
        self._by_base: dict[str, dict[str, Decimal] | str] = {}

    def foreign_per_home(self, home: str, foreign: str) -> Decimal | str:
        """1 `home` = this many `foreign` today; or why that cannot be read."""
        if home not in self._by_base:
            self._by_base[home] = self._load(home)
        rates = self._by_base[home]
        if isinstance(rates, str):
            return rates
        found = rates.get(foreign)
        if found is None:
            return f"Teamleader's currencies.exchangeRates for base {home} lists no {foreign}"
        return found

    def _load(self, base: str) -> dict[str, Decimal] | str:
        try:
            data = self._read(base)
        except Paused:
            raise
        except (ApiError, RetriableError) as error:
            return f"Teamleader's currencies.exchangeRates for base {base} could not be read: {error.message}"
        rates: dict[str, Decimal] = {}
        for item in data if isinstance(data, list) else []:
            code, rate = text(item.get("code")) if isinstance(item, Mapping) else None, None
            if code is not None:
                rate = number(item.get("exchange_rate"))
            if code is not None and rate is not None and rate > 0:
                rates[code] = rate
        return rates


@dataclass(frozen=True)
class Reading:
    """A foreign-currency document's rate against today's reference."""

    currency: str
    home: str
    rate: Decimal  # as Teamleader wrote it
    foreign_per_home: Decimal | None  # today's: 1 home = this many foreign
    unreadable: str | None = None

    @property
    def home_per_foreign(self) -> Decimal | None:
        return invert(self.foreign_per_home) if self.foreign_per_home else None

    @property
    def fits(self) -> tuple[Orientation, ...]:
        """The orientations the rate is within `TOLERANCE` of today's in."""
        if self.foreign_per_home is None or self.home_per_foreign is None:
            return ()
        found: list[Orientation] = []
        if close(self.rate, self.home_per_foreign):
            found.append("home_per_foreign")
        if close(self.rate, self.foreign_per_home):
            found.append("foreign_per_home")
        return tuple(found)

    def today(self) -> str:
        assert self.foreign_per_home is not None and self.home_per_foreign is not None
        return (
            f"today 1 {self.currency} = {shown(self.home_per_foreign)} {self.home} "
            f"and 1 {self.home} = {shown(self.foreign_per_home)} {self.currency}"
        )

    def wrong_in(self, orientation: Orientation) -> str | None:
        """Why the rate read in `orientation` is more than `TOLERANCE` off today's; None if it is not."""
        if self.foreign_per_home is None or self.home_per_foreign is None:
            return None
        reference = self.home_per_foreign if orientation == "home_per_foreign" else self.foreign_per_home
        if close(self.rate, reference):
            return None
        return f"{self.said()} is {off(self.rate, reference)} off today's {shown(reference)} as {orientation}"

    def said(self) -> str:
        return f"Teamleader's exchange rate {self.currency}→{self.home} {shown(self.rate)}"


def reading(data: Mapping[str, Any], home: str, reference: ReferenceRates | None) -> Reading | None:
    """The rate of a document (`.info` or `.list` item) in another currency than `home`, or None."""
    exchange = data.get("currency_exchange_rate")
    if not isinstance(exchange, Mapping):
        return None
    currency = text(exchange.get("from")) or text(data.get("currency"))
    home = text(exchange.get("to")) or home
    rate = number(exchange.get("rate"))
    if currency is None or currency == home or rate is None or rate <= 0:
        return None
    if reference is None:
        return Reading(currency, home, rate, None)
    found = reference.foreign_per_home(home, currency)
    if isinstance(found, str):
        return Reading(currency, home, rate, None, unreadable=found)
    return Reading(currency, home, rate, found)


def fix(rules_file: str = "the rule file") -> str:
    return (
        "open this invoice in Teamleader and see which way its rate runs; then set "
        f"source.{OPTION}: home_per_foreign (it says 1 USD = 0.92 EUR) or foreign_per_home "
        f"(1 EUR = 1.087 USD) in {rules_file}, or correct the invoice's rate in Teamleader"
    )


def orient(document: Document, found: Reading | None, setting: Setting) -> Document:
    """`document` with its rate as home currency per unit of its own, or with a `failure`."""
    if found is None:
        return document
    if setting == "home_per_foreign":
        return document
    if setting == "foreign_per_home":
        return dataclasses.replace(document, exchange_rate=invert(found.rate))
    if found.unreadable is not None:
        message = f"{found.said()} cannot be checked: {found.unreadable}"
        return dataclasses.replace(document, failure=Failure(message, fix()))
    fits = found.fits
    if fits == ("home_per_foreign",):
        return dataclasses.replace(document, exchange_rate=found.rate)
    if fits == ("foreign_per_home",):
        return dataclasses.replace(document, exchange_rate=invert(found.rate))
    why = "fits both orientations" if fits else f"is more than {TOLERANCE:.0%} off both orientations"
    message = f"{found.said()} {why}: {found.today()}; it is not booked until its orientation is known"
    return dataclasses.replace(document, failure=Failure(message, fix()))


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def check_notes(found: list[tuple[str, Reading]], setting: Setting, seen: int) -> list[CheckNote]:
    """`connector check`'s notes on the rates of recent invoices (number, reading) among `seen`."""
    if not found:
        return [
            CheckNote(
                "info",
                OPTION,
                f"none of the {plural(seen, 'latest booked invoice')} is in another currency: which way "
                "Teamleader's exchange rates run cannot be seen yet",
                "run check again once a foreign-currency invoice is booked",
            )
        ]
    unreadable = next((r.unreadable for _, r in found if r.unreadable), None)
    if unreadable is not None:
        consequence = (
            "with exchange_rate: detect they are not booked; " + fix()
            if setting == "detect"
            else f"the pinned orientation ({setting}) cannot be compared with today's rates"
        )
        return [
            CheckNote(
                "warning",
                OPTION,
                f"{plural(len(found), 'recent foreign-currency invoice')}, but no rate to compare with: "
                f"{unreadable}",
                consequence,
            )
        ]
    groups: dict[str, list[tuple[str, Reading]]] = {
        "home_per_foreign": [],
        "foreign_per_home": [],
        "neither orientation": [],
        "both orientations": [],
    }
    for item in found:
        fits = item[1].fits
        key = fits[0] if len(fits) == 1 else "both orientations" if fits else "neither orientation"
        groups[key].append(item)
    summary = ", ".join(f"{len(items)} {name}" for name, items in groups.items() if items)
    number, first = found[0]
    notes = [
        CheckNote(
            "info",
            OPTION,
            f"the rates of the {plural(len(found), 'foreign-currency invoice')} among the latest {seen} "
            f"booked read as: {summary} (latest: {number}, {first.said()}; {first.today()})",
        )
    ]
    if setting == "detect":
        unclear = groups["neither orientation"] + groups["both orientations"]
        if unclear:
            listed = ", ".join(f"{n} ({r.said()})" for n, r in unclear[:3])
            notes.append(
                CheckNote(
                    "warning",
                    OPTION,
                    f"{plural(len(unclear), 'invoice')} would not be booked, the rate fitting no single "
                    f"orientation within {TOLERANCE:.0%} of today's: {listed}",
                    fix(),
                )
            )
        if groups["home_per_foreign"] and groups["foreign_per_home"]:
            notes.append(
                CheckNote(
                    "warning",
                    OPTION,
                    "recent invoices disagree on which way their rates run: "
                    f"{groups['home_per_foreign'][0][0]} reads as home_per_foreign, "
                    f"{groups['foreign_per_home'][0][0]} as foreign_per_home",
                    "check both in Teamleader before booking more foreign-currency invoices",
                )
            )
        return notes
    wrong = [(n, why) for n, r in found if (why := r.wrong_in(setting)) is not None]
    if wrong:
        n, why = wrong[0]
        notes.append(
            CheckNote(
                "warning",
                OPTION,
                f"{OPTION} is pinned to {setting}, but {plural(len(wrong), 'recent invoice')} "
                f"{'is' if len(wrong) == 1 else 'are'} more than {TOLERANCE:.0%} off today's rate read "
                f"that way ({n}: {why})",
                "open that invoice in Teamleader; if its rate runs the other way, change "
                f"source.{OPTION} before the next run",
            )
        )
    return notes
