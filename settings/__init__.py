"""One place for every default: the CLI, the server and the docs read them from here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from judge_runtime import DEFAULT_PROFILE, DEMO_MODEL, JudgeSpec, get_profile

ENV_PREFIX = "JUDGE_STUDIO_"


def _default_home() -> Path:
    return Path(os.environ.get(f"{ENV_PREFIX}HOME", "~/.judge-studio")).expanduser()


@dataclass(frozen=True)
class Settings:
    """Defaults, each overridable by an environment variable ``JUDGE_STUDIO_<NAME>`` or a CLI flag."""

    home: Path = field(default_factory=_default_home)
    database_url: str = ""  # empty: a SQLite file in ``home``
    judge_model: str = DEMO_MODEL
    judge_profile: str = DEFAULT_PROFILE
    quantization: str = "auto"
    device: str = "auto"
    decoding: str = "fast"
    max_new_tokens: int = 256
    seed: int = 0
    # "auto": constrained for the demo judge (it never writes a parseable verdict on its own,
    # see docs/NOTES.md), "generate" (the released behaviour) for every other model.
    verdict_mode: str = "auto"
    both_orders: bool = True  # constrained mode: average verdict probabilities over both orders
    host: str = "127.0.0.1"
    port: int = 7860
    batch_size: int = 4
    seed_demo: bool = True
    # the web layer on a network (docs/SECURITY.md)
    public_url: str = ""  # e.g. https://judge.example.org behind an HTTPS proxy: the one origin trusted
    forwarded_allow_ips: str = ""  # proxy addresses whose X-Forwarded-* headers are believed
    max_upload_mb: int = 20
    session_hours: int = 72
    login_attempts: int = 10  # failed logins per account and per address per 15 minutes

    @property
    def resolved_verdict_mode(self) -> str:
        if self.verdict_mode != "auto":
            return self.verdict_mode
        if self.judge_model != DEMO_MODEL:
            return "generate"
        # constrained needs verdict words first in the output (PandaLM); MT-Bench's verdict comes last
        # and JudgeLM starts with scores, so the demo judge writes freely in those formats
        try:
            words = get_profile(self.judge_profile).verdict_words
        except Exception:  # an unknown profile name: loading the judge reports it
            return "generate"
        return "constrained" if words is not None else "generate"

    @property
    def database(self) -> str:
        return self.database_url or str(self.home / "judge-studio.sqlite3")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        for name, current in cls().__dict__.items():
            raw = os.environ.get(ENV_PREFIX + name.upper())
            if raw is None or name == "home":
                continue
            values[name] = _convert(raw, current, name)
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def _convert(raw: str, current: Any, name: str) -> Any:
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a whole number.") from None
    return raw


def judge_spec(s: Settings) -> JudgeSpec:
    """What to load for these settings (the demo judge gets constrained, both-orders verdicts)."""
    return JudgeSpec(
        model=s.judge_model,
        profile=s.judge_profile,
        quantization=s.quantization,
        device=s.device,
        decoding=s.decoding,
        max_new_tokens=s.max_new_tokens,
        seed=s.seed,
        verdict_mode=s.resolved_verdict_mode,
        both_orders=s.both_orders,
    )
