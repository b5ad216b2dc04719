"""Judge runs and their verdicts on comparisons (both presentation orders), and the reads the
metrics, exports and the reveal after a submit need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session, aliased

from annotation_store.base import StoreNotFound
from annotation_store.datasets import DatasetsMixin
from annotation_store.errors import StoreError
from annotation_store.models import (
    PARSE_STATUSES,
    VERDICT_VALUES,
    Comparison,
    Dataset,
    JudgeRating,
    JudgeRun,
    JudgeVerdict,
    utcnow,
)
from annotation_store.views import JudgeRunView, NewVerdict, VerdictView

if TYPE_CHECKING:
    import pandas as pd

#: The raw output stored with a verdict that a rule decided without asking the judge (an empty response under
#: ``empty_response`` "loses": ``analysis.empty_responses``): the marker ``judge_verdicts``' ``by_rule`` reads.
RULE_OUTPUT = "[not sent to the judge: decided by the empty_response setting]"


class JudgeRunGone(StoreNotFound):
    """The judge run a verdict was to be stored into is not there any more: another process deleted it (a run
    of errors only, ``drop_run_of_errors``) after this one found it. Nothing was written."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"Judge run {run_id} is not there any more (deleted by another process); nothing was stored.")
        self.run_id = run_id


def read_latest_verdict(session: Session, comparison_id: int) -> VerdictView | None:
    """The latest verdict of any run on the comparison in its original order (what a reveal shows)."""
    found = session.execute(
        select(JudgeVerdict, JudgeRun.model, JudgeRun.profile)
        .join(JudgeRun, JudgeVerdict.run_id == JudgeRun.id)
        .where(JudgeVerdict.comparison_id == comparison_id, JudgeVerdict.swapped.is_(False))
        .order_by(JudgeVerdict.created_at.desc(), JudgeVerdict.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    row, model, profile = found
    return VerdictView(
        comparison_id=row.comparison_id,
        run_id=row.run_id,
        judge_model=model,
        profile=profile,
        verdict=row.verdict,
        status=row.status,
        reason=row.reason,
        reference=row.reference,
        raw_output=row.raw_output,
        latency_s=row.latency_s,
        probabilities=None if row.p_1 is None else {"1": row.p_1, "2": row.p_2 or 0.0, "tie": row.p_tie or 0.0},
    )


class VerdictsMixin(DatasetsMixin):
    """Judge runs and verdicts for ``Store``."""

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

    def drop_run_of_errors(self, run_id: int) -> bool:
        """Delete the judge run ``run_id`` and its verdicts, in one transaction, when it holds nothing but "error"
        verdicts (refusals, which a new run stores again) and no ratings; True when it was deleted. For a run a
        command just created and whose judge then failed before judging anything (tester report s14 judgeeng,
        finding 9: every bad endpoint left a run of errors in `metrics`).

        The condition is part of each DELETE (``WHERE NOT EXISTS``), not read before it, so a verdict another
        process stored into the run is never deleted with it (s14 known gap: two `judge` processes with one
        judge): the run is kept then, and a process that finds its run gone later stores into a new one
        (``save_verdict`` raises :class:`JudgeRunGone`)."""
        other = aliased(JudgeVerdict)
        judged = select(other.id).where(other.run_id == run_id, other.status != "error").exists()
        rated = select(JudgeRating.id).where(JudgeRating.run_id == run_id).exists()
        any_verdict = select(other.id).where(other.run_id == run_id).exists()
        with self._write() as session:
            session.execute(delete(JudgeVerdict).where(JudgeVerdict.run_id == run_id, ~judged, ~rated))
            gone = session.execute(delete(JudgeRun).where(JudgeRun.id == run_id, ~any_verdict, ~rated))
            return getattr(gone, "rowcount", 0) == 1

    def judged_comparison_ids(self, run_id: int, *, errors: bool = True, by_rule: bool = True) -> set[int]:
        """The comparisons the run has a verdict row on; ``errors=False`` leaves out those stored only as
        "error" (refused before judging), which a new run of the judge tries again; ``by_rule=False`` those an
        empty-response rule decided (``RULE_OUTPUT``), which a run under the other rule decides again."""
        query = select(JudgeVerdict.comparison_id).where(JudgeVerdict.run_id == run_id)
        if not errors:
            query = query.where(JudgeVerdict.status != "error")
        if not by_rule:
            query = query.where(JudgeVerdict.raw_output != RULE_OUTPUT)
        with self._read() as session:
            return set(session.scalars(query))

    def save_verdict(self, run_id: int, new: NewVerdict) -> None:
        """Store (or replace) the run's verdict on a comparison."""
        if new.status not in PARSE_STATUSES:
            raise StoreError(f"Unknown judge status {new.status!r}.")
        if (new.status == "ok") != (new.verdict in VERDICT_VALUES):
            raise StoreError(f"Verdict {new.verdict!r} does not fit status {new.status!r}.")
        with self._write() as session:
            if session.get(Comparison, new.comparison_id) is None:
                raise StoreNotFound(f"There is no comparison with id {new.comparison_id}.")
            if session.get(JudgeRun, run_id) is None:  # another process deleted it (``drop_run_of_errors``)
                raise JudgeRunGone(run_id)
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
            return read_latest_verdict(session, comparison_id)

    def verdicts(self, dataset: str | None = None) -> pd.DataFrame:
        """Judge verdicts in presentation order as given: comparison_id, run_id, judge, verdict, status."""
        import pandas as pd

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

    def judge_verdicts(self, dataset: str, *, with_raw_output: bool = False) -> pd.DataFrame:
        """Every verdict of every judge run on ``dataset``, in both presentation orders.

        Columns: comparison_id, run_id, judge, profile, swapped, verdict, status, reason (an "error"'s: why
        it was refused, kept in its raw output), reference, p_1, p_2, p_tie (the verdict words' probabilities in
        canonical order; NaN when the judge gave none), created_at (when it was judged), by_rule (decided by the
        empty-response rule without the judge: ``RULE_OUTPUT``), plus dataset, category, model1, model2. ``verdicts()``
        only gives the original order; metrics need both for swap consistency, exports need every run side by
        side, and the probabilities decide at read time which verdicts are uncertain (``analysis.verdicts``).
        ``with_raw_output`` adds ``raw_output`` (the judge's text as it came: the judgments export).
        """
        import pandas as pd

        query = (
            select(
                JudgeVerdict.comparison_id,
                JudgeVerdict.run_id,
                JudgeRun.model.label("judge"),
                JudgeRun.profile.label("profile"),
                JudgeVerdict.swapped,
                JudgeVerdict.verdict,
                JudgeVerdict.status,
                case(
                    (
                        JudgeVerdict.status == "error",
                        func.coalesce(func.nullif(JudgeVerdict.reason, ""), JudgeVerdict.raw_output),
                    ),
                    else_=JudgeVerdict.reason,
                ).label("reason"),
                JudgeVerdict.reference,
                JudgeVerdict.p_1,
                JudgeVerdict.p_2,
                JudgeVerdict.p_tie,
                JudgeVerdict.created_at,
                (JudgeVerdict.raw_output == RULE_OUTPUT).label("by_rule"),
            )
            .join(JudgeRun, JudgeVerdict.run_id == JudgeRun.id)
            .join(Comparison, JudgeVerdict.comparison_id == Comparison.id)
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .where(Dataset.name == dataset)
            .order_by(JudgeVerdict.id)
        )
        columns = ["comparison_id", "run_id", "judge", "profile", "swapped", "verdict", "status", "reason", "reference"]
        columns += ["p_1", "p_2", "p_tie", "created_at", "by_rule"]
        if with_raw_output:
            query = query.add_columns(JudgeVerdict.raw_output)
            columns.append("raw_output")
        with self._read() as session:
            frame = pd.DataFrame(session.execute(query).mappings().all(), columns=columns)
        frame["swapped"] = frame["swapped"].astype(bool)
        frame["by_rule"] = frame["by_rule"].fillna(False).astype(bool)
        frame[["p_1", "p_2", "p_tie"]] = frame[["p_1", "p_2", "p_tie"]].astype(float)
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
