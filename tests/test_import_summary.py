"""An imported judge run in both orders reads as one run at import and in ``metrics`` (researcher's pass,
session 7): the import counted 400 verdicts, ``metrics`` 200, and nothing said they were the same.

The import line now names the comparisons next to the verdicts ("400 verdicts of GPT-4 (run 1: 200
comparisons, each in both orders, 0 unparsed)"), and ``metrics`` says its 200 are one per comparison.
The line comes from one place (``ImportedRun.describe``): the command line and the Admin page print it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from annotation_store import open_store
from annotation_store.batch_import import ImportBatch, ImportJudgeRun, ImportVerdict
from interchange.importers import import_llmbar_dataset, run_fingerprint
from orchestration import AdminDesk, Studio
from orchestration.admin import ImportRequest
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATASET = "llmbar-mt-bench"
GPT4 = "400 verdicts of GPT-4 (released outputs) (run {run}: 200 comparisons, each in both orders, 0 unparsed)"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_a_both_order_run_reads_as_one_run_at_import_and_in_metrics(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "llmbar_mt_bench"
    pairs = _run(tmp_path, "import", str(folder / "dataset.json"), "--format", "llmbar-dataset")
    assert pairs.returncode == 0, pairs.stderr
    verdicts = _run(tmp_path, "import", str(folder / "GPT-4" / "result.json"), "--format", "llmbar-results")
    assert verdicts.returncode == 0, verdicts.stderr
    assert f"into dataset {DATASET!r}: {GPT4.format(run=1)}. Database:" in verdicts.stdout
    metrics = _run(tmp_path, "metrics", "--dataset", DATASET)
    assert metrics.returncode == 0, metrics.stderr
    assert (
        "Judge run 1: GPT-4 (released outputs) (profile imported (LLMBar file layout)), 200 verdicts (one per "
        "comparison; both orders below), 0 unparsed" in metrics.stdout
    )
    assert "both orders: consistency 0.870 over 200 pairs" in metrics.stdout


def test_the_admin_page_shows_the_same_line(shared_data: Path, db_path: Path) -> None:
    """The Admin page prints ``summary.describe()`` (ui.admin_sections.importing): the same sentence."""

    def no_judge(_spec: Any) -> Any:
        raise AssertionError("the judge must not be loaded")

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=no_judge)
    studio.store.create_annotator("ada", role="admin", password="a-long-password-1")
    admin = AdminDesk(studio)
    folder = shared_data / "llmbar_mt_bench"
    admin.import_dataset("ada", ImportRequest(folder / "dataset.json", "llmbar-dataset"))
    summary = admin.import_dataset("ada", ImportRequest(folder / "GPT-4" / "result.json", "llmbar-results"))
    (run,) = summary.runs
    assert summary.describe() == f"Imported result.json into dataset {DATASET!r}: {GPT4.format(run=run.run_id)}."


def test_one_order_and_partly_both_orders(shared_data: Path, tmp_path: Path) -> None:
    """A run in one order keeps the short line; a run with some comparisons in both orders says how many."""
    store = open_store(tmp_path / "studio.sqlite3")
    try:
        import_llmbar_dataset(store, shared_data / "llmbar_mt_bench" / "dataset.json")
        table = store.comparison_table(DATASET).head(3)
        a, b, c = [(str(r.prompt), str(r.model1), str(r.model2)) for r in table.itertuples()]

        def write(judge: str, *rows: ImportVerdict) -> str:
            key, fingerprint = run_fingerprint(judge, "pandalm", "test")
            run = ImportJudgeRun(key, fingerprint, rows)
            return store.import_batch(ImportBatch(DATASET, "runs.json", "existing", judge_runs=(run,))).describe()

        one = write("one-order judge", *(ImportVerdict(*item, "1", "ok", False) for item in (a, b, c)))
        assert one.endswith(": 3 verdicts of one-order judge (run 1, 0 unparsed).")
        partly = write(
            "partly judge",
            *(ImportVerdict(*item, "1", "ok", False) for item in (a, b, c)),
            ImportVerdict(*a, None, "unparsed", True),  # a in the swapped order too
        )
        assert partly.endswith(
            ": 4 verdicts of partly judge (run 2: 3 comparisons, 1 of them in both orders, 1 unparsed)."
        )
    finally:
        store.close()
