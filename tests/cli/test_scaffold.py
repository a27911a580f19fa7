"""`connector init`'s guesses: plugin sections from the schema and the environment, and a rule file
whose VAT codes, journals, accounts and payment conditions are picked from the reference data."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connector.cli.scaffold import env_prefix, section
from connector.cli.scaffold_text import Section, render_rules
from connector.contract.errors import ConfigurationError
from connector.contract.records import PaymentTerm, TaxRate
from connector.contract.services import (
    AccountInfo,
    CostCode,
    JournalInfo,
    PaymentConditionInfo,
    ReferenceData,
    Sink,
    Source,
    VatCode,
)

D = Decimal


class Books(Sink):
    name = "books"
    title = "Books"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "plugin": {"const": "books"},
            "division": {"type": "integer", "description": "The division."},
            "client_id": {"type": "string", "description": "usually ${BOOKS_APP_CLIENT_ID}"},
            "client_secret": {"type": "string", "description": "must be an ${ENV} reference"},
            "base_url": {
                "type": "string",
                "description": "Host (default https://books.example; per country)",
            },
        },
        "required": ["plugin", "division", "client_id", "client_secret"],
    }


class Invoices(Source):
    name = "invoices"
    title = "Invoices"


REFERENCE = ReferenceData(
    vat_codes={
        "1": VatCode("1", "BTW 21% incl.", "I", D("0.21")),
        "4": VatCode("4", "BTW 21% excl.", "E", D("0.21")),
        "0": VatCode("0", "BTW 0% excl.", "E", D("0")),
        "7": VatCode("7", "Intracommunautaire levering 0% (ICL)", "E", D("0")),
    },
    journals={
        "80": JournalInfo("80", "Inkoopboek", 22),
        "71": JournalInfo("71", "Creditnota's", 21),
        "70": JournalInfo("70", "Verkoopboek", 20),
    },
    accounts={
        "4000": AccountInfo("4000", "Kosten", 121),
        "7050": AccountInfo("7050", "Omzet ICL", 110),
        "7000": AccountInfo("7000", "Omzet", 110),
        "7080": AccountInfo("7080", "Kortingen", 110),
    },
    payment_conditions={
        "30": PaymentConditionInfo("30", "30 dagen", 30, 0, D("0"), "B"),
        "14": PaymentConditionInfo("14", "14 dagen", 14, 0, D("0"), "B"),
        "8K": PaymentConditionInfo("8K", "8 dagen korting", 8, 0, D("0.02"), "B"),
        "DD": PaymentConditionInfo("DD", "Incasso", 30, 0, D("0"), "I"),
        "00": PaymentConditionInfo("00", "Contant", 0, 0, D("0"), "K"),
    },
)
RATES = [
    TaxRate("a", "21%", D("0.21")),
    TaxRate("b", "0%", D("0")),
    TaxRate("c", "0% ICL", D("0")),
    TaxRate("d", "5.5%", D("0.055")),
]


def never_asked(text: str, default: str | None) -> str:
    raise AssertionError(f"asked {text!r}")


def test_the_environment_prefix_is_the_one_the_plugin_schema_shows() -> None:
    assert env_prefix(Books) == "BOOKS_APP"
    assert env_prefix(Invoices) == "INVOICES"


def test_credentials_become_references_urls_keep_their_default_and_the_rest_is_asked() -> None:
    environ = {"BOOKS_APP_CLIENT_ID": "id", "BOOKS_APP_CLIENT_SECRET": "s", "BOOKS_APP_BASE_URL": "http://x"}
    asked: list[tuple[str, str | None]] = []

    def ask(text: str, default: str | None) -> str:
        asked.append((text, default))
        return "42"

    built = section("sink", Books, {}, ask, {**environ, "BOOKS_APP_DIVISION": "7"})

    assert built.lines == [
        "  plugin: books",
        "  division: 42",
        "  client_id: ${BOOKS_APP_CLIENT_ID}",
        "  client_secret: ${BOOKS_APP_CLIENT_SECRET}",
        "  base_url: ${BOOKS_APP_BASE_URL:-https://books.example}",
    ]
    assert built.effective["division"] == 42 and built.effective["client_secret"] == "s"
    assert asked == [("sink.division: The division.", "7")]


def test_a_missing_secret_is_named_and_never_asked_for() -> None:
    with pytest.raises(ConfigurationError, match="set BOOKS_APP_CLIENT_SECRET in the environment"):
        section("sink", Books, {"division": "1"}, never_asked, {"BOOKS_APP_CLIENT_ID": "id"})


def test_a_division_that_is_no_number_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="whole number"):
        section("sink", Books, {"division": "abc"}, never_asked, {"BOOKS_APP_CLIENT_SECRET": "s"})


def rendered(term: PaymentTerm | None = None) -> str:
    sections = {
        "source": Section("invoices", ["  plugin: invoices"], {}),
        "sink": Section("books", ["  plugin: books"], {}),
    }
    return render_rules(
        "acme",
        {"source": Invoices, "sink": Books},
        sections,
        RATES,
        REFERENCE,
        term,
        None,
        Path("r/acme.yaml"),
    )


def test_rates_get_exclusive_codes_of_their_percentage_closest_description_first() -> None:
    text = rendered()
    assert '"21%": { code: "4" }' in text
    assert '"0%": { code: "0" }' in text
    assert '"0% ICL": { code: "7", revenue_account: "7050" }' in text
    assert '# "5.5%": { code: "?" }' in text and "no exclusive VAT code with 5.5%" in text


def test_journals_accounts_and_conditions_are_guessed_each_with_a_review_line() -> None:
    text = rendered()
    assert 'invoices: "70"' in text and 'credit_notes: "71"' in text
    assert 'revenue_account: "7000"' in text and 'discount_account: "7080"' in text
    assert 'default: "14"' in text and "the shortest on-credit condition without discount" in text
    assert 'direct_debit: "DD"' in text and '"cash": "00"' in text
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(('  invoices: "', "revenue_account:", "  default:")):
            assert "# review:" in lines[index + 1]


def test_the_default_condition_matches_the_sources_default_term_when_it_has_one() -> None:
    text = rendered(PaymentTerm("after_invoice_date", 30))
    assert 'default: "30"' in text and "matches the source's default term after_invoice_date 30" in text


def test_cost_centres_and_units_are_listed_as_comments_never_guessed() -> None:
    assert "# cost_center: the target has no active cost centres (kostenplaatsen)" in rendered()
    reference = dataclasses.replace(
        REFERENCE,
        cost_centers={"100": CostCode("100", "Verkoop"), "9": CostCode("9", "Oud", active=False)},
        cost_units={"P01": CostCode("P01", "Consultancy")},
    )
    sections = {"source": Section("invoices", ["  plugin: invoices"], {}), "sink": Section("books", [], {})}
    text = render_rules(
        "acme", {"source": Invoices, "sink": Books}, sections, RATES, reference, None, None, Path("r.yaml")
    )
    assert "# cost_center: the target's cost centres (kostenplaatsen): '100' (Verkoop)\n" in text
    assert "# cost_unit: the target's cost units (kostendragers): 'P01' (Consultancy)\n" in text
    assert '#   default: "100"' in text and "\ncost_center:" not in text
