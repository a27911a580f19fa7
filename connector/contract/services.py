"""The base classes plugins fill in: a `Source` of documents and a `Sink` that books them.

A source (an invoicing system) yields canonical documents and customers and receives payments and
imported customers; a sink (a bookkeeping system) books entries and customers and reports payments and
its own customers. Each declares `name` (what a rule file writes under `source.plugin` or
`sink.plugin`) and `options_schema` (the JSON Schema of that section), and is built with the
section's validated options and a `ServiceContext`.

Methods a plugin cannot support raise `NotImplementedError`; the engine only calls the ones the
rule file's flows need.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Literal

import httpx

from connector.contract.errorlog import ErrorLog, MemoryErrorLog
from connector.contract.records import (
    Attachment,
    AttachmentFormat,
    AttachmentTarget,
    BookedEntry,
    Customer,
    Document,
    DocumentKind,
    FinancialPeriod,
    JournalEntry,
    Payment,
    PaymentStatus,
    PaymentTerm,
    TaxRate,
)
from connector.contract.steps import Steps
from connector.contract.tokens import MemoryTokenStore, TokenStore


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DayBudget:
    """The day's call budget as the service last announced it (in its rate-limit headers)."""

    limit: int
    remaining: int
    resets_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "remaining": self.remaining, "resets_at": self.resets_at.isoformat()}


@dataclass
class ServiceContext:
    """What the core hands a service: where its tokens live, how it reaches the network, the time."""

    client: str
    side: str  # "source" or "sink"
    tokens: TokenStore = field(default_factory=MemoryTokenStore)
    transport: httpx.BaseTransport | None = None  # tests inject httpx.MockTransport here
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep  # tests with a simulated clock pass their own
    timeout: float = 30.0
    calls: dict[str, int] = field(default_factory=dict)  # calls used, per endpoint, for the report
    errors: ErrorLog = field(default_factory=MemoryErrorLog)
    notices: list[str] = field(default_factory=list)  # said to the user in the run's report
    day_budget: DayBudget | None = None  # as the last answer announced it; None without a daily limit

    def notice(self, text: str) -> None:
        """Tell the user something in the run's report (a value changed to fit, ...), once."""
        if text not in self.notices:
            self.notices.append(text)


@dataclass(frozen=True)
class CheckNote:
    """What a service found checking its own options against its live account, for `connector check`.

    `option` is a key of the service's own section of the rule file (`""` for the section itself);
    the report shows the note at that key's line. `error` makes `check` exit 2, `warning` 1, `info`
    is only shown.
    """

    severity: Literal["error", "warning", "info"]
    option: str
    message: str
    suggestion: str | None = None


class Service:
    """What sources and sinks share: a name, an options schema, authorization."""

    name: ClassVar[str]
    title: ClassVar[str] = ""
    options_schema: ClassVar[Mapping[str, Any]] = {"type": "object"}
    go_live_checklist: ClassVar[tuple[str, ...]] = ()
    """What a consultant verifies once on the client's real account before the first real run, where
    the plugin rests on a convention the service does not document (`connector check` prints it)."""
    refresh_token_unused_for: ClassVar[timedelta | None] = None
    """How long a stored refresh token lasts unused, where the service says (every run renews it);
    None: until the user revokes it. `connector status` shows when the tokens lapse."""

    def __init__(self, options: Mapping[str, Any], context: ServiceContext) -> None:
        self.options = options
        self.context = context

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        """The URL a person opens to grant access; the service redirects to `redirect_uri`."""
        raise NotImplementedError(f"{self.name} has no browser authorization")

    def authorize(
        self, *, code: str | None = None, redirect_uri: str | None = None, refresh_token: str | None = None
    ) -> None:
        """Exchange an authorization code or a given refresh token for tokens, and store them."""
        raise NotImplementedError(f"{self.name} cannot be authorized")

    def check_authorization(self) -> str:
        """Make one cheap call with the stored tokens; return who we are (raises when refused)."""
        raise NotImplementedError(f"{self.name} cannot check its authorization")

    def check_settings(self) -> list[CheckNote]:
        """Live checks of this service's own options that only its account can answer; called by
        `connector check` after `check_authorization`. Return what was found (nothing by default).
        Keep it to a few cheap reads: `check` is run after every edit of a rule file."""
        return []

    @property
    def calls_used(self) -> int:
        return sum(self.context.calls.values())

    def close(self) -> None:
        """Release connections. Called once at the end of every run."""


@dataclass(frozen=True)
class ReadCost:
    """What reading a period's records costs, found out cheaply before reading them: how many there
    are and the calls reading them takes in all, counting included (`spent` of them were spent
    finding out); an upper bound where the service cannot say exactly."""

    records: int
    calls: int
    spent: int = 0


@dataclass(frozen=True)
class Listed:
    """One document as a source's list shows it, before its details are read: enough to tell
    whether reading it would be a call spent on nothing new."""

    kind: DocumentKind
    id: str
    updated_at: datetime | None = None
    date: date | None = None  # the document's date, so that documents are booked in date order
    number: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


class Source(Service):
    """Where documents come from; where payments and imported customers go.

    A source reads documents in two steps, so that the engine can read ahead while it books, stop
    in the middle of a day's budget and go on the next day without reading anything twice:
    `listing` pages through what changed (cheap: one call a page), `details` reads the documents
    the engine still needs. `documents` is the two together.
    """

    def listing(
        self,
        *,
        kinds: Iterable[DocumentKind],
        start_date: date,
        updated_since: datetime | None,
        unchanged: Collection[str] = (),
    ) -> Iterator[list[Listed]]:
        """Pages of the documents `documents` would yield (same arguments), without their details."""
        raise NotImplementedError

    def details(self, listed: Sequence[Listed], start_date: date | None = None) -> Iterator[Document]:
        """The documents of `listed`, each with its customer filled in; ones that no longer exist,
        are no longer booked or are dated before `start_date` are left out."""
        raise NotImplementedError

    def tax_rates(self) -> list[TaxRate]:
        """Every tax rate of the configured department."""
        raise NotImplementedError

    def documents(
        self,
        *,
        kinds: Iterable[DocumentKind],
        start_date: date,
        updated_since: datetime | None,
        unchanged: Collection[str] = (),
    ) -> Iterator[Document]:
        """Booked documents of the configured department dated on or after `start_date` and changed
        since `updated_since` (all of them when None), each with its customer filled in.

        `unchanged` holds the keys of documents the caller already has as they were at exactly
        `updated_since`: a source whose filter includes that moment may leave them out, and spare the
        calls that reading them again would cost."""
        pages = self.listing(
            kinds=kinds, start_date=start_date, updated_since=updated_since, unchanged=unchanged
        )
        for page in pages:
            yield from self.details(page, start_date)

    def reference_state(self) -> Mapping[str, Any] | None:
        """What this source read of its own reference data (its department and tax rates, say), as
        JSON values, for the next runs to reuse for a while (`prime_reference`); None: nothing."""
        return None

    def prime_reference(self, state: Mapping[str, Any]) -> bool:
        """Use `state`, what `reference_state` gave in a run not long ago, instead of reading it
        again; the source reads again by itself when a document needs what it lacks (a tax rate
        added since, say). False (the default) when it cannot."""
        return False

    def documents_by_key(self, keys: Iterable[str]) -> Iterator[Document]:
        """The documents with these `Document.key`s (to retry earlier failures)."""
        raise NotImplementedError

    download_calls: ClassVar[int] = 1  # API calls one `download` makes, for the plan's estimate

    def download(self, document: AttachmentTarget, format: AttachmentFormat) -> Attachment:
        """The booked document rendered as `format` (`sync.attachments`), to attach to its entry."""
        raise NotImplementedError(f"{self.name} cannot download its documents")

    def count_booked(self, kinds: Iterable[DocumentKind], start: date, end: date) -> ReadCost:
        """How many booked documents are dated `start` to `end` (both included), and what
        `booked_documents` will cost for them; what counting read is kept for that read."""
        raise NotImplementedError(f"{self.name} cannot read a period's documents")

    def booked_documents(self, kinds: Iterable[DocumentKind], start: date, end: date) -> Iterator[Document]:
        """The booked documents of the configured department dated `start` to `end` (both included),
        each with its customer filled in (`connector reconcile` compares them with the books)."""
        raise NotImplementedError(f"{self.name} cannot read a period's documents")

    def mark_paid(self, document_id: str, paid_on: date) -> Payment | None:
        """Register a payment of the amount still due, dated `paid_on`; return the payment, or None
        when the document was already paid (nothing is registered then)."""
        raise NotImplementedError

    def register_payment(self, document_id: str, open_in_target: Decimal, paid_on: date) -> Payment | None:
        """Register what is due beyond `open_in_target` (still open in the target) on `paid_on`, or None."""
        raise NotImplementedError(f"{self.name} cannot register part of a payment")

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        """The id of an existing customer like `customer`, matched on `match` keys in order."""
        raise NotImplementedError

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        """Create (`existing_id` None) or update an imported customer; return its id."""
        raise NotImplementedError

    def default_payment_term(self) -> PaymentTerm | None:
        """The term new documents get when nobody chose one (init guesses the default condition
        from it), or None when the service has no such setting."""
        return None

    def subscribe(self, url: str) -> None:
        """Ask the service to POST to `url` whenever an invoice or credit note is booked."""
        raise NotImplementedError(f"{self.name} cannot notify connector of booked documents")

    def unsubscribe(self, url: str) -> None:
        """Stop the calls `subscribe` asked for."""
        raise NotImplementedError(f"{self.name} cannot notify connector of booked documents")


@dataclass(frozen=True)
class VatCode:
    code: str
    description: str
    type: str  # E exclusive, I inclusive, B base only, N none
    percentage: Decimal
    listed_as: str | None = None  # the code exactly as the service lists and wants it (padded, say)


@dataclass(frozen=True)
class JournalInfo:
    code: str
    description: str
    type: int  # 20 sales, 21 return invoices, ...


@dataclass(frozen=True)
class AccountInfo:
    code: str
    description: str
    type: int  # 110 revenue, ...
    id: str = ""
    needs_cost_center: bool = False  # the target refuses a line on this account without a cost centre
    needs_cost_unit: bool = False  # and without a cost unit


@dataclass(frozen=True)
class PaymentConditionInfo:
    code: str
    description: str
    days: int
    end_of_months: int
    discount_percentage: Decimal
    method: str  # B on credit, I collection, K cash


@dataclass(frozen=True)
class CostCode:
    """A cost centre (kostenplaats) or cost unit (kostendrager) of the sink, by its code."""

    code: str
    description: str
    active: bool = True


@dataclass(frozen=True)
class ReferenceData:
    """The sink's reference data, read once per run."""

    vat_codes: Mapping[str, VatCode]
    journals: Mapping[str, JournalInfo]
    accounts: Mapping[str, AccountInfo]
    payment_conditions: Mapping[str, PaymentConditionInfo]
    cost_centers: Mapping[str, CostCode] = field(default_factory=dict)
    cost_units: Mapping[str, CostCode] = field(default_factory=dict)


class Sink(Service):
    """Where documents and customers are booked; where payments and customers come from."""

    def reference_data(self) -> ReferenceData:
        raise NotImplementedError

    def prime_reference(self, data: ReferenceData) -> bool:
        """Book against `data`, read by an earlier run not long ago, instead of reading it again;
        False (the default) when this sink cannot, and will read its own."""
        return False

    def forget_reference(self) -> None:
        """A write was refused: what `prime_reference` gave may be out of date; read it again."""

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        """The id of an existing account like `customer`, matched on `match` keys in order."""
        raise NotImplementedError

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        """Create (`existing_id` None) or update the account of `customer`; return its id."""
        raise NotImplementedError

    def financial_periods(self) -> list[FinancialPeriod]:
        """The sink's period-date table, oldest first (for `closed_period` and `check`)."""
        raise NotImplementedError

    def existing_entries(
        self, wanted: Iterable[tuple[str, DocumentKind, str]]
    ) -> dict[tuple[str, DocumentKind, str], str]:
        """Entries already in the books, by (journal, kind, your_ref), with their ids."""
        raise NotImplementedError

    def book(self, entry: JournalEntry) -> str:
        """Book one entry; return its id in the target."""
        raise NotImplementedError

    def attach(self, entry: AttachmentTarget, files: Sequence[Attachment], steps: Steps) -> str:
        """Attach `files` to the booked `entry`; return the id of what holds them in the target.
        Record each call in `steps` (`connector.contract.steps`): a rerun calls again with the same
        steps, and must neither repeat a finished step nor redo a begun one without looking first."""
        raise NotImplementedError(f"{self.name} cannot attach files to entries")

    def attach_calls(self, files: int) -> int:
        """API calls `attach` makes for `files` files when nothing was begun, for the plan's estimate."""
        raise NotImplementedError(f"{self.name} cannot attach files to entries")

    def count_entries(self, journals: Collection[str], start: date, end: date) -> ReadCost:
        """How many entries of `journals` are dated `start` to `end` (both included), and what
        `booked_entries` will cost for them."""
        raise NotImplementedError(f"{self.name} cannot read a period's entries")

    def booked_entries(self, journals: Collection[str], start: date, end: date) -> list[BookedEntry]:
        """Every entry of `journals` dated `start` to `end` (both included), whoever booked it, with
        its lines and what is still open of it (`connector reconcile` compares them with the source)."""
        raise NotImplementedError(f"{self.name} cannot read a period's entries")

    def payment_changes(self, cursor: str | None) -> tuple[list[PaymentStatus], str | None]:
        """Receivables whose payment state changed since `cursor`, and the new cursor."""
        raise NotImplementedError

    def changed_customers(self, cursor: str | None) -> tuple[list[Customer], str | None]:
        """Accounts (and their contacts) new or changed since `cursor`, and the new cursor."""
        raise NotImplementedError
