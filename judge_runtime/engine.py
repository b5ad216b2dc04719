"""The judge engine: one loaded model + one profile -> parsed judgments, streamed or batched.

Two verdict modes:

- ``generate`` (the released behaviour): the model writes its whole output and the profile parses
  it; an output without a verdict is ``unparsed``.
- ``constrained`` (for profiles whose output starts with the verdict, e.g. PandaLM): one forward
  pass gives the probabilities of the three verdict words at the first output position
  (renormalised, as AlpacaEval's logprob parser does); the most likely word is written, then the
  model continues with the rest of the layout (reason, reference). Small models that never follow
  a format on their own still give a real, probability-backed verdict this way.

``Judge`` is the backend-independent face (profile, fingerprint, ``judge``/``judge_many`` for
pairwise profiles, ``rate``/``rate_many`` for ``mtbench-single``, ``stream``); ``LocalJudge`` runs a
model in this process, ``judge_runtime.remote.RemoteJudge`` an OpenAI-compatible server.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from judge_runtime.batching import decode_until_stop, left_pad, run_in_batches, stop_token_ids
from judge_runtime.loading import (
    DEMO_MODEL,
    JudgeLoadError,
    fingerprint,
    fingerprint_key,
    load_model_and_tokenizer,
    prompt_template_hash,
    resolve_device,
    resolve_model_source,
    resolve_quantization,
)
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
    render,
    required_fields,
    swapped,
)

DEFAULT_PROFILE = "pandalm"
VERDICT_MODES = ("generate", "constrained")


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
    verdict_mode: str = "generate"
    # constrained mode only: average the verdict probabilities over both presentation orders
    # (p(1) = mean of p(1) as shown and p(2) with the responses swapped), cancelling position bias.
    both_orders: bool = False
    # remote judges only: a local tokenizer (folder, .gguf, cached hub id, DEMO_MODEL) whose chat template
    # renders chat profiles' prompts here; without one, chat profiles use the server's /chat/completions.
    tokenizer: str | None = None


@dataclass(frozen=True)
class JudgeResult:
    """One judgment: ``parsed.verdict`` for pairwise profiles, ``parsed.score`` for ``mtbench-single``."""

    parsed: ParsedJudgment
    raw_output: str
    prompt_tokens: int
    output_tokens: int
    latency_s: float
    probabilities: dict[str, float] | None = None  # p("1"), p("2"), p("tie") in constrained mode


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
            raise JudgeInputError(f"The {name} is empty: the judge needs an instruction and {needs}.")


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
        }
        spec = replace(self.spec, **{k: v for k, v in changes.items() if v is not None})
        if spec == self.spec:
            return self
        new_profile, new_decoding = checked_settings(spec)
        return self._with_spec(spec, new_profile, new_decoding)

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

    def judge(self, case: PairCase) -> JudgeResult:
        """Compare the two responses of one case."""
        return self.judge_many([case])[0]

    def judge_many(
        self, cases: Sequence[PairCase], *, batch_size: int = 8, on_result: ResultCallback | None = None
    ) -> list[JudgeResult]:
        """Judge cases in batches; ``on_result(index, result)`` as each one finishes."""
        self._expect("pair", "judge_many", "rate_many")
        return self._run_many(cases, batch_size, on_result)

    def rate(self, case: SingleCase) -> JudgeResult:
        """Grade one response 1-10 (MT-Bench single-answer grading); the rating is ``result.parsed.score``."""
        return self.rate_many([case])[0]

    def rate_many(
        self, cases: Sequence[SingleCase], *, batch_size: int = 8, on_result: ResultCallback | None = None
    ) -> list[JudgeResult]:
        """Grade responses in batches; an output without a valid ``[[rating]]`` is unparsed, never a number."""
        self._expect("single", "rate_many", "judge_many")
        return self._run_many(cases, batch_size, on_result)


@dataclass
class LocalJudge(Judge):
    """A judge model loaded in this process (transformers, on the CPU or a GPU)."""

    spec: JudgeSpec
    profile: Profile
    decoding: Decoding
    model: Any
    tokenizer: Any
    device: str
    fingerprint: dict[str, Any]
    verdict_token_ids: tuple[int, int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _with_spec(self, spec: JudgeSpec, profile: Profile, decoding: Decoding) -> Judge:
        """Same model, tokenizer and lock (one generation at a time on the shared weights)."""
        constrained = spec.verdict_mode == "constrained"
        try:
            verdict_ids = _verdict_token_ids(profile, self.tokenizer) if constrained else None
        except JudgeLoadError as exc:
            raise JudgeInputError(str(exc)) from None
        fp = refingerprint(self.fingerprint, spec, profile, decoding)
        return LocalJudge(
            spec, profile, decoding, self.model, self.tokenizer, self.device, fp, verdict_ids, _lock=self._lock
        )

    # ---------------------------------------------------------------- prompt -> token ids
    def encode(self, case: Case) -> list[int]:
        check_case(self.profile, case)
        prompt = render(self.profile, case)
        if prompt.messages is not None:
            if not getattr(self.tokenizer, "chat_template", None):
                raise JudgeInputError(
                    f"Profile {self.profile.name!r} needs a chat model, but this tokenizer has no chat template."
                )
            text = self.tokenizer.apply_chat_template(list(prompt.messages), add_generation_prompt=True, tokenize=False)
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        else:
            ids = self.tokenizer(prompt.text)["input_ids"]
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and len(ids) + self.decoding.max_new_tokens > limit:
            raise JudgeInputError(
                f"The prompt is {len(ids)} tokens; with {self.decoding.max_new_tokens} new tokens it exceeds "
                f"the judge's context of {limit} tokens. Shorten the responses."
            )
        return list(ids)

    def validate(self, case: Case) -> None:
        self.encode(case)

    def _generate_kwargs(self) -> dict[str, Any]:
        kwargs = self.decoding.as_kwargs()
        kwargs["pad_token_id"] = self.tokenizer.pad_token_id
        return kwargs

    def _finish(
        self,
        out_ids: Sequence[int],
        prompt_tokens: int,
        started: float,
        prefix: str = "",
        probabilities: dict[str, float] | None = None,
    ) -> JudgeResult:
        decoded, kept, stopped = decode_until_stop(self.tokenizer, out_ids, stop_token_ids(self.model, self.tokenizer))
        text = prefix + decoded
        return JudgeResult(
            parsed=self.profile.parse(text, truncated=not stopped and kept >= self.decoding.max_new_tokens),
            raw_output=text,
            prompt_tokens=prompt_tokens,
            output_tokens=kept + int(stopped),
            latency_s=time.perf_counter() - started,
            probabilities=probabilities,
        )

    # ---------------------------------------------------------------- constrained verdicts
    @property
    def constrained(self) -> bool:
        return self.spec.verdict_mode == "constrained"

    def verdict_probabilities(self, batch: list[list[int]]) -> list[dict[str, float]]:
        """p(1), p(2), p(tie) at the first output position, renormalised over the verdict words."""
        import torch

        assert self.verdict_token_ids is not None
        input_ids, attention = self._left_pad(batch)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)  # left padding needs explicit positions
        with torch.inference_mode():
            # logits_to_keep=1: only the last position's vocabulary logits are needed (saves ~390 MB at batch 6)
            logits = self.model(
                input_ids=input_ids, attention_mask=attention, position_ids=positions, logits_to_keep=1
            ).logits[:, -1, :]
        chosen = torch.log_softmax(logits.float(), dim=-1)[:, list(self.verdict_token_ids)]
        probs = torch.softmax(chosen, dim=-1).tolist()
        return [dict(zip(VERDICTS, map(float, row), strict=True)) for row in probs]

    def _constrained_verdicts(
        self, batch: list[list[int]], swapped_batch: list[list[int]] | None
    ) -> list[dict[str, float]]:
        if swapped_batch is None:
            return self.verdict_probabilities(batch)
        both = self.verdict_probabilities(batch + swapped_batch)
        shown, other = both[: len(batch)], both[len(batch) :]
        return [average_orders(a, b) for a, b in zip(shown, other, strict=True)]

    def _encode_swapped(self, case: Case) -> list[int] | None:
        if self.constrained and self.spec.both_orders and isinstance(case, PairCase):
            return self.encode(swapped(case))
        return None

    def _forced_prefix(self, probabilities: dict[str, float]) -> tuple[str, list[int]]:
        text = forced_prefix(self.profile, probabilities)
        return text, self.tokenizer(text, add_special_tokens=False)["input_ids"]

    # ---------------------------------------------------------------- one judgment, streamed
    def stream(self, case: Case) -> Iterator[JudgeProgress]:
        """Yield the growing output text; the last item carries the parsed result."""
        import torch
        from transformers import TextIteratorStreamer

        ids = self.encode(case)
        other = self._encode_swapped(case)
        started = time.perf_counter()
        prefix, probabilities = "", None
        with self._lock:  # one generation per loaded model at a time
            if self.constrained:
                probabilities = self._constrained_verdicts([ids], [other] if other else None)[0]
                prefix, forced = self._forced_prefix(probabilities)
                ids = ids + forced
                yield JudgeProgress(prefix)
            input_ids = torch.tensor([ids], device=self.device)
            if self.decoding.num_beams > 1:  # transformers cannot stream beam search: the text comes at the end
                with torch.inference_mode():
                    torch.manual_seed(self.spec.seed)
                    out = self.model.generate(
                        input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **self._generate_kwargs()
                    )
                result = self._finish(out[0][len(ids) :].tolist(), len(ids), started, prefix, probabilities)
                yield JudgeProgress(result.raw_output, result)
                return
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            holder: dict[str, Any] = {}

            def run() -> None:
                try:
                    with torch.inference_mode():
                        torch.manual_seed(self.spec.seed)
                        holder["out"] = self.model.generate(
                            input_ids=input_ids,
                            attention_mask=torch.ones_like(input_ids),
                            streamer=streamer,
                            **self._generate_kwargs(),
                        )
                except BaseException as exc:  # surfaced in the caller's thread below
                    holder["error"] = exc
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            text = prefix
            for piece in streamer:
                text += piece
                yield JudgeProgress(text)
            worker.join()
        if "error" in holder:
            raise holder["error"]
        new_tokens = holder["out"][0][len(ids) :].tolist()
        yield JudgeProgress(text, self._finish(new_tokens, len(ids), started, prefix, probabilities))

    # ---------------------------------------------------------------- many judgments, batched
    def _run_many(self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None) -> list[JudgeResult]:
        """Length-sorted, left-padded batches; on CUDA out-of-memory the batch is halved and retried."""
        encoded = [self.encode(case) for case in cases]
        others = [self._encode_swapped(case) for case in cases]

        def run(batch: list[int]) -> list[JudgeResult]:
            swapped_batch = [others[i] for i in batch]
            return self._judge_batch(
                [encoded[i] for i in batch],
                [ids for ids in swapped_batch if ids is not None] if swapped_batch[0] is not None else None,
            )

        return run_in_batches([len(ids) for ids in encoded], batch_size, run, on_result)

    def _left_pad(self, batch: list[list[int]]) -> tuple[Any, Any]:
        return left_pad(batch, self.tokenizer.pad_token_id, self.device)

    def _judge_batch(self, batch: list[list[int]], swapped_batch: list[list[int]] | None) -> list[JudgeResult]:
        import torch

        started = time.perf_counter()
        with self._lock:
            prefixes: list[str] = [""] * len(batch)
            probabilities: list[dict[str, float] | None] = [None] * len(batch)
            if self.constrained:
                probabilities = list(self._constrained_verdicts(batch, swapped_batch))
                forced = [self._forced_prefix(p) for p in probabilities if p is not None]
                prefixes = [text for text, _ in forced]
                batch = [ids + extra for ids, (_, extra) in zip(batch, forced, strict=True)]
            input_ids, attention = self._left_pad(batch)
            with torch.inference_mode():
                torch.manual_seed(self.spec.seed)
                out = self.model.generate(input_ids=input_ids, attention_mask=attention, **self._generate_kwargs())
        width = input_ids.shape[1]
        return [
            self._finish(row[width:].tolist(), len(ids), started, prefix, probs)
            for row, ids, prefix, probs in zip(out, batch, prefixes, probabilities, strict=True)
        ]


def _verdict_token_ids(profile: Profile, tokenizer: Any) -> tuple[int, int, int]:
    """First token of each verdict word; they must differ, or one forward pass cannot tell them apart."""
    if profile.verdict_words is None:
        raise JudgeLoadError(f"Profile {profile.name!r} puts its verdict last: use verdict_mode 'generate'.")
    ids = tuple(tokenizer(word, add_special_tokens=False)["input_ids"][0] for word in profile.verdict_words)
    if len(set(ids)) != 3:
        raise JudgeLoadError(f"The verdict words {profile.verdict_words} share a first token in this tokenizer.")
    return ids[0], ids[1], ids[2]


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


def checked_settings(spec: JudgeSpec) -> tuple[Profile, Decoding]:
    """The profile and decoding of ``spec``, or :class:`JudgeInputError` saying what is wrong with it."""
    if spec.verdict_mode not in VERDICT_MODES:
        raise JudgeInputError(f"Unknown verdict mode {spec.verdict_mode!r}; choose one of {', '.join(VERDICT_MODES)}.")
    if spec.max_new_tokens is not None and spec.max_new_tokens < 1:
        raise JudgeInputError(f"max_new_tokens must be at least 1, got {spec.max_new_tokens!r}.")
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


def refingerprint(fp: dict[str, Any], spec: JudgeSpec, profile: Profile, decoding: Decoding) -> dict[str, Any]:
    """``fp`` (a loaded judge's fingerprint) with the parts that ``spec``, ``profile`` and ``decoding`` decide
    replaced: what :func:`judge_runtime.loading.fingerprint` writes for them, key for key."""
    return {
        **fp,
        "profile": profile.name,
        "prompt_template_hash": prompt_template_hash(profile),
        "decoding": asdict(decoding),
        "verdict_mode": spec.verdict_mode,
        "both_orders": spec.both_orders and spec.verdict_mode == "constrained",
        "seed": spec.seed,
    }


def load_judge(spec: JudgeSpec | None = None, **overrides: Any) -> Judge:
    """Load a judge. ``load_judge(model="path/to/PandaLM-7B", profile="pandalm")``.

    Local files only (demo, folder, .gguf, cached hub id), or ``model="openai:<name>@<base URL>"`` for
    an OpenAI-compatible server (see :mod:`judge_runtime.remote`).
    """
    spec = spec or JudgeSpec()
    if overrides:
        spec = JudgeSpec(**{**spec.__dict__, **overrides})
    if spec.verdict_mode not in VERDICT_MODES:
        raise ValueError(f"Unknown verdict mode {spec.verdict_mode!r}; choose one of {', '.join(VERDICT_MODES)}.")
    profile = get_profile(spec.profile)
    decoding = resolve_decoding(spec, profile)
    if spec.verdict_mode == "constrained" and profile.verdict_words is None:
        raise JudgeLoadError(
            f"Profile {profile.name!r} writes its verdict or rating last, so one forward pass cannot pick it: "
            "use verdict_mode 'generate'."
        )
    from judge_runtime.remote import is_remote_model, load_remote_judge

    if is_remote_model(spec.model):
        return load_remote_judge(spec, profile, decoding)
    source = resolve_model_source(spec.model)
    device = resolve_device(spec.device)
    quantization = resolve_quantization(spec.quantization, device, source)
    model, tokenizer = load_model_and_tokenizer(source, device, quantization)
    verdict_ids = _verdict_token_ids(profile, tokenizer) if spec.verdict_mode == "constrained" else None
    fp = fingerprint(
        source=source,
        quantization=quantization,
        device=device,
        profile=profile,
        decoding=decoding,
        seed=spec.seed,
        verdict_mode=spec.verdict_mode,
        both_orders=spec.both_orders and spec.verdict_mode == "constrained",
    )
    return LocalJudge(spec, profile, decoding, model, tokenizer, device, fp, verdict_ids)
