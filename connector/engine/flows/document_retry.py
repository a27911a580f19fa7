"""Which earlier failures a run tries again, so that lingering failures cost nothing.

A document that failed for a reason of the rules or of master data (an unmapped rate, a template
that does not render) fails the
same way on every run until something changes. Trying it every fifteen minutes costs the target's
reference reads and a look-up each time, for nothing. So such a failure is recorded with what it
waits for (`retry_when`), and the next runs try it again only when:

- the document changed in the source (the list shows it with a newer `updated_at`);
- the rules changed (what the rule file says, not its comments);
- the target's reference data changed (VAT codes, journals, accounts, payment conditions: a code
  added in the target is picked up), as seen at most `REFERENCE_TTL` after the change;
- or `connector run --retry-failed` asks for it.

Until then each run reports it from the ledger, as it failed, without a single call. What the
document was is parked with it (`connector.state.parked`), so trying it again reads nothing from
the source. Failures that may pass by themselves are retried every run: a timeout, a 5xx, a 429,
and a write the target refused (some services answer validation errors with a 500 as often as
with a 400: the status does not tell a lasting refusal from a passing fault);
and so are documents the source cannot vouch for (`Document.failure`): its verdict can change
while nothing else does.

The reference data is kept across runs in the client's reference cache for `REFERENCE_TTL`: a run
that books within that time books against it (when the sink can, `Sink.prime_reference`) instead
of reading it again, and one that reads it keeps it there. A write the target refuses while the
run books against kept data drops it at once: the run reads the codes again before its next write,
and the preflight checks the mapping against what the target has now.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from connector.contract.codec import to_jsonable
from connector.contract.services import ReferenceData
from connector.engine.fingerprint import content_hash
from connector.engine.run import Run
from connector.state.refcache import ReferenceCache

REFERENCE_TTL = timedelta(hours=1)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


@dataclass
class Conditions:
    """What failures of this run wait for; computed once, from the cached reference data."""

    run: Run
    _value: str | None = None
    _cache: ReferenceCache | None = None

    @property
    def cache(self) -> ReferenceCache:
        if self._cache is None:
            directory = self.run.state.path.parent
            self._cache = ReferenceCache.for_client(directory, self.run.rules.client, ttl=REFERENCE_TTL)
        return self._cache

    def value(self) -> str:
        """`retry_when` of a lasting failure, as things are now: the rules and the reference data."""
        if self._value is None:
            reference = self.cache.sink_reference(self.run.sink)
            rules = content_hash(dataclasses.replace(self.run.rules, digest=""))
            data = json.dumps(to_jsonable(reference), sort_keys=True, default=str)
            self._value = f"mapping:{_digest(rules, data)}"
        return self._value

    def kept(self) -> ReferenceData | None:
        """The reference data an earlier run read less than `REFERENCE_TTL` ago, if any."""
        return self.cache.fresh_sink(self.run.sink)

    def stale(self) -> None:
        """A write was refused: the next run reads the reference data from the target again."""
        if not self.run.dry_run:
            self.cache.forget("sink")
        self._value = None

    def read(self, reference: ReferenceData) -> None:
        """The run read the reference data itself: keep it, for the next runs' questions."""
        self.cache.store_sink(self.run.sink, reference)
        self._value = None

    def held(self, waiting: dict[str, str]) -> set[str]:
        """Of the failures waiting for something, the ones for which nothing changed."""
        if not waiting or self.run.retry_failed:
            return set()
        now = self.value()
        return {key for key, when in waiting.items() if when == now}
