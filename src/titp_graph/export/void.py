"""void.ttl: VoID and DCAT metadata, so crawlers and catalogues can find and judge the data.

Describes the dataset (triples, entities, class and property partitions, vocabularies),
each named graph as a subset (one per input file), and one ``dcat:Distribution`` per file
in the exports folder. Everything comes from the data, never the clock: the issued date is
the ontology's ``dct:issued``, the version its ``owl:versionInfo``. Register
:func:`void_step` last in the build, so it sees every file the other steps wrote.

Download links are absolute under ``TITP_GRAPH_DOWNLOAD_BASE`` (default
``https://w3id.org/titp-graph/exports/``); ``void:sparqlEndpoint`` is written only when
``TITP_GRAPH_SPARQL_ENDPOINT`` is set.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from .. import __version__
from ..atomic import write_bytes
from ..namespaces import BASE, GRAPH, PREFIXES, compact
from .base import Distribution, ExportContext, Exporter

DATASET = BASE + "dataset"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DEFAULT_DOWNLOAD_BASE = BASE + "exports/"
_VOCABULARIES = ("titp", "rdf", "rdfs", "owl", "xsd", "skos", "dct", "prov", "foaf", "org", "rov",
                 "schema", "eli", "time", "qb", "sh", "void", "dcat", "adms")
_MEDIA = {".ttl": "text/turtle", ".trig": "application/trig", ".nt": "application/n-triples",
          ".nq": "application/n-quads", ".jsonld": "application/ld+json", ".rdf": "application/rdf+xml",
          ".html": "text/html", ".graphml": "application/graphml+xml", ".gexf": "application/gexf+xml",
          ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json",
          ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png",
          ".md": "text/markdown", ".txt": "text/plain", ".rq": "application/sparql-query"}
_RDF_DUMPS = {".ttl", ".trig", ".nt", ".nq", ".jsonld", ".rdf"}

V = lambda local: ox.NamedNode(PREFIXES["void"] + local)  # noqa: E731
D = lambda local: ox.NamedNode(PREFIXES["dcat"] + local)  # noqa: E731
T = lambda local: ox.NamedNode(PREFIXES["dct"] + local)  # noqa: E731
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
XSD_INT = ox.NamedNode(PREFIXES["xsd"] + "integer")


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INT)


def _key(iri: str) -> str:
    """A readable, stable fragment for a partition IRI."""
    short = compact(iri)
    if not short.startswith("<"):
        return re.sub(r"[^A-Za-z0-9_.-]", "-", short)
    return hashlib.sha256(iri.encode()).hexdigest()[:12]


def media_type(path: str) -> str:
    return _MEDIA.get(Path(path).suffix.lower(), "application/octet-stream")


def file_distributions(folder: Path, skip: tuple[str, ...] = ()) -> list[Distribution]:
    """Every file under ``folder`` (relative path, sorted), as a distribution."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or rel in skip or any(p.startswith(".") for p in Path(rel).parts):
            continue
        out.append(Distribution(rel, media_type(rel), rel, ""))
    return out


class VoidExport(Exporter):
    name = "void"
    filename = "void.ttl"
    media_type = "text/turtle"
    title = "Dataset metadata (VoID + DCAT)"
    format_iri = "http://www.w3.org/ns/formats/Turtle"

    def __init__(self, distributions: list[Distribution] = (), sizes: dict[str, int] | None = None,
                 download_base: str | None = None, sparql_endpoint: str | None = None,
                 graph_sizes: dict[str, int] | None = None):
        self.distributions = list(distributions)
        self.sizes = sizes or {}
        #: triples per named graph already counted (the load report's): not counted again
        self.graph_sizes = dict(graph_sizes or {})
        self.download_base = download_base or os.environ.get("TITP_GRAPH_DOWNLOAD_BASE") or DEFAULT_DOWNLOAD_BASE
        self.sparql_endpoint = sparql_endpoint if sparql_endpoint is not None else \
            os.environ.get("TITP_GRAPH_SPARQL_ENDPOINT") or None

    def triples(self, context: ExportContext) -> list[ox.Triple]:
        store = context.store
        q = lambda text: list(store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True))  # noqa: E731
        ds = ox.NamedNode(DATASET)
        out: list[ox.Triple] = []
        add = lambda s, p, o: out.append(ox.Triple(s, p, o))  # noqa: E731
        add(ds, RDF_TYPE, V("Dataset"))
        add(ds, RDF_TYPE, D("Dataset"))
        add(ds, T("title"), ox.Literal("titp-graph: the recruitment supply chain behind Japan's "
                                       "Technical Intern Training Program", language="en"))
        add(ds, T("title"), ox.Literal("titp-graph：技能実習制度の募集・送出しサプライチェーンの知識グラフ", language="ja"))
        add(ds, T("description"), ox.Literal(
            "A sourced knowledge graph of sending organizations, brokers, supervising organizations "
            "and employers under TITP, ESD and SSW: fees, debts, laws, agreements, statistics and "
            "claims, each with its source. Synthetic records are marked titp:synthetic and kept in "
            "their own named graphs.", language="en"))
        add(ds, T("license"), ox.NamedNode(LICENSE))
        add(ds, T("publisher"), ox.Literal("titp-graph developers"))
        add(ds, D("landingPage"), ox.NamedNode(BASE))
        add(ds, V("uriSpace"), ox.Literal(BASE + "id/"))
        add(ds, V("feature"), ox.NamedNode("http://www.w3.org/ns/formats/Turtle"))
        header = q("SELECT ?issued ?version WHERE { ?o a owl:Ontology . OPTIONAL { ?o dct:issued ?issued } "
                   "OPTIONAL { ?o owl:versionInfo ?version } } ORDER BY ?o LIMIT 1")
        version = ox.Literal(__version__)
        if header:
            if header[0]["issued"] is not None:
                add(ds, T("issued"), header[0]["issued"])
            if header[0]["version"] is not None:
                version = header[0]["version"]
        add(ds, D("version"), version)
        add(ds, ox.NamedNode(PREFIXES["owl"] + "versionInfo"), version)
        if self.sparql_endpoint:
            add(ds, V("sparqlEndpoint"), ox.NamedNode(self.sparql_endpoint))

        # one pass over the distinct triples gives the property partitions and the total
        if context.large:
            # large data: no DISTINCT over ~26M quads (a triple stated in two graphs counts
            # twice) and entities are the typed IRI subjects (no string test per subject)
            properties = q("SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p")
            entities = q("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } FILTER(isIRI(?s)) }")
        else:
            properties = q("SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } } "
                           "GROUP BY ?p ORDER BY ?p")
            entities = q(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o "
                         f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), \"{BASE}\")) }}")
        add(ds, V("triples"), _int(sum(int(row["n"].value) for row in properties)))
        add(ds, V("entities"), _int(int(entities[0]["n"].value)))
        for row in q("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c"):
            part = ox.NamedNode(f"{DATASET}#class-{_key(row['c'].value)}")
            add(ds, V("classPartition"), part)
            add(part, V("class"), row["c"])
            add(part, V("entities"), row["n"])
        used = set()
        for row in properties:
            part = ox.NamedNode(f"{DATASET}#property-{_key(row['p'].value)}")
            add(ds, V("propertyPartition"), part)
            add(part, V("property"), row["p"])
            add(part, V("triples"), row["n"])
            used.add(row["p"].value)
        used.update(r["c"].value for r in q("SELECT DISTINCT ?c WHERE { ?s a ?c FILTER(isIRI(?c)) }"))
        for prefix in _VOCABULARIES:
            namespace = PREFIXES[prefix]
            if any(iri.startswith(namespace) for iri in used):
                add(ds, V("vocabulary"), ox.NamedNode(namespace))
        for graph, count in self._graph_sizes(store, q):
            add(ds, V("subset"), graph)
            add(graph, RDF_TYPE, V("Dataset"))
            add(graph, V("triples"), _int(count))
            label = graph.value[len(GRAPH):] if graph.value.startswith(GRAPH) else graph.value
            add(graph, T("title"), ox.Literal(label))
            if label.startswith("synthetic/"):
                add(graph, RDF_TYPE, ox.NamedNode(PREFIXES["titp"] + "SyntheticDataset"))

        for dist in sorted(self.distributions, key=lambda d: d.filename):
            url = ox.NamedNode(self.download_base + quote(dist.filename, safe="/-._~"))
            node = ox.NamedNode(f"{DATASET}#distribution-{re.sub(r'[^A-Za-z0-9_.-]', '-', dist.filename)}")
            add(ds, D("distribution"), node)
            add(node, RDF_TYPE, D("Distribution"))
            add(node, T("title"), ox.Literal(dist.title))
            add(node, D("downloadURL"), url)
            add(node, D("accessURL"), url)
            add(node, D("mediaType"), ox.NamedNode("https://www.iana.org/assignments/media-types/" + dist.media_type))
            if dist.format_iri:
                add(node, T("format"), ox.NamedNode(dist.format_iri))
            add(node, T("license"), ox.NamedNode(LICENSE))
            if dist.filename in self.sizes:
                add(node, D("byteSize"), _int(self.sizes[dist.filename]))
            if Path(dist.filename).suffix.lower() in _RDF_DUMPS and "/" not in dist.filename:
                add(ds, V("dataDump"), url)
        return sorted(set(out), key=lambda t: (str(t.subject), t.predicate.value != RDF_TYPE.value,
                                               str(t.predicate), str(t.object)))

    def _graph_sizes(self, store, q) -> list[tuple[ox.NamedNode, int]]:
        """Triples per named graph: those given (counted when loaded) and the rest counted
        one graph at a time; all of them in one pass over the store when none is given.
        Why: on a national store the pass over every quad takes ~30 s, and the build has
        counted its input graphs already."""
        if not self.graph_sizes:
            return [(row["g"], int(row["n"].value)) for row in
                    q("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
                    if isinstance(row["g"], ox.NamedNode)]
        out = []
        for graph in sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value):
            count = self.graph_sizes.get(graph.value)
            if count is None:
                count = int(q(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")[0]["n"].value)
            if count:
                out.append((graph, count))
        return out

    def write(self, context: ExportContext, out) -> None:
        prefixes = {p: PREFIXES[p] for p in ("void", "dcat", "dct", "owl", "xsd", "titp")}
        prefixes["tgd"] = DATASET + "#"
        ox.serialize(self.triples(context), out, ox.RdfFormat.TURTLE, prefixes=prefixes)


def void_step(ctx) -> None:
    """Build step (register it last): write void.ttl describing every file written so far."""
    from ..export import RDF_EXPORTERS

    known = {e.filename: e().distribution() for e in RDF_EXPORTERS}
    dists = [known.get(d.filename, d) for d in file_distributions(ctx.folder, skip=(VoidExport.filename,))]
    sizes = {d.filename: (ctx.folder / d.filename).stat().st_size for d in dists}
    dists.append(VoidExport().distribution())  # itself too, without a size
    ctx.progress("export: writing void.ttl (VoID + DCAT)")
    # the input graphs were counted when loaded; a build adds only its derived graph after
    loaded = {f["graph"]: int(f["triples"]) for f in ctx.report.files
              if f.get("triples") is not None and f.get("graph")}
    exporter = VoidExport(dists, sizes, graph_sizes=loaded)
    buffer = io.BytesIO()
    exporter.write(ctx.export, buffer)
    write_bytes(ctx.folder / exporter.filename, buffer.getvalue())
    ctx.report.written.append(exporter.filename)
