"""``judge-studio gold``: the gold (attention-check) comparisons of pairwise sessions, acting as admin on
this machine's database, as ``users`` does: list them, mark or unmark one, or import many from a CSV or
JSONL file in one all-or-nothing write.

The rows here are comparisons (pairwise gold: an answer of 1, 2 or tie). The file reader lives here
because only the command line reads gold files; the Admin desk checks every mark as the Admin page
checks one (``AdminDesk.import_gold``) and the store writes them in one transaction
(``Store.set_gold_many``), so a bad row leaves the gold table exactly as it was. Heavy modules (pandas,
SQLAlchemy) are imported when a command runs, never for ``--help``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cli.options import add_settings
from errors import InvalidInput
from settings import Settings

if TYPE_CHECKING:
    from annotation_store import GoldMark

#: The columns a gold file holds (others are ignored, e.g. ``dataset`` from ``gold list --json``).
COLUMNS = ("comparison_id", "verdict", "explanation")
VERDICTS = ("1", "2", "tie")
FILE_FORMATS = ("csv", "jsonl")
MAX_ID = 2**63 - 1  # ids are SQL BIGINTs: a larger number cannot exist and must not reach the driver
#: ``gold list`` shortens explanations to this many characters in its table (``--json`` has them whole).
TABLE_WIDTH = 70


def _comparison_id(text: str) -> int:
    """A comparison id on the command line: a whole number from 1 to 2^63-1 (argparse names the argument)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comparison id (a whole number), got {text!r}") from None
    if not 1 <= number <= MAX_ID:
        raise argparse.ArgumentTypeError(f"a comparison id is a whole number from 1 to {MAX_ID}, got {text}")
    return number


def add_gold(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Gold comparisons are attention checks: annotators of a session with a gold rate get them and see the "
        "explanation after a wrong answer. Acts as admin on this machine's database."
    )
    tasks = parser.add_subparsers(dest="gold_command", required=True, metavar="{list,set,remove,import}")
    listing = tasks.add_parser("list", help="every gold comparison: id, dataset, answer and explanation")
    add_settings(listing, "gold list")
    listing.add_argument("--dataset", help="only this dataset's gold comparisons")
    listing.add_argument("--json", action="store_true", help="print a JSON list of {comparison_id, dataset, ...}")
    mark = tasks.add_parser("set", help="mark a comparison as gold, or change its answer or explanation")
    add_settings(mark, "gold set")
    mark.add_argument("comparison_id", metavar="ID", type=_comparison_id, help="the comparison's id")
    mark.add_argument("verdict", choices=VERDICTS, help="the right answer: response 1, response 2 or tie")
    mark.add_argument(
        "--explanation", required=True, help="why that answer is right (annotators see it after a wrong answer)"
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
    load.add_argument("file", help="a .csv file (with a header line) or a .jsonl file (one JSON object a line)")
    load.add_argument("--format", choices=FILE_FORMATS, help="default from the file's suffix (.csv, .jsonl)")


# ---------------------------------------------------------------------- reading a gold file


class _Row:
    """One row of a gold file and its place, so every refusal says file, row and column."""

    def __init__(self, source: str, number: int, line: int, data: dict[str, Any]) -> None:
        self.source, self.number, self.line, self.data = source, number, line, data

    @property
    def where(self) -> str:
        return f"{self.source}, row {self.number} (line {self.line})"

    def fail(self, column: str, problem: str) -> NoReturn:
        raise InvalidInput(f"{self.where}, column {column!r}: {problem}; nothing was imported.")

    def mark(self) -> GoldMark:
        """The row as a gold mark; types are checked here, the answer and explanation by the Admin desk."""
        from annotation_store import GoldMark

        for column, value in self.data.items():  # a byte that is not UTF-8 was decoded as a lone surrogate
            if any(_undecoded(text) for text in (str(column), value if isinstance(value, str) else "")):
                self.fail(str(column), "not UTF-8 text (save the file as UTF-8)")
        for column in COLUMNS:
            if self.data.get(column) is None:
                self.fail(column, "missing")
        explanation = self.data["explanation"]
        if not isinstance(explanation, str):
            self.fail("explanation", f"expected text, got {_shown(explanation)}")
        return GoldMark(self._id(), self._verdict(), explanation, self.where)

    def _id(self) -> int:
        value = self.data["comparison_id"]
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("comparison_id", f"expected a whole number, got {_shown(value)}")
        if not 1 <= value <= MAX_ID:
            self.fail("comparison_id", f"expected a whole number from 1 to {MAX_ID}, got {value}")
        return value

    def _verdict(self) -> str:
        value = self.data["verdict"]
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # JSON 1 or 2; anything else is refused with the desk's message
        if not isinstance(value, str):
            self.fail("verdict", f"expected 1, 2 or tie, got {_shown(value)}")
        return value.strip().lower()


def _undecoded(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _shown(value: Any) -> str:
    text = repr(value)
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


def _csv_rows(path: Path, text: str) -> Iterator[_Row]:
    reader = csv.DictReader(text.splitlines(keepends=True), restkey="\0extra")
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        return
    reader.fieldnames = header
    for column in COLUMNS:
        if column not in header:
            shown = ", ".join(repr(name) for name in header)
            raise InvalidInput(
                f"{path.name}, line 1 (the header), column {column!r}: missing (the header names {shown}; a gold "
                f"file needs {', '.join(COLUMNS)}); nothing was imported."
            )
    for number, data in enumerate(reader, start=1):
        row = _Row(path.name, number, reader.line_num, data)
        if "\0extra" in data:
            row.fail(header[-1], "the row has more fields than the header (quote text that holds commas)")
        yield row


def _jsonl_rows(path: Path, text: str) -> Iterator[_Row]:
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
                f"{', '.join(COLUMNS)}, got {_shown(data)}; nothing was imported."
            )
        yield _Row(path.name, number, line_number, data)


_LAYOUT = {
    "csv": f"a header line naming {', '.join(COLUMNS)}, then one row per comparison",
    "jsonl": f"one JSON object a line, with {', '.join(COLUMNS)}",
}


def read_gold_file(path: Path, file_format: str | None = None) -> list[GoldMark]:
    """Every row of a gold file as a mark, or a refusal naming the file, the row and the column."""
    kind = file_format or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"{path.name}: name a .csv or .jsonl file, or give --format; nothing was imported.")
    text = _text(path)
    rows = _csv_rows(path, text) if kind == "csv" else _jsonl_rows(path, text)
    marks = [row.mark() for row in rows]
    if not marks:
        raise InvalidInput(
            f"{path.name}: the file holds no gold rows (expected {_LAYOUT[kind]}); nothing was imported."
        )
    return marks


# ---------------------------------------------------------------------- the command


def _printable(text: str, width: int | None = None) -> str:
    """One line of terminal text: control characters (a stored explanation may hold any) become spaces."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"


def _listing(marks: Any, as_json: bool, dataset: str | None) -> str:
    """``gold list``'s output: a table for people, or a JSON list for scripts (explanations whole)."""
    rows = [
        {
            "comparison_id": int(r.comparison_id),
            "dataset": r.dataset,
            "verdict": r.verdict,
            "explanation": r.explanation,
        }
        for r in marks.itertuples(index=False)
    ]
    if as_json:
        return json.dumps(rows, ensure_ascii=False)
    if not rows:
        return "No gold comparisons" + (f" in dataset {_printable(dataset)!r}." if dataset else ".")
    cells = [list(COLUMNS[:1]) + ["dataset", *COLUMNS[1:]]]
    for row in rows:
        shown = (row["dataset"], row["verdict"], _printable(row["explanation"], TABLE_WIDTH))
        cells.append([str(row["comparison_id"]), *(_printable(text) for text in shown)])
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = []
    for line in cells:  # the id right-aligned, the texts left-aligned
        pairs = enumerate(zip(line, widths, strict=True))
        padded = [cell.rjust(width) if i == 0 else cell.ljust(width) for i, (cell, width) in pairs]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def gold_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run one ``gold`` subcommand through the Admin desk, acting as admin (``Access.local_admin``)."""
    from orchestration import AdminDesk, Studio
    from orchestration.admin import removed_gold_note
    from orchestration.datasets import open_data_store

    store = open_data_store(settings)
    try:
        studio = Studio(settings, store=store)
        studio.access = studio.access.local_admin()  # the command line acts as admin, as `users` does
        desk, actor = AdminDesk(studio), None
        task = args.gold_command
        if task == "list":
            print(_listing(desk.gold_marks(actor, args.dataset), args.json, args.dataset))
        elif task == "set":
            desk.set_gold(actor, args.comparison_id, args.verdict, args.explanation)
            print(f"Comparison #{args.comparison_id} is gold: the answer is {args.verdict}.")
        elif task == "remove":
            print(removed_gold_note(args.comparison_id, desk.remove_gold(actor, args.comparison_id)))
        elif task == "import":
            path = Path(args.file)
            added, updated = desk.import_gold(actor, read_gold_file(path, args.format))
            print(f"Imported {path.name}: {added} comparison(s) marked gold, {updated} gold mark(s) changed.")
            print(f"Database: {settings.database}", file=sys.stderr)
    finally:
        store.close()
