"""``analysis`` loads its public names on first use (s15 novicefix1: ``--help`` without scikit-learn and SciPy).
Three names are also submodules (``partial_order``, ``alt_test``, ``judge_vs_people``): importing the submodule
first must not turn ``from analysis import partial_order`` into the module (statsverify: "'module' object is not
callable"), as the eager imports before never did. In a fresh interpreter, so the order of imports is this test's."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import analysis.partial_order, analysis.alt_test, analysis.judge_vs_people  # the submodules first
from analysis import alt_test, judge_vs_people, partial_order
import analysis
assert all(callable(f) and not isinstance(f, type(analysis)) for f in (alt_test, judge_vs_people, partial_order))
assert analysis.partial_order is partial_order
from analysis.partial_order import PartialOrder  # the submodule itself still imports by its dotted name
print("ok")
"""


def test_submodule_names_stay_the_functions_after_the_submodules_are_imported() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_defaults_load_without_scikit_learn_or_scipy() -> None:
    script = "import sys, analysis.defaults; print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
