"""The store: every read and write of datasets, judge verdicts and human labels goes through here.

Writes run in one short transaction each that takes the write lock first (see ``db.py``), so a
label is either stored completely or not at all. Reads return plain dataclasses or DataFrames,
never ORM objects, so callers cannot lazily trigger SQL later.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from annotation_store.db import WRITE, make_engine, sqlite_url, upgrade_to_head
from annotation_store.models import (
    PARSE_STATUSES,
    VERDICT_VALUES,
    Annotator,
    CandidateModel,
    Comparison,
    Dataset,
    JudgeRun,
    JudgeVerdict,
    Label,
    LabelEvent,
    Prompt,
    Response,
    utcnow,
)

MAX_ANNOTATOR_NAME = 100


class StoreError(ValueError):
    """Bad input to the store; the message says what is wrong and where. Nothing was written."""


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
    comparison_id: int
    annotator: str
    verdict: str
    version: int


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


class Store:
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
            model_rows = {m: _get_or_create_model(session, m) for m in models}
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
        self, comparison_id: int, annotator: str, verdict: str, *, idempotency_key: str | None = None
    ) -> LabelView:
        """Insert or change this annotator's label on the comparison; every change is logged.

        Sending the same ``idempotency_key`` twice stores the label once and returns it again.
        """
        name = _annotator_name(annotator)
        if verdict not in VERDICT_VALUES:
            raise StoreError(f"Label {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
        try:
            with self._write() as session:
                if session.get(Comparison, comparison_id) is None:
                    raise StoreError(f"There is no comparison with id {comparison_id}; the label was not saved.")
                if idempotency_key:
                    seen = session.scalar(select(Label).where(Label.idempotency_key == idempotency_key))
                    if seen is not None:
                        return _label_view(session, seen)
                person = session.scalar(select(Annotator).where(Annotator.name == name))
                if person is None:
                    person = Annotator(name=name)
                    session.add(person)
                    session.flush()
                label = session.scalar(
                    select(Label).where(Label.comparison_id == comparison_id, Label.annotator_id == person.id)
                )
                if label is None:
                    label = Label(
                        comparison_id=comparison_id,
                        annotator_id=person.id,
                        verdict=verdict,
                        idempotency_key=idempotency_key,
                    )
                    session.add(label)
                    action = "created"
                elif label.verdict == verdict:
                    return _label_view(session, label)
                else:
                    label.verdict, label.version, label.updated_at = verdict, label.version + 1, utcnow()
                    label.idempotency_key = idempotency_key
                    action = "changed"
                session.flush()
                session.add(
                    LabelEvent(
                        label_id=label.id,
                        comparison_id=comparison_id,
                        annotator_id=person.id,
                        action=action,
                        verdict=verdict,
                        version=label.version,
                    )
                )
                return _label_view(session, label)
        except IntegrityError as exc:  # a concurrent first write of the same label: read the winner
            raise StoreError(f"The label could not be saved because of a concurrent write: {exc.orig}") from exc

    def labels(self, dataset: str | None = None) -> pd.DataFrame:
        """Current labels: comparison_id, annotator, verdict, model1, model2, category, updated_at."""
        query = (
            select(Label.comparison_id, Annotator.name.label("annotator"), Label.verdict, Label.updated_at)
            .join(Annotator, Label.annotator_id == Annotator.id)
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


_COMPARISON_COLUMNS = ["id", "dataset", "prompt", "category", "model1", "model2", "instruction"]


def _required_text(item: Any, key: str, where: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{where}: field {key!r} must be a non-empty string.")
    return value


def _annotator_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise StoreError("Enter your annotator name before labelling.")
    if len(cleaned) > MAX_ANNOTATOR_NAME:
        raise StoreError(f"Annotator names are at most {MAX_ANNOTATOR_NAME} characters.")
    return cleaned


def _get_or_create_model(session: Session, name: str) -> CandidateModel:
    model = session.scalar(select(CandidateModel).where(CandidateModel.name == name))
    if model is None:
        model = CandidateModel(name=name)
        session.add(model)
    return model


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


def _label_view(session: Session, label: Label) -> LabelView:
    name = session.scalar(select(Annotator.name).where(Annotator.id == label.annotator_id)) or ""
    return LabelView(label.comparison_id, name, label.verdict, label.version)


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
