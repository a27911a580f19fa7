"""The Exact Online simulator: routing of /api/oauth2/* and /api/v1/*, on `SandboxServer`."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from connector.testing.sandbox import Fault, Request, Response, SandboxServer

from . import documents, payments, periods
from .admin import AdminMixin
from .booking import Ledger
from .books import BookingOptions
from .crm import check_properties, save_account, save_contact
from .demo import CLIENT_ID, CLIENT_SECRET, DIVISION, USER, USER_ID
from .filters import SYNTAX_ERROR
from .oauth import Client, OAuthServer
from .odata import ODataError, json_response, parse_datetime, parse_guid, render_date
from .query import Renderer, filter_rows, serve_collection
from .ratelimit import ErrorBudget, RateLimiter
from .schema import ENDPOINTS, ME, SALES_ENTRY_LINE, Endpoint
from .store import Row, Store
from .tables import Table

RESOURCE_RE = re.compile(
    r"^(?P<path>[A-Za-z][A-Za-z/]*?)(?:\((?P<key>[^)]*)\)(?:/(?P<nav>[A-Za-z]+))?|/(?P<count>\$count))?$"
)


class ExactSandbox(AdminMixin, SandboxServer):
    """A local Exact Online: OAuth, the REST API of one demo division, rate limits, admin hooks."""

    name = "exact_online"

    def __init__(
        self,
        *,
        port: int = 0,
        seed: bool = True,
        per_minute: int = 60,
        per_day: int = 5000,
        enforce_error_limit: bool = True,  # as on Exact (ratelimit.py); False only records errors
        error_limit: int = 10,
        auto_approve: bool = True,
        refresh_token_ttl: timedelta = timedelta(days=30),
        min_refresh_interval: float = 570,
        token_calls_per_day: int = 200,
        validation_status: int = 500,
        speed: float = 1.0,
        documents: int = 0,  # `connector sandbox --documents`: the source's; the books start empty of them
        split_partial: bool = True,  # see BookingOptions
    ) -> None:
        super().__init__(port=port, speed=speed)
        self.store = Store(self.clock)
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.oauth = OAuthServer(
            self.clock,
            [Client(CLIENT_ID, CLIENT_SECRET, USER_ID)],
            auto_approve=auto_approve,
            refresh_token_ttl=refresh_token_ttl,
            min_refresh_interval=min_refresh_interval,
            token_calls_per_day=token_calls_per_day,
        )
        self.limiter = RateLimiter(self.clock, per_minute=per_minute, per_day=per_day)
        self.error_budget = ErrorBudget(self.clock, limit=error_limit, enforce=enforce_error_limit)
        self.options = BookingOptions(validation_status=validation_status, split_partial=split_partial)
        if seed:
            self.seed()

    # -- the Sandbox protocol ----------------------------------------------------------------------

    @property
    def environment(self) -> Mapping[str, str]:
        return {
            "EXACT_BASE_URL": self.url,
            "EXACT_CLIENT_ID": self.client_id,
            "EXACT_CLIENT_SECRET": self.client_secret,
            "EXACT_DIVISION": str(DIVISION),
        }

    @property
    def credentials(self) -> Mapping[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "division": str(DIVISION),
            "user": USER["UserName"],
            "authorize": f"{self.url}/api/oauth2/auth (auto-approves)",
        }

    def refresh_token(self) -> str:
        return self.issue_refresh_token()

    def issue_refresh_token(self) -> str:
        """A refresh token for the demo user, as if they had just authorized the app."""
        with self.lock:
            return self.oauth.issue_refresh_token(self.client_id)

    def ledger(self, division: int = DIVISION) -> Ledger:
        return Ledger(self.store, self.store.divisions[division], self.options)

    # -- API ---------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path == "/api/oauth2/auth":
            return self.oauth.authorize(request)
        if request.path == "/api/oauth2/token":
            return self.oauth.token(request)
        if not request.path.startswith(("/api/v1/", documents.FILE_PATH)):
            return ODataError(404, "Not found").response()
        try:
            access = self.oauth.bearer(request)
        except ODataError as error:
            return error.response()
        if request.path == documents.FILE_PATH:  # an attachment's `Url`, read with the same token
            return documents.serve(self.store, request.param("ID"))
        located = self._locate(request.path)
        if located is None:
            head = request.path[len("/api/v1/") :].strip("/").partition("/")[0]
            return ODataError(404, f"Resource not found for the segment '{head}'.").response()
        division, resource, endpoint_name, in_division = located
        headers: dict[str, str] = {}
        try:
            if division not in self.store.divisions:
                raise ODataError(403, "Forbidden", headers={"Reason": "NoDivisionAccess"})
            self.error_budget.check(access.client_id, division, endpoint_name)
            headers = self.limiter.take(access.client_id, division)
            response = self._route(request, division, resource, in_division)
        except ODataError as error:
            response = error.response()
        if response.status != 429:
            response.headers.update(headers)
        self.error_budget.record(access.client_id, division, endpoint_name, response.status)
        return response

    def _current_division(self) -> int:
        return next(iter(self.store.divisions), DIVISION)

    def _locate(self, path: str) -> tuple[int, str, str, bool] | None:
        """(division, resource, endpoint name, in a division's URL) of an /api/v1/ path; None if unknown."""
        rest = path[len("/api/v1/") :].strip("/")
        head, _, tail = rest.partition("/")
        if head in ("current", "system"):
            division, resource = self._current_division(), rest
        elif head.isdigit():
            division, resource = int(head), tail
        else:
            return None
        return division, resource, re.sub(r"\(.*$", "", resource) or resource, head.isdigit()

    def _take_fault(self, request: Request) -> Fault | None:
        """An injected error answer counts in the error budget as Exact's own answer would (§4.6)."""
        fault = super()._take_fault(request)
        if fault is None or fault.kind != "status" or not request.path.startswith("/api/v1/"):
            return fault
        with self.lock:
            header = request.header("Authorization") or ""
            token = header[7:].strip() if header[:7].lower() == "bearer " else ""
            access = self.oauth.access_tokens.get(token)
            located = self._locate(request.path)
            if access is not None and located is not None:
                self.error_budget.record(access.client_id, located[0], located[2], fault.status)
        return fault

    def _route(self, request: Request, division: int, resource: str, in_division: bool) -> Response:
        base = f"{self.url}/api/v1/{division}"
        if resource.lower() == "current/me":
            return self._me(request, division)
        if resource.lower() == "system/users":
            if in_division:
                raise ODataError(501, "Not Implemented")
            return json_response({"d": {"results": [self._user_row(division)]}})
        if resource.lower() == "read/sync/sync/synctimestamp":
            return self._sync_timestamp(request, base)
        match = RESOURCE_RE.match(resource)
        endpoint = ENDPOINTS.get(match.group("path").lower()) if match else None
        if match is None or endpoint is None:
            raise ODataError(404, f"Resource not found for the segment '{resource}'.")
        if request.method not in endpoint.methods:
            raise ODataError(405, f"The method {request.method} is not allowed on {endpoint.path}.")
        ledger = self.ledger(division)
        renderer = Renderer(base, lambda entity, row, name: self._children(ledger, base, row))
        key, nav = match.group("key"), match.group("nav")
        if key is None:
            if match.group("count") and request.method == "GET":
                rows = filter_rows(
                    endpoint, endpoint.entity, self._rows(ledger, endpoint), request.param("$filter")
                )
                return Response(200, str(len(rows)).encode(), {"Content-Type": "text/plain"})
            if request.method == "GET":
                d = serve_collection(
                    endpoint,
                    endpoint.entity,
                    self._rows(ledger, endpoint),
                    request.query,
                    renderer,
                    endpoint.path,
                    f"{base}/{endpoint.path}",
                )
                return json_response({"d": d})
            if request.method == "POST":
                row = self._create(ledger, endpoint, self._body(request))
                uri = renderer.uri(endpoint.path, endpoint.entity, row)
                return json_response(
                    {"d": renderer.entity(endpoint.path, endpoint.entity, row)}, 201, {"Location": uri}
                )
            raise ODataError(405, f"The method {request.method} is not allowed on a collection.")
        row = self._by_key(ledger, endpoint, key)
        if nav is not None:
            if nav not in endpoint.entity.navigation or request.method != "GET":
                raise ODataError(404, f"Resource not found for the segment '{nav}'.")
            lines = ENDPOINTS["salesentry/salesentrylines"]
            children = ledger.lines_of(row)
            path = f"{endpoint.path}({match.group('key')})/{nav}"
            d = serve_collection(
                lines, SALES_ENTRY_LINE, children, request.query, renderer, lines.path, f"{base}/{path}"
            )
            return json_response({"d": d})
        if request.method == "GET":
            select = request.param("$select")
            names = [n.strip() for n in select.split(",")] if select and select.strip() != "*" else None
            expand = [n.strip() for n in (request.param("$expand") or "").split(",") if n.strip()]
            return json_response({"d": renderer.entity(endpoint.path, endpoint.entity, row, names, expand)})
        if request.method == "PUT":
            self._update(ledger, endpoint, row, self._body(request))
            return Response.empty(204)
        self._delete(ledger, endpoint, row)
        return Response.empty(204)

    @staticmethod
    def _body(request: Request) -> Any:
        try:
            return request.json()
        except ValueError as error:
            raise ODataError(
                400,
                "Error processing request stream. The request should be a valid top-level resource object.",
            ) from error

    def _rows(self, ledger: Ledger, endpoint: Endpoint) -> Collection[Row]:
        """The endpoint's rows: a stored `Table` (indexed), or the list a read endpoint derives."""
        if endpoint.table == "receivables_list":
            return payments.receivables_list(ledger)
        if endpoint.table == "document_types":
            return documents.types(ledger.division)
        if endpoint.table == periods.TABLE:
            periods.periods(ledger.store, ledger.division)  # seeded at first use
        return ledger.division.table(endpoint.table)

    def _children(self, ledger: Ledger, base: str, row: Row) -> list[dict[str, Any]]:
        renderer = Renderer(base, lambda entity, child, name: [])
        return [
            renderer.entity("salesentry/SalesEntryLines", SALES_ENTRY_LINE, line)
            for line in ledger.lines_of(row)
        ]

    def _by_key(self, ledger: Ledger, endpoint: Endpoint, literal: str) -> Row:
        kind = endpoint.entity.fields.get(endpoint.entity.key)
        text = literal.strip()
        key: Any
        try:
            if kind == "guid":
                if not (text.lower().startswith("guid'") and text.endswith("'")):
                    raise ValueError(text)
                key = parse_guid(text[5:-1])
            else:
                key = int(text.rstrip("Ll"))
        except ValueError as error:
            raise ODataError(400, SYNTAX_ERROR) from error
        rows = self._rows(ledger, endpoint)
        if isinstance(rows, Table):
            found = rows.get(key)
            if found is not None and found.get(endpoint.entity.key) == key:
                return found
        else:
            for row in rows:
                if row.get(endpoint.entity.key) == key:
                    return row
        raise ODataError(404, "Resource not found for the segment '" + endpoint.path.split("/")[-1] + "'.")

    def _create(self, ledger: Ledger, endpoint: Endpoint, payload: Any) -> Row:
        status = self.options.validation_status
        if endpoint.table == "accounts":
            return save_account(self.store, ledger.division, payload, status)
        if endpoint.table == "contacts":
            return save_contact(self.store, ledger.division, payload, status)
        if endpoint.table == "documents":
            return documents.create_document(
                self.store, ledger.division, check_properties(endpoint.entity, payload), status
            )
        if endpoint.table == "document_attachments":
            body = check_properties(endpoint.entity, payload)
            base = f"{self.url}"
            return documents.create_attachment(self.store, ledger.division, body, status, base)
        if endpoint.table == "sales_entries":
            check_properties(endpoint.entity, payload)
            lines = payload.get("SalesEntryLines")
            for line in lines if isinstance(lines, list) else []:
                check_properties(SALES_ENTRY_LINE, line)
            return ledger.book(payload)
        check_properties(endpoint.entity, payload)
        return ledger.add_line(payload)

    def _update(self, ledger: Ledger, endpoint: Endpoint, row: Row, payload: Any) -> None:
        status = self.options.validation_status
        if endpoint.table == "accounts":
            save_account(self.store, ledger.division, payload, status, row)
        elif endpoint.table == "contacts":
            save_contact(self.store, ledger.division, payload, status, row)
        elif endpoint.table == "sales_entries":
            ledger.update_entry(row, check_properties(endpoint.entity, payload))
        else:
            ledger.update_line(row, check_properties(endpoint.entity, payload))

    def _delete(self, ledger: Ledger, endpoint: Endpoint, row: Row) -> None:
        division = ledger.division
        if endpoint.table == "accounts":
            if division.find("sales_entries", Customer=row["ID"]) is not None:
                raise ODataError(self.options.validation_status, "Gegeven wordt gebruikt: Relatie")
            self.store.delete(division, "accounts", row["ID"])
        elif endpoint.table == "contacts":
            self.store.delete(division, "contacts", row["ID"])
        elif endpoint.table == "sales_entries":
            ledger.delete_entry(row)
        else:
            ledger.delete_line(row)

    def _user_row(self, division: int) -> dict[str, Any]:
        renderer = Renderer(f"{self.url}/api/v1/current", lambda *_: [])
        return renderer.entity("Me", ME, self._me_row(division))

    def _me_row(self, division: int) -> Row:
        data = self.store.divisions.get(division)
        return {
            "UserID": USER_ID,
            **USER,
            "CurrentDivision": division,
            "AccountingDivision": division,
            "DivisionCustomerName": data.description if data else None,
            "DivisionCustomerVatNumber": data.vat_number if data else None,
            "Legislation": f"{data.country}0000" if data else None,
            "PackageCode": "BOEKH-ADV",
            "ServerTime": self.store.now(),
            "ServerUtcOffset": 0,
        }

    def _me(self, request: Request, division: int) -> Response:
        endpoint = Endpoint("current/Me", ME, "me")
        renderer = Renderer(f"{self.url}/api/v1", lambda *_: [])
        d = serve_collection(
            endpoint,
            ME,
            [self._me_row(division)],
            request.query,
            renderer,
            "current/Me",
            f"{self.url}/api/v1/current/Me",
        )
        return json_response({"d": d})

    def _sync_timestamp(self, request: Request, base: str) -> Response:
        modified, endpoint = request.param("modified"), request.param("endPoint")
        if not modified or not endpoint:
            raise ODataError(400, "Mandatory: modified, endPoint")
        try:
            moment = parse_datetime(modified.removeprefix("datetime").strip("'"))
        except ValueError as error:
            raise ODataError(400, SYNTAX_ERROR) from error
        assert moment is not None
        name = endpoint.strip("'")
        row = {
            "__metadata": {
                "uri": f"{base}/read/sync/Sync/SyncTimestamp",
                "type": "Exact.Web.Api.Models.Sync.SyncTimestamp",
            },
            "EndPoint": name,
            "Modified": render_date(moment),
            "TimeStampAsBigInt": self.store.sync_timestamp(moment, name),
        }
        return json_response({"d": {"results": [row]}})


def start_sandbox(*, seed: bool = True, port: int = 0, **options: Any) -> ExactSandbox:
    """Start the Exact Online simulator on loopback (port 0: any free port) and return it running."""
    sandbox = ExactSandbox(seed=seed, port=port, **options)
    sandbox.start()
    return sandbox
