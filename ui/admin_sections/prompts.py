"""Admin: your own judge prompts. Define or edit a prompt (name, system prompt, template, verdict rule),
check its rule against a test output, Save (each save is a new version, shown with its hash), and see
every saved version. A version is used by naming it as the judge profile (``--prompt NAME@HASH``, or the
case study's prompt picker).

Handlers call ``orchestration.prompts.PromptDesk`` (admin role checked there); mistakes in the form are
written next to it through ``ui.errors.noted`` so the form stays usable. Names and hashes are shown in a
``gr.Dataframe`` or through ``ui.render``, never as HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from judge_runtime import CustomPrompt
from judge_runtime.custom import DEFAULT_MARKERS
from orchestration.prompts import PromptDesk, prompt_warnings, rule_from_text, version_warnings
from ui.errors import actor_of, has_role, noted
from ui.render import code, inline_text
from ui.tables import plain_table

VERSION_HEADERS = ["name", "version", "hash", "kind", "saved", "by", "warning"]
EXAMPLE_TEMPLATE = (
    "[Question]\n{instruction}\n{input}\n\n[Answer A]\n{response1}\n\n[Answer B]\n{response2}\n\n"
    "Compare the two answers and explain briefly. Then write your verdict: [[A]] if A is better, [[B]] if B "
    "is better, [[C]] for a tie."
)
EXAMPLE_RULE = json.dumps({"kind": "markers", "markers": dict(DEFAULT_MARKERS)})
HELP = (
    "Placeholders: `{instruction}` `{input}` `{response1}` `{response2}` `{reference}` `{rubric}` "
    "(single-answer prompts: `{response}`); write `{{` and `}}` for a literal brace. Verdict rule (JSON): "
    'markers, e.g. `{"kind": "markers", "markers": {"[[A]]": "1", "[[B]]": "2", "[[C]]": "tie"}}`, or a regex '
    'with a named group, e.g. `{"kind": "regex", "pattern": "Winner: (?P<verdict>A|B)", "values": {"A": "1", '
    '"B": "2"}}`. The last match in the output decides; no match means unparsed, never a guess. '
    "Each save is a new version, kept forever."
)


@dataclass(frozen=True)
class PromptSection:
    name: gr.Textbox
    kind: gr.Dropdown
    system: gr.Textbox
    template: gr.Textbox
    rule: gr.Textbox
    test_output: gr.Textbox
    save: gr.Button
    result: gr.Markdown
    load_ref: gr.Textbox
    load: gr.Button
    table: gr.Dataframe

    @property
    def form(self) -> list[Any]:
        return [self.name, self.kind, self.system, self.template, self.rule, self.test_output]


def prompts_section() -> PromptSection:
    with gr.Accordion("Your own judge prompts", open=False, elem_id="admin-prompts-section"):
        gr.Markdown(HELP)
        with gr.Row():
            name = gr.Textbox(label="Name", placeholder="e.g. careful-judge", elem_id="admin-prompt-name", scale=2)
            kind = gr.Dropdown(
                choices=[("Compare two responses", "pair"), ("Rate one response", "single")],
                value="pair",
                label="Kind",
                elem_id="admin-prompt-kind",
                scale=1,
            )
        system = gr.Textbox(label="System prompt (optional)", lines=2, elem_id="admin-prompt-system")
        template = gr.Textbox(label="Template", lines=10, value=EXAMPLE_TEMPLATE, elem_id="admin-prompt-template")
        rule = gr.Textbox(label="Verdict rule (JSON)", lines=2, value=EXAMPLE_RULE, elem_id="admin-prompt-rule")
        test_output = gr.Textbox(
            label="Test output (a judge output the rule must read; checked before saving)",
            lines=3,
            elem_id="admin-prompt-test-output",
        )
        save = gr.Button("Save as a new version", variant="primary", elem_id="admin-prompt-save")
        result = gr.Markdown(elem_id="admin-prompt-result")
        with gr.Row():
            load_ref = gr.Textbox(label="Edit a saved version: NAME or NAME@HASH", elem_id="admin-prompt-ref", scale=3)
            load = gr.Button("Load into the form", elem_id="admin-prompt-load", scale=1)
        table = plain_table(
            headers=VERSION_HEADERS, interactive=False, label="Saved versions", elem_id="admin-prompt-versions"
        )
    return PromptSection(name, kind, system, template, rule, test_output, save, result, load_ref, load, table)


def versions_frame(desk: PromptDesk, actor: str | None) -> pd.DataFrame:
    """The saved versions, each with its warning (``version_warnings``: a stored ``{{ name }}``; plain-text cells
    of ``plain_table``)."""
    rows = [
        [v.name, v.version, v.short_id, v.kind, f"{v.created_at:%Y-%m-%d %H:%M}", v.created_by or ""]
        + [" ".join(version_warnings(v))]
        for v in desk.versions(actor)
    ]
    return pd.DataFrame(rows, columns=VERSION_HEADERS)


def wire_prompts(section: PromptSection, desk: PromptDesk, studio: Any, demo: gr.Blocks | None = None) -> None:
    @noted(section.result)
    def save(
        name: str, kind: str, system: str, template: str, rule: str, test_output: str, request: gr.Request
    ) -> dict[Any, Any]:
        prompt = CustomPrompt(
            name=(name or "").strip(),
            template=template or "",
            system=system or "",
            kind="single" if kind == "single" else "pair",
            rule=rule_from_text(rule or ""),
        )
        view = desk.save(actor_of(request), prompt, test_output=test_output or None)
        what = "Saved" if view.created else "Unchanged: this text is already saved as"
        message = (
            f"{what} {inline_text(view.name)} version {view.version} · hash {code(view.short_id)} · judge with "
            f"{code('--prompt ' + view.name + '@' + view.short_id)}"
        )
        message += "".join(f"\n\n**Warning:** {inline_text(note)}" for note in prompt_warnings(prompt))
        return {section.result: message, section.table: versions_frame(desk, actor_of(request))}

    @noted(section.result)
    def load(reference: str, request: gr.Request) -> dict[Any, Any]:
        view = desk.version(actor_of(request), reference or "")
        warned = "".join(f"\n\n**Warning:** {inline_text(note)}" for note in version_warnings(view))
        return {
            section.name: view.name,
            section.kind: view.kind,
            section.system: view.system,
            section.template: view.template,
            section.rule: json.dumps(view.rule, ensure_ascii=False),
            section.result: f"Loaded {inline_text(view.name)} version {view.version} (hash {code(view.short_id)}): "
            "edit and save for a new version." + warned,
        }

    section.save.click(save, inputs=section.form, outputs=[section.result, section.table], api_name="admin_prompt_save")
    section.load.click(
        load,
        inputs=section.load_ref,
        outputs=[*section.form[:5], section.result],
        api_name="admin_prompt_load",
    )

    def on_load(request: gr.Request) -> dict[Any, Any]:
        if not has_role(studio, request, "admin"):
            return {section.table: pd.DataFrame(columns=VERSION_HEADERS)}
        return {section.table: versions_frame(desk, actor_of(request))}

    if demo is not None:
        demo.load(on_load, outputs=section.table, api_visibility="private", concurrency_limit=None)
