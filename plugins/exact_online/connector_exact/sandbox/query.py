"""Serving a GET on a collection: `$select`, `$filter`, `$orderby`, `$top`, `$skiptoken`, `$expand`.

Pages hold 60 rows on the standard endpoints and 1000 on bulk, sync and read endpoints; `__next` is the
absolute URL of the next page and repeats the query's `$select`/`$filter`/`$orderby` with a
`$skiptoken` (the last row's key, or its Timestamp with ``L`` on sync endpoints) (notes §4.1-4.3).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from .filters import SYNTAX_ERROR, FilterSyntaxError, UnsupportedFields, parse_filter
from .odata import ODataError, render
from .schema import Endpoint, EntityType
from .store import Row
from .tables import Table

SELECT_REQUIRED = "Please add a $select or a $top=1 statement to the query string."


def key_literal(entity: EntityType, value: Any) -> str:
    kind = entity.fields.get(entity.key)
    if kind == "guid":
        return f"guid'{value}'"
    if kind == "int64":
        return f"{value}L"
    if kind == "str":
        return "'" + str(value).replace("'", "''") + "'"
    return str(value)


@dataclass
class Renderer:
    """Turns stored rows into Exact's JSON entities, with `__metadata` and deferred navigation."""

    base: str  # e.g. http://127.0.0.1:1234/api/v1/1234567
    expand_children: Callable[[EntityType, Row, str], list[dict[str, Any]]]

    def uri(self, path: str, entity: EntityType, row: Row) -> str:
        return f"{self.base}/{path}({key_literal(entity, row.get(entity.key))})"

    def entity(
        self,
        path: str,
        entity: EntityType,
        row: Row,
        select: list[str] | None = None,
        expand: Iterable[str] = (),
    ) -> dict[str, Any]:
        uri = self.uri(path, entity, row)
        out: dict[str, Any] = {"__metadata": {"uri": uri, "type": entity.type_name}}
        names = select if select else [*entity.fields, *entity.navigation]
        for name in names:
            if name in entity.navigation:
                if name in expand:
                    out[name] = {"results": self.expand_children(entity, row, name)}
                else:
                    out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
            else:
                out[name] = render(row.get(name))
        return out


def parse_select(entity: EntityType, text: str | None) -> list[str] | None:
    if not text or text.strip() == "*":
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = set(entity.fields) | set(entity.navigation)
    for name in names:
        if name != "*" and name not in known:
            raise ODataError(400, f"Property '{name}' does not exist on type '{entity.type_name}'.")
    if "*" in names:
        return None
    return names


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value)


def _order(rows: list[Row], orderby: str, entity: EntityType) -> list[Row]:
    for clause in reversed([part.strip() for part in orderby.split(",") if part.strip()]):
        name, _, direction = clause.partition(" ")
        if name not in entity.fields or direction.strip().lower() not in ("", "asc", "desc"):
            raise ODataError(400, SYNTAX_ERROR)
        rows = sorted(rows, key=lambda r: _sort_key(r.get(name)), reverse=direction.strip().lower() == "desc")
    return rows


def serve_collection(
    endpoint: Endpoint,
    entity: EntityType,
    stored: Collection[Row],
    query: dict[str, list[str]],
    renderer: Renderer,
    path: str,
    next_base: str,
) -> dict[str, Any]:
    """The `d` of one page of a collection GET; raises ODataError on a refused query."""
    params = {name: values[0] for name, values in query.items() if values}
    select_text, filter_text = params.get("$select"), params.get("$filter")
    top = _int_param(params.get("$top"))
    if endpoint.select_required and not select_text and top != 1:
        raise ODataError(400, SELECT_REQUIRED)
    select = parse_select(entity, select_text)
    rows = filter_rows(endpoint, entity, stored, filter_text)
    count = len(rows)
    if endpoint.sync:
        rows = sorted(rows, key=lambda r: r.get("Timestamp") or 0)
    elif params.get("$orderby") or endpoint.order:
        rows = _order(list(rows), params.get("$orderby") or f"EntryID,{endpoint.order}", entity)
    else:
        rows = sorted(rows, key=lambda r: _sort_key(r.get(entity.key)))
    ordered = bool(params.get("$orderby") or endpoint.order)
    rows = _after_skiptoken(endpoint, entity, rows, params.get("$skiptoken"), ordered)
    size = endpoint.page_size if top is None else min(endpoint.page_size, top)
    page = rows[:size]
    expand = [name.strip() for name in (params.get("$expand") or "").split(",") if name.strip()]
    for name in expand:
        if name not in entity.navigation:
            raise ODataError(400, f"Property '{name}' does not exist on type '{entity.type_name}'.")
    d: dict[str, Any] = {"results": [renderer.entity(path, entity, row, select, expand) for row in page]}
    if params.get("$inlinecount") == "allpages":
        d["__count"] = str(count)
    more = len(rows) > len(page) and (top is None or top > len(page))
    if more and page:
        last = page[-1]
        token = f"{last.get('Timestamp')}L" if endpoint.sync else key_literal(entity, last.get(entity.key))
        following = {k: v for k, v in params.items() if k != "$skiptoken"}
        if top is not None:
            following["$top"] = str(top - len(page))
        following["$skiptoken"] = token
        d["__next"] = f"{next_base}?" + urlencode(following, safe="$'(),:", quote_via=quote)
    return d


def filter_rows(
    endpoint: Endpoint, entity: EntityType, rows: Collection[Row], filter_text: str | None
) -> list[Row]:
    """The rows `filter_text` holds, in their stored order. `rows` may be a `Table`: then a filter
    that names values of an indexed field (``YourRef eq 'a' or YourRef eq 'b'``) is answered from
    the index, and only a filter no index can narrow scans the table."""
    if endpoint.mandatory_filter and not filter_text:
        raise ODataError(400, endpoint.mandatory_filter_message)
    scan: Iterable[Row] = rows.values() if isinstance(rows, Table) else rows
    if not filter_text:
        return list(scan)
    allowed = endpoint.filterable
    if endpoint.mandatory_filter:
        allowed = frozenset(endpoint.mandatory_filter)
    try:
        predicate = parse_filter(filter_text, entity.fields, allowed)
    except UnsupportedFields as error:
        raise ODataError(400, str(error)) from error
    except FilterSyntaxError as error:
        raise ODataError(400, SYNTAX_ERROR) from error
    if isinstance(rows, Table) and predicate.hint:
        candidates = rows.candidates(predicate.hint)
        if candidates is not None:
            scan = candidates
    return [row for row in scan if predicate(row)]


def _int_param(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError as error:
        raise ODataError(400, SYNTAX_ERROR) from error
    if value < 0:
        raise ODataError(400, SYNTAX_ERROR)
    return value


def _after_skiptoken(
    endpoint: Endpoint, entity: EntityType, rows: list[Row], token: str | None, ordered: bool
) -> list[Row]:
    if not token:
        return rows
    token = token.strip()
    if endpoint.sync:
        try:
            stamp = int(token.rstrip("Ll"))
        except ValueError as error:
            raise ODataError(400, SYNTAX_ERROR) from error
        return [row for row in rows if (row.get("Timestamp") or 0) > stamp]
    raw = token
    if raw.lower().startswith("guid'") and raw.endswith("'"):
        key: Any = raw[5:-1].lower()
    elif raw.rstrip("Ll").lstrip("-").isdigit():
        key = int(raw.rstrip("Ll"))
    else:
        raise ODataError(400, SYNTAX_ERROR)
    if ordered:
        for index, row in enumerate(rows):
            if row.get(entity.key) == key:
                return rows[index + 1 :]
        return []
    return [row for row in rows if _sort_key(row.get(entity.key)) > _sort_key(key)]
