"""The commands that only read the store, and the ``--help`` of the commands that judge, load neither
scikit-learn nor SciPy, torch or Gradio (s16 lazyimports). ``users list`` took 2.5 s, 1.5 s of it importing
scikit-learn and SciPy through ``orchestration/__init__`` -> ``admin`` -> ``interchange.importers`` ->
``analysis.report_text`` -> ``analysis.agreement``; every test that runs the CLI in a subprocess paid it too.

Each command runs in a fresh interpreter (a temporary JUDGE_STUDIO_HOME), so what one loads is its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "scipy", "torch", "gradio")
# The command line, as `judge-studio` runs it (SystemExit of --help and of errors caught), then the heavy modules
# still in sys.modules at the end.
PROBE = """
import json, sys
from cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code not in (0, None):
        print("EXIT=" + str(exc.code), file=sys.stderr)
print("LOADED=" + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(
    home: Path, *argv: str, heavy: tuple[str, ...] = HEAVY
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """The ``heavy`` modules loaded once ``judge-studio ARGV`` has run (in a fresh Python), and its process."""
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    lines = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")]
    assert lines, done.stderr
    return json.loads(lines[-1].removeprefix("LOADED=")), done


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["users", "list"], "No accounts yet: add one with `judge-studio users add NAME`"),
        (["datasets", "list"], ""),
        (["gold", "list"], ""),
        (["evaluate", "--help"], "usage: judge-studio evaluate"),
        (["checkup", "--help"], "usage: judge-studio checkup"),
        (["import", "--help"], "usage: judge-studio import"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_store_reads_and_the_judging_commands_help_load_no_statistics_model_or_ui(
    tmp_path: Path, argv: list[str], shown: str
) -> None:
    loaded, done = _loaded(tmp_path, *argv)
    assert done.returncode == 0 and "EXIT=" not in done.stderr, done.stderr
    assert loaded == [], f"judge-studio {' '.join(argv)} imported {loaded}"
    assert shown in done.stdout + done.stderr


def test_the_figures_still_load_their_libraries_when_asked(tmp_path: Path) -> None:
    """The other side: the statistics are imported where they are used, so a report does load them."""
    script = (
        "import sys, pandas as pd\n"
        "from analysis import human_judge_agreement\n"
        "assert 'sklearn' not in sys.modules\n"
        "labels = pd.DataFrame({'comparison_id': [1, 2, 3], 'annotator': ['a'] * 3, 'verdict': ['1', '2', '1']})\n"
        "verdicts = pd.DataFrame({'comparison_id': [1, 2, 3], 'verdict': ['1', '2', '2'], 'status': ['ok'] * 3})\n"
        "agreement = human_judge_agreement(labels, verdicts)\n"
        "print(round(agreement.accuracy, 3), 'sklearn' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0.667", "True"]
