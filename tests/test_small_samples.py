"""Small samples get an honest accuracy interval (researcher's pass, session 7).

A percentile bootstrap of 2 agreements out of 2 can only resample [1, 1]: ``metrics`` showed
``accuracy 1.000 [1.000, 1.000]`` while its own Wilson interval over the same labels read
``[0.342, 1.000]``. The one rule (``analysis.agreement.accuracy_interval``): a bootstrap only with at
least 5 agreements and 5 disagreements, else the Wilson interval, named as such on every door.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.agreement import MIN_BOOTSTRAP_OUTCOMES, WILSON_FALLBACK_NOTE
from analysis.bootstrap import bootstrap_ci
from annotation_store import open_store
from interchange.importers import import_table
from orchestration.metrics import metrics_report
from ui.card_document import card_markdown

ROOT = Path(__file__).resolve().parent.parent
MAP = {"instruction": "question", "response1": "a", "response2": "b", "label": "label", "verdict": "verdict"}
CLI_MAP = [arg for field, column in MAP.items() for arg in ("--map", f"{field}={column}")]


def _csv(path: Path, agree: int, disagree: int) -> Path:
    """One person's label and one judge verdict per comparison: ``agree`` the same, ``disagree`` not."""
    rows = [f"Question {i}?,answer a{i},answer b{i},1,{'1' if i < agree else '2'}" for i in range(agree + disagree)]
    path.write_text("question,a,b,label,verdict\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _against_majority(tmp_path: Path, agree: int, disagree: int) -> tuple[dict, str]:
    """The report's agreement section for such a file, and the card's Markdown, in process."""
    store = open_store(tmp_path / "studio.sqlite3")
    try:
        import_table(store, _csv(tmp_path / "pairs.csv", agree, disagree), mapping=MAP, dataset="pairs",
                     model1="m1", model2="m2", judge="judge-x")  # fmt: skip
        report = metrics_report(store, "pairs", n_bootstrap=5)
    finally:
        store.close()
    from analysis import judge_report_card

    (judge,) = report["judges"]
    return judge["against_majority"], card_markdown(judge_report_card(report))


def test_two_items_get_a_wilson_interval_on_every_door(tmp_path: Path) -> None:
    """The researcher's case through the command line: 2 comparisons, judge and person agree on both."""
    imported = _run(tmp_path, "import", str(_csv(tmp_path / "two.csv", 2, 0)), "--format", "csv", *CLI_MAP,
                    "--model1", "m1", "--model2", "m2", "--judge", "judge-x", "--dataset", "two")  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    report = json.loads(_run(tmp_path, "metrics", "--dataset", "two", "--json").stdout)
    versus = report["judges"][0]["against_majority"]
    wilson = report["judges"][0]["over_time"][-1]  # the Wilson interval the over-time line already showed
    assert versus["accuracy"] == 1.0 and wilson["n"] == 2
    assert versus["accuracy_ci95"] == {
        "low": pytest.approx(wilson["low"]),
        "high": pytest.approx(1.0),
        "n": 2,
        "method": "wilson",
        "note": WILSON_FALLBACK_NOTE,
        "level": 0.95,
    }
    assert round(wilson["low"], 3) == 0.342
    shown = "accuracy 1.000 [0.342, 1.000] (95% CI; Wilson interval: a bootstrap needs at least 5 agreements and 5 "
    text = _run(tmp_path, "metrics", "--dataset", "two")
    shown += "disagreements)"
    assert shown in text.stdout and "[1.000, 1.000]" not in text.stdout
    card = _run(tmp_path, "report", "--dataset", "two")  # piped: Markdown
    assert card.returncode == 0, card.stderr
    assert shown in card.stdout and "[1.000, 1.000]" not in card.stdout


def test_enough_agreements_and_disagreements_keep_the_bootstrap(tmp_path: Path) -> None:
    versus, card = _against_majority(tmp_path, 12, MIN_BOOTSTRAP_OUTCOMES)
    interval = versus["accuracy_ci95"]
    assert (interval["method"], interval["note"], interval["n"]) == ("bootstrap", None, 17)
    assert interval["low"] < versus["accuracy"] < interval["high"]
    # s15: every interval says its level
    assert f"accuracy {versus['accuracy']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}] (95% CI), Cohen" in card
    assert "Wilson interval" not in card


def test_a_large_sample_without_a_disagreement_is_not_certain(tmp_path: Path) -> None:
    """30 agreements out of 30: every resample is 1.0, so a bootstrap would say [1.000, 1.000] at any n."""
    versus, card = _against_majority(tmp_path, 30, 0)
    interval = versus["accuracy_ci95"]
    assert interval["method"] == "wilson" and round(interval["low"], 3) == 0.886
    assert interval["high"] == pytest.approx(1.0)
    assert f"accuracy 1.000 [0.886, 1.000] (95% CI; {WILSON_FALLBACK_NOTE})" in card  # s15: the level first


def test_bootstrap_gives_no_interval_where_resampling_cannot_vary() -> None:
    assert bootstrap_ci(np.ones(50), np.mean) is None  # all values equal
    assert bootstrap_ci(np.r_[np.zeros(500), 1.0], np.min) is None  # values differ, every resample's minimum is 0
    spread = bootstrap_ci(np.tile([0.0, 1.0], 10), np.mean)
    assert spread is not None and spread.ci_low < 0.5 < spread.ci_high
