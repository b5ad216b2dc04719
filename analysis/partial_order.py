"""Partial orders of models: "A beats B" when A won significantly more decisive comparisons
against B (exact sign test, SciPy), the Hasse diagram (networkx transitive reduction), cycles, the
layers for drawing, and how two sources' orders differ (judge vs people)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd
from scipy.stats import binomtest

from analysis.defaults import ALPHA
from analysis.rankings import win_table


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


def sign_test_p(wins: int, losses: int) -> float:
    """The exact two-sided sign test of ``wins`` against ``losses`` (ties left out; SciPy's ``binomtest``);
    1.0 when nothing was decisive."""
    decisive = wins + losses
    return float(binomtest(max(wins, losses), decisive, 0.5).pvalue) if decisive else 1.0


def partial_order(outcomes: pd.DataFrame, *, alpha: float = ALPHA, rule: str = "sign-test") -> PartialOrder:
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
        p_value = sign_test_p(wins_a, wins_b)
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


def order_dict(order: PartialOrder) -> dict[str, Any]:
    """The partial order as plain JSON values (models, edges with their counts and p-values, Hasse
    edges, cycles, drawing levels): the one shape the report, the pipeline and ``--json`` write."""
    return {
        "models": order.models,
        "edges": [dataclasses.asdict(edge) for edge in order.edges],
        "hasse": [list(edge) for edge in order.hasse],
        "cycles": order.cycles,
        "levels": model_levels(order),
    }


# Edge status in one partial-order graph, compared with another source's graph
BOTH, ONLY, OPPOSITE = "both", "only", "opposite"
EDGE_COLUMNS = ["source", "winner", "loser", "wins", "losses", "ties", "p_value", "status"]


def order_edges(orders: dict[str, PartialOrder], *, compare: bool) -> pd.DataFrame:
    """Each Hasse edge of two graphs (``orders``: source name -> order, e.g. judge and people), with
    how the other graph orders the same two models.

    ``both``: the other graph also puts the winner above the loser (by an edge or a path); ``only``:
    the other graph does not order the two; ``opposite``: it puts the loser above the winner. With
    ``compare=False`` (one source has no outcomes at all) every status is ``both``.
    """
    (first, first_order), (second, second_order) = orders.items()
    rows = []
    for source, order, other in ((first, first_order, second_order), (second, second_order, first_order)):
        graph = nx.DiGraph()
        graph.add_nodes_from(other.models)
        graph.add_edges_from((e.winner, e.loser) for e in other.edges)
        by_pair = {(e.winner, e.loser): e for e in order.edges}
        for winner, loser in order.hasse:
            edge = by_pair[(winner, loser)]
            status = BOTH
            if compare and not _path(graph, winner, loser):
                status = OPPOSITE if _path(graph, loser, winner) else ONLY
            rows.append([source, winner, loser, edge.wins, edge.losses, edge.ties, edge.p_value, status])
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def _path(graph: nx.DiGraph, source: str, target: str) -> bool:
    return source in graph and target in graph and bool(nx.has_path(graph, source, target))
