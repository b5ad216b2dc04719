"""Screen readers, contrast and focus on the answer pages and the login pages (session 14, task "a11yaria";
a11y findings 4-9, 11, 12, 15), in Debian's chromium through Playwright, on the real app over a real SQLite file.

- A submit is said once, in our words: the live regions read nothing of Gradio's ("0.8s", "processing |
  0.6/0.6s", "common.complete", "In queue: 1 of 1", "Loading"); #js-announce says "Saved ...".
- A submit with no choice is said once (no toast in the live tree) and the focus goes to the answer.
- The item's title is an H2, "Instruction" an H3; "Skip to the comparison" is the first Tab stop and takes the
  focus to the item.
- Start, Submit and the chosen answer are at least 4.5:1 in light and dark mode; so are the code colours.
- The comment box and the session picker show a focus ring; the picker's list closes when Tab leaves it.
- On the done screen the answer radios and the comment box look disabled.
- The login page focuses the name, and is dark under a dark colour scheme.

One server for the module; each test signs in as its own account."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _chromium import fresh_context
from conftest import LiveApp, serve_app
from test_browser_answers import CHROMIUM
from test_browser_keyboard import CHECKED, HEADER

from annotation_store import open_store

pytestmark = [pytest.mark.browser]

CODE = '```python\n# a comment\ndef greet(name):\n    return "hello, " + name  # a string\n```'
FOCUSED = "document.activeElement && document.activeElement.id"
# WCAG contrast of an element's text on its background (the first opaque background up its ancestors)
CONTRAST = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const opaque = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || c[3] > 0.99) return c; } return [255, 255, 255]; };
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(opaque(el));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
# every text a screen reader is given by a live region, recorded while a submit runs
RECORD = """() => {
  window.__said = [];
  const hidden = (e) => !!e.closest('[aria-hidden="true"]');
  const note = () => { for (const e of document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role=status]')) {
    if (!hidden(e) && e.textContent.trim()) window.__said.push(e.textContent.trim()); } };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true,
    attributes: true});
}"""
GRADIO_WORDS = re.compile(r"\b\d+(\.\d+)?s\b|processing|common\.|In queue|Loading")


@pytest.fixture(scope="module")
def aria_app(seeded_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app with a session of six comparisons whose responses hold a code block ("Code", open: names shown,
    no reveal) and a session of one comparison ("Tiny")."""
    path = tmp_path_factory.mktemp("a11yaria") / "judge-studio.sqlite3"
    shutil.copy(seeded_db_template, path)
    store = open_store(path)
    responses = {m: f"{m} answers:\n\n{CODE}" for m in ("model-a", "model-b")}
    prompts = [{"id": f"q{i}", "instruction": f"Write code {i}", "responses": responses} for i in range(6)]
    store.seed_dataset({"name": "code", "models": [{"name": "model-a"}, {"name": "model-b"}], "prompts": prompts})
    store.save_session("Code", "code", overlap=5, randomize_order=False, blind=False, reveal_judge=False)
    tiny = {"name": "tiny", "models": [{"name": "m-a"}, {"name": "m-b"}]}
    tiny["prompts"] = [{"id": "t", "instruction": "Say hi", "responses": {"m-a": "hi", "m-b": "hello"}}]
    store.seed_dataset(tiny)
    store.save_session("Tiny", "tiny", overlap=1, blind=False, reveal_judge=False)
    store.close()
    with serve_app(path) as app:
        yield app


@contextmanager
def _page(url: str, name: str = "", password: str = "", scheme: str = "light", width: int = 1280) -> Iterator[Any]:
    """A chromium page (``scheme``: its prefers-color-scheme), logged in when ``name`` is given."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with fresh_context(viewport={"width": width, "height": 900}, color_scheme=scheme) as context:  # shared chromium
        page = context.new_page()
        page.goto(url)
        if name:
            page.locator("#username").fill(name)
            page.locator("#password").fill(password)
            page.locator("#login").click()
            page.locator("#start-labelling").wait_for()
        yield page


def _start(page: Any, session: str) -> None:
    picker = page.locator("#annotate-session input")
    page.wait_for_function("!document.querySelector('#start-labelling').disabled")
    for _attempt in range(20):
        picker.fill(session)
        picker.press("Enter")
        page.wait_for_timeout(300)
        if picker.input_value() == session:
            break
    page.locator("#start-labelling").click()
    # an annotator's item by its handle, a reviewer's by its number (s15 blindids)
    page.wait_for_function(f"/^\\s*(Comparison #\\d+|Item [A-Z2-7]+)/.test({HEADER})")
    page.wait_for_function(f"{FOCUSED} === 'annotate-header'")


def test_a_submit_is_announced_in_our_words_only(aria_app: LiveApp) -> None:
    with _page(aria_app.url, "alice", "alice-pass-1") as page:
        _start(page, "Code")
        number = re.search(r"Item ([A-Z2-7]+)", page.locator("#annotate-header").inner_text()).group(1)
        for box in ("#annotate-header", "#annotate-feedback"):  # no longer live regions: they held the timers
            assert page.locator(box).get_attribute("aria-live") is None
        page.evaluate(RECORD)
        page.keyboard.press("1")
        page.wait_for_function(CHECKED, arg="left")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('js-announce')?.textContent.startsWith('Saved')")
        page.wait_for_timeout(1500)  # Gradio's "common.complete" came a moment after
        said = page.evaluate("window.__said")
        assert any(f"on item {number} (version 1)" in text for text in said), said
        assert not [text for text in said if GRADIO_WORDS.search(text)], said
        snapshot = page.locator("body").aria_snapshot()
        assert "common.complete" not in snapshot and not re.search(r"\b\d\.\ds\b", snapshot)
        # (no quotes: the snapshot's YAML quoted the line for the "#" of "comparison #N")
        assert f"status: Saved Left is better on item {number} (version 1)." in snapshot, snapshot


def test_headings_skip_link_and_a_submit_with_no_choice(aria_app: LiveApp) -> None:
    with _page(aria_app.url, "bob", "bob-pass-1") as page:
        page.keyboard.press("Tab")  # the first Tab stop: the skip link, not Log out
        assert page.evaluate(FOCUSED) == "js-skip-link"
        assert page.locator("#js-skip-link").inner_text() == "Skip to the comparison"
        _start(page, "Code")
        assert page.get_by_role("heading", level=2, name=re.compile(r"^Item [A-Z2-7]+")).count() == 1
        for name in ("Instruction", "Left", "Right"):
            assert page.get_by_role("heading", level=3, name=name).count() == 1
        page.locator("#logout-link").focus()
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUSED) == "js-skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate(FOCUSED) == "annotate-header"
        # Submit with nothing chosen: said once (the toast is out of the live tree), the focus on the answer
        page.evaluate(RECORD)
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('js-announce')?.textContent.startsWith('⚠ Choose Left')")
        page.wait_for_timeout(800)
        said = {text for text in page.evaluate("window.__said") if "Choose Left, Right or Tie" in text}
        assert said == {"⚠ Choose Left, Right or Tie first (keys 1, 2, T), then submit."}, said
        assert page.locator("[data-testid=toast-body]").first.get_attribute("aria-hidden") == "true"
        assert page.evaluate("!!document.activeElement.closest('#annotate-choice')")


def _assert_contrast(page: Any, selector: str, least: float = 4.5) -> None:
    ratio = page.locator(selector).first.evaluate(CONTRAST)
    assert ratio >= least, (selector, ratio)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_primary_buttons_the_chosen_answer_and_code_are_readable(aria_app: LiveApp, scheme: str) -> None:
    account = {"light": ("rita", "rita-pass-1"), "dark": ("admin", "admin-pass-1")}[scheme]
    with _page(aria_app.url, *account, scheme=scheme) as page:
        assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
        _start(page, "Code")
        page.keyboard.press("1")
        page.wait_for_function("document.querySelector('#label-1').classList.contains('js-picked')")
        page.wait_for_timeout(500)  # the button's colour change (a 0.2 s transition)
        for selector in ("#start-labelling", "#submit-label", "#label-1"):  # 2.8:1 (light), 3.56:1 (dark)
            _assert_contrast(page, selector)
        tokens = page.locator("#annotate-response-1 pre .token")
        assert tokens.count() >= 4
        for i in range(tokens.count()):  # grey punctuation 2.6:1 and green strings 3.1:1 (light)
            assert tokens.nth(i).evaluate(CONTRAST) >= 4.5, tokens.nth(i).evaluate("e => e.className + e.textContent")
        # a visible focus ring on the comment box and the session picker (a pale glow, and none)
        for selector in ("#annotate-comment textarea", "#annotate-session input"):
            page.locator(selector).focus()
            ring = page.locator(selector).evaluate(
                "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
            )
            assert ring[0] == "solid" and float(ring[1].rstrip("px")) >= 2, (selector, ring)


def test_the_picker_closes_on_tab_and_the_done_screen_looks_disabled(aria_app: LiveApp) -> None:
    with _page(aria_app.url, "admin", "admin-pass-1") as page:
        _start(page, "Tiny")
        picker = page.locator("#annotate-session input")
        picker.focus()
        picker.press("ArrowDown")
        page.wait_for_function(
            "document.querySelector('#annotate-session input').getAttribute('aria-expanded') === 'true'"
        )
        page.keyboard.press("Tab")
        page.wait_for_timeout(300)
        assert picker.get_attribute("aria-expanded") == "false" and page.locator("[role=listbox]").count() == 0
        assert picker.input_value() == "Tiny"
        page.locator("#annotate-header").focus()
        page.keyboard.press("2")
        page.wait_for_function(CHECKED, arg="right")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{HEADER}.includes('Thank you')")
        page.wait_for_function("document.querySelector('#annotate-comment textarea').disabled")
        page.wait_for_timeout(600)  # Gradio's transitions
        faded = page.evaluate(
            "() => [...document.querySelectorAll('#annotate-choice label, #annotate-confidence label')]"
            ".map(l => Number(getComputedStyle(l).opacity))"
        )
        assert faded and max(faded) <= 0.6, faded
        comment = page.locator("#annotate-comment textarea")
        assert float(comment.evaluate("e => getComputedStyle(e).opacity")) <= 0.6
        assert comment.evaluate("e => getComputedStyle(e).cursor") == "not-allowed"


def test_the_login_page_focuses_the_name_and_follows_dark_mode(aria_app: LiveApp) -> None:
    with _page(aria_app.url + "login", scheme="dark") as page:
        assert page.evaluate(FOCUSED) == "username"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert sum(int(v) for v in re.findall(r"\d+", background)[:3]) < 120, background  # was white
        _assert_contrast(page, "label[for=username]")
        _assert_contrast(page, "#login")
    with _page(aria_app.url + "login?created=1&name=alice", scheme="light") as page:
        assert page.evaluate(FOCUSED) == "password"  # the name is filled in
        assert page.locator("#username").input_value() == "alice"
