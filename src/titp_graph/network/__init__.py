"""The organization network and the chain analyses (competency questions 2, 3, 4, 6, 11).

>>> from titp_graph.network import project, trace, fee_breaches, brokerage, debt_burden, forced_labour_risk

:func:`project` turns the store into a networkx ``DiGraph`` of organizations from aggregate
SPARQL; the analyses return :class:`~.table.Analysis` objects (named tables plus notes)
that the CLI prints and :func:`network_step` writes under ``exports/``.
"""
from __future__ import annotations

from .brokerage import brokerage as _brokerage
from .chains import trace
from .debt import debt_burden
from .export import write_gexf, write_graphml
from .fees import fee_breaches
from .forced_labour import forced_labour_risk
from .project import project
from .table import Analysis, Table


def brokerage(graph_or_network, k: int | None = None) -> Analysis:
    """Brokerage over a TitpGraph (projected first) or an already projected network."""
    import networkx as nx

    network = graph_or_network if isinstance(graph_or_network, nx.Graph) else project(graph_or_network)
    return _brokerage(network, k)


#: Each analysis with its parameters and their defaults (the build runs them with these).
DEFAULTS = {"fees": {}, "brokerage": {"k": None}, "debt": {"threshold": 6.0},
            "forced-labour": {"threshold": 6.0}}

#: The tables each analysis returns, in order.
TABLES = {"fees": ["employer-pays", "country-rules", "by-nationality"],
          "brokerage": ["intermediaries", "concentration"], "debt": ["debt"],
          "forced-labour": ["indicators"]}

#: How to compute each analysis: ``found`` is the :class:`.detail.Detail` and ``network``
#: the projection when the caller (the build) already has them.
_COMPUTE = {
    "fees": lambda graph, p, found=None, network=None: fee_breaches(graph, found=found),
    "brokerage": lambda graph, p, found=None, network=None: brokerage(network if network is not None else graph,
                                                                      p["k"]),
    "debt": lambda graph, p, found=None, network=None: debt_burden(graph, p["threshold"]),
    "forced-labour": lambda graph, p, found=None, network=None: forced_labour_risk(graph, p["threshold"],
                                                                                   found=found),
}


def analysis_params(name: str, **given) -> dict:
    """The full parameters of analysis ``name``: the given ones over the defaults, typed."""
    params = dict(DEFAULTS[name])
    for key in params:
        if given.get(key) is not None:
            params[key] = given[key]
    if "threshold" in params:
        params["threshold"] = float(params["threshold"])
    return params


def analyze(graph, name: str, index: bool | None = None, tables: list[str] | None = None,
            **given) -> Analysis:
    """Run analysis ``name`` (fees, brokerage, debt, forced-labour) on a TitpGraph.

    When the graph's store has a fresh chain index (written by ``titp-graph build --store``,
    see :mod:`.index`) that holds this analysis with these parameters, its result is
    returned as the build computed it; ``index=False`` recomputes from the store.
    ``tables`` keeps only the tables named (reading only those from the index: the
    per-chain fee tables are large at national scale, the by-nationality one is small).
    """
    params = analysis_params(name, **given)
    if index is not False:
        from .index import ChainIndex
        found = ChainIndex.for_graph(graph, required=bool(index))
        cached = found.analysis(name, params, tables) if found is not None else None
        if cached is not None:
            return cached
    result = _COMPUTE[name](graph, params)
    if tables is not None:
        result.tables = [t for t in result.tables if t.name in tables]
    return result


ANALYSES = {name: (lambda graph, _name=name, **kw: analyze(graph, _name, **kw)) for name in DEFAULTS}


def network_step(ctx) -> None:
    """Build step: exports/network.graphml, network.gexf and analyses/<name>-<table>.csv +
    <name>.json; with an on-disk store, also its chain index (see :mod:`.index`)."""
    import time

    from ..atomic import write_chunks
    from .index import write_index
    from .table import csv_chunks, json_chunks

    ctx.progress("network: projecting organizations")
    network = project(ctx.graph, hops=getattr(ctx, "hop_edges", None))
    ctx.__dict__.pop("hop_edges", None)
    for name, writer in (("network.graphml", write_graphml), ("network.gexf", write_gexf)):
        writer(network, ctx.folder / name)
        ctx.report.written.append(name)
    folder = ctx.folder / "analyses"
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for name in sorted(DEFAULTS):
        started = time.perf_counter()
        params = analysis_params(name)
        result = _COMPUTE[name](ctx.graph, params, found=getattr(ctx, "detail", None), network=network)
        results.append((name, params, result))
        ctx.progress(f"network: analysis {name} ({time.perf_counter() - started:.1f} s)")
        write_chunks(folder / f"{name}.json", json_chunks(result))
        ctx.report.written.append(f"analyses/{name}.json")
        for table in result.tables:
            write_chunks(folder / f"{name}-{table.name}.csv", csv_chunks(table))
            ctx.report.written.append(f"analyses/{name}-{table.name}.csv")
    ctx.__dict__.pop("detail", None)  # free it: VoID does not need it (the views came before)
    if ctx.graph.store_dir is not None:
        records = getattr(ctx, "chain_records", None)
        if records is None:
            from .summaries import chain_records
            records = chain_records(ctx.graph)
        from .summaries import organization_labels
        labels = organization_labels(ctx.graph)
        path = write_index(ctx.graph, records[0], records[1], labels, results)
        ctx.progress(f"network: chain index {path.name} ({len(records[0]):,} chains)")


__all__ = ["project", "trace", "fee_breaches", "brokerage", "debt_burden", "forced_labour_risk",
           "write_graphml", "write_gexf", "network_step", "analyze", "Analysis", "Table", "ANALYSES"]
