"""The Dashboard's figures on small hand-computed cases, over a copy of the seeded demo database.

Labels and judge verdicts are written through the store as the app writes them; the figures are read
back from ``build_dashboard`` (what the page shows) and from the plot functions (what gets drawn).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import binomtest

from annotation_store import NewVerdict, Store
from orchestration import Settings, Studio
from orchestration.dashboard import BOTH, ONLY, OPPOSITE, REPORT_CACHE, build_dashboard
from ui.dashboard import dashboard_outputs, summary_markdown
from ui.dashboard_layout import FIGURE_IDS
from ui.plots import (
    NOT_A_TIME_SERIES_AXIS,
    agreement_over_time_figure,
    annotator_table_figure,
    bias_figure,
    bradley_terry_figure,
    partial_order_figure,
    plain,
    win_table_figure,
)

DEMO = "judge-studio-demo"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with the dashboard's cache empty (it is owned by one object that can be reset)."""
    REPORT_CACHE.clear()
    yield
    REPORT_CACHE.clear()


def _run(store: Store, name: str = "test-judge") -> int:
    return store.ensure_judge_run(name, {"model": name, "profile": "pandalm"})


def _verdict(store: Store, run: int, comparison_id: int, verdict: str | None, *, swapped: bool = False) -> None:
    status = "ok" if verdict is not None else "unparsed"
    store.save_verdict(run, NewVerdict(comparison_id, verdict, status, swapped=swapped))


@pytest.fixture
def small(store: Store) -> tuple[Store, dict[str, int], dict[str, str]]:
    """Three annotators on three comparisons, one skip, a judge run (one output unparsed, one
    comparison judged in both orders) and one gold comparison.

    c1 and c3 share a category, c2 is in another:
        c1: ann 1 (left, 10 s) · bob 1 (shown swapped, 20 s) · cyd 2 (no time)   judge 1, swapped order 2; gold 1
        c2: ann 2 (shown swapped, 40 s) · bob tie (30 s) · cyd tie (8 s)          judge 2, swapped order 2
        c3: ann 1 (60 s)                                                          judge unparsed
        c4: bob skipped (5 s)
    """
    table = store.comparison_table(DEMO)
    category_a = str(table["category"].iloc[0])
    in_a = table[table["category"] == category_a]["id"].astype(int).tolist()
    c1, c3 = in_a[0], in_a[1]
    c2 = int(table[table["category"] != category_a]["id"].iloc[0])
    c4 = int(table[~table["id"].isin([c1, c2, c3])]["id"].iloc[0])
    category_b = str(table.loc[table["id"] == c2, "category"].iloc[0])
    for comparison, who, verdict, swapped, ms in [
        (c1, "ann", "1", False, 10_000),
        (c1, "bob", "1", True, 20_000),
        (c1, "cyd", "2", False, None),
        (c2, "ann", "2", True, 40_000),
        (c2, "bob", "tie", False, 30_000),
        (c2, "cyd", "tie", False, 8_000),
        (c3, "ann", "1", False, 60_000),
    ]:
        store.save_label(comparison, who, verdict, presented_swapped=swapped, time_on_item_ms=ms)
    store.save_label(c4, "bob", None, skipped=True, time_on_item_ms=5_000)
    run = _run(store)
    _verdict(store, run, c1, "1")
    _verdict(store, run, c2, "2")
    _verdict(store, run, c3, None)
    _verdict(store, run, c1, "2", swapped=True)
    _verdict(store, run, c2, "2", swapped=True)
    store.set_gold(c1, "1", "response 1 is right")
    return store, {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "run": run}, {"a": category_a, "b": category_b}


def test_per_annotator_table_by_hand(small) -> None:
    store, ids, _ = small
    board = build_dashboard(store, DEMO, ids["run"])
    table = board.annotators.set_index("annotator")
    assert list(table.index) == ["ann", "bob", "cyd"]
    assert table["labels"].to_dict() == {"ann": 3, "bob": 2, "cyd": 2}
    assert table["skipped"].to_dict() == {"ann": 0, "bob": 1, "cyd": 0}
    assert table["kind"].to_dict() == {"ann": "crowd", "bob": "crowd", "cyd": "crowd"}
    # others' majority (where the others split there is none: the label is left out and counted):
    #   ann: c1 {1, 2} split;          c2 {tie, tie} -> tie vs 2 no            -> 0/1, 1 split
    #   bob: c1 {1, 2} split;          c2 {2, tie} split                       -> 0/0, 2 split
    #   cyd: c1 {1, 1} -> 1 vs 2 no;   c2 {2, tie} split                       -> 0/1, 1 split
    assert table["n_with_others"].to_dict() == {"ann": 1, "bob": 0, "cyd": 1}
    assert table.at["ann", "with_others"] == table.at["cyd", "with_others"] == 0.0
    assert math.isnan(table.at["bob", "with_others"])
    # judge: c1 "1", c2 "2", c3 unparsed (left out)
    assert table["n_with_judge"].to_dict() == {"ann": 2, "bob": 2, "cyd": 2}
    assert table["with_judge"].to_dict() == pytest.approx({"ann": 1.0, "bob": 0.5, "cyd": 0.0})
    # gold: c1 is "1"
    assert table["n_gold"].to_dict() == {"ann": 1, "bob": 1, "cyd": 1}
    assert table["gold_accuracy"].to_dict() == pytest.approx({"ann": 1.0, "bob": 1.0, "cyd": 0.0})
    # median time over non-skipped labels with a time: ann 10/40/60, bob 20/30 (skip left out), cyd 8
    assert table["median_time_s"].to_dict() == pytest.approx({"ann": 40.0, "bob": 25.0, "cyd": 8.0})


def test_agreement_counts_and_biases_by_hand(small) -> None:
    store, ids, _ = small
    board = build_dashboard(store, DEMO, ids["run"])
    c = board.counts
    assert (c["labels"], c["annotators"], c["labelled_comparisons"], c["multi_labelled"]) == (7, 3, 3, 2)
    assert (c["skipped"], c["gold"], c["verdicts"], c["unparsed"], c["both_orders"]) == (1, 1, 3, 1, 2)
    # per vote: c1 x3 and c2 x3 are paired; agree: ann c1, bob c1, ann c2
    assert board.agreement.n == 6 and board.agreement.judge_unparsed == 1
    assert board.agreement.accuracy == pytest.approx(0.5)
    assert board.over_time["n"].iloc[-1] == 6 and board.over_time["accuracy"].iloc[-1] == pytest.approx(0.5)
    assert board.inter_annotator.multi_labelled == 2
    assert board.inter_annotator.shared.loc["ann", "bob"] == 2

    people = board.people_bias
    # decisive labels: ann c1 1 (left), bob c1 1 shown swapped (right), cyd c1 2 (right), ann c2 2 shown
    # swapped (left), ann c3 1 (left) -> 3 of 5 chose the left response
    assert people.n_decisive == 5 and people.first_position_rate == pytest.approx(0.6)
    assert people.first_position_p_value == pytest.approx(binomtest(3, 5, 0.5).pvalue)
    judge = board.judge_bias
    assert judge is not None
    # both orders: c1 1 / 2 (inconsistent), c2 2 / 2 (consistent)
    assert judge.swap_pairs == 2 and judge.swap_consistency == pytest.approx(0.5)
    # shown first: c1 "1" original yes, c1 "2" swapped yes, c2 "2" original no, c2 "2" swapped yes
    assert judge.n_decisive == 4 and judge.first_position_rate == pytest.approx(0.75)


def test_per_category_agreement_by_hand(small) -> None:
    store, ids, category = small
    board = build_dashboard(store, DEMO, ids["run"])
    table = board.categories.set_index("category")
    sizes = store.comparison_table(DEMO).groupby("category").size()
    assert table["comparisons"].to_dict() == sizes.to_dict()
    a, b = table.loc[category["a"]], table.loc[category["b"]]
    # category a: c1 (3 labels, 2 agree with the judge) and c3 (1 label, judge unparsed: left out)
    assert (a["labelled"], a["labels"], a["n"]) == (2, 4, 3)
    assert a["accuracy"] == pytest.approx(2 / 3)
    # category b: c2, 3 labels, only ann agrees
    assert (b["labelled"], b["labels"], b["n"]) == (1, 3, 3)
    assert b["accuracy"] == pytest.approx(1 / 3)
    # Wilson 95% interval over comparisons, not labels (s15: the 3 labels of c1 share one verdict), by its formula
    assert (a["judged"], bool(a["few"])) == (1, True)
    z, n, p = 1.959963984540054, 1, 2 / 3
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)),
    )
    assert (a["low"], a["high"]) == pytest.approx((centre - half, centre + half))
    others = table.drop(index=[category["a"], category["b"]])
    assert (others["n"] == 0).all() and others["accuracy"].isna().all()


def _pair_ids(table: pd.DataFrame, x: str, y: str) -> list[tuple[int, bool]]:
    """(comparison id, is x response 1) of every comparison between models x and y."""
    rows = table[((table["model1"] == x) & (table["model2"] == y)) | ((table["model1"] == y) & (table["model2"] == x))]
    return [(int(r.id), r.model1 == x) for r in rows.itertuples()]


def test_partial_order_differences_between_judge_and_people(store: Store) -> None:
    """Judge: atlas > drizzle, borealis > cirrus, verbose > cirrus. People: atlas > drizzle, cirrus > verbose,
    borealis vs cirrus all ties. So atlas > drizzle is in both, borealis > cirrus only in the judge's graph,
    and verbose vs cirrus is ordered oppositely."""
    table = store.comparison_table(DEMO)
    run = _run(store)
    # the judge always lets the first model (x) win; people's outcome per pair:
    people = {
        ("atlas-13b-chat", "drizzle-1b"): "x",
        ("borealis-7b-dpo", "cirrus-3b-base"): "tie",
        ("verbose-7b-sft", "cirrus-3b-base"): "y",
    }
    sizes = {}
    for (x, y), people_say in people.items():
        pairs = _pair_ids(table, x, y)
        sizes[(x, y)] = len(pairs)
        assert len(pairs) >= 6  # enough for p < 0.05 with a clean sweep
        for comparison, x_first in pairs:
            _verdict(store, run, comparison, "1" if x_first else "2")
            verdict = {"x": "1" if x_first else "2", "y": "2" if x_first else "1", "tie": "tie"}[people_say]
            store.save_label(comparison, "ann", verdict)
    board = build_dashboard(store, DEMO, run)
    edges = {(r.source, r.winner, r.loser): r for r in board.order_edges.itertuples(index=False)}
    status = {key: row.status for key, row in edges.items()}
    assert status == {
        ("judge", "atlas-13b-chat", "drizzle-1b"): BOTH,
        ("judge", "borealis-7b-dpo", "cirrus-3b-base"): ONLY,
        ("judge", "verbose-7b-sft", "cirrus-3b-base"): OPPOSITE,
        ("people", "atlas-13b-chat", "drizzle-1b"): BOTH,
        ("people", "cirrus-3b-base", "verbose-7b-sft"): OPPOSITE,
    }
    n = sizes[("atlas-13b-chat", "drizzle-1b")]
    sweep = edges[("judge", "atlas-13b-chat", "drizzle-1b")]
    assert (sweep.wins, sweep.losses, sweep.ties) == (n, 0, 0)
    assert sweep.p_value == pytest.approx(2 * 0.5**n)
    pairs = board.pairs.set_index(["model_a", "model_b"])
    row = pairs.loc[("borealis-7b-dpo", "cirrus-3b-base")]
    m = sizes[("borealis-7b-dpo", "cirrus-3b-base")]
    assert (row["judge_wins_a"], row["judge_wins_b"], row["judge_ties"]) == (m, 0, 0)
    assert (row["people_wins_a"], row["people_wins_b"], row["people_ties"]) == (0, 0, m)
    # Bradley-Terry: every model with an outcome; the demo's pairs fall into groups never compared with each
    # other, so the strengths are held finite by the prior alone and get no interval, and a note says why
    bt = board.judge.bradley_terry
    assert set(bt["model"]) == {"atlas-13b-chat", "drizzle-1b", "borealis-7b-dpo", "cirrus-3b-base", "verbose-7b-sft"}
    assert bt["ci_low"].isna().all() and bt["ci_high"].isna().all()
    assert "so strengths across them cannot be estimated" in str(board.judge.bradley_terry_note)
    noted = bradley_terry_figure(board.people.bradley_terry, bt, ["Judge: <b>x</b> never lost"])
    shown = noted.layout.annotations[0].text  # the note between the title and the plot, as plain text
    assert "Judge: &lt;b&gt;x&lt;/b&gt; never lost" in shown and "Judge" not in noted.layout.title.text

    # drawn: the judge's graph has one solid, one dashed and one dotted edge, each with its legend entry
    judge_edges = board.order_edges[board.order_edges["source"] == "judge"]
    fig = partial_order_figure(board.judge_order, "Judge (<b>x</b>)", board.models, judge_edges)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert sorted(t.line.dash for t in lines) == ["dash", "dot", "solid"]
    assert {t.legendgroup for t in lines if t.showlegend} == {BOTH, ONLY, OPPOSITE}
    assert fig.layout.title.text == "Judge (&lt;b&gt;x&lt;/b&gt;)<br><sup>Holm-adjusted over 3 pair tests</sup>"
    labels = [a.text for a in fig.layout.annotations]
    # the edge label shows the Holm-adjusted p over the judge's 3 pair tests (s15), by its formula
    raw = sorted(2 * 0.5**size for size in sizes.values())
    holm = [min(1.0, max((3 - j) * raw[j] for j in range(i + 1))) for i in range(3)]
    assert f"{n}-0-0 · p={holm[raw.index(2 * 0.5**n)]:.3g}" in labels


def test_empty_dashboard_says_what_is_missing(store: Store) -> None:
    board = build_dashboard(store, DEMO, None)
    assert board.run_id is None and board.judge_bias is None and board.counts["labels"] == 0
    text = summary_markdown(board)
    assert "**0** human labels" in text and "No judge has judged" in text and "No human labels yet" in text
    outputs = dashboard_outputs(board)
    assert len(outputs) == len(FIGURE_IDS)
    for fig in outputs[1:6] + outputs[7:8] + outputs[10:11] + outputs[12:13]:  # figures but biases and graphs
        assert len(fig.data) == 0, fig.layout.title.text
        assert fig.layout.annotations and fig.layout.annotations[0].text.startswith(("No ", "Needs "))
    assert len(bias_figure(None, board.people_bias).data) == 0
    nothing = build_dashboard(store, None, None)
    assert nothing.counts["comparisons"] == 0 and len(dashboard_outputs(nothing)) == len(FIGURE_IDS)


def test_cached_until_something_changes(small) -> None:
    store, ids, _ = small
    first = build_dashboard(store, DEMO, ids["run"])
    assert build_dashboard(store, DEMO, ids["run"]) is first
    store.save_label(ids["c2"], "ann", "tie")  # an edit: same number of labels, another verdict
    second = build_dashboard(store, DEMO, ids["run"])
    assert second.key != first.key
    assert second.annotators.set_index("annotator").at["ann", "with_others"] == pytest.approx(1.0)  # c2 tie = tie


def test_studio_dashboard_delegates(store: Store, tmp_path) -> None:
    studio = Studio.open(Settings(home=tmp_path), store=store)
    store.save_label(int(store.comparison_table(DEMO)["id"].iloc[0]), "ann", "1")
    board = studio.dashboard()
    assert board.dataset == DEMO and board.counts["labels"] == 1 and board.counts["annotators"] == 1
    assert "**1** human label from **1** annotator on" in summary_markdown(board)


def test_plot_functions_draw_the_expected_traces(small) -> None:
    store, ids, _ = small
    board = build_dashboard(store, DEMO, ids["run"])
    over = agreement_over_time_figure(board.over_time)
    assert [t.fill for t in over.data] == [None, "tonexty", None]  # band upper edge, band, line
    assert list(over.data[2].y) == pytest.approx(list(board.over_time["accuracy"]))

    bias = bias_figure(board.judge_bias, board.people_bias)
    assert [t.name for t in bias.data] == ["judge", "people"]
    judge, people = board.judge_bias, board.people_bias
    assert judge is not None and judge.length.longer_rate is not None and people.length.longer_rate is not None
    assert list(bias.data[0].y) == pytest.approx([0.75, judge.length.longer_rate, 0.5])
    assert list(bias.data[1].y) == pytest.approx([0.6, people.length.longer_rate])  # people: no swap consistency

    ranking = bradley_terry_figure(board.people.bradley_terry, board.judge.bradley_terry)
    assert [t.name for t in ranking.data] == ["people (majority label)", "judge"]
    assert all(t.error_y.array is not None for t in ranking.data)

    table = annotator_table_figure(
        board.annotators.assign(annotator=["<b>ann</b>", "bob", "cyd"], kind=["crowd"] * 3)
    ).data[0]
    assert table.cells.values[0][0] == "&lt;b&gt;ann&lt;/b&gt;"
    assert table.cells.values[6][0] == "1.00 on 2 comparisons" and table.cells.values[8][1] == "25.0 s"
    # ann: 0 of 1 with the others' majority, 1 left out (split); bob: none compared, 2 left out (s16 campaign 8)
    assert list(table.cells.values[5][:2]) == [
        "0.00 on 1 comparison (1 more where the others had no majority)",
        "– (2 where the others had no majority)",
    ]
    assert plain("a<br>&b") == "a&lt;br&gt;&amp;b"


def test_same_leader_only_when_both_sources_have_outcomes(store: Store) -> None:
    """Issue 14 #10: "same leader ✓" was shown for a pair people had not labelled at all (0 == 0)."""
    table = store.comparison_table(DEMO)
    run = _run(store)
    for row in table.itertuples():
        _verdict(store, run, int(row.id), "tie")  # the judge calls every pair even; nobody labelled
    board = build_dashboard(store, DEMO, run)
    assert board.counts["labels"] == 0 and not board.pairs.empty
    same_leader = win_table_figure(board.pairs).data[0].cells.values[4]
    assert set(same_leader) == {"–"}


def test_imported_labels_are_not_drawn_as_a_time_series(small) -> None:
    """Issue 14 #10: labels stored within a second (an import, a script) were drawn against a time axis
    spanning a fraction of a second; they are drawn in label order and the axis says so."""
    store, ids, _ = small
    board = build_dashboard(store, DEMO, ids["run"])
    assert board.over_time_is_time_series is False
    fig = agreement_over_time_figure(board.over_time)
    assert fig.layout.xaxis.title.text == NOT_A_TIME_SERIES_AXIS
    assert list(fig.data[2].x) == list(board.over_time["n"])
    spread = board.over_time.assign(time=pd.date_range("2026-01-01", periods=len(board.over_time), freq="h"))
    assert agreement_over_time_figure(spread).layout.xaxis.title.text == "time of the label (UTC)"


def test_one_order_run_has_no_position_rate(store: Store) -> None:
    """Issue 14 #3: one presentation order says nothing about position bias: not measured, with the reason."""
    table = store.comparison_table(DEMO)
    run = _run(store)
    for row in table.head(10).itertuples():
        _verdict(store, run, int(row.id), "1")
    bias = build_dashboard(store, DEMO, run).judge_bias
    assert bias is not None and bias.first_position_rate is None and bias.swap_consistency is None
    assert bias.note is not None and "one presentation order" in bias.note
    fig = bias_figure(bias, build_dashboard(store, DEMO, run).people_bias)
    assert any("judge position bias not measured" in a.text for a in fig.layout.annotations)


def test_the_dashboard_opens_on_the_main_run_not_the_newest_side_run(store: Store, tmp_path) -> None:
    """Issue 14 #10: a small later run (a checkup, a decoding experiment) must not replace the main one."""
    ids = [int(i) for i in store.comparison_table(DEMO)["id"]]
    main, side = _run(store, "main-judge"), _run(store, "side-run")
    for cid in ids[:10]:
        _verdict(store, main, cid, "1")
    _verdict(store, side, ids[0], "2")  # newer, but one verdict
    studio = Studio.open(Settings(home=tmp_path), store=store)
    assert studio.default_run(DEMO) == main
    assert studio.dashboard().run_id == main
    assert studio.judge_run_choices(DEMO)[0][1] == main

    class Configured:  # the judge this app is configured with, once loaded: its own run comes first
        fingerprint_key = "side-run"

    studio._judge = Configured()  # type: ignore[assignment]
    assert studio.default_run(DEMO) == side
