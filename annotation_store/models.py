"""The database schema (SQLAlchemy 2.0 typed ORM). Migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

VERDICT_VALUES = ("1", "2", "tie")
MAX_ANNOTATOR_NAME = 100  # the annotators.name column length
PARSE_STATUSES = ("ok", "unparsed", "truncated", "error")
ANNOTATOR_ROLES = ("annotator", "reviewer", "admin")
# The alternative-annotator test's groups (``analysis.defaults.ALT_TEST_EPSILON``: crowd 0.1, skilled 0.15,
# expert 0.2). "skilled" since migration 0017; the CHECK constraints below list the same values.
ANNOTATOR_KINDS = ("crowd", "skilled", "expert")
RATING_RANGE = (1, 10)  # single-answer grading (MT-Bench style): the widest scale a rating may have
RATING_SCALES = (10, 5)  # a grading session rates 1-10 (MT-Bench) or 1-5 (Prometheus 2); see ``scales.py``
CONFIDENCE_RANGE = (1, 5)
# The shortest lease a session may set: shorter leases expire while a person still reads the item, and
# 0 s made every lease expire at once, so several people got (and labelled) the same item.
LEASE_MIN_SECONDS = 30
MAX_SESSION_ID = 64  # revoked_sessions.session_id; a login cookie's id is 22 characters
MAX_TOKEN_LABEL = 100  # api_tokens.label: POST /api/v1/tokens and `users token --label` refuse a longer one


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
    # The user turns of a multi-turn item (MT-Bench); None for single-turn prompts, where ``instruction`` is all.
    turns: Mapped[list[str] | None] = mapped_column(JSON)


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
    """A person who labels (or reviews). ``password_hash`` is None for name-only annotators (no login)."""

    __tablename__ = "annotators"
    __table_args__ = (
        CheckConstraint("role IN ('annotator', 'reviewer', 'admin')", name="annotator_role_value"),
        CheckConstraint("kind IN ('crowd', 'skilled', 'expert')", name="annotator_kind_value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="annotator")
    kind: Mapped[str] = mapped_column(String(20), default="crowd")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # see credentials.py; never the password
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # browser logins issued at or before this are refused (password change, deactivation, sign-out; 0016)
    signed_out_at: Mapped[datetime | None] = mapped_column(default=None)
    # when an admin set this account's answers aside (None: they count; ``set_aside.counted``, 0021)
    labels_set_aside_at: Mapped[datetime | None] = mapped_column(default=None)


class Label(Base):
    """The current label of one annotator on one comparison (canonical order). Edits bump ``version``.

    A label is a pairwise ``verdict`` or a single-answer ``rating`` (exactly one of them), or a skip
    (``skipped``; then both may be NULL). ``presented_swapped`` records the left/right order the
    annotator saw, so position bias can be measured; the verdict itself is always canonical. NULL: the
    order is not known (imported labels, scripts that saved a label without one; see 0012).
    """

    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("comparison_id", "annotator_id"),
        # NULL passes a CHECK, so this still holds for rating-only and skipped labels
        CheckConstraint("verdict IN ('1', '2', 'tie')", name="label_verdict_value"),
        CheckConstraint(
            "(verdict IS NULL OR rating IS NULL) AND (skipped OR verdict IS NOT NULL OR rating IS NOT NULL)",
            name="label_verdict_or_rating",
        ),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 10)", name="label_rating_range"),
        CheckConstraint("confidence IS NULL OR (confidence BETWEEN 1 AND 5)", name="label_confidence_range"),
        CheckConstraint("time_on_item_ms IS NULL OR time_on_item_ms >= 0", name="label_time_on_item_positive"),
        Index("ix_labels_idempotency_key", "idempotency_key", unique=True),
        Index("ix_labels_session_id_comparison_id", "session_id", "comparison_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    rating: Mapped[int | None] = mapped_column()
    confidence: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    skipped: Mapped[bool] = mapped_column(default=False, server_default=false())
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    time_on_item_ms: Mapped[int | None] = mapped_column()
    presented_swapped: Mapped[bool | None] = mapped_column(default=None)
    # the annotation session the label was given in (coverage is counted per session); NULL: given
    # outside any session (imports, the sessionless API)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_sessions.id"))
    # the probability with which the lease it answers drew the item (see ``assignment.py``); NULL
    # outside a judge-uncertain-first session
    draw_probability: Mapped[float | None] = mapped_column(Float)
    # the session's guideline version (``GuidelineVersion.version``) in force at the latest submit;
    # NULL outside a session
    guideline_version: Mapped[int | None] = mapped_column()


class LabelEvent(Base):
    """Append-only audit log: every accepted label write, in order."""

    __tablename__ = "label_events"
    __table_args__ = (Index("ix_label_events_idempotency_key", "idempotency_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # created | changed
    verdict: Mapped[str | None] = mapped_column(String(8))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the rest of the label as written, so the log alone can replay every version
    rating: Mapped[int | None] = mapped_column()
    confidence: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    skipped: Mapped[bool] = mapped_column(default=False, server_default=false())
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the submission's key: a retry of any earlier submission (not only the latest) is recognised
    idempotency_key: Mapped[str | None] = mapped_column(String(100))


class Assignment(Base):
    """A lease of one comparison to one annotator, so that annotators working at once get different items.

    A lease whose ``lease_expires_at`` has passed without ``completed_at`` returns the item to the pool.
    ``presented_swapped`` is the left/right order chosen for this annotator, kept so a reload shows the
    same order.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("comparison_id", "annotator_id"),
        Index("ix_assignments_annotator_id_completed_at", "annotator_id", "completed_at"),
        Index("ix_assignments_session_id_comparison_id", "session_id", "comparison_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime] = mapped_column()
    presented_swapped: Mapped[bool] = mapped_column(default=False, server_default=false())
    completed_at: Mapped[datetime | None] = mapped_column()
    # the session the item is leased in: a submit counts only in this session (NULL: sessionless lease)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_sessions.id"))
    # judge-uncertain-first sessions: the probability with which this lease drew the item, and how
    # ('audit' | 'uncertain' | 'gold'); NULL in least-annotated sessions (see ``assignment.py``)
    draw_probability: Mapped[float | None] = mapped_column(Float)
    drawn_by: Mapped[str | None] = mapped_column(String(20))


class Adjudication(Base):
    """The final, reviewed label of a comparison (one per comparison, editable), with the reviewer's reason."""

    __tablename__ = "adjudications"
    __table_args__ = (
        CheckConstraint("verdict IN ('1', '2', 'tie')", name="adjudication_verdict_value"),
        CheckConstraint("trim(rationale) != ''", name="adjudication_rationale_required"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    verdict: Mapped[str] = mapped_column(String(8))
    rationale: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


SESSION_KINDS = ("pairwise", "single")  # single: one response rated 1-10 (MT-Bench single-answer grading)


class AnnotationSession(Base):
    """How a group of people label one dataset: overlap, blindness, order, leases, gold rate, guidelines."""

    __tablename__ = "annotation_sessions"
    __table_args__ = (
        CheckConstraint("overlap >= 1", name="session_overlap_positive"),
        CheckConstraint(f"lease_seconds >= {LEASE_MIN_SECONDS}", name="session_lease_minimum"),
        CheckConstraint("gold_rate >= 0 AND gold_rate <= 1", name="session_gold_rate_range"),
        CheckConstraint("kind IN ('pairwise', 'single')", name="session_kind_value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    # no defaults here: ``sessions.SESSION_DEFAULTS`` is the one place they are written down
    kind: Mapped[str] = mapped_column(String(20))
    overlap: Mapped[int] = mapped_column()  # annotators per comparison
    blind: Mapped[bool] = mapped_column()  # model names hidden while labelling
    reveal_judge: Mapped[bool] = mapped_column()  # show the judge's verdict after submitting
    randomize_order: Mapped[bool] = mapped_column()
    lease_seconds: Mapped[int] = mapped_column()
    gold_rate: Mapped[float] = mapped_column(Float)
    guidelines: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # how items are handed out: 'least-annotated' or 'judge-uncertain-first' (``assignment.py``), and
    # the share of leases drawn uniformly at random (the audit share) in the latter
    strategy: Mapped[str] = mapped_column(String(40), server_default=text("'least-annotated'"))
    audit_rate: Mapped[float] = mapped_column(Float, server_default=text("0.2"))
    # 'breadth' (least-annotated first) or 'depth' (each item filled to the overlap first); ``sessions.FILL_ORDERS``
    fill: Mapped[str] = mapped_column(String(10), server_default=text("'breadth'"))
    # single-answer sessions: ratings are 1..scale (10 or 5), and the rubric shown to annotators and given
    # to rubric-using judges ('': none, or the Prometheus 2 default for 1-5 sessions; see ``scales.py``)
    scale: Mapped[int] = mapped_column(server_default=text("10"))
    rubric: Mapped[str] = mapped_column(Text, server_default=text("''"))


class SessionMember(Base):
    """One account allowed to work in one session (migration 0022). A session with no rows here is open to every
    annotator; a session with rows is open only to those accounts (reviewers and admins see and work in every
    session). Managed with ``judge-studio sessions members`` (``sessions.py``: ``session_members``,
    ``change_session_members``); enforced by ``orchestration.annotation.AnswerDesk``."""

    __tablename__ = "session_members"
    __table_args__ = (UniqueConstraint("session_id", "annotator_id", name="uq_session_members_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("annotation_sessions.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str | None] = mapped_column(String(100))


class SessionDraw(Base):
    """One draw of a judge-uncertain-first session (append-only): what the lease could have drawn.

    ``pool_size`` |P| (the not-yet-covered items an audit draw drew from; 0 when none were left),
    ``uncertain_id`` (the judge's least certain item the lease could be handed) and ``audit_rate`` a
    give every item's chance at this lease, a/|P| + (1-a)·[item = uncertain_id]; ``probability`` is
    the chance of the item drawn. A re-lease after an expiry is a new draw, a reload is not."""

    __tablename__ = "session_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("annotation_sessions.id"), index=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    drawn_by: Mapped[str] = mapped_column(String(20))  # 'audit' | 'uncertain'
    pool_size: Mapped[int] = mapped_column()
    uncertain_id: Mapped[int] = mapped_column()
    audit_rate: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldLabel(Base):
    """A comparison with a known answer, shown to annotators as an attention check (with feedback)."""

    __tablename__ = "gold_labels"
    __table_args__ = (CheckConstraint("verdict IN ('1', '2', 'tie')", name="gold_verdict_value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), unique=True)
    verdict: Mapped[str] = mapped_column(String(8))
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldRating(Base):
    """A response with a known rating range on one scale (``low``..``high`` of 1..``scale``), shown in
    grading sessions on that scale as an attention check, with feedback; an ordinary item elsewhere."""

    __tablename__ = "gold_ratings"
    __table_args__ = (
        CheckConstraint("scale IN (5, 10)", name="gold_rating_scale"),
        CheckConstraint("low >= 1 AND low <= high AND high <= scale", name="gold_rating_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    scale: Mapped[int] = mapped_column()
    low: Mapped[int] = mapped_column()
    high: Mapped[int] = mapped_column()
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A REST API token of one account. Only a SHA-256 of the token is stored. It works until ``expires_at``
    (naive UTC; the ``token_days`` setting or the asked lifetime) unless revoked first (``revoked_at``, naive
    UTC: when; NULL for a token revoked before migration 0020); ``last_used_at`` is stamped at most once a
    minute (``accounts.TOKEN_TOUCH_S``), not on every request."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(MAX_TOKEN_LABEL), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginFailure(Base):
    """One failed login, counted by the login throttle against a key: ``account:<name>`` and
    ``address:<ip>``. In the database (not in one process's memory) so that every server process of
    one deployment (``serve-api --workers N``) and a restarted one see the same count; rows older
    than the throttle's window are deleted as new failures come in."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    __table_args__ = (Index("ix_login_failures_key_failed_at", "key", "failed_at"),)


class RevokedSession(Base):
    """A browser session logged out before its cookie expires (``web/sessions.py``). In the database
    (not a file in one machine's data folder) so that a logout on one app server refuses the copied
    cookie on every other server of the deployment; rows whose cookie has expired anyway are deleted
    as new logouts come in. ``session_id`` is the random id inside the signed cookie."""

    __tablename__ = "revoked_sessions"
    session_id: Mapped[str] = mapped_column(String(MAX_SESSION_ID), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(Base):
    """A one-time link that lets someone create their own account with a preset role."""

    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("role IN ('annotator', 'reviewer', 'admin')", name="invite_role_value"),
        CheckConstraint("kind IN ('crowd', 'skilled', 'expert')", name="invite_kind_value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="annotator")
    kind: Mapped[str] = mapped_column(String(20), default="crowd")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))


class Rating(Base):
    """The current single-answer rating (1-10) of one annotator on one response; edits bump ``version``.

    ``rating`` is NULL exactly when the response was skipped.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("response_id", "annotator_id"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 10)", name="rating_value_range"),
        CheckConstraint("(rating IS NULL) = skipped", name="rating_iff_not_skipped"),
        CheckConstraint("confidence IS NULL OR (confidence BETWEEN 1 AND 5)", name="rating_confidence_range"),
        CheckConstraint("time_on_item_ms IS NULL OR time_on_item_ms >= 0", name="rating_time_on_item_positive"),
        Index("ix_ratings_idempotency_key", "idempotency_key", unique=True),
        Index("ix_ratings_session_id_response_id", "session_id", "response_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int | None] = mapped_column()
    confidence: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    skipped: Mapped[bool] = mapped_column(default=False)
    flagged: Mapped[bool] = mapped_column(default=False)
    time_on_item_ms: Mapped[int | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_sessions.id"))
    # the probability with which the lease it answers drew the response (judge-uncertain-first sessions)
    draw_probability: Mapped[float | None] = mapped_column(Float)


class RatingEvent(Base):
    """Append-only audit log of ratings: every accepted write, with its submission key."""

    __tablename__ = "rating_events"
    __table_args__ = (Index("ix_rating_events_idempotency_key", "idempotency_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # created | changed
    rating: Mapped[int | None] = mapped_column()
    confidence: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    skipped: Mapped[bool] = mapped_column(default=False)
    flagged: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingAssignment(Base):
    """A lease of one response to one annotator in a single-answer grading session (see ``Assignment``)."""

    __tablename__ = "rating_assignments"
    __table_args__ = (
        UniqueConstraint("response_id", "annotator_id"),
        Index("ix_rating_assignments_annotator_id_completed_at", "annotator_id", "completed_at"),
        Index("ix_rating_assignments_session_id_response_id", "session_id", "response_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    session_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_sessions.id"))
    # judge-uncertain-first grading sessions: as ``Assignment.draw_probability``/``drawn_by``
    draw_probability: Mapped[float | None] = mapped_column(Float)
    drawn_by: Mapped[str | None] = mapped_column(String(20))


class RatingDraw(Base):
    """One draw of a judge-uncertain-first grading session (append-only): ``SessionDraw`` for responses."""

    __tablename__ = "rating_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("annotation_sessions.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    drawn_by: Mapped[str] = mapped_column(String(20))  # 'audit' | 'uncertain'
    pool_size: Mapped[int] = mapped_column()
    uncertain_id: Mapped[int] = mapped_column()
    audit_rate: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudgeRating(Base):
    """A judge run's rating (1..``scale``) of one response (single-answer grading); ``score`` iff ``ok``."""

    __tablename__ = "judge_ratings"
    __table_args__ = (
        UniqueConstraint("run_id", "response_id"),
        CheckConstraint("status IN ('ok', 'unparsed', 'truncated', 'error')", name="judge_rating_status_value"),
        CheckConstraint("(status = 'ok') = (score IS NOT NULL)", name="judge_rating_score_iff_ok"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 10)", name="judge_rating_score_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("judge_runs.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    raw_output: Mapped[str] = mapped_column(Text, default="")
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    latency_s: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the profile's scale: scores are 1..scale (mtbench-single 10, prometheus2-absolute/selene-absolute 5)
    scale: Mapped[int] = mapped_column(server_default=text("10"))
    # rating_mode 'expected': the standard deviation of the judge's rating probabilities (its spread;
    # NULL when the rating was parsed from text)
    rating_sd: Mapped[float | None] = mapped_column(Float)


class JudgePromptVersion(Base):
    """One saved version of a user's own judge prompt (``judge_runtime.custom``). Append-only: an edit is a new
    row with the next ``version`` of its ``name``; rows are never changed or deleted, so every judge run made
    with a version can always be traced back to the exact text. ``hash`` (SHA-256 of the canonical JSON of
    template, system prompt, rule, kind, chat flag and rubric) identifies the content across names."""

    __tablename__ = "judge_prompts"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint("kind IN ('pair', 'single')", name="judge_prompt_kind_value"),
        CheckConstraint("version >= 1", name="judge_prompt_version_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column()
    template: Mapped[str] = mapped_column(Text)
    system: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[dict[str, Any]] = mapped_column()
    kind: Mapped[str] = mapped_column(String(10), default="pair")
    chat: Mapped[bool] = mapped_column(default=True)
    rubric: Mapped[str] = mapped_column(Text, default="")
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class GuidelineVersion(Base):
    """One version of a session's guidelines. Append-only: a save that changes the text adds the next
    ``version`` (the first comes with the session), so each label's ``guideline_version`` names the exact
    text its annotator was shown, and agreement can be read per version (``sessions.py``)."""

    __tablename__ = "guideline_versions"
    __table_args__ = (
        UniqueConstraint("session_id", "version"),
        CheckConstraint("version >= 1", name="guideline_version_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("annotation_sessions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class AppSecret(Base):
    """A secret every app server of one deployment must share, such as the key that signs browser
    login cookies (``web/sessions.py``, name ``session``). In the database, not in each server's data
    folder, so that servers behind one load balancer accept each other's cookies without an admin
    copying a file to every machine. Made once by whichever server starts first (``app_secrets.py``)."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
