"""Agreement and ranking analysis: pure functions over plain DataFrames (no database, no torch).

Statistics come from well-kept libraries: scikit-learn (accuracy, Cohen's kappa, confusion matrix),
SciPy (exact binomial sign test) and networkx (graph, transitive reduction, cycles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import pandas as pd
from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix

LABELS = ["1", "2", "tie"]


@dataclass(frozen=True)
class Agreement:
    """Human labels vs judge verdicts over the (comparison, annotator) pairs where both exist."""

    n: int
    accuracy: float | None
    cohen_kappa: float | None
    confusion: pd.DataFrame  # rows: human label, columns: judge verdict
    judge_unparsed: int  # labelled comparisons whose judge output had no verdict (excluded above)


def majority_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """One label per comparison: the most frequent; a tie between the top counts gives "tie".

    Input columns: comparison_id, verdict (+ any comparison columns, kept from the first row).
    """
    if labels.empty:
        return labels.iloc[0:0]
    counts = labels.groupby(["comparison_id", "verdict"]).size().unstack(fill_value=0)

    def pick(row: pd.Series) -> str:
        top = row[row == row.max()].index.tolist()
        return str(top[0]) if len(top) == 1 else "tie"

    majority = counts.apply(pick, axis=1).rename("verdict")
    extra = labels.drop(columns=["verdict", "annotator", "updated_at"], errors="ignore")
    extra = extra.drop_duplicates("comparison_id").set_index("comparison_id")
    return extra.join(majority).reset_index()


def human_judge_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame) -> Agreement:
    """Compare every human label with the judge's latest verdict on the same comparison."""
    empty = pd.DataFrame(0, index=LABELS, columns=LABELS)
    if labels.empty or verdicts.empty:
        return Agreement(0, None, None, empty, 0)
    latest = verdicts.drop_duplicates("comparison_id", keep="last")[["comparison_id", "verdict", "status"]]
    joined = labels[["comparison_id", "verdict"]].merge(latest, on="comparison_id", suffixes=("_human", "_judge"))
    parsed = joined[joined["status"] == "ok"]
    unparsed = int((joined["status"] != "ok").sum())
    if parsed.empty:
        return Agreement(0, None, None, empty, unparsed)
    human, judge = parsed["verdict_human"].astype(str), parsed["verdict_judge"].astype(str)
    kappa = float(cohen_kappa_score(human, judge, labels=LABELS)) if len(set(human) | set(judge)) > 1 else None
    matrix = pd.DataFrame(confusion_matrix(human, judge, labels=LABELS), index=LABELS, columns=LABELS)
    return Agreement(len(parsed), float(accuracy_score(human, judge)), kappa, matrix, unparsed)


def win_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Win/lose/tie counts per unordered model pair from rows (model1, model2, verdict).

    Output columns: model_a, model_b (sorted by name), wins_a, wins_b, ties.
    """
    columns = ["model_a", "model_b", "wins_a", "wins_b", "ties"]
    rows = outcomes[outcomes["verdict"].isin(LABELS)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    swap = rows["model1"] > rows["model2"]
    frame = pd.DataFrame(
        {
            "model_a": rows["model1"].where(~swap, rows["model2"]),
            "model_b": rows["model2"].where(~swap, rows["model1"]),
            "a_won": ((rows["verdict"] == "1") & ~swap) | ((rows["verdict"] == "2") & swap),
            "b_won": ((rows["verdict"] == "2") & ~swap) | ((rows["verdict"] == "1") & swap),
            "tie": rows["verdict"] == "tie",
        }
    )
    table = frame.groupby(["model_a", "model_b"], as_index=False).agg(
        wins_a=("a_won", "sum"), wins_b=("b_won", "sum"), ties=("tie", "sum")
    )
    return table[columns].astype({"wins_a": int, "wins_b": int, "ties": int})


@dataclass(frozen=True)
class Edge:
    winner: str
    loser: str
    wins: int
    losses: int
    ties: int
    p_value: float


@dataclass(frozen=True)
class PartialOrder:
    """Models and "significantly better than" edges; ``hasse`` is the transitive reduction."""

    models: list[str]
    edges: list[Edge]
    hasse: list[tuple[str, str]]
    cycles: list[list[str]] = field(default_factory=list)


def partial_order(outcomes: pd.DataFrame, *, alpha: float = 0.05, rule: str = "sign-test") -> PartialOrder:
    """A beats B when A won significantly more decisive comparisons against B.

    ``rule="sign-test"``: two-sided exact binomial test on wins vs losses (ties dropped), p < alpha.
    ``rule="more-wins"``: PandaLM's rule, A beats B whenever it has more wins (no significance).
    """
    if rule not in {"sign-test", "more-wins"}:
        raise ValueError(f"Unknown partial-order rule {rule!r}; use 'sign-test' or 'more-wins'.")
    table = win_table(outcomes)
    models = sorted(
        set(outcomes.get("model1", pd.Series(dtype=str))) | set(outcomes.get("model2", pd.Series(dtype=str)))
    )
    edges: list[Edge] = []
    for row in table.to_dict("records"):
        wins_a, wins_b, ties = int(row["wins_a"]), int(row["wins_b"]), int(row["ties"])
        decisive = wins_a + wins_b
        if decisive == 0 or wins_a == wins_b:
            continue
        p_value = float(binomtest(max(wins_a, wins_b), decisive, 0.5).pvalue)
        if rule == "sign-test" and p_value >= alpha:
            continue
        if wins_a > wins_b:
            edges.append(Edge(str(row["model_a"]), str(row["model_b"]), wins_a, wins_b, ties, p_value))
        else:
            edges.append(Edge(str(row["model_b"]), str(row["model_a"]), wins_b, wins_a, ties, p_value))
    graph = nx.DiGraph()
    graph.add_nodes_from(models)
    graph.add_edges_from((e.winner, e.loser) for e in edges)
    cycles = [list(c) for c in nx.simple_cycles(graph)]
    hasse = sorted(nx.transitive_reduction(graph).edges()) if not cycles else sorted(graph.edges())
    return PartialOrder(models, edges, hasse, cycles)


def model_levels(order: PartialOrder) -> dict[str, int]:
    """Layer of each model for drawing: 0 for models nobody beats, then longest path from the top."""
    graph = nx.DiGraph()
    graph.add_nodes_from(order.models)
    graph.add_edges_from(order.hasse)
    if order.cycles:
        return dict.fromkeys(order.models, 0)
    levels: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        parents = list(graph.predecessors(node))
        levels[node] = 1 + max(levels[p] for p in parents) if parents else 0
    return levels
