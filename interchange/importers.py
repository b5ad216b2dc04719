"""Importers for public judge-evaluation data and for your own tables.

One function per format. Each reads one file, turns every record into plain records
(``annotation_store.store.Import*``), checks them, and hands them to ``Store.import_batch``, which
writes them in ONE transaction. So a bad record stops the import with the file, the record number
and the field in the message (``testset-v1.json, record 17 (idx 16), field 'annotator2': expected
0, 1 or 2, got 'x'``), and nothing of that import is kept.

Formats (``IMPORT_FORMATS``):

* ``pandalm-testset``: PandaLM's human test set (``testset-v1.json``); three annotators' labels.
* ``pandalm-judgments``: PandaLM-7B's or gpt-3.5's released judgments of that test set.
* ``pandalm-pipeline``: the inputs of PandaLM's ``EvaluationPipeline`` (``instruction, input``) and one
  file of responses per candidate model; every pair of candidates is compared on every input.
* ``llmbar-dataset`` / ``llmbar-results``: LLMBar's MT-Bench pairs and a judge's both-order verdicts.
* ``mtbench-questions`` / ``mtbench-reference`` / ``mtbench-answers``: FastChat's jsonl layouts.
* ``alpacaeval-outputs`` / ``alpacaeval-annotations``: AlpacaEval's ``model_outputs.json`` and
  ``annotations.json`` (preference 1 or 2; 0 means the outputs are identical, a draw, stored as a tie).
* ``jsonl`` / ``csv``: any table, with a column mapping. A file made by ``export --kind wide`` is read by
  itself (``WIDE_EXPORT_COLUMNS``): ``prompt_key`` as the key, every ``label:NAME`` column as NAME's labels,
  every ``judge:MODEL #N`` column (with ``:swapped`` and the probabilities) as one judge run, and
  ``annotator_kinds`` as the kinds of the annotators it creates; in a CSV with ``export_format`` 2 (s18 on) the
  export's formula guard is taken off every cell (``_unguard``; an older file is read as written). Every column an
  import does not read is named in its summary ("Columns not read: ...").

Judge outputs become judge runs whose fingerprint names the released outputs and the file, e.g.
``{"model": "PandaLM-7B (released outputs)", "profile": "imported (PandaLM file layout)", "source":
"pandalm-7b-testset-v1.json"}`` (``IMPORTED_PROFILES``: not made with Judge Studio's ``pandalm`` profile).
Outputs without a verdict (gpt-3.5's "garbage") are stored as unparsed, never as ties. Verdicts of a judge that
already has a run on the dataset (the same name, read from another file) go into that run when it has none on
those comparisons (``annotation_store.batch_import``, ``BatchWriter._run_for``: the rule of ``judge``).
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from analysis.verdicts import PROBABILITY_COLUMNS
from analysis.wording import counted
from annotation_store.batch_import import (
    ImportBatch,
    ImportComparison,
    ImportJudgeRun,
    ImportLabel,
    ImportPrompt,
    ImportReference,
    ImportResponse,
    ImportSummary,
    ImportVerdict,
)
from annotation_store.store import Store, StoreError
from interchange.formats import EXPORT_FORMAT_COLUMN, FILE_FORMATS, WIDE_EXPORT_FORMAT, judge_of_file

PANDALM_DATASET = "pandalm-testset-v1"
LLMBAR_DATASET = "llmbar-mt-bench"
MTBENCH_DATASET = "mt-bench"
ALPACAEVAL_DATASET = "alpaca-eval"

#: LLMBar does not name the models behind its outputs; these stand for "output_1" and "output_2".
LLMBAR_MODELS = ("llmbar-output_1", "llmbar-output_2")
#: Names that stand for response positions, not models: reports do not rank them as models.
# Suites whose two responses are positions, not models (rankings leave them out)
EVALBIASBENCH_MODELS = ("evalbiasbench-response1", "evalbiasbench-response2")
HHH_MODELS = ("hhh-response1", "hhh-response2")
POSITION_MODELS = (*LLMBAR_MODELS, *EVALBIASBENCH_MODELS, *HHH_MODELS)

IMPORT_FORMATS: dict[str, str] = FILE_FORMATS  # the names and descriptions: interchange.formats

#: Generic tables: the fields a column mapping may name (plus "label:<annotator>" for one column per person).
TABLE_FIELDS = (
    "key",
    "instruction",
    "input",
    "category",
    "reference",
    "model1",
    "model2",
    "response1",
    "response2",
    "label",
    "annotator",
    "verdict",
    "reason",
)

#: Label and verdict words understood in generic tables (case-insensitive). "0" is a tie as in PandaLM
#: and AlpacaEval; "model_a" / "model_b" / "tie (bothbad)" are Chatbot Arena's winners.
LABEL_WORDS: dict[str, str] = {
    "1": "1",
    "2": "2",
    "0": "tie",
    "tie": "tie",
    "a": "1",
    "b": "2",
    "model_a": "1",
    "model_b": "2",
    "tie (bothbad)": "tie",
}

_PANDALM_LABELS = {0: "tie", 1: "1", 2: "2"}


# ---------------------------------------------------------------------- records and their places


@dataclass
class _Record:
    """One record of a file and its place in it, so every message can say where the problem is."""

    source: str
    number: int  # 1-based
    data: dict[str, Any]
    line: int | None = None
    ident: str = ""
    file_columns: frozenset[str] = frozenset()  # a table's columns (any record's), for "this record has no ..."

    @property
    def where(self) -> str:
        extra = ", ".join(part for part in (f"line {self.line}" if self.line else "", self.ident) if part)
        return f"{self.source}, record {self.number}" + (f" ({extra})" if extra else "")

    def fail(self, field: str, problem: str) -> NoReturn:
        raise StoreError(f"{self.where}, field {field!r}: {problem}")

    def has(self, field: str) -> bool:
        return field in self.data

    def value(self, field: str) -> Any:
        if field not in self.data:
            self.fail(field, "missing")
        return self.data[field]

    def text(self, field: str, *, required: bool = True, nonempty: bool = False, coerce: bool = False) -> str:
        """The field as text. ``coerce``: JSON values that are not strings (``true``, numbers) become
        their JSON text and null becomes "" (PandaLM's test set has six responses that are ``true``)."""
        if field not in self.data:
            if required:
                self.fail(field, "missing")
            return ""
        value = self.data[field]
        if value is None and (coerce or not required):
            text = ""
        elif isinstance(value, str):
            text = value
        elif coerce:
            text = json.dumps(value, ensure_ascii=False)
        else:
            self.fail(field, f"expected text, got {_shown(value)}")
        if nonempty and not text.strip():
            self.fail(field, f"expected non-empty text, got {_shown(text)}")
        return text

    def integer(self, field: str) -> int:
        value = self.value(field)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        self.fail(field, f"expected a whole number, got {_shown(value)}")

    def key(self, field: str) -> str:
        """An identifier (question_id, idx): a whole number or a non-empty string, as text."""
        value = self.value(field)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.fail(field, f"expected an id (a number or non-empty text), got {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_BOM = b"\xef\xbb\xbf"
PARQUET_MAGIC = b"PAR1"  # a Parquet file's first (and last) four bytes


def not_utf8_message(name: str, raw: bytes, exc: UnicodeDecodeError, again: str = "import it again") -> str:
    """What a file that is not UTF-8 gets, on the command line and on the Admin page alike: the file, the
    line and byte of the first bad byte, and how to fix it. ``raw``: the file's bytes; ``exc``: from
    decoding them as ``utf-8-sig`` (which drops a leading BOM, so its offset lacks those 3 bytes).
    ``again``: "import it again" (command line) or "upload it again" (Admin page)."""
    offset = exc.start + (len(_BOM) if raw.startswith(_BOM) else 0)
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1  # in bytes, from 1: "byte 35" alone read as in-line
    return (
        f"{name} is not UTF-8 text (line {line}, column {column}: byte 0x{raw[offset]:02x}, byte {offset} of the "
        f"file). Save it as "
        f"UTF-8 (e.g. in a spreadsheet: “CSV UTF-8”) and {again}; nothing was imported."
    )


def read_utf8(path: Path, again: str = "import it again") -> str:
    """A file's text (a leading BOM dropped); a missing, unreadable or non-UTF-8 file is a StoreError whose
    message names the file by its name (``not_utf8_message`` for the encoding). The Admin page's upload
    check can call this with ``again="upload it again"``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file.") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if raw.startswith(PARQUET_MAGIC):  # export writes Parquet; import reads text (CSV, JSON, JSON Lines)
        raise StoreError(
            f"{path.name} is a Parquet file: import reads CSV, JSON and JSON Lines, not Parquet. Convert it first, "
            f"e.g. python -c \"import pandas as pd; pd.read_parquet('{path.name}').to_json('{path.stem}.jsonl', "
            f"orient='records', lines=True, force_ascii=False)\", and import the .jsonl file; nothing was imported."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StoreError(not_utf8_message(path.name, raw, exc, again)) from None


def _open_text(path: Path) -> str:
    return read_utf8(path)


def _json_list(path: Path, what: str) -> list[Any]:
    """A JSON file holding a list (``what`` says of what, for the message when it is not one)."""
    text = _open_text(path)
    if not text.strip():
        raise StoreError(f"{path.name}: the file is empty (a JSON list of {what} was expected); nothing was imported.")
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(not_json_message(path.name, text, exc)) from None
    if not isinstance(data, list):
        raise StoreError(f"{path.name}: expected a JSON list of {what}, got {type(data).__name__}.")
    return data


#: The formats that read JSON Lines (one JSON object a line), for the hint when a JSON format gets such a file.
JSON_LINES_FORMATS = ("jsonl", "mtbench-questions", "mtbench-reference", "mtbench-answers")


def not_json_message(name: str, text: str, exc: json.JSONDecodeError) -> str:
    """The refusal of a file a JSON-list (or object) format cannot read: where it stopped, the hint when it looks
    like JSON Lines or CSV, and "Nothing was imported." (every JSON format's reader says it so)."""
    hint = _json_lines_hint(text) if exc.msg == "Extra data" else _csv_hint(text)
    if isinstance(exc, _DuplicateKeyError):  # no position known; the key says which
        return f"{name}: {exc.msg} (one of them would be lost).{NOTHING_IMPORTED}"
    hint = trailing_comma_hint(exc) or hint
    return f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).{hint}{NOTHING_IMPORTED}"


def trailing_comma_hint(exc: json.JSONDecodeError, first_line: int = 1) -> str:
    """ " A trailing comma before line N? ..." when the JSON error is at a ``]`` or ``}`` right after a comma:
    JSON allows no comma there, and the parser's "Expecting value" pointed at the line after the comma without
    a word (s15 novice, finding 8). ``first_line``: the text's first line in its file (a JSON Lines record)."""
    text, pos = exc.doc, exc.pos
    if not isinstance(text, str) or pos >= len(text) or text[pos] not in "]}":
        return ""
    before = text[:pos].rstrip()
    if not before.endswith(","):
        return ""
    comma_line = first_line + before.count("\n")
    line = first_line + exc.lineno - 1
    where = f"line {line}" if comma_line != line else f"the {text[pos]!r} on line {line}"
    return (
        f" A trailing comma before {where}? (the comma on line {comma_line} is followed by {text[pos]!r}; "
        "JSON allows no comma before a closing bracket: remove it.)"
    )


def _json_list_hint(text: str) -> str:
    """ " This is one JSON list, not JSON Lines ..." when the whole text is one JSON list (LLMBar's
    dataset.json given to a JSON Lines format stopped at line 1 with "not valid JSON (Expecting value)")."""
    if text.lstrip()[:1] != "[":
        return ""
    try:
        whole = isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        whole = False
    return f" This is one JSON list, not JSON Lines: choose --format {' / '.join(JSON_FORMATS)}." if whole else ""


def _json_lines_hint(text: str) -> str:
    """ " This looks like JSON Lines ..." when the text's first two non-blank lines are each one JSON value
    (FastChat's ``question.jsonl`` given to a JSON-list format stops at line 2 with "Extra data")."""
    lines = [line for line in text.splitlines() if line.strip()][:2]
    try:
        whole = len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)
    except json.JSONDecodeError:
        whole = False
    if not whole:
        return ""
    formats = ", ".join(JSON_LINES_FORMATS)
    return f" This looks like JSON Lines, not one JSON list: choose a JSON Lines format: {formats}."


#: The formats that read one JSON list (or object), for the hint when a CSV format gets such a file: this
#: module's and the two benchmark readers' (``interchange.evalbiasbench``, ``interchange.hhh_alignment``,
#: named here because they import this module; ``orchestration.datasets.IMPORT_FORMATS`` lists all).
JSON_FORMATS = (
    *(name for name in IMPORT_FORMATS if name not in (*JSON_LINES_FORMATS, "csv")),
    "evalbiasbench",
    "hhh-alignment",
)
#: How every "wrong kind of file" message ends (after its hint), as the other refusals of a file say it.
NOTHING_IMPORTED = " Nothing was imported."


def _csv_hint(text: str) -> str:
    """ " This looks like CSV ..." when a JSON reader stops at the very start of a text whose first line holds
    commas or tabs and does not start as JSON does (a spreadsheet's CSV given to a JSON format)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first or first[0] in '[{"' or ("," not in first and "\t" not in first):
        return ""
    return " This looks like CSV (a header line of columns), not JSON: choose the csv format, with a column mapping."


def _json_hint(text: str) -> str:
    """ " This looks like JSON ..." for a CSV reader given a JSON list or object, or JSON Lines ('' otherwise):
    a JSON file read as CSV failed with "line 3 has 2 fields; the header has 1", which does not help."""
    start = text.lstrip()[:1]
    if start not in ("[", "{"):
        return ""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        if _json_lines_hint(text) or (start == "{" and _one_json_object(text.lstrip().splitlines()[0])):
            return f" This looks like JSON Lines, not CSV: choose a JSON Lines format: {', '.join(JSON_LINES_FORMATS)}."
        return ""
    return f" This looks like JSON, not CSV: choose a JSON format: {', '.join(JSON_FORMATS)}."


def _one_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _json_records(path: Path) -> list[_Record]:
    """A JSON file holding a list of objects."""
    return [_as_record(path.name, number, item) for number, item in enumerate(_json_list(path, "records"), start=1)]


def _jsonl_records(path: Path, *, lists: bool = False) -> list[_Record]:
    """A JSON-lines file (FastChat's layouts); blank lines are skipped. ``lists``: a file that is one JSON
    list of objects is read as its records (the generic ``jsonl`` table); otherwise it is refused with a hint."""
    records: list[_Record] = []
    text = _open_text(path)
    if not text.strip():
        raise StoreError(
            f"{path.name}: the file is empty (JSON Lines, one object a line, was expected); nothing was imported."
        )
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        number = len(records) + 1
        try:
            item = _loads(line)
        except json.JSONDecodeError as exc:
            if number == 1 and lists and _json_list_hint(text):
                return [_as_record(path.name, n, item) for n, item in enumerate(_loads(text), start=1)]
            if number == 1 and lists and text.lstrip()[:1] == "[":
                _whole_list_mistake(path.name, text)
            hint = (_json_list_hint(text) or _csv_hint(text)) if number == 1 else ""
            if isinstance(exc, _DuplicateKeyError):
                where = f"{path.name}, record {number} (line {line_number})"
                raise StoreError(f"{where}: {exc.msg} (one of them would be lost).{NOTHING_IMPORTED}") from None
            where = f"{path.name}, record {number} (line {line_number}, column {exc.colno})"
            hint = trailing_comma_hint(exc, line_number) or hint
            raise StoreError(f"{where}: not valid JSON ({exc.msg}).{hint}{NOTHING_IMPORTED}") from None
        if number == 1 and isinstance(item, list) and not lists:  # a one-line JSON list
            raise StoreError(
                f"{path.name}, record 1 (line {line_number}): expected a JSON object, got a list."
                f"{_json_list_hint(text)}{NOTHING_IMPORTED}"
            )
        if number == 1 and isinstance(item, list) and lists and _json_list_hint(text):
            return [_as_record(path.name, n, entry) for n, entry in enumerate(item, start=1)]
        records.append(_as_record(path.name, number, item, line_number))
    return records


def _whole_list_mistake(name: str, text: str) -> None:
    """Refuse a table that is one JSON list with a trailing comma as the JSON list it is (read as JSON Lines, it
    was "record 1 (line 1, column 2)"); nothing when its mistake is another."""
    try:
        _loads(text)
    except json.JSONDecodeError as exc:
        if trailing_comma_hint(exc):
            raise StoreError(not_json_message(name, text, exc)) from None


class _DuplicateKey(ValueError):
    """A JSON object naming one key twice (json keeps the last value without a word)."""


class _DuplicateKeyError(json.JSONDecodeError):
    """``_DuplicateKey`` as the JSON error every reader reports (its position is not known: the hook sees
    only the object's pairs)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _loads(text: str) -> Any:
    """``json.loads`` refusing an object that names a key twice, as a JSONDecodeError (so every reader's
    message says where): ``{"instruction": "first", "instruction": "second"}`` imported "second" silently."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise _DuplicateKeyError(f"the key {exc.args[0]!r} appears twice in one object", text, 0) from None


#: The longest CSV field read (1 GiB). Python's csv module stops at 128 KiB by default, but a model's
#: response can be longer, and the file's size is already bounded by the upload limit; the limit is
#: process-wide (``csv.field_size_limit``), so it is only ever raised, never lowered.
CSV_FIELD_LIMIT = 1 << 30


def _csv_records(path: Path) -> list[_Record]:
    """A CSV file with a header line; strict quoting, so a stray or unclosed quote is an error naming
    its record and line, not a field that silently swallows the rest of the file. A row with more or
    fewer fields than the header is refused by its line (``csv.DictReader`` would fill the gap with
    None or put the extras under a None column, and the message would blame a field instead)."""
    text = _open_text(path)
    if hint := _json_hint(text):
        raise StoreError(f"{path.name}: not a CSV file.{hint}{NOTHING_IMPORTED}")
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    header: list[str] | None = None
    records: list[_Record] = []
    last = 0  # the line the previous row ended on
    try:
        for row in reader:
            first, last = last + 1, reader.line_num
            if not row:  # a blank line, as DictReader skips
                continue
            if header is None:
                header = _csv_header(path.name, row)
                continue
            if len(row) != len(header):
                lines = f"line {last}" if first == last else f"lines {first}-{last}"
                raise StoreError(
                    f"{path.name}, record {len(records) + 1}: {lines} {'has' if first == last else 'have'} "
                    f"{len(row)} fields; the header has {len(header)}; nothing was imported."
                )
            records.append(_Record(path.name, len(records) + 1, dict(zip(header, row, strict=True)), last))
    except csv.Error as exc:  # line_num counts the lines of the records read before the bad one
        where = "the header" if header is None else f"record {len(records) + 1}"
        raise StoreError(
            f"{path.name}, {where} (starting at line {last + 1}): not valid CSV ({exc}); nothing was imported."
        ) from None
    if header is None:
        raise StoreError(f"{path.name}: the CSV file is empty (no header line).")
    return records


def _csv_header(name: str, row: list[str]) -> list[str]:
    """The header's column names; one named twice is refused (a dict would keep only its last value)."""
    separator = _other_separator(row)
    if separator:
        raise StoreError(
            f"{name}: this looks {separator}-separated (the header line is one column, {_shown(row[0])}): save it "
            "as CSV UTF-8 with commas (a spreadsheet: “CSV UTF-8 (comma delimited)”) and import it again; "
            "nothing was imported."
        )
    twice = sorted({column for column in row if row.count(column) > 1})
    if twice:
        raise StoreError(f"{name}, line 1: the header names column {twice[0]!r} twice; nothing was imported.")
    return row


_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _other_separator(header: list[str]) -> str:
    """ "semicolon" / "tab" / "pipe" when a header read with commas is one column that another separator
    splits (European spreadsheets write semicolons; TSV files tabs); '' otherwise."""
    if len(header) != 1:
        return ""
    try:
        found = csv.Sniffer().sniff(header[0], delimiters="".join(_SEPARATORS)).delimiter
    except csv.Error:
        return ""
    return _SEPARATORS.get(found, "") if len(header[0].split(found)) > 1 else ""


def _as_record(source: str, number: int, item: Any, line: int | None = None) -> _Record:
    if not isinstance(item, dict):
        place = f"{source}, record {number}" + (f" (line {line})" if line else "")
        shown = json.dumps(item, ensure_ascii=False)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise StoreError(f"{place}: expected a JSON object, got {shown}.{NOTHING_IMPORTED}")
    return _Record(source, number, item, line)


def _read(path: str | Path, reader: Callable[[Path], list[_Record]] = _json_records) -> tuple[Path, list[_Record]]:
    """The file and its records; a file without records is an error (there is nothing to import)."""
    file = Path(path)
    records = reader(file)
    if not records:
        raise StoreError(f"{file.name}: the file holds no records; nothing was imported.")
    return file, records


@dataclass
class _Collected:
    """What one file adds, gathered record by record; ``write`` hands it to the store as one batch."""

    prompts: list[ImportPrompt] = dataclasses.field(default_factory=list)
    responses: list[ImportResponse] = dataclasses.field(default_factory=list)
    comparisons: list[ImportComparison] = dataclasses.field(default_factory=list)
    labels: list[ImportLabel] = dataclasses.field(default_factory=list)

    def pair(self, key: str, first: tuple[str, str], second: tuple[str, str], where: str) -> None:
        """Two (model, response text) answers to prompt ``key`` and their comparison, ``first`` shown first."""
        self.responses += [ImportResponse(key, *first, where), ImportResponse(key, *second, where)]
        self.comparisons.append(ImportComparison(key, first[0], second[0], where))

    def write(self, store: Store, path: Path, dataset: str, mode: str, **extra: Any) -> ImportSummary:
        """Everything collected, in one transaction (``extra``: the other ImportBatch fields)."""
        return store.import_batch(
            ImportBatch(
                dataset=dataset,
                source=path.name,
                dataset_mode=mode,
                prompts=tuple(self.prompts),
                responses=tuple(self.responses),
                comparisons=tuple(self.comparisons),
                labels=tuple(self.labels),
                **extra,
            )
        )


def run_fingerprint(model: str, profile: str, source: str) -> tuple[str, dict[str, Any]]:
    """Fingerprint of imported judge outputs and its key (sha256 of the sorted JSON, 20 hex digits,
    as judge_runtime keys live judges): the same file imported again maps to the same judge run."""
    fingerprint = {"model": model, "profile": profile, "source": source}
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:20], fingerprint


#: The profile of a run made by importing released outputs, per file layout: those outputs were not made with Judge
#: Studio's profile of the layout's name (gpt-3.5's PandaLM judgments read "profile pandalm": s16 judgeshopper, 5).
IMPORTED_PROFILES = {
    "pandalm": "imported (PandaLM file layout)",
    "llmbar-vanilla-norules": "imported (LLMBar file layout)",
    "alpaca_eval": "imported (AlpacaEval file layout)",
}


def _judge_run(model: str, layout: str, source: str, verdicts: Iterable[ImportVerdict]) -> ImportJudgeRun:
    """An imported run: its profile says the outputs were imported, and in which file layout (``IMPORTED_PROFILES``);
    its key stays the one the layout's name gave before session 16, so a file imported again into an older home
    still maps to the run it made there."""
    key, fingerprint = run_fingerprint(model, layout, source)
    return ImportJudgeRun(key, {**fingerprint, "profile": IMPORTED_PROFILES.get(layout, layout)}, tuple(verdicts))


def _comparison_keys(store: Store, dataset: str) -> dict[str, tuple[str, str]]:
    """prompt key -> (model1, model2) for datasets with one comparison per prompt (PandaLM)."""
    table = store.comparison_table(dataset)
    return {str(row.prompt): (str(row.model1), str(row.model2)) for row in table.itertuples()}


# ---------------------------------------------------------------------- PandaLM


def _pandalm_label(record: _Record, field: str) -> str:
    value = record.value(field)
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip() in {"0", "1", "2"}:
        number = int(value.strip())
    if number not in _PANDALM_LABELS:
        record.fail(field, f"expected 0, 1 or 2, got {_shown(value)}")
    return _PANDALM_LABELS[number]


def _models_in_cmp_keys(records: Sequence[_Record]) -> set[str]:
    """Model names from the keys that hold exactly one underscore: those split without doubt."""
    names: set[str] = set()
    for record in records:
        key = record.data.get("cmp_key")
        if isinstance(key, str) and key.count("_") == 1:
            names.update(key.split("_"))
    return names


def _split_cmp_key(record: _Record, known: set[str], explicit: bool) -> tuple[str, str]:
    """``<model of response1>_<model of response2>``, split on the underscore between two known names
    (a model name may itself contain an underscore; dashes are common: ``cerebras-gpt-6.7B``)."""
    key = record.text("cmp_key", nonempty=True)
    parts = key.split("_")
    splits = [("_".join(parts[:i]), "_".join(parts[i:])) for i in range(1, len(parts))]
    if explicit or len(splits) != 1:
        splits = [(a, b) for a, b in splits if a in known and b in known]
    if len(splits) != 1 or not all(splits[0]):
        record.fail(
            "cmp_key",
            f"cannot tell the two model names apart in {key!r} (known models: {', '.join(sorted(known)) or 'none'}); "
            "name the models explicitly",
        )
    return splits[0]


def _pandalm_prompt(record: _Record, key: str) -> ImportPrompt:
    """PandaLM's context fields: ``instruction`` (text, may be blank when there is an input; one test set
    record, idx 466, has only an input), optional ``input`` and ``motivation_app`` (the category)."""
    instruction = record.text("instruction")
    context = record.text("input", required=False, coerce=True)
    if not instruction.strip() and not context.strip():
        record.fail("instruction", "the instruction and the input are both empty")
    category = record.text("motivation_app", required=False, coerce=True)
    return ImportPrompt(key=key, instruction=instruction, input=context, category=category, where=record.where)


def import_pandalm_testset(
    store: Store,
    path: str | Path,
    *,
    dataset: str = PANDALM_DATASET,
    annotator_prefix: str = "pandalm-",
    models: Sequence[str] | None = None,
) -> ImportSummary:
    """PandaLM's human-annotated test set: one comparison per record, three annotators' labels.

    Fields: ``idx, motivation_app, cmp_key, instruction, input, response1, response2, annotator1..3``
    with labels 0 = tie, 1 = response 1 better, 2 = response 2 better. The prompt key is ``idx``, the
    category ``motivation_app``, the two models come from ``cmp_key``; responses that are not strings
    (six are JSON ``true``) are stored as their JSON text. Annotators are named
    ``<annotator_prefix>annotator1`` etc. A dataset of the same name is refused as already imported.
    """
    path, records = _read(path)
    known = set(models) if models else _models_in_cmp_keys(records)
    seen: dict[int, int] = {}
    out = _Collected()
    for record in records:
        idx = record.integer("idx")
        record.ident = f"idx {idx}"
        if idx in seen:
            record.fail("idx", f"idx {idx} already appears in record {seen[idx]}")
        seen[idx] = record.number
        model1, model2 = _split_cmp_key(record, known, explicit=bool(models))
        if model1 == model2:
            record.fail("cmp_key", f"both responses are from {model1!r}")
        key, where = str(idx), record.where
        out.prompts.append(_pandalm_prompt(record, key))
        first, second = (model1, record.text("response1", coerce=True)), (model2, record.text("response2", coerce=True))
        out.pair(key, first, second, where)
        for n in (1, 2, 3):
            verdict = _pandalm_label(record, f"annotator{n}")
            out.labels.append(ImportLabel(key, model1, model2, f"{annotator_prefix}annotator{n}", verdict, where))
    description = f"PandaLM human-annotated test set ({path.name}), three annotators"
    return out.write(store, path, dataset, "new", description=description)


_PANDALM_RESULT_FIELDS = {"pandalm_result": ("pandalm", "PandaLM-7B"), "gpt_result": ("gpt", "gpt-3.5-turbo")}


def _pandalm_verdict(value: Any) -> str | None:
    """0 / "0" / "Tie" -> tie, 1 -> "1", 2 -> "2"; anything else ("garbage") has no verdict."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _PANDALM_LABELS.get(value)
    if isinstance(value, str):
        word = value.strip().lower()
        return {"0": "tie", "tie": "tie", "1": "1", "2": "2"}.get(word)
    return None


def import_pandalm_judgments(
    store: Store, path: str | Path, *, dataset: str = PANDALM_DATASET, judge: str | None = None
) -> ImportSummary:
    """A judge's released judgments of PandaLM's test set, as one judge run on the imported test set.

    PandaLM-7B's file has ``idx, pandalm_result (0/1/2), pandalm_reason, pandalm_reference``;
    gpt-3.5's ``idx, gpt_result ("1"/"2"/"Tie"/"garbage"), gpt_reason, gpt_reference``. A result that
    is no verdict ("garbage", anything unparseable) is stored as unparsed with the result as raw
    output: counting it as a tie would credit the judge with agreement it never expressed.
    ``judge`` names the model (default "PandaLM-7B" or "gpt-3.5-turbo" by the result field).
    """
    path, records = _read(path)
    first = records[0]
    field = next((f for f in _PANDALM_RESULT_FIELDS if first.has(f)), None)
    if field is None:
        first.fail("pandalm_result", "missing (expected a 'pandalm_result' or 'gpt_result' field)")
    prefix, default_judge = _PANDALM_RESULT_FIELDS[field]
    items = _comparison_keys(store, dataset)
    if not items:
        raise StoreError(
            f"{path.name}: dataset {dataset!r} has no comparisons; import the test set first "
            "(judge-studio import testset-v1.json --format pandalm-testset)."
        )
    seen: dict[int, int] = {}
    verdicts: list[ImportVerdict] = []
    absent: list[_Record] = []
    for record in records:
        idx = record.integer("idx")
        record.ident = f"idx {idx}"
        if idx in seen:
            record.fail("idx", f"idx {idx} already appears in record {seen[idx]}")
        seen[idx] = record.number
        if str(idx) not in items:  # a slice of the test set: its verdicts are imported, the rest named
            absent.append(record)
            continue
        model1, model2 = items[str(idx)]
        result = record.value(field)
        verdict = _pandalm_verdict(result)
        verdicts.append(
            ImportVerdict(
                prompt_key=str(idx),
                model1=model1,
                model2=model2,
                verdict=verdict,
                status="ok" if verdict else "unparsed",
                reason=record.text(f"{prefix}_reason", required=False, coerce=True),
                reference=record.text(f"{prefix}_reference", required=False, coerce=True),
                raw_output=result if isinstance(result, str) else json.dumps(result),
                where=record.where,
            )
        )
    note = _left_out(absent, verdicts, "idx", dataset, "an idx")
    model = f"{judge or default_judge} (released outputs)"
    run = _judge_run(model, "pandalm", path.name, verdicts)
    hint = " (import testset-v1.json with --format pandalm-testset first)"
    return _noted(_Collected().write(store, path, dataset, "existing", missing_hint=hint, judge_runs=(run,)), note)


def _left_out(absent: Sequence[_Record], verdicts: Sequence[ImportVerdict], field: str, dataset: str, what: str) -> str:
    """The one rule of the judgment importers for records whose item the dataset lacks (a judgments file of
    a whole benchmark imported into a slice of it): the others' verdicts are imported and these are left
    out, named in the summary's note; a file none of whose records matches is refused (the wrong dataset or
    file), naming its first record. ``what``: the item a record names ("an idx"). Returns the note ('':
    every record matched)."""
    if not absent:
        return ""
    first = absent[0]
    if not verdicts:
        first.fail(field, f"dataset {dataset!r} has no item for this record nor for any other; nothing was imported")
    n, shown = len(absent), f"record {first.number}" + (f", {first.ident}" if first.ident else "")
    records = "1 record names" if n == 1 else f"{n} records name"
    return f"{records} {what} that dataset {dataset!r} does not have (first: {shown}); left out."


def _noted(summary: ImportSummary, note: str) -> ImportSummary:
    """``summary`` with ``note`` after its counts (``TableImportSummary.describe``); as it is when ''."""
    if not note:
        return summary
    fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
    return TableImportSummary(**fields, notes=(note,))


# ---------------------------------------------------------------------- LLMBar


def _decisive_label(record: _Record, field: str) -> str:
    value = record.value(field)
    if not isinstance(value, bool) and str(value).strip() in {"1", "2"}:
        return str(value).strip()
    record.fail(field, f"expected 1 or 2, got {_shown(value)}")


def import_llmbar_dataset(
    store: Store, path: str | Path, *, dataset: str = LLMBAR_DATASET, annotator: str = "llmbar-human-majority"
) -> ImportSummary:
    """LLMBar's pairs (``input, output_1, output_2, label`` 1 or 2): one comparison per record.

    The prompt key is the record's position (0-based, as in the file); LLMBar does not name the models,
    so the outputs are attributed to ``llmbar-output_1`` / ``llmbar-output_2``. The label is already the
    human majority, stored as the labels of one annotator (``annotator``).
    """
    path, records = _read(path)
    model1, model2 = LLMBAR_MODELS
    out = _Collected()
    for record in records:
        key, where = str(record.number - 1), record.where
        out.prompts.append(ImportPrompt(key, record.text("input", nonempty=True), where=where))
        first, second = (model1, record.text("output_1", coerce=True)), (model2, record.text("output_2", coerce=True))
        out.pair(key, first, second, where)
        out.labels.append(ImportLabel(key, model1, model2, annotator, _decisive_label(record, "label"), where))
    description = f"LLMBar MT-Bench pairs ({path.name}), human majority labels, ties removed"
    summary = out.write(store, path, dataset, "new", description=description)
    if not records[0].has("results"):
        return summary
    # a judge's result.json repeats the pairs and labels: its verdicts are the part this format leaves out
    return _noted(summary, "This file also holds a judge's verdicts: import them with --format llmbar-results.")


def import_llmbar_results(
    store: Store, path: str | Path, *, dataset: str = LLMBAR_DATASET, judge: str | None = None
) -> ImportSummary:
    """One LLMBar judge's verdicts in both presentation orders (``<judge>/result.json``).

    Each record repeats ``input, output_1, output_2`` and holds ``results[-1]["swap = False"]["winner"]``
    and ``["swap = True"]["winner"]``, both already mapped back to the original order; they are stored
    as the run's verdicts with ``swapped`` False and True. Records are matched to the imported dataset
    by their texts (not by position), so a result file of another dataset cannot attach to wrong items.
    ``judge`` defaults to the folder name (``GPT-4``, ``LLaMA2``).
    """
    path, records = _read(path)
    judge_name = judge or judge_of_file(path) or "judge"
    table = store.comparison_texts(dataset)
    if table.empty:
        raise StoreError(
            f"{path.name}: dataset {dataset!r} has no comparisons; import LLMBar's dataset.json first "
            "(--format llmbar-dataset)."
        )
    items = {
        (row.instruction, row.response1, row.response2): (str(row.prompt), str(row.model1), str(row.model2))
        for row in table.itertuples()
    }
    verdicts: list[ImportVerdict] = []
    absent: list[_Record] = []
    for record in records:
        texts = (
            record.text("input", nonempty=True),
            record.text("output_1", coerce=True),
            record.text("output_2", coerce=True),
        )
        if texts not in items:  # a slice of LLMBar's set: its verdicts are imported, the rest named
            absent.append(record)
            continue
        key, model1, model2 = items[texts]
        results = record.value("results")
        if not isinstance(results, list) or not results or not isinstance(results[-1], dict):
            record.fail("results", f"expected a non-empty list of objects, got {_shown(results)}")
        for swapped in (False, True):
            name = f"swap = {swapped}"
            entry = results[-1].get(name)
            if not isinstance(entry, dict) or "winner" not in entry:
                record.fail(f'results[-1]["{name}"]', f"expected an object with a 'winner', got {_shown(entry)}")
            winner = entry["winner"]
            verdict = (
                str(winner).strip() if not isinstance(winner, bool) and str(winner).strip() in {"1", "2"} else None
            )
            completion = entry.get("completion")
            raw = (
                completion[0] if isinstance(completion, list) and completion and isinstance(completion[0], str) else ""
            )
            verdicts.append(
                ImportVerdict(
                    prompt_key=key,
                    model1=model1,
                    model2=model2,
                    verdict=verdict,
                    status="ok" if verdict else "unparsed",
                    swapped=swapped,
                    raw_output=raw or json.dumps(winner),
                    where=record.where,
                )
            )
    note = _left_out(absent, verdicts, "input", dataset, "a comparison (input and both outputs)")
    model = f"{judge_name} (released outputs)"
    run = _judge_run(model, "llmbar-vanilla-norules", path.name, verdicts)
    hint = " (import LLMBar's dataset.json with --format llmbar-dataset first)"
    return _noted(_Collected().write(store, path, dataset, "existing", missing_hint=hint, judge_runs=(run,)), note)


# ---------------------------------------------------------------------- pairing new answers with stored ones


def _pairings(
    new: Sequence[ImportResponse], store: Store, dataset: str, baseline: str | None
) -> list[ImportComparison]:
    """Comparisons for newly imported answers.

    With ``baseline``: each new answer against the baseline's answer to the same prompt (baseline
    shown first, as AlpacaEval does); without: against every other model's answer already there
    (the model already stored shown first). A pair that exists in either order is not added again.
    """
    present: dict[str, list[str]] = {}
    pairs: set[tuple[str, str, str]] = set()
    if dataset in store.dataset_names():
        for row in store.response_table(dataset).itertuples():
            present.setdefault(str(row.prompt), []).append(str(row.model))
        for row in store.comparison_table(dataset).itertuples():
            pairs.add((str(row.prompt), str(row.model1), str(row.model2)))
    comparisons: list[ImportComparison] = []

    def add(key: str, first: str, second: str, where: str) -> None:
        if first != second and (key, first, second) not in pairs and (key, second, first) not in pairs:
            pairs.add((key, first, second))
            comparisons.append(ImportComparison(key, first, second, where))

    for answer in new:
        key, model, where = answer.prompt_key, answer.model, answer.where
        others = present.setdefault(key, [])
        if baseline is None:
            for other in others:
                add(key, other, model, where)
        elif model == baseline:
            for other in others:
                add(key, baseline, other, where)
        elif baseline in others:
            add(key, baseline, model, where)
        if model not in others:
            others.append(model)
    return comparisons


# ---------------------------------------------------------------------- MT-Bench (FastChat jsonl)


def _turn_text(record: _Record, field: str, turns: Any, turn: int) -> str:
    if not isinstance(turns, list) or len(turns) < turn:
        record.fail(field, f"expected a list with at least {counted(turn, 'turn')}, got {_shown(turns)}")
    value = turns[turn - 1]
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _answer_turns(record: _Record) -> Any:
    choices = record.value("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        record.fail("choices", f"expected a non-empty list of objects, got {_shown(choices)}")
    return choices[0].get("turns")


#: FastChat's ``NEED_REF_CATS`` (fastchat/llm_judge/common.py): only questions of these categories get a reference
#: answer, and with it the math judge prompt (pair-math-v1). question.jsonl holds references of other categories
#: too (roleplay 95, extraction, stem) that FastChat's judge never shows (s15 benchmarker, finding 3).
MTBENCH_REFERENCE_CATEGORIES = ("math", "reasoning", "coding", "arena-hard-200")
_REFERENCE_CATEGORIES_SAID = "math, reasoning and coding"
#: Why ``--turn 2`` is refused (s15 benchmarker, finding 1): said by every MT-Bench importer.
MTBENCH_TURN2_REFUSED = (
    "MT-Bench turn 2 is not supported: a dataset holds one question and one answer per model, so the first "
    "question and both models' first answers would be lost and the judge would get the single-turn prompt, not "
    "FastChat's two-turn one (pair-v2-multi-turn). Import turn 1 (leave out --turn); nothing was imported."
)


def _mtbench_dataset(dataset: str | None, turn: int) -> str:
    if turn == 2:
        raise StoreError(MTBENCH_TURN2_REFUSED)
    if turn != 1:
        raise StoreError(f"MT-Bench has two turns; turn {turn} does not exist.")
    return dataset or MTBENCH_DATASET


def _questions_said(keys: Sequence[str]) -> str:
    """``question 95`` / ``questions 95, 131 and 134`` (every key: the line names each prompt)."""
    if len(keys) == 1:
        return f"question {keys[0]}"
    return f"questions {', '.join(keys[:-1])} and {keys[-1]}"


def _stored_references(store: Store, dataset: str) -> dict[str, str]:
    """prompt key -> its stored reference answer ('' when none) of ``dataset`` (empty when it does not exist)."""
    if dataset not in store.dataset_names():
        return {}
    table = store.prompt_table(dataset)
    return {
        str(key): ref if isinstance(ref, str) else "" for key, ref in zip(table["key"], table["reference"], strict=True)
    }


def _question_notes(dropped: Sequence[str], inline: Sequence[str]) -> str:
    """What ``import_mtbench_questions`` did with the file's references ('' when it holds none)."""
    notes = []
    if dropped:
        notes.append(
            f"The references of {_questions_said(dropped)} were not kept: FastChat's MT-Bench judge gives a reference "
            f"(and its math prompt, pair-math-v1) only to {_REFERENCE_CATEGORIES_SAID} questions."
        )
    if inline:
        notes.append(
            f"{counted(len(inline), 'question')} of {_REFERENCE_CATEGORIES_SAID} now hold this file's own reference; "
            "FastChat's judge uses reference_answer/gpt-4.jsonl's: import it with --format mtbench-reference "
            "(it replaces them)."
        )
    return " ".join(notes)


def import_mtbench_questions(
    store: Store, path: str | Path, *, dataset: str | None = None, turn: int = 1
) -> ImportSummary:
    """MT-Bench questions (``question_id, category, turns, reference?``) as prompts.

    Turn 1 only (dataset "mt-bench"): turn 2 is refused (``MTBENCH_TURN2_REFUSED``). A question's
    ``reference`` list gives the reference answer, kept only for FastChat's reference categories
    (``MTBENCH_REFERENCE_CATEGORIES``; the summary names the questions whose reference was left out).
    Questions already stored with the same text are skipped, so a second import adds nothing.
    """
    name = _mtbench_dataset(dataset, turn)
    path, records = _read(path, _jsonl_records)
    out = _Collected()
    seen: dict[str, int] = {}
    dropped: list[str] = []
    for record in records:
        key = record.key("question_id")
        record.ident = f"question_id {key}"
        if key in seen:
            record.fail("question_id", f"question {key} already appears in record {seen[key]}")
        seen[key] = record.number
        turns = record.value("turns")
        reference = None
        if record.data.get("reference") is not None:
            reference = _turn_text(record, "reference", record.data["reference"], turn) or None
        category = record.text("category", required=False)
        if reference and category.strip() not in MTBENCH_REFERENCE_CATEGORIES:
            dropped.append(key)
            reference = None
        out.prompts.append(
            ImportPrompt(
                key=key,
                instruction=_turn_text(record, "turns", turns, turn),
                category=category,
                reference=reference,
                where=record.where,
            )
        )
        if not out.prompts[-1].instruction.strip():
            record.fail("turns", f"turn {turn} is empty")
    stored = _stored_references(store, name)
    inline = [item.key for item in out.prompts if item.reference and not stored.get(item.key)]
    summary = out.write(store, path, name, "any", description=f"MT-Bench questions, turn {turn}")
    return _noted(summary, _question_notes(dropped, inline))


def _known_questions(store: Store, dataset: str, path: Path) -> set[str]:
    keys = set(store.prompt_table(dataset)["key"]) if dataset in store.dataset_names() else set()
    if not keys:
        raise StoreError(
            f"{path.name}: dataset {dataset!r} has no questions; "
            "import question.jsonl first (--format mtbench-questions)."
        )
    return keys


def import_mtbench_references(
    store: Store, path: str | Path, *, dataset: str | None = None, turn: int = 1
) -> ImportSummary:
    """Reference answers (FastChat's answer layout: ``question_id, choices[0].turns``) for stored questions.

    They replace the stored ones (question.jsonl's own, say); the summary counts the references replaced and
    added and names the questions whose reference changed. A reference for a question outside FastChat's
    reference categories (``MTBENCH_REFERENCE_CATEGORIES``) is left out, and said so.
    """
    name = _mtbench_dataset(dataset, turn)
    path, records = _read(path, _jsonl_records)
    known = _known_questions(store, name, path)
    categories = dict(
        zip(*(store.prompt_table(name)[column].astype(str) for column in ("key", "category")), strict=True)
    )
    stored = _stored_references(store, name)
    references: list[ImportReference] = []
    skipped: list[str] = []
    for record in records:
        key = record.key("question_id")
        record.ident = f"question_id {key}"
        if key not in known:
            record.fail("question_id", f"dataset {name!r} has no question {key}")
        text = _turn_text(record, "choices", _answer_turns(record), turn)
        if categories.get(key, "").strip() not in MTBENCH_REFERENCE_CATEGORIES:
            skipped.append(key)
            continue
        references.append(ImportReference(key, text, record.where))
    summary = _Collected().write(store, path, name, "existing", references=tuple(references))
    changed = [
        ref.prompt_key for ref in references if stored.get(ref.prompt_key) and stored[ref.prompt_key] != ref.reference
    ]
    notes = []
    if changed:
        notes.append(f"The reference answers of {_questions_said(changed)} were replaced by {path.name}'s.")
    if skipped:
        notes.append(
            f"{path.name}'s references of {_questions_said(skipped)} were left out: FastChat's MT-Bench judge gives "
            f"a reference only to {_REFERENCE_CATEGORIES_SAID} questions."
        )
    return _noted(summary, " ".join(notes))


def import_mtbench_answers(
    store: Store,
    path: str | Path,
    *,
    dataset: str | None = None,
    turn: int = 1,
    baseline: str | None = None,
    model: str | None = None,
) -> ImportSummary:
    """Model answers (``question_id, model_id, choices[0].turns``) and the comparisons they make.

    Each answer is compared with the ``baseline`` model's answer to the same question (FastChat's
    "pairwise-baseline") or, without a baseline, with every model already imported ("pairwise-all").
    ``model`` overrides ``model_id``. Answers already stored with the same text are skipped.
    """
    name = _mtbench_dataset(dataset, turn)
    path, records = _read(path, _jsonl_records)
    known = _known_questions(store, name, path)
    out = _Collected()
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        key = record.key("question_id")
        record.ident = f"question_id {key}"
        if key not in known:
            record.fail("question_id", f"dataset {name!r} has no question {key}")
        answerer = (model or record.text("model_id", nonempty=True)).strip()
        if (key, answerer) in seen:
            record.fail("question_id", f"{answerer} already answered question {key} in record {seen[(key, answerer)]}")
        seen[(key, answerer)] = record.number
        text = _turn_text(record, "choices", _answer_turns(record), turn)
        out.responses.append(ImportResponse(key, answerer, text, record.where))
    out.comparisons = _pairings(out.responses, store, name, baseline)
    return out.write(store, path, name, "existing")


# ---------------------------------------------------------------------- AlpacaEval


def alpaca_prompt_key(instruction: str) -> str:
    """AlpacaEval identifies an item by its instruction; the key is a short hash of it, so that
    model_outputs.json and annotations.json of any model land on the same prompts."""
    return "ae-" + hashlib.sha256(instruction.encode()).hexdigest()[:12]


#: The fields of a per-model outputs file (``alpacaeval-outputs``): AlpacaEval's names first, then the common
#: ``{"prompt", "response"}`` of "one outputs file per model" (s15 novice, finding 2).
ALPACA_OUTPUT_FIELDS = {"instruction": ("instruction", "prompt"), "output": ("output", "response")}


def _outputs_records(path: Path) -> list[_Record]:
    """A per-model outputs file: one JSON list (AlpacaEval's ``model_outputs.json``) or JSON Lines."""
    try:
        with path.open("rb") as file:  # the first bytes say which (the readers read it whole, and name errors)
            start = file.read(4096).removeprefix(_BOM).lstrip()
    except OSError:
        start = b""
    return _json_records(path) if start[:1] == b"[" else _jsonl_records(path)


def _output_field(record: _Record, field: str) -> str:
    """The record's name for ``field`` (``ALPACA_OUTPUT_FIELDS``): the first it has; refused naming both."""
    names = ALPACA_OUTPUT_FIELDS[field]
    found = next((name for name in names if record.has(name)), None)
    if found is None:
        has = _column_list(list(record.data)) or "none"
        other = ALPACA_OUTPUT_FIELDS["output" if field == "instruction" else "instruction"]
        record.fail(
            names[0],
            f"missing: a per-model outputs file needs {' or '.join(map(repr, names))} in every record (and "
            f"{' or '.join(map(repr, other))}); this record's fields are {has}.{NOTHING_IMPORTED}",
        )
    return found


def _one_model_note(store: Store, out: _Collected, dataset: str, baseline: str | None) -> str:
    """Why a per-model outputs import made no comparison ('' when it made some): the other model's file is
    still to come (the first of two checkpoint files made a dataset without comparisons silently: s15 novice,
    finding 7)."""
    if out.comparisons:
        return ""
    models = {r.model for r in out.responses}
    if dataset in store.dataset_names():
        models |= {str(m) for m in store.response_table(dataset)["model"]}
    command = f"judge-studio import FILE --format alpacaeval-outputs --dataset {dataset} --model NAME"
    if baseline and baseline not in models:
        return (
            f"No comparisons yet: the baseline {baseline!r} has no outputs in dataset {dataset!r}; import its file "
            f"({command.replace('NAME', baseline)}) and the comparisons are made."
        )
    if len(models) != 1:
        return ""
    return (
        f"No comparisons yet: dataset {dataset!r} holds one model's outputs ({next(iter(models))!r}); import the "
        f"second model's file ({command}) and each prompt's two outputs become a comparison."
    )


def import_alpacaeval_outputs(
    store: Store,
    path: str | Path,
    *,
    dataset: str = ALPACAEVAL_DATASET,
    model: str | None = None,
    baseline: str | None = None,
) -> ImportSummary:
    """One model's outputs: AlpacaEval's ``model_outputs.json`` (``instruction, output, generator, dataset``) or
    any per-model file, a JSON list or JSON Lines, with ``prompt`` / ``response`` in place of ``instruction`` /
    ``output`` (``ALPACA_OUTPUT_FIELDS``); ``model`` names the model when the records have no ``generator``.

    The category is AlpacaEval's ``dataset`` field (helpful_base, koala, ...). Comparisons are made as
    for MT-Bench answers: against ``baseline`` (AlpacaEval's reference model, shown first) or, without
    one, against every model already imported; the first model's file makes none, and its summary says so.
    """
    path, records = _read(path, _outputs_records)
    out = _Collected()
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        asked, said = _output_field(record, "instruction"), _output_field(record, "output")
        instruction = record.text(asked, nonempty=True)
        key = alpaca_prompt_key(instruction)
        if model is None and not record.has("generator"):
            record.fail("generator", f"missing: name the model with --model NAME.{NOTHING_IMPORTED}")
        generator = (model or record.text("generator", nonempty=True)).strip()
        if (key, generator) in seen:
            record.fail(asked, f"{generator} already answered this instruction in record {seen[(key, generator)]}")
        seen[(key, generator)] = record.number
        category = record.text("dataset", required=False, coerce=True)
        out.prompts.append(ImportPrompt(key, instruction, category=category, where=record.where))
        out.responses.append(ImportResponse(key, generator, record.text(said, coerce=True), record.where))
    out.comparisons = _pairings(out.responses, store, dataset, baseline)
    note = _one_model_note(store, out, dataset, baseline)
    return _noted(out.write(store, path, dataset, "any", description="AlpacaEval"), note)


def _alpaca_preference(record: _Record) -> str | None:
    """1 -> "1", 2 -> "2", 0 -> tie (AlpacaEval writes 0 when both outputs are identical: a draw),
    1.5 -> tie (a draw in AlpacaEval's human annotations); null / NaN -> no verdict (unparsed)."""
    value = record.value("preference")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found = {0: "tie", 1: "1", 1.5: "tie", 2: "2"}.get(value)
        if found is not None:
            return found
    record.fail(
        "preference",
        f"expected 1, 2, 0 (identical outputs) or 1.5 (a draw), got {_shown(value)} "
        "(continuous preferences of weighted annotators are not supported)",
    )


def import_alpacaeval_annotations(
    store: Store, path: str | Path, *, dataset: str = ALPACAEVAL_DATASET
) -> ImportSummary:
    """``annotations.json``: an auto-annotator's preferences, one judge run per ``annotator`` value.

    Records hold ``instruction, output_1, generator_1, output_2, generator_2, annotator, preference``;
    prompts, both outputs and the comparison (generator_1 shown first) are added when missing.
    Preference 0 means the two outputs are identical and AlpacaEval counts it as a draw, so it is
    stored as a tie (not as "no verdict"). ``time_per_example`` becomes the verdict's latency.
    """
    path, records = _read(path)
    out = _Collected()
    verdicts: dict[str, list[ImportVerdict]] = {}
    for record in records:
        instruction = record.text("instruction", nonempty=True)
        key, where = alpaca_prompt_key(instruction), record.where
        generator1 = record.text("generator_1", nonempty=True).strip()
        generator2 = record.text("generator_2", nonempty=True).strip()
        if generator1 == generator2:
            record.fail("generator_2", f"both outputs are from {generator1!r}")
        category = record.text("dataset", required=False)
        out.prompts.append(ImportPrompt(key, instruction, category=category, where=where))
        first = (generator1, record.text("output_1", coerce=True))
        out.pair(key, first, (generator2, record.text("output_2", coerce=True)), where)
        annotator = record.text("annotator", nonempty=True).strip()
        verdict = _alpaca_preference(record)
        latency = record.data.get("time_per_example")
        raw = record.data.get("raw_completion")
        verdicts.setdefault(annotator, []).append(
            ImportVerdict(
                prompt_key=key,
                model1=generator1,
                model2=generator2,
                verdict=verdict,
                status="ok" if verdict else "unparsed",
                raw_output=raw if isinstance(raw, str) else json.dumps(record.data["preference"]),
                latency_s=float(latency)
                if isinstance(latency, (int, float)) and not isinstance(latency, bool)
                else 0.0,
                where=where,
            )
        )
    runs = tuple(
        _judge_run(f"{annotator} (released annotations)", "alpaca_eval", path.name, items)
        for annotator, items in verdicts.items()
    )
    return out.write(store, path, dataset, "any", description="AlpacaEval", judge_runs=runs)


# ---------------------------------------------------------------------- PandaLM pipeline inputs


def _candidate_records(path: Path) -> list[_Record]:
    """A candidate's output file: a JSON list of response strings, each read as field 'response'."""
    data = _json_list(path, "responses (strings)")
    return [_Record(path.name, number, {"response": item}) for number, item in enumerate(data, start=1)]


def import_pandalm_pipeline(
    store: Store,
    path: str | Path,
    *,
    candidates: Sequence[tuple[str, str | Path]],
    dataset: str | None = None,
) -> ImportSummary:
    """The inputs of PandaLM's ``EvaluationPipeline`` and its candidates' outputs, compared pairwise.

    ``path`` is PandaLM's ``input_data_path``: a JSON list of objects with ``instruction`` (required,
    text) and ``input`` (optional; ``motivation_app``, when present, becomes the category), e.g.
    ``pipeline-sanity-check.json``. ``candidates`` are (model name, file) pairs; each file is a JSON
    list of response strings aligned with the inputs (response i answers input i), as PandaLM's
    pipeline reads candidate outputs. The prompt key is the input's 0-based position. Every pair of
    candidates is compared on every input (the earlier-named candidate shown first, as PandaLM's
    ``combinations`` order); candidates added to a dataset that already holds other candidates'
    responses are also compared with those. ``dataset`` defaults to the input file's name without
    suffix; only a dataset named with ``dataset`` is added to when it exists (``refuse_unnamed_existing``,
    as the table import). Importing the same files again into the named dataset adds nothing. A record
    that is not so (an input without an instruction, a candidate with more or fewer responses than
    inputs, a response that is not text) stops the import with the file, record number and field; nothing of it is kept.
    """
    path = Path(path)
    if not candidates:
        raise StoreError(f"{path.name}: name the candidates' output files (--candidate MODEL=FILE, repeated).")
    names = [name for name, _ in candidates]
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise StoreError(f"{path.name}: a candidate needs a model name (--candidate MODEL=FILE), got {name!r}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise StoreError(f"{path.name}: candidate {repeated[0]!r} is named twice; give each candidate its own name.")
    path, records = _read(path)
    name = dataset or path.stem
    refuse_unnamed_existing(store, path, dataset)
    out = _Collected()
    out.prompts = [_pandalm_prompt(record, str(record.number - 1)) for record in records]
    answers: dict[str, list[ImportResponse]] = {}
    for model, file in candidates:
        file = Path(file)
        outputs = _candidate_records(file)
        if len(outputs) != len(records):
            number = min(len(outputs), len(records)) + 1
            problem = "missing" if len(outputs) < len(records) else "no input for it"
            raise StoreError(
                f"{file.name}, record {number}, field 'response': {problem} ({len(outputs)} responses for the "
                f"{len(records)} inputs of {path.name}; a candidate needs exactly one response per input, in order)"
            )
        answers[model] = [
            ImportResponse(str(output.number - 1), model, output.text("response"), output.where) for output in outputs
        ]
    out.responses = [answers[model][index] for index in range(len(records)) for model in names]
    out.comparisons = _pairings(out.responses, store, name, None)
    if not out.comparisons and name not in store.dataset_names():
        raise StoreError(
            f"{path.name}: one candidate ({names[0]!r}) has nothing to be compared with; name two or more."
        )
    description = f"PandaLM pipeline inputs ({path.name}) and candidates {', '.join(names)}"
    return out.write(store, path, name, "any", description=description)


def parse_candidates(values: Iterable[str]) -> list[tuple[str, str]]:
    """``["alpaca=a.json", "b.json"]`` -> [("alpaca", "a.json"), ("b", "b.json")] (the CLI's
    ``--candidate MODEL=FILE``; without ``MODEL=`` the file name without suffix names the model)."""
    parsed: list[tuple[str, str]] = []
    for value in values:
        model, sep, file = value.partition("=")
        if not sep:
            model, file = Path(value).stem, value
        if not model.strip() or not file.strip():
            raise StoreError(f"Candidate {value!r} is not MODEL=FILE.")
        parsed.append((model.strip(), file))
    return parsed


# ---------------------------------------------------------------------- which real file is it?

#: Released files told apart by their first record's fields: (fields it has, fields it lacks, what it is, the
#: formats that read it). The first that fits names the file in ``looks_like``.
_LAYOUTS: tuple[tuple[frozenset[str], frozenset[str], str, tuple[str, ...]], ...] = tuple(
    (frozenset(has.split()), frozenset(lacks.split()), what, tuple(formats.split()))
    for has, lacks, what, formats in (
        ("idx cmp_key annotator1", "", "PandaLM's test set (testset-v1.json)", "pandalm-testset"),
        ("idx pandalm_result", "", "PandaLM-7B's released judgments", "pandalm-judgments"),
        ("idx gpt_result", "", "gpt-3.5's released PandaLM judgments", "pandalm-judgments"),
        ("input output_1 output_2 results", "", "an LLMBar judge's result.json", "llmbar-results"),
        ("input output_1 output_2 label", "results", "LLMBar's dataset.json", "llmbar-dataset"),
        ("question_id turns", "", "MT-Bench questions (question.jsonl)", "mtbench-questions"),
        ("question_id choices", "", "MT-Bench answers", "mtbench-answers mtbench-reference"),
        (
            "instruction output_1 output_2 generator_1 preference",
            "",
            "AlpacaEval annotations.json",
            "alpacaeval-annotations",
        ),
        ("instruction output generator", "", "AlpacaEval model_outputs.json", "alpacaeval-outputs"),
        (
            "chosen_instruction rejected_instruction source",
            "",
            "HHH alignment (hhh_alignment_eval.json)",
            "hhh-alignment",
        ),
        ("bias instruction response1 response2", "", "EvalBiasBench (biasbench.json)", "evalbiasbench"),
    )
)


def _first_object(text: str) -> dict[str, Any] | None:
    """The first record of a JSON list, of EvalBiasBench's object of lists, or of JSON Lines (None: none)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        line = next((line for line in text.splitlines() if line.strip()), "")
        return _first_object(line) if line.strip() and line.strip() != text.strip() else None
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        data = next(iter(data.values()))
    if isinstance(data, list):
        data = data[0] if data else None
    return data if isinstance(data, dict) else None


def looks_like(path: str | Path, fmt: str) -> str:
    """ " This looks like X: try --format Y." when ``path`` is a released benchmark file that another format
    than ``fmt`` reads (the hint a refused import adds); '' when it is not recognised or ``fmt`` reads it."""
    found = released_layout(path)
    if found is None or fmt in found[1]:
        return ""
    what, formats = found
    return f" This looks like {what}: try --format {' or '.join(formats)}."


def released_layout(path: str | Path) -> tuple[str, tuple[str, ...]] | None:
    """(what the file is, the formats that read it) when its first record has a released benchmark file's fields
    (``_LAYOUTS``); None when it is not recognised or cannot be read."""
    try:
        raw = Path(path).read_bytes()
        first = _first_object(raw.decode("utf-8-sig")) if not raw.startswith(PARQUET_MAGIC) else None
    except (OSError, UnicodeDecodeError):
        return None
    fields = set(first or ())
    for has, lacks, what, formats in _LAYOUTS:
        if has <= fields and not lacks & fields:
            return what, formats
    return None


# ---------------------------------------------------------------------- generic tables


def _table_records(path: Path, file_format: str | None) -> list[_Record]:
    kind = (file_format or path.suffix.lstrip(".")).lower()
    if kind in {"jsonl", "ndjson"}:
        return _jsonl_records(path, lists=True)
    if kind == "csv":
        return _csv_records(path)
    if kind == "json":
        return _json_records(path)
    raise StoreError(f"{path.name}: unknown table format {kind!r}; use jsonl, csv or json.")


def _column_list(columns: Sequence[Any]) -> str:
    """ "'id', 'q', 'a'": a file's column names for a message (the first 30, then how many more)."""
    names = [repr(str(name)) for name in columns]
    return ", ".join(names[:30]) + (f" and {len(names) - 30} more" if len(names) > 30 else "")


def _no_column(record: _Record, column: str, field: str = "") -> NoReturn:
    """A mapped column the record lacks: name the columns it has, since the mapping is the likely mistake."""
    has = _column_list(list(record.data)) or "none"
    mapped = f" (mapped to {field})" if field and field != column else ""
    if column in record.file_columns:  # other records have it: this one lacks it (a JSON Lines record)
        raise StoreError(
            f"{record.where} has no {column!r}{mapped}, which other records of the file have; this record's fields "
            f"are {has}. Nothing was imported."
        )
    record.fail(column, f"missing: the file has no column {column!r}{mapped}; its columns are {has}.{NOTHING_IMPORTED}")


def _cell(record: _Record, column: str) -> Any:
    if column not in record.data:
        _no_column(record, column)
    value = record.value(column)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


#: Fields that name something (an item, a model, a person): a JSON number is read as its text, since
#: many files number their items (PandaLM's ``idx``, FastChat's ``question_id``) and checkpoints (``step``).
#: Every other field holds text someone wrote: a number, list, object or true/false there is a mistake in
#: the file (a list stored as the text '["list"]' would be judged as such), so it is refused.
_NAME_FIELDS = ("key", "model1", "model2", "annotator")
#: Fields whose null means "empty" (a missing input or category); a null instruction or response is refused.
_OPTIONAL_FIELDS = ("input", "category", "reference", "reason")


def _kind(value: Any) -> str:
    """A JSON value's kind for a message: "a list (['x'])", "a number (123)", "null", "true"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    kind = "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "a number"
    return f"{kind} ({_shown(value)})"


@dataclass(frozen=True)
class _MappedRecord:
    """A table record read through the column mapping: fields by name, messages by column."""

    record: _Record
    mapping: Mapping[str, str]

    def text(self, field: str, *, required: bool = True, nonempty: bool = False) -> str:
        if field not in self.mapping:
            return ""
        column = self.mapping[field]
        if column not in self.record.data:
            if required:
                _no_column(self.record, column, field)
            return ""
        value = self.record.data[column]
        if value is None and field in _OPTIONAL_FIELDS:
            return ""
        if isinstance(value, int) and not isinstance(value, bool) and field in _NAME_FIELDS:
            value = str(value)
        if not isinstance(value, str):
            empty = ' (write "" for an empty response)' if value is None and field.startswith("response") else ""
            self.record.fail(column, f"expected text, got {_kind(value)}{empty}")
        if nonempty and not value.strip():
            self.record.fail(column, f"expected non-empty text, got {_shown(value)}")
        return value


def _word(value: Any) -> str:
    return str(value).strip().lower() if value is not None and not isinstance(value, bool) else ""


@dataclass(frozen=True)
class TableFieldWords:
    """How a table import's refusals name the options that would fix them, on the surface that asked: by default
    the command line's flags and the Admin page's fields (both see these messages); REST's form fields are its own
    (``orchestration.admin.REST_FIELDS``). ``mapped``: mapping a field (``{field}``) to a column; ``named``: naming
    a response's model (``{field}`` model1 or model2, ``{n}`` 1 or 2); ``judge``: naming the judge."""

    mapped: str = "command line: --map {field}=COLUMN; Admin page: {field}=COLUMN in the column mapping"
    named: str = "command line: --{field} NAME; Admin page: 'Model {n} name'"
    judge: str = "command line: --judge NAME; Admin page: 'Judge name'"


#: The command line's and the Admin page's words (``TableFieldWords``' defaults).
TABLE_WORDS = TableFieldWords()


@dataclass(frozen=True)
class _TableColumns:
    """How a generic table is read: the column mapping and the constants standing in for columns."""

    mapping: Mapping[str, str]
    model1: str | None
    model2: str | None
    annotator: str
    judge: str | None
    words: Mapping[str, str]
    said: TableFieldWords = TABLE_WORDS  # how the refusals name the options (the surface's words)

    @property
    def people(self) -> list[tuple[str, str]]:
        """(annotator name or "" for a long table's ``annotator`` column, label column) per label column."""
        people = [(f.split(":", 1)[1], column) for f, column in self.mapping.items() if f.startswith("label:")]
        if "label" in self.mapping:
            people.append(("", self.mapping["label"]))
        return people

    def check(self) -> None:
        """Refuse a mapping that cannot work, before the file is read."""
        mapping = self.mapping
        unknown = [f for f in mapping if f not in TABLE_FIELDS and not f.startswith("label:")]
        if unknown:
            raise StoreError(
                f"Unknown {'field' if len(unknown) == 1 else 'fields'} {', '.join(unknown)} in the column mapping; "
                f"fields: {', '.join(TABLE_FIELDS)}."
            )
        by_column: dict[str, list[str]] = {}
        for name, column in mapping.items():
            by_column.setdefault(column, []).append(name)
        shared = next(((column, names) for column, names in by_column.items() if len(names) > 1), None)
        if shared:
            raise StoreError(
                f"Column {shared[0]!r} is mapped to {' and '.join(shared[1])}: a column holds one field (map each "
                "field to its own column); nothing was imported."
            )
        if "verdict" in mapping and not self.judge:
            raise StoreError(f"A verdict column needs the judge's name ({self.said.judge}).")

    def by_name(self, columns: Sequence[str]) -> tuple[_TableColumns, list[str]]:
        """The mapping completed with the file's columns named exactly like a field (``instruction``,
        ``response1``, ...), so a file in our own field names needs no mapping; and the notes to show.

        What the user said wins: a field already mapped, a column already used, ``--model1`` /
        ``--model2`` given as names, or ``label:<name>`` columns (then a ``label`` column is no person's).
        A ``verdict`` column needs a judge's name, so without ``--judge`` it is left out, with a note."""
        mapping, notes = dict(self.mapping), []
        used = set(mapping.values())
        skip = {"model1"} if self.model1 else set()
        skip |= {"model2"} if self.model2 else set()
        skip |= {"label"} if any(f.startswith("label:") for f in mapping) else set()
        skip |= {"annotator"} if self.annotator != "imported" else set()
        if not self.judge:
            skip |= {"verdict", "reason"}
            if "verdict" in columns and "verdict" not in used and "verdict" not in mapping:
                notes.append("The column 'verdict' was not imported: name its judge (--judge NAME) to import it.")
        found = [f for f in TABLE_FIELDS if f in columns and f not in mapping and f not in used and f not in skip]
        found = [f for f in found if f != "reason" or "verdict" in mapping or "verdict" in found]
        if found:
            notes.insert(0, f"Columns read by their names: {', '.join(found)}.")
        mapping.update({f: f for f in found})
        return dataclasses.replace(self, mapping=mapping), notes

    def check_file(self, source: str, columns: Sequence[str]) -> None:
        """Refuse a mapping that leaves a required field without a column, naming the file's columns."""
        mapping = self.mapping
        missing = [f for f in ("instruction", "response1", "response2") if f not in mapping]
        if missing:  # a column already read as another field is no suggestion (both responses the same text)
            used = set(mapping.values())
            raise StoreError(_unmapped(source, missing, columns, [c for c in columns if c not in used]))
        for field, constant in (("model1", self.model1), ("model2", self.model2)):
            if field not in mapping and not constant:
                mapped, named = (
                    words.format(field=field, n=field[-1]) for words in (self.said.mapped, self.said.named)
                )
                raise StoreError(
                    f"Say which model wrote response {field[-1]}: map {field} to a column ({mapped}) "
                    f"or name the model ({named})."
                )


def _header_matches(column: str, found: Sequence[str]) -> list[str]:
    """The file's columns that the mapping's ``column`` names: itself; else those equal to it once surrounding
    spaces are trimmed (an exported sheet's ``Prompt `` cannot be typed on the Admin page, whose fields are
    trimmed: s15 novice, finding 3); else those equal ignoring case as well. More than one: ambiguous."""
    if column in found:
        return [column]
    for same in (str.strip, lambda name: name.strip().casefold()):
        hits = [name for name in found if same(name) == same(column)]
        if hits:
            return hits
    return []


def _spaces_said(name: str) -> str:
    """ "'Prompt ' (with a trailing space)": a column name for a message, its surrounding spaces named."""
    around = [where for where, edge in (("leading", name[:1]), ("trailing", name[-1:])) if edge.isspace()]
    return repr(name) + (f" (with a {' and a '.join(around)} space)" if around else "")


def matched_columns(source: str, mapping: Mapping[str, str], found: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``mapping`` with each column replaced by the file's column it names (``_header_matches``), and the notes
    saying which were read by a trimmed or case-blind match. A mapped column the header lacks is refused as a
    header problem with the near match (not as "record 1 (line 4), field 'Prompt': missing")."""
    resolved, notes = dict(mapping), []
    for field, column in mapping.items():
        hits = _header_matches(column, found)
        if len(hits) == 1:
            if hits[0] != column:
                notes.append(f"The column {_spaces_said(hits[0])} was read as {field} (mapped as {column!r}).")
            resolved[field] = hits[0]
            continue
        near = hits or difflib.get_close_matches(column.strip(), [name.strip() for name in found], n=2, cutoff=0.6)
        near = [name for name in found if name in near or name.strip() in near][:3]
        guess = f" Did you mean {' or '.join(_spaces_said(name) for name in near)}?" if near else ""
        what = "names more than one column once spaces and case are ignored" if hits else "is not in the header"
        raise StoreError(
            f"{source}: the column mapping's {column!r} (for {field}) {what}: the header's columns are "
            f"{_column_list(found) or 'none'}.{guess} Map {field} to the column as the header spells it; "
            "nothing was imported."
        )
    return resolved, notes


def _unmapped(source: str, missing: Sequence[str], columns: Sequence[str], free: Sequence[str]) -> str:
    """The message for required fields without a column: the file's columns and the --map lines to add
    (with a column whose name is close to the field's, e.g. ``Instruction``, when the file has one among
    ``free``, the columns no other field reads; each column suggested once, since a column holds one field).
    A file with one response column for two responses and too few columns left is one model's outputs: the
    message names the per-model format instead of a mapping that would then be refused (s15 novice, finding 2)."""
    lines, left = [], [str(c) for c in free]
    for field in missing:
        same = [c for c in left if c.lower() == field]
        close = same or difflib.get_close_matches(field, left, n=1, cutoff=0.75)
        if close:
            left.remove(close[0])
        lines.append(f"--map {field}={close[0] if close else 'COLUMN'}")
    shown = _column_list(columns)
    said = f"{source}: no column for {', '.join(missing)} (a column named like the field is read by itself); "
    said += f"the file's columns are {shown or 'none'}."
    responses = [line for line in lines if line.startswith("--map response")]
    unfilled = sum(line.endswith("=COLUMN") for line in lines)
    if len(responses) == 2 and sum(line.endswith("=COLUMN") for line in responses) == 1 and len(left) < unfilled:
        return (
            f"{said} It looks like one model's outputs (one response column): import each model's file with "
            "--format alpacaeval-outputs --model NAME into one --dataset (a JSON list or JSON Lines with prompt "
            "and response, or instruction and output, in every record); the second file's import makes the "
            "comparisons. Or put both models' responses in one file, in two columns; nothing was imported."
        )
    return (
        f"{said} Add {' '.join(lines)} (Admin page: "
        f"{', '.join(line.removeprefix('--map ') for line in lines)} in the column mapping); nothing was imported."
    )


@dataclass(frozen=True)
class TableImportSummary(ImportSummary):
    """A table import's summary and what the reading noticed without refusing the file (duplicate
    records skipped, empty responses, columns read by their names): the command line and the Admin
    page both print ``describe()``, so both show the notes."""

    notes: tuple[str, ...] = ()
    existing: int | None = None  # comparisons the dataset held before, when it existed (None: created now)

    def describe(self) -> str:
        said = super().describe()
        if self.existing is not None and not self.dataset_created and not self.nothing_new:
            plain = f"Imported {self.source} into dataset {self.dataset!r}:"
            there = f"{counted(self.existing, 'comparison')} already there"
            said = said.replace(
                plain, f"Imported {self.source}, added to the existing dataset {self.dataset!r} ({there}):"
            )
        return " ".join((said, *self.notes))


def refuse_unnamed_existing(store: Store, path: Path, dataset: str | None) -> dict[str, int]:
    """Refuse adding to an existing dataset that was not named: without ``dataset`` (--dataset, Admin page
    'Dataset name') the file's name (``eval.csv`` -> ``eval``) is the dataset's, and two teams' ``eval.csv``
    would otherwise become one mixed dataset without a word. Returns every dataset's comparison count."""
    sizes = store.dataset_sizes()
    name = path.stem
    if not dataset and name in sizes:
        raise StoreError(
            f"{path.name}: dataset {name!r} already exists ({counted(sizes[name], 'comparison')}): give "
            f"--dataset {name} to add to it, or another name (Admin page: 'Dataset name'); nothing was imported."
        )
    return sizes


@dataclass
class ParsedTable:
    """A generic table read and checked, not yet written: what ``import_table`` hands to the store."""

    path: Path
    collected: _Collected
    verdicts: list[ImportVerdict]
    judge: str | None
    notes: list[str] = dataclasses.field(default_factory=list)
    runs: list[ImportJudgeRun] = dataclasses.field(default_factory=list)  # a wide export's judge runs
    annotator_kinds: dict[str, str] = dataclasses.field(default_factory=dict)  # a wide export's kinds

    def write(self, store: Store, dataset: str | None = None) -> ImportSummary:
        """Everything in one transaction (``Store.import_batch``): dataset ``dataset`` or the file's name.

        Only a dataset named explicitly is added to when it exists: the name taken from the file's name
        (``eval.csv`` -> ``eval``) matching a dataset is refused, since two teams' ``eval.csv`` would
        otherwise become one mixed dataset without a word."""
        name = dataset or self.path.stem
        sizes = refuse_unnamed_existing(store, self.path, dataset)
        runs = (_judge_run(str(self.judge), "imported", self.path.name, self.verdicts),) if self.verdicts else ()
        summary = self.collected.write(
            store,
            self.path,
            name,
            "any",
            description=f"imported from {self.path.name}",
            judge_runs=(*runs, *self.runs),
            annotator_kinds=tuple(self.annotator_kinds.items()),
        )
        fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
        return TableImportSummary(**fields, notes=tuple(self.notes), existing=sizes.get(name))


def _file_columns(records: Sequence[_Record]) -> list[str]:
    """The columns of a table: a CSV's header, or every key of a JSON(L) file's records in first-seen order."""
    return list(dict.fromkeys(str(name) for record in records for name in record.data))


def _without_duplicates(records: Sequence[_Record]) -> tuple[list[_Record], str]:
    """The records less exact repeats of an earlier one (the same line twice, e.g. from concatenated
    files), and the note saying which were skipped. A repeated key with other text is not a repeat: the
    store refuses that one, naming both."""
    first: dict[str, _Record] = {}
    kept, repeats = [], []
    for record in records:
        seen = first.setdefault(json.dumps(record.data, sort_keys=True, default=str), record)
        if seen is record:
            kept.append(record)
        else:
            repeats.append(f"{_place(record)} repeats {_place(seen)}")
    if not repeats:
        return kept, ""
    shown = ", ".join(repeats[:5]) + (f" and {len(repeats) - 5} more" if len(repeats) > 5 else "")
    return kept, f"{counted(len(repeats), 'duplicate record')} skipped ({shown})."


def _same_key_same_text(record: _Record, prompt: ImportPrompt, texts: dict[str, tuple[str, str, _Record]]) -> None:
    """Refuse one key given two texts in the same file, naming both lines: the store would name only the
    second and call the first "already stored", though an import that fails writes nothing."""
    instruction, context, first = texts.setdefault(prompt.key, (prompt.instruction, prompt.input, record))
    if first is not record and (instruction, context) != (prompt.instruction, prompt.input):
        raise StoreError(
            f"{record.source}: key {prompt.key!r} on {_place(first)} and {_place(record)} with different "
            "instructions or inputs (one key is one prompt: give each its own key). Nothing was imported."
        )


def _place(record: _Record) -> str:
    return f"line {record.line}" if record.line else f"record {record.number}"


def _empty_responses(out: _Collected) -> str:
    """The note on empty responses (kept: a model may answer nothing, as 54 of PandaLM's test set do)."""
    empty = {(r.prompt_key, r.model) for r in out.responses if not r.text.strip()}
    return f"{counted(len(empty), 'empty response')} (kept as empty text)." if empty else ""


def _table_item(record: _Record, columns: _TableColumns, out: _Collected) -> tuple[str, str, str]:
    """One record's prompt, responses and comparison; returns (key, model1, model2)."""
    mapping = columns.mapping
    row = _MappedRecord(record, mapping)
    # names are trimmed, as annotator names are: "m-a " and " m-a" are one model, "w1 " and "w1" one prompt
    key = row.text("key", nonempty=True).strip() if "key" in mapping else str(record.number)
    record.ident = f"key {key}" if "key" in mapping else ""
    first = row.text("model1", nonempty=True).strip() if "model1" in mapping else str(columns.model1).strip()
    second = row.text("model2", nonempty=True).strip() if "model2" in mapping else str(columns.model2).strip()
    if first == second:
        record.fail(mapping.get("model2", "model2"), f"both responses are from {first!r}")
    instruction, context = row.text("instruction"), row.text("input", required=False)
    if not instruction.strip() and not context.strip():
        record.fail(mapping["instruction"], "the instruction and the input are both empty")
    out.prompts.append(
        ImportPrompt(
            key=key,
            instruction=instruction,
            input=context,
            category=row.text("category", required=False),
            reference=row.text("reference", required=False) or None,
            where=record.where,
        )
    )
    out.pair(key, (first, row.text("response1")), (second, row.text("response2")), record.where)
    return key, first, second


def _table_labels(record: _Record, columns: _TableColumns, item: tuple[str, str, str], out: _Collected) -> bool:
    """The record's labels: one per label column with a label word (an empty cell is no label). Returns whether
    the record has a label column but no label in it (the import line counts those records)."""
    before = len(out.labels)
    for person, column in columns.people:
        raw = _cell(record, column)
        if _word(raw) == "":
            continue
        if _word(raw) not in columns.words:
            record.fail(column, f"expected one of {', '.join(sorted(columns.words))}, got {_shown(raw)}")
        row = _MappedRecord(record, columns.mapping)
        who = person or (row.text("annotator", nonempty=True) if "annotator" in columns.mapping else columns.annotator)
        out.labels.append(ImportLabel(*item, who, columns.words[_word(raw)], record.where))
    return bool(columns.people) and len(out.labels) == before


def _table_verdict(
    record: _Record, columns: _TableColumns, item: tuple[str, str, str], judged: dict[tuple[str, str, str], Any]
) -> ImportVerdict | None:
    """The record's judge verdict (None when an earlier record of a long table already gave it).

    A verdict that is not a label word is stored as unparsed; a long table must repeat the same one.
    """
    column = columns.mapping["verdict"]
    raw = _cell(record, column)
    if item in judged:  # a long table repeats the item's verdict on every label row
        if judged[item][1] != raw:
            record.fail(column, f"the verdict differs from record {judged[item][0]}'s for this item")
        return None
    judged[item] = (record.number, raw)
    verdict = columns.words.get(_word(raw))
    return ImportVerdict(
        prompt_key=item[0],
        model1=item[1],
        model2=item[2],
        verdict=verdict,
        status="ok" if verdict else "unparsed",
        reason=_MappedRecord(record, columns.mapping).text("reason", required=False),
        raw_output="" if raw is None else str(raw),
        where=record.where,
    )


def read_table(
    path: str | Path,
    *,
    mapping: Mapping[str, str],
    file_format: str | None = None,
    model1: str | None = None,
    model2: str | None = None,
    annotator: str = "imported",
    judge: str | None = None,
    label_words: Mapping[str, str] | None = None,
    said: TableFieldWords = TABLE_WORDS,
) -> ParsedTable:
    """Read and check a generic table (see ``import_table``) without touching the store; ``said``: how its
    refusals name the options (the command line's and the Admin page's unless the caller's surface says)."""
    words = {k.lower(): v for k, v in (label_words or LABEL_WORDS).items()}
    given = _TableColumns(mapping, model1, model2, annotator, judge, words, said)
    given.check()
    file, records = _read(Path(path), lambda found: _table_records(found, file_format))
    found = _file_columns(records)
    every = frozenset(found)
    for record in records:
        record.file_columns = every
    mapping, matched = matched_columns(file.name, given.mapping, found)
    given = dataclasses.replace(given, mapping=mapping)
    given.check()  # two fields may now name one column
    wide = _WideExport.of(found, given)
    csv_file = (file_format or file.suffix.lstrip(".")).lower() == "csv"
    guarded = _unguard(records) if wide and csv_file else ""
    columns, notes = (wide.columns if wide else given).by_name(found)
    notes += wide.notes(given, found) if wide else []
    notes[:0] = matched
    columns.check_file(file.name, found)
    if "" in found:  # a CSV header cell left empty (a spreadsheet's stray column, pandas' index)
        notes.append(f"Column {found.index('') + 1} has no name in the header and was not read.")
    records, repeated = _without_duplicates(records)
    out = _Collected()
    verdicts: list[ImportVerdict] = []
    judged: dict[tuple[str, str, str], Any] = {}
    texts: dict[str, tuple[str, str, _Record]] = {}
    unlabelled = 0
    for record in records:
        item = _table_item(record, columns, out)
        _same_key_same_text(record, out.prompts[-1], texts)
        unlabelled += _table_labels(record, columns, item, out)
        if "verdict" in columns.mapping:
            verdict = _table_verdict(record, columns, item, judged)
            if verdict is not None:
                verdicts.append(verdict)
        if wide:
            wide.read(record, item)
    if unlabelled:  # an empty or null label cell is no label: say how many records have none
        notes.append(f"{counted(unlabelled, 'record')} without a label (an empty label cell is no label).")
    notes += [note for note in (repeated, _empty_responses(out), _not_read(found, columns, wide, notes)) if note]
    notes += [guarded] if guarded else []
    if not wide:
        return ParsedTable(file, out, verdicts, judge, notes)
    return ParsedTable(file, out, verdicts, judge, notes, wide.runs(file.name), wide.kinds)


# ---------------------------------------------------------------------- the wide export, read back

#: The columns every ``export --kind wide`` file has (``interchange.exporters.items_wide``): a table with all of
#: them is read as one by itself (``_WideExport``), the user's ``--map`` pairs winning as for any table.
WIDE_EXPORT_COLUMNS = ("prompt_key", "model1", "model2", "response1", "response2", "majority", "people_label")
#: A judge run's column in the wide export: ``judge:<model> #<run id>`` (``exporters._run_names``).
_WIDE_JUDGE = re.compile(r"judge:(?P<model>.+) #(?P<run>\d+)")
_WIDE_STATUSES = ("unparsed", "truncated", "error")  # a judge's outcome without a verdict (its parse status)
#: Why the wide export's own figures are not read (a note after "Columns not read").
_WIDE_DERIVED = "the majority, people_label and n_labels are recomputed from the labels; adjudications are not imported"


@dataclass
class _WideExport:
    """How a wide export's own columns are read: the mapping completed with ``prompt_key`` as the key and each
    ``label:NAME`` column as NAME's labels, its judge columns (unless a ``verdict`` column was mapped) with
    the verdicts read so far, and the annotators' kinds (``annotator_kinds``)."""

    columns: _TableColumns
    judges: list[str]  # the ``judge:<model> #<run id>`` columns read, in file order
    verdicts: dict[str, list[ImportVerdict]] = dataclasses.field(default_factory=dict)
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, found: Sequence[str], given: _TableColumns) -> _WideExport | None:
        """The reading of a file with the wide export's header (None for any other table)."""
        if not set(WIDE_EXPORT_COLUMNS) <= set(found):
            return None
        mapping = dict(given.mapping)
        used = set(mapping.values())
        if "key" not in mapping and "prompt_key" not in used:
            mapping["key"] = "prompt_key"
        for column in found:
            if column.startswith("label:") and column[6:].strip() and column not in used and column not in mapping:
                mapping[column] = column
        judges = [] if "verdict" in mapping else [c for c in found if _WIDE_JUDGE.fullmatch(c) and c not in used]
        return cls(dataclasses.replace(given, mapping=mapping), judges)

    def read(self, record: _Record, item: tuple[str, str, str]) -> None:
        """The record's judge verdicts (both orders) and, from the first record giving them, the kinds."""
        for column in self.judges:
            for order, swapped in ((column, False), (f"{column}:swapped", True)):
                verdict = _wide_verdict(record, order, item, swapped)
                if verdict is not None:
                    self.verdicts.setdefault(column, []).append(verdict)
        if not self.kinds and record.data.get("annotator_kinds") not in (None, ""):
            self.kinds = _wide_kinds(record)

    def runs(self, source: str) -> list[ImportJudgeRun]:
        """One judge run per judge column with verdicts, named by its model; the column is in its fingerprint,
        so two runs of one model (two prompt versions) stay two runs."""
        runs = []
        for column in self.judges:
            if self.verdicts.get(column):
                model = _WIDE_JUDGE.fullmatch(column)["model"]  # type: ignore[index]
                fingerprint = {"model": model, "profile": "imported", "source": source, "column": column}
                key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:20]
                runs.append(ImportJudgeRun(key, fingerprint, tuple(self.verdicts[column])))
        return runs

    def notes(self, given: _TableColumns, found: Sequence[str]) -> list[str]:
        """What the import line says it read as the wide export's own columns (beyond those read by name)."""
        added = [f for f in self.columns.mapping if f not in given.mapping]
        read = ["prompt_key as the key"] if "key" in added else []
        read += [_column_list([self.columns.mapping[f] for f in added if f.startswith("label:")])] if added else []
        read += [_column_list(self.judges)] if self.judges else []
        read += ["annotator_kinds"] if "annotator_kinds" in found else []
        return [f"Read as a wide export: {', '.join(part for part in read if part)}."] if any(read) else []

    def read_columns(self) -> set[str]:
        """The columns this reading consumes beyond the mapping: the judges' (both orders, probabilities)."""
        orders = [order for column in self.judges for order in (column, f"{column}:swapped")]
        return {
            "annotator_kinds",
            EXPORT_FORMAT_COLUMN,
            *orders,
            *(f"{order}:{p}" for order in orders for p in PROBABILITY_COLUMNS),
        }


def _wide_probability(record: _Record, column: str) -> float | None:
    value = record.data.get(column)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        record.fail(column, f"expected a probability, got {_shown(value)}")
    if not 0.0 <= number <= 1.0:
        record.fail(column, f"expected a probability between 0 and 1, got {_shown(value)}")
    return number


def _wide_verdict(record: _Record, column: str, item: tuple[str, str, str], swapped: bool) -> ImportVerdict | None:
    """One judge cell of a wide export (its outcome: "1", "2", "tie", "uncertain" or a parse status; empty: not
    judged) with its probabilities. An uncertain outcome is the verdict its probabilities lean to (the
    uncertain rule is applied again when figures are computed), so it needs them."""
    word = _word(record.data.get(column))
    if not word:
        return None
    p_1, p_2, p_tie = (_wide_probability(record, f"{column}:{p}") for p in PROBABILITY_COLUMNS)
    verdict: str | None = word if word in ("1", "2", "tie") else None
    status = "ok" if verdict else word
    if word == "uncertain":
        if None in (p_1, p_2, p_tie):
            record.fail(column, f"'uncertain' needs its probabilities ({column}:p_1, :p_2, :p_tie)")
        verdict, status = max(zip((p_1, p_2, p_tie), ("1", "2", "tie"), strict=True))[1], "ok"
    elif not verdict and word not in _WIDE_STATUSES:
        record.fail(column, f"expected 1, 2, tie, uncertain or {', '.join(_WIDE_STATUSES)}, got {_shown(word)}")
    return ImportVerdict(*item, verdict, status, swapped=swapped, p_1=p_1, p_2=p_2, p_tie=p_tie, where=record.where)


def _wide_kinds(record: _Record) -> dict[str, str]:
    """The ``annotator_kinds`` cell: {annotator: kind} (JSON text, or an object in JSON Lines)."""
    value = record.data["annotator_kinds"]
    try:
        kinds = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        kinds = None
    if not isinstance(kinds, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in kinds.items()):
        record.fail("annotator_kinds", f"expected a JSON object of annotator names and kinds, got {_shown(value)}")
    return {name.strip(): kind for name, kind in kinds.items()}


#: How a cell the CSV export guarded starts (``exporters.neutralize``): the apostrophe it puts before a cell a
#: spreadsheet would run as a formula, or (from s18, ``export_format`` 2) before a text's own leading apostrophe.
_GUARDED = tuple(f"'{prefix}" for prefix in ("=", "+", "-", "@", "\t", "\r", "'"))
#: The guards of a file without ``export_format`` (exported before s18): before a would-be formula only.
_OLD_GUARDED = _GUARDED[:-1]
_TEXT_FIELDS = ("instruction", "input", "reference", "response1", "response2")


def _export_format(records: Sequence[_Record]) -> int | None:
    """The wide export's ``export_format`` (the first row's; None when the file has none or it is not a number)."""
    value = records[0].data.get(EXPORT_FORMAT_COLUMN) if records else None
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def _unguard(records: Sequence[_Record]) -> str:
    """Take the CSV export's formula guard off every cell of a CSV wide export that has it, in place, when the file
    says it was written with it (``export_format`` 2 or more: one leading ``'`` before = + - @ tab CR or another
    ``'`` is always the export's). A file without it (exported before s18, when a text's own leading ``'`` was not
    doubled, so a guard cannot be told from the text's own) is kept as written, as then. The note says which rule
    was applied and how many cells it concerns ("" for none)."""
    version = _export_format(records)
    if version is None or version < WIDE_EXPORT_FORMAT:
        texts = [r.data[c] for r in records for c in _TEXT_FIELDS if isinstance(r.data.get(c), str)]
        kept = sum(1 for text in texts if text.startswith(_OLD_GUARDED))
        if not kept:
            return ""
        return (
            f"{counted(kept, 'text')} start with an apostrophe before = + - @ (a spreadsheet formula guard, or the "
            f"text's own): kept as written, since this file has no {EXPORT_FORMAT_COLUMN} column (a wide export "
            "from before session 18 did not mark its guards); import the JSONL export for the exact texts."
        )
    cells = 0
    for record in records:
        for column, value in record.data.items():
            if isinstance(value, str) and value.startswith(_GUARDED):
                record.data[column] = value[1:]
                cells += 1
    if not cells:
        return ""
    return (
        f"{counted(cells, 'cell')} started with the apostrophe the CSV export puts before = + - @ or ' (a "
        f"spreadsheet formula guard; the file's {EXPORT_FORMAT_COLUMN} {version} says so): that one apostrophe was "
        "removed, so the texts are as they were exported."
    )


def _not_read(found: Sequence[str], columns: _TableColumns, wide: _WideExport | None, notes: Sequence[str]) -> str:
    """ "Columns not read: 'a', 'b'." naming every column of the file the import leaves out (a column without a
    name, or the 'verdict' column a note already names, aside): nothing is dropped without a word."""
    read = set(columns.mapping.values()) | (wide.read_columns() if wide else set())
    named = {"verdict"} if any("'verdict' was not imported" in note for note in notes) else set()
    left = [column for column in found if column and column not in read and column not in named]
    if not left:
        return ""
    why = f" ({_WIDE_DERIVED})" if wide else ""
    return f"Columns not read: {_column_list(left)}{why}."


def import_table(
    store: Store,
    path: str | Path,
    *,
    mapping: Mapping[str, str],
    dataset: str | None = None,
    file_format: str | None = None,
    model1: str | None = None,
    model2: str | None = None,
    annotator: str = "imported",
    judge: str | None = None,
    label_words: Mapping[str, str] | None = None,
    said: TableFieldWords = TABLE_WORDS,
) -> ImportSummary:
    """Any JSONL / CSV (or JSON list) file, given which column holds which field.

    ``mapping`` maps fields (``TABLE_FIELDS``) to column names: ``instruction``, ``response1`` and
    ``response2`` are required; ``model1`` / ``model2`` name columns, or pass the names as the
    ``model1`` / ``model2`` arguments; ``key`` defaults to the record number. Labels: a ``label``
    column (with an ``annotator`` column for long tables, else the ``annotator`` argument) and/or
    ``label:<name>`` columns, one per person. A ``verdict`` column (with ``reason``) becomes a judge
    run named ``judge``. Label words: ``LABEL_WORDS`` or ``label_words``; an empty label cell means
    no label; a verdict that is not a label word is stored as unparsed. Rows with the same key and
    models are one comparison (long tables); a second import of the same file adds nothing new.

    Two steps: ``read_table`` reads and checks the whole file (nothing is written on an error), then
    ``ParsedTable.write`` hands it to the store's batch import in one transaction.
    """
    parsed = read_table(
        path,
        mapping=mapping,
        file_format=file_format,
        model1=model1,
        model2=model2,
        annotator=annotator,
        judge=judge,
        label_words=label_words,
        said=said,
    )
    return parsed.write(store, dataset)


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["instruction=question", "label:alice=a"]`` -> mapping (the CLI's ``--map FIELD=COLUMN``)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column:
            raise StoreError(f"Column mapping {pair!r} is not FIELD=COLUMN.")
        add_mapping(mapping, field.strip(), column)
    return mapping


def add_mapping(mapping: dict[str, str], field: str, column: str) -> None:
    """``mapping[field] = column``, refusing a field mapped twice (the last one silently won before): the
    command line's ``--map`` and the Admin page's column mapping both read their pairs through this."""
    if field in mapping:
        raise StoreError(
            f"{field} is mapped twice (to column {mapping[field]!r} and to column {column!r}): map each field to "
            "one column; nothing was imported."
        )
    mapping[field] = column
