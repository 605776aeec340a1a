"""Competency question 3: trace every chain through one organization, hop by hop.

A chain is (sending organization, broker, supervising organization, employer) as named on
placements. For each hop it gives workers, the fees workers bore on that hop (by who was
paid: the broker, the sending organization and others before arrival, or the Japanese
side) and the norms that govern it:

* broker and sending hops: the fee rules of the worker's nationality in force at placement
  start (for the placement's program);
* the sending -> supervising hop: the bilateral agreement (MOC) with that country in force;
* the supervising -> employer hop: fee rules that apply to Japan (``country:JP``);
* every hop: the ILO employer-pays principle (:data:`fees.EMPLOYER_PAYS_RULE`).
"""
from __future__ import annotations

from collections import defaultdict

from ..errors import TitpError
from ..namespaces import ID
from .fees import EMPLOYER_PAYS_RULE, rule_sources
from .project import CHAINS, CHAIN_FEES, chain_hops, fee_hop
from .sparql import PLACEMENT, number, org_term, run
from .table import Analysis, Table

JAPAN = ID + "country/JP"

NORMS_IN_FORCE = """
SELECT DISTINCT ?s ?b ?sup ?e ?nat ?norm ?normKind ?normCountry WHERE {
""" + PLACEMENT + """{ORG}
  ?p titp:startDate ?start .
  { ?norm a titp:FeeRule ; titp:appliesToCountry ?normCountry . BIND("fee-rule" AS ?normKind) }
  UNION
  { ?norm a titp:BilateralAgreement ; titp:counterpartCountry ?normCountry . BIND("agreement" AS ?normKind) }
  FILTER(?normCountry = ?nat || ?normCountry = country:JP)
  FILTER(NOT EXISTS { ?norm titp:inForceFrom ?f0 }
         || EXISTS { ?norm titp:inForceFrom ?f FILTER(STR(?start) >= STR(?f)) })
  FILTER(NOT EXISTS { ?norm titp:inForceUntil ?u FILTER(STR(?start) >= STR(?u)) })
  FILTER(NOT EXISTS { ?norm titp:governsProgram ?rp0 } || NOT EXISTS { ?p titp:program ?pp0 }
         || EXISTS { ?norm titp:governsProgram ?prog . ?p titp:program ?prog })
}
"""

LABELS = """
SELECT ?x (MIN(STR(?l)) AS ?label) WHERE {
  VALUES ?prop { titp:sendingOrganization titp:broker titp:supervisingOrganization titp:employer }
  ?p a titp:Placement ; ?prop ?x . {ORG}
  ?x rdfs:label ?l .
} GROUP BY ?x
"""


def _key(rec: dict) -> tuple:
    return tuple(rec.get(k) or "" for k in ("s", "b", "sup", "e", "nat"))


def trace(graph, org: str) -> Analysis:
    """Every chain through ``org`` (an IRI or prefixed name), one row per hop."""
    term = org_term(org)
    chains = run(graph, CHAINS, term)
    if not chains:
        known = graph.query(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }}").boolean
        why = ("it is in the graph but no placement names it as sending organization, broker, "
               "supervising organization or employer") if known else "no such IRI in the graph"
        raise TitpError(f"trace {org}: {why}")
    fees: dict[tuple, dict[tuple, list]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for rec in run(graph, CHAIN_FEES, term):
        hop = fee_hop(rec, rec.get("payeeRole", "other"))
        if hop:
            item = fees[_key(rec)][hop]
            item[0] += number(rec.get("fees"))
            item[1] += int(rec.get("payments", 0))
    norms: dict[tuple, list[dict]] = defaultdict(list)
    for rec in run(graph, NORMS_IN_FORCE, term):
        norms[_key(rec)].append(rec)
    labels = {r["x"]: r["label"] for r in run(graph, LABELS, term)}
    sources = rule_sources(graph)
    table = Table("hops", f"Chains through {term.value}",
                  ["chain", "hop", "from", "from_label", "to", "to_label", "relation", "nationality",
                   "workers", "placements", "fees_worker_jpy", "fee_payments", "norms", "sources"])
    for number_, rec in enumerate(sorted(chains, key=_key), start=1):
        key = _key(rec)
        for hop_no, (u, v, relation) in enumerate(chain_hops(rec), start=1):
            paid, payments = fees[key].get((u, v, relation), [0.0, 0])
            governing = _norms_for(relation, norms[key])
            table.rows.append([number_, hop_no, u, labels.get(u, ""), v, labels.get(v, ""), relation,
                               rec.get("nat") or "", int(rec["workers"]), int(rec["placements"]),
                               paid, payments, " ".join(governing),
                               " ".join(sorted({s for n in governing for s in sources.get(n, "").split()}))])
    return Analysis("trace", [table], {"organization": term.value, "chains": len(chains)})


def _norms_for(relation: str, norms: list[dict]) -> list[str]:
    """Norms per hop: country fee rules on the broker and sending hops, the MOC on the
    sending -> supervising hop, Japanese rules on the last hop; employer-pays on all.

    >>> n = [{"norm": "R", "normKind": "fee-rule", "normCountry": "VN"},
    ...      {"norm": "M", "normKind": "agreement", "normCountry": "VN"}]
    >>> [x[-1] for x in _norms_for("sends-to", n)], [x[-1] for x in _norms_for("places-with", n)]
    (['M', 'R', 's'], ['s'])
    """
    out = {EMPLOYER_PAYS_RULE}
    for n in norms:
        japan = n["normCountry"] == JAPAN
        if relation == "places-with":
            if japan:
                out.add(n["norm"])
        elif not japan and (n["normKind"] == "fee-rule" or relation == "sends-to"):
            out.add(n["norm"])
    return sorted(out)
