"""Task s13 "reviewq": the Review queue reads the labels of one scope, as the reports do since s12.

A PandaLM test-set slice imported with its three annotators' labels, then a session ("team": ann and bob)
labelling every item, and a judge verdict on two items. What each comparison holds (verdicts):

    c0: imported 1 1 1    team 1 1              nothing to review in any scope
    c1: imported 1 1 1    team 2 2              people disagree only when both are mixed ("all")
    c2: imported 1 1 2    team 1 1              people disagree among the imported labels
    c3: imported 2 2 2    team 1 2              people disagree within the session
    c4: imported 1 1 1    team 1 1   judge 2    the judge disagrees in every scope
    c5: imported 2 2 2    team 1 1   judge 1    all: people and judge; imported: judge; team: nothing

Before the fix the queue always read every label: the session's queue listed c1, c2 and c5, which its own
people agree on, and said nothing of the imported labels mixed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import NewVerdict, Store
from errors import NotFound
from interchange.importers import import_pandalm_testset
from orchestration import Settings, Studio
from ui.dashboard_layout import labels_from_choices

DATASET = "scoped-slice"
SESSION = "team"
TEAM = ("ann", "bob")
IMPORTED = ("pandalm-annotator1", "pandalm-annotator2", "pandalm-annotator3")
PASSWORD = "correct horse battery"
#: per item: the imported annotators' verdicts, the team's (ann, bob), the judge's (None: not judged)
CASE = [
    (("1", "1", "1"), ("1", "1"), None),
    (("1", "1", "1"), ("2", "2"), None),
    (("1", "1", "2"), ("1", "1"), None),
    (("2", "2", "2"), ("1", "2"), None),
    (("1", "1", "1"), ("1", "1"), "2"),
    (("2", "2", "2"), ("1", "1"), "1"),
]
PANDALM = {"tie": 0, "1": 1, "2": 2}
NOTICE = "People: all labels; includes 18 imported labels from 3 annotators: choose a session to see it alone"
PEOPLE, JUDGE = "people disagree", "judge disagrees"


def _populate(store: Store, folder: Path) -> list[int]:
    """The module docstring's case; the comparison ids in its order."""
    records = [
        {
            "idx": i,
            "motivation_app": "Wikipedia",
            "cmp_key": "llama-7b_bloom-7b",
            "instruction": f"Say something {i}",
            "input": "",
            "response1": f"first answer {i}",
            "response2": f"second answer number {i}",
            **{f"annotator{k + 1}": PANDALM[v] for k, v in enumerate(imported)},
        }
        for i, (imported, _team, _judge) in enumerate(CASE)
    ]
    path = folder / "scoped-testset.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_pandalm_testset(store, path, dataset=DATASET)
    table = store.comparison_table(DATASET)
    ids = [int(table[table["instruction"] == f"Say something {i}"]["id"].iloc[0]) for i in range(len(CASE))]
    store.save_session(SESSION, DATASET, overlap=2, gold_rate=0.0)
    for k, who in enumerate(TEAM):
        while (turn := store.lease("pairwise", who, SESSION)) is not None:
            verdict = CASE[ids.index(turn.item.id)][1][k]
            store.submit("pairwise", who, SESSION, turn.item.id, verdict=verdict, skipped=False, swapped=turn.swapped)
    run = store.ensure_judge_run("scoped-judge", {"model": "scoped-judge", "profile": "pandalm"})
    for c, (_imported, _team, judge) in zip(ids, CASE, strict=True):
        if judge is not None:
            store.save_verdict(run, NewVerdict(c, judge, "ok", reason="judged"))
    # the case as stored: every label where the table above puts it
    labels = store.labels(DATASET)
    for c, (imported, team, _judge) in zip(ids, CASE, strict=True):
        mine = labels[labels["comparison_id"] == c]
        given = dict(zip(mine["annotator"], mine["verdict"], strict=True))
        assert given == {**dict(zip(IMPORTED, imported, strict=True)), **dict(zip(TEAM, team, strict=True))}
    return ids


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def studio(db_path: Path, tmp_path: Path) -> tuple[Studio, list[int]]:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("rita", "reviewer"), ("ann-account", "annotator")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s, _populate(s.store, tmp_path)


def _reasons(studio: Studio, labels_from: str | None, **kw: Any) -> dict[int, tuple[str, ...]]:
    entries = studio.review.queue("rita", DATASET, labels_from=labels_from, **kw).entries()
    return {e.comparison_id: e.reasons for e in entries}


def test_the_queue_reads_only_the_labels_in_scope(studio: tuple[Studio, list[int]]) -> None:
    s, (c0, c1, c2, c3, c4, c5) = studio
    every = {c1: (PEOPLE,), c2: (PEOPLE,), c3: (PEOPLE,), c4: (JUDGE,), c5: (PEOPLE, JUDGE)}
    assert _reasons(s, None) == _reasons(s, "all") == every  # the default: every label, as on the Dashboard
    assert _reasons(s, SESSION) == {c3: (PEOPLE,), c4: (JUDGE,)}
    assert _reasons(s, f"session:{SESSION}") == {c3: (PEOPLE,), c4: (JUDGE,)}
    assert _reasons(s, "imported") == {c2: (PEOPLE,), c4: (JUDGE,), c5: (JUDGE,)}
    assert _reasons(s, SESSION, kind=PEOPLE) == {c3: (PEOPLE,)}
    assert _reasons(s, "imported", kind=JUDGE) == {c4: (JUDGE,), c5: (JUDGE,)}
    assert c0 not in _reasons(s, None)

    entries = {e.comparison_id: e for e in s.review.queue("rita", DATASET, labels_from=SESSION).entries()}
    assert entries[c3].labels == {"ann": "1", "bob": "2"}  # only the session's labels are listed
    imported = {e.comparison_id: e for e in s.review.queue("rita", DATASET, labels_from="imported").entries()}
    assert imported[c5].labels == dict.fromkeys(IMPORTED, "2")

    found = s.review.queue("rita", DATASET)
    assert found.scope.line() == NOTICE and len(found.rows) == 5
    team = s.review.queue("rita", DATASET, labels_from=SESSION).scope
    assert team.line() == "People: labels from session 'team' (12 labels, 2 annotators)"


def test_every_datasets_queue_takes_a_session_and_an_unknown_one_is_refused(studio: tuple[Studio, list[int]]) -> None:
    s, (_c0, _c1, _c2, c3, c4, _c5) = studio
    assert {e.comparison_id for e in s.review.queue("rita", None, labels_from=SESSION).entries()} == {c3, c4}
    with pytest.raises(NotFound, match="has no session 'nobody'.*'team'"):
        s.review.queue("rita", DATASET, labels_from="nobody")
    with pytest.raises(NotFound, match="There is no session 'nobody'"):
        s.review.queue("rita", None, labels_from="nobody")


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _review_scopes(demo: gr.Blocks) -> Any:
    """The handler that fills the Review tab's "Labels from" picker."""
    for block_fn in demo.fns.values():
        if [o.elem_id for o in block_fn.outputs] == ["review-labels-from"] and block_fn.fn is not None:
            return block_fn.fn
    raise AssertionError("the Review tab has no handler filling its Labels from picker")


def test_the_review_tab_lists_the_scope_and_says_when_imported_labels_are_mixed_in(
    studio: tuple[Studio, list[int]],
) -> None:
    from ui import build_ui

    s, (_c0, c1, c2, c3, c4, c5) = studio
    demo = build_ui(s)
    picker = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "review-labels-from")
    assert picker.label == "Labels from" and picker.value == "all"  # the Dashboard's picker and default
    filled = _review_scopes(demo)(DATASET, _as("rita"))
    assert filled.choices == [(label, value) for label, value in labels_from_choices([SESSION])]
    assert filled.value == "all"
    assert [v for _l, v in _review_scopes(demo)("(all datasets)", _as("rita")).choices] == ["all", "imported"]

    queue = handler(demo, "review_queue")
    default = by_id(queue(DATASET, "any", False, _as("rita")))
    assert sorted(int(i) for i in default["review-queue"]["#"]) == sorted([c1, c2, c3, c4, c5])
    assert NOTICE in default["review-count"].replace("\\", "")

    team = by_id(queue(DATASET, "any", False, _as("rita"), SESSION))
    table = team["review-queue"]
    assert sorted(int(i) for i in table["#"]) == sorted([c3, c4])
    shown = dict(zip((int(i) for i in table["#"]), table["why"], strict=True))
    assert shown == {c3: PEOPLE, c4: JUDGE}
    row = table[table["#"].astype(int) == c3].iloc[0]
    assert row["labels"] == "ann: 1 · bob: 2"  # the imported annotators are not in the session's queue
    assert "**2** comparisons to review" in team["review-count"]
    said = team["review-count"].replace("\\", "")
    assert "People: labels from session 'team' (12 labels, 2 annotators)" in said and NOTICE not in said

    imported = by_id(queue(DATASET, "any", False, _as("rita"), "imported"))
    assert sorted(int(i) for i in imported["review-queue"]["#"]) == sorted([c2, c4, c5])

    # saving a final label reads the queue again in the same scope
    saved = by_id(handler(demo, "adjudicate")(c3, "1", "ann is right", DATASET, "any", True, _as("rita"), SESSION))
    assert [int(i) for i in saved["review-queue"]["#"]] == [c4]
    with pytest.raises(gr.Error, match="has no session 'nobody'"):
        queue(DATASET, "any", False, _as("rita"), "nobody")


def test_gradio_passes_the_picker_after_the_request() -> None:
    """The queue's handlers take the request before the picker's value (so the scripts' and tests' calls
    without it still work): Gradio puts the request in its place and the value after it."""
    from gradio.helpers import special_args

    def listed(dataset: str, kind: str, only_open: bool, request: gr.Request, scope: str | None = None) -> None: ...

    args, *_ = special_args(listed, [DATASET, "any", True, SESSION], request=None)
    assert args[:3] == [DATASET, "any", True] and args[4] == SESSION


def test_rest_takes_labels_from(live_app: Any, tmp_path: Path) -> None:
    import httpx

    _c0, c1, c2, c3, c4, c5 = _populate(live_app.studio.store, tmp_path)
    token = live_app.studio.access.api_token("rita")
    with httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}) as api:

        def listed(**params: Any) -> dict[str, Any]:
            got = api.get("/reviews", params={"dataset": DATASET, **params}, timeout=60)
            assert got.status_code == 200, got.text
            return got.json()

        every = listed()
        assert {i["comparison_id"] for i in every["items"]} == {c1, c2, c3, c4, c5}
        assert every["labels_from"]["scope"] == "all" and every["labels_from"]["line"] == NOTICE
        team = listed(labels_from=SESSION)
        assert {i["comparison_id"]: i["reasons"] for i in team["items"]} == {c3: [PEOPLE], c4: [JUDGE]}
        assert team["total"] == 2 and team["labels_from"]["session"] == SESSION
        assert next(i for i in team["items"] if i["comparison_id"] == c3)["labels"] == {"ann": "1", "bob": "2"}
        imported = listed(labels_from="imported")
        assert {i["comparison_id"] for i in imported["items"]} == {c2, c4, c5}
        assert imported["labels_from"]["labels"] == 18 and imported["labels_from"]["annotators"] == 3
        missing = api.get("/reviews", params={"dataset": DATASET, "labels_from": "nobody"})
        assert missing.status_code == 404 and "has no session 'nobody'" in missing.text
