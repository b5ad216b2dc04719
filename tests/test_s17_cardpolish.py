"""s17 cardpolish: the Report card page (s16 judgeshopper 9).

- Headings and bold text drew their capital A and B in another font ("Answer: no.", "Alternative annotator
  test", the "B" of "PandaLM-7B"). The cause is Gradio's bundled font: the theme's font is Source Sans Pro at 400
  and 600, and the 600 file Gradio ships is a 5 KB subset holding only the space, A and B, so the browser drew
  those from it and every other letter of semibold text from the system's sans (Chrome's platform fonts for such
  a heading: "SourceSansPro-SemiBold" for 5 glyphs, "DejaVuSans-Bold" for 24). ``static/page.css`` (in the page's
  head) adds a second 600 face, the full Bold file Gradio also ships; with it every glyph is Source Sans.
- A run without verdict probabilities drew a "Reliability diagram" frame holding only a message, a full plot's
  height per run (HTML card) or on the page; now one line says so in its place.
"""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import NewVerdict, Store
from orchestration import Settings, Studio
from orchestration.report_card import ReportCardDesk

DEMO = "judge-studio-demo"
LINE = "No reliability diagram: this run's verdicts carry no confidence"
GRADIO_FONTS = Path(gr.__file__).parent / "templates" / "frontend" / "static" / "fonts"


# ---------------------------------------------------------------------------------- the headings' font
def _semibold_faces(css: str) -> list[str]:
    """The ``src`` URL of each @font-face of Source Sans Pro at weight 600 in ``css``."""
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    return [
        re.search(r"url\('([^']+)'\)", face).group(1)  # type: ignore[union-attr]
        for face in faces
        if "'Source Sans Pro'" in face and re.search(r"font-weight:\s*600\s*;", face)
    ]


def test_semibold_text_gets_every_glyph_of_the_theme_font() -> None:
    from ui import css_paths, head_html

    theme_font = gr.themes.Default()._font[0]
    assert (theme_font.name, 600 in theme_font.weights) == ("Source Sans Pro", True)  # what the page asks for
    theme_css = theme_font.stylesheet()["css"]
    (theme_url,) = _semibold_faces(theme_css)
    # the page's head (not judge_studio.css: Gradio prefixes its rules, an @font-face too) adds a full face
    (added,) = _semibold_faces(head_html())
    assert added != theme_url and added.rsplit("/", 1)[0] == theme_url.rsplit("/", 1)[0]  # served beside it
    full = GRADIO_FONTS / added.removeprefix("static/fonts/")
    assert full.is_file() and full.stat().st_size > 50_000, full  # the whole Latin set, not a few glyphs
    assert not any(_semibold_faces(path.read_text(encoding="utf-8")) for path in css_paths())


def test_no_first_letter_rule_or_escaped_capital_in_the_card_headings(studio: Studio) -> None:
    """The other suspects: no CSS rule styles a first letter, and the card's headings start with their word."""
    from ui import css_paths, head_html
    from ui.report_card import card_view

    assert "first-letter" not in head_html() + "".join(p.read_text(encoding="utf-8") for p in css_paths())
    markdown, _diagram, _rates = card_view(ReportCardDesk(studio), "rita", DEMO, _runs(studio.store)[0], None)
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert any("Alternative annotator test" in line for line in headings), headings
    for line in headings:
        assert re.match(r"#+ [A-Za-z0-9]", line), line  # no "\A", no emoji or variation selector first


# ---------------------------------------------------------------------------------- the empty diagram
@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    _runs(s.store)
    return s


def _runs(store: Store) -> tuple[int, int]:
    """Two people label 6 demo comparisons; run "plain" stores verdicts without probabilities, run "sure" with."""
    if store.judge_runs_on(DEMO):
        runs = store.judge_runs_on(DEMO)
        return runs[0].run_id, runs[1].run_id
    table = store.comparison_table(DEMO).head(6)
    plain = store.ensure_judge_run("plain", {"model": "judge-plain", "profile": "pandalm"})
    sure = store.ensure_judge_run("sure", {"model": "judge-sure", "profile": "pandalm"})
    for i, comparison_id in enumerate(int(c) for c in table["id"]):
        store.save_label(comparison_id, "ann", "1", presented_swapped=False)
        store.save_label(comparison_id, "bob", "1" if i % 2 else "2", presented_swapped=False)
        store.save_verdict(plain, NewVerdict(comparison_id, "1", "ok"))
        store.save_verdict(
            sure, NewVerdict(comparison_id, "1", "ok", p_1=0.6 + 0.05 * i, p_2=0.3 - 0.05 * i, p_tie=0.1)
        )
    return plain, sure


def test_a_run_without_probabilities_says_one_line_instead_of_an_empty_diagram(studio: Studio) -> None:
    from ui.report_card import card_view

    plain, sure = _runs(studio.store)
    desk = ReportCardDesk(studio)
    markdown, diagram, rates = card_view(desk, "rita", DEMO, plain, None)
    assert diagram is None and markdown.rstrip().endswith(f"_{LINE}._")  # the last line, just above the figures
    assert rates is not None
    markdown, diagram, _rates = card_view(desk, "rita", DEMO, sure, None)
    assert LINE not in markdown and diagram is not None
    assert diagram.layout.title.text.startswith("Reliability diagram: ECE ")


def test_the_page_hides_the_diagram_frame_of_such_a_run(studio: Studio) -> None:
    from ui import build_ui

    plain, sure = _runs(studio.store)
    demo = build_ui(studio)
    rita = gr.Request(username="rita")
    shown = by_id(handler(demo, "report_card")(DEMO, plain, None, rita))
    assert LINE in shown["card-markdown"]
    assert shown["card-reliability"].visible is False and shown["card-corrected"].visible is True
    shown = by_id(handler(demo, "report_card")(DEMO, sure, None, rita))
    assert LINE not in shown["card-markdown"]
    assert shown["card-reliability"].visible is True and shown["card-reliability"].value is not None


def test_the_html_card_draws_no_frame_for_a_run_without_probabilities(studio: Studio) -> None:
    from ui.card_document import card_html

    plain, sure = _runs(studio.store)
    card = ReportCardDesk(studio).card("rita", DEMO)
    assert [j["run_id"] for j in card["judges"]] == [plain, sure]
    page = card_html(card)
    plain_part, sure_part = page.split(f"<h2>Run {sure}: ", 1)  # each run's section, in run order
    assert plain_part.count(LINE.replace("'", "&#x27;")) == 1 and LINE not in sure_part.replace("&#x27;", "'")
    assert page.count('class="plotly-graph-div"') == 3  # plain: win rates; sure: its diagram and win rates
    assert "No verdict probabilities: calibration not measured." not in page
