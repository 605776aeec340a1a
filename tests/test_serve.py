"""The read-only SPARQL endpoint and linked-data pages, against a real uvicorn server.

Clients are the ones analysts use (SPARQLWrapper, rdflib's SPARQLStore, plain HTTP), and
answers are compared with the same query run in-process.
"""
from __future__ import annotations

import csv
import io
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from titp_graph import TitpGraph
from titp_graph.serve.sparql import ProtocolError, check_query, choose_format, keywords

BASE = "https://w3id.org/titp-graph/"
SMALL = """
@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/titp-graph/graph/curated/agencies> {
  <https://w3id.org/titp-graph/id/agency/jp-isa> a titp:GovernmentAgency ;
    rdfs:label "Immigration Services Agency"@en , "出入国在留管理庁"@ja .
  <https://w3id.org/titp-graph/concept/confidence/V1> skos:prefLabel "verified in a primary source"@en .
}
<https://w3id.org/titp-graph/graph/curated/sources> {
  <https://w3id.org/titp-graph/id/source/isa-2022-fee-survey> a titp:SourceDocument ;
    dct:title "Fee survey <script>alert('t')</script>"@en ;
    dct:publisher <https://w3id.org/titp-graph/id/agency/jp-isa> ;
    dct:issued "2022-07-26"^^xsd:date ;
    schema:url "javascript:alert(1)"^^xsd:anyURI ;
    titp:confidence <https://w3id.org/titp-graph/concept/confidence/V1> .
}
<https://w3id.org/titp-graph/graph/curated/statistics> {
  <https://w3id.org/titp-graph/id/observation/isa-2022-fee-mean> a titp:Observation ;
    rdfs:label "mean fee <img src=x onerror=alert(2)> SERVICE"@en ;
    titp:value 542311 ; titp:unit <https://w3id.org/titp-graph/concept/unit/JPY> ;
    prov:wasDerivedFrom <https://w3id.org/titp-graph/id/source/isa-2022-fee-survey> .
  <https://w3id.org/titp-graph/id/observation/isa-2022-fee-mean-vn> a titp:Observation ;
    titp:value 688143 ; titp:nationality <https://w3id.org/titp-graph/id/country/VN> ;
    prov:wasDerivedFrom <https://w3id.org/titp-graph/id/source/isa-2022-fee-survey> .
}
"""
SELECT = "SELECT ?obs ?value WHERE { ?obs a titp:Observation ; titp:value ?value } ORDER BY ?obs"
CARTESIAN = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . "
             "?p ?q ?r . ?s ?t ?u . ?v ?w ?x . ?y ?z ?aa . ?bb ?cc ?dd }")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    (folder / "titp.trig").write_text(SMALL, encoding="utf-8")
    (folder / "views").mkdir()
    (folder / "views" / "chains.html").write_text("<!DOCTYPE html><title>view</title>", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def local(data_dir):
    return TitpGraph.open(data_dir)


@pytest.fixture(scope="module")
def server(data_dir):
    """A real uvicorn server on a free 127.0.0.1 port: 1 s time limit, 10-row limit, 2 workers."""
    import uvicorn

    from titp_graph.serve.app import create_app

    app = create_app(data_dir, data_dir, timeout=1.0, max_results=10, workers=2)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:
        assert time.monotonic() < deadline, "server did not start"
        assert thread.is_alive(), "server failed to start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    uv.should_exit = True
    thread.join(10)


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server[0], timeout=30) as client:
        yield client


pytestmark = pytest.mark.server


# -- protocol: clients analysts use ----------------------------------------------------------
def test_sparqlwrapper_select_matches_local(server, local):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(server[0] + "/sparql")
    client.setQuery("PREFIX titp: <https://w3id.org/titp-graph/ontology#>\n" + SELECT)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    remote = [(b["obs"]["value"], int(b["value"]["value"])) for b in answer["results"]["bindings"]]
    assert remote == local.query(SELECT).rows
    assert len(remote) == 2


def test_rdflib_sparqlstore_select_and_ask(server, local):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server[0] + "/sparql", returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = [(str(r.obs), int(r.value)) for r in graph.query(SELECT)]
    assert rows == local.query(SELECT).rows
    assert graph.query("ASK { ?s a titp:SourceDocument }").askAnswer is True


@pytest.mark.parametrize("fmt,media", [("json", "application/sparql-results+json"),
                                       ("xml", "application/sparql-results+xml"),
                                       ("tsv", "text/tab-separated-values")])
def test_result_formats_by_accept_and_param_parse_back(http, local, fmt, media):
    by_accept = http.get("/sparql", params={"query": SELECT}, headers={"Accept": media})
    by_param = http.get("/sparql", params={"query": SELECT, "format": fmt})
    for response in (by_accept, by_param):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        parsed = ox.parse_query_results(response.content, getattr(ox.QueryResultsFormat, fmt.upper()))
        assert [tuple(s[v] for v in ("obs", "value")) for s in parsed] == local.query(SELECT).terms


def test_csv_results(http, local):
    response = http.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["obs", "value"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == local.query(SELECT).rows


def test_post_form_and_direct_body(http, local):
    form = http.post("/sparql", data={"query": SELECT}, headers={"Accept": "application/sparql-results+json"})
    direct = http.post("/sparql", content=SELECT.encode(), headers={"Content-Type": "application/sparql-query"})
    for response in (form, direct):
        assert response.status_code == 200, response.text
        bindings = response.json()["results"]["bindings"]
        assert [b["obs"]["value"] for b in bindings] == [r[0] for r in local.query(SELECT).rows]


@pytest.mark.parametrize("fmt,media,parser", [("turtle", "text/turtle", "turtle"),
                                              ("ntriples", "application/n-triples", "nt"),
                                              ("jsonld", "application/ld+json", "json-ld"),
                                              ("rdfxml", "application/rdf+xml", "xml")])
def test_construct_formats_are_isomorphic_to_local(http, local, fmt, media, parser):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <%sgraph/curated/statistics> { ?s ?p ?o } }" % BASE
    response = http.get("/sparql", params={"query": query}, headers={"Accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    remote = rdflib.Graph().parse(data=response.text, format=parser)
    expected = rdflib.Graph().parse(data=local.query(query).to_rdf("ntriples"), format="nt")
    assert len(remote) == 9
    assert isomorphic(remote, expected)


def test_default_and_named_graph_uri_are_honoured(http):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = http.get("/sparql", params={"query": count}).json()
    only_agencies = http.get("/sparql", params={"query": count,
                                                "default-graph-uri": BASE + "graph/curated/agencies"}).json()
    n = lambda answer: int(answer["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert n(union) == 19 and n(only_agencies) == 4
    graphs = http.get("/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                         "named-graph-uri": BASE + "graph/curated/sources"}).json()
    assert [b["g"]["value"] for b in graphs["results"]["bindings"]] == [BASE + "graph/curated/sources"]


def test_service_description_without_query(http):
    response = http.get("/sparql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in graph
    names = {str(o) for o in graph.objects(None, sd.name)}
    assert names == {BASE + "graph/curated/" + g for g in ("agencies", "sources", "statistics")}


# -- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "params": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
    {"method": "POST", "data": {"update": "DROP ALL"}},
    {"method": "POST", "content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "POST", "content": b"PREFIX x: <http://x/>\nDELETE WHERE { ?s ?p ?o }",
     "headers": {"Content-Type": "application/sparql-query"}},
])
def test_updates_are_refused_and_change_nothing(http, request_kwargs):
    method = request_kwargs.pop("method")
    response = http.request(method, "/sparql", **request_kwargs)
    assert 400 <= response.status_code < 500
    assert "read-only" in response.text
    count = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}).json()
    assert count["results"]["bindings"][0]["n"]["value"] == "19"


def test_service_is_refused_but_the_word_in_data_is_fine(http):
    refused = http.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
    assert refused.status_code == 400 and "SERVICE" in refused.text
    lowercase = http.get("/sparql", params={"query": "select * where { service <http://x/> { ?s ?p ?o } }"})
    assert lowercase.status_code == 400
    fine = http.get("/sparql", params={"query": 'SELECT ?s WHERE { ?s rdfs:label ?l FILTER(CONTAINS(?l, "SERVICE")) } # SERVICE'})
    assert fine.status_code == 200, fine.text
    assert len(fine.json()["results"]["bindings"]) == 1


def test_syntax_error_is_400_with_message(http):
    response = http.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert response.status_code == 400 and "syntax" in response.text.lower()


def test_runaway_query_is_stopped_while_another_client_is_served(server, http):
    def slow():
        with httpx.Client(base_url=server[0], timeout=30) as client:
            start = time.monotonic()
            response = client.get("/sparql", params={"query": CARTESIAN})
            return response, time.monotonic() - start

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(slow)
        time.sleep(0.2)
        start = time.monotonic()
        quick = http.get("/sparql", params={"query": SELECT})
        quick_time = time.monotonic() - start
        response, took = future.result()
    assert quick.status_code == 200 and quick_time < 1.0
    assert response.status_code == 503 and "time limit" in response.text
    assert took < 5
    # the stopped worker is replaced: the server keeps answering, twice in parallel
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: httpx.get(server[0] + "/sparql", params={"query": SELECT}, timeout=30),
                                range(2)))
    assert [a.status_code for a in answers] == [200, 200]


def test_result_size_limit(http):
    response = http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 500 and "more than 10" in response.text
    assert http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}).status_code == 200


# -- linked data and pages -------------------------------------------------------------------
class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def _parse(html_text: str) -> _Collect:
    parser = _Collect()
    parser.feed(html_text)
    return parser


def test_entity_page_shows_statements_sources_and_escapes(http):
    response = http.get("/id/observation/isa-2022-fee-mean", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = _parse(response.text)
    text = " ".join(page.text)
    assert "mean fee <img src=x onerror=alert(2)> SERVICE" in text  # shown as text
    assert "Fee survey <script>alert('t')</script>" in text
    assert "Immigration Services Agency" in text and "2022-07-26" in text
    assert "verified in a primary source" in text
    assert "curated/statistics" in text and "542311" in text
    assert "script" not in page.tags and "img" not in page.tags
    hrefs = [v for k, v in page.attrs if k == "href"]
    assert "/id/source/isa-2022-fee-survey" in hrefs and "/id/agency/jp-isa" in hrefs
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    assert not any(k == "src" for k, _ in page.attrs)  # nothing loaded from anywhere


def test_entity_turtle_and_jsonld_by_accept(http, local):
    iri = BASE + "id/source/isa-2022-fee-survey"
    for media, parser in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = http.get("/id/source/isa-2022-fee-survey", headers={"Accept": media})
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
        graph = rdflib.Graph().parse(data=response.text, format=parser)
        assert len(graph) == 6
        assert set(graph.subjects()) == {rdflib.URIRef(iri)}


def test_entity_linked_from_and_unknown_is_404(http):
    agency = http.get("/id/agency/jp-isa")
    assert "出入国在留管理庁" in agency.text and "/id/source/isa-2022-fee-survey" in agency.text
    assert http.get("/id/agency/nobody").status_code == 404
    assert http.get("/id/agency/nobody", headers={"Accept": "text/turtle"}).status_code == 404


def test_query_page_and_static_exports(http):
    home = http.get("/")
    assert home.status_code == 200
    page = _parse(home.text)
    assert "form" in page.tags and "textarea" in page.tags
    assert "script" not in page.tags and "link" not in page.tags  # offline: no CDN, no scripts
    view = http.get("/exports/views/chains.html")
    assert view.status_code == 200 and "<title>view</title>" in view.text
    dump = http.get("/exports/titp.trig")
    assert dump.status_code == 200 and len(ox.Dataset(ox.parse(dump.content, ox.RdfFormat.TRIG))) == 19
    assert http.get("/exports/../pyproject.toml").status_code == 404


# -- the guard and negotiation, without a server ----------------------------------------------
@pytest.mark.parametrize("query", [
    'SELECT * { ?s ?p "SERVICE" }', "SELECT * { ?s <http://x/SERVICE> ?o }", "SELECT ?service { ?service ?p ?o }",
    "PREFIX service: <http://x/> SELECT * { ?s service:x ?o }", "# SERVICE <http://x>\nASK {}",
    "SELECT * { ?s ?p '''a\n SERVICE \n''' }"])
def test_guard_lets_the_word_service_be_data(query):
    check_query(query)


@pytest.mark.parametrize("query,status", [
    ("SELECT * { SERVICE SILENT <http://x/> { ?s ?p ?o } }", 400), ("select * { service ?x { } }", 400),
    ("PREFIX a: <http://a/> INSERT DATA { a:a a:a a:a }", 403), ("LOAD <http://x/>", 403),
    ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", 403), ("   ", 400), ("x" * 100_001, 400)])
def test_guard_refuses(query, status):
    with pytest.raises(ProtocolError) as info:
        check_query(query)
    assert info.value.status == status


def test_format_choice():
    assert choose_format("results", "text/csv;q=0.5, application/sparql-results+xml", None) == "xml"
    assert choose_format("results", "*/*", None) == "json"
    assert choose_format("graph", "application/ld+json", "turtle") == "turtle"
    assert choose_format("graph", "text/html,*/*;q=0.8", None) == "turtle"
    with pytest.raises(ProtocolError):
        choose_format("results", None, "turtle")
    assert keywords('SELECT ?x { ?x ex:y "z" }') == ["SELECT"]
