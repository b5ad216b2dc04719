"""A page on another site tries to act as a signed-in admin, in Debian's chromium, against the app
behind a TLS reverse proxy (https://127.0.0.1:A, X-Forwarded-Proto from a trusted proxy).

The other site is served over TLS at port B and visited twice: as https://localhost:B (another
site: SameSite cookies are not even sent) and as https://127.0.0.1:B (same site, other origin: the
cookie is sent, so the Origin check and CORS must hold on their own). From each it reads
``/gradio_api/token`` with credentials and calls the admin "add account" endpoint, both as a
credentialed JSON request and as a "simple" request that needs no CORS preflight, and posts the
login form. The same calls from the app's own page succeed, so the harness is shown to work."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from tls_harness import ReverseProxy, make_studio, self_signed_cert, serve, serve_studio, static_site

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--ignore-certificate-errors",  # the proxy's certificate is self-signed
]

ATTACK_JS = """
async ({target, fnIndex, name}) => {
  const out = {};
  try {
    const r = await fetch(target + "/gradio_api/token", {credentials: "include"});
    out.token_status = r.status; out.token = await r.text();
  } catch (e) { out.token_error = String(e); }
  const body = JSON.stringify({data: [name, "attacker-pass-1", "admin", "expert"], fn_index: fnIndex,
    trigger_id: null, session_hash: "s" + Math.random().toString(36).slice(2), event_data: null});
  try {
    const r = await fetch(target + "/gradio_api/queue/join", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"}, body});
    out.join_status = r.status; out.join = await r.text();
  } catch (e) { out.join_error = String(e); }
  try {
    await fetch(target + "/gradio_api/queue/join", {method: "POST", credentials: "include", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body});
    out.simple_sent = true;
  } catch (e) { out.simple_error = String(e); }
  try {
    const form = new URLSearchParams({username: "admin", password: "admin-pass-1"});
    await fetch(target + "/login", {method: "POST", credentials: "include", mode: "no-cors", body: form});
    out.login_sent = true;
  } catch (e) { out.login_error = String(e); }
  return out;
}
"""

ATTACK_PAGE = "<!doctype html><title>Win a prize</title><p>Loading your prize…</p>"


def _accounts(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {name for (name,) in db.execute("SELECT name FROM annotators")}


def _fn_index(app_url: str, api_name: str) -> int:
    """The Gradio event id of an endpoint, read as the admin would see it."""
    with httpx.Client(base_url=app_url) as admin:
        admin.post("login", data={"username": "admin", "password": "admin-pass-1"}).raise_for_status()
        config = admin.get("config").json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_another_site_cannot_read_the_token_or_add_an_admin(db_path: Path, tmp_path: Path, chromium) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = self_signed_cert(tmp_path)
    tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    studio = make_studio(db_path, forwarded_allow_ips="127.0.0.1")
    proxy_port, evil_port = free_port(), free_port()
    target = f"https://127.0.0.1:{proxy_port}"
    with (
        serve_studio(studio) as app_url,
        serve(ReverseProxy(app_url), proxy_port, lifespan="off", **tls),
        serve(static_site({"/prize.html": ATTACK_PAGE}), evil_port, lifespan="off", **tls),
    ):
        fn_index = _fn_index(app_url, "admin_add_account")
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto(target + "/")
        page.locator("input[type=text]").first.fill("admin")
        page.locator("input[type=password]").first.fill("admin-pass-1")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Signed in as").wait_for(timeout=60_000)
        (cookie,) = [c for c in context.cookies() if c["name"] == "judge_studio_session"]
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

        results = {}
        for attacker, name in (
            (f"https://localhost:{evil_port}", "mallory"),
            (f"https://127.0.0.1:{evil_port}", "eve"),
        ):
            page.goto(attacker + "/prize.html")
            results[name] = page.evaluate(ATTACK_JS, {"target": target, "fnIndex": fn_index, "name": name})
        page.wait_for_timeout(2000)  # let anything that got through run
        for name, out in results.items():
            assert cookie["value"] not in json.dumps(out), f"{name}: the session leaked to another site"
            assert "token" not in out, f"{name}: /gradio_api/token was readable: {out}"
            assert "join" not in out, f"{name}: the admin endpoint answered another site: {out}"
        assert not {"mallory", "eve"} & _accounts(db_path), "another site created an account"

        # the same calls from the app's own page work: the harness can see an attack succeed
        page.goto(target + "/")
        page.get_by_text("Signed in as").wait_for(timeout=60_000)
        own = page.evaluate(ATTACK_JS, {"target": target, "fnIndex": fn_index, "name": "trent"})
        assert own.get("join_status") == 200, own
        assert own.get("token_status") == 404  # gone even for the app's own page: nothing needs it
        page.wait_for_timeout(3000)
        assert "trent" in _accounts(db_path)
        context.close()


def test_api_docs_render_offline_under_the_csp(live_app, chromium) -> None:
    """/api/v1/docs draws every endpoint from the app's own files: no request leaves for another origin and the
    CSP (nothing from other origins) blocks nothing."""
    page = chromium.new_page()
    elsewhere: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(live_app.url) else None)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(live_app.url + "api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 8
    assert page.get_by_text("/api/v1/labels").first.is_visible()
    assert elsewhere == [] and console_errors == []
