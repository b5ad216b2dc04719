"""``judge-studio evaluate --help`` and ``checkup --help`` load neither pandas nor SQLAlchemy (s17 cardpolish).

s16 made them load no scikit-learn, SciPy, torch or Gradio (``tests/test_s16_light_cli.py``), but ``evaluate
--help`` still imported ``evaluation.pipeline`` (pandas, the statistics) to print its defaults, and ``checkup
--help`` ``orchestration.checkup`` (the store, SQLAlchemy, pandas) for its suite names: about 1 s and 2 s, where
the light commands take 0.3 s. The defaults and the names now live in ``evaluation.defaults`` and
``orchestration.checkup_names``, which import nothing heavy; the heavy modules take theirs from there.

Each command runs in a fresh interpreter (a temporary JUDGE_STUDIO_HOME), so what one loads is its own."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from test_s16_light_cli import _loaded

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "sqlalchemy", "annotation_store", "sklearn", "scipy", "torch", "transformers", "gradio")


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        pytest.param(
            ["evaluate", "--help"],
            ["usage: judge-studio evaluate", "--rule {sign-test,more-wins}", "(default sign-test)", "(default 256)"],
            id="evaluate --help",
        ),
        pytest.param(
            ["checkup", "--help"],
            ["usage: judge-studio checkup", "--suite {evalbiasbench,hhh}", str(Path("..") / "shared" / "data")],
            id="checkup --help",
        ),
    ],
)
def test_the_judging_commands_help_loads_no_pandas_nor_the_store(
    tmp_path: Path, argv: list[str], shown: list[str]
) -> None:
    loaded, done = _loaded(tmp_path, *argv, heavy=HEAVY)  # tests/test_s16_light_cli.py's probe, more names
    assert done.returncode == 0 and "EXIT=" not in done.stderr, done.stderr
    assert loaded == [], f"judge-studio {' '.join(argv)} imported {loaded}"
    help_text = " ".join(done.stdout.split())  # argparse wraps at the terminal's width
    for words in shown:
        assert words in help_text, help_text


def test_the_light_defaults_are_the_ones_the_pipeline_and_the_checkup_use() -> None:
    """The help prints the light modules' values; the pipeline and the checkup must run with the same ones."""
    from evaluation import EvaluationPipeline
    from evaluation import defaults as light
    from evaluation.pipeline import PARTIAL_ORDER_RULES, aggregate
    from orchestration import checkup_names
    from orchestration.checkup import DEFAULT_DATA_DIR, SUITES

    parameters = inspect.signature(EvaluationPipeline.__init__).parameters
    assert parameters["rule"].default == light.DEFAULT_RULE == "sign-test"
    assert inspect.signature(aggregate).parameters["rule"].default == light.DEFAULT_RULE
    assert parameters["candidate_max_new_tokens"].default == light.DEFAULT_CANDIDATE_MAX_NEW_TOKENS == 256
    assert parameters["candidate_prompt_format"].default == light.DEFAULT_CANDIDATE_PROMPT_FORMAT == "auto"
    assert PARTIAL_ORDER_RULES == light.PARTIAL_ORDER_RULES
    assert tuple(SUITES) == checkup_names.SUITE_NAMES
    assert DEFAULT_DATA_DIR == checkup_names.DEFAULT_DATA_DIR


def test_evaluation_still_gives_its_names_from_the_package() -> None:
    """``from evaluation import EvaluationPipeline`` (PandaLM users' scripts) works with the lazy package."""
    script = (
        "import sys\n"
        "import evaluation\n"
        "assert 'evaluation.pipeline' not in sys.modules and 'pandas' not in sys.modules\n"
        "from evaluation import EvaluationPipeline, EvaluationResult, PipelineInputError\n"
        "print(EvaluationPipeline.__module__, issubclass(PipelineInputError, ValueError), 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["evaluation.pipeline", "True", "True"]
