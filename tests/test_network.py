"""The networkx projection and chain analyses on a hand-made network
(tests/fixtures/network/small.ttl), with every expected number worked out by hand below."""
from __future__ import annotations

import doctest
import importlib
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest

from titp_graph import TitpGraph, TitpError
from titp_graph.network import (brokerage, debt_burden, fee_breaches, forced_labour_risk, network_step,
                                project, trace)
from titp_graph.network.export import gexf_bytes, graphml_bytes, write_gexf, write_graphml

FIXTURE = Path(__file__).parent / "fixtures" / "network" / "small.ttl"
SYN = "https://w3id.org/titp-graph/id/synthetic/"
S1, S2 = SYN + "sending-organization/s1", SYN + "sending-organization/s2"
B1 = SYN + "broker/b1"
U1, U2 = SYN + "supervising-organization/u1", SYN + "supervising-organization/u2"
E1, E2, E3 = (SYN + f"employer/e{i}" for i in (1, 2, 3))
VN, PH = "https://w3id.org/titp-graph/id/country/VN", "https://w3id.org/titp-graph/id/country/PH"
RULE = "https://w3id.org/titp-graph/id/fee-rule/"


@pytest.fixture(scope="module")
def graph():
    g = TitpGraph()
    g.load_path(FIXTURE)
    return g


@pytest.fixture(scope="module")
def network(graph):
    return project(graph)


def test_doctests_in_every_module_pass():
    for name in ("sparql", "project", "fees", "chains", "brokerage", "debt", "forced_labour", "detail", "scan",
                 "index", "table"):
        module = importlib.import_module(f"titp_graph.network.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0, name
        assert result.attempted > 0, name


def test_projection_nodes_edges_and_weights(network):
    # 8 organizations hold a position in a placement (the lender does not)
    assert sorted(network.nodes) == sorted([B1, E1, E2, E3, S1, S2, U1, U2])
    assert network.nodes[S1]["country"] == "VN" and network.nodes[U2]["sanctions"] == 1
    assert network.nodes[E1]["class"] == "ImplementingOrganization"
    # B1->S1: P1 only; worker paid the broker 100,000
    assert network.edges[B1, S1]["workers"] == 1 and network.edges[B1, S1]["fees_worker_jpy"] == 100_000
    # S1->U1: P1 + P5 = 2 workers; fees paid to S1: 600,000 + 30,000 (P1) + 700,000 (P5)
    e = network.edges[S1, U1]
    assert (e["workers"], e["fees_worker_jpy"], e["agreements"]) == (2, 1_330_000, 1)
    # S1->U2: P2 service 150,000 + personal 20,000 (not an employer-pays category, still worker-borne)
    assert network.edges[S1, U2]["fees_worker_jpy"] == 170_000
    # S2->U1: the worker's 50,000 counts, the employer-borne 200,000 does not
    assert network.edges[S2, U1]["fees_worker_jpy"] == 50_000
    # S2->U2: a cohort of 3 (titp:workerCount), no agreement
    assert network.edges[S2, U2]["weight"] == 3 and network.edges[S2, U2]["agreements"] == 0
    assert network.edges[U2, E3]["workers"] == 3 and network.edges[U1, E1]["workers"] == 2
    assert network.number_of_edges() == 9


def test_fee_breaches_match_hand_computation(graph):
    result = fee_breaches(graph)
    caps = result.table("country-rules").records()
    got = {(r["sending"], r["rule"]): (r["paid"], r["allowed"], r["excess"]) for r in caps}
    assert got == {
        # P1: 36-month contract at 160,000/month -> cap min(1*36/12, 3) = 3 wages = 480,000; paid 600,000
        (S1, RULE + "vn-titp-service-fee"): (600_000, 480_000, 120_000),
        # P1: brokerage commission banned in VN since 2022: any amount breaks it
        (S1, RULE + "vn-brokerage-commission-ban"): (100_000, 0, 100_000),
        # P3: the Philippine ban covers recruitment fees; only the worker-borne 50,000 counts
        (S2, RULE + "ph-intern-fee-ban"): (50_000, 0, 50_000),
    }  # P2 pays exactly its cap (150,000 = 1 wage for 12 months); P5 started before the rules
    assert all(r["sources"] for r in caps)
    ep = result.table("employer-pays").records()
    # VN: 600,000 + 100,000 + 30,000 (P1) + 150,000 (P2) + 700,000 (P5); PH: 50,000 (P3)
    assert sum(r["fees_jpy"] for r in ep if r["nationality"] == VN) == 1_580_000
    assert sum(r["fees_jpy"] for r in ep if r["nationality"] == PH) == 50_000
    assert [r["fee_category"].rsplit("/", 1)[1] for r in ep if r["illegitimate"]] == ["deposit-penalty"]
    by_nat = {(r["nationality"], r["test"]): r["amount_jpy"] for r in result.table("by-nationality").records()}
    assert by_nat[VN, "cap"] == 120_000 and by_nat[VN, "ban"] == 100_000 and by_nat[PH, "ban"] == 50_000


def test_trace_employer_gives_each_hop_with_fees_and_governing_norms(graph):
    rows = trace(graph, "syn:employer/e1").table("hops").records()
    # two chains reach E1: S1->U1 (P5, 2021) and B1->S1->U1 (P1, 2023)
    assert [(r["chain"], r["relation"]) for r in rows] == [
        (1, "sends-to"), (1, "places-with"), (2, "recruits-for"), (2, "sends-to"), (2, "places-with")]
    p5, p1_broker, p1_send = rows[0], rows[2], rows[3]
    assert p1_broker["fees_worker_jpy"] == 100_000 and p1_send["fees_worker_jpy"] == 630_000
    assert p5["fees_worker_jpy"] == 700_000
    # P5 started 2021-04-01, before the Vietnamese rules (2022-01-01): only the MOC and employer-pays
    assert RULE + "vn-titp-service-fee" not in p5["norms"].split()
    assert RULE + "vn-brokerage-commission-ban" not in p5["norms"].split()
    assert "moc-jp-vn-titp" in p5["norms"]
    assert RULE + "vn-titp-service-fee" in p1_send["norms"].split()
    assert RULE + "vn-brokerage-commission-ban" in p1_broker["norms"].split()
    assert "ilo-recruitment-fees-not-borne-by-workers" in rows[-1]["norms"]
    assert "source/vn-law-69-2020" in p1_broker["sources"]


@pytest.mark.parametrize("org, message", [
    ("syn:employer/nobody", "no such IRI"),
    ("syn:lender/l1", "no placement names it"),
    ('x" } DROP ALL #', "not an IRI or prefixed name"),
    ("nosuchprefix:thing", "not an IRI or prefixed name"),
])
def test_trace_bad_organization_is_a_clear_error(graph, org, message):
    with pytest.raises(TitpError, match=message):
        trace(graph, org)
    assert len(graph) > 0  # the hostile value ran no update


def test_brokerage_betweenness_degree_hhi_and_sanctions(network):
    result = brokerage(network)
    rows = {r["organization"]: r for r in result.table("intermediaries").records()}
    # intermediaries: 4-cycle S1-U1-S2-U2 plus B1 hanging on S1. Of the 6 pairs that need a
    # go-between (n-1)(n-2)/2, S1 carries B1-U1, B1-U2, B1-S2 and half of U1-U2: 3.5/6
    assert rows[S1]["betweenness"] == pytest.approx(3.5 / 6)
    assert rows[U1]["betweenness"] == pytest.approx(1 / 6)  # half of B1-S2, half of S1-S2
    assert rows[S2]["betweenness"] == pytest.approx(0.5 / 6)
    assert rows[B1]["betweenness"] == 0
    assert result.tables[0].rows[0][0] == S1  # sorted by betweenness
    assert rows[S1]["degree"] == 3 and rows[U1]["employers"] == 2 and rows[S1]["workers"] == 3
    assert rows[U2]["sanctions"] == 1 and "improvement-order" in rows[U2]["sanction_types"]
    hhi = {r["sending_country"]: r["hhi"] for r in result.table("concentration").records()}
    # VN: U1 2 workers, U2 1 -> (66.7%)^2 + (33.3%)^2; PH: U1 1, U2 3 -> 25^2 + 75^2
    assert hhi["VN"] == pytest.approx(10_000 * (4 / 9 + 1 / 9)) and hhi["PH"] == pytest.approx(6250)
    assert result.notes["betweenness"] == "exact"


def test_brokerage_sampled_reports_k_and_is_seeded(network):
    a, b = brokerage(network, k=3), brokerage(network, k=3)
    assert a.notes["betweenness"] == "sampled, k=3, seed=42"
    assert a.tables[0].rows == b.tables[0].rows


def test_debt_months_to_repay_by_nationality(graph):
    rows = {r["nationality"]: r for r in debt_burden(graph).table("debt").records()}
    # VN: 640,000/160,000 = 4.0 and 1,200,000/150,000 = 8.0 -> mean = median = 6.0; PH: 170,000/170,000 = 1
    assert (rows[VN]["debts"], rows[VN]["mean_months"], rows[VN]["median_months"]) == (2, 6.0, 6.0)
    assert rows[VN]["max_months"] == 8.0 and rows[VN]["share_over_6_months_pct"] == 50.0
    assert (rows[PH]["mean_months"], rows[PH]["median_months"]) == (1.0, 1.0)


def test_forced_labour_indicators_along_chains(graph):
    rows = forced_labour_risk(graph, threshold=6).table("indicators").records()
    got = sorted((r["supervising"][-2:], r["employer"][-2:], r["indicator"].rsplit("/", 1)[1], r["evidence"])
                 for r in rows)
    assert got == [
        ("u1", "e1", "debt-bondage", "bond"),                           # P1's 30,000 deposit
        ("u2", "e2", "debt-bondage", "debt"),                           # P2: 8 months > 6
        ("u2", "e2", "retention-of-identity-documents", "sanction"),    # U2's sanction, chain C2
        ("u2", "e3", "retention-of-identity-documents", "sanction"),    # and chain C4
    ]
    # a higher threshold removes the debt evidence (8 months is not above 8)
    assert not [r for r in forced_labour_risk(graph, threshold=8).table("indicators").records()
                if r["evidence"] == "debt"]


def test_graphml_and_gexf_read_back_with_networkx(network, tmp_path):
    write_graphml(network, tmp_path / "n.graphml")
    write_gexf(network, tmp_path / "n.gexf")
    for back in (nx.read_graphml(tmp_path / "n.graphml"), nx.read_gexf(tmp_path / "n.gexf")):
        assert back.number_of_nodes() == 8 and back.number_of_edges() == 9
        assert int(back.edges[S1, U1]["fees_worker_jpy"]) == 1_330_000
        assert back.nodes[B1]["label"] == "<script>alert('broker')</script>"  # data, escaped in XML
        assert back.nodes[U1]["synthetic"] in (True, "true")
    assert b"<script>" not in (tmp_path / "n.graphml").read_bytes()


def test_exports_are_byte_identical_across_runs():
    a, b = TitpGraph(), TitpGraph()
    a.load_path(FIXTURE)
    b.load_path(FIXTURE)
    assert graphml_bytes(project(a)) == graphml_bytes(project(b))
    assert gexf_bytes(project(a)) == gexf_bytes(project(b))
    assert b"lastmodifieddate" not in gexf_bytes(project(a))


def _step(graph, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    ctx = SimpleNamespace(graph=graph, folder=folder, report=SimpleNamespace(written=[]),
                          progress=lambda m: None)
    network_step(ctx)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_network_step_writes_analyses_deterministically(graph, tmp_path):
    first = _step(graph, tmp_path / "a")
    second = _step(graph, tmp_path / "b")
    assert first == second
    assert {"network.graphml", "network.gexf", "analyses/fees.json", "analyses/fees-country-rules.csv",
            "analyses/brokerage-concentration.csv", "analyses/debt-debt.csv",
            "analyses/forced-labour-indicators.csv"} <= set(first)
    fees = json.loads(first["analyses/fees.json"])
    assert len(fees["tables"]["country-rules"]["rows"]) == 3


def test_cli_trace_and_analyze(cli_cmd, cli_env):
    run = lambda *args: subprocess.run([*cli_cmd, *args], capture_output=True, text=True, env=cli_env)
    bad = run("trace", "syn:employer/nobody", "--from", str(FIXTURE))
    assert bad.returncode == 1 and "no such IRI" in bad.stderr and "Traceback" not in bad.stderr
    ok = run("analyze", "fees", "--from", str(FIXTURE), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["tables"]["country-rules"]["rows"]) == 3
    csv_out = run("trace", "syn:employer/e3", "--from", str(FIXTURE), "--format", "csv")
    assert csv_out.returncode == 0 and csv_out.stdout.splitlines()[0].startswith("chain,hop,from")


def test_a_narrower_category_counts_as_its_broader_one(tmp_path):
    """A contributor's own category under service-fee is employer-pays (ILO) and falls under
    the Vietnamese service-fee cap: P2 then pays 150,000 + 10,000 against a 150,000 cap."""
    extra = tmp_path / "narrower.ttl"
    extra.write_text("""@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix feecat: <https://w3id.org/titp-graph/concept/fee-category/> .
feecat:visa-handling a skos:Concept ; skos:broader feecat:service-fee .
<https://w3id.org/titp-graph/id/synthetic/payment/p2-visa> a titp:Payment ;
    titp:forPlacement <https://w3id.org/titp-graph/id/synthetic/placement/p2> ;
    titp:payer <https://w3id.org/titp-graph/id/synthetic/worker/w2> ;
    titp:payee <https://w3id.org/titp-graph/id/synthetic/sending-organization/s1> ;
    titp:amount 10000.0 ; titp:currency "JPY" ; titp:feeCategory feecat:visa-handling .
""", encoding="utf-8")
    g = TitpGraph()
    g.load_path(FIXTURE)
    g.load_path(extra)
    result = fee_breaches(g)
    ep = result.table("employer-pays").records()
    assert sum(r["fees_jpy"] for r in ep if r["nationality"] == VN) == 1_590_000
    assert any(r["fee_category"].endswith("/visa-handling") for r in ep)
    caps = {(r["employer"], r["rule"].rsplit("/", 1)[1]): r["excess"] for r in result.table("country-rules").records()}
    assert caps[E2, "vn-titp-service-fee"] == 10_000


def test_a_rule_naming_no_fee_category_is_not_judged(graph):
    """Vietnam's housing cap names no fee category: no payment says what it covers, so it
    flags nothing (it would otherwise flag every Vietnamese fee) and the notes list it."""
    result = fee_breaches(graph)
    assert not [r for r in result.table("country-rules").records() if r["rule"].endswith("/vn-housing-cap")]
    assert RULE + "vn-housing-cap" in result.notes["not_judged"]


def test_organization_in_two_positions_and_a_blank_node_employer(tmp_path):
    """An organization that is a broker in one placement and a sending organization in
    another gets one role, the same on every run and from the summaries as from the detail;
    an employer that is a blank node (no IRI to look it up by) still gets its class and label."""
    from titp_graph.network.summaries import write_summaries

    extra = tmp_path / "two-roles.ttl"
    extra.write_text("""@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix syn: <https://w3id.org/titp-graph/id/synthetic/> .
syn:placement\\/p-two a titp:Placement ; titp:broker syn:sending-organization\\/s2 ;
    titp:sendingOrganization syn:sending-organization\\/s1 ; titp:employer [ a titp:ImplementingOrganization ;
    rdfs:label "Unnamed employer"@en ] .
""", encoding="utf-8")
    g = TitpGraph()
    g.load_path(FIXTURE)
    g.load_path(extra)
    from_detail = project(g, summary=False)
    assert from_detail.nodes[S2]["role"] == "broker"  # "broker" < "sending": stable, not the store's pick
    blank = [n for n in from_detail if n.startswith("_:")]
    assert len(blank) == 1
    assert from_detail.nodes[blank[0]]["class"] == "ImplementingOrganization"
    assert from_detail.nodes[blank[0]]["label"] == "Unnamed employer"
    plain = TitpGraph()
    plain.load_path(FIXTURE)
    write_summaries(plain)
    from_summaries = project(plain)
    assert {n: from_summaries.nodes[n] for n in from_summaries} == \
        {n: project(plain, summary=False).nodes[n] for n in from_summaries}
