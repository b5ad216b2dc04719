"""Which ``X-Forwarded-*`` headers the app believes (s14 integrator finding 5).

uvicorn's ``ProxyHeadersMiddleware`` takes the client address and scheme from a trusted proxy
(``forwarded_allow_ips``), but leaves every header in place, and Gradio builds its page's ``root`` (the address
its script calls) from ``X-Forwarded-Host`` and ``X-Forwarded-Proto`` whoever sent them: a request through the
proxy with ``X-Forwarded-Host: evil.example.com`` got ``"root": "https://evil.example.com"`` in ``/config``
(nginx passes a client's own ``X-Forwarded-Host`` on unless told otherwise). ``TrustedProxy`` does what
``ProxyHeadersMiddleware`` does and first removes from the request what is not believed, so that nothing
after it (Gradio, the Admin page's invite links) can read it:

- from a client that is not a trusted proxy: every ``X-Forwarded-Host``, ``X-Forwarded-Proto`` and
  ``X-Forwarded-For`` (and ``Forwarded``);
- from a trusted proxy, with ``public_url`` set: an ``X-Forwarded-Host`` that is not ``public_url``'s host (the
  Host header is held to the same rule by ``web/security.py``);
- from a trusted proxy, without ``public_url``: an ``X-Forwarded-Host`` that is not the request's own Host (a
  client's own header passed on by the proxy; review s14, finding 3). Set ``public_url`` when the proxy sends
  the app another Host than the public one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

FORWARDED = frozenset({b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-for", b"forwarded"})
FORWARDED_HOST = b"x-forwarded-host"


def host_of(value: str) -> str | None:
    """The host name (lower-case, no port) of a Host or X-Forwarded-Host value; None for a list or nonsense."""
    if "," in value:
        return None
    try:
        return urlsplit(f"//{value.strip()}").hostname or None
    except ValueError:
        return None


class TrustedProxy(ProxyHeadersMiddleware):
    """The ASGI middleware described in the module's docstring: ``forwarded_allow_ips`` as ``trusted`` (empty:
    no proxy is trusted), ``public_url``'s origin (or None) as ``public_origin``."""

    def __init__(self, app: ASGIApp, trusted: str, public_origin: str | None) -> None:
        super().__init__(app, trusted_hosts=trusted or [])  # type: ignore[arg-type]
        self.trusted = bool(trusted)
        self.public_host = urlsplit(public_origin).hostname if public_origin else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] in {"http", "websocket"}:
            client = scope.get("client")
            believed = self.trusted and client is not None and client[0] in self.trusted_hosts
            headers = scope.get("headers", [])
            host = next((value for name, value in headers if name == b"host"), b"")
            kept = [(name, value) for name, value in headers if self._kept(name, value, believed, host)]
            if len(kept) != len(headers):
                scope = {**scope, "headers": kept}
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]

    def _kept(self, name: bytes, value: bytes, believed: bool, host: bytes) -> bool:
        if name not in FORWARDED:
            return True
        if not believed:
            return False
        if name != FORWARDED_HOST:
            return True
        wanted = self.public_host if self.public_host is not None else host_of(host.decode("latin-1"))
        return wanted is not None and host_of(value.decode("latin-1")) == wanted


__all__ = ["TrustedProxy", "host_of"]
