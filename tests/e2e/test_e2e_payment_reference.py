"""The payment reference goes with the entry, so Exact's bank import matches the payment (issue 17).

Through the real `connector run` against both sandboxes: the structured reference Teamleader gives an
invoice lands in the entry's PaymentReference, a bank line quoting it finds the receivable, and the
payment comes back to Teamleader; one with wrong check digits is left out and said.
"""

from __future__ import annotations

import json
from typing import Any

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_calls, booked_entry
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def entry_posts(exact: ExactSandbox) -> list[dict[str, Any]]:
    return [json.loads(call.body) for call in api_calls(exact, "POST") if "SalesEntries" in call.path]


def test_teamleaders_structured_reference_is_the_entrys_and_the_bank_line_quoting_it_pays_the_invoice(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}])
    other = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-04", lines=[{"price": 50}])
    teamleader.credit(other.id, "2027-02-10")
    reference = teamleader.invoice_info(invoice.id)["payment_reference"]
    assert reference.startswith("+++") and len(reference) == 20

    booked = later.run()

    assert booked.returncode == 0, booked.stdout + booked.stderr
    assert "documents: 3 booked" in booked.stdout
    assert booked_entry(exact, "2027 / 1", type=20)["PaymentReference"] == reference
    assert booked_entry(exact, "2027 / 2", type=20)["PaymentReference"].startswith("+++")
    assert booked_entry(exact, "2027 / 1", type=21)["PaymentReference"] is None, "credit notes carry none"
    digits = "".join(c for c in reference if c.isdigit())
    exact.reconcile(payment_reference=digits, date="2027-02-20")  # as the bank statement quotes it

    paid = later.run("--only", "payments")

    assert paid.returncode == 0, paid.stdout + paid.stderr
    now = teamleader.invoice_info(invoice.id)
    assert (now["paid"], now["status"]) == (True, "matched")


def test_a_structured_reference_with_wrong_check_digits_is_left_out_and_the_report_names_the_invoice(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(
        customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}], payment_reference="+++084/2613/66075+++"
    )
    teamleader.book_invoice(
        customer=CUSTOMER, date="2027-02-04", lines=[{"price": 80}], payment_reference="2027 / 2"
    )

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 2 booked" in result.stdout
    first, second = entry_posts(exact)
    assert "PaymentReference" not in first, "never sent half or wrong"
    assert booked_entry(exact, "2027 / 1")["PaymentReference"] is None
    assert second["PaymentReference"] == "2027 / 2", "another text is sent as it is"
    [note] = [line for line in result.stdout.splitlines() if "payment reference" in line]
    assert "2027 / 1" in note and "+++084/2613/66075+++" in note and "modulo 97 gives 74" in note


def test_a_payment_reference_template_gives_invoices_and_credit_notes_their_reference(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"fields": {"payment_reference": "ACME {{ document.number | replace(' ', '') }}"}})
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}])
    teamleader.credit(invoice.id, "2027-02-10")

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert booked_entry(exact, "2027 / 1", type=20)["PaymentReference"] == "ACME 2027/1"
    assert booked_entry(exact, "2027 / 1", type=21)["PaymentReference"] == "ACME 2027/1"
