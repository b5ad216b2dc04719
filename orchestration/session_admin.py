"""The Admin page's and REST's doors to two CLI-only features: who may work in a session (``judge-studio sessions
members``: ``orchestration.annotation.session_members`` / ``change_session_members``) and the labels per person
and day (``judge-studio sessions activity``: ``orchestration.activity``). Each function checks the admin role first
(``Access.require``); the wording is the CLI's, as plain text (the page escapes it, REST returns it as it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from annotation_store.sessions import MEMBER_ROLES
from orchestration.activity import Activity, read_activity
from orchestration.annotation import change_session_members, session_members

if TYPE_CHECKING:
    from annotation_store.sessions import MembersChanged
    from annotation_store.views import SessionView, Standing
    from orchestration.access import Access

ADMIN = "admin"
#: The note after the last member was removed (the CLI prints it on stderr).
OPEN_AGAIN = "Note: with its last member removed, the session is open to every annotator again."


def members_said(session: str, members: list[str]) -> str:
    """``judge-studio sessions members NAME``'s line: who the session is open to."""
    if not members:
        return f"Session {session!r} has no members: it is open to every annotator."
    names = ", ".join(members)
    return f"Session {session!r} is open to {len(members)} member{'' if len(members) == 1 else 's'}: {names}."


def released_said(released: dict[str, int]) -> list[str]:
    """One line per account whose held items went back to the pool with the change ("Released 1 item crowd2
    held: they may no longer work in the session."); none when nobody held one."""
    return [
        f"Released {count} item{'' if count == 1 else 's'} {who} held: they may no longer work in the session."
        for who, count in released.items()
        if count
    ]


def change_said(session: str, changed: MembersChanged) -> list[str]:
    """The lines ``sessions members NAME --add/--remove`` prints: what changed, who the session is open to now
    and, when the last member went, ``OPEN_AGAIN``."""
    lines = []
    if changed.added:
        lines.append(f"Added: {', '.join(changed.added)}.")
    if changed.already:
        lines.append(f"Already members: {', '.join(changed.already)}.")
    if changed.removed:
        lines.append(f"Removed: {', '.join(changed.removed)}.")
    lines.extend(released_said(changed.released))
    lines.append(members_said(session, changed.members))
    if changed.removed and not changed.members:
        lines.append(OPEN_AGAIN)
    return lines


@dataclass(frozen=True)
class MembersView:
    """One session's members as the Admin page shows them, with the accounts that may be added."""

    session: str
    members: list[str]
    addable: list[str]  # active annotator accounts that are not members yet

    @property
    def said(self) -> str:
        return members_said(self.session, self.members)


def active_annotators(access: Access, actor: str | None) -> list[str]:
    """The names of the active accounts a session limited to members shuts out unless they are one
    (``MEMBER_ROLES``: annotators; reviewers and admins see every session anyway); admin."""
    table = access.accounts(actor)
    if table.empty:
        return []
    chosen = table[table["role"].isin(MEMBER_ROLES) & table["active"]]
    return [str(name) for name in chosen["name"]]


def members_view(access: Access, actor: str | None, session: str) -> MembersView:
    """Session ``session``'s members and the annotators that could be added (admin; unknown session: NotFound
    naming the sessions there are)."""
    members = session_members(access, actor, session)
    addable = [name for name in active_annotators(access, actor) if name not in members]
    return MembersView(session.strip(), members, addable)


def change_members(
    access: Access, actor: str | None, session: str, add: list[str], remove: list[str]
) -> tuple[MembersChanged, list[str]]:
    """Add and remove members (``change_session_members``: admin, all or nothing, security-logged); the change
    and the CLI's lines about it."""
    changed = change_session_members(access, actor, session, list(add), list(remove))
    return changed, change_said(session.strip(), changed)


@dataclass(frozen=True)
class SessionListed:
    """One session as the Admin page's sessions table and ``judge-studio sessions list`` show it: its settings,
    where it stands (``Standing``: items done of total, gold apart) and its members ([]: open to everyone)."""

    session: SessionView
    standing: Standing
    members: list[str]


#: ``judge-studio sessions list``'s columns (``sessions_list_rows``).
SESSION_LIST_HEADERS = ("name", "dataset", "kind", "state", "who may work", "items done")


def sessions_listed(access: Access, actor: str | None) -> list[SessionListed]:
    """Every session, open or closed, oldest first, with where it stands and its members (admin): the one read
    behind the Admin page's sessions table and ``judge-studio sessions list``."""
    access.require(actor, ADMIN)
    store = access.store
    return [SessionListed(s, store.session_standing(s.name), store.session_members(s.name)) for s in store.sessions()]


def sessions_list_rows(listed: list[SessionListed]) -> list[tuple[str, ...]]:
    """The cells of ``SESSION_LIST_HEADERS`` per session: kind "pairwise" or "grading 1-5", state "open" or
    "closed", who may work "everyone" or "members only (2)", items done "57 of 60" (gold checks apart)."""
    return [
        (
            x.session.name,
            x.session.dataset,
            "pairwise" if x.session.kind == "pairwise" else f"grading 1-{x.session.scale}",
            "open" if x.session.active else "closed",
            f"members only ({len(x.members)})" if x.members else "everyone",
            f"{x.standing.done} of {x.standing.total}",
        )
        for x in listed
    ]


def session_activity(
    access: Access,
    actor: str | None,
    session: str,
    *,
    by: str = "person",
    since: date | None = None,
    until: date | None = None,
) -> Activity:
    """The labels of session ``session`` per person, day or both (``read_activity``), for an admin."""
    access.require(actor, ADMIN)
    return read_activity(access.store, session=session, by=by, since=since, until=until)
