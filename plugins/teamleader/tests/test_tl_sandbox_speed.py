"""The Teamleader sandbox at speed N (`connector sandbox --speed`) and with N backdated documents
(`--documents`)."""

from __future__ import annotations

import time
from datetime import datetime

import httpx

from connector_teamleader.sandbox import start_sandbox
from connector_teamleader.sandbox.server import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def test_at_speed_10_the_window_is_a_sandbox_minute_and_the_reset_a_wall_clock_moment() -> None:
    server = start_sandbox(seed=False, rate_limit=5, speed=10)
    try:
        access, _ = server.issue_tokens()
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {access}"}) as client:
            before = time.time()
            answers = [client.post("/users.me", json={}) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        reset = datetime.fromisoformat(answers[-1].headers["X-RateLimit-Reset"]).timestamp()
        # the oldest call leaves the window 60 sandbox seconds after it was made: 6 s of wall time
        assert before + 6 - 0.002 <= reset <= time.time() + 6 + 0.002
        server.clock.advance(60)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {access}"}) as client:
            assert client.post("/users.me", json={}).status_code == 200
    finally:
        server.stop()


def test_at_speed_60_the_hour_token_is_announced_as_one_minute() -> None:
    server = start_sandbox(seed=False, speed=60)
    try:
        _, refresh = server.issue_tokens()
        body = {
            "grant_type": "refresh_token",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": refresh,
        }
        response = httpx.post(f"{server.url}/oauth2/access_token", data=body)
        assert response.status_code == 200 and response.json()["expires_in"] == 60
    finally:
        server.stop()


def test_documents_n_are_booked_distinct_backdated_and_listed_with_their_customers() -> None:
    server = start_sandbox(documents=600)
    try:
        access, _ = server.issue_tokens()
        department = server.department_id()
        today = server.clock.now().date()
        invoices: list[dict] = []
        notes: list[dict] = []
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {access}"}) as client:
            for endpoint, found in (("invoices.list", invoices), ("creditNotes.list", notes)):
                for page in range(1, 100):
                    body = {"filter": {"department_id": department}, "page": {"size": 100, "number": page}}
                    data = client.post(f"/{endpoint}", json=body).json()["data"]
                    found.extend(data)
                    if len(data) < 100:
                        break
            customers = {
                item["invoicee"]["customer"]["id"]
                for item in invoices
                if item["invoicee"]["customer"]["type"] == "company"  # the demo's people are contacts
            }
            for ident in list(customers)[:5]:
                assert client.post("/companies.info", json={"id": ident}).status_code == 200
        generated = [i for i in invoices if i["invoice_number"] and "Benchmark" in i["invoicee"]["name"]]
        generated_notes = [n for n in notes if "Benchmark" in n["invoicee"]["name"]]
        assert len(generated) + len(generated_notes) == 600
        numbers = [i["invoice_number"] for i in generated]
        assert len(set(numbers)) == len(numbers)
        assert len({n["credit_note_number"] for n in generated_notes}) == len(generated_notes)
        assert {i["status"] for i in generated} <= {"outstanding", "matched"}
        dates = sorted(i["invoice_date"] for i in generated)
        assert dates[0] < dates[-1] < today.isoformat()  # spread over past dates
        assert max(i["updated_at"] for i in generated) < server.clock.now().isoformat()
    finally:
        server.stop()


def test_a_list_by_ids_answers_those_in_the_usual_order_among_many() -> None:
    """`filter.ids` is looked up by key: the answer is what a scan of the account would give."""
    server = start_sandbox(documents=300)
    try:
        access, _ = server.issue_tokens()
        wanted = [*list(server.store.companies)[::4][:12], "00000000-0000-4000-8000-000000000000"]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {access}"}) as client:
            body = {"filter": {"ids": wanted}, "page": {"size": 100}}
            listed = [item["id"] for item in client.post("/companies.list", json=body).json()["data"]]
            everything = client.post("/companies.list", json={"page": {"size": 100}}).json()["data"]
        assert len(everything) < 100  # one page holds the whole account
        assert len(listed) == 12
        assert listed == [item["id"] for item in everything if item["id"] in wanted]
    finally:
        server.stop()
