"""The shared base of every export format.

Each format is one module with one :class:`Exporter` subclass (like FollowTheMoney's
exporters); the build runs them all against one :class:`ExportContext`, which sorts the
store's quads once. Sorting (subjects, then rdf:type first, then the other properties)
and fixed prefixes make the files byte-identical for identical inputs and easy to diff.
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


class ExportContext:
    """What exporters read: the store, sorted once, lazily."""

    def __init__(self, store: ox.Store):
        self.store = store

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
