"""The build's pre-computed summaries (a derived named graph of Data Cube observations)
agree with the detail they are computed from, are marked derived and sourced, and pass
the SHACL shapes."""
from __future__ import annotations


import pytest

from titp_graph.build import validate_graph
from titp_graph.network import debt_burden, project
from titp_graph.network.summaries import SUMMARY_GRAPH, has_summaries, write_summaries
from conftest import small_network



@pytest.fixture(scope="module", params=["synthetic", "fixture"])
def graph(request, tmp_path_factory):
    graph = small_network(request.param, tmp_path_factory, seed=3)
    graph.hop_edges = write_summaries(graph)["edges"]
    return graph


def _attrs(network):
    return ({n: dict(network.nodes[n]) for n in network.nodes},
            {(u, v): dict(network.edges[u, v]) for u, v in network.edges})


def test_projection_from_summaries_equals_projection_from_detail(graph):
    assert has_summaries(graph)
    detail, summary = project(graph, summary=False), project(graph, summary=True)
    assert detail.number_of_edges() > 0
    assert _attrs(summary) == _attrs(detail)
    assert project(graph).number_of_edges() == detail.number_of_edges()  # auto: reads them
    # the build projects the hops it has just written instead of reading them back
    assert _attrs(project(graph, hops=graph.hop_edges)) == _attrs(detail)


def test_debt_from_summaries_equals_debt_from_detail(graph):
    detail = debt_burden(graph, summary=False).tables[0].rows
    summary = debt_burden(graph, summary=True).tables[0].rows
    assert detail and [[round(v, 9) if isinstance(v, float) else v for v in r] for r in summary] == \
        [[round(v, 9) if isinstance(v, float) else v for v in r] for r in detail]


def test_summaries_are_marked_derived_sourced_and_valid(graph):
    rows = graph.query(f"""SELECT (COUNT(?o) AS ?n) (SUM(IF(?d = true, 1, 0)) AS ?derived)
        (SUM(IF(EXISTS {{ ?o prov:wasDerivedFrom ?src . ?src a titp:SyntheticDataset }}, 1, 0)) AS ?sourced)
        WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ ?o a titp:Observation . OPTIONAL {{ ?o titp:derived ?d }} }} }}""").rows
    n, derived, sourced = rows[0]
    assert n > 0 and derived == n
    if graph.query("ASK { ?d a titp:SyntheticDataset }").boolean:
        assert sourced == n
    report = validate_graph(graph)  # the fixture has deliberate faults of its own
    assert [r for r in report.results if r.graph == SUMMARY_GRAPH] == []


def test_rewriting_summaries_is_idempotent(graph):
    before = sorted(str(q) for q in graph.store.quads_for_pattern(None, None, None, None)
                    if q.graph_name.value == SUMMARY_GRAPH)
    write_summaries(graph)
    after = sorted(str(q) for q in graph.store.quads_for_pattern(None, None, None, None)
                   if q.graph_name.value == SUMMARY_GRAPH)
    assert before == after
