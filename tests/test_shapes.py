"""The ontology (ontology/titp.ttl), its concept schemes (ontology/concepts/) and the SHACL
shapes (ontology/shapes.ttl).

Every shape is exercised with the real validator (pySHACL, ontology loaded beside the data):
a small bad example must produce a result from that very shape (and path), and the matching
good example must conform. The structural checks are functions returning a list of problems,
so each is also run once on a deliberately broken graph to show it can fail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
TITP_TTL = ONTOLOGY_DIR / "titp.ttl"
SHAPES_TTL = ONTOLOGY_DIR / "shapes.ttl"
CONCEPT_FILES = sorted((ONTOLOGY_DIR / "concepts").glob("*.ttl"))
ALL_FILES = [TITP_TTL, SHAPES_TTL, *CONCEPT_FILES]
MODEL_MD = ROOT / "docs" / "MODEL.md"

TITP = Namespace("https://w3id.org/titp-graph/ontology#")
TGS = Namespace("https://w3id.org/titp-graph/shapes#")
CONCEPT = "https://w3id.org/titp-graph/concept/"
SRC = "https://w3id.org/titp-graph/id/source/"
QB = Namespace("http://purl.org/linked-data/cube#")
PROV = Namespace("http://www.w3.org/ns/prov#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ONTOLOGY_IRI = URIRef("https://w3id.org/titp-graph/ontology")

# Concept namespaces of docs/MODEL.md (prefix -> folder under concept/)
CONCEPT_PREFIXES = {
    "program": "program/", "status": "residence-status/", "feecat": "fee-category/",
    "flind": "forced-labour-indicator/", "sanction": "sanction-type/", "sswfield": "ssw-field/",
    "confidence": "confidence/", "measure": "measure/", "unit": "unit/",
    "aspect": "comparison-aspect/", "eventtype": "event-type/",
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
DECLARING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   OWL.NamedIndividual, RDFS.Datatype, QB.DataStructureDefinition}
DATATYPE_RANGES = {RDF.langString, RDFS.Literal, TITP.DateOrPartialDate}


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------

def _parse(*paths: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def titp() -> rdflib.Graph:
    return _parse(TITP_TTL)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    """titp.ttl and every concept scheme: what the store holds beside the data."""
    return _parse(TITP_TTL, *CONCEPT_FILES)


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return _parse(SHAPES_TTL)


@pytest.fixture(scope="module")
def typing(ontology) -> rdflib.Graph:
    """The ontology's rdf:type and rdfs:subClassOf triples: all that sh:class needs from it.

    Validating each small example beside this slice (not the whole ontology) keeps the test
    fast; test_the_ontology_itself_conforms validates the whole ontology once.
    """
    graph = rdflib.Graph()
    for predicate in (RDF.type, RDFS.subClassOf):
        for triple in ontology.triples((None, predicate, None)):
            graph.add(triple)
    return graph


PREFIXES = """\
@prefix rdf:        <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:       <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:        <http://www.w3.org/2001/XMLSchema#> .
@prefix dct:        <http://purl.org/dc/terms/> .
@prefix prov:       <http://www.w3.org/ns/prov#> .
@prefix foaf:       <http://xmlns.com/foaf/0.1/> .
@prefix schema:     <https://schema.org/> .
@prefix titp:       <https://w3id.org/titp-graph/ontology#> .
@prefix program:    <https://w3id.org/titp-graph/concept/program/> .
@prefix status:     <https://w3id.org/titp-graph/concept/residence-status/> .
@prefix feecat:     <https://w3id.org/titp-graph/concept/fee-category/> .
@prefix flind:      <https://w3id.org/titp-graph/concept/forced-labour-indicator/> .
@prefix sanction:   <https://w3id.org/titp-graph/concept/sanction-type/> .
@prefix sswfield:   <https://w3id.org/titp-graph/concept/ssw-field/> .
@prefix confidence: <https://w3id.org/titp-graph/concept/confidence/> .
@prefix measure:    <https://w3id.org/titp-graph/concept/measure/> .
@prefix unit:       <https://w3id.org/titp-graph/concept/unit/> .
@prefix aspect:     <https://w3id.org/titp-graph/concept/comparison-aspect/> .
@prefix violation:  <https://w3id.org/titp-graph/concept/labour-violation-type/> .
@prefix stage:      <https://w3id.org/titp-graph/concept/titp-stage/> .
@prefix acceptance: <https://w3id.org/titp-graph/concept/acceptance-type/> .
@prefix sbt:        <https://w3id.org/titp-graph/concept/supervision-business-type/> .
@prefix eventtype:  <https://w3id.org/titp-graph/concept/event-type/> .
@prefix ex:         <http://example.org/> .
"""


@dataclass(frozen=True)
class Result:
    shape: str
    path: str | None
    focus: str
    message: str


def validate(data_ttl: str, ontology: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, list[Result]]:
    """Validate ``data_ttl`` (prefixes provided) loaded beside ``ontology`` with pySHACL."""
    data = rdflib.Graph()
    data += ontology
    data.parse(data=PREFIXES + data_ttl, format="turtle")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                           advanced=False, inplace=True)
    results = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        results.append(Result(str(report.value(r, SH.sourceShape)),
                              str(path) if path is not None else None,
                              str(report.value(r, SH.focusNode)),
                              str(report.value(r, SH.resultMessage) or "")))
    return conforms, results


# ------------------------------------------------------------------------------------------
# one bad and one good example per shape
# ------------------------------------------------------------------------------------------

def drop(ttl: str, token: str) -> str:
    """The example without its lines that mention ``token``."""
    kept = [line for line in ttl.splitlines() if token not in line]
    assert len(kept) < len(ttl.splitlines()), f"{token} not in example"
    text = "\n".join(kept).rstrip()
    return text[:-1] + " .\n" if text.endswith(";") else text + "\n"


PAYMENT = """
ex:pay a titp:Payment ;
    titp:amount 269303.0 ;
    titp:currency "JPY" ;
    titp:payer ex:worker ;
    titp:feeCategory feecat:dispatch-fee .
"""

OBSERVATION = """
ex:obs a titp:Observation ;
    titp:measure measure:foreign-workers ;
    titp:value 2302587 ;
    titp:unit unit:persons ;
    titp:refPeriod "2024-10-31"^^xsd:date ;
    prov:wasDerivedFrom ex:src ;
    titp:confidence confidence:V2 .
"""

ACCEPTANCE_CAP = """
ex:cap a titp:AcceptanceCap ;
    titp:measure measure:acceptance-cap ;
    titp:value 820000 ;
    titp:unit unit:persons ;
    titp:refPeriod "2024"^^xsd:gYear ;
    prov:wasDerivedFrom ex:src .
"""

SOURCE = """
ex:src a titp:SourceDocument ;
    dct:title "技能実習生の支払い費用に関する実態調査の結果について"@ja ;
    dct:publisher ex:isa ;
    dct:issued "2022-07-26"^^xsd:date .
"""

AGREEMENT = """
ex:moc a titp:BilateralAgreement ;
    titp:party ex:jp-moj , ex:vn-molisa ;
    titp:signedOn "2017-06-06"^^xsd:date .
"""


@dataclass(frozen=True)
class Case:
    id: str
    shape: str                 # local name in tgs:
    path: str | None           # expected sh:resultPath, None for a node-level constraint
    bad: str
    good: str


def _case(id, shape, path, bad, good):
    return pytest.param(Case(id, shape, path, bad, good), id=id)


# (key, property, bad value, good value) for shapes that check one property's values
DATE_PROPERTIES = ["refPeriod", "date", "signedOn", "inForceFrom", "inForceUntil", "enactedOn",
                   "promulgatedOn", "startDate", "endDate", "validFrom", "validUntil", "removedOn",
                   "fxRateDate", "periodStart", "periodEnd", "surveyPeriodStart", "surveyPeriodEnd"]
CONCEPT_VALUES = [
    ("measure", "measure:foriegn-workers", "measure:foreign-workers"),
    ("unit", "unit:person", "unit:persons"),
    ("feeCategory", "feecat:dispatch", "feecat:dispatch-fee"),
    ("coversFeeCategory", "ex:brokerage", "feecat:brokerage-commission"),
    ("residenceStatus", "status:technical-intern", "status:titp-2b"),
    ("sanctionType", "sanction:revocation", "sanction:license-revocation"),
    ("aspect", "aspect:mobility", "aspect:job-mobility"),
    ("indicatesForcedLabour", "flind:debt", "flind:debt-bondage"),
    ("violationType", "violation:hours", "violation:working-hours"),
    ("titpStage", "stage:2", "stage:stage-2"),
    ("acceptanceType", "acceptance:supervised", "acceptance:group-supervised"),
    ("supervisionBusinessType", "sbt:ippan", "sbt:general"),
    ("sswField", "sswfield:care", "sswfield:nursing-care"),
    ("eventType", "eventtype:in-force", "eventtype:entry-into-force"),
    ("program", "program:ssw", "program:ssw-1"),
    ("governsProgram", "status:titp", "program:titp"),
    ("effectStatus", "ex:Fixed", "titp:PartlyAddressed"),
    ("ruleKind", "ex:Limit", "titp:Cap"),
]

CASES = [
    # payments
    _case("payment-without-amount", "Payment-amount", TITP.amount, drop(PAYMENT, "titp:amount"), PAYMENT),
    _case("payment-two-amounts", "Payment-amount", TITP.amount,
          PAYMENT.replace("269303.0", "269303.0 , 73663.0"), PAYMENT),
    _case("payment-without-currency", "Payment-currency", TITP.currency, drop(PAYMENT, "titp:currency"), PAYMENT),
    _case("payment-without-payer", "Payment-payer", TITP.payer, drop(PAYMENT, "titp:payer"), PAYMENT),
    # money values, wherever they appear
    _case("negative-amount", "money-amount", TITP.amount, PAYMENT.replace("269303.0", "-269303.0"), PAYMENT),
    _case("amount-as-string", "money-amount", TITP.amount, PAYMENT.replace("269303.0", '"269303"'), PAYMENT),
    _case("negative-principal", "money-principal", TITP.principal,
          "ex:debt a titp:Debt ; titp:principal -547788.0 ; titp:currency \"JPY\" .",
          "ex:debt a titp:Debt ; titp:principal 547788.0 ; titp:currency \"JPY\" ."),
    _case("negative-amount-jpy", "money-amountJPY", TITP.amountJPY,
          "ex:pay2 titp:amountJPY -1.5 .", "ex:pay2 titp:amountJPY 1.5 ."),
    _case("negative-cap", "money-capAmount", TITP.capAmount,
          "ex:rule titp:capAmount -1200.0 .", "ex:rule titp:capAmount 1200.0 ."),
    _case("negative-wage", "money-monthlyWage", TITP.monthlyWage,
          "ex:pl titp:monthlyWage -180000.0 .", "ex:pl titp:monthlyWage 180000 ."),
    _case("currency-lower-case", "currency-currency", TITP.currency,
          PAYMENT.replace('"JPY"', '"jpy"'), PAYMENT),
    _case("currency-name", "currency-currency", TITP.currency,
          PAYMENT.replace('"JPY"', '"Yen"'), PAYMENT),
    _case("currency-iri", "currency-currency", TITP.currency,
          PAYMENT.replace('"JPY"', "unit:JPY"), PAYMENT),
    _case("cap-currency", "currency-capCurrency", TITP.capCurrency,
          'ex:rule titp:capCurrency "US$" .', 'ex:rule titp:capCurrency "USD" .'),
    _case("wage-currency", "currency-wageCurrency", TITP.wageCurrency,
          'ex:pl titp:wageCurrency "JPYEN" .', 'ex:pl titp:wageCurrency "JPY" .'),
    # observations
    _case("observation-without-source", "Observation-source", PROV.wasDerivedFrom,
          drop(OBSERVATION, "prov:wasDerivedFrom"), OBSERVATION),
    _case("observation-without-period", "Observation-refPeriod", TITP.refPeriod,
          drop(OBSERVATION, "titp:refPeriod"), OBSERVATION),
    _case("observation-without-unit", "Observation-unit", TITP.unit, drop(OBSERVATION, "titp:unit"), OBSERVATION),
    _case("observation-two-units", "Observation-unit", TITP.unit,
          OBSERVATION.replace("unit:persons", "unit:persons , unit:percent"), OBSERVATION),
    _case("observation-without-measure", "Observation-measure", TITP.measure,
          drop(OBSERVATION, "titp:measure"), OBSERVATION),
    _case("observation-without-value", "Observation-value", TITP.value, drop(OBSERVATION, "titp:value"), OBSERVATION),
    _case("observation-value-string", "Observation-value-numeric", TITP.value,
          OBSERVATION.replace("2302587", '"2,302,587"'), OBSERVATION),
    _case("acceptance-cap-is-an-observation", "Observation-source", PROV.wasDerivedFrom,
          drop(ACCEPTANCE_CAP, "prov:wasDerivedFrom"), ACCEPTANCE_CAP),
    # dates
    *[_case(f"date-{p}-string", f"date-{p}", TITP[p],
            f'ex:x titp:{p} "2024-06-21" .', f'ex:x titp:{p} "2024-06-21"^^xsd:date .') for p in DATE_PROPERTIES],
    _case("date-datetime", "date-date", TITP.date,
          'ex:x titp:date "2024-06-21T00:00:00"^^xsd:dateTime .', 'ex:x titp:date "2024-06"^^xsd:gYearMonth .'),
    _case("date-invalid-day", "date-inForceFrom", TITP.inForceFrom,
          'ex:x titp:inForceFrom "2024-02-30"^^xsd:date .', 'ex:x titp:inForceFrom "2024"^^xsd:gYear .'),
    _case("date-year-as-integer", "date-refPeriod", TITP.refPeriod,
          "ex:x titp:refPeriod 2023 .", 'ex:x titp:refPeriod "2023"^^xsd:gYear .'),
    _case("date-issued", "date-issued", DCT.issued, drop(SOURCE, "dct:issued") + 'ex:src dct:issued "26 July 2022" .',
          SOURCE),
    # placements, laws, agreements
    _case("placement-without-employer", "Placement-employer", TITP.employer,
          "ex:pl a titp:Placement ; titp:sendingOrganization ex:so .",
          "ex:pl a titp:Placement ; titp:sendingOrganization ex:so ; titp:employer ex:emp ."),
    _case("law-without-date", "LegalInstrumentDateShape", None,
          'ex:law a titp:Law ; titp:lawNumber "平成28年法律第89号" .',
          'ex:law a titp:Law ; titp:lawNumber "平成28年法律第89号" ; titp:promulgatedOn "2016-11"^^xsd:gYearMonth .'),
    _case("agreement-without-date", "LegalInstrumentDateShape", None, drop(AGREEMENT, "titp:signedOn"), AGREEMENT),
    _case("agreement-one-party", "BilateralAgreement-party", TITP.party,
          AGREEMENT.replace(" , ex:vn-molisa", ""), AGREEMENT),
    # sources and claims
    _case("source-without-publisher", "SourceDocument-publisher", DCT.publisher,
          drop(SOURCE, "dct:publisher"), SOURCE),
    _case("source-without-title", "SourceDocument-title", DCT.title, drop(SOURCE, "dct:title"), SOURCE),
    _case("claim-without-source", "Claim-claimedBy", TITP.claimedBy,
          'ex:claim a titp:Claim ; titp:claimText "debts of around 1 million yen"@en .',
          'ex:claim a titp:Claim ; titp:claimText "debts of around 1 million yen"@en ; titp:claimedBy ex:src .'),
    # confidence
    _case("confidence-unverified", "confidence-value", TITP.confidence,
          OBSERVATION.replace("confidence:V2", "confidence:U"), OBSERVATION),
    _case("confidence-not-found", "confidence-value", TITP.confidence,
          OBSERVATION.replace("confidence:V2", "confidence:NF"), OBSERVATION),
    _case("confidence-literal", "confidence-value", TITP.confidence,
          OBSERVATION.replace("confidence:V2", '"V2"'), OBSERVATION),
    # organizations and workers
    _case("corporate-number-short", "corporateNumber-value", TITP.corporateNumber,
          'ex:org titp:corporateNumber "12345" .', 'ex:org titp:corporateNumber "0123456789012" .'),
    _case("corporate-number-integer", "corporateNumber-value", TITP.corporateNumber,
          "ex:org titp:corporateNumber 1234567890123 .", 'ex:org titp:corporateNumber "1234567890123" .'),
    _case("worker-with-foaf-name", "Worker-foafName", URIRef("http://xmlns.com/foaf/0.1/name"),
          'ex:w a titp:Worker ; foaf:name "Nguyen Van A" .', 'ex:w a titp:Worker ; titp:identifier "3f9a1c" .'),
    _case("worker-with-schema-name", "Worker-schemaName", URIRef("https://schema.org/name"),
          'ex:w a titp:Worker ; schema:name "Nguyen Van A" .', 'ex:w a titp:Worker ; titp:identifier "3f9a1c" .'),
    # values that must be declared concepts
    *[_case(f"concept-{p}-undeclared", f"concept-{p}", TITP[p], f"ex:x titp:{p} {bad} .", f"ex:x titp:{p} {good} .")
      for p, bad, good in CONCEPT_VALUES],
]


@pytest.mark.parametrize("case", CASES)
def test_bad_example_is_caught_by_its_shape(case: Case, typing, shapes):
    conforms, results = validate(case.bad, typing, shapes)
    assert not conforms, f"{case.id}: the bad example passed"
    expected = str(TGS[case.shape])
    hits = [r for r in results if r.shape == expected]
    assert hits, f"{case.id}: expected a result from tgs:{case.shape}, got {[r.shape for r in results]}"
    for hit in hits:
        assert hit.path == (None if case.path is None else str(case.path))
        assert hit.message, f"{case.id}: no sh:message"


@pytest.mark.parametrize("case", CASES)
def test_good_example_conforms(case: Case, typing, shapes):
    conforms, results = validate(case.good, typing, shapes)
    assert conforms, f"{case.id}: {[(r.shape, r.message) for r in results]}"


def _compiled(data_ttl: str, typing: rdflib.Graph, shapes: rdflib.Graph, tmp_path: Path) -> set[tuple[str, str]] | None:
    """(focus, path) of what the build's SHACL-to-SPARQL engine reports on data loaded the
    way the build loads it; None if the loader refuses the data (an ill-typed literal such as
    an impossible date is refused before validation, with its line)."""
    from titp_graph import TitpError, TitpGraph
    validate_module = pytest.importorskip("titp_graph.validate")
    tmp_path.mkdir(parents=True, exist_ok=True)
    data_file, typing_file = tmp_path / "data.ttl", tmp_path / "typing.nt"
    data_file.write_text(PREFIXES + data_ttl, encoding="utf-8")
    typing_file.write_bytes(typing.serialize(format="nt").encode())
    graph = TitpGraph()
    graph.load_path(typing_file)
    try:
        graph.load_path(data_file)
    except TitpError:
        return None
    return {(r.focus, r.path) for r in validate_module.validate_store(graph.store, shapes).results}


@pytest.mark.parametrize("case", CASES)
def test_compiled_engine_agrees_with_pyshacl(case: Case, typing, shapes, tmp_path):
    """The build validates with shapes compiled to SPARQL (validate.py; its min/max-count
    queries were rewritten for speed): on every bad and good example it must report the
    same focus nodes and paths as pySHACL, or refuse the data at load."""
    for kind, ttl in (("bad", case.bad), ("good", case.good)):
        _, results = validate(ttl, typing, shapes)
        expected = {(r.focus, r.path or "") for r in results}
        got = _compiled(ttl, typing, shapes, tmp_path / kind)
        if got is None:
            assert kind == "bad" and expected, f"{case.id}: the loader refused the {kind} example"
        else:
            assert got == expected, f"{case.id} ({kind})"


def test_every_shape_has_a_case(shapes):
    """Each shape that reports (carries sh:message) is exercised by at least one case."""
    reporting = {str(s) for s in shapes.subjects(SH.message, None)}
    covered = {str(TGS[c.values[0].shape]) for c in CASES}
    assert reporting - covered == set(), "shapes without a test case"
    assert covered - reporting == set(), "cases naming shapes that do not exist"


def test_the_ontology_itself_conforms(ontology, shapes):
    """The store holds ontology/ beside the data, so it must pass the shapes too."""
    conforms, results = validate("", ontology, shapes)
    assert conforms, results


def test_synthetic_nodes_need_no_confidence(typing, shapes):
    conforms, results = validate(
        'ex:syn a titp:Payment ; titp:synthetic true ; titp:amount 1.0 ; titp:currency "VND" ; titp:payer ex:w .',
        typing, shapes)
    assert conforms, results


# ------------------------------------------------------------------------------------------
# the shapes file itself
# ------------------------------------------------------------------------------------------

# What the project's SHACL-to-SPARQL compiler (src/titp_graph/validate.py) translates.
SHAPE_PARAMETERS = {SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH["in"], SH.pattern,
                    SH.minInclusive, SH["or"], SH.message, SH.severity, SH.property, SH.targetClass,
                    SH.targetSubjectsOf, RDF.type}
TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}


def shape_problems(shapes: rdflib.Graph) -> list[str]:
    problems = []
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    for shape in node_shapes | property_shapes:
        name = shapes.namespace_manager.normalizeUri(shape)
        if not isinstance(shape, URIRef) or not str(shape).startswith(str(TGS)):
            problems.append(f"{name}: shapes are named tgs: IRIs")
        for p in set(shapes.predicates(shape)) - SHAPE_PARAMETERS:
            problems.append(f"{name}: uses {p}, outside the compiled SHACL Core subset")
        messages = list(shapes.objects(shape, SH.message))
        if shape in property_shapes or (shape, SH["or"], None) in shapes:
            if [m.language for m in messages] != ["en"]:
                problems.append(f"{name}: needs exactly one sh:message @en")
            if shapes.value(shape, SH.severity) != SH.Violation:
                problems.append(f"{name}: severity must be sh:Violation")
    for shape in property_shapes:
        name = shapes.namespace_manager.normalizeUri(shape)
        if any((shape, t, None) in shapes for t in TARGETS):
            problems.append(f"{name}: a property shape must not have targets (put them on a node shape)")
        if not isinstance(shapes.value(shape, SH.path), URIRef):
            problems.append(f"{name}: sh:path must be a single IRI")
        if not any((n, SH.property, shape) in shapes for n in node_shapes):
            problems.append(f"{name}: not used by any node shape")
    for shape in node_shapes:
        if not any((shape, t, None) in shapes for t in TARGETS):
            problems.append(f"{shapes.namespace_manager.normalizeUri(shape)}: node shape without target")
    if (None, SH.sparql, None) in shapes or (None, SH.select, None) in shapes:
        problems.append("SPARQL-based constraints are not allowed")
    return problems


def test_shapes_stay_in_the_compiled_subset(shapes):
    assert shape_problems(shapes) == []


def test_shape_checks_can_fail():
    broken = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix tgs: <https://w3id.org/titp-graph/shapes#> .
        tgs:p a sh:PropertyShape ; sh:targetClass tgs:C ; sh:path tgs:q ; sh:closed true .
        tgs:n a sh:NodeShape ; sh:sparql [ sh:select "SELECT ?this WHERE {}" ] .
    """, format="turtle")
    problems = "\n".join(shape_problems(broken))
    for expected in ("closed", "sh:message", "must not have targets", "not used by any node shape",
                     "node shape without target", "SPARQL"):
        assert expected in problems


def test_shapes_compile_to_sparql(shapes):
    """The lead's SHACL-to-SPARQL compiler accepts every shape (no pySHACL fallback)."""
    validate_module = pytest.importorskip("titp_graph.validate")
    checks = validate_module.compile_shapes(shapes)
    assert {c.shape for c in checks} >= {str(s) for s in shapes.subjects(RDF.type, SH.NodeShape)}


def test_shapes_name_only_declared_terms(ontology, shapes):
    """Every titp: term and every concept used in the shapes is declared by the ontology."""
    assert undeclared_terms(shapes, ontology) == []


# ------------------------------------------------------------------------------------------
# parsing
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(ONTOLOGY_DIR)))
def test_files_parse_with_rdflib_and_pyoxigraph_alike(path: Path):
    graph = _parse(path)
    assert len(graph) > 0
    with path.open("rb") as handle:
        triples = list(ox.parse(handle, format=ox.RdfFormat.TURTLE))
    assert len(triples) == len(graph)
    oxi = {(t.subject.value, t.predicate.value, t.object.value)
           for t in triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    rdf = {(str(s), str(p), str(o)) for s, p, o in graph
           if not isinstance(s, rdflib.BNode) and not isinstance(o, rdflib.BNode)}
    assert oxi == rdf


# ------------------------------------------------------------------------------------------
# the ontology
# ------------------------------------------------------------------------------------------

def test_ontology_header(titp):
    o = ONTOLOGY_IRI
    assert (o, RDF.type, OWL.Ontology) in titp
    assert titp.value(o, OWL.versionIRI) == URIRef("https://w3id.org/titp-graph/ontology/0.1.0")
    assert titp.value(o, OWL.versionInfo) == Literal("0.1.0")
    assert titp.value(o, DCT.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert titp.value(o, DCT.creator) == Literal("titp-graph developers")
    assert titp.value(o, DCT.issued) == Literal("2026-11-26", datatype=XSD.date)
    assert {t.language for t in titp.objects(o, DCT.title)} == {"en", "ja"}
    assert titp.value(o, DCT.description) is not None


def _name(graph, term):
    return graph.namespace_manager.normalizeUri(term) if isinstance(term, URIRef) else str(term)


def label_problems(graph: rdflib.Graph) -> list[str]:
    """Every titp: term: one rdfs:label @en, one @ja (in Japanese script), an rdfs:comment @en."""
    problems = []
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(TITP))}
    for term in sorted(terms):
        labels = list(graph.objects(term, RDFS.label))
        en = [l for l in labels if l.language == "en"]
        ja = [l for l in labels if l.language == "ja"]
        if len(en) != 1:
            problems.append(f"{_name(graph, term)}: needs one rdfs:label @en")
        if len(ja) != 1 or not JAPANESE.search(str(ja[0])):
            problems.append(f"{_name(graph, term)}: needs one rdfs:label @ja in Japanese")
        if not any(c.language == "en" and len(c) > 15 for c in graph.objects(term, RDFS.comment)):
            problems.append(f"{_name(graph, term)}: needs an rdfs:comment @en")
    return problems


def test_every_term_has_labels_and_comment(titp):
    terms = {s for s in titp.subjects() if isinstance(s, URIRef) and s.startswith(str(TITP))}
    assert len(terms) > 150
    assert label_problems(titp) == []


def test_label_check_can_fail():
    broken = rdflib.Graph().parse(data="""
        @prefix titp: <https://w3id.org/titp-graph/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        titp:A rdfs:label "A"@en , "A"@ja ; rdfs:comment "A class with a comment."@en .
        titp:b rdfs:label "b"@en , "ビー"@ja .
    """, format="turtle")
    assert label_problems(broken) == ["titp:A: needs one rdfs:label @ja in Japanese",
                                      "titp:b: needs an rdfs:comment @en"]


def declaration_problems(graph: rdflib.Graph) -> list[str]:
    problems = []
    for prop in set(graph.subjects(RDF.type, OWL.ObjectProperty)) | set(graph.subjects(RDF.type, OWL.DatatypeProperty)):
        if not prop.startswith(str(TITP)):
            continue
        name = _name(graph, prop)
        kinds = {k for k in (OWL.ObjectProperty, OWL.DatatypeProperty) if (prop, RDF.type, k) in graph}
        if len(kinds) != 1:
            problems.append(f"{name}: must be exactly one of owl:ObjectProperty / owl:DatatypeProperty")
        ranges = list(graph.objects(prop, RDFS.range))
        if len(ranges) != 1:
            problems.append(f"{name}: needs one rdfs:range")
            continue
        is_datatype = ranges[0].startswith(str(XSD)) or ranges[0] in DATATYPE_RANGES
        if (OWL.DatatypeProperty in kinds) != is_datatype:
            problems.append(f"{name}: range {_name(graph, ranges[0])} does not fit its property kind")
    for cls in graph.subjects(RDF.type, OWL.Class):
        if cls.startswith(str(TITP)) and not (set(graph.objects(cls, RDFS.subClassOf))
                                              | set(graph.objects(cls, OWL.equivalentClass))):
            problems.append(f"{_name(graph, cls)}: a class needs a superclass or definition (alignment)")
    return problems


def test_properties_and_classes_are_well_declared(titp):
    assert declaration_problems(titp) == []


def test_declaration_check_can_fail():
    broken = rdflib.Graph().parse(data="""
        @prefix titp: <https://w3id.org/titp-graph/ontology#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        titp:p a owl:ObjectProperty ; rdfs:range xsd:string .
        titp:q a owl:DatatypeProperty .
        titp:C a owl:Class .
    """, format="turtle")
    assert len(declaration_problems(broken)) == 3


def declared_terms(ontology: rdflib.Graph) -> set:
    return {s for t in DECLARING_TYPES for s in ontology.subjects(RDF.type, t)} | \
           set(ontology.subjects(RDF.type, SKOS.Concept)) | set(ontology.subjects(RDF.type, SKOS.ConceptScheme)) | \
           set(ontology.subjects(RDF.type, SKOS.Collection))


def undeclared_terms(graph: rdflib.Graph, ontology: rdflib.Graph) -> list[str]:
    """titp: terms and concept IRIs used in ``graph`` that the ontology does not declare."""
    declared = declared_terms(ontology)
    used = {t for triple in graph for t in triple if isinstance(t, URIRef)
            and (t.startswith(str(TITP)) or t.startswith(CONCEPT))}
    return sorted(_name(graph, t) for t in used - declared)


def test_every_titp_term_used_is_declared(ontology):
    everything = _parse(*ALL_FILES)
    assert undeclared_terms(everything, ontology) == []


def test_undeclared_check_can_fail(ontology):
    g = rdflib.Graph().parse(data=PREFIXES + "ex:x titp:measur measure:foriegn-workers .", format="turtle")
    found = undeclared_terms(g, ontology)
    assert len(found) == 2
    assert any("foriegn-workers" in t for t in found) and any(t.endswith("measur") for t in found)


def test_model_contract_terms_are_declared(ontology):
    """Every titp: term and concept key that docs/MODEL.md names exists in the ontology."""
    text = MODEL_MD.read_text(encoding="utf-8")
    declared = declared_terms(ontology)
    missing = [f"titp:{n}" for n in sorted(set(re.findall(r"\btitp:([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)", text)))
               if TITP[n] not in declared]
    for prefix, folder in CONCEPT_PREFIXES.items():
        for key in sorted(set(re.findall(rf"(?<![\w/]){prefix}:([A-Za-z0-9][A-Za-z0-9-]*)", text))):
            if URIRef(CONCEPT + folder + key) not in declared:
                missing.append(f"{prefix}:{key}")
    for scheme in set(re.findall(r"\btgc:([a-z][a-z0-9-]*)", text)):
        if URIRef(CONCEPT + scheme) not in declared:
            missing.append(f"tgc:{scheme}")
    # the bare measure list and the comparison aspects of the namespace table
    listed = re.search(r"with en/ja labels:\s*(.*?)\(add as needed\)", text, re.S)
    assert listed, "MODEL.md no longer lists the measures where this test looks for them"
    for key in re.findall(r"[a-z][a-z0-9-]+", listed.group(1)):
        if URIRef(CONCEPT + "measure/" + key) not in declared:
            missing.append(f"measure:{key}")
    aspects = re.search(r"comparison points \(([^)]*)\)", text)
    assert aspects, "MODEL.md no longer lists the comparison aspects where this test looks for them"
    for key in re.findall(r"[a-z][a-z0-9-]+", aspects.group(1)):
        if URIRef(CONCEPT + "comparison-aspect/" + key) not in declared:
            missing.append(f"aspect:{key}")
    assert missing == []


def test_required_individuals_and_classes(titp):
    for individual, cls in [("Addressed", "EffectStatus"), ("PartlyAddressed", "EffectStatus"),
                            ("Unaddressed", "EffectStatus"), ("Ban", "RuleKind"), ("Cap", "RuleKind")]:
        assert (TITP[individual], RDF.type, TITP[cls]) in titp
        assert (TITP[individual], RDF.type, OWL.NamedIndividual) in titp
    for cls in ("Worker", "SyntheticDataset", "Claim", "Publisher", "StatisticalDataset"):
        assert (TITP[cls], RDF.type, OWL.Class) in titp
    assert (TITP.Observation, RDFS.subClassOf, QB.Observation) in titp
    assert (TITP.AcceptanceCap, RDFS.subClassOf, TITP.Observation) in titp
    assert (TITP.Organization, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Organization")) in titp
    assert (TITP.LegalInstrument, RDFS.subClassOf, URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in titp
    assert (TITP.Provision, RDFS.subClassOf,
            URIRef("http://data.europa.eu/eli/ontology#LegalResourceSubdivision")) in titp
    assert (TITP.Payment, SKOS.closeMatch, URIRef("https://schema.org/MoneyTransfer")) in titp
    # no concept-scheme individuals in titp.ttl
    assert not set(titp.subjects(RDF.type, SKOS.Concept))


def test_data_structure_definition(titp):
    dsd = TITP["dsd-observation"]
    assert (dsd, RDF.type, QB.DataStructureDefinition) in titp
    components = list(titp.objects(dsd, QB.component))
    dims = {titp.value(c, QB.dimension) for c in components} - {None}
    measures = {titp.value(c, QB.measure) for c in components} - {None}
    attributes = {titp.value(c, QB.attribute) for c in components} - {None}
    assert dims == {TITP.measure, TITP.refPeriod, TITP.refArea, TITP.nationality, TITP.residenceStatus,
                    TITP.program, TITP.feeCategory}
    assert measures == {TITP.value}
    assert attributes == {TITP.unit}
    for d in dims:
        assert (d, RDF.type, QB.DimensionProperty) in titp
    assert (TITP.value, RDF.type, QB.MeasureProperty) in titp
    assert (TITP.unit, RDF.type, QB.AttributeProperty) in titp


# ------------------------------------------------------------------------------------------
# concept schemes
# ------------------------------------------------------------------------------------------

def concept_problems(graph: rdflib.Graph, folder: str) -> list[str]:
    """One scheme per file; every concept labelled en+ja, defined, in the scheme, under concept/<folder>/."""
    problems = []
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    if len(schemes) != 1:
        return [f"{folder}: needs exactly one skos:ConceptScheme, has {len(schemes)}"]
    scheme = schemes[0]
    if {l.language for l in graph.objects(scheme, SKOS.prefLabel)} < {"en", "ja"}:
        problems.append(f"{folder}: the scheme needs skos:prefLabel @en and @ja")
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    if not concepts:
        problems.append(f"{folder}: no concepts")
    for c in sorted(concepts):
        name = str(c)
        if not name.startswith(CONCEPT + folder + "/"):
            problems.append(f"{name}: not under {CONCEPT}{folder}/")
        langs = [l.language for l in graph.objects(c, SKOS.prefLabel)]
        if langs.count("en") != 1 or langs.count("ja") != 1 or len(langs) != len(set(langs)):
            problems.append(f"{name}: needs exactly one skos:prefLabel @en and one @ja (one per language)")
        ja = [l for l in graph.objects(c, SKOS.prefLabel) if l.language == "ja"]
        if ja and not JAPANESE.search(str(ja[0])):
            problems.append(f"{name}: the @ja label is not Japanese")
        if (c, SKOS.inScheme, scheme) not in graph:
            problems.append(f"{name}: not skos:inScheme {scheme}")
        if not any(d.language == "en" for p in (SKOS.definition, SKOS.scopeNote) for d in graph.objects(c, p)):
            problems.append(f"{name}: needs skos:definition or skos:scopeNote @en")
    for c, broader in graph.subject_objects(SKOS.broader):
        if (broader, SKOS.narrower, c) not in graph:
            problems.append(f"{c}: skos:broader {broader} without the matching skos:narrower")
    for c, narrower in graph.subject_objects(SKOS.narrower):
        if (narrower, SKOS.broader, c) not in graph:
            problems.append(f"{c}: skos:narrower {narrower} without the matching skos:broader")
    if set(graph.subjects(SKOS.topConceptOf, scheme)) != set(graph.objects(scheme, SKOS.hasTopConcept)):
        problems.append(f"{folder}: skos:topConceptOf and skos:hasTopConcept disagree")
    for collection in graph.subjects(RDF.type, SKOS.Collection):
        for member in graph.objects(collection, SKOS.member):
            if member not in concepts:
                problems.append(f"{collection}: member {member} is not a concept of this file")
    return problems


@pytest.mark.parametrize("path", CONCEPT_FILES, ids=lambda p: p.stem)
def test_concept_scheme_file(path: Path, ontology):
    graph = _parse(path)
    assert concept_problems(graph, path.stem) == []
    # mapping targets exist somewhere in the ontology
    for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch):
        for target in graph.objects(None, p):
            if str(target).startswith(CONCEPT):
                assert (target, RDF.type, SKOS.Concept) in ontology, target


def test_concept_check_can_fail():
    broken = rdflib.Graph().parse(data="""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix tgc: <https://w3id.org/titp-graph/concept/> .
        tgc:s a skos:ConceptScheme ; skos:prefLabel "S"@en .
        <https://w3id.org/titp-graph/concept/other/a> a skos:Concept ; skos:prefLabel "A"@en , "B"@en , "A"@ja ;
            skos:broader <https://w3id.org/titp-graph/concept/x/b> .
    """, format="turtle")
    problems = "\n".join(concept_problems(broken, "x"))
    for expected in ("@en and @ja", "not under", "one per language", "not Japanese", "not skos:inScheme",
                     "definition", "matching skos:narrower"):
        assert expected in problems


def test_concept_files_cover_the_brief():
    expected = {"fee-category", "forced-labour-indicator", "residence-status", "program", "sanction-type",
                "ssw-field", "confidence", "measure", "unit", "comparison-aspect",
                "supervision-business-type", "acceptance-type", "titp-stage", "labour-violation-type",
                "event-type"}
    assert {p.stem for p in CONCEPT_FILES} == expected


def _concepts(graph, folder):
    return {str(c)[len(CONCEPT + folder + "/"):] for c in graph.subjects(RDF.type, SKOS.Concept)
            if str(c).startswith(CONCEPT + folder + "/")}


def test_fee_categories(ontology):
    fc = Namespace(CONCEPT + "fee-category/")
    scheme = URIRef(CONCEPT + "fee-categories")
    assert (scheme, ADMS.status, URIRef("http://purl.org/adms/status/UnderDevelopment")) in ontology
    assert any("not verified" in str(n) for n in ontology.objects(scheme, SKOS.editorialNote))
    keys = _concepts(ontology, "fee-category")
    assert {"recruitment-fee", "related-cost", "illegitimate-cost", "medical", "insurance", "skills-test",
            "training-orientation", "equipment", "travel-lodging", "administrative", "bribe", "kickback",
            "bond-deposit", "collateral", "illicit-cost-recovery", "dispatch-fee", "pre-departure-education",
            "deposit-penalty", "broker-fee", "service-fee", "brokerage-commission", "deposit"} == keys
    # ILO hierarchy and the ISA / Vietnam mappings of ONTOLOGY_NOTES §5.1
    assert set(ontology.objects(fc["related-cost"], SKOS.narrower)) == {
        fc[k] for k in ("medical", "insurance", "skills-test", "training-orientation", "equipment",
                        "travel-lodging", "administrative")}
    assert set(ontology.objects(fc["illegitimate-cost"], SKOS.narrower)) == {
        fc[k] for k in ("bribe", "kickback", "bond-deposit", "collateral", "illicit-cost-recovery")}
    for item, relation, target in [("dispatch-fee", SKOS.exactMatch, "recruitment-fee"),
                                   ("pre-departure-education", SKOS.closeMatch, "training-orientation"),
                                   ("deposit-penalty", SKOS.exactMatch, "bond-deposit"),
                                   ("broker-fee", SKOS.broadMatch, "recruitment-fee"),
                                   ("service-fee", SKOS.broadMatch, "recruitment-fee"),
                                   ("brokerage-commission", SKOS.broadMatch, "recruitment-fee"),
                                   ("deposit", SKOS.closeMatch, "bond-deposit")]:
        assert (fc[item], relation, fc[target]) in ontology, item
    assert {str(l) for l in ontology.objects(fc["dispatch-fee"], SKOS.prefLabel)} >= {"派遣手数料"}
    for key, vi in [("service-fee", "tiền dịch vụ"), ("brokerage-commission", "tiền môi giới"),
                    ("deposit", "tiền ký quỹ")]:
        assert Literal(vi, lang="vi") in set(ontology.objects(fc[key], SKOS.prefLabel))
    # every category workers should not bear is marked; illegitimate ones are flagged
    true = Literal(True)
    for key in keys:
        assert (fc[key], TITP.employerPays, true) in ontology, key
    illegitimate = {k for k in keys if (fc[k], TITP.illegitimate, true) in ontology}
    assert illegitimate == {"illegitimate-cost", "bribe", "kickback", "bond-deposit", "collateral",
                            "illicit-cost-recovery", "deposit-penalty", "deposit"}


def test_forced_labour_indicators(ontology):
    keys = _concepts(ontology, "forced-labour-indicator")
    assert keys == {"abuse-of-vulnerability", "deception", "restriction-of-movement", "isolation",
                    "physical-and-sexual-violence", "intimidation-and-threats", "retention-of-identity-documents",
                    "withholding-of-wages", "debt-bondage", "abusive-working-and-living-conditions",
                    "excessive-overtime"}
    source = URIRef(SRC + "ilo-2012-forced-labour-indicators")
    assert (URIRef(CONCEPT + "forced-labour-indicators"), DCT.source, source) in ontology


def test_programs_and_statuses(ontology):
    assert _concepts(ontology, "program") == {"titp", "ssw-1", "ssw-2", "esd", "kr-eps", "de-feg"}
    for key in _concepts(ontology, "program"):
        assert (URIRef(CONCEPT + "program/" + key), RDF.type, TITP.Program) in ontology
    statuses = _concepts(ontology, "residence-status")
    assert {"titp", "titp-1a", "titp-1b", "titp-2a", "titp-2b", "titp-3a", "titp-3b",
            "ssw-1", "ssw-2", "esd", "kr-e9", "kr-h2"} <= statuses
    notations = {str(n) for n in ontology.objects(None, SKOS.notation)}
    assert {"技能実習1号イ", "技能実習3号ロ", "特定技能2号", "E-9", "H-2"} <= notations


def test_sanctions_fields_confidence(ontology):
    sanction = {k: str(ontology.value(URIRef(CONCEPT + "sanction-type/" + k), SKOS.notation))
                for k in _concepts(ontology, "sanction-type")}
    assert sorted(sanction.values()) == ["15(1)", "16(1)", "36(1)", "37(1)", "37(3)"]
    assert len(_concepts(ontology, "ssw-field")) == 16
    ja = {str(l) for c in ontology.subjects(SKOS.inScheme, URIRef(CONCEPT + "ssw-fields"))
          for l in ontology.objects(c, SKOS.prefLabel) if l.language == "ja"}
    assert {"介護", "工業製品製造業", "自動車運送業", "木材産業"} <= ja
    assert _concepts(ontology, "confidence") == {"V1", "V2", "U", "NF"}
