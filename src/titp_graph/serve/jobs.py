"""What a query worker does with a job; runs inside the worker process.

Kept free of any web framework so it can be tested directly. Answers are plain data
(bytes, or pyoxigraph terms, which pickle) sent back over the worker's pipe.
"""
from __future__ import annotations

import pyoxigraph as ox

from ..errors import InputError
from ..namespaces import PREFIXES
from ..queries import text_scope
from ..results import QueryResult
from .sparql import GRAPH_FORMATS, RESULT_FORMATS

RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
SKOS_PREF = ox.NamedNode(PREFIXES["skos"] + "prefLabel")
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
DERIVED = ox.NamedNode(PREFIXES["prov"] + "wasDerivedFrom")
DCT = PREFIXES["dct"]


class JobError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def run(graph, job: dict, max_results: int):
    kind = job.get("kind")
    if kind == "sparql":
        graphs = scoped_graphs(graph, job)
        store = graph.store if graphs is None else graph.store_for(graphs)
        return sparql(store, job, max_results, graphs=graphs)
    if kind == "entity":
        return entity(graph.store, job["iri"], job.get("format", "html"), max_results)
    if kind == "graphs":
        return graph_sizes(graph.store)
    raise JobError(500, f"unknown job {kind!r}")


def graph_sizes(store: ox.Store) -> list[tuple[str, int]]:
    """Named graphs and their triple counts, sorted by IRI."""
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    return [(s["g"].value, int(s["n"].value)) for s in result if isinstance(s["g"], ox.NamedNode)]


def scoped_graphs(graph, job: dict) -> list | None:
    """The graphs a protocol request reads when the request names none: for a named
    question's text (it opens with ``# title:``, as the query page shows it) those of its
    ``# scope:`` header, through the same :meth:`TitpGraph.scope_graphs` as
    ``TitpGraph.named`` and ``titp-graph query --name``; None (every graph) for other queries.
    ``default-graph-uri``/``named-graph-uri`` in the request always win."""
    if job.get("default_graphs") or job.get("named_graphs"):
        return None
    try:
        scope = text_scope(job["query"])
    except InputError as exc:
        raise JobError(400, exc.message) from None
    return graph.scope_graphs(scope)


def sparql(store: ox.Store, job: dict, max_results: int, graphs: list | None = None) -> tuple[str, bytes]:
    """Evaluate one protocol request; return (short format name, body).

    ``graphs`` (from :func:`scoped_graphs`), if given, are the default graph and the named
    graphs of a request that names none."""
    options: dict = {"prefixes": PREFIXES}
    if graphs is not None:
        options["default_graph"] = list(graphs)
        options["named_graphs"] = [g for g in graphs if isinstance(g, ox.NamedNode)]
    elif job.get("default_graphs"):
        options["default_graph"] = [ox.NamedNode(g) for g in job["default_graphs"]]
    else:
        options["use_default_graph_as_union"] = True
    if job.get("named_graphs"):
        options["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    fmt = job["format"]
    try:
        result = store.query(job["query"], **options)
        if isinstance(result, ox.QueryBoolean):
            if fmt not in RESULT_FORMATS:
                fmt = "json"
            return fmt, result.serialize(format=RESULT_FORMATS[fmt][1])
        if isinstance(result, ox.QuerySolutions):
            if fmt not in RESULT_FORMATS:
                fmt = "json"
            columns = [v.value for v in result.variables]
            rows = []
            for solution in result:
                rows.append(tuple(solution[c] for c in columns))
                if len(rows) > max_results:
                    raise JobError(500, _too_many(max_results, "results"))
            # Re-read our JSON with pyoxigraph so every format comes from its serializers.
            text = QueryResult("select", columns=columns, terms=rows).to_json()
            parsed = ox.parse_query_results(text.encode("utf-8"), ox.QueryResultsFormat.JSON)
            return fmt, parsed.serialize(format=RESULT_FORMATS[fmt][1])
        if fmt not in GRAPH_FORMATS:
            fmt = "turtle"
        triples = []
        for triple in result:
            triples.append(triple)
            if len(triples) > max_results:
                raise JobError(500, _too_many(max_results, "triples"))
        prefixes = PREFIXES if fmt in ("turtle", "rdfxml") else None
        return fmt, ox.serialize(triples, format=GRAPH_FORMATS[fmt][1], prefixes=prefixes)
    except SyntaxError as exc:
        raise JobError(400, f"SPARQL syntax error: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise JobError(500, f"query failed: {exc}") from None


def _too_many(limit: int, what: str) -> str:
    return (f"the answer has more than {limit:,} {what}, this endpoint's limit; add LIMIT and "
            "page with OFFSET, or download the full dump")


def _label(store: ox.Store, node) -> dict[str, str]:
    """Labels of a node by language ('' for none): rdfs:label, else skos:prefLabel."""
    out: dict[str, str] = {}
    if not isinstance(node, ox.NamedNode):
        return out
    for prop in (RDFS_LABEL, SKOS_PREF):
        for quad in store.quads_for_pattern(node, prop, None):
            if isinstance(quad.object, ox.Literal):
                lang = quad.object.language or ""
                if lang not in out or quad.object.value < out[lang]:
                    out[lang] = quad.object.value
        if out:
            break
    return out


def _first(store: ox.Store, node, prop: str):
    values = sorted((q.object for q in store.quads_for_pattern(node, ox.NamedNode(prop), None)), key=str)
    return values[0] if values else None


def entity(store: ox.Store, iri: str, fmt: str, limit: int):
    """Everything a linked-data page shows about ``iri`` (None if the graph never mentions it)."""
    node = ox.NamedNode(iri)
    quads = sorted(store.quads_for_pattern(node, None, None),
                   key=lambda q: (q.predicate.value != RDF_TYPE.value, q.predicate.value, str(q.object),
                                  str(q.graph_name)))
    incoming = []
    for quad in store.quads_for_pattern(None, None, node):
        incoming.append(quad)
        if len(incoming) > limit:
            break
    if not quads and not incoming:
        return None
    if fmt != "html":
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        prefixes = PREFIXES if fmt in ("turtle", "rdfxml") else None
        return ox.serialize(triples, format=GRAPH_FORMATS[fmt][1], prefixes=prefixes)
    incoming.sort(key=lambda q: (q.predicate.value, str(q.subject)))
    labels: dict[str, dict[str, str]] = {}
    for term in [node] + [q.predicate for q in quads + incoming] + [q.object for q in quads] \
            + [q.subject for q in incoming]:
        if isinstance(term, ox.NamedNode) and term.value not in labels:
            labels[term.value] = _label(store, term)
    sources = []
    for source in sorted({q.object for q in quads if q.predicate == DERIVED}, key=str):
        if not isinstance(source, ox.NamedNode):
            continue
        publisher = _first(store, source, DCT + "publisher")
        confidence = _first(store, source, PREFIXES["titp"] + "confidence")
        titles = _label(store, source) or {}
        for quad in store.quads_for_pattern(source, ox.NamedNode(DCT + "title"), None):
            if isinstance(quad.object, ox.Literal):
                titles[quad.object.language or ""] = quad.object.value
        sources.append({
            "iri": source.value,
            "titles": titles,
            "publisher": publisher.value if publisher is not None else None,
            "publisher_labels": _label(store, publisher) if publisher is not None else {},
            "issued": _first(store, source, DCT + "issued"),
            "url": _first(store, source, PREFIXES["schema"] + "url"),
            "confidence": confidence.value if confidence is not None else None,
            "confidence_labels": _label(store, confidence) if confidence is not None else {},
        })
    return {"iri": iri, "statements": [(q.predicate, q.object, q.graph_name) for q in quads],
            "incoming": [(q.subject, q.predicate, q.graph_name) for q in incoming[:limit]],
            "incoming_truncated": len(incoming) > limit, "labels": labels, "sources": sources}
