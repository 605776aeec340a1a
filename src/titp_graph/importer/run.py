"""One import, start to finish: mapping + CSV (+ known data, salt) -> triples and problems.

Nothing is written here; the caller decides (all-or-nothing by default, or the good rows
with --skip-bad) and writes with :mod:`.output`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..errors import InputError
from ..namespaces import ID, PREFIXES, XSD, graph_iri
from . import values as V
from .convert import TYPE, Conversion, Converter, KnownIris, Problem
from .encodings import decode
from .mapping import Mapping, bundled_mapping, load_mapping
from .pseudonym import Pseudonymiser, load_or_create_salt

_T, _PROV, _DCT, _DCAT = PREFIXES["titp"], PREFIXES["prov"], PREFIXES["dct"], PREFIXES["dcat"]


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass
class ImportOutcome:
    kind: str
    source: Path
    mapping: Mapping
    conversion: Conversion
    graph: str
    triples: list[ox.Triple]

    @property
    def problems(self) -> list[Problem]:
        return self.conversion.problems

    @property
    def rows_written(self) -> int:
        return len(self.conversion.good_rows)

    @property
    def rows_rejected(self) -> int:
        return len(self.conversion.bad_rows)


def _needs_known(mapping: Mapping) -> bool:
    return any(c.datatype in ("iri-ref", "iri", "concept") for c in mapping.columns.values())


def known_iris(known_paths: Iterable[str | Path] = (), bundled: bool = True) -> KnownIris:
    """Subjects of the bundled data plus --known files: what references may point to.

    Synthetic data is left out: real records must not point at invented organizations
    (and skipping it keeps an import fast).
    """
    from .. import load
    from ..graph import TitpGraph
    from ..paths import data_dir, ontology_dir

    graph = TitpGraph()
    if bundled:
        sources = load.discover(ontology_dir(), "ontology") + load.discover(data_dir(), "")
        graph.load_files([s for s in sources if not s.label.startswith("synthetic/")])
    for path in known_paths:
        graph.load_path(path)
    return KnownIris.from_store(graph.store)


def import_csv(kind: str, csv_path: str | Path, *, mapping_path: str | Path | None = None,
               known_paths: Iterable[str | Path] = (), salt_file: str | Path | None = None,
               encoding: str | None = None, bundled: bool = True, timestamp: bool = False,
               known: KnownIris | None = None) -> ImportOutcome:
    csv_path = Path(csv_path)
    mapping = load_mapping(mapping_path) if mapping_path else bundled_mapping(kind)
    if mapping.kind != kind:
        raise InputError(mapping.path, f"this mapping is for {mapping.kind!r}, not {kind!r}", field="kind")
    try:
        raw = csv_path.read_bytes()
    except OSError as exc:
        raise InputError(csv_path, f"cannot read: {exc.strerror or exc}") from None
    text, used = decode(raw, csv_path, encoding)
    if known is None:
        known = known_iris(known_paths, bundled) if _needs_known(mapping) or known_paths else KnownIris()
    needs_salt = mapping.worker_level or any(c.datatype == "pseudonym" for c in mapping.columns.values())
    pseudonymiser = Pseudonymiser(load_or_create_salt(salt_file)) if needs_salt else None
    conversion = Converter(mapping, known, pseudonymiser).convert(text, used)
    graph = graph_iri("import/" + csv_path.stem)
    triples = [t for row in conversion.good_rows for t in row.triples]
    triples += _provenance(csv_path, raw, mapping, conversion, triples, timestamp)
    return ImportOutcome(kind, csv_path, mapping, conversion, graph, triples)


def _provenance(csv_path: Path, raw: bytes, mapping: Mapping, conversion: Conversion,
                triples: list[ox.Triple], timestamp: bool) -> list[ox.Triple]:
    """The import as a prov:Activity that used two distributions (the CSV and the mapping)."""
    activity = _n(ID + "import/" + (V.key(csv_path.stem) or "csv"))
    source, mapping_node = _n(activity.value + "/source"), _n(activity.value + "/mapping")
    integer = _n(XSD + "integer")
    out = [
        ox.Triple(activity, TYPE, _n(_PROV + "Activity")),
        ox.Triple(activity, TYPE, _n(_T + "Import")),
        ox.Triple(activity, _n(_T + "importKind"), ox.Literal(mapping.kind)),
        ox.Triple(activity, _n(_PROV + "used"), source),
        ox.Triple(activity, _n(_PROV + "used"), mapping_node),
        ox.Triple(activity, _n(_T + "rowsImported"), ox.Literal(str(len(conversion.good_rows)), datatype=integer)),
        ox.Triple(activity, _n(_T + "rowsRejected"), ox.Literal(str(len(conversion.bad_rows)), datatype=integer)),
        ox.Triple(source, TYPE, _n(_DCAT + "Distribution")),
        ox.Triple(source, _n(_DCT + "title"), ox.Literal(csv_path.name)),
        ox.Triple(source, _n(_DCAT + "mediaType"), ox.Literal("text/csv")),
        ox.Triple(source, _n(_T + "sha256"), ox.Literal(hashlib.sha256(raw).hexdigest())),
        ox.Triple(source, _n(_T + "encoding"), ox.Literal(conversion.encoding)),
        ox.Triple(mapping_node, TYPE, _n(_DCAT + "Distribution")),
        ox.Triple(mapping_node, _n(_DCT + "title"), ox.Literal(mapping.path.name)),
        ox.Triple(mapping_node, _n(_T + "sha256"), ox.Literal(mapping.sha256)),
    ]
    if timestamp:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        out.append(ox.Triple(activity, _n(_T + "importedAt"), ox.Literal(now, datatype=_n(XSD + "dateTime"))))
    generated = _n(_PROV + "wasGeneratedBy")
    workers = {t.subject for t in triples if t.predicate == TYPE and t.object.value == _T + "Worker"}
    for subject in sorted({t.subject for t in triples if t.predicate == TYPE} - workers, key=lambda s: s.value):
        out.append(ox.Triple(subject, generated, activity))
    return out
