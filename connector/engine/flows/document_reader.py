"""Reading documents ahead of the booking, in a thread of its own, so that the source's calls
overlap the target's instead of coming all before them.

What the reader yields, in this order:

1. what the source lists as changed since the cursor, in date order. The list is read to its end
   first (one call a page of 100, and small in memory: no details), so the run knows how many
   documents it has and where the cursor can go once they are all handled. A listed document
   the ledger has booked at the very moment the list shows, or that is parked with its details at
   that moment, is not read again;
2. documents parked by an earlier run that the list did not show again (see
   `connector.state.parked`): the ones read then come from the state, the others are read now;
3. documents to retry (failed, skipped, or caught between intent and result), read again.

At most `READ_AHEAD` documents wait between the reader and the booking: memory stays flat however
large the sync, and a run that pauses has read little that it does not book. The source is used
by this thread only; the state store is shared (it locks).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from connector.contract.codec import from_jsonable, to_jsonable
from connector.contract.records import Document, DocumentKind
from connector.contract.services import Listed
from connector.engine.run import Run

log = logging.getLogger("connector.documents")

READ_AHEAD = 250
"""Documents read and not yet booked, at most."""
DETAILS_BATCH = 100
"""Documents whose details are asked for at once (a source batches their customers per call)."""
WAIT = 0.2
"""Seconds between looks at the stop flag while the queue is full or empty."""


@dataclass
class Listing:
    """What the reader learned of the source's list; the cursor moves on it once all is handled."""

    complete: bool = False
    newest: datetime | None = None
    at_newest: set[str] = field(default_factory=set)

    def note(self, item: Listed) -> None:
        if item.updated_at is None:
            return
        if self.newest is None or item.updated_at > self.newest:
            self.newest = item.updated_at
            self.at_newest = {item.key}
        elif item.updated_at == self.newest:
            self.at_newest.add(item.key)


class _End:
    """Put on the queue after the last document."""


END = _End()


def order(item: Listed) -> tuple[date, str, str]:
    return (item.date or date.min, item.kind, item.number)


class DocumentReader:
    """Reads ahead in a thread; the booking takes what it read with `take`."""

    def __init__(
        self,
        run: Run,
        kinds: list[DocumentKind],
        since: datetime | None,
        seen: frozenset[str],
        retry: list[str],
        held: Collection[str] = (),
    ) -> None:
        self.run = run
        self.held = held  # failures waiting for a change: read again only if the document changed
        self.kinds = kinds
        self.since = since
        self.seen = seen
        self.retry = retry
        self.listing = Listing()
        self.expected = 0  # documents to yield, as far as known
        self.gone: list[str] = []  # parked documents the source no longer has
        self._queue: queue.Queue[Document | _End | BaseException] = queue.Queue(maxsize=READ_AHEAD)
        self._stop = threading.Event()
        self._unread: list[Listed] = []  # listed, not read when the reader stopped
        self._kept: list[Document] = []  # read, and not handed over when the reader stopped
        self._ended = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name="connector-reader", daemon=True)

    # -- the booking's side -----------------------------------------------------------------------

    def start(self) -> DocumentReader:
        self._thread.start()
        return self

    def take(self, most: int) -> list[Document] | None:
        """The next documents, at most `most` (as many as are read already), at least one unless
        the run is asked to stop meanwhile; None after the last. An error of the reader's is raised
        here, after the documents it read before it."""
        if self._error is not None:
            error, self._error = self._error, None
            self._ended = True
            raise error
        if self._ended:
            return None
        batch: list[Document] = []
        while len(batch) < most:
            try:
                item = self._queue.get(timeout=WAIT) if not batch else self._queue.get_nowait()
            except queue.Empty:
                if batch or self.run.stopping("documents"):
                    break
                continue
            if isinstance(item, _End):
                self._ended = True
                break
            if isinstance(item, BaseException):
                if batch:  # the documents first; the error on the next call
                    self._error = item
                    break
                self._ended = True
                raise item
            batch.append(item)
        return None if self._ended and not batch else batch

    def stop(self) -> tuple[list[Document], list[Listed]]:
        """Stop reading; the documents read and not taken, and the ones listed and not read."""
        self._stop.set()
        left: list[Document] = []
        while self._thread.is_alive() or not self._queue.empty():
            try:
                item = self._queue.get(timeout=WAIT)
            except queue.Empty:
                continue
            if isinstance(item, Document):
                left.append(item)
        self._thread.join()
        return [*left, *self._kept], self._unread

    # -- the reader's thread ----------------------------------------------------------------------

    def _put(self, item: Document | _End | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=WAIT)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        try:
            self._read_all()
        except BaseException as error:  # handed to the booking, which raises it
            self._put(error)
            return
        self._put(END)

    def _read_all(self) -> None:
        listed = self._list()
        if listed is None:
            return
        listed_keys = {item.key for item in listed}
        if not self._read_listed(listed):
            return
        del listed
        if not self._read_parked(listed_keys):
            return
        keys = [key for key in self.retry if key not in listed_keys and not self._is_parked(key)]
        self.expected += len(keys)
        for document in self.run.source.documents_by_key(keys):
            if not self._put(document):
                return

    def _list(self) -> list[Listed] | None:
        """The list to its end, less what needs no reading; None when stopped before its end."""
        state = self.run.state
        needed: list[Listed] = []
        pages = self.run.source.listing(
            kinds=self.kinds,
            start_date=self.run.rules.sync.start_date,
            updated_since=self.since,
            unchanged=self.seen,
        )
        for page in pages:
            for item in page:
                self.listing.note(item)
                known = state.ledger_get(item.key)
                if known is not None and known.done and _same(known.source_updated_at, item.updated_at):
                    continue  # booked as it still is: nothing to read, nothing to do
                needed.append(item)
            self.expected = len(needed)
            if self._stop.is_set():
                return None
        self.listing.complete = True
        needed.sort(key=order)
        return needed

    def _read_listed(self, listed: list[Listed]) -> bool:
        state = self.run.state
        for start in range(0, len(listed), DETAILS_BATCH):
            batch = listed[start : start + DETAILS_BATCH]
            to_read: list[Listed] = []
            kept: dict[str, Document] = {}
            for item in batch:
                parked = state.parked_get(item.key)
                document = decode(parked.document) if parked is not None else None
                if parked is not None and document is not None and _same(parked.updated_at, item.updated_at):
                    if item.key in self.held:
                        continue  # failed as it still is; waits for something else to change
                    kept[item.key] = document
                else:
                    to_read.append(item)
            read = {d.key: d for d in self.run.source.details(to_read, self.run.rules.sync.start_date)}
            for position, item in enumerate(batch):
                document = kept.get(item.key) or read.get(item.key)
                if document is None:
                    self.expected -= 1  # gone, or no longer booked, since it was listed
                    continue
                if not self._put(document):
                    rest = batch[position:]
                    self._kept = [d for item in rest if (d := kept.get(item.key) or read.get(item.key))]
                    self._unread = [item for item in rest if item.key not in read and item.key not in kept]
                    self._unread += listed[start + DETAILS_BATCH :]
                    return False
        return True

    def _read_parked(self, listed_keys: set[str]) -> bool:
        """Parked documents the list did not show again, a batch at a time."""
        state = self.run.state
        parked = [
            p for p in state.parked() if p.source_key not in listed_keys and p.source_key not in self.held
        ]
        self.expected += len(parked)
        for start in range(0, len(parked), DETAILS_BATCH):
            batch = parked[start : start + DETAILS_BATCH]
            kept = {p.source_key: d for p in batch if (d := decode(p.document)) is not None}
            to_read = [_listed(p.source_key, p.updated_at) for p in batch if p.source_key not in kept]
            read = {d.key: d for d in self.run.source.details(to_read, self.run.rules.sync.start_date)}
            for position, row in enumerate(batch):
                document = kept.get(row.source_key) or read.get(row.source_key)
                if document is None:
                    self.gone.append(row.source_key)
                    self.expected -= 1
                    continue
                if not self._put(document):  # the rest stays parked; what was read now with it
                    rest = batch[position:]
                    self._kept = [
                        d for r in rest if r.source_key not in kept and (d := read.get(r.source_key))
                    ]
                    return False
        return True

    def _is_parked(self, key: str) -> bool:
        return self.run.state.parked_get(key) is not None


def _same(kept: datetime | None, listed: datetime | None) -> bool:
    return kept is not None and listed is not None and kept == listed


def _listed(key: str, updated_at: datetime | None) -> Listed:
    kind, _, ident = key.partition(":")
    return Listed(kind, ident, updated_at)  # type: ignore[arg-type]


def encode(document: Document) -> str:
    return json.dumps(to_jsonable(document), separators=(",", ":"))


def decode(text: str | None) -> Document | None:
    """A parked document; None when only listed, or kept by another version in a form this one
    cannot read (it is then read again from the source: nothing is lost)."""
    if not text:
        return None
    try:
        document: Document = from_jsonable(Document, json.loads(text))
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        log.warning("a parked document cannot be read back (%s); it is read again from the source", error)
        return None
    return document


def parked_rows(
    documents: Iterable[Document], listed: Iterable[Listed]
) -> Iterator[tuple[str, str, datetime | None, str | None]]:
    """What a stopped run parks: documents read (with their details) and documents only listed."""
    for document in documents:
        yield document.key, document.kind, document.updated_at, encode(document)
    for item in listed:
        yield item.key, item.kind, item.updated_at, None
