"""What the admin page does: import a dataset file, judge a dataset, run the judge checkup, export
labels, manage accounts, annotation sessions and gold comparisons.

Every method takes the caller's account name first (``actor``) and asks ``Access.require(actor,
"admin")`` before it reads or writes anything; the UI and the REST API share these checks. Inputs
are checked here, before any write, with messages that name the field. No Gradio here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation_store import ComparisonView, ResponseView, SessionView, StoreError
from annotation_store.accounts import OpenInvite, TokenInfo
from annotation_store.assignment import STRATEGIES
from annotation_store.batch_import import ImportSummary
from annotation_store.gold_ratings import GoldImportCounts, GoldRatingMark
from annotation_store.models import ANNOTATOR_KINDS, ANNOTATOR_ROLES
from annotation_store.sessions import GOLD_COLUMNS, GoldMark, SessionCreated
from annotation_store.set_aside import SetAside
from annotation_store.unfinished import Unfinished
from interchange.formats import format_of_name, judge_of_file, unnamed_judge, unsaid_format
from interchange.importers import TABLE_WORDS, TableFieldWords, add_mapping, read_utf8
from orchestration.access import ADMIN_PASSWORD_FILE, FIRST_ADMIN, SECURITY_LOG, SET_ASIDE_COLUMN, Access
from orchestration.annotation import log_members_change
from orchestration.catalog import gold_listed, require_dataset
from orchestration.checkup import SUITES, CheckupProgress, CheckupReport, run_checkup
from orchestration.datasets import (
    EXPORT_FORMATS,
    EXPORT_KINDS,
    IMPORT_FORMATS,
    ExportPeople,
    ExportSummary,
    ImportOptions,
    export_dataset_summary,
    import_file,
)
from orchestration.downloads import download_path
from orchestration.review import MAX_ID
from orchestration.service import RunSummary, Studio
from settings.sessions import session_defaults

if TYPE_CHECKING:
    import pandas as pd  # only the Admin page's tables are DataFrames; `gold list`, `users invites` load no pandas

ADMIN = "admin"
#: Formats a single uploaded file can be imported in (``pandalm-pipeline`` needs several files).
UPLOAD_FORMATS = tuple(f for f in IMPORT_FORMATS if f != "pandalm-pipeline")
#: What the Admin page's import and REST's ``POST /api/v1/datasets/import`` have no field for: said on the page and
#: in the route's format help (s15 benchmarker, finding 10).
CLI_ONLY_IMPORTS = (
    "Command line only (`judge-studio import FILE --format FORMAT ...`): answers compared with one baseline model "
    "(`--baseline MODEL`, mtbench-answers and alpacaeval-outputs; here every answer is compared with every model "
    "already imported) or under another model name (`--model NAME`), PandaLM test-set model names "
    "(`--models A,B,...`), and PandaLM pipeline candidates (`--format pandalm-pipeline --candidate MODEL=FILE`). "
    "MT-Bench turn 2 (`--turn 2`) is not supported anywhere: the first turn's question and answers would be lost."
)
#: The Admin page's Format choice "from the file name" (``format_of_file``).
AUTO_FORMAT = "auto"
#: Formats that take a column mapping, and the fields they may map.
TABLE_FORMATS = ("jsonl", "csv")
ROLES = tuple(ANNOTATOR_ROLES)
KINDS = tuple(ANNOTATOR_KINDS)
GOLD_VERDICTS = ("1", "2", "tie")
MAX_JUDGE_LIMIT = 1_000_000
#: The checkup suites the Admin page offers (``orchestration.checkup.SUITES``).
CHECKUP_SUITES = tuple(SUITES)
#: How many unfinished items of a session the Admin page lists (``AdminDesk.unfinished``; the count is of all).
UNFINISHED_LISTED = 500


@dataclass(frozen=True)
class ImportFieldNames:
    """How an import form names the fields a message asks for, after "choose" and "give the judge's name in"
    (s18 notebook, finding 9: REST callers have form fields, not the Admin page's labels)."""

    format: str = "the Format"
    judge: str = "the Judge name field"
    #: a table import's refusals (which model wrote a response, a verdict column's judge): the command line's and
    #: the Admin page's words by default (``interchange.importers.TABLE_WORDS``), REST's form fields for REST
    table: TableFieldWords = TABLE_WORDS


#: The Admin page's field names, and REST ``POST /api/v1/datasets/import``'s.
PAGE_FIELDS = ImportFieldNames()
REST_FIELDS = ImportFieldNames(
    format="a format in the form field `format`",
    judge="the form field `judge`",
    table=TableFieldWords(
        mapped="form field `mapping`: {field}=COLUMN", named="form field `{field}`", judge="form field `judge`"
    ),
)


@dataclass(frozen=True)
class ImportRequest:
    """The import form; empty strings mean "not given"."""

    path: str | Path | None
    fmt: str
    dataset: str = ""
    judge: str = ""
    mapping: str = ""  # one FIELD=COLUMN per line or comma-separated (tables only)
    model1: str = ""
    model2: str = ""
    annotator: str = ""
    #: the file is an upload (the Admin page, REST): its folder is the server's and names nothing
    uploaded: bool = False
    #: how the caller's form names its fields, for messages (the Admin page's unless REST says otherwise)
    names: ImportFieldNames = PAGE_FIELDS


def _setting(key: str) -> Any:
    """A form field whose default is the settings table's (``settings.sessions.session_defaults``),
    read when a form is made, so ``JUDGE_STUDIO_SESSION_*`` changes it without a restart of Python."""
    return field(default_factory=lambda: session_defaults()[key])


@dataclass(frozen=True)
class SessionForm:
    """The session form as the page sends it (numbers may come as floats). Defaults: the settings
    table's. ``strategy``/``audit_rate`` None: a new session gets the store's assignment defaults, an
    existing one keeps its own (either kind may be judge-uncertain-first). ``scale``/``rubric`` belong
    to single-answer sessions and are ignored for pairwise ones; None keeps the stored value (a new
    session: 1-10, no rubric; ``annotation_store.scales`` says what a rubric must look like)."""

    name: str
    dataset: str
    overlap: float | int = _setting("overlap")
    blind: bool = _setting("blind")
    reveal_judge: bool = _setting("reveal_judge")
    randomize_order: bool = _setting("randomize_order")
    lease_seconds: float | int = _setting("lease_seconds")
    gold_rate: float = _setting("gold_rate")
    guidelines: str = _setting("guidelines")
    active: bool = True
    kind: str = "pairwise"  # or "single": single-answer grading (1-10 or 1-5)
    strategy: str | None = None  # annotation_store.assignment.STRATEGIES
    audit_rate: float | None = None  # the share of leases drawn at random, 0.01 to 1
    scale: float | int | str | None = None  # single-answer sessions: 10 (1-10) or 5 (1-5)
    rubric: str | None = None  # single-answer sessions: "[criterion]" then "Score 1: ..." to "Score N: ..."
    # the order items are handed out in: "breadth" or "depth" (``annotation_store.sessions.FILL_ORDERS``);
    # None: a new session gets the store's default ("breadth"), an existing one keeps its own
    fill: str | None = None


def _whole(value: Any, field: str) -> int:
    """A whole number from a form field (Gradio's Number gives floats)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StoreError(f"{field} must be a whole number, got {value!r}; nothing was saved.")
    if int(value) != value:
        raise StoreError(f"{field} must be a whole number, got {value!r}; nothing was saved.")
    return int(value)


def _record_id(value: Any, noun: str) -> int:
    """A comparison or response number from a form: whole, and one that can exist. Ids are 64-bit
    (the Review page's ``MAX_ID``); a larger number must not reach the database driver, whose error
    ("Python int too large to convert to SQLite INTEGER") says nothing to the admin."""
    number = _whole(value, f"The {noun} number")
    if number < 1:
        raise StoreError(f"There is no {noun} #{number}: numbers start at 1; check the number.")
    if number > MAX_ID:
        raise StoreError(f"The {noun} number is too large (numbers go up to {MAX_ID}); check the number.")
    return number


def format_of_file(name: str, how: str = PAGE_FIELDS.format) -> str:
    """The import format an uploaded file's extension implies (.csv: csv, .jsonl: jsonl); a .json file
    can be one of several formats, so the admin must choose (``how``: the caller's field)."""
    fmt = format_of_name(name)  # one rule with `judge-studio import` without --format
    if fmt is None:
        raise StoreError(unsaid_format(name, UPLOAD_FORMATS, how))
    return fmt


def _judge_named(request: ImportRequest, path: Path) -> str:
    """The judge of an import: the one named, else, for an uploaded LLMBar result file, the one its name names
    (``interchange.formats.judge_of_file``, the rule ``judge-studio import`` uses for a file's folder); an
    upload named ``result.json`` is refused, asking for the name, never named after the server's folder."""
    judge = request.judge.strip()
    if judge or request.fmt != "llmbar-results" or not request.uploaded:
        return judge
    named = judge_of_file(path, uploaded=True)
    if named is None:
        raise StoreError(unnamed_judge(path.name, request.names.judge))
    return named


def _check_utf8(path: Path) -> None:
    """Uploads are read as UTF-8; a file saved in another encoding gets a message naming the file as the
    admin uploaded it (Gradio keeps its name, in a temporary folder whose path means nothing to them)."""
    read_utf8(path, again="upload it again")  # the command line's message (file, line, byte), for an upload


def removed_gold_note(comparison_id: int, kept: int) -> str:
    """What becomes of the answers given on an unmarked comparison (Admin page and ``judge-studio gold``)."""
    noun = (
        "answer stays, as an ordinary label that counts" if kept == 1 else "answers stay, as ordinary labels that count"
    )
    answers = f"its {kept} {noun} toward the overlap" if kept else ""
    message = f"Comparison #{comparison_id} is no longer gold; {answers or 'nobody had answered it'}. "
    return message + "It is back in the normal pool."


def removed_gold_rating_note(response_id: int, kept: int) -> str:
    """What becomes of the ratings given on an unmarked gold response (Admin page, ``judge-studio gold
    responses remove``)."""
    noun = "rating stays, as an ordinary rating" if kept == 1 else "ratings stay, as ordinary ratings"
    ratings = f"its {kept} {noun}" if kept else "nobody had rated it"
    return f"Response #{response_id} is no longer gold; {ratings}. It is back in the normal pool."


def _number(value: Any) -> Any:
    """A radio's or a script's number sent as text ("10") as a number; other values unchanged."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _grading(form: SessionForm) -> dict[str, Any]:
    """A single-answer session's scale and rubric as the store takes them (``annotation_store.scales``
    checks both and names the wrong rubric line). A radio or a script may send the scale as text."""
    grading: dict[str, Any] = {}
    scale = form.scale
    if isinstance(scale, str) and scale.strip():
        try:
            scale = float(scale)
        except ValueError:
            raise StoreError(
                f"The rating scale must be 10 (1-10) or 5 (1-5), got {scale!r}; nothing was saved."
            ) from None
    if scale not in (None, ""):
        grading["scale"] = scale
    if form.rubric is not None:
        grading["rubric"] = form.rubric
    return grading


def parse_mapping_text(text: str) -> dict[str, str]:
    """``"instruction=question, response1=a"`` (or one pair a line) -> mapping."""
    mapping: dict[str, str] = {}
    for part in text.replace("\n", ",").split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise StoreError(f"Column mapping {part.strip()!r} is not FIELD=COLUMN; nothing was imported.")
        add_mapping(mapping, field.strip(), column.strip())  # a field mapped twice is refused
    return mapping


def open_invites(access: Access, actor: str | None) -> list[OpenInvite]:
    """Admins only (the Admin page and ``judge-studio users invites``): the open invites, oldest first."""
    return access.open_invites(actor)


#: The longest an invite link may work (the store's rule: more than 0 hours, at most 90 days).
MAX_INVITE_HOURS = 24 * 90
#: Who made an invite when no account did (``judge-studio users invite``, or the account is gone).
COMMAND_LINE = "(command line)"


def invite_summary(invite: OpenInvite, quoted: Callable[[str], str] = str) -> str:
    """One invite in words, the same on the Admin page and the command line: "an annotator link for a crowd
    annotator, made by admin, valid until 2026-12-01 19:06 UTC". ``quoted`` marks the names (the page passes
    ``ui.render.code``: a creator's name is untrusted text)."""
    article = "an" if invite.role[:1] in "aeiou" else "a"
    return (
        f"{article} {quoted(invite.role)} link for a {quoted(invite.kind)} annotator, made by "
        f"{quoted(invite.created_by or COMMAND_LINE)}, valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC"
    )


def revoke_invite(access: Access, actor: str | None, invite_id: Any) -> OpenInvite:
    """Admins only: revoke the open invite ``invite_id`` (its number in the list); returns what it was."""
    user = access.require(actor, ADMIN)
    revoked = access.store.revoke_invite(_record_id(invite_id, "invite"))
    SECURITY_LOG.info("invite revoked: #%d (%s, %s) by %r", revoked.id, revoked.role, revoked.kind, user.name)
    return revoked


def accounts_marked(access: Access, actor: str | None) -> pd.DataFrame:
    """Admins only: every account (``Access.accounts``) with ``SET_ASIDE_COLUMN`` ("yes"/"no"): the Admin page's
    table (``judge-studio users list`` prints the same rows, ``orchestration.access.accounts_listed``)."""
    table = access.accounts(actor)
    aside = access.store.set_aside_accounts()
    return table.assign(**{SET_ASIDE_COLUMN: ["yes" if name in aside else "no" for name in table["name"]]})


def set_labels_aside(access: Access, actor: str | None, name: str, *, undo: bool = False) -> tuple[SetAside, bool]:
    """Admins only: set the account's labels and ratings aside (``undo``: count them again); nothing is deleted.
    Set aside, they leave every figure, majority, the Review queue and the exports but the raw labels export
    (``set_aside`` true there), and stop filling the session's overlap: their items go back to the pool
    (``annotation_store.set_aside``). Returns the account's answers and whether anything changed."""
    user = access.require(actor, ADMIN)
    if not (name or "").strip():
        raise StoreError("Choose the account whose labels to set aside.")
    found, changed = access.store.set_labels_aside(name.strip(), undo=undo)
    what = "counted again" if undo else "set aside"
    SECURITY_LOG.info(
        "account's answers %s: %r (%d labels, %d ratings, %d skipped) by %r",
        what,
        found.name,
        found.labels,
        found.ratings,
        found.skipped,
        user.name,
    )
    return found, changed


def _answers_text(found: SetAside) -> str:
    """Answers in words ("8 labels, 2 skipped"): labels (or ratings), skips apart, as ``sessions activity`` counts."""
    parts = [
        f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((found.labels, "label"), (found.ratings, "rating")) if n
    ]
    if not parts and found.skipped:  # skips only: "1 skipped item", not "no labels, 1 skipped"
        return f"{found.skipped} skipped item{'' if found.skipped == 1 else 's'}"
    said = " and ".join(parts) or "no labels"
    return f"{said}, {found.skipped} skipped" if found.skipped else said


def set_aside_text(found: SetAside, changed: bool, undo: bool) -> str:
    """What ``set_labels_aside`` did, in one sentence (the page and the command line)."""
    answers = _answers_text(found)
    one = found.labels + found.ratings + found.skipped == 1
    if undo:
        verb = "counts" if one else "count"
        head = f"{found.name}'s {answers} {verb} again" if changed else f"{found.name}'s {answers} already {verb}"
        return head + ": they are back in every figure, majority, export and the session's overlap."
    if not changed:
        undo_it = f"`judge-studio users set-aside {found.name} --undo`"
        return (
            f"{found.name}'s {answers} {'was' if one else 'were'} already set aside; count them again with {undo_it}."
        )
    return (
        f"{found.name}'s {answers} {'is' if one else 'are'} set aside (kept in the database, not deleted): "
        "they no longer count in figures, "
        "majorities, the Review queue or exports (the raw labels export lists them with set_aside true), and the "
        "items they answered go back to the pool for another annotator. Undo with "
        f"`judge-studio users set-aside {found.name} --undo` or “Count labels again”."
    )


def still_counting(access: Access, name: str, *, on_page: bool = True) -> str:
    """After a deactivation: "ann4's 15 labels still count; set them aside with ..." ("" when it has none, or they
    are set aside already). A deactivation ends logins and leases, never what the person answered."""
    found = access.store.answers_of(name.strip())
    if found.set_aside_at is not None or not (found.labels or found.ratings or found.skipped):
        return ""
    command = f"`judge-studio users set-aside {found.name}`"
    how = f"“Set labels aside” (or {command})" if on_page else command
    verb = "counts" if found.labels + found.ratings + found.skipped == 1 else "count"
    return f"{found.name}'s {_answers_text(found)} still {verb}; set them aside with {how}."


def forget_first_password(home: Path, name: str, password: str | None) -> bool:
    """The first admin's password file (``initial-admin-password.txt``) is removed once that account gets a new
    password: it would hold a dead password, and the file's existence is no longer news. True when removed."""
    path = Path(home) / ADMIN_PASSWORD_FILE
    if not password or name.strip() != FIRST_ADMIN or not path.is_file():
        return False
    path.unlink(missing_ok=True)
    return True


class AdminDesk:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.store = studio.store
        self.access = studio.access

    # ------------------------------------------------------------------ datasets
    def import_dataset(
        self, actor: str | None, request: ImportRequest, *, on_progress: Callable[[int, int], None] | None = None
    ) -> ImportSummary:
        """Import one uploaded file; all or nothing (a bad record names the file, record and field).
        ``on_progress(done, total)``: the rows written so far (``import_file``'s; the Admin page's bar)."""
        self.access.require(actor, ADMIN)
        if not request.path:
            raise StoreError("Choose a file to import first.")
        path = Path(request.path)
        chosen = request.fmt not in ("", None, AUTO_FORMAT)
        fmt = request.fmt if chosen else format_of_file(path.name, request.names.format)
        if fmt not in UPLOAD_FORMATS:
            raise StoreError(f"Choose a format: one of {', '.join(UPLOAD_FORMATS)}.")
        if not path.is_file():
            raise StoreError(f"The uploaded file {path.name!r} is gone; upload it again.")
        _check_utf8(path)
        request = replace(request, fmt=fmt, judge=_judge_named(request, path))
        table = request.fmt in TABLE_FORMATS
        if request.mapping.strip() and not table:
            raise StoreError(f"A column mapping only applies to {' and '.join(TABLE_FORMATS)} files.")
        options = ImportOptions(
            dataset=request.dataset.strip() or None,
            judge=request.judge.strip() or None,
            mapping=parse_mapping_text(request.mapping) if table else {},
            model1=request.model1.strip() or None,
            model2=request.model2.strip() or None,
            annotator=request.annotator.strip() or None,
            said=request.names.table,
        )
        return import_file(self.store, path, request.fmt, options, on_progress=on_progress)

    def judge_dataset(
        self,
        actor: str | None,
        dataset: str | None,
        *,
        limit: float | int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> RunSummary:
        """Judge every comparison of ``dataset`` this judge has not judged yet. Everything is checked
        before the judge loads; once it has loaded, ``on_progress(0, total)`` says how many are to be
        judged (the first batch can take a while on a CPU), then once per judged comparison."""
        self.access.require(actor, ADMIN)
        if not dataset:
            raise StoreError("Choose a dataset to judge.")
        count = None
        if limit not in (None, 0):
            count = _whole(limit, "The number of comparisons")
            if not 0 < count <= MAX_JUDGE_LIMIT:
                raise StoreError(f"Judge 1 to {MAX_JUDGE_LIMIT:,} comparisons, or leave it empty for all.")
        require_dataset(self.store, dataset)
        return self.studio.judge_dataset(dataset, limit=count, on_progress=on_progress)  # says (0, total) once loaded

    def checkup(
        self,
        actor: str | None,
        suite: str | None,
        *,
        limit: float | int | None = None,
        data_dir: str | Path | None = None,
        on_progress: CheckupProgress | None = None,
    ) -> CheckupReport:
        """Run the judge checkup on one suite (``orchestration.checkup.run_checkup``): every pair, or
        ``limit`` pairs spread over the categories, judged in both orders. ``data_dir``: the folder of
        the suites' files when the database lacks the suite (default ``../shared/data``)."""
        self.access.require(actor, ADMIN)
        if suite not in SUITES:
            raise StoreError(f"Choose a checkup suite: one of {', '.join(SUITES)}.")
        count = None
        if limit not in (None, 0):
            count = _whole(limit, "The number of pairs")
            if not 0 < count <= MAX_JUDGE_LIMIT:
                raise StoreError(f"Check 1 to {MAX_JUDGE_LIMIT:,} pairs, or leave it empty for all.")
        folder = str(data_dir).strip() if data_dir is not None else ""
        return run_checkup(self.studio, suites=(suite,), limit=count, data_dir=folder or None, on_progress=on_progress)

    def export(
        self,
        actor: str | None,
        dataset: str | None,
        kind: str,
        fmt: str,
        *,
        include_judges: bool = False,
        source: str = "majority",
        directory: str | Path | None = None,
        people: ExportPeople | None = None,
    ) -> tuple[Path, int]:
        """``export_summary``'s file and number of rows (for callers that need no note)."""
        target, summary = self.export_summary(
            actor,
            dataset,
            kind,
            fmt,
            include_judges=include_judges,
            source=source,
            directory=directory,
            people=people,
        )
        return target, summary.rows

    def export_summary(
        self,
        actor: str | None,
        dataset: str | None,
        kind: str,
        fmt: str,
        *,
        include_judges: bool = False,
        source: str = "majority",
        directory: str | Path | None = None,
        people: ExportPeople | None = None,
    ) -> tuple[Path, ExportSummary]:
        """Write one export to a new file (a download, ``orchestration.downloads``, unless ``directory``); returns
        the file and ``ExportSummary``: its rows and the note ``judge-studio export`` prints on what was left out
        ("Left out N labels of ...", the --min-labels pairs, an unused margin; s18 review finding 4). ``people``:
        whose labels count (``ExportPeople``, as ``judge-studio export`` and REST ``/export`` take it; None:
        every label)."""
        self.access.require(actor, ADMIN)
        if not dataset:
            raise StoreError("Choose a dataset to export.")
        if kind not in EXPORT_KINDS:
            raise StoreError(f"Choose what to export: one of {', '.join(EXPORT_KINDS)}.")
        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"Choose a file format: one of {', '.join(EXPORT_FORMATS)}.")
        require_dataset(self.store, dataset)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in dataset)[:80] or "dataset"
        named = f"{safe}-{kind}-{stamp}.{fmt}"
        target = Path(directory) / named if directory is not None else download_path(named)
        summary = export_dataset_summary(
            self.store,
            dataset,
            kind,
            fmt=fmt,
            output=target,
            include_judges=include_judges,
            source=source or "majority",
            people=people,
        )
        return target, summary

    # ------------------------------------------------------------------ accounts
    def accounts(self, actor: str | None) -> pd.DataFrame:
        return accounts_marked(self.access, actor)

    def set_labels_aside(self, actor: str | None, name: str, *, undo: bool = False) -> str:
        """The Admin page's "Set labels aside" / "Count labels again": what it did, in one sentence."""
        found, changed = set_labels_aside(self.access, actor, name, undo=undo)
        return set_aside_text(found, changed, undo)

    def still_counting(self, actor: str | None, name: str) -> str:
        """After the page's Deactivate: the account's answers that still count, and how to set them aside."""
        self.access.require(actor, ADMIN)
        return still_counting(self.access, name)

    def add_account(self, actor: str | None, name: str, password: str, role: str, kind: str) -> str:
        self.access.require(actor, ADMIN)
        if role not in ROLES:
            raise StoreError(f"Choose a role: one of {', '.join(ROLES)}; nothing was saved.")
        if kind not in KINDS:
            raise StoreError(f"Choose a kind: one of {', '.join(KINDS)}; nothing was saved.")
        return self.access.add_account(actor, (name or "").strip(), password or "", role=role, kind=kind)

    def update_account(
        self,
        actor: str | None,
        name: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        password: str | None = None,
        kind: str | None = None,
    ) -> int | None:
        """Returns how many API tokens a new password or a deactivation revoked (None: neither happened)."""
        self.access.require(actor, ADMIN)
        if not (name or "").strip():
            raise StoreError("Choose the account to change.")
        if role is not None and role not in ROLES:
            raise StoreError(f"Choose a role: one of {', '.join(ROLES)}; nothing was saved.")
        if kind is not None and kind not in KINDS:
            raise StoreError(f"Choose a kind: one of {', '.join(KINDS)}; nothing was saved.")
        revoked = self.access.update_account(
            actor, name.strip(), role=role, kind=kind, active=active, password=password or None
        )
        forget_first_password(self.studio.settings.home, name, password)
        return revoked

    def sign_out_account(self, actor: str | None, name: str) -> int:
        """The Admin page's "Sign out everywhere": the account's browser logins end, its API tokens are revoked."""
        self.access.require(actor, ADMIN)
        if not (name or "").strip():
            raise StoreError("Choose the account to sign out.")
        return self.access.sign_out_account(actor, name.strip())

    def invite(self, actor: str | None, role: str, kind: str = "crowd", hours: float = 72) -> str:
        """A one-time invite token; the page shows it as a link ``<base url>/invite/<token>``."""
        return self.new_invite(actor, role, kind, hours)[1]

    def new_invite(
        self, actor: str | None, role: str, kind: str = "crowd", hours: float | None = 72
    ) -> tuple[OpenInvite, str]:
        """A one-time invite (its number and validity, for the page's note) and its token."""
        self.access.require(actor, ADMIN)
        if role not in ROLES:
            raise StoreError(f"Choose a role: one of {', '.join(ROLES)}.")
        if kind not in KINDS:
            raise StoreError(f"Choose a kind: one of {', '.join(KINDS)}.")
        if hours is None:  # an emptied "Valid for" field: never a silent default
            raise StoreError(f"Enter how many hours the link is valid (more than 0, at most {MAX_INVITE_HOURS}).")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours):
            raise StoreError("The invite's validity must be a number of hours.")
        return self.access.new_invite(actor, role=role, kind=kind, hours=float(hours))

    def open_invites(self, actor: str | None) -> list[OpenInvite]:
        """The invite links that still work (role, kind, who made it, when, until when); never a token."""
        return open_invites(self.access, actor)

    def revoke_invite(self, actor: str | None, invite_id: Any) -> OpenInvite:
        """Make an open invite link stop working (a link pasted into the wrong chat)."""
        return revoke_invite(self.access, actor, invite_id)

    def api_tokens(self, actor: str | None) -> list[TokenInfo]:
        """Every account's API tokens that still work (account, number, label, created, expires, last used)."""
        return self.access.account_tokens(actor)

    def revoke_api_token(self, actor: str | None, token_id: Any) -> TokenInfo:
        """Make one API token stop working (a leaked CI token), leaving the account's other logins alone."""
        return self.access.revoke_token(actor, _record_id(token_id, "API token"))

    # ------------------------------------------------------------------ sessions and gold
    def sessions(self, actor: str | None) -> list[SessionView]:
        self.access.require(actor, ADMIN)
        return self.store.sessions()

    def session(self, actor: str | None, name: str) -> SessionView:
        self.access.require(actor, ADMIN)
        return self.store.get_session(name)

    def save_session(self, actor: str | None, form: SessionForm) -> SessionView:
        """Create a session or change an existing one (same name); every field is checked first."""
        name, dataset, settings = self._session_settings(actor, form)
        return self.store.save_session(name, dataset, **settings)

    def create_session(self, actor: str | None, form: SessionForm, members: Sequence[str] = ()) -> SessionCreated:
        """Create a new session (never change one: a name in use is refused, 409) limited to ``members`` (none: open
        to every annotator), checked as ``save_session`` checks it, in one store transaction
        (``Store.create_session``: no one works in it before its members are in, and a bad name saves nothing);
        the members are security-logged as a members change is (``judge-studio sessions create --members``)."""
        name, dataset, settings = self._session_settings(actor, form)
        by = self.access.require(actor, ADMIN).name
        created = self.store.create_session(name, dataset, list(members), added_by=by, **settings)
        log_members_change(name, created.members, [], created.members, by)
        return created

    def _session_settings(self, actor: str | None, form: SessionForm) -> tuple[str, str, dict[str, Any]]:
        """The Admin form's session, checked (admin; each field, with its message): name, dataset, settings."""
        self.access.require(actor, ADMIN)
        if not (form.name or "").strip():
            raise StoreError("A session needs a name; nothing was saved.")
        if not form.dataset:
            raise StoreError("Choose the session's dataset; nothing was saved.")
        gold_rate = form.gold_rate
        if isinstance(gold_rate, bool) or not isinstance(gold_rate, (int, float)) or not math.isfinite(gold_rate):
            raise StoreError(f"The gold rate must be a share from 0 to 0.5, got {gold_rate!r}; nothing was saved.")
        if form.strategy is not None and form.strategy not in STRATEGIES:
            raise StoreError(f"Choose an assignment strategy: one of {', '.join(STRATEGIES)}; nothing was saved.")
        assignment = {"strategy": form.strategy, "audit_rate": form.audit_rate, "fill": form.fill}
        grading = _grading(form) if (form.kind or "pairwise") == "single" else {}
        settings = {
            "overlap": _whole(form.overlap, "Overlap (annotators per comparison)"),
            "blind": bool(form.blind),
            "reveal_judge": bool(form.reveal_judge),
            "randomize_order": bool(form.randomize_order),
            "lease_seconds": _whole(form.lease_seconds, "The lease (seconds)"),
            "gold_rate": float(gold_rate),
            "guidelines": form.guidelines or "",
            "active": bool(form.active),
            "kind": form.kind or "pairwise",
            "edited_by": actor,
            **{key: value for key, value in assignment.items() if value is not None},
            **grading,
        }
        return form.name.strip(), form.dataset, settings

    def session_assignment(self, actor: str | None, name: str) -> dict[str, Any]:
        """How the session hands out items: {'strategy': ..., 'audit_rate': ...}."""
        self.access.require(actor, ADMIN)
        return self.store.session_assignment(name)

    def unfinished(self, actor: str | None, name: str | None, limit: int | None = UNFINISHED_LISTED) -> Unfinished:
        """The session's items that still lack answers, one by one (``Store.session_unfinished``): answers so
        far and needed, skips, who holds each now and since when; at most ``limit`` listed (None: all)."""
        self.access.require(actor, ADMIN)
        if not (name or "").strip():
            raise StoreError("Choose a session.")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise StoreError(f"The number of items to list must be a whole number of at least 1, got {limit!r}.")
        return self.store.session_unfinished(str(name).strip(), limit)

    def session_grading(self, actor: str | None, name: str) -> dict[str, Any]:
        """The session's scale and rubric as stored: {'scale': 10 | 5, 'rubric': str} ('' on a 1-5 session
        means Prometheus 2's default; the form shows the stored text so that saving it back changes nothing)."""
        self.access.require(actor, ADMIN)
        return self.store.session_grading(name)

    def set_gold(
        self, actor: str | None, comparison_id: float | int | None, verdict: str | None, explanation: str | None
    ) -> None:
        """Mark a comparison as gold (an attention check) with its answer and an explanation."""
        self.access.require(actor, ADMIN)
        if comparison_id is None:
            raise StoreError("Enter the comparison number to mark as gold; nothing was saved.")
        number = _record_id(comparison_id, "comparison")
        if verdict not in GOLD_VERDICTS:
            given = f", not {verdict!r}" if verdict else ""
            raise StoreError(f"Choose the gold answer (verdict): 1, 2 or tie{given}; nothing was saved.")
        text = (explanation or "").strip()
        if not text:
            raise StoreError("Write an explanation (annotators see it after a wrong answer); nothing was saved.")
        self.store.set_gold(number, verdict, text)

    def remove_gold(self, actor: str | None, comparison_id: float | int | None) -> int:
        """Remove a comparison's gold mark; returns how many answers people gave on it. Those answers
        stay as ordinary labels: the item rejoins the normal pool, where they count toward the overlap,
        and gold accuracy no longer counts it (``Store.remove_gold``)."""
        self.access.require(actor, ADMIN)
        if comparison_id is None:
            raise StoreError("Enter the number of the gold comparison to unmark; nothing was removed.")
        return self.store.remove_gold(_record_id(comparison_id, "comparison"))

    def gold(self, actor: str | None, dataset: str | None) -> pd.DataFrame:
        self.access.require(actor, ADMIN)
        return self.store.gold_labels(dataset or None)

    def set_gold_rating(
        self, actor: str | None, response_id: Any, scale: Any, low: Any, high: Any, explanation: str | None
    ) -> None:
        """Mark a response as gold for grading sessions on ``scale``: ratings ``low``..``high`` are right
        (``Store.set_gold_rating`` checks the range). Form fields may come as floats or text."""
        self.access.require(actor, ADMIN)
        if response_id is None:
            raise StoreError("Enter the response number to mark as gold; nothing was saved.")
        number = _record_id(response_id, "response")
        if scale is None or low is None or high is None:
            raise StoreError("Choose the scale and the lowest and highest right rating; nothing was saved.")
        text = (explanation or "").strip()
        if not text:
            raise StoreError(
                "Write an explanation (graders see it after a rating outside the range); nothing was saved."
            )
        fields = ((scale, "The scale"), (low, "The lowest right rating"), (high, "The highest right rating"))
        whole = [_whole(_number(value), field) for value, field in fields]
        self.store.set_gold_rating(number, whole[0], whole[1], whole[2], text)

    def remove_gold_rating(self, actor: str | None, response_id: Any) -> int:
        """Remove a response's gold mark; returns how many ratings people gave it (they stay, as ordinary
        ratings, and count toward the overlap from then on)."""
        self.access.require(actor, ADMIN)
        if response_id is None:
            raise StoreError("Enter the number of the gold response to unmark; nothing was removed.")
        return self.store.remove_gold_rating(_record_id(response_id, "response"))

    def gold_ratings(self, actor: str | None, dataset: str | None, response_id: int | None = None) -> pd.DataFrame:
        """The gold responses (of one dataset, or the one response) with their scale, right range and
        explanation: admins only."""
        self.access.require(actor, ADMIN)
        if dataset:
            require_dataset(self.store, dataset)  # the one wording of an unknown dataset, with the names there are
        return self.store.gold_ratings(dataset or None, response_id)

    def response_preview(self, actor: str | None, response_id: Any) -> ResponseView | None:
        """The response a gold form's number names (model, prompt, text), so an admin sees what they are
        about to mark; None while the field is empty. An unknown number is ``NotFound``."""
        self.access.require(actor, ADMIN)
        if response_id is None:
            return None
        return self.store.get_response(_record_id(response_id, "response"))

    def comparison_preview(self, actor: str | None, comparison_id: Any) -> ComparisonView | None:
        """The comparison a gold form's number names (both responses in stored order), as above."""
        self.access.require(actor, ADMIN)
        if comparison_id is None:
            return None
        return self.store.get_comparison(_record_id(comparison_id, "comparison"))

    def import_gold_ratings(self, actor: str | None, marks: Sequence[GoldRatingMark]) -> GoldImportCounts:
        """Mark many responses as gold at once, all or nothing; returns what it did. Each needs an
        explanation, as ``set_gold_rating`` does; the store checks ranges and ids, naming the mark's place."""
        self.access.require(actor, ADMIN)
        checked: list[GoldRatingMark] = []
        for mark in marks:
            text = (mark.explanation or "").strip()
            if not text:
                raise StoreError(
                    f"{mark.place}, column 'explanation': write an explanation (graders see it after a rating "
                    "outside the range); nothing was imported."
                )
            checked.append(GoldRatingMark(mark.response_id, mark.scale, mark.low, mark.high, text, mark.where))
        return self.store.set_gold_ratings_many(checked)

    def gold_marks(
        self, actor: str | None, dataset: str | None = None, comparison_id: int | None = None
    ) -> pd.DataFrame:
        """Gold marks with their dataset (REST ``/gold``): ``orchestration.catalog.gold_listed``'s rows (admins
        only; ``judge-studio gold list`` prints them) as a DataFrame of ``GOLD_COLUMNS``."""
        import pandas as pd

        return pd.DataFrame(gold_listed(self.access, actor, dataset, comparison_id), columns=list(GOLD_COLUMNS))

    def import_gold(self, actor: str | None, marks: Sequence[GoldMark]) -> GoldImportCounts:
        """Mark many comparisons as gold at once, all or nothing; returns what it did. Each mark is
        checked as ``set_gold`` checks one, and a refusal names the mark's place (file, row, column)."""
        self.access.require(actor, ADMIN)
        checked: list[GoldMark] = []
        for mark in marks:
            if mark.verdict not in GOLD_VERDICTS:
                raise StoreError(
                    f"{mark.place}, column 'verdict': the gold answer must be 1, 2 or tie, got {mark.verdict!r}; "
                    "nothing was imported."
                )
            text = (mark.explanation or "").strip()
            if not text:
                raise StoreError(
                    f"{mark.place}, column 'explanation': write an explanation (annotators see it after a wrong "
                    "answer); nothing was imported."
                )
            checked.append(GoldMark(mark.comparison_id, mark.verdict, text, mark.where))
        return self.store.set_gold_many(checked)
