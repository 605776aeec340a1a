"""titp.trig: every named graph kept (one per input file), in TriG with prefixes."""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIXES
from .base import ExportContext, Exporter


class TrigExport(Exporter):
    name = "trig"
    filename = "titp.trig"
    media_type = "application/trig"
    title = "All named graphs (TriG)"
    format_iri = "http://www.w3.org/ns/formats/TriG"

    def write(self, context: ExportContext, out) -> None:
        if context.large:  # prefixes once, then each graph's N-Triples lines in a block
            out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()).encode())
            for graph in context.graph_names():
                out.write(f"\n{graph} {{\n".encode())
                for chunk in context.ntriples_chunks(graph):
                    out.write(chunk)
                out.write(b"}\n")
            return
        ox.serialize(context.quads, out, ox.RdfFormat.TRIG, prefixes=PREFIXES)
