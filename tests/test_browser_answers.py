"""The Annotate page in Debian's chromium: untrusted model names show as text (issue 13 #6), and a
refused submit under the session rules says why on the page. Same fixtures pattern as
``test_browser.py``, on the app without a judge (``live_app``), so no model is loaded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _chromium import CHROMIUM, fresh_context

pytestmark = [pytest.mark.browser]

EVIL = "evil`</code><img src=x onerror=alert(1)>"


@contextmanager
def browser_page(url: str, name: str, password: str) -> Iterator[Any]:
    """A chromium page logged in to the app at ``url``; ``page.fetched`` lists every URL it requested."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with fresh_context(viewport={"width": 1400, "height": 1000}) as context:  # of the shared chromium
        page = context.new_page()
        page.fetched = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.fetched.append(request.url))  # type: ignore[attr-defined]
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        page.goto(url)
        page.locator("input[type=text]").first.fill(name)
        page.locator("input[type=password]").first.fill(password)
        page.get_by_role("button", name="Login").click()
        page.locator("#start-labelling").wait_for()
        yield page


def _open_session(page: Any, session: str) -> None:
    """Pick ``session`` and take its first item. The page's load event fills the picker (and sets its
    default) a moment after the page shows, so the choice is made again until it stays."""
    picker = page.locator("#annotate-session input")
    for _attempt in range(20):
        picker.fill(session)
        picker.press("Enter")
        page.wait_for_timeout(500)
        if picker.input_value() == session:
            break
    assert picker.input_value() == session
    page.locator("#start-labelling").click()
    page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Item ')")


def test_a_model_name_with_a_backtick_and_an_img_tag_shows_as_text(live_app: Any) -> None:
    studio = live_app.studio
    data = {
        "name": "evil names",
        "models": [{"name": EVIL}, {"name": "plain"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {EVIL: "hi", "plain": "hello"}}],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    studio.store.save_session("open names", "evil names", blind=False, randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        _open_session(page, "open names")
        title = page.locator("#annotate-left-title")
        assert "<img src=x onerror=alert(1)>" in title.inner_text()  # the name, as text
        assert title.locator("img").count() == 0 and page.locator("#tab-annotate img[src=x]").count() == 0
        page.locator("#label-1").click()
        page.wait_for_function("document.querySelector('#annotate-choice input[value=left]')?.checked === true")
        page.locator("#submit-label").click()
        page.wait_for_function(
            "document.querySelector('#annotate-feedback').innerText.includes('Left was')", timeout=90_000
        )
        feedback = page.locator("#annotate-feedback")
        assert "<img src=x onerror=alert(1)>" in feedback.inner_text()
        assert feedback.locator("img").count() == 0
        assert not [u for u in page.fetched if u.rstrip("/").endswith("/x")]  # nothing was fetched from /x
        assert page.dialogs == []


def test_a_late_submit_after_someone_took_the_item_is_refused_on_the_page(live_app: Any) -> None:
    studio = live_app.studio
    # one comparison: bob is handed it once alice's lease expired (in a bigger dataset each person has an
    # order of their own, so bob would be handed another item first)
    one = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"m-a": "hi", "m-b": "hello"}}],
    }
    assert studio.store.seed_dataset(one, pairs_per_prompt=1)
    studio.store.save_session("k1", "tiny", overlap=1, randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        _open_session(page, "k1")
        handle = page.locator("#annotate-header").inner_text().split()[1]  # "Item 7KQ2MXA3FZ · ..." (s15 blindids)
        shown = studio.desk.handles.resolve("alice", "k1", handle)
        with live_app.studio.store.engine.begin() as connection:  # her tab stays open past the lease
            connection.exec_driver_sql("UPDATE assignments SET lease_expires_at = '2000-01-01 00:00:00'")
        taken = studio.desk.next_item("bob", "k1")
        assert taken is not None and taken.id == shown
        studio.desk.submit("bob", "k1", taken.id, "tie", swapped=taken.swapped)
        page.locator("#label-2").click()
        page.locator("#submit-label").click()
        page.get_by_text("is taken").first.wait_for()
        said = page.locator("#annotate-feedback").inner_text()
        assert "its 1 answer in this session" in said and "press “Start / next item”" in said
    assert [row.annotator for row in [studio.store.label_of(shown, "alice")] if row is not None] == []


def test_going_back_to_a_final_answer_shows_it_read_only_and_says_why(live_app: Any) -> None:
    """A session that reveals the judge: after the answer the item's earlier label is final, so ←
    Previous shows it greyed out with the reason, and Submit moves on without a new version."""
    studio = live_app.studio
    one = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"m-a": "hi", "m-b": "hello"}}],
    }
    assert studio.store.seed_dataset(one, pairs_per_prompt=1)
    studio.store.save_session("revealing", "tiny", overlap=1, randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        _open_session(page, "revealing")
        page.locator("#label-1").click()
        page.wait_for_function("document.querySelector('#annotate-choice input[value=left]')?.checked === true")
        page.locator("#submit-label").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Thank you')")
        page.locator("#previous-item").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('is final')")
        said = page.locator("#annotate-feedback").inner_text()
        assert "can no longer be changed: the model names were shown" in said  # no judge verdict on it
        assert page.locator("#annotate-choice input[value=left]").is_checked()
        assert page.locator("#annotate-choice input[value=right]").is_disabled()
        page.locator("#submit-label").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Thank you')")
    with studio.store.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT verdict, version FROM labels").fetchall() == [("1", 1)]


def test_a_grade_submit_without_a_rating_warns_and_the_rating_buttons_stay_clickable(live_app: Any) -> None:
    """s7 finding 2: the refused submit used to put "Error" overlays over the whole page (the rating
    buttons could not be clicked) and its toast showed the message in quote marks."""
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("document.querySelector('#grade-session input')?.value?.length > 0")
        page.locator("#start-grading").click()
        page.wait_for_function("document.querySelector('#grade-header').innerText.includes('Item ')")
        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Choose a rating')")
        toast = page.get_by_test_id("toast-text").filter(has_text="Choose a rating first").first
        assert toast.inner_text().strip().startswith("Choose a rating first")  # no quote marks around it
        page.locator("#grade-rating label").nth(6).click(timeout=5_000)  # 7: an overlay would intercept this
        page.locator("#submit-rating").click(timeout=5_000)
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated')")
        assert "Rated 7/10" in page.locator("#grade-feedback").inner_text()
    with live_app.studio.store.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT rating FROM ratings").fetchall() == [(7,)]


def test_a_page_whose_login_ended_says_so_and_goes_to_the_login_page(live_app: Any) -> None:
    """s7 lead finding 2: after a logout elsewhere (or everyone signed out, an expired login, a
    deactivation) Gradio's requests got a bare 401 and every output showed a red "Error" pill. The
    page's script says "You are signed out" and opens the login page, which says it again."""
    import httpx

    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("document.querySelector('#grade-session input')?.value?.length > 0")
        page.locator("#start-grading").click()
        page.wait_for_function("document.querySelector('#grade-header').innerText.includes('Item ')")
        page.locator("#grade-rating label").nth(5).click()
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        with httpx.Client(base_url=live_app.url, cookies=cookies) as other_tab:  # the same login, logged out there
            assert other_tab.get("logout", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303
        page.locator("#submit-rating").click()
        note = page.locator("#js-signed-out")
        note.wait_for(timeout=15_000)
        assert "You are signed out: log in again" in note.inner_text()
        page.wait_for_url("**/login?signed_out=1", timeout=15_000)
        body = page.locator("body").inner_text()
        assert "You are signed out: log in again" in body and "your last answer was not saved" in body
        page.locator("#username").wait_for()  # the login form, ready
    with live_app.studio.store.engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM ratings").fetchall() == [(0,)]


def test_the_admin_gold_forms_start_empty_and_show_what_a_number_is(live_app: Any, tmp_path: Path) -> None:
    """s7 lead findings 4 and 9: the number boxes start empty (their "e.g." hint shows, not 0), and a
    number shows its response or comparison before it is marked."""
    import os

    response = live_app.studio.store.responses("judge-studio-demo")[3]
    with browser_page(live_app.url, "admin", "admin-pass-1") as page:
        page.get_by_role("tab", name="Admin").click()
        page.get_by_text("Annotation sessions and gold items").click()
        box = page.locator("#admin-gold-rating-id input")
        box.wait_for()
        for elem_id in ("admin-gold-id", "admin-gold-rating-id", "admin-gold-rating-low", "admin-gold-rating-high"):
            field = page.locator(f"#{elem_id} input")
            assert field.input_value() == "" and field.get_attribute("placeholder"), elem_id
        page.locator("#admin-gold-rating-save").click()  # untouched boxes send nothing (not 0)
        page.wait_for_function(
            "document.querySelector('#admin-gold-rating-result').innerText.includes('Enter the response number')"
        )
        box.fill(str(response.id))
        box.press("Enter")
        page.wait_for_function(
            "document.querySelector('#admin-gold-rating-preview').innerText.includes('Response #')", timeout=15_000
        )
        shown = page.locator("#admin-gold-rating-preview").inner_text()
        assert f"Response #{response.id}" in shown and response.model in shown
        assert response.text.split()[0] in shown and response.instruction.split()[0] in shown
        comparison = page.locator("#admin-gold-id input")
        comparison.fill("1")
        page.locator("#admin-gold-show").click()
        page.wait_for_function("document.querySelector('#admin-gold-preview').innerText.includes('Comparison #1')")
        assert "Response 2" in page.locator("#admin-gold-preview").inner_text()
        shots = os.environ.get("JUDGE_STUDIO_SCREENSHOTS")  # for a person to look at the form
        page.screenshot(path=str(Path(shots or tmp_path) / "admin_gold_preview.png"), full_page=True)
