"""Task s18 "restimport", from tester report s18 notebook, findings 3, 4, 9 and 11.

3. A REST (or Admin page) upload of LLMBar results without a judge name named the judge after the server's temporary
   folder ("judge-studio-import-u00e4bhb (released outputs)"), in metrics, exports and run lists. An upload is named
   by its file's name (``interchange.formats.judge_of_file``, the rule the command line uses for the folder);
   ``result.json``, which names no judge, is refused asking for the form's judge field; nothing is written.
4. A remote judge whose server went away before the first verdict said neither what became of the run nor how to go
   on: the message now says the run was not kept (or which run is kept) and to run the same command again.
9. REST's import errors name REST's form fields ("the form field `format`"), not the Admin page's "the Format".
11. An empty JSONL export is a 200 with an empty body (valid JSONL: no lines), which pandas reads from the bytes as an
    empty DataFrame; the CSV keeps its header.
"""

from __future__ import annotations

import io
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing, seeded_home

from annotation_store import DEMO_DATASET_NAME, StoreError
from interchange.formats import judge_of_file
from orchestration import AdminDesk, ImportRequest, Studio
from orchestration.admin import format_of_file
from orchestration.service import RUN_NOT_KEPT

SERVED = "smol"
GOOD = {"choices": [{"text": "1\n\n### Reason: short.", "finish_reason": "stop"}], "usage": {"prompt_tokens": 5}}
PAIRS = [
    {"input": "Name a colour.", "output_1": "Red.", "output_2": "Seven.", "label": 1},
    {"input": "Add 2 and 2.", "output_1": "5", "output_2": "4", "label": 2},
]
RESULTS = [{**pair, "results": [{"swap = False": {"winner": "1"}, "swap = True": {"winner": "2"}}]} for pair in PAIRS]


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(accounts_studio(home, (("ada", "admin"),)))


def _rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        return list(db.execute(sql))


def _judges(home: Path) -> list[str]:
    return [row[0] for row in _rows(home, "SELECT model FROM judge_runs ORDER BY id")]


def _upload(client: TestClient, token: str, name: str, body: Any, **form: str) -> Any:
    return client.post(
        "/api/v1/datasets/import",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (name, json.dumps(body).encode(), "application/json")},
        data=form,
    )


# ------------------------------------------------------------------ 3: the judge of an uploaded result file
def test_rest_llmbar_results_are_named_by_the_file_or_the_judge_field_never_the_temp_folder(
    studio: Studio, home: Path
) -> None:
    token = studio.access.api_token("ada")
    with TestClient(api_app(studio)) as client:
        made = _upload(client, token, "dataset.json", PAIRS, format="llmbar-dataset", dataset="bar")
        assert made.status_code == 200, made.text
        before = _judges(home)

        plain = _upload(client, token, "result.json", RESULTS, format="llmbar-results", dataset="bar")
        assert plain.status_code == 400, plain.text
        said = plain.json()["detail"]
        assert said.startswith("result.json: give the judge's name in the form field `judge`.")
        assert "GPT-4/result.json" in said and "nothing was imported" in said and "judge-studio-import" not in said
        assert _judges(home) == before  # nothing written

        named = _upload(client, token, "GPT-4.json", RESULTS, format="llmbar-results", dataset="bar")
        assert named.status_code == 200, named.text
        assert [run["model"] for run in named.json()["judge_runs"]] == ["GPT-4 (released outputs)"]
        assert "verdicts of GPT-4 (released outputs)" in named.json()["summary"]

        field = _upload(client, token, "result.json", RESULTS, format="llmbar-results", dataset="bar", judge="LLaMA2")
        assert field.status_code == 200, field.text
        assert [run["model"] for run in field.json()["judge_runs"]] == ["LLaMA2 (released outputs)"]
    assert _judges(home) == [*before, "GPT-4 (released outputs)", "LLaMA2 (released outputs)"]
    assert not [name for name in _judges(home) if "judge-studio-import" in name]


def test_the_admin_page_upload_asks_for_its_judge_field_and_the_cli_keeps_the_folder(
    studio: Studio, tmp_path: Path
) -> None:
    desk = AdminDesk(studio)
    folder = tmp_path / "gradio-7f3a9c" / "x"  # an upload folder's name means nothing
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps(PAIRS), "utf-8")
    (folder / "result.json").write_text(json.dumps(RESULTS), "utf-8")
    desk.import_dataset("ada", ImportRequest(folder / "dataset.json", "llmbar-dataset", dataset="bar", uploaded=True))
    with pytest.raises(StoreError, match=r"^result\.json: give the judge's name in the Judge name field\."):
        desk.import_dataset(
            "ada", ImportRequest(folder / "result.json", "llmbar-results", dataset="bar", uploaded=True)
        )
    # the command line (not an upload): LLMBar's layout, the folder names the judge, as before
    assert judge_of_file(tmp_path / "GPT-4" / "result.json") == "GPT-4"
    assert judge_of_file(tmp_path / "tmpabc" / "GPT-4.json", uploaded=True) == "GPT-4"
    assert judge_of_file(tmp_path / "tmpabc" / "Result.json", uploaded=True) is None


# ------------------------------------------------------------------ 9: REST's field names
def test_a_rest_json_upload_without_format_names_the_form_field(studio: Studio) -> None:
    with TestClient(api_app(studio)) as client:
        answer = _upload(client, studio.access.api_token("ada"), "testset-v1.json", [])
    assert answer.status_code == 400, answer.text
    said = answer.json()["detail"]
    assert said.startswith("testset-v1.json: choose a format in the form field `format` (a .json file can be one of")
    assert "the Format" not in said
    with pytest.raises(StoreError, match="x.json: choose the Format"):  # the Admin page keeps its label
        format_of_file("x.json")


# ------------------------------------------------------------------ 11: an empty JSONL export
def test_an_empty_jsonl_export_is_an_empty_body_pandas_reads_and_the_csv_keeps_its_header(studio: Studio) -> None:
    token = studio.access.api_token("ada")
    bearer = {"Authorization": f"Bearer {token}"}
    table = "id,question,a,b\nq1,Why?,yes,no\n"
    with TestClient(api_app(studio)) as client:
        made = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("pairs.csv", table.encode(), "text/csv")},
            data={
                "dataset": "pairs",
                "mapping": "key=id, instruction=question, response1=a, response2=b",
                "model1": "m1",
                "model2": "m2",
            },
        )
        assert made.status_code == 200, made.text
        jsonl = client.get("/api/v1/export", headers=bearer, params={"dataset": "pairs", "kind": "labels"})
        csv = client.get(
            "/api/v1/export", headers=bearer, params={"dataset": "pairs", "kind": "labels", "format": "csv"}
        )
    assert jsonl.status_code == 200 and jsonl.headers["x-rows"] == "0" and jsonl.content == b""
    frame = pd.read_json(io.BytesIO(jsonl.content), lines=True)  # the bytes, as for any export (not .text)
    assert frame.empty
    assert csv.status_code == 200 and csv.headers["x-rows"] == "0"
    header = pd.read_csv(io.BytesIO(csv.content))
    assert header.empty and "rater" in header.columns


# ------------------------------------------------------------------ 4: a remote judge gone before its first verdict
class HangingUp:
    """An OpenAI-compatible server that lists its model and answers completions (``good``) or, once ``good`` is
    False, closes every completions connection without a word, as a killed llama.cpp server does."""

    def __init__(self) -> None:
        self.good = True
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._send({"object": "list", "data": [{"id": SERVED, "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.good:
                    return self._send(GOOD)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # no status line: "Server disconnected ..."
                return None

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.model = f"openai:{SERVED}@http://127.0.0.1:{self._http.server_address[1]}/v1"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def server() -> Iterator[HangingUp]:
    running = HangingUp()
    yield running
    running.close()


def _judge(db_path: Path, server: HangingUp, capsys: pytest.CaptureFixture[str]) -> str:
    from cli import main

    args = ["--home", str(db_path.parent), "--judge-model", server.model, "--verdict-mode", "generate"]
    with pytest.raises(SystemExit) as stopped:
        main(["judge", *args, "--limit", "1", "--batch-size", "1"])
    capsys.readouterr()
    assert isinstance(stopped.value.code, str)
    return stopped.value.code


def _remote_runs(db_path: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(db_path) as db:
        return list(
            db.execute(
                "SELECT r.id, count(v.id) FROM judge_runs r LEFT JOIN judge_verdicts v ON v.run_id = r.id "
                f"WHERE r.model LIKE '{SERVED} @%' GROUP BY r.id"
            )
        )


def test_a_server_gone_before_the_first_verdict_says_the_run_was_not_kept_and_how_to_go_on(
    db_path: Path, server: HangingUp, capsys: pytest.CaptureFixture[str]
) -> None:
    server.good = False
    said = _judge(db_path, server, capsys)
    assert "Server disconnected without sending a response." in said, said
    assert said.endswith(f"{RUN_NOT_KEPT} Run the same command again once the judge server answers."), said
    assert _remote_runs(db_path) == []  # the run was not kept


def test_a_server_gone_before_this_runs_first_verdict_names_the_run_kept_from_before(
    db_path: Path, server: HangingUp, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    args = ["--home", str(db_path.parent), "--judge-model", server.model, "--verdict-mode", "generate"]
    main(["judge", *args, "--limit", "1"])  # the judge's run holds a verdict (the tester's run 5)
    ((run, held),) = _remote_runs(db_path)
    assert held == 1
    server.good = False  # the server dies at 0/1 of the next comparison
    said = _judge(db_path, server, capsys)
    assert "Server disconnected without sending a response." in said and RUN_NOT_KEPT not in said, said
    assert said.endswith(
        f"Nothing was stored on dataset {DEMO_DATASET_NAME!r}; judge run {run} is kept, with the verdicts it held "
        "before. Run the same command again once the judge server answers."
    ), said
    assert _remote_runs(db_path) == [(run, 1)]
