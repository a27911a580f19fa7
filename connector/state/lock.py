"""One process per client: an exclusive `flock` on `<state dir>/<client>.lock`.

Two runs of one client would race for its single-use refresh tokens and could book a document
twice, so the second one refuses to start (`ClientBusy`, naming the holder). The kernel releases
an flock when its holder dies, however it dies, so a crashed run never leaves a stale lock behind.
The file only tells the next comer who holds it; it is never deleted (deleting a lock file lets two
processes lock two different files).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from connector.contract.errors import ClientBusy
from connector.state.files import client_file, ensure_private_dir


class ClientLock:
    """Hold `client`'s lock for the duration of a `with` block; raises `ClientBusy` if taken.

    A second `ClientLock` on the same client fails in the same process too (each opens the file
    anew, and flock locks belong to the open file).
    """

    def __init__(self, state_dir: str | os.PathLike[str], client: str, *, purpose: str = "") -> None:
        self.client = client
        self.purpose = purpose  # "watch mode", say: told to whoever finds the client busy
        self.path: Path = client_file(state_dir, client, ".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"the lock of client {self.client!r} is already held by this object")
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ClientBusy(self.client, describe_holder(_read(fd))) from None
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **({"purpose": self.purpose} if self.purpose else {}),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode(), 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Unlock; the holder's details are wiped first so no one reads a finished run as holder."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor of the open file releases the flock

    def __enter__(self) -> ClientLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode("utf-8", errors="replace")


def describe_holder(text: str) -> str:
    """ "pid 4242 on host-1, running since 2026-03-01T10:00:00+00:00", from the lock file's text
    ("watch mode, pid ..." when the holder said what it is)."""
    try:
        holder = json.loads(text)
        what = f"{holder['purpose']}, " if holder.get("purpose") else ""
        return f"{what}pid {holder['pid']} on {holder['host']}, running since {holder['started_at']}"
    except (ValueError, TypeError, KeyError, AttributeError):
        return "holder unknown: it is starting right now, or the lock file was edited"


def current_holder(state_dir: str | os.PathLike[str], client: str) -> dict[str, str] | None:
    """Who holds `client`'s lock now (the lock file's details), or None when no one does; takes
    nothing (the lock is tried and let go at once, its file never written)."""
    path = client_file(state_dir, client, ".lock")
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(_read(fd))
            except ValueError:
                holder = None
            return holder if isinstance(holder, dict) else {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
