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
        ox.serialize(context.triples, out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
