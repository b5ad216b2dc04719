"""Which way of prompting the demo judge (SmolLM2-135M-Instruct, CPU) gives verdicts most often?

Judges a spread sample of the demo comparisons with each variant and prints, per variant:
parse rate (outputs with a verdict in the profile's format), share of "response 1" verdicts among
decisive ones (position bias: the sample is balanced, so 50% is unbiased), agreement with the demo
dataset's designed quality order on decisive verdicts, and seconds per judgment. Results as JSON.

    python bench/parse_rate.py [--limit 42] [--max-new-tokens 128] [--variants all] [--out results.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from annotation_store import load_demo_dataset  # noqa: E402
from annotation_store.store import demo_pairs  # noqa: E402
from judge_runtime import PairCase, load_judge  # noqa: E402

DESIGNED_ORDER = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
VARIANTS = {
    "pandalm/generate": {"profile": "pandalm", "verdict_mode": "generate"},
    "mtbench-pair/generate": {"profile": "mtbench-pair", "verdict_mode": "generate"},
    "judgelm/generate": {"profile": "judgelm", "verdict_mode": "generate"},
    "pandalm/constrained": {"profile": "pandalm", "verdict_mode": "constrained", "both_orders": False},
    "pandalm/constrained+both-orders": {"profile": "pandalm", "verdict_mode": "constrained", "both_orders": True},
}


def demo_cases(limit: int) -> list[tuple[PairCase, str]]:
    """(case, designed verdict) over every third demo comparison: all prompts, both presentation orders."""
    data = load_demo_dataset()
    models = [m["name"] for m in data["models"]]
    cases = []
    for index, item in enumerate(data["prompts"]):
        for a, b in demo_pairs(len(models), index, 3):
            case = PairCase(
                item["instruction"],
                item["responses"][models[a]],
                item["responses"][models[b]],
                input=item.get("input") or "",
                reference=item.get("reference"),
            )
            better = "1" if DESIGNED_ORDER.index(models[a]) < DESIGNED_ORDER.index(models[b]) else "2"
            cases.append((case, better))
    return cases[::3][:limit]


def measure(name: str, overrides: dict, sample: list[tuple[PairCase, str]], max_new_tokens: int) -> dict:
    judge = load_judge(max_new_tokens=max_new_tokens, **overrides)
    started = time.perf_counter()
    results = judge.judge_many([case for case, _ in sample], batch_size=4)
    elapsed = time.perf_counter() - started
    statuses = collections.Counter(r.parsed.status for r in results)
    decisive = [
        (r.parsed.verdict, better)
        for r, (_, better) in zip(results, sample, strict=True)
        if r.parsed.verdict in {"1", "2"}
    ]
    return {
        "variant": name,
        "n": len(results),
        "parse_rate": statuses["ok"] / len(results),
        "statuses": dict(statuses),
        "verdicts": dict(collections.Counter(str(r.parsed.verdict) for r in results)),
        "first_position_share": (sum(v == "1" for v, _ in decisive) / len(decisive)) if decisive else None,
        "designed_order_agreement": (sum(v == b for v, b in decisive) / len(decisive)) if decisive else None,
        "seconds_per_judgment": elapsed / len(results),
        "examples": [r.raw_output[:160] for r in results[:2]],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=42)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--variants", default="all", help="comma-separated names, or all")
    parser.add_argument("--out")
    args = parser.parse_args()
    sample = demo_cases(args.limit)
    chosen = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    rows = []
    for name in chosen:
        rows.append(measure(name, VARIANTS[name], sample, args.max_new_tokens))
        print(json.dumps(rows[-1]), flush=True)
        if args.out:
            with open(args.out, "w") as handle:
                json.dump(rows, handle, indent=1)

    def pct(x: float | None) -> str:
        return "  -" if x is None else f"{x:.0%}"

    print(f"\n{'variant':<34}{'n':>4}{'parsed':>8}{'1st pos':>9}{'designed':>10}{'s/judg.':>9}")
    for r in rows:
        print(
            f"{r['variant']:<34}{r['n']:>4}{pct(r['parse_rate']):>8}{pct(r['first_position_share']):>9}"
            f"{pct(r['designed_order_agreement']):>10}{r['seconds_per_judgment']:>9.2f}"
        )


if __name__ == "__main__":
    main()
