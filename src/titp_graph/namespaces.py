"""The project's IRIs in one place, so code never spells a namespace twice.

The scheme is documented in docs/MODEL.md: ontology terms under ``ontology#``,
concepts under ``concept/<scheme>/``, instances under ``id/<kind>/<key>`` and one
named graph per input file under ``graph/``.
"""
from __future__ import annotations

import re
from urllib.parse import quote

BASE = "https://w3id.org/titp-graph/"
ONTOLOGY = BASE + "ontology#"
CONCEPT = BASE + "concept/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
SYNTHETIC = ID + "synthetic/"

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: Prefixes used by every export, by SPARQL queries (pre-declared) and in docs.
#: Ordered: this order is the order they are written in the exports.
PREFIXES: dict[str, str] = {
    "titp": ONTOLOGY,
    "tgc": CONCEPT,
    "program": CONCEPT + "program/",
    "status": CONCEPT + "residence-status/",
    "feecat": CONCEPT + "fee-category/",
    "flind": CONCEPT + "forced-labour-indicator/",
    "sanction": CONCEPT + "sanction-type/",
    "sswfield": CONCEPT + "ssw-field/",
    "confidence": CONCEPT + "confidence/",
    "measure": CONCEPT + "measure/",
    "unit": CONCEPT + "unit/",
    "aspect": CONCEPT + "comparison-aspect/",
    "eventtype": CONCEPT + "event-type/",
    "sbt": CONCEPT + "supervision-business-type/",
    "acceptance": CONCEPT + "acceptance-type/",
    "stage": CONCEPT + "titp-stage/",
    "violation": CONCEPT + "labour-violation-type/",
    "country": ID + "country/",
    "agency": ID + "agency/",
    "organization": ID + "organization/",
    "law": ID + "law/",
    "provision": ID + "provision/",
    "agreement": ID + "agreement/",
    "rule": ID + "fee-rule/",
    "event": ID + "event/",
    "dataset": ID + "dataset/",
    "obs": ID + "observation/",
    "claim": ID + "claim/",
    "problem": ID + "problem/",
    "reform": ID + "reform/",
    "effect": ID + "reform-effect/",
    "feature": ID + "program-feature/",
    "src": ID + "source/",
    "syn": SYNTHETIC,
    "tgs": BASE + "shapes#",
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "rov": "http://www.w3.org/ns/regorg#",
    "schema": "https://schema.org/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "time": "http://www.w3.org/2006/time#",
    "qb": "http://purl.org/linked-data/cube#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "adms": "http://www.w3.org/ns/adms#",
}


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, prepended to ad hoc and named queries."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


_UNSAFE = re.compile(r"[^A-Za-z0-9._~/-]")


def graph_iri(label: str) -> str:
    """The named-graph IRI for an input file label such as ``curated/timeline``.

    >>> graph_iri("curated/timeline")
    'https://w3id.org/titp-graph/graph/curated/timeline'
    >>> graph_iri("extra/my file")
    'https://w3id.org/titp-graph/graph/extra/my%20file'
    """
    return GRAPH + quote(label.strip("/"), safe="/-._~")


def instance_iri(kind: str, key: str) -> str:
    """An instance IRI from its kind and a readable key (never random).

    >>> instance_iri("country", "VN")
    'https://w3id.org/titp-graph/id/country/VN'
    """
    return ID + quote(kind, safe="-") + "/" + quote(key, safe="-._~")


def compact(iri: str) -> str:
    """The shortest prefixed form of ``iri`` if it has one, else ``<iri>``."""
    best = None
    for p, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            local = iri[len(ns):]
            if re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?", local or "_"):
                best = p
    if best is None:
        return f"<{iri}>"
    return f"{best}:{iri[len(PREFIXES[best]):]}"
