"""Import progress and a REST import (session 14, "importbar"):

1. ``judge-studio gold import`` and ``gold responses import`` draw ``import``'s bar of the rows written
   (``--progress/--no-progress``, by default on a terminal), fed by the store's one write transaction;
2. the Admin page's import feeds Gradio's progress bar from the same ``on_progress`` reports;
3. ``POST /api/v1/datasets/import``: a multipart upload (admin only), answering the CLI's summary; a bad file is a
   400 naming the line, nothing written; too large a file is a 413; a cookie request from another site a 403.
"""

from __future__ import annotations

import inspect
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, accounts_studio, api_app, closing, home_rows, jsonl_file, seeded_home

from annotation_store.batch_import import PROGRESS_EVERY
from cli import main
from orchestration import AdminDesk, Studio

MB = 1024 * 1024
TABLES = ("datasets", "prompts", "responses", "comparisons", "labels", "judge_runs", "judge_verdicts", "gold_labels")


def _pairs(n: int) -> list[dict[str, Any]]:
    return [
        {
            "key": f"k{i}",
            "instruction": f"Question {i}",
            "response1": f"a{i}",
            "response2": f"b{i}",
            "model1": "A",
            "model2": "B",
            "label": "1",
        }
        for i in range(n)
    ]


def _bars(err: str) -> list[str]:
    return [line for line in err.replace("\r", "\n").splitlines() if line.startswith("Importing:")]


# ---------------------------------------------------------------------- 1. gold import's bar


def _gold_file(home: Path, n: int, capsys: pytest.CaptureFixture[str]) -> Path:
    """A dataset of ``n`` comparisons in ``home`` and a gold CSV marking every one of them."""
    main(["import", str(jsonl_file(home / "pairs.jsonl", _pairs(n))), "--format", "jsonl", "--home", str(home)])
    capsys.readouterr()
    ids = [row[0] for row in home_rows(home, "SELECT id FROM comparisons ORDER BY id")]
    gold = home / "gold.csv"
    gold.write_text("comparison_id,verdict,explanation\n" + "".join(f"{i},1,A is right\n" for i in ids), "utf-8")
    return gold


def test_gold_import_draws_the_import_bar_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = PROGRESS_EVERY + 5
    gold = _gold_file(tmp_path, n, capsys)
    main(["gold", "import", str(gold), "--progress", "--home", str(tmp_path)])
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Imported gold.csv: {n} comparisons marked gold")
    bars = _bars(captured.err)
    assert bars and f"{n}/{n}" in bars[-1] and "100%" in bars[-1] and "rows/s" in bars[-1], captured.err
    assert any(f"{PROGRESS_EVERY}/{n}" in line for line in bars), bars  # it moved while writing
    assert home_rows(tmp_path, "SELECT count(*) FROM gold_labels")[0][0] == n


def test_gold_import_bar_on_a_terminal_not_in_a_log_nor_when_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gold = _gold_file(tmp_path, 3, capsys)
    main(["gold", "import", str(gold), "--home", str(tmp_path)])  # captured standard error: a log
    assert "Importing" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    main(["gold", "import", str(gold), "--home", str(tmp_path)])
    captured = capsys.readouterr()
    assert "nothing new (3 gold marks already there, unchanged)" in captured.out
    assert "3/3" in _bars(captured.err)[-1]
    main(["gold", "import", str(gold), "--no-progress", "--home", str(tmp_path)])
    assert "Importing" not in capsys.readouterr().err


def test_gold_responses_import_has_the_bar_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _gold_file(tmp_path, 2, capsys)
    ids = [row[0] for row in home_rows(tmp_path, "SELECT id FROM responses ORDER BY id")]
    file = jsonl_file(
        tmp_path / "right.jsonl",
        [{"response_id": i, "scale": 10, "low": 7, "high": 9, "explanation": "good"} for i in ids],
    )
    main(["gold", "responses", "import", str(file), "--progress", "--home", str(tmp_path)])
    captured = capsys.readouterr()
    assert f"{len(ids)} responses marked gold" in captured.out
    assert f"{len(ids)}/{len(ids)}" in _bars(captured.err)[-1]


def test_a_refused_gold_import_with_a_bar_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = _gold_file(tmp_path, PROGRESS_EVERY + 1, capsys)
    text = gold.read_text("utf-8")
    gold.write_text(text + "999999,1,no such comparison\n", "utf-8")  # the last row: after the bar moved
    with pytest.raises(SystemExit) as refused:
        main(["gold", "import", str(gold), "--progress", "--home", str(tmp_path)])
    assert "there is no comparison with id 999999" in str(refused.value.code)
    assert any(f"{PROGRESS_EVERY}/" in line for line in _bars(capsys.readouterr().err))
    assert home_rows(tmp_path, "SELECT count(*) FROM gold_labels")[0][0] == 0


# ---------------------------------------------------------------------- shared: a studio with accounts


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


def _studio(home: Path, **settings: Any) -> Studio:
    return accounts_studio(home, (("crowdy", "annotator"), ("ada", "admin")), **settings)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(_studio(home))


def _counts(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


# ---------------------------------------------------------------------- 2. the Admin page's bar


def test_admin_import_feeds_the_page_progress_bar(studio: Studio, tmp_path: Path) -> None:
    from gradio.utils import get_upload_folder

    from ui.admin_sections.importing import import_section, wire_import

    with gr.Blocks() as demo:
        wire_import(import_section(), AdminDesk(studio))
    do_import = handler(demo, "admin_import")
    # Gradio hands an event a progress bar through a parameter whose default is a gr.Progress
    assert isinstance(inspect.signature(do_import).parameters["progress"].default, gr.Progress)
    upload = Path(get_upload_folder()) / "importbar-test" / "votes.jsonl"
    upload.parent.mkdir(parents=True, exist_ok=True)
    jsonl_file(upload, _pairs(PROGRESS_EVERY))
    seen: list[tuple[tuple[int, int], str, str]] = []

    def fake_progress(progress: tuple[int, int], desc: str = "", unit: str = "") -> None:
        seen.append((progress, desc, unit))

    try:
        said = do_import(str(upload), "jsonl", "", "", "", "", "", "", gr.Request(username="ada"), fake_progress)
    finally:
        shutil.rmtree(upload.parent)
    assert "**Imported.**" in by_id(said)["admin-import-result"]
    total = 5 * PROGRESS_EVERY  # prompts, responses (two a record), comparisons, labels
    assert seen[0] == ((0, total), "Importing: rows written", "rows") and seen[-1][0] == (total, total)
    assert ((PROGRESS_EVERY, total), "Importing: rows written", "rows") in seen  # it moved while writing
    assert "votes" in studio.store.dataset_names()


# ---------------------------------------------------------------------- 3. REST import


CSV = "id,question,a,b,model_a,model_b,label\nq1,Why?,yes,no,m1,m2,1\nq2,How?,so,not so,m1,m2,2\n"
MAPPING = "key=id, instruction=question, response1=a, response2=b, model1=model_a, model2=model_b"


def test_rest_import_by_an_admin_writes_the_rows_and_answers_the_summary(studio: Studio, home: Path) -> None:
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}
    with TestClient(api_app(studio)) as client:
        answer = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("pairs.csv", CSV.encode(), "text/csv")},
            data={"dataset": "pairs", "mapping": MAPPING, "annotator": "lab"},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["summary"].startswith("Imported pairs.csv into new dataset 'pairs': 2 new prompts, 4 responses,")
        assert (body["dataset"], body["source"], body["dataset_created"], body["nothing_new"]) == (
            "pairs",
            "pairs.csv",
            True,
            False,
        )
        assert (body["prompts"], body["responses"], body["comparisons"], body["labels"]) == (2, 4, 2, 2)
        assert body["rows_written"] == 10 and body["judge_runs"] == [] and body["warnings"] == []
        rows = home_rows(
            home, "SELECT count(*) FROM comparisons c JOIN datasets d ON d.id = c.dataset_id WHERE d.name = 'pairs'"
        )
        assert rows[0][0] == 2
        again = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("pairs.csv", CSV.encode(), "text/csv")},
            data={"dataset": "pairs", "mapping": MAPPING, "annotator": "lab", "format": "csv"},
        )
        assert again.status_code == 200 and again.json()["nothing_new"] is True, again.text  # the same file again
        assert again.json()["summary"].startswith("pairs.csv was already imported into dataset 'pairs': nothing new")
        spec = client.get("/api/v1/openapi.json", headers=bearer).json()
        post = spec["paths"]["/api/v1/datasets/import"]["post"]
        assert "multipart/form-data" in post["requestBody"]["content"]
        assert {"403", "413", "415"} <= set(post["responses"]) and "Import one dataset file" in post["description"]


def test_rest_import_is_refused_to_a_non_admin_with_nothing_written(studio: Studio, home: Path) -> None:
    before = _counts(home)
    with TestClient(api_app(studio)) as client:
        answer = client.post(
            "/api/v1/datasets/import",
            headers={"Authorization": f"Bearer {studio.access.api_token('crowdy')}"},
            files={"file": ("pairs.csv", CSV.encode(), "text/csv")},
            data={"mapping": MAPPING},
        )
        assert answer.status_code == 403 and "admin" in answer.json()["detail"]
        anonymous = client.post("/api/v1/datasets/import", files={"file": ("pairs.csv", CSV.encode(), "text/csv")})
        assert anonymous.status_code == 401
    assert _counts(home) == before


def test_rest_import_of_a_bad_file_names_the_line_and_writes_nothing(studio: Studio, home: Path) -> None:
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}
    good = '{"instruction": "Q", "response1": "a", "response2": "b", "model1": "A", "model2": "B"}\n'
    before = _counts(home)
    with TestClient(api_app(studio)) as client:
        answer = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("votes.jsonl", (good + good.replace("Q", "Q2") + "{not json\n").encode())},
        )
        assert answer.status_code == 400, answer.text
        assert "votes.jsonl" in answer.json()["detail"] and "line 3" in answer.json()["detail"]
        no_format = client.post("/api/v1/datasets/import", headers=bearer, files={"file": ("x.json", b"[]")})
        assert (
            no_format.status_code == 400 and "choose a format in the form field `format`" in no_format.json()["detail"]
        )
    assert _counts(home) == before


def test_rest_import_over_max_upload_mb_is_a_413_with_nothing_written(home: Path) -> None:
    studio = _studio(home, max_upload_mb=1)
    try:
        bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}
        before = _counts(home)
        big = CSV.encode() + b"q3,x,y,z,m1,m2,1\n" * (MB // 16)
        with TestClient(api_app(studio)) as client:
            answer = client.post(
                "/api/v1/datasets/import",
                headers=bearer,
                files={"file": ("big.csv", big, "text/csv")},
                data={"mapping": MAPPING},
            )
        assert answer.status_code == 413
        assert answer.json()["detail"] == (
            "This request's body is larger than 1 MB (max_upload_mb); nothing was read or stored."
        )
        assert _counts(home) == before
    finally:
        studio.store.close()


def test_rest_import_with_a_cookie_from_another_site_is_refused(studio: Studio, home: Path) -> None:
    before = _counts(home)
    with TestClient(api_app(studio)) as client:
        login = client.post("/login", data={"username": "ada", "password": PASSWORD}, follow_redirects=False)
        assert login.status_code == 200 and client.cookies, login.text  # a signed-in browser: its cookie is kept
        for origin in ("https://evil.example", None):
            headers = {"Origin": origin} if origin else {"Sec-Fetch-Site": "cross-site"}
            answer = client.post(
                "/api/v1/datasets/import",
                headers=headers,
                files={"file": ("pairs.csv", CSV.encode(), "text/csv")},
                data={"mapping": MAPPING},
            )
            assert answer.status_code == 403 and "another site" in answer.json()["detail"], answer.text
        # from its own pages, the cookie is still no API token: REST never reads it
        own = client.post(
            "/api/v1/datasets/import",
            headers={"Origin": "http://testserver"},
            files={"file": ("pairs.csv", CSV.encode(), "text/csv")},
            data={"mapping": MAPPING},
        )
        assert own.status_code == 401
    assert _counts(home) == before


def test_rest_import_sent_as_json_is_told_to_send_a_form_not_json(studio: Studio, home: Path) -> None:
    """The 415 names the form the import takes; JSON routes keep the JSON advice."""
    before = _counts(home)
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}
    with TestClient(api_app(studio)) as client:
        answer = client.post("/api/v1/datasets/import", headers=bearer, json={"file": CSV})
        labels = client.post("/api/v1/labels", headers={**bearer, "Content-Type": "text/plain"}, content=b'{"a": 1}')
    assert answer.status_code == 415, answer.text
    assert answer.json()["detail"] == (
        "Send the body as multipart/form-data (the file in the field 'file'); this request sent 'application/json'."
    )
    assert labels.status_code == 415 and "Content-Type: application/json" in labels.json()["detail"]
    assert _counts(home) == before
