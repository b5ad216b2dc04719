"""What every judge backend shares: the spec, results, the ``Judge`` face and the settings checks.

``judge_runtime.engine.LocalJudge`` (a model in this process) and ``judge_runtime.remote.RemoteJudge``
(an OpenAI-compatible server) both build on this module and never on each other;
``judge_runtime.factory.load_judge`` picks one. Keeping the shared part here is what lets the two
backends be imported without a cycle.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analysis.defaults import UNCERTAIN_MARGIN
from judge_runtime.loading import DEMO_MODEL, fingerprint_key
from judge_runtime.profiles import (
    VERDICTS,
    Case,
    Decoding,
    JudgeInputError,
    PairCase,
    ParsedJudgment,
    Profile,
    SingleCase,
    Verdict,
    get_profile,
    required_fields,
)
from judge_runtime.ratings import RATING_MODES
from judge_runtime.static_decode import DECODE_LOOPS, DEFAULT_PROMPT_BUCKETS

DEFAULT_PROFILE = "pandalm"
VERDICT_MODES = ("generate", "constrained")
#: What ``JudgeSpec.verdict_mode`` accepts: a mode, or "auto" (``resolved_verdict_mode``).
VERDICT_MODE_CHOICES = ("auto", *VERDICT_MODES)


@dataclass(frozen=True)
class JudgeSpec:
    """What to load. ``decoding`` names one of the profile's presets ('fast', 'released')."""

    # DEMO_MODEL, a model folder, a .gguf file, a cached hub id, or "openai:<served name>@<base URL>"
    # for an OpenAI-compatible server (vLLM, llama.cpp), e.g. "openai:qwen2.5-7b@http://127.0.0.1:8000/v1".
    model: str = DEMO_MODEL
    profile: str = DEFAULT_PROFILE
    quantization: str = "auto"
    device: str = "auto"
    decoding: str = "fast"
    max_new_tokens: int | None = 256
    seed: int = 0
    # "generate" (parse the judge's own output), "constrained" (the verdict word from one forward pass) or "auto",
    # as the command line: constrained for the demo judge in a profile with verdict words first, generate otherwise
    # (``resolved_verdict_mode``, the one rule; ``load_judge`` resolves it, so a judge's spec holds the mode used).
    verdict_mode: str = "auto"
    # constrained mode only: average the verdict probabilities over both presentation orders
    # (p(1) = mean of p(1) as shown and p(2) with the responses swapped), cancelling position bias. On by
    # default, as the command line, the app and the pipeline judge (s18 notebook 1: off, the README's three lines
    # gave position-only verdicts); False judges the order given only (half the forward pass).
    both_orders: bool = True
    # remote judges only: a local tokenizer (folder, .gguf, cached hub id, DEMO_MODEL) whose chat template
    # renders chat profiles' prompts here; without one, chat profiles use the server's /chat/completions.
    tokenizer: str | None = None
    # local judges, greedy decoding: "compiled" (static KV cache, one-token step under torch.compile, warmed up
    # at load), "static" (the same loop, not compiled), "generate" (transformers' generate), or "auto":
    # compiled on CUDA, generate on the CPU. Beam search always uses generate. See judge_runtime.static_decode.
    decode_loop: str = "auto"
    # static/compiled loops: prompt-length buckets; the cache holds the longest bucket + max_new_tokens, and a
    # longer prompt is decoded by generate instead.
    prompt_buckets: tuple[int, ...] = DEFAULT_PROMPT_BUCKETS
    # single-answer profiles (mtbench-single): "parse" reads the written [[rating]]; "expected" reads the judge's
    # probabilities of the ratings 1-10 after its explanation and gives their mean (G-Eval style; local judges
    # only). Pairwise profiles ignore it. See judge_runtime.ratings.
    rating_mode: str = "parse"
    # remote judges only: seconds one request may wait for the server's answer before the run stops with a message
    remote_timeout_s: float = 600.0


@dataclass(frozen=True)
class JudgeResult:
    """One judgment: ``parsed.verdict`` for pairwise profiles, ``parsed.score`` for ``mtbench-single``."""

    parsed: ParsedJudgment
    raw_output: str
    prompt_tokens: int
    output_tokens: int
    latency_s: float
    # p("1"), p("2"), p("tie"): constrained mode, or a custom prompt's marker rule read after the free output
    probabilities: dict[str, float] | None = None
    # rating_mode "expected": p(rating) for the ratings 1..10 (summing to 1); parsed.score is their mean
    rating_probabilities: dict[int, float] | None = None
    # what latency_s measures: "item": from the start of its batch to this item's last token (plus its own
    # expected-rating pass), measured per row; "batch": the whole batch's time (beam search in a batch, where
    # rows finish together)
    latency_basis: str = "item"
    # the probabilities average both presentation orders (constrained verdicts with JudgeSpec.both_orders)
    both_orders: bool = False
    # Judge.judge() only: the uncertain rule was applied at this margin (analysis.verdicts.outcome, the rule of every
    # page, export and figure); None: not applied (judge_many gives verdicts as they are stored, read by that rule)
    uncertain_margin: float | None = None
    # an uncertain verdict's lean ("1", "2", "tie"): parsed.verdict is then None and parsed.status "uncertain"
    leaning: Verdict | None = None


@dataclass
class JudgeProgress:
    """One step of a streamed judgment: the text so far, and the result once finished."""

    text: str
    result: JudgeResult | None = None


ResultCallback = Callable[[int, JudgeResult], None]


def average_orders(shown: dict[str, float], other: dict[str, float]) -> dict[str, float]:
    """Verdict probabilities averaged over both presentation orders (``other`` judged with the responses swapped)."""
    return {
        "1": (shown["1"] + other["2"]) / 2,
        "2": (shown["2"] + other["1"]) / 2,
        "tie": (shown["tie"] + other["tie"]) / 2,
    }


def forced_prefix(profile: Profile, probabilities: dict[str, float]) -> str:
    """The most likely verdict word and what follows it in the profile's layout (constrained mode)."""
    assert profile.verdict_words is not None
    best: Verdict = max(VERDICTS, key=lambda v: probabilities[v])
    return profile.verdict_words[VERDICTS.index(best)] + profile.after_verdict


def check_case(profile: Profile, case: Case) -> None:
    """Refuse a case with an empty text, before any model time is spent on it."""
    for name, text in required_fields(case).items():
        if not str(text).strip():
            needs = "a response" if isinstance(case, SingleCase) else "two responses"
            raise JudgeInputError(f"{name[0].upper()}{name[1:]} is empty: the judge needs an instruction and {needs}.")


class Judge(ABC):
    """A loaded judge: a profile and a backend. Build one with :func:`load_judge`.

    Pairwise profiles: ``judge(PairCase)``, ``judge_many``. ``mtbench-single``: ``rate(SingleCase)``,
    ``rate_many``; the rating is ``result.parsed.score``. ``stream`` takes either kind.
    """

    spec: JudgeSpec
    profile: Profile
    decoding: Decoding
    fingerprint: dict[str, Any]

    @property
    def fingerprint_key(self) -> str:
        return fingerprint_key(self.fingerprint)

    @abstractmethod
    def validate(self, case: Case) -> None:
        """Raise :class:`JudgeInputError` when ``case`` cannot be judged (empty text, wrong kind, too long)."""

    @abstractmethod
    def stream(self, case: Case) -> Iterator[JudgeProgress]:
        """Yield the growing output text; the last item carries the parsed result."""

    @abstractmethod
    def _run_many(self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None) -> list[JudgeResult]:
        """Judge or rate ``cases`` (already checked to fit the profile), in batches."""

    def with_settings(
        self,
        *,
        profile: str | None = None,
        decoding: str | None = None,
        max_new_tokens: int | None = None,
        verdict_mode: str | None = None,
        both_orders: bool | None = None,
        rating_mode: str | None = None,
    ) -> Judge:
        """This judge with other settings, sharing the loaded model (nothing is loaded again).

        ``None`` keeps the current value. The result's fingerprint is the one a freshly loaded judge
        with the same spec would have; unknown or contradictory settings raise :class:`JudgeInputError`.
        """
        changes: dict[str, Any] = {
            "profile": profile,
            "decoding": decoding,
            "max_new_tokens": max_new_tokens,
            "verdict_mode": verdict_mode,
            "both_orders": both_orders,
            "rating_mode": rating_mode,
        }
        spec = resolved_spec(replace(self.spec, **{k: v for k, v in changes.items() if v is not None}))
        if spec == self.spec:
            return self
        new_profile, new_decoding = checked_settings(spec)
        return self._with_spec(spec, new_profile, new_decoding)

    def with_profile(self, profile: Profile) -> Judge:
        """This judge prompting with ``profile``, an instance of its own profile with other contents (a grading
        session's rubric filled in), sharing the loaded model.

        The run must record the change: a backend whose fingerprint does not carry the new profile's
        prompt-template hash is refused, rather than storing judgments under two prompts as one run.
        """
        if profile == self.profile:
            return self
        if profile.name != self.profile.name:
            raise JudgeInputError(
                f"with_profile() changes a profile's contents, not which profile ({self.profile.name!r} to "
                f"{profile.name!r}): use with_settings(profile=...)."
            )
        from judge_runtime.loading import prompt_template_hash

        changed = self._with_spec(self.spec, profile, self.decoding)
        if changed.fingerprint.get("prompt_template_hash") != prompt_template_hash(profile):
            raise JudgeInputError(
                f"This judge backend ({type(self).__name__}) does not record the prompt's change in its fingerprint, "
                "so judgments under two prompts would be one judge run; use a local judge, or the profile as it is."
            )
        return changed

    def _with_spec(self, spec: JudgeSpec, profile: Profile, decoding: Decoding) -> Judge:
        """A judge for ``spec`` (already checked) on the same backend; subclasses share what they loaded."""
        raise JudgeInputError(f"{type(self).__name__} cannot change its settings: load a new judge instead.")

    def _expect(self, kind: str, method: str, other: str) -> None:
        if self.profile.kind != kind:
            raise JudgeInputError(
                f"{method}() is for {'pairwise' if kind == 'pair' else 'single-answer'} profiles, but this judge's "
                f"profile {self.profile.name!r} {'rates one response' if kind == 'pair' else 'compares two'}: "
                f"use {other}()."
            )

    def judge(self, case: PairCase, *, uncertain_margin: float = UNCERTAIN_MARGIN) -> JudgeResult:
        """Compare the two responses of one case, as the command line counts a verdict: the judge's own orders
        (constrained verdicts average both presentation orders unless ``both_orders=False``), then the uncertain
        rule: a verdict whose top two probabilities lie less than ``uncertain_margin`` apart gets
        ``parsed.status`` "uncertain", ``parsed.verdict`` None and its lean in ``result.leaning`` (0: never).
        """
        return with_outcome(self.judge_many([case])[0], uncertain_margin)

    def judge_many(
        self,
        cases: Sequence[PairCase],
        *,
        batch_size: int = 8,
        on_result: ResultCallback | None = None,
        progress: bool | None = None,
    ) -> list[JudgeResult]:
        """Judge cases in batches; ``on_result(index, result)`` as each one finishes.

        ``progress``: a tqdm bar on standard error; ``None`` (default) shows it when no ``on_result`` is given
        and standard error is a terminal, so the three-line API is not silent for minutes on a CPU.
        Each result is as the command line stores it (the uncertain rule is applied when figures are read):
        ``with_outcome(result, margin)`` applies it, as :meth:`judge` does.
        """
        self._expect("pair", "judge_many", "rate_many")
        return self._run_with_progress(cases, batch_size, on_result, progress, "judgment")

    def rate(self, case: SingleCase) -> JudgeResult:
        """Grade one response 1-10 (MT-Bench single-answer grading); the rating is ``result.parsed.score``."""
        return self.rate_many([case])[0]

    def rate_many(
        self,
        cases: Sequence[SingleCase],
        *,
        batch_size: int = 8,
        on_result: ResultCallback | None = None,
        progress: bool | None = None,
    ) -> list[JudgeResult]:
        """Grade responses in batches; an output without a valid ``[[rating]]`` is unparsed, never a number
        (``rating_mode="expected"``: always a score, the mean of the judge's rating probabilities).
        ``progress`` as in :meth:`judge_many`."""
        self._expect("single", "rate_many", "judge_many")
        return self._run_with_progress(cases, batch_size, on_result, progress, "rating")

    def _run_with_progress(
        self,
        cases: Sequence[Case],
        batch_size: int,
        on_result: ResultCallback | None,
        progress: bool | None,
        unit: str,
    ) -> list[JudgeResult]:
        """``_run_many`` with a tqdm bar on standard error when ``progress`` says so (see :meth:`judge_many`); a
        judge that averages both orders marks every result so (``JudgeResult.both_orders``)."""
        show = progress if progress is not None else on_result is None and _stderr_is_terminal()
        if not (self.fingerprint.get("both_orders") and self.profile.kind == "pair"):
            return self._run_shown(cases, batch_size, on_result, show, unit)

        def marked(index: int, result: JudgeResult) -> None:
            if on_result is not None:
                on_result(index, replace(result, both_orders=True))

        done = self._run_shown(cases, batch_size, marked if on_result is not None else None, show, unit)
        return [replace(result, both_orders=True) for result in done]

    def _run_shown(
        self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None, show: bool, unit: str
    ) -> list[JudgeResult]:
        """``_run_many``, under a tqdm bar when ``show``."""
        if not show or not cases:
            return self._run_many(cases, batch_size, on_result)
        from tqdm import tqdm

        from judge_runtime.batching import ticking

        with tqdm(total=len(cases), unit=unit, desc=f"Judge ({unit}s)", file=sys.stderr) as bar, ticking(bar):

            def tick(index: int, result: JudgeResult) -> None:
                bar.update(1)
                if on_result is not None:
                    on_result(index, result)

            return self._run_many(cases, batch_size, tick)


def with_outcome(result: JudgeResult, margin: float = UNCERTAIN_MARGIN) -> JudgeResult:
    """``result`` with the uncertain rule applied at ``margin`` (``analysis.verdicts.outcome``, the one rule of the
    command line, the pages, the exports and the pipeline): an uncertain verdict gets status "uncertain", no
    verdict, and its lean in ``leaning``. Results without probabilities (generated verdicts) are never uncertain.
    It may be applied again (``judge()``'s result at another margin): a result it made uncertain gets its verdict
    back from ``leaning`` first, so the rule is always applied to the judge's own verdict (review 18c finding 3)."""
    from analysis.verdicts import UNCERTAIN, outcome

    if not 0 <= margin < 1:
        raise JudgeInputError(f"uncertain_margin must lie in [0, 1), got {margin}.")
    parsed = result.parsed
    if result.uncertain_margin is not None and parsed.status == UNCERTAIN and result.leaning is not None:
        parsed = replace(parsed, verdict=result.leaning, status="ok")  # the verdict the judge gave
        result = replace(result, parsed=parsed, leaning=None)
    if outcome(parsed.verdict, parsed.status, result.probabilities, margin) != UNCERTAIN:
        return replace(result, uncertain_margin=margin)
    uncertain = replace(parsed, verdict=None, status="uncertain")  # analysis.verdicts.UNCERTAIN
    return replace(result, parsed=uncertain, leaning=parsed.verdict, uncertain_margin=margin)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams (notebooks, daemons)
        return False


def resolve_decoding(spec: JudgeSpec, profile: Profile) -> Decoding:
    """The profile's decoding preset named by ``spec.decoding``, with ``spec.max_new_tokens`` applied."""
    try:
        preset = profile.decoding_presets[spec.decoding]
    except KeyError:
        raise ValueError(
            f"Unknown decoding preset {spec.decoding!r} for {profile.name}; "
            f"choose one of {', '.join(profile.decoding_presets)}"
        ) from None
    if spec.max_new_tokens is None:
        return preset
    return Decoding(
        max_new_tokens=spec.max_new_tokens,
        num_beams=preset.num_beams,
        repetition_penalty=preset.repetition_penalty,
        do_sample=preset.do_sample,
    )


def resolved_verdict_mode(mode: str, model: str, profile: str) -> str:
    """The verdict mode ``mode`` means for a judge ``model`` prompting with ``profile``: "generate" and
    "constrained" as they are; "auto" is constrained for the demo judge in a profile whose verdict words come first
    (it never writes a parseable verdict on its own), generate otherwise (MT-Bench's verdict comes last and JudgeLM
    starts with scores, so the demo judge writes freely in those formats). The one rule of ``JudgeSpec``'s default,
    the ``verdict_mode`` setting (``Settings.resolved_verdict_mode``), the command line and the app."""
    if mode != "auto":
        return mode
    if model != DEMO_MODEL:
        return "generate"
    try:
        words = get_profile(profile).verdict_words
    except Exception:  # an unknown profile name: loading the judge reports it
        return "generate"
    return "constrained" if words is not None else "generate"


def resolved_spec(spec: JudgeSpec) -> JudgeSpec:
    """``spec`` with its verdict mode resolved (``resolved_verdict_mode``): what a judge is loaded and
    fingerprinted with."""
    mode = resolved_verdict_mode(spec.verdict_mode, spec.model, spec.profile)
    return spec if mode == spec.verdict_mode else replace(spec, verdict_mode=mode)


def checked_settings(spec: JudgeSpec) -> tuple[Profile, Decoding]:
    """The profile and decoding of ``spec`` (its verdict mode resolved, ``resolved_spec``), or
    :class:`JudgeInputError` saying what is wrong with it."""
    spec = resolved_spec(spec)
    if spec.verdict_mode not in VERDICT_MODES:
        raise JudgeInputError(f"Unknown verdict mode {spec.verdict_mode!r}; choose one of {', '.join(VERDICT_MODES)}.")
    if spec.max_new_tokens is not None and spec.max_new_tokens < 1:
        raise JudgeInputError(f"max_new_tokens must be at least 1, got {spec.max_new_tokens!r}.")
    if spec.rating_mode not in RATING_MODES:
        raise JudgeInputError(f"Unknown rating mode {spec.rating_mode!r}; choose one of {', '.join(RATING_MODES)}.")
    if spec.decode_loop not in DECODE_LOOPS:
        raise JudgeInputError(f"Unknown decode loop {spec.decode_loop!r}; choose one of {', '.join(DECODE_LOOPS)}.")
    if not spec.prompt_buckets or any(int(b) < 1 for b in spec.prompt_buckets):
        raise JudgeInputError(f"prompt_buckets must be positive token counts, got {spec.prompt_buckets!r}.")
    try:
        profile = get_profile(spec.profile)
        decoding = resolve_decoding(spec, profile)
    except ValueError as exc:
        raise JudgeInputError(str(exc)) from None
    if spec.verdict_mode == "constrained" and profile.verdict_words is None:
        raise JudgeInputError(
            f"Profile {profile.name!r} writes its verdict or rating last, so one forward pass cannot pick it: "
            "use verdict_mode 'generate'."
        )
    return profile, decoding
