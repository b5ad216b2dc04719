"""The s10 attacker's findings, over HTTP against the real app (uvicorn, real SQLite): an anonymous
body is never read (401 at once, the login page stays fast), deeply nested JSON is a 400, Gradio's
event streams belong to the user who opened them, annotators see no saved judge prompt and upload
nothing, a foreign Host is refused when ``public_url`` is set, and Gradio's small routes need a login.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tls_harness import make_studio, serve_studio

SECRET_PROMPT = "secret-eval-v2-for-ACME"


@contextmanager
def _signed_in(url: str, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("login", data={"username": name, "password": f"{name}-pass-1"}).raise_for_status()
        yield client


@pytest.fixture
def app(db_path: Path):
    """The app (no judge loaded) with a custom prompt saved before it started; yields (url, studio)."""
    from judge_runtime.custom import CustomPrompt

    studio = make_studio(db_path, judge_demo_on_start=False)
    template = "Q: {instruction}\n{input}\nA: {response1}\nB: {response2}\nEnd with [[A]], [[B]] or [[C]]."
    studio.prompts.save("admin", CustomPrompt(SECRET_PROMPT, template))
    with serve_studio(studio) as url:
        yield url, studio
    studio.store.close()


def _fn_index(config: dict[str, Any], *, api_name: str | None = None, elem_id: str = "", trigger: str = "") -> int:
    """A Gradio event's id: by api_name, or by the elem_id and trigger of the component firing it."""
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for dep in config["dependencies"]:
        if api_name is not None and dep.get("api_name") == api_name:
            return int(dep["id"])
        if api_name is None and any(ids.get(t[0]) == elem_id and t[1] == trigger for t in dep["targets"]):
            return int(dep["id"])
    raise AssertionError(f"no event {api_name or (elem_id, trigger)}")


def _join(client: httpx.Client, fn_index: int, data: list[Any], session_hash: str) -> httpx.Response:
    body = {"data": data, "fn_index": fn_index, "session_hash": session_hash, "trigger_id": None, "event_data": None}
    return client.post("gradio_api/queue/join", json=body)


def _completed(client: httpx.Client, session_hash: str) -> tuple[int, Any]:
    """(status of queue/data, the output data of the first completed event in the stream)."""
    with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
        if stream.status_code != 200:
            stream.read()
            return stream.status_code, stream.text
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return 200, message["output"].get("data", message["output"])
    return 200, None


# ---------------------------------------------------------------------- 1. anonymous bodies
def test_an_anonymous_call_gets_its_401_before_its_body_is_read(app) -> None:
    url, _studio = app
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        # announces 20 MB and sends 1 MB: a server that reads the body first waits for the rest forever
        sock.sendall(
            b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {20 * 1024 * 1024}\r\n\r\n".encode()
            + b'{"x":"gradio.FileData","y":['
            + b"[]," * 300_000
        )
        started = time.monotonic()
        answer = b""
        while b"Not authenticated" not in answer and time.monotonic() - started < 5:
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"Not authenticated" in answer and time.monotonic() - started < 5


def test_big_anonymous_posts_do_not_hold_up_the_login_page(app) -> None:
    url, _studio = app
    body = b'{"x":"gradio.FileData","y":[' + b"[]," * 4_000_000 + b"[]]}"  # 12 MB, slow to parse
    statuses: list[int | str] = []

    def post() -> None:
        try:
            statuses.append(httpx.post(url + "gradio_api/queue/join", content=body, timeout=60).status_code)
        except httpx.HTTPError as error:  # the server may close the connection once it has answered
            statuses.append(type(error).__name__)

    senders = [threading.Thread(target=post) for _ in range(4)]
    for sender in senders:
        sender.start()
    worst = 0.0
    with httpx.Client(base_url=url, timeout=60) as browser:
        while any(sender.is_alive() for sender in senders):
            started = time.monotonic()
            assert browser.get("login").status_code == 200
            worst = max(worst, time.monotonic() - started)
    for sender in senders:
        sender.join()
    assert all(status in {401, "WriteError", "RemoteProtocolError", "ReadError"} for status in statuses), statuses
    assert 401 in statuses
    assert worst < 2.0, f"GET /login took {worst:.2f} s while anonymous 12 MB bodies came in"


def test_a_signed_in_call_larger_than_the_cap_is_413_with_a_message(app) -> None:
    url, _studio = app
    with _signed_in(url, "rita") as rita:
        big = rita.post("gradio_api/queue/join", content=b'{"data": ["' + b"a" * (9 * 1024 * 1024) + b'"]}')
    assert big.status_code == 413 and big.json()["detail"] == "This request is larger than 8 MB; nothing was run."


# ---------------------------------------------------------------------- 2. nested JSON
def test_deeply_nested_json_is_a_400_not_a_traceback(app, capfd: pytest.CaptureFixture[str]) -> None:
    url, _studio = app
    deep = b"[" * 200_000 + b'"gradio.FileData"' + b"]" * 200_000
    nested = b'{"a":' * 900 + b'{"path":"/etc/passwd","meta":{"_type":"gradio.FileData"}}' + b"}" * 900
    assert httpx.post(url + "gradio_api/queue/join", content=deep).status_code == 401  # anonymous: unread
    with _signed_in(url, "alice") as alice:
        for body in (deep, nested, b'{"data": ' + b"[" * 70 + b"]" * 70 + b"}"):
            answer = alice.post("gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 400, answer.text[:200]
            assert answer.json()["detail"] == (
                "The request's JSON is nested too deeply (more than 64 levels); nothing was run."
            )
        assert alice.get("config").status_code == 200
    assert "Traceback" not in capfd.readouterr().err


# ---------------------------------------------------------------------- 3. event streams
def test_an_event_stream_belongs_to_the_user_who_opened_it(app) -> None:
    url, _studio = app
    with _signed_in(url, "admin") as admin, _signed_in(url, "rita") as rita:
        config = admin.get("config").json()
        add = _fn_index(config, api_name="admin_add_account")
        joined = _join(admin, add, ["trent", "trent-pass-1", "annotator", "crowd"], "adminhash01")
        assert joined.status_code == 200
        event_id = joined.json()["event_id"]
        assert _completed(rita, "adminhash01")[0] == 403
        assert rita.get("gradio_api/heartbeat/adminhash01").status_code == 403
        cancel = {"session_hash": "adminhash01", "fn_index": add, "event_id": event_id}
        assert rita.post("gradio_api/cancel", json=cancel).status_code == 403
        assert rita.post("gradio_api/reset", json={"event_id": event_id}).status_code == 403
        again = _join(rita, add, ["mallory", "mallory-pass-1", "admin", "expert"], "adminhash01")
        assert again.status_code == 403 and again.json()["detail"].startswith("This event stream belongs to")
        anonymous = httpx.Client(base_url=url)
        assert anonymous.get("gradio_api/queue/data", params={"session_hash": "adminhash01"}).status_code == 401
        assert anonymous.post("gradio_api/cancel", json=cancel).status_code == 401
        status, output = _completed(admin, "adminhash01")  # the admin's own stream works
        assert status == 200 and "trent" in json.dumps(output)
        # a direct call's event id too
        started = admin.post(
            "gradio_api/call/admin_add_account", json={"data": ["tina", "tina-pass-1", "annotator", "crowd"]}
        )
        call_id = started.json()["event_id"]
        assert rita.get(f"gradio_api/call/admin_add_account/{call_id}").status_code == 403
        assert "event: complete" in admin.get(f"gradio_api/call/admin_add_account/{call_id}").text


def test_event_owners_are_bounded() -> None:
    from web.context import EventOwners

    owners = EventOwners(max_keys=3)
    for n in range(5):
        assert owners.claim(f"s:{n}", "alice")
    assert len(owners) == 3 and not owners.claim("s:4", "bob") and owners.claim("s:0", "bob")


# ---------------------------------------------------------------------- 4. saved judge prompts
def test_only_reviewers_and_admins_see_the_saved_judge_prompts(app) -> None:
    url, _studio = app
    with _signed_in(url, "alice") as alice, _signed_in(url, "rita") as rita:
        config = alice.get("config")
        assert config.status_code == 200 and SECRET_PROMPT not in config.text  # saved before the start
        focus = _fn_index(config.json(), elem_id="judge-prompt", trigger="focus")
        shown = {}
        for name, client in (("alice", alice), ("rita", rita)):
            assert _join(client, focus, [], f"{name}prompts1").status_code == 200
            status, output = _completed(client, f"{name}prompts1")
            assert status == 200
            shown[name] = json.dumps(output)
    assert SECRET_PROMPT not in shown["alice"] and "arena-hard" in shown["alice"]
    assert f"custom:{SECRET_PROMPT}@" in shown["rita"]


# ---------------------------------------------------------------------- 5. uploads
def test_only_admins_upload_files(app) -> None:
    url, _studio = app
    for name in ("alice", "rita"):
        with _signed_in(url, name) as client:
            refused = client.post("gradio_api/upload", files={"files": ("junk.bin", b"\0" * 1024)})
            assert refused.status_code == 403
            assert refused.json()["detail"] == "Only admins upload files (Admin → Import); nothing was stored."
    with _signed_in(url, "admin") as admin:
        (path,) = admin.post("gradio_api/upload", files={"files": ("ok.jsonl", b"{}\n")}).json()
        assert admin.get(f"gradio_api/file={path}").status_code == 200
    assert httpx.post(url + "gradio_api/upload", files={"files": ("x", b"x")}).status_code == 401


# ---------------------------------------------------------------------- 7. Host
def test_with_a_public_url_another_host_is_refused(db_path: Path) -> None:
    studio = make_studio(db_path, public_url="https://judge.example.org", judge_demo_on_start=False)
    with serve_studio(studio) as url:
        evil = {"Host": "evil.example", "Origin": "http://evil.example"}
        login = httpx.post(url + "login", data={"username": "admin", "password": "admin-pass-1"}, headers=evil)
        assert login.status_code == 400 and "judge_studio_session" not in login.headers.get("set-cookie", "")
        assert login.json()["detail"] == (
            "This server answers only for judge.example.org (public_url), not for the host 'evil.example'."
        )
        for host in ("evil.example", "judge.example.org.", "127.0.0.1:1@evil.example"):
            assert httpx.get(url + "login", headers={"Host": host}).status_code == 400, host
        for host in ("judge.example.org", "JUDGE.example.org", "localhost:7860", "127.0.0.1"):
            assert httpx.get(url + "login", headers={"Host": host}).status_code == 200, host
        assert httpx.get(url + "login").status_code == 200  # the address it listens on (loopback)
    studio.store.close()


# ---------------------------------------------------------------------- 8. Gradio's small routes
def test_gradio_routes_need_a_login(app) -> None:
    url, _studio = app
    for path in ("gradio_api/app_id", "gradio_api/startup-events", "gradio_api/heartbeat/abc", "gradio_api/info"):
        answer = httpx.get(url + path)
        assert answer.status_code == 401 and answer.json()["detail"]["error"] == "Not authenticated", path
    for path in ("gradio_api/reset", "gradio_api/cancel", "gradio_api/stream/abc"):
        assert httpx.post(url + path, json={"event_id": "x"}).status_code == 401, path
    assert httpx.get(url + "gradio_api/user").json() is None  # "nobody": tells nothing
    with _signed_in(url, "alice") as alice:
        assert alice.get("gradio_api/app_id").status_code == 200
        assert alice.get("gradio_api/user").json() == "alice"
