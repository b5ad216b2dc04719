"""Whether Bradley-Terry strengths have a finite answer on some comparisons, and why not.

Ford (1957): the maximum-likelihood strengths exist exactly when the models' win graph (an arrow from
the winner to the loser of every comparison; a tie, counted as half a win each way, gives both arrows)
is strongly connected. Otherwise a group of models never lost to the rest and its strength runs to
infinity: a logistic fit stops at an arbitrary large value with a falsely tiny interval (or a singular
matrix), a prior keeps it finite but then the prior alone sets it, and a bootstrap of it has no width.
networkx gives the components; the reasons are worded for the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def unestimable(models: Sequence[str], outcomes: Iterable[tuple[str, str, float]]) -> str | None:
    """Why strengths of ``models`` cannot be estimated from ``outcomes`` (model1, model2, model1's share
    of the win: 1, 0, or 0.5 for a tie), or None when they can."""
    import networkx as nx

    wins = nx.DiGraph()
    wins.add_nodes_from(models)
    for a, b, share in outcomes:
        if share > 0:
            wins.add_edge(a, b)
        if share < 1:
            wins.add_edge(b, a)
    unseen = [m for m in models if wins.degree(m) == 0]
    if unseen:
        its = "its" if len(unseen) == 1 else "their"
        return f"no comparisons for {', '.join(unseen)}, so {its} strength cannot be estimated"
    groups = list(nx.weakly_connected_components(wins))
    if len(groups) > 1:
        named = "; ".join(", ".join(sorted(g)) for g in sorted(groups, key=min))
        return (
            f"these groups of models were never compared with each other ({named}), "
            "so strengths across them cannot be estimated"
        )
    if not nx.is_strongly_connected(wins):
        dag = nx.condensation(wins)
        top = next(dag.nodes[n]["members"] for n in dag if dag.in_degree(n) == 0)
        return (
            f"{', '.join(sorted(top))} never lost a comparison to the other models, "
            "so the strengths are unbounded; label more comparisons"
        )
    return None
