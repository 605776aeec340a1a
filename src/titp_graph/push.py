"""Publishing: upload every named graph to a SPARQL store (Graph Store HTTP Protocol),
then check the triple count of each graph on the remote side.

Blank nodes are skolemised to stable IRIs under ``/.well-known/genid/`` (RDF 1.1 §3.5):
our loader gives them stable labels, so a second push adds nothing new and a graph sent in
several chunks keeps its structure (a blank node sent in two requests would become two).
``replace`` PUTs the first chunk (the remote graph is emptied first); otherwise chunks are
POSTed (merged), which is idempotent because the triples are the same set each time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pyoxigraph as ox

from .errors import TitpError
from .namespaces import BASE, GRAPH
from .remote import remote_query

GENID = BASE + ".well-known/genid/"


@dataclass
class GraphPush:
    graph: str          # local named graph
    remote_graph: str   # where it went
    local: int
    remote: int | None = None

    @property
    def ok(self) -> bool:
        return self.remote == self.local


@dataclass
class PushReport:
    graphs: list[GraphPush] = field(default_factory=list)

    @property
    def differences(self) -> list[GraphPush]:
        return [g for g in self.graphs if not g.ok]

    def text(self) -> str:
        lines = [f"{'local':>10} {'remote':>10}  graph"]
        for g in self.graphs:
            mark = "" if g.ok else "   <-- differs"
            lines.append(f"{g.local:>10,} {g.remote if g.remote is not None else '?':>10}  {g.remote_graph}{mark}")
        bad = self.differences
        lines.append(f"{len(self.graphs)} graphs pushed; " +
                     ("all triple counts match" if not bad else f"{len(bad)} differ"))
        return "\n".join(lines)


def endpoints(endpoint: str, store_url: str | None = None, query_url: str | None = None) -> tuple[str, str]:
    """Graph Store and query URLs; by default Oxigraph server's ``/store`` and ``/query``."""
    base = endpoint.rstrip("/")
    for suffix in ("/store", "/query", "/sparql"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return store_url or base + "/store", query_url or base + "/query"


def skolemise(term):
    if isinstance(term, ox.BlankNode):
        return ox.NamedNode(GENID + term.value)
    return term


def rename_graph(graph: str, prefix: str | None) -> str:
    if prefix and graph.startswith(GRAPH):
        return prefix + graph[len(GRAPH):]
    return graph


def _chunks(store: ox.Store, graph: ox.NamedNode, size: int):
    triples = sorted((ox.Triple(skolemise(q.subject), q.predicate, skolemise(q.object))
                      for q in store.quads_for_pattern(None, None, None, graph)), key=str)
    for start in range(0, len(triples), size):
        yield triples[start:start + size], len(triples)
    if not triples:
        yield [], 0


def remote_count(query_url: str, graph: str, **auth) -> int:
    result = remote_query(query_url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                          {"g": ox.NamedNode(graph)}, **auth)
    return int(result.rows[0][0]) if result.rows else 0


def push(graph, endpoint: str, *, graph_prefix: str | None = None, replace: bool = False,
         user: str | None = None, password: str | None = None, chunk: int = 50_000,
         store_url: str | None = None, query_url: str | None = None, timeout: float = 300.0,
         progress: Callable[[str], None] | None = None) -> PushReport:
    """Upload each named graph of ``graph`` (a TitpGraph) and compare counts afterwards."""
    import httpx

    say = progress or (lambda message: None)
    store_url, query_url = endpoints(endpoint, store_url, query_url)
    if graph_prefix:
        try:
            ox.NamedNode(graph_prefix)
        except ValueError:
            raise TitpError(f"--graph-prefix {graph_prefix!r} is not an IRI") from None
    auth = httpx.BasicAuth(user, password or "") if user else None
    report = PushReport()
    names = [ox.NamedNode(g) for g in graph.graphs()]
    if not names:
        raise TitpError("nothing to push: the data has no named graphs")
    with httpx.Client(timeout=timeout, auth=auth) as client:
        for index, name in enumerate(names, start=1):
            target = rename_graph(name.value, graph_prefix)
            sent = 0
            for number, (triples, total) in enumerate(_chunks(graph.store, name, chunk)):
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
                method = "PUT" if replace and number == 0 else "POST"
                if not triples and method == "POST":
                    break
                try:
                    response = client.request(method, store_url, params={"graph": target}, content=body,
                                              headers={"Content-Type": "application/n-triples"})
                except httpx.HTTPError as exc:
                    raise TitpError(f"{store_url}: cannot upload graph <{target}>: {exc}") from None
                if response.status_code >= 400:
                    raise TitpError(f"{store_url}: {method} graph <{target}> answered "
                                    f"{response.status_code}: {response.text.strip()[:300]}")
                sent += len(triples)
                say(f"push [{index}/{len(names)}] {target}: {sent:,}/{total:,} triples")
            report.graphs.append(GraphPush(name.value, target, total))
    for item in report.graphs:
        item.remote = remote_count(query_url, item.remote_graph, user=user, password=password)
    return report
