"""``Judge.with_settings``: other decoding / profile settings on the loaded model, no second load;
``Studio.stream_comparison`` with chosen decoding stores a judge run of its own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from judge_runtime import JudgeInputError, PairCase, load_judge
from orchestration import CaseBrowser, Settings, Studio
from orchestration.access import AccessDenied

CASE = PairCase("Name a primary colour.", "Red.", "Banana.")


def test_with_settings_shares_the_model_and_matches_a_fresh_load(demo_judge) -> None:
    variant = demo_judge.with_settings(max_new_tokens=8)
    assert variant.model is demo_judge.model and variant.tokenizer is demo_judge.tokenizer
    assert variant._lock is demo_judge._lock  # one generation at a time on the shared weights
    assert variant.spec == replace(demo_judge.spec, max_new_tokens=8)
    fresh = load_judge(variant.spec)
    assert variant.fingerprint == fresh.fingerprint and variant.fingerprint_key == fresh.fingerprint_key
    ours, theirs = variant.judge(CASE), fresh.judge(CASE)
    assert ours.raw_output == theirs.raw_output and ours.probabilities == theirs.probabilities
    beams = demo_judge.with_settings(decoding="released", max_new_tokens=4)
    streamed = list(beams.stream(CASE))  # transformers cannot stream beam search: it still finishes
    assert streamed[-1].result is not None and streamed[-1].result.output_tokens <= 4


def test_fingerprints_differ_exactly_where_the_settings_do(demo_judge) -> None:
    assert demo_judge.with_settings() is demo_judge
    assert demo_judge.with_settings(decoding=demo_judge.spec.decoding) is demo_judge
    base = demo_judge.fingerprint
    fast8 = demo_judge.with_settings(max_new_tokens=8).fingerprint
    assert {k for k in base if base[k] != fast8[k]} == {"decoding"}
    assert fast8["decoding"] == {**base["decoding"], "max_new_tokens": 8}
    released = demo_judge.with_settings(decoding="released").fingerprint
    assert {k for k in base if base[k] != released[k]} == {"decoding"} and released["decoding"]["num_beams"] == 4
    rater = demo_judge.with_settings(profile="mtbench-single", verdict_mode="generate", both_orders=False)
    changed = {k for k in base if base[k] != rater.fingerprint[k]}
    assert changed == {"profile", "prompt_template_hash", "decoding", "verdict_mode", "both_orders"}
    assert rater.fingerprint == load_judge(rater.spec).fingerprint
    assert rater.model is demo_judge.model and rater.profile.kind == "single"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"decoding": "turbo"}, "Unknown decoding preset 'turbo' for pandalm; choose one of released, fast"),
        ({"profile": "gpt-judge"}, "Unknown judge profile 'gpt-judge'"),
        ({"profile": "mtbench-single"}, "writes its verdict or rating last"),
        ({"verdict_mode": "guess"}, "Unknown verdict mode 'guess'"),
        ({"max_new_tokens": 0}, "max_new_tokens must be at least 1"),
    ],
)
def test_bad_settings_give_a_clear_message(demo_judge, settings: dict, message: str) -> None:
    with pytest.raises(JudgeInputError, match=message.replace("(", r"\(")):
        demo_judge.with_settings(**settings)


def test_a_run_with_other_decoding_is_stored_as_a_judge_run_of_its_own(db_path: Path, demo_judge) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: demo_judge)
    steps = list(studio.stream_comparison(2, max_new_tokens=8))
    verdict = steps[-1].verdict
    assert verdict is not None and verdict.comparison_id == 2
    variant = studio.judge_variant(max_new_tokens=8)
    assert variant is studio.judge_variant(max_new_tokens=8)  # built once per settings
    assert variant.model is demo_judge.model and variant.fingerprint_key != demo_judge.fingerprint_key
    run = studio.store.ensure_judge_run(variant.fingerprint_key, variant.fingerprint)
    assert verdict.run_id == run
    assert studio.store.judged_comparison_ids(run) == {2}
    base_run = studio.store.ensure_judge_run(demo_judge.fingerprint_key, demo_judge.fingerprint)
    assert base_run != run and 2 not in studio.store.judged_comparison_ids(base_run)
    assert studio.judge_variant() is demo_judge  # the Studio's own settings: the judge itself
    # the rater is the same model with the rating profile, not a second load
    assert studio.rater().model is demo_judge.model and studio.rater() is studio.rater()


def test_the_case_browser_checks_the_role_and_the_settings(db_path: Path, demo_judge) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: demo_judge)
    studio.store.create_annotator("rita", role="reviewer", kind="expert", password="rita-pass-1")
    studio.store.create_annotator("alice", role="annotator", kind="crowd", password="alice-pass-1")
    browser = CaseBrowser(studio)
    with pytest.raises(AccessDenied):
        list(browser.stream("alice", 2, max_new_tokens=8))
    with pytest.raises(JudgeInputError, match="Unknown decoding preset 'turbo'"):
        list(browser.stream("rita", 2, decoding="turbo"))
    steps = list(browser.stream("rita", 2, decoding="fast", max_new_tokens=8))
    assert steps[-1].verdict is not None
    assert [name for _, name in studio.decoding_choices()] == ["released", "fast"]
