"""Fees view: who pays whom, tier by tier, and which payments break a rule.

Columns: workers (grouped by nationality, never one node per person) -> brokers ->
sending organizations -> supervising organizations -> employers. Edge width follows the
amount (JPY, from ``titp:amountJPY`` or JPY amounts). An edge turns red when any of its
payments breaks

- the ILO employer-pays principle: a worker paid or bore a fee whose category (or a
  broader one) is marked ``titp:employerPays true``; or
- a fee rule of the payee's country covering that category: a ban, an amount cap
  (``titp:capAmount`` in the payment's currency), or the absolute wage cap
  (``titp:capMaxWageMonths`` x the placement's monthly wage, same currency). The
  per-12-months part of wage caps is not checked here.

Aggregation and the breach tests run in SPARQL, so only one row per payer group, payee and
category reaches Python. (titp_graph.network.fee_breaches, when it exists, is the
reference implementation; this module keeps its own query so the view has no hard
dependency on it.)
"""
from __future__ import annotations

import math
from decimal import Decimal

import pyoxigraph as ox

from ..namespaces import XSD
from . import chain, data
from .base import BREACH_COLOUR, DEFAULT_MAX_NODES, Edge, Group, Node, View, cap

UNKNOWN = "urn:titp-graph:view:unknown"
WORKERS = "urn:titp-graph:view:workers:"

_PAYER = """
  ?pay a titp:Payment ; titp:payer ?payer ; titp:amount ?amount ; titp:currency ?cur .
  BIND(EXISTS { ?payer a titp:Worker } AS ?isWorker)
  OPTIONAL { ?pay titp:bornBy ?bearer }
  BIND(IF(BOUND(?bearer), EXISTS { ?bearer a titp:Worker }, false) AS ?bornByWorker)
  OPTIONAL { ?payer titp:nationality ?wnat }
  OPTIONAL { ?pay titp:forPlacement/titp:nationality ?pnat }
  BIND(IF(?isWorker, COALESCE(?wnat, ?pnat, <urn:titp-graph:view:unknown>), ?payer) AS ?payerKey)
"""
# (EXISTS over two unbound patterns is evaluated per row from the wrong end in Oxigraph:
#  25 s for 10k payments; the OPTIONAL-then-EXISTS form above takes 0.2 s.)

FLOWS = f"""SELECT ?payerKey ?isWorker ?payee ?cat ?cur (SUM(?amount) AS ?total) (SUM(?jpy) AS ?totalJPY)
  (COUNT(?pay) AS ?payments) (SUM(IF(?bornByWorker, 1, 0)) AS ?borneByWorkers) WHERE {{
  {_PAYER}
  OPTIONAL {{ ?pay titp:payee ?payee0 }}
  BIND(COALESCE(?payee0, <urn:titp-graph:view:unknown>) AS ?payee)
  OPTIONAL {{ ?pay titp:feeCategory ?cat0 }}
  BIND(COALESCE(?cat0, <urn:titp-graph:view:unknown>) AS ?cat)
  OPTIONAL {{ ?pay titp:amountJPY ?jpy0 }}
  BIND(COALESCE(?jpy0, IF(?cur = "JPY", ?amount, 0)) AS ?jpy)
}} GROUP BY ?payerKey ?isWorker ?payee ?cat ?cur"""

EMPLOYER_PAYS = """SELECT DISTINCT ?cat WHERE { ?cat skos:broader* ?anc . ?anc titp:employerPays true }"""

RULES = """SELECT ?rule ?country ?cat ?kind ?capAmount ?capCurrency ?maxMonths WHERE {
  ?rule a titp:FeeRule ; titp:appliesToCountry ?country ; titp:coversFeeCategory ?covered ; titp:ruleKind ?kind .
  ?cat skos:broader* ?covered .
  OPTIONAL { ?rule titp:capAmount ?capAmount ; titp:capCurrency ?capCurrency }
  OPTIONAL { ?rule titp:capMaxWageMonths ?maxMonths } }"""

#: One query per (rule, category, country): worker-borne payments over the limit.
CAP_BREACHES = """SELECT ?payerKey ?isWorker ?payee ?cat ?cur (COUNT(DISTINCT ?pay) AS ?n) WHERE {{
  VALUES (?cat ?country) {{ ({cat} {country}) }}
  ?pay titp:feeCategory ?cat ; titp:payee ?payee . ?payee titp:country ?country .
  {payer}
  FILTER(?isWorker || ?bornByWorker)
  OPTIONAL {{ ?pay titp:forPlacement ?pl . ?pl titp:monthlyWage ?wage ; titp:wageCurrency ?wageCurrency }}
  FILTER({test})
}} GROUP BY ?payerKey ?isWorker ?payee ?cat ?cur"""


def _cap_test(kind: str, cap_amount, cap_currency, max_months) -> str | None:
    """The SPARQL condition for "this payment breaks the rule", from typed literals only."""
    if kind.endswith("#Ban"):
        return "true"
    tests = []
    if cap_amount is not None and cap_currency is not None:
        tests.append(f"(STR(?cur) = {ox.Literal(str(cap_currency))} && ?amount > {ox.Literal(str(cap_amount), datatype=ox.NamedNode(XSD + 'decimal'))})")
    if max_months is not None:
        tests.append(f"(BOUND(?wage) && STR(?wageCurrency) = STR(?cur) && ?amount > ?wage * {ox.Literal(str(max_months), datatype=ox.NamedNode(XSD + 'decimal'))})")
    return " || ".join(tests) or None


def cap_breaches(graph) -> list[tuple]:
    """(payerKey, isWorker, payee, category, currency, rule, count) for worker-borne payments
    that a ban forbids or that exceed a cap of the payee's country."""
    out = []
    for rule, country, cat, kind, cap_amount, cap_currency, max_months in sorted(
            graph.query(RULES).rows, key=lambda r: tuple(str(x) for x in r)):
        test = _cap_test(kind, cap_amount, cap_currency, max_months)
        if test is None:
            continue
        query = CAP_BREACHES.format(cat=ox.NamedNode(cat), country=ox.NamedNode(country), payer=_PAYER, test=test)
        for key, is_worker, payee, cat2, cur, count in graph.query(query).rows:
            out.append((key, is_worker, payee, cat2, cur, rule, count))
    return out


def _node_id(key: str, is_worker: bool) -> str:
    return WORKERS + key if is_worker else key


def build(graph, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    flows = graph.query(FLOWS).rows
    breaches = cap_breaches(graph)
    employer_pays = {row[0] for row in graph.query(EMPLOYER_PAYS).rows}
    pairs: dict[tuple[str, str], dict] = {}
    for key, is_worker, payee, cat, cur, total, jpy, count, borne in flows:
        ep = (int(count) if is_worker else int(borne or 0)) if cat in employer_pays else 0
        pair = pairs.setdefault((_node_id(key, is_worker), payee), {
            "jpy": Decimal(0), "lines": [], "payments": 0, "employer_pays": 0, "caps": [], "worker": is_worker})
        pair["jpy"] += Decimal(jpy or 0)
        pair["payments"] += int(count)
        pair["employer_pays"] += ep
        pair["lines"].append((cat, str(cur), Decimal(total), int(count)))
    for key, is_worker, payee, cat, cur, rule, count in breaches:
        pair = pairs.get((_node_id(key, is_worker), payee))
        if pair is not None:
            pair["caps"].append((rule, cat, int(count)))

    workers = {k for k, _ in pairs if k.startswith(WORKERS)}
    orgs = sorted(({k for k, _ in pairs} | {p for _, p in pairs}) - workers - {UNKNOWN})
    nationalities = sorted({w[len(WORKERS):] for w in workers} - {UNKNOWN})
    cats = sorted({line[0] for p in pairs.values() for line in p["lines"]} - {UNKNOWN})
    rules = sorted({r for p in pairs.values() for r, _, _ in p["caps"]})
    names = data.labels(graph, orgs + nationalities + cats + rules)
    names[UNKNOWN] = ("unknown", "")
    classes = chain.org_classes(graph, orgs)
    srcs = data.sources(graph, orgs + rules)
    synth = data.synthetic(graph, orgs)

    through: dict[str, Decimal] = {}
    for (a, b), pair in pairs.items():
        through[a] = through.get(a, Decimal(0)) + pair["jpy"]
        through[b] = through.get(b, Decimal(0)) + pair["jpy"]
    top = float(max(through.values(), default=Decimal(1))) or 1.0
    nodes = []
    for node_id in sorted(through):
        amount = through[node_id]
        if node_id.startswith(WORKERS):
            nat = node_id[len(WORKERS):]
            en, ja = names.get(nat, ("unknown", ""))
            node = Node(node_id, f"Workers from {en}" if nat != UNKNOWN else "Workers (nationality unknown)",
                        f"{ja}の労働者" if ja else "", cls="Workers (aggregated by nationality; no individuals)",
                        group="Worker", layer=0, details=[("nationality", en)])
        elif node_id == UNKNOWN:
            node = Node(node_id, "payee not recorded", cls="unknown", group="Organization", layer=5)
        else:
            key, label, layer = classes[node_id]
            node = Node(node_id, *names[node_id], cls=label, group=key, layer=layer + 1,
                        sources=srcs.get(node_id, []), synthetic=node_id in synth, details=[("IRI", node_id)])
        node.details.append(("money paid or received (JPY)", chain.money(amount, "JPY")))
        node.weight = float(amount)
        node.size = 8 + 32 * math.sqrt(float(amount) / top)
        nodes.append(node)
    # a worker group is synthetic when everyone it pays is synthetic
    for node in nodes:
        if node.id.startswith(WORKERS):
            node.synthetic = all(b in synth for a, b in pairs if a == node.id)
            if node.synthetic:
                synth.add(node.id)
    peak = max((float(p["jpy"]) for p in pairs.values()), default=1.0) or 1.0
    edges = []
    for (a, b), pair in sorted(pairs.items()):
        details = [("payments", f"{pair['payments']:,}"), ("total (JPY)", chain.money(pair["jpy"], "JPY"))]
        for cat, cur, total, count in sorted(pair["lines"]):
            details.append((f"{names[cat][0]}", f"{chain.money(total, cur)} in {count:,} payment(s)"))
        edge_sources = []
        breach = pair["employer_pays"] > 0 or bool(pair["caps"])
        if pair["employer_pays"]:
            details.append(("BREACH: employer pays",
                            f"{pair['employer_pays']:,} payment(s) by workers of fees employers should bear (ILO)"))
        for rule, cat, count in sorted(pair["caps"]):
            details.append(("BREACH: " + names[rule][0], f"{count:,} {names[cat][0]} payment(s) above the cap or banned"))
            edge_sources += srcs.get(rule, [])
        width = 1 + 11 * math.sqrt(float(pair["jpy"]) / peak)
        edges.append(Edge(a, b, chain.money(pair["jpy"], "JPY"), cls="payments" + (" (breach)" if breach else ""),
                          group="breach" if breach else "payment", sources=edge_sources,
                          synthetic=a in synth or b in synth, details=details, width=width,
                          colour=BREACH_COLOUR if breach else ""))
    legend = [Group("Worker", "Workers (by nationality)", "#d9d9d9")]
    legend += [Group(k, label, colour) for k, label, colour, _ in chain.ORG_CLASSES if any(n.group == k for n in nodes)]
    legend += [Group("payment", "payments (width: amount in JPY)", "#8c8c8c", "edge"),
               Group("breach", "breach of employer-pays or of a fee cap/ban", BREACH_COLOUR, "edge")]
    view = View("fees", "Fees: money flows by tier, and the breaches",
                "Who pays whom along the recruitment chain. Workers are grouped by nationality. Red edges "
                "carry payments that break the ILO employer-pays principle or a fee cap or ban of the "
                "payee's country (hover for which rule and its source). Wage caps are checked against "
                "their absolute maximum only.",
                nodes, edges, legend, layout="layers", edge_labels=True)
    if not pairs:
        view.notes.append("The graph has no payments yet.")
    return cap(view, max_nodes, "payers and payees")

