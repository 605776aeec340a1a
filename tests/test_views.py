"""String-level checks of the views: offline, escaped, deterministic, capped, correct data.

The browser-level checks (real Chromium) are in test_views_browser.py; both use SAMPLE_TTL,
a small graph with sources, a synthetic chain, fee payments (one over Vietnam's cap) and
two hostile labels.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from titp_graph import TitpError, TitpGraph
from titp_graph.views import base, chain, country, fees, index, institutions

SAMPLE_TTL = r"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix program: <https://w3id.org/titp-graph/concept/program/> .
@prefix feecat: <https://w3id.org/titp-graph/concept/fee-category/> .
@prefix confidence: <https://w3id.org/titp-graph/concept/confidence/> .
@prefix country: <https://w3id.org/titp-graph/id/country/> .
@prefix agency: <https://w3id.org/titp-graph/id/agency/> .
@prefix law: <https://w3id.org/titp-graph/id/law/> .
@prefix agreement: <https://w3id.org/titp-graph/id/agreement/> .
@prefix rule: <https://w3id.org/titp-graph/id/fee-rule/> .
@prefix src: <https://w3id.org/titp-graph/id/source/> .
@prefix syn: <https://w3id.org/titp-graph/id/synthetic/> .

titp:Law rdfs:subClassOf titp:LegalInstrument .
titp:succeededBy rdfs:label "succeeded by"@en , "後継制度"@ja .
titp:supersededBy rdfs:label "superseded by"@en , "後継規範"@ja .
titp:governsProgram rdfs:label "governs program"@en .
feecat:service-fee skos:prefLabel "Service fee"@en ; skos:broader feecat:recruitment-fee .
feecat:recruitment-fee skos:prefLabel "Recruitment fee"@en ; titp:employerPays true .
feecat:supervision-fee skos:prefLabel "Supervision fee"@en .

src:esd-act a titp:SourceDocument ; dct:title "Act on Employment for Skill Development (test copy)"@en ;
  dct:publisher agency:jp-isa ; dct:issued "2024-06-21"^^xsd:date ; titp:confidence confidence:V1 .
src:vn-law-69 a titp:SourceDocument ; dct:title "Law 69/2020/QH14"@en ;
  dct:publisher agency:vn-molisa ; dct:issued "2020-11-13"^^xsd:date ; titp:confidence confidence:V1 .

agency:jp-isa a titp:GovernmentAgency ; rdfs:label "Immigration Services Agency"@en , "出入国在留管理庁"@ja ;
  titp:country country:JP .
agency:vn-molisa a titp:GovernmentAgency ; rdfs:label "MOLISA"@en , "ベトナム労働・傷病兵・社会問題省"@ja ;
  titp:country country:VN .
country:JP a titp:Country ; rdfs:label "Japan"@en , "日本"@ja .
country:VN a titp:Country ; rdfs:label "Viet Nam"@en , "ベトナム"@ja ;
  prov:wasDerivedFrom src:vn-law-69 ; titp:confidence confidence:V1 .
country:FR a titp:Country ; rdfs:label "France"@en .

program:titp a titp:Program ; rdfs:label "Technical Intern Training Program"@en , "技能実習制度"@ja ;
  titp:operatedIn country:JP ; titp:validUntil "2027-03-31"^^xsd:date ; titp:succeededBy program:esd ;
  prov:wasDerivedFrom src:esd-act ; titp:confidence confidence:V1 .
program:esd a titp:Program ; rdfs:label "Employment for Skill Development"@en , "育成就労制度"@ja ;
  titp:operatedIn country:JP ; titp:validFrom "2027-04-01"^^xsd:date ;
  prov:wasDerivedFrom src:esd-act ; titp:confidence confidence:V1 .
law:titp-act a titp:Law ; rdfs:label "Technical Intern Training Act"@en , "技能実習法"@ja ;
  titp:governsProgram program:titp ; titp:issuedBy agency:jp-isa ; titp:supersededBy law:esd-act ;
  prov:wasDerivedFrom src:esd-act ; titp:confidence confidence:V1 .
law:esd-act a titp:Law ; rdfs:label "ESD Act"@en , "育成就労法"@ja ; titp:inForceFrom "2027-04-01"^^xsd:date ;
  titp:governsProgram program:esd ; prov:wasDerivedFrom src:esd-act ; titp:confidence confidence:V1 .
law:hostile a titp:Law ; rdfs:label "<img src=x onerror=window.__pwned=1>"@en ;
  titp:governsProgram program:titp ; prov:wasDerivedFrom src:esd-act .
law:hostile2 a titp:Law ; rdfs:label "</script><script>window.__pwned=1</script>"@en ;
  titp:governsProgram program:titp ; prov:wasDerivedFrom src:esd-act .
agreement:jp-vn-2017 a titp:BilateralAgreement ; rdfs:label "Japan-Viet Nam MOC on TITP"@en ;
  titp:party agency:jp-isa , agency:vn-molisa ; titp:governsProgram program:titp ; titp:counterpartCountry country:VN ;
  titp:signedOn "2017-06-06"^^xsd:date ; prov:wasDerivedFrom src:vn-law-69 ; titp:confidence confidence:V2 .
law:vn-69 a titp:Law ; rdfs:label "Law 69/2020/QH14"@en ; titp:jurisdiction country:VN ;
  prov:wasDerivedFrom src:vn-law-69 ; titp:confidence confidence:V1 .
rule:vn-service-fee-cap a titp:FeeRule ; rdfs:label "Vietnam service fee cap"@en ;
  titp:definedBy law:vn-69 ; titp:appliesToCountry country:VN ; titp:ruleKind titp:Cap ;
  titp:coversFeeCategory feecat:service-fee ; titp:capWageMonthsPer12Months 1 ; titp:capMaxWageMonths 3 ;
  titp:ruleText "Service fee at most one month's wage per 12 months of contract, at most three."@en ;
  prov:wasDerivedFrom src:vn-law-69 ; titp:confidence confidence:V1 .

<https://w3id.org/titp-graph/id/synthetic/sending-organization/a> a titp:SendingOrganization ; titp:synthetic true ; rdfs:label "Sending Org A"@en ; titp:country country:VN .
<https://w3id.org/titp-graph/id/synthetic/sending-organization/b> a titp:SendingOrganization ; titp:synthetic true ; rdfs:label "<img src=x onerror=window.__pwned=1>"@en ; titp:country country:VN .
<https://w3id.org/titp-graph/id/synthetic/broker/k> a titp:Broker ; titp:synthetic true ; rdfs:label "Broker K"@en ; titp:country country:VN .
<https://w3id.org/titp-graph/id/synthetic/supervising-organization/s1> a titp:SupervisingOrganization ; titp:synthetic true ; rdfs:label "Supervising Org S1"@en ; titp:prefecture "13" .
<https://w3id.org/titp-graph/id/synthetic/supervising-organization/s2> a titp:SupervisingOrganization ; titp:synthetic true ; rdfs:label "Supervising Org S2"@en ; titp:prefecture "23" .
<https://w3id.org/titp-graph/id/synthetic/employer/e1> a titp:ImplementingOrganization ; titp:synthetic true ; rdfs:label "Employer E1"@en ; titp:prefecture "13" .
<https://w3id.org/titp-graph/id/synthetic/employer/e2> a titp:ImplementingOrganization ; titp:synthetic true ; rdfs:label "Employer E2"@en ; titp:prefecture "23" .
<https://w3id.org/titp-graph/id/synthetic/employer/e3> a titp:ImplementingOrganization ; titp:synthetic true ; rdfs:label "Employer E3"@en ; titp:prefecture "01" .
<https://w3id.org/titp-graph/id/synthetic/worker/w1> a titp:Worker ; titp:synthetic true ; titp:nationality country:VN .
<https://w3id.org/titp-graph/id/synthetic/worker/w2> a titp:Worker ; titp:synthetic true ; titp:nationality country:VN .

<https://w3id.org/titp-graph/id/synthetic/placement/p1> a titp:Placement ; titp:synthetic true ; titp:worker <https://w3id.org/titp-graph/id/synthetic/worker/w1> ; titp:broker <https://w3id.org/titp-graph/id/synthetic/broker/k> ;
  titp:sendingOrganization <https://w3id.org/titp-graph/id/synthetic/sending-organization/a> ; titp:supervisingOrganization <https://w3id.org/titp-graph/id/synthetic/supervising-organization/s1> ;
  titp:employer <https://w3id.org/titp-graph/id/synthetic/employer/e1> ; titp:program program:titp ; titp:nationality country:VN ;
  titp:monthlyWage 170000.0 ; titp:wageCurrency "JPY" ; titp:startDate "2024-01-01"^^xsd:date ; titp:endDate "2026-12-31"^^xsd:date .
<https://w3id.org/titp-graph/id/synthetic/placement/p2> a titp:Placement ; titp:synthetic true ; titp:workerCount 12 ;
  titp:sendingOrganization <https://w3id.org/titp-graph/id/synthetic/sending-organization/a> ; titp:supervisingOrganization <https://w3id.org/titp-graph/id/synthetic/supervising-organization/s2> ;
  titp:employer <https://w3id.org/titp-graph/id/synthetic/employer/e2> ; titp:program program:titp ; titp:nationality country:VN .
<https://w3id.org/titp-graph/id/synthetic/placement/p3> a titp:Placement ; titp:synthetic true ; titp:worker <https://w3id.org/titp-graph/id/synthetic/worker/w2> ;
  titp:sendingOrganization <https://w3id.org/titp-graph/id/synthetic/sending-organization/b> ; titp:supervisingOrganization <https://w3id.org/titp-graph/id/synthetic/supervising-organization/s1> ;
  titp:employer <https://w3id.org/titp-graph/id/synthetic/employer/e3> ; titp:program program:titp ; titp:nationality country:VN ;
  titp:monthlyWage 170000.0 ; titp:wageCurrency "JPY" .
<https://w3id.org/titp-graph/id/synthetic/agreement/ia1> a titp:IntermediationAgreement ; titp:synthetic true ;
  titp:sendingOrganization <https://w3id.org/titp-graph/id/synthetic/sending-organization/b> ; titp:supervisingOrganization <https://w3id.org/titp-graph/id/synthetic/supervising-organization/s2> .

<https://w3id.org/titp-graph/id/synthetic/payment/1> a titp:Payment ; titp:synthetic true ; titp:payer <https://w3id.org/titp-graph/id/synthetic/worker/w1> ; titp:payee <https://w3id.org/titp-graph/id/synthetic/sending-organization/a> ;
  titp:amount 600000.0 ; titp:currency "JPY" ; titp:amountJPY 600000.0 ; titp:feeCategory feecat:service-fee ; titp:forPlacement <https://w3id.org/titp-graph/id/synthetic/placement/p1> .
<https://w3id.org/titp-graph/id/synthetic/payment/2> a titp:Payment ; titp:synthetic true ; titp:payer <https://w3id.org/titp-graph/id/synthetic/worker/w1> ; titp:payee <https://w3id.org/titp-graph/id/synthetic/broker/k> ;
  titp:amount 1000.0 ; titp:currency "USD" ; titp:amountJPY 150000.0 ; titp:feeCategory feecat:recruitment-fee ; titp:forPlacement <https://w3id.org/titp-graph/id/synthetic/placement/p1> .
<https://w3id.org/titp-graph/id/synthetic/payment/3> a titp:Payment ; titp:synthetic true ; titp:payer <https://w3id.org/titp-graph/id/synthetic/worker/w2> ; titp:payee <https://w3id.org/titp-graph/id/synthetic/sending-organization/b> ;
  titp:amount 300000.0 ; titp:currency "JPY" ; titp:amountJPY 300000.0 ; titp:feeCategory feecat:service-fee ; titp:forPlacement <https://w3id.org/titp-graph/id/synthetic/placement/p3> .
<https://w3id.org/titp-graph/id/synthetic/payment/4> a titp:Payment ; titp:synthetic true ; titp:payer <https://w3id.org/titp-graph/id/synthetic/employer/e1> ; titp:payee <https://w3id.org/titp-graph/id/synthetic/supervising-organization/s1> ;
  titp:amount 40000.0 ; titp:currency "JPY" ; titp:amountJPY 40000.0 ; titp:feeCategory feecat:supervision-fee ; titp:forPlacement <https://w3id.org/titp-graph/id/synthetic/placement/p1> .
"""

HOSTILE = ["<img src=x onerror=window.__pwned=1>", "</script><script>window.__pwned=1</script>"]
SYN = "https://w3id.org/titp-graph/id/synthetic/"


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("views") / "sample.ttl"
    path.write_text(SAMPLE_TTL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample(sample_file) -> TitpGraph:
    graph = TitpGraph()
    graph.load_path(sample_file)
    return graph


def payload(page: str) -> dict:
    """The JSON a page carries, parsed as a browser would after un-escaping."""
    match = re.search(r'<script type="application/json" id="view-data">(.*?)</script>', page, re.S)
    assert match, "no view-data script"
    return json.loads(match.group(1))


def all_pages(graph) -> dict[str, str]:
    return {
        "institutions": base.render(institutions.build(graph)),
        "chain": base.render(chain.build(graph, "syn:supervising-organization/s1", depth=2)),
        "country": base.render(country.build(graph, "VN")),
        "fees": base.render(fees.build(graph)),
    }


@pytest.fixture(scope="module")
def pages(sample):
    return all_pages(sample)


def test_pages_load_nothing_from_the_network(pages):
    for kind, page in pages.items():
        assert "Content-Security-Policy" in page and "default-src 'none'" in page, kind
        # no external script, style, image or link: every src/href is absent or a fragment
        assert not re.search(r"""<(script|link|img|iframe)[^>]*\s(src|href)\s*=""", page, re.I), kind
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", page), kind
        assert "@import" not in page
        assert "bootstrap" not in page.lower(), kind


def test_hostile_labels_are_data_not_markup(pages):
    for kind, page in pages.items():
        for text in HOSTILE:
            assert text not in page, f"{kind}: raw hostile text in the page"
        assert page.count("</script>") == 3, f"{kind}: a label closed a script element"
        assert "<!--" not in page
    labels = {n["label"] for n in payload(pages["institutions"])["nodes"]}
    assert set(HOSTILE) <= labels, "hostile labels must survive as exact text"
    assert HOSTILE[0] in {n["label"] for n in payload(pages["country"])["nodes"]}


def test_heading_and_notes_are_escaped():
    view = base.View("x", "<b>bold</b> & </script>", "<i>desc</i>", [base.Node("urn:a", "a")],
                     notes=["<script>alert(1)</script>"])
    page = base.render(view)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "<i>desc</i>" not in page


def test_same_graph_same_bytes(sample_file):
    first, second = TitpGraph(), TitpGraph()
    first.load_path(sample_file)
    second.load_path(sample_file)
    assert all_pages(first) == all_pages(second)


def test_physics_off_and_positions_given(pages):
    for kind, page in pages.items():
        data = payload(page)
        assert data["nodes"], kind
        assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"]), kind
        assert "physics: false" in page


def test_institutions_show_the_2027_transition_with_sources(pages):
    data = payload(pages["institutions"])
    labels = {(e["from"].rsplit("/", 1)[-1], e["to"].rsplit("/", 1)[-1]): e["label"] for e in data["edges"]}
    assert labels[("titp", "esd")] == "succeeded by (2027-04-01)"
    assert labels[("titp-act", "esd-act")] == "superseded by (2027-04-01)"
    titp = next(n for n in data["nodes"] if n["id"].endswith("/program/titp"))
    assert titp["labelJa"] == "技能実習制度"
    assert titp["tip"]["sources"][0] == {
        "title": "Act on Employment for Skill Development (test copy)", "publisher": "Immigration Services Agency",
        "date": "2024-06-21", "confidence": "V1", "iri": "https://w3id.org/titp-graph/id/source/esd-act"}
    # France has no links: left out; Viet Nam (linked) kept
    ids = {n["id"].rsplit("/", 1)[-1] for n in data["nodes"]}
    assert "VN" in ids and "FR" not in ids


def test_chain_hops_fees_and_governing_rule(sample):
    view = chain.build(sample, "syn:supervising-organization/s1", depth=1)
    ids = {n.id.rsplit("/", 1)[-1] for n in view.nodes}
    assert ids == {"s1", "a", "b", "e1", "e3"}
    assert {n.id for n in view.nodes if n.focus} == {SYN + "supervising-organization/s1"}
    deeper = chain.build(sample, "syn:supervising-organization/s1", depth=2)
    deeper_ids = {n.id.rsplit("/", 1)[-1] for n in deeper.nodes}
    assert {"k", "s2"} <= deeper_ids and "e2" not in deeper_ids  # e2 is three hops away
    hop = next(e for e in view.edges if e.source.endswith("/a") and e.target.endswith("/s1"))
    assert hop.label == "¥600,000 fees"
    details = dict(hop.details)
    assert details["fees workers paid to Sending Org A: Service fee"] == "¥600,000"
    assert details["governing rule"].startswith("Vietnam service fee cap: Service fee at most one month")
    assert [s.title for s in hop.sources] == ["Law 69/2020/QH14"]
    assert all(n.synthetic for n in view.nodes)


def test_chain_rejects_unknown_organization(sample):
    with pytest.raises(TitpError, match="--org .*nothing in the graph"):
        chain.build(sample, "syn:supervising-organization/nope")
    with pytest.raises(TitpError, match="not an IRI"):
        chain.build(sample, "not an iri")


def test_country_aggregates_flows_and_caps(sample):
    view = country.build(sample, "vn")
    weight = {n.label: n.weight for n in view.nodes}
    assert weight["Viet Nam"] == 14 and weight["Sending Org A"] == 13 and weight["Aichi (23)"] == 12
    assert {n.label for n in view.nodes if n.layer == 3} == {"Hokkaido (01)", "Tokyo (13)", "Aichi (23)"}
    small = country.build(sample, "VN", max_nodes=5)
    assert any("merged" in note for note in small.notes)
    assert "other sending organizations (2)" in {n.label for n in small.nodes}
    assert "merged into the" in base.render(small)
    with pytest.raises(TitpError, match="ISO 3166-1"):
        country.build(sample, "Vietnam")


def test_fees_mark_breaches(sample):
    view = fees.build(sample)
    by_target = {e.target.rsplit("/", 1)[-1]: e for e in view.edges}
    over_cap = by_target["a"]   # 600,000 JPY > 3 x 170,000 wage
    under_cap = by_target["b"]  # 300,000 JPY: under the cap, still an employer-pays breach
    employer = by_target["s1"]  # employer paying the supervising org: no breach
    assert over_cap.colour == base.BREACH_COLOUR and "BREACH: Vietnam service fee cap" in dict(over_cap.details)
    assert [s.title for s in over_cap.sources] == ["Law 69/2020/QH14"]
    assert "BREACH: Vietnam service fee cap" not in dict(under_cap.details)
    assert "BREACH: employer pays" in dict(under_cap.details)
    assert employer.colour == "" and employer.group == "payment"
    assert over_cap.width > under_cap.width > employer.width
    workers = next(n for n in view.nodes if n.layer == 0)
    assert workers.label == "Workers from Viet Nam" and workers.synthetic


def test_cap_keeps_the_most_important_and_says_so():
    nodes = [base.Node(f"urn:n{i:05d}", f"n{i}", weight=i) for i in range(20000)]
    edges = [base.Edge(f"urn:n{i:05d}", f"urn:n{i + 1:05d}") for i in range(19999)]
    start = time.perf_counter()
    view = base.cap(base.View("x", "big", "", nodes, edges), 500)
    page = base.render(view)
    elapsed = time.perf_counter() - start
    data = payload(page)
    assert len(data["nodes"]) == 500 and min(int(n["label"][1:]) for n in data["nodes"]) == 19500
    assert "Showing the 500 most important of 20,000 nodes" in page
    assert elapsed < 20, f"capping and rendering 20,000 nodes took {elapsed:.1f} s"


def test_synthetic_elements_look_different(pages):
    data = payload(pages["chain"])
    assert all(n["dashed"] and n["color"] == base.SYNTHETIC_COLOUR for n in data["nodes"])
    inst = payload(pages["institutions"])
    assert not any(n["dashed"] for n in inst["nodes"])


def test_build_step_writes_views_and_index(sample, tmp_path):
    class Report:
        written: list = []

    class Ctx:
        graph, folder, report = sample, tmp_path, Report()
        progress = staticmethod(lambda message: None)

    index.views_step(Ctx)
    names = sorted(p.name for p in (tmp_path / "views").iterdir())
    assert names == ["chain-s1.html", "chain-s2.html", "country-vn.html", "fees.html", "index.html",
                     "institutions.html"]
    page = (tmp_path / "views" / "index.html").read_text(encoding="utf-8")
    for name in names[:-2] + ["institutions.html"]:
        assert f'href="{name}"' in page
    assert "views/index.html" in Ctx.report.written


def test_cli_writes_a_view_and_reports_bad_input(sample_file, tmp_path, cli_cmd, cli_env):
    out = tmp_path / "chain.html"
    done = subprocess.run(cli_cmd + ["view", "chain", "--org", "syn:supervising-organization/s1", "--depth", "2",
                                     "--from", str(sample_file), "--out", str(out)],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "7 nodes" in done.stdout and len(payload(out.read_text(encoding="utf-8"))["nodes"]) == 7
    bad = subprocess.run(cli_cmd + ["view", "chain", "--org", "syn:nope/x", "--from", str(sample_file),
                                    "--out", str(tmp_path / "bad.html")],
                         capture_output=True, text=True, env=cli_env, timeout=120)
    assert bad.returncode == 1 and "nothing in the graph" in bad.stderr
    assert not (tmp_path / "bad.html").exists()
    usage = subprocess.run(cli_cmd + ["view", "country", "--from", str(sample_file), "--out", str(out)],
                           capture_output=True, text=True, env=cli_env, timeout=120)
    assert usage.returncode == 2 and "--country" in usage.stderr
