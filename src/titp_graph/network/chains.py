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
from . import detail
from .project import chain_hops, fee_hop
from .sparql import number, org_term, run
from .table import Analysis, Table

JAPAN = ID + "country/JP"

#: Fee rules and bilateral agreements with what decides whether they govern a placement.
NORMS = """
SELECT ?norm ?normKind ?normCountry ?from ?until ?prog WHERE {
  { ?norm a titp:FeeRule ; titp:appliesToCountry ?normCountry . BIND("fee-rule" AS ?normKind) }
  UNION
  { ?norm a titp:BilateralAgreement ; titp:counterpartCountry ?normCountry . BIND("agreement" AS ?normKind) }
  OPTIONAL { ?norm titp:inForceFrom ?f0 } BIND(STR(?f0) AS ?from)
  OPTIONAL { ?norm titp:inForceUntil ?u0 } BIND(STR(?u0) AS ?until)
  OPTIONAL { ?norm titp:governsProgram ?prog }
}
"""

LABELS = """
SELECT ?x (MIN(STR(?l)) AS ?label) WHERE {{ORG}
  VALUES ?prop { titp:sendingOrganization titp:broker titp:supervisingOrganization titp:employer }
  ?p ?prop ?x . ?p a titp:Placement .
  ?x rdfs:label ?l .
} GROUP BY ?x
"""

TRACE_COLUMNS = ("chain", "hop", "from", "from_label", "to", "to_label", "relation", "nationality",
                 "workers", "placements", "fees_worker_jpy", "fee_payments", "norms", "sources")


def norm_table(records: list[dict]) -> list[dict]:
    """Norms from :data:`NORMS` records: one dict per norm with sets of dates and programs."""
    out: dict[tuple, dict] = {}
    for r in records:
        item = out.setdefault((r["norm"], r["normKind"], r["normCountry"]),
                              {"norm": r["norm"], "normKind": r["normKind"], "normCountry": r["normCountry"],
                               "from": set(), "until": set(), "programs": set()})
        for key, col in (("from", "from"), ("until", "until"), ("programs", "prog")):
            if r.get(col):
                item[key].add(str(r[col]))
    return [out[k] for k in sorted(out)]


def norms_in_force(norms: list[dict], nat: str, start: str, program: str) -> list[dict]:
    """The norms that govern a placement of nationality ``nat`` starting on ``start`` (a
    date's lexical form) in ``program`` ("" if none): the country's own and Japan's, in
    force at the start (dates compared as strings, so "2017" covers 2017-06-01), for the
    program if the norm names programs.

    >>> n = [{"norm": "R", "normKind": "fee-rule", "normCountry": "VN", "from": {"2021"},
    ...       "until": set(), "programs": set()}]
    >>> [x["norm"] for x in norms_in_force(n, "VN", "2022-04-01", "")], norms_in_force(n, "VN", "2020-04-01", "")
    (['R'], [])
    """
    out = []
    for n in norms:
        if not (n["normCountry"] == JAPAN or (nat and n["normCountry"] == nat)):
            continue
        if n["from"] and not any(start >= f for f in n["from"]):
            continue
        if any(start >= u for u in n["until"]):
            continue
        if n["programs"] and program and program not in n["programs"]:
            continue
        out.append(n)
    return out


def chain_norms(chain: dict, norms: list[dict], memo: dict | None = None) -> list[dict]:
    """Every norm in force for some placement of ``chain`` (its ``starts`` pairs); ``memo``
    caches the answer per (nationality, start, program) across chains."""
    memo = {} if memo is None else memo
    nat = chain.get("nat") or ""
    seen: dict[str, dict] = {}
    for pair in sorted(set((chain.get("starts") or "").split())):
        start, _, program = pair.partition("|")
        key = (nat, start, program)
        if key not in memo:
            memo[key] = norms_in_force(norms, nat, start, program)
        for n in memo[key]:
            seen.setdefault((n["norm"], n["normKind"], n["normCountry"]), n)
    return [seen[k] for k in sorted(seen)]


def trace_table(org: str, chains: list[dict], fee_records: list[dict], norms: list[dict],
                labels: dict[str, str], sources: dict[str, str]) -> Analysis:
    """The trace of ``org`` from chain and fee records (pure: the store or the index gives them)."""
    fees: dict[tuple, dict[tuple, list]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for rec in fee_records:
        hop = fee_hop(rec, rec.get("payeeRole", "other"))
        if hop:
            item = fees[detail.chain_key(rec)][hop]
            item[0] += number(rec.get("fees"))
            item[1] += int(rec.get("payments", 0))
    table = Table("hops", f"Chains through {org}", list(TRACE_COLUMNS))
    memo: dict = {}
    per_hop: dict[tuple, tuple[str, str]] = {}  # (relation, norms in force) -> (norms, sources)
    for number_, rec in enumerate(sorted(chains, key=detail.chain_key), start=1):
        key = detail.chain_key(rec)
        in_force = chain_norms(rec, norms, memo)
        ids = tuple((n["norm"], n["normKind"], n["normCountry"]) for n in in_force)
        for hop_no, (u, v, relation) in enumerate(chain_hops(rec), start=1):
            paid, payments = fees[key].get((u, v, relation), [0.0, 0])
            if (relation, ids) not in per_hop:
                governing = _norms_for(relation, in_force)
                per_hop[relation, ids] = (" ".join(governing), " ".join(
                    sorted({s for n in governing for s in sources.get(n, "").split()})))
            governing_text, sources_text = per_hop[relation, ids]
            table.rows.append([number_, hop_no, u, labels.get(u, ""), v, labels.get(v, ""), relation,
                               rec.get("nat") or "", int(rec["workers"]), int(rec["placements"]),
                               paid, payments, governing_text, sources_text])
    return Analysis("trace", [table], {"organization": org, "chains": len(chains)})


def trace(graph, org: str, index: bool | None = None) -> Analysis:
    """Every chain through ``org`` (an IRI or prefixed name), one row per hop.

    Reads the build's chain index when the store has a fresh one (see :mod:`.index`;
    ``index=False`` forces the detail), else the placements themselves.
    """
    term = org_term(org)
    if index is not False:
        from .index import ChainIndex
        found = ChainIndex.for_graph(graph, required=bool(index))
        if found is not None:
            rows, count = found.trace_rows(term.value)
            if count:
                return Analysis("trace", [Table("hops", f"Chains through {term.value}", list(TRACE_COLUMNS), rows)],
                                {"organization": term.value, "chains": count})
    found = detail.read(graph, term)
    chains = detail.chains(found)
    if not chains:
        known = graph.query(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }}").boolean
        why = ("it is in the graph but no placement names it as sending organization, broker, "
               "supervising organization or employer") if known else "no such IRI in the graph"
        raise TitpError(f"trace {org}: {why}")
    labels = {r["x"]: r["label"] for r in run(graph, LABELS, term)}
    return trace_table(term.value, chains, detail.chain_fees(found), norm_table(run(graph, NORMS)),
                       labels, rule_sources(graph))


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
