"""A throw-away PostgreSQL server for the store tests, built from Debian's ``postgresql`` package.

The store promises the same behaviour on PostgreSQL as on SQLite, and only a real server can prove
that (locking, unique-constraint races and isolation differ from SQLite). The server lives in a temp
directory, listens on 127.0.0.1 on a free port with its socket in that directory, trusts local
connections and runs with fsync off: it is for tests only and is deleted afterwards.

``initdb`` and ``pg_ctl`` refuse to run as root, and CI runs the tests as root, so as root the binaries
run as an unprivileged user (``judgestudio``, created with ``useradd`` if missing, else ``nobody``)
through ``runuser``; as any other user they simply run as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "judgestudio"
FALLBACK_USER = "nobody"


def find_bin_dir() -> Path | None:
    """``$JUDGE_STUDIO_PG_BIN`` when set (a folder with ``initdb`` and ``pg_ctl``: the GPU machine's check uses
    the binaries of the ``pgserver`` wheel), else the newest ``/usr/lib/postgresql/<version>/bin`` that has both."""
    if os.environ.get("JUDGE_STUDIO_PG_BIN"):
        chosen = Path(os.environ["JUDGE_STUDIO_PG_BIN"])
        return chosen if (chosen / "initdb").exists() and (chosen / "pg_ctl").exists() else None
    candidates = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bin_dir = Path(initdb).parent
        version = re.findall(r"\d+", bin_dir.parent.name)
        if (bin_dir / "pg_ctl").exists() and version:
            candidates.append((int(version[0]), bin_dir))
    return max(candidates)[1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> str:
    """The unprivileged account that owns the cluster when the tests run as root."""
    for name in (SERVER_USER, FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            if name == SERVER_USER and shutil.which("useradd"):
                made = subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                    capture_output=True,
                    text=True,
                )
                if made.returncode == 0:
                    return name
    raise RuntimeError(f"neither {SERVER_USER!r} nor {FALLBACK_USER!r} exists and useradd failed")


class PostgresServer:
    """One private cluster: :meth:`start`, then :meth:`create_database` and :meth:`url`, then :meth:`stop`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.user = _server_user() if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        # Not under pytest's tmp dir: that one is private to root, and the server user must reach this.
        self.root = Path(tempfile.mkdtemp(prefix="judge-studio-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", self.user, "--", *command]
        # cwd: the server user may not be allowed into the caller's working directory
        done = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}, timeout=120
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}")
        return done

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.root, user=self.user)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--locale=C", "-N")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options)
        self.started = True

    def stop(self) -> None:
        """Stop the server (fast shutdown ends open test connections) and delete its files."""
        try:
            if self.started:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that) as the superuser."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a file-level copy of ``template`` if given, which is fast); returns its URL."""
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
