"""Generate a synthetic recruitment network and stream it to N-Triples or Turtle.

Why synthetic: real worker-level chains are not public (and must not be, for the workers'
safety), yet the analyses (fees by tier, debt burden, brokerage, caps) need a network to run
on at national scale. The generator draws one placement per worker along a skeleton of
organizations (see :mod:`.network`) so that nationality shares, fees, broker use, borrowing and
debt follow the published marginals in :mod:`.params`. Same seed and size give the same bytes:
one ``random.Random(seed)`` drawn in a fixed order, and subjects written in generation order.
Every node is typed, flagged ``titp:synthetic true`` and lives under ``syn:``; organization
labels say "Synthetic". Workers carry a pseudonymous id only.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import TitpError
from . import params as P
from .network import Network, build_network, pick
from .writer import AtomicStream, Syntax

MAX_WORKERS = 5_000_000
P_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@dataclass
class SynthReport:
    path: Path
    workers: int
    seed: int
    triples: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def run_key(seed: int, workers: int) -> str:
    """The key every IRI of one run starts with, so two runs loaded together never merge."""
    return f"s{seed}-n{workers}"


def _syntax_for(path: Path) -> Syntax:
    name = path.name.lower()
    if name.endswith(".nt"):
        return Syntax(turtle=False)
    if name.endswith(".ttl"):
        return Syntax(turtle=True)
    raise TitpError(f"--out {path}: unknown extension; use .nt (N-Triples) or .ttl (Turtle)")


class _Emitter:
    """Terms rendered once, and a counter of triples and nodes written."""

    def __init__(self, syntax: Syntax, out: AtomicStream):
        self.s, self.out = syntax, out
        self.triples = 0
        self.counts: dict[str, int] = {}
        t = syntax.term
        self.a = "a" if syntax.turtle else f"<{P_RDF}type>"
        self.synthetic = t("titp", "synthetic")
        self.true = "true" if syntax.turtle else self.s.typed("true", "boolean")
        self.label = t("rdfs", "label")
        self.jpy = syntax.string("JPY")
        self.cls = {name: t("titp", name) for name in (
            "SyntheticDataset", "SendingOrganization", "Broker", "Lender", "SupervisingOrganization",
            "ImplementingOrganization", "IntermediationAgreement", "Sanction", "Worker", "Placement",
            "Payment", "Debt")}
        self.p = {name: t("titp", name) for name in (
            "country", "prefecture", "approvalStatus", "sendingOrganization", "supervisingOrganization",
            "signedOn", "sanctionedOrganization", "sanctionType", "date", "reason", "identifier",
            "worker", "broker", "employer", "program", "nationality", "startDate", "endDate",
            "monthlyWage", "wageCurrency", "payer", "payee", "amount", "currency", "feeCategory",
            "bornBy", "forPlacement", "debtor", "creditor", "principal", "interestRatePercent",
            "financesPlacement")}
        self.country = {c: t("country", c) for c in P.COUNTRIES + ("JP",)}
        self.feecat = {k: t("feecat", k) for k in ("dispatch-fee", "pre-departure-education",
                                                    "deposit-penalty", "related-cost", "broker-fee")}
        self.titp_program = t("program", "titp")

    def node(self, kind: str, subject: str, cls: str, pairs: list[tuple[str, str]]) -> None:
        pairs = [(self.a, self.cls[cls]), (self.synthetic, self.true)] + pairs
        self.out.write(self.s.subject(subject, pairs))
        self.triples += len(pairs)
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def date(self, iso: str) -> str:
        return self.s.typed(iso, "date")

    def decimal(self, value: int | float | str) -> str:
        return self.s.typed(str(value), "decimal")


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw with the given arithmetic mean."""
    return mean * math.exp(sigma * rng.gauss(0.0, 1.0) - sigma * sigma / 2)


def _plus_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    while True:
        try:
            return day.replace(year=year, month=month)
        except ValueError:  # 29-31 in a shorter month: the month's last day
            day = day.replace(day=day.day - 1)


def _dataset(e: _Emitter, net: Network, seed: int, workers: int) -> str:
    s = e.s
    subject = s.node("dataset", net.run)
    sources = [(s.term("prov", "wasDerivedFrom"), s.term("src", key)) for key in P.sources()]
    e.node("dataset", subject, "SyntheticDataset", [
        (e.label, s.string(f"Synthetic TITP recruitment network (seed {seed}, {workers} workers)", "en")),
        (s.term("dct", "description"), s.string(
            f"Generated by titp-graph synth {P.GENERATOR_VERSION} with seed {seed} for {workers} "
            "workers. NOT real organizations or people. Nationality shares, fees before arrival, "
            "broker use, borrowing and debt follow published statistics (cited by "
            "prov:wasDerivedFrom); network shape, wages, interest rates and sanction rates are "
            "assumptions listed in titp_graph/synth/params.py.", "en")),
        (s.term("dct", "hasVersion"), s.string(P.GENERATOR_VERSION)),
        *sources,
    ])
    return subject


def _organizations(e: _Emitter, net: Network) -> None:
    s = e.s
    for kind, cls, table, title in (("sending-organization", "SendingOrganization", net.sending, "Sending Org"),
                                    ("broker", "Broker", net.brokers, "Broker"),
                                    ("lender", "Lender", net.lenders, "Lender")):
        for c in P.COUNTRIES:
            for key in table[c]:
                extra = [(e.p["approvalStatus"], s.string("approved"))] if kind == "sending-organization" else []
                e.node(kind, s.node(kind, key), cls, [
                    (e.label, s.string(f"Synthetic {title} {c}-{key.rsplit('-', 1)[1]}", "en")),
                    (e.p["country"], e.country[c]), *extra])
    for sup in net.supervisors:
        e.node("supervising-organization", s.node("supervising-organization", sup.key), "SupervisingOrganization", [
            (e.label, s.string(f"Synthetic Supervising Org {sup.key.rsplit('-', 1)[1]}", "en")),
            (e.p["country"], e.country["JP"]), (e.p["prefecture"], s.string(sup.prefecture))])
    for sup_index, c, so_index, signed in net.agreements:
        sup = net.supervisors[sup_index]
        so_key = net.sending[c][so_index]
        e.node("intermediation-agreement", s.node("intermediation-agreement", f"{sup.key}-{so_key[len(net.run) + 1:]}"),
               "IntermediationAgreement", [
                   (e.p["sendingOrganization"], s.node("sending-organization", so_key)),
                   (e.p["supervisingOrganization"], s.node("supervising-organization", sup.key)),
                   (e.p["signedOn"], e.date(signed))])
    for n, (sup_index, kind, day) in enumerate(net.sanctions, 1):
        e.node("sanction", s.node("sanction", f"{net.run}-{n:04d}"), "Sanction", [
            (e.p["sanctionedOrganization"], s.node("supervising-organization", net.supervisors[sup_index].key)),
            (e.p["sanctionType"], s.term("sanction", kind)),
            (e.p["date"], e.date(day)),
            (e.p["reason"], s.string("Synthetic disposition drawn at an assumed rate; not a real case", "en"))])
    for idx, (pref, sup_index) in enumerate(zip(net.employer_prefecture, net.employer_supervisor), 1):
        e.node("employer", s.node("employer", f"{net.run}-{idx:05d}"), "ImplementingOrganization", [
            (e.label, s.string(f"Synthetic Employer {idx:05d}", "en")),
            (e.p["country"], e.country["JP"]), (e.p["prefecture"], s.string(pref))])


def _workers(e: _Emitter, net: Network, rng: random.Random, workers: int, say: Callable[[str], None]) -> None:
    s, p, run = e.s, e.p, net.run
    countries = P.COUNTRIES
    first = dt.date.fromisoformat(P.START_FROM).toordinal()
    last = dt.date.fromisoformat(P.START_UNTIL).toordinal()
    sigma = P.AMOUNT_SIGMA.value
    q_deposit = P.DEPOSIT_PAYER_SHARE.value
    wage_mean, wage_sd, wage_floor = P.WAGE_MEAN.value, P.WAGE_SD.value, P.WAGE_FLOOR.value
    rate_lo, rate_hi = P.INTEREST_RATE_RANGE[0].value, P.INTEREST_RATE_RANGE[1].value
    per = {}
    for c in countries:
        broker_share = P.per_country(P.BROKER_SHARE, P.BROKER_SHARE_OTHER, c)
        broker_mean = P.per_country(P.BROKER_FEE_MEAN, P.BROKER_FEE_MEAN_OTHER, c)
        total = P.per_country(P.FEE_TOTAL_MEAN, P.FEE_TOTAL_MEAN_OTHER, c)
        so_mean = total - broker_share * broker_mean   # so that the mean total is the survey's
        if so_mean <= 0:
            raise TitpError(f"synth parameters: broker fees exceed the total fee for {c}")
        split = P.SENDING_ORG_SPLIT.get(c, P.SENDING_ORG_SPLIT["*"])
        per[c] = (broker_share, broker_mean, so_mean, sorted(split.items()),
                  P.per_country(P.BORROWED_SHARE, P.BORROWED_SHARE_OTHER, c),
                  P.per_country(P.DEBT_MEAN, P.DEBT_MEAN_OTHER, c))
    so_nodes = {c: [s.node("sending-organization", k) for k in keys] for c, keys in net.sending.items()}
    broker_nodes = {c: [s.node("broker", k) for k in keys] for c, keys in net.brokers.items()}
    lender_nodes = {c: [s.node("lender", k) for k in keys] for c, keys in net.lenders.items()}
    sup_nodes = [s.node("supervising-organization", sup.key) for sup in net.supervisors]
    emp_nodes = [s.node("employer", f"{run}-{i:05d}") for i in range(1, len(net.employer_prefecture) + 1)]
    jitter_sd = P.SPLIT_JITTER_SIGMA
    report_every = max(1, workers // 10)

    for i in range(1, workers + 1):
        c = countries[pick(rng, net.country_cum)]
        broker_share, broker_mean, so_mean, split, borrow_share, debt_mean = per[c]
        sup_ids, sup_cum = net.serving[c]
        sup = net.supervisors[sup_ids[pick(rng, sup_cum)]]
        partners = sup.partners[c]
        so = so_nodes[c][partners[rng.randrange(len(partners))]]
        emp = emp_nodes[sup.employers[pick(rng, sup.employer_cum)]]
        broker = broker_nodes[c][rng.randrange(len(broker_nodes[c]))] if rng.random() < broker_share else None
        start = dt.date.fromordinal(rng.randint(first, last))
        wage = max(wage_floor, round(rng.gauss(wage_mean, wage_sd) / 100) * 100)

        key = f"{run}-{i:07d}"
        worker = s.node("worker", key)
        placement = s.node("placement", key)
        e.node("worker", worker, "Worker", [(p["identifier"], s.string(key))])
        pairs = [(p["worker"], worker), (p["sendingOrganization"], so)]
        if broker:
            pairs.append((p["broker"], broker))
        pairs += [(p["supervisingOrganization"], sup_nodes[sup.index]), (p["employer"], emp),
                  (p["program"], e.titp_program), (p["nationality"], e.country[c]),
                  (p["startDate"], e.date(start.isoformat())),
                  (p["endDate"], e.date(_plus_months(start, P.CONTRACT_MONTHS).isoformat())),
                  (p["monthlyWage"], e.decimal(int(wage))), (p["wageCurrency"], e.jpy)]
        e.node("placement", placement, "Placement", pairs)

        so_total = _lognormal(rng, so_mean, sigma)
        payments = []
        for category, share in split:
            amount = so_total * share * math.exp(jitter_sd * rng.gauss(0.0, 1.0) - jitter_sd * jitter_sd / 2)
            if category == "deposit-penalty":
                if rng.random() >= q_deposit:
                    continue
                amount /= q_deposit
            payments.append((category, so, amount))
        if broker:
            payments.append(("broker-fee", broker, _lognormal(rng, broker_mean, sigma)))
        for n, (category, payee, amount) in enumerate(payments, 1):
            paid = start - dt.timedelta(days=rng.randint(30, 270))
            e.node("payment", s.node("payment", f"{key}-{n}"), "Payment", [
                (p["payer"], worker), (p["payee"], payee), (p["amount"], e.decimal(round(amount))),
                (p["currency"], e.jpy), (p["feeCategory"], e.feecat[category]), (p["bornBy"], worker),
                (p["date"], e.date(paid.isoformat())), (p["forPlacement"], placement)])

        if rng.random() < borrow_share:
            lender = lender_nodes[c][rng.randrange(len(lender_nodes[c]))]
            rate = round(rng.uniform(rate_lo, rate_hi), 1)
            e.node("debt", s.node("debt", key), "Debt", [
                (p["debtor"], worker), (p["creditor"], lender),
                (p["principal"], e.decimal(round(_lognormal(rng, debt_mean, sigma)))),
                (p["currency"], e.jpy), (p["interestRatePercent"], e.decimal(f"{rate:.1f}")),
                (p["financesPlacement"], placement)])
        if i % report_every == 0:
            say(f"synth: {i:,} of {workers:,} workers")


def generate(out: str | Path, workers: int, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> SynthReport:
    """Write a synthetic network of ``workers`` interns to ``out`` (.nt or .ttl), atomically."""
    say = progress or (lambda message: None)
    out = Path(out)
    if not isinstance(workers, int) or workers < 1 or workers > MAX_WORKERS:
        raise TitpError(f"--workers {workers}: must be a whole number from 1 to {MAX_WORKERS:,}")
    if not isinstance(seed, int) or seed < 0:
        raise TitpError(f"--seed {seed}: must be a whole number, 0 or more")
    syntax = _syntax_for(out)
    rng = random.Random(seed)
    net = build_network(rng, workers, run_key(seed, workers))
    say(f"synth: {len(net.supervisors):,} supervising orgs, "
        f"{sum(map(len, net.sending.values())):,} sending orgs, {len(net.employer_prefecture):,} employers")
    report = SynthReport(out, workers, seed)
    with AtomicStream(out) as stream:
        stream.write(syntax.header())
        e = _Emitter(syntax, stream)
        dataset = _dataset(e, net, seed, workers)
        _organizations(e, net)
        _workers(e, net, rng, workers, say)
        # the size of the dataset, counting this very triple
        e.triples += 1
        stream.write(syntax.subject(dataset, [(syntax.term("void", "triples"),
                                               syntax.typed(str(e.triples), "integer"))]))
    report.triples, report.counts = e.triples, dict(sorted(e.counts.items()))
    say(f"synth: wrote {report.triples:,} triples to {out}")
    return report
