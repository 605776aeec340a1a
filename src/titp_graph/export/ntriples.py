"""titp.nt and titp.nq: line-based formats for streaming tools and bulk loaders."""
from __future__ import annotations

import pyoxigraph as ox

from .base import ExportContext, Exporter


class NTriplesExport(Exporter):
    name = "ntriples"
    filename = "titp.nt"
    media_type = "application/n-triples"
    title = "All triples in one graph (N-Triples)"
    format_iri = "http://www.w3.org/ns/formats/N-Triples"

    def write(self, context: ExportContext, out) -> None:
        if context.large:
            for graph in context.graph_names():
                for chunk in context.ntriples_chunks(graph):
                    out.write(chunk)
            return
        ox.serialize(context.triples, out, ox.RdfFormat.N_TRIPLES)


class NQuadsExport(Exporter):
    name = "nquads"
    filename = "titp.nq"
    media_type = "application/n-quads"
    title = "All named graphs (N-Quads)"
    format_iri = "http://www.w3.org/ns/formats/N-Quads"

    def write(self, context: ExportContext, out) -> None:
        if context.large:
            for graph in context.graph_names():
                for chunk in context.nquads_chunks(graph):
                    out.write(chunk)
            return
        ox.serialize(context.quads, out, ox.RdfFormat.N_QUADS)
