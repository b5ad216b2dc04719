"""Session 14 "tokenpolish" (newfeat findings 2, 3, 5, 7, 8): the CLI refuses an API token label REST refuses
(one limit), the Admin page asks before revoking a token and answers under the token table, the token API's
times are ISO 8601 UTC with a 'Z' and whole seconds, an unknown query parameter's 422 speaks as a body error
does, and REST's scope line of a review item is the page's sentence (with how to see the other labels).
Real SQLite files, the real ASGI app, the real CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home, sql_rows
from test_s13_review_scope import _no_judge, _populate

from annotation_store.models import MAX_TOKEN_LABEL
from cli import main
from orchestration import AdminDesk, Settings, Studio
from ui.render import inline_text
from ui.review import scope_markdown


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(accounts_studio(home, (("alice", "annotator"), ("ada", "admin"))))


# ---------------------------------------------------------------------- finding 2: one label limit, CLI and REST
def test_the_cli_refuses_a_token_label_rest_refuses_and_makes_no_token(
    studio: Studio, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "L" * (MAX_TOKEN_LABEL + 50)
    with pytest.raises(SystemExit) as refused:
        main(["users", "token", "alice", "--label", long, "--home", str(home)])
    out, err = capsys.readouterr()
    assert refused.value.code not in (0, None) and "js_" not in out
    said = str(refused.value.code) if isinstance(refused.value.code, str) else err
    assert "--label has 150 characters; an API token's label takes at most 100. No token was made." in said
    assert sql_rows(home / "judge-studio.sqlite3", "SELECT count(*) FROM api_tokens") == [(0,)]
    with TestClient(api_app(studio)) as client:
        rest = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD, "label": long})
    assert rest.status_code == 422 and "at most 100 characters" in rest.json()["detail"]
    main(["users", "token", "alice", "--label", "L" * MAX_TOKEN_LABEL, "--home", str(home)])  # the limit itself
    assert capsys.readouterr().out.startswith("js_")


# ---------------------------------------------------------------------- finding 3: Admin revoke asks, answers nearby
def test_the_admin_page_asks_before_revoking_a_token_and_answers_under_the_token_table(studio: Studio) -> None:
    from ui.admin_sections.invites import invites_block, wire_invites
    from ui.admin_sections.tokens import tokens_block, wire_tokens

    desk = AdminDesk(studio)
    with gr.Blocks() as demo:
        result = gr.Markdown(elem_id="admin-accounts-result")
        wire_invites(invites_block(), desk, result)
        wire_tokens(tokens_block(), desk, result)
    ids = [getattr(b, "elem_id", None) for b in demo.blocks.values()]
    assert ids.index("admin-tokens-result") > ids.index("admin-revoke-token") > ids.index("admin-invites")
    number = studio.access.new_api_token("ada", None, "cli", 30)[0].id
    revoke = handler(demo, "admin_revoke_token")
    asked = by_id(revoke(number, None, gr.Request(username="ada")))
    assert asked == {
        "admin-tokens-result": f"Revoke API token \\#{number}? Scripts that send it get 401 from then on \\(your own "
        "too, if it is yours\\)\\. Click Revoke token again to confirm\\.",
        None: number,
    }
    assert [t.id for t in desk.api_tokens("ada")] == [number]  # the first click changed nothing
    done = by_id(revoke(number, number, gr.Request(username="ada")))
    assert done["admin-tokens-result"] == f"Revoked API token #{number} (`cli`) of `ada`: it no longer works."
    assert "admin-accounts-result" not in done and done[None] is None and desk.api_tokens("ada") == []


# ---------------------------------------------------------------------- finding 5: times in UTC, 'Z', whole seconds
def test_the_token_api_shows_times_as_utc_with_z_and_whole_seconds(studio: Studio) -> None:
    utc_z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    with TestClient(api_app(studio)) as client:
        made = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD}).json()
        assert utc_z.match(made["expires_at"]), made
        bearer = {"Authorization": f"Bearer {made['token']}"}
        listed = client.get("/api/v1/tokens", headers=bearer).json()["tokens"]
    token = listed[0]
    assert utc_z.match(token["created_at"]) and utc_z.match(token["expires_at"]), token
    assert token["last_used_at"] is not None and utc_z.match(token["last_used_at"]), token


# ---------------------------------------------------------------------- finding 7: one voice for a 422
def test_an_unknown_query_parameter_reads_as_a_body_error_does(studio: Studio) -> None:
    with TestClient(api_app(studio)) as client:
        made = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD}).json()
        typo = client.get(
            "/api/v1/datasets", params={"category": "math"}, headers={"Authorization": f"Bearer {made['token']}"}
        )
    assert typo.status_code == 422
    assert typo.json()["detail"] == (
        "The request does not fit the API: unknown query parameter 'category'; this route takes none."
    )


# ---------------------------------------------------------------------- finding 8: REST's scope line is the page's
def test_rest_says_how_to_see_the_labels_outside_the_scope_as_the_page_does(db_path: Path, tmp_path: Path) -> None:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    try:
        s.store.create_annotator("rita", role="reviewer", password=PASSWORD)
        c4 = _populate(s.store, tmp_path)[4]
        token = s.access.api_token("rita")
        with TestClient(api_app(s)) as client:
            body = client.get(
                f"/api/v1/reviews/{c4}",
                params={"labels_from": "imported"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
        line = body["labels_from"]["line"]
        assert body["labels_from"]["outside"] > 0
        assert line.endswith("outside this scope. Choose 'all people' in Labels from to see them."), line
        assert scope_markdown(s.review.item("rita", c4, labels_from="imported")) == f"_{inline_text(line)}_"
    finally:
        s.store.close()
