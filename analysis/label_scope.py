"""Whose labels a report counts: every person's (the default), one session's, or the imported ones.

Why a scope: importing a benchmark with its own annotators' labels (PandaLM's test set brings three)
mixes them into every people figure, so a lead could not see their own session's agreement, or move
the people's majority (tester report s12 "crowd", finding 3). The rows are kept to the scope before the
report builder runs (``orchestration.metrics.read_report_inputs``); this module names the scope and
says, in the report's words, what it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

ALL, SESSION, IMPORTED = "all", "session", "imported"
#: what ``labels_from`` accepts besides a session's name (``session:NAME`` names a session called so)
KEYWORDS = (ALL, IMPORTED)


@dataclass(frozen=True)
class LabelScope:
    """The scope of people's labels in a report, with what it holds.

    kind: ALL, SESSION (``session`` names it) or IMPORTED (labels given in no session: imported from a
    file, or saved outside any session). labels / annotators: the pairwise labels in the scope and who
    gave them; imported_labels / imported_annotators: the dataset's labels given in no session, whatever
    the scope (the all-labels summary says they are included). dataset_labels: every pairwise label of
    the dataset, whatever the scope (an empty scope says the dataset has labels elsewhere: s13 newfeat 6).
    imported_keys: the (comparison_id, annotator) of the imported labels, for saying when a figure over
    all labels rests on imported labels alone (Fleiss' kappa: ``analysis.inter_annotator``).
    """

    kind: str = ALL
    session: str | None = None
    labels: int = 0
    annotators: int = 0
    imported_labels: int = 0
    imported_annotators: int = 0
    dataset_labels: int = 0
    imported_keys: frozenset[tuple[int, str]] = field(default=frozenset(), compare=False, repr=False)

    @property
    def name(self) -> str:
        """What ``--labels-from`` / ``labels_from=`` took: "all", "imported" or the session's name."""
        return self.session if self.kind == SESSION and self.session is not None else self.kind

    def line(self) -> str | None:
        """The report's one line on whose labels it counts; None for all labels when none is imported
        (the report reads as it always did)."""
        held = f"{_counted(self.labels, 'label')}, {_counted(self.annotators, 'annotator')}"
        if self.kind == SESSION:
            return f"People: labels from session '{self.session}' ({held})"
        if self.kind == IMPORTED:
            return f"People: imported labels only (given in no session; {held})"
        if self.imported_labels:
            return (
                f"People: all labels; includes {_counted(self.imported_labels, 'imported label')} from "
                f"{_counted(self.imported_annotators, 'annotator')}: choose a session to see it alone"
            )
        return None

    @property
    def mixed(self) -> bool:
        """All labels, some imported and some given in sessions: figures may rest on either alone."""
        return self.kind == ALL and 0 < self.imported_labels < self.labels

    def what(self) -> str:
        """ "labels from session 'X'", "imported labels" or "people's labels": what the scope holds."""
        if self.kind == SESSION:
            return f"labels from session '{self.session}'"
        return "imported labels" if self.kind == IMPORTED else "people's labels"

    def empty_elsewhere(self) -> int:
        """The dataset's labels outside this scope when the scope holds none (0 otherwise)."""
        return self.dataset_labels if self.kind != ALL and not self.labels else 0

    def no_labels_text(self) -> str | None:
        """Instead of "No people's labels on this dataset" when only the scope is empty: "No labels from
        session 'X' yet (the dataset has 76 labels from other sources: choose 'all people' to see them)."
        None when the dataset itself has no label (or the scope has some)."""
        elsewhere = self.empty_elsewhere()
        if not elsewhere:
            return None
        return (
            f"No {self.what()} yet (the dataset has {_counted(elsewhere, 'label')} from other sources: "
            "choose 'all people' to see them)."
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "scope": self.kind,
            "session": self.session,
            "labels": self.labels,
            "annotators": self.annotators,
            "imported_labels": self.imported_labels,
            "imported_annotators": self.imported_annotators,
            "dataset_labels": self.dataset_labels,
            "no_labels": self.no_labels_text(),
            "line": self.line(),
        }


def _counted(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------- the time of a label (one rule)


def imported_label(session: object) -> bool:
    """Is a label with this session (its name; None or NaN: given in no session) an imported one? The one rule
    for a label's time: a label given in no session (imported from a file, or saved by a script) was stored at
    its import, so its ``created_at`` is the import's time, not when a person gave it (s14 steward, finding 3).
    The labels export leaves its ``created_at`` empty and marks it ``imported``; the over-time figure leaves it
    out (``timed_labels``)."""
    return session is None or (isinstance(session, float) and math.isnan(session))


def timed_labels(labels: pd.DataFrame, scope: LabelScope | None) -> tuple[pd.DataFrame, int]:
    """The labels whose times say when people gave them, for a figure over time, and how many were left out.

    Where the labels mix imported ones (``scope.imported_keys``: given in no session) with labels given in
    sessions, the imported ones are left out and counted (``import_time_note`` says so). Where every label is
    imported, all are kept and none counted: the figure is then in label order, never a time series
    (``all_imported``)."""
    if scope is None or not scope.imported_keys or labels.empty:
        return labels, 0
    keys = zip(labels["comparison_id"].astype(int), labels["annotator"].astype(str), strict=True)
    imported = pd.Series([key in scope.imported_keys for key in keys], index=labels.index, dtype=bool)
    if imported.all() or not imported.any():
        return labels, 0
    return labels[~imported].reset_index(drop=True), int(imported.sum())


def all_imported(labels: pd.DataFrame, scope: LabelScope | None) -> bool:
    """Are all of ``labels`` imported (given in no session)? Their times are then import times."""
    if scope is None or labels.empty:
        return False
    keys = zip(labels["comparison_id"].astype(int), labels["annotator"].astype(str), strict=True)
    return all(key in scope.imported_keys for key in keys)


def import_time_note(left_out: int) -> str:
    """ "12 imported labels left out: they carry their import time" ('' when none was)."""
    return f"{_counted(left_out, 'imported label')} left out: they carry their import time" if left_out else ""
