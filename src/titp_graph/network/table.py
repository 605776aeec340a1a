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


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def to_json(analysis: Analysis) -> str:
    body = {"analysis": analysis.name, "notes": analysis.notes,
            "tables": {t.name: {"title": t.title, "columns": t.columns,
                                "rows": [[_cell(v) for v in row] for row in t.rows]}
                       for t in analysis.tables}}
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


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
