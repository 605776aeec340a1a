"""Export formats: one module per format on a shared base (``base.Exporter``)."""
from __future__ import annotations

from .base import Distribution, ExportContext, Exporter
from .jsonld import JsonLdExport
from .ntriples import NQuadsExport, NTriplesExport
from .trig import TrigExport
from .turtle import TurtleExport

#: The RDF dumps every build writes, in this order.
RDF_EXPORTERS: list[type[Exporter]] = [TurtleExport, TrigExport, NTriplesExport, NQuadsExport, JsonLdExport]

__all__ = ["Exporter", "ExportContext", "Distribution", "RDF_EXPORTERS"]
