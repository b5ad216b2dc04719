"""Removing a gold mark (a wrong or outdated attention check) through the store, the Admin desk and the
Admin page's handler, over a real copy of the seeded SQLite database: the comparison goes back to the
normal pool where the answers people gave on it stay and count toward the overlap, gold accuracy stops
counting it, and a wrong number or a non-admin is refused with nothing written."""

from __future__ import annotations

import html
import math
import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from errors import NotFound
from orchestration import AccessDenied, AdminDesk, Settings, Studio
from orchestration.dashboard import REPORT_CACHE, build_dashboard

PASSWORD = "correct horse battery"
DEMO = "judge-studio-demo"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


@pytest.fixture(autouse=True)
def fresh_cache():
    """The dashboard figures are cached by their inputs; each test starts and ends with an empty cache."""
    REPORT_CACHE.clear()
    yield
    REPORT_CACHE.clear()


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _written(path: Path) -> dict[str, list[tuple]]:
    """What a refused removal must leave as it was: the gold rows and every label."""
    return {
        "gold": _sql(path, "SELECT comparison_id, verdict, explanation FROM gold_labels ORDER BY comparison_id"),
        "labels": _sql(path, "SELECT comparison_id, annotator_id, verdict, session_id FROM labels ORDER BY id"),
    }


def _gold_ids(studio: Studio) -> set[int]:
    return {int(i) for i in studio.store.gold_labels(DEMO)["comparison_id"]}


def _visible(markdown: str) -> str:
    """The text a reader sees of a Markdown message (rendered, tags dropped, entities decoded)."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def _answer(studio: Studio, who: str, session: str) -> Any:
    """``who`` takes the next item of ``session`` and answers it; returns the item as handed out."""
    item = studio.desk.next_item(who, session)
    assert item is not None
    studio.desk.submit(who, session, item.comparison.id, "left", swapped=item.swapped)
    return item


def _admin_page(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


# ---------------------------------------------------------------------- the item returns to the pool


def test_a_removed_gold_item_rejoins_the_pool_and_its_answers_count_toward_the_overlap(
    studio: Studio, db_path: Path
) -> None:
    admin = AdminDesk(studio)
    demo_gold = _gold_ids(studio)
    first, second = [i for i in studio.store.comparison_table(DEMO)["id"].astype(int) if i not in demo_gold][:2]
    for number in (first, second):
        admin.set_gold("ada", number, "1", "Response 1 answers the question.")
    studio.store.save_session("checks", DEMO, overlap=1, gold_rate=0.5, randomize_order=False)
    # gold rate 0.5: one of each 2 items is a gold check, drawn among the gold alice has not seen;
    # she answers on until one of them is `first` or `second`
    answered: list[Any] = []
    while not any(item.is_gold and item.comparison.id in (first, second) for item in answered):
        answered += [_answer(studio, "alice", "checks"), _answer(studio, "alice", "checks")]
        assert [item.is_gold for item in answered[-2:]].count(True) == 1
    check = next(item.comparison.id for item in answered if item.comparison.id in (first, second))
    other = second if check == first else first

    assert admin.remove_gold("ada", float(check)) == 1  # alice's answer stays
    assert admin.remove_gold("ada", other) == 0
    assert _gold_ids(studio) == demo_gold
    assert _sql(
        db_path,
        "SELECT verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        f"WHERE a.name = 'alice' AND l.comparison_id = {check}",
    ) == [("1",)]

    # bob answers on (items come in his own order) until `other` comes as an ordinary item: it is back in the
    # pool; `check` is not, because alice's former gold answer now counts toward k = 1. His gold checks
    # come from the gold items that are left.
    handed: list[Any] = []
    while not any(i.comparison.id == other for i in handed):
        assert len(handed) < 130
        handed.append(_answer(studio, "bob", "checks"))
    assert check not in [i.comparison.id for i in handed]
    assert not handed[-1].is_gold and all(i.comparison.id in demo_gold for i in handed if i.is_gold)


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (99999, "There is no comparison with id 99999; nothing was removed."),
        ("not gold", "is not gold; nothing was removed."),
        (None, "Enter the number of the gold comparison to unmark; nothing was removed."),
        (2.5, "The comparison number must be a whole number, got 2.5"),
    ],
)
def test_an_unknown_or_not_gold_number_is_refused_and_nothing_is_written(
    studio: Studio, db_path: Path, typed: Any, message: str
) -> None:
    studio.store.save_label(min(_gold_ids(studio)), "alice", "1")
    if typed == "not gold":
        typed = next(i for i in studio.store.comparison_table(DEMO)["id"].astype(int) if i not in _gold_ids(studio))
    before = _written(db_path)
    with pytest.raises(ValueError, match=re.escape(message)):
        AdminDesk(studio).remove_gold("ada", typed)
    # the Admin page writes the same message into the gold section's result line; the table is left alone
    shown = by_id(handler(_admin_page(studio), "admin_remove_gold")(typed, DEMO, _as("ada")))
    assert list(shown) == ["admin-gold-result"] and message in _visible(shown["admin-gold-result"])
    assert _written(db_path) == before


def test_an_unknown_comparison_is_a_not_found(studio: Studio) -> None:
    with pytest.raises(NotFound):
        studio.store.remove_gold(99999)
    with pytest.raises(NotFound):
        studio.store.remove_gold(
            next(i for i in studio.store.comparison_table(DEMO)["id"].astype(int) if i not in _gold_ids(studio))
        )


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("alice", "This needs the admin role; 'alice' is annotator"),
        ("rita", "This needs the admin role; 'rita' is reviewer"),
        (None, "not logged in"),
        ("nobody", "does not exist or is deactivated"),
    ],
)
def test_only_an_admin_may_remove_a_gold_mark(studio: Studio, db_path: Path, who: str | None, message: str) -> None:
    gold = min(_gold_ids(studio))
    before = _written(db_path)
    with pytest.raises(AccessDenied, match=message):
        AdminDesk(studio).remove_gold(who, gold)
    shown = by_id(handler(_admin_page(studio), "admin_remove_gold")(gold, DEMO, _as(who)))
    assert list(shown) == ["admin-gold-result"] and message in _visible(shown["admin-gold-result"])
    assert _written(db_path) == before


# ---------------------------------------------------------------------- the Admin page and the dashboard


def test_the_admin_page_removes_the_mark_refreshes_the_table_and_says_what_happens_to_the_answers(
    studio: Studio, db_path: Path
) -> None:
    gold = min(_gold_ids(studio))
    studio.store.save_label(gold, "alice", "1")
    studio.store.save_label(gold, "bob", None, skipped=True)  # a skip is not an answer
    remove = handler(_admin_page(studio), "admin_remove_gold")
    shown = by_id(remove(float(gold), DEMO, _as("ada")))
    assert gold not in set(shown["admin-gold"]["comparison_id"])
    assert set(shown["admin-gold"]["comparison_id"]) == _gold_ids(studio) and len(shown["admin-gold"]) == 5
    assert _visible(shown["admin-gold-result"]) == (
        f"Comparison #{gold} is no longer gold; its 1 answer stays, as an ordinary label that counts toward the "
        "overlap. It is back in the normal pool."
    )
    assert _sql(db_path, f"SELECT count(*) FROM labels WHERE comparison_id = {gold}") == [(2,)]
    unanswered = min(_gold_ids(studio))
    again = by_id(remove(unanswered, DEMO, _as("ada")))
    assert "nobody had answered it" in _visible(again["admin-gold-result"])
    refused = by_id(remove(gold, DEMO, _as("ada")))  # removed already
    assert f"Comparison #{gold} is not gold; nothing was removed." in _visible(refused["admin-gold-result"])


def test_gold_accuracy_no_longer_counts_the_removed_item(studio: Studio) -> None:
    store = studio.store
    checked, kept = sorted(_gold_ids(studio))[:2]
    right = {c: store.gold(c)[0] for c in (checked, kept)}
    wrong = {c: "tie" for c in (checked, kept)}  # a demo gold answer is never a tie
    store.save_label(checked, "alice", right[checked])
    store.save_label(kept, "alice", right[kept])
    store.save_label(checked, "bob", wrong[checked])

    before = build_dashboard(store, DEMO).annotators.set_index("annotator")
    assert before["n_gold"].to_dict() == {"alice": 2, "bob": 1}
    assert before["gold_accuracy"].to_dict() == pytest.approx({"alice": 1.0, "bob": 0.0})

    AdminDesk(studio).remove_gold("ada", checked)
    after = build_dashboard(store, DEMO).annotators.set_index("annotator")
    assert after["labels"].to_dict() == {"alice": 2, "bob": 1}  # the answers stay, as ordinary labels
    assert after["n_gold"].to_dict() == {"alice": 1, "bob": 0}
    assert after.loc["alice", "gold_accuracy"] == pytest.approx(1.0)
    assert math.isnan(after.loc["bob", "gold_accuracy"])  # no gold answer left to score
