"""HTML pages: the offline query form and the page shell, with escaping in one place.

Everything that comes from the data or the request goes through :func:`esc` (text) or
:func:`href` (links); a link is only made for http(s) IRIs and for our own IRIs, which are
rewritten to this server, so a ``javascript:`` value in the data stays inert text.
"""
from __future__ import annotations

import html
from urllib.parse import urlsplit

from ..namespaces import BASE, compact

CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f4f4f4} code,.iri{font-family:ui-monospace,monospace;
font-size:.9em;word-break:break-all} .muted{color:#666} textarea{width:100%;font-family:ui-monospace,monospace}
.syn{background:#fff3cd;padding:.4rem .6rem;border:1px solid #e0c36a} nav a{margin-right:1rem}
"""


def esc(value) -> str:
    """Escape any value for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def local_path(iri: str) -> str | None:
    """Our own IRIs (https://w3id.org/titp-graph/...) served from this server."""
    if iri.startswith(BASE):
        rest = iri[len(BASE):]
        if rest.startswith(("id/", "concept/")):
            return "/" + rest
        if rest.startswith("ontology#"):
            return "/ontology/" + rest[len("ontology"):]
    return None


def href(iri: str) -> str | None:
    """A safe link target for an IRI, or None when it must not be a link."""
    local = local_path(iri)
    if local is not None:
        return local
    if urlsplit(iri).scheme.lower() in ("http", "https"):
        return iri
    return None


def link(iri: str, text: str | None = None) -> str:
    target = href(iri)
    shown = esc(text if text is not None else compact(iri))
    if target is None:
        return f'<span class="iri">{shown}</span>'
    return f'<a href="{esc(target)}">{shown}</a>'


def page(title: str, body: str) -> str:
    """A whole HTML document: inline CSS, no scripts, nothing loaded from the network."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; "
            "style-src 'unsafe-inline'; script-src 'none'\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            "<nav><a href=\"/\">query</a><a href=\"/sparql\">service description</a>"
            "<a href=\"/ontology/\">ontology</a><a href=\"/exports/\">downloads</a></nav>"
            f"{body}</body></html>\n")


EXAMPLE = """SELECT ?class (COUNT(?s) AS ?n)
WHERE { ?s a ?class }
GROUP BY ?class
ORDER BY DESC(?n)
LIMIT 20"""


def query_page(named: list, triples: int, timeout: float, max_results: int) -> str:
    """The offline query form: plain HTML that GETs /sparql; the browser shows the answer."""
    options = "".join(f'<option value="{v}">{esc(t)}</option>' for v, t in (
        ("json", "JSON"), ("xml", "XML"), ("csv", "CSV"), ("tsv", "TSV"), ("turtle", "Turtle (CONSTRUCT)"),
        ("jsonld", "JSON-LD (CONSTRUCT)"), ("ntriples", "N-Triples (CONSTRUCT)")))
    examples = "".join(
        f"<details><summary><b>{esc(q.title)}</b> <code>{esc(q.name)}</code></summary>"
        f"<p>{esc(q.description)}</p><pre>{esc(q.text)}</pre></details>" for q in named)
    body = (
        "<h1>titp-graph SPARQL endpoint</h1>"
        f"<p class=\"muted\">{triples:,} triples, read-only. Project prefixes (titp:, country:, src:, ...) "
        f"are pre-declared; the default graph is the union of all named graphs (a named question's "
        f"text, which opens with <code># title:</code>, reads only the graphs of its "
        f"<code># scope:</code> line: by default all but the synthetic and derived ones). Each query may run "
        f"{timeout:g} s and return {max_results:,} rows. SPARQL Update and SERVICE are refused.</p>"
        "<form method=\"get\" action=\"/sparql\">"
        f"<textarea name=\"query\" rows=\"14\" aria-label=\"SPARQL query\">{esc(EXAMPLE)}</textarea>"
        f"<p><label>format <select name=\"format\">{options}</select></label> "
        "<button type=\"submit\">run</button></p></form>"
        "<p>Programs: send the query to <code>/sparql</code> (SPARQL 1.1 Protocol, GET or POST). "
        "Entities resolve at <code>/id/...</code> as HTML, Turtle or JSON-LD.</p>"
        + (f"<h2>Named questions</h2><p class=\"muted\">Parameters (?country, ?date, ...) are left "
           f"unbound here; replace them or add VALUES.</p>{examples}" if named else ""))
    return page("titp-graph SPARQL endpoint", body)


def error_page(status: int, message: str) -> str:
    return page(f"{status}", f"<h1>{status}</h1><p>{esc(message)}</p>")
