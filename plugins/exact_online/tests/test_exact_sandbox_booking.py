"""Sales entries booked as Exact books them: validation, VAT, totals, numbers, due dates, credit notes."""

from __future__ import annotations

from datetime import datetime

import httpx

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.books import due_date
from connector_exact.sandbox.testing import error_text, gl, results, sales_entry


def _lines(api: httpx.Client, entry: dict) -> list[dict]:
    return results(httpx.get(entry["SalesEntryLines"]["__deferred"]["uri"], headers=api.headers))


def test_unknown_journal_is_a_500_with_a_dutch_message(api: httpx.Client) -> None:
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, Journal="99"))
    assert response.status_code == 500
    assert error_text(response) == "Ongeldige referentie: Dagboek"


def test_a_purchase_journal_is_not_a_sales_journal(api: httpx.Client) -> None:
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, Journal="80"))
    assert response.status_code == 500 and error_text(response) == "Ongeldig: Dagboek"


def test_a_non_revenue_gl_account_is_refused(api: httpx.Client) -> None:
    body = sales_entry(api, SalesEntryLines=[{"GLAccount": gl(api, "1300"), "AmountFC": 10, "VATCode": "4"}])
    response = api.post("salesentry/SalesEntries", json=body)
    assert response.status_code == 500 and error_text(response) == "Ongeldig: Grootboekrekeningtype"


def test_every_problem_is_reported_at_once_joined_by_crlf(api: httpx.Client) -> None:
    body = {"Journal": "99", "SalesEntryLines": []}
    response = api.post("salesentry/SalesEntries", json=body)
    assert response.status_code == 500
    assert error_text(response).split("\r\n") == [
        "Ongeldige referentie: Dagboek",
        "Verplicht: Klant",
        "At least one Sales Entry Line is required",
    ]


def test_unknown_vat_code_and_unknown_customer(api: httpx.Client) -> None:
    body = sales_entry(
        api,
        Customer="11111111-2222-3333-4444-555555555555",
        SalesEntryLines=[{"GLAccount": gl(api, "7000"), "AmountFC": 10, "VATCode": "9"}],
    )
    assert error_text(api.post("salesentry/SalesEntries", json=body)).split("\r\n") == [
        "Ongeldige referentie: Klant",
        "Ongeldige referentie: Btw-code",
    ]


def test_nothing_is_booked_when_validation_fails(sandbox: ExactSandbox, api: httpx.Client) -> None:
    api.post("salesentry/SalesEntries", json=sales_entry(api, Journal="99"))
    assert sandbox.state()["divisions"]["1234567"]["sales_entries"] == []


def test_a_booked_invoice_has_exacts_amounts_numbers_and_due_date(api: httpx.Client) -> None:
    body = sales_entry(
        api,
        PaymentCondition="30EM",
        SalesEntryLines=[
            {"GLAccount": gl(api, "7000"), "AmountFC": "100.05", "VATCode": "4  "},  # 21.0105 -> 21.01
            {
                "GLAccount": gl(api, "7010"),
                "AmountFC": 50,
                "VATCode": "2  ",
                "VATAmountFC": "3.01",
            },  # honoured
            {"GLAccount": gl(api, "7020"), "AmountFC": "19.99"},  # VAT code from the GL account: 12%
        ],
    )
    created = api.post("salesentry/SalesEntries", json=body)
    assert created.status_code == 201, created.text
    entry = created.json()["d"]
    assert entry["VATAmountFC"] == 26.42  # 21.01 + 3.01 + 2.40
    assert entry["AmountFC"] == 196.46 == entry["AmountDC"]  # 100.05 + 50 + 19.99 + 26.42
    assert entry["EntryNumber"] == entry["InvoiceNumber"] == 26700001
    assert entry["Type"] == 20 and entry["Journal"] == "70"
    # 17/01 with one end-of-month: 28/02, plus 30 days: 30/03
    assert entry["DueDate"] == "/Date(1774828800000)/"
    lines = _lines(api, entry)
    assert [line["VATAmountFC"] for line in lines] == [21.01, 3.01, 2.4]
    assert [line["VATCode"] for line in lines] == ["4  ", "2  ", "5  "]
    second = api.post("salesentry/SalesEntries", json=sales_entry(api)).json()["d"]
    assert second["EntryNumber"] == 26700002
    credit = api.post("salesentry/SalesEntries", json=sales_entry(api, Journal="71", Type=21)).json()["d"]
    assert credit["EntryNumber"] == 26710001


def test_due_date_follows_the_documented_example() -> None:
    """ "invoice date = 17/01, PaymentEndOfMonths = 2 => 31/03, PaymentDays = 15 => 15/04"."""
    assert due_date(datetime(2026, 1, 17), 0, 2) == datetime(2026, 3, 31)
    assert due_date(datetime(2026, 1, 17), 15, 2) == datetime(2026, 4, 15)
    assert due_date(datetime(2026, 1, 17), 14, 0) == datetime(2026, 1, 31)


def test_an_inclusive_vat_code_treats_the_amount_as_vat_included(api: httpx.Client) -> None:
    """A client that maps to an inclusive code sees totals 21% too low: 100 becomes 82.64 + 17.36."""
    body = sales_entry(api, SalesEntryLines=[{"GLAccount": gl(api, "7000"), "AmountFC": 100, "VATCode": "1"}])
    entry = api.post("salesentry/SalesEntries", json=body).json()["d"]
    assert entry["AmountFC"] == 100.0 and entry["VATAmountFC"] == 17.36
    assert _lines(api, entry)[0]["AmountFC"] == 82.64


def credit_note_body(api: httpx.Client, **overrides: object) -> dict:
    """A credit note as Exact wants it posted (notes §"Evidence 2026-12"): negative lines, a positive
    discount line."""
    lines = [
        {"GLAccount": gl(api, "7000"), "AmountFC": "-100.00", "VATAmountFC": "-21.00", "VATCode": "4  "},
        {"GLAccount": gl(api, "7000"), "AmountFC": "10.00", "VATAmountFC": "2.10", "VATCode": "4  "},
    ]
    return sales_entry(api, Journal="71", YourRef="CN 1", SalesEntryLines=lines, **overrides)


def test_a_credit_note_is_stored_exactly_as_posted_and_its_receivable_is_negative(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    entry = api.post("salesentry/SalesEntries", json=credit_note_body(api, Type=21)).json()["d"]
    assert (entry["Type"], entry["AmountFC"], entry["VATAmountFC"]) == (21, -108.9, -18.9)
    assert [(line["AmountFC"], line["VATAmountFC"], line["Type"]) for line in _lines(api, entry)] == [
        (-100.0, -21.0, 21),
        (10.0, 2.1, 21),
    ]
    receivable = results(
        api.get("cashflow/Receivables", params={"$filter": f"TransactionEntryID eq guid'{entry['EntryID']}'"})
    )[0]
    assert (receivable["AmountFC"], receivable["AmountDC"], receivable["TransactionType"]) == (
        -108.9,
        -108.9,
        21,
    )


def test_type_is_derived_from_the_sign_of_the_total_when_not_sent(api: httpx.Client) -> None:
    """Type is GET-only in Exact's reference (Evidence 2026-12): Exact derives it."""
    credit = api.post("salesentry/SalesEntries", json=credit_note_body(api)).json()["d"]
    assert (credit["Type"], credit["TypeDescription"], credit["AmountFC"]) == (
        21,
        "Sales credit note",
        -108.9,
    )
    assert {line["Type"] for line in _lines(api, credit)} == {21}
    invoice = api.post("salesentry/SalesEntries", json=sales_entry(api)).json()["d"]
    assert (invoice["Type"], invoice["AmountFC"]) == (20, 121.0)


def test_a_sent_type_is_kept_and_amounts_are_never_negated(api: httpx.Client) -> None:
    """No source says what Exact does with a positive Type 21: the simulator keeps both as sent, so a
    client that posts a credit note positive sees a positive (debit) entry: visibly wrong."""
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api, Type=21, Journal="71")).json()["d"]
    assert (entry["Type"], entry["AmountFC"]) == (21, 121.0)


def test_currency_and_rate_are_stored_and_dc_amounts_converted(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api, Currency="USD", Rate="0.9")).json()["d"]
    assert entry["Currency"] == "USD" and entry["Rate"] == 0.9
    assert entry["AmountFC"] == 121.0 and entry["AmountDC"] == 108.9


def test_your_ref_need_not_be_unique(api: httpx.Client) -> None:
    assert api.post("salesentry/SalesEntries", json=sales_entry(api)).status_code == 201
    assert api.post("salesentry/SalesEntries", json=sales_entry(api)).status_code == 201
    found = results(
        api.get("salesentry/SalesEntries", params={"$filter": "YourRef eq '2026 / 1' and Journal eq '70'"})
    )
    assert len(found) == 2


def test_booking_posts_a_receivable_and_balanced_transaction_lines(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api, PaymentCondition="DD")).json()["d"]
    receivable = results(
        api.get("cashflow/Receivables", params={"$filter": f"TransactionEntryID eq guid'{entry['EntryID']}'"})
    )[0]
    assert receivable["Status"] == 20 and receivable["IsFullyPaid"] is False
    assert receivable["EntryID"] != entry["EntryID"]  # the receivable's own entry, not the sales entry
    assert receivable["PaymentMethod"] == "I" and receivable["YourRef"] == "2026 / 1"
    assert receivable["InvoiceNumber"] == entry["InvoiceNumber"] and receivable["DueDate"] == entry["DueDate"]
    lines = results(
        api.get(
            "sync/Financial/TransactionLines",
            params={"$filter": "Timestamp gt 1L", "$select": "EntryID,AmountDC,GLAccountCode,Type,Timestamp"},
        )
    )
    mine = [line for line in lines if line["EntryID"] == entry["EntryID"]]
    assert sorted((line["GLAccountCode"], line["AmountDC"]) for line in mine) == [
        ("1300", 121.0),
        ("1500", -21.0),
        ("7000", -100.0),
    ]
    assert {line["Type"] for line in mine} == {20}


def test_put_changes_the_header_and_lines_cannot_be_embedded(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api)).json()["d"]
    key = f"salesentry/SalesEntries(guid'{entry['EntryID']}')"
    assert api.put(key, json={"Description": "Nieuw", "PaymentCondition": "14"}).status_code == 204
    changed = api.get(key).json()["d"]
    assert changed["Description"] == "Nieuw" and changed["DueDate"] == "/Date(1769817600000)/"  # 31/01
    refused = api.put(key, json={"SalesEntryLines": [{"AmountFC": 1}]})
    assert refused.status_code == 400 and "Binding to new entities" in error_text(refused)


def test_deleting_the_last_line_deletes_the_entry(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api)).json()["d"]
    line = _lines(api, entry)[0]
    assert api.delete(f"salesentry/SalesEntryLines(guid'{line['ID']}')").status_code == 204
    assert api.get(f"salesentry/SalesEntries(guid'{entry['EntryID']}')").status_code == 404


def test_an_entry_booked_by_hand_is_visible_through_the_api(sandbox: ExactSandbox, api: httpx.Client) -> None:
    body = sales_entry(api, YourRef="2025 / 99")
    booked = sandbox.book_by_hand(body)
    found = results(api.get("salesentry/SalesEntries", params={"$filter": "YourRef eq '2025 / 99'"}))
    assert [row["EntryID"] for row in found] == [booked["EntryID"]]


def test_validation_status_can_be_400() -> None:
    from connector_exact.sandbox.testing import api_client, make_sandbox

    sandbox = make_sandbox(validation_status=400)
    try:
        with api_client(sandbox) as api:
            assert api.post("salesentry/SalesEntries", json=sales_entry(api, Journal="99")).status_code == 400
    finally:
        sandbox.stop()
