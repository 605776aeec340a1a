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
prefixes are pre-declared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from . import load as _load
from . import queries as _queries
from .errors import InputError, TitpError
from .namespaces import PREFIXES, sparql_prologue
from .paths import data_dir, ontology_dir
from .results import QueryResult
from .sparql_text import inject_values


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

    def __init__(self, store_dir: str | Path | None = None, *, read_only: bool = False):
        self.store_dir = Path(store_dir) if store_dir else None
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
    def query(self, sparql: str, params: dict | None = None) -> QueryResult:
        """Run SPARQL (SELECT/ASK/CONSTRUCT/DESCRIBE); ``params`` bind variables to terms.

        Values in ``params`` may be pyoxigraph terms or strings (typed by inference, see
        :func:`titp_graph.queries.to_term`).
        """
        bindings = {}
        for key, value in (params or {}).items():
            bindings[key] = value if isinstance(value, (ox.NamedNode, ox.Literal)) \
                else _queries.to_term(str(value), None, key)
        text = inject_values(sparql, bindings)
        try:
            result = self.store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES)
            return QueryResult.from_oxigraph(result)
        except SyntaxError as exc:
            raise TitpError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise TitpError(f"query failed: {exc}") from None

    def named(self, name: str, **params: str) -> QueryResult:
        """Run a named question from ``titp_graph/queries/`` with typed parameters."""
        query = _queries.get_named(name)
        return self.query(query.text, _queries.bind(query, {k: str(v) for k, v in params.items()}))

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
            except OSError:
                pass
        del self.store


__all__ = ["TitpGraph", "LoadReport", "sparql_prologue", "InputError"]
