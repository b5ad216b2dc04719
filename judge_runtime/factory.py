"""``load_judge``: read a :class:`JudgeSpec`, check it, and build the backend it names.

It lives apart from both backends so that neither imports the other: ``engine`` (a model in this
process) and ``remote`` (an OpenAI-compatible server) depend on ``base`` alone, and only this module
knows both.
"""

from __future__ import annotations

from typing import Any

from judge_runtime.base import VERDICT_MODES, Judge, JudgeSpec, checked_settings, resolve_decoding, resolved_spec
from judge_runtime.custom import CustomPrompt, register_custom
from judge_runtime.engine import load_local_judge, plan_local_judge
from judge_runtime.loading import JudgeLoadError, fingerprint_key, resolve_model_source
from judge_runtime.profiles import CaseKind, JudgeInputError, get_profile, profile_names
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
    spec = resolved_spec(spec)  # "auto" (the default): constrained for the demo judge, as the command line
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
    spec = resolved_spec(spec)
    if is_remote_model(spec.model):
        return None
    try:
        profile, decoding = checked_settings(spec)
    except JudgeInputError:
        return None
    return fingerprint_key(plan_local_judge(spec, profile, decoding).fingerprint)


def check_model_spec(spec: JudgeSpec) -> None:
    """Refuse a judge model that cannot be loaded, without loading it: a malformed ``openai:<name>@<URL>`` (its
    form, a scheme other than http/https; no network call) or a local model that is not there (a missing path or
    .gguf file, a folder without config.json, an id not in the Hugging Face cache), so a command says it before
    its first line of output, and ``serve`` can warn at start."""
    if is_remote_model(spec.model):
        parse_remote_model(spec.model)
    else:
        resolve_model_source(spec.model)


def profiles_of_kind(kind: CaseKind) -> tuple[str, ...]:
    """The built-in profiles that compare two responses (``"pair"``) or rate one (``"single"``)."""
    return tuple(name for name in profile_names() if get_profile(name).kind == kind)


def check_profile_kind(name: str, kind: CaseKind, *, instead: str = "") -> None:
    """Refuse, before anything loads, a profile of the other kind, and an unknown one with only the profiles of
    ``kind`` listed: a single-answer profile given to a pairwise command once loaded the model and stored a run
    whose every verdict was an error. ``instead`` ends the message (what to use instead, in the caller's words).
    """
    try:
        profile = get_profile(name)
    except ValueError:
        names = ", ".join(profiles_of_kind(kind))
        raise JudgeInputError(f"Unknown judge profile {name!r}; choose one of: {names}.") from None
    if profile.kind != kind:
        what = (
            "rates one response; it cannot compare two"
            if kind == "pair"
            else "compares two responses; it cannot rate one"
        )
        raise JudgeInputError(f"Profile {name!r} {what}{instead}.")
