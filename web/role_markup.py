"""The page a role is sent carries no words of the tabs it cannot open (s16).

Gradio sends one configuration for every session of a ``Blocks``: the page (``GET /``, the configuration and the
API description inline), ``GET /config`` and ``GET /gradio_api/info`` / ``openapi.json`` carried the labels,
help texts, placeholders, choices, table headers and Markdown of the Admin page's forms (and, to annotators, of
the reviewers' tabs) to everyone signed in; the tabs were only hidden (``ui/layout.py`` ``for_role``). Building
one ``Blocks`` per role would mean three interfaces, three queues and a router in front of them; instead this
ASGI middleware rewrites those four answers for a signed-in account below a tab's role (``ui.layout.TAB_ROLES``):

- every component inside such a tab keeps its id, type and place (the page's wiring and event handlers are
  one for all roles) but loses its words: ``label``, ``info``, ``placeholder``, text ``value``, ``choices``,
  table ``headers`` and rows become empty (a choice component keeps its current value, as its only choice; a
  dropdown's value, a name such as today's dataset, goes too), and so do the choices in its API description;
- the API description leaves out the endpoints whose inputs or outputs lie in such a tab.

The tab itself stays (hidden), with its name. Every handler still checks the role on the server: this is about
what a role receives, not what it may do. Admins, and anyone Gradio refuses (no login), get Gradio's answer as it is.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.context import WebContext

PAGE = ("/",)
CONFIG = ("/config", "/config/")
API_INFO = ("/gradio_api/info", "/gradio_api/info/")
OPENAPI = ("/gradio_api/openapi.json",)
REWRITTEN = PAGE + CONFIG + API_INFO + OPENAPI
#: the two inline JSON values of Gradio's page (``templates/frontend/index.html``: ``toorjson``)
INLINE = re.compile(r"window\.(gradio_config|gradio_api_info) = ")
WORDS = ("label", "info", "placeholder")


def _descendants(node: dict[str, Any]) -> Iterable[int]:
    for child in node.get("children") or []:
        yield int(child["id"])
        yield from _descendants(child)


def hidden_ids(config: dict[str, Any], tabs: Iterable[str]) -> set[int]:
    """The ids of every component inside the tabs whose ``elem_id`` is in ``tabs`` (the tabs themselves not)."""
    wanted = set(tabs)
    tab_ids = {c["id"] for c in config.get("components", []) if c.get("props", {}).get("elem_id") in wanted}
    found: set[int] = set()

    def walk(node: dict[str, Any]) -> None:
        if node.get("id") in tab_ids:
            found.update(_descendants(node))
            return
        for child in node.get("children") or []:
            walk(child)

    walk(config.get("layout") or {})
    return found


def _wordless(props: dict[str, Any], kind: str | None = None) -> None:
    """``props`` without their words, in place: same keys, empty texts, lists and tables. ``kind``: the component's
    type (a dropdown's value goes too, see below)."""
    for key in WORDS:
        if isinstance(props.get(key), str):
            props[key] = ""
    if isinstance(props.get("headers"), list):
        props["headers"] = [""] * len(props["headers"])
    value = props.get("value")
    if "choices" in props and kind == "dropdown" and isinstance(value, str):
        # no value: a dropdown's is a name (today's dataset, a session), and Gradio takes None back from the page
        # with the events that read it (s18 redteam2, finding 2: the dataset pickers named the default dataset)
        props["choices"], props["value"] = [], None
    elif "choices" in props:
        # a choice component's value stays: the page sends it back with the events that read it, and Gradio
        # refuses a value not among the choices it holds ("Value:  is not in the list of choices")
        props["choices"] = [[value, value]] if isinstance(value, str) and value else []
    elif isinstance(value, str):
        props["value"] = ""
    elif isinstance(value, dict) and "headers" in value:
        props["value"] = {**value, "headers": [""] * len(value.get("headers") or []), "data": []}
        props["value"].pop("metadata", None)
    elif isinstance(value, list):
        props["value"] = []


def _no_enums(node: Any) -> None:
    """Every ``enum`` (a choice component's choices, in its API description) in ``node`` emptied, in place."""
    if isinstance(node, dict):
        for key, item in node.items():
            if key == "enum" and isinstance(item, list):
                node[key] = []
            else:
                _no_enums(item)
    elif isinstance(node, list):
        for item in node:
            _no_enums(item)


def touching(config: dict[str, Any], tabs: Iterable[str]) -> set[str]:
    """The API names of the dependencies that read or write a component inside ``tabs`` (elem_ids); reads only."""
    hidden = hidden_ids(config, tabs)
    return {
        str(dep["api_name"])
        for dep in config.get("dependencies", [])
        if dep.get("api_name") and hidden & {*dep.get("inputs", []), *dep.get("outputs", [])}
    }


def strip_config(config: dict[str, Any], tabs: Iterable[str]) -> set[str]:
    """Blank the words of every component inside ``tabs`` (elem_ids) in a Gradio configuration, in place;
    return ``touching``'s names."""
    hidden = hidden_ids(config, tabs)
    for component in config.get("components", []):
        if component.get("id") in hidden:
            _wordless(component.setdefault("props", {}), component.get("type"))
            _no_enums({key: item for key, item in component.items() if key.startswith("api_info")})
    return touching(config, tabs)


def strip_api_info(info: dict[str, Any], names: set[str]) -> None:
    """Leave the endpoints named ``names`` out of Gradio's API description (``/info``), in place."""
    endpoints = info.get("named_endpoints")
    if isinstance(endpoints, dict):
        for name in names:
            endpoints.pop(f"/{name}", None)


def strip_openapi(schema: dict[str, Any], names: set[str]) -> None:
    """Leave the paths of the endpoints named ``names`` out of Gradio's OpenAPI description, in place."""
    paths = schema.get("paths")
    if isinstance(paths, dict):
        for path in [p for p in paths if set(str(p).strip("/").split("/")) & names]:
            del paths[path]


def strip_page(html: str, config_names: set[str], tabs: Iterable[str]) -> str:
    """Gradio's page with its inline configuration and API description stripped as above."""
    from gradio.routes import toorjson  # the page's own encoding of the two values

    decoder = json.JSONDecoder()
    pieces, at, names, values = [], 0, set(config_names), {}
    for match in INLINE.finditer(html):
        value, end = decoder.raw_decode(html, match.end())
        values[match.group(1)] = (match.end(), end, value)
    if "gradio_config" in values:
        names |= strip_config(values["gradio_config"][2], tabs)
    if "gradio_api_info" in values:
        strip_api_info(values["gradio_api_info"][2], names)
    for start, end, value in sorted(values.values(), key=lambda v: v[0]):
        pieces += [html[at:start], str(toorjson(value))]
        at = end
    return "".join(pieces) + html[at:]


def rewrite(path: str, body: bytes, tabs: list[str], app_config: Any) -> bytes:
    """The answer of ``path`` (one of ``REWRITTEN``) for a role that cannot open ``tabs``; ``app_config``: the
    Blocks' configuration (only read: the API descriptions hold no layout, the names come from it)."""
    if path in PAGE:
        return strip_page(body.decode("utf-8"), set(), tabs).encode("utf-8")
    value = json.loads(body)
    if path in CONFIG:
        strip_config(value, tabs)
    else:
        names = touching(app_config, tabs)
        (strip_api_info if path in API_INFO else strip_openapi)(value, names)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class RoleMarkup:
    """The ASGI middleware described in the module's docstring; ``blocks``: the Gradio interface it serves."""

    def __init__(self, app: ASGIApp, web: WebContext, blocks: Any, tab_roles: dict[str, str]) -> None:
        self.app, self.web, self.blocks, self.tab_roles = app, web, blocks, tab_roles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or path not in REWRITTEN:
            await self.app(scope, receive, send)
            return
        user = await self.web.signed_in_user(HTTPConnection(scope))
        tabs = [tab for tab, role in self.tab_roles.items() if user is not None and not await self.web.may(user, role)]
        if not tabs:
            await self.app(scope, receive, send)
            return
        # Gradio compresses its answers (brotli) when asked: ask it for plain bytes and gzip them here
        gzip_ok = any(b"gzip" in value for key, value in scope["headers"] if key == b"accept-encoding")
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]}
        start: Message = {}
        chunks: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":  # e.g. the test client's "http.response.debug"
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start.get("status") == 200:
                body = rewrite(path, body, tabs, self.blocks.config)
            headers = MutableHeaders(scope=start)
            if gzip_ok and "content-encoding" not in headers:
                body = gzip.compress(body, compresslevel=6)
                headers["content-encoding"] = "gzip"
                headers.add_vary_header("Accept-Encoding")
            headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, held)
