"""OAuth tokens as the state store keeps them, and the store's interface that services use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Tokens:
    """One service's token pair. `refreshed_at` is when the pair was received from the service."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    refreshed_at: datetime


class TokenStore(Protocol):
    """Where a service keeps its tokens between processes (the client's state database).

    `save` must be durable (committed and fsync'd) when it returns: a rotated refresh token is
    single-use, so it is saved before the new access token is used.
    """

    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens) -> None: ...


class MemoryTokenStore:
    """A token store for tests and one-off scripts; nothing survives the process."""

    def __init__(self, tokens: Tokens | None = None) -> None:
        self.tokens = tokens
        self.saves = 0

    def load(self) -> Tokens | None:
        return self.tokens

    def save(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.saves += 1
