"""The Admin page: import a dataset file, judge a dataset with a progress bar, export labels, manage
accounts and invite links, annotation sessions and gold comparisons.

Every handler passes the logged-in account (``request.username``) to ``orchestration.AdminDesk``,
which checks the admin role on the server before anything is read or written (a hidden tab's
endpoints can still be called over HTTP). Names from imported files are shown in ``gr.Dataframe``
cells or through ``safe_markdown``, never in ``gr.HTML``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd

from annotation_store import SessionView
from orchestration import (
    EXPORT_FORMATS,
    EXPORT_KINDS,
    IMPORT_FORMATS,
    AdminDesk,
    ImportRequest,
    SessionForm,
    Studio,
    UserError,
)
from orchestration.admin import GOLD_VERDICTS, KINDS, ROLES, TABLE_FORMATS, UPLOAD_FORMATS
from ui.formatting import _fail
from ui.render import code, safe_markdown
from ui.review import actor_of

INVITE_PATH = "/invite/"
JUDGE_SLOTS = 1  # shares the "judge" queue with the case study: one generation at a time
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
]
GOLD_CHOICES = [(f"{v} · Response {v} is better" if v != "tie" else "Tie", v) for v in GOLD_VERDICTS]


def invite_link(request: gr.Request | None, token: str) -> str:
    """``<scheme>://<host>/invite/<token>`` for the host the admin reached the app on."""
    headers: Any = getattr(request, "headers", None) or {}
    host = headers.get("x-forwarded-host") or headers.get("host")
    scheme = headers.get("x-forwarded-proto")
    if not scheme:
        url = str(getattr(request, "url", "") or "")
        scheme = url.split("://", 1)[0] if "://" in url else "http"
    if not host:
        return f"{INVITE_PATH}{token}"
    return f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}{INVITE_PATH}{token}"


def sessions_frame(sessions: list[SessionView]) -> pd.DataFrame:
    rows = [
        [
            s.name,
            s.dataset,
            s.overlap,
            "yes" if s.blind else "no",
            "yes" if s.reveal_judge else "no",
            "yes" if s.randomize_order else "no",
            s.lease_seconds,
            f"{s.gold_rate:.2f}",
            "yes" if s.active else "no",
            s.kind,
        ]
        for s in sessions
    ]
    return pd.DataFrame(rows, columns=SESSION_HEADERS)


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can fix into a ``gr.Error`` popup."""

    @functools.wraps(fn)  # keeps the signature and type hints: Gradio injects gr.Request by its annotation
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise _fail(exc) from exc

    return call


def admin_tab(studio: Studio, demo: gr.Blocks | None = None) -> None:
    """The Admin page. ``demo``: when given, the account and session tables load with the page."""
    admin = AdminDesk(studio)
    datasets = studio.dataset_names()
    default = studio.default_dataset()
    dataset_boxes: list[gr.Dropdown] = []

    def dataset_box(elem_id: str, label: str = "Dataset") -> gr.Dropdown:
        box = gr.Dropdown(choices=datasets, value=default, label=label, elem_id=elem_id, allow_custom_value=True)
        dataset_boxes.append(box)
        return box

    gr.Markdown("Administration: datasets, judge runs, exports, accounts and annotation sessions. For admins only.")
    notice = gr.Markdown(elem_id="admin-notice")

    # ---------------------------------------------------------------- (a) import
    with gr.Accordion("Import a dataset file", open=True, elem_id="admin-import-section"):
        with gr.Row():
            upload = gr.File(
                label="File", type="filepath", file_types=[".json", ".jsonl", ".csv"], elem_id="admin-import-file"
            )
            with gr.Column():
                fmt = gr.Dropdown(
                    choices=[(f"{name}: {IMPORT_FORMATS[name]}", name) for name in UPLOAD_FORMATS],
                    value="jsonl",
                    label="Format",
                    elem_id="admin-import-format",
                )
                import_dataset_name = gr.Textbox(
                    label="Dataset name (optional; default from the format or the file name)",
                    elem_id="admin-import-dataset",
                )
                import_judge = gr.Textbox(
                    label="Judge name (judgment/results formats, or a table's verdict column)",
                    elem_id="admin-import-judge",
                )
        with gr.Row():
            mapping = gr.Textbox(
                label=f"Column mapping ({'/'.join(TABLE_FORMATS)} only): FIELD=COLUMN, comma-separated",
                placeholder="instruction=question, response1=a, response2=b, model1=model_a, model2=model_b",
                elem_id="admin-import-mapping",
                scale=3,
            )
            import_model1 = gr.Textbox(label="Model 1 name (if no column)", elem_id="admin-import-model1", scale=1)
            import_model2 = gr.Textbox(label="Model 2 name (if no column)", elem_id="admin-import-model2", scale=1)
            import_annotator = gr.Textbox(label="Annotator name (labels)", elem_id="admin-import-annotator", scale=1)
        import_button = gr.Button("Import", variant="primary", elem_id="admin-import")
        import_result = gr.Markdown(elem_id="admin-import-result")

    # ---------------------------------------------------------------- (b) judge run
    with gr.Accordion("Judge a dataset", open=False, elem_id="admin-judge-section"):
        gr.Markdown(
            "Judges every comparison of the dataset that this judge (same fingerprint) has not judged yet. "
            "The judge loads on first use; the case study waits while a run holds the judge."
        )
        with gr.Row():
            judge_dataset = dataset_box("admin-judge-dataset")
            judge_limit = gr.Number(
                label="At most (empty: all)", precision=0, minimum=0, elem_id="admin-judge-limit", value=None
            )
            judge_button = gr.Button("Start judge run", variant="primary", elem_id="admin-judge-run")
        judge_result = gr.Markdown(elem_id="admin-judge-result")

    # ---------------------------------------------------------------- (c) export
    with gr.Accordion("Export labels", open=False, elem_id="admin-export-section"):
        with gr.Row():
            export_dataset = dataset_box("admin-export-dataset")
            export_kind = gr.Radio(
                choices=list(EXPORT_KINDS), value="labels", label="What", elem_id="admin-export-kind"
            )
            export_format = gr.Radio(
                choices=list(EXPORT_FORMATS), value="csv", label="Format", elem_id="admin-export-format"
            )
        with gr.Row():
            export_judges = gr.Checkbox(label="labels: add judge verdicts as rows", elem_id="admin-export-judges")
            export_source = gr.Textbox(
                value="majority", label="dpo: source ('majority' or a judge run id)", elem_id="admin-export-source"
            )
            export_button = gr.Button("Export", variant="primary", elem_id="admin-export")
        export_file = gr.File(label="Download", interactive=False, elem_id="admin-export-file")
        export_result = gr.Markdown(elem_id="admin-export-result")

    # ---------------------------------------------------------------- (d) accounts
    with gr.Accordion("Accounts", open=False, elem_id="admin-accounts-section"):
        accounts = gr.Dataframe(interactive=False, label="Accounts", elem_id="admin-accounts", wrap=True)
        accounts_refresh = gr.Button("Refresh", elem_id="admin-accounts-refresh", size="sm")
        gr.Markdown("**Add an account**")
        with gr.Row():
            new_name = gr.Textbox(label="Name", elem_id="admin-new-name")
            new_password = gr.Textbox(label="Password (8+ characters)", type="password", elem_id="admin-new-password")
            new_role = gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-new-role")
            new_kind = gr.Dropdown(choices=list(KINDS), value="crowd", label="Kind", elem_id="admin-new-kind")
            add_button = gr.Button("Add account", elem_id="admin-add-account")
        gr.Markdown("**Change an account**")
        with gr.Row():
            who = gr.Textbox(label="Account name", elem_id="admin-account-name")
            change_role = gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-change-role")
            role_button = gr.Button("Set role", elem_id="admin-set-role")
            deactivate_button = gr.Button("Deactivate", variant="stop", elem_id="admin-deactivate")
            activate_button = gr.Button("Reactivate", elem_id="admin-activate")
        with gr.Row():
            reset_password = gr.Textbox(label="New password", type="password", elem_id="admin-reset-password")
            reset_button = gr.Button("Set password", elem_id="admin-set-password")
        gr.Markdown("**One-time invite link**")
        with gr.Row():
            invite_role = gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-invite-role")
            invite_kind = gr.Dropdown(choices=list(KINDS), value="crowd", label="Kind", elem_id="admin-invite-kind")
            invite_hours = gr.Number(value=72, label="Valid for (hours)", elem_id="admin-invite-hours")
            invite_button = gr.Button("Create invite link", elem_id="admin-invite")
        invite_out = gr.Textbox(
            label="Invite link (shown once; send it to the person)", interactive=False, elem_id="admin-invite-link"
        )
        accounts_result = gr.Markdown(elem_id="admin-accounts-result")

    # ---------------------------------------------------------------- (e) sessions and gold
    with gr.Accordion("Annotation sessions and gold items", open=False, elem_id="admin-sessions-section"):
        sessions_table = gr.Dataframe(
            headers=SESSION_HEADERS, interactive=False, label="Sessions", elem_id="admin-sessions", wrap=True
        )
        with gr.Row():
            edit_pick = gr.Dropdown(
                choices=[], label="Edit session", elem_id="admin-session-pick", scale=3, allow_custom_value=True
            )
            load_session = gr.Button("Load into the form", elem_id="admin-session-load", scale=1)
        with gr.Row():
            s_name = gr.Textbox(label="Session name", elem_id="admin-session-name")
            s_dataset = dataset_box("admin-session-dataset")
            s_overlap = gr.Number(
                value=1, precision=0, minimum=1, label="Annotators per comparison", elem_id="admin-session-overlap"
            )
            s_lease = gr.Number(value=900, precision=0, minimum=0, label="Lease (s)", elem_id="admin-session-lease")
            s_gold = gr.Number(
                value=0.0, minimum=0, maximum=0.5, step=0.05, label="Gold rate (0-0.5)", elem_id="admin-session-gold"
            )
        with gr.Row():
            s_blind = gr.Checkbox(value=True, label="Blind (hide model names)", elem_id="admin-session-blind")
            s_reveal = gr.Checkbox(value=True, label="Reveal judge after submit", elem_id="admin-session-reveal")
            s_random = gr.Checkbox(value=True, label="Randomize left/right", elem_id="admin-session-randomize")
            s_active = gr.Checkbox(value=True, label="Active", elem_id="admin-session-active")
        s_kind = gr.Radio(
            [("Pairwise (Annotate page)", "pairwise"), ("Single answers rated 1-10 (Grade page)", "single")],
            value="pairwise",
            label="Kind",
            elem_id="admin-session-kind",
        )
        s_guidelines = gr.Textbox(label="Guidelines (Markdown)", lines=4, elem_id="admin-session-guidelines")
        s_save = gr.Button("Save session", variant="primary", elem_id="admin-session-save")
        sessions_result = gr.Markdown(elem_id="admin-sessions-result")
        gr.Markdown("**Gold (attention-check) comparison**: the known answer, in the stored (canonical) order.")
        with gr.Row():
            g_id = gr.Number(label="Comparison #", precision=0, elem_id="admin-gold-id")
            g_verdict = gr.Radio(choices=GOLD_CHOICES, label="Gold answer", elem_id="admin-gold-verdict")
            g_explanation = gr.Textbox(
                label="Explanation (shown after a wrong answer)", elem_id="admin-gold-explanation"
            )
            g_save = gr.Button("Mark as gold", elem_id="admin-gold-save")
        gold_table = gr.Dataframe(interactive=False, label="Gold items of the session's dataset", elem_id="admin-gold")
        gold_result = gr.Markdown(elem_id="admin-gold-result")

    # ---------------------------------------------------------------- handlers
    def dataset_updates() -> list[Any]:
        names = studio.dataset_names()
        return [gr.Dropdown(choices=names) for _ in dataset_boxes]

    @_guarded
    def do_import(
        path: str | None,
        format_name: str,
        dataset_name: str,
        judge_name: str,
        mapping_text: str,
        model1: str,
        model2: str,
        annotator: str,
        request: gr.Request,
    ) -> list[Any]:
        summary = admin.import_dataset(
            actor_of(request),
            ImportRequest(
                path=path,
                fmt=format_name,
                dataset=dataset_name or "",
                judge=judge_name or "",
                mapping=mapping_text or "",
                model1=model1 or "",
                model2=model2 or "",
                annotator=annotator or "",
            ),
        )
        return [f"**Imported.** {safe_markdown(summary.describe())}", *dataset_updates()]

    def run_judge(dataset_name: str | None, limit: float | None, request: gr.Request, progress=gr.Progress()) -> str:  # noqa: B008
        progress(0, desc="Loading the judge…")

        def on_progress(done: int, total: int) -> None:
            progress((done, total), desc="Judging", unit="comparisons")

        try:
            summary = admin.judge_dataset(actor_of(request), dataset_name, limit=limit, on_progress=on_progress)
        except UserError as exc:
            raise _fail(exc) from exc
        return (
            f"**Done.** Judged {summary.judged} comparison(s) of {code(dataset_name or '')} (run {summary.run_id}); "
            f"{summary.skipped} already judged by this judge were skipped; {summary.unparsed} unparsed."
        )

    @_guarded
    def do_export(
        dataset_name: str | None, kind: str, format_name: str, judges: bool, source: str, request: gr.Request
    ) -> tuple[str, str]:
        path, rows = admin.export(
            actor_of(request), dataset_name, kind, format_name, include_judges=bool(judges), source=source or "majority"
        )
        return str(path), f"Wrote **{rows}** row(s) to `{path.name}`."

    def accounts_table(request: gr.Request) -> pd.DataFrame:
        return admin.accounts(actor_of(request))

    @_guarded
    def add_account(name: str, password: str, role: str, kind: str, request: gr.Request) -> tuple[Any, ...]:
        admin.add_account(actor_of(request), name, password, role, kind)
        return accounts_table(request), f"Added {code(name.strip())} as {role}.", ""

    def account_change(what: str) -> Callable[..., tuple[Any, str]]:
        @_guarded
        def change(name: str, role: str, request: gr.Request) -> tuple[Any, str]:
            actor = actor_of(request)
            if what == "role":
                admin.update_account(actor, name, role=role)
                note = f"{code(name.strip())} is now {role}."
            else:
                admin.update_account(actor, name, active=what == "activate")
                note = f"{code(name.strip())} is {'active' if what == 'activate' else 'deactivated'}."
            return accounts_table(request), note

        return change

    @_guarded
    def set_password(name: str, password: str, request: gr.Request) -> tuple[str, str]:
        if not password:
            raise gr.Error("Enter the new password.", print_exception=False)
        admin.update_account(actor_of(request), name, password=password)
        return f"New password set for {code(name.strip())}.", ""

    @_guarded
    def create_invite(role: str, kind: str, hours: float | None, request: gr.Request) -> tuple[str, str]:
        token = admin.invite(actor_of(request), role, kind, 72 if hours is None else hours)
        return invite_link(request, token), f"Invite for a new {role} created; it works once."

    def session_choices(sessions: list[SessionView]) -> gr.Dropdown:
        return gr.Dropdown(choices=[s.name for s in sessions])

    @_guarded
    def refresh_sessions(request: gr.Request) -> tuple[Any, Any]:
        sessions = admin.sessions(actor_of(request))
        return sessions_frame(sessions), session_choices(sessions)

    @_guarded
    def load_into_form(name: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not name:
            raise gr.Error("Choose a session to edit.", print_exception=False)
        s = admin.session(actor_of(request), name)
        return (
            s.name,
            s.dataset,
            s.overlap,
            s.lease_seconds,
            s.gold_rate,
            s.blind,
            s.reveal_judge,
            s.randomize_order,
            s.active,
            s.guidelines,
            s.kind,
            admin.gold(actor_of(request), s.dataset),
        )

    @_guarded
    def save_session(
        name: str,
        dataset_name: str | None,
        overlap: float | None,
        lease: float | None,
        gold_rate: float | None,
        blind: bool,
        reveal: bool,
        randomize: bool,
        active: bool,
        guidelines: str,
        kind: str | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        saved = admin.save_session(
            actor_of(request),
            SessionForm(
                name=name or "",
                dataset=dataset_name or "",
                overlap=overlap if overlap is not None else 1,
                blind=bool(blind),
                reveal_judge=bool(reveal),
                randomize_order=bool(randomize),
                lease_seconds=lease if lease is not None else 900,
                gold_rate=gold_rate if gold_rate is not None else 0.0,
                guidelines=guidelines or "",
                active=bool(active),
                kind=kind or "pairwise",
            ),
        )
        table, choices = refresh_sessions(request)
        return table, choices, f"Saved session {code(saved.name)} on {code(saved.dataset)}."

    @_guarded
    def save_gold(
        comparison_id: float | None,
        verdict: str | None,
        explanation: str,
        dataset_name: str | None,
        request: gr.Request,
    ) -> tuple[Any, str]:
        admin.set_gold(actor_of(request), comparison_id, verdict, explanation)
        return admin.gold(actor_of(request), dataset_name), f"Comparison #{int(comparison_id or 0)} is gold."

    @_guarded
    def gold_for(dataset_name: str | None, request: gr.Request) -> Any:
        return admin.gold(actor_of(request), dataset_name)

    def on_page_load(dataset_name: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Fill the tables for an admin; anyone else gets a note instead of an error popup."""
        try:
            studio.access.require(actor_of(request), "admin")
        except UserError:
            empty = pd.DataFrame()
            return "_This page is for admins._", empty, pd.DataFrame(columns=SESSION_HEADERS), gr.Dropdown(), empty
        table, choices = refresh_sessions(request)
        return "", accounts_table(request), table, choices, admin.gold(actor_of(request), dataset_name)

    # ---------------------------------------------------------------- events
    import_button.click(
        do_import,
        inputs=[
            upload,
            fmt,
            import_dataset_name,
            import_judge,
            mapping,
            import_model1,
            import_model2,
            import_annotator,
        ],
        outputs=[import_result, *dataset_boxes],
        api_name="admin_import",
    )
    judge_button.click(
        run_judge,
        inputs=[judge_dataset, judge_limit],
        outputs=judge_result,
        api_name="admin_judge_run",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
    )
    export_button.click(
        do_export,
        inputs=[export_dataset, export_kind, export_format, export_judges, export_source],
        outputs=[export_file, export_result],
        api_name="admin_export",
    )
    accounts_refresh.click(_guarded(accounts_table), outputs=accounts, api_name="admin_accounts")
    add_button.click(
        add_account,
        inputs=[new_name, new_password, new_role, new_kind],
        outputs=[accounts, accounts_result, new_password],
        api_name="admin_add_account",
    )
    for button, what in ((role_button, "role"), (deactivate_button, "deactivate"), (activate_button, "activate")):
        button.click(
            account_change(what),
            inputs=[who, change_role],
            outputs=[accounts, accounts_result],
            api_name=f"admin_account_{what}",
        )
    reset_button.click(
        set_password,
        inputs=[who, reset_password],
        outputs=[accounts_result, reset_password],
        api_name="admin_set_password",
    )
    invite_button.click(
        create_invite,
        inputs=[invite_role, invite_kind, invite_hours],
        outputs=[invite_out, accounts_result],
        api_name="admin_invite",
    )
    load_session.click(
        load_into_form,
        inputs=edit_pick,
        outputs=[
            s_name,
            s_dataset,
            s_overlap,
            s_lease,
            s_gold,
            s_blind,
            s_reveal,
            s_random,
            s_active,
            s_guidelines,
            s_kind,
            gold_table,
        ],
        api_name="admin_session",
    )
    s_save.click(
        save_session,
        inputs=[
            s_name,
            s_dataset,
            s_overlap,
            s_lease,
            s_gold,
            s_blind,
            s_reveal,
            s_random,
            s_active,
            s_guidelines,
            s_kind,
        ],
        outputs=[sessions_table, edit_pick, sessions_result],
        api_name="admin_save_session",
    )
    g_save.click(
        save_gold,
        inputs=[g_id, g_verdict, g_explanation, s_dataset],
        outputs=[gold_table, gold_result],
        api_name="admin_set_gold",
    )
    s_dataset.change(gold_for, inputs=s_dataset, outputs=gold_table, api_visibility="private")
    if demo is not None:
        demo.load(
            on_page_load,
            inputs=s_dataset,
            outputs=[notice, accounts, sessions_table, edit_pick, gold_table],
            api_visibility="private",
            concurrency_limit=None,
        )
