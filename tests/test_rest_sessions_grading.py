"""REST ``GET /api/v1/sessions``: each session's guideline version, and for grading sessions
(``?kind=single``) the rating scale and rubric, over HTTP against the real app (uvicorn, httpx, API
tokens), with the sessions saved the way the Admin page saves them (``AdminDesk``)."""

from __future__ import annotations

import httpx
import pytest

from orchestration import AdminDesk, SessionForm
from orchestration.grading import DEFAULT_RUBRIC_TEXT

DEMO = "judge-studio-demo"
RUBRIC = (
    "[Is the answer <b>right</b>?]\n"
    "Score 1: Wrong.\n"
    "Score 2: Mostly wrong.\n"
    "Score 3: Half right.\n"
    "Score 4: Mostly right.\n"
    "Score 5: Right."
)


@pytest.fixture
def api(live_app):
    studio = live_app.studio
    headers = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    with httpx.Client(base_url=live_app.url + "api/v1", headers=headers, timeout=60) as client:
        yield client


def _by_name(sessions: list[dict]) -> dict[str, dict]:
    return {s["name"]: s for s in sessions}


def test_grading_sessions_show_their_scale_rubric_and_guideline_version(api, live_app) -> None:
    desk = AdminDesk(live_app.studio)
    desk.save_session("admin", SessionForm("Five", DEMO, kind="single", scale=5, rubric=RUBRIC, guidelines="Be fair."))
    desk.save_session("admin", SessionForm("Five, default rubric", DEMO, kind="single", scale=5))
    desk.save_session("admin", SessionForm("Five", DEMO, kind="single", guidelines="Be fair and brief."))

    answered = api.get("/sessions", params={"kind": "single"})
    assert answered.status_code == 200, answered.text
    graded = _by_name(answered.json())
    five = graded["Five"]
    assert (five["kind"], five["scale"], five["rubric"], five["rubric_is_default"]) == ("single", 5, RUBRIC, False)
    assert five["guideline_version"] == 2 and five["guidelines"] == "Be fair and brief."  # the edit made v2
    default = graded["Five, default rubric"]
    assert default["scale"] == 5 and default["rubric"] == DEFAULT_RUBRIC_TEXT and default["rubric_is_default"] is True
    ten = graded["Demo grading session"]  # the demo's 1-10 session: no rubric
    assert (ten["scale"], ten["rubric"], ten["rubric_is_default"], ten["guideline_version"]) == (10, "", False, 1)

    pairwise = _by_name(api.get("/sessions").json())  # the default kind, as before
    assert "Five" not in pairwise and pairwise["Demo session"]["kind"] == "pairwise"
    demo = pairwise["Demo session"]
    assert demo["guideline_version"] == 1 and demo["scale"] is None and demo["rubric"] is None

    refused = api.get("/sessions", params={"kind": "triple"})
    assert refused.status_code == 422 and "pairwise" in refused.text and "single" in refused.text
    listed = api.get("/openapi.json").json()["components"]["schemas"]["SessionOut"]["properties"]
    assert {"guideline_version", "scale", "rubric", "rubric_is_default"} <= set(listed)
