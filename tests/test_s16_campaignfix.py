"""s16 tester "campaign", findings 3, 6 and 7, over a copy of the seeded demo database (handlers called in
process, as the pages and REST call them):

3. a gold explanation written in "Response 1/2" terms (the stored order the admin form asks for) tells each
   annotator which side Response 1 was on for them; the Admin form and ``gold set --explanation`` say so;
6. the review queue's "judge disagrees" means "with the people's majority" ("ann4: 2 · ann5: 1 · ann3: 1 |
   judge 1" is only "people disagree"), and a judge on one side of an even split says so;
7. the sessions table and the unfinished list count gold checks apart (not in "N of M done", not listed as
   unfinished), and the Admin page reads the sessions table again after its import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id

from annotation_store import NewVerdict
from orchestration import AdminDesk, Settings, Studio
from orchestration.annotation import explained_for
from orchestration.review import queue_reasons
from ui.admin_sections.sessions import GOLD_EXPLANATION_HINT, unfinished_note
from ui.annotate import feedback_markdown
from ui.review_text import queue_frame

DEMO = "judge-studio-demo"
WHY = "Response 1 correctly describes Larry Page."


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name, role in (("ann1", "annotator"), ("ann2", "annotator"), ("ann3", "annotator"), ("ann4", "annotator")):
        s.store.create_annotator(name, role=role, password=f"{name}-pass-1234")
    s.store.create_annotator("ann5", role="annotator", password="ann5-pass-1234")
    s.store.create_annotator("erin", role="reviewer", password="erin-pass-1234")
    s.store.create_annotator("ada", role="admin", password="ada-pass-1234")
    return s


def _gold_ids(studio: Studio) -> set[int]:
    return {int(i) for i in studio.store.gold_labels(DEMO)["comparison_id"]}


# ------------------------------------------------------------------ 3. gold explanations in the person's sides
def _until_gold(studio: Studio, who: str, session: str) -> Any:
    """Answer "tie" until a gold comparison is handed out (where it comes is the store's business); return it."""
    for _ in range(10):
        item = studio.desk.next_item(who, session)
        assert item is not None
        if item.is_gold:
            return item
        studio.desk.submit(who, session, item.comparison.id, "tie", swapped=item.swapped)
    raise AssertionError("no gold comparison was handed out")


def test_the_explanation_map_follows_the_order_shown_and_leaves_content_explanations_alone() -> None:
    assert explained_for(WHY, swapped=True) == (
        f"{WHY} (Response 1 is the one you saw on the right, Response 2 the one on the left.)"
    )
    assert explained_for("response #2 invents a date.", swapped=False).endswith(
        "(Response 1 is the one you saw on the left, Response 2 the one on the right.)"
    )
    by_content = "The answer naming Larry Page is right; the other one invents a founder."
    assert explained_for(by_content, swapped=True) == by_content
    assert explained_for("", swapped=True) == ""


def test_a_failed_gold_check_tells_the_annotator_which_side_response_1_was_on(studio: Studio) -> None:
    desk = AdminDesk(studio)
    for comparison_id in _gold_ids(studio):
        desk.set_gold("ada", comparison_id, "1", WHY)
    studio.store.save_session("checks", DEMO, overlap=1, gold_rate=0.5, randomize_order=True)
    for who in ("ann1", "ann2", "ann3"):
        item = _until_gold(studio, who, "checks")
        wrong = "left" if item.swapped else "right"  # Response 2's side: a miss
        outcome = studio.desk.submit(who, "checks", item.comparison.id, wrong, swapped=item.swapped)
        assert outcome.gold_correct is False
        right_side = "right" if item.swapped else "left"  # where Response 1 (the gold answer) was shown
        assert outcome.gold_choice == right_side
        mapped = f"(Response 1 is the one you saw on the {right_side}, Response 2 the one on the {wrong}.)"
        assert outcome.gold_explanation == f"{WHY} {mapped}"  # what REST's ``gold.explanation`` carries
        shown = feedback_markdown(outcome)
        assert f"the known answer is *{right_side.title()} is better*" in shown and "Response 1 is the one" in shown
    assert studio.store.gold(next(iter(_gold_ids(studio)))) == ("1", WHY)  # stored as written


def test_the_gold_form_and_cli_help_say_how_to_refer_to_the_responses(studio: Studio, capsys) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    box = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "admin-gold-explanation")
    assert box.info == GOLD_EXPLANATION_HINT
    assert "by content, or as Response 1/2" in GOLD_EXPLANATION_HINT and "which side" in GOLD_EXPLANATION_HINT

    from cli import main

    with pytest.raises(SystemExit):
        main(["gold", "set", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "refer to the responses by content, or as Response 1/2" in said and "which side each was on" in said


# ------------------------------------------------------------------ 6. "judge disagrees" = with the majority


def test_queue_reasons_read_the_judge_against_the_majority() -> None:
    assert queue_reasons({"ann4": "2", "ann5": "1", "ann3": "1"}, "1", True) == ("people disagree",)
    assert queue_reasons({"ann4": "2", "ann5": "1", "ann3": "1"}, "2", True) == ("people disagree", "judge disagrees")
    assert queue_reasons({"a": "tie"}, "1", False) == ("judge disagrees",)
    assert queue_reasons({"a": "1", "b": "2"}, "1", True) == ("people disagree", "no majority; judge sides with one")
    assert queue_reasons({"a": "1", "b": "2"}, "tie", True) == ("people disagree", "judge disagrees")
    assert queue_reasons({"a": "1", "b": "2"}, None, True) == ("people disagree",)


def test_the_review_queue_says_judge_disagrees_only_against_the_majority(studio: Studio) -> None:
    store = studio.store
    gold = _gold_ids(studio)
    c1, c2, c3 = [int(i) for i in store.comparison_table(DEMO)["id"] if int(i) not in gold][:3]
    for who, verdict in (("ann4", "2"), ("ann5", "1"), ("ann3", "1")):  # the tester's row #128
        store.save_label(c1, who, verdict)
    for who, verdict in (("ann1", "1"), ("ann2", "1")):
        store.save_label(c2, who, verdict)
    store.save_label(c3, "ann1", "1")
    store.save_label(c3, "ann2", "2")
    run = store.ensure_judge_run("test-judge", {"model": "test-judge"})
    for comparison_id, verdict in ((c1, "1"), (c2, "2"), (c3, "2")):
        store.save_verdict(run, NewVerdict(comparison_id, verdict, "ok"))

    found = studio.review.queue("erin", DEMO)
    why = {e.comparison_id: e.reasons for e in found.entries()}  # REST's ``reasons``
    assert why[c1] == ("people disagree",)
    assert why[c2] == ("judge disagrees",)
    assert why[c3] == ("people disagree", "no majority; judge sides with one")
    page = queue_frame(found.rows).set_index("#")["why"]  # the Review page's "why" column
    assert page[c1] == "people disagree" and page[c2] == "judge disagrees"
    assert page[c3] == "people disagree, no majority; judge sides with one"
    judged = studio.review.queue("erin", DEMO, kind="judge disagrees").rows
    assert set(judged["comparison_id"].astype(int)) & {c1, c2, c3} == {c2}


# ------------------------------------------------------------------ 7. gold checks apart, fresh after an import


def test_the_sessions_progress_and_unfinished_list_count_gold_checks_apart(studio: Studio) -> None:
    gold = _gold_ids(studio)
    assert gold
    studio.store.save_session("camp", DEMO, overlap=1, gold_rate=0.5)
    every = len(studio.store.comparison_table(DEMO))
    answered_gold = 0
    for who in ("ann1", "ann2"):
        for _ in range(4):
            item = studio.desk.next_item(who, "camp")
            assert item is not None
            studio.desk.submit(who, "camp", item.comparison.id, "tie", swapped=item.swapped)
            answered_gold += item.comparison.id in gold

    standing = studio.desk.standing("ada", "camp")
    assert standing.total == every - len(gold) and standing.gold == len(gold)
    text = standing.text()
    assert re.match(rf"\d+ of {every - len(gold)} done \(1 answer each\)", text), text
    times = "not answered yet" if not answered_gold else "answered once" if answered_gold == 1 else "answered"
    assert f"; {len(gold)} gold checks apart ({times}" in text, text

    unfinished = AdminDesk(studio).unfinished("ada", "camp", None)
    assert not {i.item_id for i in unfinished.items} & gold and unfinished.gold == len(gold)
    note = unfinished_note(unfinished)
    assert f"{len(gold)} gold checks are not counted" in note


def test_the_admin_import_reads_the_sessions_table_again(db_path: Path, studio: Studio, monkeypatch) -> None:
    from ui import build_ui

    studio.store.save_session("camp", DEMO, overlap=1)
    before = studio.desk.standing("ada", "camp").total
    uploads = db_path.parent / "uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    demo = build_ui(studio)
    fns = list(demo.fns.values())
    do_import = next(f for f in fns if f.api_name == "admin_import")
    refresh = next(
        f for f in fns if getattr(f.fn, "__name__", "") == "sessions_again" and f.trigger_after == do_import._id
    )
    assert refresh.trigger_only_on_success
    assert "admin-sessions" in {o.elem_id for o in refresh.outputs} and len(refresh.outputs) <= 3

    table = uploads / "abc123" / "more.csv"  # where Gradio puts an upload
    table.parent.mkdir(parents=True)
    rows = "".join(f"q{i},Why {i}?,yes {i},no {i},atlas-13b-chat,drizzle-1b\n" for i in range(5))
    table.write_text("id,question,a,b,model_a,model_b\n" + rows, encoding="utf-8")
    mapping = "key=id, instruction=question, response1=a, response2=b, model1=model_a, model2=model_b"
    said = by_id(do_import.fn(str(table), "csv", DEMO, "", mapping, "", "", "", gr.Request(username="ada")))
    assert "**Imported.**" in said["admin-import-result"], said

    fresh = by_id(refresh.fn(gr.Request(username="ada")))["admin-sessions"]
    row = fresh[fresh["name"] == "camp"].iloc[0]
    assert f"of {before + 5} done" in row["progress"], row["progress"]
    assert refresh.fn(gr.Request(username="ann1")) == gr.skip()  # nothing read for a non-admin
