"""Partial orders of models: "A beats B" when A won significantly more decisive comparisons
against B (exact sign test, SciPy; Holm-adjusted over the K(K-1)/2 pair tests by default, statsmodels'
``multipletests``, so "significantly" holds for the family of pairs, s15 methodologist finding 2), the Hasse
diagram (networkx transitive reduction), cycles, the
layers for drawing, and how two sources' orders differ (judge vs people)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.defaults import ALPHA
from analysis.rankings import win_table

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Edge:
    winner: str
    loser: str
    wins: int
    losses: int
    ties: int
    p_value: float  # the pair's own (unadjusted) exact sign-test p
    p_adjusted: float | None = None  # Holm-adjusted over the order's pair tests (None: no adjustment)


#: How the pair tests of a partial order are corrected for testing every pair: "holm" (the default) or "none".
ADJUSTMENTS = ("holm", "none")


@dataclass(frozen=True)
class PartialOrder:
    """Models and "significantly better than" edges; ``hasse`` is the transitive reduction.

    ``tests``: the pair tests made (model pairs with at least one decisive outcome), the family Holm adjusts
    over; ``adjustment``: "holm", "none", or None for PandaLM's "more-wins" rule (no test at all);
    ``p_adjusted``: each tested pair's adjusted p, keyed by the two model names in sorted order."""

    models: list[str]
    edges: list[Edge]
    hasse: list[tuple[str, str]]
    cycles: list[list[str]] = field(default_factory=list)
    tests: int = 0
    adjustment: str | None = "holm"
    p_adjusted: dict[tuple[str, str], float] = field(default_factory=dict)

    def adjusted_p(self, a: str, b: str) -> float | None:
        """The pair's p after the order's adjustment (its own p when none); None when it was not tested."""
        return self.p_adjusted.get((min(a, b), max(a, b)))


def sign_test_p(wins: int, losses: int) -> float:
    """The exact two-sided sign test of ``wins`` against ``losses`` (ties left out; SciPy's ``binomtest``);
    1.0 when nothing was decisive."""
    from scipy.stats import binomtest  # here, not at the top: SciPy takes a second to load

    decisive = wins + losses
    return float(binomtest(max(wins, losses), decisive, 0.5).pvalue) if decisive else 1.0


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (statsmodels' ``multipletests``, imported here: ~0.3 s at start-up)."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(p_values, method="holm")[1]]


def partial_order(
    outcomes: pd.DataFrame, *, alpha: float = ALPHA, rule: str = "sign-test", adjust: str = "holm"
) -> PartialOrder:
    """A beats B when A won significantly more decisive comparisons against B.

    ``rule="sign-test"``: two-sided exact binomial test on wins vs losses (ties dropped) for every pair with a
    decisive outcome; with ``adjust="holm"`` (the default) the p-values are Holm-adjusted over those pair tests
    and an edge needs adjusted p < alpha (``adjust="none"``: each pair at alpha on its own). Each edge keeps its
    unadjusted ``p_value`` beside ``p_adjusted``.
    ``rule="more-wins"``: PandaLM's rule, A beats B whenever it has more wins (no significance).
    """
    import networkx as nx

    if rule not in {"sign-test", "more-wins"}:
        raise ValueError(f"Unknown partial-order rule {rule!r}; use 'sign-test' or 'more-wins'.")
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"Unknown adjustment {adjust!r}; use 'holm' or 'none'.")
    table = win_table(outcomes)
    models = sorted(
        set(outcomes.get("model1", pd.Series(dtype=str))) | set(outcomes.get("model2", pd.Series(dtype=str)))
    )
    tested = []
    for row in table.to_dict("records"):
        wins_a, wins_b, ties = int(row["wins_a"]), int(row["wins_b"]), int(row["ties"])
        if wins_a + wins_b:
            tested.append((str(row["model_a"]), str(row["model_b"]), wins_a, wins_b, ties, sign_test_p(wins_a, wins_b)))
    raw = [t[5] for t in tested]
    adjusted = holm(raw) if adjust == "holm" and rule == "sign-test" else raw
    edges: list[Edge] = []
    for (a, b, wins_a, wins_b, ties, p_value), p_adj in zip(tested, adjusted, strict=True):
        if wins_a == wins_b or (rule == "sign-test" and p_adj >= alpha):
            continue
        shown = p_adj if rule == "sign-test" and adjust == "holm" else None
        if wins_a > wins_b:
            edges.append(Edge(a, b, wins_a, wins_b, ties, p_value, shown))
        else:
            edges.append(Edge(b, a, wins_b, wins_a, ties, p_value, shown))
    pairs = {(min(t[0], t[1]), max(t[0], t[1])): p for t, p in zip(tested, adjusted, strict=True)}
    graph = nx.DiGraph()
    graph.add_nodes_from(models)
    graph.add_edges_from((e.winner, e.loser) for e in edges)
    cycles = [list(c) for c in nx.simple_cycles(graph)]
    hasse = sorted(nx.transitive_reduction(graph).edges()) if not cycles else sorted(graph.edges())
    method = adjust if rule == "sign-test" else None
    return PartialOrder(models, edges, hasse, cycles, len(tested), method, pairs if rule == "sign-test" else {})


def order_scope(order: PartialOrder | Mapping[str, Any] | None) -> str:
    """How the order's arrows were tested, for every line that names its alpha: "Holm-adjusted over N pair
    tests", "unadjusted, N pair tests", or "" (PandaLM's more-wins rule: no test; an order from before s15)."""
    if order is None:
        return ""
    tests, method = (
        (order.tests, order.adjustment)
        if isinstance(order, PartialOrder)
        else (order.get("tests"), order.get("adjustment"))
    )
    if method is None or tests is None:
        return ""
    word = "test" if tests == 1 else "tests"
    return f"Holm-adjusted over {tests} pair {word}" if method == "holm" else f"unadjusted, {tests} pair {word}"


def model_levels(order: PartialOrder) -> dict[str, int]:
    """Layer of each model for drawing: 0 for models nobody beats, then longest path from the top."""
    import networkx as nx

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
        # the pair tests made and how their p-values were adjusted ("holm", "none"; None: more-wins, no test);
        # each edge keeps its unadjusted ``p_value`` beside ``p_adjusted``
        "tests": order.tests,
        "adjustment": order.adjustment,
    }


# Edge status in one partial-order graph, compared with another source's graph
BOTH, ONLY, OPPOSITE = "both", "only", "opposite"
EDGE_COLUMNS = ["source", "winner", "loser", "wins", "losses", "ties", "p_value", "status", "p_adjusted"]


def order_edges(orders: dict[str, PartialOrder], *, compare: bool) -> pd.DataFrame:
    """Each Hasse edge of two graphs (``orders``: source name -> order, e.g. judge and people), with
    how the other graph orders the same two models.

    ``both``: the other graph also puts the winner above the loser (by an edge or a path); ``only``:
    the other graph does not order the two; ``opposite``: it puts the loser above the winner. With
    ``compare=False`` (one source has no outcomes at all) every status is ``both``.
    """
    import networkx as nx

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
            rows.append(
                [source, winner, loser, edge.wins, edge.losses, edge.ties, edge.p_value, status, edge.p_adjusted]
            )
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def _path(graph: nx.DiGraph, source: str, target: str) -> bool:
    import networkx as nx

    return source in graph and target in graph and bool(nx.has_path(graph, source, target))
