"""Task s14 "scope2": a comparison opened on the Review page (and REST's ``GET /reviews/{id}``) lists the
labels of the queue's "Labels from" scope and says how many lie outside it; the Case study's "People
disagree with the judge" filter reads only the labels of its own "Labels from" picker.

The case is session 13's (``test_s13_review_scope``): a PandaLM slice with three imported annotators'
labels, a session "team" (ann and bob) labelling every item, a judge verdict on c4 and c5:

    c3: imported 2 2 2    team 1 2              people disagree within the session
    c4: imported 1 1 1    team 1 1   judge 2    the judge disagrees in every scope
    c5: imported 2 2 2    team 1 1   judge 1    the judge disagrees with the imported labels, not the team's

Before the fix the opened c3 listed all five labels whatever the picker said (the queue had listed it for
the team's two), and the Case study's filter found c5 for the team although the team agrees with the judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler
from test_s13_review_scope import DATASET, IMPORTED, NOTICE, PASSWORD, SESSION, TEAM, _no_judge, _populate

from errors import NotFound
from orchestration import CaseBrowser, CaseFilter, Settings, Studio
from orchestration.review import item_scope_line
from ui.dashboard_layout import labels_from_choices

TEAM_LINE = (
    "Labels from session 'team': 2 labels; 3 more labels outside this scope. "
    "Choose 'all people' in Labels from to see them."
)
ALL_LINE = "Labels from all people: 5 labels, 3 of them imported (given in no session)."
IMPORTED_LINE = (
    "Imported labels only (given in no session): 3 labels; 2 more labels outside this scope. "
    "Choose 'all people' in Labels from to see them."
)


@pytest.fixture
def studio(db_path: Path, tmp_path: Path) -> tuple[Studio, list[int]]:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    s.store.create_annotator("rita", role="reviewer", password=PASSWORD)
    return s, _populate(s.store, tmp_path)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _annotators(frame: Any) -> set[str]:
    return {str(name) for name in frame["annotator"]}


def test_an_opened_comparison_lists_the_labels_in_scope_and_counts_the_rest(
    studio: tuple[Studio, list[int]],
) -> None:
    s, (_c0, _c1, _c2, c3, _c4, _c5) = studio
    team = s.review.item("rita", c3, labels_from=SESSION)
    assert _annotators(team.labels) == set(TEAM) and team.outside == 3
    assert item_scope_line(team) == TEAM_LINE
    assert {row.annotator: row.verdict for row in team.label_rows()} == {"ann": "1", "bob": "2"}
    assert _annotators(s.review.item("rita", c3, labels_from=f"session:{SESSION}").labels) == set(TEAM)

    every = s.review.item("rita", c3)  # the default: every label, as the queue
    assert _annotators(every.labels) == {*TEAM, *IMPORTED} and every.outside == 0
    assert item_scope_line(every) == ALL_LINE
    imported = s.review.item("rita", c3, labels_from="imported")
    assert _annotators(imported.labels) == set(IMPORTED) and item_scope_line(imported) == IMPORTED_LINE

    with pytest.raises(NotFound, match="has no session 'nobody'.*'team'"):  # the queue's message
        s.review.item("rita", c3, labels_from="nobody")
    # adjudication is as before: the final label of the comparison, whatever the scope shown
    s.review.adjudicate("rita", c3, "2", "bob is right")
    assert s.review.item("rita", c3, labels_from=SESSION).adjudication.verdict == "2"  # type: ignore[union-attr]


def _relabel(demo: gr.Blocks) -> Any:
    """The handler that lists the shown comparison's labels again when "Labels from" changes."""
    for block_fn in demo.fns.values():
        if [o.elem_id for o in block_fn.outputs] == ["review-open-note", "review-labels-scope", "review-labels"]:
            assert block_fn.fn is not None
            return block_fn.fn
    raise AssertionError("the Review tab does not list the shown labels again for a new Labels from")


def test_the_review_tab_opens_a_comparison_in_the_pickers_scope(studio: tuple[Studio, list[int]]) -> None:
    from ui import build_ui

    s, (_c0, _c1, _c2, c3, _c4, _c5) = studio
    demo = build_ui(s)
    opened = by_id(handler(demo, "review_item")(c3, _as("rita"), SESSION))
    assert _annotators(opened["review-labels"]) == set(TEAM)
    said = opened["review-labels-scope"].replace("\\", "")
    assert TEAM_LINE in said and "Choose 'all people' in Labels from to see them." in said

    every = by_id(handler(demo, "review_item")(c3, _as("rita")))  # scripts that send no scope: every label
    assert _annotators(every["review-labels"]) == {*TEAM, *IMPORTED}
    assert ALL_LINE in every["review-labels-scope"].replace("\\", "")

    relisted = by_id(_relabel(demo)(c3, _as("rita"), "imported"))
    assert _annotators(relisted["review-labels"]) == set(IMPORTED)
    assert IMPORTED_LINE in relisted["review-labels-scope"].replace("\\", "")
    nothing = _relabel(demo)(None, _as("rita"), SESSION)  # nothing shown: nothing to list, every output left as is
    assert nothing and all(update == gr.skip() for update in nothing.values())

    refused = by_id(handler(demo, "review_item")(c3, _as("rita"), "nobody"))
    assert list(refused) == ["review-open-note"] and "has no session 'nobody'" in refused["review-open-note"]


def test_a_click_on_a_queue_row_opens_it_in_the_pickers_scope(studio: tuple[Studio, list[int]]) -> None:
    """The row click's handler gets the table, the click, the request and then the picker (Gradio puts the
    click and the request in their places): the clicked comparison lists the scope's labels."""
    from gradio.helpers import special_args

    from ui import build_ui

    s, (_c0, _c1, _c2, c3, _c4, _c5) = studio
    demo = build_ui(s)
    click = next(
        f.fn
        for f in demo.fns.values()
        if [i.elem_id for i in f.inputs] == ["review-queue", "review-labels-from"] and f.fn is not None
    )
    table = by_id(handler(demo, "review_queue")(DATASET, "any", False, _as("rita"), SESSION))["review-queue"]
    row = [int(i) for i in table["#"]].index(c3)
    args, *_ = special_args(
        click, [table, SESSION], request=_as("rita"), event_data=gr.EventData(None, {"index": [row, 0]})
    )
    opened = by_id(click(*args))
    assert opened["review-id"] == c3 and _annotators(opened["review-labels"]) == set(TEAM)
    assert TEAM_LINE in opened["review-labels-scope"].replace("\\", "")


def test_rest_opens_a_comparison_in_a_scope(live_app: Any, tmp_path: Path) -> None:
    import httpx

    _c0, _c1, _c2, c3, c4, _c5 = _populate(live_app.studio.store, tmp_path)
    token = live_app.studio.access.api_token("rita")
    with httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}) as api:
        team = api.get(f"/reviews/{c3}", params={"labels_from": SESSION}, timeout=60)
        assert team.status_code == 200, team.text
        body = team.json()
        assert {row["annotator"]: row["verdict"] for row in body["labels"]} == {"ann": "1", "bob": "2"}
        held = body["labels_from"]
        assert (held["scope"], held["session"], held["labels"], held["outside"]) == ("session", SESSION, 2, 3)
        assert held["line"] == TEAM_LINE

        every = api.get(f"/reviews/{c3}", timeout=60).json()
        assert len(every["labels"]) == 5 and every["labels_from"]["outside"] == 0
        assert every["labels_from"]["imported_labels"] == 3 and every["labels_from"]["line"] == ALL_LINE
        imported = api.get(f"/reviews/{c4}", params={"labels_from": "imported"}, timeout=60).json()
        assert {row["annotator"] for row in imported["labels"]} == set(IMPORTED)

        missing = api.get(f"/reviews/{c3}", params={"labels_from": "nobody"})
        assert missing.status_code == 404 and "has no session 'nobody'" in missing.text
        assert api.get(f"/reviews/{c3}", params={"labels_from": "x" * 211}).status_code == 422  # as /reviews
        queue = api.get("/reviews", params={"dataset": DATASET, "labels_from": SESSION}).json()  # the queue too
        assert {i["comparison_id"] for i in queue["items"]} == {c3, c4}
        assert api.get("/reviews", params={"dataset": "no-such-dataset"}).status_code == 404


def _matches(s: Studio, labels_from: str | None) -> tuple[list[int], Any]:
    found = CaseBrowser(s).comparisons(
        "rita", CaseFilter(dataset=DATASET, judge_disagrees=True, labels_from=labels_from)
    )
    return [number for _label, number in found.choices], found.scope


def test_the_case_study_filter_counts_only_the_labels_in_scope(studio: tuple[Studio, list[int]]) -> None:
    s, (_c0, _c1, _c2, _c3, c4, c5) = studio
    every, scope = _matches(s, None)
    assert every == [c4, c5] and scope is not None and scope.line() == NOTICE  # as today: every label
    assert _matches(s, "all")[0] == [c4, c5]
    team, team_scope = _matches(s, SESSION)
    assert team == [c4]  # the team agrees with the judge on c5
    assert team_scope.line() == "People: labels from session 'team' (12 labels, 2 annotators)"
    assert _matches(s, "imported")[0] == [c4, c5]
    assert CaseBrowser(s).comparisons("rita", CaseFilter(dataset=DATASET, labels_from=SESSION)).scope is None
    with pytest.raises(NotFound, match="has no session 'nobody'"):
        _matches(s, "nobody")


def _case_dataset_handler(demo: gr.Blocks) -> Any:
    for block_fn in demo.fns.values():
        ids = [o.elem_id for o in block_fn.outputs]
        if "case-labels-from" in ids and "case-picker" in ids and block_fn.fn is not None:
            return block_fn.fn
    raise AssertionError("no Case study handler fills its Labels from picker")


def test_the_case_study_page_has_the_labels_from_picker(studio: tuple[Studio, list[int]]) -> None:
    from ui import build_ui

    s, (_c0, _c1, _c2, _c3, c4, c5) = studio
    demo = build_ui(s)
    picker = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "case-labels-from")
    assert picker.label == "Labels from" and picker.value == "all"  # the Dashboard's picker and default
    filled = by_id(_case_dataset_handler(demo)(DATASET, _as("rita")))["case-labels-from"]
    assert filled.choices == list(labels_from_choices([SESSION])) and filled.value == "all"

    case_filter = handler(demo, "case_filter")
    wanted = (DATASET, "(any)", "(any)", True, False, False, 0.6, None, _as("rita"))
    team = by_id(case_filter(*wanted, SESSION))
    assert [v for _label, v in team["case-picker"].choices] == [c4]
    said = team["case-filter-count"].replace("\\", "")
    assert "**1** comparison match" in said and "People: labels from session 'team'" in said
    every = by_id(case_filter(*wanted))  # API callers that send no scope: every label, as before
    assert [v for _label, v in every["case-picker"].choices] == [c4, c5]
    assert NOTICE in every["case-filter-count"].replace("\\", "")
    with pytest.raises(gr.Error, match="has no session 'nobody'"):
        case_filter(*wanted, "nobody")
