"""The Case study page: browse and filter comparisons, read one side by side with every judge verdict
(both presentation orders, probabilities), run the judge live (streamed), or judge a pasted pair in
an output area of its own.

It shows model names and judge verdicts, which annotators must not see before they label, so every
handler passes the logged-in account to ``orchestration.CaseBrowser``, which requires the reviewer
role on the server. The pickers are filled on page load (not baked into the page) for the same reason.
The sections are laid out in ``ui.case_sections``; this module wires their events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from analysis.label_scope import LabelScope
from errors import InvalidInput
from judge_runtime import PairCase
from orchestration import CaseBrowser, CaseFilter, Studio
from orchestration.browse import DEFAULT_LOW_CONFIDENCE, CaseMatches
from orchestration.report_card import label_scopes
from ui.case_sections import (
    ANY,
    MAX_NEW_TOKENS,
    MIN_NEW_TOKENS,
    PICKER_SHOWN,
    CaseSections,
    JudgeOutput,
    case_sections,
    prompt_choices,
    prompt_note_markdown,
)
from ui.dashboard_layout import labels_from_choices
from ui.errors import actor_of, guarded, has_role, noted
from ui.pickers import DatasetPickers, shown_choices
from ui.render import inline_text
from ui.review_text import opinions_markdown

JUDGE_SLOTS = 1  # one generation at a time on one CPU/GPU
ROLE_NOTE = "_The case study shows model names and judge verdicts: it is for reviewers and admins._"


def case_study_tab(studio: Studio, demo: gr.Blocks, pickers: DatasetPickers) -> None:
    """The page; its dataset picker is one of ``pickers`` (refreshed on load and after imports)."""
    page = case_sections(studio, pickers.add("case-dataset", scale=1))
    browser = CaseBrowser(studio)
    wire_browsing(browser, studio, demo, page)
    wire_judging(browser, studio, page)


def case_filter(
    dataset: str | None,
    category: str | None,
    pair: str | None,
    judge_disagrees: bool,
    unparsed: bool,
    low_confidence: bool,
    below: float | None,
    labels_from: str | None = None,
) -> CaseFilter:
    """The filter form as a ``CaseFilter`` ("(any)" and empty mean no filter; ``labels_from``: the "Labels
    from" picker, whose labels "people disagree with the judge" reads)."""
    return CaseFilter(
        dataset=dataset or None,
        category=None if category in (None, "", ANY) else category,
        model_pair=None if pair in (None, "", ANY) else pair,
        judge_disagrees=bool(judge_disagrees),
        unparsed=bool(unparsed),
        low_confidence=bool(low_confidence),
        threshold=DEFAULT_LOW_CONFIDENCE if below is None else float(below),
        labels_from=labels_from or None,
    )


def scope_note(scope: LabelScope | None) -> str:
    """Under the count, when "People disagree with the judge" read labels: whose, as the Review queue says it
    (imported labels mixed in, one session's or the imported labels alone, or an empty scope)."""
    said = None if scope is None else (scope.no_labels_text() or scope.line())
    return f"\n\n_{inline_text(said)}_" if said else ""


def wire_browsing(browser: CaseBrowser, studio: Studio, demo: gr.Blocks, page: CaseSections) -> None:
    """Filters, the comparison picker and showing one comparison."""
    filters, picker, panel, judged = page.filters, page.picker, page.panel, page.judged

    def listed(found: CaseMatches, current: int | None) -> dict[Any, Any]:
        choices = found.choices
        ids = [i for _, i in choices]
        value = current if current in ids else (ids[0] if ids else None)
        n = len(choices)
        note = f"**{n}** comparison{'s' if n != 1 else ''} match." if n else "_No comparison matches the filters._"
        if n > PICKER_SHOWN:
            note += (
                f" The picker shows {PICKER_SHOWN} at a time (more load as you scroll in it): type a number to go "
                "straight to one, or narrow the filters."
            )
        note += scope_note(found.scope)
        return {picker: gr.Dropdown(choices=shown_choices(choices), value=value), filters.count: note}

    @guarded
    def filter_comparisons(
        dataset_name: str | None,
        category_name: str | None,
        pair_key: str | None,
        against_judge: bool,
        no_verdict: bool,
        low_confidence: bool,
        below: float | None,
        current: int | None,
        request: gr.Request,
        scope: str | None = None,
    ) -> dict[Any, Any]:
        """``scope``: the "Labels from" picker's value (after the request, as on the Review page)."""
        wanted = (dataset_name, category_name, pair_key, against_judge, no_verdict, low_confidence, below, scope)
        chosen = case_filter(*wanted)
        return listed(browser.comparisons(actor_of(request), chosen), current)

    @guarded
    def for_dataset(dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        """A new dataset: its categories and model pairs, its sessions as "Labels from" choices (back at all
        people, the Dashboard's default), every comparison (filters reset)."""
        actor = actor_of(request)
        options = browser.options(actor, dataset_name)
        choices = browser.comparisons(actor, CaseFilter(dataset=dataset_name or None))
        sessions = label_scopes(studio, actor, dataset_name or None)
        return {
            filters.labels_from: gr.Dropdown(choices=labels_from_choices(sessions), value="all"),
            filters.category: gr.Dropdown(choices=shown_choices([ANY, *options.categories]), value=ANY),
            filters.pair: gr.Dropdown(choices=shown_choices([(ANY, ANY), *options.model_pairs]), value=ANY),
            **dict.fromkeys((filters.disagree, filters.unparsed, filters.low), False),
            **listed(choices, None),
        }

    def on_page_load(dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        if not has_role(studio, request, "reviewer"):
            return {picker: gr.Dropdown(choices=[], value=None), filters.count: ROLE_NOTE}
        return for_dataset(dataset_name, request)

    @guarded
    def show(comparison_id: int | None, request: gr.Request) -> dict[Any, Any]:
        if comparison_id is None:
            return {**panel.clear("_No comparison selected._"), **judged.clear(), page.orders: ""}
        detail = browser.detail(actor_of(request), comparison_id)
        return {
            **panel.show(detail.comparison),
            **judged.show(detail.latest),
            page.orders: opinions_markdown(detail.opinions, detail.latest),
        }

    dataset_outputs = [*filters.inputs[:-1], filters.labels_from, picker, filters.count]
    filter_inputs = [page.dataset, *filters.inputs, picker, filters.labels_from]
    page.dataset.change(for_dataset, inputs=page.dataset, outputs=dataset_outputs, api_visibility="private")
    filters.apply.click(
        filter_comparisons,
        inputs=filter_inputs,
        outputs=[picker, filters.count],
        api_name="case_filter",
        concurrency_limit=None,
    )
    shown = [*panel.components, *judged.components, page.orders]
    picker.change(show, inputs=picker, outputs=shown, api_name="show_comparison")
    demo.load(on_page_load, inputs=page.dataset, outputs=dataset_outputs, api_visibility="private")


def token_limit(new_tokens: float | None) -> int | None:
    if new_tokens is None:
        return None
    if not MIN_NEW_TOKENS <= new_tokens <= MAX_NEW_TOKENS:
        raise InvalidInput(f"Max new tokens must be between {MIN_NEW_TOKENS} and {MAX_NEW_TOKENS}.")
    return int(new_tokens)


STOPPED = (
    "### Stopped: nothing was stored\n\nThe output so far is in the box above; press **Run judge** to judge again."
)
STOPPED_CUSTOM = (
    "### Stopped: nothing was stored\n\n(A pasted pair is never stored.) Press **Judge this pair** to judge again."
)


def run_key(request: gr.Request | None, form: str) -> str | None:
    """Which run a Stop stops: this browser tab's (Gradio's session hash, with the account) run of ``form``."""
    session = getattr(request, "session_hash", None) if request is not None else None
    return f"{actor_of(request)}\x1f{session}\x1f{form}" if session else None


def buttons(run: gr.Button, stop: gr.Button, *, running: bool) -> dict[Any, Any]:
    """Run disabled and Stop enabled while a run streams; the other way round otherwise."""
    return {run: gr.Button(interactive=not running), stop: gr.Button(interactive=running)}


def wire_judging(browser: CaseBrowser, studio: Studio, page: CaseSections) -> None:
    """The judge run on the shown comparison, the pasted pair (its own outputs) and the status line."""
    judged, custom = page.judged, page.custom

    @noted(judged.verdict)  # a refusal (no comparison, a prompt too long) is a note, not an error overlay
    def run_judge(
        comparison_id: int | None,
        decoding: str | None = None,
        new_tokens: float | None = None,
        prompt: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[dict[Any, Any]]:
        """``decoding``, ``new_tokens`` and ``prompt`` (a saved custom prompt, ``custom:NAME@HASH12``) may be
        left out (API callers): the Studio's settings then."""
        if comparison_id is None:
            raise InvalidInput("Pick a comparison first.")
        steps = browser.stream(
            actor_of(request),
            int(comparison_id),
            decoding=decoding or None,
            max_new_tokens=token_limit(new_tokens),
            profile=prompt or None,
            run_key=run_key(request, "comparison"),
        )
        for step in steps:
            yield {**judged.progress(step), page.status: studio.judge_status()}

    @noted(custom.output.verdict)  # e.g. an empty instruction: the form stays as it was
    def run_custom(
        instruction: str, input_: str, r1: str, r2: str, prompt: str | None = None, request: gr.Request | None = None
    ) -> Iterator[dict[Any, Any]]:
        """``prompt``: the form's own judge prompt ("" or left out: the settings' profile)."""
        case = PairCase(instruction, r1, r2, input=input_)
        key = run_key(request, "custom")
        for step in browser.stream_custom(actor_of(request), case, profile=prompt or None, run_key=key):
            yield custom.output.progress(step)

    @guarded
    def refresh_orders(comparison_id: int | None, request: gr.Request) -> str:
        if comparison_id is None:
            return ""
        detail = browser.detail(actor_of(request), int(comparison_id))
        return opinions_markdown(detail.opinions, detail.latest)

    def judge_status(request: gr.Request) -> str:
        return studio.judge_status() if has_role(studio, request, "reviewer") else ""

    slots: dict[str, Any] = {"concurrency_id": "judge", "concurrency_limit": JUDGE_SLOTS}
    judging = wire_stop(browser, page.run, page.stop, judged, "comparison", STOPPED).success(
        run_judge,
        inputs=[page.picker, page.preset, page.max_tokens, page.prompt],
        outputs=[*judged.components, page.status],
        api_name="judge_comparison",
        **slots,
    )
    judging.then(
        lambda: buttons(page.run, page.stop, running=False), outputs=[page.run, page.stop], api_visibility="private"
    ).then(refresh_orders, inputs=page.picker, outputs=page.orders, api_visibility="private")
    page.stop.click(None, cancels=[judging])  # the page stops listening; the server's run is stopped by wire_stop
    custom_judging = wire_stop(browser, custom.run, custom.stop, custom.output, "custom", STOPPED_CUSTOM).success(
        run_custom,
        inputs=[*custom.inputs, custom.prompt],
        outputs=custom.output.components,
        api_name="judge_custom",
        **slots,
    )
    custom_judging.then(
        lambda: buttons(custom.run, custom.stop, running=False),
        outputs=[custom.run, custom.stop],
        api_visibility="private",
    )
    custom.stop.click(None, cancels=[custom_judging])

    def saved_prompts(request: gr.Request) -> gr.Dropdown:
        return gr.Dropdown(choices=prompt_choices(studio, actor_of(request)))

    for picker in (page.prompt, custom.prompt):  # the saved prompts (reviewers, admins), those saved since too
        picker.focus(saved_prompts, outputs=picker, api_visibility="private", concurrency_limit=None)

    @guarded
    def prompt_note(profile: str | None, request: gr.Request) -> str:
        """The chosen prompt's warnings under its picker (a stored version with ``{{ name }}``, s15)."""
        return prompt_note_markdown(studio, actor_of(request), profile)

    for picker, note in ((page.prompt, page.prompt_note), (custom.prompt, custom.prompt_note)):
        picker.change(prompt_note, inputs=picker, outputs=note, api_visibility="private", concurrency_limit=None)
    gr.Timer(3.0).tick(
        judge_status, outputs=page.status, api_visibility="private", concurrency_limit=None, show_progress="hidden"
    )


def wire_stop(
    browser: CaseBrowser, run: gr.Button, stop: gr.Button, output: JudgeOutput, form: str, stopped: str
) -> Any:
    """Run's first step, outside the queue so it shows at once (disable Run, enable Stop, clear the previous
    result: it stayed beside Gradio's "processing" for up to 35 s while the run waited in the queue and read
    as the new one, s13 pgteam finding 9; and arm the run's switch, so a Stop pressed even before the run
    leaves the queue stops it) and Stop's handler: the server's run ends at its next token and stores
    nothing; a run that had finished already keeps its verdict (shown). Returns the first step's event."""

    @guarded
    def arm(request: gr.Request) -> dict[Any, Any]:
        key = run_key(request, form)
        if key is not None:
            browser.arm(actor_of(request), key)
        return {**output.pending(), **buttons(run, stop, running=True)}

    @guarded
    def stop_run(request: gr.Request) -> dict[Any, Any]:
        key = run_key(request, form)
        done = browser.stop(actor_of(request), key) if key is not None else None
        idle = buttons(run, stop, running=False)
        if done is not None and done.finished is not None:  # it ended first: show what it ended with
            return {**output.show(done.finished, raw=done.finished.raw_output), **idle}
        return {**output.stopped(stopped), **idle}

    stop.click(
        stop_run,
        outputs=[output.verdict, output.reason, output.reference, output.raw, run, stop],
        api_name=f"stop_{form}",
        queue=False,
    )
    return run.click(arm, outputs=[*output.components, run, stop], api_visibility="private", queue=False)


__all__ = ["JudgeOutput", "case_study_tab"]
