"""The Teamleader Focus source: booked invoices and credit notes with their customers.

What a run costs in calls (API calls are the scarce resource, DESIGN §7):

- the department (`departments.list`) and its tax rates (`taxRates.list`) once per run, or once an
  hour when runs keep them (`reference_state`);
- `invoices.list` / `creditNotes.list` pages of 100, filtered server-side on department, booked
  status, date and `updated_since`;
- one `invoices.info` / `creditNotes.info` per document. That is the minimum the API allows: list
  items carry no lines, payment term, discounts or currency (notes §7.1), and `.info` takes one id;
- customers with `companies.list` / `contacts.list` and the `ids` filter, up to 100 per call
  (the API's own advice over many `.info` calls, notes §4), each customer once per run;
- with `sync.attachments`, two calls per file of a booked document: the download and the fetch of
  the location it answers (`downloads`);
- `currencies.exchangeRates` once per home currency per run, only with `exchange_rate: detect` and
  only when a document in another currency comes by (see `exchange`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from connector.contract.errors import ApiError, ConfigurationError
from connector.contract.records import Customer, Document, DocumentKind, Payment, PaymentTerm, TaxRate
from connector.contract.services import CheckNote, Listed, ReadCost, ServiceContext, Source
from connector.transport.oauth import TokenKeeper

from . import exchange, period, translate
from .client import PAGE_SIZE, TeamleaderClient
from .customers import CustomerWriter
from .department import DepartmentReference
from .downloads import DownloadingSource
from .oauth import TeamleaderOAuth
from .options import DEFAULT_API_URL, DEFAULT_AUTH_URL, OPTIONS_SCHEMA
from .resources import BOOKED_INVOICE, KINDS, chunks, json_amount, utc_second

EXPIRY_MARGIN = timedelta(minutes=5)
"""Access tokens live 3600 s; one is renewed when less than this is left, never mid-request."""


WEBHOOK_TYPES = ("invoice.booked", "creditNote.booked")
TERM_TYPES = ("after_invoice_date", "end_of_month", "cash")


class TeamleaderSource(DownloadingSource, Source):
    """Booked invoices and credit notes of one department, with their customers; receives payments."""

    name = "teamleader"
    title = "Teamleader Focus"
    go_live_checklist = (
        "foreign-currency invoice: book one, then compare the euro amount Exact shows for it with the one "
        "Teamleader shows; some 17% apart means the rate was read the wrong way round: stop and report "
        "it; then pin source.exchange_rate to the reading connector check reported",
    )
    options_schema: ClassVar[dict[str, Any]] = OPTIONS_SCHEMA

    def __init__(self, options: Mapping[str, Any], context: ServiceContext) -> None:
        super().__init__(options, context)
        self.client = TeamleaderClient(
            str(options.get("api_url") or DEFAULT_API_URL), context, self._access_token
        )
        self.oauth = TeamleaderOAuth(
            self.client,
            auth_url=str(options.get("auth_url") or DEFAULT_AUTH_URL),
            client_id=str(options.get("client_id") or ""),
            client_secret=str(options.get("client_secret") or ""),
            side=context.side,
        )
        self.keeper = TokenKeeper(
            context.tokens,
            self.oauth.refresh,
            clock=context.clock,
            service=self.title,
            side=context.side,
            expiry_margin=EXPIRY_MARGIN,
            sleep=context.sleep,
        )
        self.customers = CustomerWriter(self.client)
        self.kept = DepartmentReference(self.client, str(options.get("department") or "").strip())
        self._known: dict[tuple[str, str], Customer] = {}
        self.reference = exchange.ReferenceRates(self._exchange_rates)
        self._period: dict[tuple[Any, ...], list[Listed]] = {}  # a period's listing, counted once

    @property
    def exchange_setting(self) -> exchange.Setting:
        value = self.options.get(exchange.OPTION) or "detect"
        return value if value in exchange.SETTINGS else "detect"

    def _exchange_rates(self, base: str) -> Any:
        return self.client.data("currencies.exchangeRates", {"base": base})

    def _access_token(self, force: bool) -> str:
        return self.keeper.access_token(force=force)

    # -- authorization ----------------------------------------------------------------------------

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        return self.oauth.authorization_url(redirect_uri, state)

    def authorize(
        self, *, code: str | None = None, redirect_uri: str | None = None, refresh_token: str | None = None
    ) -> None:
        if code:
            if not redirect_uri:
                raise ConfigurationError("an authorization code needs the redirect URI it was issued for")
            response = self.oauth.exchange_code(code, redirect_uri)
        elif refresh_token:
            response = self.oauth.refresh(refresh_token)
        else:
            raise ConfigurationError("give an authorization code or a refresh token")
        self.keeper.store_response(response)

    def check_authorization(self) -> str:
        """`users.me`: "first last <email>" of the person who authorized the integration."""
        me = self.client.data("users.me") or {}
        name = " ".join(str(me[part]) for part in ("first_name", "last_name") if me.get(part))
        email = me.get("email")
        return f"{name} <{email}>" if email else name or str(me.get("id") or "")

    # -- reference data ---------------------------------------------------------------------------

    def department(self) -> dict[str, Any]:
        """The rule file's department, found by id or else by name (exact, then ignoring case)."""
        return self.kept.department()

    @property
    def department_id(self) -> str:
        return str(self.department()["id"])

    def tax_rates(self) -> list[TaxRate]:
        return list(self.kept.rates().values())

    def reference_state(self) -> Mapping[str, Any] | None:
        return self.kept.state()

    def prime_reference(self, state: Mapping[str, Any]) -> bool:
        return self.kept.prime(state)

    # -- documents --------------------------------------------------------------------------------

    def listing(
        self,
        *,
        kinds: Iterable[DocumentKind],
        start_date: date,
        updated_since: datetime | None,
        unchanged: Collection[str] = (),
    ) -> Iterator[list[Listed]]:
        """`invoices.list` / `creditNotes.list` pages, filtered server-side; list items carry
        `updated_at` but no details (notes §7.1)."""
        department_id = self.department_id
        for kind in dict.fromkeys(kinds):
            spec = KINDS[kind]
            flt: dict[str, Any] = {
                "department_id": department_id,
                f"{spec.date}_after": start_date.isoformat(),
            }
            if kind == "invoice":
                flt["status"] = list(BOOKED_INVOICE)
            if updated_since is not None:
                flt["updated_since"] = utc_second(updated_since)
            for page in self.client.pages(f"{spec.resource}.list", {"filter": flt}):
                listed = [
                    Listed(
                        kind,
                        str(item["id"]),
                        translate.moment(item.get("updated_at")),
                        translate.day(item.get(spec.date)),
                        str(item.get(spec.number) or ""),
                    )
                    for item in page
                    if self._wanted(kind, item, start_date)
                    and not self._unchanged(kind, item, updated_since, unchanged)
                ]
                if listed:
                    yield listed

    def details(self, listed: Sequence[Listed], start_date: date | None = None) -> Iterator[Document]:
        """One `.info` a document (the API takes one id), then their customers in batches."""
        for kind in dict.fromkeys(item.kind for item in listed):
            items = [{"id": item.id} for item in listed if item.kind == kind]
            if items:
                yield from self._complete(kind, items, start_date)

    @staticmethod
    def _unchanged(
        kind: str, item: Mapping[str, Any], updated_since: datetime | None, unchanged: Collection[str]
    ) -> bool:
        """Known to the caller as it was at `updated_since`, which the filter includes: its `.info`
        would be a call spent on nothing new."""
        if not unchanged or updated_since is None or f"{kind}:{item.get('id')}" not in unchanged:
            return False
        return translate.moment(item.get("updated_at")) == updated_since.replace(microsecond=0)

    def documents_by_key(self, keys: Iterable[str]) -> Iterator[Document]:
        """Documents by `kind:id`; ones that no longer exist (or are not booked) are left out."""
        ids: dict[DocumentKind, list[str]] = {"invoice": [], "credit_note": []}
        for key in keys:
            prefix, _, ident = key.partition(":")
            for kind, wanted_ids in ids.items():
                if prefix == kind and ident and ident not in wanted_ids:
                    wanted_ids.append(ident)
        for kind, wanted_ids in ids.items():
            resource = KINDS[kind].resource
            for batch in chunks(wanted_ids, PAGE_SIZE):
                flt = {"ids": batch, "department_id": self.department_id}
                items = self.client.data(
                    f"{resource}.list", {"filter": flt, "page": {"size": PAGE_SIZE, "number": 1}}
                )
                wanted = [item for item in items or [] if self._wanted(kind, item, None)]
                yield from self._complete(kind, wanted, None)

    def _wanted(self, kind: str, item: Mapping[str, Any], start_date: date | None) -> bool:
        """Booked, of our department, dated on or after the start: checked again on every answer."""
        department = translate.ref_id(item.get("department"))
        if department is not None and department != self.department_id:
            return False
        status = item.get("status")
        if kind == "invoice" and status not in BOOKED_INVOICE:
            return False
        if kind == "credit_note" and status == "draft":
            return False
        when = translate.day(item.get(KINDS[kind].date))
        return start_date is None or (when is not None and when >= start_date)

    def _complete(
        self, kind: DocumentKind, items: Sequence[Mapping[str, Any]], start_date: date | None
    ) -> Iterator[Document]:
        """List items made whole: their details, then their customers in batches."""
        details = []
        for item in items:
            data = self._info(kind, str(item["id"]))
            if data is not None and self._wanted(kind, data, start_date):
                details.append(data)
        self._load_customers(details)
        rates = self.kept.rates(needed={ident for data in details for ident in translate.tax_rate_ids(data)})
        setting = self.exchange_setting
        reference = self.reference if setting == "detect" else None
        home = str(self.department().get("currency") or "EUR")
        for data in details:
            document = translate.document(kind, data, self._customer(data), rates)
            yield exchange.orient(document, exchange.reading(data, home, reference), setting)

    def _info(self, kind: DocumentKind, ident: str) -> dict[str, Any] | None:
        try:
            data = self.client.data(f"{KINDS[kind].resource}.info", {"id": ident})
        except ApiError as error:
            if error.status == 404:  # deleted between the list and now
                return None
            raise
        if isinstance(data, list):  # the spec declares creditNotes.info's data an array (notes §7.4)
            data = data[0] if data else None
        return data if isinstance(data, dict) else None

    def count_booked(self, kinds: Iterable[DocumentKind], start: date, end: date) -> ReadCost:
        before, rates_known = self.calls_used, self.kept.has_rates
        key = (tuple(kinds), start, end)
        listed, foreign = period.listing(self.client, self.department_id, key[0], start, end, self._wanted)
        self._period[key] = listed
        exchange = foreign and self.exchange_setting == "detect"
        return period.cost(listed, self.calls_used - before, rates_known, exchange)

    def booked_documents(self, kinds: Iterable[DocumentKind], start: date, end: date) -> Iterator[Document]:
        key = (tuple(kinds), start, end)
        listed = self._period.pop(key, None)
        if listed is None:
            listed, _ = period.listing(self.client, self.department_id, key[0], start, end, self._wanted)
        return period.documents(listed, self.details)

    # -- connector check ------------------------------------------------------------------------

    def check_settings(self) -> list[CheckNote]:
        """Which way the rates of the department's recent foreign-currency invoices run.

        Two calls: one `invoices.list` page (the 100 latest booked invoices; list items carry
        `currency_exchange_rate`) and `currencies.exchangeRates` for the home currency."""
        flt = {"department_id": self.department_id, "status": list(BOOKED_INVOICE)}
        body = {
            "filter": flt,
            "sort": [{"field": "invoice_date", "order": "desc"}],
            "page": {"size": PAGE_SIZE, "number": 1},
        }
        items = [item for item in self.client.data("invoices.list", body) or [] if isinstance(item, dict)]
        home = str(self.department().get("currency") or "EUR")
        found = [
            (str(item.get("invoice_number") or item.get("id")), reading)
            for item in items
            if (reading := exchange.reading(item, home, self.reference)) is not None
        ]
        return exchange.check_notes(found, self.exchange_setting, len(items))

    # -- customers of documents -------------------------------------------------------------------

    def _load_customers(self, details: Iterable[Mapping[str, Any]]) -> None:
        """Fetch the documents' customers not seen yet in this run: `ids` filter, 100 per call."""
        missing: dict[str, list[str]] = {"company": [], "contact": []}
        for data in details:
            ref = (data.get("invoicee") or {}).get("customer") or {}
            kind, ident = ref.get("type"), ref.get("id")
            known = (kind, ident) in self._known
            if kind in missing and isinstance(ident, str) and not known and ident not in missing[kind]:
                missing[kind].append(ident)
        for kind, idents in missing.items():
            endpoint = "companies.list" if kind == "company" else "contacts.list"
            convert = translate.company if kind == "company" else translate.contact
            for batch in chunks(idents, PAGE_SIZE):
                body = {"filter": {"ids": batch}, "page": {"size": PAGE_SIZE, "number": 1}}
                for item in self.client.data(endpoint, body) or []:
                    self._known[(kind, str(item["id"]))] = convert(item)

    def _customer(self, data: Mapping[str, Any]) -> Customer:
        """The live company or contact; the document's own invoicee snapshot when it is gone."""
        invoicee = data.get("invoicee") or {}
        ref = invoicee.get("customer") or {}
        known = self._known.get((str(ref.get("type")), str(ref.get("id"))))
        return known if known is not None else translate.invoicee_customer(invoicee)

    # -- payments ---------------------------------------------------------------------------------

    def mark_paid(self, document_id: str, paid_on: date) -> Payment | None:
        """Register the amount still due (`total.due`) in the invoice's currency, paid at 00:00 UTC.

        Returns None, registering nothing, when the invoice is already paid or nothing is due, so a
        rerun never registers a second payment.
        """
        return self.register_payment(document_id, Decimal(0), paid_on)

    def register_payment(self, document_id: str, open_in_target: Decimal, paid_on: date) -> Payment | None:
        """Register `total.due` less what Exact still has open, paid at 00:00 UTC on `paid_on`.

        `total.due` already counts the payments registered before and a credit note on the invoice
        (notes §"Evidence 2026-12", Settlement without a bank line), so what is registered is only
        the part Teamleader does not know yet, never more than is due; None (nothing registered)
        when the invoice is paid, nothing is due, or Exact has at least as much open.
        """
        data = self.client.data("invoices.info", {"id": document_id}) or {}
        total = data.get("total") or {}
        due = translate.money(total.get("due"))
        if data.get("paid") or data.get("status") == "matched" or due is None or due <= 0:
            return None
        amount = due - max(open_in_target, Decimal(0))
        if amount <= 0:
            return None
        currency = translate.text(data.get("currency")) or translate.currency_of(total.get("due")) or "EUR"
        payment = Payment(document_id, amount, currency, datetime.combine(paid_on, time(0, 0), tzinfo=UTC))
        self.client.call(
            "invoices.registerPayment",
            {
                "id": document_id,
                "payment": {"amount": json_amount(amount), "currency": currency},
                "paid_at": payment.paid_at.isoformat(),
            },
            safe=False,
        )
        return payment

    # -- imported customers -----------------------------------------------------------------------

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        return self.customers.find(customer, match)

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        return self.customers.save(customer, existing_id)

    def default_payment_term(self) -> PaymentTerm | None:
        """`paymentTerms.list`'s `meta.default` (added Dec 2023, notes §7.7), else None."""
        payload = self.client.call("paymentTerms.list", {}, safe=True) or {}
        default = (payload.get("meta") or {}).get("default")
        for item in payload.get("data") or []:
            if item.get("id") == default and item.get("type") in (
                "after_invoice_date",
                "end_of_month",
                "cash",
            ):
                return PaymentTerm(item["type"], int(item.get("days") or 0))
        return None

    def subscribe(self, url: str) -> None:
        """`webhooks.register` for booked invoices and credit notes (their payload carries only the
        document's id; watch mode just runs the documents flow sooner)."""
        self.client.call("webhooks.register", {"url": url, "types": list(WEBHOOK_TYPES)}, safe=True)

    def unsubscribe(self, url: str) -> None:
        self.client.call("webhooks.unregister", {"url": url, "types": list(WEBHOOK_TYPES)}, safe=True)

    def close(self) -> None:
        self.client.close()
