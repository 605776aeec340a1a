"""Stage 1: find input files, parse them, and turn each into quads for its own named graph.

Every file becomes one named graph whose IRI comes from its path (``data/curated/timeline.ttl``
-> ``graph/curated/timeline``), so the provenance of every triple is kept. Blank nodes are
relabelled from the file's label and their order of appearance, so the same input always
gives the same labels (and byte-identical exports). Typed literals are checked, because the
parser accepts ``"abc"^^xsd:integer``. Nothing touches a store until every file has parsed:
a bad file leaves the store as it was.
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .errors import InputError
from .literals import CHECKED, literal_problem
from .namespaces import compact, graph_iri

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json-ld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


def rdf_format(path: Path) -> ox.RdfFormat | None:
    """The RDF format for a file name, or None if it is not an RDF file we read."""
    name = path.name.lower()
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix):
            return fmt
    return None


@dataclass(frozen=True)
class InputFile:
    """One RDF file to load and the named graph it goes into."""

    path: Path
    label: str

    @property
    def graph(self) -> str:
        return graph_iri(self.label)

    @property
    def format(self) -> ox.RdfFormat:
        fmt = rdf_format(self.path)
        assert fmt is not None
        return fmt


@dataclass
class ParsedFile:
    source: InputFile
    quads: list[ox.Quad] = field(default_factory=list)
    sha256: str = ""


def _strip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def discover(root: Path, prefix: str = "") -> list[InputFile]:
    """RDF files under ``root`` (a file or folder), sorted, labelled ``prefix/relative-path``.

    Hidden files and files of other kinds (CSV templates, READMEs) in folders are skipped;
    a single file given by name must be RDF.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(root, "no such file or folder")
    if root.is_file():
        if rdf_format(root) is None:
            raise InputError(root, "not an RDF file this tool reads (expected one of "
                             + ", ".join(sorted(FORMATS)) + ")")
        return [InputFile(root, "/".join(p for p in (prefix, _strip_suffix(root.name)) if p))]
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if rdf_format(path) is None:
            continue
        label = "/".join([*((prefix,) if prefix else ()), *rel.parts[:-1], _strip_suffix(path.name)])
        files.append(InputFile(path, label))
    return files


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def parse_file(source: InputFile) -> ParsedFile:
    """Parse one file into quads for its named graph, with stable blank-node labels."""
    path = source.path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    graph = ox.NamedNode(source.graph)
    tag = hashlib.sha256(source.label.encode()).hexdigest()[:8]
    bnodes: dict[str, ox.BlankNode] = {}

    def stable(term):
        if isinstance(term, ox.BlankNode):
            label = bnodes.get(term.value)
            if label is None:
                label = bnodes[term.value] = ox.BlankNode(f"b{tag}n{len(bnodes)}")
            return label
        return term

    quads: list[ox.Quad] = []
    try:
        for quad in ox.parse(raw, source.format, base_iri=None):
            s, p, o, g = quad.subject, quad.predicate, quad.object, quad.graph_name
            if isinstance(o, ox.Literal) and o.datatype.value in CHECKED:
                problem = literal_problem(o.value, o.datatype.value)
                if problem:
                    raise InputError(path, f"{problem} (on {compact(s.value) if isinstance(s, ox.NamedNode) else s})",
                                     line=_line_of(raw.decode("utf-8", "replace"), f'"{o.value}"'),
                                     field=compact(p.value))
            if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
                s, o = stable(s), stable(o)
            if isinstance(g, ox.DefaultGraph):
                g = graph
            elif isinstance(g, ox.BlankNode):
                g = stable(g)
            quads.append(ox.Quad(s, p, o, g))
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from None
    except (ValueError, OSError) as exc:
        raise InputError(path, str(exc)) from None
    return ParsedFile(source, quads, hashlib.sha256(raw).hexdigest())


_BAD_LITERALS = """
SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }}
  FILTER(isLiteral(?o))
  BIND(datatype(?o) AS ?dt)
  FILTER(?dt != xsd:string && ?dt != rdf:langString)
  FILTER((?dt IN (xsd:integer, xsd:decimal, xsd:double, xsd:float) && !isNumeric(?o))
    || (?dt = xsd:date && COALESCE(STR(xsd:date(?o)), "") = "")
    || (?dt = xsd:dateTime && COALESCE(STR(xsd:dateTime(?o)), "") = "")
    || (?dt = xsd:gYear && COALESCE(STR(xsd:gYear(?o)), "") = "")
    || (?dt = xsd:gYearMonth && COALESCE(STR(xsd:gYearMonth(?o)), "") = "")
    || (?dt = xsd:boolean && !(STR(?o) IN ("true", "false", "1", "0")))
    || (?dt IN (xsd:nonNegativeInteger, xsd:positiveInteger, xsd:anyURI))
  )
}} LIMIT 20
"""
# datatype() is computed once per literal and plain strings leave first: ~10x faster on
# an on-disk store than testing each datatype with its own datatype() call.
_SCAN_PREFIXES = {"xsd": "http://www.w3.org/2001/XMLSchema#",
                  "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}

#: Files at least this big go through the store's bulk loader (streamed from the file,
#: not read into memory, not in one transaction; a failure removes the graph again).
BULK_BYTES = 1024 * 1024


def _check_literals_in_store(store: ox.Store, source: InputFile) -> None:
    """Find ill-typed literals with one scan inside the store (the fast path's check)."""
    query = _BAD_LITERALS.format(graph=source.graph)
    for row in store.query(query, prefixes=_SCAN_PREFIXES):
        o = row["o"]
        problem = literal_problem(o.value, o.datatype.value)
        if problem:  # the pattern list is the authority; the SPARQL only pre-selects
            s = row["s"]
            text = source.path.read_text(encoding="utf-8", errors="replace")
            raise InputError(source.path, f"{problem} (on {compact(s.value) if isinstance(s, ox.NamedNode) else s})",
                             line=_line_of(text, f'"{o.value}"'), field=compact(row["p"].value))


_NT_TYPED = re.compile(rb'"((?:[^"\\\n]|\\.)*)"\^\^<http://www\.w3\.org/2001/XMLSchema#([A-Za-z]+)>')


def _literals_ok(seen: set[tuple[bytes, bytes]]) -> bool:
    """True if every collected (lexical form, XSD datatype local name) is well formed; False
    means "ask the store" (a literal looked bad or holds an escape)."""
    for lexical, dtype in seen:
        if b"\\" in lexical:
            return False
        if literal_problem(lexical.decode("utf-8", "replace"), _SCAN_PREFIXES["xsd"] + dtype.decode()):
            return False
    return True


@dataclass
class FileFacts:
    """What one read of an input file tells the loader (see :func:`inspect_file`)."""

    sha256: str
    literals_ok: bool | None  # N-Triples only: every XSD-typed literal well formed
    may_have_blank_nodes: bool


def inspect_file(path: Path, fmt: ox.RdfFormat) -> FileFacts:
    """One pass over a file's bytes, in 16 MiB chunks of whole lines: its sha256; for
    N-Triples, whether every XSD-typed literal is well formed (each distinct lexical form
    and datatype checked once: ~8x faster than the SPARQL scan of the loaded graph); and
    whether it may hold a blank node (``_:``, and for Turtle ``[`` or ``(``).

    Why one pass, on a thread beside the bulk load: these were three reads of a
    multi-gigabyte file after the load; pyoxigraph's bulk loader releases the GIL, so they
    now cost nothing on the wall clock. ``literals_ok`` False means "ask the store"
    (:func:`_check_literals_in_store` decides and names the triple, so a look-alike in a
    comment cannot fail a load).

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".nt", delete=False) as f:
    ...     _ = f.write(b'<http://e/s> <http://e/p> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .\\n')
    >>> facts = inspect_file(Path(f.name), ox.RdfFormat.N_TRIPLES); os.unlink(f.name)
    >>> facts.literals_ok, facts.may_have_blank_nodes, len(facts.sha256)
    (True, False, 64)
    """
    ntriples = fmt == ox.RdfFormat.N_TRIPLES
    needles = (b"_:",) if ntriples else (b"_:", b"[", b"(")
    digest = hashlib.sha256()
    seen: set[tuple[bytes, bytes]] = set()
    blank, tail = False, b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 24):
                chunk += handle.readline()  # whole lines only
                digest.update(chunk)
                if not blank:
                    block = tail + chunk
                    blank = any(n in block for n in needles)
                    tail = block[-1:]
                if ntriples:
                    seen.update(m.groups() for m in _NT_TYPED.finditer(chunk))
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return FileFacts(digest.hexdigest(), _literals_ok(seen) if ntriples else None, blank)


class _Inspection:
    """:func:`inspect_file` on its own thread (started before the bulk load)."""

    def __init__(self, path: Path, fmt: ox.RdfFormat):
        self._result: FileFacts | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, fmt), name="titp-inspect", daemon=True)
        self._thread.start()

    def _run(self, path, fmt) -> None:
        try:
            self._result = inspect_file(path, fmt)
        except BaseException as exc:  # handed to the loading thread
            self._error = exc

    def wait(self) -> None:
        """Let the read finish (the load failed: its result no longer matters)."""
        self._thread.join()

    def result(self) -> FileFacts:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _digest(path: Path) -> str:
    """sha256 of a file, read in chunks (a national-scale input is several GB)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def _graph_size(store: ox.Store, graph: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(result))["n"].value)


def _has_blank_nodes(store: ox.Store, graph: str) -> bool:
    return bool(store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}"))


def load_into(store: ox.Store, sources: Iterable[InputFile]) -> list[dict]:
    """Load files into ``store``, each into its own named graph; all or nothing.

    Turtle and N-Triples files without blank nodes take the fast path (the store's own
    parser, then one SPARQL scan for ill-typed literals); files with blank nodes or
    explicit graphs go through :func:`parse_file` for stable labels. If any file fails,
    the graphs this call created are removed again, so the store is as it was.
    """
    sources = list(sources)
    seen: dict[str, Path] = {}
    for source in sources:
        other = seen.get(source.graph)
        if other is not None and other != source.path:
            raise InputError(source.path, f"would load into the same named graph "
                             f"<{source.graph}> as {other}; rename one of them")
        seen[source.graph] = source.path
    existing = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    clash = [s for s in sources if s.graph in existing]
    if clash:
        raise InputError(clash[0].path, f"named graph <{clash[0].graph}> is already loaded")
    created: list[ox.NamedNode] = []
    report = []
    try:
        for source in sources:
            graph = ox.NamedNode(source.graph)
            raw = False
            if source.format in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
                try:
                    bulk = source.path.stat().st_size >= BULK_BYTES
                except OSError as exc:
                    raise InputError(source.path, f"cannot read: {exc.strerror or exc}") from None
                inspection = _Inspection(source.path, source.format)  # reads the file beside the load
                created.append(graph)
                try:
                    if bulk:
                        store.bulk_load(path=str(source.path), format=source.format, to_graph=graph)
                    else:
                        store.load(source.path.read_bytes(), source.format, to_graph=graph)
                except SyntaxError as exc:
                    inspection.wait()
                    raise _syntax_error(source.path, exc) from None
                except (ValueError, OSError) as exc:
                    inspection.wait()
                    raise InputError(source.path, str(exc)) from None
                except BaseException:
                    inspection.wait()
                    raise
                facts = inspection.result()
                digest = facts.sha256
                if not (bulk and facts.literals_ok):
                    _check_literals_in_store(store, source)
                if (not bulk or facts.may_have_blank_nodes) and _has_blank_nodes(store, source.graph):
                    store.remove_graph(graph)
                    store.extend(parse_file(source).quads)
                elif bulk and source.format == ox.RdfFormat.N_TRIPLES:
                    raw = True  # the graph is exactly the file's triples: exports may copy it
            else:
                digest = _digest(source.path)
                parsed = parse_file(source)
                names = {q.graph_name for q in parsed.quads}
                if any(isinstance(n, ox.NamedNode) and n.value in existing for n in names):
                    raise InputError(source.path, "adds to a named graph that is already loaded")
                created.extend(n for n in names if isinstance(n, ox.NamedNode))
                store.extend(parsed.quads)
            report.append({"label": source.label, "path": str(source.path), "graph": source.graph,
                           "triples": _graph_size(store, source.graph), "sha256": digest,
                           "raw_ntriples": raw})
    except BaseException:
        for graph in created:
            store.remove_graph(graph)
        raise
    return report


def _syntax_error(path: Path, exc: SyntaxError) -> InputError:
    message = str(exc.msg if getattr(exc, "msg", None) else exc)
    message = message.removeprefix("Parser error ").removeprefix("at line ")
    if exc.lineno is not None:
        message = re.sub(r"^\d+ between columns (\d+) and (\d+): ", r"columns \1-\2: ", message)
    return InputError(path, message, line=exc.lineno)
