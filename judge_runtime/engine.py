"""The local judge engine: one loaded model + one profile -> parsed judgments, streamed or batched.

Two verdict modes:

- ``generate`` (the released behaviour): the model writes its whole output and the profile parses
  it; an output without a verdict is ``unparsed``.
- ``constrained`` (for profiles whose output starts with the verdict, e.g. PandaLM): one forward
  pass gives the probabilities of the three verdict words at the first output position
  (renormalised, as AlpacaEval's logprob parser does); the most likely word is written, then the
  model continues with the rest of the layout (reason, reference). Small models that never follow
  a format on their own still give a real, probability-backed verdict this way. With
  ``both_orders`` the swapped presentation of every case rides in the same forward batch.

Three decode loops (``JudgeSpec.decode_loop``): greedy decoding runs through the static-cache loop
of :mod:`judge_runtime.static_decode` ("static", or "compiled" with the one-token step under
``torch.compile``: the default on CUDA) or through transformers' ``generate`` ("generate": the
default on the CPU, and always for beam search). Both give the same tokens.

Batches (``judge_many``/``rate_many``) are length-sorted; on the static loops a batch never mixes
prompt buckets, on CUDA its size is capped by free GPU memory, and on out-of-memory it is halved.
Each item's ``latency_s`` is measured per row: from the start of its batch (the constrained verdict
pass and the prefill included) to the step at which that row chose its last token, on both loops
(``generate`` reports it through a stopping criterion that never stops anything). Beam search in a
batch is the exception: its rows finish together, so they get the batch's time (``latency_basis``
"batch").

Custom prompts with a marker rule (:mod:`judge_runtime.custom`): after the free output, one forward pass
scores every marker of the rule where the last one was written, giving the verdict's probabilities.

Single-answer profiles with ``rating_mode="expected"``: after the judge has written its explanation,
one forward pass reads its probabilities of the ratings 1-10 (:mod:`judge_runtime.ratings`); the
score is their mean and the item's latency includes that pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from judge_runtime.base import (
    Judge,
    JudgeProgress,
    JudgeResult,
    JudgeSpec,
    ResultCallback,
    average_orders,
    check_case,
    forced_prefix,
)
from judge_runtime.batching import (
    GENERATION_STEPS,
    decode_until_stop,
    free_cuda_bytes,
    left_pad,
    plan_batch_size,
    run_in_batches,
    stop_token_ids,
)
from judge_runtime.custom import CustomProfile, marker_probabilities
from judge_runtime.loading import (
    JudgeLoadError,
    ModelSource,
    fingerprint,
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
    render,
    swapped,
)
from judge_runtime.ratings import (
    closing_token_ids,
    expected_score,
    normalised,
    rating_context,
    rating_log_scores,
    rating_sequences,
)
from judge_runtime.static_decode import (
    GreedySettings,
    StaticDecoder,
    bucket_for,
    largest_slot,
    resolve_decode_loop,
    row_bytes,
    unsupported_generation_settings,
)


class PromptTooLong(JudgeInputError):
    """A case whose prompt and new tokens do not fit the judge's context: refused before the model runs on it,
    so a dataset run can store it as an error and judge the rest (``tokens``, ``limit`` for the summary)."""

    def __init__(self, tokens: int, new_tokens: int, limit: int) -> None:
        super().__init__(
            f"The prompt is {tokens} tokens; with {new_tokens} new tokens it exceeds "
            f"the judge's context of {limit} tokens. Shorten the responses."
        )
        self.tokens, self.limit = tokens, limit


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
    decoder: StaticDecoder | None = None  # the static-cache loop; None: generate() only
    closing_ids: tuple[int, ...] | None = field(default=None, repr=False)  # tokens starting with "]" (ratings)

    def _with_spec(self, spec: JudgeSpec, profile: Profile, decoding: Decoding) -> Judge:
        """Same model, tokenizer, decoder and lock (one generation at a time on the shared weights)."""
        constrained = spec.verdict_mode == "constrained"
        try:
            verdict_ids = _verdict_token_ids(profile, self.tokenizer) if constrained else None
        except JudgeLoadError as exc:
            raise JudgeInputError(str(exc)) from None
        fp = refingerprint(self.fingerprint, spec, profile, decoding)
        return LocalJudge(
            spec,
            profile,
            decoding,
            self.model,
            self.tokenizer,
            self.device,
            fp,
            verdict_ids,
            _lock=self._lock,
            decoder=self.decoder,
            closing_ids=self.closing_ids,
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
            raise PromptTooLong(len(ids), self.decoding.max_new_tokens, int(limit))
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
        prompt_ids: Sequence[int],
        started: float,
        prefix: str = "",
        probabilities: dict[str, float] | None = None,
        *,
        finished_at: float | None = None,
        latency_basis: str = "item",
    ) -> JudgeResult:
        """The parsed result of one output; ``finished_at``: when its last token was chosen (default: now).

        With expected ratings the rating pass runs here, and its own time is added to the item's latency.
        """
        decoded, kept, stopped = decode_until_stop(self.tokenizer, out_ids, stop_token_ids(self.model, self.tokenizer))
        text = prefix + decoded
        done = time.perf_counter() if finished_at is None else finished_at
        result = JudgeResult(
            parsed=self.profile.parse(text, truncated=not stopped and kept >= self.decoding.max_new_tokens),
            raw_output=text,
            prompt_tokens=len(prompt_ids),
            output_tokens=kept + int(stopped),
            latency_s=done - started,
            probabilities=probabilities,
            latency_basis=latency_basis,
        )
        if not self.rates_expected:
            return self._with_marker_probabilities(result, prompt_ids)
        rating_started = time.perf_counter()
        parsed, distribution = self.expected_rating(prompt_ids, text)
        spent = time.perf_counter() - rating_started
        return replace(result, parsed=parsed, rating_probabilities=distribution, latency_s=result.latency_s + spent)

    def _with_marker_probabilities(self, result: JudgeResult, prompt_ids: Sequence[int]) -> JudgeResult:
        """A custom prompt's marker verdict with its probabilities (:func:`judge_runtime.custom.marker_probabilities`):
        one forward pass after the free output, its time added to the item's latency. Regex rules, unparsed
        outputs and built-in profiles are returned as they are. The caller holds the lock (it runs the model)."""
        if result.probabilities is not None or not isinstance(self.profile, CustomProfile):
            return result
        site = self.profile.marker_site(result.raw_output, result.parsed)
        if site is None:
            return result
        started = time.perf_counter()
        probabilities = marker_probabilities(self.model, self.tokenizer, prompt_ids, site, device=self.device)
        spent = time.perf_counter() - started
        return replace(result, probabilities=probabilities, latency_s=result.latency_s + spent)

    # ---------------------------------------------------------------- expected ratings
    @property
    def rates_expected(self) -> bool:
        """Whether ratings are read from the judge's distribution (single-answer profile, rating_mode expected)."""
        return self.spec.rating_mode == "expected" and self.profile.kind == "single"

    def expected_rating(self, prompt_ids: Sequence[int], output: str) -> tuple[ParsedJudgment, dict[int, float]]:
        """The judge's probabilities of the ratings 1-10 after its explanation, and the parsed result whose
        score is their mean (status ok). The caller holds the lock (it runs the model)."""
        if self.closing_ids is None:
            self.closing_ids = closing_token_ids(self.tokenizer)
        context = rating_context(output)
        context_ids, sequences = rating_sequences(self.tokenizer, context.text)
        scores = rating_log_scores(
            self.model,
            list(prompt_ids) + context_ids,
            sequences,
            self.closing_ids,
            pad_id=int(self.tokenizer.pad_token_id),
            device=self.device,
        )
        distribution = normalised(scores)
        return ParsedJudgment(None, "ok", context.explanation, score=expected_score(distribution)), distribution

    # ---------------------------------------------------------------- which decode loop
    def greedy_settings(self) -> GreedySettings:
        """What the static loop needs from this judge's decoding (min_new_tokens from the generation config)."""
        return GreedySettings(
            max_new_tokens=self.decoding.max_new_tokens,
            stop_ids=tuple(sorted(stop_token_ids(self.model, self.tokenizer))),
            pad_id=int(self.tokenizer.pad_token_id),
            repetition_penalty=float(self.decoding.repetition_penalty),
            min_new_tokens=int(getattr(self.model.generation_config, "min_new_tokens", None) or 0),
        )

    def uses_static_loop(self, longest_prompt: int) -> bool:
        """Whether prompts up to this length decode through the static loop (greedy, fits the cache)."""
        return (
            self.decoder is not None
            and self.decoding.num_beams == 1
            and not self.decoding.do_sample
            and self.decoder.fits(longest_prompt, self.decoding.max_new_tokens)
            and not unsupported_generation_settings(self.model.generation_config)
        )

    def warm_up(self, batch_sizes: Sequence[int] = (1,)) -> None:
        """Compile the static loop's step for these batch sizes now (30-70 s each on a GPU), not mid-job."""
        if self.decoder is None:
            return
        prompt = self.tokenizer("Warm-up prompt.")["input_ids"]
        with self._lock:
            self.decoder.warm_up(batch_sizes, self.greedy_settings(), prompt=prompt)

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
        """One forward batch: both presentation orders of every case ride together when ``swapped_batch`` is given."""
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

    def busy(self) -> bool:
        """Whether a generation holds the model now (a batch of a judge run, or someone's streamed
        judgment): a new one waits for it. Cheap, for the pages to say so before the first token."""
        return self._lock.locked()

    # ---------------------------------------------------------------- one judgment, streamed
    def stream(self, case: Case) -> Iterator[JudgeProgress]:
        """Yield the growing output text; the last item carries the parsed result."""
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
            if self.uses_static_loop(len(ids)):
                yield from self._stream_static(ids, started, prefix, probabilities)
            elif self.decoding.num_beams > 1:  # transformers cannot stream beam search: the text comes at the end
                result = self._finish(self._generate_one(ids), ids, started, prefix, probabilities)
                yield JudgeProgress(result.raw_output, result)
            else:
                yield from self._stream_generate(ids, started, prefix, probabilities)

    def _stream_static(
        self, ids: list[int], started: float, prefix: str, probabilities: dict[str, float] | None
    ) -> Iterator[JudgeProgress]:
        """Tokens from the static loop as they come; text re-decoded whole, so multi-byte characters stay intact."""
        assert self.decoder is not None
        settings = self.greedy_settings()
        tokens: list[int] = []
        shown = prefix
        for token in self.decoder.stream(ids, settings):
            tokens.append(token)
            text = prefix + decode_until_stop(self.tokenizer, tokens, set(settings.stop_ids))[0]
            if text != shown and not text.endswith("\ufffd"):
                shown = text
                yield JudgeProgress(text)
        result = self._finish(tokens, ids, started, prefix, probabilities)
        yield JudgeProgress(result.raw_output, result)

    def _generate_one(self, ids: list[int]) -> list[int]:
        """New token ids of one prompt through ``generate`` (beam search: nothing to stream)."""
        import torch

        input_ids = torch.tensor([ids], device=self.device)
        with torch.inference_mode():
            torch.manual_seed(self.spec.seed)
            out = self.model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **self._generate_kwargs()
            )
        return list(out[0][len(ids) :].tolist())

    def _stream_generate(
        self, ids: list[int], started: float, prefix: str, probabilities: dict[str, float] | None
    ) -> Iterator[JudgeProgress]:
        """``generate`` in a worker thread feeding transformers' text streamer. Closing this generator early (a
        Stop, a closed page) ends ``generate`` at its next step, before the model's lock is let go."""
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        input_ids = torch.tensor([ids], device=self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        holder: dict[str, Any] = {}
        stop = StopWhenSet()

        def run() -> None:
            try:
                with torch.inference_mode():
                    torch.manual_seed(self.spec.seed)
                    holder["out"] = self.model.generate(
                        input_ids=input_ids,
                        attention_mask=torch.ones_like(input_ids),
                        streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([stop]),
                        **self._generate_kwargs(),
                    )
            except BaseException as exc:  # surfaced in the caller's thread below
                holder["error"] = exc
                streamer.end()

        worker = threading.Thread(target=run, name="judge-generate", daemon=True)
        worker.start()
        text = prefix
        try:
            for piece in streamer:
                text += piece
                yield JudgeProgress(text)
        finally:
            stop.event.set()  # a no-op once generate has ended; else it ends at its next step
            worker.join()
        if "error" in holder:
            raise holder["error"]
        new_tokens = holder["out"][0][len(ids) :].tolist()
        yield JudgeProgress(text, self._finish(new_tokens, ids, started, prefix, probabilities))

    # ---------------------------------------------------------------- many judgments, batched
    def _run_many(self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None) -> list[JudgeResult]:
        """Length-sorted, left-padded batches (one prompt bucket each on the static loop), sized to free GPU
        memory on CUDA; on CUDA out-of-memory the caches are dropped and the batch is halved and retried."""
        encoded = [self.encode(case) for case in cases]
        others = [self._encode_swapped(case) for case in cases]

        def run(batch: list[int]) -> list[JudgeResult]:
            swapped_batch = [others[i] for i in batch]
            return self._judge_batch(
                [encoded[i] for i in batch],
                [ids for ids in swapped_batch if ids is not None] if swapped_batch[0] is not None else None,
            )

        lengths = [len(ids) for ids in encoded]
        size = self.batch_size_for(batch_size, max(lengths, default=0))
        buckets = self.decoder.buckets if self.decoder is not None else None
        return run_in_batches(
            lengths,
            size,
            run,
            on_result,
            group_of=(lambda n: bucket_for(n, buckets)) if buckets else None,
            on_oom=self.decoder.release if self.decoder is not None else None,
        )

    def memory_budget(self) -> int | None:
        """Free GPU memory in bytes; None on the CPU (no limit is worked out there)."""
        if not self.device.startswith("cuda"):
            return None
        return free_cuda_bytes(self.device)

    def batch_size_for(self, requested: int, longest_prompt: int) -> int:
        """``requested``, capped on CUDA by what fits in free memory (so one setting runs on a 24 GB card too).

        Static loop: the largest power-of-two slot whose cache (unless already allocated) and prefill fit;
        ``generate``: the rows whose dynamic cache (times the beams) and prefill fit. Both orders double the
        forward pass's rows.
        """
        budget = self.memory_budget()
        if budget is None:
            return max(1, requested)
        orders = 2 if self.constrained and self.spec.both_orders else 1
        if self.decoder is not None and self.uses_static_loop(longest_prompt):
            kv, transient = row_bytes(self.model, self.decoder.cache_len)
            return largest_slot(requested, budget, kv, transient * orders, self.decoder.allocated_slots)
        kv, transient = row_bytes(self.model, longest_prompt + self.decoding.max_new_tokens)
        per_row = kv * max(1, self.decoding.num_beams) + transient * orders
        return plan_batch_size(requested, budget, per_row)

    def _left_pad(self, batch: list[list[int]]) -> tuple[Any, Any]:
        return left_pad(batch, self.tokenizer.pad_token_id, self.device)

    def _judge_batch(self, batch: list[list[int]], swapped_batch: list[list[int]] | None) -> list[JudgeResult]:
        started = time.perf_counter()
        with self._lock:
            prefixes: list[str] = [""] * len(batch)
            probabilities: list[dict[str, float] | None] = [None] * len(batch)
            if self.constrained:
                probabilities = list(self._constrained_verdicts(batch, swapped_batch))
                forced = [self._forced_prefix(p) for p in probabilities if p is not None]
                prefixes = [text for text, _ in forced]
                batch = [ids + extra for ids, (_, extra) in zip(batch, forced, strict=True)]
            if self.uses_static_loop(max(len(ids) for ids in batch)):
                assert self.decoder is not None
                outputs, finished = self.decoder.generate_timed(batch, self.greedy_settings())
            else:
                outputs, finished = self._generate_batch(batch)
            basis = "batch" if self.decoding.num_beams > 1 and len(batch) > 1 else "item"
            return [
                self._finish(out, ids, started, prefix, probs, finished_at=done, latency_basis=basis)
                for out, ids, prefix, probs, done in zip(outputs, batch, prefixes, probabilities, finished, strict=True)
            ]

    def _generate_batch(self, batch: list[list[int]]) -> tuple[list[list[int]], list[float]]:
        """New token ids of each prompt through ``generate`` on one left-padded batch, and when each row chose its
        last token (greedy and sampling: per row; beam search: rows finish together, at the end)."""
        import torch
        from transformers import StoppingCriteriaList

        input_ids, attention = self._left_pad(batch)
        timer = RowFinishTimer(len(batch), stop_token_ids(self.model, self.tokenizer))
        timed = self.decoding.num_beams == 1
        with torch.inference_mode():
            torch.manual_seed(self.spec.seed)
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                stopping_criteria=StoppingCriteriaList([timer]) if timed else None,
                **self._generate_kwargs(),
            )
        ended = time.perf_counter()
        width = input_ids.shape[1]
        return [row[width:].tolist() for row in out], [t if t is not None else ended for t in timer.finished_at]


class StopWhenSet:
    """A ``generate`` stopping criterion that stops every row once ``event`` is set (a streamed judgment closed)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        stopped = self.event.is_set()
        return torch.full((input_ids.shape[0],), stopped, dtype=torch.bool, device=input_ids.device)


class RowFinishTimer:
    """A ``generate`` stopping criterion that stops nothing: it notes when each row first chose a stop token.

    Called once per step with the tokens so far (the check costs one small device-to-host copy a step,
    which ``generate``'s own end-of-sequence check pays anyway). A row that never stops keeps None
    (the caller uses the end of generation).
    """

    def __init__(self, rows: int, stop_ids: set[int]) -> None:
        self.finished_at: list[float | None] = [None] * rows
        self._stop_ids = stop_ids

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        now = time.perf_counter()
        GENERATION_STEPS.step()  # a progress bar's sign of life (batching.StepCounter)
        for row, token in enumerate(input_ids[:, -1].tolist()[: len(self.finished_at)]):
            if self.finished_at[row] is None and int(token) in self._stop_ids:
                self.finished_at[row] = now
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def _verdict_token_ids(profile: Profile, tokenizer: Any) -> tuple[int, int, int]:
    """First token of each verdict word, from the judge's own tokenizer; they must differ, or one forward pass
    cannot tell them apart."""
    if profile.verdict_words is None:
        raise JudgeLoadError(f"Profile {profile.name!r} puts its verdict last: use verdict_mode 'generate'.")
    ids = tuple(tokenizer(word, add_special_tokens=False)["input_ids"][0] for word in profile.verdict_words)
    if len(set(ids)) != 3:
        raise JudgeLoadError(f"The verdict words {profile.verdict_words} share a first token in this tokenizer.")
    return ids[0], ids[1], ids[2]


def refingerprint(fp: dict[str, Any], spec: JudgeSpec, profile: Profile, decoding: Decoding) -> dict[str, Any]:
    """``fp`` (a loaded judge's fingerprint) with the parts that ``spec``, ``profile`` and ``decoding`` decide
    replaced: what :func:`judge_runtime.loading.fingerprint` writes for them, key for key."""
    out = {
        **fp,
        "profile": profile.name,
        "prompt_template_hash": prompt_template_hash(profile),
        "decoding": asdict(decoding),
        "verdict_mode": spec.verdict_mode,
        "both_orders": spec.both_orders and spec.verdict_mode == "constrained",
        "seed": spec.seed,
    }
    # recorded only for expected ratings, so that other runs keep the fingerprints they were stored under
    if spec.rating_mode == "expected" and profile.kind == "single":
        out["rating_mode"] = "expected"
    else:
        out.pop("rating_mode", None)
    return out


def build_decoder(model: Any, device: str, loop: str, spec: JudgeSpec, decoding: Decoding) -> StaticDecoder | None:
    """The static loop for ``loop`` ("static"/"compiled"), its cache sized for the longest bucket + new tokens."""
    if loop == "generate":
        return None
    context = getattr(model.config, "max_position_embeddings", None)
    cache_len = max(spec.prompt_buckets) + decoding.max_new_tokens
    if context:
        cache_len = min(cache_len, int(context))
    return StaticDecoder(model, device, cache_len, tuple(sorted(spec.prompt_buckets)), compiled=loop == "compiled")


@dataclass(frozen=True)
class LocalPlan:
    """What loading ``spec`` will use, worked out from the files without loading the weights."""

    source: ModelSource
    device: str
    quantization: str
    loop: str
    fingerprint: dict[str, Any]


def plan_local_judge(spec: JudgeSpec, profile: Profile, decoding: Decoding) -> LocalPlan:
    """The source, device, quantization, decode loop and fingerprint of the judge ``spec`` names, without its
    weights: a run can tell which comparisons this judge already judged (and that nothing is left) first."""
    source = resolve_model_source(spec.model)
    device = resolve_device(spec.device)
    quantization = resolve_quantization(spec.quantization, device, source)
    loop = resolve_decode_loop(spec.decode_loop, device)
    fp = fingerprint(
        source=source,
        quantization=quantization,
        device=device,
        profile=profile,
        decoding=decoding,
        seed=spec.seed,
        verdict_mode=spec.verdict_mode,
        both_orders=spec.both_orders and spec.verdict_mode == "constrained",
        decode_loop=loop,
        rating_mode=spec.rating_mode if profile.kind == "single" else "parse",
    )
    return LocalPlan(source, device, quantization, loop, fp)


def load_local_judge(spec: JudgeSpec, profile: Profile, decoding: Decoding) -> LocalJudge:
    """Load the model in ``spec`` from local files; with the compiled loop, compile batch 1 now (streaming)."""
    plan = plan_local_judge(spec, profile, decoding)
    source, device, quantization, loop, fp = plan.source, plan.device, plan.quantization, plan.loop, plan.fingerprint
    model, tokenizer = load_model_and_tokenizer(source, device, quantization)
    verdict_ids = _verdict_token_ids(profile, tokenizer) if spec.verdict_mode == "constrained" else None
    decoder = build_decoder(model, device, loop, spec, decoding)
    judge = LocalJudge(spec, profile, decoding, model, tokenizer, device, fp, verdict_ids, decoder=decoder)
    if decoder is not None and decoder.compiled:
        judge.warm_up((1,))
    return judge
