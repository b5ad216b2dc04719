"""The database schema (SQLAlchemy 2.0 typed ORM). Migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

VERDICT_VALUES = ("1", "2", "tie")
PARSE_STATUSES = ("ok", "unparsed", "truncated", "error")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prompt(Base):
    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("dataset_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="")
    instruction: Mapped[str] = mapped_column(Text)
    input: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str | None] = mapped_column(Text)


class CandidateModel(Base):
    __tablename__ = "candidate_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("prompt_id", "model_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("candidate_models.id"))
    text: Mapped[str] = mapped_column(Text)
    model: Mapped[CandidateModel] = relationship()


class Comparison(Base):
    """A prompt and two responses, in canonical order (response 1, response 2)."""

    __tablename__ = "comparisons"
    __table_args__ = (
        UniqueConstraint("prompt_id", "response1_id", "response2_id"),
        CheckConstraint("response1_id != response2_id", name="two_different_responses"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    response1_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    response2_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    prompt: Mapped[Prompt] = relationship()
    response1: Mapped[Response] = relationship(foreign_keys=[response1_id])
    response2: Mapped[Response] = relationship(foreign_keys=[response2_id])


class JudgeRun(Base):
    """One judge configuration; ``fingerprint_key`` identifies model, weights, prompt and decoding."""

    __tablename__ = "judge_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[dict[str, Any]] = mapped_column()
    model: Mapped[str] = mapped_column(String(500))
    profile: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudgeVerdict(Base):
    __tablename__ = "judge_verdicts"
    __table_args__ = (
        UniqueConstraint("run_id", "comparison_id", "swapped"),
        CheckConstraint("verdict IS NULL OR verdict IN ('1', '2', 'tie')", name="verdict_value"),
        CheckConstraint("status IN ('ok', 'unparsed', 'truncated', 'error')", name="status_value"),
        CheckConstraint("(status = 'ok') = (verdict IS NOT NULL)", name="verdict_iff_ok"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("judge_runs.id", ondelete="CASCADE"), index=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), index=True)
    swapped: Mapped[bool] = mapped_column(default=False)  # presented as (response 2, response 1)
    verdict: Mapped[str | None] = mapped_column(String(8))  # canonical order; NULL unless status = ok
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    raw_output: Mapped[str] = mapped_column(Text, default="")
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    latency_s: Mapped[float] = mapped_column(default=0.0)
    # verdict-word probabilities at the first output position (constrained mode), canonical order
    p_1: Mapped[float | None] = mapped_column()
    p_2: Mapped[float | None] = mapped_column()
    p_tie: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run: Mapped[JudgeRun] = relationship()


class Annotator(Base):
    __tablename__ = "annotators"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="annotator")
    kind: Mapped[str] = mapped_column(String(20), default="crowd")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Label(Base):
    """The current label of one annotator on one comparison (canonical order). Edits bump ``version``."""

    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("comparison_id", "annotator_id"),
        CheckConstraint("verdict IN ('1', '2', 'tie')", name="label_verdict_value"),
        Index("ix_labels_idempotency_key", "idempotency_key", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LabelEvent(Base):
    """Append-only audit log: every accepted label write, in order."""

    __tablename__ = "label_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # created | changed
    verdict: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
