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

    def __init__(self, state_dir: str | os.PathLike[str], client: str) -> None:
        self.client = client
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
    """ "pid 4242 on host-1, running since 2026-03-01T10:00:00+00:00", from the lock file's text."""
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']} on {holder['host']}, running since {holder['started_at']}"
    except (ValueError, TypeError, KeyError):
        return "holder unknown: it is starting right now, or the lock file was edited"
