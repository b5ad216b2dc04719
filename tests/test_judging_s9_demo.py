"""The s9 tester's finding 1 with the demo judge itself (8,192-token context): a dataset run with one
comparison far beyond the context stores it as an error and judges the others in the same batch, while the
Case study (one comparison, streamed) keeps its clear error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge_runtime import JudgeInputError
from orchestration import ImportOptions, Settings, Studio
from orchestration.datasets import import_file
from orchestration.service import run_summary_text

pytestmark = pytest.mark.model


def test_the_demo_judge_skips_one_over_long_comparison_and_judges_the_rest(tmp_path: Path, quick_judge) -> None:
    long = " ".join(f"word{i}" for i in range(9000))  # > 8,192 tokens
    (tmp_path / "big.csv").write_text(
        f'id,question,a,b\nq1,Say hi.,Hi!,Bye.\nq2,Say hi.,Hello!,"{long}"\nq3,Count to 3.,"1, 2, 3",3 2 1\n',
        encoding="utf-8",
    )
    studio = Studio.open(Settings(home=tmp_path, seed_demo=False), judge_loader=lambda _spec: quick_judge)
    mapping = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
    options = ImportOptions("big", mapping=mapping, model1="x", model2="y")
    import_file(studio.store, tmp_path / "big.csv", "csv", options)
    steps: list[tuple[int, int]] = []
    summary = studio.judge_dataset("big", on_progress=lambda done, total: steps.append((done, total)))

    stored = {i: studio.store.latest_verdict(i) for i in (1, 2, 3)}
    assert stored[2] is not None and stored[2].status == "error"
    assert "key q2" in stored[2].raw_output and "context of 8192 tokens" in stored[2].raw_output
    assert all(v is not None and v.status != "error" and v.raw_output for i, v in stored.items() if i != 2)
    assert steps[0] == (0, 2) and steps[-1] == (2, 2)  # the refused one is no judgment: not in the bar
    assert "1 comparison too long for the judge's context: q2 (#2)." in run_summary_text(summary, "big")

    # the Case study's single comparison still says why, as an error
    with pytest.raises(JudgeInputError, match="exceeds the judge's context of 8192 tokens"):
        list(studio.stream_comparison(2))
