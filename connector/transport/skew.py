"""How far a service's clock is from ours, learned from the reset moments it announces.

A rate window ends on the server's clock. Sending the first call of the next window at our local
idea of that moment earns a 429 when the server's clock is behind ours, and wastes the difference when
it is ahead. Every answer bounds the skew (server time minus local time, in seconds):

- it was counted before the reset it announces: ``skew < reset - sent``;
- in clock-aligned windows of `window` seconds it was counted at most a window before that reset:
  ``skew >= reset - window - received``;
- an answer announcing a later reset than one seen before was counted after that earlier reset:
  ``skew >= earlier_reset - received``.

Until answers say otherwise the clocks are assumed within `prior` seconds of each other; when the
answers push one side of the interval against that assumption, the other side moves out with it. The governor
waits until ``reset - low`` (the latest local moment the reset can be), so a server whose clock is
behind ours by less than the prior, or by more once learned, never sees a call it would refuse.
"""

from __future__ import annotations

import math

PRIOR_SKEW = 1.0
"""Seconds the server's clock is assumed within ours before any answer narrows it."""


class ClockSkew:
    """An interval [low, high] of seconds the server's clock runs ahead of ours (behind: negative)."""

    def __init__(self, prior: float = PRIOR_SKEW) -> None:
        self.prior = prior
        self.evidence_low = -math.inf
        self.evidence_high = math.inf
        self.resets: list[float] = []  # the last distinct minute resets announced, ascending

    @property
    def bounds(self) -> tuple[float, float]:
        """The evidence; a side it does not bound yet is at most `prior` from zero, or two priors
        beyond the other side's evidence when that is already further out."""
        low = max(self.evidence_low, min(-self.prior, self.evidence_high - 2 * self.prior))
        high = min(self.evidence_high, max(self.prior, self.evidence_low + 2 * self.prior))
        return low, high

    @property
    def low(self) -> float:
        return self.bounds[0]

    @property
    def high(self) -> float:
        return self.bounds[1]

    @property
    def uncertainty(self) -> float:
        low, high = self.bounds
        return high - low

    def learn(self, *, sent: float, received: float, reset: float, window: float | None) -> None:
        """One answer, sent and received at local epoch seconds, that announced `reset` (server
        epoch seconds); `window` is the length of clock-aligned windows, None for a sliding one."""
        high = reset - sent
        lows = [reset - window - received] if window else []
        if window:
            earlier = [moment for moment in self.resets if moment < reset]
            if earlier:
                lows.append(earlier[-1] - received)
            if reset not in self.resets:
                self.resets = sorted([*self.resets, reset])[-4:]
        low = max(lows, default=-math.inf)
        new_low, new_high = max(self.evidence_low, low), min(self.evidence_high, high)
        if new_low > new_high:  # the server's clock moved (or was set): start again from this answer
            new_low, new_high = low, high
        self.evidence_low, self.evidence_high = new_low, new_high
