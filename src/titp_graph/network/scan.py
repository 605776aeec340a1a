"""The detail of :mod:`.detail` read by scanning triples: the build's input files, parsed
again, instead of the on-disk store.

Why: decoding a triple out of the on-disk store costs ~25 µs (each term is a RocksDB
lookup), so reading ~20 million placement, payment and debt triples through SPARQL took
over 8 minutes at national scale; parsing the same N-Triples file again runs at ~600,000
triples a second. A graph the build bulk-loaded from an N-Triples file without blank nodes
holds exactly that file's triples (``raw_ntriples`` in the load report), so the file is
parsed; every other graph is small (ontology, curated data) and is read from the store,
predicate by predicate.

The records are those of :func:`.detail.read` (the tests compare both on the same data),
with one difference by design: the scan reads the graphs' union as a set of triples (the
RDF merge), so a triple asserted in two files counts once; Oxigraph's union default graph,
which the SPARQL path reads, repeats it.

Values are those the store gives back: literals in their canonical form (a decimal
``1500.50`` is read as ``1500.5``, as Oxigraph stores it), sums and quotients with
Oxigraph's decimal arithmetic (18 fractional digits, truncated). Anything else (a value of
an unexpected type where the arithmetic needs a number) raises :class:`Unsupported`, and
the caller reads through SPARQL instead.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..namespaces import ONTOLOGY, PREFIXES
from .detail import DebtRow, Detail, PaymentGroup, PlacementRow

_RDF_TYPE = PREFIXES["rdf"] + "type"
_XSD = PREFIXES["xsd"]
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_QUANTUM = Decimal(1).scaleb(-18)
_EXACT = Context(prec=80)  # Oxigraph's decimals are 128-bit integers over 10^18: exact below 39 digits
_LANG_STRING = PREFIXES["rdf"] + "langString"


#: Above this many triples outside plain N-Triples files, reading them out of the store one
#: by one (~40,000 a second on disk) is no faster than SPARQL: read through SPARQL.
STORE_SCAN_LIMIT = 1_000_000


class Unsupported(Exception):
    """The scan cannot reproduce the SPARQL answer for this data; read through SPARQL."""


class Cancelled(Exception):
    """The build stopped (it failed): the scan was not needed."""


#: Subject kinds by class, and the slots each kind's properties fill.
_KINDS = {"Placement": 1, "Payment": 2, "Worker": 4, "Debt": 8}
_PLACEMENT_SLOTS = ("employer", "sendingOrganization", "broker", "supervisingOrganization", "nationality",
                    "workerCount", "startDate", "endDate", "monthlyWage", "wageCurrency", "program")
#: Payment and debt properties share one record layout (currency is common to both).
_MONEY_SLOTS = ("forPlacement", "amount", "bornBy", "payer", "currency", "amountJPY", "payee", "feeCategory",
                "principal", "financesPlacement")
_SLOT = {ONTOLOGY + name: (0, i) for i, name in enumerate(_PLACEMENT_SLOTS)}
_SLOT.update({ONTOLOGY + name: (1, i) for i, name in enumerate(_MONEY_SLOTS)})
_TYPE_BITS = {ONTOLOGY + name: bit for name, bit in _KINDS.items()}
#: Properties whose objects go through SPARQL's STR() in the queries (kept as lexical forms).
_LEXICAL = {(0, _PLACEMENT_SLOTS.index("startDate")), (0, _PLACEMENT_SLOTS.index("wageCurrency")),
            (1, _MONEY_SLOTS.index("currency"))}


def canonical_decimal(value: Decimal) -> Decimal:
    """A decimal as Oxigraph gives it back: no trailing zeros, no exponent.

    >>> canonical_decimal(Decimal("1500.50")), canonical_decimal(Decimal("1.5E+3"))
    (Decimal('1500.5'), Decimal('1500'))
    """
    return Decimal(format(value.normalize(), "f"))


def divide(a, b):
    """``a / b`` with SPARQL numeric promotion and Oxigraph's decimal division (18
    fractional digits, truncated); None where SPARQL gives an error (division by zero).

    >>> divide(1, 3), divide(Decimal(10), 4), divide(1.0, 4)
    (Decimal('0.333333333333333333'), Decimal('2.5'), 0.25)
    """
    if isinstance(a, float) or isinstance(b, float):
        return None if b == 0 else a / b
    if b == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        return canonical_decimal((Decimal(a) / Decimal(b)).quantize(_QUANTUM, rounding=ROUND_DOWN))


def round_tenth(value):
    """SPARQL's ``ROUND(x * 10) / 10`` (halves round towards positive infinity).

    >>> round_tenth(Decimal("2.45")), round_tenth(Decimal("-2.45")), round_tenth(Decimal("4"))
    (Decimal('2.5'), Decimal('-2.4'), Decimal('4'))
    """
    if isinstance(value, float):
        import math
        return math.floor(value * 10 + 0.5) / 10
    tens = (Decimal(value) * 10 + Decimal("0.5")).to_integral_value(rounding="ROUND_FLOOR")
    return canonical_decimal(tens / 10)


def add(total, value):
    """SPARQL SUM's step: integers stay integers, decimals exact and canonical, doubles win.

    >>> add(1, 2), add(1, Decimal("0.50")), add(Decimal(1), 0.5)
    (3, Decimal('1.5'), 1.5)
    """
    if isinstance(total, float) or isinstance(value, float):
        return float(total) + float(value)
    if isinstance(total, int) and isinstance(value, int):
        return total + value
    return canonical_decimal(_EXACT.add(Decimal(total), Decimal(value)))


def _literal(text: str, dtype: str, lexical: bool):
    """A literal as :func:`..results.to_python` reads it from the store (canonical forms)."""
    if lexical:
        if dtype == _XSD + "decimal":
            return format(canonical_decimal(Decimal(text)), "f")
        return text
    try:
        if dtype in _INTEGERS:
            return int(text)
        if dtype == _XSD + "decimal":
            return canonical_decimal(Decimal(text))
        if dtype in (_XSD + "double", _XSD + "float"):
            return float(text)
        if dtype == _XSD + "boolean":
            return text in ("true", "1")
        if dtype == _XSD + "date":
            return dt.date.fromisoformat(text[:10])
    except (ValueError, InvalidOperation):
        return text
    return text


class _Collector:
    """Per subject: its property values (a value, or a list when it has several), for
    placements and for payments/debts, and the classes of interest it has (bits, in the
    record's last slot; subjects without a record, the workers, in :attr:`kinds`).

    Subjects are not interned (each payment IRI is seen once as a subject and kept once,
    as its record's key); objects are (an organization or a placement is the object of
    millions of statements). A national build holds ~2.7 million records here.
    """

    def __init__(self):
        self.kinds: dict[str, int] = {}
        self.records: tuple[dict[str, list], dict[str, list]] = ({}, {})
        self.shared: dict = {}  # one str object per distinct object IRI

    def kind(self, s: str) -> int:
        """The class bits of ``s``."""
        bits = self.kinds.get(s, 0)
        for table in self.records:
            rec = table.get(s)
            if rec is not None:
                bits |= rec[-1]
        return bits

    def add(self, s: str, p: str, o) -> None:
        """Add one statement with a pyoxigraph term as object."""
        if isinstance(o, ox.NamedNode):
            self.add_parts(s, p, o.value, None)
        elif isinstance(o, ox.Literal):
            self.add_parts(s, p, None, (o.value, o.datatype.value))
        else:
            self.add_parts(s, p, "_:" + o.value, None)

    def add_parts(self, s: str, p: str, iri: str | None, literal: tuple[str, str] | None) -> None:
        """Add one statement whose object is ``iri`` (or a blank node's ``_:id``) or a
        literal's (lexical form, datatype IRI)."""
        if p == _RDF_TYPE:
            bit = _TYPE_BITS.get(iri) if iri is not None else None
            if bit:
                placed = False
                for table in self.records:
                    rec = table.get(s)
                    if rec is not None:
                        rec[-1] |= bit
                        placed = True
                if not placed:
                    self.kinds[s] = self.kinds.get(s, 0) | bit
            return
        where = _SLOT.get(p)
        if where is None:
            return
        layout, slot = where
        if iri is not None:
            value = self.shared.setdefault(iri, iri)
        else:
            value = _literal(literal[0], literal[1], where in _LEXICAL)
        table = self.records[layout]
        rec = table.get(s)
        if rec is None:
            bits = self.kind(s)
            self.kinds.pop(s, None)
            rec = table[s] = [None] * (len(_PLACEMENT_SLOTS) if layout == 0 else len(_MONEY_SLOTS)) + [bits]
        old = rec[slot]
        if old is None:
            rec[slot] = value
        elif isinstance(old, list):
            if value not in old:
                old.append(value)
        elif old != value or type(old) is not type(value):
            rec[slot] = [old, value]


def _values(slot) -> list:
    if slot is None:
        return [None]
    return slot if isinstance(slot, list) else [slot]


def _required(slot) -> list:
    return [] if slot is None else (slot if isinstance(slot, list) else [slot])


def _numeric(value, where: str):
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise Unsupported(f"{where}: {value!r} is not a number")
    return value


def detail_from(collector: _Collector) -> Detail:
    """The :class:`.detail.Detail` records (placements, payment groups, debts) of the
    collected triples, with the semantics of the SPARQL in :mod:`.detail`. The collected
    payment and debt records are dropped as they are read (memory)."""
    kind = collector.kind
    placement_recs, money_recs = collector.records
    placements: list[PlacementRow] = []
    for p, rec in placement_recs.items():
        if not rec[-1] & 1 or rec[0] is None:
            continue
        e, s, b, sup, nat, wc, start, end, wage, wage_cur, prog = rec[:-1]
        for e1, s1, b1, sup1, nat1, wc1, start1, end1, wage1, cur1, prog1 in itertools.product(
                _required(e), *map(_values, (s, b, sup, nat, wc, start, end, wage, wage_cur, prog))):
            placements.append(PlacementRow(p, e1, s1, b1, sup1, nat1, 1 if wc1 is None else wc1, start1, end1,
                                           wage1, cur1, prog1))

    groups: dict[tuple, PaymentGroup] = {}
    debts: list[DebtRow] = []
    while money_recs:
        x, rec = money_recs.popitem()
        bits = rec[-1] | (kind(x) if x in placement_recs else 0)
        if bits & 2 and rec[0] is not None and rec[1] is not None:
            for p, amount, born, payer, cur, aj, payee, cat in itertools.product(
                    _required(rec[0]), _required(rec[1]), *map(_values, rec[2:8])):
                bearer = born if born is not None else payer
                if bearer is None or not kind(bearer) & 4:
                    continue
                _numeric(amount, f"payment {x} titp:amount")
                key = (p, bearer, payee, cat, cur, aj is not None)
                jpy_value = _numeric(aj, f"payment {x} titp:amountJPY") if aj is not None else 0
                group = groups.get(key)
                if group is None:
                    groups[key] = PaymentGroup(p, bearer, payee, cat, cur, aj is not None, amount, add(0, jpy_value), 1)
                else:
                    group.amountSum = add(group.amountSum, amount)
                    group.jpySum = add(group.jpySum, jpy_value)
                    group.payments += 1
        if bits & 8 and rec[8] is not None and rec[9] is not None:
            for principal, p, dcur in itertools.product(_required(rec[8]), _required(rec[9]), _values(rec[4])):
                prec = placement_recs.get(p)
                if prec is None:
                    continue
                for wage, wcur, nat in itertools.product(_required(prec[8]), _values(prec[9]), _values(prec[4])):
                    if isinstance(wage, bool) or not isinstance(wage, (int, Decimal, float)) or not wage > 0:
                        continue
                    if (dcur if dcur is not None else "JPY") != (wcur if wcur is not None else "JPY"):
                        continue
                    months = divide(_numeric(principal, f"debt {x} titp:principal"), wage)
                    if months is None:
                        raise Unsupported(f"debt {x}: months of wages undefined")
                    debts.append(DebtRow(x, p, nat or "", months))
    payments = list(groups.values())
    del groups
    return Detail(placements, payments, debts)


_WANTED = {f"<{iri}>".encode() for iri in (_RDF_TYPE, *_SLOT)}
_STRING = _XSD + "string"
#: One statement in the plain form writers emit (single spaces, no escapes: lines holding
#: a backslash never get here). The file was accepted by pyoxigraph's parser when it was
#: loaded, so ``[^>]*`` between ``<`` and ``>`` is exactly an IRI.
_PLAIN = re.compile(rb'(<[^>]*>) (<[^>]*>) (?:<([^>]*)>|"([^"]*)"(?:\^\^<([^>]*)>|(@)[-\w]+)?) \.\r?\n?\Z')


def _scan_file(collector: _Collector, path: Path, stop=None) -> None:
    """Every statement of interest in an N-Triples file. A line in the plain form is read
    with one regular expression (several times faster than building pyoxigraph term
    objects); any other line (escapes, tabs, extra spaces, comments) goes to pyoxigraph's
    parser, so the result is the parser's."""
    add, plain, wanted = collector.add_parts, _PLAIN.match, _WANTED
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if stop is not None and not number & 0xFFFF and stop.is_set():
                raise Cancelled(path)
            m = None if b"\\" in line else plain(line)
            if m is None:
                for quad in ox.parse(input=line, format=ox.RdfFormat.N_TRIPLES):
                    collector.add(quad.subject.value, quad.predicate.value, quad.object)
                continue
            s, p, iri, lexical, dtype, lang = m.groups()
            if p not in wanted:
                continue
            if iri is not None:
                add(s[1:-1].decode(), p[1:-1].decode(), iri.decode(), None)
            else:
                add(s[1:-1].decode(), p[1:-1].decode(), None,
                    (lexical.decode(), dtype.decode() if dtype is not None else _LANG_STRING if lang else _STRING))


def _scan_store_graph(collector: _Collector, store: ox.Store, graph) -> None:
    add = collector.add
    for quad in store.quads_for_pattern(None, None, None, graph):
        subject = quad.subject
        add(subject.value if isinstance(subject, ox.NamedNode) else "_:" + subject.value, quad.predicate.value,
            quad.object)


def read_inputs(store: ox.Store, files: Iterable[dict], stop=None) -> Detail:
    """The detail of everything in ``store``: the graphs bulk-loaded from N-Triples files
    (``files``: the load report's entries) by parsing their files, the other graphs from
    the store. Raises :class:`Unsupported` if the data needs the SPARQL path; ``stop``
    (a ``threading.Event``) ends the scan early with :class:`Cancelled`."""
    files = list(files)
    raw = {f["graph"]: Path(f["path"]) for f in files if f.get("raw_ntriples")}
    rest = sum(int(f.get("triples") or 0) for f in files if f["graph"] not in raw)
    if rest > STORE_SCAN_LIMIT:
        raise Unsupported(f"{rest:,} triples are not in plain N-Triples files")
    collector = _Collector()
    for name in sorted(raw):
        _scan_file(collector, raw[name], stop)
    for graph in sorted(store.named_graphs(), key=str):
        if graph.value not in raw:
            _scan_store_graph(collector, store, graph)
    _scan_store_graph(collector, store, ox.DefaultGraph())
    return detail_from(collector)

