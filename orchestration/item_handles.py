"""Item handles: how an item is named to the person answering it (session 15, "blindids").

Why: item ids are handed out in import order, so the comparisons of one model pair are contiguous (an import
of "A vs B", then "A vs C"; in the demo, id mod 10 names the pair). An annotator shown the id of every item
knew the pair of every later item after a few revealed answers, before answering, and could note gold checks
by number and share them with others. So annotators (role annotator) never see an item's id: the Annotate and
Grade pages and the REST answers name it by a **handle**, ten characters of base32 ("Item 7KQ2MXA3FZ"). Reviewers
and admins see the ids as before ("Comparison #12"), and get the handle too (REST ``item``).

What a handle is: the item's id enciphered under a key of its own for each (session, person): the key is a keyed
BLAKE2b (a MAC, like HMAC) of the session's and the person's row ids under a server secret (``HANDLE_SECRET``, a
row of ``app_secrets`` beside the login cookies' key, so every app server on the database agrees), and the
cipher a Feistel network over 50 bits (ten rounds, each a keyed BLAKE2b, as format-preserving encryption does),
so a handle is not sequential (neighbouring ids get unrelated handles), differs between two people on the same
item and stays the same for one person in one session (← Previous, edits and the page's drafts keep working).
Being a permutation, a handle is resolved by deciphering it: no table of handles to look through (a 50,000-item
session resolves as fast as a small one: one short read), and the item it deciphers to counts only if it was
handed to that person in that session (``Store.handed_item``: leased or answered there); any other string is
unknown (404). An id of 2**50 or more (no database here hands those out) gets 13 characters (a 64-bit block).

One place each: ``HandleBook.handle`` makes a handle, ``HandleBook.resolve`` resolves one; ``ItemRef`` names an
item for one viewer, and ``ItemRef.said`` / ``HandleBook.said`` put that name into the store's messages
("Comparison #12 was not handed to you") for the person they are said to.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from annotation_store import Handed
from errors import NotFound
from orchestration.access import User

SEES_IDS = "reviewer"  # the lowest role told items' ids ("Comparison #12"); annotators get handles
HANDLE_SECRET = "item-handles"  # its row in ``app_secrets`` (made by the first server that needs it)
HANDLE_LENGTH = 10  # base32 characters: a 50-bit block (ids below 2**50)
WIDE_LENGTH = 13  # base32 characters of a 64-bit block (larger ids), the top bit zero
HANDLE_PATTERN = "^[A-Za-z2-7]{10}([A-Za-z2-7]{3})?$"  # what REST accepts as ``item`` (read case-insensitively)
ROUNDS = 10  # Feistel rounds (as FF1)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648's alphabet (no 0/O or 1/I to mix up)
_VALUE = {c: n for n, c in enumerate(_BASE32)}
_BLOCKS = {HANDLE_LENGTH: 50, WIDE_LENGTH: 64}  # characters -> block bits
# how the store's messages name an item: "Comparison #12", "label on comparison #12", "with id 12"
_NAMED = re.compile(r"\b([Cc]omparison|[Rr]esponse) (?:#|with id )(\d+)\b")
# a store message about an item of another session (answers.py: "handed to you in another session", "answered ...
# in another session", "This submission was made in another session"): its items are named "this item"
_ELSEWHERE = re.compile(r"\banother session\b")


class HandleStore(Protocol):
    """What handles need of the store (``annotation_store.Store`` has it)."""

    def shared_secret(self, name: str, *, adopt: str | None = None) -> str: ...

    def handed_item(
        self,
        kind: str,
        annotator: str,
        session_name: str | None,
        item_of: Callable[[int, int], int | None] | None = None,
    ) -> Handed: ...


@dataclass(frozen=True)
class Viewer:
    """Who an item is named for: their account's row id and whether they see item ids (reviewers and admins)."""

    person_id: int
    sees_ids: bool


def viewer_of(person_id: int, user: User) -> Viewer:
    """The ``Viewer`` of ``user``, whose account's row id is ``person_id``: the one rule of who sees ids."""
    return Viewer(int(person_id), user.can(SEES_IDS))


@dataclass(frozen=True)
class ItemRef:
    """One item as one person is told of it: by its id ("Comparison #12") for reviewers and admins, by its handle
    ("Item 7KQ2MXA3FZ") for annotators. ``id`` is for the server only: never shown where ``sees_id`` is False."""

    id: int
    handle: str
    noun: str  # "comparison" / "response"
    sees_id: bool

    @property
    def word(self) -> str:
        """ "Comparison" / "Response", or "Item" for an annotator."""
        return self.noun.capitalize() if self.sees_id else "Item"

    @property
    def mark(self) -> str:
        """ "#12", or the handle for an annotator."""
        return f"#{self.id}" if self.sees_id else self.handle

    @property
    def title(self) -> str:
        """ "Comparison #12" / "Item 7KQ2MXA3FZ": at the start of a sentence or a heading."""
        return f"{self.word} {self.mark}"

    @property
    def name(self) -> str:
        """ "comparison #12" / "item 7KQ2MXA3FZ": inside a sentence."""
        return f"{self.word.lower()} {self.mark}"

    def said(self, text: str) -> str:
        """``text`` (a store message about this item) naming it as this person is told of it."""
        return text if self.sees_id else renamed(text, lambda item_id: self if item_id == self.id else None)


def renamed(text: str, ref_of: Callable[[int], ItemRef | None]) -> str:
    """``text`` with every item the store named by id ("Comparison #12", "comparison with id 12") named by
    ``ref_of(id)`` instead, capitalised as it was; an id ``ref_of`` does not know becomes "this item".

    A message about another session ("... was handed to you in another session: answer it there") names its item
    "this item" whatever ``ref_of`` says: a handle is the item's in one session, and ``ref_of`` gives the one of
    the session the request named, so the person would look "there" for a handle the item does not have there
    (s16 review finding 4). The item is the one the request named, so "this item" is exact."""
    if _ELSEWHERE.search(text):
        ref_of = _unknown

    def one(found: re.Match[str]) -> str:
        ref = ref_of(int(found.group(2)))
        said = ref.name if ref is not None else "this item"
        return said[0].upper() + said[1:] if found.group(1)[0].isupper() else said

    return _NAMED.sub(one, text)


def _unknown(_item_id: int) -> ItemRef | None:
    return None


def names_an_item(text: str) -> bool:
    """Whether ``text`` names an item by its id (what ``renamed`` would change)."""
    return _NAMED.search(text) is not None


class HandleBook:
    """Makes and resolves one answer kind's item handles (one per answer desk; see the module docstring)."""

    def __init__(self, store: HandleStore, kind: str, noun: str) -> None:
        self.store, self.kind, self.noun = store, kind, noun
        self._secret: bytes | None = None

    def _key(self, session_id: int, person_id: int) -> bytes:
        """The cipher's key for one (session, person): a keyed BLAKE2b of their row ids under the server secret."""
        if self._secret is None:  # read (or made) once per process
            self._secret = hashlib.sha256(self.store.shared_secret(HANDLE_SECRET).encode()).digest()
        scope = struct.pack(">qq", int(session_id), int(person_id))
        return hashlib.blake2b(scope, key=self._secret, digest_size=32).digest()

    def handle(self, session_id: int, person_id: int, item_id: int) -> str:
        """The one function that makes a handle: item ``item_id``'s for this person in this session."""
        length = HANDLE_LENGTH if 0 <= item_id < 1 << _BLOCKS[HANDLE_LENGTH] else WIDE_LENGTH
        return _encoded(_feistel(self._key(session_id, person_id), item_id, _BLOCKS[length], False), length)

    def resolve(self, actor: str, session_name: str, handle: str) -> int:
        """The one function that resolves a handle: the id of the item ``handle`` names among the items handed to
        ``actor`` in ``session_name`` (the session's refusals as a submit's: none such, closed, the other kind);
        ``NotFound`` naming the handle when it names none of them."""
        wanted = handle.strip().upper()
        block = _decoded(wanted)

        def item_of(session_id: int, person_id: int) -> int | None:
            if block is None:
                return None
            item = _feistel(self._key(session_id, person_id), block[0], block[1], True)
            # one handle per item: a 13-character one only for an id a 10-character one cannot hold
            return item if (item >= 1 << _BLOCKS[HANDLE_LENGTH]) == (block[1] > _BLOCKS[HANDLE_LENGTH]) else None

        found = self.store.handed_item(self.kind, actor, session_name, item_of).item
        if found is None:
            raise NotFound(
                f"There is no item {wanted} among the items handed to you in session {session_name!r}; use the "
                "`item` that POST /sessions/{name}/next gave you. Nothing was saved."
            )
        return found

    def ref(self, viewer: Viewer, session_id: int, item_id: int) -> ItemRef:
        """Item ``item_id`` of session ``session_id`` as ``viewer`` is told of it."""
        return ItemRef(item_id, self.handle(session_id, viewer.person_id, item_id), self.noun, viewer.sees_ids)

    def said(self, text: str, viewer: Viewer, session_id: int) -> str:
        """A store message (an error, a final answer's reason) naming every item in it as ``viewer`` is told of
        it: unchanged for reviewers and admins."""
        if viewer.sees_ids:
            return text
        return renamed(text, lambda item_id: self.ref(viewer, session_id, item_id))


def _feistel(key: bytes, value: int, bits: int, back: bool) -> int:
    """``value`` (``bits`` wide, an even number) enciphered (``back``: deciphered) by a ``ROUNDS``-round Feistel
    network whose round function is a keyed BLAKE2b of the round's number and the half it is given."""
    half = bits // 2
    mask = (1 << half) - 1
    left, right = value >> half & mask, value & mask

    def f(round_: int, x: int) -> int:
        digest = hashlib.blake2b(struct.pack(">BQ", round_, x), key=key, digest_size=8).digest()
        return int.from_bytes(digest, "big") & mask

    if back:
        for round_ in reversed(range(ROUNDS)):
            left, right = right ^ f(round_, left), left
    else:
        for round_ in range(ROUNDS):
            left, right = right, left ^ f(round_, right)
    return left << half | right


def _encoded(code: int, length: int) -> str:
    """``code`` as ``length`` base32 characters, most significant first."""
    return "".join(_BASE32[(code >> (5 * (length - 1 - n))) & 31] for n in range(length))


def _decoded(handle: str) -> tuple[int, int] | None:
    """(the block, its bits) a handle (upper case) stands for; None when it is no handle (another length or
    letter, or a 13-character one whose top bit is set)."""
    bits = _BLOCKS.get(len(handle))
    if bits is None or any(c not in _VALUE for c in handle):
        return None
    code = 0
    for c in handle:
        code = code << 5 | _VALUE[c]
    return (code, bits) if code < 1 << bits else None
