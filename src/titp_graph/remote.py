"""Asking a remote SPARQL 1.1 endpoint, with the same bindings and result type as local queries.

Bindings become a ``VALUES`` block opening the query's WHERE group, exactly as for local
queries (see :mod:`titp_graph.sparql_text`).
The project prefixes are prepended, as they are pre-declared locally.

Named questions are sent unscoped: a local store runs them over their ``# scope:`` graphs
(:meth:`titp_graph.graph.TitpGraph.reference_graphs`), a remote endpoint over its whole
default graph (the union of its graphs, see docs/publishing.md). The answers are the same,
only slower on a store that also holds synthetic or derived graphs; scoping them here would
need the endpoint's graph list and a ``FROM`` line per graph.
"""
from __future__ import annotations

import pyoxigraph as ox

from .errors import TitpError
from .namespaces import sparql_prologue
from .results import QueryResult
from .sparql_text import inject_values, query_kind, values_block  # noqa: F401

def _auth(user: str | None, password: str | None):
    import httpx

    return httpx.BasicAuth(user, password or "") if user else None


def remote_query(endpoint: str, text: str, bindings: dict | None = None, *, timeout: float = 60.0,
                 user: str | None = None, password: str | None = None) -> QueryResult:
    """Run ``text`` on the SPARQL endpoint at ``endpoint`` and read the answer back."""
    import httpx

    query = sparql_prologue() + inject_values(text, bindings or {})
    graph = query_kind(text) == "graph"
    accept = ("application/n-triples, text/turtle;q=0.9" if graph
              else "application/sparql-results+json, application/sparql-results+xml;q=0.8")
    try:
        response = httpx.post(endpoint, data={"query": query}, headers={"Accept": accept},
                              timeout=timeout, auth=_auth(user, password))
    except httpx.HTTPError as exc:
        raise TitpError(f"{endpoint}: cannot reach the SPARQL endpoint: {exc}") from None
    if response.status_code >= 400:
        detail = response.text.strip().splitlines()[:3]
        raise TitpError(f"{endpoint}: the endpoint answered {response.status_code}: " + " ".join(detail)[:500])
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if graph:
            fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/rdf+xml": ox.RdfFormat.RDF_XML,
                   "application/ld+json": ox.RdfFormat.JSON_LD}.get(media, ox.RdfFormat.N_TRIPLES)
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(response.content, fmt)]
            return QueryResult("graph", triples=triples)
        fmt = ox.QueryResultsFormat.XML if "xml" in media else ox.QueryResultsFormat.JSON
        return QueryResult.from_oxigraph(ox.parse_query_results(response.content, fmt))
    except (SyntaxError, ValueError) as exc:
        raise TitpError(f"{endpoint}: cannot read the answer ({media or 'no content type'}): {exc}") from None
