"""Competency question 11: which ILO forced-labour indicators are evidenced along a chain.

Three kinds of evidence, each an analyst's reading stated here, not a legal finding:

* ``debt``: recruitment debt above ``threshold`` months of wages (principal / monthly wage,
  :data:`.detail.DEBTS`) -> ``flind:debt-bondage``;
* ``bond``: worker-borne payments in bond categories (:data:`BOND_CATEGORIES`, deposits and
  penalty contracts, ILO "illegitimate costs") -> ``flind:debt-bondage``, since money held
  or owed on leaving binds the worker to the job;
* ``sanction`` / ``inspection``: a sanction or an inspection violation against an
  organization of the chain that carries ``titp:indicatesForcedLabour`` -> that indicator.
"""
from __future__ import annotations

from collections import defaultdict

from ..namespaces import CONCEPT
from .sparql import number, run
from .table import Analysis, Table

FLIND = CONCEPT + "forced-labour-indicator/"
DEBT_BONDAGE = FLIND + "debt-bondage"
BOND_CATEGORIES = tuple(CONCEPT + "fee-category/" + c
                        for c in ("deposit-penalty", "bond-deposit", "deposit", "collateral"))
CHAIN = ("s", "b", "sup", "e", "nat")

ORG_INDICATORS = """
SELECT ?org ?indicator ?kind (COUNT(DISTINCT ?x) AS ?count) (GROUP_CONCAT(DISTINCT STR(?x); separator=" ") AS ?evidence) WHERE {
  { ?x a titp:Sanction ; titp:sanctionedOrganization ?org ; titp:indicatesForcedLabour ?indicator .
    BIND("sanction" AS ?kind) }
  UNION
  { ?i titp:inspected ?org ; titp:foundViolation ?x . ?x titp:indicatesForcedLabour ?indicator .
    BIND("inspection" AS ?kind) }
} GROUP BY ?org ?indicator ?kind
"""


def chain_evidence(chains: list[dict], debts: list[dict], bonds: list[dict],
                   org_indicators: list[dict], threshold: float) -> list[list]:
    """Rows [sending, broker, supervising, employer, nationality, indicator, evidence, count,
    detail] from query records (pure).

    >>> rows = chain_evidence([{"s": "S", "sup": "U", "e": "E", "nat": "VN"}],
    ...     [{"s": "S", "sup": "U", "e": "E", "nat": "VN", "count": 1, "maxMonths": 8}], [],
    ...     [{"org": "U", "indicator": "I", "kind": "sanction", "count": 1, "evidence": "X"}], 6)
    >>> [(r[5][-12:], r[6], r[7]) for r in rows]
    [('I', 'sanction', 1), ('debt-bondage', 'debt', 1)]
    """
    out = []
    key = lambda r: tuple(r.get(k) or "" for k in CHAIN)
    for r in debts:
        out.append([*key(r), DEBT_BONDAGE, "debt", int(r["count"]),
                    f"debt above {threshold:g} months of wages (max {number(r['maxMonths']):.1f})"])
    for r in bonds:
        out.append([*key(r), DEBT_BONDAGE, "bond", int(r["count"]),
                    f"deposits or penalties paid by workers: {number(r['amountJPY']):,.0f} JPY"])
    by_org = defaultdict(list)
    for r in org_indicators:
        by_org[r["org"]].append(r)
    for chain in chains:
        for role in ("s", "b", "sup", "e"):
            for r in by_org.get(chain.get(role) or "", []):
                out.append([*key(chain), r["indicator"], r["kind"], int(r["count"]),
                            " ".join(sorted(r["evidence"].split()))])
    return sorted(out, key=lambda row: [str(v) for v in row])


def forced_labour_risk(graph, threshold: float = 6.0, found=None) -> Analysis:
    """ILO forced-labour indicators evidenced along each chain (``found``: the
    :class:`.detail.Detail` if already read)."""
    threshold = float(threshold)
    from . import detail as _detail

    found = found if found is not None else _detail.read(graph)
    debts = _detail.high_debts(found, threshold)
    bonds = _detail.category_payments(found, set(BOND_CATEGORIES))
    rows = chain_evidence(_detail.chains(found), debts, bonds, run(graph, ORG_INDICATORS), threshold)
    table = Table("indicators", "ILO forced-labour indicators evidenced along chains",
                  ["sending", "broker", "supervising", "employer", "nationality", "indicator",
                   "evidence", "count", "detail"], rows)
    return Analysis("forced-labour", [table], {"debt_threshold_months": threshold,
                                               "bond_categories": " ".join(BOND_CATEGORIES)})
