"""One process per client: the lock refuses a second run and dies with its holder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from connector.contract.errors import ClientBusy
from connector.state.lock import ClientLock, current_holder, describe_holder

TRY_LOCK = """
import sys
from connector.contract.errors import ClientBusy
from connector.state.lock import ClientLock
try:
    with ClientLock(sys.argv[1], "acme"):
        print("acquired")
except ClientBusy as error:
    print(error)
    sys.exit(error.exit_code)
"""

HOLD_LOCK = """
import sys
from connector.state.lock import ClientLock
with ClientLock(sys.argv[1], "acme"):
    print("held", flush=True)
    sys.stdin.read()
"""


def run_try_lock(state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TRY_LOCK, str(state_dir)], capture_output=True, text=True, timeout=30
    )


def test_a_second_lock_in_the_same_process_is_refused_naming_the_holder(state_dir: Path) -> None:
    with ClientLock(state_dir, "acme"):
        with pytest.raises(ClientBusy) as caught, ClientLock(state_dir, "acme"):
            pass
        message = str(caught.value)
        assert f"pid {os.getpid()}" in message and "running since" in message
        assert caught.value.client == "acme"
    with ClientLock(state_dir, "acme") as again:  # released at the end of the block
        assert again.held


def test_another_client_is_not_blocked(state_dir: Path) -> None:
    with ClientLock(state_dir, "acme"), ClientLock(state_dir, "globex") as other:
        assert other.held


def test_a_second_process_is_refused_with_the_holders_pid(state_dir: Path) -> None:
    with ClientLock(state_dir, "acme"):
        refused = run_try_lock(state_dir)
    assert refused.returncode == 4, "exit 4: another process is running this client"
    assert f"client 'acme' is already running (pid {os.getpid()} on " in refused.stdout
    assert run_try_lock(state_dir).stdout == "acquired\n"


def test_the_lock_is_freed_when_its_holder_is_killed(state_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ClientBusy, match=f"pid {holder.pid} "), ClientLock(state_dir, "acme"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with ClientLock(state_dir, "acme") as lock:
        assert lock.held


def test_the_lock_file_is_private_and_names_only_a_live_holder(state_dir: Path) -> None:
    lock = ClientLock(state_dir, "acme")
    with lock:
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
        assert str(os.getpid()) in lock.path.read_text()
    assert lock.path.read_text() == ""
    assert not lock.held


def test_an_unreadable_holder_is_reported_as_unknown() -> None:
    assert describe_holder("").startswith("holder unknown")
    assert describe_holder('{"pid": 1, "host": "h", "started_at": "t"}') == "pid 1 on h, running since t"


def test_status_learns_who_holds_a_client_without_taking_its_lock(tmp_path: Path) -> None:
    assert current_holder(tmp_path, "acme") is None, "no lock file yet"
    with ClientLock(tmp_path, "acme", purpose="watch mode"):
        holder = current_holder(tmp_path, "acme")
        assert holder is not None and holder["purpose"] == "watch mode" and holder["pid"] == os.getpid()
        with pytest.raises(ClientBusy, match="watch mode, pid"):
            ClientLock(tmp_path, "acme").acquire()
    assert current_holder(tmp_path, "acme") is None, "released: no one"
    with ClientLock(tmp_path, "acme"):
        pass  # and the probe took nothing
