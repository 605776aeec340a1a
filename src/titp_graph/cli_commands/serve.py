"""`titp-graph serve` (read-only SPARQL endpoint + linked data) and `titp-graph push`."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import TitpError


def _source(from_dir: Path | None, store_dir: Path | None) -> tuple[str | None, Path | None]:
    """What workers open, and which exports folder to offer as files."""
    if from_dir is not None and store_dir is not None:
        raise click.UsageError("give --from or --store, not both")
    if store_dir is not None:
        from ..graph import is_store_dir

        if not is_store_dir(store_dir):
            raise TitpError(f"--store {store_dir}: not an Oxigraph store (build one with `titp-graph build --store`)")
        exports = Path.cwd() / "exports"
        return str(store_dir), exports if exports.is_dir() else None
    if from_dir is not None:
        if not from_dir.exists():
            raise TitpError(f"--from {from_dir}: no such folder or file")
        return str(from_dir), from_dir if from_dir.is_dir() and (from_dir / "titp.trig").is_file() else None
    exports = Path.cwd() / "exports"
    if (exports / "titp.trig").is_file():
        return str(exports), exports
    return None, None


@click.command()
@click.option("--from", "from_dir", type=click.Path(path_type=Path), default=None,
              help="An exports folder (from build) or an RDF file. Default: ./exports if built, else the bundled data.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=None,
              help="An on-disk store (from build --store), opened read-only: fastest start at national scale.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep 127.0.0.1 unless you mean it).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--timeout", default=10.0, show_default=True, type=float, help="Seconds a query may run before it is stopped.")
@click.option("--max-results", default=100_000, show_default=True, type=int, help="Most rows (or triples) one answer may have.")
@click.option("--workers", default=2, show_default=True, type=int, help="Query worker processes (each holds the data).")
def serve(from_dir, store_dir, host, port, timeout, max_results, workers):
    """Serve a read-only SPARQL 1.1 endpoint (/sparql), entity pages (/id/...) and the exports."""
    import uvicorn

    from ..serve.app import create_app

    if timeout <= 0 or max_results <= 0 or workers <= 0:
        raise click.UsageError("--timeout, --max-results and --workers must be positive")
    source, exports = _source(from_dir, store_dir)
    app = create_app(source, exports, timeout=timeout, max_results=max_results, workers=workers)
    click.echo(f"serving {source or 'the bundled data'} at http://{host}:{port}/ (SPARQL: /sparql)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command()
@click.option("--endpoint", required=True, help="The store's base URL (Oxigraph server: http://host:7878).")
@click.option("--store-url", default=None, help="Graph Store Protocol URL (default: ENDPOINT/store).")
@click.option("--query-url", default=None, help="SPARQL query URL for the count check (default: ENDPOINT/query).")
@click.option("--graph-prefix", default=None, help="Rename graphs: https://w3id.org/titp-graph/graph/X -> PREFIX + X.")
@click.option("--replace", is_flag=True, help="Replace each remote graph (PUT) instead of merging into it (POST).")
@click.option("--user", default=None)
@click.option("--password", default=None, envvar="TITP_GRAPH_PUSH_PASSWORD",
              help="Or set TITP_GRAPH_PUSH_PASSWORD.")
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="A store folder, an exports folder or an RDF file (default: the bundled data).")
@click.option("--chunk", default=50_000, show_default=True, type=int, help="Triples per request.")
@click.option("-q", "--quiet", is_flag=True)
def push(endpoint, store_url, query_url, graph_prefix, replace, user, password, source, chunk, quiet):
    """Upload every named graph to a SPARQL store and check the triple counts there."""
    from ..cli import progress_printer
    from ..graph import TitpGraph
    from ..push import push as run_push

    report = run_push(TitpGraph.open(source), endpoint, graph_prefix=graph_prefix, replace=replace,
                      user=user, password=password, chunk=max(1, chunk), store_url=store_url,
                      query_url=query_url, progress=progress_printer(quiet))
    click.echo(report.text())
    if report.differences:
        raise TitpError(f"{len(report.differences)} graph(s) have a different triple count on the remote "
                        "store (push with --replace to overwrite them)")


commands = [serve, push]
