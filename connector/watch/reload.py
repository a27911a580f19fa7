"""Hot reload: file-system events turned into 'this rule file may have changed', debounced so that an
editor's several writes make one reload."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler

RULE_SUFFIXES = (".yaml", ".yml")

DEBOUNCE = 0.3  # seconds of quiet after the last file event before a rule file is read again


class RuleFileEvents(FileSystemEventHandler):
    """Turns file-system events into 'this rule file may have changed' calls, debounced."""

    def __init__(self, wanted: Callable[[Path], bool], changed: Callable[[Path], None]) -> None:
        self.wanted = wanted
        self.changed = changed
        self.timers: dict[Path, threading.Timer] = {}
        self.guard = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
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
