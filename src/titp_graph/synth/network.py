"""The organizations of a synthetic network and who works with whom, before any worker.

Why a separate step: placements must follow real relationships (a supervising organization
only receives interns from sending organizations it has an intermediation agreement with, and
places them with its own implementing organizations), so the skeleton is built first and
workers are then drawn along it. Sizes are skewed (Zipf-like) and counts scale with the
number of workers, reaching the national counts at ``params.NATIONAL_WORKERS``.
"""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from . import params as P


def scaled(national: float, workers: int, minimum: int) -> int:
    """``national`` scaled to ``workers`` interns (national scale = ``NATIONAL_WORKERS``)."""
    return max(minimum, round(national * workers / P.NATIONAL_WORKERS.value))


def zipf(n: int, exponent: float, offset: float = 1.0) -> list[float]:
    return [1.0 / (rank + offset) ** exponent for rank in range(n)]


def cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def pick(rng: random.Random, cum: list[float]) -> int:
    """Index drawn with probability proportional to its weight (``cum``: running totals)."""
    return bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)


def allocate(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder), each
    at least ``minimum``; deterministic, so it needs no randomness."""
    n = len(weights)
    spare = max(0, total - minimum * n)
    wsum = sum(weights)
    exact = [spare * w / wsum for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(n), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


@dataclass
class Supervisor:
    index: int
    key: str
    prefecture: str
    weight: float
    #: country -> indices (within that country) of sending orgs it has agreements with
    partners: dict[str, list[int]] = field(default_factory=dict)
    employers: list[int] = field(default_factory=list)  # global employer indices
    employer_cum: list[float] = field(default_factory=list)


@dataclass
class Network:
    run: str
    sending: dict[str, list[str]]        # country -> sending org keys
    brokers: dict[str, list[str]]        # country -> broker keys
    lenders: dict[str, list[str]]        # country -> lender keys
    supervisors: list[Supervisor]
    employer_prefecture: list[str]       # employer index -> JIS code
    employer_supervisor: list[int]
    agreements: list[tuple[int, str, int, str]]   # (supervisor, country, sending index, signed on)
    sanctions: list[tuple[int, str, str]]          # (supervisor, sanction type key, date)
    #: country -> (supervisor indices serving it, their cumulative weights)
    serving: dict[str, tuple[list[int], list[float]]]
    country_cum: list[float]


def _date_between(rng: random.Random, first: str, last: str) -> str:
    a, b = dt.date.fromisoformat(first).toordinal(), dt.date.fromisoformat(last).toordinal()
    return dt.date.fromordinal(rng.randint(a, b)).isoformat()


def build_network(rng: random.Random, workers: int, run: str) -> Network:
    """The organizations and their relations for ``workers`` interns, drawn from ``rng``."""
    countries = P.COUNTRIES
    cweights = [P.NATIONALITY_WEIGHTS[c].value for c in countries]
    wsum = sum(cweights)

    n_super = scaled(P.NATIONAL_SUPERVISING_ORGS.value, workers, 3)
    n_employers = scaled(P.NATIONAL_EMPLOYERS.value, workers, n_super)

    # sending orgs in proportion to each country's share of interns, at least one per country
    per_country = [scaled(P.NATIONAL_SENDING_ORGS.value * w / wsum, workers, 1) for w in cweights]
    sending = {c: [f"{run}-{c.lower()}-{i:04d}" for i in range(1, n + 1)]
               for c, n in zip(countries, per_country)}
    brokers = {c: [f"{run}-{c.lower()}-{i:04d}" for i in range(1, max(1, round(n * P.BROKERS_PER_SENDING_ORG.value)) + 1)]
               for c, n in zip(countries, per_country)}
    lenders = {c: [f"{run}-{c.lower()}-{i:04d}" for i in range(1, max(1, round(n * P.LENDERS_PER_SENDING_ORG.value)) + 1)]
               for c, n in zip(countries, per_country)}
    sending_cum = {c: cumulative(zipf(len(keys), P.SENDING_ORG_ZIPF)) for c, keys in sending.items()}

    prefs = sorted(P.PREFECTURE_WEIGHTS)
    pref_cum = cumulative([P.PREFECTURE_WEIGHTS[p] for p in prefs])
    country_cum = cumulative(cweights)
    kcount = sorted(P.SUPERVISOR_COUNTRY_COUNT_WEIGHTS)
    kcum = cumulative([P.SUPERVISOR_COUNTRY_COUNT_WEIGHTS[k] for k in kcount])

    supervisors: list[Supervisor] = []
    for j, weight in enumerate(zipf(n_super, P.SUPERVISOR_ZIPF, P.SUPERVISOR_ZIPF_OFFSET)):
        sup = Supervisor(j, f"{run}-{j + 1:04d}", prefs[pick(rng, pref_cum)], weight)
        wanted = kcount[pick(rng, kcum)]
        chosen: list[str] = []
        while len(chosen) < wanted:
            c = countries[pick(rng, country_cum)]
            if c not in chosen:
                chosen.append(c)
        for c in sorted(chosen):
            sup.partners[c] = []
        supervisors.append(sup)

    # every country is served by at least one supervisor (the biggest ones pick them up)
    sup_cum = cumulative([s.weight for s in supervisors])
    for c in countries:
        if not any(c in s.partners for s in supervisors):
            supervisors[pick(rng, sup_cum)].partners[c] = []

    for sup in supervisors:
        for c in sorted(sup.partners):
            keys, cum = sending[c], sending_cum[c]
            wanted = min(len(keys), rng.randint(1, P.MAX_AGREEMENTS_PER_COUNTRY))
            chosen_so: list[int] = []
            while len(chosen_so) < wanted:
                i = pick(rng, cum)
                if i not in chosen_so:
                    chosen_so.append(i)
            sup.partners[c] = sorted(chosen_so)

    # every sending org has at least one partner
    for c in countries:
        used = {i for s in supervisors for i in s.partners.get(c, ())}
        serving_c = [s for s in supervisors if c in s.partners]
        cum = cumulative([s.weight for s in serving_c])
        for i in range(len(sending[c])):
            if i not in used:
                partners = serving_c[pick(rng, cum)].partners[c]
                partners.append(i)
                partners.sort()

    agreements = [(sup.index, c, i, _date_between(rng, P.AGREEMENT_FROM, P.AGREEMENT_UNTIL))
                  for sup in supervisors for c in sorted(sup.partners) for i in sup.partners[c]]

    # employers: each belongs to one supervisor, mostly in its prefecture
    employer_prefecture: list[str] = []
    employer_supervisor: list[int] = []
    for sup, count in zip(supervisors, allocate(n_employers, [s.weight for s in supervisors], 1)):
        for _ in range(count):
            idx = len(employer_prefecture)
            same = rng.random() < P.EMPLOYER_SAME_PREFECTURE
            employer_prefecture.append(sup.prefecture if same else prefs[pick(rng, pref_cum)])
            employer_supervisor.append(sup.index)
            sup.employers.append(idx)
        sup.employer_cum = cumulative(zipf(count, P.EMPLOYER_ZIPF))

    # sanctions: a fixed count per type (at least one, so small samples show the pattern)
    sanctions: list[tuple[int, str, str]] = []
    free = list(range(n_super))
    for kind in sorted(P.SANCTION_RATES):
        count = min(len(free), max(1, round(P.SANCTION_RATES[kind].value * n_super)))
        for sup_index in sorted(rng.sample(free, count)):
            sanctions.append((sup_index, kind, _date_between(rng, P.SANCTION_FROM, P.SANCTION_UNTIL)))
            free.remove(sup_index)

    serving = {}
    for c in countries:
        idx = [s.index for s in supervisors if c in s.partners]
        serving[c] = (idx, cumulative([supervisors[i].weight for i in idx]))

    assert abs(country_cum[-1] - wsum) < 1e-6
    return Network(run, sending, brokers, lenders, supervisors, employer_prefecture,
                   employer_supervisor, agreements, sanctions, serving, country_cum)
