"""OData conventions of the simulated REST API: envelopes, paging, $select, $filter, errors, divisions."""

from __future__ import annotations

import httpx
import pytest

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_exact.sandbox.query import SELECT_REQUIRED
from connector_exact.sandbox.schema import ENDPOINTS
from connector_exact.sandbox.testing import customer, error_text, results, sales_entry


def test_me_is_a_collection_without_division(sandbox: ExactSandbox, api: httpx.Client) -> None:
    response = httpx.get(f"{sandbox.url}/api/v1/current/Me", headers=api.headers)
    me = results(response)[0]
    assert me["CurrentDivision"] == DIVISION and me["FullName"]
    assert me["__metadata"]["type"] == "Exact.Web.Api.Models.Me"


def test_system_users_with_a_division_is_not_implemented(api: httpx.Client) -> None:
    assert api.get("system/Users").status_code == 501


def test_unknown_division_is_forbidden_with_reason(sandbox: ExactSandbox, api: httpx.Client) -> None:
    response = httpx.get(f"{sandbox.url}/api/v1/999/vat/VATCodes", headers=api.headers)
    assert response.status_code == 403
    assert response.headers["Reason"] == "NoDivisionAccess"


def test_accounts_without_filter_gives_the_mandatory_filter_text(api: httpx.Client) -> None:
    response = api.get("crm/Accounts", params={"$select": "ID,Name"})
    assert response.status_code == 400
    text = error_text(response)
    assert text == ENDPOINTS["crm/accounts"].mandatory_filter_message
    assert text.startswith(
        "This endpoint has mandatory filtering applied. A GET request for this endpoint must have a $filter "
        "parameter with one of the following fields in the url:Accountant,AccountManager,AddressLine1,"
    )
    assert text.endswith(",Status,Type,VATNumber.")


def test_filtering_on_an_unsupported_field_names_it(api: httpx.Client) -> None:
    response = api.get("crm/Accounts", params={"$filter": "Website eq 'x' and Name eq 'y'"})
    assert response.status_code == 400
    assert error_text(response) == "Filtering on these fields is not supported: Website"


def test_a_filter_with_a_syntax_error_is_refused(api: httpx.Client) -> None:
    response = api.get("vat/VATCodes", params={"$filter": "Code eq '4"})
    assert response.status_code == 400 and error_text(response) == "Error in query syntax"


def test_an_int64_literal_without_l_suffix_is_a_syntax_error(api: httpx.Client) -> None:
    """Timestamps are beyond Int32, so a client that forgets the L suffix trips at once."""
    response = api.get("sync/CRM/Accounts", params={"$filter": "Timestamp gt 4294967296", "$select": "ID"})
    assert response.status_code == 400
    assert api.get(
        "sync/CRM/Accounts", params={"$filter": "Timestamp gt 4294967296L", "$select": "ID"}
    ).is_success


def test_bulk_and_sync_need_a_select(api: httpx.Client) -> None:
    for path, params in (
        ("bulk/Cashflow/Receivables", {}),
        ("sync/Cashflow/PaymentTerms", {"$filter": "Timestamp gt 1L"}),
    ):
        response = api.get(path, params=params)
        assert response.status_code == 400
        assert (
            error_text(response)
            == SELECT_REQUIRED
            == "Please add a $select or a $top=1 statement to the query string."
        )


def test_sync_filters_only_on_timestamp(api: httpx.Client) -> None:
    response = api.get("sync/CRM/Accounts", params={"$filter": "Name eq 'x'", "$select": "ID"})
    assert response.status_code == 400
    assert error_text(response) == "Filtering on these fields is not supported: Name"


def test_paging_60_rows_with_next_echoing_select_and_filter(sandbox: ExactSandbox, api: httpx.Client) -> None:
    for number in range(130):
        sandbox.add_account({"Name": f"Klant {number}", "City": "Leuven"})
    params = {"$filter": "City eq 'Leuven'", "$select": "ID,Code,Name"}
    first = api.get("crm/Accounts", params=params).json()["d"]
    assert len(first["results"]) == 60
    nxt = first["__next"]
    assert nxt.startswith(f"{sandbox.url}/api/v1/{DIVISION}/crm/Accounts?")
    assert (
        "$select=ID,Code,Name" in nxt and "$filter=City%20eq%20'Leuven'" in nxt and "$skiptoken=guid'" in nxt
    )
    seen = [row["ID"] for row in first["results"]]
    pages = 1
    while nxt:
        page = httpx.get(nxt, headers=api.headers).json()["d"]
        assert set(page["results"][0]) == {"__metadata", "ID", "Code", "Name"}
        seen += [row["ID"] for row in page["results"]]
        nxt = page.get("__next")
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 130


def test_top_limits_the_rows(api: httpx.Client) -> None:
    assert len(results(api.get("financial/GLAccounts", params={"$top": 3}))) == 3


def test_bulk_pages_hold_1000_rows(sandbox: ExactSandbox, api: httpx.Client) -> None:
    for number in range(1001):
        sandbox.add_account({"Name": f"Klant {number}"})
    first = api.get("bulk/CRM/Accounts", params={"$select": "ID", "$filter": "Status eq 'A'"}).json()["d"]
    assert len(first["results"]) == 1000
    rest = httpx.get(first["__next"], headers=api.headers).json()["d"]
    assert len(rest["results"]) == 1 and "__next" not in rest


def test_sync_pages_hold_1000_rows_in_timestamp_order(sandbox: ExactSandbox, api: httpx.Client) -> None:
    for number in range(1001):
        sandbox.add_account({"Name": f"Klant {number}"})
    params = {"$select": "ID,Timestamp", "$filter": "Timestamp gt 1L"}
    first = api.get("sync/CRM/Accounts", params=params).json()["d"]
    stamps = [row["Timestamp"] for row in first["results"]]
    assert len(stamps) == 1000 and stamps == sorted(stamps)
    assert "$skiptoken=" in first["__next"] and first["__next"].endswith("L")
    rest = httpx.get(first["__next"], headers=api.headers).json()["d"]
    assert len(rest["results"]) == 1005 - 1000 and rest["results"][0]["Timestamp"] > stamps[-1]


def test_entities_carry_metadata_and_deferred_navigation(api: httpx.Client) -> None:
    created = api.post("salesentry/SalesEntries", json=sales_entry(api))
    assert created.status_code == 201
    entry = created.json()["d"]
    uri = entry["__metadata"]["uri"]
    assert uri.endswith(f"/salesentry/SalesEntries(guid'{entry['EntryID']}')")
    assert entry["__metadata"]["type"] == "Exact.Web.Api.Models.SalesEntry"
    deferred = entry["SalesEntryLines"]["__deferred"]["uri"]
    assert deferred == f"{uri}/SalesEntryLines"
    lines = httpx.get(deferred, headers=api.headers).json()["d"]["results"]
    assert len(lines) == 1 and lines[0]["AmountFC"] == 100.0
    by_key = api.get(f"salesentry/SalesEntries(guid'{entry['EntryID']}')").json()["d"]
    assert by_key["EntryNumber"] == entry["EntryNumber"]
    expanded = results(
        api.get(
            "salesentry/SalesEntries",
            params={"$expand": "SalesEntryLines", "$select": "EntryID,SalesEntryLines"},
        )
    )
    assert expanded[0]["SalesEntryLines"]["results"][0]["VATAmountFC"] == 21.0


def test_dates_come_out_as_date_ms(api: httpx.Client) -> None:
    entry = api.post(
        "salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-01-17T00:00:00Z")
    ).json()["d"]
    assert entry["EntryDate"] == "/Date(1768608000000)/"


def test_unknown_key_is_404_and_bad_key_is_400(api: httpx.Client) -> None:
    assert api.get("crm/Accounts(guid'00000000-0000-0000-0000-000000000000')").status_code == 404
    assert api.get("crm/Accounts('abc')").status_code == 400


def test_count_and_inlinecount(api: httpx.Client) -> None:
    assert api.get("financial/Journals/$count").text == "5"


def test_put_and_delete_answer_204_with_an_empty_body(api: httpx.Client) -> None:
    account = customer(api, "1002")
    put = api.put(f"crm/Accounts(guid'{account}')", json={"Email": "nieuw@lumiere.example"})
    assert put.status_code == 204 and put.content == b""
    assert results(api.get("crm/Accounts", params={"$filter": f"ID eq guid'{account}'"}))[0]["Email"] == (
        "nieuw@lumiere.example"
    )
    created = api.post("crm/Contacts", json={"Account": account, "LastName": "Janssens"}).json()["d"]
    delete = api.delete(f"crm/Contacts(guid'{created['ID']}')")
    assert delete.status_code == 204 and delete.content == b""


def test_new_account_gets_the_next_code_padded_to_18(api: httpx.Client) -> None:
    created = api.post("crm/Accounts", json={"Name": "Nieuwe Klant NV", "VATNumber": "BE0999999999"})
    assert created.status_code == 201
    assert created.json()["d"]["Code"] == "              1005"
    explicit = api.post("crm/Accounts", json={"Name": "Met code", "Code": "42"}).json()["d"]
    assert explicit["Code"] == " " * 16 + "42"
    duplicate = api.post("crm/Accounts", json={"Name": "Dubbel", "Code": "42"})
    assert duplicate.status_code == 500 and error_text(duplicate) == "Gegeven bestaat reeds."


def test_account_needs_a_name_and_contact_needs_a_first_or_last_name(api: httpx.Client) -> None:
    account = api.post("crm/Accounts", json={"City": "Gent"})
    assert account.status_code == 500 and error_text(account) == "Verplicht: Naam"
    contact = api.post("crm/Contacts", json={"Email": "x@y.example"})
    assert contact.status_code == 500 and error_text(contact) == "Verplicht: Achternaam"
    assert api.post("crm/Contacts", json={"FirstName": "An"}).status_code == 201


def test_an_unknown_property_in_a_body_is_refused(api: httpx.Client) -> None:
    response = api.post("crm/Accounts", json={"Name": "X", "VatNumber": "BE0477472701"})
    assert response.status_code == 400
    assert "The property 'VatNumber'" in error_text(response)


def test_select_of_an_unknown_property_is_refused(api: httpx.Client) -> None:
    assert api.get("vat/VATCodes", params={"$select": "Code,Rate"}).status_code == 400


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("Code eq '4'", ["4  "]),  # trailing spaces do not count, as on SQL Server
        ("Code eq '4  '", ["4  "]),
        ("Type eq 'I'", ["1  ", "3  "]),
        ("Percentage gt 0.1 and Type eq 'E'", ["4  ", "5  "]),
        ("(Code eq '2' or Code eq '5') and Percentage ge 0.06", ["2  ", "5  "]),
        ("substringof('incl', Description) eq true", ["1  ", "3  "]),
        ("substringof('ICL', Description)", ["7  "]),
        ("trim(Code) eq '0' or Code eq null", ["0  "]),
        ("not (Type eq 'E')", ["1  ", "3  "]),
    ],
)
def test_filter_expressions(api: httpx.Client, filter_: str, expected: list[str]) -> None:
    rows = results(api.get("vat/VATCodes", params={"$filter": filter_, "$select": "Code"}))
    assert sorted(row["Code"] for row in rows) == sorted(expected)


def test_filter_guid_datetime_and_quote_escaping(sandbox: ExactSandbox, api: httpx.Client) -> None:
    sandbox.add_account({"Name": "O'Brien & Zonen", "City": "Brugge"})
    rows = results(api.get("crm/Accounts", params={"$filter": "Name eq 'O''Brien & Zonen'"}))
    assert len(rows) == 1
    account = rows[0]["ID"]
    assert (
        results(api.get("crm/Accounts", params={"$filter": f"ID eq guid'{account.upper()}'"}))[0]["ID"]
        == account
    )
    assert api.get("crm/Accounts", params={"$filter": f"ID eq '{account}'"}).status_code == 400
    api.post("salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-02-10"))
    api.post("salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-02-20"))
    later = results(
        api.get("salesentry/SalesEntries", params={"$filter": "EntryDate ge datetime'2026-02-15'"})
    )
    assert [row["EntryDate"] for row in later] == ["/Date(1771545600000)/"]
    also = "EntryDate gt datetime'2026-02-01T00:00:00' and EntryNumber gt 26700001L"
    assert len(results(api.get("salesentry/SalesEntries", params={"$filter": also}))) == 1


def test_orderby_sorts(api: httpx.Client) -> None:
    rows = results(api.get("financial/GLAccounts", params={"$orderby": "Code desc", "$select": "Code"}))
    assert [row["Code"] for row in rows][:2] == ["7080", "7050"]


def test_there_is_no_bulk_endpoint_for_sales_entries(api: httpx.Client) -> None:
    """Exact has no bulk/Financial/SalesEntries (notes §"Evidence 2026-12"): a client using it fails."""
    response = api.get("bulk/Financial/SalesEntries", params={"$select": "EntryID"})
    assert response.status_code == 404
    assert api.get(
        "salesentry/SalesEntries", params={"$select": "EntryID", "$filter": "Type eq 21"}
    ).is_success


def test_bulk_receivables_filter_only_on_the_fields_exact_whitelists(api: httpx.Client) -> None:
    """Evidence 2026-12: Account, Document, EndDate, ... TransactionType; others are refused."""
    api.post("salesentry/SalesEntries", json=sales_entry(api))
    select = {"$select": "ID,AmountFC,TransactionType"}
    for allowed in (
        "TransactionType eq 20",
        "Status eq 20",
        "EntryDate ge datetime'2026-01-01'",
        "InvoiceNumber gt 0",
    ):
        response = api.get("bulk/Cashflow/Receivables", params={**select, "$filter": allowed})
        assert response.status_code == 200 and len(results(response)) == 1, allowed
    for refused, field in (("YourRef eq '2026 / 1'", "YourRef"), ("IsFullyPaid eq false", "IsFullyPaid")):
        response = api.get("bulk/Cashflow/Receivables", params={**select, "$filter": refused})
        assert response.status_code == 400
        assert error_text(response) == f"Filtering on these fields is not supported: {field}"
    assert api.get("cashflow/Receivables", params={"$filter": "YourRef eq '2026 / 1'"}).is_success
