"""Pre-computed summaries: the recruitment network and the debt histogram as RDF Data Cube
observations in a derived named graph, written once by the build.

Why: at national scale (~470,000 placements, ~1.6 million payments, ~26 million triples)
the aggregate queries behind the projection and the debt analysis take minutes on an
on-disk store; reading the summaries takes well under a second. They are computed by the
very same code as the detail path (:func:`.project.build_network` over the chains and fees
of :mod:`.detail` and the AGREEMENTS aggregate, the debt HISTOGRAM query), so they agree with the
detail by construction, and ``tests/test_summaries.py`` checks that they do.

Every observation is a ``titp:Observation`` with ``titp:derived true``, ``qb:dataSet``
:data:`DATASET` and ``prov:wasDerivedFrom`` the synthetic dataset(s) it sums over; it
lives in :data:`SUMMARY_GRAPH`, so dropping that graph drops the summaries. A store whose
detail changes after the build must be rebuilt (or :func:`write_summaries` rerun).
"""
from __future__ import annotations

import hashlib
from typing import Iterator
from decimal import Decimal

import pyoxigraph as ox

from ..namespaces import CONCEPT, GRAPH, ID, ONTOLOGY, PREFIXES
from .debt import HISTOGRAM
from .project import AGREEMENTS, build_network
from .sparql import number, run

SUMMARY_GRAPH = GRAPH + "derived/summaries"
DATASET = ID + "dataset/derived-summaries"
OBS = ID + "observation/derived/"
HOP_MEASURE = CONCEPT + "measure/hop-workers"
DEBT_MEASURE = CONCEPT + "measure/debts-by-repayment-months"
_ROLE_PROP = {"sending": "sendingOrganization", "broker": "broker",
              "supervising": "supervisingOrganization", "employer": "employer"}
# which role each end of a hop holds (places-with: the upstream end's role is read from the chain)
_HOP_ROLES = {"recruits-for": ("broker", "sending"), "sends-to": ("sending", "supervising")}

_N = ox.NamedNode
_T = lambda local: _N(ONTOLOGY + local)  # noqa: E731
_XSD = PREFIXES["xsd"]
RDF_TYPE = _N(PREFIXES["rdf"] + "type")


def _int(v) -> ox.Literal:
    return ox.Literal(str(int(v)), datatype=_N(_XSD + "integer"))


def _dec(v) -> ox.Literal:
    d = Decimal(str(v)).normalize()
    text = format(d, "f")
    return ox.Literal(text if "." in text else text + ".0", datatype=_N(_XSD + "decimal"))


def has_summaries(graph) -> bool:
    return bool(graph.query(f"ASK {{ GRAPH <{SUMMARY_GRAPH}> {{ ?o a titp:Observation }} }}").boolean)


def _roles(chains: list[dict]) -> dict[str, str]:
    """The role of each upstream organization of a places-with hop (sup, else s, else b)."""
    out = {}
    for c in chains:
        for key, role in (("sup", "supervising"), ("s", "sending"), ("b", "broker")):
            if c.get(key):
                out.setdefault(c[key], role)
                break
    return out


def chain_records(graph, found=None) -> tuple[list[dict], list[dict]]:
    """Every chain (with its placements' start dates and programs) and its worker-borne fees
    by payee role, from one read of the detail (:func:`.detail.read`: minutes on a
    national-scale on-disk store, so the build passes the one it already has)."""
    from . import detail

    found = found if found is not None else detail.read(graph)
    return detail.chains(found), detail.chain_fees(found)


def compute(graph, records: tuple[list[dict], list[dict]] | None = None,
            histogram: list[dict] | None = None) -> tuple[Iterator[ox.Quad], dict]:
    """The summary quads from the detail (generated as they are stored: 1.8 million quad
    objects nationally took ~1.5 GB as a list), and counts for the progress line with the
    hops themselves under "edges" (what :func:`hop_edges` reads back); ``records`` are
    :func:`chain_records` and ``histogram`` :func:`.detail.debt_histogram` if already
    computed."""
    chains, fees = records if records is not None else chain_records(graph)
    agreements = run(graph, AGREEMENTS)
    network = build_network({}, chains, fees, agreements)
    upstream_role = _roles(chains)
    datasets = [r["d"] for r in graph.query(
        "SELECT DISTINCT ?d WHERE { ?d a titp:SyntheticDataset } ORDER BY ?d").records()]
    period = graph.query("SELECT (MAX(?d) AS ?m) WHERE { ?p a titp:Placement ; titp:startDate ?d }").rows
    ref = period[0][0] if period and period[0][0] is not None else None
    g = _N(SUMMARY_GRAPH)
    hops = sorted(network.edges(data=True), key=lambda e: (e[0], e[1]))
    hist = histogram if histogram is not None else run(graph, HISTOGRAM)

    def obs(key: str, measure: str, unit: str, value, extra: list[tuple[str, ox.Literal | ox.NamedNode]]):
        node = _N(OBS + hashlib.sha256(key.encode()).hexdigest()[:20])
        yield ox.Quad(node, RDF_TYPE, _T("Observation"), g)
        yield ox.Quad(node, _N(PREFIXES["qb"] + "dataSet"), _N(DATASET), g)
        yield ox.Quad(node, _T("measure"), _N(measure), g)
        yield ox.Quad(node, _T("unit"), _N(CONCEPT + "unit/" + unit), g)
        yield ox.Quad(node, _T("value"), value, g)
        yield ox.Quad(node, _T("derived"), ox.Literal("true", datatype=_N(_XSD + "boolean")), g)
        if ref is not None:
            yield ox.Quad(node, _T("refPeriod"), ox.Literal(str(ref), datatype=_N(_XSD + "date")), g)
        for d in datasets:
            yield ox.Quad(node, _N(PREFIXES["prov"] + "wasDerivedFrom"), _N(d), g)
        for p, o in extra:
            yield ox.Quad(node, _T(p), o, g)

    def quads():
        for u, v, data in hops:
            rel = data["relation"]
            up, down = _HOP_ROLES.get(rel, (upstream_role.get(u, "supervising"), "employer"))
            yield from obs(f"hop|{u}|{v}|{rel}", HOP_MEASURE, "persons", _int(data["workers"]), [
                (_ROLE_PROP[up], _N(u)), (_ROLE_PROP[down], _N(v)), ("hopRelation", ox.Literal(rel)),
                ("placementsCounted", _int(data["placements"])), ("workerFeesJPY", _dec(data["fees_worker_jpy"])),
                ("feePaymentsCounted", _int(data["fee_payments"])),
                ("unconvertedPaymentsCounted", _int(data["unconverted_payments"])),
                ("agreementsCounted", _int(data["agreements"]))])
        for r in sorted(hist, key=lambda r: (r.get("nat") or "", number(r["months"]))):
            nat = r.get("nat") or ""
            extra = [("repaymentMonths", _dec(number(r["months"]))),
                     ("sumRepaymentMonths", _dec(number(r["sumMonths"])))]
            if nat:
                extra.append(("nationality", _N(nat)))
            yield from obs(f"debt|{nat}|{number(r['months'])}", DEBT_MEASURE, "cases", _int(r["debts"]), extra)

    edges = [(u, v, {k: x for k, x in data.items() if k != "weight"}) for u, v, data in hops]
    return quads(), {"hops": network.number_of_edges(), "histogram_bins": len(hist), "edges": edges}


def write_summaries(graph, records: tuple[list[dict], list[dict]] | None = None,
                    histogram: list[dict] | None = None) -> dict:
    """(Re)write the summary graph of ``graph`` from its detail; returns counts, and the
    hops as :func:`hop_edges` would read them back under "edges"."""
    store = graph.store
    store.remove_graph(_N(SUMMARY_GRAPH))
    quads, counts = compute(graph, records, histogram)
    written = [0]

    def counted():
        for quad in quads:
            written[0] += 1
            yield quad
    store.bulk_extend(counted())
    counts["quads"] = written[0]
    return counts


# -- reading them back ------------------------------------------------------------------

HOPS = f"""
SELECT ?rel ?s ?b ?sup ?e ?workers ?placements ?fees ?payments ?unconverted ?agreements WHERE {{
  GRAPH <{SUMMARY_GRAPH}> {{
    ?o titp:measure <{HOP_MEASURE}> ; titp:hopRelation ?rel ; titp:value ?workers ;
       titp:placementsCounted ?placements ; titp:workerFeesJPY ?fees ; titp:feePaymentsCounted ?payments ;
       titp:unconvertedPaymentsCounted ?unconverted ; titp:agreementsCounted ?agreements .
    OPTIONAL {{ ?o titp:sendingOrganization ?s }} OPTIONAL {{ ?o titp:broker ?b }}
    OPTIONAL {{ ?o titp:supervisingOrganization ?sup }} OPTIONAL {{ ?o titp:employer ?e }}
  }}
}}"""

DEBT_BINS = f"""
SELECT ?nat ?months ?debts ?sumMonths WHERE {{
  GRAPH <{SUMMARY_GRAPH}> {{
    ?o titp:measure <{DEBT_MEASURE}> ; titp:value ?debts ; titp:repaymentMonths ?months ;
       titp:sumRepaymentMonths ?sumMonths .
    OPTIONAL {{ ?o titp:nationality ?nat0 }}
  }}
  BIND(COALESCE(?nat0, "") AS ?nat)
}}"""


def hop_edges(graph) -> list[tuple[str, str, dict]]:
    """(from, to, attributes) per hop, as :func:`.project.build_network` makes them."""
    order = {"recruits-for": (("b", "s")), "sends-to": ("s", "sup")}
    out = []
    for r in graph.query(HOPS).records():
        rel = r["rel"]
        if rel in order:
            u, v = (r[k] for k in order[rel])
        else:
            u, v = r.get("sup") or r.get("s") or r.get("b"), r["e"]
        out.append((u, v, {"relation": rel, "workers": int(r["workers"]), "placements": int(r["placements"]),
                           "fees_worker_jpy": int(round(number(r["fees"]))), "fee_payments": int(r["payments"]),
                           "unconverted_payments": int(r["unconverted"]), "agreements": int(r["agreements"])}))
    return out


def debt_bins(graph) -> list[dict]:
    """Rows shaped like the detail HISTOGRAM query's, from the summaries."""
    return graph.query(DEBT_BINS).records()


ORGANIZATION_LABELS = f"""
SELECT ?x (MIN(STR(?l)) AS ?label) WHERE {{
  {{ SELECT DISTINCT ?x WHERE {{
      VALUES ?prop {{ titp:sendingOrganization titp:broker titp:supervisingOrganization titp:employer }}
      GRAPH <{SUMMARY_GRAPH}> {{ ?o ?prop ?x }} }} }}
  ?x rdfs:label ?l .
}} GROUP BY ?x
"""


def organization_labels(graph) -> dict[str, str]:
    """The label of every organization on some hop (as the trace shows them: the least
    label in code-point order), read through the summaries rather than every placement."""
    return {r["x"]: r["label"] for r in graph.query(ORGANIZATION_LABELS).records()}
