"""Secrets never reach a person's screen: every value registered here is masked in output.

Rule-file secrets (client secrets, from the environment) are registered when the rules are loaded,
tokens when they are stored or read. `mask()` replaces them in any text; `MaskingFilter` does it for
every log record; the CLI masks error messages and `--debug` tracebacks the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

MASK = "***"
MINIMUM_LENGTH = 6  # shorter values are too likely to occur in ordinary text to be worth masking

_lock = threading.Lock()
_secrets: set[str] = set()


def register(*values: str | None) -> None:
    with _lock:
        for value in values:
            if value and len(value) >= MINIMUM_LENGTH:
                _secrets.add(value)


def registered() -> Iterable[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)


def mask(text: str) -> str:
    for secret in registered():
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class MaskingFilter(logging.Filter):
    """Masks registered secrets in every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def install_logging_filter() -> None:
    """Put the filter on every handler of the root logger (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
