"""Query results as Python rows and as the formats analysts take elsewhere.

SELECT results keep the RDF terms (``terms``) and offer plain Python values (``rows``:
IRIs as str, numbers as int/Decimal, dates as datetime.date, other literals as str).
Formats: an aligned text table, CSV and TSV as in the SPARQL 1.1 CSV/TSV results spec,
and SPARQL 1.1 JSON results.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from .namespaces import PREFIXES, XSD, compact

_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger",
                                     "positiveInteger", "negativeInteger", "nonPositiveInteger")}


def to_python(term) -> Any:
    """A plain Python value for an RDF term (None for unbound)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value
        try:
            if dtype in _INTEGER_TYPES:
                return int(term.value)
            if dtype == XSD + "decimal":
                return Decimal(term.value)
            if dtype in (XSD + "double", XSD + "float"):
                return float(term.value)
            if dtype == XSD + "boolean":
                return term.value in ("true", "1")
            if dtype == XSD + "date":
                return dt.date.fromisoformat(term.value[:10])
        except (ValueError, InvalidOperation):
            return term.value
        return term.value
    return str(term)


def display(term) -> str:
    """A short human form: prefixed IRIs, literal text with its language."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        short = compact(term.value)
        return term.value if short.startswith("<") else short
    if isinstance(term, ox.Literal):
        return term.value + (f" @{term.language}" if term.language else "")
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


def _json_term(term) -> dict | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


@dataclass
class QueryResult:
    """The answer to one query: a table (SELECT), a boolean (ASK) or triples (CONSTRUCT)."""

    kind: str  # "select", "ask" or "graph"
    columns: list[str] = field(default_factory=list)
    terms: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    @classmethod
    def from_oxigraph(cls, result) -> "QueryResult":
        if isinstance(result, ox.QueryBoolean):
            return cls("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            columns = [v.value for v in result.variables]
            terms = [tuple(solution[c] for c in columns) for solution in result]
            return cls("select", columns=columns, terms=terms)
        return cls("graph", triples=list(result))

    @property
    def rows(self) -> list[tuple]:
        return [tuple(to_python(t) for t in row) for row in self.terms]

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column (unbound values omitted)."""
        return [{c: to_python(t) for c, t in zip(self.columns, row) if t is not None}
                for row in self.terms]

    def __len__(self) -> int:
        if self.kind == "select":
            return len(self.terms)
        if self.kind == "graph":
            return len(self.triples)
        return 1

    # -- formats ---------------------------------------------------------------------
    def to_table(self, max_width: int = 80) -> str:
        if self.kind == "ask":
            return "yes" if self.boolean else "no"
        if self.kind == "graph":
            return self.to_rdf("turtle")
        cells = [[display(t) for t in row] for row in self.terms]
        cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row]
                 for row in cells]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
        out = [line(self.columns), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        out.append(f"({len(self.terms)} row{'s' if len(self.terms) != 1 else ''})")
        return "\n".join(out)

    def to_csv(self, delimiter: str = ",") -> str:
        if self.kind == "ask":
            return "true\n" if self.boolean else "false\n"
        if self.kind == "graph":
            return self.to_rdf("ntriples")
        buffer = io.StringIO()
        if delimiter == "\t":
            # SPARQL 1.1 TSV: header with ?var, terms in N-Triples syntax
            buffer.write("\t".join("?" + c for c in self.columns) + "\n")
            for row in self.terms:
                buffer.write("\t".join("" if t is None else str(t) for t in row) + "\n")
            return buffer.getvalue()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.terms:
            writer.writerow(["" if t is None else (t.value if not isinstance(t, ox.BlankNode)
                                                    else "_:" + t.value) for t in row])
        return buffer.getvalue()

    def to_json(self) -> str:
        if self.kind == "ask":
            return json.dumps({"head": {}, "boolean": bool(self.boolean)}, indent=1)
        if self.kind == "graph":
            return self.to_rdf("jsonld")
        bindings = [{c: _json_term(t) for c, t in zip(self.columns, row) if t is not None}
                    for row in self.terms]
        return json.dumps({"head": {"vars": self.columns}, "results": {"bindings": bindings}},
                          ensure_ascii=False, indent=1)

    def to_rdf(self, fmt: str = "turtle") -> str:
        formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                   "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
        ordered = sorted(set(self.triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        prefixes = PREFIXES if fmt in ("turtle", "rdfxml") else None
        return ox.serialize(ordered, format=formats[fmt], prefixes=prefixes).decode("utf-8")

    def format(self, name: str) -> str:
        if name == "table":
            return self.to_table()
        if name == "csv":
            return self.to_csv()
        if name == "tsv":
            return self.to_csv("\t")
        if name == "json":
            return self.to_json()
        if name in ("turtle", "ntriples", "jsonld", "rdfxml"):
            return self.to_rdf(name)
        raise ValueError(f"unknown format {name!r}")
