"""PandaLM's three-line evaluation API, on Judge Studio's judge and analysis.

::

    from evaluation import EvaluationPipeline
    pipeline = EvaluationPipeline(candidate_paths=["a.json", "b.json", "c.json"], input_data_path="inputs.json")
    result = pipeline.evaluate()      # verdicts per sample, win/lose/tie table, ranking, partial order
    result.save("out.json")

Why it exists: PandaLM users have scripts built on ``EvaluationPipeline``; this keeps their call
shape while fixing what upstream gets wrong (it never writes ``output_data_path``, crashes when
``input_data_path`` is omitted, reads only the first output line and turns anything unparseable
into a tie). Candidates are JSON files of responses: a list of strings aligned with the inputs
(PandaLM) or AlpacaEval ``model_outputs.json`` records (``instruction, output, generator``); or
models (``"smollm2-demo"``, a transformers folder, a ``.gguf`` file, a hub id already in the cache)
whose responses ``evaluate()`` first generates locally, one model at a time, before loading the judge
(greedy, up to ``candidate_max_new_tokens``, in the model's chat template or PandaLM's Alpaca
template: see :mod:`judge_runtime.generation`).

Everything is checked in the constructor, before a judge model is loaded, so a wrong file fails in
a second rather than after minutes of loading. The statistics (win table, partial order,
Bradley-Terry ranking, swap consistency, the two-order combination rule) come from
``analysis.statistics``: written once, shared with the dashboard and the metrics report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import (
    ALPHA,
    LABELS,
    N_BOOTSTRAP,
    JudgeRun,
    PartialOrder,
    ReportInputs,
    ReportOptions,
    SwapConsistency,
    build_report,
    combine_orders,
)
from analysis.bt_existence import unestimable
from analysis.defaults import SEED, UNCERTAIN_MARGIN
from analysis.partial_order import order_dict
from analysis.report_text import counted
from analysis.verdicts import UNCERTAIN, outcome
from evaluation.defaults import (
    DEFAULT_CANDIDATE_MAX_NEW_TOKENS,
    DEFAULT_CANDIDATE_PROMPT_FORMAT,
    DEFAULT_RULE,
    PARTIAL_ORDER_RULES,
)
from judge_runtime import Judge, JudgeInputError, JudgeLoadError, JudgeResult, JudgeSpec, PairCase
from judge_runtime.factory import check_profile_kind
from judge_runtime.generation import PROMPT_FORMATS, candidate_name
from judge_runtime.loading import resolve_model_source
from judge_runtime.profiles import swapped as swap_case
from judge_runtime.profiles import unswap
from settings import Settings, judge_spec
from settings.table import BY_NAME, checked_statistics

DEFAULT_BATCH_SIZE: int = BY_NAME["batch_size"].value()
ProgressCallback = Callable[[int, int], None]
GenerationCallback = Callable[[str, int, int], None]  # (candidate name, responses done, total)


class PipelineInputError(ValueError):
    """An input or candidate file cannot be used as given; the message names the file and the problem."""


# ------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Item:
    """One context to answer: PandaLM's ``{"instruction", "input"}``."""

    instruction: str
    input: str = ""


@dataclass(frozen=True)
class Candidate:
    """One candidate's responses, aligned with the items once the pipeline is built.

    A model candidate (``model`` set) has no outputs until ``EvaluationPipeline.generate()`` wrote them.
    """

    name: str
    path: Path
    outputs: tuple[str, ...]
    # AlpacaEval-style files carry their own contexts; a plain list of strings does not (None).
    items: tuple[Item, ...] | None = None
    model: str | None = None

    @property
    def needs_generation(self) -> bool:
        return self.model is not None and not self.outputs


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise PipelineInputError(f"The {what} {str(path)!r} does not exist or is not a file.")
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PipelineInputError(f"The {what} {str(path)!r} is not valid JSON: {exc}") from exc


def _text_field(record: dict[str, Any], key: str, path: Path, index: int, *, required: bool) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PipelineInputError(f"{path}: entry {index} needs a non-empty string {key!r}, got {value!r}.")
    return value


def load_items(path: str | os.PathLike[str]) -> list[Item]:
    """Read a PandaLM input file: a JSON list of ``{"instruction", "input"?}`` objects."""
    file = Path(path)
    data = _read_json(file, "input data file")
    if not isinstance(data, list) or not data:
        raise PipelineInputError(f"{file} must hold a non-empty JSON list of {{'instruction', 'input'}} objects.")
    items = []
    for index, record in enumerate(data):
        if not isinstance(record, dict):
            raise PipelineInputError(f"{file}: entry {index} is a {type(record).__name__}, not an object.")
        items.append(
            Item(
                _text_field(record, "instruction", file, index, required=True),
                _text_field(record, "input", file, index, required=False),
            )
        )
    return items


def model_candidate(model: str) -> Candidate:
    """A candidate whose responses are generated from a local model; checked now, loaded only when generating."""
    try:
        resolve_model_source(model)
        name = candidate_name(model)
    except JudgeLoadError as exc:
        raise PipelineInputError(
            f"Candidate {model!r} is not a .json file of responses, and not a usable model either: {exc}"
        ) from exc
    return Candidate(name, Path(model), (), None, model=model)


def load_candidate(path: str | os.PathLike[str]) -> Candidate:
    """Read one candidate: a JSON list of strings, AlpacaEval ``model_outputs.json`` records, or a model.

    A JSON file's name is the records' common ``generator`` when they have one, else the file name
    without ``.json``; a model's is its demo name, folder or file name, or hub id.
    """
    file = Path(path)
    if file.suffix.lower() != ".json" or file.is_dir():
        return model_candidate(str(path))
    data = _read_json(file, "candidate file")
    if not isinstance(data, list) or not data:
        raise PipelineInputError(f"{file} must hold a non-empty JSON list of responses.")
    if all(isinstance(entry, str) for entry in data):
        return Candidate(file.stem, file, tuple(data))
    if not all(isinstance(entry, dict) for entry in data):
        kinds = sorted({type(entry).__name__ for entry in data})
        raise PipelineInputError(
            f"{file} mixes {', '.join(kinds)}: expected a list of strings or a list of "
            "AlpacaEval records ({'instruction', 'output', 'generator'})."
        )
    outputs, items = [], []
    for index, record in enumerate(data):
        output = record.get("output")
        if not isinstance(output, str):
            raise PipelineInputError(f"{file}: entry {index} needs a string 'output', got {output!r}.")
        outputs.append(output)
        items.append(
            Item(
                _text_field(record, "instruction", file, index, required=True),
                _text_field(record, "input", file, index, required=False),
            )
        )
    generators = {record.get("generator") for record in data}
    generator = generators.pop() if len(generators) == 1 else None
    name = generator if isinstance(generator, str) and generator.strip() else file.stem
    return Candidate(name, file, tuple(outputs), tuple(items))


def _align(candidate: Candidate, items: Sequence[Item], source: str) -> Candidate:
    """The candidate's outputs in the order of ``items``; a clear error when they cannot be matched.

    Plain lists must have one response per item. AlpacaEval records are matched to the items by
    instruction (AlpacaEval itself joins on the instruction), so a file in another order still works.
    Model candidates answer the items themselves.
    """
    if candidate.model is not None:
        return candidate
    if len(candidate.outputs) != len(items):
        raise PipelineInputError(
            f"{candidate.path} has {counted(len(candidate.outputs), 'response')} but {source} has "
            f"{counted(len(items), 'input')}: "
            "every candidate needs exactly one response per input."
        )
    if candidate.items is None or [i.instruction for i in candidate.items] == [i.instruction for i in items]:
        return candidate
    by_instruction: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(candidate.items):
        by_instruction[item.instruction.strip()].append(position)
    order = []
    for index, item in enumerate(items):
        positions = by_instruction.get(item.instruction.strip())
        if not positions:
            raise PipelineInputError(
                f"{candidate.path} has no response to input {index} of {source} "
                f"(instruction {item.instruction[:80]!r}): its instructions do not match the inputs."
            )
        order.append(positions.pop(0))
    return dataclasses.replace(candidate, outputs=tuple(candidate.outputs[p] for p in order), items=tuple(items))


def _unique_names(candidates: Sequence[Candidate]) -> None:
    seen: dict[str, Path] = {}
    for candidate in candidates:
        if candidate.name in seen:
            raise PipelineInputError(
                f"Two candidates are both called {candidate.name!r} ({seen[candidate.name]} and {candidate.path}): "
                "give one file another name or another 'generator'."
            )
        seen[candidate.name] = candidate.path


# ------------------------------------------------------------------------------------------ results


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain JSON values (numpy scalars to Python, NaN to null)."""
    if frame.empty:
        return []
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return records


@dataclass
class EvaluationResult:
    """What ``evaluate()`` found. ``samples`` holds one dict per (candidate pair, input).

    Each sample: item, model1, model2, instruction, input, response1, response2, verdict ("1": model1
    better, "2": model2 better, "tie", or None), status ("ok", "unparsed", "truncated", "error" for
    a case the judge refused (the word ``judge`` stores; why: ``error``), "incomplete" when a two-order
    sample lacks a parsed verdict in either order), reason, reference, probabilities, raw_output, tokens and
    latency; with both orders also ``orders``: the two per-order records, verdicts mapped back to canonical order.
    """

    candidates: list[str]
    samples: list[dict[str, Any]]
    win_table: pd.DataFrame
    ranking: pd.DataFrame
    partial_order: PartialOrder
    consistency: SwapConsistency | None = None
    judge: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # why the Bradley-Terry strengths do not exist (``ranking`` then lists every candidate with nulls); None: they do
    ranking_note: str | None = None

    @property
    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for sample in self.samples:
            counts[str(sample["status"])] += 1
        return dict(sorted(counts.items()))

    def as_pandalm(self) -> dict[tuple[str, str], list[int | None]]:
        """Upstream's return shape: {(candidate1, candidate2): [0 tie | 1 | 2 per input]}; None = no verdict."""
        codes: dict[str | None, int | None] = {"1": 1, "2": 2, "tie": 0, None: None}
        pairs: dict[tuple[str, str], list[int | None]] = defaultdict(list)
        for sample in self.samples:
            pairs[(sample["model1"], sample["model2"])].append(codes[sample["verdict"]])
        return dict(pairs)

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain JSON values."""
        return {
            "candidates": self.candidates,
            "judge": self.judge,
            "settings": self.settings,
            "status_counts": self.status_counts,
            "consistency": None if self.consistency is None else dataclasses.asdict(self.consistency),
            "win_table": _json_records(self.win_table),
            "ranking": _json_records(self.ranking),
            "ranking_note": self.ranking_note,
            "partial_order": order_dict(self.partial_order),
            "samples": self.samples,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_dict()`` as strict JSON (no NaN), creating parent folders; the file appears whole or not at all.

        Written to a temporary file beside the target and renamed, so a crash never leaves half a result.
        The file gets the usual permissions (0666 less the umask, as ``open`` gives, so 0644 mostly):
        results are shared with colleagues like the ``metrics`` JSON and the exports, and hold nothing
        secret (``tempfile.mkstemp`` would have made them 0600).
        """
        target = check_output_path(path)
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False, allow_nan=False)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
            handle = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise PipelineInputError(f"Cannot write the results to {str(target)!r}: {exc.strerror}.") from exc
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            os.replace(staging, target)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        return target


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, or a PipelineInputError naming it when results could not be written there: a
    folder, a file standing where a parent folder should be, or a folder that cannot be written.

    The pipeline checks this before generating or judging anything, so hours of judging are not lost
    to a typo in ``--output`` (missing parent folders are created, as ``save`` documents).
    """
    target = Path(path)
    if target.is_dir():
        raise PipelineInputError(
            f"The output {str(target)!r} is a folder: name a file, e.g. {str(target / 'results.json')!r}."
        )
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise PipelineInputError(f"Cannot write the output {str(target)!r}: {str(existing)!r} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise PipelineInputError(f"Cannot write the output {str(target)!r}: permission denied.")
    return target


def _mirror(probabilities: dict[str, float] | None) -> dict[str, float] | None:
    """Probabilities from the swapped presentation, expressed in canonical order."""
    if probabilities is None:
        return None
    return {"1": probabilities["2"], "2": probabilities["1"], "tie": probabilities["tie"]}


def _combine_samples(samples: list[dict[str, Any]], margin: float) -> list[dict[str, Any]]:
    """Fill each two-order sample's verdict by the documented rule (``analysis.combine_orders``), and
    apply the uncertain rule (``analysis.verdicts.outcome``, the one the report and every page use).

    Rule: both orders agree -> that verdict; one "1" and one "2", or a tie and a decisive verdict ->
    "tie"; a sample without a parsed verdict in both orders -> verdict None, status "incomplete"
    (a parse failure is never turned into a vote). Per-order records keep their own status. A verdict
    whose top two probabilities lie closer than ``margin`` (either order's, for two-order samples) gets
    status "uncertain", verdict None and its verdict in ``leaning``: neither a win nor a tie.
    """
    per_order = _order_rows(samples)
    combined = combine_orders(per_order, margin=margin).set_index("comparison_id")
    result = []
    for index, sample in enumerate(samples):
        if index in combined.index:
            verdict, leaning = combined.at[index, "verdict"], combined.at[index, "leaning"]
            status = str(combined.at[index, "status"])
            sample = {**sample, "verdict": verdict if verdict in LABELS else None, "status": status}
            sample["leaning"] = leaning if leaning in LABELS else None
        elif outcome(sample["verdict"], sample["status"], sample.get("probabilities"), margin) == UNCERTAIN:
            sample = {**sample, "verdict": None, "status": UNCERTAIN, "leaning": sample["verdict"]}
        result.append(sample)
    return result


def _order_rows(samples: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per per-order record of the two-order samples: comparison_id (the sample's index),
    swapped, verdict (canonical order), status, probabilities (canonical order, for the uncertain rule)."""
    rows = [
        {**{key: order.get(key) for key in _ORDER_COLUMNS if key != "comparison_id"}, "comparison_id": index}
        for index, sample in enumerate(samples)
        for order in sample.get("orders") or []
    ]
    return pd.DataFrame(rows, columns=_ORDER_COLUMNS)


def _report_inputs(samples: Sequence[dict[str, Any]], judge: dict[str, Any]) -> ReportInputs:
    """The samples as the report builder's rows: one comparison per sample, one judge run whose
    verdicts are the per-order records (two-order samples) or the sample's own verdict."""
    comparisons = pd.DataFrame(
        {
            "id": range(len(samples)),
            "prompt": [str(s.get("item", i)) for i, s in enumerate(samples)],
            "category": "",
            "model1": [s["model1"] for s in samples],
            "model2": [s["model2"] for s in samples],
            "response1": [str(s.get("response1", "")) for s in samples],
            "response2": [str(s.get("response2", "")) for s in samples],
        }
    )
    single = [
        {"comparison_id": i, "swapped": False, "verdict": s["verdict"], "status": s["status"], "probabilities": None}
        for i, s in enumerate(samples)
        if not s.get("orders")
    ]
    verdicts = pd.concat([pd.DataFrame(single, columns=_ORDER_COLUMNS), _order_rows(samples)], ignore_index=True)
    verdicts = verdicts.assign(run_id=0).sort_values(["comparison_id", "swapped"], kind="stable", ignore_index=True)
    fingerprint = judge.get("fingerprint") or {}
    run = JudgeRun(0, str(fingerprint.get("model", "judge")), str(fingerprint.get("profile", "")), "", fingerprint)
    labels = pd.DataFrame(columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"])
    return ReportInputs(None, comparisons, labels, verdicts, [run])


_ORDER_COLUMNS = ["comparison_id", "swapped", "verdict", "status", "probabilities"]


def aggregate(
    samples: Sequence[dict[str, Any]],
    candidates: Sequence[str],
    *,
    alpha: float = ALPHA,
    rule: str = DEFAULT_RULE,
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = SEED,
    judge: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    uncertain_margin: float = UNCERTAIN_MARGIN,
) -> EvaluationResult:
    """The counting half of ``evaluate()``, apart so verdicts from anywhere can be summarised without a model.

    ``samples`` need model1, model2, verdict, status; samples with ``orders`` (two per-order records:
    swapped, verdict in canonical order, status) get their verdict from the two orders first. Only
    samples with status "ok" count in the win table, partial order and ranking. The figures come from
    ``analysis.build_report`` (the report behind ``metrics --json`` and the dashboard): the verdict
    that counts is the combined one where both orders were judged, and swap consistency is measured
    on the per-order verdicts, or reported as not measured when the judge averaged both orders itself
    (``judge["fingerprint"]["both_orders"]``). ``uncertain_margin``: a verdict whose top two probabilities
    lie closer than this is uncertain (status "uncertain", ``leaning``), neither a win nor a tie, as in
    every page and export (``analysis.verdicts``; 0 turns it off).
    """
    if rule not in PARTIAL_ORDER_RULES:
        raise ValueError(f"Unknown partial-order rule {rule!r}; use one of {', '.join(PARTIAL_ORDER_RULES)}.")
    checked_statistics(alpha, n_bootstrap, flags=False)
    combined = _combine_samples(list(samples), uncertain_margin)
    has_orders = any(s.get("orders") for s in combined)
    options = ReportOptions(
        alpha=alpha,
        n_bootstrap=n_bootstrap,
        seed=seed,
        order_rule=rule,
        counted_order="combined" if has_orders else "original",
        uncertain_margin=uncertain_margin,
    )
    report = build_report(_report_inputs(combined, judge or {}), options)
    section = report.judges[0]
    order = section.ranking.order
    everyone = sorted(set(candidates) | set(order.models))
    if everyone != order.models:  # a candidate without any parsed verdict still belongs in the order
        order = dataclasses.replace(order, models=everyone)
    ranking, ranking_note = _every_candidate_ranked(section.ranking.bradley_terry, combined, everyone)
    return EvaluationResult(
        candidates=list(candidates),
        samples=combined,
        win_table=section.ranking.wins,
        ranking=ranking,
        ranking_note=ranking_note,
        partial_order=order,
        consistency=section.position if has_orders else None,
        judge=judge or {},
        settings=settings or {},
    )


def _every_candidate_ranked(
    strengths: pd.DataFrame, samples: Sequence[dict[str, Any]], candidates: Sequence[str]
) -> tuple[pd.DataFrame, str | None]:
    """The Bradley-Terry table with every candidate in it, and why there are no strengths when there are
    none. Whether strengths exist is the report's rule (``analysis.bt_existence``: Ford's condition on the
    win graph of the verdicts that count), applied to every candidate, so a candidate without a verdict that
    counts is not left out while the others show "0.0 [0.0, 0.0]" as if certain (tester report s12
    "presenter", finding 3). Where they do not exist: strength and interval null for everyone, and the note."""
    columns = ["model", "strength", "ci_low", "ci_high"]
    counted = [s for s in samples if s.get("status") == "ok" and s.get("verdict") in ("1", "2", "tie")]
    share = {"1": 1.0, "2": 0.0, "tie": 0.5}
    outcomes = [(str(s["model1"]), str(s["model2"]), share[str(s["verdict"])]) for s in counted]
    outcomes = [o for o in outcomes if o[0] != o[1]]
    why = unestimable(list(candidates), outcomes) if candidates else None
    if why is None and len(strengths) == len(candidates):
        return strengths, None
    if why is None:  # cannot happen (a candidate without outcomes is unestimable), kept total
        why = "not every candidate has a verdict that counts"
    if not counted:
        why = "no verdict counts (every one uncertain, unparsed or refused)"
    note = f"not estimable: {why}"
    table = pd.DataFrame({"model": sorted(str(c) for c in candidates)}).reindex(columns=columns)
    return table.astype({"strength": float, "ci_low": float, "ci_high": float}), note


# ------------------------------------------------------------------------------------------ pipeline


def _result_fields(result: JudgeResult) -> dict[str, Any]:
    parsed = result.parsed
    return {
        "verdict": parsed.verdict,
        "status": parsed.status,
        "reason": parsed.reason,
        "reference": parsed.reference,
        "probabilities": result.probabilities,
        "raw_output": result.raw_output,
        "prompt_tokens": result.prompt_tokens,
        "output_tokens": result.output_tokens,
        "latency_s": result.latency_s,
    }


# A sample the judge refused (empty response, too long for the model): same keys, no judgment.
_NOT_JUDGED: dict[str, Any] = {
    "verdict": None,
    "status": "error",  # the word `judge` stores for the same case
    "reason": "",
    "reference": "",
    "probabilities": None,
    "raw_output": "",
    "prompt_tokens": None,
    "output_tokens": None,
    "latency_s": None,
}


def _order_record(result: JudgeResult, *, swapped: bool) -> dict[str, Any]:
    """One presentation order's judgment; the verdict mapped back so "1" always means model1."""
    record = {"swapped": swapped, **_result_fields(result), "shown_verdict": result.parsed.verdict}
    if swapped:
        record["verdict"] = unswap(result.parsed.verdict)
        record["probabilities"] = _mirror(result.probabilities)
    return record


def _both_orders_fields(original: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Sample-level fields for a two-order sample (the verdict is filled in by ``aggregate``)."""
    p, q = original["probabilities"], other["probabilities"]
    return {
        "verdict": None,
        "status": "incomplete",
        "reason": original["reason"],
        "reference": original["reference"],
        "probabilities": None if p is None or q is None else {k: (p[k] + q[k]) / 2 for k in p},
        "raw_output": original["raw_output"],
        "prompt_tokens": original["prompt_tokens"] + other["prompt_tokens"],
        "output_tokens": original["output_tokens"] + other["output_tokens"],
        "latency_s": original["latency_s"] + other["latency_s"],
        "orders": [original, other],
    }


def default_judge_spec(model: str | None = None) -> JudgeSpec:
    """The app's judge settings (``JUDGE_STUDIO_*`` overrides apply), optionally for another model.

    Going through ``Settings`` gives the demo judge its constrained, both-orders verdicts, without
    which the 135M model almost never writes a parseable verdict (docs/NOTES.md).
    """
    return judge_spec(Settings.from_env(judge_model=model))


def _one_order(judge: Judge | JudgeSpec | str | None) -> Judge | JudgeSpec:
    """``judge`` set to judge one presentation order only (``both_orders=False`` given explicitly)."""
    if isinstance(judge, Judge):
        return judge.with_settings(both_orders=False)
    spec = judge if isinstance(judge, JudgeSpec) else default_judge_spec(judge)
    return dataclasses.replace(spec, both_orders=False)


class EvaluationPipeline:
    """Judge every pair of candidates on every input and rank the candidates.

    ``judge``: a loaded :class:`judge_runtime.Judge`, a :class:`JudgeSpec` to load, a model path or
    cached id (loaded with the app's settings, PandaLM profile by default), or None for the app's
    default (the demo judge). ``both_orders``: not given (None), the judge's own choice stands (the
    demo judge averages its verdict over both orders); True also judges every pair with the responses
    swapped, in the same batches, and combines the two verdicts (see :func:`aggregate`); False judges
    the order given only (position bias included). ``output_data_path``,
    when given, is written by ``evaluate()`` (upstream never wrote it). ``progress``: a tqdm bar on
    standard error while responses are generated and judged, where no ``on_generate`` / ``on_progress``
    callback takes its place (as the CLI draws; minutes pass on a CPU); False draws none.

    ``candidate_paths`` entries are JSON files of responses or models (see the module docstring);
    model candidates generate with ``candidate_max_new_tokens``, ``candidate_prompt_format`` ("auto":
    the model's chat template when it has one, else PandaLM's Alpaca template; "chat"; "alpaca") and
    ``candidate_device``, in batches of ``batch_size``, reporting ``on_generate(name, done, total)``.
    """

    def __init__(
        self,
        candidate_paths: Sequence[str | os.PathLike[str]],
        input_data_path: str | os.PathLike[str] | None = None,
        output_data_path: str | os.PathLike[str] | None = None,
        *,
        judge: Judge | JudgeSpec | str | None = None,
        both_orders: bool | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        alpha: float = ALPHA,
        rule: str = DEFAULT_RULE,
        n_bootstrap: int = N_BOOTSTRAP,
        seed: int = SEED,
        on_progress: ProgressCallback | None = None,
        candidate_max_new_tokens: int = DEFAULT_CANDIDATE_MAX_NEW_TOKENS,
        candidate_prompt_format: str = DEFAULT_CANDIDATE_PROMPT_FORMAT,
        candidate_device: str = "auto",
        on_generate: GenerationCallback | None = None,
        uncertain_margin: float | None = None,
        progress: bool = True,
    ) -> None:
        if isinstance(candidate_paths, str | os.PathLike):
            raise PipelineInputError("candidate_paths must be a list of files or models, not one path.")
        if candidate_prompt_format not in PROMPT_FORMATS:
            raise ValueError(
                f"Unknown candidate prompt format {candidate_prompt_format!r}; use one of {', '.join(PROMPT_FORMATS)}."
            )
        if candidate_max_new_tokens < 1:
            raise ValueError(f"candidate_max_new_tokens must be at least 1, got {candidate_max_new_tokens}.")
        if len(candidate_paths) < 2:
            raise PipelineInputError(f"At least two candidates are needed, got {len(candidate_paths)}.")
        if rule not in PARTIAL_ORDER_RULES:
            raise ValueError(f"Unknown partial-order rule {rule!r}; use one of {', '.join(PARTIAL_ORDER_RULES)}.")
        checked_statistics(alpha, n_bootstrap, flags=False)
        if uncertain_margin is None:  # JUDGE_STUDIO_UNCERTAIN_MARGIN, else the table's default (as metrics)
            uncertain_margin = float(BY_NAME["uncertain_margin"].from_env(os.environ))
        if not 0 <= uncertain_margin < 1:
            raise ValueError(f"uncertain_margin must lie in [0, 1), got {uncertain_margin}.")
        candidates = [load_candidate(path) for path in candidate_paths]
        if input_data_path is not None:
            self.items = load_items(input_data_path)
            source = str(input_data_path)
        else:
            carriers = [c for c in candidates if c.items is not None]
            plain = [c for c in candidates if c.items is None and c.model is None]
            if plain:
                raise PipelineInputError(
                    f"{plain[0].path} is a plain list of responses without instructions: pass the inputs (--input; "
                    "input_data_path in Python), "
                    "or use AlpacaEval-style records ({'instruction', 'output', 'generator'})."
                )
            if not carriers:
                raise PipelineInputError(
                    "Model candidates answer the inputs: pass them with --input (input_data_path in Python): "
                    "a JSON list of {'instruction', 'input'} objects."
                )
            self.items = list(carriers[0].items or ())
            source = str(carriers[0].path)
        self.candidates = [_align(candidate, self.items, source) for candidate in candidates]
        _unique_names(self.candidates)
        self.input_data_path = None if input_data_path is None else Path(input_data_path)
        self.output_data_path = None if output_data_path is None else check_output_path(output_data_path)
        # both_orders: None (not given) keeps the judge's own choice (the demo judge averages its
        # verdict over both orders); True judges every pair in both orders and combines the two;
        # False judges the order given only, so a judge that averages both orders is told not to.
        self.judge_source = judge if both_orders is not False else _one_order(judge)
        _check_pairwise(self.judge_source)  # before any generation or loading
        self.both_orders_given = both_orders
        self.both_orders = bool(both_orders)
        self.progress = progress
        self.batch_size = max(1, batch_size)
        self.alpha, self.rule, self.n_bootstrap, self.seed = alpha, rule, n_bootstrap, seed
        self.uncertain_margin = uncertain_margin
        self.on_progress = on_progress
        self.candidate_max_new_tokens = candidate_max_new_tokens
        self.candidate_prompt_format = candidate_prompt_format
        self.candidate_device = candidate_device
        self.on_generate = on_generate
        self.generation: dict[str, dict[str, Any]] = {}  # per model candidate: what decided its responses

    @property
    def candidate_names(self) -> list[str]:
        return [candidate.name for candidate in self.candidates]

    @property
    def n_samples(self) -> int:
        n = len(self.candidates)
        return n * (n - 1) // 2 * len(self.items)

    def generate(self, *, on_generate: GenerationCallback | None = None) -> dict[str, list[str]]:
        """Generate the responses of every model candidate that has none yet, one model loaded at a time.

        Returns {candidate name: responses}; ``on_generate(name, done, total)`` reports progress.
        Called by ``evaluate()``; call it yourself to look at (or save) the responses first.
        """
        from judge_runtime.generation import load_generator

        progress = on_generate or self.on_generate
        bars: dict[str, Any] = {}
        if progress is None and self.progress:
            progress = _generation_bars(bars)
        prompts = [(item.instruction, item.input) for item in self.items]
        generated: dict[str, list[str]] = {}
        for position, candidate in enumerate(self.candidates):
            if not candidate.needs_generation:
                continue
            assert candidate.model is not None
            generator = load_generator(
                candidate.model,
                max_new_tokens=self.candidate_max_new_tokens,
                prompt_format=self.candidate_prompt_format,
                device=self.candidate_device,
                seed=self.seed,
            )
            name = candidate.name

            def report(done: int, total: int, name: str = name) -> None:
                if progress is not None:
                    progress(name, done, total)

            try:
                outputs = generator.generate(prompts, batch_size=self.batch_size, on_progress=report)
                self.generation[name] = generator.description
            finally:
                generator.close()
                if name in bars:
                    bars.pop(name).close()
            self.candidates[position] = dataclasses.replace(candidate, outputs=tuple(outputs))
            generated[name] = outputs
        return generated

    def load_judge(self) -> Judge:
        """The judge to use, loaded now if the pipeline was given a spec, a model or nothing."""
        source = self.judge_source
        if isinstance(source, Judge):
            return source
        from judge_runtime import load_judge

        spec = source if isinstance(source, JudgeSpec) else default_judge_spec(source)
        self.judge_source = judged = load_judge(spec)
        return judged

    def _samples(self) -> list[dict[str, Any]]:
        """One skeleton sample per (candidate pair, input): candidate i is always response 1 (as upstream)."""
        samples = []
        for first, second in combinations(self.candidates, 2):
            for index, item in enumerate(self.items):
                samples.append(
                    {
                        "item": index,
                        "model1": first.name,
                        "model2": second.name,
                        "instruction": item.instruction,
                        "input": item.input,
                        "response1": first.outputs[index],
                        "response2": second.outputs[index],
                    }
                )
        return samples

    def evaluate(self, *, on_progress: ProgressCallback | None = None) -> EvaluationResult:
        """Generate model candidates' responses, then judge all samples in batches, combine, count, rank.

        Writes ``output_data_path`` when given.
        """
        self.generate()
        judge = self._per_order_judge(self.load_judge())
        progress = on_progress or self.on_progress
        samples = self._samples()
        cases: list[PairCase] = []
        owners: list[tuple[int, bool]] = []  # (sample index, swapped) per case
        for index, sample in enumerate(samples):
            case = PairCase(sample["instruction"], sample["response1"], sample["response2"], input=sample["input"])
            presentations = [(case, False), (swap_case(case), True)] if self.both_orders else [(case, False)]
            try:
                for shown, _ in presentations:
                    judge.validate(shown)  # refuse empty or over-long cases here, not halfway through a batch
            except JudgeInputError as exc:
                sample.update({**_NOT_JUDGED, "error": str(exc)})
                continue
            for shown, is_swapped in presentations:
                cases.append(shown)
                owners.append((index, is_swapped))

        total = len(cases)
        done = 0
        if progress is not None:
            progress(0, total)

        def tick(_index: int, _result: JudgeResult) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)

        # without a progress callback the judge draws its own tqdm bar on standard error (``progress=False``: none)
        on_result = tick if progress is not None else None
        bar = progress is None and self.progress
        results = (
            judge.judge_many(cases, batch_size=self.batch_size, on_result=on_result, progress=bar) if cases else []
        )
        per_sample: dict[int, dict[bool, JudgeResult]] = defaultdict(dict)
        for (index, is_swapped), judged in zip(owners, results, strict=True):
            per_sample[index][is_swapped] = judged
        for index, by_order in per_sample.items():
            if self.both_orders:
                original = _order_record(by_order[False], swapped=False)
                other = _order_record(by_order[True], swapped=True)
                samples[index].update(_both_orders_fields(original, other))
            else:
                samples[index].update(_result_fields(by_order[False]))
            samples[index]["error"] = None

        result = aggregate(
            samples,
            self.candidate_names,
            alpha=self.alpha,
            rule=self.rule,
            n_bootstrap=self.n_bootstrap,
            seed=self.seed,
            judge={"fingerprint": judge.fingerprint, "fingerprint_key": judge.fingerprint_key},
            settings=self._settings(judge),
            uncertain_margin=self.uncertain_margin,
        )
        if self.output_data_path is not None:
            result.save(self.output_data_path)
        return result

    def _per_order_judge(self, judge: Judge) -> Judge:
        """The judge to run each presentation order with.

        When the pipeline judges both orders itself and the judge averages its verdict over both
        orders (constrained verdicts with ``both_orders``), each order's verdict would already be the
        average, and comparing the two would measure nothing (consistency 1.0 by construction). So
        each order is judged on its own (same loaded model), and the two are combined by the
        documented rule. A judge that cannot change its settings is kept, and its consistency is
        reported as not measured.
        """
        if not (self.both_orders and judge.fingerprint.get("both_orders")):
            return judge
        try:
            return judge.with_settings(both_orders=False)
        except JudgeInputError:
            return judge

    def _orders(self, judge: Judge) -> str:
        """How each pair's verdict came about, in words: ``settings.both_orders`` says what was asked and
        ``judge.fingerprint.both_orders`` whether each verdict averages both orders, and a reader once took the
        two for a contradiction (true beside false when the flag was not given)."""
        if self.both_orders:
            return (
                "both orders, judged apart: each pair judged as given and swapped, the two verdicts combined "
                "(agree: that verdict, else tie); swap consistency measured"
            )
        if judge.fingerprint.get("both_orders"):
            return (
                "both orders, averaged by the judge: one verdict per pair from its probabilities averaged over the "
                "two orders; swap consistency not measured"
            )
        return "one order: each pair judged as given only (position bias included)"

    def _settings(self, judge: Judge) -> dict[str, Any]:
        return {
            "input_data_path": None if self.input_data_path is None else str(self.input_data_path),
            "candidate_paths": {c.name: str(c.path) for c in self.candidates},
            "candidate_generation": self.generation,
            "n_inputs": len(self.items),
            # as given: None (not given) left the judge's own choice, which judge.fingerprint.both_orders records
            "both_orders": self.both_orders_given,
            "orders": self._orders(judge),
            "batch_size": self.batch_size,
            "alpha": self.alpha,
            "rule": self.rule,
            "n_bootstrap": self.n_bootstrap,
            "seed": self.seed,
            "uncertain_margin": self.uncertain_margin,
        }


def _check_pairwise(source: Judge | JudgeSpec | str | None) -> None:
    """Refuse a single-answer judge (mtbench-single, ...) before anything is generated or loaded."""
    if isinstance(source, Judge):
        if source.profile.kind == "pair":
            return
        name = source.profile.name
    else:
        name = (source if isinstance(source, JudgeSpec) else default_judge_spec(source)).profile
    check_profile_kind(
        name,
        "pair",
        instead=": the pipeline compares candidates in pairs; rate single responses with Judge.rate_many "
        "(judge-studio rate)",
    )


def _generation_bars(bars: dict[str, Any]) -> GenerationCallback:
    """``on_generate`` that draws a tqdm bar per model candidate on standard error, kept in ``bars``."""
    from tqdm import tqdm

    def progress(name: str, done: int, total: int) -> None:
        if name not in bars:
            bars[name] = tqdm(total=total, unit="response", desc=f"Generating {name}", file=sys.stderr)
        bars[name].n = done
        bars[name].refresh()

    return progress
