"""The store's facade: ``Store`` puts the entity modules together, ``open_store`` opens and migrates.

Every read and write of datasets, judge verdicts, human answers, sessions and accounts goes through
a ``Store``. Each entity lives in its own module (datasets, verdicts, labels, ratings, sessions,
accounts); the answer flow that pairwise labels and single-answer ratings share (lease, submit with
the session's rules, history, progress) is ``answers.py``. Reads return plain dataclasses
(``views.py``) or DataFrames, never ORM objects, so callers cannot lazily trigger SQL later.
"""

from __future__ import annotations

from pathlib import Path

from annotation_store import storage
from annotation_store.accounts import AccountsMixin
from annotation_store.activity import ActivityMixin
from annotation_store.answers import AnswerKind
from annotation_store.app_secrets import AppSecretsMixin
from annotation_store.dataset_removal import DatasetRemovalMixin
from annotation_store.datasets import COMPARISON_COLUMNS, demo_pairs
from annotation_store.db import make_engine, shown_url, sqlite_url, unreachable_error, upgrade_to_head
from annotation_store.errors import StoreError
from annotation_store.extra_reads import ExtraReadsMixin
from annotation_store.gold_ratings import GoldRatingsMixin
from annotation_store.guidelines import GuidelinesMixin
from annotation_store.labels import LABELS, LabelsMixin
from annotation_store.prompts import PromptsMixin
from annotation_store.ratings import RATINGS, RatingsMixin
from annotation_store.run_admin import RunAdminMixin
from annotation_store.sessions import SessionsMixin
from annotation_store.set_aside import SetAsideMixin
from annotation_store.unfinished import UnfinishedMixin
from annotation_store.verdicts import VerdictsMixin
from annotation_store.views import (
    AdjudicationView,
    AnnotatorView,
    ComparisonView,
    JudgeRunView,
    LabelView,
    NewVerdict,
    VerdictView,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "AdjudicationView",
    "AnnotatorView",
    "ComparisonView",
    "JudgeRunView",
    "LabelView",
    "NewVerdict",
    "Store",
    "StoreError",
    "VerdictView",
    "demo_pairs",
    "open_store",
]


class Store(
    LabelsMixin,
    RatingsMixin,
    GoldRatingsMixin,
    ExtraReadsMixin,
    VerdictsMixin,
    SessionsMixin,
    UnfinishedMixin,
    AccountsMixin,
    PromptsMixin,
    GuidelinesMixin,
    AppSecretsMixin,
    DatasetRemovalMixin,
    RunAdminMixin,
    SetAsideMixin,
    ActivityMixin,
):
    """Open with :func:`open_store`. ``kinds``: the answer kinds by session kind, for ``lease``/``submit``."""

    kinds: dict[str, AnswerKind] = {LABELS.name: LABELS, RATINGS.name: RATINGS}


def open_store(location: str | Path, *, reading: bool = False) -> Store:
    """Open (creating and migrating if needed) a store: a SQLite file path or a SQLAlchemy URL.

    ``reading``: the caller only reads (``datasets list``, ``export``, ``metrics``, ``report``); a SQLite file
    whose file or folder cannot be written is then opened read-only, without migrations, and the store's
    ``read_only_note`` says so (s14: a read-only snapshot could not even be exported)."""
    text = str(location)
    storage.remember(text)
    if (path := storage.sqlite_path(text)) is not None and path.is_file() and not storage.writable(path):
        store = _open_read_only(path)  # a database behind the migrations is refused here, in one line
        if reading:
            return store
        store.close()  # a writing command: its first write says the folder is read-only
    # a new SQLite file is made 0600 in folders made 0700 by make_engine (db.private_sqlite_file)
    url = text if "://" in text else sqlite_url(text)
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError) as exc:  # one line naming the setting
        raise StoreError(
            f"The database URL '{shown_url(text)}' (--database-url, JUDGE_STUDIO_DATABASE_URL) cannot be opened: "
            f"{str(exc).replace(text, shown_url(text))}. "
            "Use e.g. postgresql+psycopg://user@host/db, or leave it empty for SQLite in the data directory."
        ) from None
    except OSError as exc:
        raise StoreError(
            f"The data directory for {text!r} (--home, JUDGE_STUDIO_HOME) cannot be created: "
            f"{exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    try:
        upgrade_to_head(engine)  # the first connection: a server that is down or refuses the login says so here
    except OperationalError as exc:
        engine.dispose()
        if (error := unreachable_error(text, exc)) is None:
            raise
        raise error from None
    return Store(engine)


def _open_read_only(path: Path) -> Store:
    """The SQLite file at ``path`` opened for reading only (``storage.read_only_url``), migrations skipped. A database
    at another revision than this version's newest cannot be read by it (s18 upgrader: every figure failed with a
    70-line traceback on an archived older snapshot) and cannot be upgraded here: refused in one line
    (``behind_refusal``)."""
    from annotation_store.db import stored_revision

    engine = make_engine(storage.read_only_url(path))
    try:
        revision = stored_revision(engine)
    except Exception:
        engine.dispose()
        raise
    if revision != (head := _head_revision()):
        engine.dispose()
        raise StoreError(behind_refusal(path, revision, head))
    store = Store(engine)
    store.read_only_note = (
        f"Opened {path} read-only: its folder or file is not writable, so nothing is written and the database was "
        "not migrated."
    )
    return store


def behind_refusal(path: Path, revision: str | None, head: str | None) -> str:
    """Why a read-only database at ``revision`` is not opened by a version whose newest migration is ``head``, and
    what to do."""
    from annotation_store.db import known_revision

    where = f"The database {path} is read-only here"
    if revision is None:
        return f"{where} and holds no Judge Studio tables (no migration recorded): nothing was read."
    if not known_revision(revision):
        return (
            f"{where} and is at migration {revision}, made by a newer version of Judge Studio than this one "
            f"(which knows migrations up to {head}): nothing was read. Open it with that newer version."
        )
    return (
        f"{where}, and its tables are at migration {revision} while this version of Judge Studio needs {head}: it "
        f"cannot be upgraded where it cannot be written, and nothing was read. Copy it to a folder you can write to "
        f"(judge-studio backup /writable/folder/judge-studio.sqlite3 --home {path.parent}) and run the command with "
        "--home /writable/folder: the copy is upgraded there, the original stays as it is. Or open it with the "
        "version of Judge Studio that made it."
    )


def _head_revision() -> str | None:
    from annotation_store.db import MIGRATIONS, head_revision

    if (head := head_revision()) is not None:  # read from the migration files, without Alembic
        return head
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
