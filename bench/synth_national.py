"""Benchmark: the synthetic generator at national scale (time, peak memory, triples/s).

Why: ``titp-graph synth --workers 470000`` must finish in minutes with bounded memory. For a
ratio against plain rdflib, the same small network is also built as an rdflib.Graph and
serialized to N-Triples, the obvious way to write such a generator.

    python bench/synth_national.py               # 470,000 workers (writes about 4.6 GB to a temp dir)
    python bench/synth_national.py --workers 50000
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

from titp_graph.synth import generate


def _rdflib_seconds(nt_file: Path, out: Path) -> float:
    """Time rdflib to build a Graph of the same triples and write N-Triples."""
    triples = list(ox.parse(path=str(nt_file), format=ox.RdfFormat.N_TRIPLES))

    def term(t):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    start = time.perf_counter()
    graph = rdflib.Graph()
    for t in triples:
        graph.add((term(t.subject), term(t.predicate), term(t.object)))
    graph.serialize(destination=str(out), format="nt")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=470_000)
    parser.add_argument("--compare-workers", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        report = generate(folder / "national.nt", workers=args.workers, seed=1)
        seconds = time.perf_counter() - start
        size = (folder / "national.nt").stat().st_size
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"synth: {args.workers:,} workers -> {report.triples:,} triples, {size / 1e9:.2f} GB "
              f"in {seconds:.1f} s ({report.triples / seconds:,.0f} triples/s), peak RSS {peak_mb:.0f} MB")

        small = folder / "small.nt"
        start = time.perf_counter()
        small_report = generate(small, workers=args.compare_workers, seed=1)
        ours = time.perf_counter() - start
        theirs = _rdflib_seconds(small, folder / "small-rdflib.nt")
        print(f"{args.compare_workers:,} workers ({small_report.triples:,} triples): synth {ours:.2f} s, "
              f"rdflib Graph + serialize {theirs:.2f} s: ratio {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
