"""Responses from a candidate model, generated locally: for pipelines whose candidates are models, not files.

::

    generator = load_generator("smollm2-demo", max_new_tokens=128)
    responses = generator.generate([("Name a primary colour.", ""), ("Translate to German.", "Good morning")])
    generator.close()

Prompt format (``prompt_format``):

- ``"chat"``: the model's own chat template, one user message (the instruction, then a blank line and
  the input when there is one), with the template's generation prompt. Instruction-tuned models
  answer best in the format they were tuned on.
- ``"alpaca"``: the Alpaca template PandaLM's ``candidate_model_inference.py`` uses, byte for byte
  (with and without input). Base models and Alpaca-style fine-tunes (PandaLM's own candidates) expect it.
- ``"auto"`` (default): ``"chat"`` when the tokenizer has a chat template, otherwise ``"alpaca"``.

Decoding is greedy (reproducible, and what a judge comparison needs: one answer per model), up to
``max_new_tokens``, stopping at the model's end-of-sequence tokens. PandaLM's released candidate
inference uses 4-beam search with repetition penalty 1.2; greedy is far cheaper and the comparison
stays deterministic. The response is the decoded text with PandaLM's special-token strings removed
and whitespace stripped (its ``post_process_output``); nothing else is cut.

Prompts run in length-sorted, left-padded batches; on CUDA out-of-memory the batch is halved.
torch and transformers are imported inside the functions that use them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from judge_runtime.batching import decode_until_stop, left_pad, run_in_batches, stop_token_ids
from judge_runtime.loading import (
    DEMO_MODEL,
    ModelSource,
    load_model_and_tokenizer,
    resolve_device,
    resolve_model_source,
    resolve_quantization,
    weights_digest,
)
from judge_runtime.profiles import JudgeInputError, pandalm_clean

PROMPT_FORMATS = ("auto", "chat", "alpaca")
# PandaLM's candidate template ("alpaca" in pandalm/utils/candidate_model_inference.py), byte for byte.
ALPACA_PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a "
    "response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}"
    "\n\n### Response:\n"
)
ALPACA_PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
GenerationProgress = Callable[[int, int], None]


def alpaca_prompt(instruction: str, input: str = "") -> str:
    """PandaLM's candidate prompt (the input block only when there is an input, as upstream's ``if input``)."""
    if input:
        return ALPACA_PROMPT_WITH_INPUT.format(instruction=instruction, input=input)
    return ALPACA_PROMPT_NO_INPUT.format(instruction=instruction)


def candidate_name(model: str) -> str:
    """How a model candidate is named in results: the demo name, a folder's or file's name, or the hub id."""
    if model == DEMO_MODEL:
        return DEMO_MODEL
    source = resolve_model_source(model)
    if source.gguf_file:
        return source.gguf_file.removesuffix(".gguf")
    return source.directory.name if source.directory.is_dir() else model


@dataclass
class ResponseGenerator:
    """A candidate model loaded for generation. Build it with :func:`load_generator`; ``close()`` frees it."""

    name: str
    source: ModelSource
    model: Any
    tokenizer: Any
    device: str
    quantization: str
    prompt_format: str  # resolved: "chat" or "alpaca"
    max_new_tokens: int
    seed: int = 0
    stop_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def description(self) -> dict[str, Any]:
        """What decided the responses (kept with the results, like a judge's fingerprint)."""
        return {
            "model": self.source.display_name,
            "weights_digest": weights_digest(self.source),
            "quantization": self.quantization,
            "device_type": self.device.split(":")[0],
            "prompt_format": self.prompt_format,
            "decoding": {"greedy": True, "max_new_tokens": self.max_new_tokens},
            "seed": self.seed,
        }

    def prompt_text(self, instruction: str, input: str = "") -> str:
        if self.prompt_format == "alpaca":
            return alpaca_prompt(instruction, input)
        content = f"{instruction}\n\n{input}" if input.strip() else instruction
        messages = [{"role": "user", "content": content}]
        return str(self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))

    def encode(self, instruction: str, input: str = "") -> list[int]:
        text = self.prompt_text(instruction, input)
        # a chat template writes its own special tokens; the Alpaca text gets the tokenizer's usual ones (BOS)
        ids = list(self.tokenizer(text, add_special_tokens=self.prompt_format == "alpaca")["input_ids"])
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and len(ids) + self.max_new_tokens > limit:
            raise JudgeInputError(
                f"The prompt for {instruction[:60]!r} is {len(ids)} tokens; with {self.max_new_tokens} new tokens it "
                f"exceeds {self.name}'s context of {limit} tokens."
            )
        return ids

    def generate(
        self,
        items: Sequence[tuple[str, str]],
        *,
        batch_size: int = 8,
        on_progress: GenerationProgress | None = None,
    ) -> list[str]:
        """One response per ``(instruction, input)``, in order; ``on_progress(done, total)`` after each batch."""
        encoded = [self.encode(instruction, input) for instruction, input in items]
        total, done = len(encoded), 0
        if on_progress is not None:
            on_progress(0, total)

        def tick(_index: int, _text: str) -> None:
            nonlocal done
            done += 1
            if on_progress is not None:
                on_progress(done, total)

        return run_in_batches([len(ids) for ids in encoded], batch_size, lambda b: self._batch(encoded, b), tick)

    def _batch(self, encoded: list[list[int]], indices: list[int]) -> list[str]:
        import torch

        batch = [encoded[i] for i in indices]
        input_ids, attention = left_pad(batch, self.tokenizer.pad_token_id, self.device)
        with torch.inference_mode():
            torch.manual_seed(self.seed)
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        width = input_ids.shape[1]
        return [pandalm_clean(decode_until_stop(self.tokenizer, row[width:].tolist(), self.stop_ids)[0]) for row in out]

    def close(self) -> None:
        """Free the weights (a pipeline generates with one candidate model at a time, then loads the judge)."""
        self.model = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch is a dependency
            pass


def load_generator(
    model: str,
    *,
    max_new_tokens: int = 256,
    prompt_format: str = "auto",
    device: str = "auto",
    quantization: str = "auto",
    seed: int = 0,
) -> ResponseGenerator:
    """Load a candidate model from local files (demo name, folder, .gguf, cached hub id) for generation."""
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"Unknown prompt format {prompt_format!r}; choose one of {', '.join(PROMPT_FORMATS)}.")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}.")
    source = resolve_model_source(model)
    resolved_device = resolve_device(device)
    resolved_quantization = resolve_quantization(quantization, resolved_device, source)
    weights, tokenizer = load_model_and_tokenizer(source, resolved_device, resolved_quantization)
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if prompt_format == "chat" and not has_template:
        raise ValueError(f"{source.display_name} has no chat template: use prompt format 'alpaca' (or 'auto').")
    resolved_format = prompt_format if prompt_format != "auto" else "chat" if has_template else "alpaca"
    return ResponseGenerator(
        name=candidate_name(model),
        source=source,
        model=weights,
        tokenizer=tokenizer,
        device=resolved_device,
        quantization=resolved_quantization,
        prompt_format=resolved_format,
        max_new_tokens=max_new_tokens,
        seed=seed,
        stop_ids=stop_token_ids(weights, tokenizer),
    )
