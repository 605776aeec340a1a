"""The deliberate projection of the store onto a networkx graph of organizations.

Nodes are organizations that hold a position in a placement (sending organization,
broker, supervising organization, employer); edges are recruitment relations summed over
placements, built from three aggregate queries rather than triple by triple:

* broker -> sending organization (``recruits-for``): workers, fees workers paid the broker;
* sending -> supervising organization (``sends-to``): workers, fees workers paid the sending
  organization or others before arrival, intermediation agreements;
* supervising organization -> employer (``places-with``): workers, fees workers paid on the
  Japanese side.

``weight`` is the worker count. Every attribute is a str, int, float or bool, so GraphML
and GEXF always write. Node and edge order is sorted, so output is deterministic.
"""
from __future__ import annotations

from collections import defaultdict

import networkx as nx
import pyoxigraph as ox

from ..namespaces import ONTOLOGY, compact
from ..results import to_python
from .sparql import number, run

AGREEMENTS = """
SELECT ?s ?sup (COUNT(DISTINCT ?a) AS ?agreements) WHERE {
  ?a a titp:IntermediationAgreement ; titp:sendingOrganization ?s ; titp:supervisingOrganization ?sup .
} GROUP BY ?s ?sup
"""

#: Attributes of every organization that holds a position in some placement.
ORGANIZATIONS = """
SELECT ?org (SAMPLE(?roleName) AS ?role) (MIN(?label0) AS ?label)
       (MIN(?country0) AS ?country) (MIN(STR(?pref0)) AS ?prefecture) (MAX(?syn0) AS ?synthetic) WHERE {
  { SELECT DISTINCT ?org ?roleName WHERE {
      VALUES (?prop ?roleName) { (titp:sendingOrganization "sending") (titp:broker "broker")
                                 (titp:supervisingOrganization "supervising") (titp:employer "employer") }
      ?p a titp:Placement ; ?prop ?org .
  } }
""" + (_ATTRIBUTES := """
  OPTIONAL { ?org rdfs:label ?l . FILTER(LANG(?l) = "en" || LANG(?l) = "") }
  OPTIONAL { ?org rdfs:label ?lany }
  BIND(STR(COALESCE(?l, ?lany)) AS ?label0)
  OPTIONAL { ?org titp:country ?country0 }
  OPTIONAL { ?org titp:prefecture ?pref0 }
  OPTIONAL { ?org titp:synthetic ?syn }
  BIND(COALESCE(?syn, false) AS ?syn0)
} GROUP BY ?org
""")

#: The same attributes for organizations named in ``VALUES`` (roles found beforehand).
ORGANIZATION_ATTRIBUTES = """
SELECT ?org (MIN(?label0) AS ?label) (MIN(?country0) AS ?country) (MIN(STR(?pref0)) AS ?prefecture)
       (MAX(?syn0) AS ?synthetic) WHERE {
  {VALUES}
""" + _ATTRIBUTES

SANCTIONS = """
SELECT ?org (COUNT(DISTINCT ?x) AS ?sanctions) (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types) WHERE {
  ?x a titp:Sanction ; titp:sanctionedOrganization ?org .
  OPTIONAL { ?x titp:sanctionType ?type }
} GROUP BY ?org
"""

# Which edge carries a fee, by who received it within the chain.
_FEE_HOP = {"broker": "recruits-for", "sending": "sends-to", "other": "sends-to",
            "supervising": "places-with", "employer": "places-with"}
# The class preferred when an organization is typed with several (most specific first).
_CLASS_ORDER = ["ImplementingOrganization", "SSWAffiliatedOrganization", "Employer", "Broker",
                "SendingOrganization", "SupervisionSupportOrganization", "SupervisingOrganization"]


def chain_hops(chain: dict) -> list[tuple[str, str, str]]:
    """The hops (from, to, relation) of one chain record with keys s, b, sup, e.

    >>> chain_hops({"s": "S", "b": "B", "sup": "U", "e": "E"})
    [('B', 'S', 'recruits-for'), ('S', 'U', 'sends-to'), ('U', 'E', 'places-with')]
    >>> chain_hops({"s": "S", "e": "E"})
    [('S', 'E', 'places-with')]
    """
    hops = []
    s, b, sup, e = (chain.get(k) for k in ("s", "b", "sup", "e"))
    if b and s:
        hops.append((b, s, "recruits-for"))
    if s and sup:
        hops.append((s, sup, "sends-to"))
    upstream = sup or s or b
    if upstream and e:
        hops.append((upstream, e, "places-with"))
    return hops


def fee_hop(chain: dict, payee_role: str) -> tuple[str, str, str] | None:
    """The hop of ``chain`` that a worker-borne fee paid to ``payee_role`` belongs to.

    >>> fee_hop({"s": "S", "b": "B", "sup": "U", "e": "E"}, "broker")
    ('B', 'S', 'recruits-for')
    >>> fee_hop({"s": "S", "sup": "U", "e": "E"}, "other")
    ('S', 'U', 'sends-to')
    """
    hops = chain_hops(chain)
    wanted = _FEE_HOP.get(payee_role, "sends-to")
    for hop in hops:
        if hop[2] == wanted:
            return hop
    return hops[0] if hops else None


def _best_class(classes: list[str]) -> str:
    names = [c[len(ONTOLOGY):] if c.startswith(ONTOLOGY) else c for c in classes if c]
    for name in _CLASS_ORDER:
        if name in names:
            return name
    return sorted(names)[0] if names else ""


_IN_PLACEMENT = "?p a titp:Placement ; ?prop ?org ."


def _org_rows(graph, positions: str = _IN_PLACEMENT) -> dict[str, dict]:
    """Attributes of the organizations that hold a position in ``positions`` (a pattern
    binding ?org through ?prop: placements in the detail, or the summary observations)."""
    roles: dict = defaultdict(set)
    for org, role in graph.query("""SELECT DISTINCT ?org ?roleName WHERE {
          VALUES (?prop ?roleName) { (titp:sendingOrganization "sending") (titp:broker "broker")
                                     (titp:supervisingOrganization "supervising") (titp:employer "employer") }
          """ + positions + """ }""").terms:
        roles[org].add(role.value)
    orgs = {}
    if all(isinstance(org, ox.NamedNode) for org in roles):
        # the organizations first, then their classes and attributes with VALUES: joined in
        # one query the store walked every rdf:type triple and every placement position
        # (~70 s on a national store; a few seconds this way)
        found = sorted(roles, key=lambda o: o.value)
        chunks = [f"VALUES ?org {{ {' '.join(map(str, found[i:i + 2000]))} }}" for i in range(0, len(found), 2000)]
        attributes = [rec for chunk in chunks
                      for rec in run(graph, ORGANIZATION_ATTRIBUTES.replace("{VALUES}", chunk))]
    else:  # a blank node cannot be named in VALUES: the joined queries
        chunks = ["""{ SELECT DISTINCT ?org WHERE {
          VALUES ?prop { titp:sendingOrganization titp:broker titp:supervisingOrganization titp:employer }
          """ + positions + """ } }"""]
        attributes = run(graph, ORGANIZATIONS.replace(_IN_PLACEMENT, positions))
    # an organization in several positions: the first role in alphabetical order (stable)
    role_of = {to_python(org): min(names) for org, names in roles.items()}
    classes: dict[str, list[str]] = defaultdict(list)
    # MIN(?class) alone would pick an arbitrary superclass; collect all, choose the specific one
    for chunk in chunks:
        for org, cls in graph.query(f"""SELECT DISTINCT ?org ?c WHERE {{ {chunk}
                ?org a ?c . FILTER(STRSTARTS(STR(?c), STR(titp:))) }}""").rows:
            classes[org].append(cls)
    for rec in attributes:
        iri = rec["org"]
        role = role_of.get(iri, "")
        orgs[iri] = {
            "label": rec.get("label") or compact(iri),
            "class": _best_class(classes.get(iri, [])) or role,
            "role": role,
            "country": compact(rec["country"]).split(":")[-1] if rec.get("country") else "",
            "prefecture": rec.get("prefecture") or "",
            "synthetic": bool(rec.get("synthetic")),
            "sanctions": 0,
            "sanction_types": "",
        }
    for rec in run(graph, SANCTIONS):
        if rec["org"] in orgs:
            orgs[rec["org"]]["sanctions"] = int(rec["sanctions"])
            orgs[rec["org"]]["sanction_types"] = " ".join(
                sorted(compact(t) for t in (rec.get("types") or "").split()))
    return orgs


def build_network(orgs: dict[str, dict], chains: list[dict], fees: list[dict],
                  agreements: list[dict]) -> nx.DiGraph:
    """The organization graph from query records (pure: no store needed).

    >>> g = build_network({}, [{"s": "S", "sup": "U", "e": "E", "workers": 3, "placements": 1}],
    ...                   [{"s": "S", "sup": "U", "e": "E", "payeeRole": "sending", "fees": 500}], [])
    >>> g.edges["S", "U"]["workers"], g.edges["S", "U"]["fees_worker_jpy"], g.edges["U", "E"]["weight"]
    (3, 500, 3)
    """
    edges: dict[tuple[str, str], dict] = {}

    def edge(u, v, relation):
        key = (u, v)
        if key not in edges:
            edges[key] = {"relation": relation, "workers": 0, "placements": 0,
                          "fees_worker_jpy": 0, "fee_payments": 0, "unconverted_payments": 0,
                          "agreements": 0}
        return edges[key]

    for chain in chains:
        for u, v, relation in chain_hops(chain):
            data = edge(u, v, relation)
            data["workers"] += int(chain.get("workers", 0))
            data["placements"] += int(chain.get("placements", 0))
    for rec in fees:
        hop = fee_hop(rec, rec.get("payeeRole", "other"))
        if hop:
            data = edge(*hop)
            data["fees_worker_jpy"] += int(round(number(rec.get("fees"))))
            data["fee_payments"] += int(rec.get("payments", 0))
            data["unconverted_payments"] += int(rec.get("unconvertedPayments", 0))
    for rec in agreements:
        if (rec["s"], rec["sup"]) in edges:
            edges[rec["s"], rec["sup"]]["agreements"] = int(rec["agreements"])

    return network_from_hops(orgs, [(u, v, data) for (u, v), data in edges.items()])


def network_from_hops(orgs: dict[str, dict], hops: list[tuple[str, str, dict]]) -> nx.DiGraph:
    """The DiGraph from organization attributes and summed hops (sorted, so deterministic)."""
    edges = {(u, v): data for u, v, data in hops}
    g = nx.DiGraph(name="titp-graph organization network")
    nodes = sorted({n for key in edges for n in key} | set(orgs))
    blank = {"label": "", "class": "", "role": "", "country": "", "prefecture": "",
             "synthetic": False, "sanctions": 0, "sanction_types": ""}
    for n in nodes:
        attrs = dict(blank, **orgs.get(n, {}))
        attrs["label"] = attrs["label"] or compact(n)
        g.add_node(n, **attrs)
    for (u, v) in sorted(edges):
        data = edges[u, v]
        g.add_edge(u, v, weight=data["workers"], **data)
    return g


def project(graph, org=None, summary: bool | None = None, hops: list | None = None) -> nx.DiGraph:
    """Project a :class:`~titp_graph.TitpGraph` onto a networkx ``DiGraph`` of organizations.

    With ``org``, only the chains through that organization are projected. Without it, the
    build's pre-computed summaries are read when the store has them (see :mod:`.summaries`);
    ``hops`` are those summaries' hops when the caller (the build, which just wrote them)
    already holds them: reading 1.8M quads back out of a national on-disk store takes a minute.
    """
    if org is None and summary is not False:
        from .summaries import SUMMARY_GRAPH, has_summaries, hop_edges
        if hops is not None or summary or has_summaries(graph):
            return network_from_hops(_org_rows(graph, f"GRAPH <{SUMMARY_GRAPH}> {{ ?p ?prop ?org }}"),
                                     hops if hops is not None else hop_edges(graph))
    from . import detail as _detail

    found = _detail.read(graph, org)
    chains, fees = _detail.chains(found), _detail.chain_fees(found)
    agreements = run(graph, AGREEMENTS)
    orgs = _org_rows(graph)
    if org is not None:
        keep = {n for c in chains for n in (c.get("s"), c.get("b"), c.get("sup"), c.get("e")) if n}
        orgs = {k: v for k, v in orgs.items() if k in keep}
    return build_network(orgs, chains, fees, agreements)
