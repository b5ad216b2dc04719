"""Datasets and their comparisons: seeding the demo layout, bulk imports, and the reads every page
and export needs (comparison tables, texts, responses, prompts)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from annotation_store.accounts import clean_name
from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.batch_import import BatchWriter, ImportBatch, ImportSummary, get_or_create_model
from annotation_store.errors import StoreError
from annotation_store.models import (
    AnnotationSession,
    Annotator,
    CandidateModel,
    Comparison,
    Dataset,
    JudgeVerdict,
    Label,
    Prompt,
    Response,
)
from annotation_store.views import ComparisonView

if TYPE_CHECKING:
    import pandas as pd

COMPARISON_COLUMNS = ["id", "dataset", "prompt", "category", "model1", "model2", "instruction"]
TEXT_COLUMNS = [*COMPARISON_COLUMNS, "input", "reference", "response1", "response2"]


def demo_pairs(n_models: int, prompt_index: int, per_prompt: int) -> list[tuple[int, int]]:
    """Which model pairs a demo prompt compares: a rotating window over all pairs, so every pair
    appears about equally often, with the presentation order alternating between prompts."""
    pairs = list(itertools.combinations(range(n_models), 2))
    per_prompt = min(per_prompt, len(pairs))
    chosen = [pairs[(prompt_index * per_prompt + k) % len(pairs)] for k in range(per_prompt)]
    return [(b, a) if (prompt_index + k) % 2 else (a, b) for k, (a, b) in enumerate(chosen)]


@functools.cache
def comparison_query() -> Any:
    """Every column of a ComparisonView, in its order: one joined SELECT, no lazy loads. Built once:
    fresh ``aliased()`` entities on every call defeat SQLAlchemy's compiled-statement cache, which cost
    more than the query itself on the submit → next path."""
    m1, m2 = aliased(CandidateModel), aliased(CandidateModel)
    r1, r2 = aliased(Response), aliased(Response)
    return (
        select(
            Comparison.id,
            Dataset.name,
            Prompt.key,
            Prompt.category,
            Prompt.instruction,
            Prompt.input,
            Prompt.reference,
            m1.name,
            m2.name,
            r1.text,
            r2.text,
        )
        .join(Dataset, Comparison.dataset_id == Dataset.id)
        .join(Prompt, Comparison.prompt_id == Prompt.id)
        .join(r1, Comparison.response1_id == r1.id)
        .join(m1, r1.model_id == m1.id)
        .join(r2, Comparison.response2_id == r2.id)
        .join(m2, r2.model_id == m2.id)
    )


def read_comparison(session: Session, comparison_id: int) -> ComparisonView | None:
    row = session.execute(comparison_query().where(Comparison.id == comparison_id)).first()
    return ComparisonView(*row) if row is not None else None


def comparisons_in(dataset_id: int | None) -> Any:
    """A select of the comparison ids of a dataset (None: of every dataset)."""
    query = select(Comparison.id)
    return query.where(Comparison.dataset_id == dataset_id) if dataset_id is not None else query


def _required_text(item: Any, key: str, where: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{where}: field {key!r} must be a non-empty string.")
    return value


class DatasetsMixin(StoreBase):
    """Datasets, comparisons, responses and prompts for ``Store``."""

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
                    noun = "model" if len(missing) == 1 else "models"
                    raise StoreError(f"{where}: no response text for {noun} {', '.join(missing)}.")
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

    def working_dataset(self, demo: str, aside: Collection[str] = ()) -> str | None:
        """The dataset a page's picker opens on: the one people most likely work on now. In order: the
        dataset of the newest open pairwise session not on ``demo`` (most pages are about comparisons:
        Review, Case study, the labels export), else of the newest open session of any kind not on
        ``demo``, else the newest dataset other than ``demo`` and the ``aside`` ones (datasets the app
        imports for itself, e.g. a judge checkup's suite), else ``demo`` (a fresh database), else None
        (no dataset at all). Newest: the highest id (ids grow as rows are created)."""
        with self._read() as session:
            open_sessions = (
                select(Dataset.name, AnnotationSession.kind)
                .join(AnnotationSession, AnnotationSession.dataset_id == Dataset.id)
                .where(AnnotationSession.active.is_(True), Dataset.name != demo)
                .order_by(AnnotationSession.id.desc())
            )
            found = session.execute(open_sessions).all()
            pairwise = [name for name, kind in found if kind == "pairwise"]
            if pairwise or found:
                return str((pairwise or [found[0][0]])[0])
            names = list(session.scalars(select(Dataset.name).order_by(Dataset.id.desc())))
        others = [name for name in names if name != demo and name not in aside]
        return others[0] if others else (demo if demo in names else None)

    def dataset_sizes(self) -> dict[str, int]:
        """Comparisons per dataset, every dataset included (0 for e.g. MT-Bench questions without answers)."""
        query = (
            select(Dataset.name, func.count(Comparison.id))
            .outerjoin(Comparison, Comparison.dataset_id == Dataset.id)
            .group_by(Dataset.id, Dataset.name)
            .order_by(Dataset.id)
        )
        with self._read() as session:
            return {str(name): int(n) for name, n in session.execute(query)}

    def datasets_with_responses(self) -> set[str]:
        """The datasets that hold at least one response (one query, no texts read): the pickers label a
        dataset without comparisons "(ratings only)" when it has responses, an import hint when empty."""
        query = (
            select(Dataset.name)
            .join(Prompt, Prompt.dataset_id == Dataset.id)
            .join(Response, Response.prompt_id == Prompt.id)
            .distinct()
        )
        with self._read() as session:
            return {str(name) for name in session.scalars(query)}

    # ------------------------------------------------------------------ comparisons
    def comparison_table(self, dataset: str | None = None) -> pd.DataFrame:
        """One row per comparison: id, prompt key, category, the two model names, instruction."""
        import pandas as pd

        query = _comparison_query(with_texts=False)
        if dataset:
            query = query.where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=COMPARISON_COLUMNS)

    def get_comparison(self, comparison_id: int) -> ComparisonView:
        with self._read() as session:
            found = read_comparison(session, comparison_id)
        if found is None:
            raise StoreNotFound(f"There is no comparison with id {comparison_id}.")
        return found

    def next_unlabelled(self, annotator: str, dataset: str | None = None) -> ComparisonView | None:
        """The comparison with the fewest labels that this annotator has not labelled yet (no lease:
        for scripts; people work through sessions, see ``Store.lease``)."""
        name = clean_name(annotator)
        with self._read() as session:
            mine = (
                select(Label.comparison_id)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(Annotator.name == name)
            )
            counts = select(Label.comparison_id, func.count().label("n")).group_by(Label.comparison_id).subquery()
            query = (
                select(Comparison.id)
                .outerjoin(counts, counts.c.comparison_id == Comparison.id)
                .where(Comparison.id.not_in(mine))
                .order_by(func.coalesce(counts.c.n, 0), Comparison.id)
                .limit(1)
            )
            if dataset:
                query = query.join(Dataset, Comparison.dataset_id == Dataset.id).where(Dataset.name == dataset)
            found = session.scalar(query)
            return read_comparison(session, found) if found is not None else None

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
        import pandas as pd

        query = _comparison_query(with_texts=True).where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=TEXT_COLUMNS)

    def response_table(self, dataset: str) -> pd.DataFrame:
        """Every stored response of ``dataset`` (compared or not): prompt, model, text.

        Importers of per-model answer files need it to pair a new model with the models already there.
        """
        import pandas as pd

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
        import pandas as pd

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


def _comparison_query(*, with_texts: bool) -> Any:
    """One row per comparison with its dataset, prompt key, category and the two model names (and, with
    ``with_texts``, input, reference and both responses): the join ``comparison_table`` and
    ``comparison_texts`` share, ordered by id."""
    m1, m2 = aliased(CandidateModel), aliased(CandidateModel)
    r1, r2 = aliased(Response), aliased(Response)
    columns: list[Any] = [
        Comparison.id.label("id"),
        Dataset.name.label("dataset"),
        Prompt.key.label("prompt"),
        Prompt.category.label("category"),
        m1.name.label("model1"),
        m2.name.label("model2"),
        Prompt.instruction.label("instruction"),
    ]
    if with_texts:
        columns += [
            Prompt.input.label("input"),
            Prompt.reference.label("reference"),
            r1.text.label("response1"),
            r2.text.label("response2"),
        ]
    return (
        select(*columns)
        .join(Dataset, Comparison.dataset_id == Dataset.id)
        .join(Prompt, Comparison.prompt_id == Prompt.id)
        .join(r1, Comparison.response1_id == r1.id)
        .join(m1, r1.model_id == m1.id)
        .join(r2, Comparison.response2_id == r2.id)
        .join(m2, r2.model_id == m2.id)
        .order_by(Comparison.id)
    )
