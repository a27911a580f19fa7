"""OData v2 conventions of the Exact Online REST API: literals, dates, envelopes and errors.

Exact answers in OData v2 "verbose" JSON (`{"d": ...}`), renders dates as ``/Date(ms)/`` and errors as
``{"error": {"code": "", "message": {"lang": "", "value": ...}}}`` (notes §4.1, §4.4, §4.6).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connector.testing.sandbox import Response

CENT = Decimal("0.01")
DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
ODATA_HEADERS = {"Content-Type": "application/json; charset=utf-8", "DataServiceVersion": "2.0"}


class ODataError(Exception):
    """An answer other than success: raised anywhere while serving, turned into a response once."""

    def __init__(
        self, status: int, message: str = "", *, headers: Mapping[str, str] | None = None, empty: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.empty = empty

    def response(self) -> Response:
        if self.empty:
            return Response.empty(self.status, self.headers)
        return Response.json(error_body(self.message), self.status, {**ODATA_HEADERS, **self.headers})


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


def money(value: Decimal) -> Decimal:
    """Round half-up to cents, as a booked amount is."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def new_guid() -> str:
    return str(uuid.uuid4())


# -- values in ---------------------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """Accept what clients send: ISO with or without Z/offset, date-only, or ``/Date(ms)/``.

    Stored values are naive UTC wall-clock datetimes (Exact's /Date values carry no zone).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (
            value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        )
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    match = DATE_RE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).replace(tzinfo=None)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"not a date: {value!r}") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def parse_decimal(value: Any) -> Decimal | None:
    """Amounts arrive as JSON numbers or as strings (ossobv sends strings; Exact accepts both)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


def parse_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_guid(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(uuid.UUID(str(value).strip("{}")))


def coerce(kind: str, value: Any) -> Any:
    """Turn a posted JSON value into the stored Python value of a field of type `kind`."""
    if kind == "guid":
        return parse_guid(value)
    if kind == "decimal":
        return parse_decimal(value)
    if kind == "date":
        return parse_datetime(value)
    if kind == "bool":
        return parse_bool(value)
    if kind in ("int", "int64"):
        return None if value is None or value == "" else int(value)
    return None if value is None else str(value)


# -- values out --------------------------------------------------------------------------------


def render_date(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return f"/Date({int(aware.timestamp() * 1000)})/"


def render(value: Any) -> Any:
    """A stored value as Exact's JSON shows it: Edm.Double for amounts, /Date(ms)/ for dates."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return render_date(value)
    return value


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), {**ODATA_HEADERS, **(headers or {})})
