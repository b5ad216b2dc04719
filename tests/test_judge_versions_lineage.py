"""Judge versions compare a prompt version only with the previous version judged by the same model: two
models sharing a profile (PandaLM-7B and gpt-3.5 as imported PandaLM judgments) are two judges, not a
prompt that changed, and imported runs (no recorded template) compare with nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from analysis.judge_versions import judge_versions
from analysis.verdicts import LABELS


def _run(run_id: int, model: str, template: str | None, correct: int, wrong: int) -> SimpleNamespace:
    table = pd.DataFrame(0, index=list(LABELS), columns=list(LABELS))
    table.loc["1", "1"], table.loc["1", "2"] = correct, wrong
    agreement = SimpleNamespace(
        confusion=table, n=correct + wrong, accuracy=correct / (correct + wrong), cohen_kappa=None
    )
    fingerprint = {"profile": "pandalm", **({"prompt_template_hash": template} if template else {})}
    run = SimpleNamespace(run_id=run_id, model=model, profile="pandalm", fingerprint=fingerprint)
    return SimpleNamespace(run=run, against_majority=agreement, per_vote=agreement)


def test_another_model_under_the_same_profile_is_no_new_version() -> None:
    versions = judge_versions([_run(1, "PandaLM-7B", "aaaa", 6, 4), _run(2, "gpt-3.5", "bbbb", 9, 1)])
    assert [v["accuracy_change_from_previous"] for v in versions] == [None, None]


def test_a_new_template_for_the_same_model_shows_the_change() -> None:
    versions = judge_versions([_run(1, "PandaLM-7B", "aaaa", 6, 4), _run(2, "PandaLM-7B", "bbbb", 9, 1)])
    assert versions[1]["accuracy_change_from_previous"] == 0.9 - 0.6


def test_imported_runs_without_a_template_compare_with_nothing() -> None:
    versions = judge_versions([_run(1, "PandaLM-7B", None, 6, 4), _run(2, "PandaLM-7B", None, 9, 1)])
    assert [v["accuracy_change_from_previous"] for v in versions] == [None, None]
    assert versions[0]["version"] == "pandalm (template not recorded, run 1) on PandaLM-7B"
