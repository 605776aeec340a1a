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


ANALYSES = {
    "fees": lambda graph, **kw: fee_breaches(graph),
    "brokerage": lambda graph, **kw: brokerage(graph, kw.get("k")),
    "debt": lambda graph, **kw: debt_burden(graph, kw.get("threshold", 6.0)),
    "forced-labour": lambda graph, **kw: forced_labour_risk(graph, kw.get("threshold", 6.0)),
}


#: Analyses that read per-placement detail (no summary backs them); the build skips them
#: for large data (see export.base.SORT_LIMIT) and says so.
DETAIL_ONLY = ("fees", "forced-labour")


def network_step(ctx) -> None:
    """Build step: exports/network.graphml, network.gexf and analyses/<name>-<table>.csv + <name>.json."""
    from ..atomic import write_text
    from .table import to_csv, to_json

    ctx.progress("network: projecting organizations")
    network = project(ctx.graph)
    for name, writer in (("network.graphml", write_graphml), ("network.gexf", write_gexf)):
        writer(network, ctx.folder / name)
        ctx.report.written.append(name)
    folder = ctx.folder / "analyses"
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(ANALYSES):
        if name in DETAIL_ONLY and getattr(getattr(ctx, "export", None), "large", False):
            # these judge every placement against its rules: minutes at national scale
            ctx.progress(f"network: analysis {name} skipped (large data: run `titp-graph network {name} --from STORE`)")
            continue
        ctx.progress(f"network: analysis {name}")
        result = brokerage(network) if name == "brokerage" else ANALYSES[name](ctx.graph)
        write_text(folder / f"{name}.json", to_json(result))
        ctx.report.written.append(f"analyses/{name}.json")
        for table in result.tables:
            write_text(folder / f"{name}-{table.name}.csv", to_csv(table))
            ctx.report.written.append(f"analyses/{name}-{table.name}.csv")


__all__ = ["project", "trace", "fee_breaches", "brokerage", "debt_burden", "forced_labour_risk",
           "write_graphml", "write_gexf", "network_step", "Analysis", "Table", "ANALYSES"]
