"""An annotator is told no dataset name beyond those of the sessions open to them (s18 redteam2, finding 2).

As an annotator, ``GET /api/v1/datasets`` listed every dataset, and the Gradio ``updates`` event (a tab opened)
sent every dataset picker's choices. That named datasets whose only session is limited to members (the members
feature hides the session's name, but its dataset is often the project's or customer's name) and datasets with no
session. Annotators open only Annotate and Grade, which have no dataset picker, so now:

- ``GET /api/v1/datasets`` gives an annotator only the datasets of the open sessions they may work in (the
  sessions' one rule, ``open_to``, through ``AnswerDesk.sessions``); reviewers and admins get every name;
- the pickers' ``opened`` (page load) and ``updates`` (tab opened, after an import) leave the pickers of pages the
  caller cannot open alone (``gr.skip()``);
- the page, ``/config`` and the API description sent to a lower role carry no hidden dropdown's value and no
  choices in the components' API description (``web.role_markup``);
- Gradio's refusal of a value not among a dropdown's choices listed every choice (``Value: x is not in the list
  of choices: [...]``), to anyone, before any role check: it now says ``CHOICE_REFUSED``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import handler
from helpers import PASSWORD, api_app, closing

from interchange.importers import import_table
from orchestration import Settings, Studio
from ui.pickers import CHOICE_REFUSED

MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
OPEN, SECRET, LONELY, GRADED = "open-ds", "cust-secret-q9", "lonely-zz8", "graded-ds"
HIDDEN = (SECRET, LONELY)  # names found nowhere else on the page
BASE = "http://127.0.0.1:7860"


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    source = tmp_path / "c.csv"
    source.write_text("id,question,a,b\nk1,Q1,x1,y1\nk2,Q2,x2,y2\n", encoding="utf-8")
    s = Studio.open(Settings(home=tmp_path / "home", judge_demo_on_start=False))
    for name in (OPEN, SECRET, LONELY, GRADED):
        import_table(s.store, source, mapping=MAPPING, dataset=name, model1="m1", model2="m2")
    for name, role in (("boss", "admin"), ("rev", "reviewer"), ("ren", "annotator"), ("mia", "annotator")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    s.store.save_session("open-sess", OPEN)
    s.store.save_session("grade-sess", GRADED, kind="single", overlap=1)
    s.store.save_session("limited-sess", SECRET)  # the newest session: every picker's default dataset
    s.store.change_session_members("limited-sess", add=["mia"])
    yield from closing(s)


def _names(client: TestClient, studio: Studio, who: str) -> list[str]:
    answer = client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {studio.access.api_token(who)}"})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["datasets"])


def test_rest_datasets_lists_an_annotator_only_the_datasets_of_sessions_open_to_them(studio: Studio) -> None:
    every = studio.dataset_names()
    assert {OPEN, SECRET, LONELY, GRADED} <= set(every)
    with TestClient(api_app(studio)) as client:
        ren = _names(client, studio, "ren")
        assert OPEN in ren and GRADED in ren  # a labelling and a grading session open to everyone
        assert SECRET not in ren and LONELY not in ren  # limited to members ren is not one of; no session at all
        assert SECRET in _names(client, studio, "mia")  # a member is told it
        assert LONELY not in _names(client, studio, "mia")
        assert _names(client, studio, "rev") == every == _names(client, studio, "boss")  # unchanged
        studio.store.save_session("open-sess", OPEN, active=False)  # closed: nobody can work there
        assert OPEN not in _names(client, studio, "ren")


def test_an_annotator_with_no_open_session_is_told_no_dataset(tmp_path: Path) -> None:
    s = Studio.open(Settings(home=tmp_path / "home", judge_demo_on_start=False))
    try:
        s.store.create_annotator("ren", password=PASSWORD)
        for session in s.store.sessions():
            s.store.save_session(session.name, session.dataset, active=False)
        assert s.dataset_names()  # the demo is there
        assert s.dataset_names_for("ren") == []
    finally:
        s.store.close()


def _signed_in(client: TestClient, who: str) -> None:
    client.cookies.clear()
    login = client.post("/login", data={"username": who, "password": PASSWORD}, follow_redirects=False)
    assert login.status_code == 200, login.text


def _event(client: TestClient, fn_index: int, data: list[Any]) -> dict[str, Any]:
    """One Gradio event as the page sends it (``queue/join``, then its answer from ``queue/data``)."""
    session_hash, origin = uuid.uuid4().hex[:10], {"Origin": BASE}
    body = {"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None, "session_hash": session_hash}
    joined = client.post("/gradio_api/queue/join", json=body, headers=origin)
    assert joined.status_code == 200, joined.text
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}, headers=origin) as got:
        for line in got.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return message
    raise AssertionError("no answer")


def _dependency(config: dict[str, Any], api_name: str) -> tuple[int, list[Any]]:
    """The fn_index of the event ``api_name`` and the values its inputs hold in ``config`` (as the page sends)."""
    props = {c["id"]: c.get("props", {}) for c in config["components"]}
    for index, dep in enumerate(config["dependencies"]):
        if dep.get("api_name") == api_name:
            return int(dep.get("id", index)), [props[i].get("value") for i in dep["inputs"]]
    raise AssertionError(api_name)


def test_the_page_and_its_events_name_no_dataset_an_annotator_cannot_reach(studio: Studio) -> None:
    from web import create_app

    with TestClient(create_app(studio), base_url=BASE) as client:
        _signed_in(client, "ren")
        config, page = client.get("/config"), client.get("/", headers={"Accept": "text/html"})
        assert config.status_code == 200 and page.status_code == 200
        for hidden in HIDDEN:  # were in both: a picker's value (the default dataset), its choices' API description
            assert hidden not in config.text and hidden not in page.text
        shown = json.loads(config.text)
        for api_name in ("opened", "updates"):  # the page load; a tab opened
            fn_index, values = _dependency(shown, api_name)
            answer = _event(client, fn_index, values)
            assert answer["success"], answer
            assert not any(hidden in json.dumps(answer) for hidden in HIDDEN), answer
            refused = _event(client, fn_index, ["made-up"] * len(values))  # listed every dataset
            assert not refused["success"] and refused["output"]["error"] == CHOICE_REFUSED
            assert not any(hidden in json.dumps(refused) for hidden in HIDDEN), refused

        _signed_in(client, "rev")  # reviewers' pages: unchanged
        config = client.get("/config")
        assert SECRET in config.text
        fn_index, values = _dependency(json.loads(config.text), "updates")
        answer = _event(client, fn_index, values)
        assert answer["success"] and all(name in json.dumps(answer) for name in HIDDEN)


def test_the_pickers_events_skip_the_pickers_of_pages_the_caller_cannot_open(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    updates, opened = handler(demo, "updates"), handler(demo, "opened")
    count = len(updates.__self__.boxes)
    for event in (updates, opened):
        ren = event(gr.Request(username="ren"), *[SECRET] * count)
        assert len(ren) == count and all(value == gr.skip() for value in ren.values()), ren
        rev = event(gr.Request(username="rev"), *[SECRET] * count)
        reviewer_boxes = [value for value in rev.values() if value != gr.skip()]  # the Admin page's stay skipped
        assert reviewer_boxes and all(LONELY in json.dumps(box.constructor_args) for box in reviewer_boxes)
        boss = event(gr.Request(username="boss"), *[SECRET] * count)
        assert all(value != gr.skip() for value in boss.values())


def test_a_made_up_choice_is_refused_without_the_choices(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    pickers = [b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.elem_id == "dashboard-dataset"]
    assert pickers and SECRET in json.dumps(pickers[0].choices)
    with pytest.raises(gr.Error) as refused:
        pickers[0].preprocess("made-up")
    assert str(refused.value.message) == CHOICE_REFUSED
    assert pickers[0].preprocess(SECRET) == SECRET and pickers[0].preprocess(None) is None
    radio = gr.Radio(choices=["a", "b"])
    with pytest.raises(gr.Error, match="not in this page's list"):
        radio.preprocess("c")
