"""GraphML and GEXF files of the organization network, for Gephi, Cytoscape and yEd.

Every attribute is already a str, int, float or bool (see :mod:`.project`), which both
formats accept. networkx stamps GEXF with today's date; it is removed so the same inputs
give byte-identical files. Files are written to a temp file and renamed.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import networkx as nx

from ..atomic import write_bytes


def _plain(network: nx.DiGraph) -> nx.DiGraph:
    """A copy in sorted order with only graph-level attributes the formats take."""
    g = nx.DiGraph()
    g.graph["name"] = str(network.graph.get("name", "titp-graph organization network"))
    for n in sorted(network.nodes):
        g.add_node(n, **network.nodes[n])
    for u, v in sorted(network.edges):
        g.add_edge(u, v, **network.edges[u, v])
    return g


def graphml_bytes(network: nx.DiGraph) -> bytes:
    out = io.BytesIO()
    nx.write_graphml_xml(_plain(network), out, encoding="utf-8", prettyprint=True)
    return out.getvalue()


def gexf_bytes(network: nx.DiGraph) -> bytes:
    text = "\n".join(nx.generate_gexf(_plain(network), encoding="utf-8", prettyprint=True)) + "\n"
    # networkx writes its own version as the creator: name the project instead, so the bytes
    # do not change with the networkx release installed
    text = re.sub(r"<creator>NetworkX [^<]*</creator>", "<creator>titp-graph</creator>", text, count=1)
    text = re.sub(r' lastmodifieddate="[^"]*"', "", text, count=1)
    return text.encode("utf-8")


def write_graphml(network: nx.DiGraph, path: str | Path) -> None:
    write_bytes(path, graphml_bytes(network))


def write_gexf(network: nx.DiGraph, path: str | Path) -> None:
    write_bytes(path, gexf_bytes(network))
