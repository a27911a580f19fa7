"""Cost centres and cost units in the sandbox as Exact has them: listed under hrm/, codes on entry lines."""

from __future__ import annotations

import httpx

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import error_text, gl, results, sales_entry


def _lines(api: httpx.Client, entry: dict) -> list[dict]:
    return results(httpx.get(entry["SalesEntryLines"]["__deferred"]["uri"], headers=api.headers))


def test_cost_centres_and_units_are_listed_with_their_fields(api: httpx.Client) -> None:
    centers = results(api.get("hrm/Costcenters", params={"$select": "Code,Description,Active"}))
    units = results(api.get("hrm/Costunits", params={"$select": "Code,Description"}))
    assert {"Code": "100", "Description": "Verkoop", "Active": True} in [
        {k: c[k] for k in ("Code", "Description", "Active")} for c in centers
    ]
    assert any(c["Code"] == "900" and c["Active"] is False for c in centers)
    assert {u["Code"] for u in units} == {"P01", "P02", "P03"}
    assert "Active" not in results(api.get("hrm/Costunits"))[0], "a cost unit has no Active flag"


def test_a_line_keeps_its_cost_centre_and_unit_with_their_descriptions(api: httpx.Client) -> None:
    line = {
        "GLAccount": gl(api, "7000"),
        "AmountFC": 10,
        "VATCode": "4",
        "CostCenter": "200",
        "CostUnit": "P02",
    }
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, SalesEntryLines=[line]))
    assert response.status_code == 201, response.text
    [booked] = _lines(api, response.json()["d"])
    assert (booked["CostCenter"], booked["CostCenterDescription"]) == ("200", "Opleidingen")
    assert (booked["CostUnit"], booked["CostUnitDescription"]) == ("P02", "Boeken")


def test_unknown_cost_centre_and_unit_are_invalid_references(api: httpx.Client) -> None:
    line = {
        "GLAccount": gl(api, "7000"),
        "AmountFC": 10,
        "VATCode": "4",
        "CostCenter": "999",
        "CostUnit": "X",
    }
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, SalesEntryLines=[line]))
    assert response.status_code == 500
    assert error_text(response).split("\r\n") == [
        "Ongeldige referentie: Kostenplaats",
        "Ongeldige referentie: Kostendrager",
    ]


def test_a_line_without_codes_has_none(api: httpx.Client) -> None:
    line = {"GLAccount": gl(api, "7000"), "AmountFC": 10, "VATCode": "4"}
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, SalesEntryLines=[line]))
    [booked] = _lines(api, response.json()["d"])
    assert (booked["CostCenter"], booked["CostUnit"]) == (None, None)


def test_an_account_that_wants_a_cost_centre_and_unit_refuses_a_line_without_them(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    account = sandbox.ledger().division.find("gl_accounts", Code="7010")
    assert account is not None
    account.update(UseCostcenter=1, UseCostunit=1)  # 1: mandatory (notes §6.2, §6.7)
    without = {"GLAccount": gl(api, "7010"), "AmountFC": 10, "VATCode": "2"}
    refused = api.post("salesentry/SalesEntries", json=sales_entry(api, SalesEntryLines=[without]))
    assert refused.status_code == 500
    assert error_text(refused).split("\r\n") == ["Verplicht: Kostenplaats", "Verplicht: Kostendrager"]
    given = {**without, "CostCenter": "100", "CostUnit": "P01"}
    assert (
        api.post("salesentry/SalesEntries", json=sales_entry(api, SalesEntryLines=[given])).status_code == 201
    )
