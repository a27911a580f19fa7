"""Lists of the simulated API: paging, filters, sorting, error answers (notes §3, §4, §7)."""

from __future__ import annotations

from typing import Any

from connector_teamleader.sandbox import TeamleaderSandbox


def test_unknown_endpoint_is_404_with_errors_body(api: Any) -> None:
    response = api("invoices.explode", {})
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == 404


def test_unknown_invoice_id_is_404(api: Any) -> None:
    response = api("invoices.info", {"id": "00000000-0000-4000-8000-000000000000"})
    assert response.status_code == 404
    assert "errors" in response.json()


def test_unknown_credit_note_and_company_ids_are_404(api: Any) -> None:
    assert api("creditNotes.info", {"id": "nope"}).status_code == 404
    assert api("companies.info", {"id": "nope"}).status_code == 404
    assert api("contacts.info", {"id": "nope"}).status_code == 404


def test_status_filter_as_string_is_400_naming_the_field(api: Any) -> None:
    response = api("invoices.list", {"filter": {"status": "outstanding"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["field"] == "filter.status"


def test_status_filter_rejects_booked_and_paid(api: Any) -> None:
    assert api("invoices.list", {"filter": {"status": ["booked"]}}).status_code == 400
    assert api("invoices.list", {"filter": {"status": ["paid"]}}).status_code == 400


def test_status_filter_as_array_selects(api: Any) -> None:
    drafts = api.all_pages("invoices.list", {"filter": {"status": ["draft"]}})
    assert drafts and all(item["status"] == "draft" and item["invoice_number"] is None for item in drafts)


def test_default_page_is_twenty_and_lists_carry_no_meta(api: Any) -> None:
    body = api("invoices.list", {}).json()
    assert len(body["data"]) == 20
    assert "meta" not in body


def test_paging_until_a_short_page_returns_each_invoice_once(sandbox: TeamleaderSandbox, api: Any) -> None:
    sandbox.generate(250, seed=3)
    items = api.all_pages("invoices.list", {}, size=100)
    assert len(items) == len(sandbox.invoices) > 300
    assert len({item["id"] for item in items}) == len(items)


def test_page_number_beyond_the_end_is_an_empty_page(api: Any) -> None:
    assert api.data("invoices.list", {"page": {"size": 100, "number": 99}}) == []


def test_page_size_over_100_is_400(api: Any) -> None:
    response = api("invoices.list", {"page": {"size": 101}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["field"] == "page.size"


def test_page_size_over_100_is_clamped_when_configured(sandbox: TeamleaderSandbox, api: Any) -> None:
    api.http.post("/_sandbox/settings", json={"clamp_page_size": True})
    assert len(api.data("invoices.list", {"page": {"size": 500}})) == 100


def test_updated_since_returns_only_later_changes(sandbox: TeamleaderSandbox, api: Any) -> None:
    mark = sandbox.advance(10).replace(microsecond=0).isoformat()
    sandbox.advance(5)
    invoice = sandbox.book_invoice(customer="Brouwerij De Klok BV", lines=[{"price": 10, "tax": "21%"}])
    changed = api.all_pages("invoices.list", {"filter": {"updated_since": mark}})
    assert [item["id"] for item in changed] == [invoice.id]


def test_registering_a_payment_makes_an_old_invoice_show_up_in_updated_since(
    sandbox: TeamleaderSandbox, api: Any
) -> None:
    old = next(item for item in sandbox.invoices.values() if item.status == "outstanding")
    mark = sandbox.advance(60).replace(microsecond=0).isoformat()
    sandbox.advance(1)
    api(
        "invoices.registerPayment",
        {"id": old.id, "payment": {"amount": 1, "currency": old.currency}, "paid_at": mark},
    )
    changed = api.data("invoices.list", {"filter": {"updated_since": mark}})
    assert [item["id"] for item in changed] == [old.id]


def test_invoice_date_bounds_are_inclusive(bare: TeamleaderSandbox, bare_api: Any) -> None:
    for day in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"):
        bare.book_invoice(customer="Pied Piper BV", date=day, lines=[{"price": 1}])
    found = bare_api.data(
        "invoices.list", {"filter": {"invoice_date_after": "2026-03-02", "invoice_date_before": "2026-03-03"}}
    )
    assert sorted(item["invoice_date"] for item in found) == ["2026-03-02", "2026-03-03"]


def test_credit_note_date_before_is_exclusive_and_after_inclusive(
    bare: TeamleaderSandbox, bare_api: Any
) -> None:
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        invoice = bare.book_invoice(customer="Pied Piper BV", date=day, lines=[{"price": 1}])
        bare.credit(invoice.id, day)
    found = bare_api.data(
        "creditNotes.list",
        {"filter": {"credit_note_date_after": "2026-03-02", "credit_note_date_before": "2026-03-03"}},
    )
    assert [item["credit_note_date"] for item in found] == ["2026-03-02"]


def test_department_filter_keeps_other_entities_out(sandbox: TeamleaderSandbox, api: Any) -> None:
    other = sandbox.department_id("Acme Services BV")
    main = sandbox.department_id("Acme BV")
    mine = api.all_pages("invoices.list", {"filter": {"department_id": main}})
    theirs = api.all_pages("invoices.list", {"filter": {"department_id": other}})
    assert {item["department"]["id"] for item in mine} == {main}
    assert len(theirs) == 5 and len(mine) + len(theirs) == len(sandbox.invoices)


def test_ids_and_customer_filters(sandbox: TeamleaderSandbox, api: Any) -> None:
    some = list(sandbox.invoices.values())[:3]
    found = api.data("invoices.list", {"filter": {"ids": [item.id for item in some]}})
    assert {item["id"] for item in found} == {item.id for item in some}
    customer = {"type": some[0].customer_type, "id": some[0].customer_id}
    theirs = api.all_pages("invoices.list", {"filter": {"customer": customer}})
    assert theirs and all(item["invoicee"]["customer"] == customer for item in theirs)


def test_default_sort_is_invoice_number_ascending_numerically(api: Any) -> None:
    numbers = [
        item["invoice_number"]
        for item in api.all_pages("invoices.list", {"filter": {"status": ["outstanding", "matched"]}})
        if item["invoice_number"].startswith("2026") and item["department"]
    ]
    assert numbers.index("2026 / 9") < numbers.index("2026 / 10")


def test_sort_by_invoice_date_descending(api: Any) -> None:
    page = api.data(
        "invoices.list", {"sort": [{"field": "invoice_date", "order": "desc"}], "page": {"size": 10}}
    )
    dates = [item["invoice_date"] for item in page]
    assert dates == sorted(dates, reverse=True)


def test_unknown_sort_field_is_400(api: Any) -> None:
    assert api("invoices.list", {"sort": [{"field": "total"}]}).status_code == 400


def test_list_items_have_no_lines_but_info_has_the_full_shape(sandbox: TeamleaderSandbox, api: Any) -> None:
    item = api.data("invoices.list", {"page": {"size": 1}})[0]
    assert "grouped_lines" not in item and "payments" not in item and "currency" not in item
    info = api.data("invoices.info", {"id": item["id"]})
    for key in (
        "grouped_lines",
        "payment_term",
        "payments",
        "currency",
        "currency_exchange_rate",
        "expected_payment_method",
        "discounts",
    ):
        assert key in info
    assert {"email", "vat_number", "national_identification_number"} <= set(info["invoicee"])
    assert "tax_exclusive_before_discount" in info["total"]


def test_x_api_version_is_sent_and_echoed(api: Any) -> None:
    assert api("users.me").headers["X-Api-Version"] == "2023-09-26"
    pinned = api.http.post(
        "/users.me", json={}, headers={"Authorization": f"Bearer {api.token}", "X-Api-Version": "2024-01-01"}
    )
    assert pinned.headers["X-Api-Version"] == "2024-01-01"


def test_reference_data(api: Any) -> None:
    departments = api.data("departments.list")
    assert {item["name"] for item in departments} == {"Acme BV", "Acme Services BV"}
    main = next(item for item in departments if item["name"] == "Acme BV")
    assert main["currency"] == "EUR" and main["vat_number"].startswith("BE")
    rates = api.data("taxRates.list", {"filter": {"department_id": main["id"]}})
    assert [item["description"] for item in rates] == ["21%", "12%", "6%", "0%", "0% ICL"]
    assert [item["rate"] for item in rates] == [0.21, 0.12, 0.06, 0, 0]
    terms = api("paymentTerms.list").json()
    assert {(item["type"], item.get("days")) for item in terms["data"]} == {
        ("after_invoice_date", 14),
        ("after_invoice_date", 30),
        ("end_of_month", 30),
        ("cash", None),
    }
    default = next(item for item in terms["data"] if item["id"] == terms["meta"]["default"])
    assert default == {"id": default["id"], "type": "after_invoice_date", "days": 14}


def test_users_me_names_the_account(sandbox: TeamleaderSandbox, api: Any) -> None:
    me = api.data("users.me")
    assert me["account"] == {"type": "account", "id": sandbox.credentials["account_id"]}


def test_invalid_json_body_is_400(api: Any) -> None:
    response = api.http.post(
        "/invoices.list", content=b"{nope", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 400
