"""s18 notebook findings 1, 2 and 8: the Python API counts a verdict as the command line does (both orders, the
uncertain rule), refuses a text that is not a string when the case is made, and ``judge-studio --version``."""

from __future__ import annotations

import pytest

from judge_runtime import JudgeInputError, JudgeResult, JudgeSpec, PairCase, ParsedJudgment, SingleCase, with_outcome
from judge_runtime.profiles import swapped

# The tester's pair (api_swap.py): one order at a time the demo judge said "1" both ways round (position only);
# averaged over both orders its top two probabilities lie about 0.01 apart, which every CLI figure calls uncertain.
CAPITAL = PairCase("Capital of France?", "Paris", "Rome")


def result(probabilities: dict[str, float] | None, verdict: str | None = "1", status: str = "ok") -> JudgeResult:
    parsed = ParsedJudgment(verdict=verdict, status=status)  # type: ignore[arg-type]
    return JudgeResult(parsed, "1", 10, 1, 0.1, probabilities=probabilities)


# ---------------------------------------------------------------- no model


def test_the_uncertain_rule_of_judge_is_the_command_lines() -> None:
    from orchestration.service import run_status

    close = result({"1": 0.389, "2": 0.380, "tie": 0.231})
    got = with_outcome(close)
    assert (got.parsed.status, got.parsed.verdict, got.leaning, got.uncertain_margin) == ("uncertain", None, "1", 0.1)
    assert run_status(close, 0.1) == got.parsed.status  # what `judge-studio judge` counts for the same result
    clear = with_outcome(result({"1": 0.7, "2": 0.2, "tie": 0.1}))
    assert (clear.parsed.status, clear.parsed.verdict, clear.leaning) == ("ok", "1", None)
    assert with_outcome(close, 0).parsed.status == "ok"  # 0 turns the rule off, as --uncertain-margin 0
    generated = with_outcome(result(None))  # a generated verdict carries no probabilities: never uncertain
    assert generated.parsed.status == "ok" and generated.parsed.verdict == "1"
    unparsed = with_outcome(result({"1": 0.34, "2": 0.33, "tie": 0.33}, verdict=None, status="unparsed"))
    assert unparsed.parsed.status == "unparsed"
    with pytest.raises(JudgeInputError, match=r"uncertain_margin must lie in \[0, 1\), got 1"):
        with_outcome(close, 1)


def test_judge_spec_judges_both_orders_unless_told_otherwise() -> None:
    assert JudgeSpec().both_orders is True  # as the settings table's default (the CLI, the app, the pipeline)
    assert JudgeSpec(both_orders=False).both_orders is False


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: PairCase("What is 2+2?", None, "5"), "Response 1 must be text, got None."),  # type: ignore[arg-type]
        (lambda: PairCase("What is 2+2?", "4", True), "Response 2 must be text, got bool True."),  # type: ignore[arg-type]
        (lambda: PairCase(None, "4", "5"), "The instruction must be text, got None."),  # type: ignore[arg-type]
        (lambda: PairCase("What is 2+2?", 4, "5"), "Response 1 must be text, got int 4."),  # type: ignore[arg-type]
        (lambda: PairCase("q", "4", "5", input=None), "The input must be text, got None."),  # type: ignore[arg-type]
        (lambda: PairCase("q", "4", "5", reference=3), "The reference must be text, got int 3."),  # type: ignore[arg-type]
        (lambda: SingleCase("q", None), "The response must be text, got None."),  # type: ignore[arg-type]
    ],
)
def test_a_text_that_is_not_a_string_is_refused_when_the_case_is_made(make, said) -> None:
    with pytest.raises(JudgeInputError) as caught:
        make()
    assert str(caught.value) == said
    assert isinstance(caught.value, ValueError)  # scripts' `except ValueError` catches it, as the empty-text errors


def test_cases_with_text_and_no_reference_are_made_as_before() -> None:
    case = PairCase("q", "a", "b", reference=None)
    assert (case.input, case.reference) == ("", None)
    assert PairCase("", "a", "b").instruction == ""  # an empty text is refused by judge(), with its own message


def test_version_prints_the_package_version_without_loading_heavy_modules(tmp_path) -> None:
    from importlib.metadata import version

    from test_s16_light_cli import _loaded

    from annotation_store.db import head_revision

    loaded, done = _loaded(tmp_path, "--version", heavy=("sklearn", "scipy", "torch", "gradio", "pandas", "alembic"))
    assert done.stdout.strip() == f"judge-studio {version('judge-studio')} (database schema {head_revision()})"
    assert "usage" not in done.stderr and "EXIT=" not in done.stderr
    assert loaded == []


# ---------------------------------------------------------------- the real demo judge (no reason written)


@pytest.mark.model
def test_readme_three_lines_judge_both_orders_and_say_uncertain(quick_judge) -> None:
    """The README's ``load_judge(verdict_mode="constrained")``, sharing the session's model; one new token, so no
    reason is generated (only the verdict's forward pass)."""
    from orchestration.service import run_status

    judge = quick_judge.with_settings(max_new_tokens=1)
    assert judge.spec.both_orders and judge.fingerprint["both_orders"]
    got, mirrored = judge.judge(CAPITAL), judge.judge(swapped(CAPITAL))
    assert got.both_orders and got.probabilities is not None and mirrored.probabilities is not None
    assert got.probabilities["1"] == pytest.approx(mirrored.probabilities["2"], abs=1e-5)  # no position preference
    # the same pair as `judge-studio judge` counts it: the stored (raw) result read by the CLI's rule
    (raw,) = judge.judge_many([CAPITAL])
    assert got.parsed.status == run_status(raw, 0.1)
    assert got.parsed.status == "uncertain" and got.parsed.verdict is None
    assert got.leaning == raw.parsed.verdict and got.uncertain_margin == 0.1
    assert mirrored.parsed.status == "uncertain"


@pytest.mark.model
def test_one_order_is_kept_for_speed_and_says_so(quick_judge) -> None:
    one = quick_judge.with_settings(max_new_tokens=1, both_orders=False)
    assert one.fingerprint["both_orders"] is False
    shown, flipped = one.judge(CAPITAL), one.judge(swapped(CAPITAL))
    assert not shown.both_orders and shown.probabilities is not None and flipped.probabilities is not None
    # one order at a time the judge prefers a position: the mirrored case does not mirror its probabilities
    assert abs(shown.probabilities["1"] - flipped.probabilities["2"]) > 0.01
