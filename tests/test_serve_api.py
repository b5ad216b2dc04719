"""``judge-studio serve-api --workers 2``: the REST API alone in two worker processes, as a user starts it;
both workers share the data and the count of failed logins."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_serve_api_runs_two_workers_that_share_one_database(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path), "JUDGE_STUDIO_JUDGE_DEMO_ON_START": "0"}
    command = [sys.executable, "app.py", "serve-api", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("serve-api did not answer within 120 s")
        password = (tmp_path / "initial-admin-password.txt").read_text().split()[-1]  # "admin\nPASSWORD"
        token = httpx.post(f"{url}/tokens", json={"name": "admin", "password": password}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        # many requests: the kernel spreads them over both workers; every one sees the same data
        names = {tuple(httpx.get(f"{url}/datasets", headers=auth).json()["datasets"]) for _ in range(20)}
        assert names == {("judge-studio-demo",)}
        # keep-alive requests answer at once (no ~40 ms wait for a delayed ACK: the workers' listening
        # socket is marked TCP, so asyncio sets TCP_NODELAY on each connection; uvicorn issue #3149)
        with httpx.Client(base_url=url, headers=auth) as client:
            times = []
            for _ in range(15):
                started = time.perf_counter()
                assert client.get("/datasets").status_code == 200
                times.append(time.perf_counter() - started)
        assert sorted(times)[len(times) // 2] < 0.035, times
        assert httpx.get(f"{url}/datasets").status_code == 401  # no token, no data
        # failed logins are counted in the database: spread over both workers, ten still lock the account
        for _ in range(10):
            assert httpx.post(f"{url}/tokens", json={"name": "admin", "password": "guess"}).status_code == 401
        refused = httpx.post(f"{url}/tokens", json={"name": "admin", "password": password})
        assert refused.status_code == 429 and "Too many failed logins for this account" in refused.json()["detail"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert "(2 workers)" in output and output.count("Application startup complete") == 2


def test_api_threads_sets_how_many_rest_requests_run_at_once(db_path: Path) -> None:
    """``api_threads`` is the thread budget of the process's REST requests, in the full app and in a
    ``serve-api`` worker (Starlette's default is 40)."""
    import anyio.to_thread
    from starlette.testclient import TestClient

    from orchestration import Settings, Studio
    from web.server import create_api_app, create_app

    async def budget() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    for make, threads in ((create_api_app, 3), (create_app, 5)):
        studio = Studio.open(Settings(home=db_path.parent, api_threads=threads, judge_demo_on_start=False))
        with TestClient(make(studio)) as client:  # runs the app's lifespan, as uvicorn does
            assert client.portal is not None and client.portal.call(budget) == threads
            assert client.get("/api/v1/openapi.json").status_code == 200
        studio.store.close()


def test_serve_api_says_at_its_root_that_it_serves_the_api_only_and_a_login_lands_there(db_path: Path) -> None:
    """serve-api has no pages: ``/`` is a short plain answer saying so (not a 404), and the login page's
    redirect to ``/`` after a successful login lands on it."""
    from starlette.testclient import TestClient

    from orchestration import Settings, Studio
    from web.server import create_api_app

    settings = Settings(home=db_path.parent, judge_demo_on_start=False, public_url="https://judge.example.org/")
    studio = Studio.open(settings)
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-1234")
    base = "https://judge.example.org"
    with TestClient(create_api_app(studio), base_url=base) as client:
        assert 'action="/login"' in client.get("/").text  # not signed in: the login form, as on serve
        logged_in = client.post(
            "/login",
            data={"username": "rita", "password": "rita-pass-1234"},
            headers={"Accept": "text/html", "Origin": base},
            follow_redirects=False,
        )
        assert logged_in.status_code == 303 and logged_in.headers["location"] == "/"
        root = client.get(logged_in.headers["location"])
        assert root.status_code == 200 and root.headers["content-type"].startswith("text/plain")
        assert "serves the REST API only (docs: /api/v1/docs)" in root.text
        assert "on the app server (judge-studio serve) at https://judge.example.org." in root.text
        assert client.get("/login", follow_redirects=True).text == root.text  # signed in: on to "/"
    studio.store.close()
