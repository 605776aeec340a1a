"""The library face of titp-graph: one object a notebook or the CLI drives.

>>> from titp_graph import TitpGraph
>>> g = TitpGraph()                          # in memory; TitpGraph("store/") on disk
>>> report = g.load_bundled()                # ontology/ and data/, one named graph per file
>>> res = g.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a titp:Observation }")
>>> res.rows[0][0] > 0
True

pyoxigraph is the engine (25-100x faster than rdflib here); :meth:`TitpGraph.rdflib`
gives an ``rdflib.Dataset`` view over the same store for code that wants rdflib's API.
Queries see the union of all named graphs as their default graph, and the project's
prefixes are pre-declared. Named questions read only the *reference graphs* (every named
graph but the derived and synthetic ones, :meth:`TitpGraph.reference_graphs`) unless their
``# scope: all`` header says otherwise (see :mod:`titp_graph.queries`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from . import load as _load
from . import queries as _queries
from .errors import InputError, TitpError
from .namespaces import GRAPH, PREFIXES, sparql_prologue
from .paths import data_dir, ontology_dir
from .results import QueryResult
from .sparql_text import inject_values


#: Named graphs under this IRI are the build's derived graphs (e.g. graph/derived/summaries).
DERIVED_GRAPHS = GRAPH + "derived/"
_SYNTHETIC_GRAPHS = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?d a <%sSyntheticDataset> } }"
                     % PREFIXES["titp"])


@dataclass
class LoadReport:
    """What a load added: one entry per file (label, path, graph, triples, sha256)."""

    files: list[dict] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(f["triples"] for f in self.files)


def is_store_dir(path: Path) -> bool:
    """True if ``path`` is an on-disk Oxigraph (RocksDB) store."""
    return path.is_dir() and (path / "CURRENT").is_file()


class TitpGraph:
    """A titp-graph dataset in an Oxigraph store (in memory, or on disk at ``store_dir``)."""

    #: Scoped queries on an on-disk store opened read-only run on an in-memory copy of their
    #: graphs when these hold at most this many quads (see :meth:`store_for`); 0 turns it off.
    COPY_LIMIT = 100_000

    def __init__(self, store_dir: str | Path | None = None, *, read_only: bool = False):
        self.store_dir = Path(store_dir) if store_dir else None
        self.read_only = bool(read_only and self.store_dir is not None)
        self._copy: tuple[tuple, ox.Store | None] | None = None
        try:
            if self.store_dir is None:
                self.store = ox.Store()
            elif read_only:
                self.store = ox.Store.read_only(str(self.store_dir))
            else:
                self.store = ox.Store(str(self.store_dir))
        except OSError as exc:
            raise TitpError(f"{store_dir}: cannot open the store: {exc}") from None
        self.loaded: LoadReport = LoadReport()

    # -- opening what was built ------------------------------------------------------
    @classmethod
    def open(cls, source: str | Path | None = None) -> "TitpGraph":
        """Open a built store folder, an exports folder or an RDF file; None: the bundled data."""
        if source is None:
            graph = cls()
            graph.load_bundled()
            return graph
        path = Path(source)
        if is_store_dir(path):
            return cls(path, read_only=True)
        if path.is_dir() and (path / "titp.trig").is_file():
            path = path / "titp.trig"
        elif path.is_dir() and (path / "titp.nq").is_file():
            path = path / "titp.nq"
        if not path.exists():
            raise TitpError(f"{source}: no such store, exports folder or file")
        graph = cls()
        if path.is_dir():
            graph.load_path(path)
        else:
            graph.load_dataset_file(path)
        return graph

    # -- loading ---------------------------------------------------------------------
    def load_files(self, sources: Iterable[_load.InputFile]) -> LoadReport:
        """Load each file into its own named graph; if any file is bad, nothing is added."""
        report = LoadReport(_load.load_into(self.store, sources))
        self.loaded.files.extend(report.files)
        return report

    def load_path(self, path: str | Path, prefix: str | None = None) -> LoadReport:
        """Load a file or folder; graphs are labelled ``extra/<relative path>`` by default."""
        path = Path(path)
        if prefix is None:
            prefix = "extra" if path.is_file() else "extra/" + path.resolve().name
        return self.load_files(_load.discover(path, prefix))

    def load_dataset_file(self, path: str | Path) -> LoadReport:
        """Load an exported TriG/N-Quads file keeping its named graphs as they are."""
        path = Path(path)
        source = _load.InputFile(path, "extra/" + path.stem)
        return self.load_files([source])

    def bundled_sources(self, extra: Iterable[str | Path] = ()) -> list[_load.InputFile]:
        sources = _load.discover(ontology_dir(), "ontology") + _load.discover(data_dir(), "")
        for path in extra:
            path = Path(path)
            prefix = "extra" if path.is_file() else "extra/" + path.resolve().name
            sources += _load.discover(path, prefix)
        return sources

    def load_bundled(self, extra: Iterable[str | Path] = ()) -> LoadReport:
        """Load ontology/ and data/ (and any extra files or folders)."""
        return self.load_files(self.bundled_sources(extra))

    # -- asking ----------------------------------------------------------------------
    def query(self, sparql: str, params: dict | None = None,
              graphs: Iterable[str | ox.NamedNode | ox.DefaultGraph] | None = None) -> QueryResult:
        """Run SPARQL (SELECT/ASK/CONSTRUCT/DESCRIBE); ``params`` bind variables to terms.

        Values in ``params`` may be pyoxigraph terms or strings (typed by inference, see
        :func:`titp_graph.queries.to_term`). ``graphs`` None: the default graph is the union
        of every graph; otherwise the default graph is the union of just these graphs (IRIs,
        or ``ox.DefaultGraph()`` for the store's unnamed graph) and ``GRAPH ?g`` ranges over
        the named ones among them, e.g. ``graphs=g.reference_graphs()``.
        """
        bindings = {}
        for key, value in (params or {}).items():
            bindings[key] = value if isinstance(value, (ox.NamedNode, ox.Literal)) \
                else _queries.to_term(str(value), None, key)
        text = inject_values(sparql, bindings)
        store = self.store
        if graphs is None:
            dataset: dict = {"use_default_graph_as_union": True}
        else:
            chosen = [g if isinstance(g, (ox.NamedNode, ox.DefaultGraph)) else ox.NamedNode(str(g))
                      for g in graphs]
            dataset = {"default_graph": chosen,
                       "named_graphs": [g for g in chosen if isinstance(g, ox.NamedNode)]}
            store = self.store_for(chosen)
        try:
            result = store.query(text, prefixes=PREFIXES, **dataset)
            return QueryResult.from_oxigraph(result)
        except SyntaxError as exc:
            raise TitpError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise TitpError(f"query failed: {exc}") from None

    def named(self, name: str, **params: str) -> QueryResult:
        """Run a named question from ``titp_graph/queries/`` with typed parameters, over the
        graphs its ``# scope:`` header names (:meth:`scope_graphs`)."""
        query = _queries.get_named(name)
        return self.query(query.text, _queries.bind(query, {k: str(v) for k, v in params.items()}),
                          graphs=self.scope_graphs(query.scope))

    def scope_graphs(self, scope: str | None) -> list | None:
        """The ``graphs`` argument of :meth:`query` for a named question's scope: None (every
        graph) for ``all`` and for ad hoc queries (scope None), :meth:`reference_graphs` for
        ``reference``."""
        if scope is None or scope == "all":
            return None
        if scope == "reference":
            return self.reference_graphs()
        raise TitpError(f"unknown query scope {scope!r}; expected one of {', '.join(_queries.SCOPES)}")

    def reference_graphs(self) -> list | None:
        """The graphs named questions read by default: every named graph except the derived
        ones (IRI under :data:`DERIVED_GRAPHS`) and those holding a ``titp:SyntheticDataset``
        node, plus the unnamed default graph if it holds anything. None if the store has no
        named graph at all (then everything is read, as before).

        Computed afresh on each call (the store may have changed): one pass over the graph
        names and an index lookup for the synthetic datasets: milliseconds on a big on-disk
        store. Sorted by IRI; the unnamed graph, if any, last.
        """
        named = [g for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)]
        if not named:
            return None
        synthetic = {row[0].value for row in self.store.query(_SYNTHETIC_GRAPHS)
                     if isinstance(row[0], ox.NamedNode)}
        chosen: list = sorted((g for g in named if not g.value.startswith(DERIVED_GRAPHS)
                               and g.value not in synthetic), key=lambda g: g.value)
        # The store's own (unnamed) default graph, unless empty or synthetic itself.
        if self.store.query("ASK { ?s ?p ?o }") and not self.store.query(
                "ASK { ?d a <%sSyntheticDataset> }" % PREFIXES["titp"]):
            chosen.append(ox.DefaultGraph())
        return chosen

    def store_for(self, graphs: list) -> ox.Store:
        """The store to run a query over just ``graphs`` (terms, as from
        :meth:`reference_graphs`) on: the store itself, or, for an on-disk store opened
        read-only, an in-memory copy of just those graphs if they hold at most
        :attr:`COPY_LIMIT` quads (made on first use and kept for the same graph list; a
        read-only store cannot change, so it never goes stale). Queries give the same answers
        on both.

        Why: on disk, a triple pattern over a list of default graphs costs one index seek per
        graph and per lookup (about 30 for the reference graphs), which kept lookup-heavy
        named questions at seconds on a big store; the reference graphs of a national-scale
        store hold about 10,000 quads, copied in about 0.3 s, after which each question takes
        milliseconds.
        """
        if self.store_dir is None or not self.read_only or self.COPY_LIMIT <= 0:
            return self.store
        key = tuple(graphs)
        if self._copy is None or self._copy[0] != key:
            count = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=list(key))
            copy = None
            if int(next(iter(count))[0].value) <= self.COPY_LIMIT:
                copy = ox.Store()
                for graph in key:
                    copy.bulk_extend(self.store.quads_for_pattern(None, None, None, graph))
            self._copy = (key, copy)
        return self._copy[1] if self._copy[1] is not None else self.store

    # -- looking ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.store)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def rdflib(self):
        """An ``rdflib.Dataset`` over this same store (through oxrdflib), for rdflib users."""
        import rdflib
        from oxrdflib import OxigraphStore

        dataset = rdflib.Dataset(store=OxigraphStore(store=self.store))
        for prefix, namespace in PREFIXES.items():
            dataset.bind(prefix, namespace, replace=True)
        return dataset

    def close(self) -> None:
        if self.store_dir is not None:
            try:
                self.store.flush()
            except (OSError, RuntimeError):  # RuntimeError: a read-only store has nothing to flush
                pass
        del self.store


__all__ = ["TitpGraph", "LoadReport", "sparql_prologue", "InputError"]
