"""What the pages say after the s7 lead pass (findings 2, 4, 5 and 9), called in process through the
real handlers and the real HTTP app over a copy of the seeded SQLite database:

- a gold check says "failed" or "passed" in words, first in the message, with what was answered
  against the known answer (no ✅/❌: browsers without an emoji font show empty boxes);
- the Admin gold forms show what a number is (model, instruction, text) before it is marked;
- the Sessions table shows the assignment strategy and the audit share;
- the login page says why the person is there: signed out (the page's script sends them) or an
  account just made from an invite (with the name filled in).

The page script that turns Gradio's 401 into "You are signed out" runs in chromium:
``tests/test_browser_answers.py``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_ids import by_id, handler

from orchestration import AdminDesk, Settings, Studio
from orchestration.annotation import presented_choice
from ui.annotate import feedback_markdown
from ui.grading import outcome_markdown

DEMO = "judge-studio-demo"
WHY = "Off <b>topic</b>: anything above 2 means it was not read."


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=f"{name}-pass-1234")
    return s


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _as(name: str) -> gr.Request:
    return gr.Request(username=name)


def _rendered(markdown: str) -> str:
    """The HTML a Markdown message becomes (raw HTML allowed, as a careless renderer would)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def _visible(markdown: str) -> str:
    """The text a reader sees of a Markdown message (rendered, tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", _rendered(markdown))).strip()


# ------------------------------------------------------------------ finding 5: gold checks in words
def _grade_until_gold(studio: Studio, who: str, session: str, rating: int) -> Any:
    """Rate ``rating`` until a gold response comes (where it comes is the store's business)."""
    for _ in range(30):
        item = studio.grading.next_item(who, session)
        assert item is not None
        outcome = studio.grading.submit(who, session, item.id, rating)
        if outcome.gold is not None:
            return outcome
    raise AssertionError("no gold response was handed out")


def test_a_failed_grading_check_says_failed_first_with_the_rating_against_the_range(studio: Studio) -> None:
    gold = studio.store.responses(DEMO)[0].id
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    studio.store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)

    failed = outcome_markdown(_grade_until_gold(studio, "alice", "checks", 7))
    assert failed.startswith("> **Gold check failed**")  # its own quoted paragraph, above the rest
    seen = _visible(failed)
    assert seen.startswith(f"Gold check failed: you rated 7; the known rating is 1-2. {WHY}")
    assert "<b>" not in failed  # the admin's explanation is text
    assert "❌" not in failed and "✅" not in failed

    passed = _visible(outcome_markdown(_grade_until_gold(studio, "bob", "checks", 2)))
    assert passed.startswith("Gold check passed: you rated 2; the known rating is 1-2.")
    assert "Rated 2/10" in passed  # the usual line follows


def test_a_pairwise_check_names_the_answer_and_the_known_answer_as_shown(studio: Studio) -> None:
    studio.store.save_session("pairs", DEMO, overlap=1, gold_rate=0.5)
    gold = {int(row.comparison_id): str(row.verdict) for row in AdminDesk(studio).gold("ada", DEMO).itertuples()}
    names = {"left": "Left is better", "right": "Right is better", "tie": "Tie"}
    seen: dict[bool, str] = {}
    for _ in range(40):
        item = studio.desk.next_item("alice", "pairs")
        assert item is not None
        known = presented_choice(gold[item.id], item.swapped) if item.id in gold else None
        choice = "tie" if known is None else known if False in seen else next(c for c in names if c != known)
        outcome = studio.desk.submit("alice", "pairs", item.id, choice, swapped=item.swapped)
        if outcome.gold_correct is None:
            continue
        assert known is not None
        verdict = "passed" if outcome.gold_correct else "failed"
        seen[outcome.gold_correct] = _visible(feedback_markdown(outcome))
        expected = f"Gold check {verdict}: you answered {names[choice]}; the known answer is {names[known]}."
        assert seen[outcome.gold_correct].startswith(expected)
        if len(seen) == 2:
            break
    assert set(seen) == {False, True}  # the first check missed on purpose, the next one right
    assert "Saved" in seen[False]  # the usual line follows


# ------------------------------------------------------------------ finding 4: what a gold number is
def test_the_gold_response_form_shows_the_response_a_number_names(demo: gr.Blocks, studio: Studio) -> None:
    data = {
        "name": "hostile",
        "models": [{"name": "m<img src=x>"}, {"name": "plain"}],
        "prompts": [
            {
                "id": "q1",
                "instruction": "Say <b>hi</b>",
                "responses": {"m<img src=x>": "<script>x()</script>", "plain": "hello"},
            }
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    response = next(r for r in studio.store.responses("hostile") if r.model.startswith("m<"))
    preview = handler(demo, "admin_gold_rating_preview")
    shown = preview(float(response.id), _as("ada"))
    text = _visible(shown)
    assert f"Response #{response.id}" in text and "m<img src=x>" in text
    assert "Say <b>hi</b>" in text and "<script>x()</script>" in text  # as text: escaped in the Markdown
    rendered = _rendered(shown)
    assert "<img" not in rendered and "<script>" not in rendered and "<b>" not in rendered  # no tag came through

    assert "There is no response with id 999999" in preview(999999.0, _as("ada"))
    assert "Type a number" in preview(None, _as("ada"))
    assert "admin" in preview(float(response.id), _as("alice")).lower()  # admins only: nothing shown


def test_the_gold_comparison_form_shows_both_responses_in_stored_order(demo: gr.Blocks, studio: Studio) -> None:
    comparison = studio.store.get_comparison(1)
    text = _visible(handler(demo, "admin_gold_preview")(1.0, _as("ada")))
    assert text.startswith("Comparison #1")
    assert text.index(f"Response 1 · {comparison.model1}") < text.index(f"Response 2 · {comparison.model2}")
    assert comparison.response1.split()[0] in text and comparison.response2.split()[0] in text
    assert "numbers start at 1" in handler(demo, "admin_gold_preview")(0.0, _as("ada"))


# ------------------------------------------------------------------ finding 9: sessions table, login notes
def test_the_sessions_table_shows_the_strategy_and_the_audit_share(demo: gr.Blocks) -> None:
    save = handler(demo, "admin_save_session")
    args = (1.0, 900.0, 0.0, True, True, True, True, "", "pairwise")
    save("Lead uncertain", DEMO, *args, "judge-uncertain-first", 0.3, _as("ada"))
    table = by_id(save("Lead plain", DEMO, *args, "least-annotated", 0.3, _as("ada")))["admin-sessions"]
    rows = table.set_index("name")
    assert rows.loc["Lead uncertain", "assignment"] == "judge-uncertain first"
    assert rows.loc["Lead uncertain", "audit share"] == "0.30"
    assert rows.loc["Lead plain", "assignment"] == "least annotated first"
    assert rows.loc["Lead plain", "audit share"] == "–"  # no audits drawn: nothing to show


def test_the_login_page_says_why_you_are_there(live_app: Any) -> None:
    with httpx.Client(base_url=live_app.url) as browser:
        plain = browser.get("login").text
        assert "signed out" not in plain and "was created" not in plain
        signed_out = browser.get("login", params={"signed_out": "1"}).text
        assert "You are signed out: log in again" in signed_out and "your last answer was not saved" in signed_out
        made = browser.get("login", params={"created": "1", "name": '"><script>x()</script>'}).text
        assert "Your account was created; log in" in made
        assert "<script>x()" not in made and 'value="&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"' in made


def test_an_invite_sign_up_lands_on_a_login_page_that_says_so(live_app: Any) -> None:
    path = "invite/" + live_app.studio.access.invite("admin", "annotator")
    with httpx.Client(base_url=live_app.url, headers={"Origin": live_app.url.rstrip("/")}) as browser:
        form = {"name": "carol", "password": "carol-pass-1", "password2": "carol-pass-1"}
        created = browser.post(path, data=form, follow_redirects=True)
    assert created.status_code == 200 and str(created.url).endswith("/login?created=1&name=carol")
    assert "Your account was created; log in" in created.text and 'value="carol"' in created.text
