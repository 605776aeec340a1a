"""SPARQL look-ups every view shares: labels (en/ja), sources, classes, synthetic marks.

Each takes a list of IRIs and answers in chunks with ``VALUES``; the IRIs come from the
store as pyoxigraph NamedNodes (already validated), so writing them into ``VALUES`` is
safe. Results are plain dicts keyed by IRI, sorted where order shows.
"""
from __future__ import annotations

import re
from typing import Iterable

import pyoxigraph as ox

from ..errors import TitpError
from ..namespaces import ONTOLOGY, PREFIXES, SYNTHETIC, compact
from .base import Source

CHUNK = 2000


def _chunks(iris: Iterable[str]) -> Iterable[str]:
    unique = sorted(set(iris))
    for start in range(0, len(unique), CHUNK):
        yield " ".join(str(ox.NamedNode(i)) for i in unique[start:start + CHUNK])


def _value(term) -> str:
    return "" if term is None else term.value


def local_name(iri: str) -> str:
    """A readable fallback label: the last IRI segment, hyphens as spaces."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    tail = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail)
    return tail.replace("-", " ").lower() if tail != tail.upper() else tail or iri


def labels(graph, iris: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(English, Japanese) label per IRI; English falls back to an untagged label, then the IRI's tail."""
    found: dict[str, dict[str, list[str]]] = {}
    for values in _chunks(iris):
        res = graph.query(f"""SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }}
            {{ ?s rdfs:label ?l }} UNION {{ ?s skos:prefLabel ?l }} }}""")
        for s, label in res.terms:
            lang = label.language or ""
            found.setdefault(s.value, {}).setdefault(lang[:2], []).append(label.value)
    out = {}
    for iri in set(iris):
        langs = found.get(iri, {})
        en = sorted(langs.get("en", []) or langs.get("", []))
        ja = sorted(langs.get("ja", []))
        out[iri] = (en[0] if en else local_name(iri), ja[0] if ja else "")
    return out


def sources(graph, iris: Iterable[str]) -> dict[str, list[Source]]:
    """The source documents (``prov:wasDerivedFrom``) behind each IRI, with title, publisher,
    date and confidence (the fact's own mark, else the source's)."""
    rows: dict[str, dict[str, dict]] = {}
    for values in _chunks(iris):
        res = graph.query(f"""SELECT ?s ?src ?title ?pub ?pubLabel ?issued ?fconf ?sconf WHERE {{
            VALUES ?s {{ {values} }}
            ?s prov:wasDerivedFrom ?src .
            OPTIONAL {{ ?src dct:title ?title }}
            OPTIONAL {{ ?src dct:publisher ?pub OPTIONAL {{ ?pub rdfs:label ?pubLabel }} }}
            OPTIONAL {{ ?src dct:issued ?issued }}
            OPTIONAL {{ ?s titp:confidence ?fconf }}
            OPTIONAL {{ ?src titp:confidence ?sconf }} }}""")
        for s, src, title, pub, pub_label, issued, fconf, sconf in res.terms:
            entry = rows.setdefault(s.value, {}).setdefault(src.value, {
                "titles": set(), "publishers": set(), "dates": set(), "conf": set()})
            if title is not None:
                entry["titles"].add((0 if title.language == "en" else 1, title.value))
            if pub_label is not None:
                entry["publishers"].add((0 if pub_label.language == "en" else 1, pub_label.value))
            elif pub is not None:
                entry["publishers"].add((2, local_name(pub.value)))
            if issued is not None:
                entry["dates"].add(issued.value)
            conf = fconf or sconf
            if conf is not None:
                entry["conf"].add(local_name(conf.value) if isinstance(conf, ox.NamedNode) else conf.value)
    out: dict[str, list[Source]] = {}
    for s, by_src in rows.items():
        out[s] = [Source(title=min(e["titles"])[1] if e["titles"] else local_name(src),
                         publisher=min(e["publishers"])[1] if e["publishers"] else "",
                         date=min(e["dates"]) if e["dates"] else "",
                         confidence="/".join(sorted(e["conf"])), iri=src)
                  for src, e in sorted(by_src.items())]
    return out


def synthetic(graph, iris: Iterable[str]) -> set[str]:
    """IRIs marked ``titp:synthetic true`` or minted under the synthetic namespace."""
    iris = list(iris)
    marked = {i for i in iris if i.startswith(SYNTHETIC)}
    for values in _chunks(i for i in iris if i not in marked):
        res = graph.query(f"SELECT ?s WHERE {{ VALUES ?s {{ {values} }} ?s titp:synthetic true }}")
        marked.update(t[0].value for t in res.terms)
    return marked


def types(graph, iris: Iterable[str]) -> dict[str, set[str]]:
    """Asserted rdf:type IRIs of each IRI."""
    out: dict[str, set[str]] = {}
    for values in _chunks(iris):
        res = graph.query(f"SELECT ?s ?c WHERE {{ VALUES ?s {{ {values} }} ?s a ?c }}")
        for s, c in res.terms:
            out.setdefault(s.value, set()).add(c.value)
    return out


def class_name(iri: str) -> str:
    """``titp:SendingOrganization`` -> "Sending organization"."""
    local = iri[len(ONTOLOGY):] if iri.startswith(ONTOLOGY) else compact(iri)
    words, current = [], ""
    for ch in local:
        if ch.isupper() and current and not current[-1].isupper():
            words.append(current)
            current = ch
        else:
            current += ch
    words.append(current)
    text = " ".join(words)
    return text[:1].upper() + text[1:].lower() if not text.isupper() else text


def resolve_iri(graph, text: str, option: str) -> str:
    """A full IRI from ``text`` (an IRI, ``<IRI>`` or ``prefix:local``) that the graph knows."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    try:
        node = ox.NamedNode(text)
    except ValueError:
        raise TitpError(f"{option} {text!r}: not an IRI or prefixed name (e.g. syn:supervising-organization/x)") from None
    if not graph.query("ASK { ?s ?p ?o }", params={"s": node}).boolean:
        raise TitpError(f"{option} {text}: nothing in the graph has this IRI as a subject")
    return node.value
