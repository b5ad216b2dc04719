"""Gold (attention-check) comparisons as a lead scripts a crowd session: ``judge-studio gold`` (list, set,
remove, import a CSV or JSONL file all or nothing) and the admin-only REST resource ``/api/v1/gold``.

Real SQLite files (copies of the seeded demo database), the real command line (``cli.main``, as
``judge-studio`` runs it) and the real HTTP app (uvicorn, httpx, API tokens). Each test checks what
the database holds afterwards and what the user reads; annotators and reviewers never read a gold
answer, not even whether an id exists.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from annotation_store import open_store
from cli import main

DEMO = "judge-studio-demo"
MAX_ID = 2**63 - 1
WHY = "GOLD-EXPLANATION-MARKER: response 1 answers the question, response 2 does not."


def _gold(path: Path) -> list[tuple[Any, ...]]:
    """Every stored gold mark: (comparison, verdict, explanation)."""
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT comparison_id, verdict, explanation FROM gold_labels ORDER BY comparison_id"
        ).fetchall()


def _ids(path: Path, n: int) -> list[int]:
    """The first ``n`` comparison ids of the demo dataset."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id FROM comparisons ORDER BY id LIMIT ?", (n,)).fetchall()
    return [int(row[0]) for row in rows]


def _cli(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    """Run ``judge-studio gold ...`` on ``db_path``'s database; what it printed (stdout)."""
    main(["gold", *argv[:1], "--home", str(db_path.parent), *argv[1:]])
    return capsys.readouterr().out


def _refused(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    """The one ``judge-studio: ...`` line a refused command ends with."""
    with pytest.raises(SystemExit) as stopped:
        _cli(capsys, db_path, *argv)
    assert isinstance(stopped.value.code, str), stopped.value.code
    return stopped.value.code


# ---------------------------------------------------------------------- the command line


def test_cli_sets_lists_edits_and_removes_gold_marks(capsys, db_path: Path) -> None:
    first, second = _ids(db_path, 2)
    assert _cli(capsys, db_path, "list") == "No gold comparisons.\n"
    said = _cli(capsys, db_path, "set", str(first), "1", "--explanation", "Response 1 is right,\nsee step 2")
    assert said == f"Comparison #{first} is gold: the answer is 1.\n"
    _cli(capsys, db_path, "set", str(second), "tie", "--explanation", "  Both say the same.  ")
    assert _gold(db_path) == [(first, "1", "Response 1 is right,\nsee step 2"), (second, "tie", "Both say the same.")]

    table = _cli(capsys, db_path, "list").splitlines()
    assert table[0].split() == ["comparison_id", "dataset", "verdict", "explanation"]
    assert table[1].split() == [str(first), DEMO, "1", "Response", "1", "is", "right,", "see", "step", "2"]
    assert table[2].split()[:3] == [str(second), DEMO, "tie"] and len(table) == 3
    listed = json.loads(_cli(capsys, db_path, "list", "--dataset", DEMO, "--json"))
    assert listed == [
        {"comparison_id": first, "dataset": DEMO, "verdict": "1", "explanation": "Response 1 is right,\nsee step 2"},
        {"comparison_id": second, "dataset": DEMO, "verdict": "tie", "explanation": "Both say the same."},
    ]
    assert "There is no dataset named 'elsewhere'" in _refused(capsys, db_path, "list", "--dataset", "elsewhere")

    _cli(capsys, db_path, "set", str(first), "2", "--explanation", "On reflection, response 2.")  # edits
    assert _gold(db_path)[0] == (first, "2", "On reflection, response 2.")

    store = open_store(db_path)
    try:
        store.create_annotator("alice")
        store.create_annotator("bob")
        store.save_label(first, "alice", "1")
        store.save_label(first, "bob", None, skipped=True)  # a skip is not an answer
    finally:
        store.close()
    assert _cli(capsys, db_path, "remove", str(first)) == (
        f"Comparison #{first} is no longer gold; its 1 answer stays, as an ordinary label that counts toward the "
        "overlap. It is back in the normal pool.\n"
    )
    assert _cli(capsys, db_path, "remove", str(second)).startswith(
        f"Comparison #{second} is no longer gold; nobody had answered it."
    )
    assert _gold(db_path) == []
    with sqlite3.connect(db_path) as connection:  # the answers stay
        assert connection.execute(f"SELECT count(*) FROM labels WHERE comparison_id = {first}").fetchone() == (2,)
    assert _refused(capsys, db_path, "remove", str(first)) == (
        f"judge-studio: Comparison #{first} is not gold; nothing was removed."
    )


def test_cli_refuses_unknown_and_impossible_ids_and_bad_answers(capsys, db_path: Path) -> None:
    unknown = _refused(capsys, db_path, "set", "999999", "1", "--explanation", "x")
    assert unknown == "judge-studio: There is no comparison with id 999999."
    blank = _refused(capsys, db_path, "set", "1", "1", "--explanation", "   ")
    assert "Write an explanation" in blank
    for number in (str(MAX_ID + 1), "0", "abc"):
        with pytest.raises(SystemExit) as stopped:  # argparse: usage and the argument's problem, exit 2
            _cli(capsys, db_path, "set", number, "1", "--explanation", "x")
        assert stopped.value.code == 2 and "argument ID" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _cli(capsys, db_path, "set", "1", "left", "--explanation", "x")
    assert "invalid choice: 'left'" in capsys.readouterr().err
    assert _gold(db_path) == []


def test_cli_imports_csv_and_jsonl_files_and_an_import_again_edits(capsys, db_path: Path, tmp_path: Path) -> None:
    a, b, c, d = _ids(db_path, 4)
    table = tmp_path / "gold.csv"
    table.write_text(
        f'comparison_id, verdict ,explanation,dataset\n{a},1,"Response 1, fully.",x\n{b}, TIE ,Both fine,x\n',
        encoding="utf-8",
    )
    assert _cli(capsys, db_path, "import", str(table)) == (
        "Imported gold.csv: 2 comparisons marked gold, 0 gold marks changed.\n"
    )
    lines = tmp_path / "more.jsonl"
    rows = [
        {"comparison_id": b, "verdict": 2, "explanation": "Response 2 after all."},
        {"comparison_id": str(c), "verdict": "1", "explanation": "Überzeugend: Antwort 1."},
        {"comparison_id": d, "verdict": "tie", "explanation": "Same answer.", "dataset": DEMO},
    ]
    lines.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n", encoding="utf-8")
    assert _cli(capsys, db_path, "import", str(lines)) == (
        "Imported more.jsonl: 2 comparisons marked gold, 1 gold mark changed.\n"
    )
    assert _gold(db_path) == [
        (a, "1", "Response 1, fully."),
        (b, "2", "Response 2 after all."),
        (c, "1", "Überzeugend: Antwort 1."),
        (d, "tie", "Same answer."),
    ]
    # `list --json > f; import f`: `gold list --json` as printed (one JSON list) imports back, as .json or .jsonl
    listed = _cli(capsys, db_path, "list", "--json")
    (tmp_path / "exported.json").write_text(listed, encoding="utf-8")
    exported = tmp_path / "exported.jsonl"
    exported.write_text(listed, encoding="utf-8")
    unchanged = "nothing new (4 gold marks already there, unchanged).\n"
    assert _cli(capsys, db_path, "import", str(tmp_path / "exported.json")).endswith(unchanged)
    assert _cli(capsys, db_path, "import", str(exported)).endswith(unchanged)
    assert len(_gold(db_path)) == 4


HEADER = "comparison_id,verdict,explanation\n"


ROW1 = "{a},1,ok\n"
JSON1 = '{{"comparison_id": {a}, "verdict": "1", "explanation": "ok"}}\n'
#: name, content ({a}, {b}: two comparison ids), what the refusal says after the file's name
BAD_FILES = [
    ("unknown.csv", HEADER + ROW1 + "999999,1,ok\n", "row 2 (line 3), column 'comparison_id': there is no comparison"),
    ("verdict.csv", HEADER + ROW1 + "{b},left,ok\n", "row 2 (line 3), column 'verdict': the gold answer must be 1, 2"),
    ("blank.csv", HEADER + ROW1 + "{b},2,   \n", "row 2 (line 3), column 'explanation': write an explanation"),
    ("header.csv", "comparison_id,verdict\n{a},1\n", "line 1 (the header), column 'explanation': missing"),
    ("missing.jsonl", JSON1 + '{{"comparison_id": {b}}}\n', "row 2 (line 2), column 'verdict': missing"),
    ("latin1.csv", HEADER + ROW1 + "{b},2,caf\xe9\n", "row 2 (line 3), column 'explanation': not UTF-8 text"),
    ("number.csv", HEADER + ROW1 + "{b}.5,2,ok\n", "row 2 (line 3), column 'comparison_id': expected a whole number"),
    ("digits.csv", HEADER + ROW1 + "\u00b2,2,ok\n", "row 2 (line 3), column 'comparison_id': expected a whole number"),
    ("huge.csv", HEADER + f"{MAX_ID + 1},1,ok\n", f"row 1 (line 2), column 'comparison_id': expected a whole number from 1 to {MAX_ID}"),  # noqa: E501
    ("twice.csv", HEADER + ROW1 + "{a},2,ok\n", "row 2 (line 3), column 'comparison_id': comparison {a} is marked already"),  # noqa: E501
    ("commas.csv", HEADER + ROW1 + "{b},2,one, two\n", "row 2 (line 3), column 'explanation': the row has more fields"),
    ("broken.jsonl", JSON1 + '{{"comparison_id":\n', "row 2 (line 2): not valid JSON"),
    ("empty.csv", "", "the file holds no gold rows (expected a header line naming comparison_id, verdict, explanation"),
    ("header-only.csv", HEADER, "the file holds no gold rows"),
    ("empty.jsonl", "\n\n", "the file holds no gold rows (expected one JSON object a line"),
    ("gold.txt", "x", "name a .csv, .jsonl or .json file, or give --format"),
    ("list.json", '[{{"comparison_id": {a}, "verdict": "1", "explanation": "ok"}}, 3]', 'row 2 (item 2 of the JSON list): expected a JSON object with comparison_id, verdict, explanation, got 3'),  # noqa: E501
    ("verdict-list.json", '[{{"comparison_id": {a}, "verdict": "left", "explanation": "ok"}}]', 'row 1 (item 1 of the JSON list), column \'verdict\': the gold answer must be 1, 2 or tie, got \'left\''),  # noqa: E501
    ("broken-list.json", '[{{"comparison_id": {a},\n', "line 2: not valid JSON"),
    ("list.jsonl", '{{"comparison_id": {a}, "verdict": 1, "explanation": "ok"}}\n[1, 2]\n', "row 2 (line 2): expected a JSON object with comparison_id, verdict, explanation, got [1, 2]"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "expected"), BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_a_bad_import_file_is_refused_whole_naming_file_row_and_column(
    capsys, db_path: Path, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    a, b, kept = _ids(db_path, 3)
    _cli(capsys, db_path, "set", str(kept), "2", "--explanation", "Stays as it is.")
    _cli(capsys, db_path, "set", str(a), "tie", "--explanation", "Would be overwritten by row 1.")
    before = _gold(db_path)
    path = tmp_path / name
    raw = content.format(a=a, b=b)
    path.write_bytes(raw.encode("latin-1") if name.startswith("latin1") else raw.encode("utf-8"))
    message = _refused(capsys, db_path, "import", str(path))
    assert message.startswith(f"judge-studio: {name}") and expected.format(a=a, b=b) in message, message
    assert message.endswith("nothing was imported.")
    assert _gold(db_path) == before


def test_gold_commands_start_without_torch_gradio_or_the_web_stack(db_path: Path) -> None:
    """``judge-studio gold`` works on the database alone, as ``users`` does: no judge, no UI, no server."""
    probe = (
        "import sys; from cli import main; main(sys.argv[1:]); "
        "print('LOADED=' + ','.join(m for m in ('torch', 'transformers', 'gradio', 'fastapi') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe, "gold", "list", "--home", str(db_path.parent)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["No gold comparisons.", "LOADED="]


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


def _mark(client: httpx.Client, number: Any, verdict: Any = "1", explanation: Any = WHY) -> httpx.Response:
    return client.put(f"/gold/{number}", json={"verdict": verdict, "explanation": explanation})


def test_an_admin_sets_lists_edits_and_removes_gold_over_rest(api, live_app) -> None:
    admin, path = api["admin"], live_app.db_path
    demo_gold = _gold(path)
    target = next(i for i in _ids(path, 50) if i not in {row[0] for row in demo_gold})
    created = _mark(admin, target)
    assert created.status_code == 200, created.text
    assert created.json() == {"comparison_id": target, "dataset": DEMO, "verdict": "1", "explanation": WHY}
    edited = _mark(admin, target, "tie", "  Both answers are right.  ")
    assert edited.json() == {
        "comparison_id": target,
        "dataset": DEMO,
        "verdict": "tie",
        "explanation": "Both answers are right.",
    }
    assert _gold(path) == sorted([*demo_gold, (target, "tie", "Both answers are right.")])

    listed = admin.get("/gold", params={"dataset": DEMO}).json()
    assert (listed["dataset"], listed["total"]) == (DEMO, len(demo_gold) + 1)
    assert [(i["comparison_id"], i["verdict"], i["explanation"]) for i in listed["items"]] == _gold(path)
    assert admin.get("/gold").json()["total"] == len(demo_gold) + 1
    unknown_dataset = admin.get("/gold", params={"dataset": "no-such-dataset"})
    assert unknown_dataset.status_code == 404 and "no-such-dataset" in unknown_dataset.json()["detail"]

    live_app.studio.store.save_label(target, "bob", "2")
    removed = admin.delete(f"/gold/{target}")
    assert (removed.status_code, removed.json()) == (200, {"answers_kept": 1})
    assert _gold(path) == demo_gold
    again = admin.delete(f"/gold/{target}")
    assert again.status_code == 404 and f"Comparison #{target} is not gold" in again.json()["detail"]


def test_annotators_and_reviewers_get_403_and_never_a_gold_answer(api, live_app) -> None:
    path = live_app.db_path
    _mark(api["admin"], _ids(path, 1)[0])
    before = _gold(path)
    for name in ("alice", "rita"):
        client, role = api[name], "annotator" if name == "alice" else "reviewer"
        for refused in (
            client.get("/gold"),
            client.get("/gold", params={"dataset": DEMO}),
            client.get("/gold", params={"dataset": "no-such-dataset"}),
            _mark(client, before[0][0]),
            _mark(client, 999999, "nonsense", ""),  # not even "no such comparison" or "bad verdict"
            _mark(client, MAX_ID + 1),
            client.delete(f"/gold/{before[0][0]}"),
            client.delete("/gold/999999"),
            client.delete(f"/gold/{2**64}"),
        ):
            assert refused.status_code == 403, refused.text
            assert f"This needs the admin role; {name!r} is {role}" in refused.json()["detail"]
            assert WHY not in refused.text
    no_token = httpx.get(live_app.url + "api/v1/gold", timeout=30)
    assert no_token.status_code == 401 and WHY not in no_token.text
    assert _gold(path) == before


def test_bad_ids_and_answers_are_400_unknown_ids_404_and_nothing_is_written(api, live_app) -> None:
    admin, path = api["admin"], live_app.db_path
    before = _gold(path)
    for number in (MAX_ID + 1, 2**64, 0, -1):
        for refused in (_mark(admin, number), admin.delete(f"/gold/{number}")):
            assert refused.status_code == 400, refused.text
            assert "comparison_id must be a whole number from 1 to" in refused.json()["detail"]
    for refused in (_mark(admin, 999999), _mark(admin, MAX_ID), admin.delete("/gold/999999")):
        assert refused.status_code == 404 and "There is no comparison with id" in refused.json()["detail"]
    target = _ids(path, 1)[0]
    for verdict in ("left", "", "Response 1"):
        bad = _mark(admin, target, verdict)
        assert bad.status_code == 400 and "verdict" in bad.json()["detail"] and "1, 2 or tie" in bad.json()["detail"]
    blank = _mark(admin, target, "1", "   ")
    assert blank.status_code == 400 and "explanation" in blank.json()["detail"]
    assert _mark(admin, target, None).status_code == 422  # not a string at all: the schema says so
    assert _gold(path) == before


def _split(items: list[Any], is_gold: Callable[[Any], bool]) -> tuple[list[Any], list[Any]]:
    """(the gold items, the others) of what one person was handed."""
    return [i for i in items if is_gold(i)], [i for i in items if not is_gold(i)]


def test_a_mark_set_over_rest_is_the_gold_check_an_annotator_then_gets(api, live_app) -> None:
    admin, alice, path = api["admin"], api["alice"], live_app.db_path
    for comparison_id, _verdict, _why in _gold(path):  # only the REST mark is gold from here on
        assert admin.delete(f"/gold/{comparison_id}").status_code == 200
    target = _ids(path, 10)[-1]
    assert _mark(admin, target, "1").status_code == 200
    live_app.studio.store.save_session("checks", DEMO, overlap=1, gold_rate=0.5, randomize_order=False)

    def answer(choice: str) -> dict[str, Any]:
        item = alice.post("/sessions/checks/next").json()["item"]
        body = {"session": "checks", "item": item["item"], "choice": choice}  # alice's handle (s15 blindids)
        submitted = alice.post("/labels", json=body)
        assert submitted.status_code == 200, submitted.text
        return {"id": live_app.studio.desk.handles.resolve("alice", "checks", item["item"]), **submitted.json()}

    # gold rate 0.5: one of her first 2 items is the gold check, at a drawn slot; response 2 is wrong
    (check,), (ordinary,) = _split([answer("right"), answer("right")], lambda got: got["id"] == target)
    assert ordinary["gold"] is None
    # the explanation names "response 1": she is told which side it was on for her (s16 campaign 3)
    mapped = f"{WHY} (Response 1 is the one you saw on the left, Response 2 the one on the right.)"
    assert check["gold"] == {"correct": False, "choice": "left", "explanation": mapped}
