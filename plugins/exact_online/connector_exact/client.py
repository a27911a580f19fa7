"""The HTTP client of Exact Online's REST API: one division, one app, one budget.

Builds on `connector.transport.http.ApiClient` (waits for budget, retries reads, never repeats an
unsure write) with what Exact adds (notes §2, §4, §5):

- every request carries ``Authorization: Bearer``, ``Accept: application/json`` and
  ``Prefer: return=representation`` (without it a POST may answer null properties);
- budgets come from the six ``X-RateLimit-*`` headers (daily ``X-RateLimit-Limit/Remaining/Reset``,
  minutely ``X-RateLimit-Minutely-*``; resets in UTC epoch milliseconds). Until the first answer the
  documented 60 per minute and 5,000 per day are assumed, in clock-minute windows (the minutely reset
  is always the next whole minute, notes §5), so a full minute is waited out until its reset, not
  60 s after its first call. A 429 is retried at ``X-RateLimit-Minutely-Reset``; a 429 for the day
  stops the run cleanly (`BudgetExhausted`);
- the daily **reserve**: `day_reserve` calls (100 by default, but never more than 2% of the daily
  limit the headers announce: 3 of 150) are kept for the payments flow. Writing
  documents and customers stops when only the reserve is left; reading payments may spend it, inside
  ``with client.reserve(0):`` (the sink does that in `payment_changes`);
- errors: the OData body ``{"error":{"message":{"value": …}}}`` becomes an `ExactApiError` whose
  message holds Exact's (localized, CRLF-joined) messages, one per line; a 403 with
  ``Reason: NoDivisionAccess`` is a `ConfigurationError`; a 401 that a fresh token does not cure asks
  for authorization;
- collections are read page by page by following ``__next``, an absolute URL, verbatim.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from connector.contract.errors import ApiError, AuthorizationNeeded, ConfigurationError
from connector.contract.services import ServiceContext
from connector.transport.http import ApiClient, Budget, RateGovernor
from connector.transport.oauth import TokenKeeper

SERVICE = "Exact Online"
PER_MINUTE, PER_DAY, DAY_RESERVE = 60, 5000, 100
DAILY = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
MINUTELY = ("X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset")


class ExactApiError(ApiError):
    """Exact refused a request; `messages` holds each of its messages (one per line of its text)."""

    def __init__(
        self, message: str, *, messages: list[str], status: int, response: Any = None, hint: str | None = None
    ) -> None:
        super().__init__(message, status=status, response=response, hint=hint)
        self.messages = messages


def epoch_ms(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value.strip()) / 1000, UTC)
    except ValueError:
        return None


def error_messages(response: httpx.Response) -> list[str]:
    """Exact's messages from an OData error body, split on its CRLF joins; the raw text otherwise."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = body["error"].get("message")
        text = str(message.get("value", "") if isinstance(message, dict) else message or "")
    elif response.text:
        text = response.text[:500]
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


class ExactClient(ApiClient):
    """Requests to ``{base_url}/api/v1/{division}/…`` with Exact's authentication and budgets."""

    service = SERVICE

    def __init__(
        self,
        base_url: str,
        division: int,
        context: ServiceContext,
        keeper: TokenKeeper,
        *,
        day_reserve: int = DAY_RESERVE,
    ) -> None:
        governor = RateGovernor(
            service=SERVICE,
            per_minute=PER_MINUTE,
            per_day=PER_DAY,
            clock=context.clock,
            sleep=context.sleep,
            day_reserve=day_reserve,
            reserve_share=DAY_RESERVE / PER_DAY,
            aligned=True,  # Exact's minute is the clock minute: its resets fall on whole minutes (notes §5)
        )
        super().__init__(base_url, context, governor)
        self.division = division
        self.keeper = keeper
        self.http.headers.update({"Accept": "application/json", "Prefer": "return=representation"})

    # -- what ApiClient asks of a plugin --------------------------------------------------------

    def auth_headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keeper.access_token(force=force_refresh)}"}

    def budgets(self, response: httpx.Response) -> list[Budget]:
        found = []
        for window, (limit, remaining, reset) in (("day", DAILY), ("minute", MINUTELY)):
            headers = response.headers
            resets_at = epoch_ms(headers.get(reset))
            if remaining in headers and resets_at is not None:
                try:
                    found.append(
                        Budget(window, int(headers.get(limit, "0")), int(headers[remaining]), resets_at)
                    )
                except ValueError:
                    continue
        return found

    def retry_at(self, response: httpx.Response) -> datetime | None:
        """The minute's reset; None for a 429 of the day (the governor then stops the run)."""
        return epoch_ms(response.headers.get(MINUTELY[2]))

    def error(self, response: httpx.Response, endpoint: str) -> ApiError:
        messages = error_messages(response)
        reason = response.headers.get("Reason", "")
        said = "; ".join(messages) or reason or "no message"
        hint = None
        if response.status_code == 403:
            hint = f"Exact refused access ({reason or 'forbidden'}): check the user's rights in Exact Online"
        return ExactApiError(
            f"{SERVICE} refused {endpoint} ({response.status_code}): {said}",
            messages=messages,
            status=response.status_code,
            response=response,
            hint=hint,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        safe: bool | None = None,
        authenticated: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            return super().request(
                method, path, endpoint=endpoint, safe=safe, authenticated=authenticated, **kwargs
            )
        except ApiError as error:
            response = error.response
            reason = response.headers.get("Reason", "") if isinstance(response, httpx.Response) else ""
            if error.status == 403 and "NoDivisionAccess" in reason:
                raise ConfigurationError(
                    f"{SERVICE}: division {self.division} is not accessible to this user",
                    hint="check sink.division in the rule file, or authorize a user with access to it",
                ) from error
            if error.status == 401 and authenticated:
                raise AuthorizationNeeded(
                    f"{SERVICE} refused the access token even after a refresh", side="sink"
                ) from error
            raise

    # -- the reserve of the day -----------------------------------------------------------------

    @contextlib.contextmanager
    def reserve(self, calls: int) -> Iterator[None]:
        """Run a block with another daily reserve (0 lets the payments flow spend what is kept)."""
        kept = self.governor.day_reserve
        self.governor.day_reserve = calls
        try:
            yield
        finally:
            self.governor.day_reserve = kept

    # -- OData helpers ----------------------------------------------------------------------------

    def url(self, resource: str) -> str:
        """``financial/Journals`` → the division's URL; ``/api/v1/current/Me`` stays as given."""
        if resource.startswith(("http://", "https://", "/")):
            return resource
        return f"/api/v1/{self.division}/{resource}"

    def get(self, resource: str, params: Mapping[str, str] | None = None) -> Any:
        """The ``d`` of a GET (a dict, or a list for the bare-array form)."""
        response = self.request("GET", self.url(resource), endpoint=resource.split("?")[0], params=params)
        return _envelope(response)

    def pages(self, resource: str, params: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, following ``__next`` verbatim until it is absent."""
        endpoint = resource.split("?")[0]
        url: str | None = self.url(resource)
        query: Mapping[str, str] | None = params
        while url:
            response = self.request("GET", url, endpoint=endpoint, params=query)
            data = _envelope(response)
            if isinstance(data, list):
                yield data
                return
            results = data.get("results", []) if isinstance(data, dict) else []
            yield list(results)
            following = data.get("__next") if isinstance(data, dict) else None
            url, query = (str(following), None) if following else (None, None)

    def rows(self, resource: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        return [row for page in self.pages(resource, params) for row in page]

    def post(self, resource: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create; not safe to repeat (a timeout raises `RetriableError`; nothing is resent)."""
        response = self.request("POST", self.url(resource), endpoint=resource, json=body, safe=False)
        data = _envelope(response)
        return data if isinstance(data, dict) else {}

    def put(self, resource: str, key: str, body: Mapping[str, Any]) -> None:
        """Update (204 No Content). Not repeated either: Exact answers validation errors with a 500."""
        self.request("PUT", self.url(f"{resource}(guid'{key}')"), endpoint=resource, json=body, safe=False)


def _envelope(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as error:
        raise ApiError(
            f"{SERVICE} answered something that is not JSON ({response.status_code})",
            status=response.status_code,
            response=response,
        ) from error
    return body.get("d", {}) if isinstance(body, dict) else {}
