"""Loading rule files into typed `Rules`: environment expansion, values, locations, digest, plugin checks."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from connector import hookimpl
from connector.contract.errors import Problem, RuleFileError
from connector.contract.plugins import Plugins
from connector.rules import check, load
from connector.rules.model import Rules

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme.yaml"
VALID = Path(__file__).parent / "valid"
ENVIRON = {
    "TEAMLEADER_CLIENT_ID": "tl-client-id",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret",
    "EXACT_CLIENT_ID": "{1234-abcd}",
    "EXACT_CLIENT_SECRET": "exact-secret",
}
MINIMAL = (VALID / "minimal.yaml").read_text()


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins.load(disabled=[])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


# -- the example ---------------------------------------------------------------------------------


def test_acme_example_loads_into_typed_values(plugins: Plugins) -> None:
    rules = load(ACME, plugins=plugins, environ=ENVIRON)
    assert rules.version == 1 and rules.client == "acme"
    assert rules.source.plugin == "teamleader"
    assert rules.source.options["department"] == "Acme BV"
    assert rules.source.options["api_url"] == "https://api.focus.teamleader.eu"
    assert "plugin" not in rules.source.options
    assert rules.sink.plugin == "exact_online"
    assert rules.sink.options["division"] == 1234567
    assert rules.sync.start_date == date(2026, 1, 1)
    assert (rules.sync.invoices, rules.sync.credit_notes, rules.sync.import_customers) == (True, True, False)
    assert (rules.journals.invoices, rules.journals.credit_notes) == ("70", "70")
    assert [(rule.key, rule.code, rule.revenue_account) for rule in rules.vat] == [
        ("21%", "4", "7000"),
        ("12%", "3", "7000"),
        ("6%", "2", "7010"),
        ("0% ICL", "7", None),
    ]
    assert rules.customers.match == ("vat_number", "email") and rules.customers.update is True
    assert (rules.revenue_account, rules.discount_account) == ("7000", "7080")
    assert rules.payment_terms.default == "30" and rules.payment_terms.direct_debit == "DD"
    assert dict(rules.payment_terms.map) == {
        "after_invoice_date 14": "14",
        "end_of_month 30": "30EM",
        "cash": "00",
    }
    assert rules.fields["your_ref"].source == "{{ document.number }}"
    assert rules.triggers.documents is not None and rules.triggers.documents.every == timedelta(minutes=15)
    assert rules.triggers.customers is not None and rules.triggers.customers.daily_at == time(2, 0)
    assert rules.notify.paid is True and rules.notify.webhook is None
    assert rules.path == ACME


def test_acme_example_fails_with_a_line_per_unset_variable(plugins: Plugins) -> None:
    problems = check(ACME, plugins=plugins, environ={})
    names = ["TEAMLEADER_CLIENT_ID", "TEAMLEADER_CLIENT_SECRET", "EXACT_CLIENT_ID", "EXACT_CLIENT_SECRET"]
    assert [problem.message.split()[2] for problem in problems] == names
    assert all("is not set" in problem.message for problem in problems)


def test_every_key_of_the_design_is_used_in_the_acme_example(plugins: Plugins) -> None:
    rules = load(ACME, plugins=plugins, environ=ENVIRON)
    for key in (
        "version", "client", "source.department", "source.client_id", "source.client_secret", "sink.division",
        "sink.client_id", "sink.client_secret", "sync.start_date", "sync.invoices", "sync.credit_notes",
        "sync.import_customers", "journals.invoices", "journals.credit_notes", 'vat."21%".code',
        'vat."21%".revenue_account', "customers.match", "customers.update", "revenue_account",
        "discount_account", "payment_terms.default", "payment_terms.direct_debit", "payment_terms.map",
        "fields.description", "fields.your_ref", "triggers.documents", "triggers.payments", "notify.paid",
        "notify.webhook",
    ):  # fmt: skip
        assert key in rules.locations, key


# -- environment references ---------------------------------------------------------------------


def test_an_environment_value_that_looks_like_yaml_stays_a_string(tmp_path: Path, plugins: Plugins) -> None:
    text = MINIMAL.replace("department: Acme BV", "department: ${DEPARTMENT}")
    for value in ("{1234-abcd}", "1234", "true", "[a, b]", "key: value", "null", "# not a comment"):
        rules = load(write(tmp_path, text), plugins=plugins, environ={**ENVIRON, "DEPARTMENT": value})
        assert rules.source.options["department"] == value
    rules = load(write(tmp_path, text), plugins=plugins, environ={**ENVIRON, "DEPARTMENT": "{1234-abcd}"})
    assert rules.sink.options["client_id"] == "{1234-abcd}"


def test_the_default_is_used_when_the_variable_is_unset_or_empty(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, MINIMAL.replace("department: Acme BV", "department: ${DEPARTMENT:-Acme NV}"))
    assert load(path, plugins=plugins, environ=ENVIRON).source.options["department"] == "Acme NV"
    empty = {**ENVIRON, "DEPARTMENT": ""}
    assert load(path, plugins=plugins, environ=empty).source.options["department"] == "Acme NV"
    given = {**ENVIRON, "DEPARTMENT": "Acme Holding"}
    assert load(path, plugins=plugins, environ=given).source.options["department"] == "Acme Holding"


def test_references_expand_inside_a_longer_value_and_dollar_dollar_escapes(
    tmp_path: Path, plugins: Plugins
) -> None:
    text = MINIMAL.replace("department: Acme BV", "department: ${A} and ${B:-b} cost $${PRICE} $5")
    rules = load(write(tmp_path, text), plugins=plugins, environ={**ENVIRON, "A": "a"})
    assert rules.source.options["department"] == "a and b cost ${PRICE} $5"


def test_references_in_comments_and_keys_are_left_alone(tmp_path: Path, plugins: Plugins) -> None:
    text = "# ${NOT_SET} in a comment\n" + MINIMAL.replace('"21%": { code: "4" }', '"${RATE}": { code: "4" }')
    rules = load(write(tmp_path, text), plugins=plugins, environ=ENVIRON)
    assert rules.vat[0].key == "${RATE}"


def test_an_unset_variable_is_named_with_its_line(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, MINIMAL.replace("department: Acme BV", "department: ${ACME_DEPARTMENT}"))
    problems = check(path, plugins=plugins, environ=ENVIRON)
    assert [(p.line, p.column, p.path) for p in problems] == [(6, 15, "source.department")]
    assert "ACME_DEPARTMENT is not set" in problems[0].message


def test_os_environ_is_read_when_no_environment_is_given(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    rules = load(VALID / "minimal.yaml", plugins=plugins)
    assert rules.source.options["client_secret"] == "tl-secret"


# -- typed, frozen values ----------------------------------------------------------------------


def test_valid_files_build_their_values_and_defaults(plugins: Plugins) -> None:
    rules = load(VALID / "invoices_only.yaml", plugins=plugins, environ=ENVIRON)
    assert rules.sync.start_date == date(2026, 3, 15)
    assert rules.sync.credit_notes is False and rules.journals.credit_notes is None
    assert rules.vat_rule("x", "21% BTW export") == rules.vat[1]
    assert (rules.vat[1].code, rules.vat[1].revenue_account) == ("5", "8000")  # merged from the anchor
    assert rules.customers == dataclasses.replace(rules.customers, match=("email", "name"), update=False)
    assert rules.triggers.documents is not None and rules.triggers.documents.every == timedelta(hours=2)
    assert rules.triggers.payments is not None and rules.triggers.payments.every == timedelta(hours=1)
    assert rules.triggers.customers is None
    assert rules.fields["description"].source.splitlines()[1] == "{{ document.number }}"

    minimal = load(VALID / "minimal.yaml", plugins=plugins, environ=ENVIRON)
    assert minimal.customers.match == ("vat_number",) and minimal.customers.update is True
    assert minimal.sync.invoices is True and minimal.sync.import_customers is False
    assert minimal.triggers.get("documents") is None and minimal.notify.paid is False
    assert minimal.discount_account is None and dict(minimal.fields) == {}


def test_loaded_rules_cannot_be_changed(plugins: Plugins) -> None:
    rules = load(ACME, plugins=plugins, environ=ENVIRON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.client = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.sink.options["division"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        rules.payment_terms.map["cash"] = "01"  # type: ignore[index]
    with pytest.raises(TypeError):
        rules.locations["client"] = (1, 1)  # type: ignore[index]


# -- locations and digest ---------------------------------------------------------------------


def positions(path: Path, needle: str) -> Iterator[tuple[int, int]]:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            yield number, line.index(needle) + 1


def test_locations_point_at_each_value_in_the_file(plugins: Plugins) -> None:
    rules = load(ACME, plugins=plugins, environ=ENVIRON)
    line, _ = next(positions(ACME, '"6%":'))
    assert rules.where('vat."6%".code') == (line, next(positions(ACME, 'code: "2"'))[1] + len("code: "))
    line, column = next(positions(ACME, '  invoices: "70"'))
    assert rules.where("journals.invoices") == (line, column + len("  invoices: "))
    assert rules.where("sync.start_date") == next(positions(ACME, "2026-01-01"))
    assert rules.where("journals") == (next(positions(ACME, "journals:"))[0], 1)
    assert rules.where('payment_terms.map."end_of_month 30"') == next(positions(ACME, '"30EM"'))
    assert rules.where("customers.match[1]") == next(positions(ACME, "email]"))
    assert rules.fields["description"].line == next(positions(ACME, "  description:"))[0]


def test_digest_is_the_sha256_of_the_file_and_follows_every_edit(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, MINIMAL)
    first = load(path, plugins=plugins, environ=ENVIRON)
    assert first.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(MINIMAL + "# a comment\n")
    assert load(path, plugins=plugins, environ=ENVIRON).digest != first.digest


# -- the pipeline's edges ----------------------------------------------------------------------


def test_a_missing_file_is_one_problem_not_a_traceback(tmp_path: Path, plugins: Plugins) -> None:
    problems = check(tmp_path / "nope.yaml", plugins=plugins, environ=ENVIRON)
    assert [problem.message.split(":")[0] for problem in problems] == ["cannot read the file"]


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path, plugins: Plugins) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Acme BV", "Acmé BV").encode("latin-1"))
    problems = check(path, plugins=plugins, environ=ENVIRON)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (6, 18, "the file is not UTF-8 text (byte 0xe9 here): save it as UTF-8")
    ]


class _StrictPlugin:
    """A plugin whose own check refuses VAT code 4, as a sink plugin would refuse an inclusive code."""

    @hookimpl
    def validate_rules(self, rules: Rules) -> list[Problem]:
        return [
            Problem(
                *rules.where(f"vat.{rule.key!r}.code".replace("'", '"')), "vat", f"code {rule.code} refused"
            )
            for rule in rules.vat
            if rule.code == "4"
        ]


def test_problems_of_the_plugins_own_checks_are_reported_with_the_file(tmp_path: Path) -> None:
    plugins = Plugins.load(disabled=[])
    plugin = _StrictPlugin()
    plugins.manager.register(plugin, name="strict-test-plugin")
    try:
        path = write(tmp_path, MINIMAL)
        with pytest.raises(RuleFileError) as raised:
            load(path, plugins=plugins, environ=ENVIRON)
    finally:
        plugins.manager.unregister(plugin)
    assert str(raised.value) == f"{path}:20:18: vat: code 4 refused"
    assert load(path, plugins=plugins, environ=ENVIRON).client == "minimal"
