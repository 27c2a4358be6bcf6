"""A throwaway PostgreSQL cluster for tests that stop and start the database itself.

The machine's own cluster is never touched: :class:`PgCluster` runs ``initdb`` in a fresh folder
and ``pg_ctl`` on a free port of 127.0.0.1, trust authentication, fsync off. initdb refuses to
run as root, so as root the cluster belongs to the ``postgres`` user (commands run through
``runuser``) in a folder under the system's temporary directory that user owns; otherwise it
lives in the folder given. ``stop()`` and ``start()`` keep the port and the data, as a database
server restarted by its operator does.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from tests.serverproc import free_port

COMMAND_TIMEOUT_S = 60.0
UNPRIVILEGED_USER = "postgres"


def postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb; a skip (a failure under CI) without one."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        message = "PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return Path(found[-1]).parent


class PgCluster:
    """One PostgreSQL cluster of its own: ``url`` names its ``postgres`` database."""

    host = "127.0.0.1"

    def __init__(self, directory: Path) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # initdb refuses root: the cluster's folder must belong to an ordinary user.
            self.owner = pwd.getpwnam(UNPRIVILEGED_USER)
            self.base = Path(tempfile.mkdtemp(prefix="onewindow-pg-"))
            os.chown(self.base, self.owner.pw_uid, self.owner.pw_gid)
        else:
            self.base = directory
            self.base.mkdir(parents=True, exist_ok=True)
        self.data = self.base / "data"
        self.log_path = self.base / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed with {done.returncode}:\n{done.stdout}{done.stderr}\n{self.log()}"
            )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-c listen_addresses={self.host} -p {self.port} -k {self.base} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session at once; ``immediate`` is a crash of the database server."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        self.init()
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.stop("immediate")
        finally:
            if self.as_root:
                shutil.rmtree(self.base, ignore_errors=True)
