"""The build draws the country and chain views from the detail records it already holds
(placements and worker-borne payment groups); ``titp-graph view`` draws them from the
store. Both must give the same pages, byte for byte, and the chain view's fees must be
the fees workers paid (an employer's payment to its supervising organization is not one).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from titp_graph import TitpGraph
from titp_graph.network import detail as detail_mod
from titp_graph.network import scan
from titp_graph.synth import generate
from titp_graph.views import base, chain, country, index

from conftest import small_network
from test_views import SAMPLE_TTL

#: Awkward additions to the views sample: an employer with two prefectures, a sending
#: organization with two countries, a placement with two supervising organizations, a
#: payment a worker bore through ``bornBy`` while the employer is the payer, and a
#: worker-borne payment in a currency without a JPY value.
EXTRA_TTL = """@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix country: <https://w3id.org/titp-graph/id/country/> .
@prefix feecat: <https://w3id.org/titp-graph/concept/fee-category/> .
@prefix syn: <https://w3id.org/titp-graph/id/synthetic/> .
syn:employer\\/e2 titp:prefecture "27" .
syn:sending-organization\\/b titp:country country:PH .
syn:placement\\/p3 titp:supervisingOrganization syn:supervising-organization\\/s2 .
syn:payment\\/5 a titp:Payment ; titp:synthetic true ; titp:payer syn:employer\\/e3 ; titp:bornBy syn:worker\\/w2 ;
  titp:payee syn:sending-organization\\/b ; titp:amount 1000.0 ; titp:currency "JPY" ;
  titp:feeCategory feecat:service-fee ; titp:forPlacement syn:placement\\/p3 .
syn:payment\\/6 a titp:Payment ; titp:synthetic true ; titp:payer syn:worker\\/w2 ;
  titp:payee syn:sending-organization\\/b ; titp:amount 2000000.0 ; titp:currency "VND" ;
  titp:forPlacement syn:placement\\/p3 .
"""


def _graph(*texts: str, tmp_path: Path) -> TitpGraph:
    graph = TitpGraph()
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"part{i}.ttl"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    for path in paths:
        graph.load_path(path)
    return graph


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return _graph(SAMPLE_TTL, EXTRA_TTL, tmp_path=tmp_path_factory.mktemp("views-detail"))


@pytest.fixture(scope="module", params=["synthetic", "fixture"])
def bigger(request, tmp_path_factory):
    return small_network(request.param, tmp_path_factory, seed=5)


def _pages(entries) -> dict[str, str]:
    return {name: base.render(view) for name, view in entries}


def test_every_build_view_from_detail_equals_the_view_from_the_store(bigger):
    from_store = _pages(index.all_views(bigger))
    from_detail = _pages(index.all_views(bigger, detail=detail_mod.read(bigger)))
    assert sorted(from_detail) == sorted(from_store)
    assert any(name.startswith("chain-") for name in from_store)
    assert any(name.startswith("country-") for name in from_store)
    for name in from_store:
        assert from_detail[name] == from_store[name], name


def test_detail_read_by_the_file_scan_gives_the_same_views(tmp_path):
    """The build's own reader (the N-Triples file parsed again) feeds the same pages."""
    path = tmp_path / "small.nt"
    generate(path, workers=300, seed=9)
    graph = TitpGraph()
    report = graph.load_bundled([path])
    assert any(f.get("raw_ntriples") for f in report.files)  # the scan parses this file
    scanned = scan.read_inputs(graph.store, report.files)
    for code in country.sending_countries(graph):
        assert base.render(country.build(graph, code, detail=scanned)) == base.render(country.build(graph, code))
    for org in chain.busiest(graph, 2):
        assert base.render(chain.build(graph, org, depth=2, detail=scanned)) == \
            base.render(chain.build(graph, org, depth=2))


def test_awkward_data_same_views_both_ways(sample):
    found = detail_mod.read(sample)
    assert country.sending_countries(sample, found) == country.sending_countries(sample) == ["PH", "VN"]
    for code in ("VN", "PH"):
        assert base.render(country.build(sample, code, detail=found)) == base.render(country.build(sample, code))
    assert chain.busiest(sample, 5, found) == chain.busiest(sample, 5)
    for org in ("supervising-organization/s1", "supervising-organization/s2", "sending-organization/b",
                "broker/k", "employer/e2"):
        for depth in (1, 2):
            assert base.render(chain.build(sample, "syn:" + org, depth=depth, detail=found)) == \
                base.render(chain.build(sample, "syn:" + org, depth=depth)), (org, depth)


def test_country_view_joins_prefectures_and_countries_like_the_query(sample):
    view = country.build(sample, "VN", detail=detail_mod.read(sample))
    weight = {n.label: n.weight for n in view.nodes}
    # p2 (12 workers) goes to employer e2, now in Aichi (23) and Osaka (27): counted in both
    assert weight["Aichi (23)"] == 12 and weight["Osaka (27)"] == 12
    philippines = country.build(sample, "PH", detail=detail_mod.read(sample))
    assert {n.label for n in philippines.nodes if n.layer == 1} == {"<img src=x onerror=window.__pwned=1>"}


def test_chain_view_fees_are_what_workers_paid(sample):
    view = chain.build(sample, "syn:supervising-organization/s1", depth=1, detail=detail_mod.read(sample))
    edges = {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]): e for e in view.edges}
    # the employer paid its supervising organization 40,000 JPY: not a fee workers paid
    assert edges[("s1", "e1")].label == ""
    assert not any(k.startswith("fees") for k, _ in edges[("s1", "e1")].details)
    # w2 bore 1,000 JPY the employer paid (bornBy wins over payer), paid 300,000 JPY, and
    # 2,000,000 VND without a JPY value (listed in VND, not added to the JPY label)
    hop = edges[("b", "s1")]
    assert hop.label == "¥301,000 fees"
    details = dict(hop.details)
    label = "fees workers paid to <img src=x onerror=window.__pwned=1>"
    assert details[f"{label}: Service fee"] == "¥301,000"
    assert details[f"{label}: uncategorised"] == "2,000,000 VND"


def test_build_writes_the_views_from_its_detail(tmp_path, monkeypatch):
    """The build's views step is handed the detail; the pages are those drawn from the store."""
    from titp_graph.build import build

    seen = []
    real = index.all_views

    def spy(graph, max_nodes=base.DEFAULT_MAX_NODES, large=False, detail=None):
        seen.append(detail)
        return real(graph, max_nodes, large, detail)

    monkeypatch.setattr(index, "all_views", spy)
    path = tmp_path / "small.nt"
    generate(path, workers=200, seed=4)
    out = tmp_path / "exports"
    build(out, extra=[path])
    assert len(seen) == 1 and seen[0] is not None and seen[0].placements
    graph = TitpGraph.open(out)
    for name, view in real(graph):
        assert (out / "views" / name).read_text(encoding="utf-8") == base.render(view), name
