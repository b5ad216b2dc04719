"""The judge report card of a dataset (UI page, ``judge-studio report``, REST ``/report-card``).

Why it is built from ``metrics_report``: the card reads the very report ``metrics --json`` and REST
``/metrics`` return (``analysis.judge_report_card`` only adds its reading: the answer, the
conclusion, the caveats), so its figures cannot disagree with theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.defaults import ALPHA, N_BOOTSTRAP
from analysis.report_card import judge_report_card
from annotation_store.store import Store
from errors import NotFound
from orchestration.metrics import PeopleOptions, metrics_report

if TYPE_CHECKING:  # the Studio calls ``report_card`` (``Studio.report_card``): no import at run time
    from orchestration.service import Studio

__all__ = ["ReportCardDesk", "label_scopes", "report_card"]


def report_card(
    store: Store,
    dataset: str,
    *,
    run_id: int | None = None,
    alpha: float = ALPHA,
    n_bootstrap: int = N_BOOTSTRAP,
    baseline: str | None = None,
    people: PeopleOptions | None = None,
    uncertain_margin: float | None = None,
    labels_from: str | None = None,
) -> dict[str, Any]:
    """The card of ``dataset`` (every judge run, or ``run_id``) as JSON-serialisable values.
    ``uncertain_margin``: ``metrics_report``'s (None: the environment's, else the settings table's).
    ``labels_from``: whose labels count (``metrics.label_scope_of``; None: every label).

    Raises StoreNotFound for an unknown dataset (``catalog.require_dataset``) and NotFound for a run
    that did not judge it."""
    report = metrics_report(
        store,
        dataset,
        alpha=alpha,
        n_bootstrap=n_bootstrap,
        baseline=baseline,
        people=people,
        uncertain_margin=uncertain_margin,
        labels_from=labels_from,
    )
    try:
        return judge_report_card(report, run_id)
    except LookupError as exc:
        raise NotFound(str(exc)) from exc


class ReportCardDesk:
    """The card for a signed-in reviewer (the UI page): roles are checked here, on the server."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    def datasets(self, actor: str | None) -> list[str]:
        self.studio.access.require(actor, "reviewer")
        return list(self.studio.store.dataset_names())

    def runs(self, actor: str | None, dataset: str) -> list[tuple[str, int]]:
        """(label, run id) of every judge run on ``dataset``, oldest first."""
        self.studio.access.require(actor, "reviewer")
        runs = self.studio.store.judge_runs_on(dataset)
        return [(f"run {r.run_id}: {r.model} ({r.profile})", r.run_id) for r in runs]

    def label_scopes(self, actor: str | None, dataset: str) -> list[str]:
        """The sessions on ``dataset`` whose labels a report can be kept to, oldest first."""
        return label_scopes(self.studio, actor, dataset)

    def card(
        self,
        actor: str | None,
        dataset: str,
        run_id: int | None = None,
        people: PeopleOptions | None = None,
        labels_from: str | None = None,
    ) -> dict[str, Any]:
        self.studio.access.require(actor, "reviewer")
        return self.studio.report_card(dataset, run_id=run_id, people=people, labels_from=labels_from)


def label_scopes(studio: Studio, actor: str | None, dataset: str | None) -> list[str]:
    """The names of the pairwise sessions on ``dataset`` (the Dashboard's and Report card's "Labels from"
    choices beside every label and the imported ones); reviewers and admins only."""
    studio.access.require(actor, "reviewer")
    if not dataset:
        return []
    return [s.name for s in studio.store.sessions() if s.dataset == dataset and s.kind == "pairwise"]
