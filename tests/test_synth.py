"""The synthetic network generator: deterministic, well-formed RDF whose statistics follow
the published marginals, every node marked synthetic, nothing half written."""
from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from titp_graph.errors import TitpError
from titp_graph.namespaces import ONTOLOGY, PREFIXES, SYNTHETIC, sparql_prologue
from titp_graph.synth import generate, params as P
from titp_graph.synth.writer import Syntax, escape_string

generate_module = importlib.import_module("titp_graph.synth.generate")  # the module, not the function

NT = ox.RdfFormat.N_TRIPLES
TTL = ox.RdfFormat.TURTLE


def _store(path: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=NT if path.suffix == ".nt" else TTL)
    return store


def _one(store: ox.Store, sparql: str):
    rows = list(store.query(sparql_prologue() + sparql))
    return [[None if t is None else (t.value if not isinstance(t, ox.Literal) else _py(t)) for t in row]
            for row in rows]


def _py(lit: ox.Literal):
    dt = lit.datatype.value
    if dt.endswith(("#integer", "#decimal", "#double")):
        return float(lit.value)
    return lit.value


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> ox.Store:
    """20,000 workers, loaded: large enough for the marginals to show."""
    path = tmp_path_factory.mktemp("synth") / "big.nt"
    generate(path, workers=20_000, seed=7)
    return _store(path)


# --- determinism ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["net.nt", "net.ttl"])
def test_same_seed_gives_identical_bytes(tmp_path, name):
    a, b = tmp_path / "a" / name, tmp_path / "b" / name
    a.parent.mkdir(), b.parent.mkdir()
    generate(a, workers=800, seed=3)
    generate(b, workers=800, seed=3)
    assert a.read_bytes() == b.read_bytes()


def test_different_seed_gives_different_network(tmp_path):
    generate(tmp_path / "a.nt", workers=800, seed=3)
    generate(tmp_path / "b.nt", workers=800, seed=4)
    a = set((tmp_path / "a.nt").read_text().splitlines())
    b = set((tmp_path / "b.nt").read_text().splitlines())
    assert a != b
    # and the IRIs differ, so two runs loaded together never merge their nodes
    assert not {line.split(" ")[0] for line in a} & {line.split(" ")[0] for line in b}


def test_turtle_and_ntriples_hold_the_same_triples(tmp_path):
    generate(tmp_path / "x.nt", workers=300, seed=5)
    generate(tmp_path / "x.ttl", workers=300, seed=5)
    nt = set(ox.parse(path=str(tmp_path / "x.nt"), format=NT))
    ttl = set(ox.parse(path=str(tmp_path / "x.ttl"), format=TTL))
    assert nt == ttl and len(nt) > 10_000


def test_bundled_sample_is_what_the_tool_generates(root, tmp_path):
    sample = root / "data" / "synthetic" / "sample.ttl"
    assert sample.is_file(), "data/synthetic/sample.ttl is missing: titp-graph synth --workers 3000 --seed 1"
    generate(tmp_path / "sample.ttl", workers=3000, seed=1)
    assert sample.read_bytes() == (tmp_path / "sample.ttl").read_bytes(), \
        "the bundled sample is stale: regenerate it with titp-graph synth --workers 3000 --seed 1"


# --- shape and scale ---------------------------------------------------------------------------

def _counts(path: Path) -> dict[str, int]:
    store = _store(path)
    rows = _one(store, "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")
    return {c.rsplit("#", 1)[-1]: int(n) for c, n in rows}


def test_counts_scale_with_workers(tmp_path):
    generate(tmp_path / "small.nt", workers=4_000, seed=1)
    generate(tmp_path / "large.nt", workers=16_000, seed=1)
    small, large = _counts(tmp_path / "small.nt"), _counts(tmp_path / "large.nt")
    assert small["Worker"] == small["Placement"] == 4_000
    assert large["Worker"] == large["Placement"] == 16_000
    for cls in ("SupervisingOrganization", "ImplementingOrganization", "SendingOrganization"):
        assert large[cls] > 2 * small[cls], cls
    # sending orgs: proportional per country, but at least one in each of the 16 countries
    assert round(1800 * 16_000 / 470_725) <= large["SendingOrganization"] <= round(1800 * 16_000 / 470_725) + 16
    # national ratios: about 3,700 supervisors and 65,000 employers for 470,725 interns
    assert large["SupervisingOrganization"] == round(3700 * 16_000 / 470_725)
    assert large["ImplementingOrganization"] == round(65_000 * 16_000 / 470_725)
    assert 3 * 16_000 <= large["Payment"] <= 5 * 16_000
    assert large["SyntheticDataset"] == 1


def test_every_node_is_typed_flagged_synthetic_and_under_syn(big):
    subjects, typed, flagged, linked = set(), set(), set(), set()
    rdf_type, synthetic = ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(ONTOLOGY + "synthetic")
    true = ox.Literal("true", datatype=ox.NamedNode(PREFIXES["xsd"] + "boolean"))
    for quad in big:
        subjects.add(quad.subject)
        if quad.predicate == rdf_type:
            typed.add(quad.subject)
        elif quad.predicate == synthetic and quad.object == true:
            flagged.add(quad.subject)
        elif isinstance(quad.object, ox.NamedNode) and quad.object.value.startswith(SYNTHETIC):
            linked.add(quad.object)
    assert len(subjects) > 100_000
    assert subjects == typed == flagged
    assert all(s.value.startswith(SYNTHETIC) for s in subjects)
    assert linked <= subjects  # no dangling links to undescribed synthetic nodes


def test_organization_labels_say_synthetic_and_workers_have_no_names(big):
    bad = _one(big, "SELECT (COUNT(*) AS ?n) WHERE { ?o a ?c ; rdfs:label ?l "
                    "FILTER(!CONTAINS(?l, \"Synthetic\") || LANG(?l) != \"en\") }")
    assert bad == [[0.0]]
    unlabelled = _one(big, "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?c { titp:SendingOrganization "
                           "titp:SupervisingOrganization titp:ImplementingOrganization titp:Broker titp:Lender } "
                           "?o a ?c FILTER NOT EXISTS { ?o rdfs:label ?l } }")
    assert unlabelled == [[0.0]]
    worker_props = _one(big, "SELECT DISTINCT ?p WHERE { ?w a titp:Worker ; ?p ?o }")
    assert sorted(p for [p] in worker_props) == sorted(
        [PREFIXES["rdf"] + "type", ONTOLOGY + "synthetic", ONTOLOGY + "identifier"])


def test_placements_follow_intermediation_agreements(big):
    agreed = {tuple(r) for r in _one(big, "SELECT ?so ?sup WHERE { ?a a titp:IntermediationAgreement ; "
                                          "titp:sendingOrganization ?so ; titp:supervisingOrganization ?sup }")}
    used = {tuple(r) for r in _one(big, "SELECT DISTINCT ?so ?sup WHERE { ?p a titp:Placement ; "
                                        "titp:sendingOrganization ?so ; titp:supervisingOrganization ?sup }")}
    assert used and used <= agreed
    # supervisors work mostly with 1-3 countries
    per_sup = _one(big, "SELECT ?sup (COUNT(DISTINCT ?c) AS ?n) WHERE { ?a a titp:IntermediationAgreement ; "
                        "titp:supervisingOrganization ?sup ; titp:sendingOrganization ?so . ?so titp:country ?c } "
                        "GROUP BY ?sup")
    assert sum(1 for _, n in per_sup if n <= 3) / len(per_sup) >= 0.8


def test_a_few_supervisors_broker_many(big):
    sizes = sorted((n for _, n in _one(big, "SELECT ?sup (COUNT(?p) AS ?n) WHERE { ?p a titp:Placement ; "
                                            "titp:supervisingOrganization ?sup } GROUP BY ?sup")), reverse=True)
    top_tenth = sum(sizes[: max(1, len(sizes) // 10)]) / sum(sizes)
    assert top_tenth > 0.2  # uniform would give 0.1


def test_prefectures_are_jis_codes(big):
    prefs = {p for [p] in _one(big, "SELECT DISTINCT ?p WHERE { ?o titp:prefecture ?p }")}
    assert prefs <= {f"{i:02d}" for i in range(1, 48)} and len(prefs) >= 40


# --- marginals ----------------------------------------------------------------------------------

def _expected_share(country: str) -> float:
    weights = {c: s.value for c, s in P.NATIONALITY_WEIGHTS.items()}
    return weights[country] / sum(weights.values())


def test_nationality_shares_follow_the_marginals(big):
    rows = dict(_one(big, "SELECT ?c (COUNT(?p) AS ?n) WHERE { ?p a titp:Placement ; titp:nationality ?c } GROUP BY ?c"))
    total = sum(rows.values())
    assert len(rows) == 16
    for code in ("VN", "CN", "PH"):
        got = rows[PREFIXES["country"] + code] / total
        assert abs(got - _expected_share(code)) < 0.015, (code, got)


def test_mean_fee_before_arrival_follows_the_survey(big):
    rows = _one(big, "SELECT ?c (AVG(?t) AS ?mean) WHERE { { SELECT ?p ?c (SUM(?a) AS ?t) WHERE { "
                     "?pay a titp:Payment ; titp:forPlacement ?p ; titp:amount ?a . ?p titp:nationality ?c } "
                     "GROUP BY ?p ?c } } GROUP BY ?c")
    means = {c.rsplit("/", 1)[-1]: m for c, m in rows}
    assert means["VN"] == pytest.approx(688_143, rel=0.04)
    assert means["CN"] == pytest.approx(591_777, rel=0.05)
    assert means["PH"] == pytest.approx(94_821, rel=0.08)
    assert means["VN"] > means["PH"] * 5


def test_broker_use_borrowing_and_debt_follow_the_survey(big):
    vn = PREFIXES["country"] + "VN"
    [[placements, brokered]] = _one(big, f"SELECT (COUNT(?p) AS ?n) (COUNT(?b) AS ?k) WHERE {{ ?p a titp:Placement ; "
                                         f"titp:nationality <{vn}> OPTIONAL {{ ?p titp:broker ?b }} }}")
    assert brokered / placements == pytest.approx(0.172, abs=0.02)
    [[debts, mean_debt]] = _one(big, f"SELECT (COUNT(?d) AS ?n) (AVG(?x) AS ?m) WHERE {{ ?d a titp:Debt ; "
                                     f"titp:principal ?x ; titp:financesPlacement ?p . ?p titp:nationality <{vn}> }}")
    assert debts / placements == pytest.approx(0.800, abs=0.02)
    assert mean_debt == pytest.approx(674_480, rel=0.05)
    [[all_p, all_b]] = _one(big, "SELECT (COUNT(?p) AS ?n) (COUNT(?b) AS ?k) WHERE { ?p a titp:Placement "
                                 "OPTIONAL { ?p titp:broker ?b } }")
    assert 0.115 < all_b / all_p < 0.172


def test_payments_are_well_formed(big):
    [[negative]] = _one(big, "SELECT (COUNT(*) AS ?n) WHERE { ?p titp:amount ?a FILTER(?a < 0) }")
    [[not_decimal]] = _one(big, "SELECT (COUNT(*) AS ?n) WHERE { ?p titp:amount ?a "
                                "FILTER(DATATYPE(?a) != xsd:decimal) }")
    [[payments]] = _one(big, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a titp:Payment }")
    [[complete]] = _one(big, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a titp:Payment ; titp:payer ?w ; "
                             "titp:payee ?e ; titp:currency \"JPY\" ; titp:feeCategory ?f ; titp:bornBy ?w ; "
                             "titp:forPlacement ?pl . ?pl titp:worker ?w }")
    assert negative == not_decimal == 0
    assert complete == payments > 60_000
    per_worker = _one(big, "SELECT (MIN(?n) AS ?lo) (MAX(?n) AS ?hi) WHERE { { SELECT ?pl (COUNT(?p) AS ?n) "
                           "WHERE { ?p titp:forPlacement ?pl } GROUP BY ?pl } }")
    assert per_worker == [[3.0, 5.0]]
    [[broker_fees, to_own_broker]] = _one(big, "SELECT (COUNT(?p) AS ?n) (COUNT(?own) AS ?k) WHERE { "
                                               "?p titp:feeCategory feecat:broker-fee ; titp:payee ?b ; "
                                               "titp:forPlacement ?pl OPTIONAL { ?pl titp:broker ?own FILTER(?own = ?b) } }")
    [[brokered]] = _one(big, "SELECT (COUNT(?pl) AS ?n) WHERE { ?pl titp:broker ?b }")
    assert broker_fees == to_own_broker == brokered > 0


def test_dataset_node_cites_its_sources(big, root):
    rows = _one(big, "SELECT ?src WHERE { ?d a titp:SyntheticDataset ; prov:wasDerivedFrom ?src }")
    cited = sorted(s for [s] in rows)
    assert cited == sorted(PREFIXES["src"] + key for key in P.sources())
    [[triples]] = _one(big, "SELECT ?n WHERE { ?d a titp:SyntheticDataset ; void:triples ?n }")
    assert triples == len(big)


def test_cited_sources_and_concepts_exist_in_the_curated_data(root):
    """Catches a renamed src:/feecat:/sanction: key once those files exist."""
    checks = [(root / "data" / "curated" / "sources.ttl", [PREFIXES["src"] + k for k in P.sources()]),
              (root / "ontology" / "concepts" / "fee-category.ttl",
               [PREFIXES["feecat"] + k for k in ("dispatch-fee", "pre-departure-education", "deposit-penalty",
                                                 "related-cost", "broker-fee")]),
              (root / "ontology" / "concepts" / "sanction-type.ttl",
               [PREFIXES["sanction"] + k for k in P.SANCTION_RATES])]
    present = [(path, iris) for path, iris in checks if path.is_file()]
    if not present:
        pytest.skip("no curated sources or concept files yet")
    for path, iris in present:
        subjects = {q.subject.value for q in ox.parse(path=str(path), format=TTL)
                    if isinstance(q.subject, ox.NamedNode)}
        missing = [iri for iri in iris if iri not in subjects]
        assert not missing, f"{path.name} lacks {missing}"


# --- safety -------------------------------------------------------------------------------------

@pytest.mark.parametrize("turtle", [False, True])
def test_hostile_text_stays_a_literal(turtle):
    hostile = 'x" . <http://evil/s> <http://evil/p> "y\\\n\r\t\x00\x1f <script>alert(1)</script> }'
    syntax = Syntax(turtle)
    doc = syntax.header() + syntax.subject("<http://example.org/s>", [("<http://example.org/p>",
                                                                        syntax.string(hostile, "en"))])
    triples = list(ox.parse(doc.encode(), format=TTL if turtle else NT))
    assert len(triples) == 1 and triples[0].object.value == hostile
    assert "\n" not in escape_string(hostile)


def test_failed_run_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "net.nt"
    target.write_text("previous\n")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(generate_module, "_workers", boom)
    with pytest.raises(RuntimeError):
        generate(target, workers=100, seed=1)
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["net.nt"]


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(TitpError, match=r"\.nt .*\.ttl"):
        generate(tmp_path / "net.csv", workers=10)
    with pytest.raises(TitpError, match="--workers"):
        generate(tmp_path / "net.nt", workers=0)
    with pytest.raises(TitpError, match="does not exist"):
        generate(tmp_path / "nowhere" / "net.nt", workers=10)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_file_and_reports(tmp_path, cli_cmd, cli_env):
    out = tmp_path / "net.ttl"
    done = subprocess.run(cli_cmd + ["synth", "--workers", "200", "--seed", "2", "--out", str(out), "-q"],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(set(ox.parse(path=str(out), format=TTL))) > 5_000
    bad = subprocess.run(cli_cmd + ["synth", "--workers", "10", "--out", str(tmp_path / "x.json")],
                         capture_output=True, text=True, env=cli_env, timeout=120)
    assert bad.returncode == 1 and "x.json" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.json").exists()
    zero = subprocess.run(cli_cmd + ["synth", "--workers", "0", "--out", str(out)],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert zero.returncode == 2 and "--workers" in zero.stderr
