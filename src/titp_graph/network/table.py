"""Analysis results: named tables of plain values, written as text, CSV or JSON.

Values are str, int, float or bool only; floats are rounded on output so that the same
inputs give byte-identical files. IRIs stay full in CSV and JSON (linked-data users join
on them) and are shortened to prefixed names in the text table.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Iterator

from ..namespaces import PREFIXES


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass
class Analysis:
    """The result of one analysis: its tables and what a reader must know (k, thresholds)."""

    name: str
    tables: list[Table]
    notes: dict = field(default_factory=dict)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


def _cell(value) -> str | int | float | bool:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    return value


def _short(value) -> str:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        best = max((p for p, ns in PREFIXES.items() if value.startswith(ns)),
                   key=lambda p: len(PREFIXES[p]), default=None)
        return value if best is None else f"{best}:{value[len(PREFIXES[best]):]}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return "" if value is None else str(value)


def csv_chunks(table: Table, rows_per_chunk: int = 20_000) -> Iterator[str]:
    """The CSV text of ``table`` in pieces (national tables have ~900,000 rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for i, row in enumerate(table.rows, 1):
        writer.writerow([_cell(v) for v in row])
        if not i % rows_per_chunk:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def to_csv(table: Table) -> str:
    return "".join(csv_chunks(table))


def json_chunks(analysis: Analysis) -> Iterator[str]:
    """The JSON text of ``analysis`` in pieces: indented, one table row per line.

    Why one row per line: a row is a record, and Python's json writes indented text with
    its pure-Python encoder (about 50 s for the national fee tables), compact text with
    the C one.

    >>> print("".join(json_chunks(Analysis("a", [Table("t", "T", ["x", "n"], [["u", 1.5], ["v", None]])]))))
    {
     "analysis": "a",
     "notes": {},
     "tables": {
      "t": {
       "title": "T",
       "columns": ["x", "n"],
       "rows": [
        ["u", 1.5],
        ["v", ""]
       ]
      }
     }
    }
    <BLANKLINE>
    """
    dump = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    notes = json.dumps(analysis.notes, ensure_ascii=False, indent=1).replace("\n", "\n ")
    yield f'{{\n "analysis": {dump(analysis.name)},\n "notes": {notes},\n "tables": {{'
    for n, t in enumerate(analysis.tables):
        yield (f'{"," if n else ""}\n  {dump(t.name)}: {{\n   "title": {dump(t.title)},\n'
               f'   "columns": {dump(t.columns)},\n   "rows": [')
        rows = t.rows
        for start in range(0, len(rows), 20_000):
            lines = ("\n    " + dump([_cell(v) for v in row]) for row in rows[start:start + 20_000])
            yield ("," if start else "") + ",".join(lines)
        yield ("\n   ]" if rows else "]") + "\n  }"
    yield ("\n }" if analysis.tables else "}") + "\n}\n"


def to_json(analysis: Analysis) -> str:
    return "".join(json_chunks(analysis))


def to_text(analysis: Analysis, max_width: int = 60) -> str:
    parts = []
    for t in analysis.tables:
        cells = [[_short(v) for v in row] for row in t.rows]
        cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(t.columns)]
        line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()
        parts.append("\n".join([f"== {t.title} ==", line(t.columns), line(["-" * w for w in widths])]
                               + [line(r) for r in cells] + [f"({len(t.rows)} rows)"]))
    if analysis.notes:
        parts.append("\n".join(f"{k}: {v}" for k, v in analysis.notes.items()))
    return "\n\n".join(parts)
