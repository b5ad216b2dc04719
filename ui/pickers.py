"""Every dataset picker of the app in one place, so that a dataset imported after the server started
(with the CLI, the REST API or the Admin page) appears everywhere without a restart.

The pages ask ``DatasetPickers.add`` for their dropdowns instead of baking ``studio.dataset_names()``
into the page when it is built; ``wire`` refreshes all of them when a page loads, when a tab is opened
and after the events named with ``refresh_after`` (the Admin page's import). A picker keeps what the
user chose while it still exists; an empty or vanished choice falls back to the default dataset.

Every picker's choices, these and the other pages' (sessions, comparisons, model pairs, categories, judge
runs, prompts), go through ``shown_choices``: a label built from untrusted names shows bidi controls as
markers (the one rule, ``ui.render.plain_text``) and line breaks as ``⏎``, while the value handed back to
the handlers stays the name itself (s12 tester "badinput", finding 5: "evil" showed as "live").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from orchestration import Studio
from ui.errors import has_role, log
from ui.render import plain_text

#: What a line break in a name shows as in a picker (a space would make "gpt\n4" look like "gpt 4").
LINE_BREAK_MARK = "⏎"
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def choice_label(text: object) -> str:
    """Untrusted text (a name, a key, a label built from them) as a picker shows it: bidi controls as
    markers (``ui.render.plain_text``, the rule of every web page) and each line break as ``⏎``. A picker
    shows its labels as text, so HTML needs no escaping (``<b>`` shows as ``<b>``)."""
    return _LINE_BREAK.sub(LINE_BREAK_MARK, plain_text(text))


def shown_choices(choices: Iterable[Any]) -> list[tuple[str, Any]]:
    """A Dropdown's, Radio's or CheckboxGroup's choices with every label through ``choice_label``, as
    (label, value) pairs: a bare choice is its own value, so the value handed back to the handlers is the
    name unchanged (picking a name with a marker still selects its row)."""
    pairs = (
        choice if isinstance(choice, tuple | list) and len(choice) == 2 else (choice, choice) for choice in choices
    )
    return [(choice_label(label), value) for label, value in pairs]


#: What a value Gradio refuses (not among a choice component's choices) is answered with, in place of Gradio's words.
CHOICE_REFUSED = "That choice is not in this page's list; reload the page and pick again."


def refused_choice(component: Any, payload: Any) -> bool:
    """Does ``payload`` hold a value that is not among ``component``'s choices? Gradio's rule for Dropdown, Radio
    and CheckboxGroup (None is no choice; a Dropdown with ``allow_custom_value`` takes any value; a list is checked
    value by value), on the component itself, not on the words of Gradio's message."""
    if payload is None or getattr(component, "allow_custom_value", False):
        return False
    values = [value for _, value in component.choices]
    return any(value not in values for value in (payload if isinstance(payload, list) else [payload]))


def quiet_choice_errors() -> None:
    """Gradio answers a value that is not among a Dropdown's, Radio's or CheckboxGroup's choices with an error that
    lists every choice the server holds for that component (``Value: x is not in the list of choices: [...]``), and
    shows it to the caller before any handler checks their role: an annotator who sent a made-up value to any event
    reading a dataset picker was told every dataset name (s18 redteam2, finding 2). Their ``preprocess`` now checks
    the value against the component's choices first (``refused_choice``) and answers a refused one with
    ``CHOICE_REFUSED``; Gradio's own message, with the component and the value, goes to the server's log
    (``judge_studio.ui``) only (review 18c finding 4). Once per process; other values and errors pass unchanged."""
    for cls in (gr.Dropdown, gr.Radio, gr.CheckboxGroup):
        original = cls.preprocess
        if getattr(original, "_quiet_choices", False):
            continue

        def preprocess(self: Any, payload: Any, *, _original: Any = original) -> Any:
            if not refused_choice(self, payload):
                return _original(self, payload)
            try:
                _original(self, payload)
                said = "Gradio itself accepted it"
            except Exception as exc:  # Gradio's gr.Error, naming every choice: for the log, never the page
                said = str(getattr(exc, "message", exc))
            where = f"{type(self).__name__} {self.elem_id or self._id!r}"
            log.warning("Refused a value not among the choices of %s: %s", where, said)
            raise gr.Error(CHOICE_REFUSED) from None

        preprocess._quiet_choices = True  # type: ignore[attr-defined]
        cls.preprocess = preprocess  # type: ignore[method-assign]


@dataclass
class _Picker:
    box: gr.Dropdown
    extra: tuple[str, ...]  # fixed choices listed before the datasets, e.g. "(all datasets)"
    role: str  # who may open its page: on load, the others' pickers are left alone (no change event)


class DatasetPickers:
    def __init__(self, studio: Studio) -> None:
        quiet_choice_errors()  # before any picker exists: no refusal names the choices (see there)
        self.studio = studio
        self._pickers: list[_Picker] = []
        self._after: list[Any] = []

    def add(
        self,
        elem_id: str,
        *,
        label: str = "Dataset",
        extra: tuple[str, ...] = (),
        role: str = "reviewer",
        **kwargs: Any,
    ) -> gr.Dropdown:
        """A dataset dropdown registered for refreshes (``extra`` choices stay first) on a page for ``role``."""
        default = self.studio.default_dataset() or (extra[0] if extra else None)
        box = gr.Dropdown(
            choices=shown_choices([*extra, *self.studio.dataset_choices()]),
            value=default,
            label=label,
            elem_id=elem_id,
            **kwargs,
        )
        self._pickers.append(_Picker(box, extra, role))
        return box

    @property
    def boxes(self) -> list[gr.Dropdown]:
        return [p.box for p in self._pickers]

    def refresh_after(self, event: Any) -> None:
        """Refresh every picker once ``event`` (a Gradio event, e.g. an import) has succeeded."""
        self._after.append(event)

    def updates(self, request: gr.Request, *current: Any) -> dict[gr.Dropdown, Any]:
        """New choices for every picker on a page the caller may open (the others are left alone: an annotator is
        sent no dataset name, s18 redteam2 finding 2); the value only changes where the chosen one is gone, so no
        needless ``change`` event fires."""
        datasets = self.studio.dataset_choices()
        default = self.studio.default_dataset()
        out: dict[gr.Dropdown, Any] = {}
        for picker, value in self._theirs(request, current):
            choices = shown_choices([*picker.extra, *datasets])
            if value in picker.extra or value in [name for _label, name in datasets]:
                out[picker.box] = gr.Dropdown(choices=choices)
            else:
                out[picker.box] = gr.Dropdown(choices=choices, value=default or (picker.extra[:1] or [None])[0])
        return self._rest_skipped(out)

    def opened(self, request: gr.Request, *current: Any) -> dict[gr.Dropdown, Any]:
        """On page load: new choices and every picker on today's default dataset (``Studio.default_dataset``).
        A dropdown's value is fixed when the app is built (a fresh database: the demo); kept on load, the
        pickers opened on the demo long after an admin's own sessions existed (tester "team", finding 7).
        Pickers on pages the caller may not open are left alone: a new value fires their ``change``
        handlers, which refuse the role (annotators saw four red error popups on every page load), and their
        choices would name every dataset to an annotator (s18 redteam2, finding 2)."""
        datasets = self.studio.dataset_choices()
        default = self.studio.default_dataset()
        out: dict[gr.Dropdown, Any] = {}
        for picker, value in self._theirs(request, current):
            choices = shown_choices([*picker.extra, *datasets])
            chosen = default or (picker.extra[:1] or [None])[0]
            # the value only when it changes: a value sent again fires the picker's change handlers, which
            # queued behind the page's own load events and lost a quick switch of dataset (chromium test)
            out[picker.box] = (
                gr.Dropdown(choices=choices) if chosen == value else gr.Dropdown(choices=choices, value=chosen)
            )
        return self._rest_skipped(out)

    def _theirs(self, request: gr.Request, current: tuple[Any, ...]) -> list[tuple[_Picker, Any]]:
        """(picker, its value) of the pickers on pages the caller may open (``picker.role``)."""
        pairs = list(zip(self._pickers, current, strict=True))
        roles = {picker.role for picker in self._pickers}
        allowed = {role for role in roles if has_role(self.studio, request, role)}
        return [(picker, value) for picker, value in pairs if picker.role in allowed]

    def _rest_skipped(self, out: dict[gr.Dropdown, Any]) -> dict[gr.Dropdown, Any]:
        """``out`` with ``gr.skip()`` for every picker it leaves out (a non-empty dict: Gradio would read an empty
        one as a single output's value)."""
        return {picker.box: out.get(picker.box, gr.skip()) for picker in self._pickers}

    def wire(self, demo: gr.Blocks, tabs: list[gr.Tab]) -> None:
        """Open on today's default on page load; refresh when one of ``tabs`` is opened and after each
        ``refresh_after`` event (keeping what was chosen)."""
        if not self._pickers:
            return
        boxes = self.boxes
        options: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": None, "show_progress": "hidden"}
        demo.load(self.opened, inputs=boxes, outputs=boxes, **options)
        for tab in tabs:
            tab.select(self.updates, inputs=boxes, outputs=boxes, **options)
        for event in self._after:
            event.success(self.updates, inputs=boxes, outputs=boxes, **options)
