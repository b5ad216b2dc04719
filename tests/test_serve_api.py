"""``judge-studio serve-api --workers 2``: the REST API alone in two worker processes, as a user starts it;
both workers share the data and the count of failed logins, share the connections that clients open
together, and a worker that dies is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _serve_api(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """``judge-studio serve-api --workers 2`` as a user starts it, once it answers."""
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path), "JUDGE_STUDIO_JUDGE_DEMO_ON_START": "0"}
    command = [sys.executable, "app.py", "serve-api", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for(f"http://127.0.0.1:{port}/api/v1")
    return process


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("serve-api did not answer within 120 s")


def _workers(process: subprocess.Popen[str], port: int) -> dict[int, int]:
    """Each worker process (one that listens on the port) and how many client connections it holds."""
    import psutil

    found = {}
    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            connections = child.net_connections(kind="tcp")
        except psutil.Error:  # a worker that just died
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections):
            found[child.pid] = sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in connections)
    return found


def test_serve_api_runs_two_workers_that_share_one_database(tmp_path: Path) -> None:
    port = free_port()
    process = _serve_api(tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
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


def test_serve_api_workers_share_connections_opened_together_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    """32 keep-alive clients (annotators opening the page, a proxy's pool) connect at once: each worker
    takes a share (with one socket shared by all, the first worker awake took nearly all of them and
    kept them; bench/api_workers.py measured one of 4 workers doing 46% of the work). Then one worker
    is killed: another takes its place and the API keeps answering."""
    port = free_port()
    process = _serve_api(tmp_path, port)
    url = f"http://127.0.0.1:{port}/api/v1"
    clients = [httpx.Client(base_url=url) for _ in range(32)]
    try:
        together = threading.Barrier(len(clients))

        def connect(client: httpx.Client) -> None:
            together.wait()
            assert client.get("/openapi.json").status_code == 200

        threads = [threading.Thread(target=connect, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        held = _workers(process, port)
        assert len(held) == 2 and sum(held.values()) == 32, held
        assert min(held.values()) >= 5, f"one worker holds almost every connection: {held}"

        killed = next(iter(held))
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(now := _workers(process, port)) < 2 or killed in now):
            time.sleep(0.5)
        assert len(now) == 2 and killed not in now, now
        _wait_for(url)
        assert all(httpx.get(f"{url}/openapi.json").status_code == 200 for _ in range(10))
    finally:
        for client in clients:
            client.close()
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert "API worker 1 stopped" in output or "API worker 2 stopped" in output, output[-2000:]
    assert "starting another" in output


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
