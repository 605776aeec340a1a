"""The shared base of every export format.

Each format is one module with one :class:`Exporter` subclass (like FollowTheMoney's
exporters); the build runs them all against one :class:`ExportContext`, which sorts the
store's quads once. Sorting (subjects, then rdf:type first, then the other properties)
and fixed prefixes make the files byte-identical for identical inputs and easy to diff.

Large data (more than :data:`SORT_LIMIT` quads, e.g. the national-scale synthetic network,
~26 million) can neither be sorted in Python nor decoded quickly from an on-disk store
(~50k quads/s here). The exporters then stream, graph by graph (sorted by IRI): a graph
bulk-loaded from an N-Triples file without blank nodes holds exactly that file's triples,
so its bytes are copied (N-Triples lines are also valid Turtle and TriG, and become
N-Quads by adding the graph name); every other graph is small and is written sorted as
before. Identical inputs still give byte-identical files. In this mode ``titp.ttl`` and
``titp.nt`` list each graph's triples in turn (a triple stated in two graphs appears twice:
the same RDF graph), and ``titp.jsonld`` holds the small graphs only (see docs/scale.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO, ClassVar

import pyoxigraph as ox

from ..namespaces import RDF

_TYPE = RDF + "type"


def _term_key(term) -> tuple:
    # IRIs before blank nodes, both in code-point order; literals by text then datatype
    if isinstance(term, ox.NamedNode):
        return (0, term.value)
    if isinstance(term, ox.BlankNode):
        return (1, term.value)
    return (2, str(term))


def quad_key(q: ox.Quad) -> tuple:
    return (_term_key(q.graph_name), _term_key(q.subject),
            (0, "") if q.predicate.value == _TYPE else (1, q.predicate.value), _term_key(q.object))


def triple_key(t) -> tuple:
    return (_term_key(t.subject), (0, "") if t.predicate.value == _TYPE else (1, t.predicate.value),
            _term_key(t.object))


#: Above this many quads the exports stream instead of sorting everything in Python.
SORT_LIMIT = 2_000_000
_CHUNK = 1 << 24


class ExportContext:
    """What exporters read: the store, sorted once, lazily (or streamed when large).

    ``raw`` maps a graph IRI to the N-Triples file it was loaded from unchanged (see
    :func:`titp_graph.load.load_into`); only large mode uses it.
    """

    def __init__(self, store: ox.Store, raw: dict[str, str] | None = None, sort_limit: int | None = None):
        self.store = store
        self.raw = dict(raw or {})
        self.sort_limit = SORT_LIMIT if sort_limit is None else sort_limit
        self._small: dict = {}
        self._small_nt: dict = {}

    @cached_property
    def large(self) -> bool:
        """True when the store is too big to sort in Python: exporters stream instead."""
        return len(self.store) > self.sort_limit

    def graph_names(self) -> list:
        return sorted(self.store.named_graphs(), key=_term_key)

    def small_quads(self, graph) -> list[ox.Quad]:
        """One non-raw graph's quads, sorted (such graphs are small; kept for the next format)."""
        if graph not in self._small:
            self._small[graph] = sorted(self.store.quads_for_pattern(None, None, None, graph), key=quad_key)
        return self._small[graph]

    def ntriples_chunks(self, graph):
        """One graph as N-Triples bytes: the source file's bytes if raw, else sorted."""
        path = self.raw.get(graph.value) if isinstance(graph, ox.NamedNode) else None
        if path is None:
            if graph not in self._small_nt:
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in self.small_quads(graph)]
                self._small_nt[graph] = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            yield self._small_nt[graph]
            return
        last = b"\n"
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                last = chunk[-1:]
                yield chunk
        if last != b"\n":
            yield b"\n"

    def nquads_chunks(self, graph):
        """One graph as N-Quads: N-Triples lines with the graph name added (a literal
        cannot hold a raw newline, so " .\n" only ends a statement)."""
        name = str(graph).encode()
        tail = b""
        for chunk in self.ntriples_chunks(graph):
            block = tail + chunk
            cut = block.rfind(b"\n") + 1
            block, tail = block[:cut], block[cut:]
            yield block.replace(b" .\n", b" " + name + b" .\n")
        if tail:
            yield tail

    @cached_property
    def quads(self) -> list[ox.Quad]:
        """All quads in named graphs, sorted by graph, subject, property, object."""
        return sorted(self.store, key=quad_key)

    @cached_property
    def triples(self) -> list[ox.Triple]:
        """The union of all graphs as triples, each once, sorted."""
        unique = {ox.Triple(q.subject, q.predicate, q.object) for q in self.store}
        return sorted(unique, key=triple_key)


@dataclass(frozen=True)
class Distribution:
    """What a written file is, for DCAT/VoID and the docs."""

    filename: str
    media_type: str
    title: str
    format_iri: str


class Exporter:
    """One export format. Subclasses set the class attributes and implement :meth:`write`."""

    name: ClassVar[str]
    filename: ClassVar[str]
    media_type: ClassVar[str]
    title: ClassVar[str]
    format_iri: ClassVar[str] = ""

    def write(self, context: ExportContext, out: BinaryIO) -> None:
        raise NotImplementedError

    def distribution(self) -> Distribution:
        return Distribution(self.filename, self.media_type, self.title, self.format_iri)

    def export(self, context: ExportContext, folder: Path) -> Path:
        path = folder / self.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            self.write(context, out)
        return path
