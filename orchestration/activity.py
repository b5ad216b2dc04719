"""Labels per person and per UTC day, for a campaign's manager and payroll scripts (``judge-studio sessions
activity``): the store counts (``annotation_store.activity``, one GROUP BY); this module names the scope, checks the
dates and writes the rows as an aligned table, CSV or JSON. Plain Python: no pandas, no Gradio.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from analysis.wording import counted
from annotation_store.activity import GROUPINGS, ActivityRow
from annotation_store.store import Store
from errors import InvalidInput

__all__ = [
    "FORMATS",
    "GROUPINGS",
    "Activity",
    "activity_csv",
    "activity_headline",
    "activity_json",
    "activity_text",
    "read_activity",
]

FORMATS = ("text", "csv", "json")
#: The columns of the CSV (and the keys of each JSON row), in order; ``annotator``/``day`` only where grouped so.
COLUMNS = (
    "annotator",
    "day",
    "labels",
    "skipped",
    "set_aside",
    "gold_checks",
    "gold_right",
    "gold_accuracy",
    "first_label_at",
    "last_label_at",
)
#: A grading session's columns (``Activity.counts`` "ratings"): its ratings, no gold checks.
RATING_COLUMNS = ("annotator", "day", "ratings", "skipped", "set_aside", "first_rating_at", "last_rating_at")


@dataclass(frozen=True)
class Activity:
    """What was asked (scope and dates) and the store's rows."""

    session: str | None
    dataset: str | None
    by: str
    since: date | None
    until: date | None
    rows: list[ActivityRow]
    #: what the rows count: "labels", or "ratings" (a grading session; ``ActivityRow.labels`` holds its ratings)
    counts: str = "labels"

    @property
    def noun(self) -> str:
        """ "label" or "rating": how the words name one answer counted."""
        return self.counts[:-1]

    @property
    def scope(self) -> str:
        if self.session is not None:
            return f"session {self.session!r}"
        return f"dataset {self.dataset!r}" if self.dataset is not None else "every dataset"

    @property
    def span(self) -> str:
        """The days asked for, in words; a ``since`` after today (UTC) says that day has not come yet, rather than
        a range "2026-11-30 to today" that runs backwards."""
        if self.since is None and self.until is None:
            return "all days"
        if self.since is not None and self.since > datetime.now(UTC).date():
            ahead = "that day has not come yet" if self.until is None else f"{self.since} has not come yet"
            asked = f"from {self.since}" if self.until is None else f"{self.since} to {self.until}"
            return f"{asked}; {ahead}"
        return f"{self.since or f'the first {self.noun}'} to {self.until or 'today'} (UTC days, both included)"

    @property
    def columns(self) -> tuple[str, ...]:
        keep = {"person": {"annotator"}, "day": {"day"}, "person-day": {"annotator", "day"}}[self.by]
        every = RATING_COLUMNS if self.counts == "ratings" else COLUMNS
        return tuple(c for c in every if c not in ("annotator", "day") or c in keep)


def day_of(text: str, flag: str) -> date:
    """A YYYY-MM-DD day of a command line or a request; InvalidInput naming ``flag`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{flag} takes a day as YYYY-MM-DD (UTC), got {text!r}.") from None


def read_activity(
    store: Store,
    *,
    session: str | None = None,
    dataset: str | None = None,
    by: str = "person",
    since: date | None = None,
    until: date | None = None,
) -> Activity:
    """The labels of ``session`` (or ``dataset``, or every dataset) per person, day or both; a grading session's
    ratings (``Activity.counts`` "ratings"). Raises InvalidInput
    for a session and a dataset given together, an unknown grouping or a range that ends before it starts, and
    NotFound (naming the existing ones) for an unknown session or dataset."""
    if session is not None and dataset is not None:
        raise InvalidInput("Give a session or a dataset, not both (a session belongs to one dataset).")
    if by not in GROUPINGS:
        raise InvalidInput(f"Unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}.")
    counts, rows = store.answer_activity(session_name=session, dataset=dataset, by=by, since=since, until=until)
    return Activity(session, dataset, by, since, until, rows, counts)


def _utc(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _accuracy(row: ActivityRow) -> float | None:
    return round(row.gold_right / row.gold, 4) if row.gold else None


def records(activity: Activity) -> list[dict[str, Any]]:
    """One dict a row, keys ``Activity.columns``: counts as numbers, times as ISO 8601 UTC ("...Z")."""
    result = []
    for row in activity.rows:
        values = {
            "annotator": row.annotator,
            "day": row.day,
            "labels": row.labels,
            "ratings": row.labels,
            "skipped": row.skipped,
            "set_aside": row.set_aside,
            "gold_checks": row.gold,
            "gold_right": row.gold_right,
            "gold_accuracy": _accuracy(row),
            "first_label_at": _utc(row.first),
            "last_label_at": _utc(row.last),
            "first_rating_at": _utc(row.first),
            "last_rating_at": _utc(row.last),
        }
        result.append({column: values[column] for column in activity.columns})
    return result


def activity_csv(activity: Activity) -> str:
    """A header line and one line a row (an empty gold_accuracy: no gold check taken), a name a spreadsheet would
    run as a formula ("=...", from an imported label file) made text (``interchange.exporters.neutralize``, the
    exports' one rule)."""
    from interchange.exporters import neutralize

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(activity.columns), lineterminator="\n")
    writer.writeheader()
    for record in records(activity):
        writer.writerow({key: "" if value is None else neutralize(value) for key, value in record.items()})
    return out.getvalue()


def activity_json(activity: Activity) -> str:
    """{scope, session, dataset, by, since, until, rows: [...]} (``records``)."""
    document = {
        "counts": activity.counts,
        "session": activity.session,
        "dataset": activity.dataset,
        "by": activity.by,
        "since": activity.since.isoformat() if activity.since else None,
        "until": activity.until.isoformat() if activity.until else None,
        "rows": records(activity),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _gold_cell(gold: int, right: int) -> str:
    return f"{right}/{gold} ({right / gold:.2f})" if gold else "–"


HEADINGS = {
    "annotator": "annotator",
    "day": "day (UTC)",
    "labels": "labels",
    "skipped": "skipped",
    "set_aside": "set aside",
    "gold": "gold right (acc)",
    "first": "first label (UTC)",
    "last": "last label (UTC)",
}


def _title(activity: Activity) -> str:
    return (
        f"{activity.counts.capitalize()} in {activity.scope}, per {activity.by.replace('-', ' and ')}, {activity.span}"
    )


def _none(activity: Activity) -> str:
    return f"No {activity.counts} in {activity.scope} ({activity.span})."


def activity_headline(activity: Activity) -> str:
    """The Admin page's line above its table: ``activity_text``'s title and total line (the one wording: labels
    that count, skips and set-aside answers apart, gold checks), or its "No labels in ..." sentence."""
    if not activity.rows:
        return _none(activity)
    return f"{_title(activity)}. {_total(activity)}."


def activity_text(activity: Activity) -> str:
    """A title line, an aligned table (numbers right-aligned) and a total line under more than one row."""
    title = _title(activity) + ":"
    if not activity.rows:
        return _none(activity)
    keys = [k for k in HEADINGS if k not in ("annotator", "day") or k in activity.columns]
    if activity.counts == "ratings":
        keys = [k for k in keys if k != "gold"]
    lines = [[_heading(k, activity.noun) for k in keys]]
    for row in activity.rows:
        cells = {
            "annotator": row.annotator or "",
            "day": row.day or "",
            "labels": str(row.labels),
            "skipped": str(row.skipped),
            "set_aside": str(row.set_aside),
            "gold": _gold_cell(row.gold, row.gold_right),
            "first": row.first.strftime("%Y-%m-%d %H:%M"),
            "last": row.last.strftime("%Y-%m-%d %H:%M"),
        }
        lines.append([cells[k] for k in keys])
    numeric = {"labels", "skipped", "set_aside", "gold"}
    widths = [max(len(line[i]) for line in lines) for i in range(len(keys))]
    table = [
        "  ".join(
            cell.rjust(width) if key in numeric else cell.ljust(width)
            for key, cell, width in zip(keys, line, widths, strict=True)
        ).rstrip()
        for line in lines
    ]
    total = _total(activity)
    return "\n".join([title, *table, total] if len(activity.rows) > 1 else [title, *table])


def _heading(key: str, noun: str) -> str:
    """``HEADINGS[key]``, "label" made ``noun`` ("ratings", "first rating (UTC)" for a grading session)."""
    return HEADINGS[key].replace("label", noun)


def _total(activity: Activity) -> str:
    rows = activity.rows
    labels, skipped, aside = (sum(getattr(row, name) for row in rows) for name in ("labels", "skipped", "set_aside"))
    gold, right = sum(row.gold for row in rows), sum(row.gold_right for row in rows)
    said = f"Total: {counted(labels, activity.noun)}, {skipped} skipped, {aside} set aside"
    if activity.counts == "ratings":
        return said
    return said + (f", gold checks {right} of {gold} right" if gold else ", no gold checks")
