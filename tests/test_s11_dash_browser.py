"""The Dashboard in Debian's chromium (session 11, task "dash"; s10 retest finding 6, tester "newuser" 9):

- a grading-only dataset hides the pairwise panels, so its ratings section follows the headline, and the
  panels come back when a dataset with comparisons is chosen;
- on a 390 x 844 phone no table header is wrapped letter by letter (each header cell at least as wide as
  its longest word) and no figure title is wider than its figure. Screenshots go to the test's folder
  (``JUDGE_STUDIO_SHOTS`` to keep them somewhere else).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_browser_answers import browser_page
from test_s11_dash import GRADING, grading_only

pytestmark = [pytest.mark.browser]

DEMO = "judge-studio-demo"
PHONE = {"width": 390, "height": 844}

# every header cell (Markdown tables and Gradio tables): its width, and the widest single word in it
# as the page's font draws it, measured in a hidden span with the cell's own font
HEADERS = """() => {
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
  document.body.appendChild(probe);
  const out = [];
  for (const th of document.querySelectorAll('#dashboard-pairwise th, #dashboard-rating-means th, '
      + '#dashboard-rating-correlations th, #dashboard-graders th, #dashboard-checkup th')) {
    if (!th.offsetParent) continue;
    const style = getComputedStyle(th);
    probe.style.font = style.font;
    let widest = 0, word = '';
    for (const w of th.innerText.split(/\\s+/).filter(Boolean)) {
      probe.textContent = w;
      if (probe.getBoundingClientRect().width > widest) { widest = probe.getBoundingClientRect().width; word = w; }
    }
    const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    out.push({text: th.innerText, word, cell: th.getBoundingClientRect().width - pad, widest});
  }
  probe.remove();
  return out;
}"""

# every plotly title and note (annotation) in the dashboard's figures: where it is drawn against its figure
TITLES = """() => [...document.querySelectorAll('#dashboard-pairwise .js-plotly-plot, '
    + '#dashboard-rating-scatter .js-plotly-plot')].filter(p => p.offsetParent).flatMap(p => {
  const box = p.getBoundingClientRect();
  return [...p.querySelectorAll('.gtitle, .annotation-text')].map(t => {
    const r = t.getBoundingClientRect();
    return {id: p.closest('[id^=dashboard-]').id, text: t.textContent, left: r.left - box.left,
            right: box.right - r.right};
  });
})"""


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("JUDGE_STUDIO_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _choose(page: Any, dataset: str, shown: str) -> None:
    """Pick ``dataset`` in the Dashboard's picker and wait until the headline shows ``shown``."""
    picker = page.locator("#dashboard-dataset input")
    picker.fill(dataset)
    picker.press("Enter")
    page.wait_for_function(
        "s => document.querySelector('#dashboard-summary').innerText.includes(s)", arg=shown, timeout=60_000
    )
    page.wait_for_timeout(1500)  # the figures after the headline (one answer, drawn in turn)


def test_grading_only_hides_the_pairwise_panels_and_the_phone_reads_well(
    live_app: Any, shared_data: Path, tmp_path: Path
) -> None:
    grading_only(live_app.studio, shared_data, tmp_path)
    shots = _shots(tmp_path)
    with browser_page(live_app.url, "rita", "rita-pass-1") as page:
        page.get_by_role("tab", name="Dashboard").click()
        _choose(page, GRADING, "This dataset has no comparisons")
        assert not page.locator("#dashboard-pairwise").is_visible()
        assert not page.locator("#dashboard-confusion").is_visible()
        ratings = page.locator("#dashboard-rating-correlations")
        assert ratings.is_visible() and "6 human ratings on 6 responses" in ratings.inner_text()
        # the ratings section sits right under the headline, not ~2,500 px down
        top = ratings.bounding_box()
        assert top is not None and top["y"] < 900, top
        page.screenshot(path=str(shots / "grading-only.png"), full_page=True)

        # something to chart (s15: a dataset never judged nor labelled shows a hint instead of empty panels)
        store = live_app.studio.store
        store.save_label(int(store.comparison_table(DEMO)["id"].iloc[0]), "alice", "1", presented_swapped=False)
        _choose(page, DEMO, "126 comparisons")
        assert page.locator("#dashboard-pairwise").is_visible()
        assert page.locator("#dashboard-confusion").is_visible()

        page.set_viewport_size(PHONE)
        page.wait_for_timeout(1500)  # plotly redraws at the new width
        page.screenshot(path=str(shots / "phone-demo.png"), full_page=True)
        headers = page.evaluate(HEADERS)
        assert headers, "the guideline-version table has headers"
        squeezed = [h for h in headers if h["cell"] + 1 < h["widest"]]
        assert not squeezed, squeezed  # a header narrower than its longest word wraps it letter by letter
        titles = page.evaluate(TITLES)
        assert titles
        cut = [t for t in titles if t["left"] < -1 or t["right"] < -1]
        assert not cut, cut  # a title wider than its figure is cut at both sides

        _choose(page, GRADING, "This dataset has no comparisons")
        page.screenshot(path=str(shots / "phone-grading-only.png"), full_page=True)
        headers = page.evaluate(HEADERS)
        squeezed = [h for h in headers if h["cell"] + 1 < h["widest"]]
        assert not squeezed, squeezed
