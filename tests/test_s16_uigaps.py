"""Three gaps session 15 left in the pages, closed (s16 "uigaps"):

1. the Dashboard's judge graph with no judge run says only that, and what to do; people's "Holm-adjusted over N
   pair tests" is not on it;
2. a page sent to an annotator (or a reviewer) carries no words of the tabs its role cannot open: the Admin page's
   form labels, help texts and choices are not in ``GET /``, ``/config``, ``/gradio_api/info`` or ``openapi.json``;
   an admin's page keeps them;
3. the login page's first-start hint is shown only while the password the server printed still holds (its file).

Real SQLite files, the real app (TestClient, signed in through the login form) and the page's own handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, accounts_studio, closing, jsonl_file, seeded_home

from interchange.importers import import_table
from orchestration import AdminDesk, Settings, Studio
from orchestration.access import ADMIN_PASSWORD_FILE

LOCAL = "http://127.0.0.1:7860"
HTML = {"Accept": "text/html"}


# ---------------------------------------------------------------------- 1. the judge graph with no run
@pytest.mark.usefixtures("fresh_dashboard_caches")
def test_the_judge_graph_without_a_run_says_so_and_carries_no_holm_note(tmp_path: Path) -> None:
    """People labelled a dataset no judge has judged: people's graph says how its arrows were tested; the judge's
    says only that no judge has judged it and how to judge it (it said "Holm-adjusted over 1 pair test")."""
    studio = Studio.open(Settings(home=tmp_path))
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    rows = [{"q": f"q{i}", "a": f"a{i}", "b": f"b{i}", "l1": "1" if i % 3 else "2", "l2": "1"} for i in range(12)]
    mapping = {"instruction": "q", "response1": "a", "response2": "b", "label:ann1": "l1", "label:ann2": "l2"}
    import_table(
        studio.store, jsonl_file(tmp_path / "t.jsonl", rows), mapping=mapping, model1="A", model2="B", dataset="ds"
    )
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")("ds", None, gr.Request(username="rita")))
    judge, people = shown["dashboard-judge-graph"], shown["dashboard-human-graph"]
    said = [judge.layout.title.text, *(a.text for a in judge.layout.annotations)]
    assert said[0] == "Judge (no run yet)"
    told = " ".join(said[1:]).replace("<br>", " ")
    assert told == "No judge has judged 'ds' yet: run judge-studio judge --dataset ds or the Case study's Run judge."
    assert not any("Holm" in text or "pair test" in text for text in said)
    assert people.layout.title.text == "People (majority label)<br><sup>Holm-adjusted over 1 pair test</sup>"
    studio.store.close()


# ---------------------------------------------------------------------- 2. what a role's page carries
#: words of the Admin page's forms (labels, a help text, a choice, a table header) and of a reviewer's tab
ADMIN_WORDS = ("Valid for (hours)", "New password", "Audit share (0.01-1", "Gold rate (0-0.5)", "Invite to revoke")
REVIEWER_WORDS = ("Judge run",)
DOORS = ("/", "/config", "/gradio_api/info", "/gradio_api/openapi.json")


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, seeded_db_template: Path) -> Iterator[TestClient]:
    from web import create_app

    home = seeded_home(seeded_db_template, tmp_path_factory.mktemp("roles"))
    for studio in closing(accounts_studio(home, (("ada", "admin"), ("rita", "reviewer"), ("ren", "annotator")))):
        with TestClient(create_app(studio), base_url=LOCAL) as client:
            yield client


def _pages(client: TestClient, name: str) -> dict[str, str]:
    """What ``name``, signed in through the login form, is sent at each door (the page as a browser asks for it,
    compressed: the test client unpacks it)."""
    client.cookies.clear()
    assert (
        client.post("/login", data={"username": name, "password": PASSWORD}, follow_redirects=False).status_code == 200
    )
    got = {door: client.get(door, headers=HTML if door == "/" else {}) for door in DOORS}
    assert all(answer.status_code == 200 for answer in got.values())
    return {door: answer.text for door, answer in got.items()}


def _labels(config_text: str) -> set[str]:
    return {str(c["props"]["label"]) for c in json.loads(config_text)["components"] if c["props"].get("label")}


def test_an_annotators_page_carries_no_words_of_the_admin_or_reviewer_tabs(app_client: TestClient) -> None:
    admin, reviewer, annotator = (_pages(app_client, name) for name in ("ada", "rita", "ren"))
    for word in ADMIN_WORDS:  # the admin is sent them (the page and the configuration hold them)
        assert word in admin["/"] and word in admin["/config"], word
    for word in REVIEWER_WORDS:
        assert word in admin["/config"] and word in reviewer["/config"], word
    for door in DOORS:
        assert not [w for w in ADMIN_WORDS + REVIEWER_WORDS if w in annotator[door]], door
        assert not [w for w in ADMIN_WORDS if w in reviewer[door]], door
    # the annotator's own forms are whole; the Admin page's endpoints are not described to non-admins
    assert "Annotation session" in _labels(annotator["/config"])
    assert "/admin_import" in json.loads(admin["/gradio_api/info"])["named_endpoints"]
    for page in (annotator, reviewer):
        assert "/admin_import" not in json.loads(page["/gradio_api/info"])["named_endpoints"]
        assert "/next_item" in json.loads(page["/gradio_api/info"])["named_endpoints"]
    assert "/review_queue" not in json.loads(annotator["/gradio_api/info"])["named_endpoints"]
    assert "/review_queue" in json.loads(reviewer["/gradio_api/info"])["named_endpoints"]
    # same components, same wiring for every role: only words differ
    shapes = [[(c["id"], c["type"]) for c in json.loads(page["/config"])["components"]] for page in (admin, annotator)]
    assert shapes[0] == shapes[1]


def test_the_page_is_still_compressed_for_a_browser_that_asks(app_client: TestClient) -> None:
    _pages(app_client, "ren")
    answer = app_client.get("/", headers={**HTML, "Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and "Valid for (hours)" not in answer.text
    assert int(answer.headers["content-length"]) < len(answer.content) / 3


# ---------------------------------------------------------------------- 3. the first-start hint
FIRST_START = "First start: the server printed the admin password"


def test_the_first_start_hint_goes_when_the_printed_password_no_longer_holds(tmp_path: Path) -> None:
    """The hint sent people to initial-admin-password.txt after the admin had set a new password (the file was
    removed then) and when the admin was made with ``users add`` (no password was printed)."""
    from web import create_app

    studio = Studio.open(Settings(home=tmp_path))
    studio.access.ensure_admin(tmp_path)
    with TestClient(create_app(studio)) as client:
        assert FIRST_START in client.get("/login").text
        AdminDesk(studio).update_account("admin", "admin", password="a-new-admin-password-1")
        assert not (tmp_path / ADMIN_PASSWORD_FILE).exists()
        assert FIRST_START not in client.get("/login").text
    studio.store.close()

    home = tmp_path / "other"
    made = accounts_studio(home, (("boss", "admin"),))  # as `judge-studio users add boss --role admin`
    with TestClient(create_app(made)) as client:
        assert FIRST_START not in client.get("/login").text
    made.store.close()


def test_a_choice_a_lower_role_is_sent_is_still_one_gradio_accepts(app_client: TestClient) -> None:
    """The page sends a hidden dropdown's value back with the events that read it; Gradio refuses a value not among
    the choices it holds ("Value:  is not in the list of choices"), so a blanked value broke those events."""
    admin = {c["id"]: c["props"] for c in json.loads(_pages(app_client, "ada")["/config"])["components"]}
    annotator = json.loads(_pages(app_client, "ren")["/config"])["components"]
    kept = [c for c in annotator if "choices" in c["props"] and isinstance(admin[c["id"]].get("value"), str)]
    assert kept
    for component in kept:
        if component["type"] == "dropdown":  # no value (a name, s18 dsvisible): Gradio takes None back as it is
            assert component["props"]["value"] is None, component["id"]
            assert component["props"]["choices"] == [], component["id"]
        else:
            assert component["props"]["value"] == admin[component["id"]]["value"], component["id"]
    assert any(component["type"] != "dropdown" for component in kept)
