"""The simulator as a whole: start-up, fault injection, the admin surface, plugin registration."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from connector.contract.plugins import Plugins
from connector_teamleader.sandbox import DEMO_CLIENT_ID, TeamleaderSandbox, start_sandbox


def test_start_sandbox_is_fast_and_serves_demo_data() -> None:
    began = time.perf_counter()
    server = start_sandbox()
    try:
        access, _ = server.issue_tokens()
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            answer = http.post("/invoices.list", json={}, headers={"Authorization": f"Bearer {access}"})
        assert time.perf_counter() - began < 2
        assert answer.status_code == 200 and len(answer.json()["data"]) == 20
    finally:
        server.stop()


def test_sandbox_protocol_surface(sandbox: TeamleaderSandbox) -> None:
    env = sandbox.environment
    assert env["TEAMLEADER_API_URL"] == env["TEAMLEADER_AUTH_URL"] == sandbox.url
    assert env["TEAMLEADER_CLIENT_ID"] == DEMO_CLIENT_ID == sandbox.credentials["client_id"]
    assert env["TEAMLEADER_CLIENT_SECRET"] == "demo-teamleader-secret"
    assert sandbox.name == "teamleader"
    assert isinstance(sandbox.refresh_token(), str)


def test_the_plugin_registers_this_sandbox() -> None:
    assert "teamleader" in Plugins.load().sandboxes()


def test_status_fault_answers_once_then_recovers(api: Any) -> None:
    api.http.post(
        "/_sandbox/faults", json={"path": r"invoices\.list", "status": 503, "body": '{"errors":[]}'}
    )
    assert api("invoices.list").status_code == 503
    assert api("invoices.list").status_code == 200


def test_dropped_response_after_commit_still_books(sandbox: TeamleaderSandbox, api: Any) -> None:
    """The write happens, the answer never arrives: a client must not blindly redo it."""
    invoice = sandbox.book_invoice(customer="Brouwerij De Klok BV", draft=True, lines=[{"price": 10}])
    api.http.post("/_sandbox/faults", json={"path": r"invoices\.book", "kind": "drop"})
    with pytest.raises(httpx.HTTPError):
        api("invoices.book", {"id": invoice.id, "on": "2026-11-01"})
    assert sandbox.invoices[invoice.id].status == "outstanding"
    assert api("invoices.book", {"id": invoice.id, "on": "2026-11-01"}).status_code == 400


def test_call_log_records_api_calls(api: Any) -> None:
    api("users.me")
    calls = api.http.get("/_sandbox/calls").json()
    assert calls[-1]["path"] == "/users.me" and calls[-1]["status"] == 200


def test_admin_books_an_invoice_from_a_compact_spec(sandbox: TeamleaderSandbox, api: Any) -> None:
    spec = {
        "department": "Acme BV",
        "customer": "Brouwerij De Klok BV",
        "date": "2026-11-20",
        "lines": [{"description": "Beer", "qty": 10, "price": 2.5, "tax": "21%", "discount": 10}],
        "discounts": [5],
        "payment_term": {"type": "end_of_month", "days": 30},
        "expected_payment_method": "sepa_direct_debit",
    }
    made = api.http.post("/_sandbox/invoices", json=spec)
    assert made.status_code == 201
    summary = made.json()
    assert summary["invoice_number"].startswith("2026 / ")
    info = api.data("invoices.info", {"id": summary["id"]})
    # 10 x 2.50 = 25.00, -10% = 22.50, -5% = 21.375 -> 21.38; VAT 4.4898 -> 4.49
    assert info["total"]["payable"] == {"amount": 25.87, "currency": "EUR"}
    assert info["due_on"] == "2026-12-31"
    assert info["expected_payment_method"]["method"] == "sepa_direct_debit"


def test_admin_book_in_another_currency(api: Any) -> None:
    spec = {
        "customer": "Van Dijk Software B.V.",
        "currency": "USD",
        "exchange_rate": 1.1,
        "lines": [{"price": 100}],
    }
    summary = api.http.post("/_sandbox/invoices", json=spec).json()
    assert summary["currency"] == "USD" and summary["payable"] == 121


def test_admin_payment_and_credit_routes(sandbox: TeamleaderSandbox, api: Any) -> None:
    summary = api.http.post(
        "/_sandbox/invoices", json={"customer": "Dekker Horeca B.V.", "lines": [{"price": 100}]}
    ).json()
    paid = api.http.post(f"/_sandbox/invoices/{summary['id']}/payments", json={"amount": 121}).json()
    assert paid["status"] == "matched" and paid["due"] == 0
    note = api.http.post(f"/_sandbox/invoices/{summary['id']}/credit", json={"date": "2026-11-21"}).json()
    assert sandbox.credit_notes[note["id"]].credit_note_date.isoformat() == "2026-11-21"


def test_admin_seed_reset_and_state(sandbox: TeamleaderSandbox, api: Any) -> None:
    seeded = api.http.post(
        "/_sandbox/seed",
        json={
            "reset": True,
            "departments": [{"name": "Solo BV", "tax_rates": [{"description": "21%", "rate": 0.21}]}],
            "companies": [{"name": "Only Customer BV", "vat_number": "BE0417497106"}],
            "invoices": [{"customer": "Only Customer BV", "date": "2026-02-02", "lines": [{"price": 50}]}],
        },
    ).json()
    assert seeded["invoices"][0]["invoice_number"] == "2026 / 1"
    state = api.http.get("/_sandbox/state").json()
    assert [d["name"] for d in state["departments"]] == ["Solo BV"]
    assert len(state["invoices"]) == 1 and state["invoices"][0]["total"]["payable"]["amount"] == 60.5
    assert api.http.get("/_sandbox/state/companies").json()[0]["name"] == "Only Customer BV"


def test_admin_generate(bare: TeamleaderSandbox, bare_api: Any) -> None:
    result = bare_api.http.post("/_sandbox/generate", json={"n": 120, "seed": 4}).json()
    assert result["invoices"] + result["credit_notes"] == 120
    assert len(bare_api.all_pages("invoices.list", {})) == result["invoices"]
    assert len(bare_api.all_pages("creditNotes.list", {})) == result["credit_notes"]


def test_admin_settings_change_the_rate_limit(api: Any) -> None:
    assert api.http.post("/_sandbox/settings", json={"rate_limit": 3}).json()["rate_limit"] == 3
    assert api("users.me").headers["X-RateLimit-Limit"] == "3"


def test_unknown_admin_route_is_404(api: Any) -> None:
    assert api.http.get("/_sandbox/whatever").status_code == 404
    assert api.http.post("/_sandbox/invoices", json={"customer": "Nobody"}).status_code == 400


def test_a_refresh_whose_answer_is_lost_still_rotates_the_token(sandbox: TeamleaderSandbox, api: Any) -> None:
    """Why a client must persist tokens carefully: the lost answer already spent the old refresh token."""
    token = sandbox.refresh_token()
    api.http.post("/_sandbox/faults", json={"path": "/oauth2/access_token", "kind": "drop"})
    form = {
        "grant_type": "refresh_token",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": "demo-teamleader-secret",
        "refresh_token": token,
    }
    with pytest.raises(httpx.HTTPError):
        api.http.post("/oauth2/access_token", data=form)
    again = api.http.post("/oauth2/access_token", data=form)
    assert again.status_code == 400
    assert again.json()["errors"][0]["meta"]["hint"] == "Token has been revoked"


def test_admin_sets_a_credit_note_paid_as_teamleader_shows_it(sandbox: TeamleaderSandbox, api: Any) -> None:
    """Credit notes have `paid`/`paid_at` but no payment call (notes §"Evidence 2026-12")."""
    note_id = next(iter(sandbox.credit_notes))
    assert api.data("creditNotes.info", {"id": note_id})["paid"] is False
    answer = api.http.post(
        f"/_sandbox/credit_notes/{note_id}/paid", json={"paid_at": "2026-06-01T10:00:00+02:00"}
    )
    assert answer.status_code == 200
    info = api.data("creditNotes.info", {"id": note_id})
    assert (info["paid"], info["paid_at"]) == (True, "2026-06-01T08:00:00+00:00")
    listed = api.data("creditNotes.list", {"filter": {"ids": [note_id]}})
    assert (listed[0]["paid"], listed[0]["paid_at"]) == (True, "2026-06-01T08:00:00+00:00")
    assert api.http.post("/_sandbox/credit_notes/nope/paid", json={}).status_code == 404


def test_admin_peppol_status_takes_only_the_documented_values(sandbox: TeamleaderSandbox, api: Any) -> None:
    invoice_id = next(iter(sandbox.invoices))
    note_id = next(iter(sandbox.credit_notes))
    assert api.data("invoices.info", {"id": invoice_id})["peppol_status"] is None
    for path, ident, endpoint in (
        ("invoices", invoice_id, "invoices.info"),
        ("credit_notes", note_id, "creditNotes.info"),
    ):
        answer = api.http.post(f"/_sandbox/{path}/{ident}/peppol", json={"status": "application_accepted"})
        assert answer.status_code == 200
        assert api.data(endpoint, {"id": ident})["peppol_status"] == "application_accepted"
    refused = api.http.post(f"/_sandbox/invoices/{invoice_id}/peppol", json={"status": "paid"})
    assert refused.status_code == 400 and "receiver_paid" in refused.text
