"""Files through Gradio: handlers only ever receive uploads, and a file is downloadable only by the
user who uploaded it or was handed it (an export, say).

Gradio mounted on FastAPI does not check that a ``FileData`` path sent by a browser lies in its
upload folder (``launch()`` would), and serves any file of that folder to any signed-in user who
knows its path. This ASGI middleware, in front of the Gradio app, closes both:

- ``POST /gradio_api/upload``: the paths Gradio answers with are recorded as the uploader's.
- Every other Gradio call (``/gradio_api/queue/join``, ``/run``, ``/call`` ...): each ``FileData``
  in the request body must lie in the upload folder and belong to the caller, else 403 with a
  message and no handler runs.
- Event results (the queue's event stream and direct calls): each ``FileData`` handed out is
  recorded as the receiving user's.
- ``GET /gradio_api/file=<path>`` for a path in the upload folder: only for its owners (403 else).

Upload size is capped by Gradio itself (``max_file_size``, from ``settings.max_upload_mb``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.uploads import is_inside
from web.context import WebContext
from web.security import _send_json

GRADIO_API = "/gradio_api/"
FILE_ROUTES = ("/gradio_api/file=", "/gradio_api/file/")
MAX_CALL_BODY = 64 * 1024 * 1024  # a JSON call body (not an upload) larger than this is refused


def file_data(value: Any) -> Iterator[dict[str, Any]]:
    """Every Gradio ``FileData`` object in a JSON value (the test Gradio itself uses)."""
    if isinstance(value, dict):
        meta = value.get("meta")
        if isinstance(value.get("path"), str) and isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
            yield value
        for item in value.values():
            yield from file_data(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_data(item)


class FileGuard:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, web: WebContext) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(GRADIO_API):
            await self.app(scope, receive, send)
            return
        user = self.web.user_of(HTTPConnection(scope))
        if path.startswith(FILE_ROUTES):
            wanted = path.split("=", 1)[1] if "=" in path else path[len(FILE_ROUTES[1]) :]
            if is_inside(Path(wanted), self.web.upload_dir) and not self.web.files.owns(wanted, user):
                await _send_json(send, 403, "This file is not yours to download; export or upload it yourself.")
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and path.rstrip("/") == "/gradio_api/upload":
            await self.app(scope, receive, self._recording(send, user, whole_body=True))
            return
        if scope["method"] == "POST":
            body = await _read_body(receive)
            problem = self._input_problem(body, user) if body is not None else "This request is too large."
            if problem is not None:
                await _send_json(send, 403 if body is not None else 413, problem)
                return
            receive = _replay(body or b"", receive)
        await self.app(scope, receive, self._recording(send, user, whole_body=False))

    def _input_problem(self, body: bytes, user: str | None) -> str | None:
        if b"gradio.FileData" not in body:
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None  # not JSON: Gradio answers it
        for item in file_data(payload):
            name = Path(item["path"]).name
            if not is_inside(Path(item["path"]), self.web.upload_dir):
                return (
                    f"The file {name!r} was not uploaded to this app; upload it with the file picker; nothing was read."
                )
            if not self.web.files.owns(item["path"], user):
                return f"The file {name!r} is not one you uploaded; upload it again. Nothing was read."
        return None

    def _recording(self, send: Send, user: str | None, *, whole_body: bool) -> Send:
        """``send`` that records the files in what it passes on as ``user``'s."""
        if user is None:
            return send
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
                payload = json.loads(text)
            except ValueError:
                continue
            for item in file_data(payload):
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
