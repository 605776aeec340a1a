"""The build reads placements, payments and debts by parsing its N-Triples inputs again
(network/scan.py) instead of through SPARQL: the records must be exactly those of the
SPARQL queries (network/detail.py), on awkward data too (several values, canonical
decimals, escapes, tabs, payments nobody bore, currencies that do not match), and the
build must fall back to SPARQL where the scan cannot answer."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from titp_graph import TitpGraph
from titp_graph.build import read_detail
from titp_graph.load import BULK_BYTES
from titp_graph.namespaces import ONTOLOGY
from titp_graph.network import detail, scan
from titp_graph.network.debt import HISTOGRAM
from titp_graph.network.sparql import run

T = ONTOLOGY
X = "http://example.org/x/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Awkward statements, one per line, as a contributor's tool might write them.
AWKWARD = f"""
<{X}p1> <{RDF_TYPE}> <{T}Placement> .
<{X}p1> <{T}employer> <{X}e1> .
<{X}p1> <{T}sendingOrganization> <{X}s1> .
<{X}p1> <{T}sendingOrganization> <{X}s2> .
<{X}p1> <{T}supervisingOrganization> <{X}u1> .
<{X}p1> <{T}nationality> <{X}VN> .
<{X}p1> <{T}startDate> "2024-04-01"^^<{XSD}date> .
<{X}p1> <{T}monthlyWage> "180000.00"^^<{XSD}decimal> .
<{X}p1>\t<{T}wageCurrency>\t"J\\u0050Y" .
# a comment naming <{T}employer>
<{X}p1> <{T}employ\\u0065r> <{X}e1> .
<{X}p2> <{RDF_TYPE}> <{T}Placement> .
<{X}p2> <{T}employer> <{X}e2> .
<{X}p2> <{T}broker> <{X}b1> .
<{X}p2> <{T}workerCount> "3"^^<{XSD}integer> .
<{X}p2> <{T}monthlyWage> "0"^^<{XSD}integer> .
<{X}p2> <{T}program> <{X}titp> .
<{X}p3> <{T}sendingOrganization> <{X}s1> .
<{X}w1> <{RDF_TYPE}> <{T}Worker> .
<{X}pay1> <{RDF_TYPE}> <{T}Payment> .
<{X}pay1> <{T}forPlacement> <{X}p1> .
<{X}pay1> <{T}amount> "1500.50"^^<{XSD}decimal> .
<{X}pay1> <{T}amount> "1500.50"^^<{XSD}decimal> .
<{X}pay1> <{T}bornBy> <{X}w1> .
<{X}pay1> <{T}payer> <{X}w2> .
<{X}pay1> <{T}currency> "VND" .
<{X}pay1> <{T}payee> <{X}s1> .
<{X}pay1> <{T}feeCategory> <{X}cat-a> .
<{X}pay1> <{T}feeCategory> <{X}cat-b> .
<{X}pay2> <{RDF_TYPE}> <{T}Payment> .
<{X}pay2> <{T}forPlacement> <{X}p1> .
<{X}pay2> <{T}amount> "200"^^<{XSD}integer> .
<{X}pay2> <{T}amountJPY> "30000.0"^^<{XSD}decimal> .
<{X}pay2> <{T}payer> <{X}w1> .
<{X}pay2> <{T}currency> "VND" .
<{X}pay3> <{RDF_TYPE}> <{T}Payment> .
<{X}pay3> <{T}forPlacement> <{X}p1> .
<{X}pay3> <{T}amount> "7"^^<{XSD}integer> .
<{X}pay4> <{RDF_TYPE}> <{T}Payment> .
<{X}pay4> <{T}forPlacement> <{X}p2> .
<{X}pay4> <{T}amount> "9"^^<{XSD}integer> .
<{X}pay4> <{T}payer> <{X}e2> .
<{X}pay5> <{RDF_TYPE}> <{T}Payment> .
<{X}pay5> <{T}forPlacement> <{X}p2> .
<{X}pay5> <{T}amount> "11"^^<{XSD}integer> .
<{X}pay5> <{T}bornBy> <{X}w9> .
<{X}pay5> <{T}currency> <{X}JPY> .
<{X}d1> <{RDF_TYPE}> <{T}Debt> .
<{X}d1> <{T}principal> "1000000"^^<{XSD}integer> .
<{X}d1> <{T}financesPlacement> <{X}p1> .
<{X}d2> <{RDF_TYPE}> <{T}Debt> .
<{X}d2> <{T}principal> "1000000"^^<{XSD}integer> .
<{X}d2> <{T}financesPlacement> <{X}p1> .
<{X}d2> <{T}currency> "VND" .
<{X}d3> <{RDF_TYPE}> <{T}Debt> .
<{X}d3> <{T}principal> "5"^^<{XSD}integer> .
<{X}d3> <{T}financesPlacement> <{X}p2> .
"""

#: A second (Turtle) file: read from the store, joined with the N-Triples file's subjects.
TURTLE = f"""
<{X}w9> a <{T}Worker> .
<{X}p3> a <{T}Placement> ; <{T}employer> <{X}e3> ; <{T}nationality> <{X}PH> ;
    <{T}monthlyWage> 150000 ; <{T}wageCurrency> "JPY" .
<{X}d4> a <{T}Debt> ; <{T}principal> 1350000.5 ; <{T}financesPlacement> <{X}p3> .
<{X}pay6> a <{T}Payment> ; <{T}forPlacement> <{X}p3> ; <{T}amount> 100.25 ; <{T}bornBy> <{X}w9> .
"""


def _padded(text: str) -> str:
    """``text`` plus unrelated statements, so the file is bulk-loaded (and parsed again)."""
    pad = "".join(f'<{X}pad{i}> <http://www.w3.org/2000/01/rdf-schema#label> "padding line {i:07d}" .\n'
                  for i in range(BULK_BYTES // 60))
    return text.lstrip() + pad


def _bag(records) -> Counter:
    return Counter(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in records)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan")
    (folder / "awkward.nt").write_text(_padded(AWKWARD), encoding="utf-8")
    (folder / "more.ttl").write_text(TURTLE, encoding="utf-8")
    graph = TitpGraph(folder / "store")
    report = graph.load_path(folder)
    yield graph, report.files
    graph.close()


def test_the_file_is_read_from_disk_not_the_store(awkward):
    _, files = awkward
    assert [Path(f["path"]).name for f in files if f.get("raw_ntriples")] == ["awkward.nt"]


@pytest.mark.parametrize("part", ["placements", "payments", "debts"])
def test_scan_gives_the_sparql_records(awkward, part):
    graph, files = awkward
    scanned, queried = scan.read_inputs(graph.store, files), detail.read(graph)
    assert getattr(scanned, part)
    assert _bag(getattr(scanned, part)) == _bag(getattr(queried, part))


def test_awkward_values_read_as_the_store_gives_them(awkward):
    graph, files = awkward
    found = scan.read_inputs(graph.store, files)
    p1 = [r for r in found.placements if r["p"] == X + "p1"]
    assert sorted(r["s"] for r in p1) == [X + "s1", X + "s2"]  # two sending organizations: two rows
    assert {r["wage"] for r in p1} == {Decimal("180000")}  # canonical decimal
    assert {r["wageCur"] for r in p1} == {"JPY"}  # tab-separated line with an escape
    assert not [r for r in found.placements if r["p"] == X + "p3" and "s" in r and "e" not in r]
    pay1 = [r for r in found.payments if r["p"] == X + "p1" and r.get("cat")]
    # bornBy wins over payer; the duplicate amount line counts once; two categories: two groups
    assert sorted((r["bearer"], r["cat"], r["amountSum"], r["payments"]) for r in pay1) == [
        (X + "w1", X + "cat-a", Decimal("1500.5"), 1), (X + "w1", X + "cat-b", Decimal("1500.5"), 1)]
    bearers = {r["bearer"] for r in found.payments}
    assert X + "e2" not in bearers  # an employer's payment is not worker-borne
    assert X + "w9" in bearers  # a worker typed in another file
    assert not [r for r in found.payments if r.get("amountSum") == 7]  # nobody bore it


def test_debt_histogram_matches_the_sparql_histogram(awkward):
    graph, files = awkward
    found = scan.read_inputs(graph.store, files)
    ours = detail.debt_histogram(found)
    theirs = sorted(run(graph, HISTOGRAM), key=lambda r: (r.get("nat") or "", float(r["months"])))
    assert ours == theirs
    # d2's VND principal is not compared with a JPY wage; p2's zero wage is skipped
    assert sum(r["debts"] for r in ours) == 2


def test_high_debts_per_chain():
    found = detail.Detail(
        [{"p": "P", "e": "E", "s": "S", "n": 1}, {"p": "P", "e": "E", "s": "S", "n": 1, "prog": "T"}],
        debts=[{"d": "D1", "p": "P", "nat": "", "months": Decimal("7.5")},
               {"d": "D2", "p": "P", "nat": "", "months": Decimal("5")},
               {"d": "D3", "p": "P", "nat": "", "months": Decimal("9")}])
    assert detail.high_debts(found, 6.0) == [{"s": "S", "e": "E", "count": 2, "maxMonths": Decimal("9")}]


def test_a_triple_in_two_files_counts_once(tmp_path):
    (tmp_path / "a.nt").write_text(_padded(AWKWARD), encoding="utf-8")
    (tmp_path / "b.ttl").write_text(f"<{X}pay2> <{T}amount> 200 .\n", encoding="utf-8")
    graph = TitpGraph()
    files = graph.load_path(tmp_path).files
    pay2 = [r for r in scan.read_inputs(graph.store, files).payments if r.get("hasJPY")]
    assert [(r["amountSum"], r["payments"]) for r in pay2] == [(200, 1)]


def test_build_falls_back_to_sparql_when_the_scan_cannot_answer(tmp_path):
    text = AWKWARD.replace('"200"^^<http://www.w3.org/2001/XMLSchema#integer>', '"two hundred"')
    (tmp_path / "bad.nt").write_text(_padded(text), encoding="utf-8")
    graph = TitpGraph()
    files = graph.load_path(tmp_path).files
    with pytest.raises(scan.Unsupported, match="pay2"):
        scan.read_inputs(graph.store, files)
    said = []
    found = read_detail(graph, files, said.append)
    assert said and "SPARQL" in said[0]
    assert _bag(found.payments) == _bag(detail.read(graph).payments)


def test_build_uses_the_scan_for_plain_ntriples(awkward, monkeypatch):
    graph, files = awkward

    def refuse(*args, **kwargs):
        raise AssertionError("read through SPARQL")
    monkeypatch.setattr(detail, "read", refuse)
    assert read_detail(graph, files, print).placements


def test_a_failed_build_stops_the_scan_and_keeps_earlier_exports(tmp_path):
    """The scan starts on its own thread right after loading; a build that then fails
    validation must stop it and leave the previous exports as they were."""
    import threading

    from titp_graph.build import build
    from titp_graph.errors import ValidationFailed

    bad = _padded(AWKWARD + f'<{X}pay9> <{RDF_TYPE}> <{T}Payment> .\n'
                  f'<{X}pay9> <{T}amount> "-5"^^<{XSD}decimal> .\n')
    (tmp_path / "bad.nt").write_text(bad, encoding="utf-8")
    out = tmp_path / "exports"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    with pytest.raises(ValidationFailed):
        build(out, extra=[tmp_path / "bad.nt"], store_dir=tmp_path / "store")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not (tmp_path / "store").exists()
    assert not [t for t in threading.enumerate() if t.name == "titp-detail-scan"]
