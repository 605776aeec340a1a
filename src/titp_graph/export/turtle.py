"""titp.ttl: every triple of every graph merged into one graph, in Turtle with prefixes."""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIXES
from .base import ExportContext, Exporter


class TurtleExport(Exporter):
    name = "turtle"
    filename = "titp.ttl"
    media_type = "text/turtle"
    title = "All triples in one graph (Turtle)"
    format_iri = "http://www.w3.org/ns/formats/Turtle"

    def write(self, context: ExportContext, out) -> None:
        if context.large:  # small graphs as sorted Turtle, raw ones as their N-Triples lines
            for graph in context.graph_names():
                if graph.value in context.raw:
                    for chunk in context.ntriples_chunks(graph):
                        out.write(chunk)
                else:
                    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in context.small_quads(graph)]
                    ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
            return
        ox.serialize(context.triples, out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
