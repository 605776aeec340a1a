"""The shared page writer for every view: offline, escaped, deterministic HTML.

pyvis 0.3.2's own template links Bootstrap from a CDN even with ``cdn_resources="in_line"``,
renders the heading and the select menu as raw HTML, and switches its tooltips to
``innerHTML`` once any title contains "href". So we keep only its vis-network asset and
write the page ourselves:

- every script and style is inlined, and a Content-Security-Policy forbids any request;
- node and edge data travel as JSON in ``<script type="application/json">`` with ``<``,
  ``>`` and ``&`` written as ``\\u003c`` etc., so no text can close the script element;
- tooltips, the legend, the search box and the details panel are built with
  ``textContent``; labels are drawn on the canvas. No text ever reaches ``innerHTML``;
- positions are computed in Python (networkx, fixed seed) and physics is off, because
  physics layouts do not settle at scale in a browser;
- node and edge lists are built in bulk (pyvis's add_node/add_edge are quadratic).
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..atomic import write_text

#: Colours used for synthetic elements and for breaches, shared by all views.
SYNTHETIC_COLOUR = "#b8b8b8"
SYNTHETIC_BORDER = "#555555"
BREACH_COLOUR = "#d62728"
DEFAULT_MAX_NODES = 500


@dataclass(frozen=True)
class Source:
    """One source document behind a fact, as a reader sees it in a tooltip."""

    title: str
    publisher: str = ""
    date: str = ""
    confidence: str = ""
    iri: str = ""

    def as_json(self) -> dict:
        return {"title": self.title, "publisher": self.publisher, "date": self.date,
                "confidence": self.confidence, "iri": self.iri}


@dataclass
class Node:
    id: str
    label: str
    label_ja: str = ""
    cls: str = ""
    group: str = ""
    sources: list[Source] = field(default_factory=list)
    synthetic: bool = False
    details: list[tuple[str, str]] = field(default_factory=list)
    size: float = 14.0
    weight: float = 0.0          # importance, used to pick the nodes kept under the cap
    layer: int | None = None     # column for layered layouts
    x: float | None = None
    y: float | None = None
    focus: bool = False


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""
    label_ja: str = ""
    cls: str = ""
    group: str = ""
    sources: list[Source] = field(default_factory=list)
    synthetic: bool = False
    details: list[tuple[str, str]] = field(default_factory=list)
    width: float = 1.5
    colour: str = ""


@dataclass(frozen=True)
class Group:
    """A legend entry: how one kind of node or edge looks and what it means."""

    key: str
    label: str
    colour: str
    kind: str = "node"   # "node" or "edge"
    shape: str = "dot"


@dataclass
class View:
    kind: str
    title: str
    description: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layout: str = "spring"       # "spring" or "layers"
    edge_labels: bool = True
    arrows: bool = True


# -- capping -------------------------------------------------------------------------

def cap(view: View, max_nodes: int, what: str = "nodes") -> View:
    """Keep the ``max_nodes`` most important nodes (weight, then id) and say so in the page.

    Focus nodes are always kept. Edges to dropped nodes are dropped too.
    """
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    if len(view.nodes) <= max_nodes:
        return view
    ranked = sorted(view.nodes, key=lambda n: (not n.focus, -n.weight, n.id))
    keep = {n.id for n in ranked[:max_nodes]}
    total = len(view.nodes)
    view.nodes = [n for n in view.nodes if n.id in keep]
    view.edges = [e for e in view.edges if e.source in keep and e.target in keep]
    view.notes.append(f"Showing the {max_nodes:,} most important of {total:,} {what} "
                      f"({total - max_nodes:,} left out); raise --max-nodes to see more.")
    return view


# -- layout --------------------------------------------------------------------------

def _spring(nodes: list[Node], edges: list[Edge]) -> dict[str, tuple[float, float]]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(n.id for n in nodes))
    graph.add_edges_from(sorted({tuple(sorted((e.source, e.target))) for e in edges if e.source != e.target}))
    if len(graph) == 1:
        return {next(iter(graph)): (0.0, 0.0)}
    k = 3.0 / math.sqrt(max(len(graph), 1))
    pos = nx.spring_layout(graph, seed=7, k=k, iterations=80)
    scale = 120.0 * math.sqrt(len(graph))
    # rounded to a tenth of a pixel: the last bits of floating point may differ between
    # numpy builds, and the page bytes must not
    return {key: (round(float(x) * scale, 1), round(float(y) * scale, 1)) for key, (x, y) in pos.items()}


def _layers(nodes: list[Node]) -> dict[str, tuple[float, float]]:
    """Columns by ``layer``, heaviest node first (top) within a column."""
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(node.layer or 0, []).append(node)
    pos = {}
    for index, layer in enumerate(sorted(columns)):
        column = sorted(columns[layer], key=lambda n: (-n.weight, n.label, n.id))
        spacing = 46.0
        top = -spacing * (len(column) - 1) / 2
        for row, node in enumerate(column):
            pos[node.id] = (index * 380.0, top + row * spacing)
    return pos


def place(view: View) -> None:
    """Give every node x/y (rounded, so the bytes are the same on every run)."""
    missing = [n for n in view.nodes if n.x is None or n.y is None]
    if not missing:
        return
    pos = _layers(view.nodes) if view.layout == "layers" else _spring(view.nodes, view.edges)
    for node in view.nodes:
        if node.x is None or node.y is None:
            node.x, node.y = pos[node.id]
        node.x, node.y = round(node.x, 1), round(node.y, 1)


# -- the page ------------------------------------------------------------------------

def _vis_dir() -> Path:
    import pyvis

    return Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS as shipped inside the pyvis package (no CDN)."""
    folder = _vis_dir()
    js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    css = (folder / "vis-network.css").read_text(encoding="utf-8")
    # Inlined text must not be able to end its own element early.
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("vis-network asset contains a closing tag; cannot inline it safely")
    return js, css


def json_for_script(data) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or U+2028/9."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _clip(text: str, limit: int = 2000) -> str:
    """Huge values stay data but do not swamp a tooltip."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tip(heading: str, heading_ja: str, cls: str, synthetic: bool,
         details: list[tuple[str, str]], sources: list[Source]) -> dict:
    return {"heading": _clip(heading, 300), "headingJa": _clip(heading_ja, 300), "cls": cls,
            "synthetic": synthetic,
            "rows": [[_clip(k, 100), _clip(v)] for k, v in details],
            "sources": [{k: _clip(v, 500) for k, v in s.as_json().items()} for s in sources]}


def _node_json(node: Node, colours: dict[str, str]) -> dict:
    colour = SYNTHETIC_COLOUR if node.synthetic else colours.get(node.group, "#6baed6")
    border = SYNTHETIC_BORDER if node.synthetic else ("#111111" if node.focus else "#2b2b2b")
    return {"id": node.id, "label": _clip(node.label, 80), "labelJa": _clip(node.label_ja, 80),
            "x": node.x, "y": node.y, "size": round(node.size, 1), "color": colour, "border": border,
            "dashed": node.synthetic, "focus": node.focus, "group": node.group,
            "tip": _tip(node.label, node.label_ja, node.cls, node.synthetic, node.details, node.sources)}


def _edge_json(index: int, edge: Edge, colours: dict[str, str]) -> dict:
    colour = edge.colour or (SYNTHETIC_COLOUR if edge.synthetic else colours.get(edge.group, "#8c8c8c"))
    heading = edge.label or edge.cls
    return {"id": f"e{index}", "from": edge.source, "to": edge.target, "label": _clip(edge.label, 60),
            "labelJa": _clip(edge.label_ja, 60), "width": round(edge.width, 2), "color": colour,
            "dashed": edge.synthetic, "group": edge.group,
            "tip": _tip(heading, edge.label_ja, edge.cls, edge.synthetic, edge.details, edge.sources)}


_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")

_PAGE_CSS = """
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;background:#fafafa}
header{padding:10px 16px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:20px;margin:0 0 4px}
.description{margin:0;color:#444}
.notice{margin:6px 0 0;padding:4px 8px;background:#fff3cd;border:1px solid #e0c36b;border-radius:3px}
.controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-top:8px}
.controls input,.controls select,.controls button{font:inherit;padding:3px 6px}
main{display:flex;height:calc(100vh - 150px);min-height:420px}
#graph{flex:1;background:#fff;border-right:1px solid #ddd}
aside{width:320px;overflow:auto;padding:10px 12px}
aside h2{font-size:15px;margin:8px 0 4px}
.legend{list-style:none;padding:0;margin:0}
.legend li{display:flex;align-items:center;gap:6px;margin:2px 0}
.swatch{display:inline-block;width:14px;height:14px;border-radius:50%;border:1px solid #333}
.swatch.edge{border-radius:0;height:4px;border:0}
.swatch.synthetic{border:2px dashed #555;background:#b8b8b8}
.tip{max-width:360px;white-space:normal;font-size:12px}
.tip-head{font-weight:bold;font-size:13px}
.tip-ja{color:#333}
.tip-class{color:#666;font-style:italic}
.tip-synthetic{color:#fff;background:#555;padding:1px 4px;border-radius:2px;display:inline-block;margin:2px 0}
.tip dl{margin:4px 0;display:grid;grid-template-columns:auto 1fr;gap:0 6px}
.tip dt{color:#555}.tip dd{margin:0;word-break:break-word}
.tip ul{margin:2px 0 0 16px;padding:0}
.tip .none{color:#a33}
div.vis-tooltip{max-width:380px;white-space:normal}
"""

_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("view-data").textContent);
  var lang = "en";
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function tipElement(tip) {
    var box = el("div", "tip");
    box.appendChild(el("div", "tip-head", tip.heading));
    if (tip.headingJa) { box.appendChild(el("div", "tip-ja", tip.headingJa)); }
    if (tip.cls) { box.appendChild(el("div", "tip-class", tip.cls)); }
    if (tip.synthetic) { box.appendChild(el("div", "tip-synthetic", "synthetic: generated data, not a real record")); }
    if (tip.rows.length) {
      var dl = el("dl");
      tip.rows.forEach(function (row) { dl.appendChild(el("dt", null, row[0])); dl.appendChild(el("dd", null, row[1])); });
      box.appendChild(dl);
    }
    if (tip.sources.length) {
      box.appendChild(el("div", "tip-sources-head", "Sources:"));
      var ul = el("ul", "tip-sources");
      tip.sources.forEach(function (s) {
        var parts = [s.title];
        if (s.publisher) { parts.push(s.publisher); }
        if (s.date) { parts.push(s.date); }
        var text = parts.join(" \u2014 ") + (s.confidence ? " (confidence " + s.confidence + ")" : "");
        ul.appendChild(el("li", null, text));
      });
      box.appendChild(ul);
    } else if (!tip.synthetic) {
      box.appendChild(el("div", "none", "No source recorded for this element."));
    }
    return box;
  }
  function labelOf(item) { return lang === "ja" && item.labelJa ? item.labelJa : item.label; }
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    return {
      id: n.id, label: labelOf(n), x: n.x, y: n.y, size: n.size, shape: "dot",
      color: {background: n.color, border: n.border, highlight: {background: n.color, border: "#000"},
              hover: {background: n.color, border: "#000"}},
      borderWidth: n.focus ? 4 : (n.dashed ? 2 : 1),
      shapeProperties: {borderDashes: n.dashed ? [4, 3] : false},
      title: tipElement(n.tip)
    };
  }));
  var edges = new vis.DataSet(data.edges.map(function (e) {
    return {
      id: e.id, from: e.from, to: e.to, label: data.meta.edgeLabels ? labelOf(e) : undefined,
      width: e.width, dashes: e.dashed, color: {color: e.color, highlight: "#000", hover: "#000"},
      title: tipElement(e.tip)
    };
  }));
  var options = {
    physics: false,
    layout: {improvedLayout: false},
    interaction: {hover: true, tooltipDelay: 80, hideEdgesOnDrag: data.edges.length > 2000},
    nodes: {font: {size: 13, face: "sans-serif"}},
    edges: {smooth: false, font: {size: 10, align: "middle"},
            arrows: {to: {enabled: data.meta.arrows, scaleFactor: 0.5}}}
  };
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var details = document.getElementById("details");
  function showDetails(tip) {
    while (details.firstChild) { details.removeChild(details.firstChild); }
    details.appendChild(tipElement(tip));
  }
  function selectNode(id) {
    if (!byId[id]) { return; }
    network.selectNodes([id]);
    network.focus(id, {scale: 1.1, animation: false});
    showDetails(byId[id].tip);
  }
  network.on("click", function (params) {
    if (params.nodes.length) { selectNode(params.nodes[0]); }
    else if (params.edges.length) {
      var e = data.edges.filter(function (x) { return x.id === params.edges[0]; })[0];
      if (e) { showDetails(e.tip); }
    }
  });
  var select = document.getElementById("node-select");
  var search = document.getElementById("node-search");
  var sorted = data.nodes.slice().sort(function (a, b) {
    return a.label < b.label ? -1 : a.label > b.label ? 1 : (a.id < b.id ? -1 : 1);
  });
  function fillSelect() {
    var q = search.value.trim().toLowerCase();
    while (select.options.length > 1) { select.remove(1); }
    sorted.forEach(function (n) {
      var text = (n.label + " " + n.labelJa).toLowerCase();
      if (q && text.indexOf(q) < 0) { return; }
      var o = document.createElement("option");
      o.value = n.id;
      o.textContent = labelOf(n) + (n.tip.cls ? " (" + n.tip.cls + ")" : "");
      select.appendChild(o);
    });
  }
  search.addEventListener("input", fillSelect);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && select.options.length > 1) { select.selectedIndex = 1; selectNode(select.value); }
  });
  select.addEventListener("change", function () { selectNode(select.value); });
  document.getElementById("lang-toggle").addEventListener("click", function () {
    lang = lang === "en" ? "ja" : "en";
    this.textContent = lang === "en" ? "日本語ラベル" : "English labels";
    nodes.update(data.nodes.map(function (n) { return {id: n.id, label: labelOf(n)}; }));
    if (data.meta.edgeLabels) { edges.update(data.edges.map(function (e) { return {id: e.id, label: labelOf(e)}; })); }
    fillSelect();
  });
  fillSelect();
  window.titpView = {network: network, nodes: nodes, edges: edges, selectNode: selectNode};
  document.body.setAttribute("data-ready", "1");
})();
"""


def _legend_html(view: View, colours: dict[str, str]) -> str:
    items = []
    for group in view.groups:
        kind = " edge" if group.kind == "edge" else ""
        items.append(f'<li><span class="swatch{kind}" style="background:{html.escape(group.colour)}"></span>'
                     f"{html.escape(group.label)}</li>")
    items.append('<li><span class="swatch synthetic"></span>synthetic (generated, not real): grey, dashed</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


def render(view: View) -> str:
    """The whole HTML page for ``view`` as one string (deterministic for the same view)."""
    place(view)
    colours = {g.key: g.colour for g in view.groups}
    js, css = vis_assets()
    payload = {"meta": {"kind": view.kind, "edgeLabels": view.edge_labels and len(view.edges) <= 400,
                        "arrows": view.arrows, "nodeCount": len(view.nodes), "edgeCount": len(view.edges)},
               "nodes": [_node_json(n, colours) for n in sorted(view.nodes, key=lambda n: n.id)],
               "edges": [_edge_json(i, e, colours) for i, e in enumerate(
                   sorted(view.edges, key=lambda e: (e.source, e.target, e.cls, e.label)))]}
    notes = "".join(f'<p class="notice">{html.escape(n)}</p>' for n in view.notes)
    esc = html.escape
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(view.title)} · titp-graph</title>\n"
        f"<style>{css}</style>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n<header>\n"
        f"<h1>{esc(view.title)}</h1>\n<p class=\"description\">{esc(view.description)}</p>\n{notes}\n"
        '<div class="controls"><label>Find a node: <input id="node-search" type="search" '
        'placeholder="type to filter" autocomplete="off"></label>'
        '<select id="node-select" aria-label="select a node"><option value="">— select —</option></select>'
        '<button id="lang-toggle" type="button">日本語ラベル</button>'
        f"<span>{len(view.nodes):,} nodes, {len(view.edges):,} edges</span></div>\n</header>\n"
        '<main><div id="graph"></div>\n<aside><h2>Legend</h2>'
        f"{_legend_html(view, colours)}<h2>Details</h2><div id=\"details\">"
        "<p>Hover over or select a node to see what it is and which sources say so.</p></div></aside></main>\n"
        f'<script type="application/json" id="view-data">{json_for_script(payload)}</script>\n'
        f"<script>{js}</script>\n<script>{_APP_JS}</script>\n</body>\n</html>\n")


def write(view: View, path: str | Path) -> Path:
    """Render ``view`` and write it atomically to ``path``."""
    path = Path(path)
    write_text(path, render(view))
    return path
