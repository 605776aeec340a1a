"""Competency question 2: fees borne by workers that break the ILO employer-pays principle
or the sending country's own cap.

Two tests, each breach with the rule it breaks and that rule's sources:

* employer-pays: any worker-borne payment in a fee category marked ``titp:employerPays
  true`` (rule :data:`EMPLOYER_PAYS_RULE`, from the ILO definition of recruitment fees);
* country rules: the ``titp:FeeRule`` s of the worker's nationality in force at placement
  start (string comparison of dates, so ``"2017"`` covers 2017-06-01), for the placement's
  program, covering the payment's fee category (or its broader ones). A rule that names
  no fee category (e.g. Vietnam's housing-charge cap, or no extra fee at TITP stage 3) is
  not judged, since no payment category says what it covers; the notes list them. A ban
  is broken by any amount above 0; a wage cap by more than
  ``wage x min(capWageMonthsPer12Months x months / 12, capMaxWageMonths)``; an amount cap by
  more than ``capAmount`` (in ``capCurrency``).

Contract months are the days from start to end divided by 30.4375, rounded to a whole month;
with no end date the cap's maximum is used (the reading most favourable to the organization,
so a reported breach holds whatever the contract length).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..namespaces import ID, ONTOLOGY
from .sparql import number, run
from .table import Analysis, Table

#: The fee rule behind the employer-pays test (a titp:FeeRule in the curated data).
EMPLOYER_PAYS_RULE = ID + "fee-rule/ilo-recruitment-fees-not-borne-by-workers"
BAN = ONTOLOGY + "Ban"
CAP = ONTOLOGY + "Cap"
CHAIN_KEYS = ("s", "b", "sup", "e")

#: Fee categories the employer must pay (ILO): those marked so and their narrower ones
#: (as the fee-flow view reads them), each with whether it or a broader one is illegitimate.
EMPLOYER_PAYS_CATEGORIES = """
SELECT ?cat (MAX(?illeg) AS ?illegitimate) WHERE {
  ?anc titp:employerPays true .
  ?cat skos:broader* ?anc .
  OPTIONAL { ?cat skos:broader* ?up . ?up titp:illegitimate ?il }
  BIND(COALESCE(?il, false) AS ?illeg)
} GROUP BY ?cat
"""

#: Country fee rules with what decides where they apply (one row per combination).
RULES = """
SELECT ?rule ?kind ?country ?from ?until ?prog ?covers ?per12 ?maxMonths ?capAmount ?capCurrency WHERE {
  ?rule a titp:FeeRule ; titp:appliesToCountry ?country ; titp:ruleKind ?kind .
  OPTIONAL { ?rule titp:inForceFrom ?f0 } BIND(STR(?f0) AS ?from)
  OPTIONAL { ?rule titp:inForceUntil ?u0 } BIND(STR(?u0) AS ?until)
  OPTIONAL { ?rule titp:governsProgram ?prog }
  OPTIONAL { ?rule titp:coversFeeCategory ?covers }
  OPTIONAL { ?rule titp:capWageMonthsPer12Months ?per12 }
  OPTIONAL { ?rule titp:capMaxWageMonths ?maxMonths }
  OPTIONAL { ?rule titp:capAmount ?capAmount }
  OPTIONAL { ?rule titp:capCurrency ?cc0 } BIND(STR(?cc0) AS ?capCurrency)
}
"""

BROADER = "SELECT ?c ?b WHERE { ?c skos:broader+ ?b }"


def country_rules(graph) -> list[dict]:
    """:data:`RULES` folded to one dict per rule, with sets of dates, programs and categories."""
    out: dict[str, dict] = {}
    for r in run(graph, RULES):
        item = out.setdefault(r["rule"], {"rule": r["rule"], "kind": r["kind"], "country": r["country"],
                                          "from": set(), "until": set(), "programs": set(), "covers": set()})
        for key, col in (("from", "from"), ("until", "until"), ("programs", "prog"), ("covers", "covers")):
            if r.get(col):
                item[key].add(str(r[col]))
        for col in ("per12", "maxMonths", "capAmount", "capCurrency"):
            if r.get(col) is not None:
                item.setdefault(col, r[col])
    return [out[k] for k in sorted(out)]


def broader_closure(graph) -> dict[str, set[str]]:
    """Each fee category's broader categories (transitively), itself included."""
    out: dict[str, set[str]] = defaultdict(set)
    for r in run(graph, BROADER):
        out[r["c"]].update((r["c"], r["b"]))
    return out


SOURCES = """
SELECT ?x (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources) WHERE {
  { ?x a titp:FeeRule } UNION { ?x a titp:BilateralAgreement } UNION { ?x a titp:Guideline }
  ?x prov:wasDerivedFrom ?src .
} GROUP BY ?x
"""


def contract_months(start, end) -> int | None:
    """Whole months of contract from two dates (None if either is missing).

    >>> contract_months(dt.date(2023, 4, 1), dt.date(2026, 3, 31))
    36
    >>> contract_months(dt.date(2023, 10, 1), dt.date(2024, 9, 30))
    12
    """
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    return round((end - start).days / 30.4375)


def allowed(kind: str, wage=None, months=None, per12=None, max_months=None, cap_amount=None):
    """The most a worker may be charged under one rule, or None if it cannot be judged.

    >>> allowed(BAN)
    0.0
    >>> allowed(CAP, wage=160000, months=36, per12=1, max_months=3)   # 3 months' wage
    480000.0
    >>> allowed(CAP, wage=160000, months=60, per12=1, max_months=3)   # capped at 3
    480000.0
    >>> allowed(CAP, wage=150000, months=12, per12=1, max_months=3)
    150000.0
    >>> allowed(CAP, wage=150000, months=None, per12=1, max_months=3) # no end date: the maximum
    450000.0
    >>> allowed(CAP, cap_amount=3600)
    3600.0
    >>> allowed(CAP, wage=None, per12=1) is None
    True
    """
    if kind == BAN:
        return 0.0
    if cap_amount is not None:
        return number(cap_amount)
    if per12 is None and max_months is None or wage is None:
        return None
    if months is None or per12 is None:
        wage_months = number(max_months) if max_months is not None else None
    else:
        wage_months = number(per12) * months / 12
        if max_months is not None:
            wage_months = min(wage_months, number(max_months))
    return None if wage_months is None else number(wage) * wage_months


def judge(row: dict) -> dict | None:
    """A breach record for one placement x rule candidate row, or None if it holds.

    >>> judge({"kind": CAP, "paid": 600000, "wage": 160000, "per12": 1, "maxMonths": 3,
    ...        "start": dt.date(2023, 4, 1), "end": dt.date(2026, 3, 31)})["excess"]
    120000.0
    >>> judge({"kind": CAP, "paid": 150000, "wage": 150000, "per12": 1, "maxMonths": 3,
    ...        "start": dt.date(2023, 10, 1), "end": dt.date(2024, 9, 30)}) is None
    True
    """
    months = contract_months(row.get("start"), row.get("end"))
    cap = allowed(row["kind"], row.get("wage"), months, row.get("per12"), row.get("maxMonths"),
                  row.get("capAmount"))
    paid = number(row.get("paid"))
    if cap is None or paid <= cap:
        return None
    return {"paid": paid, "allowed": cap, "excess": paid - cap, "months": months}


def _chain(row: dict) -> tuple:
    return tuple(row.get(k) or "" for k in CHAIN_KEYS)


def cap_breaches(rows: list[dict]) -> list[dict]:
    """Breaches of country rules per chain x nationality x rule, from candidate rows."""
    acc: dict[tuple, dict] = {}
    for row in rows:
        found = judge(row)
        if not found:
            continue
        key = _chain(row) + (row.get("nat") or "", row["rule"])
        item = acc.setdefault(key, {"kind": row["kind"], "placements": 0, "workers": 0,
                                    "paid": 0.0, "allowed": 0.0, "excess": 0.0})
        item["placements"] += 1
        item["workers"] += int(row.get("n") or 1)
        for k in ("paid", "allowed", "excess"):
            item[k] += found[k]
    return [dict(zip(CHAIN_KEYS + ("nat", "rule"), key), **value) for key, value in sorted(acc.items())]


def by_nationality(employer_pays: list[dict], caps: list[dict]) -> list[list]:
    """Totals per nationality and rule: [nationality, rule, test, count, workers, amount_jpy].

    >>> by_nationality([{"nat": "VN", "payments": 2, "fees": 5}], [{"nat": "VN", "rule": "R",
    ...     "kind": BAN, "placements": 1, "workers": 1, "excess": 3.0}])[0][:4]
    ['VN', 'R', 'ban', 1]
    """
    acc: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
    for r in employer_pays:
        item = acc[(r.get("nat") or "", EMPLOYER_PAYS_RULE, "employer-pays")]
        item[0] += int(r["payments"])
        item[1] += int(r.get("workers", 0))
        item[2] += number(r["fees"])
    for r in caps:
        item = acc[(r.get("nat") or "", r["rule"], "ban" if r["kind"] == BAN else "cap")]
        item[0] += r["placements"]
        item[1] += r["workers"]
        item[2] += r["excess"]
    return [[*key, *value] for key, value in sorted(acc.items())]


def rule_sources(graph) -> dict[str, str]:
    return {r["x"]: " ".join(sorted(r["sources"].split())) for r in run(graph, SOURCES)}


def fee_breaches(graph, org=None, found=None) -> Analysis:
    """Employer-pays and country-cap breaches, per chain and by nationality (``found``: the
    :class:`.detail.Detail` if already read)."""
    from . import detail as _detail

    sources = rule_sources(graph)
    found = found if found is not None else _detail.read(graph, org)
    categories = {r["cat"]: bool(r["illegitimate"]) for r in run(graph, EMPLOYER_PAYS_CATEGORIES)}
    ep = _detail.employer_pays(found, categories)
    rules = country_rules(graph)
    caps = cap_breaches(_detail.cap_candidates(found, rules, broader_closure(graph)))
    ep_table = Table("employer-pays", "Worker-borne fees that break the employer-pays principle",
                     ["sending", "broker", "supervising", "employer", "nationality", "fee_category",
                      "illegitimate", "payments", "workers", "fees_jpy", "unconverted_payments", "rule", "sources"])
    for r in sorted(ep, key=lambda r: _chain(r) + (r.get("nat") or "", r["cat"])):
        ep_table.rows.append([*_chain(r), r.get("nat") or "", r["cat"], bool(r["illegitimate"]),
                              int(r["payments"]), int(r["workers"]), number(r["fees"]), int(r["unconvertedPayments"]),
                              EMPLOYER_PAYS_RULE, sources.get(EMPLOYER_PAYS_RULE, "")])
    cap_table = Table("country-rules", "Fees above the sending country's cap or ban",
                      ["sending", "broker", "supervising", "employer", "nationality", "rule", "rule_kind",
                       "placements", "workers", "paid", "allowed", "excess", "sources"])
    for r in caps:
        cap_table.rows.append([*_chain(r), r["nat"], r["rule"], "ban" if r["kind"] == BAN else "cap",
                               r["placements"], r["workers"], r["paid"], r["allowed"], r["excess"],
                               sources.get(r["rule"], "")])
    nat_table = Table("by-nationality", "Breaches by nationality",
                      ["nationality", "rule", "test", "breaches", "workers", "amount_jpy", "sources"])
    for row in by_nationality(ep, caps):
        nat_table.rows.append(row + [sources.get(row[1], "")])
    unjudged = sorted(r["rule"] for r in rules if not r["covers"])
    notes = {"employer_pays_rule": EMPLOYER_PAYS_RULE,
             "not_judged": " ".join(unjudged) + (" (no fee category named)" if unjudged else ""),
             "contract_months": "days/30.4375 rounded; no end date -> the cap's maximum",
             "amounts": "employer-pays in JPY; country rules in the wage (or cap) currency"}
    return Analysis("fees", [ep_table, cap_table, nat_table], notes)
