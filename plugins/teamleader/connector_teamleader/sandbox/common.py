"""What every part of the Teamleader simulator shares: the error answer, money, dates, ids, paging.

Teamleader answers every failure with ``{"errors": [{"title", "status", "code"?, "meta"?}]}``
(GUIDELINES.md of the API blueprint); `ApiError` carries one such error up to the server, which renders it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from connector.testing.sandbox import Response

T = TypeVar("T")
CENT = Decimal("0.01")
API_VERSION = "2023-09-26"
WEB = "https://focus.teamleader.eu"


class ApiError(Exception):
    """An error answer: raised anywhere in a handler, rendered as the `errors` body by the server."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        field: str | None = None,
        code: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.code = code
        self.meta = dict(meta or {})
        if field:
            self.meta["field"] = field

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {}
        if self.code is not None:
            error["code"] = self.code
        error["title"] = self.title
        error["status"] = self.status
        if self.meta:
            error["meta"] = self.meta
        return {"errors": [error]}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return Response.json(self.body(), self.status, headers)


def invalid(field: str, title: str | None = None) -> ApiError:
    """A 400 naming the offending field, as the GUIDELINES example does (`meta.field`)."""
    return ApiError(400, title or f"{field} is invalid", field=field)


def not_found(kind: str, ident: object) -> ApiError:
    return ApiError(404, f"{kind} {ident} not found", field="id")


# -- money ------------------------------------------------------------------------------------


def cents(value: Decimal) -> Decimal:
    """Round half-up to cents, the way a document rounds."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal) -> float | int:
    """A Decimal as a JSON number (the API sends amounts as numbers, not strings)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": number(amount), "currency": currency}


def decimal(value: Any, field: str) -> Decimal:
    """A number from a request body; floats go through str so 123.3 stays 123.3."""
    if isinstance(value, bool) or value is None:
        raise invalid(field, f"{field} must be a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation as error:
        raise invalid(field, f"{field} must be a number") from error
    if not result.is_finite():
        raise invalid(field, f"{field} must be a number")
    return result


# -- dates ------------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """`*_at` values: ISO-8601 in UTC to the second, e.g. 2017-10-15T10:01:49+00:00 (GUIDELINES)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def parse_date(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise invalid(field, f"{field} must be a date (YYYY-MM-DD)") from error


def parse_datetime(value: Any, field: str) -> datetime:
    """Writes accept any offset (GUIDELINES); a value without one is read as UTC."""
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be an ISO-8601 datetime")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise invalid(field, f"{field} must be an ISO-8601 datetime") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def second(moment: datetime) -> datetime:
    """Timestamps are kept to the second, as they are shown, so a filter on a shown value is exact."""
    return moment.astimezone(UTC).replace(microsecond=0)


# -- ids --------------------------------------------------------------------------------------


class Ids:
    """Server-generated UUIDs (GUIDELINES), from a seeded generator so demo data is the same every run."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def new(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


# -- request bodies ---------------------------------------------------------------------------


def obj(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, f"{field} must be an object")
    return value


def text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise invalid(field, f"{field} is required")
        return None
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string")
    return value


def id_list(value: Any, field: str) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(field, f"{field} must be an array of ids")
    return set(value)


def relation(value: Any, field: str, types: Sequence[str]) -> tuple[str, str]:
    """A `{"type": ..., "id": ...}` reference (GUIDELINES: relations are always this pair)."""
    ref = obj(value, field)
    kind, ident = ref.get("type"), ref.get("id")
    if kind not in types or not isinstance(ident, str):
        raise invalid(field, f"{field} must be {{type: {'|'.join(types)}, id}}")
    return str(kind), ident


def ref(kind: str, ident: str | None) -> dict[str, str] | None:
    return {"type": kind, "id": ident} if ident else None


# -- lists ------------------------------------------------------------------------------------


class Paging:
    """`page.size` (default 20) and `page.number` (1-based), with the simulator's ceiling on size."""

    def __init__(self, max_size: int = 100, clamp: bool = False) -> None:
        self.max_size = max_size
        self.clamp = clamp

    def page(self, body: dict[str, Any], items: Sequence[T]) -> list[T]:
        page = obj(body.get("page"), "page")
        size, number_ = page.get("size", 20), page.get("number", 1)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise invalid("page.size", "page.size must be a positive integer")
        if not isinstance(number_, int) or isinstance(number_, bool) or number_ < 1:
            raise invalid("page.number", "page.number must be a positive integer (pages start at 1)")
        if size > self.max_size:
            if not self.clamp:
                raise invalid("page.size", f"page.size must not be greater than {self.max_size}")
            size = self.max_size
        start = (number_ - 1) * size
        return list(items[start : start + size])


def sort_spec(body: dict[str, Any], allowed: Iterable[str], default: str) -> list[tuple[str, bool]]:
    """`sort: [{field, order}]` as (field, descending) pairs; an unknown field is a 400."""
    raw = body.get("sort")
    if raw is None:
        return [(default, False)]
    if not isinstance(raw, list):
        raise invalid("sort", "sort must be an array of {field, order}")
    allowed = set(allowed)
    result = []
    for position, item in enumerate(raw):
        entry = obj(item, f"sort.{position}")
        field, order = entry.get("field"), entry.get("order", "asc")
        if field not in allowed:
            raise invalid(f"sort.{position}.field", f"sort field must be one of {', '.join(sorted(allowed))}")
        if order not in ("asc", "desc"):
            raise invalid(f"sort.{position}.order", "sort order must be asc or desc")
        result.append((field, order == "desc"))
    return result or [(default, False)]


def sorted_by(items: list[T], spec: list[tuple[str, bool]], key: Callable[[T, str], Any]) -> list[T]:
    """Stable multi-key sort; `key(item, field)` returns a comparable value (None sorts last)."""
    result = list(items)
    for field, descending in reversed(spec):
        present = [item for item in result if key(item, field) is not None]
        absent = [item for item in result if key(item, field) is None]
        present.sort(key=lambda item, f=field: key(item, f), reverse=descending)  # type: ignore[misc]
        result = present + absent
    return result
