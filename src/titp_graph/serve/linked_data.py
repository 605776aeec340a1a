"""Dereferenceable IRIs: ``/id/<kind>/<key>`` (and ``/concept/...``) as HTML, Turtle or JSON-LD.

The request path maps back to the IRI under https://w3id.org/titp-graph/ byte for byte
(percent-encoding kept), so the page for ``id/law/x%20y`` is the one for that exact IRI.
The HTML shows the labels, classes, every statement with the named graph (input file) it
came from, the sources behind the entity (title, publisher, date, confidence) and the
entities that link here; all of it escaped.
"""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import BASE, GRAPH, PREFIXES, compact
from .pages import esc, link, page
from .sparql import GRAPH_FORMATS, choose_format

_TYPE = PREFIXES["rdf"] + "type"
_SYNTHETIC = PREFIXES["titp"] + "synthetic"


def iri_for_path(raw_path: str) -> str:
    """The entity IRI for a request path such as ``/id/country/VN``."""
    return BASE + raw_path.lstrip("/")


def negotiate(accept: str | None, requested: str | None) -> str:
    """'html' for browsers (and by default), else an RDF format name."""
    if requested:
        return "html" if requested.lower() == "html" else choose_format("graph", None, requested)
    accept = (accept or "").lower()
    if not accept or "text/html" in accept or "application/xhtml" in accept:
        return "html"
    picked = choose_format("graph", accept, None)
    if picked == "turtle" and "turtle" not in accept and "*/*" in accept:
        return "html"
    return picked


def media_type(fmt: str) -> str:
    return "text/html; charset=utf-8" if fmt == "html" else GRAPH_FORMATS[fmt][0]


def _pick(labels: dict[str, str], *langs: str) -> str | None:
    for lang in langs + ("", ):
        if labels.get(lang):
            return labels[lang]
    return next(iter(sorted(labels.values())), None)


def _term(term, labels: dict) -> str:
    if isinstance(term, ox.NamedNode):
        label = _pick(labels.get(term.value, {}), "en", "ja")
        shown = f"{label} ({compact(term.value)})" if label else compact(term.value)
        return link(term.value, shown)
    if isinstance(term, ox.Literal):
        extra = f"@{term.language}" if term.language else (
            "" if term.datatype.value == PREFIXES["xsd"] + "string" else f"^^{compact(term.datatype.value)}")
        return f"{esc(term.value)} <span class=\"muted\">{esc(extra)}</span>"
    if isinstance(term, ox.BlankNode):
        return f"<span class=\"iri\">_:{esc(term.value)}</span>"
    return esc(str(term))


def _graph(graph) -> str:
    if isinstance(graph, ox.NamedNode):
        name = graph.value[len(GRAPH):] if graph.value.startswith(GRAPH) else graph.value
        return f"<span class=\"iri\">{esc(name)}</span>"
    return "<span class=\"muted\">default</span>"


def entity_html(data: dict) -> str:
    """The HTML page for one entity from the worker's answer."""
    iri, labels = data["iri"], data["labels"]
    own = labels.get(iri, {})
    title = _pick(own, "en", "ja") or compact(iri)
    types = [o for p, o, _ in data["statements"] if p.value == _TYPE]
    synthetic = any(p.value == _SYNTHETIC and isinstance(o, ox.Literal) and o.value in ("true", "1")
                    for p, o, _ in data["statements"])
    parts = [f"<h1>{esc(title)}</h1>"]
    others = [f"{esc(v)} <span class=\"muted\">@{esc(k)}</span>" for k, v in sorted(own.items())
              if v != title]
    if others:
        parts.append("<p>" + " · ".join(others) + "</p>")
    parts.append(f"<p class=\"iri\">{esc(iri)}</p>")
    if types:
        parts.append("<p>a " + ", ".join(_term(t, labels) for t in types) + "</p>")
    if synthetic:
        parts.append("<p class=\"syn\"><b>Synthetic:</b> generated for demonstration and testing; "
                     "not a real organization, person or event.</p>")
    alt = esc(iri[len(BASE) - 1:] if iri.startswith(BASE) else "")
    parts.append(f"<p class=\"muted\">Also as <a href=\"{alt}?format=turtle\">Turtle</a>, "
                 f"<a href=\"{alt}?format=jsonld\">JSON-LD</a>, "
                 f"<a href=\"{alt}?format=ntriples\">N-Triples</a>.</p>")
    if data["sources"]:
        rows = []
        for s in data["sources"]:
            title_text = _pick(s["titles"], "en", "ja") or compact(s["iri"])
            publisher = (link(s["publisher"], _pick(s["publisher_labels"], "en", "ja") or compact(s["publisher"]))
                         if s["publisher"] else "")
            url = s["url"].value if s["url"] is not None else None
            url_cell = link(url, url) if url else ""
            confidence = _pick(s["confidence_labels"], "en") or (compact(s["confidence"]) if s["confidence"] else "")
            rows.append(f"<tr><td>{link(s['iri'], title_text)}</td><td>{publisher}</td>"
                        f"<td>{esc(s['issued'].value if s['issued'] is not None else '')}</td>"
                        f"<td>{esc(confidence)}</td><td>{url_cell}</td></tr>")
        parts.append("<h2>Sources</h2><table><tr><th>document</th><th>publisher</th><th>issued</th>"
                     "<th>confidence</th><th>address</th></tr>" + "".join(rows) + "</table>")
    rows = [f"<tr><td>{_term(p, labels)}</td><td>{_term(o, labels)}</td><td>{_graph(g)}</td></tr>"
            for p, o, g in data["statements"]]
    parts.append("<h2>Statements</h2><table><tr><th>property</th><th>value</th><th>named graph (input file)</th>"
                 "</tr>" + "".join(rows) + "</table>")
    if data["incoming"]:
        rows = [f"<tr><td>{_term(s, labels)}</td><td>{_term(p, labels)}</td><td>{_graph(g)}</td></tr>"
                for s, p, g in data["incoming"]]
        more = "<p class=\"muted\">(more not shown)</p>" if data["incoming_truncated"] else ""
        parts.append("<h2>Linked from</h2><table><tr><th>entity</th><th>property</th><th>named graph</th></tr>"
                     + "".join(rows) + f"</table>{more}")
    return page(title, "".join(parts))
