"""s13 researcher, findings 2, 6 and 7: what the command line says after judging, the report card as JSON, and
imported annotators' kind.

- ``judge``'s last line counts ok / uncertain / unparsed as ``evaluate`` does, by the one uncertain rule
  (``analysis.verdicts.outcome`` at the ``uncertain_margin`` setting): 4 coin flips read "(0 unparsed)" (finding 2).
- ``report --format json`` (or ``-o card.json``) writes the very card REST ``/report-card`` returns, without
  importing the page module (Gradio) (finding 6).
- An import that creates annotators says they are "crowd" and names the command that changes it; the
  alternative-annotator line counts a group's people, not only those tested: one expert read "over 0
  annotators" (finding 7).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.alt_test import alt_test
from analysis.report_text import alt_test_line
from analysis.verdicts import with_outcomes
from judge_runtime import JudgeResult, PairCase
from judge_runtime.profiles import ParsedJudgment
from orchestration import Settings, Studio
from orchestration.service import run_summary_text

ROOT = Path(__file__).resolve().parents[1]
DEMO = "judge-studio-demo"
COIN_FLIP = {"1": 0.44, "2": 0.44, "tie": 0.12}  # the researcher's p1/p2: a top-two margin of 0
SURE = {"1": 0.9, "2": 0.05, "tie": 0.05}


def _run(home: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "app", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


# ------------------------------------------------------------------ finding 2: judge's summary


@dataclass
class ScriptedJudge:
    """Gives each case in turn the next of ``script``: (verdict, status, probabilities)."""

    script: Sequence[tuple[str | None, str, dict[str, float] | None]]

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"model": "scripted", "profile": "pandalm", "both_orders": False}

    @property
    def fingerprint_key(self) -> str:
        return "scripted-climend"

    @property
    def profile(self) -> Any:
        return type("Profile", (), {"name": "pandalm"})()

    def validate(self, case: PairCase) -> None:
        return None

    def judge_many(
        self, cases: Sequence[PairCase], *, batch_size: int, on_result: Callable[[int, JudgeResult], None], **_: Any
    ) -> list[JudgeResult]:
        results = []
        for index, _case in enumerate(cases):
            verdict, status, probabilities = self.script[index % len(self.script)]
            parsed = ParsedJudgment(verdict, status)  # type: ignore[arg-type]
            result = JudgeResult(parsed, f"{verdict}\n", 10, 2, 0.01, probabilities=probabilities)
            on_result(index, result)
            results.append(result)
        return results


SCRIPT = [("1", "ok", COIN_FLIP), ("2", "ok", COIN_FLIP), ("1", "ok", SURE), (None, "unparsed", None)]


def _judged(db_path: Path, margin: float | None = None) -> tuple[str, pd.DataFrame]:
    settings = (
        Settings(home=db_path.parent) if margin is None else Settings(home=db_path.parent, uncertain_margin=margin)
    )
    studio = Studio.open(settings, judge_loader=lambda _spec: ScriptedJudge(SCRIPT))
    try:
        summary = studio.judge_dataset(DEMO, limit=4)
        stored = studio.store.judge_verdicts(DEMO)
        return run_summary_text(summary, DEMO), stored[stored["run_id"] == summary.run_id]
    finally:
        studio.store.close()


def test_judge_counts_uncertain_verdicts_as_evaluate_and_the_figures_do(db_path: Path) -> None:
    text, stored = _judged(db_path)
    assert text.startswith(
        f"Judged 4 comparisons of {DEMO!r} (1 ok, 2 uncertain, 1 unparsed); skipped 0 already judged with this judge"
    ), text
    assert (
        "2 uncertain: the top two verdict probabilities lie less than 0.1 apart, so they count neither as wins nor "
        "as ties" in text
    )
    # the same counts as the one rule gives the stored rows (what metrics and the Dashboard read)
    outcomes = with_outcomes(stored, 0.1)["status"].value_counts().to_dict()
    assert outcomes == {"ok": 1, "uncertain": 2, "unparsed": 1}


def test_a_margin_of_zero_turns_uncertain_off_in_the_summary_too(db_path: Path) -> None:
    text, _stored = _judged(db_path, margin=0.0)
    assert "(3 ok, 0 uncertain, 1 unparsed)" in text and "uncertain:" not in text


# ------------------------------------------------------------------ finding 6: report --format json


def test_report_json_is_the_rest_report_card(live_app: Any, tmp_path: Path) -> None:
    import httpx

    home = live_app.db_path.parent
    _judged(live_app.db_path)  # a judge run for the card to read
    result = _run(home, "report", "--dataset", DEMO, "--format", "json", "--bootstrap", "20")
    assert result.returncode == 0, result.stderr
    cli = json.loads(result.stdout)
    token = live_app.studio.access.api_token("rita")
    rest = httpx.get(
        live_app.url + "api/v1/report-card",
        params={"dataset": DEMO, "bootstrap": 20},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert rest.status_code == 200, rest.text
    assert rest.json() == cli
    assert cli["dataset"] == DEMO and "answer" in cli["judges"][0]  # card-only parts, not in metrics --json

    # a .json file gets JSON without --format, and the JSON path never imports the page module (Gradio)
    out = tmp_path / "card.json"
    code = (
        "import sys; from cli import main; main(sys.argv[1:]); "
        "print('gradio' in sys.modules, 'ui.report_card' in sys.modules, file=sys.stderr)"
    )
    written = _run(home, "report", "--dataset", DEMO, "--bootstrap", "20", "-o", str(out), code=code)
    assert written.returncode == 0, written.stderr
    assert "(json) to" in written.stderr and "False False" in written.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == cli


def test_report_help_offers_json() -> None:
    result = _run(Path("/nonexistent"), "report", "--help")
    assert result.returncode == 0 and "json" in result.stdout


# ------------------------------------------------------------------ finding 7: kinds


def test_alt_test_line_counts_the_groups_people_not_only_those_tested() -> None:
    rng = np.random.default_rng(0)
    truth = rng.choice(["1", "2"], size=40)
    labels = pd.DataFrame(
        [(i, "solo", v) for i, v in enumerate(truth)], columns=["comparison_id", "annotator", "verdict"]
    )
    verdicts = pd.DataFrame({"comparison_id": range(40), "verdict": truth})
    result = alt_test(labels, verdicts, annotator_kind="expert")
    assert result.n_people == 1 and not result.annotators and result.passed is None
    test = {"group": "expert", **dataclasses.asdict(result)}  # as the report's JSON holds it
    assert (
        alt_test_line(test) == "  alt-test (expert annotators, epsilon 0.2): not testable, 1 expert annotator (needs 3)"
    )
    # three people, all tested: "over 3 annotators"; one of four left out: "3 of 4 annotators tested"
    tested = {"group": "crowd", "epsilon": 0.1, "passed": True, "winning_rate": 1.0, "advantage_probability": 0.9}
    tested["alpha"] = 0.05  # the FDR level, said at the end of the line since s15
    three = alt_test_line({**tested, "annotators": [{}] * 3, "n_people": 3, "min_annotators": 3})
    assert three.endswith("passed, winning rate 1.00, advantage probability 0.90 over 3 annotators, FDR level 0.05")
    four = alt_test_line({**tested, "annotators": [{}] * 3, "n_people": 4, "min_annotators": 3})
    assert four.endswith("over 3 of 4 annotators tested, FDR level 0.05")


def test_imported_annotators_are_said_to_be_crowd_and_one_set_to_expert_counts(
    tmp_path: Path, shared_data: Path
) -> None:
    folder = shared_data / "pandalm"
    imported = _run(tmp_path, "import", str(folder / "testset-v1.json"), "--format", "pandalm-testset")
    assert imported.returncode == 0, imported.stderr
    assert (
        "3 annotators were imported as crowd, which sets the alternative-annotator test's margin (change with "
        "`judge-studio users set NAME --kind expert|skilled`, or on the Admin page)."
    ) in imported.stdout
    judged = _run(tmp_path, "import", str(folder / "pandalm-7b-testset-v1.json"), "--format", "pandalm-judgments")
    assert judged.returncode == 0, judged.stderr and "imported as crowd" not in judged.stdout
    again = _run(tmp_path, "import", str(folder / "testset-v1.json"), "--format", "pandalm-testset")
    assert "imported as crowd" not in again.stdout  # nothing created: nothing to say
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        names = sorted(row[0] for row in db.execute("SELECT name FROM annotators WHERE password_hash IS NULL"))
    assert len(names) == 3
    # the command the note names works on these accounts that cannot sign in
    changed = _run(tmp_path, "users", "set", names[0], "--kind", "expert")
    assert changed.returncode == 0, changed.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT kind FROM annotators WHERE name = ?", (names[0],)).fetchone() == ("expert",)
    metrics = _run(tmp_path, "metrics", "--dataset", "pandalm-testset-v1", "--bootstrap", "20")
    assert metrics.returncode == 0, metrics.stderr
    assert "alt-test (expert annotators, epsilon 0.2): not testable, 1 expert annotator (needs 3)" in metrics.stdout
    assert "alt-test (crowd annotators, epsilon 0.1): not testable, 2 crowd annotators (needs 3)" in metrics.stdout
    assert "over 0 annotators" not in metrics.stdout


def test_the_summary_dataclass_keeps_its_old_constructor() -> None:
    from annotation_store.batch_import import ImportSummary

    summary = ImportSummary("d", "f.csv", True, 1, 0, 2, 1, 3, 3, ())
    assert "imported as crowd" not in summary.describe()
    assert "3 annotators were imported as crowd" in replace(summary, annotators_created=3).describe()
    one = replace(summary, labels=1, annotators=1, annotators_created=1).describe()
    assert "1 annotator was imported as crowd" in one
