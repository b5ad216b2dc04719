"""The Case study's prompt picker judges with another built-in profile on the loaded model (no restart):
the tester had to restart ``serve --judge-profile X`` to demo MT-Bench or Arena-Hard prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge_runtime import PairCase
from judge_runtime.profiles import render
from orchestration import Settings, Studio


@pytest.mark.model
def test_another_builtin_profile_judges_on_the_same_model(db_path: Path, quick_judge) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: quick_judge)
    variant = studio.judge_variant(profile="arena-hard")
    assert variant.profile.name == "arena-hard" and variant.model is quick_judge.model  # shared weights
    assert variant.fingerprint["verdict_mode"] == "generate"  # arena-hard's verdict comes last: no constrained
    case = PairCase("What is 2 + 2?", "4", "5")
    assert render(variant.profile, case) != render(quick_judge.profile, case)  # its own prompt format
    result = variant.judge(case)
    assert result.raw_output and result.parsed.status in {"ok", "unparsed", "truncated"}  # it ran
    assert studio.judge_variant(profile="arena-hard") is variant  # built once, kept
    mtbench = studio.judge_variant(profile="mtbench-pair")
    assert mtbench.fingerprint["profile"] == "mtbench-pair" and mtbench.fingerprint != variant.fingerprint
