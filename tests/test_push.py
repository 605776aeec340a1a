"""Publishing: push to a real Oxigraph server, remote queries, VoID/DCAT and ontology docs."""
from __future__ import annotations

import io
import os
import shlex
import shutil
import socket
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from titp_graph import TitpGraph
from titp_graph.build import BuildContext, BuildReport, _rdf_dumps
from titp_graph.export import ExportContext
from titp_graph.export.ontology_docs import ontology_docs_step, render
from titp_graph.export.void import void_step
from titp_graph.queries import bind, list_named, parse_param_options
from titp_graph.remote import inject_values, remote_query

OXIGRAPH = shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_oxigraph(folder: Path):
    if OXIGRAPH is None:
        # in CI a missing server is a failure: the push tests must really run there
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "the oxigraph server binary is not installed (pip install oxigraph)")
    port = _free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(folder),
                                "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "oxigraph server did not start"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph server (union default graph) on a free port: gets the bundled build."""
    process, url = _start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield url
    process.kill()
    process.wait(10)


@pytest.fixture()
def scratch_server(tmp_path):
    """A second, empty Oxigraph server for tests that push repeatedly or break counts."""
    process, url = _start_oxigraph(tmp_path / "oxigraph")
    yield url
    process.kill()
    process.wait(10)


@pytest.fixture(scope="module")
def curated(bundled_graph, tmp_path_factory):
    """The non-synthetic graphs only (Oxigraph server inserts ~10k triples/s: keep pushes small)."""
    graph = TitpGraph()
    graph.store.extend([q for q in bundled_graph.store if "/graph/synthetic/" not in q.graph_name.value])
    path = tmp_path_factory.mktemp("curated") / "curated.trig"
    path.write_bytes(ox.serialize(sorted(graph.store, key=str), format=ox.RdfFormat.TRIG))
    graph.path = path
    return graph


@pytest.fixture(scope="module")
def pushed(oxigraph_server, bundled_graph):
    from titp_graph.push import push

    messages = []
    report = push(bundled_graph, oxigraph_server, chunk=20_000, progress=messages.append)
    return report, messages


pytestmark = pytest.mark.server


def test_push_uploads_every_graph_with_matching_counts(pushed, bundled_graph):
    report, messages = pushed
    assert [g.graph for g in report.graphs] == bundled_graph.graphs()
    assert not report.differences, report.text()
    assert sum(g.local for g in report.graphs) == len(bundled_graph)
    assert any("push [1/" in m for m in messages)
    assert "all triple counts match" in report.text()


def test_push_again_is_idempotent_and_replace_works(scratch_server, curated):
    from titp_graph.push import push

    first = push(curated, scratch_server, chunk=500)
    again = push(curated, scratch_server, chunk=7_000)  # blank nodes are skolemised: nothing doubles
    assert not first.differences and not again.differences
    assert [g.remote for g in again.graphs] == [g.remote for g in first.graphs]
    assert not push(curated, scratch_server, replace=True).differences


def test_push_reports_a_difference_and_graph_prefix(scratch_server, curated):
    from titp_graph.push import push

    push(curated, scratch_server)
    graph = curated.graphs()[0]
    extra = "<urn:x:extra> <urn:x:p> \"stale\" ."
    httpx.post(scratch_server + "/store", params={"graph": graph}, content=extra,
               headers={"Content-Type": "application/n-triples"}).raise_for_status()
    report = push(curated, scratch_server)
    assert [d.graph for d in report.differences] == [graph]
    assert "differs" in report.text()
    assert not push(curated, scratch_server, replace=True).differences
    renamed = push(curated, scratch_server, graph_prefix="https://example.org/mirror/")
    assert all(g.remote_graph.startswith("https://example.org/mirror/") for g in renamed.graphs)
    assert not renamed.differences


def _examples():
    cases = []
    for query in list_named():
        for example in query.examples or (f"titp-graph query --name {query.name}",):
            words = shlex.split(example)
            params = [words[i + 1] for i, w in enumerate(words) if w in ("--param", "-p")]
            cases.append(pytest.param(query, parse_param_options(params), id=f"{query.name}-{len(cases)}"))
    return cases


def _key(row):
    """A row as text; GROUP_CONCAT lists ("a; b") are sorted, since their order is not defined."""
    return str(tuple("; ".join(sorted(t.value.split("; "))) if isinstance(t, ox.Literal) else t for t in row))


@pytest.mark.parametrize("query,values", _examples())
def test_named_questions_remote_equal_local(pushed, oxigraph_server, bundled_graph, query, values):
    bindings = bind(query, values)
    local = bundled_graph.query(query.text, bindings)
    remote = remote_query(oxigraph_server + "/query", query.text, bindings)
    assert remote.kind == local.kind
    if local.kind == "select":
        assert remote.columns == local.columns
        assert sorted(map(_key, remote.terms)) == sorted(map(_key, local.terms))
    else:
        assert sorted(map(str, remote.triples)) == sorted(map(str, local.triples))


def test_remote_bindings_stay_values(pushed, oxigraph_server):
    hostile = ox.Literal('x" } } DROP ALL ; SELECT * { ?s ?p ?o #\n')
    result = remote_query(oxigraph_server + "/query",
                          "SELECT ?s WHERE { ?s rdfs:label ?label }", {"label": hostile})
    assert result.kind == "select" and result.rows == []
    assert "DROP ALL" in inject_values("SELECT ?s { ?s ?p ?label }", {"label": hostile})  # inside the literal
    still = remote_query(oxigraph_server + "/query", "ASK { ?s a titp:SourceDocument }")
    assert still.boolean is True


def test_remote_errors_are_clear(oxigraph_server):
    from titp_graph.errors import TitpError

    with pytest.raises(TitpError, match="answered 400"):
        remote_query(oxigraph_server + "/query", "SELECT ?s WHERE {")
    with pytest.raises(TitpError, match="cannot reach"):
        remote_query(f"http://127.0.0.1:{_free_port()}/query", "ASK {}")


def test_cli_push(scratch_server, curated, cli_cmd, cli_env):
    run = subprocess.run(cli_cmd + ["push", "--endpoint", scratch_server, "--from", str(curated.path), "-q"],
                         capture_output=True,
                         text=True, env=cli_env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "all triple counts match" in run.stdout
    bad = subprocess.run(cli_cmd + ["push", "--endpoint", f"http://127.0.0.1:{_free_port()}",
                                    "--from", str(curated.path), "-q"],
                         capture_output=True, text=True, env=cli_env, timeout=300)
    assert bad.returncode == 1 and "cannot upload" in bad.stderr and "Traceback" not in bad.stderr


# -- VoID / DCAT and ontology docs -------------------------------------------------------------
def _build_exports(graph: TitpGraph, folder: Path) -> Path:
    folder.mkdir()
    ctx = BuildContext(graph, folder, BuildReport(), ExportContext(graph.store), lambda m: None)
    for step in (_rdf_dumps, ontology_docs_step, void_step):
        step(ctx)
    return folder


@pytest.fixture(scope="module")
def exports(curated, tmp_path_factory):
    return _build_exports(curated, tmp_path_factory.mktemp("void") / "exports")


def test_void_describes_every_file_and_the_data(exports, curated):
    bundled_graph = curated
    graph = rdflib.Graph().parse(exports / "void.ttl", format="turtle")
    VOID, DCAT, DCT = (rdflib.Namespace(n) for n in ("http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#",
                                                      "http://purl.org/dc/terms/"))
    dataset = rdflib.URIRef("https://w3id.org/titp-graph/dataset")
    files = sorted(p.relative_to(exports).as_posix() for p in exports.rglob("*") if p.is_file())
    urls = {str(graph.value(d, DCAT.downloadURL)): d for d in graph.objects(dataset, DCAT.distribution)}
    assert sorted(u.rsplit("/exports/", 1)[1] for u in urls) == files
    for dist in urls.values():
        assert graph.value(dist, DCAT.mediaType) is not None and graph.value(dist, DCT.license) is not None
    media = {u.rsplit("/exports/", 1)[1]: str(graph.value(d, DCAT.mediaType)) for u, d in urls.items()}
    assert media["titp.trig"].endswith("application/trig") and media["ontology/index.html"].endswith("text/html")
    dumps = {str(o).rsplit("/", 1)[1] for o in graph.objects(dataset, VOID.dataDump)}
    assert {"titp.ttl", "titp.trig", "titp.nt", "titp.nq"} <= dumps
    distinct = {ox.Triple(q.subject, q.predicate, q.object) for q in bundled_graph.store}
    assert int(graph.value(dataset, VOID.triples)) == len(distinct)
    subsets = {str(s) for s in graph.objects(dataset, VOID.subset)}
    assert subsets == set(bundled_graph.graphs())
    issued = bundled_graph.query("SELECT ?d WHERE { ?o a owl:Ontology ; dct:issued ?d } LIMIT 1").rows
    assert graph.value(dataset, DCT.issued).toPython() == issued[0][0]
    assert (dataset, VOID.sparqlEndpoint, None) not in graph
    assert any(graph.value(p, VOID["class"]) == rdflib.URIRef("https://w3id.org/titp-graph/ontology#SourceDocument")
               for p in graph.objects(dataset, VOID.classPartition))
    assert rdflib.URIRef("https://w3id.org/titp-graph/ontology#") in set(graph.objects(dataset, VOID.vocabulary))


def test_void_is_deterministic_and_endpoint_only_when_given(exports, curated, tmp_path, monkeypatch):
    bundled_graph = curated
    again = _build_exports(bundled_graph, tmp_path / "again")
    assert (again / "void.ttl").read_bytes() == (exports / "void.ttl").read_bytes()
    assert (again / "ontology" / "index.html").read_bytes() == (exports / "ontology" / "index.html").read_bytes()
    monkeypatch.setenv("TITP_GRAPH_SPARQL_ENDPOINT", "https://example.org/sparql")
    third = _build_exports(bundled_graph, tmp_path / "third")
    assert "void:sparqlEndpoint <https://example.org/sparql>" in (third / "void.ttl").read_text()


def test_void_graph_sizes_from_the_load_report_and_the_rest_counted(tmp_path):
    """The build hands VoID the triple counts it took when loading; a graph added later (the
    derived summaries) is counted in the store. Every subset must carry its true size."""
    graph = TitpGraph()
    report = BuildReport()
    report.files = graph.load_bundled().files
    derived = "https://w3id.org/titp-graph/graph/derived/test"
    graph.store.extend([ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), ox.Literal(str(i)),
                                ox.NamedNode(derived)) for i in range(3)])
    folder = tmp_path / "exports"
    folder.mkdir()
    void_step(BuildContext(graph, folder, report, ExportContext(graph.store), lambda m: None))
    void = rdflib.Graph().parse(folder / "void.ttl", format="turtle")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef("https://w3id.org/titp-graph/dataset")
    sizes = {str(g): int(void.value(g, VOID.triples)) for g in void.objects(dataset, VOID.subset)}
    assert set(sizes) == set(graph.graphs()) and sizes[derived] == 3
    for name, size in sizes.items():
        assert size == graph.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}").rows[0][0], name


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.text, self.attrs = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self.ids.update(v for k, v in attrs if k == "id")

    def handle_data(self, data):
        self.text.append(data)


def test_ontology_docs_list_terms_with_labels(exports):
    page = _Page()
    page.feed((exports / "ontology" / "index.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    for local in ("SendingOrganization", "SupervisingOrganization", "Placement", "Payment"):
        assert local in page.ids
    assert "送出機関" in text or "送出し機関" in text
    assert any(i.startswith("scheme-") for i in page.ids)
    internal = [v[1:] for k, v in page.attrs if k == "href" and v.startswith("#")]
    assert internal and all(target in page.ids for target in internal)
    assert "script" not in page.tags and "link" not in page.tags


def test_ontology_docs_escape_hostile_text():
    store = ox.Store()
    cls = ox.NamedNode("https://w3id.org/titp-graph/ontology#Evil")
    store.add(ox.Quad(cls, ox.NamedNode(rdflib.RDF.type), ox.NamedNode(str(rdflib.OWL.Class))))
    store.add(ox.Quad(cls, ox.NamedNode(str(rdflib.RDFS.comment)), ox.Literal("<script>alert(1)</script>", language="en")))
    store.add(ox.Quad(cls, ox.NamedNode(str(rdflib.RDFS.seeAlso)), ox.NamedNode("javascript:alert(2)")))
    page = _Page()
    page.feed(render(store))
    assert "script" not in page.tags
    assert "<script>alert(1)</script>" in " ".join(page.text)
    assert not any(v.startswith("javascript:") for k, v in page.attrs if k == "href")
