"""s14 steward findings 4, 7 and 8: the delete's point of no return names the backup command; Fleiss' kappa says
why it left comparisons out and which; a judging bar shows that its batch is working."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cli import main
from orchestration.dataset_admin import NO_UNDO

NO_UNDO_WORDS = "This cannot be undone; `judge-studio backup FILE` makes a copy first."


def test_the_delete_says_it_cannot_be_undone_and_names_the_backup_command(
    tmp_path: Path, seeded_db_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert NO_UNDO == NO_UNDO_WORDS
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(seeded_db_template, home / "judge-studio.sqlite3")
    main(["datasets", "delete", "judge-studio-demo", "--yes", "--force", "--home", str(home)])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Deleting the dataset 'judge-studio-demo' deletes ")
    assert first.endswith(f"Accounts stay. {NO_UNDO_WORDS}")


def test_the_rest_delete_route_and_the_admin_page_say_it_too() -> None:
    from web.routes.datasets import router

    deletes = [r for r in router.routes if "DELETE" in getattr(r, "methods", set())]
    (route,) = [r for r in deletes if "/runs/" not in getattr(r, "path", "")]  # the dataset's (s17: one run's too)
    assert getattr(route, "description", "").endswith(NO_UNDO_WORDS)
    source = Path(__file__).resolve().parents[1] / "ui" / "admin_sections" / "dataset_removal.py"
    assert source.read_text().count("{NO_UNDO}") == 2  # the section's text and the "Show what it deletes" answer


def _labels(counts: dict[int, int]) -> pd.DataFrame:
    """``counts``: labels per comparison; annotators p0, p1, ... with verdicts that mostly agree."""
    rows = [(c, f"p{k}", "1" if (c + k) % 4 else "2") for c, n in counts.items() for k in range(n)]
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])


def test_fleiss_says_why_it_left_comparisons_out_and_which() -> None:
    from analysis.inter_annotator import inter_annotator

    counts = {c: 3 for c in range(7)} | {c: 4 for c in range(7, 10)} | {10: 2}
    inter = inter_annotator(_labels(counts))
    assert inter.fleiss_basis == (
        "7 of 11 comparisons, those with 3 labels each: Fleiss' kappa needs the same number of labels on each; "
        "3 with 4 labels and 1 with 2 labels left out; Krippendorff's α uses all 11"
    )
    every = inter_annotator(_labels({c: 3 for c in range(5)}))
    assert every.fleiss_basis == "5 comparisons with 3 labels each"


def test_the_judging_bar_counts_the_running_batch_s_seconds_and_tokens() -> None:
    from cli.commands import BatchClock
    from judge_runtime.batching import GENERATION_STEPS

    now = [100.0]
    clock = BatchClock(2, clock=lambda: now[0])
    clock.moved(0, 5)
    assert clock() == "batch 1/3 running 0 s"
    now[0] += 45
    for _ in range(37):
        GENERATION_STEPS.step()
    assert clock() == "batch 1/3 running 45 s, 37 tokens"
    clock.moved(2, 5)  # the first batch is stored: the second starts now
    now[0] += 3
    assert clock() == "batch 2/3 running 3 s"
    clock.moved(5, 5)
    assert clock() == ""
    assert BatchClock(0)() == ""  # a remote judge: no batches


def test_a_terminal_bar_shows_the_postfix_while_a_batch_runs() -> None:
    import io
    import time

    from tqdm import tqdm

    from judge_runtime.batching import ticking

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    bar = tqdm(total=2, file=shown, bar_format="{n_fmt}/{total_fmt} [{elapsed}{postfix}]")
    with ticking(bar, every=0.05, stream=shown, postfix=lambda: "batch 1/1 running 7 s, 12 tokens"):
        time.sleep(0.3)
    bar.close()
    assert "0/2 [00:00, batch 1/1 running 7 s, 12 tokens]" in shown.getvalue()
