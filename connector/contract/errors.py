"""The one exception tree of connector; its branches are the engine's policy.

::

    ConnectorError                 base; `hint` says what to do next
    ├── ConfigurationError         stop before anything is synced            exit 2
    │   ├── RuleFileError          a rule file is invalid: every Problem in it
    │   ├── PluginError            a plugin is missing, broken or registers badly
    │   ├── ClientBusy             another process holds this client's lock      exit 4
    │   └── NotFound               the run or document asked for does not exist  exit 5
    ├── RecordError                one record cannot be synced; the run goes on   exit 1
    │   ├── RecordSkipped          not synced on purpose (unmapped, changed after booking)
    │   └── RecordFailed           the target refused it, or it cannot be made to balance
    ├── RetriableError             try again later: 429, 5xx, timeouts, connection errors
    │   ├── RateLimited            the service said 429; `retry_at` when to try again
    │   └── Paused                 the run stops cleanly here; the next run goes on
    │       ├── BudgetExhausted    the day's call budget is spent; `resumes_at`
    │       └── CircuitOpen        an endpoint failed too often this hour; `resumes_at`
    ├── FatalError                 the flow cannot go on (other 4xx, broken responses)
    │   └── ApiError               a service answered with an error body
    └── AuthorizationNeeded        tokens missing or refused: run `connector auth`   exit 3

Errors carry their context as attributes and their message says what to do. Only `connector.cli.main`
turns them into terminal output and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIGURATION = 2
EXIT_AUTHORIZATION = 3
EXIT_BUSY = 4  # another process is running this client: nothing was done, try again later
EXIT_NOT_FOUND = 5  # the run or document a command asked for does not exist


class ConnectorError(Exception):
    """Base of every error connector raises on purpose."""

    exit_code = EXIT_CONFIGURATION

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigurationError(ConnectorError):
    """The rules, the plugins or the environment are wrong: nothing is synced."""

    exit_code = EXIT_CONFIGURATION


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a rule file, at a place a user can jump to."""

    line: int
    column: int
    path: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def reading_order(problem: Problem) -> tuple[bool, int, int, str, str]:
    """A misspelt key first (what it causes is usually gone once it is fixed), then by line."""
    misspelt = "unknown key" in problem.message and "(did you mean" in problem.message
    return (not misspelt, problem.line, problem.column, problem.path, problem.message)


class RuleFileError(ConfigurationError):
    """A rule file failed to load or validate; `problems` holds every problem in `reading_order`."""

    def __init__(self, file: str, problems: list[Problem], *, hint: str | None = None) -> None:
        self.file = file
        self.problems = sorted(problems, key=reading_order)
        count = len(self.problems)
        super().__init__(
            f"{file}: {count} problem{'s' if count != 1 else ''}",
            hint=hint or "fix the lines above, then run `connector validate` again",
        )

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class PluginError(ConfigurationError):
    """A plugin could not be loaded, or registered something twice or badly."""


class ClientBusy(ConfigurationError):
    """Another process already runs this client (it holds the client's lock)."""

    exit_code = EXIT_BUSY

    def __init__(self, client: str, holder: str) -> None:
        self.client = client
        self.holder = holder
        super().__init__(
            f"client {client!r} is already running ({holder})",
            hint="wait for that run to finish, or stop it; two runs of one client would race for its tokens",
        )


class NotFound(ConfigurationError):
    """A command asked for a run or a document that does not exist (`history --run 7`, `ledger show`)."""

    exit_code = EXIT_NOT_FOUND


class RecordError(ConnectorError):
    """One record (a document, a customer, a payment) could not be synced; others go on."""

    exit_code = EXIT_PARTIAL

    def __init__(
        self,
        message: str,
        *,
        record_id: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.record_id = record_id
        self.field = field


class RecordSkipped(RecordError):
    """The record was left alone on purpose and is reported with the reason."""


class RecordFailed(RecordError):
    """The record was tried and refused; it is retried on the next run."""


class PeriodClosed(RecordFailed):
    """The sink refused an entry for its date: the period is closed, or no financial year holds it
    (`missing_year`). The rule file's `closed_period` says what the engine does then."""

    def __init__(
        self, message: str, *, day: date, missing_year: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.day = day
        self.missing_year = missing_year


class RetriableError(ConnectorError):
    """The call may succeed later: rate limits, server errors, timeouts, connection errors."""

    exit_code = EXIT_PARTIAL

    def __init__(self, message: str, *, response: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.response = response


class RateLimited(RetriableError):
    """The service answered 429; `retry_at` is the moment it announced as its reset."""

    def __init__(self, message: str, *, retry_at: datetime | None = None, response: Any = None) -> None:
        super().__init__(message, response=response, hint="connector waits for the reset by itself")
        self.retry_at = retry_at


class Paused(RetriableError):
    """The run stops cleanly before its end; nothing is lost and the next run continues."""

    def __init__(self, message: str, *, service: str, resumes_at: datetime | None, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.service = service
        self.resumes_at = resumes_at


class BudgetExhausted(Paused):
    """A service's call budget for the day is spent: the run stops cleanly and resumes later."""

    def __init__(self, service: str, resumes_at: datetime | None) -> None:
        when = resumes_at.isoformat() if resumes_at else "after the daily reset"
        super().__init__(
            f"the daily call budget of {service} is spent",
            service=service,
            resumes_at=resumes_at,
            hint=f"the next run continues where this one stopped; it resumes at {when}",
        )


class CircuitOpen(Paused):
    """An endpoint answered with errors so often this hour that calling it again risks a block."""

    def __init__(self, service: str, endpoint: str, errors: int, resumes_at: datetime | None) -> None:
        when = resumes_at.isoformat(timespec="minutes") if resumes_at else "in an hour"
        super().__init__(
            f"{service}: stopped calling {endpoint} after {errors} errors in the last hour",
            service=service,
            resumes_at=resumes_at,
            hint=f"the service blocks apps that keep failing; fix the errors above, calls resume at {when}",
        )
        self.endpoint = endpoint
        self.errors = errors


class FatalError(ConnectorError):
    """The flow cannot go on: a refused request that retrying will not fix."""

    exit_code = EXIT_PARTIAL


class ApiError(FatalError):
    """A service answered with an error; `status` and `response` keep what it said."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        response: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.response = response


class AuthorizationNeeded(ConnectorError):
    """No usable tokens for a service: a person has to run `connector auth` again."""

    exit_code = EXIT_AUTHORIZATION

    def __init__(self, message: str, *, rules: str = "RULES", side: str = "source|sink") -> None:
        super().__init__(message, hint=f"run `connector auth {rules} {side}`")
        self.rules = rules
        self.side = side
