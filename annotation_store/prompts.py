"""Saved versions of users' own judge prompts (table ``judge_prompts``): append-only.

The store keeps plain text and JSON and knows nothing of the judge (``judge_runtime.custom`` checks and
hashes a prompt; ``orchestration.prompts`` joins the two). Saving content whose hash is already stored
under the same name returns that version (nothing is written); under another name it is refused, so a
hash always names one prompt. There is no update and no delete: a version is kept forever, so every
judge run made with it can be traced to the exact text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from annotation_store.base import StoreBase, StoreConflict, StoreNotFound
from annotation_store.errors import StoreError
from annotation_store.models import JudgePromptVersion

HASH_LENGTH = 64


@dataclass(frozen=True)
class PromptVersionView:
    """One saved version; ``created`` is False when a save found this content already stored."""

    id: int
    name: str
    version: int
    template: str
    system: str
    rule: dict[str, Any]
    kind: str
    chat: bool
    rubric: str
    hash: str
    created_at: datetime
    created_by: str | None
    created: bool = True

    @property
    def short_id(self) -> str:
        return self.hash[:12]


def _view(row: JudgePromptVersion, *, created: bool = True) -> PromptVersionView:
    return PromptVersionView(
        id=row.id,
        name=row.name,
        version=row.version,
        template=row.template,
        system=row.system,
        rule=dict(row.rule),
        kind=row.kind,
        chat=row.chat,
        rubric=row.rubric,
        hash=row.hash,
        created_at=row.created_at,
        created_by=row.created_by,
        created=created,
    )


@dataclass(frozen=True)
class NewPromptVersion:
    """What a save writes (already checked and hashed by the caller)."""

    name: str
    template: str
    system: str
    rule: dict[str, Any]
    kind: str
    chat: bool
    rubric: str
    hash: str
    created_by: str | None = None


class PromptsMixin(StoreBase):
    """Custom judge prompt versions for ``Store``."""

    def save_prompt_version(self, new: NewPromptVersion) -> PromptVersionView:
        """Append ``new`` as the next version of its name (or return the version that has its hash already)."""
        if len(new.hash) != HASH_LENGTH:
            raise StoreError(f"A prompt hash is {HASH_LENGTH} hex digits, got {new.hash!r}.")
        with self._write() as session:
            existing = session.scalar(select(JudgePromptVersion).where(JudgePromptVersion.hash == new.hash))
            if existing is not None:
                if existing.name != new.name:
                    raise StoreConflict(
                        f"This prompt is already saved as {existing.name!r} version {existing.version} "
                        f"(hash {existing.hash[:12]}); use that name, or change the prompt."
                    )
                return _view(existing, created=False)
            latest = session.scalar(
                select(func.max(JudgePromptVersion.version)).where(JudgePromptVersion.name == new.name)
            )
            row = JudgePromptVersion(
                name=new.name,
                version=(latest or 0) + 1,
                template=new.template,
                system=new.system,
                rule=new.rule,
                kind=new.kind,
                chat=new.chat,
                rubric=new.rubric,
                hash=new.hash,
                created_by=new.created_by,
            )
            session.add(row)
            session.flush()
            return _view(row)

    def prompt_versions(self, name: str | None = None) -> list[PromptVersionView]:
        """Every saved version (of ``name``, when given), by name then version."""
        query = select(JudgePromptVersion).order_by(JudgePromptVersion.name, JudgePromptVersion.version)
        if name is not None:
            query = query.where(JudgePromptVersion.name == name)
        with self._read() as session:
            return [_view(row) for row in session.scalars(query)]

    def prompt_version(self, name: str, short_hash: str | None = None) -> PromptVersionView:
        """The latest version of ``name``, or the one whose hash starts with ``short_hash`` (at least 6 hex)."""
        with self._read() as session:
            query = select(JudgePromptVersion).where(JudgePromptVersion.name == name)
            if short_hash is None:
                row = session.scalar(query.order_by(JudgePromptVersion.version.desc()).limit(1))
            else:
                if len(short_hash) < 6 or any(c not in "0123456789abcdef" for c in short_hash.lower()):
                    raise StoreError(
                        f"{short_hash!r} is not a prompt hash: give at least 6 hex digits, e.g. NAME@1a2b3c."
                    )
                rows = list(session.scalars(query.where(JudgePromptVersion.hash.startswith(short_hash.lower()))))
                if len(rows) > 1:
                    raise StoreConflict(f"{name}@{short_hash} names {len(rows)} versions: give more hex digits.")
                row = rows[0] if rows else None
            if row is None:
                names = sorted(set(session.scalars(select(JudgePromptVersion.name))))
                which = f"{name}@{short_hash}" if short_hash else name
                known = f" Saved prompts: {', '.join(names)}." if names else " No prompt is saved yet."
                raise StoreNotFound(f"There is no saved judge prompt {which!r}.{known}")
            return _view(row)
