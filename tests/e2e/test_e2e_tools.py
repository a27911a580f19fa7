"""The set-up tools through the real CLI against both sandboxes (issue 8): `check` and its exit codes,
the plan with payloads and the call estimate, `status`, `history`, `ledger show|unlink`, `init`."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import httpx

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_calls, api_client, booked_entries, booked_entry
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def reference_reads(exact: ExactSandbox) -> list[str]:
    return [call.path for call in api_calls(exact, "GET") if "VATCodes" in call.path]


# ---------------------------------------------------------------- check


def test_check_of_the_demo_rules_is_clean_and_a_second_check_reads_the_cache(
    world: World, exact: ExactSandbox
) -> None:
    exact.calls.clear()
    first = world.cli("check", str(world.rules_path))

    assert first.returncode == 0, first.stdout + first.stderr
    assert "source authorized as" in first.stdout and "sink authorized as Demo Boekhouder" in first.stdout
    assert "ok: every code exists and fits, every tax rate of the source is mapped" in first.stdout
    assert len(reference_reads(exact)) == 1
    checklist = first.stdout.split("before going live, verify once on the real accounts", 1)[1]
    assert "[ ] credit note: book one" in checklist and "its type is 21" in checklist

    second = world.cli("check", str(world.rules_path))
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(reference_reads(exact)) == 1, "the second check must not read the VAT codes again"

    refreshed = world.cli("check", str(world.rules_path), "--refresh")
    assert refreshed.returncode == 0
    assert len(reference_reads(exact)) == 2


def test_check_reports_every_error_at_its_line_with_suggestions_and_exits_2(world: World) -> None:
    path = world.write_rules(
        {
            "vat": {"21%": {"code": "1", "revenue_account": "7000"}, "12%": None},
            "journals": {"invoices": "80"},
            "revenue_account": "4000",
            "payment_terms": {"default": "8K"},
        }
    )
    lines = path.read_text().splitlines()

    def line_of(text: str) -> int:
        return next(number for number, line in enumerate(lines, 1) if text in line)

    result = world.cli("check", str(path))

    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout
    vat, journal, account = (
        line_of("code: '1'"),
        line_of("invoices: '80'"),
        line_of("revenue_account: '4000'"),
    )
    assert f'acme.yaml:{vat}:11: error: vat."21%".code' in out
    assert "error: vat.\"21%\".code: VAT code '1' (BTW 21% incl.) is inclusive" in out
    assert "use one of the exclusive codes with 21%: '4' (BTW 21% excl.)" in out
    assert f"acme.yaml:{journal}:13: error: journals.invoices" in out
    assert "error: journals.invoices: journal '80' (Inkoopboek) is of type 22, not a sales journal" in out
    assert f"acme.yaml:{account}:18: error: revenue_account" in out
    assert "error: revenue_account: account '4000' (Kosten) is of type 121, not a revenue account" in out
    assert "suggestion: revenue accounts: " in out
    assert "error: payment_terms.default: payment condition '8K' (8 dagen 2% korting)" in out
    assert "has a payment discount of 2%" in out
    assert "suggestion: conditions without discount: '30' (30 dagen, 30 days)" in out
    assert "warning: vat: source tax rate '12%' (12%) is not mapped" in out
    assert "use one of the exclusive codes with 12%: '5' (BTW 12% excl.)" in out
    assert "4 errors, 1 warning" in out

    as_json = world.cli("check", str(path), "--json")
    assert as_json.returncode == 2
    data = json.loads(as_json.stdout)
    assert data["status"] == "errors" and data["exit_code"] == 2
    assert sorted(f["severity"] for f in data["findings"]) == ["error"] * 4 + ["info", "warning"]
    [note] = [f for f in data["findings"] if f["severity"] == "info"]
    assert note["path"] == "source.exchange_rate", "the demo's USD invoice: which way its rate reads"
    assert all(f["line"] > 1 for f in data["findings"])


def test_check_with_warnings_only_exits_1(world: World) -> None:
    """An unmapped rate, a direct-debit condition that collects nothing, a rule no rate uses."""
    path = world.write_rules(
        {"vat": {"12%": None, "9%": {"code": "4"}}, "payment_terms": {"direct_debit": "30"}}
    )

    result = world.cli("check", str(path))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "error" not in result.stdout.replace("0 errors", "")
    assert "warning: vat: source tax rate '12%' (12%) is not mapped" in result.stdout
    assert "warning: payment_terms.direct_debit: payment condition '30' (30 dagen) is not a collection" in (
        result.stdout
    )
    assert "suggestion: collection conditions: 'DD' (Incasso, 30 days)" in result.stdout
    assert "warning: vat.\"9%\": '9%' is no tax rate of the source's department" in result.stdout
    assert "0 errors, 3 warnings" in result.stdout


# ---------------------------------------------------------------- the plan


def test_a_dry_run_shows_payloads_and_the_calls_a_run_needs_against_the_budget_left(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])

    result = later.run("--dry-run", "--show-payload")

    assert result.returncode == 0, result.stdout + result.stderr
    assert '"your_ref": "2027 / 1"' in result.stdout and '"vat_amount": "21.00"' in result.stdout
    assert "sink: a real run needs about" in result.stdout
    assert "budget left today: " in result.stdout and " of 1000000" in result.stdout
    assert "a real run takes under a minute: " in result.stdout  # this sandbox allows 100,000 a minute
    assert api_calls(exact, "POST", "PUT", "DELETE") == []

    as_json = later.run("--dry-run", "--json")
    data = json.loads(as_json.stdout)
    assert data["dry_run"] is True and data["counts"]["documents.booked"] == 1
    assert any(line.startswith("book    invoice:") for line in data["plan"])
    sink = data["estimate"]["sink"]
    assert data["counts"] == {"customers.created": 1, "documents.booked": 1, "booked.invoices": 1}
    assert sink["writes"] == 2  # one entry, one new customer account
    assert sink["needed"] == sink["reads"] + 2 and sink["left_today"] > 0
    assert sink["per_minute"] == 100_000 and sink["minutes_at_limit"] == 0


def test_show_payload_without_dry_run_is_a_usage_error(world: World) -> None:
    result = world.run("--show-payload")
    assert result.returncode == 2
    assert "--show-payload goes with --dry-run" in result.stderr


# ---------------------------------------------------------------- ledger show and unlink


def test_unlink_after_the_entry_was_deleted_in_the_target_books_it_again(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    assert later.run().returncode == 0
    entry_id = booked_entry(exact, "2027 / 1")["EntryID"]

    shown = later.cli("ledger", str(later.rules_path), "show", "2027 / 1")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"invoice:{invoice.id}" in shown.stdout and "booked" in shown.stdout and entry_id in shown.stdout

    with api_client(exact) as api:  # the bookkeeper deletes the entry in Exact
        assert api.delete(f"salesentry/SalesEntries(guid'{entry_id}')").status_code == 204
    assert booked_entries(exact) == []
    assert "booked" not in later.run().stdout  # the ledger still says booked: nothing happens

    refused = later.cli("ledger", str(later.rules_path), "unlink", "2027 / 1")  # no --yes, no answer
    assert refused.returncode == 2 and "aborted" in refused.stderr
    unlinked = later.cli("ledger", str(later.rules_path), "unlink", f"invoice:{invoice.id}", "--yes")
    assert unlinked.returncode == 0, unlinked.stdout + unlinked.stderr
    assert "if it was deleted it is booked again" in unlinked.stdout

    rerun = later.run()
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "documents: 1 booked" in rerun.stdout
    assert booked_entry(exact, "2027 / 1")["EntryID"] != entry_id


def test_unlink_of_an_entry_still_in_the_target_links_it_again_without_a_duplicate(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    assert later.run().returncode == 0

    assert later.cli("ledger", str(later.rules_path), "unlink", "2027 / 1", "--yes").returncode == 0
    rerun = later.run()

    assert "documents: 1 linked" in rerun.stdout
    assert len(booked_entries(exact)) == 1


def test_ledger_show_of_an_unknown_document_exits_5_and_says_how_to_name_one(world: World) -> None:
    result = world.cli("ledger", str(world.rules_path), "show", "1999 / 1")
    assert result.returncode == 5
    assert "'1999 / 1' is not in the ledger" in result.stderr and "invoice:<id>" in result.stderr


# ---------------------------------------------------------------- init


def open_printed_url(process: subprocess.Popen[str], printed: list[str], *, paste: bool = False) -> None:
    """Read the command's output up to the next URL and open it as a browser would; with `paste`,
    as a browser on another machine would: the redirect is not followed, and its address is pasted
    into the command's terminal instead."""
    assert process.stdout is not None
    for line in process.stdout:
        printed.append(line)
        if line.strip().startswith("http"):
            if not paste:
                landing = httpx.get(line.strip(), follow_redirects=True, timeout=10)
                assert landing.status_code == 200, landing.text
                return
            approved = httpx.get(line.strip(), follow_redirects=False, timeout=10)
            assert approved.is_redirect and "code=" in approved.headers["location"], approved.text
            assert process.stdin is not None
            process.stdin.write("not the address\n" + approved.headers["location"] + "\n")
            process.stdin.flush()
            return
    raise AssertionError("no URL printed:\n" + "".join(printed))


def test_init_through_the_browser_then_validate_check_and_run_all_pass(
    world: World, exact: ExactSandbox, tmp_path: Path
) -> None:
    """What a new user does: `connector init` against the sandboxes, then check and run."""
    teamleader = world.sandboxes["teamleader"]
    today = date.today().isoformat()  # init's starter cases are the newest documents of the last months
    invoice = teamleader.book_invoice(
        customer="Brouwerij De Klok BV", date=today, lines=[{"price": 80, "tax": "21%"}]
    )
    teamleader.credit(invoice.id, today)
    process = world.popen("init", "--department", "Acme BV", "--division", "1234567", "--client", "acme")
    printed: list[str] = []
    try:
        open_printed_url(process, printed)  # the source, in this machine's browser
        open_printed_url(process, printed, paste=True)  # the sink, on a machine without a browser
        out, err = process.communicate(timeout=60)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, "".join(printed) + out + err
    said = "".join(printed) + out
    assert "connecting 2 accounts, one after the other: Teamleader Focus then Exact Online" in said
    assert "Teamleader Focus (1 of 2): open this URL" in said and "Exact Online (2 of 2): open" in said
    assert "No browser on this machine? Open the URL on another one" in said
    assert "That is not the address the browser was sent to" in said, "junk pasted is refused"
    assert "sink: authorized as Demo Boekhouder" in said
    written = tmp_path / "rules" / "acme.yaml"
    text = written.read_text()
    assert 'department: "Acme BV"' in text and "client_secret: ${EXACT_CLIENT_SECRET}" in text
    assert '"21%": { code: "4" }' in text and '"0% ICL": { code: "7", revenue_account: "7050" }' in text
    assert 'invoices: "70"' in text and 'credit_notes: "71"' in text and "# review:" in text
    assert 'direct_debit: "DD"' in text and '"cash": "00"' in text
    assert "# cost_center: the target's cost centres (kostenplaatsen): '100' (Verkoop), '200'" in text
    assert "'900'" not in text, "an inactive cost centre is not offered"
    assert "# cost_unit: the target's cost units (kostendragers): 'P01' (Consultancy)" in text

    assert "added 2 starter test cases from recent documents: review them" in said
    assert text.count("# review: read by `connector init`") == 2
    names = [line.strip() for line in text.splitlines() if "- name:" in line]
    assert [name.rsplit(" ", 3)[0] for name in names] == ["- name: invoice", "- name: credit note"]
    assert names[0] == f"- name: invoice {invoice.invoice_number}"
    tested = world.cli("test", "rules/acme.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 cases passed, mapped against the target's codes as read on" in tested.stdout

    assert world.cli("validate", "rules/acme.yaml").returncode == 0
    exact.calls.clear()
    check = world.cli("check", "rules/acme.yaml")
    assert check.returncode == 0, check.stdout + check.stderr
    assert reference_reads(exact) == [], "init filled the cache: the first check reads no reference data"
    run = world.cli("run", "rules/acme.yaml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "documents:" in run.stdout and "booked" in run.stdout and len(booked_entries(exact)) > 50


def test_init_with_refresh_tokens_and_without_a_department_it_cannot_find_exits_2(world: World) -> None:
    teamleader = world.sandboxes["teamleader"]
    exact = world.sandboxes["exact_online"]
    result = world.cli(
        "init",
        "--department",
        "Nope BV",
        "--division",
        "1234567",
        "--client",
        "nope",
        "--refresh-token-source",
        "-",
        "--refresh-token-sink",
        "-",
        input=f"{teamleader.refresh_token()}\n{exact.refresh_token()}\n",  # one line each, source first
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no department 'Nope BV'" in result.stderr and "'Acme BV'" in result.stderr
    assert "warning" not in result.stderr, "tokens on standard input are not on the command line"
    assert not (world.directory / "rules" / "nope.yaml").exists()


def test_init_needs_the_credentials_in_the_environment(world: World) -> None:
    result = world.cli("init", "--department", "Acme BV", "--division", "1", env={"EXACT_CLIENT_SECRET": ""})
    assert result.returncode == 2
    assert "set EXACT_CLIENT_SECRET in the environment" in result.stderr
