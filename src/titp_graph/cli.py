"""The command line: a thin face over the library (see ``titp_graph.graph`` and friends).

Every user-facing failure is a :class:`TitpError` printed as one clear message with exit
code 1 (2 for usage errors, as click does); a traceback means a bug.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import TitpError, ValidationFailed


class _Group(click.Group):
    """Turns TitpError into a clean message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            click.echo(exc.report.text(), err=True)
            click.echo("error: SHACL validation failed; nothing was written", err=True)
            ctx.exit(1)
        except TitpError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def progress_printer(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:6.1f}s] {message}", err=True)
    return say


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="titp-graph")
def main() -> None:
    """titp-graph: a sourced knowledge graph of the recruitment supply chain behind
    Japan's Technical Intern Training Program, SSW and ESD.

    Start with `titp-graph build`, then `titp-graph queries` and `titp-graph query --name ...`.
    """


@main.command()
@click.option("--data", "extra", multiple=True, type=click.Path(path_type=Path),
              help="Extra RDF file or folder to load (Turtle, TriG, N-Triples, N-Quads, JSON-LD). Repeatable.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder to write (default: ./exports). Replaced only if the build succeeds.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=None,
              help="Keep the store on disk in this folder (for large data; reopen it with --from).")
@click.option("--engine", type=click.Choice(["auto", "sparql", "pyshacl"]), default="auto", show_default=True,
              help="SHACL engine: shapes compiled to SPARQL in the store, or pySHACL.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
def build(extra, out_dir, store_dir, engine, quiet):
    """Load ontology/ and data/, validate with SHACL, and write the exports."""
    from .build import build as run_build
    from .paths import default_exports_dir

    out_dir = out_dir or default_exports_dir()
    report = run_build(out_dir, extra=extra, store_dir=store_dir, progress=progress_printer(quiet), engine=engine)
    if not quiet:
        click.echo(f"built {report.triples:,} triples from {len(report.files)} files into {out_dir}"
                   + (f" (store: {store_dir})" if store_dir else ""))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--engine", type=click.Choice(["auto", "sparql", "pyshacl"]), default="auto", show_default=True)
@click.option("--bundled/--no-bundled", default=True, show_default=True,
              help="Also load the bundled ontology and data (needed for class hierarchies).")
def validate(paths, engine, bundled):
    """SHACL report for the bundled data plus PATHS; exit code 1 if it does not conform."""
    from .build import validate_graph
    from .graph import TitpGraph

    graph = TitpGraph()
    if bundled:
        graph.load_bundled(paths)
    else:
        for path in paths:
            graph.load_path(path)
    report = validate_graph(graph, engine)
    click.echo(report.text())
    if not report.conforms:
        sys.exit(1)


def _read_query(sparql, file, name, params):
    from . import queries

    if sum(x is not None for x in (sparql, file, name)) != 1:
        raise click.UsageError("give exactly one of: a SPARQL string, -f FILE.rq, --name NAME")
    values = queries.parse_param_options(params)
    if name:
        named = queries.get_named(name)
        return named.text, queries.bind(named, values), named
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise TitpError(f"{file}: cannot read: {exc.strerror}") from None
        named = queries.parse_named_query(Path(file)) if queries.is_named_text(text) else None
        return text, queries.bind(named, values), named
    return sparql, queries.bind(None, values), None


@main.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", type=click.Path(exists=True, dir_okay=False), help="Read the query from a .rq file.")
@click.option("-n", "--name", help="Run a named question (see `titp-graph queries`).")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Bind ?KEY to VALUE as a typed RDF term (never pasted into the query). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "turtle", "ntriples", "jsonld"]),
              default="table", show_default=True)
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="A store folder (from build --store), an exports folder or an RDF file. "
                   "Default: the bundled data, loaded fresh.")
@click.option("--endpoint", default=None, help="Run against a remote SPARQL 1.1 endpoint instead.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write to a file, not stdout.")
def query(sparql, file, name, params, fmt, source, endpoint, output):
    """Run SPARQL (SELECT, ASK, CONSTRUCT, DESCRIBE) or a named question."""
    text, bindings, named = _read_query(sparql, file, name, params)
    if endpoint:
        # Left unscoped on purpose: the endpoint's default graph (the union of its graphs)
        # gives the same answers as a named question's "# scope: reference" graphs, only
        # more slowly on a store that also holds synthetic or derived graphs.
        from .remote import remote_query
        result = remote_query(endpoint, text, bindings)
    else:
        from .graph import TitpGraph
        graph = TitpGraph.open(source)
        # A named question (--name, or -f FILE.rq with a header) reads the graphs of its
        # "# scope:" header, exactly as TitpGraph.named() does; ad hoc SPARQL reads them all.
        result = graph.query(text, bindings, graphs=graph.scope_graphs(named.scope if named else None))
    rendered = result.format(fmt)
    if output:
        from .atomic import write_text
        write_text(output, rendered)
    else:
        click.echo(rendered.rstrip("\n"))


@main.command("queries")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_queries(fmt):
    """List the named questions with their title, description and parameters."""
    import json

    from .queries import list_named

    named = list_named()
    if fmt == "json":
        click.echo(json.dumps([{"name": q.name, "title": q.title, "description": q.description,
                                "params": [vars(p) for p in q.params], "examples": list(q.examples)}
                               for q in named], ensure_ascii=False, indent=1))
        return
    for q in named:
        click.echo(f"{q.name}\n  {q.title}")
        if q.description:
            click.echo(f"  {q.description}")
        for p in q.params:
            need = "required" if p.required else "optional"
            click.echo(f"  --param {p.name}=<{p.type}> ({need}) {p.description}")
        for example in q.examples:
            click.echo(f"  e.g. {example}")
        click.echo("")


@main.command()
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="A store folder, an exports folder or an RDF file (default: the bundled data).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(source, fmt):
    """Triples, entities by class, named graphs and source documents."""
    import json

    from .graph import TitpGraph
    from .namespaces import compact
    from .stats import stats as compute

    result = compute(TitpGraph.open(source))
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"triples: {result['triples']:,}")
    click.echo(f"\nnamed graphs ({len(result['graphs'])}):")
    for g, n in result["graphs"]:
        click.echo(f"  {n:>10,}  {g}")
    click.echo("\nentities by class:")
    for c, n in result["classes"]:
        click.echo(f"  {n:>10,}  {compact(c)}")
    click.echo(f"\nsources ({len(result['sources'])}):")
    for source_iri, title, publisher, issued, confidence in result["sources"]:
        click.echo(f"  {compact(source_iri)}  [{confidence or '?'}] {publisher or '?'}, "
                   f"{issued or 'n.d.'}: {title or '?'}")


def _register_plugins() -> None:
    """Commands from later stages live in ``titp_graph.cli_commands.<name>`` modules that
    expose ``commands`` (a list of click commands); they are added in name order."""
    from . import cli_commands

    for info in sorted(pkgutil.iter_modules(cli_commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{cli_commands.__name__}.{info.name}")
        for command in getattr(module, "commands", []):
            main.add_command(command)


_register_plugins()

if __name__ == "__main__":
    main()
