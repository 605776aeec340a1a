"""``titp-graph view KIND --out FILE.html``: one interactive offline view."""
from __future__ import annotations

from pathlib import Path

import click

KINDS = ("institutions", "chain", "country", "fees", "all")


@click.command("view")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="HTML file to write (for KIND 'all': a folder, written with index.html).")
@click.option("--org", default=None, help="chain: the organization (IRI or prefixed name, e.g. syn:...).")
@click.option("--depth", type=click.IntRange(1, 6), default=1, show_default=True, help="chain: hops from --org.")
@click.option("--country", "country_code", default=None, help="country: the sending country (ISO code, e.g. VN).")
@click.option("--max-nodes", type=click.IntRange(1, 100000), default=500, show_default=True,
              help="Most nodes drawn; beyond it the least important are left out or merged (the page says so).")
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="A store folder, an exports folder or an RDF file (default: the bundled data).")
@click.option("--data", "extra", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra RDF file or folder to load with the bundled data. Repeatable.")
def view(kind, out, org, depth, country_code, max_nodes, source, extra):
    """Write an interactive view (offline HTML, sources on hover)."""
    from ..graph import TitpGraph
    from ..views import base, chain, country, fees, index, institutions

    if kind == "chain" and not org:
        raise click.UsageError("view chain needs --org IRI")
    if kind == "country" and not country_code:
        raise click.UsageError("view country needs --country CODE (e.g. VN)")
    if source is not None:
        graph = TitpGraph.open(source)
        for path in extra:
            graph.load_path(path)
    else:
        graph = TitpGraph()
        graph.load_bundled(extra)
    if kind == "all":
        names = index.write_all(graph, out, max_nodes)
        click.echo(f"wrote {len(names)} files to {out}")
        return
    if kind == "institutions":
        result = institutions.build(graph, max_nodes)
    elif kind == "chain":
        result = chain.build(graph, org, depth, max_nodes)
    elif kind == "country":
        result = country.build(graph, country_code, max_nodes)
    else:
        result = fees.build(graph, max_nodes)
    base.write(result, out)
    click.echo(f"wrote {out} ({len(result.nodes):,} nodes, {len(result.edges):,} edges)")


commands = [view]
