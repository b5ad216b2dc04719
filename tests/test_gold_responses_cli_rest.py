"""Gold (attention-check) responses of grading sessions as a lead scripts them: ``judge-studio gold
responses`` (list, set, remove, import a CSV or JSONL file all or nothing) and the admin-only REST
resource ``/api/v1/gold-responses``.

Real SQLite files (copies of the seeded demo database), the real command line (``cli.main``, as
``judge-studio`` runs it) and the real HTTP app (uvicorn, httpx, API tokens). Each test checks what
the database holds afterwards and what the user reads; annotators and reviewers never read a gold
range, not even whether an id exists.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from annotation_store import open_store
from cli import main

DEMO = "judge-studio-demo"
MAX_ID = 2**63 - 1
WHY = "GOLD-RESPONSE-MARKER: the answer is off topic; anything above 2 means it was not read."


def _gold(path: Path) -> list[tuple[Any, ...]]:
    """Every stored gold response: (response, scale, low, high, explanation)."""
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT response_id, scale, low, high, explanation FROM gold_ratings ORDER BY response_id"
        ).fetchall()


def _ids(path: Path, n: int) -> list[int]:
    """The first ``n`` response ids of the demo dataset."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id FROM responses ORDER BY id LIMIT ?", (n,)).fetchall()
    return [int(row[0]) for row in rows]


def _model(path: Path, response_id: int) -> str:
    with sqlite3.connect(path) as connection:
        query = "SELECT m.name FROM responses r JOIN candidate_models m ON r.model_id = m.id WHERE r.id = ?"
        return str(connection.execute(query, (response_id,)).fetchone()[0])


def _cli(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    """Run ``judge-studio gold responses ...`` on ``db_path``'s database; what it printed (stdout)."""
    main(["gold", "responses", *argv[:1], "--home", str(db_path.parent), *argv[1:]])
    return capsys.readouterr().out


def _refused(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    """The one ``judge-studio: ...`` line a refused command ends with."""
    with pytest.raises(SystemExit) as stopped:
        _cli(capsys, db_path, *argv)
    assert isinstance(stopped.value.code, str), stopped.value.code
    return stopped.value.code


def _usage_error(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    """What argparse printed for a command line it refused (exit status 2)."""
    with pytest.raises(SystemExit) as stopped:
        _cli(capsys, db_path, *argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


# ---------------------------------------------------------------------- the command line


def test_cli_sets_lists_edits_and_removes_gold_responses(capsys, db_path: Path) -> None:
    first, second = _ids(db_path, 2)
    assert _cli(capsys, db_path, "list") == "No gold responses.\n"
    said = _cli(capsys, db_path, "set", str(first), "--scale", "10", "--right", "1-2", "--explanation", "Off,\ntopic")
    assert said == f"Response #{first} is gold on the 1-10 scale: ratings 1-2 are right.\n"
    said = _cli(capsys, db_path, "set", str(second), "--scale", "5", "--right", "4", "--explanation", "  Complete. ")
    assert said == f"Response #{second} is gold on the 1-5 scale: ratings 4 are right.\n"
    assert _gold(db_path) == [(first, 10, 1, 2, "Off,\ntopic"), (second, 5, 4, 4, "Complete.")]

    table = _cli(capsys, db_path, "list").splitlines()
    assert table[0].split() == ["response_id", "dataset", "model", "scale", "right", "explanation"]
    assert table[1].split() == [str(first), DEMO, _model(db_path, first), "1-10", "1-2", "Off,", "topic"]
    assert table[2].split() == [str(second), DEMO, _model(db_path, second), "1-5", "4", "Complete."]
    listed = json.loads(_cli(capsys, db_path, "list", "--dataset", DEMO, "--json"))
    assert listed[0] == {
        "response_id": first,
        "dataset": DEMO,
        "model": _model(db_path, first),
        "scale": 10,
        "low": 1,
        "high": 2,
        "explanation": "Off,\ntopic",
    }
    assert [row["response_id"] for row in listed] == [first, second]
    assert "There is no dataset named 'elsewhere'" in _refused(capsys, db_path, "list", "--dataset", "elsewhere")

    _cli(capsys, db_path, "set", str(first), "--scale", "5", "--right", "1 - 3", "--explanation", "On 1-5 now.")
    assert _gold(db_path)[0] == (first, 5, 1, 3, "On 1-5 now.")  # edited, its scale included

    store = open_store(db_path)
    try:
        store.create_annotator("alice")
        store.create_annotator("bob")
        store.save_rating(first, "alice", 2)
        store.save_rating(first, "bob", None, skipped=True)  # a skip is not a rating
    finally:
        store.close()
    assert _cli(capsys, db_path, "remove", str(first)) == (
        f"Response #{first} is no longer gold; its 1 rating stays, as an ordinary rating. "
        "It is back in the normal pool.\n"
    )
    assert _cli(capsys, db_path, "remove", str(second)) == (
        f"Response #{second} is no longer gold; nobody had rated it. It is back in the normal pool.\n"
    )
    assert _gold(db_path) == []
    with sqlite3.connect(db_path) as connection:  # the ratings stay
        assert connection.execute(f"SELECT count(*) FROM ratings WHERE response_id = {first}").fetchone() == (2,)
    assert _refused(capsys, db_path, "remove", str(first)) == (
        f"judge-studio: Response #{first} is not gold; nothing was removed."
    )


def test_cli_refuses_unknown_ids_bad_ranges_and_bad_arguments(capsys, db_path: Path) -> None:
    target = _ids(db_path, 1)[0]
    _cli(capsys, db_path, "set", str(target), "--scale", "10", "--right", "1-2", "--explanation", WHY)
    before = _gold(db_path)

    def refused(right: str, scale: str = "10", number: int = target, why: str = "x") -> str:
        args = ("set", str(number), "--scale", scale, "--right", right, "--explanation", why)
        return _refused(capsys, db_path, *args)

    assert refused("1-2", number=999999) == "judge-studio: There is no response with id 999999; nothing was saved."
    assert refused("1-6", "5") == (
        "judge-studio: The highest right rating must be a whole number from 1 to 5, got 6; nothing was saved."
    )
    assert refused("3-2") == "judge-studio: The lowest right rating (3) is above the highest (2); nothing was saved."
    assert refused("0") == (
        "judge-studio: The lowest right rating must be a whole number from 1 to 10, got 0; nothing was saved."
    )
    assert "Write an explanation" in refused("1-2", why="   ")
    assert _refused(capsys, db_path, "remove", "999999") == (
        "judge-studio: There is no response with id 999999; nothing was removed."
    )
    for number in (str(MAX_ID + 1), "0", "abc"):
        err = _usage_error(capsys, db_path, "set", number, "--scale", "10", "--right", "1", "--explanation", "x")
        assert "argument ID" in err and "response id" in err
        assert "argument ID" in _usage_error(capsys, db_path, "remove", number)
    for right in ("low-high", "1-2-3", "", "-1", "²"):
        err = _usage_error(capsys, db_path, "set", str(target), "--scale", "10", "--right", right, "--explanation", "x")
        assert "argument --right: expected LOW-HIGH (e.g. 1-2) or one rating (e.g. 3)" in err
    err = _usage_error(capsys, db_path, "set", str(target), "--scale", "7", "--right", "1", "--explanation", "x")
    assert "argument --scale: invalid choice: 7" in err
    assert "--scale" in _usage_error(capsys, db_path, "set", str(target), "--right", "1", "--explanation", "x")
    assert _gold(db_path) == before


def test_cli_imports_csv_and_jsonl_files_and_an_import_again_edits(capsys, db_path: Path, tmp_path: Path) -> None:
    a, b, c, d = _ids(db_path, 4)
    table = tmp_path / "gold.csv"
    table.write_text(
        f' response_id,scale , low,high,explanation,model\n{a},10,1,2,"Off topic, plainly.",x\n{b}, 5 ,4, 5 ,Fine,x\n',
        encoding="utf-8",
    )
    assert _cli(capsys, db_path, "import", str(table)) == (
        "Imported gold.csv: 2 responses marked gold, 0 gold marks changed.\n"
    )
    lines = tmp_path / "more.jsonl"
    rows = [
        {"response_id": b, "scale": 10, "low": 9, "high": 10, "explanation": "Excellent after all."},
        {"response_id": str(c), "scale": "5", "low": 3, "high": "3", "explanation": "Überzeugend: 3."},
        {"response_id": d, "scale": 10, "low": 5, "high": 6, "explanation": "Middling.", "dataset": DEMO},
    ]
    lines.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n", encoding="utf-8")
    assert _cli(capsys, db_path, "import", str(lines)) == (
        "Imported more.jsonl: 2 responses marked gold, 1 gold mark changed.\n"
    )
    assert _gold(db_path) == [
        (a, 10, 1, 2, "Off topic, plainly."),
        (b, 10, 9, 10, "Excellent after all."),
        (c, 5, 3, 3, "Überzeugend: 3."),
        (d, 10, 5, 6, "Middling."),
    ]
    # `list --json > f; import f`: the JSON list `gold responses list --json` prints imports back (.json, .jsonl)
    listed = _cli(capsys, db_path, "list", "--json")
    (tmp_path / "exported.json").write_text(listed, encoding="utf-8")
    exported = tmp_path / "exported.jsonl"
    exported.write_text(listed, encoding="utf-8")
    unchanged = "nothing new (4 gold marks already there, unchanged).\n"
    assert _cli(capsys, db_path, "import", str(tmp_path / "exported.json")).endswith(unchanged)
    assert _cli(capsys, db_path, "import", str(exported)).endswith(unchanged)
    assert len(_gold(db_path)) == 4


HEADER = "response_id,scale,low,high,explanation\n"
ROW1 = "{a},10,1,2,ok\n"
JSON1 = '{{"response_id": {a}, "scale": 10, "low": 1, "high": 2, "explanation": "ok"}}\n'
#: name, content ({a}, {b}: two response ids), what the refusal says after the file's name
BAD_FILES = [
    ("unknown.csv", HEADER + ROW1 + "999999,10,1,2,ok\n", "row 2 (line 3), column 'response_id': there is no response with id 999999"),  # noqa: E501
    ("scale.csv", HEADER + ROW1 + "{b},7,1,2,ok\n", "row 2 (line 3), column 'scale': the gold scale must be one of 10, 5, got 7"),  # noqa: E501
    ("high.csv", HEADER + ROW1 + "{b},5,1,6,ok\n", "row 2 (line 3), column 'high': the highest right rating must be a whole number from 1 to 5, got 6"),  # noqa: E501
    ("low.csv", HEADER + ROW1 + "{b},10,0,2,ok\n", "row 2 (line 3), column 'low': the lowest right rating must be a whole number from 1 to 10"),  # noqa: E501
    ("order.csv", HEADER + ROW1 + "{b},10,3,2,ok\n", "row 2 (line 3), column 'low': the lowest right rating (3) is above the highest (2)"),  # noqa: E501
    ("blank.csv", HEADER + ROW1 + "{b},10,1,2,   \n", "row 2 (line 3), column 'explanation': write an explanation"),
    ("header.csv", "response_id,scale,low,explanation\n{a},10,1,ok\n", "line 1 (the header), column 'high': missing (the header names 'response_id', 'scale', 'low', 'explanation'; a gold responses file needs"),  # noqa: E501
    ("missing.jsonl", JSON1 + '{{"response_id": {b}, "scale": 10, "low": 1, "explanation": "x"}}\n', "row 2 (line 2), column 'high': missing"),  # noqa: E501
    ("float.jsonl", JSON1 + '{{"response_id": {b}, "scale": 10, "low": 1.5, "high": 2, "explanation": "x"}}\n', "row 2 (line 2), column 'low': expected a whole number, got 1.5"),  # noqa: E501
    ("latin1.csv", HEADER + ROW1 + "{b},10,1,2,caf\xe9\n", "row 2 (line 3), column 'explanation': not UTF-8 text"),
    ("number.csv", HEADER + ROW1 + "{b}.5,10,1,2,ok\n", "row 2 (line 3), column 'response_id': expected a whole number"),  # noqa: E501
    ("range.csv", HEADER + ROW1 + "{b},10,1-2,2,ok\n", "row 2 (line 3), column 'low': expected a whole number, got '1-2'"),  # noqa: E501
    ("huge.csv", HEADER + f"{MAX_ID + 1},10,1,2,ok\n", f"row 1 (line 2), column 'response_id': expected a whole number from 1 to {MAX_ID}"),  # noqa: E501
    ("twice.csv", HEADER + ROW1 + "{a},5,1,2,ok\n", "row 2 (line 3), column 'response_id': response {a} is marked already (twice.csv, row 1 (line 2))"),  # noqa: E501
    ("commas.csv", HEADER + ROW1 + "{b},10,1,2,one, two\n", "row 2 (line 3), column 'explanation': the row has more fields"),  # noqa: E501
    ("broken.jsonl", JSON1 + '{{"response_id":\n', "row 2 (line 2): not valid JSON"),
    ("list.jsonl", JSON1 + "[1, 10, 1, 2]\n", "row 2 (line 2): expected a JSON object with response_id, scale, low, high, explanation"),  # noqa: E501
    ("empty.csv", "", "the file holds no gold responses rows (expected a header line naming response_id, scale, low, high, explanation, then one row per response)"),  # noqa: E501
    ("header-only.csv", HEADER, "the file holds no gold responses rows"),
    ("empty.jsonl", "\n\n", "the file holds no gold responses rows (expected one JSON object a line"),
    ("gold.txt", "x", "name a .csv, .jsonl or .json file, or give --format"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "expected"), BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_a_bad_import_file_is_refused_whole_naming_file_row_and_column(
    capsys, db_path: Path, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    a, b, kept = _ids(db_path, 3)
    _cli(capsys, db_path, "set", str(kept), "--scale", "5", "--right", "2", "--explanation", "Stays as it is.")
    _cli(capsys, db_path, "set", str(a), "--scale", "10", "--right", "9-10", "--explanation", "Row 1 would change it.")
    before = _gold(db_path)
    path = tmp_path / name
    raw = content.format(a=a, b=b)
    path.write_bytes(raw.encode("latin-1") if name.startswith("latin1") else raw.encode("utf-8"))
    message = _refused(capsys, db_path, "import", str(path))
    assert message.startswith(f"judge-studio: {name}") and expected.format(a=a, b=b) in message, message
    assert message.endswith("nothing was imported.")
    assert _gold(db_path) == before


def test_gold_responses_commands_start_without_torch_gradio_or_the_web_stack(db_path: Path) -> None:
    """``judge-studio gold responses`` works on the database alone, as ``gold`` does."""
    probe = (
        "import sys; from cli import main; main(sys.argv[1:]); "
        "print('LOADED=' + ','.join(m for m in ('torch', 'transformers', 'gradio', 'fastapi') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe, "gold", "responses", "list", "--home", str(db_path.parent)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["No gold responses.", "LOADED="]


# ---------------------------------------------------------------------- REST


@pytest.fixture
def api(live_app) -> dict[str, httpx.Client]:
    """name -> a client with that account's API token (admin, rita the reviewer, alice the annotator)."""
    clients = {
        name: httpx.Client(
            base_url=live_app.url + "api/v1",
            headers={"Authorization": f"Bearer {live_app.studio.access.api_token(name)}"},
            timeout=120,
        )
        for name in ("admin", "rita", "alice")
    }
    yield clients
    for client in clients.values():
        client.close()


def _mark(
    client: httpx.Client, number: Any, scale: Any = 10, low: Any = 1, high: Any = 2, explanation: Any = WHY
) -> httpx.Response:
    body = {"scale": scale, "low": low, "high": high, "explanation": explanation}
    return client.put(f"/gold-responses/{number}", json=body)


def test_an_admin_sets_lists_edits_and_removes_gold_responses_over_rest(api, live_app) -> None:
    admin, path = api["admin"], live_app.db_path
    demo_gold = _gold(path)
    target = next(i for i in _ids(path, 50) if i not in {row[0] for row in demo_gold})
    created = _mark(admin, target)
    assert created.status_code == 200, created.text
    stored = {"response_id": target, "dataset": DEMO, "model": _model(path, target)}
    assert created.json() == {**stored, "scale": 10, "low": 1, "high": 2, "explanation": WHY}
    edited = _mark(admin, target, 5, 4, 4, "  Complete and correct.  ")
    assert edited.json() == {**stored, "scale": 5, "low": 4, "high": 4, "explanation": "Complete and correct."}
    assert _gold(path) == sorted([*demo_gold, (target, 5, 4, 4, "Complete and correct.")])

    listed = admin.get("/gold-responses", params={"dataset": DEMO}).json()
    assert (listed["dataset"], listed["total"]) == (DEMO, len(demo_gold) + 1)
    shown = [(i["response_id"], i["scale"], i["low"], i["high"], i["explanation"]) for i in listed["items"]]
    assert shown == _gold(path)
    assert admin.get("/gold-responses").json()["total"] == len(demo_gold) + 1
    unknown_dataset = admin.get("/gold-responses", params={"dataset": "no-such-dataset"})
    assert unknown_dataset.status_code == 404 and "no-such-dataset" in unknown_dataset.json()["detail"]

    live_app.studio.store.save_rating(target, "bob", 3)
    removed = admin.delete(f"/gold-responses/{target}")
    assert (removed.status_code, removed.json()) == (200, {"ratings_kept": 1})
    assert _gold(path) == demo_gold
    again = admin.delete(f"/gold-responses/{target}")
    assert again.status_code == 404 and f"Response #{target} is not gold" in again.json()["detail"]


def test_annotators_and_reviewers_get_403_and_never_a_gold_range(api, live_app) -> None:
    path = live_app.db_path
    assert _mark(api["admin"], _ids(path, 1)[0]).status_code == 200
    before = _gold(path)
    for name in ("alice", "rita"):
        client, role = api[name], "annotator" if name == "alice" else "reviewer"
        for refused in (
            client.get("/gold-responses"),
            client.get("/gold-responses", params={"dataset": DEMO}),
            client.get("/gold-responses", params={"dataset": "no-such-dataset"}),
            _mark(client, before[0][0]),
            _mark(client, 999999, 7, 3, 2, ""),  # not even "no such response" or "bad range"
            _mark(client, MAX_ID + 1),
            client.delete(f"/gold-responses/{before[0][0]}"),
            client.delete("/gold-responses/999999"),
            client.delete(f"/gold-responses/{2**64}"),
        ):
            assert refused.status_code == 403, refused.text
            assert f"This needs the admin role; {name!r} is {role}" in refused.json()["detail"]
            assert WHY not in refused.text
    no_token = httpx.get(live_app.url + "api/v1/gold-responses", timeout=30)
    assert no_token.status_code == 401 and WHY not in no_token.text
    assert _gold(path) == before


def test_bad_ids_and_ranges_are_400_unknown_ids_404_and_nothing_is_written(api, live_app) -> None:
    admin, path = api["admin"], live_app.db_path
    before = _gold(path)
    for number in (MAX_ID + 1, 2**64, 0, -1):
        for refused in (_mark(admin, number), admin.delete(f"/gold-responses/{number}")):
            assert refused.status_code == 400, refused.text
            assert "response_id must be a whole number from 1 to" in refused.json()["detail"]
    for refused in (_mark(admin, 999999), _mark(admin, MAX_ID), admin.delete("/gold-responses/999999")):
        assert refused.status_code == 404 and "There is no response with id" in refused.json()["detail"]
    target = _ids(path, 1)[0]
    for scale, low, high, field, says in (
        (7, 1, 2, "scale", "the gold scale must be one of 10, 5, got 7"),
        (5, 1, 6, "high", "the highest right rating must be a whole number from 1 to 5, got 6"),
        (10, 0, 2, "low", "the lowest right rating must be a whole number from 1 to 10, got 0"),
        (10, 3, 2, "low", "the lowest right rating (3) is above the highest (2)"),
    ):
        bad = _mark(admin, target, scale, low, high)
        assert (bad.status_code, bad.json()) == (400, {"detail": f"Field {field!r}: {says}; nothing was saved."})
    blank = _mark(admin, target, explanation="   ")
    assert blank.status_code == 400 and "Write an explanation" in blank.json()["detail"]
    assert _mark(admin, target, "ten").status_code == 422  # not a number at all: the schema says so
    assert _mark(admin, target, 10, 1.5).status_code == 422
    assert _gold(path) == before


def test_a_gold_response_set_over_rest_is_the_check_a_grader_then_gets(api, live_app) -> None:
    """The whole loop over HTTP: an admin marks a response, a grader is handed it as the gold check and
    her rating's response carries the known range and the admin's explanation."""
    admin, alice, studio, path = api["admin"], api["alice"], live_app.studio, live_app.db_path
    for response_id, *_rest in _gold(path):  # only the REST mark is gold from here on
        assert admin.delete(f"/gold-responses/{response_id}").status_code == 200
    target = _ids(path, 10)[-1]
    assert _mark(admin, target, 10, 1, 2).status_code == 200
    studio.store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)

    def grade(rating: int) -> tuple[int, dict[str, Any]]:
        item = alice.post("/sessions/checks/next").json()["item"]
        sent = alice.post("/ratings", json={"session": "checks", "item": item["item"], "rating": rating})
        assert sent.status_code == 200, sent.text
        return studio.grading.handles.resolve("alice", "checks", item["item"]), sent.json()  # a handle: s15

    # gold rate 0.5: one of her first 2 items is the gold check, at a drawn slot; 7 is outside 1-2
    graded = [grade(7), grade(7)]
    ((_, wrong),) = [pair for pair in graded if pair[0] == target]
    ((_, first),) = [pair for pair in graded if pair[0] != target]
    assert first["gold"] is None
    assert wrong["gold"] == {"correct": False, "low": 1, "high": 2, "explanation": WHY}
