"""Exports of a dataset's labels and verdicts, as JSONL, CSV or Parquet.

* ``labels``: long format, one row per label or skip (and, on request, per judge verdict);
* ``ratings``: one row per single-answer rating or skip (and, on request, per judge rating);
* ``wide``: one row per comparison with its texts, every annotator's label, the majority and every
  judge run's verdict (a second column per run for the swapped order when it exists);
* ``dpo``: preference pairs ``prompt, chosen, rejected`` (TRL's DPO layout) from the majority label
  or from one judge run; ties and comparisons without a decisive preference are left out, and so
  (counted, unless asked to keep them) are pairs with an empty or non-text response.

``prompt_key`` is the prompt's key in every export; ``prompt`` is only DPO's prompt text.

A reviewer's adjudication (the Review page's final label) travels with its comparison: ``labels``
and ``wide`` rows carry ``adjudication`` (the verdict), ``adjudicated_by`` (the reviewer) and
``adjudication_rationale``, all empty when the comparison was not adjudicated; ``wide`` keeps the
annotators' ``majority`` and adds ``people_label`` (the adjudication where there is one, else the
majority: the label the reports use), and DPO pairs from people are made from ``people_label``, each
pair saying who adjudicated it (``adjudicated_by``).

A judge verdict whose top two probabilities lie closer than the uncertain margin is exported as
what it counts as (``analysis.verdicts.with_outcomes``): status and outcome "uncertain", no verdict,
the verdict it leans to in ``leaning``, and its probabilities p_1, p_2, p_tie beside it. It is never a
DPO pair. ``margin`` (default ``analysis.defaults.UNCERTAIN_MARGIN``) is applied when exporting, so
a new margin needs no re-judging, and written into the rows it shaped (the ``margin`` column: MARGIN_COLUMN).

Whose labels ``labels``, ``wide`` and ``dpo`` read is a ``PeopleFilter`` (``--labels-from``,
``--exclude-annotator``, ``--min-labels``), on top of the set-aside rule; DPO pairs carry ``n_labels`` and
``agreement`` (the share of those labels that pick the chosen response).

CSV cells that start with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) get a leading
apostrophe: model outputs are untrusted text, and a spreadsheet would otherwise run such a cell as a
formula (CSV injection, OWASP). A text that itself starts with ``'`` gets one more, so removing one leading
apostrophe from every cell that has one always gives the text back (s18, analyst 8). JSONL is written as it
is: it is not opened by spreadsheets. Booleans are
``true`` / ``false`` in both (and an empty CSV cell is a null).

Every export kind has one column set (``wide`` adds a column per annotator and per judge run) and one type
per column (``column_type``), whatever the data and whatever ``--judges`` says: ``labels`` always has
``outcome``, ``leaning`` and the probabilities, ``ratings`` ``rating_sd`` and ``reason`` (empty without
judges). A file is written all or nothing (``write_file``).

Parquet (pyarrow) keeps each column's type: numbers stay numbers, a missing value is a null; an export's
columns are nullable int64, bool, double or string as ``column_type`` says (never ``null``-typed); any
other column of dicts (or lists) becomes a struct (or list) column, which pandas reads back as dicts (a
key missing from a row's dict reads back as None). A column whose values pyarrow cannot give one
type (e.g. text in one row and a dict in another) is stored as text holding each value's JSON.
Parquet is binary, so it is written to a file or binary stream, never to a text stream.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import secrets
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO, cast

import pandas as pd

from analysis import majority_labels, verdict_that_counts
from analysis.aggregation import settle
from analysis.defaults import UNCERTAIN_MARGIN
from analysis.label_scope import ALL, IMPORTED, imported_label
from analysis.verdicts import PROBABILITY_COLUMNS, with_outcomes
from analysis.wording import counted as counted_words
from annotation_store.base import StoreNotFound
from annotation_store.guidelines import version_at
from annotation_store.store import Store, StoreError
from annotation_store.views import ResponseView
from errors import InvalidInput
from interchange.formats import EXPORT_FORMAT_COLUMN, WIDE_EXPORT_FORMAT

EXPORT_KINDS = ("labels", "wide", "dpo", "judgments", "ratings")
EXPORT_FORMATS = ("jsonl", "csv", "parquet")
BINARY_FORMATS = ("parquet",)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: The mark ``neutralize`` puts before such a cell; a text starting with it gets it too (one more, always removable).
FORMULA_GUARD = "'"

#: What ``labels`` adds after ``status`` and the JUDGE_COLUMNS (``_label_details``): the person's kind (crowd /
#: skilled / expert; empty for a judge), the skip, the first answer (what a gold check scores), the comparison's
#: gold answer, the session it was last given in with the guideline version then (empty outside a session, e.g.
#: imported labels, and for a judge), and the rest of what the label holds. ``rater_kind`` stays "human" /
#: "judge": readers filter judge rows on it. ``imported``: the label was given in no session (imported from a
#: file; ``analysis.label_scope.imported_label``, the one rule): its ``created_at`` is empty, since the time it
#: holds is its import's, and its ``updated_at`` is when it was stored (empty for a judge's verdict).
LABEL_DETAIL_COLUMNS = ["annotator_kind", "skipped", "first_verdict", "gold", "gold_answer", "session", "imported"]
LABEL_DETAIL_COLUMNS += ["guideline_version", "confidence", "comment", "time_on_item_ms", "created_at", "updated_at"]
#: True for a label of an account whose answers an admin set aside (``users set-aside``): listed here, left out of
#: every figure, majority and the other exports (``annotation_store.set_aside``); empty on a judge's row.
LABEL_DETAIL_COLUMNS += ["set_aside"]
#: What every row of ``labels`` and ``judgments`` says about its comparison (``_comparison_fields``).
COMPARISON_COLUMNS = ["dataset", "comparison_id", "prompt_key", "category", "model1", "model2"]
LONG_COLUMNS = [
    *COMPARISON_COLUMNS,
    "rater",
    "rater_kind",
    "run_id",
    "swapped",
    "verdict",
    "status",
]
#: The three columns of a comparison's adjudication (None when it has none), last in ``labels`` and ``wide``.
ADJUDICATION_FIELDS = ["adjudication", "adjudicated_by", "adjudication_rationale"]
#: What ``labels`` adds with ``include_judges``: how each verdict counts and the judge's probabilities.
JUDGE_COLUMNS = ["outcome", "leaning", *PROBABILITY_COLUMNS]
#: The uncertain margin the export applied (``margin``), in every row it shaped: a judge's row of ``labels`` and
#: ``judgments``, a ``wide`` row when the dataset has judge runs, a ``dpo`` pair from a judge run (empty elsewhere),
#: so a reader of the file alone knows which verdicts counted as "uncertain" (s16 analyst finding 7).
MARGIN_COLUMN = "margin"


@dataclass(frozen=True)
class OptionWords:
    """How one surface names the export options its notes point at (the command line's flags by default; REST's
    query parameters and the Admin page's boxes are theirs: fix18b, review 18b finding 3). ``min_labels`` holds
    ``{n}``; ``keep_empty`` is the whole hint on keeping the pairs an empty response left out of a DPO export.
    ``labels_from``, ``min_labels_name`` (the option without a value) and ``kinds`` (the export kinds an option
    applies to, ``{kinds}``) name the options in the errors of a filter the kind cannot apply (``_check_people``)."""

    exclude: str = "--exclude-annotator"
    min_labels: str = "--min-labels {n}"
    margin: str = "--uncertain-margin"
    keep_empty: str = "keep them with --keep-empty"
    labels_from: str = "--labels-from"
    min_labels_name: str = "--min-labels"
    kinds: str = "--kind {kinds}"


#: The command line's words (``judge-studio export``'s flags).
CLI_WORDS = OptionWords()
#: The hint where keeping empty pairs is the command line's alone (REST and the Admin page have no such option).
KEEP_EMPTY_ELSEWHERE = "only the command line keeps them: judge-studio export --keep-empty"


@dataclass(frozen=True)
class PeopleFilter:
    """Whose labels the ``labels``, ``wide`` and ``dpo`` exports read, on top of the set-aside rule (a set-aside
    account's labels are never counted: ``annotation_store.set_aside``). ``scope`` and ``session``:
    ``--labels-from`` (``analysis.label_scope``: ALL, IMPORTED, or SESSION and the session's name; resolved and
    checked by ``orchestration.metrics.label_scope_of``); ``excluded``: ``--exclude-annotator`` (their labels are
    in no majority, no count and no row); ``min_labels``: ``--min-labels`` (``wide`` and ``dpo`` keep only the
    comparisons with at least this many counted labels)."""

    scope: str = ALL
    session: str | None = None
    excluded: frozenset[str] = field(default_factory=frozenset)
    min_labels: int = 0
    words: OptionWords = CLI_WORDS  # how the notes name these options (the surface's words)

    @property
    def given(self) -> bool:
        """Does it leave anything out (beyond the set-aside rule)?"""
        return self.scope != ALL or bool(self.excluded) or self.min_labels > 0

    @property
    def picks(self) -> bool:
        """Does it leave labels out (``--labels-from``, ``--exclude-annotator``)?"""
        return self.scope != ALL or bool(self.excluded)

    def keeps(self, annotator: Any, session: Any) -> bool:
        """Is a label of ``annotator`` given in ``session`` (None: in none) read?"""
        if str(annotator) in self.excluded:
            return False
        if self.scope == ALL:
            return True
        if self.scope == IMPORTED:
            return imported_label(session)
        return not imported_label(session) and str(session) == self.session

    def kept(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (with ``annotator`` and ``session`` columns) whose label is read."""
        if frame.empty or not self.picks:
            return frame
        keep = [self.keeps(a, s) for a, s in zip(frame["annotator"], frame["session"], strict=True)]
        return frame[keep].reset_index(drop=True)


NO_FILTER = PeopleFilter()


def _counted_labels(store: Store, dataset: str, people: PeopleFilter) -> pd.DataFrame:
    """``Store.labels`` (the counted labels: set-aside accounts' are not there) kept to ``people``'s."""
    labels = store.labels(dataset)
    if labels.empty or not people.picks:
        return labels
    sessions = store.label_sessions(dataset)[["comparison_id", "annotator", "session"]]
    merged = labels.merge(sessions.astype({"annotator": str}), on=["comparison_id", "annotator"], how="left")
    return people.kept(merged).drop(columns="session")


def people_note(store: Store, dataset: str, people: PeopleFilter) -> str:
    """What ``--exclude-annotator`` left out ("Left out 7 labels of 'ann4' ..."; "" when no one is excluded), the
    option named in ``people.words``.
    Raises StoreNotFound for a name with no label on the dataset, naming those who have."""
    if not people.excluded:
        return ""
    names = sorted({str(name) for name in store.label_sessions(dataset)["annotator"]})
    unknown = sorted(people.excluded - set(names))
    if unknown:
        raise StoreNotFound(
            f"There is no annotator named {unknown[0]!r} with labels on dataset {dataset!r} "
            f"(annotators: {', '.join(names) or 'none'})."
        )
    scoped = _counted_labels(store, dataset, PeopleFilter(people.scope, people.session))
    left = int(scoped["annotator"].astype(str).isin(people.excluded).sum()) if not scoped.empty else 0
    who = ", ".join(repr(name) for name in sorted(people.excluded))
    return (
        f"Left out {counted_words(left, 'label')} of {who} ({people.words.exclude}): in no majority, count or row "
        "of this export."
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts (typed Any, unlike itertuples' attributes); pandas' NaN for a missing value -> None."""
    return [{str(k): None if _missing(v) else v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _when(value: Any) -> str | None:
    """A stored time as ISO 8601 text with its UTC offset ("+00:00"), so CSV, JSONL and Parquet hold the same
    value and a reader need not guess the zone: the store keeps naive UTC (``models.utcnow``)."""
    if _missing(value) or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).isoformat()


def _texts(store: Store, dataset: str) -> pd.DataFrame:
    table = store.comparison_texts(dataset)
    if table.empty:
        known = ", ".join(store.dataset_names()) or "none"
        rated = " Its responses' ratings are the ratings export (kind ratings)." if store.responses(dataset) else ""
        raise StoreError(f"Dataset {dataset!r} has no comparisons (datasets: {known}).{rated}")
    return table


def _run_names(verdicts: pd.DataFrame) -> dict[int, str]:
    """A name per judge run: its model and always its run id ("SmolLM2-135M-Instruct #1"), so that a column
    keeps its name when a second run of the same model is added (a script reading ``judge:NAME #1`` does not
    break on the next export) and two runs of one model (two prompt versions) never share a name."""
    runs = verdicts.drop_duplicates("run_id")[["run_id", "judge"]]
    return {int(row["run_id"]): f"{row['judge']} #{row['run_id']}" for row in _records(runs)}


def _adjudications(store: Store, dataset: str) -> dict[int, dict[str, Any]]:
    """Per adjudicated comparison: its ADJUDICATION_FIELDS (verdict, reviewer, rationale)."""
    return {
        int(row["comparison_id"]): dict(
            zip(ADJUDICATION_FIELDS, (row["verdict"], row["reviewer"], row["rationale"]), strict=True)
        )
        for row in _records(store.adjudications(dataset))
    }


def _judge_rows(store: Store, dataset: str, margin: float, *, raw: bool = False) -> pd.DataFrame:
    """Every judge verdict on ``dataset`` with the uncertain rule applied (``with_outcomes``); ``raw``: with
    each verdict's ``raw_output`` (the judgments export)."""
    verdicts = store.judge_verdicts(dataset, with_raw_output=True) if raw else store.judge_verdicts(dataset)
    return with_outcomes(verdicts, margin)


def _human_labels(store: Store, dataset: str) -> pd.DataFrame:
    """The dataset's pairwise labels and skips with the order each was shown in (``Store.label_details``:
    one read that carries ``presented_swapped``, the person's kind, comment and times); answers with
    neither a verdict nor a skip (rating-only rows) are left out, as in ``Store.labels``."""
    details = store.label_details(dataset, with_set_aside=True)
    details = details.merge(store.label_sessions(dataset), on=["comparison_id", "annotator"], how="left")
    return details[details["verdict"].notna() | details["skipped"].astype(bool)]


def _gold_answers(store: Store, dataset: str) -> dict[int, str]:
    """comparison id -> its gold answer ("1", "2", "tie") for the dataset's gold comparisons."""
    return {int(row["comparison_id"]): str(row["verdict"]) for row in _records(store.gold_labels(dataset))}


def _label_details(label: Mapping[str, Any] | None, gold: str | None) -> dict[str, Any]:
    """The LABEL_DETAIL_COLUMNS of one row: a person's label (``label``: a ``label_details`` row with its
    ``label_sessions`` columns) or a judge's verdict (None: only the comparison's gold answer)."""
    found = label or {}
    imported = label is not None and imported_label(found.get("session"))
    return {
        "annotator_kind": found.get("kind"),
        "skipped": bool(found.get("skipped")),
        "first_verdict": found.get("first_verdict"),
        "gold": gold is not None,
        "gold_answer": gold,
        "session": found.get("session"),
        "imported": imported if label is not None else None,
        "guideline_version": _whole(found.get("guideline_version")),
        "confidence": _whole(found.get("confidence")),
        "comment": found.get("comment"),
        "time_on_item_ms": _whole(found.get("time_on_item_ms")),
        "created_at": None if imported else _when(found.get("created_at")),
        "updated_at": _when(found.get("updated_at")),
        "set_aside": bool(found.get("set_aside")) if label is not None else None,
    }


def _shown_order(value: Any) -> bool | None:
    """A label's ``presented_swapped`` as exported: True/False, or None (empty) when the order it was
    shown in is not known (labels imported from a file, or stored before the order was recorded)."""
    return None if _missing(value) else bool(value)


def _comparison_fields(dataset: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The ``COMPARISON_COLUMNS`` of one row, from the comparison's row of ``Store.comparison_texts``."""
    return {
        "dataset": dataset,
        "comparison_id": int(item["id"]),
        "prompt_key": item["prompt"],
        "category": item["category"],
        "model1": item["model1"],
        "model2": item["model2"],
    }


def labels_long(
    store: Store,
    dataset: str,
    *,
    include_judges: bool = False,
    margin: float = UNCERTAIN_MARGIN,
    people: PeopleFilter = NO_FILTER,
) -> list[dict[str, Any]]:
    """One row per human label or skip (rater_kind "human", ``annotator_kind`` the person's kind; a skip has
    status "skipped" and no verdict; ``swapped``: the left/right order it was shown in, empty when not
    known, e.g. imported labels); with ``include_judges`` also one per judge verdict (rater_kind "judge",
    with run id, presentation order, parse status, outcome ("1", "2", "tie", "uncertain" or the status),
    the leaning of an uncertain verdict and the probabilities). Every row carries its comparison's gold
    answer (``gold``, ``gold_answer``; a gold check scores ``first_verdict``), and every row of an
    adjudicated comparison its ADJUDICATION_FIELDS (None elsewhere). A judge's row carries the ``margin`` applied;
    ``people``: whose rows are listed (``--labels-from``, ``--exclude-annotator``)."""
    table = {int(item["id"]): item for item in _records(_texts(store, dataset))}
    final, gold = _adjudications(store, dataset), _gold_answers(store, dataset)
    rows: list[dict[str, Any]] = []
    unsettled = dict.fromkeys(ADJUDICATION_FIELDS)
    for label in _records(people.kept(_human_labels(store, dataset))):
        comparison_id = int(label["comparison_id"])
        rows.append(
            {
                **_comparison_fields(dataset, table[comparison_id]),
                "rater": label["annotator"],
                "rater_kind": "human",
                "run_id": None,
                "swapped": _shown_order(label["presented_swapped"]),
                "verdict": label["verdict"],
                "status": "skipped" if label["verdict"] is None else "ok",
            }
            | {"outcome": label["verdict"], **dict.fromkeys([*JUDGE_COLUMNS[1:], MARGIN_COLUMN])}  # the same columns
            | _label_details(label, gold.get(comparison_id))
        )
    if include_judges:
        verdicts = _judge_rows(store, dataset, margin)
        names = _run_names(verdicts)
        for verdict in _records(verdicts):
            comparison_id = int(verdict["comparison_id"])
            rows.append(
                {
                    **_comparison_fields(dataset, table[comparison_id]),
                    "rater": names[int(verdict["run_id"])],
                    "rater_kind": "judge",
                    "run_id": int(verdict["run_id"]),
                    "swapped": bool(verdict["swapped"]),
                    "verdict": verdict["verdict"],
                    "status": verdict["status"],
                    "outcome": verdict["outcome"],
                    "leaning": verdict["leaning"],
                    **{column: verdict[column] for column in PROBABILITY_COLUMNS},
                    MARGIN_COLUMN: margin,
                    **_label_details(None, gold.get(comparison_id)),
                    "created_at": _when(verdict["created_at"]),  # when it was judged (a person's: first save)
                }
            )
    for row in rows:  # last, so the columns keep their place in every row (CSV header, JSONL keys)
        row.update(final.get(int(row["comparison_id"]), unsettled))
    return rows


#: What a ``judgments`` row says about its run's fingerprint (``Store.judge_runs_on``): its key, the parts a
#: steward traces a verdict by (empty where the run's fingerprint has none, e.g. imported outputs or a remote
#: judge's weights) and the whole fingerprint as JSON text (sorted keys: decoding, versions, seed, ...).
FINGERPRINT_PARTS = ("weights_digest", "quantization", "prompt_template_hash")
FINGERPRINT_COLUMNS = ["fingerprint_key", *(f"fingerprint_{part}" for part in FINGERPRINT_PARTS), "fingerprint"]


def _fingerprints(store: Store, dataset: str) -> dict[int, dict[str, Any]]:
    """run id -> its FINGERPRINT_COLUMNS, for every run that judged ``dataset``."""
    found = {}
    for view in store.judge_runs_on(dataset):
        print_ = dict(view.fingerprint)
        parts = {f"fingerprint_{part}": _part(print_.get(part)) for part in FINGERPRINT_PARTS}
        whole = json.dumps(print_, sort_keys=True, ensure_ascii=False, default=str)
        found[int(view.run_id)] = {"fingerprint_key": view.fingerprint_key, **parts, "fingerprint": whole}
    return found


def _part(value: Any) -> Any:
    """One fingerprint part as a cell: text or a number as it is, anything else as its JSON text."""
    return value if value is None or isinstance(value, (str, int, float)) else json.dumps(value, sort_keys=True)


#: The columns of a ``judgments`` export, in order.
JUDGMENT_COLUMNS = [
    *COMPARISON_COLUMNS,
    "judge",
    "run_id",
    "profile",
    "swapped",
    "status",
    "verdict",
    *JUDGE_COLUMNS,
    MARGIN_COLUMN,
    "reason",
    "reference",
    "raw_output",
    "judged_at",
    *FINGERPRINT_COLUMNS,
]


def judgments(store: Store, dataset: str, *, margin: float = UNCERTAIN_MARGIN) -> list[dict[str, Any]]:
    """One row per stored judge verdict with what the judge said: its verdict, status, outcome (the
    uncertain rule applied), leaning and probabilities as in ``labels_long``, and its reasons and
    reference answer, which no other export carries (the texts a demo of the judge's explanations needs),
    its ``raw_output`` (the judge's text as it came, before parsing; for a verdict decided by the
    ``empty_response`` rule, the marker saying so), ``judged_at`` (when it was stored, ISO 8601 UTC)
    and its run's fingerprint (FINGERPRINT_COLUMNS: which weights, quantization and prompt template gave it)."""
    table = {int(item["id"]): item for item in _records(_texts(store, dataset))}
    verdicts = _judge_rows(store, dataset, margin, raw=True)
    names = _run_names(verdicts) if not verdicts.empty else {}
    prints = _fingerprints(store, dataset) if not verdicts.empty else {}
    unknown = dict.fromkeys(FINGERPRINT_COLUMNS)
    rows = []
    for verdict in _records(verdicts):
        rows.append(
            {
                **_comparison_fields(dataset, table[int(verdict["comparison_id"])]),
                "judge": names[int(verdict["run_id"])],
                "run_id": int(verdict["run_id"]),
                "profile": verdict["profile"],
                "swapped": bool(verdict["swapped"]),
                "status": verdict["status"],
                "verdict": verdict["verdict"],
                **{column: verdict[column] for column in JUDGE_COLUMNS},
                MARGIN_COLUMN: margin,
                "reason": verdict["reason"],
                "reference": verdict["reference"],
                "raw_output": verdict["raw_output"],
                "judged_at": _when(verdict["created_at"]),
                **prints.get(int(verdict["run_id"]), unknown),
            }
        )
    return rows


#: The columns of a ``ratings`` export, in order (``ratings_long``). ``created_at``: a judge rating's time, a
#: person's first save of the rating (``Store.rating_times``); ``updated_at``: its last save.
RATING_EXPORT_COLUMNS = ["dataset", "response_id", "prompt_key", "category", "model", "instruction", "rater"]
RATING_EXPORT_COLUMNS += ["rater_kind", "annotator_kind", "run_id", "rating", "scale", "status", "skipped"]
RATING_EXPORT_COLUMNS += ["first_rating", "gold", "gold_low", "gold_high", "session", "guideline_version"]
RATING_EXPORT_COLUMNS += ["flagged", "confidence", "comment", "time_on_item_ms", "version", "created_at", "updated_at"]
#: What ``ratings`` adds with ``include_judges`` (judge rows only): the spread of its rating and its reasons.
JUDGE_RATING_EXPORT_COLUMNS = ["rating_sd", "reason"]


def _responses(store: Store, dataset: str) -> dict[int, ResponseView]:
    """response id -> its ``ResponseView`` (prompt key, category, instruction, model); a dataset without
    responses is refused, naming the datasets there are (as ``_texts`` does for comparisons)."""
    found = {int(view.id): view for view in store.responses(dataset)}
    if not found:
        known = ", ".join(store.dataset_names()) or "none"
        raise StoreError(
            f"Dataset {dataset!r} has no responses, so it has no ratings to export (datasets: {known}); "
            "pairwise answers are in the labels export."
        )
    return found


def _rating_fields(dataset: str, view: ResponseView) -> dict[str, Any]:
    """What every ``ratings`` row says about its response."""
    return {
        "dataset": dataset,
        "response_id": int(view.id),
        "prompt_key": view.prompt_key,
        "category": view.category,
        "model": view.model,
        "instruction": view.instruction,
    }


def _gold_ranges(store: Store, dataset: str) -> dict[tuple[int, int], tuple[int, int]]:
    """(response id, scale) -> (low, high): the known right ratings of the dataset's gold responses. A
    rating is a gold check only on the gold's own scale (``analysis.ratings.grader_table``)."""
    return {
        (int(row["response_id"]), int(row["scale"])): (int(row["low"]), int(row["high"]))
        for row in _records(store.gold_ratings(dataset))
    }


def _rating_sessions(store: Store, dataset: str, raters: Iterable[str], limit: int) -> dict[tuple[int, str], str]:
    """(response id, rater) -> the grading session of the dataset each rating was last submitted in
    (``Store.answer_history``); ratings given outside a session are not in it."""
    found: dict[tuple[int, str], str] = {}
    for view in store.sessions():
        if view.dataset == dataset and view.kind == "single":
            for rater in raters:
                found |= {
                    (int(item), rater): view.name for item in store.answer_history("single", rater, view.name, limit)
                }
    return found


def _version_at(versions: Sequence[Any], when: Any) -> int | None:
    """The session's guideline version in force at ``when`` (a rating's last save): the latest saved at or
    before it (None: none was). Ratings do not record their version, unlike labels, so it is read off the
    versions' save times (``Store.guideline_versions``) by the one rule, ``guidelines.version_at``."""
    at = None if _missing(when) else pd.Timestamp(when).to_pydatetime()
    return version_at(((v.version, v.created_at) for v in versions), at)


def _whole(value: Any) -> int | None:
    """A count or a rating read from a frame (NaN where missing, float in a column with NaN) as an int."""
    return None if _missing(value) else int(value)


def ratings_long(store: Store, dataset: str, *, include_judges: bool = False) -> list[dict[str, Any]]:
    """One row per person's rating or skip of a response (RATING_EXPORT_COLUMNS: rater_kind "human",
    ``annotator_kind`` crowd / skilled / expert; a skip has status "skipped" and no rating), with the
    response's gold range where it is a gold response on the rating's scale (a gold check scores
    ``first_rating``); with ``include_judges`` also one per judge rating (rater_kind "judge", the run's
    model as rater, its score as rating, parse status, plus JUDGE_RATING_EXPORT_COLUMNS)."""
    responses = _responses(store, dataset)
    gold = _gold_ranges(store, dataset)
    kinds = {str(n): str(k) for n, k in zip(store.accounts()["name"], store.accounts()["kind"], strict=True)}
    frame = store.ratings(dataset).merge(store.rating_times(dataset), on=["response_id", "annotator"], how="left")
    if frame.empty and not include_judges:
        _refuse_pairwise_only(store, dataset)
    raters = sorted({str(name) for name in frame["annotator"]})
    sessions = _rating_sessions(store, dataset, raters, len(frame) + 1)
    versions = {name: store.guideline_versions(name) for name in set(sessions.values())}
    rows: list[dict[str, Any]] = []
    for rating in _records(frame):
        response_id, scale = int(rating["response_id"]), int(rating["scale"])
        low, high = gold.get((response_id, scale), (None, None))
        session = sessions.get((response_id, str(rating["annotator"])))
        version = _version_at(versions[session], rating["updated_at"]) if session is not None else None
        skipped = bool(rating["skipped"])
        rows.append(
            {
                **_rating_fields(dataset, responses[response_id]),
                "rater": rating["annotator"],
                "rater_kind": "human",
                "annotator_kind": kinds.get(str(rating["annotator"])),
                "run_id": None,
                "rating": _whole(rating["rating"]),
                "scale": scale,
                "status": "skipped" if skipped else "ok",
                "skipped": skipped,
                "first_rating": _whole(rating.get("first_rating")),
                "gold": low is not None,
                "gold_low": low,
                "gold_high": high,
                "session": session,
                "guideline_version": version,
                "flagged": bool(rating["flagged"]),
                "confidence": _whole(rating["confidence"]),
                "comment": rating["comment"],
                "time_on_item_ms": _whole(rating["time_on_item_ms"]),
                "version": _whole(rating["version"]),
                "created_at": _when(rating["created_at"]),
                "updated_at": _when(rating["updated_at"]),
            }
            | dict.fromkeys(JUDGE_RATING_EXPORT_COLUMNS)  # every row and every export the same keys
        )
    if include_judges:
        rows += _judge_rating_rows(store, dataset, responses, gold)
        if not rows:
            _refuse_pairwise_only(store, dataset)
    return rows


def _refuse_pairwise_only(store: Store, dataset: str) -> None:
    """Refuse a ratings export of a dataset with comparisons but not one rating, as the labels export refuses
    a dataset without comparisons (``_texts``): a silent 0-row file reads as "nobody answered"."""
    if not store.comparison_texts(dataset).empty:
        raise StoreError(
            f"Dataset {dataset!r} has comparisons but no ratings, so there is nothing to export as ratings; "
            "its pairwise answers are in the labels export (kind labels)."
        )


def _judge_rating_rows(
    store: Store, dataset: str, responses: Mapping[int, ResponseView], gold: Mapping[tuple[int, int], tuple[int, int]]
) -> list[dict[str, Any]]:
    """The ``ratings`` rows of every stored judge rating of the dataset (oldest first)."""
    judged = store.judge_ratings(dataset)
    names = _run_names(judged) if not judged.empty else {}
    rows = []
    for score in _records(judged):
        response_id, scale = int(score["response_id"]), int(score["scale"])
        low, high = gold.get((response_id, scale), (None, None))
        row = dict.fromkeys(RATING_EXPORT_COLUMNS) | {
            **_rating_fields(dataset, responses[response_id]),
            "rater": names[int(score["run_id"])],
            "rater_kind": "judge",
            "run_id": int(score["run_id"]),
            "rating": score["score"],
            "scale": scale,
            "status": score["status"],
            "skipped": False,
            "gold": low is not None,
            "gold_low": low,
            "gold_high": high,
            "created_at": _when(score["created_at"]),
        }
        rows.append(row | {"rating_sd": score["rating_sd"], "reason": score["reason"]})
    return rows


def items_wide(
    store: Store, dataset: str, *, margin: float = UNCERTAIN_MARGIN, people: PeopleFilter = NO_FILTER
) -> list[dict[str, Any]]:
    """One row per comparison: texts, ``label:<annotator>`` per person, ``majority`` (the annotators'),
    ``people_label`` (the adjudication where there is one, else the majority), ``n_labels``
    and ``judge:<model> #<run id>`` per judge run (its outcome: the verdict, "uncertain", or its parse status
    when it has none; always with the run id, ``_run_names``), plus ``judge:<model> #<run id>:swapped`` for runs
    that also judged the swapped order, and ``judge:<model> #<run id>:p_1`` / ``:p_2`` / ``:p_tie`` for runs with
    probabilities (``...:swapped:p_1`` ... for the swapped order's), ``annotator_kinds`` (each annotator's kind,
    as JSON text: the same on every row, so ``import`` restores the kinds), ``export_format`` (2 on every row:
    ``import`` then knows a CSV cell's leading ``'`` before = + - @ tab CR or ``'`` is the export's guard,
    ``neutralize``; a file without it is read as written), ``margin`` (the uncertain margin the
    judge columns were read with; empty without judge runs), and last the ADJUDICATION_FIELDS. Empty cells: no
    label (no adjudication). ``people``: whose labels are read (their columns, the majority and ``n_labels``);
    ``min_labels`` is applied by ``export_table``.

    ``import`` reads this layout back by itself (``interchange.importers``: the texts, every ``label:`` column,
    every judge run, the kinds); what it cannot carry (confidence, comments, times, sessions, skips, reasons,
    run fingerprints) is in the labels and judgments exports, and only ``backup`` keeps everything."""
    table = _texts(store, dataset)
    labels = _counted_labels(store, dataset, people)
    kinds = _annotator_kinds(store, labels)
    verdicts = _judge_rows(store, dataset, margin)
    annotators = sorted(set(labels["annotator"]))
    by_label = {(int(r["comparison_id"]), str(r["annotator"])): str(r["verdict"]) for r in _records(labels)}
    majority = {int(r["comparison_id"]): str(r["verdict"]) for r in _records(majority_labels(labels))}
    final = _adjudications(store, dataset)
    counts = labels.groupby("comparison_id").size().to_dict()
    names = _run_names(verdicts)
    swapped_runs = {int(r) for r in verdicts.loc[verdicts["swapped"], "run_id"]}
    records = _records(verdicts)
    judged = {(int(r["comparison_id"]), int(r["run_id"]), bool(r["swapped"])): r["outcome"] for r in records}
    with_probabilities = {(int(r["run_id"]), bool(r["swapped"])) for r in records if r["p_1"] is not None}
    probabilities = {
        (int(r["comparison_id"]), int(r["run_id"]), bool(r["swapped"])): r for r in records if r["p_1"] is not None
    }
    rows: list[dict[str, Any]] = []
    for item in _records(table):
        comparison_id = int(item["id"])
        row: dict[str, Any] = {
            "comparison_id": comparison_id,
            "dataset": item["dataset"],
            "prompt_key": item["prompt"],
            "category": item["category"],
            "instruction": item["instruction"],
            "input": item["input"],
            "reference": item["reference"],
            "model1": item["model1"],
            "model2": item["model2"],
            "response1": item["response1"],
            "response2": item["response2"],
        }
        for name in annotators:
            row[f"label:{name}"] = by_label.get((comparison_id, name))
        row["majority"] = majority.get(comparison_id)
        settled = final.get(comparison_id, dict.fromkeys(ADJUDICATION_FIELDS))
        row["people_label"] = settled["adjudication"] or majority.get(comparison_id)
        row["n_labels"] = int(counts.get(comparison_id, 0))
        row["annotator_kinds"] = kinds
        row[EXPORT_FORMAT_COLUMN] = WIDE_EXPORT_FORMAT
        row[MARGIN_COLUMN] = margin if names else None
        for run_id, name in names.items():
            row[f"judge:{name}"] = judged.get((comparison_id, run_id, False))
            if run_id in swapped_runs:
                row[f"judge:{name}:swapped"] = judged.get((comparison_id, run_id, True))
            for swapped, order in ((False, ""), (True, ":swapped")):
                if (run_id, swapped) in with_probabilities:
                    found = probabilities.get((comparison_id, run_id, swapped), {})
                    row |= {f"judge:{name}{order}:{column}": found.get(column) for column in PROBABILITY_COLUMNS}
        rows.append(row | settled)
    return rows


def _annotator_kinds(store: Store, labels: pd.DataFrame) -> str | None:
    """The wide export's ``annotator_kinds``: {annotator: crowd / skilled / expert} of the labels' annotators as
    JSON text (sorted; None without labels), so an import of the file gives them their kinds back."""
    names = sorted({str(name) for name in labels["annotator"]})
    if not names:
        return None
    accounts = store.accounts()
    kinds = {str(n): str(k) for n, k in zip(accounts["name"], accounts["kind"], strict=True)}
    return json.dumps({name: kinds.get(name, "crowd") for name in names}, ensure_ascii=False)


def _prompt_text(instruction: str, context: str) -> str:
    return "\n\n".join(part for part in (instruction.strip(), context.strip()) if part)


class NothingToExport(InvalidInput):
    """The export would be empty for a reason the user can fix; the message says how."""


#: JSON values that are not text are stored as their JSON text by the importers (PandaLM's test set has
#: responses that are ``true``): a response that is exactly one of these is not a usable text.
NON_TEXT = frozenset({"true", "false", "null"})


def usable_response(value: Any) -> bool:
    """Is this response text a DPO pair can train on: a non-empty string that is not a stored JSON literal?"""
    return isinstance(value, str) and bool(value.strip()) and value.strip() not in NON_TEXT


@dataclass(frozen=True)
class DpoPairs:
    rows: list[dict[str, Any]]
    dropped: int  # pairs left out because the chosen or the rejected response is empty or not text
    too_few: int = 0  # pairs left out because their comparison has fewer than ``min_labels`` counted labels
    min_labels: int = 0
    words: OptionWords = CLI_WORDS  # how the note names the options (the surface's words)

    @property
    def note(self) -> str:
        lines = []
        if self.too_few:
            lines.append(
                f"Left out {self.too_few} of {self.too_few + self.dropped + len(self.rows)} pairs whose comparison "
                f"has fewer than {counted_words(self.min_labels, 'counted label')} "
                f"({self.words.min_labels.format(n=self.min_labels)})."
            )
        if self.dropped:
            lines.append(
                f"Left out {self.dropped} of {self.dropped + len(self.rows)} pairs whose chosen or rejected response "
                f"is empty or not text ({self.words.keep_empty})."
            )
        return "\n".join(lines)


def _preferences(
    store: Store,
    dataset: str,
    source: str,
    margin: float = UNCERTAIN_MARGIN,
    labels: pd.DataFrame | None = None,
    words: OptionWords = CLI_WORDS,
) -> pd.DataFrame:
    """The verdict that counts per comparison: the people's label (the majority of ``labels``, default every
    counted label, or a reviewer's adjudication where there is one: ``analysis.aggregation.settle``), or one
    judge run's (analysis.verdicts; an uncertain verdict is no preference)."""
    if source == "majority":
        final = store.adjudications(dataset)
        labels = store.labels(dataset) if labels is None else labels
        if labels.empty and final.empty and not store.labels(dataset).empty:
            raise NothingToExport(
                f"No label of dataset {dataset!r} is left after {words.labels_from} / {words.exclude}, so there is "
                "no majority preference to export as DPO pairs."
            )
        if labels.empty and final.empty:
            verdicts = store.judge_verdicts(dataset)
            runs = (
                ", ".join(str(r) for r in dict.fromkeys(verdicts["run_id"].astype(int))) if not verdicts.empty else ""
            )
            hint = f"judge runs on it: {runs}" if runs else "it has no judge run either: judge it first"
            raise NothingToExport(
                f"Dataset {dataset!r} has no human labels, so there is no majority preference to export as DPO pairs. "
                f"Export a judge run's verdicts instead with --source RUN ({hint})."
            )
        people, _ = settle(majority_labels(labels), final)
        return people
    run = source.removeprefix("run:")
    if not run.isdigit():
        raise StoreError(f"DPO source {source!r} is neither 'majority' nor a judge run id.")
    verdicts = store.judge_verdicts(dataset)
    counted = verdict_that_counts(verdicts[verdicts["run_id"] == int(run)], margin=margin)
    preferences = counted[counted["status"] == "ok"]
    if preferences.empty:
        raise StoreError(f"Judge run {run} has no parsed verdict on dataset {dataset!r}.")
    return preferences


def dpo_pairs(
    store: Store,
    dataset: str,
    *,
    source: str = "majority",
    keep_empty: bool = False,
    margin: float = UNCERTAIN_MARGIN,
    people: PeopleFilter = NO_FILTER,
) -> DpoPairs:
    """Preference pairs for DPO: ``prompt`` (the text: instruction, then input), ``chosen``, ``rejected``
    (TRL's layout), plus ``prompt_key`` (the prompt's key, as in the other exports) and provenance.

    ``source``: "majority" (the people's label: the annotators' majority, or a reviewer's adjudication
    where there is one, named in ``adjudicated_by``; a dataset without either raises NothingToExport
    naming ``--source RUN``) or a judge run id ("3" or "run:3"; its verdict that
    counts; uncertain verdicts at ``margin`` are no preference). Only decisive preferences ("1" / "2")
    make a pair. Pairs whose chosen or rejected
    response is empty or not text are left out and counted, unless ``keep_empty``.

    Each pair says how many people's labels lie behind it and how far they agree: ``n_labels`` (the counted
    labels on its comparison, as ``people`` reads them) and ``agreement`` (the share of those that pick the pair's
    chosen response, 0-1: for a majority pair the majority's share; empty when ``n_labels`` is 0); ``margin``:
    the uncertain margin, for a pair from a judge run. ``people``: whose labels count (``--labels-from``,
    ``--exclude-annotator``) and ``min_labels`` (pairs with fewer counted labels are left out and counted).
    """
    table = {int(item["id"]): item for item in _records(_texts(store, dataset))}
    by_people = source == "majority"
    reviewers = {c: a["adjudicated_by"] for c, a in _adjudications(store, dataset).items()} if by_people else {}
    labels = _counted_labels(store, dataset, people)
    given: dict[int, list[str]] = {}
    for label in _records(labels):
        given.setdefault(int(label["comparison_id"]), []).append(str(label["verdict"]))
    rows: list[dict[str, Any]] = []
    dropped = too_few = 0
    for preference in _records(_preferences(store, dataset, source, margin, labels, people.words)):
        if preference["verdict"] not in ("1", "2"):
            continue
        votes = given.get(int(preference["comparison_id"]), [])
        if len(votes) < people.min_labels:
            too_few += 1
            continue
        item = table[int(preference["comparison_id"])]
        first_wins = preference["verdict"] == "1"
        chosen, rejected = (
            (item["response1"], item["response2"]) if first_wins else (item["response2"], item["response1"])
        )
        if not keep_empty and not (usable_response(chosen) and usable_response(rejected)):
            dropped += 1
            continue
        rows.append(
            {
                "prompt": _prompt_text(str(item["instruction"]), str(item["input"])),
                "chosen": chosen,
                "rejected": rejected,
                "chosen_model": item["model1"] if first_wins else item["model2"],
                "rejected_model": item["model2"] if first_wins else item["model1"],
                "comparison_id": int(preference["comparison_id"]),
                "dataset": dataset,
                "prompt_key": item["prompt"],
                "category": item["category"],
                "source": source,
                "adjudicated_by": reviewers.get(int(preference["comparison_id"])),
                "n_labels": len(votes),
                "agreement": votes.count(str(preference["verdict"])) / len(votes) if votes else None,
                MARGIN_COLUMN: None if by_people else margin,
            }
        )
    return DpoPairs(rows, dropped, too_few, people.min_labels, people.words)


def neutralize(value: Any) -> Any:
    """Prefix an apostrophe to text that a spreadsheet would run as a formula (CSV injection), and to text that
    starts with an apostrophe itself: a cell starting with ``'`` then always holds one added, and the text is the
    cell less its first character (the guard was once indistinguishable from a text's own ``'``, analyst 8)."""
    if isinstance(value, str) and value.startswith((*FORMULA_PREFIXES, FORMULA_GUARD)):
        return FORMULA_GUARD + value
    return value


def _header(rows: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> list[str]:
    """``columns`` first, then every other key in order of first appearance."""
    return list(dict.fromkeys([*columns, *(key for row in rows for key in row)]))


def _writable(kind: Any) -> bool:
    """Can Parquet store this Arrow type? (It has no struct without fields, e.g. from empty dicts.)"""
    import pyarrow as pa

    if pa.types.is_struct(kind):
        return kind.num_fields > 0 and all(_writable(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _writable(kind.value_type)
    return True


#: The one type of every column the exports write (Parquet: int64, bool, double, string; all nullable), so the same
#: command gives the same schema whatever the data: a column no row fills is typed as here, not ``null``. ``wide``'s
#: per-annotator and per-run columns are typed by their prefix (``column_type``). ``rating`` is a double: a judge's
#: rating may be fractional (``rating_mode`` "expected"), a person's is a whole number.
COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(["comparison_id", "response_id", "run_id", "scale", "n_labels", "guideline_version"], "int"),
    **dict.fromkeys([EXPORT_FORMAT_COLUMN], "int"),
    **dict.fromkeys(["confidence", "time_on_item_ms", "first_rating", "gold_low", "gold_high", "version"], "int"),
    **dict.fromkeys(["swapped", "skipped", "gold", "imported", "set_aside", "flagged"], "bool"),
    **dict.fromkeys([*PROBABILITY_COLUMNS, "rating", "rating_sd", "agreement", MARGIN_COLUMN], "float"),
}
_PROBABILITY_SUFFIXES = tuple(f":{column}" for column in PROBABILITY_COLUMNS)
_CONVERT: dict[str, Any] = {"int": int, "bool": bool, "float": float}


#: The columns of ``wide`` that every dataset has (its per-annotator and per-run columns come between) and of ``dpo``.
WIDE_COLUMNS = ["comparison_id", "dataset", "prompt_key", "category", "instruction", "input", "reference", "model1"]
WIDE_COLUMNS += ["model2", "response1", "response2", "majority", "people_label", "n_labels", "annotator_kinds"]
WIDE_COLUMNS += [EXPORT_FORMAT_COLUMN]
DPO_COLUMNS = ["prompt", "chosen", "rejected", "chosen_model", "rejected_model", "comparison_id", "dataset"]
DPO_COLUMNS += ["prompt_key", "category", "source", "adjudicated_by", "n_labels", "agreement", MARGIN_COLUMN]


def column_type(name: str) -> str | None:
    """An export column's type: "int", "bool", "float" or "str" (``COLUMN_TYPES``; every other column of an export
    kind is text; ``wide``: ``label:NAME`` is text, ``judge:RUN:p_1`` ... a double, any other ``judge:`` column
    text). None: not an export's column (``parquet_table`` infers its type)."""
    if name in COLUMN_TYPES:
        return COLUMN_TYPES[name]
    if name.startswith("judge:") and name.endswith(_PROBABILITY_SUFFIXES):
        return "float"
    if name.startswith(("label:", "judge:")) or name in _export_columns():
        return "str"
    return None


def _export_columns() -> set[str]:
    """Every fixed column of the five export kinds."""
    return {
        *LONG_COLUMNS,
        *JUDGE_COLUMNS,
        MARGIN_COLUMN,
        *LABEL_DETAIL_COLUMNS,
        *ADJUDICATION_FIELDS,
        *JUDGMENT_COLUMNS,
        *RATING_EXPORT_COLUMNS,
        *JUDGE_RATING_EXPORT_COLUMNS,
        *WIDE_COLUMNS,
        *DPO_COLUMNS,
    }


def _typed(values: Sequence[Any], kind: str) -> list[Any]:
    """``values`` as the Python values of one column type (None for a missing one; text as it is, any other
    value in a text column as its JSON text)."""
    if kind == "str":
        return [None if _missing(v) else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
    return [None if _missing(v) else _CONVERT[kind](v) for v in values]


def parquet_table(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] = ()) -> Any:
    """The rows as a pyarrow Table (column order as in CSV; a key missing from a row is a null).

    Every export column gets its one type (``column_type``: nullable int64, bool, double or string), so
    the schema does not depend on the data. Any other column (or one whose values do not fit its type)
    keeps pyarrow's inference (dicts -> struct, lists -> list); one it cannot type, or that
    Parquet cannot store, holds each non-null value's JSON text, and one of nulls only is text.
    """
    import pyarrow as pa

    arrow = {"int": pa.int64(), "bool": pa.bool_(), "float": pa.float64(), "str": pa.string()}
    arrays = {}
    for name in _header(rows, columns):
        values = [row.get(name) for row in rows]
        kind = column_type(name)
        try:
            array = None if kind is None else pa.array(_typed(values, kind), type=arrow[kind])
        except (TypeError, ValueError, OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
            array = None
        arrays[name] = _inferred(values) if array is None else array
    return pa.table(arrays)


def _inferred(values: Sequence[Any]) -> Any:
    """A column pyarrow types from its values (see ``parquet_table``)."""
    import pyarrow as pa

    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is None or not _writable(array.type) or pa.types.is_null(array.type):
        text = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values]
        array = pa.array(text, type=pa.string())
    return array


def write_parquet(rows: Sequence[Mapping[str, Any]], target: str | Path | BinaryIO, columns: Iterable[str] = ()) -> int:
    """Write rows as one Parquet file (``target``: a path or a binary stream); returns the row count.

    The table is built before anything is written, so a failure leaves no truncated file behind.
    """
    if isinstance(target, io.TextIOBase):
        raise StoreError("Parquet is a binary format: write it to a file (--output FILE), not to a text stream.")
    import pyarrow.parquet as pq

    table = parquet_table(rows, columns)
    pq.write_table(table, target)
    return len(rows)


def write_rows(
    rows: Sequence[Mapping[str, Any]], stream: TextIO | BinaryIO | IO[Any], fmt: str, columns: Iterable[str] = ()
) -> int:
    """Write rows as JSONL, CSV (header: ``columns`` first, then any other keys in order of
    appearance) or Parquet (``stream`` must then be binary, see write_parquet)."""
    if fmt == "parquet":
        return write_parquet(rows, cast(BinaryIO, stream), columns)
    if fmt not in EXPORT_FORMATS:
        raise StoreError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    text = cast(TextIO, stream)
    if fmt == "jsonl":
        for row in rows:
            text.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
        return len(rows)
    # "\r\n" (RFC 4180): the writer quotes a cell holding any character of its line terminator, so a bare
    # "\r" in model output is quoted too; with "\n" alone it was not, and a reader splitting rows at CR put
    # the rest of the cell (a formula, past the "'" guard) at the start of a new row (s12 ops finding 1)
    writer = csv.DictWriter(text, fieldnames=_header(rows, columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    return len(rows)


def _csv_cell(value: Any) -> Any:
    """One CSV cell: empty for a missing value, ``true`` / ``false`` for a boolean (as JSONL writes it, and
    what R's ``read.csv`` and pandas read as logical), a formula-looking text neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    return neutralize(value)


@dataclass(frozen=True)
class Written:
    """What ``write_file`` did: the rows written, and whether a file that was there was replaced."""

    rows: int
    replaced: bool = False


def write_file(rows: Sequence[Mapping[str, Any]], target: Path, fmt: str, columns: Iterable[str] = ()) -> Written:
    """Write rows to the file ``target`` in ``fmt``, all or nothing: into a new temporary file in the same
    folder, which replaces ``target`` (``os.replace``) only once it is complete. A failure (a full disk)
    removes the temporary file and leaves a file that was there as it was; it is a StoreError naming
    ``target``. A target that is there and not a regular file (a device such as /dev/stdout, a pipe) is
    written as it is. A file that was there is replaced (as the shell's ``>`` does): ``Written.replaced``."""
    path = Path(os.path.realpath(target)) if target.is_symlink() else target
    try:
        before = path.stat()
    except FileNotFoundError:
        before = None
    except OSError as exc:
        raise _cannot_write(target, exc, "") from exc
    if before is not None and not stat.S_ISREG(before.st_mode):
        try:
            return Written(_write_path(rows, path, fmt, columns))
        except OSError as exc:
            raise _cannot_write(target, exc, "") from exc
    kept = f" {target} was left as it was." if before is not None else " No file was written."
    try:
        temp = _temp_beside(path)
    except OSError as exc:
        raise _cannot_write(target, exc, kept) from exc
    try:
        count = _write_path(rows, temp, fmt, columns)
        # The replaced file's permissions, as writing into it would keep; a new file the umask's.
        os.chmod(temp, stat.S_IMODE(before.st_mode) if before is not None else 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(target, exc, kept) from exc
        raise
    return Written(count, replaced=before is not None)


def _cannot_write(target: Path, exc: OSError, kept: str) -> StoreError:
    why = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc)) or type(exc).__name__
    return StoreError(f"Cannot write {target}: {why}.{kept}")


def _umask() -> int:
    """This process's umask, read without changing it where Linux says it (``os.umask`` sets it to read it,
    which another thread's file could meet); 0o022 where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0o022


def _temp_beside(path: Path) -> Path:
    """A new empty file beside ``path`` (hidden, ``.NAME.XXXXXXXX.part``), readable by its owner only
    until it is complete (a killed export leaves no copy others may read; review17 finding 4)."""
    for _ in range(20):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return temp
    raise FileExistsError(errno.EEXIST, "No temporary file name was free", str(path.parent))


def _write_path(rows: Sequence[Mapping[str, Any]], path: Path, fmt: str, columns: Iterable[str]) -> int:
    if fmt in BINARY_FORMATS:
        return write_parquet(rows, path, columns)
    with path.open("w", encoding="utf-8", newline="") as stream:
        return write_rows(rows, stream, fmt, columns)


@dataclass(frozen=True)
class ExportTable:
    """One export's rows, its leading columns, and a note on what was left out (empty when nothing)."""

    rows: list[dict[str, Any]]
    columns: list[str]
    note: str = ""
    dropped: int = 0


def export_table(
    store: Store,
    dataset: str,
    kind: str,
    *,
    include_judges: bool = False,
    source: str = "majority",
    keep_empty: bool = False,
    margin: float = UNCERTAIN_MARGIN,
    people: PeopleFilter = NO_FILTER,
    margin_given: bool = False,
) -> ExportTable:
    """The rows of one export kind, its leading columns, and what was left out (DPO pairs, ``people``'s labels).
    ``margin``: the uncertain margin applied to judge verdicts (see the module docstring); ``people``: whose
    labels ``labels``, ``wide`` and ``dpo`` read and (``wide``, ``dpo``) the fewest counted labels a comparison
    needs (``PeopleFilter``); the other kinds refuse it. ``margin_given``: the margin was asked for
    (``--uncertain-margin``); the note then says so when no row carries a judge verdict (``MARGIN_UNUSED``)."""
    table = _export_table(store, dataset, kind, include_judges, source, keep_empty, margin, people)
    if margin_given and table.rows and all(row.get(MARGIN_COLUMN) is None for row in table.rows):
        unused = margin_unused(people.words)
        return replace(table, note="\n".join(filter(None, (table.note, unused))))
    return table


def margin_unused(words: OptionWords = CLI_WORDS) -> str:
    """The note of an export given an uncertain margin that shaped none of its rows (people-only DPO, ratings, ...),
    the option named in ``words``."""
    return f"{words.margin} changes nothing here: no row of this export carries a judge verdict."


#: ``margin_unused`` in the command line's words.
MARGIN_UNUSED = margin_unused()


def _export_table(
    store: Store,
    dataset: str,
    kind: str,
    include_judges: bool,
    source: str,
    keep_empty: bool,
    margin: float,
    people: PeopleFilter,
) -> ExportTable:
    """``export_table`` before the margin note."""
    _check_people(kind, people)
    said = people_note(store, dataset, people)
    if kind == "labels":
        rows = labels_long(store, dataset, include_judges=include_judges, margin=margin, people=people)
        columns = LONG_COLUMNS + JUDGE_COLUMNS + [MARGIN_COLUMN] + LABEL_DETAIL_COLUMNS + ADJUDICATION_FIELDS
        return ExportTable(rows, columns, said)
    if kind == "wide":
        rows = items_wide(store, dataset, margin=margin, people=people)
        kept = [row for row in rows if row["n_labels"] >= people.min_labels]
        if len(kept) < len(rows):
            fewer = counted_words(people.min_labels, "counted label")
            left = f"Left out {len(rows) - len(kept)} of {len(rows)} comparisons with fewer than {fewer} "
            named = people.words.min_labels.format(n=people.min_labels)
            said = "\n".join(filter(None, (said, left + f"({named}).")))
        return ExportTable(kept, [], said)
    if kind == "judgments":
        return ExportTable(judgments(store, dataset, margin=margin), JUDGMENT_COLUMNS)
    if kind == "ratings":
        columns = RATING_EXPORT_COLUMNS + JUDGE_RATING_EXPORT_COLUMNS
        return ExportTable(ratings_long(store, dataset, include_judges=include_judges), columns)
    if kind == "dpo":
        pairs = dpo_pairs(store, dataset, source=source, keep_empty=keep_empty, margin=margin, people=people)
        note = "\n".join(filter(None, (said, pairs.note)))
        return ExportTable(pairs.rows, ["prompt", "chosen", "rejected"], note, pairs.dropped)
    raise StoreError(f"Unknown export {kind!r}; use one of {', '.join(EXPORT_KINDS)}.")


#: The export kinds that read people's pairwise labels, so take a ``PeopleFilter``.
PEOPLE_KINDS = ("labels", "wide", "dpo")


def _check_people(kind: str, people: PeopleFilter) -> None:
    """Refuse a ``PeopleFilter`` an export kind cannot apply (it would be silently ignored), naming the options in
    the words of the surface that asked (``people.words``: the CLI's flags, REST's parameters, the page's boxes)."""
    words = people.words
    if people.min_labels < 0:
        raise InvalidInput(f"{_opening(words.min_labels_name)} must be 0 or more, not {people.min_labels}.")
    if people.min_labels and kind not in ("wide", "dpo"):
        kinds = words.kinds.format(kinds="wide and dpo")
        raise InvalidInput(f"{_opening(words.min_labels_name)} applies to {kinds}, not {kind}.")
    if people.picks and kind in EXPORT_KINDS and kind not in PEOPLE_KINDS:
        what = words.labels_from if people.scope != ALL else words.exclude
        kinds = words.kinds.format(kinds="labels, wide and dpo")
        raise InvalidInput(f"{_opening(what)} applies to {kinds} (people's pairwise labels), not {kind}.")


def _opening(word: str) -> str:
    """An option's name opening a sentence: the Admin page's 'the "leave out" box' with a capital T; a flag or a
    parameter name as it is typed."""
    return "The" + word[3:] if word.startswith("the ") else word


def export_rows(
    store: Store, dataset: str, kind: str, *, include_judges: bool = False, source: str = "majority"
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of one export kind and its leading columns (``export_table`` without the note)."""
    table = export_table(store, dataset, kind, include_judges=include_judges, source=source)
    return table.rows, table.columns


def export(
    store: Store,
    dataset: str,
    kind: str,
    fmt: str,
    stream: TextIO | BinaryIO | IO[Any],
    *,
    include_judges: bool = False,
    source: str = "majority",
) -> int:
    """Write one export of ``dataset`` to ``stream`` (binary for Parquet); returns the number of rows."""
    if fmt not in EXPORT_FORMATS:
        raise StoreError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    rows, columns = export_rows(store, dataset, kind, include_judges=include_judges, source=source)
    return write_rows(rows, stream, fmt, columns)
