"""``judge-studio gold``: the gold (attention-check) items, acting as admin on this machine's database, as
``users`` does: list them, mark or unmark one, or import many from a CSV or JSONL file in one
all-or-nothing write.

``gold list|set|remove|import`` work on comparisons of pairwise sessions (an answer of 1, 2 or tie);
``gold responses list|set|remove|import`` on responses of grading sessions (a scale, 10 or 5, and the
range of right ratings). The file reader lives here because only the command line reads gold files;
the Admin desk checks every mark as the Admin page checks one (``AdminDesk.import_gold``,
``import_gold_ratings``) and the store writes them in one transaction (``Store.set_gold_many``,
``set_gold_ratings_many``), so a bad row leaves the gold table exactly as it was. Heavy modules
(pandas, SQLAlchemy) are imported when a command runs, never for ``--help``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from cli.data import add_progress_flag, import_bar
from cli.options import add_settings, counted, shown_database
from errors import InvalidInput
from settings import Settings

if TYPE_CHECKING:
    from annotation_store import GoldMark
    from annotation_store.gold_ratings import GoldImportCounts, GoldRatingMark
    from orchestration import AdminDesk

#: The columns a gold file holds (others are ignored, e.g. ``dataset`` from ``gold list --json``).
COLUMNS = ("comparison_id", "verdict", "explanation")
#: The columns a gold responses file holds (``dataset`` and ``model`` from ``gold responses list --json``
#: are ignored).
RESPONSE_COLUMNS = ("response_id", "scale", "low", "high", "explanation")
SCALES = (10, 5)
T = TypeVar("T")
VERDICTS = ("1", "2", "tie")
FILE_FORMATS = ("csv", "jsonl")  # jsonl: one JSON object a line, or the JSON list that ``list --json`` prints
FILE_HELP = "a .csv file (with a header line), or a .jsonl/.json file: one JSON object a line, or a JSON list of them"
MAX_ID = 2**63 - 1  # ids are SQL BIGINTs: a larger number cannot exist and must not reach the driver
#: ``gold list`` shortens explanations to this many characters in its table (``--json`` has them whole).
TABLE_WIDTH = 70


def _id_of(kind: str) -> Callable[[str], int]:
    """An id on the command line: a whole number from 1 to 2^63-1 (argparse names the argument)."""

    def parsed(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind} id (a whole number), got {text!r}") from None
        if not 1 <= number <= MAX_ID:
            raise argparse.ArgumentTypeError(f"a {kind} id is a whole number from 1 to {MAX_ID}, got {text}")
        return number

    return parsed


_comparison_id, _response_id = _id_of("comparison"), _id_of("response")


def _right(text: str) -> tuple[int, int]:
    """``--right``: LOW-HIGH ("1-2") or one rating ("3"); the desk checks the numbers against the scale."""
    low, _, high = text.strip().partition("-")
    parts = (low.strip(), high.strip() if high else low.strip())
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"expected LOW-HIGH (e.g. 1-2) or one rating (e.g. 3), got {text!r}")
    return int(parts[0]), int(parts[1])


def add_gold(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Gold comparisons (and, under `gold responses`, gold responses of grading sessions) are attention "
        "checks: people in a session with a gold rate get them and see the explanation after a wrong answer. "
        "Acts as admin on this machine's database."
    )
    tasks = parser.add_subparsers(dest="gold_command", required=True, metavar="{list,set,remove,import,responses}")
    listing = tasks.add_parser("list", help="every gold comparison: id, dataset, answer and explanation")
    add_settings(listing, "gold list")
    listing.add_argument("--dataset", help="only this dataset's gold comparisons")
    listing.add_argument("--json", action="store_true", help="print a JSON list of {comparison_id, dataset, ...}")
    mark = tasks.add_parser("set", help="mark a comparison as gold, or change its answer or explanation")
    add_settings(mark, "gold set")
    mark.add_argument("comparison_id", metavar="ID", type=_comparison_id, help="the comparison's id")
    mark.add_argument("verdict", choices=VERDICTS, help="the right answer: response 1, response 2 or tie")
    mark.add_argument(
        "--explanation",
        required=True,
        help="why that answer is right (annotators see it after a wrong answer); refer to the responses by "
        "content, or as Response 1/2: annotators see them as left/right in their own order and are told which "
        "side each was on",
    )
    unmark = tasks.add_parser("remove", help="unmark a gold comparison; the answers given on it stay as labels")
    add_settings(unmark, "gold remove")
    unmark.add_argument("comparison_id", metavar="ID", type=_comparison_id, help="the gold comparison's id")
    load = tasks.add_parser(
        "import",
        help="mark many comparisons from a CSV or JSONL file with columns comparison_id, verdict, explanation "
        "(all or nothing)",
    )
    add_settings(load, "gold import")
    load.add_argument("file", help=FILE_HELP)
    load.add_argument("--format", choices=FILE_FORMATS, help="default from the file's suffix (.csv, .jsonl, .json)")
    add_progress_flag(load)
    add_gold_responses(
        tasks.add_parser("responses", help="gold responses of grading sessions (1-10, 1-5): list, set, remove, import")
    )


def add_gold_responses(parser: argparse.ArgumentParser) -> None:
    """``gold responses ...``: the same four commands for responses rated in grading sessions."""
    parser.description = (
        "Gold responses are attention checks of grading sessions: graders in a session on the mark's scale "
        "with a gold rate get them and see the explanation after a rating outside the right range. Acts as "
        "admin on this machine's database."
    )
    tasks = parser.add_subparsers(dest="gold_responses_command", required=True, metavar="{list,set,remove,import}")
    listing = tasks.add_parser("list", help="every gold response: id, dataset, model, scale, right range, explanation")
    add_settings(listing, "gold responses list")
    listing.add_argument("--dataset", help="only this dataset's gold responses")
    listing.add_argument("--json", action="store_true", help="print a JSON list of {response_id, dataset, ...}")
    mark = tasks.add_parser("set", help="mark a response as gold, or change its scale, right ratings or explanation")
    add_settings(mark, "gold responses set")
    mark.add_argument("response_id", metavar="ID", type=_response_id, help="the response's id")
    mark.add_argument(
        "--scale", type=int, choices=SCALES, required=True, help="the scale of the sessions that check it: 10 or 5"
    )
    mark.add_argument(
        "--right", metavar="LOW-HIGH", type=_right, required=True, help="the right ratings: 1-2, or one rating: 3"
    )
    mark.add_argument(
        "--explanation", required=True, help="why those ratings are right (graders see it after a rating outside them)"
    )
    unmark = tasks.add_parser("remove", help="unmark a gold response; the ratings given on it stay as ratings")
    add_settings(unmark, "gold responses remove")
    unmark.add_argument("response_id", metavar="ID", type=_response_id, help="the gold response's id")
    load = tasks.add_parser(
        "import",
        help=f"mark many responses from a CSV or JSONL file with columns {', '.join(RESPONSE_COLUMNS)} "
        "(all or nothing)",
    )
    add_settings(load, "gold responses import")
    load.add_argument("file", help=FILE_HELP)
    load.add_argument("--format", choices=FILE_FORMATS, help="default from the file's suffix (.csv, .jsonl, .json)")
    add_progress_flag(load)


# ---------------------------------------------------------------------- reading a gold file


class _Row:
    """One row of a gold file and its place, so every refusal says file, row and column."""

    def __init__(
        self, source: str, number: int, line: int | None, data: dict[str, Any], *, json_file: bool = False
    ) -> None:
        self.source, self.number, self.line, self.data = source, number, line, data
        self.json_file = json_file  # values are shown as JSON, as the file writes them

    @property
    def where(self) -> str:
        if self.line is None:  # an item of a JSON list (``gold list --json``): the list is usually one line
            return f"{self.source}, row {self.number} (item {self.number} of the JSON list)"
        return f"{self.source}, row {self.number} (line {self.line})"

    def shown(self, value: Any) -> str:
        return _shown(value, as_json=self.json_file)

    def fail(self, column: str, problem: str) -> NoReturn:
        raise InvalidInput(f"{self.where}, column {column!r}: {problem}; nothing was imported.")

    def _checked(self, columns: tuple[str, ...]) -> str:
        """The row's explanation, once every column is UTF-8 text and none of ``columns`` is missing."""
        for column, value in self.data.items():  # a byte that is not UTF-8 was decoded as a lone surrogate
            if any(_undecoded(text) for text in (str(column), value if isinstance(value, str) else "")):
                self.fail(str(column), "not UTF-8 text (save the file as UTF-8)")
        for column in columns:
            if self.data.get(column) is None:
                self.fail(column, "missing")
        explanation = self.data["explanation"]
        if not isinstance(explanation, str):
            self.fail("explanation", f"expected text, got {self.shown(explanation)}")
        return explanation

    def mark(self) -> GoldMark:
        """The row as a gold mark; types are checked here, the answer and explanation by the Admin desk."""
        from annotation_store import GoldMark

        explanation = self._checked(COLUMNS)
        return GoldMark(self._whole("comparison_id", MAX_ID), self._verdict(), explanation, self.where)

    def rating_mark(self) -> GoldRatingMark:
        """The row as a gold response; types are checked here, the range by the store, the explanation by
        the Admin desk."""
        from annotation_store.gold_ratings import GoldRatingMark

        explanation = self._checked(RESPONSE_COLUMNS)
        scale, low, high = (self._whole(column) for column in ("scale", "low", "high"))
        return GoldRatingMark(self._whole("response_id", MAX_ID), scale, low, high, explanation, self.where)

    def _whole(self, column: str, most: int | None = None) -> int:
        """A whole number (JSON's, or a CSV cell's digits); ids also from 1 to ``most``."""
        value = self.data[column]
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(column, f"expected a whole number, got {self.shown(value)}")
        if most is not None and not 1 <= value <= most:
            self.fail(column, f"expected a whole number from 1 to {most}, got {value}")
        return value

    def _verdict(self) -> str:
        value = self.data["verdict"]
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # JSON 1 or 2; anything else is refused with the desk's message
        if not isinstance(value, str):
            self.fail("verdict", f"expected 1, 2 or tie, got {self.shown(value)}")
        return value.strip().lower()


def _undecoded(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _shown(value: Any, *, as_json: bool = False) -> str:
    """A value for a message, shortened: as JSON for a JSON file (``null``, ``"1"``), else as Python shows it."""
    text = json.dumps(value, ensure_ascii=False) if as_json else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(path: Path) -> str:
    """The file's text; a byte that is not UTF-8 becomes a lone surrogate, so the row that holds it is named."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file; nothing was imported.") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror}); nothing was imported.") from None
    return raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")


def _csv_rows(path: Path, text: str, columns: tuple[str, ...], kind: str) -> Iterator[_Row]:
    reader = csv.DictReader(text.splitlines(keepends=True), restkey="\0extra")
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        return
    reader.fieldnames = header
    for column in columns:
        if column not in header:
            shown = ", ".join(repr(name) for name in header)
            raise InvalidInput(
                f"{path.name}, line 1 (the header), column {column!r}: missing (the header names {shown}; a {kind} "
                f"file needs {', '.join(columns)}); nothing was imported."
            )
    for number, data in enumerate(reader, start=1):
        row = _Row(path.name, number, reader.line_num, data)
        if "\0extra" in data:
            row.fail(header[-1], "the row has more fields than the header (quote text that holds commas)")
        yield row


def _json_list_rows(path: Path, text: str, columns: tuple[str, ...]) -> Iterator[_Row]:
    """The rows of a file holding one JSON list of objects, as ``gold list --json`` prints it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path.name}, line {exc.lineno}: not valid JSON ({exc.msg}); expected a JSON list of objects or one "
            "JSON object a line; nothing was imported."
        ) from None
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(
                f"{path.name}, row {number} (item {number} of the JSON list): expected a JSON object with "
                f"{', '.join(columns)}, got {_shown(item, as_json=True)}; nothing was imported."
            )
        yield _Row(path.name, number, None, item, json_file=True)


def _jsonl_rows(path: Path, text: str, columns: tuple[str, ...]) -> Iterator[_Row]:
    """One JSON object a line (JSON Lines), or, when the file starts with ``[``, one JSON list of them."""
    if text.lstrip().startswith("["):
        yield from _json_list_rows(path, text, columns)
        return
    number = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        number += 1
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{path.name}, row {number} (line {line_number}): not valid JSON ({exc.msg}); nothing was imported."
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput(
                f"{path.name}, row {number} (line {line_number}): expected a JSON object with "
                f"{', '.join(columns)}, got {_shown(data, as_json=True)}; nothing was imported."
            )
        yield _Row(path.name, number, line_number, data, json_file=True)


def _read(path: Path, file_format: str | None, columns: tuple[str, ...], convert: Callable[[_Row], T]) -> list[T]:
    """Every row of a gold file, converted (``_Row.mark`` or ``rating_mark``, row by row so the first bad
    row is the one named), or a refusal naming the file, the row and the column."""
    fmt = file_format or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise InvalidInput(f"{path.name}: name a .csv, .jsonl or .json file, or give --format; nothing was imported.")
    kind, item = ("gold", "comparison") if columns == COLUMNS else ("gold responses", "response")
    text = _text(path)
    rows = _csv_rows(path, text, columns, kind) if fmt == "csv" else _jsonl_rows(path, text, columns)
    marks = [convert(row) for row in rows]
    if not marks:
        layout = {
            "csv": f"a header line naming {', '.join(columns)}, then one row per {item}",
            "jsonl": f"one JSON object a line, or a JSON list of objects, with {', '.join(columns)}",
        }
        expected = layout[fmt]
        raise InvalidInput(f"{path.name}: the file holds no {kind} rows (expected {expected}); nothing was imported.")
    return marks


def read_gold_file(path: Path, file_format: str | None = None) -> list[GoldMark]:
    """Every row of a gold file as a mark, or a refusal naming the file, the row and the column."""
    return _read(path, file_format, COLUMNS, _Row.mark)


def read_gold_responses_file(path: Path, file_format: str | None = None) -> list[GoldRatingMark]:
    """Every row of a gold responses file as a mark, or a refusal naming the file, the row and the column."""
    return _read(path, file_format, RESPONSE_COLUMNS, _Row.rating_mark)


# ---------------------------------------------------------------------- the command


def _printable(text: str, width: int | None = None) -> str:
    """One line of terminal text: control characters (a stored explanation may hold any) become spaces."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"


def _table(cells: list[list[str]]) -> str:
    """Aligned columns: the header row first, the id right-aligned, the texts left-aligned."""
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = []
    for line in cells:
        pairs = enumerate(zip(line, widths, strict=True))
        padded = [cell.rjust(width) if i == 0 else cell.ljust(width) for i, (cell, width) in pairs]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def _nothing(what: str, dataset: str | None) -> str:
    return f"No {what}" + (f" in dataset {_printable(dataset)!r}." if dataset else ".")


def _listing(marks: list[dict[str, Any]], as_json: bool, dataset: str | None) -> str:
    """``gold list``'s output (``gold_listed``'s rows): a table for people, or a JSON list for scripts
    (explanations whole)."""
    rows = [
        {
            "comparison_id": int(r["comparison_id"]),
            "dataset": r["dataset"],
            "verdict": r["verdict"],
            "explanation": r["explanation"],
        }
        for r in marks
    ]
    if as_json:
        return json.dumps(rows, ensure_ascii=False)
    if not rows:
        return _nothing("gold comparisons", dataset)
    cells = [list(COLUMNS[:1]) + ["dataset", *COLUMNS[1:]]]
    for row in rows:
        shown = (row["dataset"], row["verdict"], _printable(row["explanation"], TABLE_WIDTH))
        cells.append([str(row["comparison_id"]), *(_printable(text) for text in shown)])
    return _table(cells)


def _right_ratings(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _responses_listing(marks: Any, as_json: bool, dataset: str | None) -> str:
    """``gold responses list``'s output: a table, or a JSON list that ``gold responses import`` takes back."""
    rows = [
        {
            "response_id": int(r.response_id),
            "dataset": r.dataset,
            "model": r.model,
            "scale": int(r.scale),
            "low": int(r.low),
            "high": int(r.high),
            "explanation": r.explanation,
        }
        for r in marks.itertuples(index=False)
    ]
    if as_json:
        return json.dumps(rows, ensure_ascii=False)
    if not rows:
        return _nothing("gold responses", dataset)
    cells = [["response_id", "dataset", "model", "scale", "right", "explanation"]]
    for row in rows:
        right = _right_ratings(row["low"], row["high"])
        shown = (row["dataset"], row["model"], f"1-{row['scale']}", right, _printable(row["explanation"], TABLE_WIDTH))
        cells.append([str(row["response_id"]), *(_printable(text) for text in shown)])
    return _table(cells)


def _responses_command(settings: Settings, desk: AdminDesk, args: argparse.Namespace) -> None:
    """Run one ``gold responses`` subcommand (``desk`` acts as admin)."""
    from orchestration.admin import removed_gold_rating_note

    task, actor = args.gold_responses_command, None
    if task == "list":
        print(_responses_listing(desk.gold_ratings(actor, args.dataset), args.json, args.dataset))
    elif task == "set":
        low, high = args.right
        desk.set_gold_rating(actor, args.response_id, args.scale, low, high, args.explanation)
        right = _right_ratings(low, high)
        print(f"Response #{args.response_id} is gold on the 1-{args.scale} scale: ratings {right} are right.")
    elif task == "remove":
        print(removed_gold_rating_note(args.response_id, desk.remove_gold_rating(actor, args.response_id)))
    elif task == "import":
        path = Path(args.file)
        marks = read_gold_responses_file(path, args.format)
        with _rows_bar(args.progress):
            counts = desk.import_gold_ratings(actor, marks)
        print(f"Imported {path.name}: {gold_import_text(counts, 'response')}.")
        print(f"Database: {shown_database(settings)}", file=sys.stderr)


@contextmanager
def _rows_bar(asked: bool | None) -> Iterator[None]:
    """``import``'s bar (``cli.data.import_bar``: --progress, or standard error a terminal) of the gold marks
    written, fed from inside the store's one write transaction (``import_progress``) as ``import``'s is."""
    from orchestration.datasets import import_progress

    with import_bar(asked) as progress, import_progress(progress):
        yield


def gold_import_text(counts: GoldImportCounts, noun: str) -> str:
    """``import_counts`` of what the store counted inside the import's transaction (``GoldImportCounts``): a
    count read before it could be stale by the time it commits, e.g. another admin's import in between."""
    return import_counts(counts.added, counts.changed + counts.unchanged, counts.unchanged, noun)


def import_counts(added: int, updated: int, unchanged: int, noun: str) -> str:
    """What a gold import did, in words: ``updated`` marks were gold already, ``unchanged`` of them with the same
    answer and explanation, so re-importing ``gold list --json`` says "nothing new", as ``import`` does, rather
    than "7 gold marks changed"."""
    changed = max(0, updated - unchanged)
    if not added and not changed:
        return f"nothing new ({counted(unchanged, 'gold mark')} already there, unchanged)"
    said = f"{counted(added, noun)} marked gold, {counted(changed, 'gold mark')} changed"
    return said + (f", {unchanged} unchanged" if unchanged else "")


def gold_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run one ``gold`` subcommand through the Admin desk, acting as admin (``Access.local_admin``); ``gold list``
    reads plain rows (``orchestration.catalog.gold_listed``) and loads no pandas, as ``users list`` does."""
    from orchestration.stores import open_data_store

    store = open_data_store(settings)
    try:
        if args.gold_command == "list":
            from orchestration.access import Access
            from orchestration.catalog import gold_listed

            print(_listing(gold_listed(Access(store).local_admin(), None, args.dataset), args.json, args.dataset))
            return
        from orchestration import AdminDesk, Studio
        from orchestration.admin import removed_gold_note

        studio = Studio(settings, store=store)
        studio.access = studio.access.local_admin()  # the command line acts as admin, as `users` does
        desk, actor = AdminDesk(studio), None
        task = args.gold_command
        if task == "responses":
            _responses_command(settings, desk, args)
        elif task == "set":
            desk.set_gold(actor, args.comparison_id, args.verdict, args.explanation)
            print(f"Comparison #{args.comparison_id} is gold: the answer is {args.verdict}.")
        elif task == "remove":
            print(removed_gold_note(args.comparison_id, desk.remove_gold(actor, args.comparison_id)))
        elif task == "import":
            path = Path(args.file)
            marks = read_gold_file(path, args.format)
            with _rows_bar(args.progress):
                counts = desk.import_gold(actor, marks)
            print(f"Imported {path.name}: {gold_import_text(counts, 'comparison')}.")
            print(f"Database: {shown_database(settings)}", file=sys.stderr)
    finally:
        store.close()
