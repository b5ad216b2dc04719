"""``load_judge``: read a :class:`JudgeSpec`, check it, and build the backend it names.

It lives apart from both backends so that neither imports the other: ``engine`` (a model in this
process) and ``remote`` (an OpenAI-compatible server) depend on ``base`` alone, and only this module
knows both.
"""

from __future__ import annotations

from typing import Any

from judge_runtime.base import VERDICT_MODES, Judge, JudgeSpec, checked_settings, resolve_decoding
from judge_runtime.custom import CustomPrompt, register_custom
from judge_runtime.engine import load_local_judge, plan_local_judge
from judge_runtime.loading import JudgeLoadError, fingerprint_key
from judge_runtime.profiles import JudgeInputError, get_profile
from judge_runtime.remote import is_remote_model, load_remote_judge, parse_remote_model
from judge_runtime.static_decode import DECODE_LOOPS


def load_judge(spec: JudgeSpec | None = None, *, custom_prompt: CustomPrompt | None = None, **overrides: Any) -> Judge:
    """Load a judge. ``load_judge(model="path/to/PandaLM-7B", profile="pandalm")``.

    ``custom_prompt``: your own prompt (:mod:`judge_runtime.custom`), checked and registered here; the judge's
    profile is then ``custom:<name>@<hash12>`` (``profile="custom"`` may be passed with it, for clarity).

    Local files only (demo, folder, .gguf, cached hub id), or ``model="openai:<name>@<base URL>"`` for
    an OpenAI-compatible server (see :mod:`judge_runtime.remote`). On CUDA a local judge decodes
    greedily through the compiled static-cache loop, compiled here for batch 1 (``decode_loop``).
    """
    spec = spec or JudgeSpec()
    if custom_prompt is not None:
        overrides["profile"] = register_custom(custom_prompt)
    if overrides:
        spec = JudgeSpec(**{**spec.__dict__, **overrides})
    if spec.verdict_mode not in VERDICT_MODES:
        raise ValueError(f"Unknown verdict mode {spec.verdict_mode!r}; choose one of {', '.join(VERDICT_MODES)}.")
    if spec.decode_loop not in DECODE_LOOPS:
        raise ValueError(f"Unknown decode loop {spec.decode_loop!r}; choose one of {', '.join(DECODE_LOOPS)}.")
    profile = get_profile(spec.profile)
    decoding = resolve_decoding(spec, profile)
    if spec.verdict_mode == "constrained" and profile.verdict_words is None:
        raise JudgeLoadError(
            f"Profile {profile.name!r} writes its verdict or rating last, so one forward pass cannot pick it: "
            "use verdict_mode 'generate'."
        )
    checked_settings(spec)  # the one check of every setting (max_new_tokens, rating mode, ...) before any loading
    if is_remote_model(spec.model):
        return load_remote_judge(spec, profile, decoding)
    return load_local_judge(spec, profile, decoding)


def planned_fingerprint_key(spec: JudgeSpec) -> str | None:
    """The fingerprint key the judge ``spec`` names will have once loaded, worked out without its weights (a
    local model: file names, sizes and digest only), so a run can skip what it already judged before loading.
    None for a remote judge (its fingerprint needs the server) or a custom prompt not registered yet."""
    if is_remote_model(spec.model):
        return None
    try:
        profile, decoding = checked_settings(spec)
    except JudgeInputError:
        return None
    return fingerprint_key(plan_local_judge(spec, profile, decoding).fingerprint)


def check_model_spec(spec: JudgeSpec) -> None:
    """Refuse a malformed ``openai:<name>@<URL>`` (its form, a scheme other than http/https) without any network
    call or loading, so a command says it before its first line of output."""
    if is_remote_model(spec.model):
        parse_remote_model(spec.model)
