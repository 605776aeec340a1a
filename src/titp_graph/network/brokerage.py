"""Competency question 4: who sits between the most others, how concentrated each sending
country's market is, and which of them were sanctioned.

Betweenness is computed on the graph the question needs: sending organizations, brokers
and supervising organizations, undirected (sitting between two others counts whichever way
workers flow); employers are leaves and are collapsed to a count per supervisor. Exact
below :data:`EXACT_LIMIT` nodes, else sampled with ``k`` sources and a fixed seed (reported).
"""
from __future__ import annotations

from collections import defaultdict

import networkx as nx

from .table import Analysis, Table

#: Exact betweenness costs one breadth-first search per node: ~40 ms each in networkx on
#: the national intermediary graph (~5,600 nodes, ~15,000 links), so exact only below this.
EXACT_LIMIT = 2000
SAMPLE_K = 500
SEED = 42
_UPSTREAM = {"recruits-for", "sends-to"}


def intermediary_graph(network: nx.DiGraph) -> nx.Graph:
    """Sending organizations, brokers and supervisors, linked where workers passed.

    >>> d = nx.DiGraph([("S", "U", {"relation": "sends-to"}), ("U", "E", {"relation": "places-with"})])
    >>> sorted(intermediary_graph(d).nodes), intermediary_graph(d).nodes["U"]["employers"]
    (['S', 'U'], 1)
    """
    g = nx.Graph()
    employers: dict[str, int] = defaultdict(int)
    for u, v, data in sorted(network.edges(data=True), key=lambda e: (e[0], e[1])):
        if data.get("relation") in _UPSTREAM:
            g.add_edge(u, v, workers=data.get("workers", 0))
        else:
            g.add_node(u)
            employers[u] += 1
    for n in g.nodes:
        g.nodes[n]["employers"] = employers.get(n, 0)
    return g


def betweenness(g: nx.Graph, k: int | None = None) -> tuple[dict[str, float], int | None]:
    """Normalized betweenness; exact under EXACT_LIMIT nodes, else k sampled sources (seeded).

    A 4-cycle S1-U1-S2-U2 with a pendant B1 on S1: S1 lies on 3.5 of the 6 pairs' paths.

    >>> g = nx.Graph([("B1", "S1"), ("S1", "U1"), ("S1", "U2"), ("S2", "U1"), ("S2", "U2")])
    >>> bc, used_k = betweenness(g)
    >>> round(bc["S1"], 4), round(bc["U1"], 4), round(bc["S2"], 4), used_k
    (0.5833, 0.1667, 0.0833, None)
    """
    n = g.number_of_nodes()
    if k is None and n < EXACT_LIMIT:
        return nx.betweenness_centrality(g, normalized=True), None
    k = min(k or SAMPLE_K, n)
    return nx.betweenness_centrality(g, k=k, normalized=True, seed=SEED), k


def hhi(shares) -> float:
    """Herfindahl-Hirschman index of market shares given as counts (0..10,000).

    >>> round(hhi([2, 1]), 2)    # 100*(2/3)^2*100 + 100*(1/3)^2*100
    5555.56
    >>> hhi([1, 3])
    6250.0
    """
    total = sum(shares)
    if not total:
        return 0.0
    return sum((100.0 * s / total) ** 2 for s in shares)


def concentration(network: nx.DiGraph) -> list[list]:
    """Per sending country: [country, workers, supervisors, HHI, largest supervisor, its share %]."""
    by_country: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for u, v, data in network.edges(data=True):
        if data.get("relation") == "sends-to":
            country = network.nodes[u].get("country") or ""
            by_country[country][v] += int(data.get("workers", 0))
    rows = []
    for country in sorted(by_country):
        counts = by_country[country]
        total = sum(counts.values())
        top = min(counts, key=lambda s: (-counts[s], s))
        rows.append([country, total, len(counts), hhi(list(counts.values())), top,
                     100.0 * counts[top] / total if total else 0.0])
    return rows


def brokerage(network: nx.DiGraph, k: int | None = None) -> Analysis:
    """Betweenness, degree and sanctions of intermediaries; HHI per sending country."""
    g = intermediary_graph(network)
    bc, used_k = betweenness(g, k)
    nodes = Table("intermediaries", "Intermediaries by betweenness",
                  ["organization", "label", "class", "country", "betweenness", "degree",
                   "employers", "workers", "sanctions", "sanction_types", "synthetic"])
    for n in sorted(g.nodes, key=lambda n: (-round(bc.get(n, 0.0), 12), n)):
        attrs = network.nodes[n]
        # workers who passed through: whichever side carries more (a broker has no inflow)
        workers = max(sum(d.get("workers", 0) for _, _, d in network.in_edges(n, data=True)),
                      sum(d.get("workers", 0) for _, _, d in network.out_edges(n, data=True)))
        nodes.rows.append([n, attrs.get("label", ""), attrs.get("class", ""), attrs.get("country", ""),
                           bc.get(n, 0.0), g.degree(n), g.nodes[n]["employers"], workers,
                           attrs.get("sanctions", 0), attrs.get("sanction_types", ""),
                           attrs.get("synthetic", False)])
    conc = Table("concentration", "Supervisors' market share per sending country (HHI, 0-10,000)",
                 ["sending_country", "workers", "supervisors", "hhi", "largest_supervisor", "largest_share_pct"],
                 concentration(network))
    notes = {"betweenness": "exact" if used_k is None else f"sampled, k={used_k}, seed={SEED}",
             "graph": f"{g.number_of_nodes()} intermediaries, {g.number_of_edges()} links "
                      "(undirected; employers collapsed to counts)"}
    return Analysis("brokerage", [nodes, conc], notes)
