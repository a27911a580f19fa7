"""The source's reference data: the rule file's department and its tax rates.

Read once per run (`departments.list`, `taxRates.list`), or kept across runs: `state` gives what a
run read, and a later run within the hour `prime`s itself with it and reads neither (the engine
keeps it in the client's reference cache). Kept rates that lack a rate a document names are read
again at once, so a rate added in Teamleader since is never taken for an unknown one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from connector.contract.errors import ConfigurationError
from connector.contract.records import TaxRate

from . import translate
from .client import TeamleaderClient


class DepartmentReference:
    def __init__(self, client: TeamleaderClient, wanted: str) -> None:
        self.client = client
        self.wanted = wanted  # source.department: an id or a name
        self._department: dict[str, Any] | None = None
        self._rates: dict[str, TaxRate] | None = None
        self._kept = False  # the rates were read by an earlier run (`prime`), not by this one
        self._read = False  # this run read something itself: worth keeping for the next

    def department(self) -> dict[str, Any]:
        """The rule file's department, found by id or else by name (exact, then ignoring case)."""
        if self._department is None:
            departments = [
                item for item in self.client.data("departments.list") or [] if isinstance(item, dict)
            ]
            found = [item for item in departments if self._names(item)]
            if not found:
                names = ", ".join(repr(item.get("name")) for item in departments) or "none"
                raise ConfigurationError(
                    f"Teamleader has no department {self.wanted!r}",
                    hint=f"set source.department to one of: {names} (or to its id)",
                )
            found.sort(key=self._names, reverse=True)  # the id first, then the exact name
            self._department, self._read = found[0], True
        return self._department

    def _names(self, item: Mapping[str, Any]) -> int:
        """How well `item` is what the rule file names: 3 its id, 2 its name, 1 its name in
        another case, 0 not at all."""
        if item.get("id") == self.wanted:
            return 3
        if item.get("name") == self.wanted:
            return 2
        return 1 if str(item.get("name") or "").casefold() == self.wanted.casefold() else 0

    @property
    def has_rates(self) -> bool:
        """The tax rates are at hand (read or kept): reading documents costs no call for them."""
        return self._rates is not None

    def rates(self, needed: Iterable[str] = ()) -> dict[str, TaxRate]:
        """The department's tax rates by id; read again when they were kept from an earlier run
        and lack one of the `needed` ids."""
        if self._rates is not None and self._kept and not set(needed) <= set(self._rates):
            self._rates, self._kept = None, False
        if self._rates is None:
            department_id = str(self.department()["id"])
            rates: dict[str, TaxRate] = {}
            for page in self.client.pages("taxRates.list", {"filter": {"department_id": department_id}}):
                for item in page:
                    rate = translate.tax_rate(item)
                    rates[rate.id] = rate
            self._rates, self._read = rates, True
        return self._rates

    def state(self) -> Mapping[str, Any] | None:
        """The department and its rates (None when no run read them yet) as JSON values, when this
        run read either itself; None when it read nothing."""
        if self._department is None or not self._read:
            return None
        rates = None
        if self._rates is not None:
            rates = [
                {"id": rate.id, "description": rate.description, "rate": str(rate.rate)}
                for rate in self._rates.values()
            ]
        return {"department": self._department, "tax_rates": rates}

    def prime(self, state: Mapping[str, Any]) -> bool:
        """Use what an earlier run read; False when `state` is not of this department, or not in a
        form this version reads."""
        try:
            department = dict(state["department"])
            kept = state["tax_rates"]
            rates = None
            if kept is not None:  # None: the run that kept them read no rates
                rates = {
                    str(item["id"]): TaxRate(
                        str(item["id"]), str(item["description"]), Decimal(str(item["rate"]))
                    )
                    for item in kept
                }
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return False
        if not self._names(department):
            return False
        self._department, self._rates, self._kept = department, rates, rates is not None
        return True
