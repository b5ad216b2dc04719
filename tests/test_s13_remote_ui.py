"""Task s13 "remoteui": the Case study and the Dashboard with a remote (OpenAI-compatible) judge, from tester
report s13 pgteam, findings 4, 5, 6, 9, 10 and 11.

4. A judge server killed mid-judgment: the Case study says the server stopped answering (after how many tokens,
   nothing stored), not "The judge could not be loaded"; the address shows as code, without Markdown's escape
   backslashes; the header no longer says "Judge ready" until a judgment finishes again.
5. The Dashboard's "Judge versions" table shows a remote judge's address without backslashes.
6. Its runs column lists run ids ("run 2"), not a bare number that read as a count of runs; a ``rate`` run
   (ratings, no verdicts) is no version, and the header says the table is about pairwise verdict runs.
9. Run judge clears the previous result at once (before the run leaves Gradio's queue).
10. ``judge`` with a remote judge says the progress moves after each judgment (no batches on a server).
11. A PandaLM reason does not begin with the verdict line the model wrote again ("1\\nThe sentence ...").

The judge server here is a small scripted HTTP server (standard library) that streams a fixed output over
server-sent events and can cut the connection half-way, as a killed ``llama_cpp.server`` does: no model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from judge_runtime import RemoteJudgeError, get_profile
from orchestration import Settings, Studio
from orchestration.service import batch_note
from ui.case_sections import PENDING
from ui.judge_versions import versions_markdown
from ui.render import inline_text

SERVED = "smol"
RAW = (
    "1\n\n### Reason: 1\nThe sentence you are given might be too wordy; Response 1 keeps it short.\n\n"
    "### Reference: If you have any questions, please let me know."
)
REASON = "The sentence you are given might be too wordy; Response 1 keeps it short."


class ScriptedServer:
    """``/v1/models`` and a streamed ``/v1/completions`` of ``RAW`` in pieces; with ``cut_after`` set, the
    connection is closed after that many pieces, in the middle of the chunked body (a killed server)."""

    def __init__(self) -> None:
        self.cut_after: int | None = None
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._json({"object": "list", "data": [{"id": SERVED, "object": "model", "owned_by": "me"}]})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                if not body.get("stream"):
                    choice = {"text": RAW, "finish_reason": "stop", "logprobs": None}
                    self._json({"choices": [choice], "usage": {"prompt_tokens": 50, "completion_tokens": 9}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                pieces = RAW.split(" ")
                for index, piece in enumerate(pieces):
                    if scripted.cut_after is not None and index == scripted.cut_after:
                        self.wfile.flush()
                        self.close_connection = True
                        return  # no closing chunk: "incomplete chunked read"
                    text = piece if index == len(pieces) - 1 else piece + " "
                    last = index == len(pieces) - 1
                    event = {"choices": [{"text": text, "finish_reason": "stop" if last else None}]}
                    self._chunk(f"data: {json.dumps(event)}\n\n")
                self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def _as(name: str) -> gr.Request:
    return gr.Request(username=name, session_hash=f"tab-of-{name}")


def _studio(db_path: Path, url: str) -> Studio:
    settings = Settings(
        home=db_path.parent, judge_model=f"openai:{SERVED}@{url}", verdict_mode="generate", decoding="fast"
    )
    studio = Studio.open(settings)
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    return studio


def _demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _verdicts(studio: Studio, comparison_id: int) -> list[dict[str, Any]]:
    table = studio.store.verdicts(None)
    return [] if table.empty else table[table["comparison_id"] == comparison_id].to_dict("records")


# ------------------------------------------------------------------ 4 and 11: a server lost half-way; the reason
def test_a_server_killed_mid_judgment_is_said_as_such_and_the_header_follows(db_path: Path, server) -> None:
    studio = _studio(db_path, server.url)
    demo = _demo(studio)
    server.cut_after = 3
    steps = [by_id(step) for step in handler(demo, "judge_comparison")(2, None, None, None, _as("rita"))]
    assert any(step.get("judge-raw") == "1\n\n### " for step in steps), "three pieces streamed first"
    said = steps[-1]["judge-verdict"]
    assert said.startswith(f"⚠ The judge server at `{server.url}` stopped answering after 3 tokens of this judgment")
    assert "incomplete chunked read" in said and "is it still running?" in said and "Nothing was stored" in said
    assert "could not be loaded" not in said and "127\\.0" not in said  # the address as code: no escape backslashes
    assert _verdicts(studio, 2) == []
    status = studio.judge_status()
    assert status.startswith("⚠ Judge not answering since ") and "Judge ready" not in status

    server.cut_after = None  # the server is back: the next judgment finishes, stored, and the header is ready again
    steps = [by_id(step) for step in handler(demo, "judge_comparison")(2, None, None, None, _as("rita"))]
    assert steps[-1]["judge-raw"] == RAW
    assert studio.judge_status().startswith("Judge ready: smol @ ")
    (stored,) = _verdicts(studio, 2)
    latest = studio.store.latest_verdict(2)
    assert latest is not None and (stored["verdict"], latest.reason) == ("1", REASON)  # not "1\nThe sentence ..."
    assert latest.reference == "If you have any questions, please let me know."
    assert "might be too wordy; Response 1 keeps it short" in steps[-1]["judge-reason"]
    assert "\n1\n" not in steps[-1]["judge-reason"]


def test_a_refused_request_is_not_called_a_lost_server() -> None:
    """An answer the server refused (HTTP 4xx) keeps its own message: only a lost connection is "stopped answering"."""
    from judge_runtime.remote import OpenAIClient

    client = OpenAIClient("http://127.0.0.1:9/v1", timeout_s=2)
    with pytest.raises(RemoteJudgeError) as lost:
        client.get("models")
    assert lost.value.lost and lost.value.reason
    client.close()
    assert not RemoteJudgeError("The judge endpoint answered HTTP 400").lost


def test_the_pandalm_reason_drops_the_verdict_line_on_the_local_and_the_remote_path(db_path: Path, server) -> None:
    profile = get_profile("pandalm")
    parsed = profile.parse(RAW)
    assert (parsed.verdict, parsed.reason, parsed.status) == ("1", REASON, "ok")
    # the remote judge, streamed and not, parses its output with the same profile as the local engine does
    judge = _studio(db_path, server.url).judge()
    from judge_runtime import PairCase

    case = PairCase("Rewrite the sentence.", "Short one.", "A much longer one.")
    (result,) = judge.judge_many([case], batch_size=1)
    streamed = list(judge.stream(case))[-1].result
    assert streamed is not None and result.parsed == streamed.parsed == parsed
    # the same rule on other outputs: a reason that is only the word stays; a verdict word inside a line stays
    assert profile.parse("2\n\n### Reason: 2").reason == "2"
    assert profile.parse("Tie\n\n### Reason: tie\n\nBoth are fine.").reason == "Both are fine."
    assert profile.parse("2\n\n### Reason: 2 is shorter.").reason == "2 is shorter."


# ------------------------------------------------------------------ 4 and 5: addresses in Markdown
def test_a_web_address_in_untrusted_text_shows_as_code_without_backslashes() -> None:
    assert inline_text("smol @ http://127.0.0.1:7942/v1") == "smol @ `http://127.0.0.1:7942/v1`"
    said = inline_text("Request to http://127.0.0.1:7942/v1/completions failed: (see http://x.org/a_b).")
    assert said == "Request to `http://127.0.0.1:7942/v1/completions` failed: \\(see `http://x.org/a_b`\\)\\."
    assert inline_text("a_b *c* <b>") == "a\\_b \\*c\\* &lt;b&gt;"  # the rest escaped as before
    assert inline_text("http://x.org/`a` | b") == "`http://x.org/`\\`a\\` \\| b"  # a backtick cannot close it


# ------------------------------------------------------------------ 5 and 6: the Dashboard's judge versions
def _version(name: str, run_ids: list[int], n: int) -> dict[str, Any]:
    return {
        "version": name,
        "runs": [{"run_id": run_id} for run_id in run_ids],
        "against_majority": {"n": n, "accuracy": None, "cohen_kappa": None},
        "accuracy_change_from_previous": None,
    }


def test_the_judge_versions_table_names_run_ids_and_its_scope() -> None:
    table = versions_markdown(
        [
            _version("pandalm (template not recorded, run 1) on PandaLM-7B (released outputs)", [1], 30),
            _version("pandalm (template dd1675b8) on smol @ http://127.0.0.1:7942/v1", [2], 0),
            _version("pandalm (template dd1675b8) on demo", [4, 5], 3),
        ]
    )
    assert "pairwise verdict runs only: `rate` runs' ratings are not in it" in table
    assert "| version | judge runs (ids) | n |" in table
    assert "| pandalm \\(template dd1675b8\\) on smol @ `http://127.0.0.1:7942/v1` | run 2 | 0 |" in table
    assert "| runs 4, 5 | 3 |" in table and "\\." not in table.split("on smol @")[1].split("|")[0]


def test_a_rate_run_with_the_same_model_is_no_judge_version(db_path: Path) -> None:
    """The tester's database: run 2 (pandalm verdicts) and run 3 (mtbench-single ratings from ``rate``) of one
    server model. The versions hold run 2 alone; the rating run has no verdicts and is not counted."""
    from annotation_store import NewVerdict

    studio = Studio.open(Settings(home=db_path.parent))
    store = studio.store
    ids = [int(i) for i in store.comparison_table("judge-studio-demo")["id"]][:3]
    for comparison_id in ids:
        store.save_label(comparison_id, "ann", "1")
    model = "smol @ http://127.0.0.1:7942/v1"
    imported = store.ensure_judge_run("imported", {"model": "PandaLM-7B (released outputs)", "profile": "pandalm"})
    pairwise = store.ensure_judge_run("pairwise", {"model": model, "profile": "pandalm", "prompt_template_hash": "dd"})
    rating = store.ensure_judge_run(
        "rating", {"model": model, "profile": "mtbench-single", "prompt_template_hash": "ee"}
    )
    for comparison_id in ids:
        store.save_verdict(imported, NewVerdict(comparison_id, "1", "ok"))
        store.save_verdict(pairwise, NewVerdict(comparison_id, "2", "ok"))
    versions = studio.dashboard("judge-studio-demo").run_rows.judge_versions()
    runs = [[run["run_id"] for run in version["runs"]] for version in versions]
    assert runs == [[imported], [pairwise]] and rating not in sum(runs, [])
    table = versions_markdown(versions)
    assert f"| run {pairwise} | 3 |" in table and f"`{model.split(' @ ')[1]}`" in table


# ------------------------------------------------------------------ 9: Run judge clears the previous result at once
def _first_step(demo: gr.Blocks, run_id: str) -> Any:
    for block_fn in demo.fns.values():
        outputs = [getattr(c, "elem_id", None) for c in block_fn.outputs]
        if getattr(block_fn.fn, "__name__", "") == "arm" and run_id in outputs:
            return block_fn
    raise AssertionError(f"no first step for {run_id}")


def test_run_judge_clears_the_previous_result_before_the_queue(db_path: Path) -> None:
    studio = _studio(db_path, "http://127.0.0.1:9/v1")
    demo = _demo(studio)
    for run_id, prefix in (("run-judge", "judge"), ("judge-custom", "custom")):
        first = _first_step(demo, run_id)
        assert first.queue is False, "outside the queue: shown at the click, not when the run starts"
        shown = by_id(first.fn(_as("rita")))
        assert shown[f"{prefix}-verdict"] == PENDING
        assert shown[f"{prefix}-raw"] == shown[f"{prefix}-reason"] == shown[f"{prefix}-reference"] == ""
        assert shown[run_id].interactive is False


# ------------------------------------------------------------------ 10: the CLI's note before the bar
def test_the_batch_note_for_a_judge_server_says_the_progress_moves_after_each_judgment() -> None:
    assert batch_note(4, 4, remote=True) == (
        "Judging 4 comparisons on the judge server, 4 requests at a time (--batch-size): "
        "the progress moves after each judgment."
    )
    assert batch_note(30, 8, remote=True).startswith("Judging 30 comparisons on the judge server, 8 requests at a time")
    assert batch_note(4, 4).startswith("Judging 4 comparisons in one batch of 4: the progress moves when the batch")
    assert batch_note(1, 4, remote=True) == batch_note(4, 1, remote=True) == ""


def test_the_judge_command_prints_the_remote_note(db_path: Path, server, capsys) -> None:
    from cli import main

    url = f"openai:{SERVED}@{server.url}"
    args = ["--home", str(db_path.parent), "--judge-model", url, "--verdict-mode", "generate", "--decoding", "fast"]
    main(["judge", *args, "--batch-size", "4", "--limit", "4"])
    err = capsys.readouterr().err
    assert "Judging 4 comparisons on the judge server, 4 requests at a time (--batch-size)" in err
    assert "when the batch is done" not in err
