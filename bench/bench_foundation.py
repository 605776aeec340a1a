"""Benchmark the pipeline stages against plain rdflib, in the same process.

Times load, validate, query and export of (1) the bundled data and (2) a larger generated
file of recruitment-shaped triples (placements, payments, debts), with titp-graph
(pyoxigraph underneath) and with plain rdflib doing the same work, and prints medians and
ratios. Answers are compared, so a fast wrong answer shows up as a mismatch.

    python bench/bench_foundation.py            # 300k generated triples
    python bench/bench_foundation.py --quick    # 60k, under a minute
    python bench/bench_foundation.py --triples 1000000 --repeat 3

Not a test: timings on a shared 2-core machine are noisy, so read the ratios.
"""
from __future__ import annotations

import argparse
import gc
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

from titp_graph import TitpGraph
from titp_graph.build import load_shapes, validate_graph
from titp_graph.export import ExportContext
from titp_graph.export.turtle import TurtleExport
from titp_graph.validate import validate_with_pyshacl

T = "https://w3id.org/titp-graph/ontology#"
S = "https://w3id.org/titp-graph/id/synthetic/bench/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def generate(path: Path, target_triples: int, seed: int = 7) -> int:
    """Write N-Triples shaped like the recruitment chain; returns the triple count."""
    rnd = random.Random(seed)
    countries = ["VN", "CN", "PH", "ID", "MM", "KH", "NP", "TH"]
    lines = []
    n = 0
    workers = max(1, target_triples // 40)
    senders, supervisors, employers = max(5, workers // 250), max(5, workers // 120), max(10, workers // 7)
    for i in range(workers):
        country = countries[min(int(rnd.expovariate(0.6)), len(countries) - 1)]
        w, p = f"<{S}worker/{i}>", f"<{S}placement/{i}>"
        sender = f"<{S}sending-organization/{country}-{int(rnd.paretovariate(1.2)) % senders}>"
        sup = f"<{S}supervising-organization/{int(rnd.paretovariate(1.1)) % supervisors}>"
        emp = f"<{S}employer/{rnd.randrange(employers)}>"
        lines += [
            f"{w} <{rdflib.RDF.type}> <{T}Worker> .",
            f"{w} <{T}synthetic> \"true\"^^<{XSD}boolean> .",
            f"{p} <{rdflib.RDF.type}> <{T}Placement> .",
            f"{p} <{T}worker> {w} .",
            f"{p} <{T}sendingOrganization> {sender} .",
            f"{p} <{T}supervisingOrganization> {sup} .",
            f"{p} <{T}employer> {emp} .",
            f"{p} <{T}nationality> <https://w3id.org/titp-graph/id/country/{country}> .",
            f"{p} <{T}monthlyWage> \"{rnd.randrange(160000, 220000)}\"^^<{XSD}decimal> .",
            f"{p} <{T}startDate> \"20{rnd.randrange(18, 25)}-0{rnd.randrange(1, 10)}-01\"^^<{XSD}date> .",
        ]
        for k in range(3):
            pay = f"<{S}payment/{i}-{k}>"
            lines += [
                f"{pay} <{rdflib.RDF.type}> <{T}Payment> .",
                f"{pay} <{T}payer> {w} .",
                f"{pay} <{T}payee> {sender} .",
                f"{pay} <{T}amount> \"{rnd.randrange(20000, 400000)}\"^^<{XSD}decimal> .",
                f"{pay} <{T}currency> \"JPY\" .",
                f"{pay} <{T}forPlacement> {p} .",
                f"{pay} <{T}synthetic> \"true\"^^<{XSD}boolean> .",
            ]
        if rnd.random() < 0.55:
            d = f"<{S}debt/{i}>"
            lines += [f"{d} <{rdflib.RDF.type}> <{T}Debt> .", f"{d} <{T}debtor> {w} .",
                      f"{d} <{T}principal> \"{rnd.randrange(200000, 1200000)}\"^^<{XSD}decimal> .",
                      f"{d} <{T}currency> \"JPY\" .", f"{d} <{T}financesPlacement> {p} ."]
        if len(lines) >= target_triples:
            break
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


QUERIES = {
    "count by class": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c",
    "2-hop: fees by nationality": (
        "SELECT ?nat (SUM(?amount) AS ?total) (COUNT(?pay) AS ?n) WHERE { ?pay <" + T + "forPlacement> ?p ; <"
        + T + "amount> ?amount . ?p <" + T + "nationality> ?nat } GROUP BY ?nat ORDER BY ?nat"),
    "3-hop: supervisors per sending org": (
        "SELECT ?sender (COUNT(DISTINCT ?sup) AS ?n) WHERE { ?p <" + T + "sendingOrganization> ?sender ; <"
        + T + "supervisingOrganization> ?sup ; <" + T + "employer> ?e } GROUP BY ?sender ORDER BY ?sender LIMIT 50"),
    "filter: big debts": (
        "SELECT (COUNT(?d) AS ?n) WHERE { ?d <" + T + "principal> ?x FILTER(?x > 1000000) }"),
}


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def normalise(rows) -> list[tuple]:
    out = []
    for row in rows:
        out.append(tuple(str(v.value if isinstance(v, (ox.NamedNode, ox.Literal)) else v) if v is not None else ""
                         for v in row))
    return sorted(out)


def rdflib_rows(result) -> list[tuple]:
    return sorted(tuple(str(v) if v is not None else "" for v in row) for row in result)


def run(triples: int, repeat: int) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "generated.nt"
        count = generate(gen, triples)
        print(f"generated {count:,} triples", file=sys.stderr)

        # bundled data
        graph = TitpGraph()
        sources = graph.bundled_sources()
        t_ours, _ = timed(lambda: TitpGraph().load_files(sources), repeat)

        def rdflib_bundled():
            ds = rdflib.Dataset()
            for s in sources:
                fmt = {".ttl": "turtle", ".trig": "trig", ".nt": "nt", ".nq": "nquads"}.get(s.path.suffix, "turtle")
                ds.graph(rdflib.URIRef(s.graph)).parse(s.path, format=fmt)
            return ds
        t_rdf, ds = timed(rdflib_bundled, repeat)
        graph.load_files(sources)
        size = len(graph)
        rows.append(("load bundled", size, t_ours, t_rdf))

        shapes = load_shapes()
        t_ours, ours = timed(lambda: validate_graph(graph, "sparql"), repeat)
        union = rdflib.Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            union.add((s, p, o))
        t_rdf, theirs = timed(lambda: validate_with_pyshacl(union, shapes, None), 1)
        assert ours.conforms == theirs.conforms, "engines disagree on the bundled data"
        rows.append(("validate bundled (SPARQL vs pySHACL)", size, t_ours, t_rdf))

        t_ours, _ = timed(lambda: TurtleExport().write(ExportContext(graph.store), io.BytesIO()), repeat)
        t_rdf, _ = timed(lambda: union.serialize(format="turtle"), repeat)
        rows.append(("export Turtle bundled", size, t_ours, t_rdf))

        # generated data
        from titp_graph.load import InputFile
        big_source = [InputFile(gen, "bench/generated")]
        t_ours, _ = timed(lambda: TitpGraph().load_files(big_source), repeat)
        t_rdf, rg = timed(lambda: rdflib.Graph().parse(gen, format="nt"), 1)
        big = TitpGraph()
        big.load_files(big_source)
        rows.append(("load generated", len(big), t_ours, t_rdf))
        for name, sparql in QUERIES.items():
            t_ours, mine = timed(lambda: big.query(sparql), repeat)
            t_rdf, theirs = timed(lambda: list(rg.query(sparql)), 1 if len(big) > 400_000 else repeat)
            same = normalise(mine.terms) == rdflib_rows(theirs)
            rows.append((f"query {name}" + ("" if same else " (ANSWERS DIFFER)"), len(big), t_ours, t_rdf))
        t_ours, _ = timed(lambda: TurtleExport().write(ExportContext(big.store), io.BytesIO()), 1)
        t_rdf, _ = timed(lambda: rg.serialize(format="turtle"), 1)
        rows.append(("export Turtle generated", len(big), t_ours, t_rdf))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="60k triples, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.triples, args.repeat = 60_000, 2
    rows = run(args.triples, args.repeat)
    print(f"{'step':45} {'triples':>10} {'titp-graph s':>13} {'rdflib s':>10} {'ratio':>8}")
    ratios = []
    for name, size, ours, theirs in rows:
        ratio = theirs / ours if ours else float("inf")
        ratios.append(ratio)
        print(f"{name:45} {size:>10,} {ours:>13.3f} {theirs:>10.3f} {ratio:>7.1f}x")
    geo = statistics.geometric_mean(ratios)
    print(f"{'geometric mean of ratios (rdflib time / titp-graph time)':66} {geo:>12.1f}x")


if __name__ == "__main__":
    main()
