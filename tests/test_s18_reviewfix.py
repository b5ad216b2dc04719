"""review18's findings 2, 4, 8 and 9, fixed (s18 "review18fix").

2. Judges compared: with several pairs, "significant" is decided on the Holm-adjusted p while the interval is the
   plain 95% one. The interval is now labelled "unadjusted", and where it leaves out 0 beside "not significant"
   the sentence says why (it compared the interval with the raw p and said nothing).
4. An export's note ("Left out N labels of ...", the --min-labels pairs, an unused margin) reaches the Admin page
   (it said only "Wrote N rows") and REST (``X-Export-Note``), as ``judge-studio export`` prints it.
8. One count of an account's answers: ``set_aside``'s answers read ``accounts.answer_counts``, as the Accounts table.
9. The Annotate and Grade pickers are built with no session: a session given members after the server started is
   not named in the page (``/config``) sent to an annotator who is not one of them.

Real SQLite files, the pages' own handlers, the REST app and the real app (TestClient); no browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, closing

from analysis.judges_compared import (
    _adjust,
    _mcnemar_p,
    difference_text,
    judges_compared_lines,
    pair_sentence,
    paired_difference_ci,
)
from interchange.importers import import_table
from orchestration import Settings, Studio

# ---------------------------------------------------------------------- 2. judges compared, Holm and the interval
HOLM_NOTE = "The interval is not adjusted for the 2 judge pairs tested: it leaves out 0, but after Holm's adjustment"


def _pair(both: int, a: int, b: int, neither: int, other: int) -> dict[str, Any]:
    """A pair as ``analysis.judges_compared._pair`` makes it (the figures review18's rep2 used)."""
    n = both + a + b + neither
    low, high = paired_difference_ci(both, a, b, neither)
    p = _mcnemar_p(a, b)
    return {
        "reference": {"model": "A", "run_id": 1},
        "other": {"model": "B", "run_id": other},
        "n": n,
        "accuracy_reference": (both + a) / n,
        "accuracy_other": (both + b) / n,
        "accuracy_difference": (a - b) / n,
        "difference_ci": {"low": low, "high": high},
        "no_interval": None,
        "level": 0.95,
        "only_reference_right": a,
        "only_other_right": b,
        "mcnemar_p": p,
        "p_holm": p,
        "comparisons": 1,
        "significant": p is not None and p < 0.05,
        "kappa_reference": 0.5,
        "kappa_other": 0.4,
        "kappa_difference": 0.1,
        "macro_f1_reference": 0.6,
        "macro_f1_other": 0.5,
        "macro_f1_difference": 0.1,
    }


def test_an_interval_clear_of_0_beside_not_significant_after_holm_is_labelled_and_explained() -> None:
    """review18 rep2: 15 vs 5 discordant of 100 (p = 0.041), the other pair null: Holm makes it 0.083, "not
    significant", beside [+0.012, +0.185]. It said "(95% CI)" and nothing about the contradiction."""
    pairs = [_pair(50, 15, 5, 30, 2), _pair(50, 10, 9, 31, 3)]
    _adjust(pairs, 0.05)
    pair = pairs[0]
    assert pair["mcnemar_p"] < 0.05 < pair["p_holm"] and not pair["significant"]
    assert difference_text(pair) == "+0.100 [+0.012, +0.185] (95% CI, unadjusted)"
    sentence = pair_sentence(pair)
    assert "is not significant at 0.05 after Holm's adjustment over the 2 judge pairs tested" in sentence
    assert sentence.endswith(HOLM_NOTE + " the difference is not significant; go by the adjusted test.")
    assert "borderline" not in sentence
    # the null pair: interval across 0, not significant: nothing to explain
    assert "interval" not in pair_sentence(pairs[1]) and "unadjusted" in difference_text(pairs[1])
    lines = judges_compared_lines({"pairs": [{**p, "sentence": pair_sentence(p)} for p in pairs]})
    assert "difference +0.100 [+0.012, +0.185] (95% CI, unadjusted)" in lines[1] and HOLM_NOTE in lines[2]


def test_one_pair_keeps_its_plain_interval_and_no_note() -> None:
    pair = _pair(50, 15, 5, 30, 2)  # alone: p = 0.041, significant, the interval leaves out 0: they agree
    assert difference_text(pair) == "+0.100 [+0.012, +0.185] (95% CI)"
    assert "interval" not in pair_sentence(pair) and "is significant at 0.05 (exact McNemar" in pair_sentence(pair)


# ---------------------------------------------------------------------- 4, 8, 9: a studio with labels and sessions
CAMPAIGN = """id,question,a,b,winner,rater
k1,Q1,x1,y1,1,ann
k1,Q1,x1,y1,1,bob
k1,Q1,x1,y1,2,cy
k2,Q2,x2,y2,2,ann
k3,Q3,x3,y3,1,ann
k3,Q3,x3,y3,2,bob
"""
MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
MAPPING |= {"label": "winner", "annotator": "rater"}
LIMITED = "paid-crowd-zq7"  # a name found nowhere else in the page


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    source = tmp_path / "camp.csv"
    source.write_text(CAMPAIGN, encoding="utf-8")
    s = Studio.open(Settings(home=tmp_path / "home", judge_demo_on_start=False))
    import_table(s.store, source, mapping=MAPPING, dataset="camp", model1="m-1", model2="m-2")
    s.store.create_annotator("boss", role="admin", password=PASSWORD)
    s.store.create_annotator("ren", password=PASSWORD)
    s.store.create_annotator("mia", password=PASSWORD)
    s.store.save_session("open-crowd", "camp")
    s.store.save_session(LIMITED, "camp")
    yield from closing(s)


# ---------------------------------------------------------------------- 4. the export's note
LEFT_OUT_CY = "Left out 1 label of 'cy'"  # then each surface's name of the option (fix18b: REST's, the page's)


def test_the_admin_page_export_says_what_it_left_out(studio: Studio, tmp_path: Path) -> None:
    from ui import build_ui

    export = handler(build_ui(studio), "admin_export")
    boss = gr.Request(username="boss")
    shown = by_id(export("camp", "wide", "csv", False, "majority", "all", ["cy"], 3, None, boss))
    said = shown["admin-export-result"].replace("\\", "")  # as the page shows it, Markdown escapes apart
    assert said.startswith("Wrote **0** rows to ")  # every comparison has under 3 counted labels once cy is out
    assert LEFT_OUT_CY + ' (the "leave out" box)' in said
    boxed = '(the "at least this many labels" box: 3).'
    assert f"Left out 3 of 3 comparisons with fewer than 3 counted labels {boxed}" in said
    assert "--" not in said  # no command-line flag the page has not got
    plain = by_id(export("camp", "labels", "csv", False, "majority", "all", [], None, None, boss))
    assert "Left out" not in plain["admin-export-result"]  # nothing left out: only the rows


def test_rest_export_gives_the_note_in_a_header(studio: Studio) -> None:
    from web.server import create_api_app

    headers = {"Authorization": f"Bearer {studio.access.api_token('boss')}"}
    with TestClient(create_api_app(studio)) as client:
        params: dict[str, Any] = {"dataset": "camp", "kind": "wide", "min_labels": 2, "exclude_annotator": ["cy"]}
        answer = client.get("/api/v1/export", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        note = unquote(answer.headers["X-Export-Note"])
        assert note.startswith(LEFT_OUT_CY + " (exclude_annotator): in no majority")
        assert "Left out 1 of 3 comparisons with fewer than 2 counted labels (min_labels=2)." in note
        assert "--" not in note
        assert answer.headers["X-Rows"] == "2"
        plain = client.get("/api/v1/export", params={"dataset": "camp", "kind": "labels"}, headers=headers)
        assert plain.status_code == 200 and "X-Export-Note" not in plain.headers


# ---------------------------------------------------------------------- 8. one count of an account's answers
def test_set_aside_counts_an_accounts_answers_as_the_accounts_table(studio: Studio) -> None:
    one = int(studio.store.label_details("camp")["comparison_id"].iloc[0])
    studio.store.save_label(one, "ren", None, skipped=True)  # a skip: no label
    table = studio.store.accounts().set_index("name")
    for name in ("ann", "bob", "cy", "ren"):
        answers = studio.store.answers_of(name)
        assert (answers.labels, answers.ratings, answers.skipped) == (
            int(table.at[name, "labels"]),
            int(table.at[name, "ratings"]),
            int(table.at[name, "skipped"]),
        ), name
    assert (studio.store.answers_of("ann").labels, studio.store.answers_of("ren").skipped) == (3, 1)
    aside, changed = studio.store.set_labels_aside("bob")
    assert changed and (aside.labels, aside.skipped) == (2, 0)


# ---------------------------------------------------------------------- 9. the pickers built with no session
def test_a_session_limited_after_start_is_not_in_the_page_sent_to_an_outsider(studio: Studio) -> None:
    from orchestration.annotation import change_session_members
    from web import create_app

    with TestClient(create_app(studio), base_url="http://127.0.0.1:7860") as client:
        # after the server built its page: the session is given a member (mia), ren is not one
        change_session_members(studio.access, "boss", LIMITED, ["mia"], [])
        client.cookies.clear()
        login = client.post("/login", data={"username": "ren", "password": PASSWORD}, follow_redirects=False)
        assert login.status_code == 200, login.text
        config, page = client.get("/config"), client.get("/", headers={"Accept": "text/html"})
        assert config.status_code == 200 and page.status_code == 200
        assert LIMITED not in config.text and LIMITED not in page.text  # it was in both, in the pickers' choices
        components = {c["props"].get("elem_id"): c["props"] for c in json.loads(config.text)["components"]}
        for picker in ("annotate-session", "grade-session"):
            assert components[picker]["choices"] == [], picker  # the page load fills each person's own list
