"""``import``, ``metrics``, ``report`` and ``export``: commands on the database alone (no judge model, no torch).

The heavy imports (pandas, SQLAlchemy, the statistics) happen inside the functions, when the
command runs or its arguments are built, never when ``judge-studio --help`` starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from cli.options import add_settings, open_for_reading, shown_database
from settings import Settings


def add_import(parser: argparse.ArgumentParser) -> None:
    from interchange.formats import IMPORT_FORMATS  # plain data: `import --help` loads no pandas or statistics

    parser.description = "Formats: " + "; ".join(f"{name}: {text}" for name, text in IMPORT_FORMATS.items()) + "."
    add_settings(parser, "import")
    parser.add_argument("file", help="the file to import")
    parser.add_argument(
        "--format",
        choices=list(IMPORT_FORMATS),
        help="the file's layout (see above); default from the file name: .csv is csv, .jsonl is jsonl (a .json "
        "file can be one of several formats, so it needs --format)",
    )
    parser.add_argument(
        "--dataset",
        help="dataset name (default by format: pandalm-testset-v1, llmbar-mt-bench, mt-bench, alpaca-eval, "
        "or the file name for jsonl/csv/pandalm-pipeline)",
    )
    parser.add_argument("--judge", help="judge name for judge outputs (default from the file or its folder)")
    parser.add_argument("--baseline", help="answers: compare only with this model's answers (default: with all)")
    parser.add_argument("--model", help="answers: model name (default the file's model_id / generator)")
    parser.add_argument(
        "--turn", type=int, choices=[1, 2], help="MT-Bench turn (default 1; turn 2 is not supported and is refused)"
    )
    parser.add_argument("--models", help="PandaLM: comma-separated model names that cmp_key joins with '_'")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="jsonl/csv: which column holds a field (instruction, input, response1, response2, model1, model2, "
        "key, category, reference, label, annotator, label:<annotator>, verdict, reason); repeat. A column named "
        "exactly like a field is read without --map (verdict only with --judge); --map wins over it",
    )
    parser.add_argument("--model1", help="jsonl/csv: name of the model of response 1 when no column holds it")
    parser.add_argument("--model2", help="jsonl/csv: name of the model of response 2 when no column holds it")
    parser.add_argument("--annotator", help="annotator name (jsonl/csv, llmbar-dataset) or name prefix (pandalm)")
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="MODEL=FILE",
        help="pandalm-pipeline: a candidate model and its JSON list of responses, one per input in order; repeat",
    )
    add_progress_flag(parser)


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress`` of ``import`` and ``gold [responses] import`` (``import_bar``)."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar of the rows written on standard error (default: only when it is a terminal)",
    )


#: ``metrics --format``: the summary text, every figure as one JSON object, or one CSV row per judge run
#: (``orchestration.metrics.metrics_csv``; s18 notebook finding 10). Plain data: ``metrics --help`` loads no pandas.
METRICS_FORMATS = ("text", "json", "csv")


def add_metrics(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "metrics")
    parser.add_argument("--dataset", required=True, help="dataset name")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print one JSON object with every figure (--format json)")
    shape.add_argument(
        "--format",
        type=lambda name: name.strip().lower(),
        choices=METRICS_FORMATS,
        help="text (the summary; default), json (every figure, as REST /api/v1/metrics returns them) or csv (one "
        "row per judge run with its headline figures: accuracy and interval, kappa, uncertain, position and length "
        "bias; the columns are in the README); default from the output's suffix (.json, .csv), else text",
    )
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    parser.add_argument("--baseline", help="model for win rates (default: the model in every comparison, if any)")
    add_labels_from(parser)


#: Other names ``report --format`` takes for its formats (``md`` was refused: s14 newfeat 1).
REPORT_FORMAT_ALIASES = {"md": "markdown", "htm": "html", "txt": "text"}


def add_report(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "report")
    parser.add_argument("--dataset", help="dataset name (may be left out when the database holds only one)")
    parser.add_argument("--run", type=int, help="judge run id (default: every run on the dataset)")
    parser.add_argument(
        "--format",
        type=lambda name: REPORT_FORMAT_ALIASES.get(name.strip().lower(), name.strip().lower()),
        choices=("markdown", "html", "text", "json"),
        help="markdown (or md), html with the plots (plotly.js inline, no network), text (as markdown, names not "
        "escaped: for reading in a terminal) or json (the card's figures, as REST /api/v1/report-card returns "
        "them); default from the output's suffix (.html, .htm; .txt; .json), else markdown, and text on standard "
        "output when it is a terminal",
    )
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    parser.add_argument("--baseline", help="model for win rates (default: the model in every comparison, if any)")
    add_labels_from(parser)


def add_labels_from(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--labels-from",
        metavar="SESSION|imported|all",
        help="whose labels the people figures read: all (default), imported (labels given in no session, e.g. a "
        "benchmark's own annotators) or one session's name (session:NAME for a session named all or imported)",
    )


def add_export(parser: argparse.ArgumentParser) -> None:
    from interchange.exporters import EXPORT_FORMATS, EXPORT_KINDS

    add_settings(parser, "export")
    parser.add_argument("--dataset", required=True, help="dataset name")
    parser.add_argument(
        "--kind",
        choices=EXPORT_KINDS,
        default="labels",
        help="labels (long), wide, dpo, judgments (each judge verdict with its reasons and reference answer), or "
        "ratings (each single-answer rating or skip, with its gold range and session)",
    )
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="default from the output's suffix (.jsonl, .csv, .parquet); jsonl on standard output or a file without "
        "a suffix; another suffix (.json, .txt) needs --format; no format writes spreadsheets (.xlsx): a spreadsheet "
        "opens .csv",
    )
    parser.add_argument(
        "--output",
        "-o",
        help="file to write (default: standard output; parquet needs a file); a file that is there is overwritten, "
        "and only once the export is complete (a failed export leaves it as it was)",
    )
    parser.add_argument(
        "--judges", action="store_true", help="labels: add every judge verdict as rows; ratings: every judge rating"
    )
    parser.add_argument(
        "--source",
        default="majority",
        help="dpo: 'majority' (default: the people's label, a reviewer's adjudication first) or a judge run id",
    )
    parser.add_argument(
        "--keep-empty", action="store_true", help="dpo: keep pairs whose chosen or rejected response is empty"
    )
    add_export_people(parser)


def add_export_people(parser: argparse.ArgumentParser) -> None:
    """``export``'s options on whose labels count (s16 campaign finding 4); ``--uncertain-margin`` (how judge
    verdicts are read, analyst finding 7) comes from the settings table, as ``metrics``'s does."""
    parser.add_argument(
        "--labels-from",
        metavar="SESSION|imported|all",
        help="labels, wide, dpo: whose labels are read (majorities, n_labels, rows): all (default), imported "
        "(labels given in no session) or one session's name (session:NAME for a session named all or imported)",
    )
    parser.add_argument(
        "--exclude-annotator",
        action="append",
        default=[],
        metavar="NAME",
        help="labels, wide, dpo: leave this person's labels out of the majorities, counts and rows; repeat for "
        "more people (a set-aside account's labels are left out already)",
    )
    parser.add_argument(
        "--min-labels",
        type=_at_least_zero,
        default=0,
        metavar="N",
        help="wide, dpo: keep only the comparisons with at least N counted labels (default 0: all)",
    )


def _at_least_zero(text: str) -> int:
    """``--min-labels``: a whole number, 0 or more (argparse says which option refused it)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def import_command(settings: Settings, args: argparse.Namespace) -> None:
    # said before pandas, SQLAlchemy and the statistics load
    fmt = import_format(args.file, args.format, mapped=bool(args.map))
    from orchestration.datasets import ImportOptions, import_file, open_data_store, parse_mapping

    options = ImportOptions(
        dataset=args.dataset,
        judge=args.judge,
        baseline=args.baseline,
        model=args.model,
        turn=args.turn,
        models=tuple(m.strip() for m in (args.models or "").split(",") if m.strip()),
        mapping=parse_mapping(args.map),
        model1=args.model1,
        model2=args.model2,
        annotator=args.annotator,
        candidates=tuple(args.candidate),
    )
    store = open_data_store(settings)
    try:
        with import_bar(args.progress) as progress:
            summary = import_file(store, args.file, fmt, options, on_progress=progress)
    finally:
        store.close()
    print(f"{summary.describe()} Database: {shown_database(settings)}")


def import_format(file: str, given: str | None, *, mapped: bool = False) -> str:
    """``--format``, or the format the file's name implies (``interchange.formats.format_of_name``, the Admin page's
    rule: .csv is csv, .jsonl is jsonl); else an error naming the choices. A missing or unreadable file is said
    first, here too, before the heavy imports (s15 novice, findings 4 and 6)."""

    from errors import InvalidInput
    from interchange.formats import IMPORT_FORMATS, format_of_name, unsaid_format

    path = Path(file)
    if not path.exists():
        raise InvalidInput(f"{file}: no such file.")
    if given is not None:
        return given
    if path.is_dir():
        raise InvalidInput(f"{file}: cannot be read (Is a directory).")
    fmt = format_of_name(path)
    if fmt is None:
        raise InvalidInput(unsaid_format(path, list(IMPORT_FORMATS), "one with --format FORMAT"))
    if not mapped:  # a released file (MT-Bench's question.jsonl) named by its own format, before the table's error
        _released_first(path, fmt)
    return fmt


def _released_first(path: Path, fmt: str) -> None:
    """Refuse a .jsonl / .csv file whose first record has a released benchmark's fields (MT-Bench's question.jsonl,
    model_answer/, reference_answer/) when no --format and no --map was given: its name alone made it a generic
    table, whose refusal named the right format only at the end of a column-mapping error (s15 reviewB, 5)."""
    from errors import InvalidInput
    from interchange.importers import released_layout

    found = released_layout(path)
    if found is None or fmt in found[1]:
        return
    what, formats = found
    if "mtbench-reference" in formats and "mtbench-answers" in formats:  # the folder says which
        formats = ("mtbench-reference",) if path.parent.name == "reference_answer" else ("mtbench-answers",)
    raise InvalidInput(
        f"{path.name} looks like {what}: import it with --format {' or '.join(formats)} (without --format a "
        f"{path.suffix.lower()} file is read as a generic {fmt} table, which needs columns named instruction, "
        "response1, response2 or --map); nothing was imported."
    )


def import_bar(asked: bool | None) -> AbstractContextManager[Callable[[int, int], None] | None]:
    """``rate``'s bar (``cli.commands.progress_bar``, drawn at the first report), counting the rows an import
    (``import``, ``gold [responses] import``) writes, when ``asked`` (--progress) or, by default, when standard
    error is a terminal: 50,000 rows took minutes without a word (s13). None: no bar (--no-progress, or a log or
    a pipe)."""
    if asked is None:
        try:
            asked = sys.stderr.isatty()
        except (AttributeError, ValueError):  # replaced or closed
            asked = False
    if not asked:
        return nullcontext(None)
    from cli.commands import lazy_progress_bar

    return lazy_progress_bar("row", "Importing", 1)  # batch size 1: no "in batches" line before it


def _report_options(args: argparse.Namespace) -> dict[str, Any]:
    """The statistics flags given on the command line, as keywords of the report builders."""
    from orchestration.metrics import PeopleOptions
    from settings.table import checked_statistics

    checked_statistics(args.alpha, args.n_bootstrap)  # --alpha 2 made every pair "significant"
    given: dict[str, Any] = {
        k: v for k, v in (("alpha", args.alpha), ("n_bootstrap", args.n_bootstrap)) if v is not None
    }
    # --alt-test-epsilon-crowd / -skilled / -expert: one flag per kind of the settings table
    epsilons = {kind: getattr(args, f"alt_test_epsilon_{kind}", None) for kind in ("crowd", "skilled", "expert")}
    return {
        **given,
        "baseline": args.baseline,
        "people": PeopleOptions.given(args.aggregation, epsilons),
        "labels_from": args.labels_from,
    }


def metrics_command(settings: Settings, args: argparse.Namespace) -> None:
    from orchestration.datasets import format_report
    from orchestration.metrics import metrics_csv, metrics_report

    fmt = metrics_format(args)
    options = _report_options(args)
    store = open_for_reading(settings)
    try:
        # the uncertain margin: --uncertain-margin, else JUDGE_STUDIO_UNCERTAIN_MARGIN, else the table's default
        report = metrics_report(store, args.dataset, **options, uncertain_margin=args.uncertain_margin)
    finally:
        store.close()
    unjudged = not report.get("counts", {}).get("judge_runs") and not report.get("pairwise_note")
    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, allow_nan=False) + "\n"
    elif fmt == "csv":  # one row per judge run; a dataset without one: the header alone, the next step on stderr
        text = metrics_csv(report)
        if unjudged:
            print(no_judge_note(args.dataset, "metrics"), file=sys.stderr)
    else:  # the next step, as `report` names it (s15 novice, finding 9)
        text = terminal_lines(format_report(report) + (f"\n{no_judge_note(args.dataset, 'metrics')}" * unjudged)) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        print(f"Wrote the metrics of {args.dataset!r} ({fmt}) to {args.output}.", file=sys.stderr)
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        reader_left()


def metrics_format(args: argparse.Namespace) -> str:
    """``--format``, else json with ``--json``, else the one the output's suffix names (.json, .csv), else text."""
    if args.format:
        return str(args.format)
    if args.json:
        return "json"
    suffix = os.path.splitext(args.output or "")[1].lower()
    return {".json": "json", ".csv": "csv"}.get(suffix, "text")


def terminal_lines(text: str) -> str:
    """``text`` for a terminal, line by line (``ui.render.without_controls``: names from an imported file hold no
    control characters, so they can neither recolour nor move the cursor); spaces and columns are kept."""
    from ui.render import without_controls

    return "\n".join(without_controls(line) for line in text.split("\n"))


def report_command(settings: Settings, args: argparse.Namespace) -> None:
    """The judge report card as Markdown, as plain text (for a terminal), as one self-contained HTML page
    with its plots, or as JSON: the very object REST ``/report-card`` returns (``orchestration.report_card``,
    the builder ``Studio.report_card`` calls), so a script needs no server (s13 researcher, finding 6)."""
    from orchestration.report_card import report_card

    options = _report_options(args)
    fmt = args.format or report_format(args.output, sys.stdout.isatty())
    store = open_for_reading(settings)
    try:
        dataset = args.dataset or only_dataset(store.dataset_names())
        card = report_card(store, dataset, run_id=args.run, **options, uncertain_margin=args.uncertain_margin)
    finally:
        store.close()
    text = card_in(card, fmt)
    if not card["judges"] and not card.get("pairwise_note"):  # (a grading-only dataset's card says why itself)
        note = no_judge_note(dataset)
        in_text = fmt not in ("html", "json")
        if in_text:
            text += f"\n{note}\n"
        # said once: not on stderr too when the card with it goes where stderr goes (a terminal, `2>&1`; s15 novice 9)
        if not (in_text and not args.output and same_stream(sys.stdout, sys.stderr)):
            print(note, file=sys.stderr)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"Wrote the report card of {dataset!r} ({fmt}) to {args.output}.", file=sys.stderr)
        return
    try:
        print(text)
    except BrokenPipeError:
        reader_left()


def card_in(card: dict[str, Any], fmt: str) -> str:
    """The card in ``fmt``: JSON as it is; Markdown, plain text and HTML from ``ui.card_document``, which imports
    no Gradio (the page, ``ui.report_card``, does: about 6 s of every ``report``'s start on a loaded 2-core
    machine, s13; ``tests/test_s14_reportfast.py``)."""
    if fmt == "json":
        return json.dumps(card, ensure_ascii=False, allow_nan=False)
    from ui.card_document import card_html, card_markdown, card_text

    return str({"html": card_html, "text": card_text}.get(fmt, card_markdown)(card))


def report_format(output: str | None, terminal: bool) -> str:
    """The report card's format from where it goes: a .html / .htm file is HTML, a .txt file plain text,
    a .json file JSON, any other file Markdown (it is rendered later, so its names stay escaped), and standard
    output plain text when it is a terminal (Markdown's backslash escapes are noise there), else Markdown (a
    pipe or ``> card.md``)."""
    if not output:
        return "text" if terminal else "markdown"
    suffix = output.lower()
    if suffix.endswith(".json"):
        return "json"
    return "html" if suffix.endswith((".html", ".htm")) else "text" if suffix.endswith(".txt") else "markdown"


def no_judge_note(dataset: str, command: str = "report") -> str:
    """What the report card (``report``) or ``metrics`` of a dataset without any judge run says: the next step."""
    again = "make the card again" if command == "report" else f"run `{command}` again"
    return (
        f"No judge has judged {dataset!r} yet: run `judge-studio judge --dataset {dataset}` (or `judge-studio "
        f"checkup` for the checkup suites), then {again}."
    )


def same_stream(one: Any, other: Any) -> bool:
    """Whether two streams write to the same place (one terminal, or one file: ``> log 2>&1``)."""
    try:
        return os.path.sameopenfile(one.fileno(), other.fileno())
    except (AttributeError, OSError, ValueError):  # replaced streams (tests), closed ones
        return False


def only_dataset(names: list[str]) -> str:
    """The database's one dataset, for a command whose ``--dataset`` was left out."""
    from errors import InvalidInput

    if len(names) != 1:
        raise InvalidInput(f"Name the dataset with --dataset (datasets: {', '.join(names) or 'none'}).")
    return names[0]


def export_command(settings: Settings, args: argparse.Namespace) -> None:
    from orchestration.datasets import ExportPeople, export_dataset_summary

    fmt = export_format(args.output, args.format)
    people = ExportPeople(
        labels_from=args.labels_from,
        exclude=tuple(args.exclude_annotator),
        min_labels=args.min_labels,
        uncertain_margin=args.uncertain_margin,
    )
    store = open_for_reading(settings)
    try:
        summary = export_dataset_summary(
            store,
            args.dataset,
            args.kind,
            fmt=fmt,
            output=args.output,
            include_judges=args.judges,
            source=args.source,
            keep_empty=args.keep_empty,
            people=people,
        )
    except BrokenPipeError:
        reader_left()
    finally:
        store.close()
    replaced = " (replaced the file that was there)" if summary.replaced else ""
    print(f"Exported {summary.rows} rows ({args.kind}) of {args.dataset!r}{replaced}.", file=sys.stderr)
    if summary.note:
        print(summary.note, file=sys.stderr)


#: Output suffixes and the export format each one means.
#: Spreadsheet files, which no export format writes (a spreadsheet opens the .csv).
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
EXPORT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def export_format(output: str | None, fmt: str | None) -> str | None:
    """The format to write: ``fmt``, else the one the output's suffix names (None: the exporter's default).

    Refused before anything is read: a suffix that names no export format (``-o x.xlsx`` once got JSON
    Lines that a spreadsheet calls corrupt) unless ``--format`` says what to write, and a ``--format``
    that contradicts the suffix (``--format csv -o x.parquet``)."""
    from errors import InvalidInput

    suffix = os.path.splitext(output)[1].lower() if output and output != "-" else ""
    named = EXPORT_SUFFIXES.get(suffix)
    known = ", ".join(EXPORT_SUFFIXES)
    if suffix in SPREADSHEET_SUFFIXES:  # --format csv would write CSV text that the spreadsheet calls corrupt
        csv_name = os.path.splitext(str(output))[0] + ".csv"
        raise InvalidInput(
            f"Unknown output suffix {suffix!r} in {output!r}: use {known}. Export writes no {suffix} files; "
            f"write {csv_name!r} instead: a spreadsheet opens it."
        )
    if fmt is None and suffix and named is None:
        raise InvalidInput(
            f"Unknown output suffix {suffix!r} in {output!r}: use {known}, or write one of jsonl, csv, parquet "
            "under this name with --format FORMAT."
        )
    if fmt is not None and named is not None and named != fmt:
        raise InvalidInput(f"--format {fmt} does not match the output {output!r} (a {suffix} file is {named}).")
    return fmt or named


def reader_left() -> None:
    """``judge-studio export ... | head``: the reader closed the pipe; stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)
