"""Writing an import: sorted Turtle/TriG with its provenance, and the rejected-rows report.

Triples are sorted and prefixes fixed, so the same CSV, mapping and salt give
byte-identical files. The report is a CSV a spreadsheet user opens, so cells that a
spreadsheet would run as a formula (=, +, -, @) are prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox

from ..export.base import quad_key, triple_key
from ..namespaces import PREFIXES

FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG}


def format_for(path: str | Path | None) -> ox.RdfFormat:
    if path is None:
        return ox.RdfFormat.TURTLE
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        from ..errors import TitpError
        raise TitpError(f"--out {path}: use a .ttl (Turtle) or .trig (TriG) file name")
    return fmt


def serialise(triples: list[ox.Triple], graph: str, fmt: ox.RdfFormat) -> bytes:
    """Turtle (triples) or TriG (the triples in their import named graph), sorted."""
    unique = set(triples)
    if fmt == ox.RdfFormat.TRIG:
        g = ox.NamedNode(graph)
        quads = sorted((ox.Quad(t.subject, t.predicate, t.object, g) for t in unique), key=quad_key)
        return ox.serialize(quads, format=fmt, prefixes=PREFIXES)
    return ox.serialize(sorted(unique, key=triple_key), format=fmt, prefixes=PREFIXES)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(problems) -> bytes:
    """row, column, value, problem: one line per problem, in file order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "column", "value", "problem"])
    for p in problems:
        writer.writerow([_cell(p.row), _cell(p.column), _cell(p.value), _cell(p.message)])
    return out.getvalue().encode("utf-8")


def default_report_path(out: Path) -> Path:
    return out.with_name(out.name.rsplit(".", 1)[0] + ".rejected.csv")
