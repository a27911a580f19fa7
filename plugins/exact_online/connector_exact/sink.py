"""The Exact Online sink: customers as accounts, documents as sales entries, payments read back.

What each method costs in API calls (Exact allows 60 a minute and 5,000 a day per division, and the
documents flow stops 100 short of that so payments can still be read; see `client.py`):

- `reference_data`: 6 reads (VAT codes, journals, GL accounts, payment conditions, cost centres, cost
  units: `reference.py`), each with `$select`, plus one per further 60 GL accounts; read once per
  run and kept on the instance (and by the core for an hour).
- `find_customer`: on first use one `bulk/CRM/Accounts` read (1,000 accounts per call) of every
  account with `Status eq 'C' or IsSales eq true` (a `$filter` is mandatory on accounts), selecting
  ID, Code, Name, VATNumber, Email; every later match is made in memory. Matching the normalised VAT
  number cannot be done by a server-side filter, which is why all accounts are read once.
- `save_customer`: one POST (create) or one PUT (update) per customer; the in-memory accounts follow.
- `existing_entries`: `salesentry/SalesEntries` filtered on the needed journals *and* the wanted
  `YourRef`s (as cut to `field_lengths.your_ref`), 40 references per read (about 1.5 kB of URL),
  selecting EntryID, Journal, Type, YourRef, AmountFC; an entry is a credit note by its Type, else by
  its negative total.
  A normal run costs one read; the cost grows with the documents to book, not with the size of the
  books (reading whole journals would cost one call per 60 entries ever booked, on every run).
- `book`: one POST per document, never repeated on an unknown outcome; `financial_periods`: one read.
- `attach` (`sync.attachments`): 2 + files calls per document, 3 for one file (see `attach.py`).
- `payment_changes`: `sync/Cashflow/PaymentTerms` from the cursor, 1,000 rows per call (one call
  when nothing changed). The first run starts at Timestamp 1: everything once, so payments made before
  the first payments run are seen too. It may spend the daily reserve.
- `changed_customers`: `sync/CRM/Accounts` from the cursor, plus one `crm/Contacts` read per 40
  changed accounts for their contacts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx

from connector.contract.errors import ApiError, AuthorizationNeeded, ConfigurationError
from connector.contract.records import (
    BookedEntry,
    Customer,
    DocumentKind,
    FinancialPeriod,
    JournalEntry,
    PaymentStatus,
)
from connector.contract.services import ReadCost, ReferenceData, ServiceContext, Sink

from . import booked, lookup, periods, receivables, reference, translate
from .attach import AttachingSink
from .client import ExactClient
from .lookup import any_of, batches
from .oauth import TokenEndpoint, TooEarlyToRefresh, exact_keeper

DEFAULT_BASE_URL = "https://start.exactonline.nl"
ACCOUNT_FIELDS = "ID,Code,Name,VATNumber,Email"
ACCOUNT_FILTER = "Status eq 'C' or IsSales eq true"
SYNC_ACCOUNT_FIELDS = (
    "Timestamp,ID,Name,Status,IsSales,IsSupplier,VATNumber,Email,Phone,AddressLine1,Postcode,City,"
    "Country,Language,Modified"
)
CONTACT_FIELDS = "ID,Account,FirstName,LastName,FullName,Email,Phone,Mobile,Language,Modified"
PAYMENT_TERM_FIELDS = (
    "Timestamp,ID,TransactionEntryID,LineType,IsFullyPaid,Status,LastPaymentDate,EndDate,"
    "AmountFC,TransactionAmountFC"
)


class ExactOnlineSink(AttachingSink, Sink):
    name = "exact_online"
    title = "Exact Online"
    go_live_checklist = (
        "credit note: book one, then open it in Exact: its lines and total are negative, its type is 21 "
        "(Sales credit note) and its open item (receivable) is negative; if not, stop and report it",
    )
    # "if a token is not used for 30 days you should use a new authorization request" (Exact's docs,
    # quoted in websmurf/laravel-exact-online#19; docs/api/exact-online.md §2.2)
    refresh_token_unused_for = timedelta(days=30)
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "description": "Exact Online: where sales entries and customer accounts are booked.",
        "properties": {
            "plugin": {"const": "exact_online", "description": "The Exact Online sink plugin."},
            "division": {
                "type": "integer",
                "minimum": 1,
                "description": "The Exact Online division (administration) number, e.g. 1234567.",
            },
            "client_id": {
                "type": "string",
                "minLength": 1,
                "description": "Client id of the Exact Online app, usually ${EXACT_CLIENT_ID}.",
            },
            "client_secret": {
                "type": "string",
                "minLength": 1,
                "description": "Client secret of the app; must be an ${ENV} reference, never a literal.",
            },
            "base_url": {
                "type": "string",
                "description": f"The Exact Online host of the country (default {DEFAULT_BASE_URL}; "
                "https://start.exactonline.be, .de, .co.uk ...); the sandbox overrides it.",
            },
            "field_lengths": {
                "type": "object",
                "description": "Longest texts sent to Exact Online, which publishes no limits; a longer "
                "text is cut and the run report says so.",
                "properties": {
                    "description": {
                        "type": "integer",
                        "minimum": 1,
                        "default": translate.FIELD_LENGTHS["Description"],
                        "description": "Characters of an entry's and its lines' Description (default 60).",
                    },
                    "your_ref": {
                        "type": "integer",
                        "minimum": 1,
                        "default": translate.FIELD_LENGTHS["YourRef"],
                        "description": "Characters of an entry's YourRef, its reference (default 30).",
                    },
                    "payment_reference": {
                        "type": "integer",
                        "minimum": 1,
                        "default": translate.FIELD_LENGTHS["PaymentReference"],
                        "description": "Characters of an entry's PaymentReference (default 25).",
                    },
                },
                "additionalProperties": False,
            },
        },
        "required": ["plugin", "division", "client_id", "client_secret"],
        "additionalProperties": False,
    }

    def __init__(self, options: Mapping[str, Any], context: ServiceContext) -> None:
        super().__init__(options, context)
        self.base_url = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.division = int(options["division"])
        self._token_http = httpx.Client(timeout=context.timeout, transport=context.transport)
        self.tokens = TokenEndpoint(
            self.base_url,
            str(options["client_id"]),
            str(options["client_secret"]),
            self._token_http,
            context,
        )
        self.keeper = exact_keeper(context.tokens, self.tokens.refresh, context.clock, context.sleep)
        self.client = ExactClient(self.base_url, self.division, context, self.keeper)
        self._reference: ReferenceData | None = None
        self._vat_as_listed: dict[str, str] = {}
        self._accounts: dict[str, dict[str, Any]] | None = None
        self._periods: list[FinancialPeriod] | None = None
        chosen = options.get("field_lengths") or {}
        self.lengths = {
            field: int(chosen.get(option, translate.FIELD_LENGTHS[field]))
            for option, field in translate.FIELD_OPTIONS.items()
        }

    # ------------------------------------------------------------ authorization

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        return self.tokens.authorization_url(redirect_uri, state)

    def authorize(
        self, *, code: str | None = None, redirect_uri: str | None = None, refresh_token: str | None = None
    ) -> None:
        """Exchange a code (or a given refresh token) at once, proving it works, and store the pair."""
        if code:
            if not redirect_uri:
                raise ConfigurationError("an authorization code needs the redirect_uri it was issued for")
            response = self.tokens.exchange_code(code, redirect_uri)
        elif refresh_token:
            try:
                response = self.tokens.refresh(refresh_token.strip())
            except TooEarlyToRefresh as refused:
                raise AuthorizationNeeded(
                    f"Exact Online refuses to refresh this token yet ({refused}): its access token is less "
                    "than 570 s old; try again in 10 minutes",
                    side="sink",
                ) from refused
        else:
            raise ConfigurationError("authorize needs an authorization code or a refresh token")
        self.keeper.store_response(response)

    def check_authorization(self) -> str:
        """Who we are (one call), and that the configured division answers (one more)."""
        me = self.client.get("/api/v1/current/Me", {"$select": "CurrentDivision,FullName"})
        rows = me.get("results", []) if isinstance(me, dict) else me
        name = str(rows[0].get("FullName") or "") if rows else ""
        divisions = self.client.rows(
            "system/Divisions", {"$filter": f"Code eq {self.division}", "$select": "Code,Description"}
        )
        if not divisions:
            raise ConfigurationError(
                f"Exact Online: division {self.division} is not accessible to this user",
                hint="check sink.division in the rule file, or authorize a user with access to it",
            )
        return name or "an Exact Online user"

    # ------------------------------------------------------------ reference data

    def reference_data(self) -> ReferenceData:
        if self._reference is None:
            self._reference, self._vat_as_listed = reference.read(self.client.rows)
        return self._reference

    def prime_reference(self, data: ReferenceData) -> bool:
        """Data kept from an earlier run is used only when it has every VAT code as Exact lists it
        (padded: sent otherwise, Exact would not know it); else this run reads its own."""
        if self._reference is not None:
            return True
        if any(code.listed_as is None for code in data.vat_codes.values()):
            return False
        self._vat_as_listed = {code.code: code.listed_as or code.code for code in data.vat_codes.values()}
        self._reference = data
        return True

    def forget_reference(self) -> None:
        self._reference = None

    # ------------------------------------------------------------ customers

    def _all_accounts(self) -> dict[str, dict[str, Any]]:
        if self._accounts is None:
            found = self.client.rows(
                "bulk/CRM/Accounts", {"$select": ACCOUNT_FIELDS, "$filter": ACCOUNT_FILTER}
            )
            self._accounts = {str(row["ID"]): row for row in found if row.get("ID")}
        return self._accounts

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        accounts = list(self._all_accounts().values())
        accounts.sort(key=lambda row: (str(row.get("Code") or "").strip().rjust(18), str(row["ID"])))
        for key in match:
            if key == "vat_number":
                wanted = translate.normalise_vat(customer.vat_number)
                same = [
                    a for a in accounts if wanted and translate.normalise_vat(a.get("VATNumber")) == wanted
                ]
            elif key == "email":
                wanted = (customer.email or "").strip().casefold()
                same = [
                    a for a in accounts if wanted and str(a.get("Email") or "").strip().casefold() == wanted
                ]
            elif key == "name":
                wanted = translate.normalise_text(translate.account_name(customer))
                same = [a for a in accounts if wanted and translate.normalise_text(a.get("Name")) == wanted]
            else:
                continue
            if same:
                return str(same[0]["ID"])
        return None

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        body = translate.account_payload(customer)
        if existing_id is None:
            created = self.client.post("crm/Accounts", body)
            account_id, code = str(created.get("ID") or ""), created.get("Code")
            if not account_id:
                raise ApiError("Exact Online created an account but did not say its ID")
        else:
            self.client.put("crm/Accounts", existing_id, body)
            account_id, code = existing_id, None
        if self._accounts is not None:  # keep the in-memory accounts as Exact now has them
            known = self._accounts.setdefault(account_id, {"ID": account_id, "Code": code})
            known.update(Name=body["Name"], VATNumber=body["VATNumber"], Email=body["Email"])
        return account_id

    # ------------------------------------------------------------ entries

    def existing_entries(
        self, wanted: Iterable[tuple[str, DocumentKind, str]]
    ) -> dict[tuple[str, DocumentKind, str], str]:
        """Entries in Exact by (journal, kind, your_ref), the reference as `book` cuts it. Two wanted
        references that are the same once cut cannot be told apart in Exact: neither is linked (and
        a notice says why), so no document is ever linked to another one's entry."""
        wanted_keys: dict[tuple[str, DocumentKind, str], tuple[str, DocumentKind, str]] = {}
        ambiguous: set[tuple[str, DocumentKind, str]] = set()
        for journal, kind, ref in wanted:
            key = (journal.strip(), kind, translate.sent_your_ref(ref.strip(), self.lengths).strip())
            if key in wanted_keys and wanted_keys[key] != (journal, kind, ref):
                ambiguous.add(key)
            wanted_keys[key] = (journal, kind, ref)
        for key in sorted(ambiguous):
            self.context.notice(
                f"references that start with {key[2]!r} are the same in Exact Online once cut to "
                f"{self.lengths['YourRef']} characters: they are not looked up; keep fields.your_ref short"
            )
            del wanted_keys[key]
        if not wanted_keys:
            return {}
        return lookup.entries(self.client, wanted_keys)

    def book(self, entry: JournalEntry) -> str:
        gl_ids = {code: account.id for code, account in self.reference_data().accounts.items()}
        cuts: list[translate.Cut] = []
        payload = translate.entry_payload(entry, gl_ids, self._vat_as_listed, self.lengths, cuts)
        try:
            created = self.client.post("salesentry/SalesEntries", payload)
        except ApiError as error:
            refused = periods.refusal(error, entry)
            if refused is None:
                raise
            raise refused from error
        for cut in cuts:  # said only once the entry is booked with the shortened text
            option = next(o for o, f in translate.FIELD_OPTIONS.items() if f == cut.field)
            limit, was = self.lengths[cut.field], len(cut.original)
            got = (
                f"{cut.field} cut to {limit} characters, {cut.sent!r} (was {was})"
                if cut.sent
                else (
                    f"no {cut.field}: {cut.original!r} is {was} characters, over {limit}, and it is never cut"
                )
            )
            self.context.notice(
                f"{entry.document_key} ({entry.your_ref}): Exact Online got {got}; "
                f"sink.field_lengths.{option} in the rule file sets the length"
            )
        entry_id = created.get("EntryID")
        if not entry_id:
            raise ApiError(
                f"Exact Online booked {entry.your_ref} but did not say its EntryID",
                hint="the next run finds the entry by its reference and links it",
            )
        return str(entry_id)

    def financial_periods(self) -> list[FinancialPeriod]:
        """The period-date table (`financial/FinancialPeriods`), read once per run."""
        if self._periods is None:
            self._periods = periods.read(self.client)
        return self._periods

    # ------------------------------------------------------------ what comes back

    def count_entries(self, journals: Collection[str], start: date, end: date) -> ReadCost:
        return booked.count(self.client, journals, start, end)  # costs: see booked.py

    def booked_entries(self, journals: Collection[str], start: date, end: date) -> list[BookedEntry]:
        return booked.entries(self.client, journals, start, end)

    def payment_changes(self, cursor: str | None) -> tuple[list[PaymentStatus], str | None]:
        start = int(cursor) if cursor else 1
        with self.client.reserve(0):  # the payments flow may spend the calls kept for it
            rows = self.client.rows(
                "sync/Cashflow/PaymentTerms",
                {"$filter": f"Timestamp gt {start}L", "$select": PAYMENT_TERM_FIELDS},
            )
        newest = max((int(row.get("Timestamp") or 0) for row in rows), default=0)
        return receivables.payment_statuses(rows), str(newest) if newest > start else cursor

    def changed_customers(self, cursor: str | None) -> tuple[list[Customer], str | None]:
        start = int(cursor) if cursor else 1
        rows = self.client.rows(
            "sync/CRM/Accounts", {"$filter": f"Timestamp gt {start}L", "$select": SYNC_ACCOUNT_FIELDS}
        )
        newest = max((int(row.get("Timestamp") or 0) for row in rows), default=0)
        latest: dict[str, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: int(r.get("Timestamp") or 0)):
            latest[str(row["ID"])] = row
        companies = {
            account_id: translate.company_from_account(row)
            for account_id, row in latest.items()
            if translate.is_importable(row)
        }
        people: list[Customer] = []
        for batch in batches(sorted(companies)):
            query = any_of("Account", (f"guid'{account_id}'" for account_id in batch))
            for row in self.client.rows("crm/Contacts", {"$filter": query, "$select": CONTACT_FIELDS}):
                account = companies.get(str(row.get("Account") or ""))
                people.append(translate.person_from_contact(row, account))
        return [*companies.values(), *people], str(newest) if newest > start else cursor

    def close(self) -> None:
        self.client.close()
        self._token_http.close()
