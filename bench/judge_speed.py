"""How fast does the judge engine give verdicts, against PandaLM's released way of running?

Baseline, measured in the same run on the same prompts: plain ``model.generate`` with PandaLM's
released decoding (no sampling, 4 beams, repetition penalty 1.2), one prompt at a time. Beam search
cannot stream, so its verdict (the first output word) is only seen when the whole output is done.
Measured against it, with output lengths forced (``min_new_tokens`` = ``max_new_tokens``) so every
variant writes the same number of tokens:

* ``Judge.stream`` at batch 1, verdict written (``generate``) or chosen by one forward pass first
  (``constrained``): tokens/s and time to the first verdict token;
* ``Judge.judge_many`` at several batch sizes: judgments/s and generated tokens/s;
* ``Judge.verdict_probabilities`` (the verdict alone, one forward pass): verdicts/s at batch 1 and
  batched, single order and both orders (pairs/s);
* peak memory: CUDA ``max_memory_allocated`` per variant; on the CPU the process's peak RSS so far
  (``getrusage``; it only grows, so later rows include earlier peaks).

Every variant gets a warm-up call before timing; figures are medians of ``--repeats`` passes.
Prints a table last and writes JSON to ``--out`` (with the load average before and after: other
work on a shared machine slows every row).

CPU threads default to 1: on a shared 2-core machine, torch's two-thread kernels wait for whichever
thread another process pre-empts, and the same judgment took 5-20x longer (and varied as much)
than with one thread. On a dedicated machine pass ``--threads N``. The defaults (4 prompts, 32
new tokens, batch sizes 1 and 4, 3 repeats) take about 5 minutes on such a CPU; the first line
below is that run, the second a fuller one (about 15 minutes there).

    python bench/judge_speed.py --device cpu --out bench-results            # the demo judge (SmolLM2-135M)
    python bench/judge_speed.py --device cpu --prompts 8 --batch-sizes 1,4,8 --out bench-results  # fuller
    python bench/judge_speed.py --device cuda --model llama7b-random --out bench-results

``llama7b-random`` builds a random-weight model of LLaMA-7B's shape (``LlamaConfig``) on the GPU,
saves it to a temporary folder and loads it through ``load_judge`` (NF4 via bitsandbytes by
default): speed does not depend on weight values, and no 7B weights have to travel. Its tokenizer
is ``--tokenizer`` (a folder) or the demo judge's (vocabulary 49,152 instead of LLaMA's 32,000).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from annotation_store import load_demo_dataset  # noqa: E402
from judge_runtime import DEMO_MODEL, Judge, PairCase, load_judge  # noqa: E402
from judge_runtime.profiles import swapped  # noqa: E402

RELEASED = {"num_beams": 4, "repetition_penalty": 1.2, "do_sample": False, "early_stopping": True}
LLAMA_7B_SHAPE: dict[str, Any] = {
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-6,
}


@dataclass
class Row:
    """One measured variant. Throughputs are medians over repeats; None where a figure does not apply."""

    variant: str
    batch: int
    judgments_per_s: float | None = None
    tokens_per_s: float | None = None
    time_to_verdict_s: float | None = None
    peak_memory_mb: float | None = None
    repeats: list[float] = field(default_factory=list)  # seconds per pass
    checks: dict[str, Any] = field(default_factory=dict)
    vs_baseline: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ setup


def demo_cases(n: int) -> list[PairCase]:
    """``n`` demo prompts, each with the best and the worst demo model's response (alternating order)."""
    data = load_demo_dataset()
    models = [m["name"] for m in data["models"]]
    cases = []
    for index, item in enumerate(data["prompts"][:n]):
        a, b = (models[0], models[-1]) if index % 2 == 0 else (models[-1], models[0])
        cases.append(PairCase(item["instruction"], item["responses"][a], item["responses"][b], input=item["input"]))
    return cases


def random_llama(tokenizer_dir: str | None, folder: Path, device: str) -> tuple[str, dict[str, Any]]:
    """Save a random-weight LLaMA-7B-shaped model (bf16) plus a tokenizer into ``folder``; return it and its shape."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    if tokenizer_dir:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    else:
        from judge_runtime.loading import resolve_model_source

        source = resolve_model_source(DEMO_MODEL)
        tokenizer = AutoTokenizer.from_pretrained(str(source.directory), gguf_file=source.gguf_file)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **LLAMA_7B_SHAPE,
    )
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    parameters = sum(p.numel() for p in model.parameters())
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return str(folder), {**LLAMA_7B_SHAPE, "vocab_size": len(tokenizer), "parameters": parameters}


def force_length(judge: Judge, new_tokens: int) -> Judge:
    """The same loaded judge writing exactly ``new_tokens`` tokens (end-of-sequence held off until then)."""
    judge.model.generation_config.min_new_tokens = new_tokens
    return replace(judge, decoding=replace(judge.decoding, max_new_tokens=new_tokens))


def with_mode(judge: Judge, verdict_mode: str) -> Judge:
    """The same weights in another verdict mode (single order: both-orders averaging is measured apart)."""
    return replace(judge, spec=replace(judge.spec, verdict_mode=verdict_mode, both_orders=False))


# ------------------------------------------------------------------------------------------ timing


class Clock:
    """Wall-clock timing and peak memory on one device; CUDA work is synchronised before reading the clock."""

    def __init__(self, device: str) -> None:
        import torch

        self.torch = torch
        self.cuda = device.startswith("cuda")

    def now(self) -> float:
        if self.cuda:
            self.torch.cuda.synchronize()
        return time.perf_counter()

    def reset_peak(self) -> None:
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()

    def peak_mb(self) -> float:
        if self.cuda:
            return self.torch.cuda.max_memory_allocated() / 2**20
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


Pass = Callable[[Sequence[Any]], dict[str, Any]]


def measure(
    clock: Clock, repeats: int, one_pass: Pass, items: Sequence[Any], warm_up: int = 1
) -> tuple[list[float], list[dict[str, Any]]]:
    """A warm-up pass over the first ``warm_up`` items, then ``repeats`` timed passes over all of them.

    Each pass returns its own counts (judgments, tokens, per-case figures), so warm-up figures never
    leak into the results.
    """
    one_pass(items[: max(1, warm_up)])
    seconds, counts = [], []
    clock.reset_peak()
    for _ in range(repeats):
        start = clock.now()
        counts.append(one_pass(items))
        seconds.append(clock.now() - start)
    return seconds, counts


def rate(counts: Sequence[dict[str, Any]], seconds: Sequence[float], key: str) -> float:
    return float(statistics.median(c[key] / s for c, s in zip(counts, seconds, strict=True)))


def pooled(counts: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return [value for c in counts for value in c[key]]


def baseline(judge: Judge, clock: Clock, cases: Sequence[PairCase], new_tokens: int, repeats: int) -> Row:
    """PandaLM's released decoding through plain ``model.generate``, one prompt at a time."""
    torch = clock.torch

    def one_pass(prompts: Sequence[list[int]]) -> dict[str, Any]:
        latencies: list[float] = []
        lengths: list[int] = []
        for ids in prompts:
            input_ids = torch.tensor([ids], device=judge.device)
            start = clock.now()
            with torch.inference_mode():
                out = judge.model.generate(
                    input_ids=input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    min_new_tokens=new_tokens,
                    max_new_tokens=new_tokens,
                    pad_token_id=judge.tokenizer.pad_token_id,
                    **RELEASED,
                )
            latencies.append(clock.now() - start)  # the verdict is visible only now
            lengths.append(int(out.shape[1]) - len(ids))
        return {"judgments": len(prompts), "tokens": sum(lengths), "latencies": latencies, "lengths": lengths}

    seconds, counts = measure(clock, repeats, one_pass, [judge.encode(case) for case in cases])
    return Row(
        "generate, released (4 beams, rep. 1.2)",
        1,
        judgments_per_s=rate(counts, seconds, "judgments"),
        tokens_per_s=rate(counts, seconds, "tokens"),
        time_to_verdict_s=statistics.median(pooled(counts, "latencies")),
        peak_memory_mb=clock.peak_mb(),
        repeats=seconds,
        checks={"new_tokens_per_output": sorted(set(pooled(counts, "lengths")))},
    )


def streamed(judge: Judge, clock: Clock, cases: Sequence[PairCase], repeats: int) -> Row:
    """``Judge.stream`` one case at a time: time until the verdict is on screen, and tokens/s."""

    def one_pass(items: Sequence[PairCase]) -> dict[str, Any]:
        first_seen: list[float] = []
        lengths: list[int] = []
        statuses: list[str] = []
        for case in items:
            start = clock.now()
            seen = None
            for step in judge.stream(case):
                if seen is None and step.text.strip():
                    seen = time.perf_counter() - start
                if step.result is not None:
                    lengths.append(step.result.output_tokens)
                    statuses.append(step.result.parsed.status)
            first_seen.append(seen if seen is not None else time.perf_counter() - start)
        return {
            "judgments": len(items),
            "tokens": sum(lengths),
            "first_seen": first_seen,
            "lengths": lengths,
            "statuses": statuses,
        }

    seconds, counts = measure(clock, repeats, one_pass, cases)
    return Row(
        f"stream, {judge.spec.verdict_mode}",
        1,
        judgments_per_s=rate(counts, seconds, "judgments"),
        tokens_per_s=rate(counts, seconds, "tokens"),
        time_to_verdict_s=statistics.median(pooled(counts, "first_seen")),
        peak_memory_mb=clock.peak_mb(),
        repeats=seconds,
        checks={
            "new_tokens_per_output": sorted(set(pooled(counts, "lengths"))),
            "statuses": sorted(set(pooled(counts, "statuses"))),
        },
    )


def batched(judge: Judge, clock: Clock, cases: Sequence[PairCase], batch_size: int, repeats: int) -> Row:
    """``Judge.judge_many``: judgments/s and generated tokens/s at one batch size."""

    def one_pass(items: Sequence[PairCase]) -> dict[str, Any]:
        lengths = [r.output_tokens for r in judge.judge_many(items, batch_size=batch_size)]
        return {"judgments": len(items), "tokens": sum(lengths), "lengths": lengths}

    seconds, counts = measure(clock, repeats, one_pass, cases, warm_up=batch_size)
    return Row(
        f"judge_many, {judge.spec.verdict_mode}",
        batch_size,
        judgments_per_s=rate(counts, seconds, "judgments"),
        tokens_per_s=rate(counts, seconds, "tokens"),
        peak_memory_mb=clock.peak_mb(),
        repeats=seconds,
        checks={"new_tokens_per_output": sorted(set(pooled(counts, "lengths")))},
    )


def forward_verdicts(
    judge: Judge, clock: Clock, cases: Sequence[PairCase], batch_size: int, both_orders: bool, repeats: int
) -> Row:
    """``Judge.verdict_probabilities``: the verdict alone, one forward pass per batch (pairs/s with both orders)."""

    def one_pass(items: Sequence[PairCase]) -> dict[str, Any]:
        sums: list[float] = []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            batch = [judge.encode(case) for case in chunk]  # tokenizing is part of the cost
            if both_orders:
                batch += [judge.encode(swapped(case)) for case in chunk]
            sums.extend(sum(p.values()) for p in judge.verdict_probabilities(batch))
        return {"judgments": len(items), "sums": sums}

    seconds, counts = measure(clock, repeats, one_pass, cases, warm_up=batch_size)
    per_pair = [s / len(cases) for s in seconds]
    return Row(
        f"forward verdict, {'both orders' if both_orders else 'one order'}",
        batch_size,
        judgments_per_s=rate(counts, seconds, "judgments"),
        time_to_verdict_s=statistics.median(per_pair) if batch_size == 1 else None,
        peak_memory_mb=clock.peak_mb(),
        repeats=seconds,
        checks={"probabilities_sum_to_1": all(abs(s - 1) < 1e-4 for s in pooled(counts, "sums"))},
    )


# ------------------------------------------------------------------------------------------ report


def compare(rows: list[Row]) -> None:
    """Ratios against the baseline row (the first): throughput x, and how much sooner the verdict shows."""
    base = rows[0]
    for row in rows:
        if row.judgments_per_s and base.judgments_per_s:
            row.vs_baseline["judgments_per_s"] = row.judgments_per_s / base.judgments_per_s
        if row.tokens_per_s and base.tokens_per_s:
            row.vs_baseline["tokens_per_s"] = row.tokens_per_s / base.tokens_per_s
        if row.time_to_verdict_s and base.time_to_verdict_s:
            row.vs_baseline["time_to_verdict"] = base.time_to_verdict_s / row.time_to_verdict_s


def table(rows: list[Row]) -> str:
    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    head = (
        f"{'variant':<40}{'batch':>6}{'judg/s':>9}{'x base':>8}{'tok/s':>9}{'x base':>8}"
        f"{'verdict s':>10}{'sooner':>8}{'peak MB':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.variant:<40}{r.batch:>6}{num(r.judgments_per_s, '.2f'):>9}"
            f"{num(r.vs_baseline.get('judgments_per_s'), '.2f'):>8}{num(r.tokens_per_s, '.1f'):>9}"
            f"{num(r.vs_baseline.get('tokens_per_s'), '.2f'):>8}{num(r.time_to_verdict_s, '.3f'):>10}"
            f"{num(r.vs_baseline.get('time_to_verdict'), '.1f'):>8}{num(r.peak_memory_mb, '.0f'):>9}"
        )
    return "\n".join(lines)


def environment(judge: Judge, device: str) -> dict[str, Any]:
    import torch
    import transformers

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "judge": {k: v for k, v in judge.fingerprint.items() if k != "versions"},
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name()
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--model", default="demo", help="demo, llama7b-random, or a local model folder / .gguf")
    parser.add_argument("--quantization", default="auto", help="auto (NF4 on CUDA), nf4, fp4, int8, none")
    parser.add_argument("--tokenizer", help="tokenizer folder for llama7b-random (default: the demo judge's)")
    parser.add_argument("--prompts", type=int, default=4, help="demo prompts judged per pass")
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens every output is forced to")
    parser.add_argument("--batch-sizes", default="1,4", help="judge_many batch sizes (capped at --prompts)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, help="torch CPU threads (default on the CPU: 1, see above; on CUDA: torch's choice)"
    )
    parser.add_argument("--out", required=True, help="folder for the JSON results")
    args = parser.parse_args(argv)
    batch_sizes = sorted({min(int(b), args.prompts) for b in args.batch_sizes.split(",")})
    cases = demo_cases(args.prompts)
    threads = args.threads or (1 if args.device == "cpu" else None)
    if threads:
        import torch

        torch.set_num_threads(threads)
    load_before = os.getloadavg()  # other work on a shared CPU slows every row: recorded to judge the noise

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="judge-speed-") as scratch:
        shape: dict[str, Any] | None = None
        model = DEMO_MODEL if args.model == "demo" else args.model
        if args.model == "llama7b-random":
            model, shape = random_llama(args.tokenizer, Path(scratch), args.device)
        loaded = load_judge(
            model=model,
            profile="pandalm",
            device=args.device,
            quantization=args.quantization,
            verdict_mode="constrained",  # needs the verdict token ids; the generate view shares the weights
            both_orders=False,
            max_new_tokens=args.new_tokens,
        )
        load_s = time.perf_counter() - started
        judge = force_length(loaded, args.new_tokens)
        clock = Clock(judge.device)
        generate_mode, constrained = with_mode(judge, "generate"), with_mode(judge, "constrained")

        rows = [baseline(judge, clock, cases, args.new_tokens, args.repeats)]
        print(f"baseline done ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        for variant in (generate_mode, constrained):
            rows.append(streamed(variant, clock, cases, args.repeats))
        for variant in (generate_mode, constrained):
            rows.extend(batched(variant, clock, cases, size, args.repeats) for size in batch_sizes)
        print(f"generation done ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        rows.append(forward_verdicts(judge, clock, cases, 1, False, args.repeats))
        rows.append(forward_verdicts(judge, clock, cases, len(cases), False, args.repeats))
        rows.append(forward_verdicts(judge, clock, cases, len(cases), True, args.repeats))
    compare(rows)

    report = {
        "settings": {**vars(args), "released_decoding": RELEASED},
        "model_shape": shape,
        "load_s": load_s,
        "total_s": time.perf_counter() - started,
        "environment": {
            **environment(judge, judge.device),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "rows": [asdict(r) for r in rows],
        "table": table(rows),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"judge_speed-{judge.device.replace(':', '')}-{Path(args.model).name}.json"
    (out / name).write_text(json.dumps(report, indent=1))
    print(f"\nwrote {out / name}; {report['total_s']:.0f} s in all\n")
    print(report["table"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
