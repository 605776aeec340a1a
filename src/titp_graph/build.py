"""The main job: load -> validate -> export, all or nothing.

Exports are written to a temporary folder beside ``--out`` and swapped in only when every
step has succeeded, so a failed build (a parse error, a SHACL violation, a full disk)
leaves the previous ``exports/`` exactly as it was. Steps after the RDF dumps (metadata,
views, analyses) register in :data:`STEPS`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import rdflib

from .errors import TitpError, ValidationFailed
from .export import RDF_EXPORTERS, ExportContext
from .graph import TitpGraph, is_store_dir
from .paths import ontology_dir
from .validate import Unsupported, ValidationReport, validate_store, validate_with_pyshacl

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    out_dir: Path | None = None
    triples: int = 0
    files: list[dict] = field(default_factory=list)
    validation: ValidationReport | None = None
    written: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: The process's peak resident memory (MiB) at the end of each phase: where it first
    #: reaches its maximum is the phase to look at.
    peak_mib: dict[str, float] = field(default_factory=dict)

    def phase(self, name: str, seconds: float) -> None:
        self.timings[name] = seconds
        self.peak_mib[name] = peak_rss_mib()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if os.uname().sysname == "Darwin" else 1)


@dataclass
class BuildContext:
    """What a build step gets: the graph, the folder being written, and the report."""

    graph: TitpGraph
    folder: Path
    report: BuildReport
    export: ExportContext
    progress: Progress


def _rdf_dumps(ctx: BuildContext) -> None:
    for exporter in RDF_EXPORTERS:
        ctx.progress(f"export: writing {exporter.filename}")
        exporter().export(ctx.export, ctx.folder)
        ctx.report.written.append(exporter.filename)


def read_detail(graph: TitpGraph, files: list[dict], progress: Progress):
    """The placements, payments and debts the analyses share, read once: by parsing the
    inputs again where the store holds exactly a file (fast), else through SPARQL."""
    return DetailReader(graph, files, progress).result()


class DetailReader:
    """:func:`read_detail` on a thread started right after loading, so that parsing the
    inputs again (Python, one core) overlaps validation and the RDF dumps (mostly in
    pyoxigraph, which releases the GIL). :meth:`result` waits for it; the SPARQL fallback,
    if needed, runs then, in the caller's thread."""

    def __init__(self, graph: TitpGraph, files: list[dict], progress: Progress):
        import threading

        self.graph, self.files, self.progress = graph, files, progress
        self.stop = threading.Event()
        self.seconds = 0.0
        self._value = self._error = None
        self._thread = None
        if any(f.get("raw_ntriples") for f in files):
            self._thread = threading.Thread(target=self._run, name="titp-detail-scan", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from .network import scan
        started = time.perf_counter()
        try:
            self._value = scan.read_inputs(self.graph.store, self.files, self.stop)
        except BaseException as exc:  # handed to result(), in the build's thread
            self._error = exc
        self.seconds = time.perf_counter() - started

    def result(self):
        from .network import detail, scan
        if self._thread is None:
            return detail.read(self.graph)
        self._thread.join()
        if isinstance(self._error, scan.Unsupported):
            self.progress(f"summaries: reading through SPARQL instead ({self._error})")
            return detail.read(self.graph)
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join()


def _summaries(ctx: BuildContext) -> None:
    from .network.detail import debt_histogram
    from .network.summaries import chain_records, write_summaries
    ctx.progress("summaries: reading placements, payments and debts")
    started = time.perf_counter()
    reader = getattr(ctx, "detail_reader", None) or DetailReader(ctx.graph, ctx.report.files, ctx.progress)
    ctx.detail = reader.result()  # the summaries and the analyses share it
    ctx.__dict__.pop("detail_reader", None)
    if reader.seconds:
        ctx.report.timings["detail_scan_background"] = reader.seconds
    ctx.chain_records = chain_records(ctx.graph, ctx.detail)
    ctx.progress(f"summaries: {len(ctx.chain_records[0]):,} chains ({time.perf_counter() - started:.1f} s); "
                 "computing the derived named graph (network hops, debt histogram)")
    counts = write_summaries(ctx.graph, ctx.chain_records, debt_histogram(ctx.detail))
    ctx.hop_edges = counts.pop("edges")  # the network step projects these rather than read them back
    if not ctx.export.__dict__.get("large", False):
        ctx.export.__dict__.pop("large", None)  # the store grew: ask again (a large store stays large;
        # counting a national on-disk store takes ~11 s)
    ctx.progress(f"summaries: {counts['hops']:,} hops, {counts['histogram_bins']:,} debt bins, "
                 f"{counts['quads']:,} quads")


def _network(ctx: BuildContext) -> None:
    from .network import network_step
    network_step(ctx)


def _views(ctx: BuildContext) -> None:
    from .views.index import views_step
    views_step(ctx)


def _ontology_docs(ctx: BuildContext) -> None:
    from .export.ontology_docs import ontology_docs_step
    ontology_docs_step(ctx)


def _void(ctx: BuildContext) -> None:
    from .export.void import void_step
    void_step(ctx)


#: Build steps run in order after validation; each writes into ``ctx.folder``.
#: The summaries (a derived named graph in the store, see network/summaries.py) come after
#: the RDF dumps, which hold exactly the inputs, and before the analyses, which read them;
#: the views come while the build still holds the detail records (the network step frees
#: them); the VoID/DCAT description comes last so that it can name every file written.
STEPS: list[Callable[[BuildContext], None]] = [_rdf_dumps, _ontology_docs, _summaries, _views, _network, _void]


def load_shapes(paths: Iterable[Path] | None = None) -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in paths or sorted(ontology_dir().glob("shapes*.ttl")):
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises many types for bad Turtle
            raise TitpError(f"{path}: cannot read the SHACL shapes: {exc}") from None
    return shapes


def validate_graph(graph: TitpGraph, engine: str = "auto") -> ValidationReport:
    """SHACL-validate everything in the store (compiled to SPARQL unless told otherwise)."""
    shapes = load_shapes()
    if engine in ("auto", "sparql"):
        try:
            return validate_store(graph.store, shapes)
        except Unsupported as exc:
            if engine == "sparql":
                raise TitpError(f"the shapes use a feature the SPARQL engine does not compile: {exc}") from None
    import pyoxigraph as ox

    union = rdflib.Graph()
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in graph.store}
    union.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return validate_with_pyshacl(union, shapes, None)


def _writable_parent(out_dir: Path) -> Path:
    parent = out_dir.resolve().parent
    if out_dir.exists() and not out_dir.is_dir():
        raise TitpError(f"--out {out_dir}: exists and is not a folder")
    if not parent.is_dir():
        raise TitpError(f"--out {out_dir}: its parent folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out_dir.exists() and not os.access(out_dir, os.W_OK)):
        raise TitpError(f"--out {out_dir}: not writable")
    return parent


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace ``target`` with ``tmp`` with two renames; the old one is removed last."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build(out_dir: str | Path, extra: Iterable[str | Path] = (), store_dir: str | Path | None = None,
          progress: Progress | None = None, engine: str = "auto",
          steps: list[Callable[[BuildContext], None]] | None = None) -> BuildReport:
    """Load the bundled ontology and data (plus ``extra``), validate, and write ``out_dir``."""
    say = progress or (lambda message: None)
    out_dir = Path(out_dir)
    parent = _writable_parent(out_dir)
    report = BuildReport(out_dir=out_dir)
    store_tmp = None
    if store_dir is not None:
        store_dir = Path(store_dir)
        if store_dir.exists() and not is_store_dir(store_dir) and any(store_dir.iterdir()):
            raise TitpError(f"--store {store_dir}: exists and is not an Oxigraph store; refusing to replace it")
        _writable_parent(store_dir)
        try:
            store_tmp = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.tmp-", dir=store_dir.resolve().parent))
        except OSError as exc:
            raise TitpError(f"--store {store_dir}: cannot write there: {exc.strerror or exc}") from None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    except OSError as exc:
        raise TitpError(f"--out {out_dir}: cannot write there: {exc.strerror or exc}") from None
    reader = None
    try:
        start = time.perf_counter()
        graph = TitpGraph(store_tmp)
        sources = graph.bundled_sources(extra)
        say(f"load: parsing {len(sources)} files")
        loaded = graph.load_files(sources)
        report.files, report.triples = loaded.files, len(graph)
        report.phase("load", time.perf_counter() - start)
        say(f"load: {report.triples:,} triples in {len(loaded.files)} named graphs")
        reader = DetailReader(graph, report.files, say) if _summaries in (steps if steps is not None else STEPS) \
            else None

        start = time.perf_counter()
        say("validate: checking SHACL shapes")
        report.validation = validate_graph(graph, engine)
        report.phase("validate", time.perf_counter() - start)
        if not report.validation.conforms:
            raise ValidationFailed(report.validation)
        say(f"validate: conforms ({report.validation.checks} checks)")

        start = time.perf_counter()
        raw = {f["graph"]: f["path"] for f in report.files if f.get("raw_ntriples")}
        ctx = BuildContext(graph, tmp, report, ExportContext(graph.store, raw), say)
        ctx.detail_reader = reader
        for step in steps if steps is not None else STEPS:
            step_start = time.perf_counter()
            step(ctx)
            report.phase(step.__name__.strip("_"), time.perf_counter() - step_start)
        report.timings["export"] = time.perf_counter() - start
        os.chmod(tmp, 0o755)
        _swap_in(tmp, out_dir)
        tmp = None
        if store_tmp is not None:
            graph.close()
            _swap_in(store_tmp, store_dir)
            store_tmp = None
        say(f"export: wrote {len(report.written)} files to {out_dir}")
        return report
    except OSError as exc:
        raise TitpError(f"writing {out_dir}: {exc.strerror or exc}") from None
    finally:
        if reader is not None:
            reader.cancel()  # a failed build: stop parsing before the store goes
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if store_tmp is not None:
            shutil.rmtree(store_tmp, ignore_errors=True)
