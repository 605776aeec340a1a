"""titp.jsonld: the dataset as compact JSON-LD 1.1, one node object per graph.

pyoxigraph writes expanded JSON-LD with full IRIs; consumers read a document with an
``@context`` of the project's prefixes far more easily, so this module writes the
compact form itself (sorted, so the bytes are stable).
"""
from __future__ import annotations

import json
from functools import lru_cache
from itertools import groupby

import pyoxigraph as ox

from ..namespaces import PREFIXES, RDF, XSD
from .base import ExportContext, Exporter

_TYPE = RDF + "type"
#: Large mode: graphs above this many quads are left out of titp.jsonld (compacting them
#: in Python takes minutes); they are in every other dump.
JSONLD_GRAPH_LIMIT = 250_000


@lru_cache(maxsize=1 << 16)
def _compact(iri: str) -> str:
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            local = iri[len(ns):]
            if local and not local.startswith("//"):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def _node_id(term) -> str:
    return _compact(term.value) if isinstance(term, ox.NamedNode) else "_:" + term.value


def _value(term) -> dict:
    if isinstance(term, (ox.NamedNode, ox.BlankNode)):
        return {"@id": _node_id(term)}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": _compact(term.datatype.value)}


def node_objects(triples) -> list[dict]:
    """Node objects for triples already sorted by subject (rdf:type first)."""
    nodes = []
    for subject, group in groupby(triples, key=lambda t: t.subject):
        node: dict = {"@id": _node_id(subject)}
        for t in group:
            if t.predicate.value == _TYPE and isinstance(t.object, ox.NamedNode):
                node.setdefault("@type", []).append(_compact(t.object.value))
            else:
                node.setdefault(_compact(t.predicate.value), []).append(_value(t.object))
        nodes.append(node)
    return nodes


class JsonLdExport(Exporter):
    name = "jsonld"
    filename = "titp.jsonld"
    media_type = "application/ld+json"
    title = "All named graphs (JSON-LD)"
    format_iri = "http://www.w3.org/ns/formats/JSON-LD"

    def write(self, context: ExportContext, out) -> None:
        # One node object per line: readable and diffable, and json's C encoder stays in
        # use (an ``indent`` makes it fall back to pure Python, 3x slower).
        dumps = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        out.write(b'{"@context":' + dumps(dict(PREFIXES)).encode("utf-8") + b',\n"@graph":[')
        first_graph = True
        quads = context.quads if not context.large else [  # large: the small graphs only
            q for g in context.graph_names() if g.value not in context.raw
            and len(context.small_quads(g)) <= JSONLD_GRAPH_LIMIT for q in context.small_quads(g)]
        for graph, group in groupby(quads, key=lambda q: q.graph_name):
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in group]
            nodes = ",\n".join(dumps(node) for node in node_objects(triples))
            head = "" if first_graph else ","
            first_graph = False
            out.write(f'{head}\n{{"@id":{dumps(_node_id(graph))},"@graph":[\n{nodes}]}}'.encode("utf-8"))
        out.write(b"\n]}\n")
