"""Admin: annotation sessions (the table, the form that creates or edits one), gold comparisons and
gold responses (``gold_ratings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, cast

import gradio as gr
import pandas as pd

from annotation_store import SessionView
from annotation_store.assignment import ASSIGNMENT_DEFAULTS, JUDGE_UNCERTAIN_FIRST, LEAST_ANNOTATED, MIN_AUDIT_RATE
from annotation_store.models import LEASE_MIN_SECONDS
from annotation_store.scales import GRADING_DEFAULTS
from annotation_store.sessions import BREADTH, DEPTH, MAX_GOLD_RATE
from annotation_store.unfinished import Unfinished, UnfinishedItem
from orchestration.admin import GOLD_VERDICTS
from settings.sessions import session_defaults
from ui.admin_sections.gold_preview import preview_box
from ui.admin_sections.gold_ratings import gold_ratings_fields
from ui.formatting import EMPTY_NUMBER
from ui.pickers import DatasetPickers
from ui.render import inline_text
from ui.tables import plain_table

SESSION_HEADERS = [
    "name",
    "dataset",
    "overlap",
    "blind",
    "reveal judge",
    "randomize order",
    "lease (s)",
    "gold rate",
    "active",
    "kind",
    "scale",
    "assignment",
    "audit share",
    "fill",
    "guidelines version",
    "progress",
]
#: The table's short names of the assignment strategies (the form's dropdown says more).
STRATEGY_SHORT = {LEAST_ANNOTATED: "least annotated first", JUDGE_UNCERTAIN_FIRST: "judge-uncertain first"}
STRATEGY_CHOICES = [
    ("Least annotated first", LEAST_ANNOTATED),
    ("Judge-uncertain first (with random audits)", JUDGE_UNCERTAIN_FIRST),
]
#: The table's short names of the fill orders; the form's radio and its note say more.
FILL_SHORT = {BREADTH: "breadth", DEPTH: "depth (fill each item first)"}
FILL_CHOICES = [("Breadth", BREADTH), ("Depth", DEPTH)]
FILL_INFO = (
    "Breadth: every item gets one answer before any gets a second. Depth: items are filled to the overlap one "
    "after another, so agreement shows early."
)
SCALE_CHOICES = [("1-10 (MT-Bench)", 10), ("1-5 (Prometheus 2, Selene)", 5)]
GOLD_CHOICES = [(f"{v} · Response {v} is better" if v != "tie" else "Tie", v) for v in GOLD_VERDICTS]
GOLD_EXPLANATION_HINT = (
    "Refer to the responses by content, or as Response 1/2: annotators see them as Left/Right in their own "
    "order and are told which side each was on."
)


def sessions_frame(
    sessions: list[SessionView],
    assignments: Mapping[str, Mapping[str, Any]] | None = None,
    standings: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row a session. ``assignments`` (name -> ``AdminDesk.session_assignment``) fills the strategy
    and the audit share (a share only where the strategy draws audits); without it they show "–".
    ``standings`` (name -> ``Standing.text()``): how far the session is and why items are not done
    ("57 of 60 done (3 answers each); 2 left only to people who skipped them, 1 leased"), else "–"."""

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    def assignment(name: str) -> list[str]:
        found = (assignments or {}).get(name)
        if found is None:
            return ["–", "–"]
        strategy = str(found.get("strategy"))
        audits = strategy == JUDGE_UNCERTAIN_FIRST and found.get("audit_rate") is not None
        return [STRATEGY_SHORT.get(strategy, strategy), f"{float(found['audit_rate']):.2f}" if audits else "–"]

    rows = [
        [s.name, s.dataset, s.overlap, yes(s.blind), yes(s.reveal_judge), yes(s.randomize_order)]
        + [s.lease_seconds, f"{s.gold_rate:.2f}", yes(s.active), s.kind, f"1-{s.scale}" if s.kind == "single" else "–"]
        + assignment(s.name)
        + [FILL_SHORT.get(s.fill, s.fill)]
        + [f"v{s.guideline_version}" if s.guideline_version is not None else "–"]
        + [(standings or {}).get(s.name, "–")]
        for s in sessions
    ]
    return pd.DataFrame(rows, columns=SESSION_HEADERS)


#: The unfinished-items table (``unfinished_frame``): one row an item that lacks answers in the session.
UNFINISHED_HEADERS = ["item #", "prompt", "instruction (start)", "answers", "skips", "leased to (since, UTC)"]


def _holders(item: UnfinishedItem) -> str:
    """ "alice since 2025-05-01 09:30" for each live lease on the item, "–" when nobody holds it."""
    return "; ".join(f"{h.name} since {h.since:%Y-%m-%d %H:%M}" for h in item.leased_to) or "–"


def unfinished_frame(found: Unfinished) -> pd.DataFrame:
    """One row an unfinished item: its number (a comparison's in a pairwise session, a response's in a
    grading one), prompt key and instruction start, answers so far of those needed, skips, who holds it now."""
    rows = [
        [i.item_id, i.prompt_key, i.instruction, f"{i.answers} of {i.needed}", i.skips, _holders(i)]
        for i in found.items
    ]
    return pd.DataFrame(rows, columns=UNFINISHED_HEADERS)


def unfinished_note(found: Unfinished) -> str:
    """What the table shows: "2 comparisons of session 'pairs' still need answers (2 each)", and when
    the list is cut, how many of them it lists."""
    noun = "comparison" if found.kind == "pairwise" else "response"
    name = inline_text(found.session)
    gold = ""
    if found.gold:  # handed out at the gold rate, not to the overlap: never "unfinished" (s16 campaign 7)
        checks = "1 gold check is" if found.gold == 1 else f"{found.gold} gold checks are"
        gold = f" {checks} not counted (each person gets them at the session's gold rate)."
    if found.total == 0:
        return f"Every {noun} of session {name} has its answers ({found.overlap} each): nothing is unfinished.{gold}"
    many = found.total != 1
    head = (
        f"{found.total} {noun}{'s' if many else ''} of session {name} still need{'' if many else 's'} answers "
        f"({found.overlap} each)"
    )
    shown = len(found.items)
    return (f"{head}; the first {shown} are listed." if shown < found.total else f"{head}.") + gold


@dataclass(frozen=True)
class SessionFields:
    """The form, in ``SessionForm``'s field order (so a form's values map to it by name)."""

    name: gr.Textbox
    dataset: gr.Dropdown
    overlap: gr.Number
    blind: gr.Checkbox
    reveal_judge: gr.Checkbox
    randomize_order: gr.Checkbox
    lease_seconds: gr.Number
    gold_rate: gr.Number
    guidelines: gr.Textbox
    active: gr.Checkbox
    kind: gr.Radio
    strategy: gr.Dropdown  # either kind
    audit_rate: gr.Number  # either kind
    scale: gr.Radio  # single-answer sessions only
    rubric: gr.Textbox  # single-answer sessions only
    fill: gr.Radio  # either kind: breadth or depth

    @property
    def components(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    @property
    def assignment(self) -> list[Any]:
        """How items are handed out (least-annotated or judge-uncertain-first): both kinds."""
        return [self.strategy, self.audit_rate]

    @property
    def grading(self) -> list[Any]:
        """The fields shown only for single-answer sessions (the store refuses a scale or rubric elsewhere)."""
        return [self.scale, self.rubric]


@dataclass(frozen=True)
class SessionsSection:
    table: gr.Dataframe
    pick: gr.Dropdown
    load: gr.Button
    form: SessionFields
    save: gr.Button
    result: gr.Markdown
    gold: dict[str, Any]  # id, show, verdict, explanation, save, remove, preview, table, result
    gold_ratings: dict[str, Any]  # gold responses of grading sessions (``gold_ratings``)
    unfinished: dict[str, Any]  # show (button), note, table: the picked session's unfinished items


def session_fields(pickers: DatasetPickers) -> SessionFields:
    """The form, filled with the settings table's defaults (``JUDGE_STUDIO_SESSION_*`` change them)."""
    start = session_defaults()
    with gr.Row():
        name = gr.Textbox(label="Session name", elem_id="admin-session-name")
        dataset = pickers.add("admin-session-dataset", allow_custom_value=True, role="admin")
        overlap = gr.Number(
            value=start["overlap"],
            precision=0,
            minimum=1,
            label="Annotators per comparison",
            elem_id="admin-session-overlap",
        )
        lease = gr.Number(
            value=start["lease_seconds"],
            precision=0,
            minimum=LEASE_MIN_SECONDS,
            label=f"Lease (s, at least {LEASE_MIN_SECONDS})",
            elem_id="admin-session-lease",
        )
        gold = gr.Number(
            value=start["gold_rate"],
            minimum=0,
            maximum=MAX_GOLD_RATE,
            step=0.05,
            label=f"Gold rate (0-{MAX_GOLD_RATE:g})",
            elem_id="admin-session-gold",
        )
    with gr.Row():
        blind = gr.Checkbox(value=start["blind"], label="Blind (hide model names)", elem_id="admin-session-blind")
        reveal = gr.Checkbox(
            value=start["reveal_judge"],
            label="Reveal judge after each answer",
            info=(
                "After each answer (not a skip): the judge's verdict or rating and, in a blind session, the model "
                "names. An answer is then final (it can't be changed knowing them). Off: they stay hidden and "
                "people can go back and correct answers (gold items aside)."
            ),
            elem_id="admin-session-reveal",
        )
        randomize = gr.Checkbox(
            value=start["randomize_order"], label="Randomize left/right", elem_id="admin-session-randomize"
        )
        active = gr.Checkbox(value=True, label="Active", elem_id="admin-session-active")
    kind, strategy, audit = assignment_fields()
    fill = gr.Radio(FILL_CHOICES, value=start["fill"], label="Fill order", info=FILL_INFO, elem_id="admin-session-fill")
    scale, rubric = grading_fields()
    guidelines = gr.Textbox(
        value=start["guidelines"],
        label="Guidelines (Markdown; each saved change is a new version, and labels record theirs)",
        lines=4,
        elem_id="admin-session-guidelines",
    )
    fields_ = (name, dataset, overlap, blind, reveal, randomize, lease, gold, guidelines, active, kind)
    return SessionFields(*fields_, strategy, audit, scale, rubric, fill)


def assignment_fields() -> tuple[gr.Radio, gr.Dropdown, gr.Number]:
    """The session's kind and how items are handed out (``annotation_store.assignment``; either kind)."""
    with gr.Row():
        kind = gr.Radio(
            [("Pairwise (Annotate page)", "pairwise"), ("Single answers rated 1-10 or 1-5 (Grade page)", "single")],
            value="pairwise",
            label="Kind",
            elem_id="admin-session-kind",
        )
        strategy = gr.Dropdown(
            choices=STRATEGY_CHOICES,
            value=cast(str, ASSIGNMENT_DEFAULTS["strategy"]),
            label="Assignment strategy",
            elem_id="admin-session-strategy",
        )
        audit = gr.Number(
            value=cast(float, ASSIGNMENT_DEFAULTS["audit_rate"]),
            minimum=MIN_AUDIT_RATE,
            maximum=1,
            step=0.05,
            label=f"Audit share ({MIN_AUDIT_RATE:g}-1: leases drawn at random)",
            elem_id="admin-session-audit",
        )
    return kind, strategy, audit


def grading_fields() -> tuple[gr.Radio, gr.Textbox]:
    """A single-answer session's scale and rubric (``annotation_store.scales``); hidden until the kind is
    'single' (``session_events.kind_shown``)."""
    scale = gr.Radio(
        SCALE_CHOICES,
        value=GRADING_DEFAULTS["scale"],
        label="Rating scale (single answers; fixed once the session has ratings)",
        elem_id="admin-session-scale",
        visible=False,
    )
    rubric = gr.Textbox(
        value=GRADING_DEFAULTS["rubric"],
        label="Rubric (optional): '[criterion]' on the first line, then 'Score 1: ...' to 'Score N: ...' for "
        "every score of the scale; empty on a 1-5 session: Prometheus 2's default (helpfulness)",
        placeholder="[Does the response answer the question correctly and completely?]\nScore 1: ...\n...",
        lines=6,
        elem_id="admin-session-rubric",
        visible=False,
    )
    return scale, rubric


def sessions_section(pickers: DatasetPickers) -> SessionsSection:
    with gr.Accordion("Annotation sessions and gold items", open=False, elem_id="admin-sessions-section"):
        table = plain_table(
            headers=SESSION_HEADERS, interactive=False, label="Sessions", elem_id="admin-sessions", wrap=True
        )
        with gr.Row():
            pick = gr.Dropdown(
                choices=[],
                label="Session (to edit, or to list its unfinished items)",
                elem_id="admin-session-pick",
                scale=3,
                allow_custom_value=True,
            )
            load = gr.Button("Load into the form", elem_id="admin-session-load", scale=1)
            show = gr.Button("List unfinished items", elem_id="admin-session-unfinished-show", scale=1)
        unfinished = {
            "show": show,
            "note": gr.Markdown(elem_id="admin-session-unfinished-note"),
            "table": plain_table(
                headers=UNFINISHED_HEADERS,
                interactive=False,
                label="Unfinished items (fewer answers than the session needs; skips do not count)",
                elem_id="admin-session-unfinished",
                wrap=True,
                visible=False,
            ),
        }
        form = session_fields(pickers)
        save = gr.Button("Save session", variant="primary", elem_id="admin-session-save")
        result = gr.Markdown(elem_id="admin-sessions-result")
        gr.Markdown(
            "**Gold (attention-check) comparison**: the known answer, in the stored (canonical) order. "
            "*Remove gold mark* needs only the number: answers given on it stay, as ordinary labels."
        )
        with gr.Row():
            gold = {
                "id": gr.Number(
                    value=None,
                    label="Comparison #",
                    precision=0,
                    placeholder="e.g. 12",
                    elem_id="admin-gold-id",
                    elem_classes=EMPTY_NUMBER,
                ),
                "show": gr.Button("Show", elem_id="admin-gold-show", scale=0, min_width=80),
                "verdict": gr.Radio(choices=GOLD_CHOICES, label="Gold answer", elem_id="admin-gold-verdict"),
                "explanation": gr.Textbox(
                    label="Explanation (shown after a wrong answer)",
                    info=GOLD_EXPLANATION_HINT,
                    elem_id="admin-gold-explanation",
                ),
                "save": gr.Button("Mark as gold", elem_id="admin-gold-save"),
                "remove": gr.Button("Remove gold mark", elem_id="admin-gold-remove"),
            }
        gold["preview"] = preview_box("admin-gold-preview")
        gold["table"] = plain_table(
            interactive=False, label="Gold items of the session's dataset", elem_id="admin-gold"
        )
        gold["result"] = gr.Markdown(elem_id="admin-gold-result")
        gold_ratings = gold_ratings_fields()
    return SessionsSection(table, pick, load, form, save, result, gold, gold_ratings, unfinished)
