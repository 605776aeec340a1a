"""`titp-graph trace ORG` and `titp-graph analyze ANALYSIS`: the chain analyses on the CLI."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import TitpError

_FROM = click.option("--from", "source", type=click.Path(path_type=Path), default=None,
                     help="A store folder, an exports folder or an RDF file (default: the bundled data).")
_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                       show_default=True)
_TABLE = click.option("--table", "table_name", default=None,
                      help="Only this table (for --format csv the default is the first); with a "
                           "store's chain index only this table is read, which is fast for "
                           "summary tables such as fees --table by-nationality.")
_OUT = click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                    help="Write to a file, not stdout.")


def _emit(result, fmt, table_name, output):
    from ..atomic import write_text
    from ..network.table import to_csv, to_json, to_text

    if fmt == "json":
        text = to_json(result)
    elif fmt == "csv":
        names = [t.name for t in result.tables]
        if table_name is not None and table_name not in names:
            raise TitpError(f"--table {table_name!r}: {result.name} has tables {', '.join(names)}")
        text = to_csv(result.table(table_name) if table_name else result.tables[0])
    else:
        text = to_text(result)
    if output:
        write_text(output, text)
    else:
        click.echo(text.rstrip("\n"))


@click.command()
@click.argument("org")
@_FROM
@_FORMAT
@_TABLE
@_OUT
def trace(org, source, fmt, table_name, output):
    """Every chain through ORG (IRI or prefixed name, e.g. syn:employer/e1), hop by hop,
    with workers, worker-borne fees and the norms that govern each hop."""
    from ..graph import TitpGraph
    from ..network import trace as run_trace

    _emit(run_trace(TitpGraph.open(source), org), fmt, table_name, output)


@click.command()
@click.argument("analysis", type=click.Choice(["fees", "brokerage", "debt", "forced-labour"]))
@_FROM
@_FORMAT
@_TABLE
@_OUT
@click.option("--threshold", type=float, default=6.0, show_default=True,
              help="debt / forced-labour: months of wages above which debt counts as debt bondage.")
@click.option("-k", "--sample", "k", type=click.IntRange(min=1), default=None,
              help="brokerage: sample k sources for betweenness (default: exact below 2,000 nodes, else 500 sampled sources).")
def analyze(analysis, source, fmt, table_name, output, threshold, k):
    """Run a chain analysis: fees (CQ2), brokerage (CQ4), debt (CQ6), forced-labour (CQ11)."""
    from ..graph import TitpGraph
    from ..network import TABLES
    from ..network import analyze as run_analysis

    if table_name is not None and table_name not in TABLES[analysis]:
        raise TitpError(f"--table {table_name!r}: {analysis} has tables {', '.join(TABLES[analysis])}")
    result = run_analysis(TitpGraph.open(source), analysis, k=k, threshold=threshold,
                          tables=[table_name] if table_name is not None else None)
    _emit(result, fmt, table_name, output)


commands = [trace, analyze]
