"""Session 13 (pgteam findings 1, 3, 7): running on PostgreSQL with a password in the URL.

- The password is never printed: ``serve``'s banner and every command's "Database:" line show the URL
  through one function (``annotation_store.db.shown_url``: ``js:***@``).
- A server that is down, a wrong password, an unknown role: one ``judge-studio: Could not reach the
  database ...`` line (no traceback), exit status non-zero, from any command and from ``serve``.
- ``backup`` on PostgreSQL prints a pg_dump command that makes the dump 0600 (``umask 077``).
- ``postgresql://`` (no driver named) opens with psycopg, the driver installed.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import PostgresServer, _free_port, find_bin_dir
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from annotation_store import open_store
from annotation_store.backup import pg_dump_hint
from annotation_store.db import shown_url
from cli import main
from errors import Unavailable

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cret-Pw"
UNREACHABLE = "Could not reach the database at "
ASK = "Is the server running and are the name and password right?"


def _with_password(url: str, password: str = SECRET) -> str:
    """``pg_url`` (``postgresql+psycopg://user@host:port/db``) with a password; the test server trusts
    every local login, so any password opens it."""
    scheme, _, rest = url.partition("://")
    user, _, where = rest.partition("@")
    return f"{scheme}://{user}:{password}@{where}"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, object]:
    """Run one command line in this process: (stdout + stderr, the exit code: None when it ended normally)."""
    code: object = None
    try:
        main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    if isinstance(code, str):  # sys.exit("judge-studio: ..."): Python prints it on standard error
        return out.out + out.err + code, code
    return out.out + out.err, code


# ---------------------------------------------------------------------- one redaction function
@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            "postgresql+psycopg://js:jspass@127.0.0.1:5442/judgestudio",
            "postgresql+psycopg://js:***@127.0.0.1:5442/judgestudio",
        ),
        ("postgresql://js:p%40ss@db.example/js", "postgresql://js:***@db.example/js"),
        ("postgresql+psycopg://js@db.example/js", "postgresql+psycopg://js@db.example/js"),
        ("postgresql+psycopg://js:js@pass@127.0.0.1/db", "postgresql+psycopg://js:***@127.0.0.1/db"),  # "@" unescaped
        ("postgresql+psycopg://js:jspass@127.0.0.1:1x/db", "postgresql+psycopg://js:***@127.0.0.1:1x/db"),  # unreadable
        ("/home/me/.judge-studio/judge-studio.sqlite3", "/home/me/.judge-studio/judge-studio.sqlite3"),
        ("sqlite:////srv/x.sqlite3", "sqlite:////srv/x.sqlite3"),
    ],
)
def test_shown_url_masks_the_password_and_nothing_else(location: str, shown: str) -> None:
    assert shown_url(location) == shown


def test_a_url_that_cannot_be_read_is_refused_without_its_password(tmp_path: Path) -> None:
    for url in ("postgresql+psycopg://js:jspass@127.0.0.1:1x/db", "mysql://js:jspass@h/db"):
        with pytest.raises(ValueError, match="cannot be opened") as refused:
            open_store(url)
        assert "jspass" not in str(refused.value) and "js:***@" in str(refused.value)


# ---------------------------------------------------------------------- an unreachable server: one line
def test_a_closed_port_gives_one_line_naming_the_database_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://js:jspass@127.0.0.1:1/judgestudio"
    for argv in (["users", "list"], ["datasets", "list"], ["metrics", "--dataset", "demo"], ["gold", "list"]):
        output, code = _cli(capsys, *argv, "--home", str(tmp_path), "--database-url", url)
        assert code not in (None, 0), output
        assert output.strip().splitlines() == [
            f"judge-studio: {UNREACHABLE}postgresql+psycopg://js:***@127.0.0.1:1/judgestudio: connection failed: "
            f'connection to server at "127.0.0.1", port 1 failed: Connection refused. {ASK}'
        ], argv
        assert "jspass" not in output and "Traceback" not in output


def test_plain_postgresql_urls_open_with_psycopg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``postgresql://`` names no driver; SQLAlchemy 2.0 would pick psycopg2 (not installed): psycopg is used."""
    for scheme in ("postgresql", "postgres"):
        output, code = _cli(
            capsys, "users", "list", "--home", str(tmp_path), "--database-url", f"{scheme}://js:jspass@127.0.0.1:1/db"
        )
        assert code not in (None, 0)
        assert output.strip() == (
            f"judge-studio: {UNREACHABLE}{scheme}://js:***@127.0.0.1:1/db: connection failed: "
            f'connection to server at "127.0.0.1", port 1 failed: Connection refused. {ASK}'
        )


def test_serve_with_the_server_down_says_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    """The whole process, as a user runs it: nothing but the one line on the console, exit status 1."""
    done = subprocess.run(
        [sys.executable, "app.py", "serve", "--port", str(_free_port()), "--no-judge-demo-on-start"],
        cwd=ROOT,
        env={
            **os.environ,
            "JUDGE_STUDIO_HOME": str(tmp_path),
            "JUDGE_STUDIO_DATABASE_URL": "postgresql+psycopg://js:jspass@127.0.0.1:1/judgestudio",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"judge-studio: {UNREACHABLE}postgresql+psycopg://js:***@127.0.0.1:1/judgestudio: connection failed: "
        f'connection to server at "127.0.0.1", port 1 failed: Connection refused. {ASK}'
    ]


def test_an_unknown_role_or_database_on_a_running_server_is_one_line(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scheme, _, rest = pg_url.partition("://")
    where = rest.partition("@")[2]
    no_role = f"{scheme}://nosuchrole:{SECRET}@{where}"
    output, code = _cli(capsys, "users", "list", "--home", str(tmp_path), "--database-url", no_role)
    assert code not in (None, 0)
    assert output.strip() == (
        f"judge-studio: {UNREACHABLE}{scheme}://nosuchrole:***@{where}: connection failed: connection to server at "
        f'"127.0.0.1", port {where.split(":")[1].split("/")[0]} failed: FATAL:  role "nosuchrole" does not exist. {ASK}'
    )
    no_database = _with_password(pg_url).rsplit("/", 1)[0] + "/no_such_db"
    output, code = _cli(capsys, "datasets", "list", "--home", str(tmp_path), "--database-url", no_database)
    assert code not in (None, 0) and len(output.strip().splitlines()) == 1
    assert 'database "no_such_db" does not exist' in output and SECRET not in output and ":***@" in output


# ---------------------------------------------------------------------- a wrong password (scram, like a real server)
class _PasswordServer(PostgresServer):
    """A throw-away cluster that checks passwords over TCP (scram-sha-256), as a team's server does; the
    superuser comes in through the Unix socket (trusted) to make the role."""

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.root, user=self.user)
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--locale=C", "-N",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options)
        self.started = True
        import psycopg

        with psycopg.connect(host=str(self.root), port=self.port, user=self.user, dbname="postgres") as connection:
            connection.autocommit = True
            connection.execute(f"CREATE ROLE js LOGIN PASSWORD '{SECRET}'")
            connection.execute("CREATE DATABASE judgestudio OWNER js")


@pytest.fixture(scope="module")
def password_server() -> Iterator[_PasswordServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server not found (no /usr/lib/postgresql/*/bin/initdb)")
    pytest.importorskip("psycopg")
    server = _PasswordServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_a_wrong_password_is_one_line_and_the_right_one_never_printed(
    password_server: _PasswordServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = f"127.0.0.1:{password_server.port}/judgestudio"
    output, code = _cli(
        capsys, "users", "list", "--home", str(tmp_path), "--database-url", f"postgresql+psycopg://js:wrong-pw@{where}"
    )
    assert code not in (None, 0)
    assert output.strip() == (
        f"judge-studio: {UNREACHABLE}postgresql+psycopg://js:***@{where}: connection failed: connection to server at "
        f'"127.0.0.1", port {password_server.port} failed: FATAL:  password authentication failed for user "js". {ASK}'
    )
    assert "wrong-pw" not in output

    # the right password: the first command creates the tables, and says where without the password
    right = f"postgresql+psycopg://js:{SECRET}@{where}"
    monkeypatch.setattr(sys, "stdin", io.StringIO("ann1-long-password\n"))
    output, code = _cli(
        capsys, "users", "add", "ann1", "--password-stdin", "--home", str(tmp_path), "--database-url", right
    )
    assert code in (None, 0), output
    assert f"Database: postgresql+psycopg://js:***@{where}" in output and SECRET not in output
    output, code = _cli(capsys, "users", "list", "--home", str(tmp_path), "--database-url", right)
    assert code in (None, 0) and "ann1" in output and SECRET not in output


# ---------------------------------------------------------------------- the password never printed
def test_no_command_output_or_server_banner_holds_the_password(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _with_password(pg_url)
    masked = url.replace(f":{SECRET}@", ":***@")
    base = ["--home", str(tmp_path), "--database-url", url]
    monkeypatch.setattr(sys, "stdin", io.StringIO("ann1-long-password\n"))
    ran = {
        "users add": _cli(capsys, "users", "add", "ann1", "--password-stdin", *base),
        "datasets list": _cli(capsys, "datasets", "list", *base),
        "metrics": _cli(capsys, "metrics", *base),
        "backup": _cli(capsys, "backup", str(tmp_path / "bk.dump"), *base),
    }
    for name, (output, _code) in ran.items():
        assert SECRET not in output, name
    assert f"Database: {masked}" in ran["users add"][0]
    assert ran["users add"][1] in (None, 0)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # the banner, not the server
    output, code = _cli(capsys, "serve", "--port", str(_free_port()), "--no-judge-demo-on-start", *base)
    assert code in (None, 0), output
    assert f"data in {masked}" in output
    assert SECRET not in output


# ---------------------------------------------------------------------- backup's pg_dump command
def test_the_pg_dump_hint_makes_a_private_file_and_says_why() -> None:
    hint = pg_dump_hint("postgresql+psycopg://js:jspass@127.0.0.1:5442/judgestudio", "/backups/js.dump")
    assert (
        "(umask 077 && pg_dump --format=custom --file /backups/js.dump 'postgresql://js@127.0.0.1:5442/judgestudio')"
        in hint
    )
    assert "readable by you only" in hint and "password hash" in hint
    assert "jspass" not in hint and "***" not in hint


def test_the_printed_pg_dump_command_writes_a_0600_file(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run the command as printed (in a shell, umask 022 like most logins): the dump is 0600."""
    pg_dump = find_bin_dir() / "pg_dump"  # type: ignore[operator]
    if not pg_dump.exists():
        pytest.skip("pg_dump not installed")
    target = tmp_path / f"bk-{uuid.uuid4().hex[:6]}.dump"
    output, code = _cli(capsys, "backup", str(target), "--home", str(tmp_path), "--database-url", pg_url)
    assert code not in (None, 0) and "Nothing was written" in output and not target.exists()
    command = output[output.index("(umask 077") : output.index(").") + 1]
    done = subprocess.run(
        ["sh", "-c", f"umask 022; PATH={pg_dump.parent}:$PATH; {command}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_open_store_names_the_error_unavailable() -> None:
    """Every caller of ``open_store`` (serve, serve-api's workers, scripts) gets the typed error, not SQLAlchemy's."""
    with pytest.raises(Unavailable, match=r"js:\*\*\*@127\.0\.0\.1:1/db: connection failed"):
        open_store("postgresql+psycopg://js:jspass@127.0.0.1:1/db")


def test_only_a_server_not_reached_or_a_refused_login_gets_the_message() -> None:
    """A lock timeout or a serialization failure mid-command is no "could not reach": it stays what it was."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    from annotation_store.db import unreachable_error

    url = "postgresql+psycopg://js:jspass@db.example/js"
    refused = OperationalError("connect", None, psycopg.OperationalError("connection failed: Connection refused"))
    error = unreachable_error(url, refused)
    assert error is not None and str(error).startswith(f"{UNREACHABLE}postgresql+psycopg://js:***@db.example/js: ")
    for busy in (psycopg.errors.LockNotAvailable("could not obtain lock"), psycopg.errors.SerializationFailure("x")):
        assert unreachable_error(url, OperationalError("UPDATE ...", None, busy)) is None
    assert unreachable_error("/srv/js.sqlite3", refused) is None  # SQLite: no server to reach
