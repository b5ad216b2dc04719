"""Whose labels a report counts: every person's (the default), one session's, or the imported ones.

Why a scope: importing a benchmark with its own annotators' labels (PandaLM's test set brings three)
mixes them into every people figure, so a lead could not see their own session's agreement, or move
the people's majority (tester report s12 "crowd", finding 3). The rows are kept to the scope before the
report builder runs (``orchestration.metrics.read_report_inputs``); this module names the scope and
says, in the report's words, what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL, SESSION, IMPORTED = "all", "session", "imported"
#: what ``labels_from`` accepts besides a session's name (``session:NAME`` names a session called so)
KEYWORDS = (ALL, IMPORTED)


@dataclass(frozen=True)
class LabelScope:
    """The scope of people's labels in a report, with what it holds.

    kind: ALL, SESSION (``session`` names it) or IMPORTED (labels given in no session: imported from a
    file, or saved outside any session). labels / annotators: the pairwise labels in the scope and who
    gave them; imported_labels / imported_annotators: the dataset's labels given in no session, whatever
    the scope (the all-labels summary says they are included).
    """

    kind: str = ALL
    session: str | None = None
    labels: int = 0
    annotators: int = 0
    imported_labels: int = 0
    imported_annotators: int = 0

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

    def as_dict(self) -> dict[str, object]:
        return {
            "scope": self.kind,
            "session": self.session,
            "labels": self.labels,
            "annotators": self.annotators,
            "imported_labels": self.imported_labels,
            "imported_annotators": self.imported_annotators,
            "line": self.line(),
        }


def _counted(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
