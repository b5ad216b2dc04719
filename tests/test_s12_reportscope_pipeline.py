"""Task s12 "reportscope", item 3: the pipeline's Bradley-Terry ranking when almost every verdict is uncertain.

Tester "presenter" (finding 3) ran the README's snippet on three candidates and two inputs (files rebuilt
here); the demo judge gave 5 uncertain verdicts and one tie (b vs c). results.json left candidate a out of
the ranking and gave b and c "strength 0.0 [0.0, 0.0]". Every candidate must be listed, with null
strengths and a reason, since Ford's condition (``analysis.bt_existence``) fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation.pipeline import aggregate
from evaluation.summary import summary_text

INPUTS = [
    {"instruction": "What is the capital of France?", "input": ""},
    {"instruction": "Translate to German", "input": "Good morning"},
]
CANDIDATES = {
    "a": ["Paris.", "Guten Morgen."],
    "b": ["Lyon", "Good morning in German is Guten Tag"],
    "c": ["I don't know.", "Bonjour"],
}
# the judge's verdicts in the tester's results.json: (item, model1, model2, verdict, status, p1, p2, ptie)
JUDGED = [
    (0, "a", "b", None, "uncertain", 0.3997, 0.3654, 0.2349),
    (1, "a", "b", None, "uncertain", 0.3414, 0.3258, 0.3328),
    (0, "a", "c", None, "uncertain", 0.4054, 0.4178, 0.1768),
    (1, "a", "c", None, "uncertain", 0.3304, 0.3363, 0.3333),
    (0, "b", "c", None, "uncertain", 0.3676, 0.3947, 0.2377),
    (1, "b", "c", "tie", "ok", 0.2619, 0.2907, 0.4474),
]


def _samples(tmp_path: Path) -> list[dict[str, Any]]:
    (tmp_path / "inputs.json").write_text(json.dumps(INPUTS), encoding="utf-8")
    for name, outputs in CANDIDATES.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(outputs), encoding="utf-8")
    inputs = json.loads((tmp_path / "inputs.json").read_text(encoding="utf-8"))
    rows = []
    for item, m1, m2, verdict, status, p1, p2, ptie in JUDGED:
        first = json.loads((tmp_path / f"{m1}.json").read_text(encoding="utf-8"))[item]
        second = json.loads((tmp_path / f"{m2}.json").read_text(encoding="utf-8"))[item]
        rows.append(
            {
                "item": item,
                "model1": m1,
                "model2": m2,
                **inputs[item],
                "response1": first,
                "response2": second,
                "verdict": verdict,
                "status": status,
                "probabilities": {"1": p1, "2": p2, "tie": ptie},
                "error": None,
            }
        )
    return rows


def test_every_candidate_is_listed_with_no_strength_when_none_exists(tmp_path: Path) -> None:
    settings = {"uncertain_margin": 0.1, "n_bootstrap": 50}  # as evaluate() passes them
    result = aggregate(_samples(tmp_path), list(CANDIDATES), n_bootstrap=50, settings=settings)
    assert result.status_counts == {"ok": 1, "uncertain": 5}
    saved = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [row["model"] for row in saved["ranking"]] == ["a", "b", "c"]
    for row in saved["ranking"]:
        assert (row["strength"], row["ci_low"], row["ci_high"]) == (None, None, None)
    assert saved["ranking_note"] == "not estimable: no comparisons for a, so its strength cannot be estimated"
    text = summary_text(result)
    assert "Bradley-Terry strengths not estimable: no comparisons for a" in text
    assert "0.0" not in text.split("Bradley-Terry", 1)[1].splitlines()[0]


def test_a_connected_win_graph_keeps_its_strengths(tmp_path: Path) -> None:
    samples = _samples(tmp_path)
    decided = ["1", "2", "2", "1", "1", "2"]  # a>b, b>a, c>a, a>c, b>c, c>b: strongly connected
    for sample, verdict in zip(samples, decided, strict=True):
        sample.update(verdict=verdict, status="ok", probabilities=None)
    result = aggregate(samples, list(CANDIDATES), n_bootstrap=20)
    assert result.ranking_note is None
    assert sorted(result.ranking["model"]) == ["a", "b", "c"]
    assert result.ranking["strength"].notna().all()
