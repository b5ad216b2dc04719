"""Small gaps left by session 16 (session 17, "smallgaps"):

1. an annotator's own progress (the Annotate page's bars, REST ``/next`` ``progress``) counts every item alike,
   gold checks included, in ``mine``, ``done`` and ``total``: counted apart (as the lead's sessions table does),
   an answer or a skip that left the count alone would tell the annotator that item was gold (a skip reveals
   nothing else, and a skipped item comes back); so mine never exceeds total ("12 of 10");
2. the REST import answer names the run the verdicts went into: ``run_id``, ``extended``, ``verdicts_in_run``
   (the CLI's "added to run 1 (now 20 verdicts ...)");
3. with every comparison labelled the corrected (PPI) win rates are the people's own, and the text summary and
   the report card say so;
4. the ``login_attempts`` help names the wrong invite links it also caps;
5. ``analysis.lazy`` is the one lazy loader of ``analysis`` and ``orchestration``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing, jsonl_file

from orchestration import AdminDesk, Studio
from orchestration.datasets import ImportOptions, import_file

ROOT = Path(__file__).resolve().parents[1]


def _rows(keys: range, *, labelled: bool = True, verdict: bool = False) -> list[dict[str, Any]]:
    """Comparisons of three models (A, B, C) in turn; a people label on each when ``labelled``."""
    models = ("A", "B", "C")
    rows = []
    for i in keys:
        row = {
            "key": f"k{i}",
            "instruction": f"Question {i}",
            "response1": f"first answer {i}",
            "response2": f"second answer {i}",
            "model1": models[i % 3],
            "model2": models[(i + 1) % 3],
        }
        if labelled:
            row["label"] = "1" if i % 4 else "2"
        if verdict:
            row["verdict"] = "1" if i % 5 else "2"
        rows.append(row)
    return rows


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    accounts = (("ann1", "annotator"), ("ann2", "annotator"), ("ada", "admin"))
    yield from closing(accounts_studio(tmp_path, accounts))


# ---------------------------------------------------------------------- 1. the annotator's own progress


def _small_session(studio: Studio, tmp_path: Path, n: int = 8, gold: int = 2) -> set[int]:
    """A dataset of ``n`` unlabelled comparisons, the first ``gold`` of them gold, and session "small" (overlap 1,
    gold rate 0.5); returns the gold ids."""
    import_file(studio.store, jsonl_file(tmp_path / "small.jsonl", _rows(range(n), labelled=False)), "jsonl",
                ImportOptions(dataset="small"))  # fmt: skip
    ids = sorted(int(i) for i in studio.store.comparison_table("small")["id"])
    desk = AdminDesk(studio)
    for comparison_id in ids[:gold]:
        desk.set_gold("ada", comparison_id, "1", "The first answer is right.")
    studio.store.save_session("small", "small", overlap=1, gold_rate=0.5)
    return set(ids[:gold])


def test_gold_items_move_the_annotators_own_count_like_any_other(studio: Studio, tmp_path: Path) -> None:
    gold = _small_session(studio, tmp_path)
    desk, seen, skipped = studio.desk, [], set()
    for _ in range(30):
        item = desk.next_item("ann1", "small")
        if item is None:
            break
        before = desk.progress("ann1", "small")
        # the first gold item and the first other one are skipped (a skip reveals nothing), the rest answered
        is_gold = item.comparison.id in gold
        skip = item.comparison.id not in skipped and is_gold not in {i in gold for i in skipped}
        choice = "skip" if skip else "tie"
        outcome = desk.submit("ann1", "small", item.comparison.id, choice, swapped=item.swapped)
        if skip:
            skipped.add(item.comparison.id)
        after = outcome.progress
        if item.comparison.id not in seen:  # a first answer or skip: one more of "mine", gold or not
            assert after.mine == before.mine + 1, (is_gold, before, after)
            seen.append(item.comparison.id)
        assert after.total == before.total == 8  # every item, gold checks included
        assert after.mine <= after.total  # never "12 of 10"
    else:
        raise AssertionError("the session never ended for ann1")
    assert gold <= set(seen) and {i in gold for i in skipped} == {True, False}, (seen, skipped)
    mine = desk.progress("ann1", "small")
    standing = desk.standing("ada", "small")
    # the lead's table counts gold apart, the annotator's numbers count it in: the two agree on the items
    assert (standing.total, standing.gold) == (6, 2) and mine.total == standing.total + standing.gold
    assert mine.mine == len(seen) <= mine.total and mine.done <= mine.total
    # REST says the same: /next's progress when nothing is left
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ann1')}"}
    with TestClient(api_app(studio)) as client:
        answer = client.post("/api/v1/sessions/small/next", headers=bearer)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["done"] is True and body["progress"]["total"] == 8 and body["progress"]["mine"] == len(seen)
        spec = client.get("/api/v1/openapi.json", headers=bearer).json()
    progress = spec["components"]["schemas"]["ProgressOut"]["properties"]
    assert "gold checks" in progress["total"]["description"]


# ---------------------------------------------------------------------- 2. the REST import answer


def test_rest_import_says_which_run_the_verdicts_went_into(studio: Studio, tmp_path: Path) -> None:
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}

    def post(name: str, keys: range) -> dict[str, Any]:
        body = "".join(json.dumps(r) + "\n" for r in _rows(keys, labelled=False, verdict=True))
        answer = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": (name, body.encode(), "application/jsonl")},
            data={"dataset": "votes", "judge": "gpt-4", "format": "jsonl"},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    with TestClient(api_app(studio)) as client:
        first = post("votes.jsonl", range(12))
        assert first["judge_runs"] == [
            {"run_id": 1, "model": "gpt-4", "verdicts": 12, "unparsed": 0, "comparisons": 12, "extended": False,
             "verdicts_in_run": 12, "already": 0}
        ]  # fmt: skip
        more = post("more.jsonl", range(12, 20))
        assert "8 verdicts of gpt-4 added to run 1 (now 20 verdicts; 0 of the new unparsed)" in more["summary"]
        assert more["judge_runs"] == [
            {"run_id": 1, "model": "gpt-4", "verdicts": 8, "unparsed": 0, "comparisons": 8, "extended": True,
             "verdicts_in_run": 20, "already": 0}
        ]  # fmt: skip
        spec = client.get("/api/v1/openapi.json", headers=bearer).json()
    fields = spec["components"]["schemas"]["ImportedRunOut"]["properties"]
    assert {"extended", "verdicts_in_run"} <= set(fields) and "added to run N" in fields["extended"]["description"]


# ---------------------------------------------------------------------- 3. corrected = people when all labelled

LINE = (
    "Every comparison has people's labels, so the corrected win rates are the people's own (the judge adds nothing "
    "to correct)."
)


def _report_texts(studio: Studio, tmp_path: Path, *, labelled_every: bool) -> tuple[str, str, dict[str, Any]]:
    """The text summary and the report card's Markdown of a dataset of 24 judged comparisons: every one labelled,
    or only the first 16."""
    from analysis.report_card import judge_report_card
    from analysis.report_text import format_report
    from orchestration.metrics import metrics_report
    from ui.card_document import card_markdown

    labelled = range(24) if labelled_every else range(16)
    import_file(studio.store, jsonl_file(tmp_path / "set.jsonl", _rows(labelled, verdict=True)), "jsonl",
                ImportOptions(dataset="set", judge="j", annotator="lab"))  # fmt: skip
    if not labelled_every:  # 8 more judged comparisons, unlabelled (the judge's run extended)
        more = jsonl_file(tmp_path / "more.jsonl", _rows(range(16, 24), labelled=False, verdict=True))
        import_file(studio.store, more, "jsonl", ImportOptions(dataset="set", judge="j"))
    report = metrics_report(studio.store, "set", n_bootstrap=0)
    card = judge_report_card(report)
    return format_report(report), card_markdown(card), report


def test_a_fully_labelled_set_says_why_corrected_equals_people(studio: Studio, tmp_path: Path) -> None:
    text, card, report = _report_texts(studio, tmp_path, labelled_every=True)
    rows = report["judges"][0]["corrected"]["against_all"]
    assert rows and all(r["n_unlabelled"] == 0 and r["corrected"] == r["people"] for r in rows)
    assert f"  {LINE}" in text.splitlines(), text
    assert LINE in card and card.index("### Corrected vs naive rankings") < card.index(LINE), card


def test_a_partly_labelled_set_says_nothing_of_the_kind(studio: Studio, tmp_path: Path) -> None:
    text, card, report = _report_texts(studio, tmp_path, labelled_every=False)
    rows = report["judges"][0]["corrected"]["against_all"]
    assert rows and any(r["n_unlabelled"] > 0 for r in rows)
    assert "corrected" in text and "Every comparison has people's labels" not in text + card


# ---------------------------------------------------------------------- 4. login_attempts' help


def test_login_attempts_help_names_the_invite_links() -> None:
    from settings.table import BY_NAME

    help_text = BY_NAME["login_attempts"].help
    assert help_text.startswith("failed logins allowed per account in 15 minutes")
    assert "wrong invite links (unknown, used or expired) one address may try in 15 minutes" in help_text
    assert "429" in help_text


# ---------------------------------------------------------------------- 5. one lazy loader


def test_both_packages_load_their_names_through_the_one_loader() -> None:
    code = (
        "import sys, analysis, orchestration\n"
        "from analysis.lazy import LazyNames\n"
        "assert isinstance(analysis.__getattr__.__self__, LazyNames)\n"
        "assert isinstance(orchestration.__getattr__.__self__, LazyNames)\n"
        "from orchestration import Access\n"
        "assert 'orchestration.access' in sys.modules and 'orchestration.review' not in sys.modules\n"
        "assert 'Studio' in dir(orchestration) and 'format_report' in dir(analysis)\n"
        "import analysis.partial_order\n"
        "from analysis import partial_order\n"
        "assert callable(partial_order), partial_order  # _Package: still the function, not the module\n"
        "try:\n"
        "    orchestration.nothing_here\n"
        "except AttributeError as error:\n"
        "    assert str(error) == \"module 'orchestration' has no attribute 'nothing_here'\", error\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_no_package_keeps_a_loader_of_its_own() -> None:
    for package in ("analysis", "orchestration"):
        source = (ROOT / package / "__init__.py").read_text(encoding="utf-8")
        assert "def __getattr__" not in source and "importlib.import_module" not in source, package
