"""The Case study as a presenter uses it on stage (s12 tester "presenter", findings 1, 2, 6-11): the dataset's
reference answer shown, the judge's own reference labelled as the judge's, Stop for a streamed judgment (nothing
stored, the judge freed), the pasted pair's own judge prompt, the setup the run used, 3 decimals where two
probabilities round alike, the elapsed time on every result line, the form's names in empty-field messages, an
unparsed output shown as raw plain text, and the demo judge's caveat. A scripted streaming judge: no model."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import VerdictView
from interchange.importers import import_table
from judge_runtime import DEMO_DISPLAY_NAME, JudgeInputError, JudgeProgress, JudgeResult, PairCase, get_profile
from judge_runtime.base import check_case
from judge_runtime.profiles import ParsedJudgment
from orchestration import CaseBrowser, Settings, Studio
from orchestration.stopping import RunSwitch

PASSWORD = "rita-pass-1"


@dataclass
class StreamingJudge:
    """Streams ``tokens`` words, ``delay`` seconds apart, then a verdict (``status``); records how far it got."""

    tokens: int = 6
    delay: float = 0.0
    status: str = "ok"
    profile_name: str = "pandalm"
    model: str = "scripted judge"
    generated: list[int] = field(default_factory=lambda: [0])  # shared with the variants: one model
    closed_early: list[bool] = field(default_factory=lambda: [False])
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fingerprint(self) -> dict[str, Any]:
        mode = "constrained" if self.profile_name == "pandalm" else "generate"
        return {
            "model": self.model,
            "profile": self.profile_name,
            "quantization": "none",
            "device_type": "cpu",
            "verdict_mode": mode,
            "both_orders": mode == "constrained",
            "decoding": {"do_sample": False, "num_beams": 1, "max_new_tokens": self.tokens},
        }

    @property
    def fingerprint_key(self) -> str:
        return f"scripted-{self.profile_name}"

    @property
    def profile(self) -> Any:
        return get_profile(self.profile_name)

    def with_settings(self, *, profile: str | None = None, **_: Any) -> StreamingJudge:
        if profile is None or profile == self.profile_name:
            return self
        return StreamingJudge(
            self.tokens, self.delay, self.status, profile, self.model, self.generated, self.closed_early, self.lock
        )

    def busy(self) -> bool:
        return self.lock.locked()

    def stream(self, case: PairCase) -> Iterator[JudgeProgress]:
        check_case(self.profile, case)
        finished = False
        with self.lock:
            try:
                text = ""
                for i in range(self.tokens):
                    time.sleep(self.delay)
                    text += f"word{i} "
                    self.generated[0] += 1
                    yield JudgeProgress(text)
                verdict = "1" if self.status == "ok" else None
                parsed = ParsedJudgment(verdict, self.status, reason="**Because** <b>so</b>", reference="")  # type: ignore[arg-type]
                probabilities = {"1": 0.364, "2": 0.361, "tie": 0.275} if self.status == "ok" else None
                finished = True
                yield JudgeProgress(text, JudgeResult(parsed, text, 10, self.tokens, 2.5, probabilities))
            finally:
                self.closed_early[0] = not finished


def _as(name: str) -> gr.Request:
    return gr.Request(username=name, session_hash=f"tab-of-{name}")


def _studio(db_path: Path, judge: StreamingJudge) -> Studio:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
    studio.store.create_annotator("rita", role="reviewer", password=PASSWORD)
    return studio


def _demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _verdict_rows(studio: Studio, comparison_id: int) -> int:
    verdicts = studio.store.verdicts(None)
    return int((verdicts["comparison_id"] == comparison_id).sum()) if not verdicts.empty else 0


def _with_reference(studio: Studio, tmp_path: Path) -> int:
    path = tmp_path / "ref.jsonl"
    row = {
        "q": "Write is_palindrome.",
        "ref": "def is_palindrome(s): return s == s[::-1]  # <b>x</b>",
        "a": "A",
        "b": "B",
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    mapping = {"instruction": "q", "reference": "ref", "response1": "a", "response2": "b"}
    import_table(studio.store, path, mapping=mapping, dataset="refs", model1="m1", model2="m2")
    return int(studio.store.comparison_table("refs")["id"].iloc[0])


# ------------------------------------------------------------------ 1. the dataset's reference, the judge's own
def test_the_dataset_reference_is_shown_and_the_judges_own_is_labelled_as_the_judges(
    db_path: Path, tmp_path: Path
) -> None:
    studio = _studio(db_path, StreamingJudge())
    number = _with_reference(studio, tmp_path)
    demo = _demo(studio)
    shown = by_id(handler(demo, "show_comparison")(number, _as("rita")))
    prompt = shown["case-prompt"]
    assert "**Reference answer (from the dataset)**" in prompt and "is\\_palindrome" not in prompt
    assert "def is_palindrome(s)" in prompt and "&lt;b&gt;x&lt;/b&gt;" in prompt  # untrusted text: escaped
    steps = [by_id(s) for s in handler(demo, "judge_comparison")(number, None, None, None, _as("rita"))]
    assert steps[-1]["judge-reference"] == "**Judge's reference answer**\n\n_(none written)_"
    demo_item = by_id(handler(demo, "show_comparison")(1, _as("rita")))  # the demo data has no reference
    assert "Reference answer (from the dataset)" not in demo_item["case-prompt"]


# ------------------------------------------------------------------ 2. Stop
def test_a_stop_ends_the_generation_stores_nothing_and_frees_the_judge(db_path: Path) -> None:
    judge = StreamingJudge(tokens=50)
    studio = _studio(db_path, judge)
    before = _verdict_rows(studio, 2)
    switch = RunSwitch()
    steps = studio.stream_comparison(2, switch=switch)
    for _ in range(3):
        next(steps)
    assert judge.busy() and studio.judge_busy() == "comparison #2 (case study)"
    assert switch.stop() is None, "stopped before it finished: nothing to show"
    assert list(steps) == [], "the stream ends at its next token"
    assert judge.closed_early == [True] and judge.generated == [4], "the generation stopped there"
    assert not judge.busy() and studio.judge_busy() is None and studio.activity.describe() == []
    assert _verdict_rows(studio, 2) == before, "no partial verdict stored"


def test_a_stop_after_the_run_finished_keeps_its_verdict(db_path: Path) -> None:
    studio = _studio(db_path, StreamingJudge(tokens=2))
    switch = RunSwitch()
    last = list(studio.stream_comparison(2, switch=switch))[-1]
    assert last.verdict is not None and switch.stop() == last.verdict
    assert _verdict_rows(studio, 2) == 1


def _stop_while_streaming(stop: Any, steps: Iterator[Any]) -> dict[str | None, Any]:
    """Press Stop (a request of its own, as on the page) while the run's steps are read: Stop waits for the run
    to end, which it does at its next step."""
    pressed: dict[str, Any] = {}
    presser = threading.Thread(target=lambda: pressed.update(said=stop(_as("rita"))))
    presser.start()
    left = list(steps)
    presser.join(timeout=10)
    assert not presser.is_alive() and len(left) <= 1, "the run ended at its next step"
    return by_id(pressed["said"])


def test_the_stop_button_says_nothing_was_stored_and_run_is_enabled_again(db_path: Path) -> None:
    judge = StreamingJudge(tokens=50, delay=0.02)
    studio = _studio(db_path, judge)
    demo = _demo(studio)
    run = handler(demo, "judge_comparison")(2, None, None, None, _as("rita"))
    for _ in range(2):
        step = by_id(next(run))
    assert "Stop** ends it and stores nothing" in step["judge-verdict"]
    stopped = _stop_while_streaming(handler(demo, "stop_comparison"), run)
    assert stopped["judge-verdict"].startswith("### Stopped: nothing was stored")
    assert stopped["run-judge"].interactive is True and stopped["stop-judge"].interactive is False
    assert _verdict_rows(studio, 2) == 0 and not judge.busy() and judge.generated[0] < 10

    custom = handler(demo, "judge_custom")("Say hi.", "", "Hi", "Hello", None, _as("rita"))
    next(custom)
    said = _stop_while_streaming(handler(demo, "stop_custom"), custom)["custom-verdict"]
    assert said.startswith("### Stopped: nothing was stored") and "never stored" in said
    assert not judge.busy()


def test_a_stop_pressed_before_the_run_left_the_queue_stops_it_and_another_tab_is_not_stopped(db_path: Path) -> None:
    judge = StreamingJudge(tokens=5)
    studio = _studio(db_path, judge)
    browser = CaseBrowser(studio)
    browser.arm("rita", "tab-1")
    assert browser.stop("rita", "tab-1").finished is None
    assert list(browser.stream("rita", 2, run_key="tab-1")) == [], "stopped while queued: it never runs"
    assert judge.generated == [0]
    steps = list(browser.stream("rita", 2, run_key="tab-2"))  # another tab's run is its own
    assert steps[-1].verdict is not None and _verdict_rows(studio, 2) == 1


# ------------------------------------------------------------------ 3. the prompt pickers and the setup used
def test_the_pasted_pair_has_its_own_prompt_and_each_run_says_its_setup(db_path: Path) -> None:
    studio = _studio(db_path, StreamingJudge(tokens=2))
    demo = _demo(studio)
    pickers = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Dropdown)}
    assert pickers["judge-prompt"].label == "Judge prompt (for Run judge)"
    assert "its own" in str(pickers["custom-prompt"].label)
    custom = [by_id(s) for s in handler(demo, "judge_custom")("Q", "", "A", "B", "mtbench-pair", _as("rita"))]
    line = custom[-1]["custom-verdict"]
    assert "profile mtbench\\-pair · verdict generate · greedy=True" in line and "constrained" not in line
    stored = [by_id(s) for s in handler(demo, "judge_comparison")(2, None, None, None, _as("rita"))]
    assert "profile pandalm · verdict constrained \\(both orders\\)" in stored[-1]["judge-verdict"]
    studio.judge()
    assert "the settings' setup: profile pandalm · verdict constrained (both orders)" in studio.judge_status()
    headings = [b.label for b in demo.blocks.values() if isinstance(b, gr.Accordion)]
    assert "Every stored judge verdict, by run (a swapped-order verdict too where the run stored one)" in headings
    assert "Every stored judge verdict (both orders)" not in headings


# ------------------------------------------------------------------ 4, 5, 7, 8: the result's lines
def _view(**changes: Any) -> VerdictView:
    base: dict[str, Any] = {
        "comparison_id": 1,
        "run_id": 1,
        "judge_model": "m",
        "profile": "pandalm",
        "verdict": "1",
        "status": "ok",
        "reason": "r",
        "reference": "",
        "raw_output": "raw",
        "latency_s": 303.4,
        "probabilities": None,
    }
    return VerdictView(**{**base, **changes})


def test_probabilities_that_round_alike_show_3_decimals_and_every_line_has_the_time() -> None:
    from ui.formatting import verdict_markdown

    close = _view(probabilities={"1": 0.364, "2": 0.361, "tie": 0.275})
    shown = verdict_markdown(close, margin=0.1)
    assert (
        shown.startswith("### Uncertain: leaning to Response 1") and "p(1) 0.364 · p(2) 0.361 · p(tie) 0.275" in shown
    )
    apart = verdict_markdown(_view(probabilities={"1": 0.7, "2": 0.2, "tie": 0.1}), margin=0.1)
    assert "p(1) 0.70 · p(2) 0.20 · p(tie) 0.10" in apart
    unparsed = verdict_markdown(_view(verdict=None, status="unparsed", profile="mtbench-pair"), margin=0.1)
    assert "### ⚠ Unparsed" in unparsed and "profile `mtbench-pair` · 303.4 s" in unparsed


def test_an_unparsed_output_is_raw_plain_text_and_the_demo_judge_reason_has_a_caveat() -> None:
    from ui.formatting import DEMO_CAVEAT, reason_markdown

    raw = "[The Start of Assistant B's Answer]\n# not a heading\n* not a list <b>x</b>"
    shown = reason_markdown(_view(verdict=None, status="unparsed", reason=raw, raw_output=raw))
    assert shown.startswith("**Raw output (no verdict found)**") and "Reason" not in shown
    assert "\\# not a heading\n\\* not a list &lt;b&gt;x&lt;/b&gt;" in shown
    assert DEMO_CAVEAT in reason_markdown(_view(judge_model=DEMO_DISPLAY_NAME))
    assert DEMO_CAVEAT == "the 135M demo judge's reasons are not meaningful: it is for trying the app"
    assert "not meaningful" not in reason_markdown(_view(judge_model="prometheus-7b"))


# ------------------------------------------------------------------ 6. the form's names
def test_an_empty_field_is_named_as_the_form_names_it(db_path: Path) -> None:
    with pytest.raises(JudgeInputError, match=r"^Response 2 is empty: the judge needs an instruction and two"):
        check_case(get_profile("pandalm"), PairCase("Q", "A", " "))
    with pytest.raises(JudgeInputError, match=r"^The instruction is empty"):
        check_case(get_profile("pandalm"), PairCase("", "A", "B"))
    demo = _demo(_studio(db_path, StreamingJudge()))
    said = [by_id(s) for s in handler(demo, "judge_custom")("Q", "", "A", "", None, _as("rita"))]
    assert said[-1]["custom-verdict"].startswith("⚠ Response 2 is empty"), said


# ------------------------------------------------------------------ 2. Stop, on a real model's generate() path
def test_closing_a_generate_stream_ends_generate_before_the_lock_is_freed(tmp_path: Path) -> None:
    """Sampling (or a prompt past the static loop's cache) streams through ``generate`` in a worker thread: a Stop
    must end that thread too, not leave it generating on the shared weights with the lock let go."""
    from judge_runtime import JudgeSpec, load_judge
    from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

    folder = tmp_path / "tiny"
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=3)
    spec = JudgeSpec(model=str(folder), profile="pandalm", max_new_tokens=900, device="cpu", decode_loop="generate")
    judge = load_judge(spec)
    case = PairCase("Say something long.", "A", "B")
    steps = judge.stream(case)
    for _ in range(3):
        next(steps)
    # the worker by its name: other threads of the test process (a bar's ticker, a server) come and go
    workers = [t for t in threading.enumerate() if t.name == "judge-generate" and t.is_alive()]
    assert judge.busy() and len(workers) == 1, "generate runs in its worker thread"
    started = time.perf_counter()
    steps.close()
    assert time.perf_counter() - started < 5, "generate ended at its next step, not after 900 tokens"
    assert not judge.busy() and not workers[0].is_alive(), "the worker ended before the lock was freed"
