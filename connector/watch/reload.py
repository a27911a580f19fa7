"""Hot reload: file-system events turned into 'this rule file may have changed', debounced so that an
editor's several writes make one reload."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler

RULE_SUFFIXES = (".yaml", ".yml")

DEBOUNCE = 0.3  # seconds of quiet after the last file event before a rule file is read again

# Events that may change what a file holds. Reading the file makes `opened` and `closed_no_write`
# events of its own: reacting to those would read it again, forever.
CHANGES = {"created", "modified", "moved", "deleted", "closed"}


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes as a rule file's `digest` is, or "" when it cannot be read; a rule
    file is at most 1 MB, and more than that is read no further (validation refuses it)."""
    try:
        with path.open("rb") as stream:
            return hashlib.sha256(stream.read(1024 * 1024 + 1)).hexdigest()
    except OSError:
        return ""


class RuleFileEvents(FileSystemEventHandler):
    """Turns file-system events into 'this rule file may have changed' calls, debounced."""

    def __init__(self, wanted: Callable[[Path], bool], changed: Callable[[Path], None]) -> None:
        self.wanted = wanted
        self.changed = changed
        self.timers: dict[Path, threading.Timer] = {}
        self.guard = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in CHANGES:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(str(raw)).absolute()
            if self.wanted(path):
                self._later(path)

    def _later(self, path: Path) -> None:
        with self.guard:
            if path in self.timers:
                self.timers[path].cancel()
            timer = threading.Timer(DEBOUNCE, self._fire, args=(path,))
            timer.daemon = True
            self.timers[path] = timer
            timer.start()

    def _fire(self, path: Path) -> None:
        with self.guard:
            self.timers.pop(path, None)
        self.changed(path)

    def cancel(self) -> None:
        with self.guard:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
