"""Secrets are masked in log lines, error messages, tracebacks and reports."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from connector.cli.main import report_error
from connector.contract import secrets
from connector.contract.errors import ApiError
from connector.contract.report import RunReport

SECRET = "s3cr3t-client-secret-value"


@pytest.fixture(autouse=True)
def registered() -> None:
    secrets.register(SECRET)


def test_log_records_are_masked_with_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("connector.test")
    caplog.handler.addFilter(secrets.MaskingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("token endpoint said: %s", f"bad client_secret={SECRET}")
    assert SECRET not in caplog.text and "client_secret=***" in caplog.text


def test_an_error_and_its_debug_traceback_never_show_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise ApiError(f"refused: client_secret={SECRET}", hint=f"check {SECRET}")
    except ApiError as error:
        code = report_error(error, debug=True)
    err = capsys.readouterr().err
    assert code == 1
    assert SECRET not in err and "client_secret=***" in err and "Traceback" in err


def test_report_outcomes_are_masked() -> None:
    report = RunReport("acme", ("documents",), datetime.now(UTC))
    report.fail("invoice:1", f"the service echoed {SECRET}", hint=SECRET)
    assert SECRET not in str(report.to_dict())


def test_short_values_are_not_treated_as_secrets() -> None:
    secrets.register("abc")
    assert secrets.mask("abc def") == "abc def"


def test_a_webhook_url_from_the_rule_file_is_masked_everywhere() -> None:
    from connector.rules import register_secrets

    register_secrets({"notify": {"webhook": "https://hooks.example.com/T0SECRET/xyz123"}})
    assert secrets.mask("posting to https://hooks.example.com/T0SECRET/xyz123") == "posting to ***"
