"""Thin glue behind ``judge-studio import / metrics / export``: open the store, pick the importer,
the report or the exporter.

Why apart from ``Studio``: these commands only read and write the database, so they never load a
judge model, import torch or seed the demo dataset; they start in a few seconds and work on a
machine without the model files.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import ALPHA, N_BOOTSTRAP, format_report
from annotation_store import Store, StoreError
from annotation_store.batch_import import ImportProgress, ImportSummary, import_progress
from interchange.evalbiasbench import import_evalbiasbench
from interchange.exporters import (
    BINARY_FORMATS,
    CLI_WORDS,
    EXPORT_FORMATS,
    EXPORT_KINDS,
    KEEP_EMPTY_ELSEWHERE,
    NothingToExport,
    OptionWords,
    PeopleFilter,
    export_table,
    write_file,
    write_rows,
)
from interchange.formats import IMPORT_FORMATS as ALL_FORMATS
from interchange.hhh_alignment import import_hhh_alignment
from interchange.importers import (
    TABLE_WORDS,
    TableFieldWords,
    import_alpacaeval_annotations,
    import_alpacaeval_outputs,
    import_llmbar_dataset,
    import_llmbar_results,
    import_mtbench_answers,
    import_mtbench_questions,
    import_mtbench_references,
    import_pandalm_judgments,
    import_pandalm_pipeline,
    import_pandalm_testset,
    import_table,
    looks_like,
    parse_candidates,
    parse_mapping,
)
from orchestration.catalog import require_dataset
from orchestration.metrics import PeopleOptions, label_scope_of, margin_setting, metrics_report
from orchestration.stores import open_data_store  # the light module (`users list` loads no pandas)

__all__ = [
    "CLI_WORDS",
    "EXPORT_FORMATS",
    "EXPORT_KINDS",
    "IMPORT_FORMATS",
    "KEEP_EMPTY_ELSEWHERE",
    "OptionWords",
    "ExportSummary",
    "ImportOptions",
    "NothingToExport",
    "dataset_metrics",
    "ExportPeople",
    "export_dataset",
    "export_dataset_summary",
    "format_report",
    "import_file",
    "import_progress",
    "open_data_store",
    "parse_mapping",
]


#: Every format ``import_file`` reads: interchange.importers' and the judge checkup's suites.
IMPORT_FORMATS: dict[str, str] = ALL_FORMATS  # declared in interchange.formats (light: `import --help` reads it)


@dataclass(frozen=True)
class ImportOptions:
    """The command line's import options; None / empty means "not given"."""

    dataset: str | None = None
    judge: str | None = None
    baseline: str | None = None
    model: str | None = None
    turn: int | None = None
    models: Sequence[str] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    model1: str | None = None
    model2: str | None = None
    annotator: str | None = None
    candidates: Sequence[str] = ()  # pandalm-pipeline: "MODEL=FILE" (or "FILE") per candidate
    #: how a table import's refusals name the options (the command line's and the Admin page's; REST's own)
    said: TableFieldWords = TABLE_WORDS


# Which options each format takes (besides --dataset); a given option a format ignores is an error,
# so that a typo in --format does not silently drop, say, the judge's name.
_FORMAT_OPTIONS: dict[str, set[str]] = {
    "pandalm-testset": {"models", "annotator"},
    "pandalm-judgments": {"judge"},
    "pandalm-pipeline": {"candidates"},
    "llmbar-dataset": {"annotator"},
    "llmbar-results": {"judge"},
    "mtbench-questions": {"turn"},
    "mtbench-reference": {"turn"},
    "mtbench-answers": {"turn", "baseline", "model"},
    "alpacaeval-outputs": {"baseline", "model"},
    "alpacaeval-annotations": set(),
    "evalbiasbench": {"annotator"},
    "hhh-alignment": {"annotator"},
    "jsonl": {"mapping", "model1", "model2", "annotator", "judge"},
    "csv": {"mapping", "model1", "model2", "annotator", "judge"},
}


_FLAGS = {"mapping": "--map", "candidates": "--candidate"}  # options whose flag is not --<name>


def import_file(
    store: Store,
    path: str | Path,
    fmt: str,
    options: ImportOptions | None = None,
    *,
    on_progress: ImportProgress | None = None,
) -> ImportSummary:
    """Import one file in one of ``IMPORT_FORMATS``; all or nothing (see interchange.importers). A refusal of a
    released benchmark file given the wrong format ends with "This looks like X: try --format Y.".
    ``on_progress(done, total)``: the rows written so far, once the file is read and checked (none for a file
    refused before it is written)."""
    try:
        with import_progress(on_progress):
            return _import_file(store, path, fmt, options)
    except StoreError as exc:
        hint = looks_like(path, fmt) if fmt in IMPORT_FORMATS and len(exc.args) == 1 else ""
        if hint and isinstance(exc.args[0], str):
            said = exc.args[0].rstrip()
            exc.args = (said + ("" if said.endswith(".") else ".") + hint,)
        raise


def _import_file(store: Store, path: str | Path, fmt: str, options: ImportOptions | None) -> ImportSummary:
    if fmt not in IMPORT_FORMATS:
        raise StoreError(f"Unknown import format {fmt!r}; use one of {', '.join(IMPORT_FORMATS)}.")
    opts = options or ImportOptions()
    given = {
        name
        for name, value in vars(opts).items()
        if name not in ("dataset", "said") and value not in (None, (), {}, [])
    }
    extra = given - _FORMAT_OPTIONS[fmt]
    if extra:
        names = ", ".join(_FLAGS.get(n, f"--{n}") for n in sorted(extra))
        raise StoreError(f"{names} does not apply to --format {fmt}.")
    named: dict[str, Any] = {"dataset": opts.dataset} if opts.dataset else {}
    if fmt == "pandalm-testset":
        if opts.annotator:
            named["annotator_prefix"] = opts.annotator
        return import_pandalm_testset(store, path, models=list(opts.models) or None, **named)
    if fmt == "pandalm-judgments":
        return import_pandalm_judgments(store, path, judge=opts.judge, **named)
    if fmt == "pandalm-pipeline":
        return import_pandalm_pipeline(store, path, candidates=parse_candidates(opts.candidates), **named)
    if fmt == "llmbar-dataset":
        if opts.annotator:
            named["annotator"] = opts.annotator
        return import_llmbar_dataset(store, path, **named)
    if fmt == "llmbar-results":
        return import_llmbar_results(store, path, judge=opts.judge, **named)
    if fmt.startswith("mtbench-"):
        named["turn"] = opts.turn or 1
        if fmt == "mtbench-questions":
            return import_mtbench_questions(store, path, **named)
        if fmt == "mtbench-reference":
            return import_mtbench_references(store, path, **named)
        return import_mtbench_answers(store, path, baseline=opts.baseline, model=opts.model, **named)
    if fmt == "alpacaeval-outputs":
        return import_alpacaeval_outputs(store, path, model=opts.model, baseline=opts.baseline, **named)
    if fmt == "alpacaeval-annotations":
        return import_alpacaeval_annotations(store, path, **named)
    if fmt in ("evalbiasbench", "hhh-alignment"):
        named |= {"annotator": opts.annotator} if opts.annotator else {}
        reader = import_evalbiasbench if fmt == "evalbiasbench" else import_hhh_alignment
        return reader(store, path, **named)
    return import_table(
        store,
        path,
        mapping=dict(opts.mapping),
        dataset=opts.dataset,
        file_format=fmt,
        model1=opts.model1,
        model2=opts.model2,
        annotator=opts.annotator or "imported",
        judge=opts.judge,
        said=opts.said,
    )


def dataset_metrics(
    store: Store,
    dataset: str,
    *,
    alpha: float = ALPHA,
    n_bootstrap: int = N_BOOTSTRAP,
    baseline: str | None = None,
    people: PeopleOptions | None = None,
) -> dict[str, Any]:
    """The full, JSON-serialisable metrics report (``analysis.build_report`` through
    ``orchestration.metrics.metrics_report``): what ``metrics --json`` prints and REST ``/metrics`` returns.
    ``people``: how people's labels are aggregated and the alt-test's margins (default: the settings table's)."""
    return metrics_report(store, dataset, alpha=alpha, n_bootstrap=n_bootstrap, baseline=baseline, people=people)


@dataclass(frozen=True)
class ExportSummary:
    rows: int  # rows written
    note: str = ""  # what was left out and how to keep it (DPO pairs with an empty response); "" when nothing
    replaced: bool = False  # the output file was there before and was replaced


def export_dataset(
    store: Store,
    dataset: str,
    kind: str,
    *,
    fmt: str | None = None,
    output: str | Path | None = None,
    include_judges: bool = False,
    source: str = "majority",
    keep_empty: bool = False,
    people: ExportPeople | None = None,
) -> int:
    """``export_dataset_summary``'s row count (for callers that only report the number of rows)."""
    summary = export_dataset_summary(
        store,
        dataset,
        kind,
        fmt=fmt,
        output=output,
        include_judges=include_judges,
        source=source,
        keep_empty=keep_empty,
        people=people,
    )
    return summary.rows


@dataclass(frozen=True)
class ExportPeople:
    """The export options of ``judge-studio export`` and REST ``/export`` on whose labels count, as given:
    ``labels_from`` (as the reports take it: ``orchestration.metrics.label_scope_of``), ``exclude`` (annotator
    names), ``min_labels``, and ``uncertain_margin`` (None: ``margin_setting``'s default). ``words``: how the
    export's note names these options on the surface that asked (the command line's flags unless told)."""

    labels_from: str | None = None
    exclude: tuple[str, ...] = ()
    min_labels: int = 0
    uncertain_margin: float | None = None
    words: OptionWords = CLI_WORDS

    def people_filter(self, store: Store, dataset: str) -> PeopleFilter:
        """The exporters' ``PeopleFilter``; an unknown session is StoreNotFound, naming the dataset's."""
        scope, session = label_scope_of(store, dataset, self.labels_from)
        excluded = frozenset(name.strip() for name in self.exclude if name.strip())
        return PeopleFilter(scope, session, excluded, self.min_labels, self.words)


def export_dataset_summary(
    store: Store,
    dataset: str,
    kind: str,
    *,
    fmt: str | None = None,
    output: str | Path | None = None,
    include_judges: bool = False,
    source: str = "majority",
    keep_empty: bool = False,
    people: ExportPeople | None = None,
) -> ExportSummary:
    """Write one export to ``output`` (a file; None or "-" for stdout). The format defaults to the
    file's suffix (.csv -> csv, .parquet / .pq -> parquet, otherwise jsonl); Parquet is binary and
    needs a file, which is written all or nothing (``interchange.exporters.write_file``) and replaced when it
    is there (``ExportSummary.replaced``). Returns the number of rows and a note on what was left out (DPO:
    pairs with an empty or non-text response, unless ``keep_empty``). A DPO export of a dataset without labels
    raises ``interchange.exporters.NothingToExport`` (an InvalidInput) suggesting ``--source RUN``;
    an unknown dataset is NotFound (``catalog.require_dataset``), before anything else is read. ``people``:
    whose labels count, the fewest a comparison needs and the uncertain margin (``ExportPeople``)."""
    require_dataset(store, dataset)
    given = people or ExportPeople()
    margin = margin_setting(given.uncertain_margin)
    target = None if output in (None, "-") else Path(str(output))
    suffix = target.suffix.lower() if target is not None else ""
    chosen = fmt or _SUFFIX_FORMATS.get(suffix, "jsonl")
    if chosen not in EXPORT_FORMATS:
        raise StoreError(f"Unknown export format {chosen!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    if target is None and chosen in BINARY_FORMATS:
        raise StoreError(
            f"{chosen} is a binary format and is not written to standard output: give a file with --output "
            f"(e.g. -o {kind}.{chosen})."
        )
    table = export_table(
        store,
        dataset,
        kind,
        include_judges=include_judges,
        source=source,
        keep_empty=keep_empty,
        margin=margin,
        people=given.people_filter(store, dataset),
        margin_given=given.uncertain_margin is not None,
    )
    rows, columns = table.rows, table.columns
    if target is None:
        return ExportSummary(write_rows(rows, sys.stdout, chosen, columns), table.note)
    # all or nothing: a temporary file beside the target replaces it once complete (a full disk leaves it as it was)
    written = write_file(rows, target, chosen, columns)
    return ExportSummary(written.rows, table.note, written.replaced)


_SUFFIX_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
