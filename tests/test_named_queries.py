"""The named questions (competency questions of DESIGN.md) answer what FACTS.md says.

Two kinds of tests: small graphs written here pin the query logic (date precision, optional
parameters, superseded norms) independently of the curated data; the bundled graph tests
check the answers a user reads against the figures in FACTS.md.
"""
from __future__ import annotations

import shlex
from decimal import Decimal

import pyoxigraph as ox
import pytest

from titp_graph import TitpGraph
from titp_graph.errors import TitpError
from titp_graph.queries import list_named

NAMES = {"fees-by-tier", "rules-in-force", "statistics-over-time", "claims-vs-evidence",
         "problems-and-reforms", "comparison", "provenance", "debt-burden-survey",
         "fee-rules", "sources", "missing-interns"}

T = "https://w3id.org/titp-graph/ontology#"
ID = "https://w3id.org/titp-graph/id/"
CONF = "https://w3id.org/titp-graph/concept/confidence/"
PROGRAM = "https://w3id.org/titp-graph/concept/program/"

PROLOGUE = """
@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix measure: <https://w3id.org/titp-graph/concept/measure/> .
@prefix unit: <https://w3id.org/titp-graph/concept/unit/> .
@prefix program: <https://w3id.org/titp-graph/concept/program/> .
@prefix confidence: <https://w3id.org/titp-graph/concept/confidence/> .
@prefix country: <https://w3id.org/titp-graph/id/country/> .
@prefix law: <https://w3id.org/titp-graph/id/law/> .
@prefix rule: <https://w3id.org/titp-graph/id/fee-rule/> .
@prefix obs: <https://w3id.org/titp-graph/id/observation/> .
@prefix src: <https://w3id.org/titp-graph/id/source/> .
@prefix organization: <https://w3id.org/titp-graph/id/organization/> .

titp:LegalInstrument rdfs:subClassOf titp:Norm .
titp:Law rdfs:subClassOf titp:LegalInstrument ; rdfs:label "law"@en .
titp:FeeRule rdfs:subClassOf titp:Norm ; rdfs:label "fee rule"@en .
titp:AcceptanceCap rdfs:subClassOf titp:Observation .
organization:pub a titp:Publisher ; rdfs:label "Test Publisher"@en , "テスト"@ja .
src:doc a titp:SourceDocument ; dct:title "Test document"@en ; dct:publisher organization:pub ;
    dct:issued "2022-07-26"^^xsd:date ; schema:url "https://example.org/doc"^^xsd:anyURI ;
    titp:confidence confidence:V1 .
"""


def small_graph(tmp_path, turtle: str) -> TitpGraph:
    """An in-memory graph of the shared prologue plus ``turtle``."""
    path = tmp_path / "small.ttl"
    path.write_text(PROLOGUE + turtle, encoding="utf-8")
    graph = TitpGraph()
    graph.load_path(path)
    return graph


def recs(result) -> list[dict]:
    """Rows as dicts with every column present (None where unbound)."""
    return [{c: r.get(c) for c in result.columns} for r in result.records()]


def column(result, name):
    return [record[name] for record in recs(result)]


# -- every named question is documented and runs ------------------------------------------

def test_the_named_questions_exist_with_title_description_and_example():
    queries = {q.name: q for q in list_named()}
    assert NAMES <= set(queries), f"missing: {NAMES - set(queries)}"
    for q in queries.values():
        assert q.title and q.description and q.examples, q.name
        for example in q.examples:
            assert example.startswith(f"titp-graph query --name {q.name}"), example
        assert "PREFIX titp:" in q.text, f"{q.name}: declare prefixes for remote servers"


def _example_params(example: str) -> dict[str, str]:
    words = shlex.split(example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


@pytest.mark.parametrize("query", list_named(), ids=lambda q: q.name)
def test_every_example_runs_on_the_bundled_graph(bundled_graph, query):
    for example in query.examples:
        result = bundled_graph.named(query.name, **_example_params(example))
        assert result.columns, example
        for p in query.params:
            assert p.name in result.columns, f"{query.name}: param {p.name} must be projected"


def test_a_required_parameter_left_out_is_a_clear_error(bundled_graph):
    with pytest.raises(TitpError, match="date"):
        bundled_graph.named("rules-in-force")


def test_hostile_parameter_text_is_refused_or_stays_a_value(bundled_graph):
    before = len(bundled_graph)
    with pytest.raises(TitpError, match="not a valid iri"):
        bundled_graph.named("provenance", subject='https://x.org/a> } ; DROP ALL ; #')
    result = bundled_graph.named("provenance", subject="https://x.org/a%3E%7D%20DROP%20ALL")
    assert result.rows == []
    assert len(bundled_graph) == before


# -- query logic on small graphs -------------------------------------------------------------

NORMS = """
law:old a titp:Law ; rdfs:label "Old act"@en ; titp:jurisdiction country:JP ;
    titp:governsProgram program:titp ;
    titp:inForceFrom "2017-11"^^xsd:gYearMonth ; titp:inForceUntil "2027-03-31"^^xsd:date ;
    titp:supersededBy law:new ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V1 .
law:new a titp:Law ; rdfs:label "New act"@en ; titp:jurisdiction country:JP ;
    titp:governsProgram program:esd ;
    titp:inForceFrom "2027-04-01"^^xsd:date ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
law:yearly a titp:Law ; rdfs:label "Year act"@en ; titp:jurisdiction country:VN ;
    titp:inForceFrom "2020"^^xsd:gYear ; titp:inForceUntil "2021"^^xsd:gYear ;
    prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
rule:cap a titp:FeeRule ; rdfs:label "VN cap"@en ; titp:definedBy law:yearly ;
    titp:appliesToCountry country:VN ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
"""


def _status(graph, date, **params):
    result = graph.named("rules-in-force", date=date, **params)
    return {r["label"]: r["status"] for r in result.records()}


def test_rules_in_force_a_month_start_counts_from_the_first(tmp_path):
    g = small_graph(tmp_path, NORMS)
    assert _status(g, "2017-10-31").get("Old act") is None
    assert _status(g, "2017-11-01")["Old act"] == "in force"


def test_rules_in_force_successor_supersedes_on_its_first_day(tmp_path):
    g = small_graph(tmp_path, NORMS)
    assert _status(g, "2027-03-31") == {"Old act": "in force", "Year act": "ended", "VN cap": "ended"}
    after = _status(g, "2027-04-01")
    assert after["New act"] == "in force" and after["Old act"] == "superseded"


def test_rules_in_force_a_year_end_counts_to_31_december(tmp_path):
    g = small_graph(tmp_path, NORMS)
    assert _status(g, "2021-12-31")["Year act"] == "in force"
    assert _status(g, "2022-01-01")["Year act"] == "ended"
    # A fee rule without its own dates takes those of the law that defines it.
    assert _status(g, "2019-12-31").get("VN cap") is None
    assert _status(g, "2020-01-01")["VN cap"] == "in force"


def test_rules_in_force_filters_by_country_and_program(tmp_path):
    g = small_graph(tmp_path, NORMS)
    assert set(_status(g, "2020-06-01", country="VN")) == {"Year act", "VN cap"}
    assert set(_status(g, "2027-06-01", program="program:esd")) == {"New act"}
    assert set(_status(g, "2020-06-01")) == {"Old act", "Year act", "VN cap"}
    row = recs(g.named("rules-in-force", date="2027-06-01", program="program:esd"))[0]
    assert row["sourceTitle"] == "Test document" and row["publisher"] == "Test Publisher"


FEES = """
obs:all a titp:Observation ; titp:measure measure:pre-arrival-total-paid-mean ;
    titp:value 542311 ; titp:unit unit:JPY ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
obs:vn a titp:Observation ; titp:measure measure:pre-arrival-total-paid-mean ; titp:nationality country:VN ;
    titp:value 688143 ; titp:unit unit:JPY ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
obs:cn a titp:Observation ; titp:measure measure:broker-fee-mean ; titp:nationality country:CN ;
    titp:value 1 ; titp:unit unit:JPY ; prov:wasDerivedFrom src:doc ; titp:confidence confidence:V2 .
country:VN rdfs:label "Viet Nam"@en .
"""


def test_optional_country_given_keeps_only_that_nationality(tmp_path):
    g = small_graph(tmp_path, FEES)
    every = g.named("fees-by-tier")
    assert sorted(column(every, "value")) == [1, 542311, 688143]
    assert set(column(every, "nationality")) == {"all nationalities", "Viet Nam", ID + "country/CN"}
    vn = g.named("fees-by-tier", country="VN")
    assert column(vn, "value") == [688143]
    assert column(vn, "tier") == ["all payees before arrival"]
    assert g.named("fees-by-tier", country="PH").rows == []


def test_source_columns_name_the_surest_citing_document_and_never_a_stranger(tmp_path):
    g = small_graph(tmp_path, FEES + """
src:blog a titp:SourceDocument ; dct:title "A blog"@en ; dct:publisher organization:pub ;
    titp:confidence confidence:V2 .
obs:vn prov:wasDerivedFrom src:blog .
obs:bare a titp:Observation ; titp:measure measure:debt-mean ; titp:value 5 .
""")
    vn = recs(g.named("fees-by-tier", country="VN"))[0]
    assert vn["source"] == ID + "source/doc" and vn["sourceCount"] == 2   # V1 before V2
    bare = [r for r in recs(g.named("statistics-over-time")) if r["obs"].endswith("/bare")]
    assert bare and bare[0]["source"] is None and bare[0]["sourceTitle"] is None


# -- the answers, against FACTS.md ------------------------------------------------------------

def _is_src(value, key):
    return value == ID + "source/" + key


def test_fees_by_tier_vietnam_total_is_688143_from_the_isa_survey(bundled_graph):
    rows = recs(bundled_graph.named("fees-by-tier", country="VN"))
    totals = [r for r in rows if r["measure"].endswith("/pre-arrival-total-paid-mean")]
    assert totals and {r["value"] for r in totals} == {688143}
    sources = {r["source"].rsplit("/", 1)[-1] for r in totals}
    assert "isa-2022-fee-survey" in sources or sources & {"viet-jo-2022-07-27", "japan-news-jiji-2022-07-27"}
    assert all(r["sourceTitle"] and r["publisher"] and r["confidence"] for r in totals)
    tiers = {r["tier"] for r in rows}
    assert len(tiers) >= 2, f"sending-org and broker tiers expected, got {tiers}"


def test_fees_by_tier_overall_mean_is_542311(bundled_graph):
    rows = recs(bundled_graph.named("fees-by-tier"))
    overall = [r for r in rows if r["nationality"] == "all nationalities"
               and r["measure"].endswith("/pre-arrival-total-paid-mean")]
    assert {r["value"] for r in overall} == {542311}
    by_measure = {}
    for r in rows:
        if r["nationality"] == "all nationalities":
            by_measure.setdefault(r["measure"].rsplit("/", 1)[-1], set()).add(r["value"])
    assert 521065 in by_measure["fee-paid-to-sending-org-mean"]
    assert 269303 in by_measure["fee-paid-to-sending-org-mean"], "dispatch-fee item"
    assert by_measure["broker-fee-mean"] == {335378}
    assert by_measure["share-paid-sending-org"] == {Decimal("85.3")}
    assert all(r["sourceTitle"] and r["publisher"] for r in rows)


def _laws_in_force(graph, date):
    rows = recs(graph.named("rules-in-force", date=date, country="JP"))
    return {(r["label"] or r["norm"]): r["status"] for r in rows}, rows


def test_esd_law_in_force_on_2027_04_01_and_the_titp_act_superseded(bundled_graph):
    rows = recs(bundled_graph.named("rules-in-force", date="2027-04-01"))
    by_norm = {r["norm"]: r for r in rows}
    esd = [n for n, r in by_norm.items() if r["status"] == "in force"
           and ("令和6年法律第60号" in str(r["lawNumber"]) or "esd" in n.lower() or "ikusei" in n.lower())]
    assert esd, "the ESD law should be in force on 2027-04-01"
    titp = [r for r in rows if "平成28年法律第89号" == str(r["lawNumber"])]
    assert titp and all(r["status"] == "superseded" for r in titp)


def test_titp_act_in_force_on_2026_04_01(bundled_graph):
    rows = recs(bundled_graph.named("rules-in-force", date="2026-04-01"))
    titp = [r for r in rows if str(r["lawNumber"]) == "平成28年法律第89号"]
    assert titp and all(r["status"] == "in force" for r in titp)
    assert not any(r["status"] == "in force" and "令和6年法律第60号" == str(r["lawNumber"])
                   and r["inForceFrom"] and str(r["inForceFrom"]) >= "2027" for r in rows)


def test_missing_interns_2023_is_9753_and_years_2012_to_2024(bundled_graph):
    rows = recs(bundled_graph.named("statistics-over-time", measure="measure:missing-interns"))
    by_year = {}
    for r in rows:
        if r["nationality"] is None and r["refPeriod"] is not None:
            by_year.setdefault(str(r["refPeriod"])[:4], set()).add(r["value"])
    assert by_year.get("2023") == {9753}
    for year, value in {"2012": 2005, "2016": 5058, "2017": 7089, "2018": 9052, "2022": 9006,
                        "2024": 6510}.items():
        assert value in by_year.get(year, set()), year
    assert all(r["source"] and r["sourceTitle"] for r in rows)


def test_missing_interns_question_shows_counts_and_claims(bundled_graph):
    rows = recs(bundled_graph.named("missing-interns"))
    assert any(r["kind"] == "observation" and r["value"] == 9753 for r in rows)
    assert any(r["kind"] == "observation" and r["value"] == 66269 for r in rows)
    assert all(r["source"] for r in rows)


def test_claims_vs_evidence_shows_both_debt_figures_with_different_sources(bundled_graph):
    rows = recs(bundled_graph.named("claims-vs-evidence"))
    debt = [r for r in rows if r["claimedValue"] == 1000000 and r["evidenceValue"] == 547788]
    assert debt, "the seed's ~1 million yen claim against the survey's 547,788"
    r = debt[0]
    assert r["claimSource"].endswith("/seed-essay")
    assert r["evidenceSource"] and r["evidenceSource"] != r["claimSource"]
    assert r["claimSourceTitle"] and r["evidenceSourceTitle"] and r["evidencePublisher"]


def test_claims_vs_evidence_over_100000_missing_vs_66269(bundled_graph):
    rows = recs(bundled_graph.named("claims-vs-evidence"))
    assert any(r["claimedValue"] == 100000 and r["evidenceValue"] == 66269 for r in rows)


def test_debt_burden_survey_by_nationality(bundled_graph):
    rows = recs(bundled_graph.named("debt-burden-survey"))
    got = {(r["nationality"], r["measure"].rsplit("/", 1)[-1]): r["value"] for r in rows}
    assert got[("all nationalities", "debt-mean")] == 547788
    assert got[("all nationalities", "share-borrowed")] == Decimal("54.7")
    vn = recs(bundled_graph.named("debt-burden-survey", country="VN"))
    vn_values = {r["measure"].rsplit("/", 1)[-1]: r["value"] for r in vn}
    assert vn_values == {"debt-mean": 674480, "share-borrowed": Decimal("80.0")}
    kh = {r["measure"].rsplit("/", 1)[-1]: r["value"]
          for r in recs(bundled_graph.named("debt-burden-survey", country="KH"))}
    assert kh.get("share-borrowed") == Decimal("83.5")
    assert all(r["source"] and r["confidence"] for r in rows)


def test_comparison_covers_the_five_programs(bundled_graph):
    rows = recs(bundled_graph.named("comparison"))
    programs = {r["program"].rsplit("/", 1)[-1] for r in rows}
    assert {"titp", "esd", "kr-eps", "de-feg"} <= programs
    assert programs & {"ssw-1", "ssw-2"}
    assert all(r["description"] and r["source"] for r in rows)


def test_problems_and_reforms_show_status_and_open_problems(bundled_graph):
    rows = recs(bundled_graph.named("problems-and-reforms"))
    problems = {r["problem"].rsplit("/", 1)[-1] for r in rows}
    assert {"debt-structure", "job-transfer-restriction", "intermediary-opacity"} <= problems
    assert any(r["reform"] and r["status"] for r in rows)
    assert any(r["stillOpen"] for r in rows), "some problem should stay open"


def test_fee_rules_vietnam_cap_and_philippines_ban(bundled_graph):
    vn = recs(bundled_graph.named("fee-rules", country="VN"))
    assert any(r["capWageMonthsPer12Months"] == 1 and r["capMaxWageMonths"] == 3 for r in vn)
    ph = recs(bundled_graph.named("fee-rules", country="PH"))
    assert any(r["kind"] == "Ban" for r in ph)
    assert all(r["source"] and r["sourceTitle"] for r in vn + ph)


def test_provenance_of_an_observation_names_its_document(bundled_graph):
    found = bundled_graph.query(
        "SELECT ?o WHERE { ?o titp:measure measure:missing-interns ; titp:value 9753 }").rows
    assert found, "no observation of 9,753 missing interns"
    rows = recs(bundled_graph.named("provenance", subject=found[0][0]))
    props = {r["property"].rsplit("#", 1)[-1] for r in rows}
    assert {"value", "measure", "wasDerivedFrom"} <= props
    cited = [r for r in rows if r["property"].endswith("#wasDerivedFrom")]
    assert all(r["sourceTitle"] and r["publisher"] and r["sourceConfidence"] for r in cited)
    assert all(r["confidence"] for r in rows)
    assert all(r["graph"].startswith("https://w3id.org/titp-graph/graph/") for r in rows)


def test_sources_count_the_facts_that_cite_them(bundled_graph):
    rows = recs(bundled_graph.named("sources"))
    by_source = {r["source"].rsplit("/", 1)[-1]: r for r in rows}
    assert by_source["isa-2022-fee-survey"]["facts"] >= 5
    assert by_source["isa-2022-fee-survey"]["publisher"]
    counts = [r["facts"] for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_every_observation_has_a_described_source(bundled_graph):
    lacking = bundled_graph.query("""
        SELECT DISTINCT ?obs WHERE {
          ?obs a/rdfs:subClassOf* titp:Observation .
          FILTER NOT EXISTS {
            ?obs prov:wasDerivedFrom ?src .
            ?src a titp:SourceDocument ; dct:title ?title ; dct:publisher ?publisher .
          }
        } ORDER BY ?obs LIMIT 20""").rows
    assert lacking == []
    count = bundled_graph.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?obs a titp:Observation }").rows[0][0]
    assert count > 0


def test_cli_answers_a_named_question_as_csv(cli_cmd, cli_env, tmp_path):
    """What an analyst types: the installed CLI, its CSV read back with the csv module."""
    import csv
    import io
    import subprocess

    run = subprocess.run(cli_cmd + ["query", "--name", "fees-by-tier", "--param", "country=VN",
                                    "--format", "csv"], capture_output=True, text=True,
                         env=cli_env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    totals = [r for r in rows if r["measure"].endswith("/pre-arrival-total-paid-mean")]
    assert [r["value"] for r in totals] == ["688143"]
    assert totals[0]["sourceTitle"] and totals[0]["publisher"]
    bad = subprocess.run(cli_cmd + ["query", "--name", "rules-in-force", "--param", "date=2027-13-01"],
                         capture_output=True, text=True, env=cli_env, cwd=tmp_path, timeout=120)
    assert bad.returncode != 0 and "date" in bad.stderr


def test_answers_are_the_same_on_a_fresh_load(bundled_graph):
    """Same data, same answer, byte for byte: docs and diffs of exported answers stay stable."""
    fresh = TitpGraph()
    fresh.load_bundled()
    for query in list_named():
        for example in query.examples:
            params = _example_params(example)
            first = bundled_graph.named(query.name, **params).format("csv")
            assert fresh.named(query.name, **params).format("csv") == first, example


def test_remote_style_binding_gives_the_same_answers(bundled_graph):
    """Remote servers get parameters as a VALUES block, not substitution: same answers."""
    from titp_graph.queries import bind, get_named
    from titp_graph.remote import inject_values

    checked = 0
    for query in list_named():
        for example in query.examples:
            params = _example_params(example)
            if not params:
                continue
            local = bundled_graph.named(query.name, **params)
            text = inject_values(query.text, bind(get_named(query.name), params))
            remote_like = bundled_graph.query(text)
            assert remote_like.format("csv") == local.format("csv"), example
            checked += 1
    assert checked >= 8


# -- scope: named questions read the reference graphs, not synthetic or derived ones -------

def test_scoped_answers_are_those_over_every_graph_on_the_bundled_data(bundled_graph):
    """Every question and example: the scoped answer (``named``) is, row for row and term for
    term, the answer over every graph; and the scope really leaves the synthetic sample out."""
    from titp_graph.queries import bind

    reference = {g.value for g in bundled_graph.reference_graphs() if isinstance(g, ox.NamedNode)}
    assert GRAPHS + "synthetic/sample" not in reference
    assert GRAPHS + "curated/claims" in reference and GRAPHS + "ontology/titp" in reference
    assert set(bundled_graph.graphs()) - reference == {GRAPHS + "synthetic/sample"}
    scopes = {}
    for query in list_named():
        scopes[query.name] = query.scope
        for example in query.examples:
            params = _example_params(example)
            scoped = bundled_graph.named(query.name, **params)
            every = bundled_graph.query(query.text, bind(query, params))
            assert scoped.columns == every.columns, example
            assert scoped.terms == every.terms, example
            assert scoped.terms, f"{example}: no rows, nothing compared"
    # sources counts the synthetic dataset node among the facts citing a source: over the
    # reference graphs alone its counts would differ, so it reads every graph.
    assert scopes == {name: "all" if name in ("sources", "provenance") else "reference" for name in NAMES}


GRAPHS = "https://w3id.org/titp-graph/graph/"
ISOLATION = """
@prefix titp: <https://w3id.org/titp-graph/ontology#> .
@prefix measure: <https://w3id.org/titp-graph/concept/measure/> .
@prefix claim: <https://w3id.org/titp-graph/id/claim/> .
@prefix obs: <https://w3id.org/titp-graph/id/observation/> .
@prefix syn: <https://w3id.org/titp-graph/id/synthetic/dataset/> .
@prefix g: <https://w3id.org/titp-graph/graph/> .

g:curated\\/claims { claim:curated a titp:Claim ; titp:measure measure:missing-interns ;
    titp:claimText "curated"@en ; titp:value 100000 .
  obs:curated a titp:Observation ; titp:measure measure:missing-interns ; titp:value 9753 . }
g:import\\/ngo { claim:imported a titp:Claim ; titp:claimText "imported"@en . }
g:synthetic\\/fake { syn:fake a titp:SyntheticDataset ; titp:synthetic true .
  claim:synthetic a titp:Claim ; titp:measure measure:missing-interns ; titp:claimText "synthetic"@en .
  obs:synthetic a titp:Observation ; titp:measure measure:missing-interns ; titp:value 1 . }
g:derived\\/summaries { claim:derived a titp:Claim ; titp:claimText "derived"@en .
  obs:derived a titp:Observation ; titp:measure measure:missing-interns ; titp:value 2 . }
"""


def _with_scope(text: str, scope: str) -> str:
    """A named question's text with a '# scope:' line under its title line."""
    title, rest = text.split("\n", 1)
    assert title.startswith("# title:")
    return f"{title}\n# scope: {scope}\n{rest}"


@pytest.fixture()
def isolation_file(tmp_path):
    path = tmp_path / "isolation.trig"
    path.write_text(ISOLATION, encoding="utf-8")
    return path


def _items(result, column_name):
    return {value.rsplit("/", 1)[-1] for value in column(result, column_name)}


def test_named_questions_do_not_see_synthetic_or_derived_graphs(isolation_file):
    from titp_graph.queries import bind, get_named

    g = TitpGraph.open(isolation_file)
    assert {x.value for x in g.reference_graphs()} == {GRAPHS + "curated/claims", GRAPHS + "import/ngo"}
    assert _items(g.named("claims-vs-evidence"), "claim") == {"curated", "imported"}
    assert _items(g.named("missing-interns"), "item") == {"curated"}
    assert _items(g.named("statistics-over-time"), "obs") == {"curated"}
    # The same text over every graph sees the planted facts (so the checks above can fail),
    # and so does a question whose header says "# scope: all".
    every = g.query(get_named("claims-vs-evidence").text)
    assert _items(every, "claim") == {"curated", "imported", "synthetic", "derived"}
    missing = get_named("missing-interns")
    assert _items(g.query(missing.text, bind(missing, {})), "item") == \
        {"curated", "synthetic", "derived"}
    assert _items(g.query(missing.text, graphs=g.scope_graphs("all")), "item") == \
        {"curated", "synthetic", "derived"}


def test_scope_header_is_read_and_checked(tmp_path):
    from titp_graph.errors import InputError
    from titp_graph.queries import parse_named_query, text_scope

    text = "# title: T\n# scope: all\nSELECT * WHERE { ?s ?p ?o }\n"
    (tmp_path / "a.rq").write_text(text, encoding="utf-8")
    (tmp_path / "b.rq").write_text(text.replace("# scope: all\n", ""), encoding="utf-8")
    (tmp_path / "c.rq").write_text(text.replace("all", "curated"), encoding="utf-8")
    assert parse_named_query(tmp_path / "a.rq").scope == "all"
    assert parse_named_query(tmp_path / "b.rq").scope == "reference"
    with pytest.raises(InputError, match="scope"):
        parse_named_query(tmp_path / "c.rq")
    assert text_scope(text) == "all"
    assert text_scope("SELECT * WHERE { ?s ?p ?o }") is None   # ad hoc: every graph
    assert text_scope("# just a comment\nSELECT * WHERE { ?s ?p ?o }") is None


def test_a_store_without_named_graphs_is_read_whole(tmp_path):
    g = TitpGraph()
    g.store.load(ISOLATION.split("g:curated")[0]
                 + "claim:plain a titp:Claim ; titp:claimText \"plain\"@en .",
                 format=ox.RdfFormat.TURTLE)
    assert g.reference_graphs() is None
    assert _items(g.named("claims-vs-evidence"), "claim") == {"plain"}
    # Named graphs plus data in the unnamed default graph: the unnamed graph stays in.
    g.store.add(ox.Quad(ox.NamedNode(ID + "claim/named"), ox.NamedNode(RDF_TYPE), ox.NamedNode(T + "Claim"),
                        ox.NamedNode(GRAPHS + "curated/x")))
    assert ox.DefaultGraph() in g.reference_graphs()
    assert _items(g.named("claims-vs-evidence"), "claim") == {"plain", "named"}


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def test_the_server_worker_runs_a_named_question_text_in_its_scope(isolation_file):
    """What `titp-graph serve` does with a query pasted from its query page."""
    import json

    from titp_graph.queries import get_named
    from titp_graph.serve import jobs

    g = TitpGraph.open(isolation_file)

    def claims(query, **extra):
        fmt, body = jobs.run(g, {"kind": "sparql", "query": query, "format": "json", **extra}, 1000)
        return {b["claim"]["value"].rsplit("/", 1)[-1] for b in json.loads(body)["results"]["bindings"]}

    text = get_named("claims-vs-evidence").text
    assert claims(text) == {"curated", "imported"}
    assert claims(_with_scope(text, "all")) == \
        {"curated", "imported", "synthetic", "derived"}
    ad_hoc = text[text.index("PREFIX"):]
    assert claims(ad_hoc) == {"curated", "imported", "synthetic", "derived"}
    # The protocol's own dataset parameters win over the header.
    assert claims(text, default_graphs=[GRAPHS + "derived/summaries"]) == {"derived"}
    with pytest.raises(jobs.JobError):
        claims(_with_scope(text, "everything"))


def test_cli_runs_named_questions_in_their_scope(cli_cmd, cli_env, isolation_file, tmp_path):
    import csv
    import io
    import subprocess

    from titp_graph.queries import get_named

    def claims(*args):
        run = subprocess.run(cli_cmd + ["query", *args, "--from", str(isolation_file), "--format", "csv"],
                             capture_output=True, text=True, env=cli_env, cwd=tmp_path, timeout=120)
        assert run.returncode == 0, run.stderr
        return {r["claim"].rsplit("/", 1)[-1] for r in csv.DictReader(io.StringIO(run.stdout))}

    assert claims("--name", "claims-vs-evidence") == {"curated", "imported"}
    every = tmp_path / "every.rq"
    every.write_text(_with_scope(get_named("claims-vs-evidence").text, "all"),
                     encoding="utf-8")
    assert claims("-f", str(every)) == {"curated", "imported", "synthetic", "derived"}


def test_a_read_only_store_on_disk_answers_scoped_questions_from_a_copy(isolation_file, tmp_path):
    """On disk, scoped questions run on an in-memory copy of the reference graphs (one index
    seek per graph and lookup otherwise): same answers, and a writable store is never copied."""
    folder = tmp_path / "store"
    writable = TitpGraph(folder)
    writable.load_dataset_file(isolation_file)
    assert writable.store_for(writable.reference_graphs()) is writable.store
    writable.close()

    g = TitpGraph.open(folder)
    assert g.read_only
    reference = g.reference_graphs()
    copy = g.store_for(reference)
    assert copy is not g.store and g.store_for(list(reference)) is copy
    assert {q.graph_name.value for q in copy} == {GRAPHS + "curated/claims", GRAPHS + "import/ngo"}
    assert len(copy) == len(g.query("SELECT * WHERE { ?s ?p ?o }", graphs=reference))
    answers = {name: g.named(name) for name in ("claims-vs-evidence", "missing-interns", "statistics-over-time")}
    assert _items(answers["claims-vs-evidence"], "claim") == {"curated", "imported"}
    direct = TitpGraph.open(folder)
    direct.COPY_LIMIT = 0
    assert direct.store_for(reference) is direct.store
    for name, answer in answers.items():
        assert direct.named(name).terms == answer.terms, name
    small = TitpGraph.open(folder)
    small.COPY_LIMIT = 3   # the reference graphs hold more: read from disk
    assert small.store_for(reference) is small.store
    assert small.named("claims-vs-evidence").terms == answers["claims-vs-evidence"].terms
    # The server's worker takes the same road.
    import json

    from titp_graph.queries import get_named
    from titp_graph.serve import jobs

    _, body = jobs.run(g, {"kind": "sparql", "query": get_named("claims-vs-evidence").text, "format": "json"}, 100)
    assert {b["claim"]["value"].rsplit("/", 1)[-1] for b in json.loads(body)["results"]["bindings"]} == \
        {"curated", "imported"}
