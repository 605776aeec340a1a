"""SPARQL 1.1 Protocol details: reading a request, guarding it, choosing the answer format.

The endpoint is read-only and offline: SPARQL Update and federated ``SERVICE`` calls are
refused before any query runs. The guard tokenizes the query (strings, comments and IRIs
are skipped) so that the word SERVICE inside a literal or an IRI is data, not a refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..sparql_text import _UPDATE_WORDS, TOKENS as _TOKENS, keywords, query_kind  # noqa: F401


class ProtocolError(Exception):
    """A request the endpoint answers with an HTTP error status and a plain-text message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


#: Result formats: short name -> (media type, pyoxigraph format).
RESULT_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
#: Graph formats for CONSTRUCT/DESCRIBE and linked data.
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
_ALIASES = {
    "application/json": "json", "text/json": "json", "application/xml": "xml", "text/xml": "xml",
    "text/plain": "ntriples", "application/x-turtle": "turtle", "application/json+ld": "jsonld",
    "ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml", "rdf+xml": "rdfxml",
    "sparql-results+json": "json", "sparql-results+xml": "xml",
}


def _by_media_type(media: str) -> str | None:
    for name, (mt, _) in {**RESULT_FORMATS, **GRAPH_FORMATS}.items():
        if mt == media:
            return name
    return _ALIASES.get(media)


def choose_format(kind: str, accept: str | None, requested: str | None) -> str:
    """The short format name for a ``kind`` ("results" or "graph") answer.

    An explicit ``format`` parameter wins over the Accept header; an unknown explicit format
    is an error, an Accept header we cannot meet falls back to the default (JSON results,
    Turtle graphs) as most SPARQL servers do.
    """
    allowed = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
    default = "json" if kind == "results" else "turtle"
    if requested:
        value = requested.strip().lower()
        name = value if value in allowed else _by_media_type(value)
        if name not in allowed:
            raise ProtocolError(400, f"format={requested!r} is not available for this query; "
                                     f"use one of: {', '.join(allowed)}")
        return name
    best, best_q = None, 0.0
    for position, part in enumerate((accept or "").split(",")):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        name = _by_media_type(media.strip().lower())
        if name in allowed and q > best_q:
            best, best_q = name, q
        elif media.strip() in ("*/*", "application/*", "text/*") and q > best_q and best is None:
            best, best_q = default, q - 0.001  # a wildcard never beats an exact match of same q
    return best or default


# -- guarding the query text ----------------------------------------------------------------
def check_query(query: str, max_length: int = 100_000) -> None:
    """Refuse what a read-only, offline endpoint must not run (raises :class:`ProtocolError`)."""
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    if len(query) > max_length:
        raise ProtocolError(400, f"the query is {len(query):,} characters long; the limit is {max_length:,}")
    words = keywords(query)
    if "SERVICE" in words:
        raise ProtocolError(400, "federated queries (SERVICE) are not allowed on this endpoint: "
                                 "it does not call other servers")
    first = next((w for w in words if w not in ("PREFIX", "BASE")), "")
    if first in _UPDATE_WORDS:
        raise ProtocolError(403, "this endpoint is read-only: SPARQL Update "
                                 f"({first} ...) is refused; use SELECT, ASK, CONSTRUCT or DESCRIBE")


@dataclass
class QueryRequest:
    """One SPARQL protocol query request, decoded and checked."""

    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str = "json"

    @property
    def kind(self) -> str:
        return query_kind(self.query)


def _check_iris(values: list[str], name: str) -> list[str]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise ProtocolError(400, f"{name}={value!r} is not a valid IRI") from None
    return values


def decode_request(method: str, content_type: str, params: list[tuple[str, str]],
                   form: list[tuple[str, str]], body: bytes, accept: str | None,
                   max_length: int = 100_000) -> QueryRequest | None:
    """Decode GET, form POST or direct POST into a :class:`QueryRequest`; None: no query.

    ``params`` are the URL's query parameters, ``form`` the decoded form body (if any).
    """
    media = content_type.split(";")[0].strip().lower()
    if media == "application/sparql-update":
        raise ProtocolError(403, "this endpoint is read-only: SPARQL Update is refused")
    values = params + form
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in values):
        raise ProtocolError(403, "this endpoint is read-only: the 'update' operation is refused")
    queries = [v for k, v in values if k == "query"]
    if method == "POST" and media == "application/sparql-query":
        try:
            queries.append(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ProtocolError(400, "the query body is not UTF-8") from None
    elif method == "POST" and media not in ("application/x-www-form-urlencoded", ""):
        raise ProtocolError(415, f"unsupported Content-Type {media!r}: send "
                                 "application/sparql-query or application/x-www-form-urlencoded")
    if not queries:
        return None
    if len(queries) > 1:
        raise ProtocolError(400, "give exactly one query")
    query = queries[0]
    check_query(query, max_length)
    default = _check_iris([v for k, v in values if k == "default-graph-uri"], "default-graph-uri")
    named = _check_iris([v for k, v in values if k == "named-graph-uri"], "named-graph-uri")
    requested = next((v for k, v in values if k in ("format", "output")), None)
    request = QueryRequest(query, default, named)
    request.format = choose_format(request.kind, accept, requested)
    return request


def media_type(fmt: str) -> str:
    return {**RESULT_FORMATS, **GRAPH_FORMATS}[fmt][0]


def service_description(endpoint: str, graphs: list[tuple[str, int]], fmt: str = "turtle") -> bytes:
    """A SPARQL 1.1 Service Description of this endpoint, with its named graphs."""
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    service, dataset, default = ox.NamedNode(endpoint), ox.BlankNode("dataset"), ox.BlankNode("default")
    n = lambda local: ox.NamedNode(sd + local)
    triples = [
        ox.Triple(service, rdf_type, n("Service")),
        ox.Triple(service, n("endpoint"), service),
        ox.Triple(service, n("supportedLanguage"), n("SPARQL11Query")),
        ox.Triple(service, n("feature"), n("UnionDefaultGraph")),
        ox.Triple(service, n("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, n("Dataset")),
        ox.Triple(dataset, n("defaultGraph"), default),
        ox.Triple(default, rdf_type, n("Graph")),
        ox.Triple(default, ox.NamedNode(PREFIXES["void"] + "triples"),
                  ox.Literal(str(sum(c for _, c in graphs)), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))),
    ]
    for iri in [mt for mt, _ in RESULT_FORMATS.values()] + [mt for mt, _ in GRAPH_FORMATS.values()]:
        triples.append(ox.Triple(service, n("resultFormat"),
                                 ox.NamedNode("http://www.w3.org/ns/formats/" + _FORMAT_IRIS[iri])))
    for index, (graph, count) in enumerate(graphs):
        node, inner = ox.BlankNode(f"ng{index}"), ox.BlankNode(f"g{index}")
        triples += [
            ox.Triple(dataset, n("namedGraph"), node),
            ox.Triple(node, n("name"), ox.NamedNode(graph)),
            ox.Triple(node, n("graph"), inner),
            ox.Triple(inner, ox.NamedNode(PREFIXES["void"] + "triples"),
                      ox.Literal(str(count), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))),
        ]
    prefixes = {"sd": sd, "void": PREFIXES["void"]}
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt][1],
                        prefixes=prefixes if fmt in ("turtle", "rdfxml") else None)


_FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
}
