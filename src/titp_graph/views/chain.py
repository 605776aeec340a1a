"""Chain view: the ego network of one organization, hop by hop (competency question 3).

Hops come from placements (broker -> sending organization -> supervising organization ->
employer) and intermediation agreements. Each hop carries how many placements and workers
go through it, the fees workers paid to the hop's first organization for those placements
(worker-borne payments, as in the chain trace and the fee analyses: a payment whose
``titp:bornBy``, else ``titp:payer``, is a worker) and the fee rules that govern that
organization's country, with their sources on hover.

The graph is walked outward from the focus, ``depth`` hops. Given the build's
:class:`~titp_graph.network.detail.Detail` (placements and worker-borne payment groups
already read), placement hops and fees come from those records; otherwise from the store,
with ``VALUES`` on the frontier, so it stays usable on a national-scale store. Both give the
same view (``tests/test_views_detail.py``).
"""
from __future__ import annotations

import math
from decimal import Decimal

from ..namespaces import ONTOLOGY
from ..network.detail import PAYMENTS, PaymentGroup, jpy, select
from . import data
from .base import DEFAULT_MAX_NODES, Edge, Group, Node, Source, View, cap

T = ONTOLOGY

#: Organization classes, most specific first, with their column in the chain.
ORG_CLASSES = [
    ("Broker", "Broker", "#ff7f0e", 0),
    ("SendingOrganization", "Sending organization", "#1f77b4", 1),
    ("SupervisionSupportOrganization", "Supervision support organization (ESD)", "#17becf", 2),
    ("SupervisingOrganization", "Supervising organization", "#2ca02c", 2),
    ("RegisteredSupportOrganization", "Registered support organization", "#bcbd22", 2),
    ("ImplementingOrganization", "Employer (implementing organization)", "#9467bd", 3),
    ("SSWAffiliatedOrganization", "Employer (SSW affiliated organization)", "#9467bd", 3),
    ("Employer", "Employer", "#9467bd", 3),
    ("Organization", "Organization", "#7f7f7f", 4),
]

HOPS = {
    "broker-sending": ("broker \u2192 sending organization",
                       "?p a titp:Placement ; titp:broker ?a ; titp:sendingOrganization ?b ."),
    "sending-supervising": ("sending \u2192 supervising organization",
                            "?p a titp:Placement ; titp:sendingOrganization ?a ; titp:supervisingOrganization ?b ."),
    "supervising-employer": ("supervising organization \u2192 employer",
                             "?p a titp:Placement ; titp:supervisingOrganization ?a ; titp:employer ?b ."),
    "intermediation": ("intermediation agreement",
                       "?p a titp:IntermediationAgreement ; titp:sendingOrganization ?a ; titp:supervisingOrganization ?b ."),
}


def _values(iris) -> str:
    import pyoxigraph as ox

    return " ".join(str(ox.NamedNode(i)) for i in sorted(iris))


def walk(graph, focus: str, depth: int, detail=None) -> dict[tuple[str, str, str], dict]:
    """Hops within ``depth`` of ``focus``: (a, b, kind) -> {"placements": set, "workers": int}.

    With ``detail``, placement hops are read from its records (intermediation agreements,
    which it does not hold, still from the store)."""
    hops: dict[tuple[str, str, str], dict] = {}
    seen, frontier = {focus}, {focus}
    by_org = _placements_by_org(detail) if detail is not None else None
    for _ in range(depth):
        reached = set()
        if by_org is not None:
            for org in sorted(frontier):
                for p, n, ends in by_org.get(org, ()):
                    for kind, a, b in ends:
                        if org != a and org != b:
                            continue
                        hop = hops.setdefault((a, b, kind), {"placements": set(), "workers": 0})
                        if p not in hop["placements"]:
                            hop["placements"].add(p)
                            hop["workers"] += n
                        reached.update((a, b))
        for chunk_start in range(0, len(frontier), 1000):
            chunk = sorted(frontier)[chunk_start:chunk_start + 1000]
            for kind, (_, pattern) in HOPS.items():
                if by_org is not None and kind != "intermediation":
                    continue
                for side in ("a", "b"):
                    res = graph.query(f"""SELECT ?a ?b ?p ?wc WHERE {{ VALUES ?{side} {{ {_values(chunk)} }}
                        {pattern} OPTIONAL {{ ?p titp:workerCount ?wc }} }}""")
                    for a, b, p, wc in res.rows:
                        hop = hops.setdefault((a, b, kind), {"placements": set(), "workers": 0})
                        if p not in hop["placements"]:
                            hop["placements"].add(p)
                            hop["workers"] += int(wc) if wc is not None else (0 if kind == "intermediation" else 1)
                        reached.update((a, b))
        frontier = reached - seen
        seen |= reached
        if not frontier:
            break
    return hops


#: Placement hop kinds and the placement-row fields at their two ends.
_ROW_HOPS = (("broker-sending", "b", "s"), ("sending-supervising", "s", "sup"), ("supervising-employer", "sup", "e"))


def _placements_by_org(detail) -> dict[str, list[tuple[str, int, tuple]]]:
    """organization -> [(placement, workers, ((kind, a, b), ...))] for every placement row
    the organization is an end of a hop in; worked out once per detail (the build draws
    several chain views from the same records)."""
    cached = getattr(detail, "_chain_view_by_org", None)
    if cached is not None:
        return cached
    out: dict[str, list] = {}
    seen = set()
    for row in detail.placements:
        ends = tuple((kind, getattr(row, a), getattr(row, b)) for kind, a, b in _ROW_HOPS
                     if getattr(row, a) is not None and getattr(row, b) is not None)
        item = (row.p, int(row.n), ends)
        if not ends or item in seen:
            continue
        seen.add(item)
        for org in {x for _, a, b in ends for x in (a, b)}:
            out.setdefault(org, []).append(item)
    detail._chain_view_by_org = out
    return out


def _fees(graph, hops, detail=None) -> dict[tuple[str, str, str], list[tuple[str, str, Decimal, Decimal]]]:
    """Worker-borne payments for each hop's placements made to the hop's first
    organization, as (category, currency, amount, JPY value) per payment group (payments
    of one placement summed per bearer, payee, category and currency). The JPY value is
    ``titp:amountJPY``, else the amount when the currency is JPY, else 0 (as in the fee
    analyses); groups without a currency are left out."""
    placement_hops: dict[str, list[tuple[str, str, str]]] = {}
    for key, hop in hops.items():
        for p in hop["placements"]:
            placement_hops.setdefault(p, []).append(key)
    plist = sorted(placement_hops)
    if detail is not None:
        by_p = getattr(detail, "_chain_view_payments", None)
        if by_p is None:
            by_p = detail._chain_view_payments = detail.payments_by_placement()
        groups = [g for p in plist for g in by_p.get(p, ())]
    else:
        groups = []
        for start in range(0, len(plist), 2000):
            query = PAYMENTS.replace("{ORG}", f"VALUES ?p {{ {_values(plist[start:start + 2000])} }}")
            groups.extend(select(graph, query, PaymentGroup))
    out: dict[tuple[str, str, str], list] = {}
    for group in groups:
        if group.cur is None:
            continue
        for key in placement_hops[group.p]:
            if key[0] == group.payee:
                out.setdefault(key, []).append((group.cat or "", str(group.cur), Decimal(group.amountSum),
                                                jpy(group)[0]))
    for paid in out.values():
        paid.sort()
    return out


def _rules(graph) -> dict[str, list[tuple[str, str]]]:
    """country IRI -> [(rule IRI, rule text)] for every fee rule."""
    out: dict[str, list[tuple[str, str]]] = {}
    res = graph.query("""SELECT ?rule ?country ?text WHERE { ?rule a titp:FeeRule ; titp:appliesToCountry ?country .
        OPTIONAL { ?rule titp:ruleText ?text FILTER(langMatches(lang(?text), "en") || lang(?text) = "") } }""")
    for rule, country, text in res.rows:
        out.setdefault(country, []).append((rule, text or ""))
    return {k: sorted(set(v)) for k, v in out.items()}


def money(amount: Decimal, currency: str) -> str:
    symbol = {"JPY": "\u00a5", "USD": "US$"}.get(currency)
    text = f"{amount:,.0f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def org_classes(graph, iris) -> dict[str, tuple[str, str, int]]:
    """IRI -> (class key, class label, column) for organizations."""
    kinds = data.types(graph, iris)
    out = {}
    for iri in iris:
        have = {t[len(T):] for t in kinds.get(iri, set()) if t.startswith(T)}
        for key, label, _, layer in ORG_CLASSES:
            if key in have:
                out[iri] = (key, label, layer)
                break
        else:
            out[iri] = ("Organization", "Organization", 4)
    return out


def build(graph, focus: str, depth: int = 1, max_nodes: int = DEFAULT_MAX_NODES, detail=None) -> View:
    """The chain view around ``focus``; ``detail`` (the build's records) saves reading the
    placements and payments out of the store."""
    focus = data.resolve_iri(graph, focus, "--org")
    if depth < 1:
        raise ValueError("depth must be at least 1")
    hops = walk(graph, focus, depth, detail)
    ids = sorted({focus} | {a for a, _, _ in hops} | {b for _, b, _ in hops})
    names = data.labels(graph, ids)
    classes = org_classes(graph, ids)
    synth = data.synthetic(graph, ids + sorted({p for h in hops.values() for p in h["placements"]}))
    fees = _fees(graph, hops, detail)
    rules = _rules(graph)
    countries = {row[0]: row[1] for row in graph.query(
        f"SELECT ?o ?c WHERE {{ VALUES ?o {{ {_values(ids)} }} ?o titp:country ?c }}").rows}
    rule_iris = sorted({r for v in rules.values() for r, _ in v})
    rule_names = data.labels(graph, rule_iris)
    srcs = data.sources(graph, ids + rule_iris)
    country_names = data.labels(graph, sorted(set(countries.values())))

    flow: dict[str, int] = {}
    for (a, b, _), hop in hops.items():
        flow[a] = flow.get(a, 0) + hop["workers"]
        flow[b] = flow.get(b, 0) + hop["workers"]
    nodes = []
    for iri in ids:
        key, label, layer = classes[iri]
        details = [("IRI", iri), ("workers through it (in view)", f"{flow.get(iri, 0):,}")]
        if iri in countries:
            details.append(("country", country_names[countries[iri]][0]))
        nodes.append(Node(iri, names[iri][0], names[iri][1], cls=label, group=key, sources=srcs.get(iri, []),
                          synthetic=iri in synth, details=details, layer=layer, focus=iri == focus,
                          size=10 + 3 * math.sqrt(flow.get(iri, 0)), weight=flow.get(iri, 0)))
    edges = []
    for (a, b, kind), hop in sorted(hops.items()):
        title, _ = HOPS[kind]
        paid = fees.get((a, b, kind), [])
        details = [("hop", title), ("from", names[a][0]), ("to", names[b][0]),
                   ("placements / agreements", f"{len(hop['placements']):,}"), ("workers", f"{hop['workers']:,}")]
        totals: dict[tuple[str, str], Decimal] = {}
        in_jpy = Decimal(0)
        for cat, cur, amount, amount_jpy in paid:
            totals[(cat, cur)] = totals.get((cat, cur), Decimal(0)) + amount
            in_jpy += amount_jpy
        cat_names = data.labels(graph, [c for c, _ in totals if c]) if totals else {}
        for (cat, cur), amount in sorted(totals.items()):
            details.append((f"fees workers paid to {names[a][0]}: {cat_names[cat][0] if cat else 'uncategorised'}",
                            money(amount, cur)))
        edge_sources: list[Source] = []
        for rule, text in rules.get(countries.get(a, ""), []):
            details.append(("governing rule", f"{rule_names[rule][0]}: {text}".rstrip(": ")))
            edge_sources += srcs.get(rule, [])
        label = money(in_jpy, "JPY") + " fees" if paid else ""
        edges.append(Edge(a, b, label, cls=title, group=kind, sources=edge_sources,
                          synthetic=a in synth or b in synth or any(p in synth for p in hop["placements"]),
                          details=details, width=1 + min(8.0, math.sqrt(hop["workers"]))))
    legend = [Group(k, label, colour) for k, label, colour, _ in ORG_CLASSES if any(n.group == k for n in nodes)]
    legend.append(Group("edge", "hop (width: workers; label: fees workers paid to the first organization, in JPY)", "#8c8c8c", "edge"))
    view = View("chain", f"Recruitment chain around {names[focus][0]}",
                f"Organizations within {depth} hop{'s' if depth > 1 else ''} of the selected one (thick border), "
                "columns from broker to sending organization, supervising organization and employer. "
                "Hover an edge for the fees workers paid and the fee rule that governs the hop, with its source.",
                nodes, edges, legend, layout="layers")
    if not hops:
        view.notes.append("No placements or intermediation agreements involve this organization.")
    return cap(view, max_nodes, "organizations")


def busiest(graph, limit: int = 3, detail=None) -> list[str]:
    """The supervising organizations with the most placements (for the build's sample
    chains), most first, ties by IRI; from ``detail``'s records when given."""
    if detail is None:
        res = graph.query(f"""SELECT ?o (COUNT(?p) AS ?n) WHERE {{ ?p a titp:Placement ; titp:supervisingOrganization ?o }}
            GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT {int(limit)}""")
        return [row[0] for row in res.rows]
    pairs = {(row.p, row.sup) for row in detail.placements if row.sup is not None}
    counts: dict[str, int] = {}
    for _, sup in pairs:
        counts[sup] = counts.get(sup, 0) + 1
    return sorted(counts, key=lambda o: (-counts[o], o))[:max(0, int(limit))]
