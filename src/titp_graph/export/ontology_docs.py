"""ontology/index.html: offline documentation of the ontology and its concept schemes.

Self-written rather than pyLODE (not installed here, and it fetches imports over the
network): one static page, inline CSS, no scripts, every text escaped. Classes, properties
and concept schemes with English and Japanese labels, comments, super-classes, domains and
ranges; anchors are the local names (``#SendingOrganization``), so ``ontology#X`` IRIs
resolve to ``ontology/#X`` when the exports are served.
"""
from __future__ import annotations

import html
from urllib.parse import urlsplit

import pyoxigraph as ox

from ..atomic import write_text
from ..namespaces import CONCEPT, ONTOLOGY, PREFIXES, compact

RDF, RDFS, OWL, SKOS = (PREFIXES[p] for p in ("rdf", "rdfs", "owl", "skos"))
N = ox.NamedNode
_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:2px solid #333} h3{margin:1.4rem 0 .2rem;font-size:1.05rem}
.term{border-top:1px solid #ddd;padding:.2rem 0} .iri,code{font-family:ui-monospace,monospace;font-size:.88em;
word-break:break-all;color:#555} dl{margin:.2rem 0} dt{font-weight:600;float:left;width:9rem;clear:left}
dd{margin-left:9.5rem} .ja{color:#444} nav a{margin-right:.8rem} table{border-collapse:collapse}
td{padding:.1rem .5rem;border-bottom:1px solid #eee;vertical-align:top}"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class _Docs:
    def __init__(self, store: ox.Store):
        self.store = store
        self.anchors: dict[str, str] = {}

    def objects(self, subject, prop: str) -> list:
        return sorted({q.object for q in self.store.quads_for_pattern(subject, N(prop), None)}, key=str)

    def subjects_of_type(self, cls: str, namespace: str | None) -> list[ox.NamedNode]:
        found = {q.subject for q in self.store.quads_for_pattern(None, N(RDF + "type"), N(cls))
                 if isinstance(q.subject, ox.NamedNode)}
        return sorted((s for s in found if namespace is None or s.value.startswith(namespace)),
                      key=lambda s: s.value)

    def texts(self, subject, *props: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for prop in props:
            for value in self.objects(subject, prop):
                if isinstance(value, ox.Literal):
                    out.setdefault(value.language or "", value.value)
        return out

    def label(self, iri: str) -> str:
        labels = self.texts(N(iri), RDFS + "label", SKOS + "prefLabel")
        return labels.get("en") or labels.get("") or compact(iri)

    def link(self, term) -> str:
        if isinstance(term, ox.BlankNode):
            members = self.list_members(term)
            if members:
                return "one of " + ", ".join(self.link(m) for m in members)
            return "<span class=\"iri\">(anonymous)</span>"
        if not isinstance(term, ox.NamedNode):
            return esc(term.value if isinstance(term, ox.Literal) else term)
        iri = term.value
        if iri in self.anchors:
            return f'<a href="#{esc(self.anchors[iri])}">{esc(compact(iri))}</a>'
        if urlsplit(iri).scheme in ("http", "https"):
            return f'<a href="{esc(iri)}">{esc(compact(iri))}</a>'
        return f'<span class="iri">{esc(compact(iri))}</span>'

    def list_members(self, node) -> list:
        for prop in (OWL + "unionOf", OWL + "intersectionOf", OWL + "oneOf"):
            for head in self.objects(node, prop):
                members, seen = [], set()
                while isinstance(head, (ox.BlankNode, ox.NamedNode)) and head.value != RDF + "nil" \
                        and head not in seen:
                    seen.add(head)
                    members += self.objects(head, RDF + "first")
                    rest = self.objects(head, RDF + "rest")
                    head = rest[0] if rest else None
                return members
        return []

    def term(self, subject: ox.NamedNode, rows: list[tuple[str, str]]) -> str:
        labels = self.texts(subject, RDFS + "label", SKOS + "prefLabel")
        comments = self.texts(subject, RDFS + "comment", SKOS + "definition")
        title = labels.get("en") or labels.get("") or compact(subject.value)
        parts = [f'<div class="term" id="{esc(self.anchors[subject.value])}"><h3>{esc(title)}'
                 + (f' <span class="ja" lang="ja">{esc(labels["ja"])}</span>' if labels.get("ja") else "")
                 + f'</h3><div class="iri">{esc(subject.value)}</div><dl>']
        for lang in ("en", "ja", ""):
            if comments.get(lang):
                parts.append(f'<dt>{"comment" if lang != "ja" else "説明"}</dt>'
                             f'<dd lang="{esc(lang or "und")}">{esc(comments[lang])}</dd>')
        for name, prop in rows:
            values = self.objects(subject, prop)
            if values:
                parts.append(f"<dt>{esc(name)}</dt><dd>{', '.join(self.link(v) for v in values)}</dd>")
        parts.append("</dl></div>")
        return "".join(parts)

    def render(self) -> str:
        classes = self.subjects_of_type(OWL + "Class", ONTOLOGY) + \
            [c for c in self.subjects_of_type(RDFS + "Datatype", ONTOLOGY)]
        props = sorted({p for t in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")
                        for p in self.subjects_of_type(OWL + t, ONTOLOGY)}
                       | set(self.subjects_of_type(RDF + "Property", ONTOLOGY)), key=lambda s: s.value)
        schemes = self.subjects_of_type(SKOS + "ConceptScheme", None)
        concepts = {s.value: sorted({q.subject for q in self.store.quads_for_pattern(None, N(SKOS + "inScheme"), s)
                                     if isinstance(q.subject, ox.NamedNode)}, key=lambda c: c.value)
                    for s in schemes}
        for term in classes + props:
            self.anchors[term.value] = term.value[len(ONTOLOGY):]
        for scheme in schemes:
            key = scheme.value[len(CONCEPT):] if scheme.value.startswith(CONCEPT) else compact(scheme.value)
            self.anchors[scheme.value] = "scheme-" + key.replace("/", "-")
            for concept in concepts[scheme.value]:
                ckey = concept.value[len(CONCEPT):] if concept.value.startswith(CONCEPT) else compact(concept.value)
                self.anchors.setdefault(concept.value, "concept-" + ckey.replace("/", "-").replace(":", "-"))
        head = self.subjects_of_type(OWL + "Ontology", None)
        meta = head[0] if head else None
        title = self.texts(meta, PREFIXES["dct"] + "title").get("en", "titp-graph ontology") if meta else "titp-graph ontology"
        out = [f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
               f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
               f'<style>{_CSS}</style></head><body><h1>{esc(title)}</h1>']
        if meta is not None:
            info = self.texts(meta, PREFIXES["dct"] + "title")
            if info.get("ja"):
                out.append(f'<p class="ja" lang="ja">{esc(info["ja"])}</p>')
            out.append(f'<p class="iri">{esc(meta.value)}</p><dl>')
            for name, prop in (("version", OWL + "versionInfo"), ("issued", PREFIXES["dct"] + "issued"),
                               ("licence", PREFIXES["dct"] + "license"), ("namespace", None)):
                values = [ox.Literal(ONTOLOGY)] if prop is None else self.objects(meta, prop)
                if values:
                    out.append(f"<dt>{esc(name)}</dt><dd>{', '.join(self.link(v) for v in values)}</dd>")
            out.append("</dl>")
            desc = self.texts(meta, PREFIXES["dct"] + "description")
            if desc.get("en"):
                out.append(f"<p>{esc(desc['en'])}</p>")
        out.append(f'<nav><a href="#classes">classes ({len(classes)})</a><a href="#properties">properties '
                   f'({len(props)})</a><a href="#schemes">concept schemes ({len(schemes)})</a></nav>')
        out.append('<h2 id="classes">Classes</h2>')
        out += [self.term(c, [("subclass of", RDFS + "subClassOf"), ("equivalent", OWL + "equivalentClass"),
                              ("close match", SKOS + "closeMatch"), ("see also", RDFS + "seeAlso")]) for c in classes]
        out.append('<h2 id="properties">Properties</h2>')
        out += [self.term(p, [("type", RDF + "type"), ("domain", RDFS + "domain"), ("range", RDFS + "range"),
                              ("subproperty of", RDFS + "subPropertyOf"), ("inverse of", OWL + "inverseOf"),
                              ("close match", SKOS + "closeMatch")]) for p in props]
        out.append('<h2 id="schemes">Concept schemes</h2>')
        for scheme in schemes:
            out.append(self.term(scheme, [("see also", RDFS + "seeAlso")]))
            rows = []
            for concept in concepts[scheme.value]:
                labels = self.texts(concept, SKOS + "prefLabel", RDFS + "label")
                notation = self.texts(concept, SKOS + "notation").get("", "")
                definition = self.texts(concept, SKOS + "definition", RDFS + "comment")
                rows.append(f'<tr id="{esc(self.anchors[concept.value])}"><td><code>{esc(compact(concept.value))}</code>'
                            f'{(" " + esc(notation)) if notation else ""}</td><td>{esc(labels.get("en", ""))}</td>'
                            f'<td lang="ja">{esc(labels.get("ja", ""))}</td><td>{esc(definition.get("en", ""))}</td></tr>')
            if rows:
                out.append("<table><tr><th>concept</th><th>en</th><th>ja</th><th>definition</th></tr>"
                           + "".join(rows) + "</table>")
        out.append("</body></html>\n")
        return "".join(out)


def render(store: ox.Store) -> str:
    """The documentation page for the ontology terms and concept schemes in ``store``."""
    return _Docs(store).render()


def ontology_docs_step(ctx) -> None:
    """Build step: write ontology/index.html into the exports."""
    ctx.progress("export: writing ontology/index.html")
    folder = ctx.folder / "ontology"
    folder.mkdir(exist_ok=True)
    write_text(folder / "index.html", render(ctx.graph.store))
    ctx.report.written.append("ontology/index.html")
