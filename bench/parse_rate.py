"""Which judge profile does the demo judge (SmolLM2-135M-Instruct) follow most often?

Judges the demo comparisons with every pairwise profile and prints the parse rate (share of outputs
with a verdict in the profile's format), the verdict distribution and the time per judgment.

    python bench/parse_rate.py [--limit 42] [--max-new-tokens 256] [--out results.json]
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
from judge_runtime import PairCase, load_judge, profile_names  # noqa: E402


def demo_cases(limit: int) -> list[PairCase]:
    data = load_demo_dataset()
    models = [m["name"] for m in data["models"]]
    cases = []
    for index, item in enumerate(data["prompts"]):
        for a, b in demo_pairs(len(models), index, 3):
            cases.append(
                PairCase(
                    item["instruction"],
                    item["responses"][models[a]],
                    item["responses"][models[b]],
                    input=item.get("input") or "",
                    reference=item.get("reference"),
                )
            )
    # every third case: spread over all prompts and categories
    return cases[::3][:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=42)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--out")
    args = parser.parse_args()
    cases = demo_cases(args.limit)
    rows = []
    for profile in profile_names():
        judge = load_judge(profile=profile, max_new_tokens=args.max_new_tokens)
        started = time.perf_counter()
        results = judge.judge_many(cases, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        statuses = collections.Counter(r.parsed.status for r in results)
        verdicts = collections.Counter(str(r.parsed.verdict) for r in results)
        rows.append(
            {
                "profile": profile,
                "n": len(results),
                "parse_rate": statuses["ok"] / len(results),
                "statuses": dict(statuses),
                "verdicts": dict(verdicts),
                "seconds_per_judgment": elapsed / len(results),
                "examples": [r.raw_output[:200] for r in results[:3]],
            }
        )
        print(json.dumps(rows[-1], indent=1), flush=True)
    print(f"\n{'profile':<14}{'n':>4}{'parsed':>9}{'s/judgment':>12}  verdicts")
    for r in rows:
        print(
            f"{r['profile']:<14}{r['n']:>4}{r['parse_rate']:>9.0%}{r['seconds_per_judgment']:>12.2f}  {r['verdicts']}"
        )
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
