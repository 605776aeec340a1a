"""The views index page and the build step that writes every view to ``exports/views/``.

The index is plain escaped HTML with relative links, so the folder works from a file
system or any static host.
"""
from __future__ import annotations

import html
from pathlib import Path

from ..atomic import write_text
from . import chain, country, fees, institutions
from .base import DEFAULT_MAX_NODES, View, write

SAMPLE_CHAINS = 3


def _key(iri: str) -> str:
    """A file-name-safe slug for an IRI's last segment."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in tail.lower())
    return slug.strip("-")[:60] or "org"


def all_views(graph, max_nodes: int = DEFAULT_MAX_NODES, large: bool = False,
              detail=None) -> list[tuple[str, View]]:
    """Every view the build publishes, with its file name, in a fixed order.

    ``large`` (national-scale data): the fee-flow view, which aggregates every payment
    of the graph, is left out (``titp-graph view fees`` draws it on demand); the country
    and chain views read only their own country's or organization's placements.
    ``detail``: the placement and worker-borne payment records the build has already read
    (:mod:`titp_graph.network.detail`); the country and chain views are then drawn from
    them instead of the store (the same views; minutes saved on a national on-disk store).
    """
    out = [("institutions.html", institutions.build(graph, max_nodes))]
    if not large:
        out.append(("fees.html", fees.build(graph, max_nodes)))
    for code in country.sending_countries(graph, detail):
        out.append((f"country-{code.lower()}.html", country.build(graph, code, max_nodes, detail)))
    used = set()
    for org in chain.busiest(graph, SAMPLE_CHAINS, detail):
        name = f"chain-{_key(org)}.html"
        if name in used:
            continue
        used.add(name)
        out.append((name, chain.build(graph, org, depth=2, max_nodes=max_nodes, detail=detail)))
    return out


def index_html(entries: list[tuple[str, View]]) -> str:
    esc = html.escape
    items = "".join(
        f'<li><a href="{esc(name)}">{esc(view.title)}</a> <span>({len(view.nodes):,} nodes, '
        f"{len(view.edges):,} edges)</span><br><small>{esc(view.description)}</small></li>\n"
        for name, view in entries)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            "<title>titp-graph views</title>\n<style>body{font:15px/1.5 system-ui,sans-serif;max-width:900px;"
            "margin:2em auto;padding:0 1em}li{margin:.8em 0}small{color:#555}</style>\n</head>\n<body>\n"
            "<h1>titp-graph: interactive views</h1>\n<p>Offline pages (no network access). Hover or select a "
            "node to see its sources. Grey dashed elements are synthetic (generated) data, not real records.</p>\n"
            f"<ul>\n{items}</ul>\n</body>\n</html>\n")


def write_all(graph, folder: str | Path, max_nodes: int = DEFAULT_MAX_NODES, progress=None,
              large: bool = False, detail=None) -> list[str]:
    """Write every view and index.html into ``folder``; returns the file names written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = all_views(graph, max_nodes, large, detail)
    for name, view in entries:
        if progress:
            progress(f"views: writing {name}")
        write(view, folder / name)
    write_text(folder / "index.html", index_html(entries))
    return [name for name, _ in entries] + ["index.html"]


def views_step(ctx) -> None:
    """Build step: ``exports/views/*.html`` and ``exports/views/index.html``."""
    export = getattr(ctx, "export", None)
    large = bool(export is not None and export.large)
    if large:
        ctx.progress("views: large data: fees.html left out (run `titp-graph view fees`)")
    names = write_all(ctx.graph, ctx.folder / "views", progress=ctx.progress, large=large,
                      detail=getattr(ctx, "detail", None))
    ctx.report.written.extend(f"views/{name}" for name in names)
