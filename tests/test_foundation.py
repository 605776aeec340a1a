"""The spine: build, query, stats and their failures, as a user meets them."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from titp_graph import TitpGraph, TitpError
from titp_graph.build import build
from titp_graph.cli import main
from titp_graph.export import RDF_EXPORTERS

RDF_FILES = [e.filename for e in RDF_EXPORTERS]


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> sha256 of every file under ``folder`` (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "exports"
    build(out)
    return out


# -- the main job ----------------------------------------------------------------------

def test_build_writes_every_rdf_export(built):
    for name in RDF_FILES:
        assert (built / name).stat().st_size > 1000, name


def test_build_is_byte_identical_when_repeated(built, tmp_path):
    again = tmp_path / "again"
    build(again)
    first, second = tree_digest(built), tree_digest(again)
    assert first == second
    assert set(RDF_FILES) <= set(first)


def test_each_input_file_is_its_own_named_graph(bundled_graph):
    graphs = bundled_graph.graphs()
    assert "https://w3id.org/titp-graph/graph/ontology/titp" in graphs
    assert any(g.startswith("https://w3id.org/titp-graph/graph/curated/") for g in graphs)
    labels = {f["label"] for f in bundled_graph.loaded.files}
    assert len(labels) == len(bundled_graph.loaded.files) == len(graphs)


def _split(triples):
    """Ground triples as N-Triples strings, and the triples that touch blank nodes."""
    ground, with_bnodes = set(), []
    for s, p, o in triples:
        if isinstance(o, rdflib.Literal) and o.datatype == rdflib.XSD.string:
            o = rdflib.Literal(str(o))
        if isinstance(s, rdflib.BNode) or isinstance(o, rdflib.BNode):
            with_bnodes.append((s, p, o))
        else:
            ground.add(f"{s.n3()} {p.n3()} {o.n3()}")
    return ground, with_bnodes


def _rdflib_graph(triples) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    return g


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):
        return rdflib.Literal(term.value)  # RDF 1.1: a simple literal is an xsd:string
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


_EXPECTED: dict = {}


def _expected(bundled_graph):
    """The store's quads as rdflib terms by graph (computed once: it takes seconds)."""
    if _EXPECTED:
        return _EXPECTED
    by_graph = _EXPECTED
    for q in bundled_graph.store:
        by_graph.setdefault(q.graph_name.value, []).append(
            (_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object)))
    return by_graph


def _assert_same(expected_triples, actual_triples, what):
    exp_ground, exp_b = _split(expected_triples)
    act_ground, act_b = _split(actual_triples)
    assert exp_ground == act_ground, f"{what}: {len(exp_ground ^ act_ground)} triples differ"
    from rdflib.compare import isomorphic
    assert isomorphic(_rdflib_graph(exp_b), _rdflib_graph(act_b)), f"{what}: blank-node parts differ"


@pytest.mark.parametrize("name", ["titp.ttl", "titp.nt"])
@pytest.mark.parametrize("parser", ["pyoxigraph", "rdflib"])
def test_single_graph_exports_round_trip(built, bundled_graph, name, parser):
    expected = {t for triples in _expected(bundled_graph).values() for t in triples}
    path = built / name
    if parser == "rdflib":
        g = rdflib.Graph()
        g.parse(path, format="turtle" if name.endswith(".ttl") else "nt")
        actual = list(g)
    else:
        actual = [(_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object))
                  for t in ox.parse(path=str(path))]
    _assert_same(list(expected), actual, f"{name} via {parser}")


@pytest.mark.parametrize("name", ["titp.trig", "titp.nq", "titp.jsonld"])
@pytest.mark.parametrize("parser", ["pyoxigraph", "rdflib"])
def test_dataset_exports_round_trip_with_named_graphs(built, bundled_graph, name, parser):
    expected = _expected(bundled_graph)
    path = built / name
    actual: dict[str, list] = {}
    if parser == "rdflib":
        ds = rdflib.Dataset()
        ds.parse(path, format={"titp.trig": "trig", "titp.nq": "nquads", "titp.jsonld": "json-ld"}[name])
        for s, p, o, g in ds.quads((None, None, None, None)):
            actual.setdefault(str(g), []).append((s, p, o))
    else:
        for q in ox.parse(path=str(path)):
            actual.setdefault(q.graph_name.value, []).append(
                (_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object)))
    assert sorted(actual) == sorted(expected), f"{name} via {parser}: graph names differ"
    for graph, triples in expected.items():
        _assert_same(triples, actual[graph], f"{name} via {parser}, graph {graph}")


def test_committed_exports_match_a_fresh_build(built, root):
    """exports/ in the repository is what linked-data consumers fetch: it must be current."""
    committed = tree_digest(root / "exports")
    fresh = tree_digest(built)
    stale = sorted(k for k in fresh if committed.get(k) != fresh[k])
    missing = sorted(set(committed) - set(fresh))
    assert not stale and not missing, (
        f"exports/ is out of date ({len(stale)} files differ, e.g. {stale[:3]}; "
        f"{len(missing)} extra, e.g. {missing[:3]}): run `titp-graph build` and commit exports/")


# -- the library API -------------------------------------------------------------------

def test_library_query_gives_python_rows_and_binds_typed_parameters(bundled_graph):
    res = bundled_graph.query(
        "SELECT ?label WHERE { ?c skos:notation ?code ; rdfs:label ?label FILTER(LANG(?label) = 'en') }",
        params={"code": ox.Literal("VN")})
    assert res.columns == ["label"]
    assert res.rows == [("Vietnam",)] or res.rows == [("Viet Nam",)]


def test_parameters_are_values_not_query_text(bundled_graph):
    hostile = 'x" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o #'
    res = bundled_graph.query("SELECT ?s WHERE { ?s rdfs:label ?label }", params={"label": ox.Literal(hostile)})
    assert res.rows == []
    assert len(bundled_graph) > 0


def test_load_leaves_store_unchanged_when_any_file_is_bad(tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    bad = tmp_path / "z-bad.ttl"
    bad.write_text("<https://example.org/a> <https://example.org/p> .\n")
    g = TitpGraph()
    with pytest.raises(TitpError) as info:
        g.load_path(tmp_path)
    assert "z-bad.ttl:1" in str(info.value)
    assert len(g) == 0


def test_rdflib_view_sees_the_same_store(bundled_graph):
    ds = bundled_graph.rdflib()
    n = len(list(ds.quads((None, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/titp-graph/ontology#SourceDocument"), None))))
    res = bundled_graph.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a titp:SourceDocument } }")
    assert n == res.rows[0][0] > 0


def test_on_disk_store_is_reopened_by_query(tmp_path):
    from titp_graph.build import STEPS

    out, store = tmp_path / "exports", tmp_path / "store"
    build(out, store_dir=store, steps=STEPS[:1])  # the RDF dumps are enough here
    runner = CliRunner()
    result = runner.invoke(main, ["query", "--from", str(store), "--format", "csv",
                                  "SELECT (COUNT(*) AS ?n) WHERE { ?s a titp:SourceDocument }"])
    assert result.exit_code == 0, result.output
    assert int(result.output.splitlines()[1]) > 0


# -- the CLI ---------------------------------------------------------------------------

def test_cli_build_in_a_real_subprocess(tmp_path, cli_cmd, cli_env):
    out = tmp_path / "exports"
    proc = subprocess.run(cli_cmd + ["build", "--out", str(out)], capture_output=True, text=True,
                          env=cli_env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "validate: conforms" in proc.stderr
    assert (out / "titp.trig").is_file()
    quiet = subprocess.run(cli_cmd + ["build", "--quiet", "--out", str(out)], capture_output=True, text=True,
                           env=cli_env, timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_cli_build_from_an_unrelated_folder_finds_the_bundled_data(tmp_path, cli_cmd):
    env = {k: v for k, v in os.environ.items() if k != "TITP_GRAPH_HOME"}
    proc = subprocess.run(cli_cmd + ["build", "-q"], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "exports" / "titp.ttl").is_file()


@pytest.mark.parametrize("fmt,check", [
    ("table", lambda out: "(1 row)" in out),
    ("csv", lambda out: out.splitlines()[0] == "n"),
    ("tsv", lambda out: out.splitlines()[0] == "?n"),
    ("json", lambda out: json.loads(out)["head"]["vars"] == ["n"]),
])
def test_cli_query_formats(fmt, check):
    result = CliRunner().invoke(main, ["query", "--format", fmt,
                                       "SELECT (COUNT(*) AS ?n) WHERE { ?s a titp:Observation }"])
    assert result.exit_code == 0, result.output
    assert check(result.output)


def test_cli_query_ask_and_construct():
    ask = CliRunner().invoke(main, ["query", "ASK { ?s a titp:SourceDocument }"])
    assert ask.exit_code == 0 and ask.output.strip() == "yes"
    construct = CliRunner().invoke(main, ["query", "--format", "ntriples",
                                          "CONSTRUCT { ?s a titp:SourceDocument } WHERE { ?s a titp:SourceDocument }"])
    assert construct.exit_code == 0
    assert len(list(ox.parse(construct.output.encode(), ox.RdfFormat.N_TRIPLES))) > 0


def test_cli_query_param_is_bound_with_its_type():
    result = CliRunner().invoke(main, ["query", "--format", "csv", "-p", "code=VN",
                                       "SELECT ?c WHERE { ?c skos:notation ?code ; a titp:Country }"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["https://w3id.org/titp-graph/id/country/VN"]


def test_cli_queries_lists_named_questions():
    result = CliRunner().invoke(main, ["queries"])
    assert result.exit_code == 0
    assert "fees-by-tier" in result.output and "rules-in-force" in result.output


def test_cli_stats():
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 0
    assert "named graphs" in result.output and "titp:Observation" in result.output
    assert "src:isa-2022-fee-survey" in result.output


# -- failures: a clear message, exit 1, no traceback, exports untouched -----------------

BAD_INPUTS = {
    "malformed": ("@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", ["bad.ttl:3"]),
    "unknown-prefix": ("@prefix ex: <https://example.org/> .\nex:a nope:b ex:c .\n",
                       ["bad.ttl:2", "nope:"]),
    "wrong-datatype": ('@prefix ex: <https://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                       'ex:a ex:count "twelve"^^xsd:integer .\n', ["bad.ttl:3", "xsd:integer", "twelve"]),
    "impossible-date": ('@prefix ex: <https://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                        'ex:a ex:on "2023-02-30"^^xsd:date .\n', ["bad.ttl:3", "xsd:date"]),
    "shacl-violation": ('@prefix titp: <https://w3id.org/titp-graph/ontology#> .\n'
                        '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                        '<https://example.org/p1> a titp:Payment ; titp:amount "-5"^^xsd:decimal .\n',
                        ["SHACL", "titp:currency", "titp:payer"]),
}


@pytest.fixture()
def existing_exports(tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    return out


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_stops_the_build_cleanly(case, tmp_path, existing_exports, cli_cmd, cli_env):
    text, expected = BAD_INPUTS[case]
    bad = tmp_path / "bad.ttl"
    bad.write_text(text, encoding="utf-8")
    before = tree_digest(existing_exports)
    proc = subprocess.run(cli_cmd + ["build", "--data", str(bad), "--out", str(existing_exports)],
                          capture_output=True, text=True, env=cli_env, timeout=600)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr, (fragment, proc.stderr[-2000:])
    assert tree_digest(existing_exports) == before
    assert not [p for p in existing_exports.parent.iterdir() if ".tmp-" in p.name]


def test_missing_data_file_is_a_clear_error(tmp_path, existing_exports):
    result = CliRunner().invoke(main, ["build", "--data", str(tmp_path / "nope.ttl"), "--out", str(existing_exports)])
    assert result.exit_code == 1
    assert "nope.ttl: no such file or folder" in result.output
    assert tree_digest(existing_exports) == {"keep.txt": hashlib.sha256(b"earlier results").hexdigest()}


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["build", "--out", str(blocker / "exports")])
    assert result.exit_code == 1
    assert "--out" in result.output and "exports" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_named_question_and_bad_parameter():
    runner = CliRunner()
    unknown = runner.invoke(main, ["query", "--name", "no-such-question"])
    assert unknown.exit_code == 1 and "no named question 'no-such-question'" in unknown.output
    bad = runner.invoke(main, ["query", "--name", "rules-in-force", "--param", "date=2027-13-45"])
    assert bad.exit_code == 1 and "date" in bad.output and "not a valid date" in bad.output


def test_sparql_syntax_error_is_reported():
    result = CliRunner().invoke(main, ["query", "SELECT ?x WHERE { ?x ?y }"])
    assert result.exit_code == 1
    assert "SPARQL syntax error" in result.output


def _big_ntriples(path: Path, extra: str) -> Path:
    """An N-Triples file above the bulk-load size (1 MiB), with ``extra`` lines in the middle."""
    line = '<https://example.org/e{0}> <https://w3id.org/titp-graph/ontology#amount> "{0}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    lines = [line.format(i) for i in range(12000)]
    lines.insert(6000, extra)
    path.write_text("".join(lines), encoding="utf-8")
    assert path.stat().st_size > 1024 * 1024
    return path


def test_big_ntriples_with_an_ill_typed_literal_is_refused(tmp_path):
    bad = _big_ntriples(tmp_path / "big.nt", '<https://example.org/x> <https://example.org/p> '
                        '"12 apples"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    graph = TitpGraph()
    with pytest.raises(TitpError) as info:
        graph.load_path(bad)
    message = str(info.value)
    assert "big.nt" in message and "6001" in message and "12 apples" in message
    assert len(graph) == 0  # nothing half loaded


def test_big_ntriples_with_escapes_and_comments_loads(tmp_path):
    ok = _big_ntriples(tmp_path / "ok.nt", '# "oops"^^<http://www.w3.org/2001/XMLSchema#integer>\n'
                       '<https://example.org/x> <https://example.org/p> "say \\"hi\\""^^<http://www.w3.org/2001/XMLSchema#string> .\n')
    graph = TitpGraph()
    graph.load_path(ok)
    assert len(graph) == 12001


def test_big_ntriples_syntax_error_names_its_line_and_loads_nothing(tmp_path):
    """The file is read for its checks on a thread beside the bulk load: a syntax error
    must still be the error reported, with its line, and nothing stays loaded."""
    bad = _big_ntriples(tmp_path / "broken.nt", '<https://example.org/x> <https://example.org/p> "unterminated .\n')
    graph = TitpGraph()
    with pytest.raises(TitpError) as info:
        graph.load_path(bad)
    assert "broken.nt" in str(info.value) and "6001" in str(info.value)
    assert len(graph) == 0 and graph.graphs() == []


def test_big_ntriples_report_digest_and_blank_nodes(tmp_path):
    """The one-pass read gives the file's sha256 for the load report, and a blank node in a
    big file still sends it through the relabelling path (stable labels)."""
    plain = _big_ntriples(tmp_path / "plain.nt", "")
    report = TitpGraph().load_path(plain)
    assert report.files[0]["sha256"] == hashlib.sha256(plain.read_bytes()).hexdigest()
    assert report.files[0]["raw_ntriples"] is True
    blank = _big_ntriples(tmp_path / "blank.nt", '_:b1 <https://example.org/p> "x" .\n')
    graph = TitpGraph()
    report = graph.load_path(blank)
    assert report.files[0]["raw_ntriples"] is False
    labels = [row[0] for row in graph.query("SELECT ?s WHERE { ?s <https://example.org/p> ?o }").rows]
    again = TitpGraph()
    again.load_path(blank)
    assert labels == [row[0] for row in again.query("SELECT ?s WHERE { ?s <https://example.org/p> ?o }").rows]
    assert len(graph) == 12001
