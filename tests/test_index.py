"""The chain index the build writes beside an on-disk store: trace and the analyses read from
it give exactly what they give from the detail, it is ignored once the store's graphs
change, and the CLI uses it."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from titp_graph import TitpGraph
from titp_graph.build import _network, _summaries, build
from titp_graph.errors import TitpError
from titp_graph.network import analyze, trace
from titp_graph.network.index import INDEX_NAME, ChainIndex, write_index
from titp_graph.network.summaries import chain_records, organization_labels, write_summaries
from titp_graph.synth import generate

FIXTURE = Path(__file__).parent / "fixtures" / "network" / "small.ttl"
ANALYSIS_NAMES = ("fees", "brokerage", "debt", "forced-labour")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A build of the bundled data plus 400 synthetic workers, with --store."""
    base = tmp_path_factory.mktemp("index")
    synth = base / "small.nt"
    generate(synth, workers=400, seed=5)
    build(base / "exports", extra=[synth], store_dir=base / "store", steps=[_summaries, _network])
    graph = TitpGraph.open(base / "store")
    yield graph, base
    graph.close()


def _busiest(graph, prop: str) -> list[str]:
    rows = graph.query(f"""SELECT ?o (COUNT(?p) AS ?n) WHERE {{ ?p a titp:Placement ; titp:{prop} ?o }}
                           GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT 2""").rows
    return [r[0] for r in rows]


def test_build_writes_a_fresh_index(built):
    graph, base = built
    assert (base / "store" / INDEX_NAME).is_file()
    assert ChainIndex.for_graph(graph, required=True) is not None


@pytest.mark.parametrize("prop", ["supervisingOrganization", "sendingOrganization", "employer", "broker"])
def test_trace_from_index_equals_trace_from_detail(built, prop):
    graph, _ = built
    orgs = _busiest(graph, prop)
    assert orgs
    for org in orgs:
        fast, slow = trace(graph, org, index=True), trace(graph, org, index=False)
        assert fast.tables[0].rows, org
        assert fast.tables[0].rows == slow.tables[0].rows
        assert fast.notes == slow.notes


@pytest.mark.parametrize("name", ANALYSIS_NAMES)
def test_analyses_from_index_equal_recomputed(built, name):
    graph, _ = built
    cached, fresh = analyze(graph, name, index=True), analyze(graph, name, index=False)
    assert any(t.rows for t in fresh.tables)
    assert [t.rows for t in cached.tables] == [t.rows for t in fresh.tables]
    assert cached.notes == fresh.notes


def test_other_parameters_are_computed_not_read(built):
    graph, _ = built
    index = ChainIndex.for_graph(graph, required=True)
    assert index.analysis("debt", {"threshold": 6.0}) is not None
    assert index.analysis("debt", {"threshold": 2.0}) is None
    low = analyze(graph, "debt", threshold=2.0)
    assert low.notes["threshold_months"] == 2.0
    assert low.tables[0].rows != analyze(graph, "debt").tables[0].rows  # shares over 2 vs 6 months


def _fixture_store(folder: Path):
    """The hand-checked fixture in an on-disk store with its summaries and index written."""
    graph = TitpGraph(folder / "store")
    graph.load_bundled([FIXTURE])
    records = chain_records(graph)
    write_summaries(graph, records)
    write_index(graph, records[0], records[1], organization_labels(graph), [])
    return graph, records


def test_index_on_the_hand_checked_fixture(tmp_path):
    """The hand-made network (numbers checked by hand in test_network.py) through the index."""
    graph, records = _fixture_store(tmp_path)
    for org in sorted({c[k] for c in records[0] for k in ("s", "sup", "e") if c.get(k)}):
        assert trace(graph, org, index=True).tables[0].rows == trace(graph, org, index=False).tables[0].rows
    graph.close()


def test_index_is_ignored_when_the_graphs_change(tmp_path):
    graph, _ = _fixture_store(tmp_path)
    assert ChainIndex.for_graph(graph) is not None
    extra = tmp_path / "more.ttl"
    extra.write_text("@prefix titp: <https://w3id.org/titp-graph/ontology#> .\n"
                     "<https://example.org/x> a titp:Employer .\n", encoding="utf-8")
    graph.load_path(extra)
    assert ChainIndex.for_graph(graph) is None
    with pytest.raises(TitpError, match="other named graphs"):
        ChainIndex.for_graph(graph, required=True)
    graph.close()


def test_in_memory_graph_has_no_index(bundled_graph):
    assert ChainIndex.for_graph(bundled_graph) is None
    with pytest.raises(TitpError, match="in memory"):
        ChainIndex.for_graph(bundled_graph, required=True)


def test_cli_trace_and_analyze_from_store(built, cli_cmd, cli_env):
    graph, base = built
    org = _busiest(graph, "supervisingOrganization")[0]
    expected = trace(graph, org, index=False)
    # TitpGraph.open gives a read-only store, so the CLI can open it alongside
    out = subprocess.run(cli_cmd + ["trace", org, "--from", str(base / "store"), "--format", "csv"],
                         capture_output=True, text=True, env=cli_env, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 + len(expected.tables[0].rows)
    assert org in lines[1]
    out = subprocess.run(cli_cmd + ["analyze", "brokerage", "--from", str(base / "store"), "--format", "json"],
                         capture_output=True, text=True, env=cli_env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert '"analysis": "brokerage"' in out.stdout


def test_one_table_is_read_alone(built):
    graph, _ = built
    full = analyze(graph, "fees", index=True)
    only = analyze(graph, "fees", index=True, tables=["by-nationality"])
    assert [t.name for t in only.tables] == ["by-nationality"]
    assert only.tables[0].rows == full.table("by-nationality").rows
    assert analyze(graph, "fees", index=False, tables=["by-nationality"]).tables[0].rows == only.tables[0].rows


def test_cli_unknown_table_lists_the_tables(built, cli_cmd, cli_env):
    _, base = built
    out = subprocess.run(cli_cmd + ["analyze", "fees", "--from", str(base / "store"), "--table", "nope"],
                         capture_output=True, text=True, env=cli_env, timeout=300)
    assert out.returncode == 1
    assert "employer-pays, country-rules, by-nationality" in out.stderr
