"""Task s14 "remotefix": a remote judge's bad answers, from tester report s14 judgeeng, findings 3, 4, 7, 8 and 9.

3. A server answering /v1/completions with JSON of the wrong shape: one line naming the server and what was
   expected, not a traceback ("'str' object has no attribute 'get'").
4. A server answering HTML (a web server's page on the port): one line saying so, with its first line and a hint.
7. Messages joined with a full stop ("CUDA out of memory. 0 verdicts ..."); a URL without a scheme: "add http://".
8. The per-request timeout is a setting (``remote_timeout_s``, ``--remote-timeout-s``) and the judging bar says
   that it waits for the server ("waiting for the judge server, 45 s").
9. A run this command created whose judge failed before its first verdict is not kept ("Nothing was stored; the run
   was not kept."); a run holding verdicts is never dropped.

The servers are small threaded ``http.server`` servers answering as the session 14 tester's fake servers did
(wrong-shaped JSON, an HTML page, a 500, a slow answer).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from annotation_store import DEMO_DATASET_NAME, NewVerdict, open_store
from errors import joined, sentence
from judge_runtime import PairCase, RemoteJudgeError, load_judge
from judge_runtime.loading import JudgeLoadError
from judge_runtime.remote import SERVER_WAIT, ServerWait, parse_remote_model
from orchestration import Settings, Studio
from orchestration.service import RUN_NOT_KEPT
from settings import judge_spec

SERVED = "smol"
NGINX = "<!DOCTYPE html>\n<html><body>Welcome to nginx!</body></html>"
WRONG = {"choices": [{"text": None, "message": None}], "usage": "lots"}
GOOD = {"choices": [{"text": "1\n\n### Reason: short.", "finish_reason": "stop"}], "usage": {"prompt_tokens": 5}}


class FakeServer:
    """``mode``: "wrongjson" (completions answer ``WRONG``), "html" (every path answers nginx's page), "500" (CUDA out
    of memory), "slow" (completions wait ``delay`` seconds, then answer ``GOOD``), "good"."""

    def __init__(self, mode: str, delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, code: int, body: str, kind: str = "application/json") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if fake.mode == "html":
                    return self._send(200, NGINX, "text/html")
                return self._send(200, json.dumps({"object": "list", "data": [{"id": SERVED, "object": "model"}]}))

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if fake.mode == "html":
                    return self._send(200, NGINX, "text/html")
                if fake.mode == "wrongjson":
                    return self._send(200, json.dumps(WRONG))
                if fake.mode == "500":
                    return self._send(500, '{"error":{"message":"CUDA out of memory"}}')
                time.sleep(fake.delay)
                return self._send(200, json.dumps(GOOD))

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self.model = f"openai:{SERVED}@{self.url}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def serve() -> Iterator[Any]:
    running: list[FakeServer] = []

    def start(mode: str, delay: float = 0.0) -> FakeServer:
        running.append(FakeServer(mode, delay))
        return running[-1]

    yield start
    for server in running:
        server.close()


CASE = PairCase("What is the capital of France?", "Paris.", "Berlin.")


def _judge(server: FakeServer, **spec: Any) -> Any:
    return load_judge(model=server.model, profile="pandalm", verdict_mode="generate", **spec)


# ------------------------------------------------------------------ 3 and 4: the answer's shape, checked in one place
def test_json_of_the_wrong_shape_is_one_message_naming_the_server(serve) -> None:
    server = serve("wrongjson")
    with pytest.raises(RemoteJudgeError) as caught:
        _judge(server).judge_many([CASE], batch_size=1)
    assert str(caught.value) == (
        f"The judge server at {server.url} answered JSON that is not an OpenAI completions answer (expected "
        f"choices[0].text; got {json.dumps(WRONG)})."
    )


def test_an_html_page_is_one_message_with_its_first_line_and_a_hint(serve) -> None:
    server = serve("html")
    with pytest.raises(RemoteJudgeError) as caught:
        _judge(server)
    assert str(caught.value) == (
        f"The judge server at {server.url} answered text/html, not JSON (first line: '<!DOCTYPE html>'); is the URL "
        "the server's /v1 address?"
    )


def test_the_judge_command_says_one_line_and_keeps_no_run(db_path: Path, serve, capsys) -> None:
    from cli import main

    for mode, says in (
        ("wrongjson", "answered JSON that is not an OpenAI completions answer (expected choices[0].text; got"),
        ("500", "answered HTTP 500 to completions: CUDA out of memory. Nothing was stored; the run was not kept."),
    ):
        server = serve(mode)
        args = ["--home", str(db_path.parent), "--judge-model", server.model, "--verdict-mode", "generate"]
        with pytest.raises(SystemExit) as stopped:
            main(["judge", *args, "--limit", "2"])
        said = f"{capsys.readouterr().err}\n{stopped.value.code}"  # the message is the exit's
        assert isinstance(stopped.value.code, str) and stopped.value.code.startswith("judge-studio: The judge ")
        assert says in said and "Traceback" not in said and "AttributeError" not in said
        assert said.count(RUN_NOT_KEPT) == 1 and "0 verdicts of this run" not in said
        store = open_store(db_path)
        assert not [run for run in store.judge_runs_on(DEMO_DATASET_NAME) if SERVED in run.model]  # no run left behind
        store.close()


# ------------------------------------------------------------------ 7: sentences, a URL without a scheme
def test_messages_are_joined_as_sentences() -> None:
    from cli.commands import stopped_text

    assert sentence("CUDA out of memory") == "CUDA out of memory."
    assert sentence('{"error": "nope"}') == '{"error": "nope"}.'
    assert sentence("(is it still running?)") == "(is it still running?)"
    assert joined("a.", "", "b") == "a. b."
    said = stopped_text(
        RemoteJudgeError("The judge endpoint x answered HTTP 500 to completions: CUDA out of memory"), 2
    )
    assert said.startswith("The judge endpoint x answered HTTP 500 to completions: CUDA out of memory. 2 verdicts of ")


def test_a_url_without_a_scheme_is_told_to_add_one() -> None:
    with pytest.raises(JudgeLoadError) as caught:
        parse_remote_model("openai:smol@localhost:8080/v1")
    assert "add http:// or https:// (got 'localhost:8080/v1')" in str(caught.value)
    with pytest.raises(JudgeLoadError, match="is not of the form"):
        parse_remote_model("openai:smol")


# ------------------------------------------------------------------ 8: the timeout setting; the bar while waiting
def test_the_timeout_is_a_setting_with_a_flag_and_it_reaches_the_client(serve) -> None:
    from cli.parser import build_parser

    assert Settings().remote_timeout_s == 600.0
    assert Settings.from_env({"JUDGE_STUDIO_REMOTE_TIMEOUT_S": "5"}).remote_timeout_s == 5.0
    args = build_parser().parse_args(["judge", "--remote-timeout-s", "1.5"])
    assert args.remote_timeout_s == 1.5
    spec = judge_spec(Settings(remote_timeout_s=1.0, judge_model=serve("slow", delay=3).model))
    judge = load_judge(spec, profile="pandalm", verdict_mode="generate")
    started = time.monotonic()
    with pytest.raises(RemoteJudgeError, match=r"did not answer completions in time .*the limit is 1 s a request"):
        judge.judge_many([CASE], batch_size=1)
    assert time.monotonic() - started < 3


def test_the_bar_says_it_waits_for_the_server(serve) -> None:
    from cli.commands import BatchClock

    now = [100.0]
    wait = ServerWait(clock=lambda: now[0])
    assert wait.text() == ""
    with wait.request():
        now[0] += 45
        assert wait.text() == "waiting for the judge server, 45 s"
    assert wait.text() == ""

    judge = _judge(serve("slow", delay=2))
    worker = threading.Thread(target=judge.judge_many, args=([CASE],), kwargs={"batch_size": 1})
    worker.start()
    seen = ""
    while worker.is_alive() and not seen:
        seen = BatchClock(0)()  # the remote judge's bar (no batches) reads the process's wait
        time.sleep(0.05)
    worker.join()
    assert seen.startswith("waiting for the judge server, ")
    assert SERVER_WAIT.text() == "" and BatchClock(0)() == ""


# ------------------------------------------------------------------ 9: runs of nothing but errors
def test_a_run_of_errors_only_is_dropped_and_one_with_verdicts_kept(db_path: Path) -> None:
    store = open_store(db_path)
    comparison = int(store.comparison_table(DEMO_DATASET_NAME)["id"].iloc[0])
    failed = store.ensure_judge_run("k-failed", {"model": "m", "profile": "pandalm"})
    store.save_verdict(failed, NewVerdict(comparison_id=comparison, verdict=None, status="error", raw_output="x"))
    judged = store.ensure_judge_run("k-judged", {"model": "m", "profile": "pandalm"})
    store.save_verdict(judged, NewVerdict(comparison_id=comparison, verdict="1", status="ok", raw_output="1"))
    assert store.drop_run_of_errors(failed) is True
    assert store.drop_run_of_errors(judged) is False
    assert store.judge_run_id("k-failed") is None and store.judge_run_id("k-judged") == judged
    store.close()


def test_a_run_that_existed_before_is_kept_when_the_server_fails(db_path: Path, serve) -> None:
    server = serve("good")
    studio = Studio.open(Settings(home=db_path.parent, judge_model=server.model, verdict_mode="generate"))
    studio.judge_dataset(DEMO_DATASET_NAME, limit=1)
    (run,) = [run for run in studio.store.judge_runs_on(DEMO_DATASET_NAME) if SERVED in run.model]
    server.mode = "wrongjson"
    with pytest.raises(RemoteJudgeError) as caught:
        studio.judge_dataset(DEMO_DATASET_NAME, limit=1)
    assert RUN_NOT_KEPT not in str(caught.value)
    assert [r.run_id for r in studio.store.judge_runs_on(DEMO_DATASET_NAME) if SERVED in r.model] == [run.run_id]
