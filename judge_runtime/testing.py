"""Random-weight LLaMA models of any shape, for tests and speed benchmarks.

Why: no machine here reaches a model hub, and 7B weights cannot travel to a GPU machine. Decoding
speed does not depend on weight values, and the loading, quantization, batching and decode-loop code
does not either, so a model built from a ``LlamaConfig`` and saved with ``save_pretrained`` exercises
every path a real checkpoint takes. Its tokenizer is a real one (the demo judge's, or a folder named
by ``JUDGE_STUDIO_TOKENIZER``), so verdict token ids and prompts are real too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TOKENIZER_ENV = "JUDGE_STUDIO_TOKENIZER"  # a tokenizer folder, where the demo judge's package is not installed

# Small enough to build, quantize and compile in seconds on a CPU; grouped-query attention like newer judges.
TINY_LLAMA: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 1024,
}
LLAMA_7B: dict[str, Any] = {  # PandaLM-7B's shape (LLaMA-7B)
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-6,
}


def tokenizer_for_tests(folder: str | None = None) -> Any:
    """A real tokenizer: ``folder``, else ``$JUDGE_STUDIO_TOKENIZER``, else the demo judge's; left padding."""
    folder = folder or os.environ.get(TOKENIZER_ENV)
    if not folder:
        from judge_runtime.loading import DEMO_MODEL, load_tokenizer

        return load_tokenizer(DEMO_MODEL)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def random_llama(
    folder: Path,
    tokenizer: Any,
    shape: dict[str, Any],
    *,
    device: str = "cpu",
    dtype: str = "float32",
    seed: int = 0,
) -> dict[str, Any]:
    """Build a random-weight LLaMA of ``shape`` on ``device``, save it and ``tokenizer`` into ``folder``.

    Returns the shape with the vocabulary size and parameter count. Built on the target device (a
    7B model initialises in seconds on a GPU, minutes on a CPU), then freed.
    """
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    parameters = sum(p.numel() for p in model.parameters())
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {**shape, "vocab_size": len(tokenizer), "parameters": parameters}
