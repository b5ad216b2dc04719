"""s18 leftovers.

1. ``gold list`` and ``users invites`` load neither pandas nor Alembic, as ``users list`` does (s18 lightstore):
   ``gold list`` read a DataFrame through Studio and the Admin desk, ``users invites`` imported
   ``orchestration.admin`` (pandas at its top, then the importers'). They read plain rows now
   (``orchestration.catalog.gold_listed``, ``Access.open_invites``) and print what they printed before.
2. An export refused for a filter its kind cannot apply names that surface's options: REST its query parameters,
   the Admin page its boxes, the command line its flags (``OptionWords``, fix18b's words for the export notes).
3. A table import that does not say which model wrote a response answers REST with REST's form fields
   (``mapping``, ``model1``), not the command line's and the Admin page's.
SQLite files; the CLI in a fresh Python (for what it loads) or through ``cli.main``; REST through the ASGI test
client; the Admin page's handler called in process; no browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, api_app
from test_s16_light_cli import _loaded
from test_s18_lightstore import LIGHT

from annotation_store import open_store
from cli import main
from interchange.importers import import_table
from orchestration import Settings, Studio

CAMPAIGN = """id,question,a,b,winner,rater
k1,Q1,x1,y1,1,ann
k1,Q1,x1,y1,2,bob
k2,Q2,x2,y2,2,ann
"""
MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
MAPPING |= {"label": "winner", "annotator": "rater"}


def _camp(folder: Path) -> Path:
    """``folder`` with the dataset ``camp`` (labels of ann and bob; no judge run) and an admin ``ada``."""
    source = folder.parent / f"{folder.name}-camp.csv"
    source.write_text(CAMPAIGN, encoding="utf-8")
    store = open_store(folder / "judge-studio.sqlite3")
    try:
        import_table(store, source, mapping=MAPPING, dataset="camp", model1="m-1", model2="m-2")
        store.create_annotator("ada", role="admin", password=PASSWORD)
    finally:
        store.close()
    return folder


# ---------------------------------------------------------------------- 1. gold list and users invites: light
@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``camp`` with two gold marks (one explanation has a tab and a newline) and one open invite."""
    folder = _camp(tmp_path_factory.mktemp("leftovers"))
    store = open_store(folder / "judge-studio.sqlite3")
    try:
        store.set_gold(1, "1", "x1 answers Q1")  # camp's two comparisons, the database's first
        store.set_gold(2, "tie", "both\tfine\nreally")
        store.new_invite(role="annotator", kind="expert", created_by="ada", hours=5)
    finally:
        store.close()
    return folder


@pytest.mark.parametrize(
    "argv", [["gold", "list"], ["gold", "list", "--json"], ["gold", "list", "--dataset", "camp"], ["users", "invites"]]
)
def test_gold_list_and_users_invites_load_neither_pandas_nor_alembic(home: Path, argv: list[str]) -> None:
    loaded, done = _loaded(home, *argv, heavy=LIGHT)
    assert done.returncode == 0 and "EXIT=" not in done.stderr, done.stderr
    assert loaded == [], f"judge-studio {' '.join(argv)} imported {loaded}"


def test_gold_list_prints_what_it_printed_before(home: Path) -> None:
    _loaded_, table = _loaded(home, "gold", "list", heavy=LIGHT)
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["comparison_id", "dataset", "verdict", "explanation"]
    assert lines[1].split() == ["1", "camp", "1", "x1", "answers", "Q1"]
    assert lines[2].split()[:3] == ["2", "camp", "tie"] and "\t" not in lines[2] and len(lines) == 3
    _loaded_, listed = _loaded(home, "gold", "list", "--json", heavy=LIGHT)
    assert json.loads(listed.stdout) == [
        {"comparison_id": 1, "dataset": "camp", "verdict": "1", "explanation": "x1 answers Q1"},
        {"comparison_id": 2, "dataset": "camp", "verdict": "tie", "explanation": "both\tfine\nreally"},
    ]
    _loaded_, typo = _loaded(home, "gold", "list", "--dataset", "cmap", heavy=LIGHT)
    assert "There is no dataset named 'cmap' (datasets: camp)." in typo.stderr  # require_dataset's one wording
    _loaded_, invites = _loaded(home, "users", "invites", heavy=LIGHT)
    header, row = invites.stdout.splitlines()
    assert header.split() == ["id", "role", "kind", "created_by", "created", "expires"]
    assert row.split()[:4] == ["1", "annotator", "expert", "ada"]


def test_rest_gold_still_lists_the_same_rows(home: Path) -> None:
    studio = Studio.open(Settings(home=home, judge_demo_on_start=False))
    try:
        bearer = {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}
        with TestClient(api_app(studio)) as client:
            answer = client.get("/api/v1/gold", params={"dataset": "camp"}, headers=bearer)
            missing = client.get("/api/v1/gold", params={"dataset": "cmap"}, headers=bearer)
    finally:
        studio.store.close()
    assert answer.status_code == 200, answer.text
    assert [(row["comparison_id"], row["verdict"]) for row in answer.json()["items"]] == [(1, "1"), (2, "tie")]
    assert missing.status_code == 404 and "There is no dataset named 'cmap'" in missing.text


# ---------------------------------------------------------------------- 2. export errors in each surface's words
#: (REST parameters, Admin page form values, CLI flags) of one refused export, and what each surface says.
REFUSED = [
    (
        {"kind": "judgments", "min_labels": 2},
        ("judgments", "all", [], 2),
        ["--kind", "judgments", "--min-labels", "2"],
        (
            "min_labels applies to kind wide and dpo, not judgments.",
            'The "at least this many labels" box applies to "What": wide and dpo, not judgments.',
            "--min-labels applies to --kind wide and dpo, not judgments.",
        ),
    ),
    (
        {"kind": "ratings", "exclude_annotator": "ann"},
        ("ratings", "all", ["ann"], 0),
        ["--kind", "ratings", "--exclude-annotator", "ann"],
        (
            "exclude_annotator applies to kind labels, wide and dpo (people's pairwise labels), not ratings.",
            'The "leave out" box applies to "What": labels, wide and dpo (people\'s pairwise labels), not ratings.',
            "--exclude-annotator applies to --kind labels, wide and dpo (people's pairwise labels), not ratings.",
        ),
    ),
    (
        {"kind": "judgments", "labels_from": "imported"},
        ("judgments", "imported", [], 0),
        ["--kind", "judgments", "--labels-from", "imported"],
        (
            "labels_from applies to kind labels, wide and dpo (people's pairwise labels), not judgments.",
            'The "labels from" box applies to "What": labels, wide and dpo (people\'s pairwise labels), not judgments.',
            "--labels-from applies to --kind labels, wide and dpo (people's pairwise labels), not judgments.",
        ),
    ),
    (
        {"kind": "dpo", "exclude_annotator": ["ann", "bob"]},
        ("dpo", "all", ["ann", "bob"], 0),
        ["--kind", "dpo", "--exclude-annotator", "ann", "--exclude-annotator", "bob"],
        (
            "No label of dataset 'camp' is left after labels_from / exclude_annotator, so there is no majority",
            'No label of dataset \'camp\' is left after the "labels from" box / the "leave out" box, so there',
            "No label of dataset 'camp' is left after --labels-from / --exclude-annotator, so there is no majority",
        ),
    ),
]


@pytest.fixture
def camp(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "home"
    folder.mkdir()
    yield _camp(folder)


def _rest_and_admin(folder: Path) -> tuple[list[str], list[str]]:
    """What REST and the Admin page's export handler answer to each of ``REFUSED``."""
    import gradio as gr
    from gradio_ids import handler

    from ui import build_ui

    studio = Studio.open(Settings(home=folder, judge_demo_on_start=False))
    rest, page = [], []
    try:
        bearer = {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}
        with TestClient(api_app(studio)) as client:
            for params, _form, _flags, _said in REFUSED:
                answer = client.get("/api/v1/export", params={"dataset": "camp", **params}, headers=bearer)
                assert answer.status_code == 400, answer.text
                rest.append(answer.text)
        export = handler(build_ui(studio), "admin_export")
        for _params, (kind, labels_from, exclude, least), _flags, _said in REFUSED:
            with pytest.raises(gr.Error) as refused:
                export(
                    "camp",
                    kind,
                    "csv",
                    False,
                    "majority",
                    labels_from,
                    exclude,
                    least,
                    None,
                    gr.Request(username="ada"),
                )
            page.append(str(refused.value.message))
    finally:
        studio.store.close()
    return rest, page


def test_export_refusals_name_each_surfaces_options(camp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rest, page = _rest_and_admin(camp)
    for (_params, _form, flags, (by_rest, by_page, by_cli)), rest_said, page_said in zip(
        REFUSED, rest, page, strict=True
    ):
        assert by_rest in rest_said and "--" not in rest_said, rest_said
        assert by_page in page_said.replace("\\", "") and "--" not in page_said, page_said
        with pytest.raises(SystemExit) as stopped:
            main(["export", "--dataset", "camp", *flags, "--home", str(camp)])
        said = (stopped.value.code if isinstance(stopped.value.code, str) else "") + capsys.readouterr().err
        assert by_cli in said, said


def test_a_negative_least_on_the_admin_page_names_its_box(camp: Path) -> None:
    """REST refuses min_labels < 0 itself (422) and argparse ``--min-labels -1``; the page's box can send one."""
    from errors import InvalidInput
    from interchange.exporters import PeopleFilter, _check_people
    from ui.admin_sections.exporting import ADMIN_WORDS

    with pytest.raises(InvalidInput, match='^The "at least this many labels" box must be 0 or more, not -1.$'):
        _check_people("wide", PeopleFilter(min_labels=-1, words=ADMIN_WORDS))
    with pytest.raises(InvalidInput, match="^--min-labels must be 0 or more, not -1.$"):
        _check_people("wide", PeopleFilter(min_labels=-1))


# ---------------------------------------------------------------------- 3. REST's import names its form fields
NO_MODELS = "question,a,b\nQ1,x,y\n"


def _rest_import(studio: Studio, data: dict[str, str], text: str = NO_MODELS) -> Any:
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}
    with TestClient(api_app(studio)) as client:
        return client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("pairs.csv", text.encode(), "text/csv")},
            data={"dataset": "pairs", **data},
        )


def test_rest_names_its_own_fields_for_the_model_and_the_judge(tmp_path: Path) -> None:
    from orchestration import AdminDesk
    from orchestration.admin import ImportRequest

    studio = Studio.open(Settings(home=tmp_path, judge_demo_on_start=False))
    try:
        studio.store.create_annotator("ada", role="admin", password=PASSWORD)
        mapping = "instruction=question, response1=a, response2=b"
        answer = _rest_import(studio, {"mapping": mapping})
        assert answer.status_code == 400, answer.text
        said = answer.json().get("detail", answer.text)
        assert (
            "Say which model wrote response 1: map model1 to a column (form field `mapping`: model1=COLUMN) or name "
            "the model (form field `model1`)." in str(said)
        )
        assert "command line" not in answer.text and "Admin page" not in answer.text
        verdict = _rest_import(studio, {"mapping": mapping + ", verdict=v", "model1": "m1", "model2": "m2"})
        assert verdict.status_code == 400, verdict.text
        assert "A verdict column needs the judge's name (form field `judge`)." in verdict.text
        source = tmp_path / "pairs.csv"
        source.write_text(NO_MODELS, encoding="utf-8")
        with pytest.raises(Exception, match="Admin page: 'Model 1 name'") as page:  # the page keeps its words
            AdminDesk(studio).import_dataset("ada", ImportRequest(source, "csv", "pairs", mapping=mapping))
        assert "command line: --model1 NAME" in str(page.value)
    finally:
        studio.store.close()
