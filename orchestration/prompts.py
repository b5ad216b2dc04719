"""Your own judge prompts: save a version, list them, resolve ``NAME`` / ``NAME@HASH12``, judge with one.

The judge side (checking, hashing, the profile) is ``judge_runtime.custom``; the store keeps the versions
(``annotation_store.prompts``, append-only). This module joins them: a saved version becomes a
:class:`CustomPrompt` registered as profile ``custom:<name>@<hash12>``, which any judge (the CLI's, the
pipeline's, the case study's) can then load by name, and whose runs are stored under fingerprints of
their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation_store import Store
from annotation_store.prompts import NewPromptVersion, PromptVersionView
from errors import Conflict, InvalidInput, NotFound
from judge_runtime.custom import (
    CustomPrompt,
    VerdictRule,
    is_custom_profile,
    prompt_from_dict,
    prompt_warnings,
    register_custom,
    split_custom_name,
    stored_prompt_warnings,
    validate,
)
from judge_runtime.profiles import CaseKind, get_profile

if TYPE_CHECKING:
    from orchestration.access import Access

ADMIN = "admin"
REVIEWER = "reviewer"  # runs the judge on the Case study page, with any saved prompt

__all__ = [
    "PromptDesk",
    "ensure_profile",
    "prompt_from_file",
    "prompt_of",
    "prompt_warnings",
    "resolve_prompt",
    "save_prompt",
    "stored_prompt_warnings",
    "use_prompt",
    "version_warnings",
]

#: Added to a picker's label of a stored version with a warning (``version_warnings``); the note under the
#: picker says what it is.
WARNED = " ⚠ see its warning"


def prompt_of(view: PromptVersionView) -> CustomPrompt:
    """The :class:`CustomPrompt` a stored version holds (its hash is the stored one: checked in tests)."""
    rule = VerdictRule.from_dict(view.rule, where=f"stored rule of {view.name} v{view.version}")
    kind: CaseKind = "single" if view.kind == "single" else "pair"
    return CustomPrompt(view.name, view.template, view.system, kind, rule, view.chat, view.rubric)


def version_warnings(view: PromptVersionView) -> list[str]:
    """What a stored version does that a new one may no longer do (``stored_prompt_warnings``: ``{{ name }}``,
    which the judge reads as ``{ name }``): said where the version is listed or picked (s15), not only in the
    server's log when it loads. Plain text, for the pages to escape; no model call, nothing read."""
    try:
        return stored_prompt_warnings(prompt_of(view))
    except InvalidInput:  # a stored rule this release cannot read: loading it says so
        return []


def save_prompt(
    store: Store, prompt: CustomPrompt, *, test_output: str | None = None, created_by: str | None = None
) -> PromptVersionView:
    """Check ``prompt`` (and its rule against ``test_output``) and append it as a new version of its name;
    content saved before under this name returns that version (``created`` False), nothing is written."""
    validate(prompt, test_output)
    return store.save_prompt_version(prompt_version(prompt, created_by))


def prompt_version(prompt: CustomPrompt, created_by: str | None) -> NewPromptVersion:
    """The store's row for ``prompt`` (unchecked: ``save_prompt`` validates first)."""
    return NewPromptVersion(
        name=prompt.name,
        template=prompt.template,
        system=prompt.system,
        rule=prompt.rule.as_dict(),
        kind=prompt.kind,
        chat=prompt.chat,
        rubric=prompt.rubric,
        hash=prompt.hash,
        created_by=created_by,
    )


def resolve_prompt(store: Store, reference: str) -> CustomPrompt:
    """``NAME`` (its latest version), ``NAME@HASH12`` (that version) or ``custom:NAME@HASH12``."""
    name, short = split_custom_name(reference.strip())
    if not name:
        raise InvalidInput(f"{reference!r} names no prompt: write NAME or NAME@HASH (see `judge-studio prompts list`).")
    return prompt_of(store.prompt_version(name, short))


def use_prompt(store: Store, reference: str) -> str:
    """Resolve ``reference`` and register it; returns the profile name to load a judge with. A stored version
    loads even with what only a new one is refused for (``{{ instruction }}``): that is logged as a warning."""
    return register_custom(resolve_prompt(store, reference), stored=True)


def ensure_profile(store: Store, profile: str) -> None:
    """Make a ``custom:NAME@HASH12`` profile loadable in this process (a new process knows only the built-in
    ones until a saved version is registered); built-in and already registered profiles are left alone."""
    if not is_custom_profile(profile):
        return
    try:
        get_profile(profile)
    except ValueError:
        use_prompt(store, profile)


def prompt_from_file(path: str | Path, *, name: str | None = None) -> CustomPrompt:
    """A prompt from ``.json`` (an object: template, system, kind, rule, chat, rubric, name) or any other
    file taken as the template text itself (default rule: MT-Bench's ``[[A]]``/``[[B]]``/``[[C]]`` markers)."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Cannot read the prompt file {str(file)!r}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"The prompt file {str(file)!r} is not UTF-8 text.") from None
    if file.suffix.lower() != ".json":
        return CustomPrompt(name=name or file.stem, template=text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{file.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    given = data.get("name") if isinstance(data, dict) else None
    return prompt_from_dict(data, name=name or given or file.stem, where=f"prompt in {file.name}")


def rule_from_text(text: str) -> VerdictRule:
    """The verdict rule as typed in a form: JSON (``{"kind": "regex", ...}``), or blank for the default markers."""
    if not text.strip():
        return VerdictRule()
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The verdict rule is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); e.g. "
            '{"kind": "markers", "markers": {"[[A]]": "1", "[[B]]": "2", "[[C]]": "tie"}}.'
        ) from None
    return VerdictRule.from_dict(data)


class PromptDesk:
    """What the Admin page does with custom prompts; every call checks the admin role first."""

    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def save(
        self,
        actor: str | None,
        prompt: CustomPrompt,
        *,
        test_output: str | None = None,
    ) -> PromptVersionView:
        user = self.access.require(actor, ADMIN)
        return save_prompt(self.store, prompt, test_output=test_output, created_by=user.name)

    def versions(self, actor: str | None, name: str | None = None) -> list[PromptVersionView]:
        self.access.require(actor, ADMIN)
        return self.store.prompt_versions(name)

    def version(self, actor: str | None, reference: str) -> PromptVersionView:
        self.access.require(actor, ADMIN)
        return self.store.prompt_version(*split_custom_name(reference.strip()))

    @staticmethod
    def builtin_pair_choices(current: str) -> list[tuple[str, str]]:
        """(label, name) of the built-in pairwise profiles other than ``current`` (the server's), for the
        Case study's prompt picker: another prompt format on the same loaded model, no restart."""
        from judge_runtime import get_profile, profile_names

        return [(name, name) for name in profile_names() if name != current and get_profile(name).kind == "pair"]

    def judge_choices(self, actor: str | None) -> list[tuple[str, str]]:
        """``profile_choices`` for the Case study's prompt picker: reviewers and admins only (the names
        say what the admins are evaluating; annotators never pick a judge prompt)."""
        self.access.require(actor, REVIEWER)
        return self.profile_choices()

    def profile_choices(self) -> list[tuple[str, str]]:
        """(label, profile name) of every saved version, newest first per name: for judge pickers (the
        names are shown in dropdowns, never as Markdown); a version with a warning (``version_warnings``) is
        marked (``WARNED``), and ``prompt_notes`` says what it is once picked."""
        views = sorted(self.store.prompt_versions(), key=lambda v: (v.name, -v.version))
        return [
            (
                f"{v.name} v{v.version} @{v.short_id}{WARNED if version_warnings(v) else ''}",
                f"custom:{v.name}@{v.short_id}",
            )
            for v in views
        ]

    def prompt_notes(self, actor: str | None, profile: str | None) -> list[str]:
        """The warnings of the judge prompt chosen in a picker (``custom:NAME@HASH12``, ``NAME@HASH12``):
        ``version_warnings`` of that stored version; none for a built-in profile or an unknown name (judging
        with it says what is wrong). Reviewers and admins, who have the pickers."""
        self.access.require(actor, REVIEWER)
        if not profile or not is_custom_profile(profile.strip()) and "@" not in profile:
            return []
        try:
            view = self.store.prompt_version(*split_custom_name(profile.strip()))
        except (NotFound, InvalidInput, Conflict):  # not there, no prompt name, two versions: the run says so
            return []
        return version_warnings(view)
