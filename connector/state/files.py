"""Where a client's state lives and how its files are kept private: the state directory (`.connector/`
beside the rule file unless `--state-dir` or `CONNECTOR_STATE_DIR` says otherwise), 0700 folders,
0600 files, and fsync after writes that must survive a crash."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from connector.contract.errors import ConfigurationError

ENVIRONMENT_VARIABLE = "CONNECTOR_STATE_DIR"

DEFAULT_DIRECTORY = ".connector"

SIDE_FILES = ("-wal", "-shm", "-journal")


def state_dir_for(
    rules_path: str | os.PathLike[str],
    override: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The client's state directory: the `--state-dir` flag, else `CONNECTOR_STATE_DIR`, else
    `.connector/` beside the rule file. An empty flag or variable counts as unset."""
    env = os.environ if environ is None else environ
    chosen = override if override not in (None, "") else env.get(ENVIRONMENT_VARIABLE) or None
    if chosen is None:
        return Path(rules_path).expanduser().absolute().parent / DEFAULT_DIRECTORY
    return Path(chosen).expanduser().absolute()


def client_file(state_dir: str | os.PathLike[str], client: str, suffix: str) -> Path:
    """`<state dir>/<client><suffix>`, refusing a client name that would leave the directory."""
    if client in ("", ".", "..") or any(char in client for char in "/\\\0"):
        raise ConfigurationError(
            f"client name {client!r} cannot name a state file",
            hint="use letters, digits, dots, hyphens and underscores in the rule file's `client`",
        )
    return Path(state_dir) / f"{client}{suffix}"


def ensure_private_dir(directory: Path) -> None:
    """Create the directory 0700, or take group and other access away from one we own."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o700:
        directory.chmod(0o700)


def ensure_private_file(path: Path) -> None:
    """Make `path` 0600 (creating it empty when missing), so SQLite's side files inherit that mode."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    """Flush a file or a directory to disk; a missing one (a side file SQLite removed) is fine."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
