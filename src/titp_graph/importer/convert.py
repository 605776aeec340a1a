"""Rows -> triples, generic over a :class:`~.mapping.Mapping`.

Every problem is collected (not just the first) with the row number as a spreadsheet shows
it (header = row 1), the column header as written in the file, and the offending value,
so a contributor can fix a whole file in one pass. Raw worker ids and names never reach a
triple or a message: pseudonym columns are hashed before use and shown as "(withheld)".
"""
from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox

from ..namespaces import ID, PREFIXES, RDF, XSD
from . import values as V
from .mapping import (Column, Mapping, Template, bundled_mapping, expand, looks_like_personal_name,
                      normalise_header)
from .pseudonym import Pseudonymiser

TYPE = ox.NamedNode(RDF + "type")
WORKER_CLASS = ox.NamedNode(PREFIXES["titp"] + "Worker")
IDENTIFIER = ox.NamedNode(PREFIXES["titp"] + "identifier")
WITHHELD = "(withheld)"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_LABELS = (_SKOS + "prefLabel", _SKOS + "altLabel", _SKOS + "notation")
MAX_CELL = 100_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong: row (None for the whole file), column header, value, message."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def text(self, path: str) -> str:
        where = path + (f": row {self.row}" if self.row is not None else "")
        if self.column:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f" (value {_show(self.value)})"
        return f"{where}: {self.message}{value}"


def _show(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


class KnownIris:
    """IRIs that exist already (bundled data, --known files): what references may point to."""

    def __init__(self, iris=(), labels: dict[str, set[str]] | None = None):
        self._sorted = sorted(set(iris))
        self._set = set(self._sorted)
        self._labels = labels or {}

    @classmethod
    def from_store(cls, store: ox.Store) -> "KnownIris":
        iris = (q.subject.value for q in store.quads_for_pattern(None, TYPE, None)
                if isinstance(q.subject, ox.NamedNode))
        labels: dict[str, set[str]] = {}
        for prop in _LABELS:
            for q in store.quads_for_pattern(None, ox.NamedNode(prop), None):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                    labels.setdefault(normalise_header(q.object.value), set()).add(q.subject.value)
        return cls(iris, labels)

    def by_label(self, label: str, namespace: str) -> str | None:
        """The one term in ``namespace`` with this prefLabel/altLabel/notation, if exactly one."""
        found = sorted(i for i in self._labels.get(normalise_header(label), ()) if i.startswith(namespace))
        return found[0] if len(found) == 1 else None

    def __contains__(self, iri: str) -> bool:
        return iri in self._set

    def populated(self, namespace: str) -> bool:
        """True if any known IRI lies in ``namespace`` (then membership is checked)."""
        i = bisect.bisect_left(self._sorted, namespace)
        return i < len(self._sorted) and self._sorted[i].startswith(namespace)


@dataclass
class _Ref:
    row: int
    header: str
    value: str
    node: ox.NamedNode
    property: ox.NamedNode
    candidates: list[str]
    kinds: tuple[str, ...]


@dataclass
class _Row:
    number: int
    subject: ox.NamedNode | None = None
    triples: list[ox.Triple] = field(default_factory=list)
    refs: list[_Ref] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Conversion:
    """What a CSV became: good triples (by row), problems, and counts."""

    mapping: Mapping
    encoding: str
    rows: list[_Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)   # file-level and row-level, in order
    ignored_headers: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        """A file-level problem (headers, CSV syntax): no row can be trusted."""
        return any(p.row is None or p.row == 1 for p in self.problems)

    @property
    def good_rows(self) -> list[_Row]:
        return [r for r in self.rows if not r.problems]

    @property
    def bad_rows(self) -> list[_Row]:
        return [r for r in self.rows if r.problems]


class Converter:
    def __init__(self, mapping: Mapping, known: KnownIris, pseudonymiser: Pseudonymiser | None = None):
        self.mapping = mapping
        self.known = known
        self.pseudonymiser = pseudonymiser
        self._candidate_cache: dict[tuple[str, str], list[str]] = {}
        self._ref_templates: dict[str, tuple[tuple[Template, ...], bool]] = {}

    # -- the file ------------------------------------------------------------------
    def convert(self, text: str, encoding: str = "utf-8") -> Conversion:
        result = Conversion(self.mapping, encoding)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            result.problems.append(Problem(1, None, None, f"not readable as CSV: {exc}"))
            return result
        if not header or not any(h.strip() for h in header):
            result.problems.append(Problem(None, None, None, "no header row (the first row must name the columns)"))
            return result
        positions = self._match_headers(header, result)
        if result.fatal:
            return result
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                result.problems.append(Problem(None, None, None, f"row {number + 1}: not readable as CSV: {exc}"))
                return result
            number += 1
            if not any(c.strip() for c in cells):
                continue
            result.rows.append(self._row(number, header, cells, positions))
        self._resolve(result)
        for row in result.rows:
            result.problems.extend(row.problems)
        return result

    def _match_headers(self, header: list[str], result: Conversion) -> dict[str, int]:
        accepted = {normalise_header(h): c.name for c in self.mapping.columns.values() for h in c.headers}
        positions: dict[str, int] = {}
        for index, raw in enumerate(header):
            norm = normalise_header(raw)
            name = accepted.get(norm)
            if name is None:
                if norm in self.mapping.ignore:
                    continue
                if self.mapping.worker_level and looks_like_personal_name(raw):
                    result.problems.append(Problem(
                        1, raw, None, f"looks like a personal name; workers' names are never imported in "
                        f"{self.mapping.kind}. Delete the column, or list it under ignore = [...] in a --mapping"))
                elif norm:
                    result.ignored_headers.append(raw)
                continue
            if name in positions:
                result.problems.append(Problem(1, raw, None, f"a second column for {name!r} (also "
                                               f"{header[positions[name]]!r}); keep one"))
                continue
            positions[name] = index
        for column in self.mapping.columns.values():
            if column.required and column.name not in positions:
                result.problems.append(Problem(1, column.headers[0], None, "missing required column (accepted "
                                               f"headers: {', '.join(column.headers)})"))
        return positions

    # -- one row -------------------------------------------------------------------
    def _row(self, number: int, header: list[str], cells: list[str], positions: dict[str, int]) -> _Row:
        row = _Row(number)
        if len(cells) > len(header):
            row.problems.append(Problem(number, None, None, f"{len(cells)} cells but {len(header)} headers"))
            return row
        present: dict[str, str] = {}
        for name, index in positions.items():
            text = cells[index] if index < len(cells) else ""
            if len(text) > MAX_CELL:
                row.problems.append(Problem(number, header[index], text, f"longer than {MAX_CELL:,} characters"))
            elif text.strip():
                present[name] = text
        for column in self.mapping.columns.values():
            if column.required and column.name not in present:
                head = header[positions[column.name]] if column.name in positions else column.headers[0]
                row.problems.append(Problem(number, head, None, "required value is empty"))
        for group in self.mapping.require_any:
            if not any(name in present for name in group):
                heads = " / ".join(self.mapping.columns[n].headers[0] for n in group)
                row.problems.append(Problem(number, heads, None, "give at least one of these"))
        subject = self._subject(number, self.mapping.iri, present, row, header, positions)
        if subject is None:
            return row
        row.subject = subject
        for cls in self.mapping.classes:
            row.triples.append(ox.Triple(subject, TYPE, ox.NamedNode(cls)))
        for p, o in sorted(self.mapping.constants.items()):
            row.triples.append(ox.Triple(subject, ox.NamedNode(p), ox.NamedNode(o)))
        nodes: dict[str | None, ox.NamedNode] = {None: subject}
        for name, related in sorted(self.mapping.related.items()):
            if not any(c.name in present for c in self.mapping.columns_on(name)):
                continue
            node = self._subject(number, related.iri, present, row, header, positions)
            if node is None:
                continue
            nodes[name] = node
            row.triples += [ox.Triple(node, TYPE, ox.NamedNode(c)) for c in related.classes]
            row.triples += [ox.Triple(node, ox.NamedNode(p), ox.NamedNode(o)) for p, o in sorted(related.constants.items())]
            link = ox.NamedNode(related.link)
            row.triples.append(ox.Triple(subject, link, node) if related.link_from_main else ox.Triple(node, link, subject))
        for name, text in present.items():
            column = self.mapping.columns[name]
            if column.property is None:
                continue
            node = nodes.get(column.on)
            if node is None:
                continue
            head = header[positions[name]]
            try:
                term = self._term(column, text, number, head, node, row)
            except V.BadValue as exc:
                shown = WITHHELD if column.datatype == "pseudonym" else text
                row.problems.append(Problem(number, head, shown, str(exc)))
                continue
            if term is not None:
                row.triples.append(ox.Triple(node, ox.NamedNode(column.property), term))
        return row

    def _subject(self, number, templates, present, row, header, positions) -> ox.NamedNode | None:
        """The row's IRI from the first template whose key columns are all filled."""
        for template in templates:
            parts = []
            for name, modifier in template.placeholders:
                if name not in present:
                    break
                parts.append(V.key(self._key_text(name, present[name]), digits_only=modifier == "digits"))
            else:
                if not all(parts):
                    continue
                if self.mapping.worker_level:
                    digest = self._pseudonymiser().key(f"record:{self.mapping.kind}",
                                                       "\x1f".join(V.clean(present[n]) for n, _ in template.placeholders))
                    return ox.NamedNode(ID + template.text.split("/", 1)[0] + "/" + digest)
                text = template.text
                for (name, modifier), part in zip(template.placeholders, parts):
                    text = text.replace("{" + name + ("|" + modifier if modifier else "") + "}", part, 1)
                return ox.NamedNode(ID + text)
        needed = " or ".join("+".join(self.mapping.columns[n].headers[0] for n, _ in t.placeholders) for t in templates)
        row.problems.append(Problem(number, None, None, f"cannot make an identifier: fill {needed}"))
        return None

    def _key_text(self, name: str, text: str) -> str:
        """Dates in keys are canonical, so 2024/4/1 and 2024-04-01 give one IRI."""
        if self.mapping.columns[name].datatype == "date":
            try:
                return V.date(text)[0]
            except V.BadValue:
                return text
        return text

    def _pseudonymiser(self) -> Pseudonymiser:
        if self.pseudonymiser is None:
            raise RuntimeError("a worker-level mapping needs a Pseudonymiser")
        return self.pseudonymiser

    def _term(self, column: Column, text: str, number: int, head: str, node: ox.NamedNode, row: _Row):
        dtype = column.datatype
        if dtype == "pseudonym":
            pseudonym = self._pseudonymiser().key("worker", text)
            worker = ox.NamedNode(ID + "worker/" + pseudonym)
            row.triples.append(ox.Triple(worker, TYPE, WORKER_CLASS))
            row.triples.append(ox.Triple(worker, IDENTIFIER, ox.Literal(pseudonym)))
            return worker
        cleaned = V.clean(text)
        if len(cleaned) > column.max_length:
            raise V.BadValue(f"longer than {column.max_length:,} characters")
        if column.pattern is not None and not column.pattern.fullmatch(cleaned):
            raise V.BadValue(f"does not match the expected pattern {column.pattern.pattern}")
        if column.enum and cleaned not in column.enum:
            raise V.BadValue("not one of: " + ", ".join(column.enum))
        if column.values and dtype not in ("iri", "concept"):
            mapped = column.values.get(normalise_header(cleaned))
            if mapped is None:
                raise V.BadValue("not one of: " + ", ".join(column.values))
            cleaned = text = mapped
        if dtype == "string":  # names and free text keep their characters (no NFKC)
            text = text.strip()
            return ox.Literal(text, language=column.lang) if column.lang else ox.Literal(text)
        if dtype in ("integer", "decimal"):
            number_value = Decimal(V.integer(cleaned)) if dtype == "integer" else V.decimal(cleaned)
            if column.min is not None and number_value < column.min:
                raise V.BadValue(f"must be at least {V.decimal_lexical(column.min)}")
            if column.max is not None and number_value > column.max:
                raise V.BadValue(f"must be at most {V.decimal_lexical(column.max)}")
            lexical = str(int(number_value)) if dtype == "integer" else V.decimal_lexical(number_value)
            return ox.Literal(lexical, datatype=ox.NamedNode(XSD + dtype))
        if dtype == "date":
            lexical, xsd = V.date(cleaned)
            return ox.Literal(lexical, datatype=ox.NamedNode(XSD + xsd))
        if dtype == "boolean":
            return ox.Literal(V.boolean(cleaned), datatype=ox.NamedNode(XSD + "boolean"))
        if dtype == "iso-currency":
            return ox.Literal(V.currency(cleaned))
        if dtype == "iso-country":
            return ox.NamedNode(PREFIXES["country"] + V.country(cleaned))
        if dtype in ("iri", "concept"):
            return ox.NamedNode(self._concept(column, cleaned))
        if dtype == "iri-ref":
            candidates = self._candidates(column, cleaned)
            row.refs.append(_Ref(number, head, text, node, ox.NamedNode(column.property), candidates, column.ref))
            return None
        raise AssertionError(dtype)

    def _concept(self, column: Column, cleaned: str) -> str:
        mapped = column.values.get(normalise_header(cleaned))
        if mapped is not None:
            return expand(mapped)
        if column.values and not column.namespace:
            raise V.BadValue("not one of: " + ", ".join(column.values))
        if column.namespace:
            labelled = self.known.by_label(cleaned, column.namespace)
            if labelled is not None:
                return labelled
        iri = expand(cleaned)
        if iri is None or (column.namespace and not iri.startswith(column.namespace)):
            local = V.key(cleaned)
            if not local:
                raise V.BadValue("cannot make an identifier from this value")
            iri = column.namespace + local
        if column.namespace and self.known.populated(column.namespace) and iri not in self.known:
            raise V.BadValue(f"unknown: no such term in {_compact_ns(column.namespace)} in the bundled data")
        return iri

    def _candidates(self, column: Column, cleaned: str) -> list[str]:
        cached = self._candidate_cache.get((column.name, cleaned))
        if cached is None:
            cached = self._candidate_cache[(column.name, cleaned)] = self._make_candidates(column, cleaned)
        return cached

    def _make_candidates(self, column: Column, cleaned: str) -> list[str]:
        iri = expand(cleaned)
        if iri is not None:
            return [iri]
        out = []
        for kind in column.ref:
            templates, worker_level = self._templates_of(kind)
            for template in templates:
                holders = template.placeholders
                if worker_level:  # records of worker-level kinds have hashed keys
                    digest = self._pseudonymiser().key(f"record:{kind}", cleaned)
                    out.append(ID + template.text.split("/", 1)[0] + "/" + digest)
                    continue
                if len(holders) == 1:
                    name, modifier = holders[0]
                    local = V.key(cleaned, digits_only=modifier == "digits")
                    text = template.text.replace("{" + name + ("|" + modifier if modifier else "") + "}", local)
                else:
                    local = V.key(cleaned)
                    text = template.prefix + local
                if local:
                    out.append(ID + text)
        return out

    def _templates_of(self, kind: str) -> tuple[tuple[Template, ...], bool]:
        if kind not in self._ref_templates:
            other = self.mapping if kind == self.mapping.kind else bundled_mapping(kind)
            self._ref_templates[kind] = (other.iri, other.worker_level)
        return self._ref_templates[kind]

    # -- references across rows -------------------------------------------------------
    def _resolve(self, result: Conversion) -> None:
        own = {t.subject.value for r in result.rows if r.subject is not None for t in r.triples
               if t.predicate == TYPE}
        first: dict[str, int] = {}
        for row in result.rows:
            if row.subject is not None:
                earlier = first.setdefault(row.subject.value, row.number)
                if earlier != row.number:
                    row.problems.append(Problem(row.number, None, None,
                                                f"same identifier as row {earlier} (a duplicate record)"))
            for ref in row.refs:
                found = next((c for c in ref.candidates if c in own or c in self.known), None)
                if found is None:
                    row.problems.append(Problem(
                        ref.row, ref.header, ref.value, f"unknown {' or '.join(ref.kinds)} reference: not in this file, "
                        "the bundled data, or any --known file"))
                else:
                    row.triples.append(ox.Triple(ref.node, ref.property, ox.NamedNode(found)))


def _compact_ns(namespace: str) -> str:
    for prefix, ns in PREFIXES.items():
        if ns == namespace:
            return prefix + ":"
    return namespace

