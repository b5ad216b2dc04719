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
- from a trusted proxy, with ``public_url`` set: an ``X-Forwarded-Host`` that is not ``public_url``'s host and
  port (the Host header is held to the same rule, ``host_of`` too, by ``web/context.py``'s ``host_problem``,
  which ``web/security.py`` asks; a loopback Host is let through there, on any port);
- from a trusted proxy, without ``public_url``: an ``X-Forwarded-Host`` that is not the request's own Host, host
  and port (a client's own header passed on by the proxy; review s14, finding 3). Set ``public_url`` when the
  proxy sends the app another Host than the public one.

The port counts (review 2 of s14, finding 2: ``public.example:6666`` had passed as ``public.example``); a
scheme's default port (80 for http, 443 for https) is the same as none.

A request carrying ``X-Forwarded-For`` from a peer that is not trusted is most likely a proxy that was left out of
``forwarded_allow_ips``: then every client behind it has the proxy's address, for the failed-login limit per
address too, and about 50 failed logins from anyone lock everybody out (s15 rolesec, finding 4). One warning line
says so (security log), once per peer address per process (``UNTRUSTED_WARNED`` addresses at most).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from orchestration.access import SECURITY_LOG

FORWARDED = frozenset({b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-for", b"forwarded"})
FORWARDED_HOST = b"x-forwarded-host"
FORWARDED_FOR = b"x-forwarded-for"
UNTRUSTED_WARNED = 1000  # peers warned about (above): later ones are not, so a scan cannot fill the memory or the log
UNTRUSTED_PROXY = (
    "requests from %s carry X-Forwarded-For, but %s is not in forwarded_allow_ips (--forwarded-allow-ips, "
    "JUDGE_STUDIO_FORWARDED_ALLOW_IPS), so the header is ignored: if it is your proxy, every client behind it has "
    "its address, and the failed-login limit per address (5 x login_attempts in 15 minutes) locks every account, "
    "admins' included, for everyone at once; add the proxy's address to forwarded_allow_ips "
    "(`judge-studio users unlock --address IP` lifts a lock). Said once per address."
)


DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def host_of(value: str, scheme: str = "http") -> tuple[str, int | None] | None:
    """The host name (lower-case) and port of a Host or X-Forwarded-Host value, the port None when absent or
    ``scheme``'s default; None for a list or nonsense."""
    if "," in value:
        return None
    try:
        parts = urlsplit(f"//{value.strip()}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host, None if port == DEFAULT_PORTS.get(scheme.lower()) else port


class TrustedProxy(ProxyHeadersMiddleware):
    """The ASGI middleware described in the module's docstring: ``forwarded_allow_ips`` as ``trusted`` (empty:
    no proxy is trusted), ``public_url``'s origin (or None) as ``public_origin``."""

    def __init__(self, app: ASGIApp, trusted: str, public_origin: str | None) -> None:
        super().__init__(app, trusted_hosts=trusted or [])  # type: ignore[arg-type]
        self.trusted = bool(trusted)
        public = urlsplit(public_origin) if public_origin else None
        self.public_scheme = public.scheme if public is not None else ""
        self.public_host = host_of(public.netloc, public.scheme) if public is not None else None
        self.warned: set[str] = set()  # peers that sent X-Forwarded-For untrusted, already warned about

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] in {"http", "websocket"}:
            client = scope.get("client")
            believed = self.trusted and client is not None and client[0] in self.trusted_hosts
            headers = scope.get("headers", [])
            if not believed and client is not None:
                self._warn_untrusted(client[0], headers)
            wanted, scheme = self._wanted_host(scope, headers, believed)
            kept = [(name, value) for name, value in headers if self._kept(name, value, believed, wanted, scheme)]
            if len(kept) != len(headers):
                scope = {**scope, "headers": kept}
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]

    def _warn_untrusted(self, peer: str, headers: list[tuple[bytes, bytes]]) -> None:
        """``UNTRUSTED_PROXY``, once per peer, when an untrusted peer sends X-Forwarded-For."""
        if peer in self.warned or len(self.warned) >= UNTRUSTED_WARNED:
            return
        if any(name == FORWARDED_FOR for name, _value in headers):
            self.warned.add(peer)
            SECURITY_LOG.warning(UNTRUSTED_PROXY, peer, peer)

    def _wanted_host(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], believed: bool
    ) -> tuple[tuple[str, int | None] | None, str]:
        """The (host, port) an X-Forwarded-Host must name, and the scheme whose default port is no port:
        ``public_url``'s, else the request's Host with the scheme a browser sees (the proxy's, else the request's)."""
        if self.public_host is not None:
            return self.public_host, self.public_scheme
        proto = next((value for name, value in headers if name == b"x-forwarded-proto"), b"")
        scheme = proto.decode("latin-1").split(",")[0].strip() if believed and proto else str(scope.get("scheme", ""))
        host = next((value for name, value in headers if name == b"host"), b"")
        return host_of(host.decode("latin-1"), scheme), scheme

    def _kept(
        self, name: bytes, value: bytes, believed: bool, wanted: tuple[str, int | None] | None, scheme: str
    ) -> bool:
        if name not in FORWARDED:
            return True
        if not believed:
            return False
        if name != FORWARDED_HOST:
            return True
        return wanted is not None and host_of(value.decode("latin-1"), scheme) == wanted


__all__ = ["TrustedProxy", "host_of"]
