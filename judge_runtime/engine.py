"""The judge engine: one loaded model + one profile -> parsed judgments, streamed or batched."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from judge_runtime.loading import (
    DEMO_MODEL,
    fingerprint,
    fingerprint_key,
    load_model_and_tokenizer,
    resolve_device,
    resolve_model_source,
    resolve_quantization,
)
from judge_runtime.profiles import Decoding, PairCase, ParsedJudgment, Profile, get_profile

DEFAULT_PROFILE = "pandalm"


class JudgeInputError(ValueError):
    """A case cannot be judged as given (empty field, too long for the model)."""


@dataclass(frozen=True)
class JudgeSpec:
    """What to load. ``decoding`` names one of the profile's presets ('fast', 'released')."""

    model: str = DEMO_MODEL
    profile: str = DEFAULT_PROFILE
    quantization: str = "auto"
    device: str = "auto"
    decoding: str = "fast"
    max_new_tokens: int | None = 256
    seed: int = 0


@dataclass(frozen=True)
class JudgeResult:
    parsed: ParsedJudgment
    raw_output: str
    prompt_tokens: int
    output_tokens: int
    latency_s: float


@dataclass
class JudgeProgress:
    """One step of a streamed judgment: the text so far, and the result once finished."""

    text: str
    result: JudgeResult | None = None


@dataclass
class Judge:
    """A loaded judge. Build it with :func:`load_judge`."""

    spec: JudgeSpec
    profile: Profile
    decoding: Decoding
    model: Any
    tokenizer: Any
    device: str
    fingerprint: dict[str, Any]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def fingerprint_key(self) -> str:
        return fingerprint_key(self.fingerprint)

    # ---------------------------------------------------------------- prompt -> token ids
    def encode(self, case: PairCase) -> list[int]:
        for name in ("instruction", "response1", "response2"):
            if not str(getattr(case, name)).strip():
                raise JudgeInputError(f"The {name} is empty: the judge needs an instruction and two responses.")
        prompt = self.profile.build_prompt(case)
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

    def _generate_kwargs(self) -> dict[str, Any]:
        kwargs = self.decoding.as_kwargs()
        kwargs["pad_token_id"] = self.tokenizer.pad_token_id
        return kwargs

    def _stop_ids(self) -> set[int]:
        configured = getattr(self.model.generation_config, "eos_token_id", None)
        ids = configured if isinstance(configured, list) else [configured]
        return {int(i) for i in [*ids, self.tokenizer.eos_token_id] if i is not None}

    def _finish(self, out_ids: Sequence[int], prompt_tokens: int, started: float) -> JudgeResult:
        stops, pad = self._stop_ids(), self.tokenizer.pad_token_id
        ids: list[int] = []
        stopped = False
        for token in (int(t) for t in out_ids):
            if token in stops:
                stopped = True
                break
            if token != pad:
                ids.append(token)
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        return JudgeResult(
            parsed=self.profile.parse(text, truncated=not stopped and len(ids) >= self.decoding.max_new_tokens),
            raw_output=text,
            prompt_tokens=prompt_tokens,
            output_tokens=len(ids) + int(stopped),
            latency_s=time.perf_counter() - started,
        )

    # ---------------------------------------------------------------- one judgment, streamed
    def stream(self, case: PairCase) -> Iterator[JudgeProgress]:
        """Yield the growing output text; the last item carries the parsed result."""
        import torch
        from transformers import TextIteratorStreamer

        ids = self.encode(case)
        started = time.perf_counter()
        input_ids = torch.tensor([ids], device=self.device)
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

        with self._lock:  # one generation per loaded model at a time
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            text = ""
            for piece in streamer:
                text += piece
                yield JudgeProgress(text)
            worker.join()
        if "error" in holder:
            raise holder["error"]
        yield JudgeProgress(text, self._finish(holder["out"][0][len(ids) :].tolist(), len(ids), started))

    def judge(self, case: PairCase) -> JudgeResult:
        return self.judge_many([case])[0]

    # ---------------------------------------------------------------- many judgments, batched
    def judge_many(
        self,
        cases: Sequence[PairCase],
        *,
        batch_size: int = 8,
        on_result: Callable[[int, JudgeResult], None] | None = None,
    ) -> list[JudgeResult]:
        """Judge cases in length-sorted, left-padded batches; ``on_result(index, result)`` per case.

        On CUDA out-of-memory the batch is halved and retried instead of failing the run.
        """
        import torch

        encoded = [self.encode(case) for case in cases]
        order = sorted(range(len(cases)), key=lambda i: len(encoded[i]))
        results: dict[int, JudgeResult] = {}
        position = 0
        size = max(1, batch_size)
        while position < len(order):
            batch = order[position : position + size]
            try:
                batch_results = self._generate_batch([encoded[i] for i in batch])
            except torch.cuda.OutOfMemoryError:
                if size == 1:
                    raise
                torch.cuda.empty_cache()
                size = max(1, size // 2)
                continue
            for index, result in zip(batch, batch_results, strict=True):
                results[index] = result
                if on_result is not None:
                    on_result(index, result)
            position += len(batch)
        return [results[i] for i in range(len(cases))]

    def _generate_batch(self, batch: list[list[int]]) -> list[JudgeResult]:
        import torch

        started = time.perf_counter()
        width = max(len(ids) for ids in batch)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in batch], device=self.device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in batch], device=self.device)
        with self._lock, torch.inference_mode():
            torch.manual_seed(self.spec.seed)
            out = self.model.generate(input_ids=input_ids, attention_mask=attention, **self._generate_kwargs())
        return [self._finish(row[width:].tolist(), len(ids), started) for row, ids in zip(out, batch, strict=True)]


def load_judge(spec: JudgeSpec | None = None, **overrides: Any) -> Judge:
    """Load a judge from local files. ``load_judge(model="path/to/PandaLM-7B", profile="pandalm")``."""
    spec = spec or JudgeSpec()
    if overrides:
        spec = JudgeSpec(**{**spec.__dict__, **overrides})
    profile = get_profile(spec.profile)
    try:
        preset = profile.decoding_presets[spec.decoding]
    except KeyError:
        raise ValueError(
            f"Unknown decoding preset {spec.decoding!r} for {profile.name}; "
            f"choose one of {', '.join(profile.decoding_presets)}"
        ) from None
    decoding = preset
    if spec.max_new_tokens is not None:
        decoding = Decoding(
            max_new_tokens=spec.max_new_tokens,
            num_beams=preset.num_beams,
            repetition_penalty=preset.repetition_penalty,
            do_sample=preset.do_sample,
        )
    source = resolve_model_source(spec.model)
    device = resolve_device(spec.device)
    quantization = resolve_quantization(spec.quantization, device, source)
    model, tokenizer = load_model_and_tokenizer(source, device, quantization)
    fp = fingerprint(
        source=source,
        quantization=quantization,
        device=device,
        profile=profile,
        decoding=decoding,
        seed=spec.seed,
    )
    return Judge(spec, profile, decoding, model, tokenizer, device, fp)
