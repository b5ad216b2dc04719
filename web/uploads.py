"""Gradio's API for signed-in users only, and files through it: handlers only ever receive uploads, and
a file is downloadable only by the user who uploaded it or was handed it (an export, say).

Gradio mounted on FastAPI does not check that a ``FileData`` path sent by a browser lies in its
upload folder (``launch()`` would), serves any file of that folder to any signed-in user who knows
its path, and keys its event streams by a session hash alone. This ASGI middleware, in front of the
Gradio app, closes these:

- **Anonymous callers** get 401 for everything under ``/gradio_api/`` (``/gradio_api/user`` excepted:
  it answers null) before their request body is read: a large anonymous body costs nothing.
- ``POST /gradio_api/upload``: admins only (the Admin page's import is the one handler that takes a
  file); the paths Gradio answers with are recorded as the uploader's.
- Every other Gradio call (``/gradio_api/queue/join``, ``/run``, ``/call`` ...): the body is read up to
  ``MAX_CALL_BODY`` (else 413), parsed (a large one in a worker thread; nesting deeper than
  ``MAX_DEPTH`` is 400), and each ``FileData`` in it must lie in the upload folder and belong to the
  caller, else 403 with a message and no handler runs.
- A call naming a function (``fn_index``) that the page has no server-side function for is answered 400
  in one line (Gradio would log a 12-line traceback for each one: a signed-in user could bury the log).
- **Session hashes and event ids** belong to the first signed-in user who uses them (``queue/join``,
  ``queue/data``, ``heartbeat``, ``cancel``, ``call``, ``reset``): another user gets 403.
- Event results (the queue's event stream and direct calls): each ``FileData`` handed out is
  recorded as the receiving user's.
- ``GET /gradio_api/file=<path>`` for a path in the upload folder: only for its owners (403 else).

Upload size is capped by Gradio itself (``max_file_size``, from ``settings.max_upload_mb``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.access import SECURITY_LOG
from orchestration.uploads import is_inside
from web.context import WebContext
from web.security import _send_json

GRADIO_API = "/gradio_api/"
FILE_ROUTES = ("/gradio_api/file=", "/gradio_api/file/")
UPLOAD_ROLE = "admin"  # the roles whose pages take a file: Admin → Import only
ANONYMOUS_OK = frozenset({"/gradio_api/user", "/gradio_api/user/"})  # answers null: says nothing
# A JSON event call (uploads go through /gradio_api/upload, capped by max_upload_mb). The largest real
# ones: the Review queue's row click sends the whole queue table back (measured: 168 bytes a row as JSON,
# so 8 MB is ~50,000 rows, parsed in 0.1 s) and a Case study call with three 100 KB texts is ~0.3 MB.
# The worst body for its size (12 MB of "[]," takes 1.3 s to parse, holding the GIL) is only read from
# a signed-in caller.
MAX_CALL_BODY = 8 * 1024 * 1024
INLINE_PARSE = 64 * 1024  # smaller bodies are parsed on the event loop (well under a millisecond)
MAX_DEPTH = 64  # Gradio's own payloads nest a few levels (a table value: 4)
NOT_SIGNED_IN = {"error": "Not authenticated", "auth_message": "You are not signed in: reload the page and log in."}
_SESSION_PATHS = re.compile(r"^/gradio_api/heartbeat/([^/]+)/?$")
_EVENT_PATHS = re.compile(r"^/gradio_api/call/(?:v2/)?[^/]+/([^/]+)/?$")
_JOIN_POSTS = re.compile(r"^/gradio_api/(?:queue/join|call/(?:v2/)?[^/]+)/?$")  # answer {"event_id": ...}
MAX_JOIN_ANSWER = 4096


class TooDeep(ValueError):
    """A JSON value nested deeper than ``MAX_DEPTH``."""


def file_data(value: Any, max_depth: int = MAX_DEPTH) -> Iterator[dict[str, Any]]:
    """Every Gradio ``FileData`` object in a JSON value (the test Gradio itself uses). Walked with a
    stack, not recursion; raises ``TooDeep`` past ``max_depth`` levels."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            meta = item.get("meta")
            if isinstance(item.get("path"), str) and isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
                yield item
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def parse_call(body: bytes) -> tuple[Any, list[dict[str, Any]]] | str:
    """A call's JSON body and the ``FileData`` in it, or why it cannot be used (a message). A body that
    is not JSON parses as None: Gradio answers it. Runs in a worker thread for large bodies."""
    try:
        payload = json.loads(body)
    except RecursionError:
        return f"The request's JSON is nested too deeply (more than {MAX_DEPTH} levels); nothing was run."
    except ValueError:
        return None, []
    try:
        files = list(file_data(payload))
    except TooDeep:
        return f"The request's JSON is nested too deeply (more than {MAX_DEPTH} levels); nothing was run."
    return payload, files


class FileGuard:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, web: WebContext, runnable: Callable[[int], bool] | None = None) -> None:
        self.app = app
        self.web = web
        self.runnable = runnable  # whether a ``fn_index`` names a function the server runs (None: not checked)
        self._parsers: anyio.CapacityLimiter | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(GRADIO_API):
            await self.app(scope, receive, send)
            return
        user = await self.web.signed_in_user(HTTPConnection(scope))
        if user is None:
            if path in ANONYMOUS_OK:
                await self.app(scope, receive, send)
            else:  # Gradio's own answer, before a byte of the body is read
                await _send_json(send, 401, NOT_SIGNED_IN)
            return
        if path.startswith(FILE_ROUTES):
            wanted = path.split("=", 1)[1] if "=" in path else path[len(FILE_ROUTES[1]) :]
            if is_inside(Path(wanted), self.web.upload_dir) and not self.web.files.owns(wanted, user):
                await _send_json(send, 403, "This file is not yours to download; export or upload it yourself.")
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and path.rstrip("/") == "/gradio_api/upload":
            if not await self.web.may(user, UPLOAD_ROLE):
                await _send_json(send, 403, "Only admins upload files (Admin → Import); nothing was stored.")
                return
            await self.app(scope, receive, self._recording(send, user, whole_body=True))
            return
        if not self._stream_is_theirs(scope, path, user):
            await _send_json(send, 403, "This event stream belongs to another user; reload the page.")
            return
        if scope["method"] == "POST":
            answered = await self._checked_call(scope, receive, send, path, user)
            if answered is None:
                return
            receive = answered
            if _JOIN_POSTS.match(path):
                send = self._claiming_event(send, user)
        await self.app(scope, receive, self._recording(send, user, whole_body=False))

    def _stream_is_theirs(self, scope: Scope, path: str, user: str) -> bool:
        """False when the session hash or event id in the path or query is another user's."""
        found = _SESSION_PATHS.match(path)
        if found:
            return self.web.events.claim("s:" + found.group(1), user)
        if scope["method"] == "GET" and path.rstrip("/") == "/gradio_api/queue/data":
            hashes = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash", [])
            return all(self.web.events.claim("s:" + h, user) for h in hashes)
        found = _EVENT_PATHS.match(path) if scope["method"] == "GET" else None
        return self.web.events.claim("e:" + found.group(1), user) if found else True

    async def _checked_call(self, scope: Scope, receive: Receive, send: Send, path: str, user: str) -> Receive | None:
        """Read and check a call's body; the ``receive`` that replays it, or None once refused."""
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        body = None if declared.isdigit() and int(declared) > MAX_CALL_BODY else await _read_body(receive)
        if body is None:
            limit = MAX_CALL_BODY // (1024 * 1024)
            await _send_json(send, 413, f"This request is larger than {limit} MB; nothing was run.")
            return None
        parsed = await self._parse(body)
        if isinstance(parsed, str):
            await _send_json(send, 400, parsed)
            return None
        payload, files = parsed
        status, problem = self._input_problem(payload, files, user)
        if problem is not None:
            await _send_json(send, status, problem)
            return None
        return _replay(body, receive)

    async def _parse(self, body: bytes) -> tuple[Any, list[dict[str, Any]]] | str:
        """``parse_call``, in a worker thread (at most two at once) for a large body."""
        if len(body) <= INLINE_PARSE:
            return parse_call(body)
        if self._parsers is None:
            self._parsers = anyio.CapacityLimiter(2)
        return await anyio.to_thread.run_sync(parse_call, body, limiter=self._parsers)

    def _input_problem(self, payload: Any, files: list[dict[str, Any]], user: str) -> tuple[int, str | None]:
        """(status, message) refusing a call, or (200, None)."""
        session = payload.get("session_hash") if isinstance(payload, dict) else None
        if isinstance(session, str) and not self.web.events.claim("s:" + session, user):
            return 403, "This event stream belongs to another user; reload the page."
        event = payload.get("event_id") if isinstance(payload, dict) else None
        if isinstance(event, str) and not self.web.events.claim("e:" + event, user):
            return 403, "This event belongs to another user; reload the page."
        if isinstance(payload, dict) and "fn_index" in payload and self.runnable is not None:
            index = payload["fn_index"]
            if type(index) is not int or not self.runnable(index):
                SECURITY_LOG.warning("Gradio call refused: no server function %.40r (from %r)", index, user)
                return 400, "This page has no such server function (fn_index); nothing was run. Reload the page."
        for item in files:
            name = Path(item["path"]).name
            if not is_inside(Path(item["path"]), self.web.upload_dir):
                return 403, (
                    f"The file {name!r} was not uploaded to this app; upload it with the file picker; nothing was read."
                )
            if not self.web.files.owns(item["path"], user):
                return 403, f"The file {name!r} is not one you uploaded; upload it again. Nothing was read."
        return 200, None

    def _claiming_event(self, send: Send, user: str) -> Send:
        """``send`` that records the event id a call answers with (``{"event_id": ...}``) as ``user``'s."""
        answer = bytearray()

        async def claiming_send(message: Message) -> None:
            if message["type"] == "http.response.body" and len(answer) <= MAX_JOIN_ANSWER:
                answer.extend(message.get("body", b""))
                if not message.get("more_body", False) and len(answer) <= MAX_JOIN_ANSWER:
                    try:
                        event = json.loads(bytes(answer)).get("event_id")
                    except (ValueError, AttributeError):
                        event = None
                    if isinstance(event, str):
                        self.web.events.claim("e:" + event, user)
            await send(message)

        return claiming_send

    def _recording(self, send: Send, user: str, *, whole_body: bool) -> Send:
        """``send`` that records the files in what it passes on as ``user``'s."""
        pending = bytearray()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                pending.extend(message.get("body", b""))
                if whole_body:
                    if not message.get("more_body", False):
                        self._grant_upload(bytes(pending), user)
                else:
                    self._grant_lines(pending, user, final=not message.get("more_body", False))
            await send(message)

        return recording_send

    def _grant_upload(self, body: bytes, user: str) -> None:
        try:
            paths = json.loads(body)
        except ValueError:
            return
        if isinstance(paths, list):
            for path in paths:
                if isinstance(path, str) and is_inside(Path(path), self.web.upload_dir):
                    self.web.files.grant(path, user)

    def _grant_lines(self, pending: bytearray, user: str, *, final: bool) -> None:
        """Scan complete lines (server-sent events, or a JSON answer at the end) for files."""
        end = len(pending) if final else pending.rfind(b"\n") + 1
        if end <= 0:
            return
        chunk = bytes(pending[:end])
        del pending[:end]
        if b"gradio.FileData" not in chunk:
            return
        for line in chunk.splitlines():
            text = line[5:] if line.startswith(b"data:") else line
            if b"gradio.FileData" not in text:
                continue
            try:
                found = list(file_data(json.loads(text)))
            except (ValueError, RecursionError):  # TooDeep is a ValueError
                continue
            for item in found:
                if is_inside(Path(item["path"]), self.web.upload_dir):
                    self.web.files.grant(item["path"], user)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_CALL_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body read once, then the real stream again (so a client's disconnect is still seen)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
