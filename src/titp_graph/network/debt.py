"""Competency question 6: how many months of wages recruitment debt takes to repay.

Months = principal / monthly wage of the placement the debt finances, where both are in
the same currency (missing currencies count as JPY). The store returns a histogram per
nationality (months rounded to 0.1), not one row per worker, so the query stays small at
national scale; the mean is exact, the median is read from the histogram (to 0.1 month).
"""
from __future__ import annotations

from collections import defaultdict

from .detail import DEBT_MONTHS
from .sparql import number, run
from .table import Analysis, Table

HISTOGRAM = ("SELECT ?nat ?months (COUNT(?d) AS ?debts) (SUM(?exact) AS ?sumMonths) WHERE {" + DEBT_MONTHS
             + "  BIND(ROUND(?exact * 10) / 10 AS ?months)\n} GROUP BY ?nat ?months\n")


def weighted_median(histogram: list[tuple[float, int]]) -> float:
    """The median of values given as (value, count) pairs.

    >>> weighted_median([(4.0, 1), (8.0, 1)])
    6.0
    >>> weighted_median([(1.0, 3), (9.0, 1)])
    1.0
    """
    items = sorted(histogram)
    total = sum(c for _, c in items)
    if not total:
        return 0.0

    def nth(i):  # the i-th value (0-based) in sorted order
        seen = 0
        for value, count in items:
            seen += count
            if i < seen:
                return value
        return items[-1][0]
    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def summarize(rows: list[dict], threshold: float) -> list[list]:
    """[nationality, debts, mean, median, max, share above threshold %] per nationality.

    >>> summarize([{"nat": "VN", "months": 4, "debts": 1, "sumMonths": 4},
    ...            {"nat": "VN", "months": 8, "debts": 1, "sumMonths": 8}], 6)
    [['VN', 2, 6.0, 6.0, 8.0, 50.0]]
    """
    by_nat: dict[str, list] = defaultdict(list)
    for r in rows:
        by_nat[r.get("nat") or ""].append((number(r["months"]), int(r["debts"]), number(r["sumMonths"])))
    out = []
    for nat in sorted(by_nat):
        hist = by_nat[nat]
        debts = sum(c for _, c, _ in hist)
        above = sum(c for m, c, _ in hist if m > threshold)
        out.append([nat, debts, sum(s for _, _, s in hist) / debts, weighted_median([(m, c) for m, c, _ in hist]),
                    max(m for m, _, _ in hist), 100.0 * above / debts])
    return out


def _histogram(graph, summary: bool | None) -> list[dict]:
    """The histogram rows: from the build's summaries when present (see .summaries), else the detail."""
    if summary is not False:
        from .summaries import debt_bins, has_summaries
        if summary or has_summaries(graph):
            return debt_bins(graph)
    return run(graph, HISTOGRAM)


def debt_burden(graph, threshold: float = 6.0, summary: bool | None = None) -> Analysis:
    """Months of wages to repay recruitment debt, by nationality."""
    table = Table("debt", "Months of wages to repay recruitment debt, by nationality",
                  ["nationality", "debts", "mean_months", "median_months", "max_months",
                   f"share_over_{threshold:g}_months_pct"], summarize(_histogram(graph, summary), threshold))
    return Analysis("debt", [table], {"months": "principal / monthly wage (same currency); median to 0.1 month",
                                      "threshold_months": threshold})
