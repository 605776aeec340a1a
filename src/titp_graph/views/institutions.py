"""Institutions view: programs, laws, agencies, bilateral agreements, fee rules, countries.

Shows how the regime hangs together and when it changes: "succeeded by" and "superseded
by" edges carry the successor's start date, so the TITP -> ESD switch on 2027-04-01 is
visible at a glance (drawn thick, in orange).
"""
from __future__ import annotations

from ..namespaces import ONTOLOGY
from . import data
from .base import DEFAULT_MAX_NODES, Edge, Group, Node, View, cap

T = ONTOLOGY

#: Most specific first: a node takes the first class it has.
CLASSES = [
    ("BilateralAgreement", "Bilateral agreement (MOC)", "#9467bd"),
    ("Law", "Law", "#1f77b4"),
    ("Ordinance", "Ordinance", "#4a90c8"),
    ("Notice", "Notice", "#7fb3d5"),
    ("CabinetDecision", "Cabinet decision", "#17becf"),
    ("Guideline", "Guideline (ILO instrument)", "#8c564b"),
    ("LegalInstrument", "Legal instrument", "#1f77b4"),
    ("FeeRule", "Fee rule (cap or ban)", "#e377c2"),
    ("Program", "Program", "#2ca02c"),
    ("Reform", "Reform", "#bcbd22"),
    ("GovernmentAgency", "Government agency", "#ffbb33"),
    ("InternationalOrganization", "International organization", "#c49c94"),
    ("Country", "Country", "#98df8a"),
]

#: Relations drawn, with the property that dates a change (on the object) if any.
RELATIONS = ["succeededBy", "supersededBy", "governsProgram", "issuedBy", "jurisdiction", "party",
             "counterpartCountry", "operatedIn", "amends", "basedOn", "definedBy", "appliesToCountry",
             "implementedBy", "country"]
TRANSITIONS = {"succeededBy", "supersededBy"}
TRANSITION_COLOUR = "#ff7f0e"
DATE_PROPS = ["validFrom", "validUntil", "inForceFrom", "inForceUntil", "signedOn", "enactedOn", "promulgatedOn"]


def build(graph, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    class_values = " ".join(f"titp:{c}" for c, _, _ in CLASSES)
    res = graph.query(f"""SELECT DISTINCT ?x ?c WHERE {{ VALUES ?c {{ {class_values} }}
        ?x a/rdfs:subClassOf* ?c . FILTER(isIRI(?x)) }}""")
    rank = {T + c: i for i, (c, _, _) in enumerate(CLASSES)}
    best: dict[str, str] = {}
    for x, c in res.terms:
        if x.value not in best or rank[c.value] < rank[best[x.value]]:
            best[x.value] = c.value
    # provisions stand for their law, so rules "defined by" an article attach to the law
    part_of = {row[0]: row[1] for row in graph.query(
        "SELECT ?p ?law WHERE { ?p titp:partOf ?law }").rows}

    rel_values = " ".join(f"titp:{r}" for r in RELATIONS)
    triples = graph.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {rel_values} }} ?s ?p ?o . FILTER(isIRI(?o)) }}").rows
    edges_raw = set()
    for s, p, o in triples:
        o = o if o in best else part_of.get(o, o)
        if s in best and o in best and s != o:
            edges_raw.add((s, p[len(T):], o))
    # countries only if something links to them (the graph may list every country)
    linked = {s for s, _, _ in edges_raw} | {o for _, _, o in edges_raw}
    ids = sorted(x for x, c in best.items() if c != T + "Country" or x in linked)
    keep = set(ids)
    edges_raw = sorted(e for e in edges_raw if e[0] in keep and e[2] in keep)

    dates: dict[str, list[tuple[str, str]]] = {}
    date_values = " ".join(f"titp:{d}" for d in DATE_PROPS)
    for s, p, d in graph.query(f"SELECT ?s ?p ?d WHERE {{ VALUES ?p {{ {date_values} }} ?s ?p ?d }}").rows:
        if s in keep:
            dates.setdefault(s, []).append((p[len(T):], str(d)))
    prop_labels = data.labels(graph, [T + r for r in RELATIONS])
    names = data.labels(graph, ids)
    srcs = data.sources(graph, ids)
    synth = data.synthetic(graph, ids)
    degree: dict[str, int] = {}
    for s, _, o in edges_raw:
        degree[s] = degree.get(s, 0) + 1
        degree[o] = degree.get(o, 0) + 1

    groups = {T + c: (c, label) for c, label, _ in CLASSES}
    nodes = []
    for x in ids:
        key, cls = groups[best[x]]
        en, ja = names[x]
        details = [("IRI", x)] + [(_humane(p), d) for p, d in sorted(dates.get(x, []))]
        nodes.append(Node(x, en, ja, cls=cls, group=key, sources=srcs.get(x, []), synthetic=x in synth,
                          details=details, size=10 + 3 * min(degree.get(x, 0), 10),
                          weight=degree.get(x, 0)))
    edges = []
    for s, p, o in edges_raw:
        en, ja = prop_labels[T + p]
        start = _first(dates.get(o, []), ("validFrom", "inForceFrom")) if p in TRANSITIONS else ""
        end = _first(dates.get(s, []), ("validUntil", "inForceUntil")) if p in TRANSITIONS else ""
        when = start or end
        label = f"{en} ({when})" if when else en
        details = [("from", names[s][0]), ("to", names[o][0])]
        if start:
            details.append(("successor in force from", start))
        if end:
            details.append(("predecessor ends", end))
        edges.append(Edge(s, o, label, f"{ja} ({when})" if ja and when else ja, cls=f"titp:{p}",
                          group="transition" if p in TRANSITIONS else "relation",
                          sources=srcs.get(s, []), synthetic=s in synth or o in synth, details=details,
                          width=4.0 if p in TRANSITIONS else 1.2))
    legend = [Group(c, label, colour) for c, label, colour in CLASSES
              if any(n.group == c for n in nodes)]
    legend += [Group("transition", "succeeded / superseded by (with date)", TRANSITION_COLOUR, "edge"),
               Group("relation", "other relation (governs, issued by, party to ...)", "#8c8c8c", "edge")]
    view = View("institutions", "Institutions: programs, laws, agencies and agreements",
                "How the programs, the laws and bilateral agreements that govern them, the agencies "
                "that run them and the countries involved connect. Orange edges mark a program or "
                "norm being replaced, with the date (TITP \u2192 ESD on 2027-04-01). "
                "Edge sources are those of the element the relation is stated on.",
                nodes, edges, legend)
    if not nodes:
        view.notes.append("The graph has no programs, laws, agencies or agreements yet.")
    return cap(view, max_nodes)


def _first(pairs: list[tuple[str, str]], props: tuple[str, ...]) -> str:
    for prop in props:
        values = sorted(d for p, d in pairs if p == prop)
        if values:
            return values[0]
    return ""


def _humane(prop: str) -> str:
    out = "".join(" " + c.lower() if c.isupper() else c for c in prop)
    return out.strip()
