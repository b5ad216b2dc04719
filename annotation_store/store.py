"""The store: every read and write of datasets, judge verdicts and human labels goes through here.

Writes run in one short transaction each that takes the write lock first (see ``db.py``), so a
label is either stored completely or not at all. Reads return plain dataclasses or DataFrames,
never ORM objects, so callers cannot lazily trigger SQL later.
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from annotation_store.accounts import AccountsMixin, clean_name
from annotation_store.answers import Answers, least_covered, seen_key, upsert_answer
from annotation_store.batch_import import (
    BatchWriter,
    ImportBatch,
    ImportSummary,
    get_or_create_model,
)
from annotation_store.credentials import dummy_verify, hash_password, verify_password
from annotation_store.db import WRITE, make_engine, sqlite_url, upgrade_to_head
from annotation_store.errors import StoreError
from annotation_store.models import (
    ANNOTATOR_KINDS,
    ANNOTATOR_ROLES,
    CONFIDENCE_RANGE,
    PARSE_STATUSES,
    RATING_RANGE,
    VERDICT_VALUES,
    Adjudication,
    Annotator,
    Assignment,
    CandidateModel,
    Comparison,
    Dataset,
    GoldLabel,
    JudgeRun,
    JudgeVerdict,
    Label,
    LabelEvent,
    Prompt,
    Response,
    utcnow,
)
from annotation_store.ratings import RatingsMixin
from annotation_store.sessions import SessionsMixin


@dataclass(frozen=True)
class ComparisonView:
    id: int
    dataset: str
    prompt_key: str
    category: str
    instruction: str
    input: str
    reference: str | None
    model1: str
    model2: str
    response1: str
    response2: str


@dataclass(frozen=True)
class VerdictView:
    comparison_id: int
    run_id: int
    judge_model: str
    profile: str
    verdict: str | None
    status: str
    reason: str
    reference: str
    raw_output: str
    latency_s: float
    probabilities: dict[str, float] | None = None


@dataclass(frozen=True)
class LabelView:
    """A stored label. ``verdict`` is None for a rating-only label or a skip."""

    comparison_id: int
    annotator: str
    verdict: str | None
    version: int
    rating: int | None = None
    confidence: int | None = None
    comment: str = ""
    skipped: bool = False
    flagged: bool = False
    time_on_item_ms: int | None = None
    presented_swapped: bool = False


@dataclass(frozen=True)
class AnnotatorView:
    """An annotator account, without its password hash (which never leaves the store)."""

    id: int
    name: str
    role: str
    kind: str
    active: bool
    has_password: bool


@dataclass(frozen=True)
class AdjudicationView:
    comparison_id: int
    reviewer: str
    verdict: str
    rationale: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewVerdict:
    """A judge verdict to store, in canonical order (``verdict`` is None unless ``status == 'ok'``)."""

    comparison_id: int
    verdict: str | None
    status: str
    reason: str = ""
    reference: str = ""
    raw_output: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    swapped: bool = False
    p_1: float | None = None
    p_2: float | None = None
    p_tie: float | None = None


def demo_pairs(n_models: int, prompt_index: int, per_prompt: int) -> list[tuple[int, int]]:
    """Which model pairs a demo prompt compares: a rotating window over all pairs, so every pair
    appears about equally often, with the presentation order alternating between prompts."""
    pairs = list(itertools.combinations(range(n_models), 2))
    per_prompt = min(per_prompt, len(pairs))
    chosen = [pairs[(prompt_index * per_prompt + k) % len(pairs)] for k in range(per_prompt)]
    return [(b, a) if (prompt_index + k) % 2 else (a, b) for k, (a, b) in enumerate(chosen)]


class Store(AccountsMixin, SessionsMixin, RatingsMixin):
    """Open with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine.execution_options(**WRITE), expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ datasets
    def seed_dataset(self, data: dict[str, Any], *, pairs_per_prompt: int = 3) -> bool:
        """Store a dataset in the demo layout once; returns False when it is already there.

        Layout: ``{"name", "description", "models": [{"name", ...}], "prompts": [{"id", "category",
        "instruction", "input", "reference", "responses": {model: text}}]}``.
        """
        name = _required_text(data, "name", "dataset")
        models = [_required_text(m, "name", f"models[{i}]") for i, m in enumerate(data.get("models", []))]
        if len(models) < 2:
            raise StoreError(f"Dataset {name!r}: at least two models are needed, found {len(models)}.")
        with self._write() as session:
            if session.scalar(select(Dataset.id).where(Dataset.name == name)) is not None:
                return False
            dataset = Dataset(name=name, description=str(data.get("description", "")))
            session.add(dataset)
            model_rows = {m: get_or_create_model(session, m) for m in models}
            session.flush()
            for index, item in enumerate(data.get("prompts", [])):
                where = f"dataset {name!r}, prompts[{index}]"
                prompt = Prompt(
                    dataset_id=dataset.id,
                    key=_required_text(item, "id", where),
                    category=str(item.get("category", "")),
                    instruction=_required_text(item, "instruction", where),
                    input=str(item.get("input") or ""),
                    reference=item.get("reference") or None,
                )
                session.add(prompt)
                session.flush()
                responses = item.get("responses", {})
                missing = [m for m in models if not isinstance(responses.get(m), str)]
                if missing:
                    raise StoreError(f"{where}: no response text for model(s) {', '.join(missing)}.")
                rows = [Response(prompt_id=prompt.id, model_id=model_rows[m].id, text=responses[m]) for m in models]
                session.add_all(rows)
                session.flush()
                for a, b in demo_pairs(len(models), index, pairs_per_prompt):
                    session.add(
                        Comparison(
                            dataset_id=dataset.id,
                            prompt_id=prompt.id,
                            response1_id=rows[a].id,
                            response2_id=rows[b].id,
                        )
                    )
        return True

    def dataset_names(self) -> list[str]:
        with self._read() as session:
            return list(session.scalars(select(Dataset.name).order_by(Dataset.id)))

    # ------------------------------------------------------------------ comparisons
    def comparison_table(self, dataset: str | None = None) -> pd.DataFrame:
        """One row per comparison: id, prompt key, category, the two model names, instruction."""
        m1, m2 = aliased(CandidateModel), aliased(CandidateModel)
        r1, r2 = aliased(Response), aliased(Response)
        query = (
            select(
                Comparison.id.label("id"),
                Dataset.name.label("dataset"),
                Prompt.key.label("prompt"),
                Prompt.category.label("category"),
                m1.name.label("model1"),
                m2.name.label("model2"),
                Prompt.instruction.label("instruction"),
            )
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .join(Prompt, Comparison.prompt_id == Prompt.id)
            .join(r1, Comparison.response1_id == r1.id)
            .join(m1, r1.model_id == m1.id)
            .join(r2, Comparison.response2_id == r2.id)
            .join(m2, r2.model_id == m2.id)
            .order_by(Comparison.id)
        )
        if dataset:
            query = query.where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=_COMPARISON_COLUMNS)

    def get_comparison(self, comparison_id: int) -> ComparisonView:
        with self._read() as session:
            comparison = session.get(Comparison, comparison_id)
            if comparison is None:
                raise StoreError(f"There is no comparison with id {comparison_id}.")
            return _view(session, comparison)

    def next_unlabelled(self, annotator: str, dataset: str | None = None) -> ComparisonView | None:
        """The comparison with the fewest labels that this annotator has not labelled yet."""
        name = _annotator_name(annotator)
        with self._read() as session:
            mine = (
                select(Label.comparison_id)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(Annotator.name == name)
            )
            counts = select(Label.comparison_id, func.count().label("n")).group_by(Label.comparison_id).subquery()
            query = (
                select(Comparison)
                .outerjoin(counts, counts.c.comparison_id == Comparison.id)
                .where(Comparison.id.not_in(mine))
                .order_by(func.coalesce(counts.c.n, 0), Comparison.id)
                .limit(1)
            )
            if dataset:
                query = query.join(Dataset, Comparison.dataset_id == Dataset.id).where(Dataset.name == dataset)
            comparison = session.scalars(query).first()
            return _view(session, comparison) if comparison is not None else None

    # ------------------------------------------------------------------ labels
    def save_label(
        self,
        comparison_id: int,
        annotator: str,
        verdict: str | None,
        *,
        idempotency_key: str | None = None,
        rating: int | None = None,
        confidence: int | None = None,
        comment: str = "",
        skipped: bool = False,
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        presented_swapped: bool = False,
        expected_version: int | None = None,
    ) -> LabelView:
        """Insert or change this annotator's label on the comparison; every change is logged.

        Sending the same ``idempotency_key`` twice stores the label once and returns the label as it
        is now: a late retry of an earlier submission never overwrites a later one, because every
        accepted submission's key is kept in the event log. A label is a pairwise ``verdict`` or a
        single-answer ``rating`` (1-10), exactly one, or a skip (``skipped=True``, verdict and rating
        None). Saving exactly what is stored adds no version. ``expected_version`` makes an edit
        optimistic: it is refused when someone (another tab) changed the label since it was read;
        ``0`` means "I expect no label yet".
        """
        name = _annotator_name(annotator)
        extras = _label_extras(
            verdict, rating, confidence, comment, skipped, flagged, time_on_item_ms, presented_swapped
        )
        try:
            with self._write() as session:
                if session.get(Comparison, comparison_id) is None:
                    raise StoreError(f"There is no comparison with id {comparison_id}; the label was not saved.")
                if idempotency_key and (seen := seen_key(session, LABELS, idempotency_key)) is not None:
                    view = _label_view(session, seen)
                    if (view.comparison_id, view.annotator) != (comparison_id, name):
                        raise StoreError(
                            "This submission's key was already used for another label; reload the page "
                            "and submit again. Nothing was saved."
                        )
                    return view
                person = session.scalar(select(Annotator).where(Annotator.name == name))
                if person is None:
                    person = Annotator(name=name)
                    session.add(person)
                    session.flush()
                label = upsert_answer(
                    session,
                    LABELS,
                    comparison_id,
                    person.id,
                    {"verdict": verdict, **extras},
                    idempotency_key,
                    expected_version,
                )
                return _label_view(session, label)
        except IntegrityError as exc:  # a concurrent first write of the same label: read the winner
            raise StoreError(f"The label could not be saved because of a concurrent write: {exc.orig}") from exc

    def label_of(self, comparison_id: int, annotator: str) -> LabelView | None:
        """This annotator's current label on the comparison, or None."""
        name = (annotator or "").strip()
        with self._read() as session:
            label = session.scalar(
                select(Label)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(Label.comparison_id == comparison_id, Annotator.name == name)
            )
            return _label_view(session, label) if label is not None else None

    def labels(self, dataset: str | None = None) -> pd.DataFrame:
        """Current pairwise labels: comparison_id, annotator, verdict, model1, model2, category, updated_at.

        Rating-only labels and skips have no verdict and are left out: every consumer (agreement,
        win tables, exports) compares verdicts.
        """
        query = (
            select(Label.comparison_id, Annotator.name.label("annotator"), Label.verdict, Label.updated_at)
            .join(Annotator, Label.annotator_id == Annotator.id)
            .where(Label.verdict.is_not(None))
            .order_by(Label.id)
        )
        with self._read() as session:
            frame = pd.DataFrame(
                session.execute(query).mappings().all(),
                columns=["comparison_id", "annotator", "verdict", "updated_at"],
            )
        return self._with_comparison_columns(frame, dataset)

    def label_events(self) -> pd.DataFrame:
        with self._read() as session:
            rows = (
                session.execute(
                    select(
                        LabelEvent.label_id,
                        LabelEvent.comparison_id,
                        LabelEvent.action,
                        LabelEvent.verdict,
                        LabelEvent.version,
                    ).order_by(LabelEvent.id)
                )
                .mappings()
                .all()
            )
        return pd.DataFrame(rows, columns=["label_id", "comparison_id", "action", "verdict", "version"])

    # ------------------------------------------------------------------ judge verdicts
    def ensure_judge_run(self, fingerprint_key: str, fingerprint: dict[str, Any]) -> int:
        with self._write() as session:
            run_id = session.scalar(select(JudgeRun.id).where(JudgeRun.fingerprint_key == fingerprint_key))
            if run_id is None:
                run = JudgeRun(
                    fingerprint_key=fingerprint_key,
                    fingerprint=fingerprint,
                    model=str(fingerprint.get("model", "")),
                    profile=str(fingerprint.get("profile", "")),
                )
                session.add(run)
                session.flush()
                run_id = run.id
            return run_id

    def judged_comparison_ids(self, run_id: int) -> set[int]:
        with self._read() as session:
            return set(session.scalars(select(JudgeVerdict.comparison_id).where(JudgeVerdict.run_id == run_id)))

    def save_verdict(self, run_id: int, new: NewVerdict) -> None:
        """Store (or replace) the run's verdict on a comparison."""
        if new.status not in PARSE_STATUSES:
            raise StoreError(f"Unknown judge status {new.status!r}.")
        if (new.status == "ok") != (new.verdict in VERDICT_VALUES):
            raise StoreError(f"Verdict {new.verdict!r} does not fit status {new.status!r}.")
        with self._write() as session:
            if session.get(Comparison, new.comparison_id) is None:
                raise StoreError(f"There is no comparison with id {new.comparison_id}.")
            row = session.scalar(
                select(JudgeVerdict).where(
                    JudgeVerdict.run_id == run_id,
                    JudgeVerdict.comparison_id == new.comparison_id,
                    JudgeVerdict.swapped == new.swapped,
                )
            )
            if row is None:
                row = JudgeVerdict(run_id=run_id, comparison_id=new.comparison_id, swapped=new.swapped)
                session.add(row)
            for key, value in new.__dict__.items():
                setattr(row, key, value)
            row.created_at = utcnow()

    def latest_verdict(self, comparison_id: int) -> VerdictView | None:
        with self._read() as session:
            row = session.scalars(
                select(JudgeVerdict)
                .where(JudgeVerdict.comparison_id == comparison_id, JudgeVerdict.swapped.is_(False))
                .order_by(JudgeVerdict.created_at.desc(), JudgeVerdict.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            return VerdictView(
                comparison_id=row.comparison_id,
                run_id=row.run_id,
                judge_model=row.run.model,
                profile=row.run.profile,
                verdict=row.verdict,
                status=row.status,
                reason=row.reason,
                reference=row.reference,
                raw_output=row.raw_output,
                latency_s=row.latency_s,
                probabilities=None if row.p_1 is None else {"1": row.p_1, "2": row.p_2 or 0.0, "tie": row.p_tie or 0.0},
            )

    def verdicts(self, dataset: str | None = None) -> pd.DataFrame:
        """Judge verdicts in presentation order as given: comparison_id, run_id, judge, verdict, status."""
        query = (
            select(
                JudgeVerdict.comparison_id,
                JudgeVerdict.run_id,
                JudgeRun.model.label("judge"),
                JudgeVerdict.verdict,
                JudgeVerdict.status,
                JudgeVerdict.created_at,
            )
            .join(JudgeRun, JudgeVerdict.run_id == JudgeRun.id)
            .where(JudgeVerdict.swapped.is_(False))
            .order_by(JudgeVerdict.id)
        )
        with self._read() as session:
            frame = pd.DataFrame(
                session.execute(query).mappings().all(),
                columns=["comparison_id", "run_id", "judge", "verdict", "status", "created_at"],
            )
        return self._with_comparison_columns(frame, dataset)

    def _with_comparison_columns(self, frame: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
        table = self.comparison_table(dataset)[["id", "dataset", "category", "model1", "model2"]]
        return frame.merge(table, left_on="comparison_id", right_on="id", how="inner").drop(columns="id")

    def counts(self) -> dict[str, int]:
        with self._read() as session:
            return {
                "comparisons": session.scalar(select(func.count()).select_from(Comparison)) or 0,
                "labels": session.scalar(select(func.count()).select_from(Label)) or 0,
                "annotators": session.scalar(select(func.count()).select_from(Annotator)) or 0,
                "verdicts": session.scalar(select(func.count()).select_from(JudgeVerdict)) or 0,
            }

    # ------------------------------------------------------------------ bulk imports and reads for exports
    def import_batch(self, batch: ImportBatch) -> ImportSummary:
        """Write one whole import in ONE write transaction, so a bad record keeps nothing of it.

        Why all or nothing: an import that stopped half-way would leave a dataset whose labels or
        verdicts silently miss records, and running it again would then collide with that half.
        Rows that already exist are reused when they are identical (the same prompt, response text,
        label), so importing a file twice adds nothing; conflicting content is refused with the
        record's place (``where``). Judge verdicts are never replaced: a second import of the same
        judge's verdicts on the same comparisons is refused as "already imported".
        """
        try:
            with self._write() as session:
                return BatchWriter(session, batch).run()
        except IntegrityError as exc:
            raise StoreError(
                f"{batch.source}: the database refused the import ({exc.orig}); nothing was written."
            ) from exc

    def comparison_texts(self, dataset: str) -> pd.DataFrame:
        """One row per comparison of ``dataset`` with every text: for exports and content matching.

        Columns: id, dataset, prompt, category, model1, model2, instruction, input, reference,
        response1, response2 (ordered by id). Kept apart from ``comparison_table`` so that the
        dashboard's frequent reads do not carry the full texts.
        """
        m1, m2 = aliased(CandidateModel), aliased(CandidateModel)
        r1, r2 = aliased(Response), aliased(Response)
        query = (
            select(
                Comparison.id.label("id"),
                Dataset.name.label("dataset"),
                Prompt.key.label("prompt"),
                Prompt.category.label("category"),
                m1.name.label("model1"),
                m2.name.label("model2"),
                Prompt.instruction.label("instruction"),
                Prompt.input.label("input"),
                Prompt.reference.label("reference"),
                r1.text.label("response1"),
                r2.text.label("response2"),
            )
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .join(Prompt, Comparison.prompt_id == Prompt.id)
            .join(r1, Comparison.response1_id == r1.id)
            .join(m1, r1.model_id == m1.id)
            .join(r2, Comparison.response2_id == r2.id)
            .join(m2, r2.model_id == m2.id)
            .where(Dataset.name == dataset)
            .order_by(Comparison.id)
        )
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=_TEXT_COLUMNS)

    def response_table(self, dataset: str) -> pd.DataFrame:
        """Every stored response of ``dataset`` (compared or not): prompt, model, text.

        Importers of per-model answer files need it to pair a new model with the models already there.
        """
        query = (
            select(Prompt.key.label("prompt"), CandidateModel.name.label("model"), Response.text.label("text"))
            .join(Prompt, Response.prompt_id == Prompt.id)
            .join(Dataset, Prompt.dataset_id == Dataset.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .where(Dataset.name == dataset)
            .order_by(Response.id)
        )
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=["prompt", "model", "text"])

    def prompt_table(self, dataset: str) -> pd.DataFrame:
        """Every prompt of ``dataset`` (with or without comparisons): key, category, instruction, input, reference."""
        query = (
            select(Prompt.key, Prompt.category, Prompt.instruction, Prompt.input, Prompt.reference)
            .join(Dataset, Prompt.dataset_id == Dataset.id)
            .where(Dataset.name == dataset)
            .order_by(Prompt.id)
        )
        with self._read() as session:
            return pd.DataFrame(
                session.execute(query).mappings().all(),
                columns=["key", "category", "instruction", "input", "reference"],
            )

    def judge_verdicts(self, dataset: str) -> pd.DataFrame:
        """Every verdict of every judge run on ``dataset``, in both presentation orders.

        Columns: comparison_id, run_id, judge, profile, swapped, verdict, status, reason, reference,
        plus dataset, category, model1, model2. ``verdicts()`` only gives the original order; metrics
        need both for swap consistency, and exports need every run side by side.
        """
        query = (
            select(
                JudgeVerdict.comparison_id,
                JudgeVerdict.run_id,
                JudgeRun.model.label("judge"),
                JudgeRun.profile.label("profile"),
                JudgeVerdict.swapped,
                JudgeVerdict.verdict,
                JudgeVerdict.status,
                JudgeVerdict.reason,
                JudgeVerdict.reference,
            )
            .join(JudgeRun, JudgeVerdict.run_id == JudgeRun.id)
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .where(Dataset.name == dataset)
            .order_by(JudgeVerdict.id)
        )
        columns = ["comparison_id", "run_id", "judge", "profile", "swapped", "verdict", "status", "reason", "reference"]
        with self._read() as session:
            frame = pd.DataFrame(session.execute(query).mappings().all(), columns=columns)
        frame["swapped"] = frame["swapped"].astype(bool)
        return self._with_comparison_columns(frame, dataset)

    def judge_runs_on(self, dataset: str) -> list[JudgeRunView]:
        """The judge runs with at least one verdict on ``dataset``, oldest first, with their fingerprints."""
        on_dataset = (
            select(JudgeVerdict.run_id)
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .where(Dataset.name == dataset)
        )
        with self._read() as session:
            runs = session.scalars(select(JudgeRun).where(JudgeRun.id.in_(on_dataset)).order_by(JudgeRun.id))
            return [
                JudgeRunView(run.id, run.model, run.profile, run.fingerprint_key, dict(run.fingerprint)) for run in runs
            ]

    # ------------------------------------------------------------------ annotation workflow (issue #4)
    def create_annotator(
        self, name: str, *, role: str = "annotator", kind: str = "crowd", password: str | None = None
    ) -> AnnotatorView:
        """Create an account. Only a scrypt hash of ``password`` is stored (see ``credentials.py``).

        A name that so far only labelled without an account (``save_label`` creates those) gets the
        role, kind and password; an account that already has a password is refused, so that nobody
        takes over someone else's name.
        """
        cleaned = _annotator_name(name)
        if role not in ANNOTATOR_ROLES:
            raise StoreError(f"Role {role!r} is not one of {', '.join(ANNOTATOR_ROLES)}.")
        if kind not in ANNOTATOR_KINDS:
            raise StoreError(f"Kind {kind!r} is not one of {', '.join(ANNOTATOR_KINDS)}.")
        try:
            password_hash = hash_password(password) if password is not None else None
        except ValueError as exc:
            raise StoreError(f"Annotator {cleaned!r}: {exc} Nothing was saved.") from exc
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is not None and person.password_hash is not None:
                raise StoreError(f"There is already an account named {cleaned!r}; nothing was saved.")
            if person is None:
                person = Annotator(name=cleaned)
                session.add(person)
            person.role, person.kind, person.password_hash, person.active = role, kind, password_hash, True
            session.flush()
            return _annotator_view(person)

    def authenticate(self, name: str, password: str) -> AnnotatorView | None:
        """The active account with this name and password, else None (never says which part was wrong)."""
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        with self._read() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned)) if cleaned else None
            if person is None or person.password_hash is None:
                dummy_verify(password)  # the same time as a wrong password: names are not probed by timing
                return None
            if not verify_password(password, person.password_hash) or not person.active:
                return None
            return _annotator_view(person)

    def lease_next(
        self,
        annotator: str,
        dataset: str | None = None,
        *,
        overlap: int = 1,
        lease_seconds: int = 900,
        randomize_order: bool = True,
        seed: int | None = None,
        gold_rate: float = 0.0,
    ) -> tuple[ComparisonView, bool] | None:
        """Lease the next comparison to ``annotator``: ``(comparison, presented_swapped)``, or None when done.

        Why leases: with ``next_unlabelled`` two people working at once get the same item and the
        overlap target is overshot. Here the pick and the lease are one write transaction (the
        store's write lock), so concurrent callers are served one after another. Picked: the
        comparison with the fewest completed labels plus live leases of others, among those with
        fewer than ``overlap`` of them, that this annotator has not labelled or skipped; ties by id.
        A lease not completed within ``lease_seconds`` returns the item to the pool. A live lease of
        the same annotator is handed out again (a page reload must not take a second item).
        ``presented_swapped`` (show response 2 on the left) is drawn once per (comparison, annotator),
        reproducibly when ``seed`` is given, and stored, so position bias can be measured later.

        Gold comparisons (``set_gold``) are kept out of this pool. With ``gold_rate`` r > 0 every
        annotator gets one gold comparison they have not seen each time their answered count crosses a
        multiple of 1/r (r = 0.1: the 10th, 20th, … item), while any is left; gold items ignore the
        overlap (everyone may see them).
        """
        name = _annotator_name(annotator)
        if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
            raise StoreError(f"overlap must be a whole number of at least 1, got {overlap!r}.")
        if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, int) or lease_seconds < 0:
            raise StoreError(f"lease_seconds must be a whole number of at least 0, got {lease_seconds!r}.")
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == name))
            if person is None:
                person = Annotator(name=name)
                session.add(person)
                session.flush()
            elif not person.active:
                raise StoreError(f"The account {name!r} is deactivated; ask an admin.")
            now = utcnow()
            live = and_(Assignment.completed_at.is_(None), Assignment.lease_expires_at > now)
            dataset_id = None
            if dataset:
                dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
                if dataset_id is None:
                    raise StoreError(f"There is no dataset {dataset!r}.")
            held = select(Assignment).where(Assignment.annotator_id == person.id, live)
            if dataset_id is not None:
                held = held.join(Comparison, Assignment.comparison_id == Comparison.id).where(
                    Comparison.dataset_id == dataset_id
                )
            assignment = session.scalars(held.order_by(Assignment.leased_at, Assignment.id).limit(1)).first()
            if assignment is None:
                comparison_id = self._gold_due(session, person.id, dataset_id, gold_rate)
                if comparison_id is None:
                    comparison_id = self._least_covered(session, person.id, dataset_id, overlap, now)
                if comparison_id is None:
                    return None
                assignment = session.scalar(
                    select(Assignment).where(
                        Assignment.comparison_id == comparison_id, Assignment.annotator_id == person.id
                    )
                )
                if assignment is None:  # a lease that expired earlier keeps its row and its presented order
                    assignment = Assignment(
                        comparison_id=comparison_id,
                        annotator_id=person.id,
                        presented_swapped=_presented_swapped(randomize_order, seed, comparison_id, person.id),
                    )
                    session.add(assignment)
                assignment.leased_at = now
            assignment.lease_expires_at = now + timedelta(seconds=lease_seconds)
            session.flush()
            comparison = session.get(Comparison, assignment.comparison_id)
            assert comparison is not None  # a foreign key
            return _view(session, comparison), bool(assignment.presented_swapped)

    @staticmethod
    def _gold_due(session: Session, annotator_id: int, dataset_id: int | None, gold_rate: float) -> int | None:
        """The gold comparison to hand out now (see ``lease_next``), or None."""
        if not gold_rate or gold_rate <= 0:
            return None
        answered = select(func.count()).select_from(Label).where(Label.annotator_id == annotator_id)
        if dataset_id is not None:
            answered = answered.join(Comparison, Label.comparison_id == Comparison.id).where(
                Comparison.dataset_id == dataset_id
            )
        n = int(session.scalar(answered) or 0)
        if int((n + 1) * gold_rate) == int(n * gold_rate):
            return None
        mine = select(Label.comparison_id).where(Label.annotator_id == annotator_id)
        query = (
            select(GoldLabel.comparison_id)
            .join(Comparison, GoldLabel.comparison_id == Comparison.id)
            .where(GoldLabel.comparison_id.not_in(mine))
            .order_by(GoldLabel.comparison_id)
            .limit(1)
        )
        if dataset_id is not None:
            query = query.where(Comparison.dataset_id == dataset_id)
        return session.scalar(query)

    @staticmethod
    def _least_covered(
        session: Session, annotator_id: int, dataset_id: int | None, overlap: int, now: datetime
    ) -> int | None:
        """The id that ``lease_next`` hands out next (see there): gold comparisons are not in the pool."""
        pool = select(Comparison.id).where(Comparison.id.not_in(select(GoldLabel.comparison_id)))
        if dataset_id is not None:
            pool = pool.where(Comparison.dataset_id == dataset_id)
        return least_covered(session, LABELS, Comparison.id, pool, annotator_id, overlap, now)

    def adjudicate(self, comparison_id: int, reviewer: str, verdict: str, rationale: str) -> AdjudicationView:
        """Store (or change) the final label of a comparison; only reviewers and admins may.

        One adjudication per comparison: a second call edits it (new verdict, rationale, reviewer,
        ``updated_at``), so the final answer is always unambiguous. The rationale is required: an
        overruled majority must be explainable.
        """
        name = _annotator_name(reviewer)
        if verdict not in VERDICT_VALUES:
            raise StoreError(f"Adjudication {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
        if not isinstance(rationale, str) or not rationale.strip():
            raise StoreError("An adjudication needs a rationale (why this verdict); nothing was saved.")
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == name))
            if person is None or not person.active or person.role not in ("reviewer", "admin"):
                raise StoreError(f"{name!r} may not adjudicate: only active reviewers and admins may.")
            if session.get(Comparison, comparison_id) is None:
                raise StoreError(f"There is no comparison with id {comparison_id}; nothing was saved.")
            row = session.scalar(select(Adjudication).where(Adjudication.comparison_id == comparison_id))
            if row is None:
                row = Adjudication(comparison_id=comparison_id, reviewer_id=person.id, verdict=verdict)
                session.add(row)
            else:
                row.updated_at = utcnow()
            row.reviewer_id, row.verdict, row.rationale = person.id, verdict, rationale.strip()
            session.flush()
            return AdjudicationView(comparison_id, name, row.verdict, row.rationale, row.created_at, row.updated_at)

    def adjudication(self, comparison_id: int) -> AdjudicationView | None:
        with self._read() as session:
            found = session.execute(
                select(Adjudication, Annotator.name)
                .join(Annotator, Adjudication.reviewer_id == Annotator.id)
                .where(Adjudication.comparison_id == comparison_id)
            ).first()
            if found is None:
                return None
            row, name = found
            return AdjudicationView(comparison_id, name, row.verdict, row.rationale, row.created_at, row.updated_at)

    def disagreements(self, dataset: str | None = None) -> pd.DataFrame:
        """Comparisons to review: annotators' verdicts differ, or differ from the latest judge verdict.

        One row per such comparison: comparison_id, labels (annotator -> verdict), n_labels,
        judge_verdict (latest original-order ``ok`` verdict of any run, or None), annotators_disagree,
        judge_disagrees, adjudication (the final verdict if one exists), plus dataset, category,
        model1, model2. Only pairwise verdicts count (ratings and skips have none).
        """
        labels = (
            select(Label.comparison_id, Annotator.name, Label.verdict)
            .join(Annotator, Label.annotator_id == Annotator.id)
            .where(Label.verdict.is_not(None))
            .order_by(Label.comparison_id, Label.id)
        )
        verdicts = (
            select(JudgeVerdict.comparison_id, JudgeVerdict.verdict)
            .where(JudgeVerdict.swapped.is_(False), JudgeVerdict.status == "ok")
            .order_by(JudgeVerdict.created_at, JudgeVerdict.id)
        )
        with self._read() as session:
            by_item: dict[int, dict[str, str | None]] = {}
            for comparison_id, name, verdict in session.execute(labels):
                by_item.setdefault(comparison_id, {})[name] = verdict
            judged: dict[int, str | None] = {c: v for c, v in session.execute(verdicts)}  # later rows win: latest
            final = {c: v for c, v in session.execute(select(Adjudication.comparison_id, Adjudication.verdict))}
        rows = []
        for comparison_id, given in by_item.items():
            values = set(given.values())
            judge = judged.get(comparison_id)
            among = len(values) > 1
            against = judge is not None and any(v != judge for v in values)
            if among or against:
                rows.append(
                    {
                        "comparison_id": comparison_id,
                        "labels": given,
                        "n_labels": len(given),
                        "judge_verdict": judge,
                        "annotators_disagree": among,
                        "judge_disagrees": against,
                        "adjudication": final.get(comparison_id),
                    }
                )
        frame = pd.DataFrame(rows, columns=_DISAGREEMENT_COLUMNS)
        return self._with_comparison_columns(frame, dataset)


_COMPARISON_COLUMNS = ["id", "dataset", "prompt", "category", "model1", "model2", "instruction"]
_DISAGREEMENT_COLUMNS = [
    "comparison_id",
    "labels",
    "n_labels",
    "judge_verdict",
    "annotators_disagree",
    "judge_disagrees",
    "adjudication",
]


def _required_text(item: Any, key: str, where: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{where}: field {key!r} must be a non-empty string.")
    return value


_annotator_name = clean_name  # one rule for names, in accounts.py


def _view(session: Session, comparison: Comparison) -> ComparisonView:
    prompt = comparison.prompt
    dataset_name = session.scalar(select(Dataset.name).where(Dataset.id == comparison.dataset_id)) or ""
    return ComparisonView(
        id=comparison.id,
        dataset=dataset_name,
        prompt_key=prompt.key,
        category=prompt.category,
        instruction=prompt.instruction,
        input=prompt.input,
        reference=prompt.reference,
        model1=comparison.response1.model.name,
        model2=comparison.response2.model.name,
        response1=comparison.response1.text,
        response2=comparison.response2.text,
    )


def _annotator_view(person: Annotator) -> AnnotatorView:
    return AnnotatorView(
        person.id, person.name, person.role, person.kind, bool(person.active), person.password_hash is not None
    )


def _presented_swapped(randomize: bool, seed: int | None, comparison_id: int, annotator_id: int) -> bool:
    """Left/right order for one (comparison, annotator): reproducible with a seed, else truly random."""
    if not randomize:
        return False
    if seed is None:
        return secrets.randbits(1) == 1
    return random.Random(f"{seed}:{comparison_id}:{annotator_id}").random() < 0.5


def _label_view(session: Session, label: Label) -> LabelView:
    name = session.scalar(select(Annotator.name).where(Annotator.id == label.annotator_id)) or ""
    return LabelView(
        label.comparison_id,
        name,
        label.verdict,
        label.version,
        rating=label.rating,
        confidence=label.confidence,
        comment=label.comment,
        skipped=bool(label.skipped),
        flagged=bool(label.flagged),
        time_on_item_ms=label.time_on_item_ms,
        presented_swapped=bool(label.presented_swapped),
    )


LABELS = Answers(
    row=Label,
    event=LabelEvent,
    lease=Assignment,
    item="comparison_id",
    event_link="label_id",
    event_fields=("verdict", "rating", "confidence", "comment", "skipped", "flagged"),
    noun="label on comparison",
)
MAX_COMMENT = 10_000
MAX_TIME_ON_ITEM_MS = 7 * 24 * 3600 * 1000  # a week: anything longer is a broken client clock


def _int_in(value: Any, field: str, low: int, high: int) -> int | None:
    """None, or an int (not a bool) in ``low..high``; else a StoreError naming the field and the range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StoreError(f"The {field} must be a whole number from {low} to {high}, got {value!r}; nothing was saved.")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise StoreError(f"{field} must be True or False, got {value!r}; nothing was saved.")
    return value


def _label_extras(
    verdict: str | None,
    rating: int | None,
    confidence: int | None,
    comment: str,
    skipped: bool,
    flagged: bool,
    time_on_item_ms: int | None,
    presented_swapped: bool,
) -> dict[str, Any]:
    """Validate everything of a label but its ids, before any SQL runs (so a refusal writes nothing)."""
    if verdict is not None and verdict not in VERDICT_VALUES:
        raise StoreError(f"Label {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
    values: dict[str, Any] = {
        "rating": _int_in(rating, "rating", *RATING_RANGE),
        "confidence": _int_in(confidence, "confidence", *CONFIDENCE_RANGE),
        "skipped": _flag(skipped, "skipped"),
        "flagged": _flag(flagged, "flagged"),
        "time_on_item_ms": _int_in(time_on_item_ms, "time on item (ms)", 0, MAX_TIME_ON_ITEM_MS),
        "presented_swapped": _flag(presented_swapped, "presented_swapped"),
    }
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise StoreError(f"The comment must be text of at most {MAX_COMMENT} characters; nothing was saved.")
    values["comment"] = comment
    if skipped and (verdict is not None or rating is not None):
        raise StoreError("A skipped item has no verdict and no rating; send verdict=None, rating=None.")
    if not skipped and (verdict is None) == (rating is None):
        raise StoreError(
            f"A label needs exactly one of a verdict ({', '.join(VERDICT_VALUES)}) or a rating "
            f"({RATING_RANGE[0]}-{RATING_RANGE[1]}), or skipped=True; nothing was saved."
        )
    return values


def open_store(location: str | Path) -> Store:
    """Open (creating and migrating if needed) a store: a SQLite file path or a SQLAlchemy URL."""
    text = str(location)
    if "://" in text:
        url = text
    else:
        Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
        url = sqlite_url(text)
    engine = make_engine(url)
    upgrade_to_head(engine)
    return Store(engine)


# ---------------------------------------------------------------------- bulk imports
# Plain records that importers (``importers.py``) build and validate, and that ``Store.import_batch``
# writes in one transaction. ``where`` is the record's place in its file ("testset-v1.json, record 17
# (idx 16)"), so that a conflict found only against the database still names the record.

_TEXT_COLUMNS = [*_COMPARISON_COLUMNS, "input", "reference", "response1", "response2"]


@dataclass(frozen=True)
class JudgeRunView:
    run_id: int
    model: str
    profile: str
    fingerprint_key: str
    fingerprint: dict[str, Any]
