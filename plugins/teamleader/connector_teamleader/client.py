"""The Teamleader Focus HTTP client: RPC calls, bearer tokens, rate budgets, error bodies, paging.

Every API call is ``POST {api_url}/<resource>.<action>`` with a JSON body (notes §3). Reads
(`.list`, `.info`, `users.me`) are POSTs too, but they change nothing, so they are sent with
``safe=True`` and may be repeated after a timeout; writes are not.

Rate limits (notes §5): 200 calls per sliding minute per integration and account; every response
carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``, the last an
ISO-8601 datetime whose examples carry milliseconds and a +01:00 offset (notes §"Evidence 2026-12");
it is read with the core's `parse_reset`, which takes every common form. A 429 is retried once the
reset has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from connector.contract.errors import ApiError, AuthorizationNeeded
from connector.contract.services import ServiceContext
from connector.transport.http import ApiClient, Budget, RateGovernor, parse_reset

log = logging.getLogger("connector.teamleader")

API_VERSION = "2023-09-26"
"""The dated API version whose behaviour this plugin expects (notes §1), sent on every call."""
PER_MINUTE = 200
PAGE_SIZE = 100

AccessToken = Callable[[bool], str]
"""access_token(force): a valid bearer token; `force` asks for a new one after a 401."""


def parse_moment(value: str | None) -> datetime | None:
    """An ISO-8601 datetime as Teamleader writes it (``2021-06-15T10:51:23.035+0100``), or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        log.warning("Teamleader: unreadable datetime %r", value)
        return None


def error_title(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The first error's title and meta from ``{"errors": [{"title", "meta", ...}]}`` (notes §3)."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase, {}
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        meta = first.get("meta")
        return str(first.get("title") or response.reason_phrase), meta if isinstance(meta, dict) else {}
    return response.text[:300] or response.reason_phrase, {}


class TeamleaderClient(ApiClient):
    """`ApiClient` speaking Teamleader: bearer auth, its rate-limit headers, its error bodies."""

    service = "Teamleader"

    def __init__(self, api_url: str, context: ServiceContext, access_token: AccessToken) -> None:
        governor = RateGovernor(
            service=self.service, per_minute=PER_MINUTE, clock=context.clock, sleep=context.sleep
        )
        super().__init__(api_url, context, governor)
        self._access_token = access_token

    # -- ApiClient hooks ------------------------------------------------------------------------

    def auth_headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token(force_refresh)}"}

    def budgets(self, response: httpx.Response) -> list[Budget]:
        limit = response.headers.get("X-RateLimit-Limit")
        remaining = response.headers.get("X-RateLimit-Remaining")
        if limit is None or remaining is None:
            return []
        try:
            limit_value, remaining_value = int(limit), int(remaining)
        except ValueError:
            return []
        resets_at = parse_reset(response.headers.get("X-RateLimit-Reset"), self.context.clock())
        if resets_at is None:
            resets_at = self.context.clock() + timedelta(seconds=60)
        return [Budget("minute", limit_value, remaining_value, resets_at)]

    def retry_at(self, response: httpx.Response) -> datetime | None:
        return parse_reset(response.headers.get("X-RateLimit-Reset"), self.context.clock())

    def error(self, response: httpx.Response, endpoint: str) -> ApiError:
        title, meta = error_title(response)
        field = meta.get("field")
        where = f" (field {field})" if field else ""
        return ApiError(
            f"Teamleader refused {endpoint} ({response.status_code}): {title}{where}",
            status=response.status_code,
            response=response,
            hint=_hint(response.status_code),
        )

    # -- RPC --------------------------------------------------------------------------------------

    def call(self, endpoint: str, body: Mapping[str, Any] | None = None, *, safe: bool) -> Any:
        """POST one RPC call; the decoded JSON answer, or None for an empty (204) one."""
        try:
            response = self.request(
                "POST",
                f"/{endpoint}",
                endpoint=endpoint,
                safe=safe,
                json=dict(body or {}),
                headers={"X-Api-Version": API_VERSION, "Accept": "application/json"},
            )
        except ApiError as error:
            if error.status == 401:  # refused even after a refresh: only a person can fix it
                raise AuthorizationNeeded(
                    f"Teamleader refused the access token on {endpoint}: {error_title(error.response)[0]}",
                    side=self.context.side,
                ) from error
            raise
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise ApiError(
                f"Teamleader answered {endpoint} with something that is not JSON: {response.text[:200]!r}",
                status=response.status_code,
                response=response,
            ) from error

    def data(self, endpoint: str, body: Mapping[str, Any] | None = None) -> Any:
        """A read's ``data`` member (an object for `.info`, a list for `.list`)."""
        payload = self.call(endpoint, body, safe=True)
        return payload.get("data") if isinstance(payload, dict) else None

    def pages(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, size: int = PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list, one at a time, until a short page.

        Teamleader's lists carry no total (notes §4), so a page shorter than `size` is the last.
        Some endpoints ignore `page` and answer everything every time; a page that starts with an
        id already seen as a first id ends the loop instead of looping forever.
        """
        number = 1
        first_ids: set[str] = set()
        while True:
            request = {**dict(body or {}), "page": {"size": size, "number": number}}
            items = self.data(endpoint, request) or []
            if not items:
                return
            first = items[0].get("id") if isinstance(items[0], dict) else None
            if isinstance(first, str):
                if first in first_ids:
                    log.info("Teamleader: %s ignores paging; stopping at page %d", endpoint, number)
                    return
                first_ids.add(first)
            yield items
            if len(items) < size:
                return
            number += 1


def _hint(status: int) -> str | None:
    if status == 403:
        return "the integration lacks a scope or a permission: check it on the Teamleader Marketplace"
    if status == 404:
        return "it no longer exists in Teamleader (deleted?)"
    if status == 401:
        return "the access token was refused: run `connector auth RULES source`"
    return None
