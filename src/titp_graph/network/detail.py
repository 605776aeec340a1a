"""The placements and worker-borne payments behind every chain analysis, read once.

Why: each analysis used to be its own SPARQL aggregate over every placement and payment
(chains, fees by hop, employer-pays, country caps, bonds). On a national-scale on-disk store
each pass costs minutes (a triple-pattern lookup is ~10 µs there and a payment needs ten),
and the country-cap pass joined rules inside the store (194 s at 3M triples). Here two
queries read the detail once, payments already summed per (placement, bearer, payee,
category, currency); the analyses are plain Python over those records, the same code for
a hand-made test graph, one organization's chains and the whole country.

Semantics are those of the SPARQL they replace: a placement is ``?p a titp:Placement ;
titp:employer ?e`` with optional sending organization, broker, supervising organization,
nationality and worker count (1 if absent); a worker-borne payment is one whose
``titp:bornBy`` (else ``titp:payer``) is a ``titp:Worker``; its JPY value is
``titp:amountJPY``, else the amount when the currency is JPY, else 0 and it counts as
unconverted. Optional properties with several values multiply rows, as SPARQL does.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..results import to_python
from .sparql import ORG_FILTER, PLACEMENT, org_term

PLACEMENTS = """
SELECT ?p ?e ?s ?b ?sup ?nat ?n (STR(?start0) AS ?start) ?end ?wage (STR(?wageCur0) AS ?wageCur) ?prog WHERE {{ORG}
""" + PLACEMENT + """
  OPTIONAL { ?p titp:startDate ?start0 }
  OPTIONAL { ?p titp:endDate ?end }
  OPTIONAL { ?p titp:monthlyWage ?wage }
  OPTIONAL { ?p titp:wageCurrency ?wageCur0 }
  OPTIONAL { ?p titp:program ?prog }
}
"""

#: Worker-borne payments summed per placement, bearer, payee, category, currency and
#: whether a JPY value was given.
PAYMENTS = """
SELECT ?p ?bearer ?payee ?cat (STR(?cur0) AS ?cur) ?hasJPY (SUM(?amount) AS ?amountSum)
       (SUM(COALESCE(?aj, 0)) AS ?jpySum) (COUNT(?pay) AS ?payments) WHERE {{ORG}
  ?pay titp:forPlacement ?p . ?pay a titp:Payment ; titp:amount ?amount .
  OPTIONAL { ?pay titp:bornBy ?bornBy }
  OPTIONAL { ?pay titp:payer ?payer }
  BIND(COALESCE(?bornBy, ?payer) AS ?bearer)
  FILTER(BOUND(?bearer) && EXISTS { ?bearer a titp:Worker })
  OPTIONAL { ?pay titp:currency ?cur0 }
  OPTIONAL { ?pay titp:amountJPY ?aj }
  OPTIONAL { ?pay titp:payee ?payee }
  OPTIONAL { ?pay titp:feeCategory ?cat }
  BIND(BOUND(?aj) AS ?hasJPY)
} GROUP BY ?p ?bearer ?payee ?cat ?cur0 ?hasJPY
"""

#: Each debt with the months of wages it takes to repay (principal / monthly wage of the
#: placement it finances, same currency, missing currencies counting as JPY): the rows the
#: debt histogram (:mod:`.debt`) and the high-debt evidence (:mod:`.forced_labour`) group.
#: ``DEBT_MONTHS`` binds ?d ?p ?nat and the months as ?exact.
DEBT_MONTHS = """
  ?d a titp:Debt ; titp:principal ?principal ; titp:financesPlacement ?p .
  ?p titp:monthlyWage ?wage .
  FILTER(?wage > 0)
  OPTIONAL { ?p titp:nationality ?nat0 }
  BIND(COALESCE(?nat0, "") AS ?nat)
  OPTIONAL { ?d titp:currency ?dc }
  OPTIONAL { ?p titp:wageCurrency ?wc }
  FILTER(STR(COALESCE(?dc, "JPY")) = STR(COALESCE(?wc, "JPY")))
  BIND(?principal / ?wage AS ?exact)
"""
DEBTS = "SELECT ?d ?p ?nat (?exact AS ?months) WHERE {{ORG}" + DEBT_MONTHS + "}\n"

#: With an organization, its placements come first (an index lookup), then their payments.
_ORG_PAYMENTS = "\n  ?p a titp:Placement ; titp:employer ?e .\n"

CHAIN = ("s", "b", "sup", "e", "nat")


class Record:
    """One row of a detail query with its variables as attributes (None when unbound).

    Why not dicts: a national build holds ~2.6 million of these, and a dict of nine keys
    takes 280 bytes where these take 112. ``get`` and ``[]`` read them like the query
    records they replace.
    """

    __slots__ = ()

    def __init__(self, *values, **named):
        for key, value in zip(self.__slots__, values):
            setattr(self, key, value)
        for key in self.__slots__[len(values):]:
            setattr(self, key, named.get(key))

    def get(self, key: str, default=None):
        value = getattr(self, key, None)
        return default if value is None else value

    def __getitem__(self, key: str):
        value = getattr(self, key, None)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return getattr(self, key, None) is not None

    def items(self) -> list[tuple]:
        return [(k, getattr(self, k)) for k in self.__slots__ if getattr(self, k) is not None]

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self.items() == other.items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"


class PlacementRow(Record):
    """A placement with one value of each property (rows multiply as in SPARQL); ``n`` is
    its worker count (1 when not given)."""

    __slots__ = ("p", "e", "s", "b", "sup", "nat", "n", "start", "end", "wage", "wageCur", "prog")


class PaymentGroup(Record):
    """Worker-borne payments of one placement summed per bearer, payee, category, currency
    and whether a JPY value was given."""

    __slots__ = ("p", "bearer", "payee", "cat", "cur", "hasJPY", "amountSum", "jpySum", "payments")


class DebtRow(Record):
    """A debt with the months of wages it takes to repay (``nat`` "" when not given)."""

    __slots__ = ("d", "p", "nat", "months")


def _records(cls, rows) -> list:
    return [row if isinstance(row, cls) else cls(**row) for row in rows]


@dataclass
class Detail:
    """Placement rows, payment groups and debt rows (plain Python values), as the queries
    give them (dicts given are turned into :class:`Record` objects)."""

    placements: list[PlacementRow] = field(default_factory=list)
    payments: list[PaymentGroup] = field(default_factory=list)
    debts: list[DebtRow] = field(default_factory=list)

    def __post_init__(self):
        self.placements = _records(PlacementRow, self.placements)
        self.payments = _records(PaymentGroup, self.payments)
        self.debts = _records(DebtRow, self.debts)
        for row in self.placements:
            if row.n is None:
                row.n = 1

    def payments_by_placement(self) -> dict[str, list[PaymentGroup]]:
        out: dict[str, list] = defaultdict(list)
        for pay in self.payments:
            out[pay.p].append(pay)
        return out


def select(graph, query: str, cls=dict) -> list:
    """Records of a SELECT (``cls`` built from each solution's bound variables), read
    straight from the store (no table formatting on the way)."""
    result = graph.store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    out = []
    shared: dict = {}  # one str object per distinct IRI or string: national scale repeats them millions of times
    for solution in result:
        rec = {}
        for name, value in zip(names, map(to_python, solution)):
            if value is not None:
                rec[name] = shared.setdefault(value, value) if isinstance(value, str) else value
        out.append(cls(**rec))
    return out


def read(graph, org: str | ox.NamedNode | None = None) -> Detail:
    """The detail of every placement (or of those ``org`` holds a position in)."""
    snippet, pay_query = "", PAYMENTS
    if org is not None:
        term = org if isinstance(org, ox.NamedNode) else org_term(org)
        snippet = f"VALUES ?org {{ {term} }}" + ORG_FILTER
        pay_query = PAYMENTS.replace("{{ORG}", "{{ORG}" + _ORG_PAYMENTS)
    return Detail(select(graph, PLACEMENTS.replace("{ORG}", snippet), PlacementRow),
                  select(graph, pay_query.replace("{ORG}", snippet), PaymentGroup),
                  select(graph, DEBTS.replace("{ORG}", snippet), DebtRow))


def chain_key(rec) -> tuple:
    """(sending, broker, supervising, employer, nationality) of a placement row or chain
    record, "" for those not given."""
    if isinstance(rec, PlacementRow):
        return (rec.s or "", rec.b or "", rec.sup or "", rec.e or "", rec.nat or "")
    return tuple(rec.get(k) or "" for k in CHAIN)


def _chain_dict(key: tuple) -> dict:
    return {k: v for k, v in zip(CHAIN, key) if v}


def _distinct_placements(detail: Detail) -> list[dict]:
    """One row per placement and chain (programs, dates and wages folded away): the rows
    that chain counts sum over."""
    seen, out = set(), []
    for row in detail.placements:
        key = (row.p, chain_key(row), row.n)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def chains(detail: Detail) -> list[dict]:
    """Per chain: workers (sum of worker counts), placements, and the placements'
    distinct "start|program" pairs (for the norms in force), sorted by chain.

    >>> d = Detail([{"p": "P1", "e": "E", "s": "S", "n": 2, "start": "2024-04-01", "prog": "T"},
    ...             {"p": "P2", "e": "E", "s": "S", "n": 1}])
    >>> chains(d)
    [{'s': 'S', 'e': 'E', 'workers': 3, 'placements': 2, 'starts': '2024-04-01|T'}]
    """
    acc: dict[tuple, dict] = {}
    for row in _distinct_placements(detail):
        key = chain_key(row)
        item = acc.setdefault(key, {"workers": 0, "placements": 0, "starts": set()})
        item["workers"] += int(row.get("n", 1))
        item["placements"] += 1
    for row in detail.placements:
        if row.get("start"):
            acc[chain_key(row)]["starts"].add(f"{row['start']}|{row.get('prog') or ''}")
    return [dict(_chain_dict(key), workers=v["workers"], placements=v["placements"],
                 starts=" ".join(sorted(v["starts"]))) for key, v in sorted(acc.items())]


def payee_role(chain: dict, payee: str | None) -> str:
    """Who in the chain received a payment.

    >>> payee_role({"s": "S", "e": "E"}, "S"), payee_role({"s": "S", "e": "E"}, None)
    ('sending', 'other')
    """
    if not payee:
        return "other"
    for key, role in (("b", "broker"), ("s", "sending"), ("sup", "supervising"), ("e", "employer")):
        if chain.get(key) and payee == chain[key]:
            return role
    return "other"


def jpy(pay: dict) -> tuple[Decimal, int]:
    """(JPY value, unconverted payments) of a payment group.

    >>> jpy({"hasJPY": False, "cur": "JPY", "amountSum": Decimal(5), "payments": 2})
    (Decimal('5'), 0)
    >>> jpy({"hasJPY": False, "cur": "VND", "amountSum": Decimal(5), "payments": 2})
    (Decimal('0'), 2)
    """
    if pay.get("hasJPY"):
        return Decimal(pay.get("jpySum", 0)), 0
    if pay.get("cur") == "JPY":
        return Decimal(pay["amountSum"]), 0
    return Decimal(0), int(pay["payments"])


def _joined(detail: Detail):
    """(placement row, payment group) pairs, rows multiplied as a SPARQL join would."""
    by_p = detail.payments_by_placement()
    for row in _distinct_placements(detail):
        for pay in by_p.get(row["p"], ()):
            yield row, pay


def chain_fees(detail: Detail) -> list[dict]:
    """Worker-borne fees per chain and payee role: fees (JPY), payments, unconverted payments."""
    acc: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0])
    for row, pay in _joined(detail):
        role = payee_role(row, pay.get("payee"))
        value, unconverted = jpy(pay)
        item = acc[chain_key(row) + (role,)]
        item[0] += value
        item[1] += int(pay["payments"])
        item[2] += unconverted
    return [dict(_chain_dict(key[:-1]), payeeRole=key[-1], fees=v[0], payments=v[1], unconvertedPayments=v[2])
            for key, v in sorted(acc.items())]


def employer_pays(detail: Detail, categories: dict[str, bool]) -> list[dict]:
    """Worker-borne payments in categories the employer must pay (``categories`` maps each
    such category to whether it is also illegitimate), per chain and category."""
    acc: dict[tuple, dict] = {}
    for row, pay in _joined(detail):
        cat = pay.get("cat")
        if cat not in categories:
            continue
        value, unconverted = jpy(pay)
        item = acc.setdefault(chain_key(row) + (cat,), {"illegitimate": categories[cat], "payments": 0,
                                                         "bearers": set(), "fees": Decimal(0),
                                                         "unconvertedPayments": 0})
        item["payments"] += int(pay["payments"])
        item["bearers"].add(pay.get("bearer"))
        item["fees"] += value
        item["unconvertedPayments"] += unconverted
    return [dict(_chain_dict(key[:-1]), cat=key[-1], illegitimate=v["illegitimate"], payments=v["payments"],
                 workers=len(v["bearers"]), fees=v["fees"], unconvertedPayments=v["unconvertedPayments"])
            for key, v in sorted(acc.items())]


def category_payments(detail: Detail, wanted: set[str]) -> list[dict]:
    """Per chain: count and JPY amount of worker-borne payments in the ``wanted`` categories."""
    acc: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for row, pay in _joined(detail):
        if pay.get("cat") in wanted:
            item = acc[chain_key(row)]
            item[0] += int(pay["payments"])
            item[1] += jpy(pay)[0]
    return [dict(_chain_dict(key), count=v[0], amountJPY=v[1]) for key, v in sorted(acc.items())]


def _date(lexical):
    """A date for contract months from a start date's lexical form (None if not a full date)."""
    try:
        return dt.date.fromisoformat(lexical[:10]) if lexical and len(lexical) >= 10 else None
    except ValueError:
        return None


def in_force(rule: dict, start: str) -> bool:
    """In force at ``start`` (lexical forms compared as strings, so "2017" covers 2017-06-01)."""
    if rule["from"] and not any(start >= f for f in rule["from"]):
        return False
    return not any(start >= u for u in rule["until"])


def cap_candidates(detail: Detail, rules: list[dict], broader: dict[str, set[str]]) -> list[dict]:
    """Placement x country-rule rows with what the worker paid in the rule's basis currency.

    ``rules``: dicts with rule, kind, country, from/until/programs/covers (sets), per12,
    maxMonths, capAmount, capCurrency. ``broader``: each category's broader categories,
    itself included (the skos:broader* closure). A placement counts for a rule of its
    nationality in force at its start, for its program (if the rule names programs), with
    at least one worker-borne payment in a category the rule covers. A rule naming no fee
    category is not judged: it is about charges no fee category records (housing, commuting,
    a fee at a stage the data does not carry), and counting every payment against it would
    report breaches that are not there.
    """
    by_p = detail.payments_by_placement()
    by_country: dict[str, list[dict]] = defaultdict(list)
    for rule in rules:
        by_country[rule["country"]].append(rule)
    acc: dict[tuple, list] = {}
    for row in detail.placements:
        start, nat = row.get("start"), row.get("nat")
        if not start or not nat:
            continue
        payments = by_p.get(row["p"], ())
        if not payments:
            continue
        for rule in by_country.get(nat, ()):
            if not rule["covers"] or not in_force(rule, start):
                continue
            if rule["programs"] and row.get("prog") and row["prog"] not in rule["programs"]:
                continue
            if rule.get("capAmount") is not None:
                basis = str(rule.get("capCurrency") or "JPY")
            else:
                basis = str(row.get("wageCur") or "JPY")
            paid, count, not_comparable = Decimal(0), 0, 0
            for pay in payments:
                cat = pay.get("cat")
                if cat is not None and not (broader.get(cat, {cat}) & rule["covers"]):
                    continue
                n = int(pay["payments"])
                count += n
                if pay.get("cur") == basis:
                    paid += Decimal(pay["amountSum"])
                elif basis == "JPY" and pay.get("hasJPY"):
                    paid += Decimal(pay.get("jpySum", 0))
                else:
                    not_comparable += n
            if not count:
                continue
            key = (row["p"], chain_key(row), row.get("n", 1), rule["rule"], row.get("start"), row.get("end"),
                   row.get("wage"))
            item = acc.setdefault(key, [rule, row, Decimal(0), 0, 0])
            item[2] += paid
            item[3] += count
            item[4] += not_comparable
    out = []
    for key in sorted(acc, key=lambda k: tuple(str(v) for v in k)):
        rule, row, paid, count, not_comparable = acc[key]
        out.append(dict(_chain_dict(chain_key(row)), p=row["p"], n=row.get("n", 1), rule=rule["rule"],
                        kind=rule["kind"], per12=rule.get("per12"), maxMonths=rule.get("maxMonths"),
                        capAmount=rule.get("capAmount"), wage=row.get("wage"), start=_date(row.get("start")),
                        end=row.get("end"), paid=paid, payments=count, notComparable=not_comparable))
    return out


def _round_tenth(value):
    from .scan import round_tenth
    return round_tenth(value)


def debt_histogram(detail: Detail) -> list[dict]:
    """Debts per nationality and months of wages rounded to 0.1 (with the exact months
    summed): the rows of the :data:`.debt.HISTOGRAM` query, from the debt rows.

    >>> debt_histogram(Detail(debts=[{"d": "D1", "p": "P", "nat": "VN", "months": Decimal("4.04")},
    ...                              {"d": "D2", "p": "P", "nat": "VN", "months": Decimal("3.96")}]))
    [{'nat': 'VN', 'months': Decimal('4'), 'debts': 2, 'sumMonths': Decimal('8')}]
    """
    from .scan import add
    acc: dict[tuple, list] = {}
    for row in detail.debts:
        key = (row.get("nat") or "", _round_tenth(row["months"]))
        item = acc.get(key)
        if item is None:
            acc[key] = [1, row["months"]]
        else:
            item[0] += 1
            item[1] = add(item[1], row["months"])
    return [{"nat": nat, "months": months, "debts": v[0], "sumMonths": v[1]}
            for (nat, months), v in sorted(acc.items(), key=lambda kv: (kv[0][0], float(kv[0][1])))]


def high_debts(detail: Detail, threshold: float) -> list[dict]:
    """Per chain: debts above ``threshold`` months of wages (distinct debts) and the most
    months (the debt evidence of :mod:`.forced_labour`).

    >>> d = Detail([{"p": "P", "e": "E", "n": 1}], debts=[{"d": "D", "p": "P", "nat": "", "months": 8}])
    >>> high_debts(d, 6)
    [{'e': 'E', 'count': 1, 'maxMonths': 8}]
    """
    by_p: dict[str, set] = defaultdict(set)
    for row in detail.debts:
        if row["months"] > threshold:
            by_p[row["p"]].add((row["d"], row["months"]))
    acc: dict[tuple, list] = {}
    for row in detail.placements:
        found = by_p.get(row["p"])
        if not found:
            continue
        item = acc.setdefault(chain_key(row), [set(), None])
        for d, months in found:
            item[0].add(d)
            if item[1] is None or months > item[1]:
                item[1] = months
    return [dict(_chain_dict(key), count=len(v[0]), maxMonths=v[1]) for key, v in sorted(acc.items())]
