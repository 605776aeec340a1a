"""The marginals the synthetic network reproduces, as data, each with where it comes from.

Why a module of plain data: the generator must never hide a number. Every figure here is
either a sourced statistic (a ``FACTS.md`` row and the ``src:`` key of its source document,
which the dataset node cites with ``prov:wasDerivedFrom``) or an ASSUMPTION, named as such,
that a reviewer can change in one place. Amounts are JPY.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Bumped whenever the same seed would give different output.
GENERATOR_VERSION = "1.0.0"


@dataclass(frozen=True)
class Sourced:
    """A number and where it comes from (FACTS.md row, src: key), or why it is assumed."""

    value: float
    basis: str
    source: str | None = None  # key under src:, None for an assumption

    @property
    def assumption(self) -> bool:
        return self.source is None


# --- source documents (keys under https://w3id.org/titp-graph/id/source/) -------------------
SRC_ISA_FEE_SURVEY = "isa-2022-fee-survey"                       # FACTS §6
SRC_MHLW_NOTIFICATIONS = "mhlw-2024-foreign-worker-notifications"  # FACTS 1.1-1.4
SRC_ISA_RESIDENTS = "isa-2025-03-14-foreign-residents"           # FACTS 2.1-2.3 (end of 2024)
SRC_SUPERVISING_ORG_COUNT = "tokyo-hrc-supervising-orgs"         # FACTS 4.5 (blog, weak)

# --- national scale -------------------------------------------------------------------------
#: Interns (技能実習) at end of October 2024, MHLW notifications (FACTS 1.4).
NATIONAL_WORKERS = Sourced(470_725, "FACTS 1.4: 技能実習 470,725 (2024-10-31)", SRC_MHLW_NOTIFICATIONS)
#: "About 3,750" in 2024 (FACTS 4.5, a weak blog figure); 3,632 in 2023 (FACTS 4.4). We use 3,700.
NATIONAL_SUPERVISING_ORGS = Sourced(3_700, "FACTS 4.4/4.5: 3,632 (2023) to about 3,750 (2024)",
                                    SRC_SUPERVISING_ORG_COUNT)
#: ASSUMPTION: no count of approved sending organizations exists in FACTS (4.12 NF); the old
#: JITCO system had 902 (FACTS 4.11) and the first Philippine list 188 (4.10).
NATIONAL_SENDING_ORGS = Sourced(1_800, "ASSUMPTION: order of magnitude from FACTS 4.10/4.11 (no current count)")
#: ASSUMPTION: implementing organizations are NF (FACTS 4.6); about 39,000 c. 2017 (4.5b), and
#: intern numbers have grown since.
NATIONAL_EMPLOYERS = Sourced(65_000, "ASSUMPTION: grown from about 39,000 c. 2017 (FACTS 4.5b)")
#: ASSUMPTION: brokers and lenders are not counted anywhere; one broker per 4 sending orgs and
#: one lender per 8 sending orgs in each country.
BROKERS_PER_SENDING_ORG = Sourced(0.25, "ASSUMPTION: not counted by any source")
LENDERS_PER_SENDING_ORG = Sourced(0.125, "ASSUMPTION: not counted by any source")

# --- nationality --------------------------------------------------------------------------
#: Weights for the nationality of interns. FACTS has no intern count by nationality, so these
#: are PROXIES: VN/CN/PH are MHLW foreign WORKERS of all statuses (FACTS 1.3, 2024-10-31);
#: NP/ID/MM are ISA foreign RESIDENTS of all statuses (FACTS 2.3, 2024-12-31). They overstate
#: China and Nepal relative to intern numbers. The other ten TITP MOC countries have no figure
#: in FACTS: ASSUMPTION 10,000 each.
_ASSUMED_SMALL = 10_000
NATIONALITY_WEIGHTS: dict[str, Sourced] = {
    "VN": Sourced(570_708, "FACTS 1.3 (all statuses)", SRC_MHLW_NOTIFICATIONS),
    "CN": Sourced(408_805, "FACTS 1.3 (all statuses)", SRC_MHLW_NOTIFICATIONS),
    "PH": Sourced(245_565, "FACTS 1.3 (all statuses)", SRC_MHLW_NOTIFICATIONS),
    "NP": Sourced(233_043, "FACTS 2.3 (residents, all statuses)", SRC_ISA_RESIDENTS),
    "ID": Sourced(199_824, "FACTS 2.3 (residents, all statuses)", SRC_ISA_RESIDENTS),
    "MM": Sourced(134_574, "FACTS 2.3 (residents, all statuses)", SRC_ISA_RESIDENTS),
    **{code: Sourced(_ASSUMED_SMALL, "ASSUMPTION: no figure in FACTS")
       for code in ("KH", "TH", "IN", "LA", "MN", "BD", "LK", "BT", "UZ", "PK")},
}
#: The 15 TITP MOC countries (FACTS §5a) plus China.
COUNTRIES: tuple[str, ...] = tuple(sorted(NATIONALITY_WEIGHTS))

# --- fees before arrival (ISA 2022 survey, FACTS 6.3-6.6) ----------------------------------------
#: Mean total paid before arrival (sending org + brokers), by nationality (FACTS 6.6).
FEE_TOTAL_MEAN: dict[str, Sourced] = {
    "VN": Sourced(688_143, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
    "CN": Sourced(591_777, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
    "KH": Sourced(573_607, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
    "MM": Sourced(287_405, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
    "ID": Sourced(235_343, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
    "PH": Sourced(94_821, "FACTS 6.6", SRC_ISA_FEE_SURVEY),
}
FEE_TOTAL_MEAN_OTHER = Sourced(542_311, "FACTS 6.6: overall mean, used for countries not broken out",
                               SRC_ISA_FEE_SURVEY)
#: Share who also paid a broker, and their mean broker fee (FACTS 6.5).
BROKER_SHARE: dict[str, Sourced] = {"VN": Sourced(0.172, "FACTS 6.5", SRC_ISA_FEE_SURVEY)}
BROKER_SHARE_OTHER = Sourced(0.115, "FACTS 6.5 (overall)", SRC_ISA_FEE_SURVEY)
BROKER_FEE_MEAN: dict[str, Sourced] = {"VN": Sourced(446_963, "FACTS 6.5", SRC_ISA_FEE_SURVEY)}
BROKER_FEE_MEAN_OTHER = Sourced(335_378, "FACTS 6.5 (overall)", SRC_ISA_FEE_SURVEY)
#: How the sending organization's part splits into items: dispatch fee, pre-departure
#: education, deposit/penalty and the rest (items the survey excerpt does not name), as shares
#: of the mean paid to the sending org (FACTS 6.3: ¥521,065 overall; 6.4: ¥656,014 Vietnam).
SENDING_ORG_SPLIT: dict[str, dict[str, float]] = {
    "VN": {"dispatch-fee": 320_272 / 656_014, "pre-departure-education": 94_302 / 656_014,
           "deposit-penalty": 29_339 / 656_014, "related-cost": 1 - (320_272 + 94_302 + 29_339) / 656_014},
    "*": {"dispatch-fee": 269_303 / 521_065, "pre-departure-education": 73_663 / 521_065,
          "deposit-penalty": 19_503 / 521_065, "related-cost": 1 - (269_303 + 73_663 + 19_503) / 521_065},
}
#: ASSUMPTION: the survey gives only the mean deposit/penalty over all payers; we let a third of
#: workers pay one (scaled up so that the mean over all workers stays the survey's).
DEPOSIT_PAYER_SHARE = Sourced(1 / 3, "ASSUMPTION: share of workers charged a deposit or penalty")
#: ASSUMPTION: spread of amounts around their mean (lognormal sigma of the log); the survey
#: publishes means only.
AMOUNT_SIGMA = Sourced(0.5, "ASSUMPTION: lognormal spread (sigma of log amount)")
#: ASSUMPTION: each item varies a little around the survey's split (lognormal sigma).
SPLIT_JITTER_SIGMA = 0.2

# --- debt (FACTS 6.7) ------------------------------------------------------------------------
BORROWED_SHARE: dict[str, Sourced] = {
    "VN": Sourced(0.800, "FACTS 6.7", SRC_ISA_FEE_SURVEY),
    "KH": Sourced(0.835, "FACTS 6.7", SRC_ISA_FEE_SURVEY),
}
BORROWED_SHARE_OTHER = Sourced(0.547, "FACTS 6.7 (overall, 1,152 of 2,107)", SRC_ISA_FEE_SURVEY)
DEBT_MEAN: dict[str, Sourced] = {
    "VN": Sourced(674_480, "FACTS 6.7", SRC_ISA_FEE_SURVEY),
    "KH": Sourced(566_889, "FACTS 6.7", SRC_ISA_FEE_SURVEY),
    "CN": Sourced(528_847, "FACTS 6.7", SRC_ISA_FEE_SURVEY),
}
DEBT_MEAN_OTHER = Sourced(547_788, "FACTS 6.7 (overall)", SRC_ISA_FEE_SURVEY)
#: ASSUMPTION: annual interest, uniform in this range (percent); no source in FACTS.
INTEREST_RATE_RANGE = (Sourced(6.0, "ASSUMPTION"), Sourced(24.0, "ASSUMPTION"))

# --- placement -------------------------------------------------------------------------------
CONTRACT_MONTHS = 36  # TITP stages 1 and 2: three years
#: ASSUMPTION: monthly wage in JPY, normal around roughly full-time pay at Japan's minimum
#: wage (not a FACTS figure), rounded to ¥100, never below the floor.
WAGE_MEAN = Sourced(180_000, "ASSUMPTION: near full-time minimum-wage pay (not sourced)")
WAGE_SD = Sourced(15_000, "ASSUMPTION")
WAGE_FLOOR = Sourced(150_000, "ASSUMPTION")
#: Placements running at the MHLW reference date (2024-10-31): start dates uniform over the
#: 36 months before it.
START_FROM, START_UNTIL = "2021-11-01", "2024-10-31"
#: Payments fall 1-9 months before the start date; agreements are signed after the TITP Act
#: came into force (2017-11-01, FACTS 3.8) and before the placements start.
AGREEMENT_FROM, AGREEMENT_UNTIL = "2017-11-01", "2021-10-31"

# --- sanctions -------------------------------------------------------------------------------
#: ASSUMPTION: plausible low rates, not a FACTS figure: over 2019-2024, 1% of supervising orgs
#: lost their licence (TITP Act Art. 37(1)) and 3% got an improvement order (Art. 36(1)); at
#: least one of each, so that small samples show the pattern. Keys are sanction: concepts.
SANCTION_RATES: dict[str, Sourced] = {
    "license-revocation": Sourced(0.01, "ASSUMPTION: plausible low rate"),
    "improvement-order-supervising-org": Sourced(0.03, "ASSUMPTION: plausible low rate"),
}
SANCTION_FROM, SANCTION_UNTIL = "2019-01-01", "2024-12-31"

# --- network shape (all ASSUMPTIONS: no source describes the network) ------------------------
#: Zipf exponent and rank offset of supervising-org size, weight 1/(rank+offset)^exponent: a few
#: supervisors broker many interns (at national scale the largest gets about 1.7%).
SUPERVISOR_ZIPF = 1.0
SUPERVISOR_ZIPF_OFFSET = 10
#: Zipf exponent of employer size within a supervisor, and of sending-org size in a country.
EMPLOYER_ZIPF = 0.8
SENDING_ORG_ZIPF = 0.9
#: Countries a supervisor works with: 1, 2 or 3 mostly (weights), rarely 4.
SUPERVISOR_COUNTRY_COUNT_WEIGHTS = {1: 0.45, 2: 0.30, 3: 0.18, 4: 0.07}
#: Sending orgs per (supervisor, country): 1-3, bigger supervisors more.
MAX_AGREEMENTS_PER_COUNTRY = 3
#: Share of employers in their supervisor's prefecture.
EMPLOYER_SAME_PREFECTURE = 0.8
#: ASSUMPTION: prefecture weights roughly proportional to population (approximate figures in
#: hundred-thousands, from general knowledge, not a sourced statistic). JIS X 0401 codes.
PREFECTURE_WEIGHTS: dict[str, int] = {
    "01": 51, "02": 12, "03": 12, "04": 23, "05": 10, "06": 10, "07": 18, "08": 28, "09": 19,
    "10": 19, "11": 73, "12": 63, "13": 140, "14": 92, "15": 22, "16": 10, "17": 11, "18": 8,
    "19": 8, "20": 20, "21": 20, "22": 36, "23": 75, "24": 18, "25": 14, "26": 26, "27": 88,
    "28": 54, "29": 13, "30": 9, "31": 5, "32": 7, "33": 19, "34": 28, "35": 13, "36": 7,
    "37": 9, "38": 13, "39": 7, "40": 51, "41": 8, "42": 13, "43": 17, "44": 11, "45": 11,
    "46": 16, "47": 15,
}


def per_country(table: dict[str, Sourced], other: Sourced, country: str) -> float:
    """The country's value if the source breaks it out, else the overall one."""
    return (table.get(country) or other).value


def sources() -> list[str]:
    """The src: keys of every sourced marginal, sorted (cited by the dataset node)."""
    found: set[str] = set()
    for name, value in globals().items():
        items = []
        if isinstance(value, Sourced):
            items = [value]
        elif isinstance(value, dict):
            items = [v for v in value.values() if isinstance(v, Sourced)]
        elif isinstance(value, tuple):
            items = [v for v in value if isinstance(v, Sourced)]
        found |= {item.source for item in items if item.source}
    return sorted(found)
