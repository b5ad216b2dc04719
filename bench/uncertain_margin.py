"""How far apart must a judge's top two verdict probabilities be for its verdict to count?

Measures the demo judge (SmolLM2-135M-Instruct, PandaLM profile, constrained verdicts) on every
demo comparison in both presentation orders, with exactly the forward pass the app uses (one pass,
the verdict words' probabilities at the first output position), and prints:

* the app's verdict probabilities (both orders averaged, as the demo judge stores them) and the
  distribution of their margin (top minus second of p(1), p(2), p(tie));
* the order-to-order noise: for the same response, |p(it wins) as shown - p(it wins) with the two
  responses swapped|, i.e. |p(1) shown - p(2) swapped|; and what is left of it once the judge's
  constant position bias is taken out (the noise that averaging the two orders does not remove):
  with x = p(1) - p(2) as shown and y = the same preference read from the swapped order (canonical
  labels), x = s + b + e1 and y = s - b + e2 for a true preference s and a position bias b; the
  averaged preference (x + y) / 2 = s + (e1 + e2) / 2 carries noise of the same size as
  |(x - y) / 2 - median((x - y) / 2)|, the residual order-to-order noise;
* for candidate margins: the share of verdicts that become uncertain and the agreement of the
  remaining decisive verdicts with the demo dataset's designed quality order.

    PYTHONPATH=. python bench/uncertain_margin.py [--limit 126] [--batch-size 8] [--out results.json]
    PYTHONPATH=. python bench/uncertain_margin.py --reuse results.json   # the summary again, no model

No reasons are generated (only the verdict's forward pass: 252 prompts for the 126 comparisons);
that took 8 minutes on two shared CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from analysis.verdicts import top_two_margin  # noqa: E402
from annotation_store import load_demo_dataset  # noqa: E402
from annotation_store.store import demo_pairs  # noqa: E402
from judge_runtime import PairCase, load_judge  # noqa: E402
from judge_runtime.base import average_orders  # noqa: E402
from judge_runtime.profiles import swapped  # noqa: E402

DESIGNED_ORDER = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
CANDIDATES = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2)
PER_PROMPT = 3  # the demo seed's comparisons per prompt (126 = 42 prompts x 3)


def demo_cases(limit: int) -> list[tuple[PairCase, str]]:
    """(case, designed verdict) for the demo dataset's comparisons, in the seed's order."""
    data = load_demo_dataset()
    models = [m["name"] for m in data["models"]]
    cases = []
    for index, item in enumerate(data["prompts"]):
        for a, b in demo_pairs(len(models), index, PER_PROMPT):
            case = PairCase(
                item["instruction"],
                item["responses"][models[a]],
                item["responses"][models[b]],
                input=item.get("input") or "",
                reference=item.get("reference"),
            )
            better = "1" if DESIGNED_ORDER.index(models[a]) < DESIGNED_ORDER.index(models[b]) else "2"
            cases.append((case, better))
    return cases[:limit]


def probabilities(cases: list[PairCase], batch_size: int) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Per case, the verdict probabilities as shown and with the two responses swapped (swapped order's
    own labels: its "1" is the canonical response 2)."""
    judge: Any = load_judge(profile="pandalm", verdict_mode="constrained", both_orders=False)
    shown: list[dict[str, float]] = []
    other: list[dict[str, float]] = []
    for start in range(0, len(cases), batch_size):
        part = cases[start : start + batch_size]
        ids = [judge.encode(c) for c in part] + [judge.encode(swapped(c)) for c in part]
        both = judge.verdict_probabilities(ids)
        shown += both[: len(part)]
        other += both[len(part) :]
    return shown, other


def quantiles(values: np.ndarray) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(values, q)), 4) for q in (10, 25, 50, 75, 90)}


def summarise(shown: list[dict[str, float]], other: list[dict[str, float]], designed: list[str]) -> dict[str, Any]:
    averaged = [average_orders(a, b) for a, b in zip(shown, other, strict=True)]
    table = np.array([[p["1"], p["2"], p["tie"]] for p in averaged])
    margin = top_two_margin(table)
    verdict = np.array(["1", "2", "tie"])[table.argmax(axis=1)]
    noise = np.array([abs(a["1"] - b["2"]) for a, b in zip(shown, other, strict=True)])
    noise_other = np.array([abs(a["2"] - b["1"]) for a, b in zip(shown, other, strict=True)])
    x = np.array([a["1"] - a["2"] for a in shown])  # preference for canonical response 1, shown first
    y = np.array([b["2"] - b["1"] for b in other])  # the same preference with it shown second
    half = (x - y) / 2
    position_bias = float(np.median(half))
    residual = np.abs(half - position_bias)
    single_margin = top_two_margin(np.array([[p["1"], p["2"], p["tie"]] for p in shown]))
    candidates = []
    for threshold in CANDIDATES:
        counts = margin >= threshold
        decisive = counts & np.isin(verdict, ["1", "2"])
        agree = int((verdict[decisive] == np.array(designed)[decisive]).sum())
        candidates.append(
            {
                "margin": threshold,
                "uncertain": int((~counts).sum()),
                "uncertain_share": round(float((~counts).mean()), 3),
                "decisive_left": int(decisive.sum()),
                "agree_with_designed": round(agree / decisive.sum(), 3) if decisive.sum() else None,
            }
        )
    return {
        "n": len(shown),
        "averaged_margin": quantiles(margin),
        "averaged_top_probability": quantiles(table.max(axis=1)),
        "share_top_below_half": round(float((table.max(axis=1) < 0.5).mean()), 3),
        "one_order_margin": quantiles(single_margin),
        "order_noise_p1_shown_vs_p2_swapped": quantiles(noise),
        "order_noise_p2_shown_vs_p1_swapped": quantiles(noise_other),
        "position_bias_median": round(position_bias, 4),
        "residual_order_noise": quantiles(residual),
        "first_position_p1_shown_mean": round(statistics.fmean(p["1"] for p in shown), 4),
        "verdicts": {label: int((verdict == label).sum()) for label in ("1", "2", "tie")},
        "candidates": candidates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=126)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", help="write the per-comparison probabilities and the summary as JSON")
    parser.add_argument("--reuse", help="read the probabilities from an earlier --out file instead of judging")
    args = parser.parse_args()
    sample = demo_cases(args.limit)
    started = time.perf_counter()
    if args.reuse:
        with open(args.reuse, encoding="utf-8") as saved:
            earlier = json.load(saved)
        shown, other = earlier["shown"][: args.limit], earlier["swapped"][: args.limit]
    else:
        shown, other = probabilities([case for case, _ in sample], args.batch_size)
    elapsed = time.perf_counter() - started
    summary = summarise(shown, other, [better for _, better in sample]) | {"seconds": round(elapsed, 1)}
    print(json.dumps(summary, indent=2))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            json.dump({"summary": summary, "shown": shown, "swapped": other}, out, indent=1)


if __name__ == "__main__":
    main()
