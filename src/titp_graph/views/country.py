"""Country view: one sending country's chain to Japan, aggregated.

Columns: the country -> its sending organizations -> the supervising organizations they
send to -> the prefectures of the employers. Nodes and edges are sized by worker flow
(``titp:workerCount`` of cohort placements, 1 per individual placement). The grouping is
done in SPARQL, or over the build's placement records when it holds them (the same rows,
see :func:`flow_rows`), so the browser only ever sees aggregates. Beyond the node cap, the
smallest organizations of each column merge into one "other ..." node, and the page says so.
"""
from __future__ import annotations

import math

import pyoxigraph as ox

from ..errors import TitpError
from ..namespaces import PREFIXES
from . import data
from .base import DEFAULT_MAX_NODES, Edge, Group, Node, View

#: JIS X 0401 prefecture codes -> (English, Japanese).
PREFECTURES = dict(enumerate([
    ("Hokkaido", "北海道"), ("Aomori", "青森県"), ("Iwate", "岩手県"), ("Miyagi", "宮城県"), ("Akita", "秋田県"),
    ("Yamagata", "山形県"), ("Fukushima", "福島県"), ("Ibaraki", "茨城県"), ("Tochigi", "栃木県"), ("Gunma", "群馬県"),
    ("Saitama", "埼玉県"), ("Chiba", "千葉県"), ("Tokyo", "東京都"), ("Kanagawa", "神奈川県"), ("Niigata", "新潟県"),
    ("Toyama", "富山県"), ("Ishikawa", "石川県"), ("Fukui", "福井県"), ("Yamanashi", "山梨県"), ("Nagano", "長野県"),
    ("Gifu", "岐阜県"), ("Shizuoka", "静岡県"), ("Aichi", "愛知県"), ("Mie", "三重県"), ("Shiga", "滋賀県"),
    ("Kyoto", "京都府"), ("Osaka", "大阪府"), ("Hyogo", "兵庫県"), ("Nara", "奈良県"), ("Wakayama", "和歌山県"),
    ("Tottori", "鳥取県"), ("Shimane", "島根県"), ("Okayama", "岡山県"), ("Hiroshima", "広島県"), ("Yamaguchi", "山口県"),
    ("Tokushima", "徳島県"), ("Kagawa", "香川県"), ("Ehime", "愛媛県"), ("Kochi", "高知県"), ("Fukuoka", "福岡県"),
    ("Saga", "佐賀県"), ("Nagasaki", "長崎県"), ("Kumamoto", "熊本県"), ("Oita", "大分県"), ("Miyazaki", "宮崎県"),
    ("Kagoshima", "鹿児島県"), ("Okinawa", "沖縄県")], start=1))

COLUMNS = [("country", "Sending country", "#98df8a"), ("sending", "Sending organization", "#1f77b4"),
           ("supervising", "Supervising organization", "#2ca02c"), ("prefecture", "Prefecture of the employers", "#ffbb33")]
PREF_BASE = "urn:titp-graph:view:prefecture:"
OTHER_BASE = "urn:titp-graph:view:other:"

FLOWS = """SELECT ?country ?s ?sup ?pref (SUM(?w) AS ?workers) (COUNT(?p) AS ?placements) WHERE {
  ?s titp:country ?country .
  ?p titp:sendingOrganization ?s ; titp:supervisingOrganization ?sup ; titp:employer ?e .
  OPTIONAL { ?p titp:workerCount ?wc }
  BIND(COALESCE(?wc, 1) AS ?w)
  OPTIONAL { ?e titp:prefecture ?pref0 }
  BIND(COALESCE(STR(?pref0), "") AS ?pref)
} GROUP BY ?country ?s ?sup ?pref"""


#: Where organizations are based and where employers are, for :func:`flow_rows` over records.
ORG_COUNTRIES = "SELECT ?o ?c WHERE { ?o titp:country ?c }"
EMPLOYER_PREFECTURES = "SELECT ?e (STR(?pref0) AS ?pref) WHERE { ?e titp:prefecture ?pref0 }"


def _attributes(graph, detail) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(organization -> countries, employer -> prefectures), read once per detail."""
    cached = getattr(detail, "_country_view_attributes", None)
    if cached is None:
        countries: dict[str, list[str]] = {}
        for o, c in graph.query(ORG_COUNTRIES).rows:
            countries.setdefault(o, []).append(c)
        prefectures: dict[str, list[str]] = {}
        for e, pref in graph.query(EMPLOYER_PREFECTURES).rows:
            prefectures.setdefault(e, []).append(pref)
        cached = detail._country_view_attributes = (countries, prefectures)
    return cached


def flow_rows(graph, country: str, detail=None) -> list[tuple]:
    """The rows of :data:`FLOWS` for one country: (country, sending organization,
    supervising organization, prefecture code or "", workers, placements).

    With ``detail`` (the build's placement records) the same grouping is done in Python:
    each placement counted once per (sending, supervising, employer, worker count), joined
    with the sending organization's country and the employer's prefecture, as the query's
    join does."""
    if detail is None:
        return graph.query(FLOWS, params={"country": ox.NamedNode(country)}).rows
    countries, prefectures = _attributes(graph, detail)
    acc: dict[tuple, list[int]] = {}
    seen = set()
    for row in detail.placements:
        if row.s is None or row.sup is None or country not in countries.get(row.s, ()):
            continue
        key = (row.p, row.s, row.sup, row.e, row.n)
        if key in seen:
            continue
        seen.add(key)
        for pref in prefectures.get(row.e, ("",)):
            item = acc.setdefault((row.s, row.sup, pref), [0, 0])
            item[0] += int(row.n)
            item[1] += 1
    return [(country, s, sup, pref, workers, placements)
            for (s, sup, pref), (workers, placements) in sorted(acc.items())]


def country_iri(code: str) -> str:
    """``VN``, ``country:VN`` or the full IRI -> the country IRI."""
    code = code.strip()
    if code.startswith("country:"):
        code = code[len("country:"):]
    if code.startswith("http"):
        return code
    if not (len(code) == 2 and code.isalpha()):
        raise TitpError(f"--country {code!r}: expected an ISO 3166-1 alpha-2 code such as VN")
    return PREFIXES["country"] + code.upper()


def prefecture_label(code: str) -> tuple[str, str]:
    try:
        en, ja = PREFECTURES[int(code)]
        return f"{en} ({code})", ja
    except (ValueError, KeyError):
        return (f"prefecture {code}" if code else "prefecture unknown"), ""


def _merge_small(totals: dict[str, int], keep: int, other_id: str) -> dict[str, str]:
    """Map each id to itself, or to ``other_id`` if it is not among the ``keep`` biggest."""
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    kept = set(ranked[:keep])
    return {k: (k if k in kept else other_id) for k in totals}


def build(graph, code: str, max_nodes: int = DEFAULT_MAX_NODES, detail=None) -> View:
    """The country view; ``detail`` (the build's records) saves aggregating in the store."""
    country = country_iri(code)
    rows = flow_rows(graph, country, detail)
    sending_tot: dict[str, int] = {}
    sup_tot: dict[str, int] = {}
    pref_tot: dict[str, int] = {}
    for _, s, sup, pref, workers, _ in rows:
        sending_tot[s] = sending_tot.get(s, 0) + int(workers)
        sup_tot[sup] = sup_tot.get(sup, 0) + int(workers)
        pref_tot[pref] = pref_tot.get(pref, 0) + int(workers)
    notes = []
    # budget: 1 country + up to 48 prefectures; split the rest between the two org columns
    budget = max(2, max_nodes - 1 - min(len(pref_tot), 48))
    keep_s = max(1, min(len(sending_tot), budget // 2))
    keep_sup = max(1, min(len(sup_tot), budget - keep_s))
    other_s, other_sup = OTHER_BASE + "sending", OTHER_BASE + "supervising"
    map_s = _merge_small(sending_tot, keep_s - (len(sending_tot) > keep_s), other_s)
    map_sup = _merge_small(sup_tot, keep_sup - (len(sup_tot) > keep_sup), other_sup)
    merged_s = sum(1 for k, v in map_s.items() if v != k)
    merged_sup = sum(1 for k, v in map_sup.items() if v != k)
    if merged_s or merged_sup:
        notes.append(f"Too many organizations for one page (cap {max_nodes:,} nodes): "
                     f"{merged_s:,} smaller sending and {merged_sup:,} smaller supervising organizations "
                     "are merged into the \"other\" nodes; raise --max-nodes to see more.")

    flows: dict[tuple[str, str], int] = {}
    def add(a, b, n):
        flows[(a, b)] = flows.get((a, b), 0) + n
    for _, s, sup, pref, workers, _ in rows:
        s2, sup2, p2 = map_s[s], map_sup[sup], PREF_BASE + (pref or "unknown")
        add(country, s2, int(workers))
        add(s2, sup2, int(workers))
        add(sup2, p2, int(workers))

    real_ids = sorted({country} | {v for v in map_s.values() if v != other_s}
                      | {v for v in map_sup.values() if v != other_sup})
    names = data.labels(graph, real_ids)
    srcs = data.sources(graph, real_ids)
    synth = data.synthetic(graph, real_ids)
    size_of: dict[str, int] = {}
    for (a, b), n in flows.items():
        size_of[b] = size_of.get(b, 0) + n
    size_of[country] = sum(sending_tot.values())
    nodes = []
    for node_id, n in sorted(size_of.items()):
        if node_id == country:
            layer, en, ja, detail = 0, *names[country], []
        elif node_id.startswith(PREF_BASE):
            layer, detail = 3, []
            en, ja = prefecture_label(node_id[len(PREF_BASE):])
        elif node_id == other_s:
            layer, en, ja, detail = 1, f"other sending organizations ({merged_s:,})", "", []
        elif node_id == other_sup:
            layer, en, ja, detail = 2, f"other supervising organizations ({merged_sup:,})", "", []
        else:
            layer = 1 if node_id in sending_tot else 2
            en, ja = names[node_id]
            detail = [("IRI", node_id)]
        key, cls, _ = COLUMNS[layer]
        nodes.append(Node(node_id, en, ja, cls=cls, group=key, sources=srcs.get(node_id, []),
                          synthetic=node_id in synth, details=detail + [("workers", f"{n:,}")],
                          size=8 + 2.5 * math.sqrt(n), weight=n, layer=layer))
    peak = max(flows.values(), default=1)
    edges = [Edge(a, b, f"{n:,}", cls="worker flow", group="flow",
                  synthetic=a in synth or b in synth,
                  details=[("workers", f"{n:,}")], width=1 + 10 * n / peak)
             for (a, b), n in sorted(flows.items())]
    legend = [Group(k, label, colour) for k, label, colour in COLUMNS]
    legend.append(Group("flow", "worker flow (width: workers)", "#8c8c8c", "edge"))
    view = View("country", f"From {names[country][0]} to Japan: sending organizations, supervisors, prefectures",
                f"Workers placed through sending organizations based in {names[country][0]}, aggregated: "
                "which supervising organizations receive them and in which prefectures their employers are. "
                "Node and edge sizes follow the number of workers.",
                nodes, edges, legend, notes=notes, layout="layers", edge_labels=True)
    if not rows:
        view.notes.append(f"No placements through sending organizations in {names[country][0]} in this graph.")
    return view


def sending_countries(graph, detail=None) -> list[str]:
    """ISO codes of countries that have sending organizations with placements."""
    base = PREFIXES["country"]
    if detail is None:
        res = graph.query("""SELECT DISTINCT ?c WHERE { ?p titp:sendingOrganization ?s . ?s titp:country ?c }""")
        found = {r[0] for r in res.rows}
    else:
        countries, _ = _attributes(graph, detail)
        found = {c for s in {row.s for row in detail.placements if row.s is not None} for c in countries.get(s, ())}
    return sorted(c[len(base):] for c in found if c.startswith(base))
