"""The scenario schema: every parameter of the model, typed, with unit, range and source.

A scenario is a TOML file. This module is the one place that knows the file format: it loads a
file (following ``extends = "other"`` to a built-in scenario), applies dotted-key overrides
(``{"run.months": 60}``), and validates the result against the schema below. Validation errors
become a :class:`ScenarioError` whose message is one line naming the field and what is allowed.

Every numeric parameter is declared with :func:`param`, which records its unit, its documented
range and its source (a row of ``model/data/reference_figures.csv`` or an honest "assumption").
``docs/reference/parameters.md`` is generated from these declarations (``python -m model.scenario``).

This module imports nothing else from the project.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from model.codes import AGE_BANDS, GROUPS, OPTIONS, PROVIDER_TYPE_LABELS, PROVIDER_TYPES, QUINTILES

#: The built-in scenarios, shipped in the package as ``model/scenarios/*.toml`` (in the repository,
#: ``model/scenarios`` links to the top-level folder ``scenarios/``).
SCENARIO_DIR: Traversable = resources.files("model") / "scenarios"

__all__ = ["AGE_BANDS", "GROUPS", "LEVERS", "OPTIONS", "PROVIDER_TYPES", "QUINTILES", "Scenario", "ScenarioError",
           "list_scenarios", "load_scenario", "loads_scenario"]

#: Most people the model may hold at the horizon (:meth:`Scenario.expected_population`): twice the most
#: a scenario may start with.
MAX_POPULATION = 10_000_000

#: Default months of spin-up before month 0 (``run.burn_in_months``): the starting population is
#: drawn near its steady state (ODD, initialisation), so a short spin-up settles the rest of the
#: people; the provider market needs about 120 months to settle, which would cost about +65 % of a
#: run's time (tests/test_steady_state.py).
BURN_IN_MONTHS = 3
#: Default referrals per 1,000 adults a year by client group (``demography.referral_incidence``):
#: known_per_1000_adults x group_mix x 12 x the group's mean monthly departure hazard among the
#: people known at month 0, so that referrals balance departures.
REFERRAL_INCIDENCE = [7.2, 0.91, 0.33, 0.29]

#: Bounds on TOML text (scenario files, uploads, ``--set`` values, parameter spaces), checked before
#: the parser sees it: ``tomllib``'s memory grows with the square of a dotted key's length, and deep
#: nesting exhausts Python's recursion limit. The shipped scenarios are about 1 kB.
MAX_TOML_BYTES = 256 * 1024
MAX_KEY_PARTS = 16
MAX_NESTING = 16
_TOML_TOKENS = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[][{}=,.\n]',
                          re.S)


class ScenarioError(ValueError):
    """A scenario (file, override or parameter space) or an argument that cannot be used; the message is one line.

    When one input of the called function is at fault, ``argument`` names it in the library's words
    (``n``, ``workers``, ``space``, ``override``), ``item`` says which of its entries when there are
    several (an override's dotted key), and ``problem`` is the message without them, so that a face
    names the input its own way (the command line: ``--n``, ``--set KEY``).
    """

    def __init__(self, problem: str, argument: str | None = None, item: str | None = None) -> None:
        where = f"{argument} '{item}'" if argument and item else argument
        super().__init__(f"{where}: {problem}" if where else problem)
        self.problem, self.argument, self.item = problem, argument, item


#: The source of a parameter whose default is the central value of the committed posterior.
CALIBRATED = ("calibrated, weakly identified: weighted median of the ABC-SMC posterior "
              "model/data/calibration/posterior-2026-12-07-refit.csv (carecon calibrate on 7 December 2026, run "
              "record run-2026-12-07-refit, against the calibration targets of model/data/targets.toml; "
              "docs/explanation/calibration.md)")


def param(default: Any, lo: float | None = None, hi: float | None = None, *, unit: str,
          source: str = "assumption", doc: str, label: str | None = None,
          choices: dict[str, str] | None = None) -> Any:
    """Declare a parameter: default, inclusive range [lo, hi], unit, source and meaning. For a list
    parameter the range bounds each element (checked by :meth:`Strict._each_element`). ``label`` is its
    name for people (pages, summaries, figures: ``model.metrics.labels``) and ``choices`` how each value
    of a text parameter reads."""
    each = isinstance(default, list)
    extra: dict[str, Any] = {"unit": unit, "source": source, "range": [lo, hi]}
    if label is not None:
        extra["label"] = label
    if choices is not None:
        extra["choices"] = choices
    return Field(default, ge=None if each else lo, le=None if each else hi, description=doc,
                 json_schema_extra=extra)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _each_element(cls, value: Any, info: ValidationInfo) -> Any:
        """Every element of a list of numbers is finite and inside the list parameter's range, as a
        scalar parameter is (``abs(nan - 1) > 1e-6`` is false, so sums and lengths alone let NaN through)."""
        if not isinstance(value, list) or not all(isinstance(v, int | float) for v in value):
            return value
        extra = cls.model_fields[info.field_name].json_schema_extra or {}
        lo, hi = extra.get("range", (None, None))
        for i, v in enumerate(value):
            if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
                raise PydanticCustomError("list_element", "element {index} is {value}; each must be a finite number "
                                          "in the range", {"index": i, "value": repr(v)})
        return value


def _check_shares(values: list[float], name: str, n: int) -> None:
    """Exactly ``n`` shares summing to 1 (each share's range is checked as a list parameter's)."""
    if len(values) != n:
        raise ValueError(f"{name} needs exactly {n} shares, got {len(values)}")
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"{name} must be {n} non-negative shares summing to 1")


# --------------------------------------------------------------------------------------------
# Run settings
# --------------------------------------------------------------------------------------------
class Run(Strict):
    months: int = param(120, 1, 600, label="Months simulated", unit="months", doc="Simulated horizon.")
    people: int = param(2000, 10, 5_000_000, label="People simulated", unit="people",
                        doc="People known to the councils at month 0 (split by population_share): a sample of the "
                            "councils' real caseloads (demography.known_per_1000_adults of their adults), so that "
                            "per-person results do not depend on it.")
    start: str = Field("2014-04", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                       description="Calendar month of model month 0 (YYYY-MM; the first recorded month); outputs "
                                   "carry the date. Default: the month the Social Care (Self-directed Support) "
                                   "(Scotland) Act 2013 came into force.",
                       json_schema_extra={"unit": "YYYY-MM", "source": "assumption", "range": [None, None]})
    burn_in_months: int = param(BURN_IN_MONTHS, 0, 240, label="Spin-up before month 0", unit="months",
                                doc="Months run before month 0 with month 0's policy and population, nothing "
                                    "recorded, so that the run starts nearer its steady state (ODD, initialisation: "
                                    "the people settle within the default; the provider market needs about 120).")
    seed: int = param(20261122, 0, 2**63 - 1, label="Random seed", unit="-", doc="Root seed of the SeedSequence.")
    replications: int = param(5, 1, 10_000, label="Replications", unit="runs", doc="Replications for `carecon run`.")

    def decimal_year(self, month: float) -> float:
        """The calendar year, as a decimal, at the middle of model month ``month`` (month 0 is ``start``)."""
        year, first = (int(x) for x in self.start.split("-"))
        return year + (first - 1 + month + 0.5) / 12.0


# --------------------------------------------------------------------------------------------
# 1. Demography
# --------------------------------------------------------------------------------------------
class Demography(Strict):
    group_mix: list[float] = param(
        [0.55, 0.20, 0.15, 0.10], 0, 1, label="Client-group mix", unit="share",
        source="sco_sds_age_2016 (71% aged 65+) and sco_client_mix_2015; split is an assumption",
        doc="Shares of older people, physical disability, learning disability, mental health among the people "
            "known at month 0 (referrals follow referral_incidence).")
    under65_older_share: float = param(0.103, 0, 1, unit="share", source=CALIBRATED,
                                       doc="Share of the 'older people' client group below 65 (client groups are "
                                           "recorded at assessment, not by age).")
    over65_share_other_groups: float = param(
        0.444, 0, 1, label="Clients aged 65+ outside the older-people group", unit="share", source=CALIBRATED,
        doc="Share of non-older client groups aged 65 or over.")
    known_per_1000_adults: float = param(
        52.0, 0.1, 1000, label="People known to the council", unit="people per 1000 adults",
        source="sco_social_care_people_2021 (231,925 people, about 1 in 25 of all ages, over the ~4.5 million "
               "adults of nrs_population_2019)",
        doc="People known to the council with assessed need at month 0, per 1,000 adults: the real caseload "
            "that run.people samples.")
    referral_incidence: list[float] = param(
        REFERRAL_INCIDENCE, 0, 1000, unit="referrals per 1000 adults per year",
        source="assumption: set so that referrals balance the departures of a caseload of known_per_1000_adults "
               "with group_mix (a stationary population; tests/test_scale.py checks it)",
        doc="New referrals per year per 1,000 adults, by client group (older people, physical disability, "
            "learning disability, mental health); a referral's group is drawn in these proportions.")
    population_projection: str = Field(
        "", max_length=1000,
        description="Optional CSV of adult population by year (columns council, year, adults; NRS population "
                    "projections), read when the model is built: a council it lists follows it (linear between "
                    "mid-years, flat beyond), overriding councils.N.adults and adult_growth.",
        json_schema_extra={"unit": "file path", "source": "nrs_projections_2010 (a source of such figures)",
                           "range": [None, None]})

    @field_validator("population_projection")
    @classmethod
    def _projection_exists(cls, path: str) -> str:
        """A projection file named must exist when the scenario is checked (it is read at build)."""
        if path and not Path(path).is_file():
            raise ValueError(f"no such file: {path!r} (a CSV with columns council, year, adults, or empty)")
        return path

    departure_rate: list[float] = param(
        [0.011, 0.004, 0.002, 0.003], 0, 1, unit="per person per month",
        doc="Monthly hazard of leaving (death, move to residential care) by client group.")
    departure_need_factor: float = param(1.5, 0, 10,
                                         label="Extra departures at high need",
                                         unit="multiplier at need 100",
                                         doc="Departure hazard is multiplied by 1 + factor * need/100.")
    need_mean: list[float] = param([45.0, 40.0, 42.0, 35.0], 0, 100, unit="points (0-100)",
                                   doc="Mean assessed need at referral by client group.")
    need_sd: float = param(15.0, 0, 50,
                           label="Spread of need at referral",
                           unit="points", doc="Spread of need at referral.")
    need_drift: list[float] = param([0.35, 0.12, 0.04, 0.0], -5, 5, unit="points per month",
                                    doc="Mean monthly change in need by client group (frailty rises).")
    need_noise: float = param(1.0, 0, 20,
                              label="Monthly change in need",
                              unit="points per month", doc="Monthly random change in need (sd).")
    ageing_rate: float = param(1 / 180, 0, 1,
                               label="Chance of moving to the next age band",
                               unit="per person per month",
                               doc="Monthly chance of moving to the next age band (bands span ~15-25 years).")
    confidence_mean: float = param(0.6, 0, 1, label="Mean confidence to manage a budget", unit="0-1",
                                   doc="Mean confidence to manage money and staff (Q5, under 65).")
    confidence_deprivation_gradient: float = param(
        0.06, 0, 0.25, label="Fall in confidence per more deprived quintile", unit="per quintile",
        doc="Confidence is lower by this much per quintile more deprived (confidence channel; off: every "
            "quintile has Q5's mean).")
    confidence_age_penalty: float = param(0.15, 0, 0.5, label="Confidence penalty at 65 and over", unit="0-1",
                                          doc="Confidence penalty for people aged 65 and over.")
    confidence_sd: float = param(0.15, 0, 0.5,
                                 label="Spread of confidence",
                                 unit="0-1", doc="Individual spread of confidence.")
    day_centre_affinity: list[float] = param(
        [0.15, 0.1, 0.45, 0.15], 0, 1, unit="probability",
        source="assumption; eng_dayc_older_attend_2018 (10% of supported older people attend) bounds the outcome",
        doc="Chance a person of each group values building-based day care (respite, company).")
    carer_probability: float = param(0.6, 0, 1, label="Chance of having an unpaid carer", unit="probability",
                                     source="assumption; sco_carers_2022 gives population counts only",
                                     doc="Chance a person has an unpaid carer.")
    carer_hours_mean: float = param(20.0, 0, 100, label="Mean unpaid care hours", unit="hours per week",
                                    source="assumption (gamma, see carer_hours_shape); "
                                           "sco_carers_supported_2022 reports 55% of carers *supported by "
                                           "services* giving 50+ h, a selected group",
                                    doc="Mean unpaid care hours given by a carer.")
    carer_hours_shape: float = param(1.5, 0.2, 20, unit="dimensionless (gamma shape)",
                                     source="assumption: at a mean of 20 h, shape 1.5 gives about 6% of carers "
                                            "50+ h; sco_carers_supported_2022's 55% is of carers supported by "
                                            "services, a selected group",
                                     doc="Shape of the gamma distribution of a carer's weekly hours (smaller: more "
                                         "carers giving very few or very many hours).")
    max_initial_tenure_months: float = param(
        240.0, 0, 1200, unit="months",
        doc="Longest time on the books drawn for the starting population (need drifts over it).")
    over80_share: float = param(0.45, 0, 1, unit="share", doc="Share of people aged 65+ who are 80 or over.")
    under40_share: float = param(0.4, 0, 1, unit="share", doc="Share of people under 65 who are under 40.")
    peers: int = param(6, 0, 50,
                       label="Peers heard from",
                       unit="people", doc="Peers each person hears from about options.")
    peer_homophily: float = param(0.7, 0, 1, label="Chance a peer is from one's own quintile", unit="probability",
                                  doc="Chance that a peer is drawn from one's own deprivation quintile.")
    # Deprivation channels (ODD 7.1): each a switch and its gradient. A ratio gradient is the quantity
    # in Q1 (most deprived) over Q5, spread log-linearly over the quintiles with Q3 at the base value
    # (quintile q, 1..5, has ratio ** ((3 - q) / 4)); a switch that is off leaves the quantity at its
    # base value in every quintile.
    deprivation_need: bool = param(
        True, unit="-", doc="Need channel: referrals come more often from deprived quintiles "
                            "(need_prevalence_ratio) and with more need (need_severity_gradient).")
    deprivation_onset: bool = param(
        True, unit="-", doc="Onset channel: deprived people are referred younger (the odds of a referral "
                            "being under 65 vary by quintile: onset_under65_odds_ratio).")
    deprivation_carers: bool = param(
        True, unit="-", doc="Carer channel: the chance of an unpaid carer and their hours vary by quintile "
                            "(carer_availability_ratio, carer_hours_ratio).")
    deprivation_mortality: bool = param(
        True, unit="-", doc="Mortality channel: the departure hazard varies by quintile (departure_deprivation_ratio).")
    deprivation_confidence: bool = param(
        True, unit="-", doc="Confidence channel: confidence falls by confidence_deprivation_gradient per quintile.")
    need_prevalence_ratio: float = param(
        1.87, 0.05, 20,
        label="Referrals per head, most over least deprived",
        unit="ratio Q1/Q5", source="sco_homecare_simd_2022 (26.0% / 13.9% of home-care recipients)",
        doc="Referrals per head in Q1 over Q5: the council's deprivation mix is weighted by this gradient "
            "when a referral's quintile is drawn (need channel).")
    need_severity_gradient: float = param(
        0.0, -30, 30, label="Extra need at referral, most over least deprived", unit="points, Q1 minus Q5",
        source="assumption: no published figure found for assessed need at referral by SIMD; 0 keeps it equal",
        doc="Mean need at referral is higher by this much in Q1 than in Q5, linearly over the quintiles "
            "(Q3 at need_mean; need channel).")
    under65_ratio: float = param(
        2.58, 1, 20, label="Share under 65, most over least deprived", unit="ratio Q1/Q5",
        source="sco_homecare_simd_2022: home-care recipients in Q1 are under 65 2.58 times as often as in Q5 "
               "((36.2 / 26.0) / (7.5 / 13.9))",
        doc="The share under 65 among clients in Q1 over that in Q5 (onset channel). The model gives it through "
            "onset_under65_odds_ratio, derived from it.")
    carer_availability_ratio: float = param(
        0.67, 0.05, 20, label="Chance of a carer, most over least deprived", unit="ratio Q1/Q5",
        source="derived: carers per head 10.1% / 8.1% (eng_carers_deprivation_2021) over people needing care "
               "1.87 (sco_homecare_simd_2022), so 1.25 / 1.87 carers per person with need; assumes carers live "
               "in the quintile of the person they care for",
        doc="Chance of an unpaid carer in Q1 over Q5 (Q3 at carer_probability, at most 1; carer channel).")
    carer_hours_ratio: float = param(
        1.17, 0.05, 20, label="Unpaid care hours, most over least deprived", unit="ratio Q1/Q5",
        source="derived: the mean-hours ratio that gives, with the gamma hours of carer_hours_mean and "
               "carer_hours_shape, the published ratio 1.69 of carers giving 50+ h (eng_carers_deprivation_2021)",
        doc="Mean unpaid care hours in Q1 over Q5 (Q3 at carer_hours_mean; carer channel).")
    departure_deprivation_ratio: float = param(
        1.76, 0.05, 20, label="Departures, most over least deprived", unit="ratio Q1/Q5",
        source="derived from eng_le65_imd_2016 (life expectancy at 65, 4.8 years shorter in the most deprived "
               "decile; Gompertz conversion in its caveat); a population figure, not one for people with care needs",
        doc="Departure hazard (death, residential care) in Q1 over Q5 (Q3 at departure_rate; mortality channel).")

    #: Values the rules read that are derived from the parameters, not set (engines read them as fields).
    DERIVED: ClassVar[tuple[str, ...]] = ("onset_under65_odds_ratio",)

    @model_validator(mode="after")
    def _shares(self) -> Demography:
        _check_shares(self.group_mix, "demography.group_mix", 4)
        for name in ("departure_rate", "need_mean", "need_drift", "day_centre_affinity", "referral_incidence"):
            if len(getattr(self, name)) != 4:
                raise ValueError(f"demography.{name} needs 4 values, one per client group")
        self.onset_under65_odds_ratio  # noqa: B018 (raises if under65_ratio cannot be reached)
        return self

    def _under65_share(self, tilt: float) -> float:
        """The share under 65 among the people of ``group_mix`` when each group's odds of being under 65
        are multiplied by ``tilt`` (the onset gradient's value in one quintile)."""
        share = 0.0
        for g, m in enumerate(self.group_mix):
            p = 1.0 - self.under65_older_share if g == 0 else self.over65_share_other_groups  # base share 65+
            if 0.0 < p < 1.0:
                odds = (1.0 - p) / p * tilt
                share += m * odds / (1.0 + odds)
            else:  # everyone or no one 65+: the gradient cannot move them
                share += m * (1.0 - p)
        return share

    @property
    def onset_under65_odds_ratio(self) -> float:
        """Odds of a referral being under 65 in Q1 over Q5, on its group's base odds (the onset
        channel; Q3 at the base, :func:`model.rules.demography.tilt` between): derived so that, with
        ``group_mix`` and the base shares under 65 (``under65_older_share``, 1 -
        ``over65_share_other_groups``), the share under 65 in Q1 is ``under65_ratio`` times that in Q5
        (bisection on the log odds ratio between 1 and 10,000; at the defaults 5.91).
        ``tests/test_demography.py`` checks the ratio on drawn referrals."""
        def ratio(log_or: float) -> float:
            half = math.exp(log_or / 2)  # the tilt in Q1; in Q5 its inverse
            low = self._under65_share(1.0 / half)
            return self._under65_share(half) / low if low > 0 else math.inf
        lo, hi = 0.0, math.log(1e4)
        if ratio(hi) < self.under65_ratio:
            raise ValueError(f"demography.under65_ratio: {self.under65_ratio} cannot be reached with these shares "
                             f"under 65 (at most {ratio(hi):.3g}; allowed 1 to 20)")
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ratio(mid) < self.under65_ratio else (lo, mid)
        return math.exp((lo + hi) / 2)


# --------------------------------------------------------------------------------------------
# 2. Assessment and budgets
# --------------------------------------------------------------------------------------------
#: The levers a council pulls when its spend runs ahead of its cash limit (ODD 7.10), by name.
Lever = Literal["waiting_list", "review_reduction", "charging", "eligibility", "decommissioning"]
LEVERS: tuple[str, ...] = get_args(Lever)


class Budgets(Strict):
    eligibility_threshold: float = param(25.0, 0, 100, label="Eligibility threshold", unit="points",
                                         doc="Assessed need at or above which a person gets a budget: the "
                                             "scenario's baseline eligibility, where the eligibility lever starts.")
    ras_rate: float = param(
        45.0, 0, 500, label="Resource allocation rate", unit="GBP per point per month",
        source="calibrated: 0.5 h/week per point x 4.33 weeks at the 2023 home-care price "
               "(uk_homecare_price_2023, 21.56 GBP/h) = 46.7",
        doc="Resource allocation system: indicative budget = points x rate.")
    hours_per_point: float = param(0.5, 0, 5, label="Care hours per point of need", unit="hours per week per point",
                                   doc="Care hours a week that one point of need represents.")
    clawback_buffer_months: float = param(2.0, 0, 24,
                                          label="Direct-payment balance kept before clawback",
                                          unit="months of budget",
                                          doc="Unspent direct-payment balance above this is clawed back at review.")
    lever_order: list[Lever] = param(
        list(LEVERS[:4]), unit="lever names",
        source="assumption: the quickest levers first (no formal policy change), eligibility last; "
               "audit_sco_commissioning_2012 and audit_sco_social_work_2016 report councils tightening "
               "eligibility, raising charges and concentrating on intensive need, in no stated order",
        doc="The levers a council pulls, in order, when its projected spend runs ahead of its cash limit "
            "(waiting_list, review_reduction, charging, eligibility, decommissioning); a lever left out is never "
            "pulled (decommissioning is out by default), an empty list pulls none.")
    trigger_margin: float = param(0.02, 0, 0.5, unit="share of the year's cash",
                                  doc="A council tightens (one lever step a month) when its projected spend for the "
                                      "year exceeds the cash it may spend less this margin.")
    relax_margin: float = param(0.06, 0, 0.5, unit="share of the year's cash",
                                doc="A council relaxes (one lever step a month, the last pulled first) when its "
                                    "projected spend is below the cash it may spend less this margin.")
    threshold_step: float = param(2.0, 0, 20, unit="points",
                                  doc="Eligibility lever: rise in the threshold per step.")
    threshold_max: float = param(60.0, 0, 100, unit="points",
                                 doc="Eligibility lever: the highest threshold a council sets.")
    assessment_capacity: float = param(
        50.0, 0, 1000, unit="assessments per 1,000 people per month",
        source="assumption; about 95 reviews and first assessments a month per 1,000 people are due with "
               "yearly reviews and the default referral rate",
        doc="Waiting-list lever: when it is pulled, a council assesses at most this many people a month "
            "(new referrals and due reviews, those waiting longest first); the rest wait.")
    assessment_capacity_step: float = param(
        10.0, 0, 1000, unit="assessments per 1,000 people per month",
        doc="Waiting-list lever, relaxing: rise in the assessment capacity per step; the list ends once it is "
            "empty.")
    review_reduction_step: float = param(0.03, 0, 0.5, unit="share of budget",
                                         doc="Review-reduction lever: cut in the budgets set at review per step "
                                             "(the RAS rate is scaled down by the reduction).")
    review_reduction_max: float = param(0.15, 0, 0.9, unit="share of budget",
                                        doc="Review-reduction lever: the largest cut at review.")
    charge_rate: float = param(0.0, 0, 1, label="Charge rate", unit="share of chargeable cost",
                               doc="Non-residential charging: share of the chargeable part of a package charged to "
                                   "the person at the start (the charging lever raises it).")
    charge_step: float = param(0.1, 0, 1, unit="share of chargeable cost",
                               doc="Charging lever: rise in the charge rate per step.")
    charge_max: float = param(0.5, 0, 1, unit="share of chargeable cost",
                              doc="Charging lever: the highest charge rate.")
    decommission_step: float = param(0.1, 0, 1, unit="share of block places",
                                     doc="Decommissioning lever: share of the council's day-centre block places "
                                         "given up per step (block contracts are paid whatever the attendance).")
    decommission_max: float = param(1.0, 0, 1, unit="share of block places",
                                    doc="Decommissioning lever: the largest share of block places given up.")
    free_personal_care: bool = param(
        True, unit="-", source="sco_free_personal_care_2019 (free to all adults from April 2019)",
        doc="Scotland's free personal care: personal care is never charged; charges fall only on the rest.")
    personal_care_share: float = param(0.7, 0, 1, label="Personal-care part of a package", unit="share of package cost",
                                       doc="Share of a package's cost that is personal care (free when "
                                           "free_personal_care holds).")

    @model_validator(mode="after")
    def _levers(self) -> Budgets:
        if len(set(self.lever_order)) != len(self.lever_order):
            raise ValueError("budgets.lever_order must name each lever at most once "
                             f"(allowed: {', '.join(LEVERS)})")
        if self.relax_margin < self.trigger_margin:
            raise ValueError("budgets.relax_margin must be at least budgets.trigger_margin")
        if self.threshold_max < self.eligibility_threshold:
            raise ValueError("budgets.threshold_max must be at least budgets.eligibility_threshold")
        if self.charge_max < self.charge_rate:
            raise ValueError("budgets.charge_max must be at least budgets.charge_rate")
        return self


# --------------------------------------------------------------------------------------------
# 4. Option choice
# --------------------------------------------------------------------------------------------
class Choice(Strict):
    control: list[float] = param([1.0, 0.6, 0.0, 0.6], 0, 1, unit="0-1",
                                 doc="Control each option gives (Options 1-4).")
    burden: list[float] = param([1.0, 0.3, 0.0, 0.6], 0, 1, unit="0-1",
                                doc="Burden of managing money and employing staff, by option.")
    beta_control: float = param(1.69, 0, 10, source=CALIBRATED,
                                label="Weight of control in choosing an option",
                                unit="utility per unit control", doc="Value of control.")
    beta_burden: float = param(2.88, 0, 10, source=CALIBRATED,
                               label="Weight of burden in choosing an option",
                               unit="utility per unit burden",
                               doc="Weight of burden, scaled by (1 - confidence).")
    beta_peer: float = param(1.16, 0, 10, source="assumption, informed by a first calibration (7 December 2026) "
                             "(posterior-2026-12-07-screened.csv, in the git history) whose median it is, 90 % "
                             "interval 0.71-1.74, nearly its whole range; held at that superseded fit's median because "
                             "the screening of the calibration of the defaults found it weak (2.999 times the noise "
                             "floor, against a cut of 3)",
                             label="Weight of peers' experience in choosing an option",
                             unit="utility per unit peer signal",
                             doc="Weight of peers' (satisfied) experience of an option.")
    inertia: float = param(0.773, 0, 10, source=CALIBRATED,
                           label="Preference for one's current option",
                           unit="utility", doc="Status-quo bonus for one's current option.")
    asc_over65: list[float] = param(
        [-1.8, -0.9, 0.0, -0.9], -10, 10, unit="utility",
        source="assumption, set by hand against sco_option3_65plus_2015 (86% of 65+ on Option 3), which is a "
               "validation target: that validation is therefore weak",
        doc="Option-specific constants for people aged 65+.")
    asc: list[float] = param([0.0319, -0.539, 0.0, -1.0], -10, 10, unit="utility",
                             source=CALIBRATED + " (Options 1 and 2; Option 3 is the reference at 0; Option 4's "
                                    "-1.0 is an assumption the screening found weak)",
                             doc="Option-specific constants for everyone (Options 1-4).")
    asc_group: list[float] = param(
        [0.0, 1.0, 0.5, 0.2], -10, 10, unit="utility",
        source="assumption; sco_dp_client_group_2012 (direct payments skew to physical disability)",
        doc="Extra constant for Option 1 by client group (older, PD, LD, MH).")
    option4_direct_share: float = param(0.5, 0, 1, unit="share of budget",
                                        doc="Part of an Option 4 budget taken as a direct payment.")
    switch_satisfaction: float = param(0.4, 0, 1, label="Satisfaction below which people are dissatisfied",
                                       unit="0-1",
                                       doc="Satisfaction below which a person is dissatisfied.")
    switch_after_months: int = param(3, 1, 60, label="Months dissatisfied before switching", unit="months",
                                     doc="Months dissatisfied before switching provider or asking for a review.")
    carer_management_help: float = param(
        0.0, 0, 1, label="Carer's help managing a budget", unit="share of burden",
        doc="Share of the burden of managing a budget (choice.burden) an unpaid carer who is caring takes off "
            "the person (0: carers do not help manage; help from advice and brokerage is "
            "councils.N.support.burden_reduction, from a managed account councils.N.support.managed_account).")
    review_mode: Literal["keep_unless_prompted", "fresh_choice"] = param(
        "keep_unless_prompted",
        label="What a review is",
        choices={"keep_unless_prompted": "keep the option unless prompted",
                 "fresh_choice": "a fresh choice every review"},
        unit="-",
        source="assumption: no published rate of option changes at review was found; sco_option3_share_2016 "
               "(Option 3 stayed the large majority as the offer spread: 75% in 2014-15, 83% in 2016-17)",
        doc="What a review is for a person holding an option they chose: keep_unless_prompted, a decision to keep "
            "it unless something prompts them to reconsider (the prompt_* parameters); fresh_choice, a new logit "
            "choice at every review (the rule before prompts, kept to show what the prompts change).")
    prompt_need_change: float = param(10.0, 0, 100, unit="points",
                                      doc="Change in assessed need since the person last chose beyond which they "
                                          "reconsider their option at review (100: never).")
    prompt_satisfaction: float = param(0.4, 0, 1, unit="0-1",
                                       doc="Satisfaction below which a person reconsiders their option at review "
                                           "(0: never; the default is switch_satisfaction's).")
    prompt_carer_breakdown: bool = param(True, unit="-",
                                         doc="Whether the breakdown of a carer who was caring when the person last "
                                             "chose prompts them to reconsider at review.")
    prompt_information: bool = param(True, unit="-",
                                     doc="Whether new information prompts a person to reconsider at review: a peer "
                                         "changed option or took a direct payment since they last chose, or "
                                         "advice and brokerage reached them at this review.")

    @model_validator(mode="after")
    def _lengths(self) -> Choice:
        for name in ("control", "burden", "asc", "asc_over65", "asc_group"):
            if len(getattr(self, name)) != 4:
                raise ValueError(f"choice.{name} needs 4 values")
        return self


# --------------------------------------------------------------------------------------------
# 6 and 9. Providers and market
# --------------------------------------------------------------------------------------------
class ProviderType(Strict):
    price: float = param(20.0, 0.01, 500,
                         label="starting price",
                         unit="GBP per hour", doc="Starting price per hour of support.")
    variable_cost: float = param(16.0, 0, 500,
                                 label="cost per hour delivered",
                                 unit="GBP per hour", doc="Cost per hour delivered.")
    fixed_cost: float = param(2000.0, 0, 1e6,
                              label="fixed cost",
                              unit="GBP per month", doc="Fixed cost (building, core staff).")
    capacity: int = param(20, 1, 10_000,
                          label="places at a new provider",
                          unit="clients", doc="Clients a new provider can take.")
    max_hours: float = param(40.0, 1, 168, label="most hours per client", unit="hours per week per client",
                             doc="Most hours a week one client can get from this type.")
    per_1000: float = param(5.0, 0, 1000,
                            label="providers at the start",
                            unit="providers per 1000 people", doc="Providers at the start.")
    quality_mean: float = param(0.7, 0, 1, label="mean quality", unit="0-1", doc="Mean quality of a new provider.")
    quality_sd: float = param(0.1, 0, 0.5, label="spread of quality", unit="0-1", doc="Spread of provider quality.")
    reserve_months: float = param(3.0, 0, 60,
                                  label="starting reserves",
                                  unit="months of fixed cost", doc="Starting reserves.")
    wellbeing_bonus: float = param(0.0, 0, 1, label="quality-of-life gain from attending",
                                   unit="share of the 24-point scale per full place",
                                   source="day centres: assumption informed by eng_dayc_qol_2020 (an ASCOT gain "
                                          "score of 0.18 on the preference-weighted index, for social participation "
                                          "and occupation, 23 older people), carried over to every client group; "
                                          "community groups: assumption",
                                   doc="Quality-of-life gain from attending a full place (company, activity), as a "
                                       "share of ASCOT's 24 points: half to social participation, half to "
                                       "occupation (outcomes.occupation_base).")
    respite: float = param(0.0, 0, 1,
                           label="respite for carers",
                           unit="strain per month at full use", doc="Respite given to an unpaid carer.")
    growth: float = param(0.0, 0, 1, label="capacity growth when full", unit="share of capacity per month",
                          doc="Capacity added in a month when full and in surplus.")


def _ptype(**kw: Any) -> Any:
    return Field(default_factory=lambda: ProviderType(**kw))


class Providers(Strict):
    @model_validator(mode="before")
    @classmethod
    def _partial_type_tables(cls, data: Any) -> Any:
        """A type's table in a file names only the keys it changes: the others keep *that type's*
        defaults (a day centre's, not the generic ProviderType's)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name in PROVIDER_TYPES:
            given = out.get(name)
            if isinstance(given, dict):
                default = cls.model_fields[name].get_default(call_default_factory=True)
                out[name] = {**default.model_dump(mode="python"), **given}
        return out

    day_centre: ProviderType = _ptype(
        price=6.0, variable_cost=2.5, fixed_cost=8500.0, capacity=35, max_hours=18.0, per_1000=3.5,
        quality_mean=0.65, reserve_months=2.0, wellbeing_bonus=0.18, respite=0.12)
    agency: ProviderType = _ptype(
        price=21.56, variable_cost=18.5, fixed_cost=6000.0, capacity=40, max_hours=40.0, per_1000=18.0,
        quality_mean=0.6, reserve_months=6.0, growth=0.05)
    personal_assistant: ProviderType = _ptype(
        price=14.0, variable_cost=12.5, fixed_cost=60.0, capacity=2, max_hours=40.0, per_1000=2.0,
        quality_mean=0.75, reserve_months=2.0)
    community_group: ProviderType = _ptype(
        price=8.0, variable_cost=4.0, fixed_cost=1500.0, capacity=25, max_hours=8.0, per_1000=3.0,
        quality_mean=0.7, reserve_months=3.0, wellbeing_bonus=0.1, respite=0.05, growth=0.03)
    type_preference: list[float] = param(
        [-2.5, 0.0, 0.0, -0.5], -10, 10, unit="utility",
        source="assumption; the seeds: people holding budgets choose alternatives to day centres",
        doc="Appeal of day centre, agency, personal assistant, community group to a person choosing (Options 1, 2).")
    council_type_preference: list[float] = param(
        [-2.6, 0.0, 0.0, -1.0], -10, 10, unit="utility",
        doc="Appeal of each type when the council arranges care (Option 3): day centres as historically.")
    affinity_bonus: list[float] = param(
        [3.0, 0.0, 0.0, 2.0], -10, 10, unit="utility", doc="Extra appeal of each type to people who value day care.")
    pa_under65_bonus: float = param(2.0, 0, 10, unit="utility",
                                    source="assumption; eng_pa_employers_2022 (32% of DP recipients employ PAs)",
                                    doc="Extra appeal of employing a personal assistant to people under 65.")
    block_bonus: float = param(2.0, 0, 20, label="Council preference for block-contract providers", unit="utility",
                               doc="Council preference for providers holding block contracts.")
    matching_rounds: int = param(3, 1, 20, label="Matching rounds", unit="rounds per month",
                                 doc="Rounds of the matching rule each month (see docs/explanation/ODD.md, rationing).")
    beta_rating: float = param(3.0, 0, 20,
                               label="Weight of ratings in choosing a provider",
                               unit="utility per rating point", doc="Weight of provider ratings.")
    beta_price: float = param(2.0, 0, 20,
                              label="Weight of price in choosing a provider",
                              unit="utility per relative price", doc="Weight of price in choice.")
    rating_memory: float = param(0.8, 0, 1, unit="share", doc="Weight of last month's rating (EWMA).")
    price_adjust: float = param(0.01, 0, 0.2, label="Monthly price change", unit="share per month",
                                doc="Price change per month under full or empty books.")
    max_price_markup: float = param(0.25, 0, 5, unit="share of starting price",
                                    doc="Prices rise at most this far above the type's starting price.")
    price_rise_occupancy: float = param(0.9, 0, 1, unit="share of places",
                                        doc="Occupancy at or above which a provider raises its price.")
    price_cut_occupancy: float = param(0.5, 0, 1, unit="share of places",
                                       doc="Occupancy below which a provider lowers its price.")
    price_floor_markup: float = param(0.05, 0, 5, unit="share of variable cost",
                                      doc="Prices are never cut below variable cost x (1 + this).")
    price_return: bool = param(
        True, unit="-", source="assumption (the types' starting prices are the going rates)",
        doc="Prices move both ways: a provider with spare places (occupancy below price_rise_occupancy, not below "
            "price_cut_occupancy) lowers a price above its type's starting price by price_adjust a month back "
            "towards it. Off: such a price holds, so that rises under full books are undone only below "
            "price_cut_occupancy.")
    growth_occupancy: float = param(0.95, 0, 1, unit="share of places",
                                    doc="Occupancy at or above which a provider in surplus adds capacity.")
    shrink_occupancy: float = param(
        0.75, 0, 1, unit="share of places", source="assumption",
        doc="Occupancy below which a provider of a type that grows gives up places (its type's growth a month), "
            "keeping its clients and its type's opening capacity: places follow demand both ways. 0: capacity "
            "never shrinks.")
    opening_at_demand: bool = param(
        True, unit="-", source="assumption (the starting market has met its demand)",
        doc="Starting market at its demand: at the start, each council's providers of a type that grows (growth "
            "above 0) open with their places raised in proportion, where needed, so that the type has a place for "
            "each starting client expected to want it (by logit over type appeal, as the entry signal) at "
            "growth_occupancy. Off: providers open with their type's capacity, and the caseload is matched into "
            "them at once.")
    exit_after_months: int = param(6, 1, 120,
                                   label="Months in deficit before a provider closes",
                                   unit="months", doc="Months with negative reserves before exit.")
    entry_probability: float = param(0.3, 0, 1, label="Chance a gap attracts a new provider", unit="per month",
                                     doc="Chance a profitable gap is filled by an entrant in a month.")
    max_entries_per_1000: float = param(
        2.5, 0, 1000, unit="providers per 1000 people",
        doc="Most potential entrants per type, council and month, per 1,000 people living in the council "
            "(rounded up), so that entry scales with the market.")
    # Mixed packages (ODD 7.6).
    top_up: bool = param(
        False, unit="-", source="assumption",
        label="Mixed packages (a second provider for the hours the first cannot give)",
        doc="Mixed packages switch: a package held in one mode (Options 1-3) whose first provider's type cannot "
            "give all the formal hours it needs (a day centre's max_hours, a community group's, one personal "
            "assistant's) and whose budget buys more takes a second provider, in the same mode, for the rest "
            "(home care beside a community group or a day centre; a second personal assistant, though only above "
            "a PA's 40 h a week, so England's 1.87 PAs per employer, eng_pa_employers_2022, is not reproduced). "
            "Mixing is triggered by the hours cap only, not by need for day activity or respite. Not fitted: the "
            "calibrated defaults assume it off. Off: one provider a package (Option 4 two, one a slot).")
    # The care labour market (ODD 7.9, workforce): home-care agencies employ care workers.
    workforce: bool = param(
        False, unit="-",
        doc="Care labour market switch: home-care agencies' cost per hour follows the care-worker wage "
            "(care_worker_wage and its on-costs, replacing agency.variable_cost) and the hours an agency delivers "
            "are bounded by its care workers, hired from a local labour supply (workers_per_1000_adults) with "
            "vacancies and turnover. Off: agencies deliver whatever is bought, at agency.variable_cost.")
    care_worker_wage: float = param(
        10.90, 0, 100, label="Care worker wage", unit="GBP per hour",
        source="sco_care_wage_2023 (minimum pay of adult social care workers in commissioned services in Scotland "
               "from April 2023)",
        doc="Hourly pay of a home-care worker (workforce).")
    travel_time_share: float = param(
        0.19, 0, 2, unit="paid hours per contact hour",
        source="uk_homecare_minprice_2014 (1.20 GBP travel pay per 6.31 GBP contact pay)",
        doc="Paid travel time per hour of contact time (workforce: part of the cost per hour).")
    on_cost_share: float = param(
        0.23, 0, 2, unit="share of gross pay",
        source="uk_homecare_minprice_2014 (national insurance 0.71, holiday 0.81, training 0.13, pension 0.08 GBP "
               "on 7.51 GBP gross pay)",
        doc="Wage-related on-costs (employer's national insurance, holiday pay, training, pension) per GBP of gross "
            "pay (workforce).")
    mileage_per_hour: float = param(
        1.40, 0, 50, unit="GBP per contact hour", source="uk_homecare_minprice_2014",
        doc="Mileage paid per hour of contact time (workforce: part of the cost per hour).")
    contact_hours_per_worker: float = param(
        20.0, 1, 60, unit="contact hours per week",
        source="assumption (most home-care workers are part time; travel, training and breaks are paid on top)",
        doc="Hours of care a care worker delivers in a week (workforce: an agency's staff bound the hours it "
            "delivers).")
    workers_per_1000_adults: float = param(
        15.3, 0, 1000, unit="care workers per 1000 adults",
        source="sco_care_at_home_workforce_2016 (68,970 people in housing support and care at home over the ~4.5 "
               "million adults of nrs_population_2019)",
        doc="Local labour supply: care workers willing to work in home care, per 1,000 adults of the council "
            "(scaled to the sample as people are; workforce).")
    turnover_rate: float = param(
        0.30, 0, 1,
        label="Care worker turnover",
        unit="share of staff per year", source="eng_care_turnover_2023 (independent sector, 2022-23)",
        doc="Care workers leaving their agency in a year (workforce: a monthly hazard 1 - (1 - rate)^(1/12)).")
    vacancy_rate: float = param(
        0.099, 0, 0.9, unit="share of posts", source="eng_care_vacancy_2023 (adult social care, 2022-23)",
        doc="Vacancy rate at which recruitment balances turnover when the labour supply is ample: an agency "
            "fills the share of its vacancies a month that makes this the steady state (workforce).")
    handback_rate: float = param(
        1.0, 0, 100, label="Package hand-back hazard", unit="hazard per month per unit shortfall",
        source="assumption; eng_closure_councils_2021 (councils reporting home-care closures and hand-backs) bounds "
               "how common hand-backs are",
        doc="Hand-backs: each month an agency whose cost per hour exceeds the council's hourly rate hands back each "
            "council-paid package with probability min(1, handback_rate x (1 - rate / cost)); none when the rate "
            "covers the cost.")

    @model_validator(mode="after")
    def _lists(self) -> Providers:
        for name in ("type_preference", "council_type_preference", "affinity_bonus"):
            if len(getattr(self, name)) != 4:
                raise ValueError(f"providers.{name} needs 4 values, one per provider type")
        for name in PROVIDER_TYPES:
            t = getattr(self, name)
            if t.variable_cost > t.price * 1.5:
                raise ValueError(f"providers.{name}: variable_cost must be at most 1.5 x price")
        return self

    def types(self) -> list[ProviderType]:
        return [getattr(self, name) for name in PROVIDER_TYPES]


# --------------------------------------------------------------------------------------------
# 7. Unpaid carers
# --------------------------------------------------------------------------------------------
class Carers(Strict):
    strain_per_hour: float = param(0.003, 0, 0.1,
                                   label="Strain per weekly hour of care",
                                   unit="strain per month per weekly hour",
                                   doc="Strain added each month by each weekly hour of care.")
    strain_unmet: float = param(0.06, 0, 1, label="Strain from unmet need", unit="strain per month at no formal care",
                                doc="Strain added by the person's unmet need.")
    recovery: float = param(0.12, 0, 1,
                            label="Recovery from strain",
                            unit="share per month", doc="Share of strain shed each month.")
    breakdown_threshold: float = param(0.75, 0, 1,
                                       label="Strain at which breakdown may occur",
                                       unit="0-1", doc="Strain above which breakdown may occur.")
    breakdown_probability: float = param(0.02, 0, 1, label="Chance of carer breakdown", unit="per month",
                                         source="assumption; uk_carer_strain_2024 (57% often overwhelmed)",
                                         doc="Monthly breakdown chance above the threshold.")
    breakdown_need_jump: float = param(10.0, 0, 100,
                                       label="Need added by a carer breakdown",
                                       unit="points", doc="Need added when a carer breaks down.")
    crisis_probability: float = param(0.35, 0, 1,
                                      label="Chance a breakdown leads to an emergency admission",
                                      unit="probability",
                                      doc="Chance a breakdown causes an emergency admission.")
    crisis_cost: float = param(5500.0, 0, 1e6,
                               label="Cost of an emergency admission",
                               unit="GBP per admission", doc="Cost of an emergency admission.")
    replacement_value: float = param(25.0, 0, 500,
                                     label="Value of an hour of unpaid care",
                                     unit="GBP per hour", source="uk_unpaid_care_value_2021",
                                     doc="Replacement value of an hour of unpaid care.")
    # The carer's assessment (ODD 7.2, 7.7): what the assessment counts against the person's need.
    carers_assessment: bool = param(True, unit="-",
                                    source="Care Act 2014 s.10 (willing and able); eng_formal_informal_2023",
                                    doc="Credit only the care the carer is willing and able to sustain (off: the "
                                        "carer's hours are deducted 1:1 from need).")
    credit_cap_hours: float = param(20.0, 0, 168, unit="hours per week", source="assumption; eng_carer_health_2022 "
                                    "(81% of those caring 20+ h/week report a health impact)",
                                    doc="Most unpaid hours a week the assessment counts as sustainable.")
    credit_strain_discount: float = param(1.0, 0, 1, unit="share of the credit at strain 1",
                                          doc="Share of the credited hours the assessment drops as the carer's "
                                              "strain rises from 0 to 1.")
    # Unpaid hours respond to the formal care delivered.
    formal_response: bool = param(True, unit="-", source="eng_formal_informal_2020; uk_formal_informal_2024",
                                  doc="Unpaid hours respond to the formal hours delivered (off: fixed at referral).")
    formal_elasticity: float = param(
        -0.2, -2, 0.9,
        label="Response of unpaid care to formal care",
        unit="relative change in unpaid hours per relative change in formal hours",
        source="jp_formal_informal_2017 (size 0.18-0.22); sign from eng_formal_informal_2020, uk_formal_informal_2024",
        doc="Elasticity of the carer's hours to the formal hours delivered, against those planned; negative: "
            "substitutes (care falls short, the carer does more), positive: complements (at most 0.9, so a "
            "carer never stops for want of formal care).")
    # Strain by hours follows the published gradient, through each carer's capacity.
    strain_gradient: bool = param(True, unit="-", source="eng_carer_health_2022",
                                  doc="Strain from hours follows the published gradient of health impact by "
                                      "hours (off: strain_per_hour x hours, a line through zero).")
    impact_light: float = param(0.30, 0, 1, unit="share of carers", source="eng_carer_health_2022",
                                doc="Share of carers giving under 1 hour a week who report a health impact.")
    impact_heavy: float = param(0.81, 0, 1, unit="share of carers", source="eng_carer_health_2022",
                                doc="Share of carers giving 20 or more hours a week who report a health impact.")
    heavy_hours: float = param(50.0, 1, 100, unit="hours per week",
                               source="assumption (the 20+ band's typical hours; Census 2021: 2.8% give 50+ h, "
                                      "1.9% 20-49 h)",
                               doc="Weekly hours at which impact_heavy of carers report a health impact.")
    strained_level: float = param(0.5, 0.01, 1, unit="0-1",
                                  doc="Strain above which a carer counts as strained (reports a health impact); "
                                      "a carer giving their capacity settles here.")
    # Breakdown by strain history, recovery and replacement.
    strain_history: bool = param(True, unit="-",
                                 doc="The breakdown hazard grows with the months spent above the threshold "
                                     "(off: breakdown_probability from the first month).")
    history_months: float = param(12.0, 1, 120, unit="months",
                                  doc="Months above the threshold at which the hazard reaches breakdown_probability "
                                      "(it grows linearly to there; a month below takes one off).")
    # Short breaks as a service.
    short_breaks: bool = param(False, unit="-",
                               doc="A strained carer (above strained_level last month) gets a short break from "
                                   "the council each month, beside any respite from day-centre hours.")
    short_break_respite: float = param(0.1, 0, 1, unit="strain per month",
                                       doc="Strain a month's short break takes off (as respite does).")
    short_break_cost: float = param(400.0, 0, 1e5,
                                    label="Cost of a carer's short breaks",
                                    unit="GBP per carer per month",
                                    doc="Council's cost of a month's short breaks for one carer.")
    replacement: bool = param(True, unit="-",
                              doc="A person whose carer broke down may gain a new carer (off: never).")
    replacement_probability: float = param(
        0.03, 0, 1, label="Chance a new carer steps in", unit="per month",
        doc="Monthly chance that a new carer takes on the hours the last one was willing to give.")


# --------------------------------------------------------------------------------------------
# 8. Outcomes and voice
# --------------------------------------------------------------------------------------------
ASCS = ("anchored by hand, not fitted: set so that people with a package in the first year of baseline score "
        "England's Adult Social Care Survey mean")


class Outcomes(Strict):
    """Social-care-related quality of life by ASCOT's eight domains (each 0-3, their sum 0-24; ODD 7.8),
    carers' quality of life, and satisfaction."""

    basic_unmet: float = param(1.15, 0, 3, label="Basic domains with no formal care",
                               unit="domain points (0-3)",
                               source=ASCS + " (eng_ascot_scrqol_2018, 19.1 of 24) with basic_met; assumption",
                               doc="Score of each basic domain (personal care, food and drink, accommodation, "
                                   "safety) of a person getting none of the formal hours they need.")
    basic_met: float = param(3.0, 0, 3, label="Basic domains with all formal care",
                             unit="domain points (0-3)",
                             source="assumption: all assessed need met is taken as ASCOT's ideal state in the basic "
                                    "domains (a simplification: accommodation and safety depend on more than care "
                                    "hours); with basic_unmet anchored to eng_ascot_scrqol_2018 (19.1 of 24)",
                             doc="Score of each basic domain of a person getting all the formal hours they need "
                                 "(linear in met need between the two).")
    control_base: float = param(1.31, 0, 3, label="Control over daily life without control from the option",
                                unit="domain points (0-3)",
                                source=ASCS + " (eng_ascot_control_2012: 2.0)",
                                doc="Control domain of a person whose option gives no control and whose formal "
                                    "hours are all missing.")
    control_met: float = param(0.95, 0, 3, label="Control gained from met need", unit="domain points per unit met need",
                               source="assumption", doc="Control domain gained with met need (0-1).")
    control_value: list[float] = param(
        [0.6, 1.2, 1.0, 1.2], 0, 3, unit="domain points per unit control",
        source="assumption in size; ordering informed by IBSEN's satisfaction (eng_ibsen_satisfaction_2008: "
               "satisfaction with individual budgets highest among mental-health and physically disabled users, "
               "lowest among older people), a finding on satisfaction, not on the control domain",
        doc="Control domain gained per unit of the option's control (choice.control) by client group (older, PD, "
            "LD, MH): how much a person values control.")
    control_value_over65: float = param(1.0, 0, 2, label="Value of control at 65 and over, relative",
                                        unit="ratio",
                                        source="assumption: no evidence on how the control domain responds to a "
                                               "direct payment by age was found, so 1 (older people differ through "
                                               "control_value's older group and the burden they feel)",
                                        doc="Multiplier of control_value for people aged 65 and over.")
    burden_weight: float = param(1.5, 0, 6, label="Control lost to the burden of managing",
                                 unit="domain points per unit felt burden", source="assumption",
                                 doc="Control domain lost per unit of the burden the person feels managing their "
                                     "option (choice.burden after confidence and help). With control_value it decides "
                                     "who gains from a direct payment: not everyone does.")
    social_base: float = param(1.6, 0, 3, label="Social participation without activity or carer",
                               unit="domain points (0-3)",
                               source=ASCS + " (eng_ascs_social_contact_2017: 2.18)",
                               doc="Social participation domain of a person with no day activity and no carer.")
    social_carer: float = param(0.3, 0, 3, label="Social participation from a carer", unit="domain points",
                                source="assumption",
                                doc="Social participation gained from an unpaid carer who is caring (company).")
    occupation_base: float = param(2.0, 0, 3, label="Occupation without activity", unit="domain points (0-3)",
                                   source="assumption, a residual: with dignity_base, what brings the total to "
                                          "eng_ascot_scrqol_2018's 19.1 once the anchored domains are set; no "
                                          "published mean of this domain was read",
                                   doc="Occupation domain (doing things one values) with no day activity. Day "
                                       "activity adds each provider type's wellbeing_bonus x 12 points per full "
                                       "place to this domain and to social participation.")
    dignity_base: float = param(2.3, 0, 3, label="Dignity", unit="domain points (0-3)",
                                source="assumption, a residual (as occupation_base); no published mean of this "
                                       "domain was read",
                                doc="Dignity domain with a provider of quality 0.5, or with no provider.")
    dignity_quality: float = param(1.5, 0, 6, label="Dignity from provider quality",
                                   unit="domain points per unit quality", source="assumption",
                                   doc="Dignity domain gained per unit of the main provider's quality above 0.5 "
                                       "(lost below).")
    carer_qol_unstrained: float = param(9.5, 0, 12, label="Carer's quality of life without strain",
                                        unit="points (0-12)", source="assumption",
                                        doc="Quality of life of a caring carer with no strain, on the 12 points of "
                                            "carer-reported quality of life (ASCOF 1D).")
    carer_qol_strain: float = param(4.95, 0, 12, label="Carer's quality of life lost to strain",
                                    unit="points per unit strain",
                                    source="anchored by hand, not fitted: set so that the caring carers of people "
                                           "with a package in the first year of baseline score the mean of England's "
                                           "Survey of Adult Carers (eng_carer_qol_2019: 7.5 of 12)",
                                    doc="Carer's quality of life lost per unit of strain (0-1).")
    satisfaction_quality_weight: float = param(0.5, 0, 1, label="Weight of quality in satisfaction", unit="share",
                                               doc="Weight of provider quality (vs met need) in satisfaction.")
    satisfaction_noise: float = param(0.1, 0, 1,
                                      label="Monthly noise in satisfaction",
                                      unit="0-1", doc="Monthly noise in satisfaction (sd).")

    @model_validator(mode="after")
    def _lengths(self) -> Outcomes:
        if len(self.control_value) != 4:
            raise ValueError("outcomes.control_value needs 4 values")
        return self


# --------------------------------------------------------------------------------------------
# Councils: rollout, support, commissioning and finance
# --------------------------------------------------------------------------------------------
class Rollout(Strict):
    start_month: int = param(6, 0, 600,
                             label="Month the SDS offer starts",
                             unit="month", doc="Month the SDS offer starts.")
    duration_months: int = param(36, 0, 600, label="Months to reach everyone", unit="months",
                                 source="Scottish rollout (BRIEF): one to three years",
                                 doc="Months over which the offer reaches everyone.")
    offer: bool = param(True,
                        label="Offer the SDS choice",
                        unit="-", doc="Whether the council offers the SDS choice at all.")
    options: list[int] = param([1, 2, 3, 4], 1, 4, unit="option numbers", doc="Options the council offers.")
    review_interval_months: int = param(12, 1, 120,
                                        label="Months between reviews",
                                        unit="months", doc="Months between reviews.")
    schedule_months: list[int] = param([], 0, 600, unit="model months",
                                       doc="An offer that follows a published implementation rate instead of the "
                                           "linear ramp: the model months of the points of schedule_shares "
                                           "(increasing; linear between points, flat after the last; empty: the ramp "
                                           "of start_month and duration_months).")
    schedule_shares: list[float] = param([], 0, 1, unit="share of people",
                                         doc="Share of the council's people offered the choice at each month of "
                                             "schedule_months (non-decreasing: an offer is not withdrawn).")
    presentation: list[float] = param(
        [0.0, 0.0, 0.0, 0.0], -5, 5, unit="utility",
        doc="How the council's practitioners present the options at assessment: a shift in the utility of "
            "Options 1-4 at a person's first choice (positive: presented favourably; 0: neutral).")

    @model_validator(mode="after")
    def _options(self) -> Rollout:
        if not self.options or any(o not in (1, 2, 3, 4) for o in self.options) or 3 not in self.options:
            raise ValueError("rollout.options must be a list drawn from 1-4 that includes 3")
        months, shares = self.schedule_months, self.schedule_shares
        if len(months) != len(shares):
            raise ValueError(f"rollout.schedule_months has {len(months)} points and rollout.schedule_shares "
                             f"{len(shares)}; give one share per month")
        if any(b <= a for a, b in itertools.pairwise(months)):
            raise ValueError("rollout.schedule_months must increase from point to point")
        if any(b < a for a, b in itertools.pairwise(shares)):
            raise ValueError("rollout.schedule_shares must not decrease (an offer is not withdrawn)")
        return self

    @field_validator("presentation")
    @classmethod
    def _one_per_option(cls, value: list[float]) -> list[float]:
        if len(value) != 4:
            raise PydanticCustomError("list_length", "needs 4 values, one per option (got {n})", {"n": len(value)})
        return value


class Support(Strict):
    capacity: float = param(4.0, 0, 1000, label="Brokerage capacity", unit="people per 1000 per month",
                            doc="People an adviser/broker service can support each month, per 1000 people.")
    targeting: Literal["first_come", "most_deprived"] = param(
        "first_come",
        label="Who gets support first",
        choices={"first_come": "first come, first served", "most_deprived": "most deprived first"},
        unit="-", doc="Who is supported first among those choosing this month.")
    burden_reduction: float = param(0.6, 0, 1,
                                    label="Burden removed by support",
                                    unit="share", doc="Share of burden removed by support.")
    managed_account: float = param(0.0, 0, 1, label="Burden taken by a managed account", unit="share of burden",
                                   doc="Share of the burden of a direct payment (Options 1 and 4) the council's "
                                       "managed-account service takes off (it holds the account and runs the "
                                       "payroll for the person); 0: the council offers none.")
    cost_per_person: float = param(350.0, 0, 1e5,
                                   label="Cost of a support episode",
                                   unit="GBP per person supported", doc="Cost of one episode.")


class Commissioning(Strict):
    block_share: float = param(0.8, 0, 1,
                               label="Day-centre places on block contracts",
                               unit="share of day-centre places",
                               doc="Day-centre places held on block contracts before rollout.")
    block_retention: float = param(0.1, 0, 1, label="Block contracts kept after rollout", unit="share",
                                   doc="Share of block contracts kept once rollout is complete (schedule), or the "
                                       "least the council keeps (occupancy).")
    rundown: Literal["schedule", "occupancy"] = param(
        "schedule", label="How block contracts are run down",
        choices={"schedule": "on a schedule, with the SDS offer", "occupancy": "by the council, as places go unused"},
        unit="-",
        doc="How the council runs down its day-centre block contracts: schedule, with the offer (the share kept falls "
            "with the offered share to block_retention, whatever the centres' occupancy); occupancy, a commissioning "
            "decision at each review (review_months): where the block places it pays for are taken less often than "
            "block_min_use, it gives up the unused places beyond that margin, never below block_retention (every "
            "centre's places in proportion; never buying back).")
    block_min_use: float = param(
        0.85, 0.01, 1, label="Use of block places the council requires", unit="share of block places taken",
        source="assumption, a rule of thumb (no figure found): in this model a block place costs what a spot place "
               "does (market.block_payment), so no use makes a block cheaper; the threshold stands for a council's "
               "tolerance of paying for empty places",
        doc="With rundown = occupancy: the share of its paid block places the council's attendees must take over a "
            "review period; below it the council gives up the unused places beyond this margin.")
    review_months: int = param(12, 1, 120, label="Months between commissioning reviews", unit="months",
                               source="assumption: annual contract reviews",
                               doc="With rundown = occupancy: months between the council's reviews of its block "
                                   "contracts (the use of block places is averaged over them).")
    market_shaping_grant: float = param(0.0, 0, 1e6, label="Market-shaping grant", unit="GBP per entrant",
                                        doc="Start-up grant to entrants filling a gap (counts as support spend).")
    set_hourly_rate: bool = param(
        False, unit="-",
        doc="Council-set hourly rate switch: the council pays home-care agencies hourly_rate for the packages it "
            "pays for (Option 2's individual service funds and council-arranged care: Option 3 and Option 4's "
            "council part), whatever price the agency asks; agencies whose cost per hour is above it hand packages "
            "back (providers.handback_rate). Off: the council pays the agency's price.")
    hourly_rate: float = param(
        21.56, 0.01, 500,
        label="Council's hourly rate for home care",
        unit="GBP per hour", source="uk_homecare_price_2023 (average paid by UK public bodies)",
        doc="The council's hourly rate for home care (set_hourly_rate).")
    in_house_close_occupancy: float = param(
        0.0, 0, 1, unit="share of places",
        doc="The council closes an in-house day centre (councils.N.day_centres, ownership in_house) whose occupancy "
            "has stayed below this for in_house_close_after_months months (0: never for low occupancy).")
    in_house_close_after_months: int = param(6, 1, 120, unit="months",
                                             doc="Months of occupancy below in_house_close_occupancy before the "
                                                 "council closes an in-house centre.")


class Finance(Strict):
    cash_per_head: float = param(
        19300.0, 0, 1e6, label="Care budget per adult", unit="GBP per person per year",
        source="calibrated: sds_rollout's first-year spend is about 16,700-17,800 GBP per person on the books "
               "at the start (2,000 people, 2 seeds, no levers, with the provider market at its steady state), so "
               "the default leaves ~12% headroom; sco_sds_budget_2015 / sco_sds_clients_2015 give a 2015 lower "
               "bound of 383m / 53,319 = 7,183 GBP per client",
        doc="Cash limit: the council's care budget for its first year per person of its population (until "
            "population-driven demand lands, its people on the books at the start).")
    settlement_growth: float = param(
        0.0, -0.2, 0.2, label="Yearly change in the budget", unit="share per year (real terms)",
        source="spice_lg_settlement_2018 (revenue settlement -7.1% in real terms 2013-14 to 2017-18, about "
               "-1.8% a year; +0.3% in 2018-19); model prices are constant, so the rate is real",
        doc="Yearly change in the cash limit (the local government settlement).")
    carry_over_limit: float = param(0.0, 0, 1, unit="share of the year's cash limit",
                                    doc="Under- or overspend carried into the next year, at most this share of "
                                        "the year's cash limit either way (0: none).")
    assessment_cost: float = param(250.0, 0, 1e5,
                                   label="Cost of an assessment",
                                   unit="GBP per assessment or review", doc="Social-work time.")
    admin_cost: list[float] = param([25.0, 40.0, 30.0, 45.0], 0, 1e5, unit="GBP per person per month",
                                    doc="Administration and monitoring by option (DP audit, ISF fee, commissioning).")

    @model_validator(mode="after")
    def _admin(self) -> Finance:
        if len(self.admin_cost) != 4:
            raise ValueError("finance.admin_cost needs 4 values, one per option")
        return self


class DayCentre(Strict):
    """One of a council's named day centres (``[[councils.day_centres]]``): its places, days, price, costs,
    owner, block contract and attendance at the start (ODD 7.9, a council's own day services)."""

    name: str = Field(min_length=1, max_length=60, description="The centre's name, as the outputs carry it.")
    places: int = param(30, 1, 1000, unit="places a day", doc="Places the centre offers on each day it is open.")
    days_per_week: int = param(5, 1, 7, unit="days per week", doc="Days a week the centre is open.")
    days_per_attendee: float = param(
        3.0, 1, 7, unit="days per week",
        source="assumption: providers.day_centre.max_hours (18 h/week) as three days of six hours",
        doc="Days a week an attendee comes at most: the centre has places x days_per_week / days_per_attendee "
            "attendees when full, and a day is providers.day_centre.max_hours / days_per_attendee hours.")
    price: float = param(36.0, 0.01, 1000, unit="GBP per attendee per day",
                         doc="What a day's attendance costs the purchaser (the council or a person's budget).")
    fixed_cost: float = param(8500.0, 0, 1e7, unit="GBP per month",
                              doc="The centre's fixed cost (building, core staff); its cost per hour delivered is "
                                  "providers.day_centre.variable_cost.")
    ownership: Literal["in_house", "independent"] = param(
        "independent", unit="-",
        doc="in_house: run by the council, whose spend meets its result each month and which closes it by "
            "decision (close_month, or councils.N.commissioning.in_house_close_occupancy); independent: a "
            "provider that closes when its reserves stay negative (providers.exit_after_months).")
    block_places: int = param(0, 0, 10_000, unit="attendees",
                              doc="Attendees the council holds on a block contract at the start; run down and "
                                  "decommissioned in proportion to the council's block share.")
    attendance: int = param(0, 0, 10_000, unit="attendees",
                            doc="People attending at the start (eligible people of the council, those who value "
                                "day care first); the rest of the places are filled by the model's matching.")
    close_month: int = param(0, 0, 600, unit="month of the run",
                             doc="In-house: the month of the run (from 1, as the outputs count months) in which the "
                                 "council closes the centre (0: none set).")

    def attendees(self) -> int:
        """Attendees the centre has when full: places x days open / days per attendee, rounded down."""
        return math.floor(self.places * self.days_per_week / self.days_per_attendee + 1e-9)

    @model_validator(mode="after")
    def _fits(self) -> DayCentre:
        full = self.attendees()
        if self.days_per_attendee > self.days_per_week:
            raise ValueError(f"day_centres '{self.name}': days_per_attendee must be at most days_per_week "
                             f"({self.days_per_week})")
        for name in ("block_places", "attendance"):
            if getattr(self, name) > full:
                raise ValueError(f"day_centres '{self.name}': {name} must be at most the {full} attendees the "
                                 "centre holds when full (places x days_per_week / days_per_attendee)")
        if self.close_month > 0 and self.ownership != "in_house":
            raise ValueError(f"day_centres '{self.name}': close_month applies to in_house centres only (the "
                             "council closes its own; an independent centre closes on insolvency)")
        return self


class Council(Strict):
    name: str = Field(min_length=1, max_length=60, description="Council name.")
    population_share: float = param(1.0, 0, 1,
                                    label="Share of the people in this council",
                                    unit="share", doc="Share of the run's people in this council.")
    adults: int = param(150_000, 1, 10_000_000, label="Adults in the council area", unit="adults",
                        source="assumption: a mid-sized council; nrs_population_2019 gives 5.46 million people in "
                               "Scotland's 32 council areas",
                        doc="Adults (18 and over) living in the council area at month 0.")
    adult_growth: float = param(0.0, -0.1, 0.1, label="Growth of the adult population", unit="share per year",
                                source="assumption (a stationary population); nrs_projections_2010 gives council "
                                       "areas' projected change",
                                doc="Yearly growth of the council's adult population (compounded monthly).")
    deprivation: list[float] = param([0.2] * 5, 0, 1, unit="share",
                                     doc="Shares of people in quintiles Q1 (most deprived) to Q5.")
    rollout: Rollout = Field(default_factory=Rollout)
    support: Support = Field(default_factory=Support)
    commissioning: Commissioning = Field(default_factory=Commissioning)
    finance: Finance = Field(default_factory=Finance)
    day_centres: list[DayCentre] = Field(
        default_factory=list, max_length=50,
        description="The council's named day centres; when given they are its day centres at the start, in place "
                    "of providers.day_centre.per_1000 generic ones.")

    @model_validator(mode="after")
    def _dep(self) -> Council:
        _check_shares(self.deprivation, "deprivation", 5)
        names = [d.name for d in self.day_centres]
        if len(set(names)) != len(names):
            raise ValueError(f"council '{self.name}': day_centres names must be unique")
        return self


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field("unnamed", min_length=1, max_length=80)
    description: str = Field("", max_length=4000)
    question: str = Field("", max_length=4000)
    run: Run = Field(default_factory=Run)
    demography: Demography = Field(default_factory=Demography)
    budgets: Budgets = Field(default_factory=Budgets)
    choice: Choice = Field(default_factory=Choice)
    providers: Providers = Field(default_factory=Providers)
    carers: Carers = Field(default_factory=Carers)
    outcomes: Outcomes = Field(default_factory=Outcomes)
    councils: list[Council] = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _whole(self) -> Scenario:
        total = sum(c.population_share for c in self.councils)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"councils.population_share must sum to 1 (got {total:g})")
        names = [c.name for c in self.councils]
        if len(set(names)) != len(names):
            raise ValueError("councils.name must be unique")
        for i, c in enumerate(self.councils):
            end = c.rollout.start_month + c.rollout.duration_months
            if c.rollout.offer and not c.rollout.schedule_months and end > self.run.months:
                raise ValueError(
                    f"councils.{i}.rollout: start_month + duration_months = {end} must be at most "
                    f"run.months = {self.run.months}")
        peak = self.expected_population()
        if peak > MAX_POPULATION:
            d = self.demography
            raise ValueError(
                f"demography.referral_incidence: {sum(d.referral_incidence):g} referrals a year per 1,000 adults "
                f"against {d.known_per_1000_adults:g} known per 1,000 adults and departures of about "
                f"{self.mean_departure_rate():.4g} a month would grow {self.run.people:,} people to about "
                f"{peak:.3g} by month {self.run.months}; the model must be at most {MAX_POPULATION:,} people: "
                "lower the incidence or the adults' growth, run.months or run.people")
        return self

    def mean_departure_rate(self) -> float:
        """Departures a month per person on the books, at the least (need only raises the hazard)."""
        d = self.demography
        return sum(m * r for m, r in zip(d.group_mix, d.departure_rate, strict=True))

    def expected_population(self) -> float:
        """Most people on the books by the horizon (burn-in included) if referrals follow the adults'
        growth and departures keep their rate at need 0: N0 e^(-h t) + (A / h)(1 - e^(-h t)), A the
        referrals a month at the largest adult population: an estimate from above (departures rise
        with need), so that a run that would outgrow memory is refused first. (A population
        projection file is not read here.)"""
        d, months = self.demography, self.run.burn_in_months + self.run.months
        grown = max(max(1.0, (1.0 + c.adult_growth) ** (months / 12.0)) for c in self.councils)
        referrals = self.run.people * sum(d.referral_incidence) / 12.0 / d.known_per_1000_adults * grown
        h = self.mean_departure_rate()
        if h <= 0:
            return self.run.people + referrals * months
        settled = math.exp(-h * months)
        return max(float(self.run.people), self.run.people * settled + referrals / h * (1.0 - settled))

    # ---------------------------------------------------------------- conveniences
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="python")

    def with_overrides(self, overrides: dict[str, Any], origin: str | None = None) -> Scenario:
        """A new scenario with dotted-key overrides applied (``{"run.months": 60}``), validated;
        ``origin`` names where the overrides came from in error messages."""
        data = self.to_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return validate(data, origin=origin or f"scenario '{self.name}' with overrides")

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())


# --------------------------------------------------------------------------------------------
# Loading, overrides and error messages
# --------------------------------------------------------------------------------------------
def _field_at(loc: tuple[Any, ...]) -> Any:
    """The pydantic FieldInfo at a validation-error location, or None."""
    cls: Any = Scenario
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(cls, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        cls = args[0] if args and isinstance(args[0], type) else ann
    return info


def _allowed(info: Any) -> str:
    if info is None:
        return ""
    extra = info.json_schema_extra or {}
    lo, hi = extra.get("range", [None, None])
    unit = extra.get("unit", "")
    unit = "" if unit in ("-", "") else f" {unit}"
    if lo is not None and hi is not None:
        return f"allowed: {lo:g} to {hi:g}{unit}"
    if lo is not None:
        return f"allowed: at least {lo:g}{unit}"
    sizes = {type(m).__name__: m for m in info.metadata}
    if "MinLen" in sizes and "MaxLen" in sizes:
        what = "characters" if info.annotation is str else "entries"
        return f"allowed: {sizes['MinLen'].min_length} to {sizes['MaxLen'].max_length} {what}"
    return f"allowed: {info.annotation.__name__ if hasattr(info.annotation, '__name__') else info.annotation}"


def format_validation_error(err: ValidationError, origin: str) -> str:
    """One line: where, which field, what is wrong, what is allowed."""
    e = err.errors()[0]
    loc = tuple(e["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    kind = e["type"]
    if kind == "extra_forbidden":
        parent = _field_at(loc[:-1]) if len(loc) > 1 else None
        cls: Any = Scenario if parent is None else parent.annotation
        cls = getattr(cls, "__args__", (cls,))[0] if not hasattr(cls, "model_fields") else cls
        known = ", ".join(getattr(cls, "model_fields", {}).keys())
        return f"{origin}: unknown key '{field}' (allowed keys here: {known})"
    if kind == "missing":
        allowed = _allowed(_field_at(loc))
        return f"{origin}: missing required key '{field}'" + (f" ({allowed})" if allowed else "")
    msg = e["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        return f"{origin}: {msg}"
    allowed = _allowed(_field_at(loc))
    got = e.get("input")
    got_s = f"; got {got!r}" if not isinstance(got, dict | list) else ""
    tail = f" ({allowed})" if allowed else ""
    return f"{origin}: {field}: {msg.lower()}{tail}{got_s}"


def validate(data: dict[str, Any], origin: str = "scenario") -> Scenario:
    """Validate a scenario dictionary; raise ScenarioError with a one-line message."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, origin)) from None


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.0.c`` in nested dicts/lists; unknown keys are left for validation to refuse."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"index '{part}' is not one of 0 to {len(node) - 1}", "override", key)
            idx = int(part)
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    raise ScenarioError(f"unknown key '{part}'", "override", key)
                node = node[part]
        else:
            raise ScenarioError(f"'{part}' is below a value, not a section", "override", key)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``dotted.key=value``; the value is read as TOML (``60``, ``0.5``, ``"x"``, ``[1,3]``)."""
    if "=" not in text:
        raise ScenarioError("expected dotted.key=value", "override", text)
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ScenarioError("empty key", "override", text)
    if len(key.split(".")) > MAX_KEY_PARTS:
        raise ScenarioError(f"a key must have at most {MAX_KEY_PARTS} dotted parts", "override", f"{key[:40]}...")
    check_toml_text(raw, f"override '{key[:60]}'")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word is taken as a string
    return key, value


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def scenario_path(name_or_path: str | Path) -> Traversable:
    """A built-in scenario's name (``sds_rollout``: its file in :data:`SCENARIO_DIR`) or a path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return p
    return SCENARIO_DIR / f"{name_or_path}.toml"


def check_toml_text(text: str, origin: str) -> None:
    """Refuse TOML text that is larger, has longer dotted keys or nests deeper than the bounds above,
    with one line, before it is parsed. Strings and comments are skipped; a dot counts towards a key
    until the next ``=``, ``,``, bracket, brace or line end (a number has at most one)."""
    if len(text) > MAX_TOML_BYTES:
        raise ScenarioError(f"{origin}: too large ({len(text) / 1024:,.0f} kB; at most {MAX_TOML_BYTES // 1024} kB)")
    depth = dots = 0
    for token in _TOML_TOKENS.finditer(text):
        c = token.group()[0]
        if c in "[{":
            depth, dots = depth + 1, 0
            if depth > MAX_NESTING:
                raise ScenarioError(f"{origin}: arrays and tables nest too deep (at most {MAX_NESTING} levels)")
        elif c in "]}":
            depth, dots = max(depth - 1, 0), 0
        elif c == ".":
            dots += 1
            if dots >= MAX_KEY_PARTS:
                raise ScenarioError(f"{origin}: a dotted key is too long (at most {MAX_KEY_PARTS} parts)")
        elif c in "=,\n":
            dots = 0


def read_toml_text(text: str, origin: str) -> dict[str, Any]:
    """Parse TOML text within the bounds of :func:`check_toml_text`; any failure is a one-line ScenarioError."""
    check_toml_text(text, origin)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{origin}: not valid TOML ({err})") from None


def read_toml_file(file: Path | Traversable, origin: str) -> dict[str, Any]:
    """Read and parse a TOML file: at most ``MAX_TOML_BYTES`` are read; a file that cannot be read or
    is not UTF-8 text is a one-line ScenarioError."""
    try:
        with file.open("rb") as f:
            raw = f.read(MAX_TOML_BYTES + 1)
    except OSError as err:
        raise ScenarioError(f"{origin}: cannot be read ({err.strerror or err})") from None
    if len(raw) > MAX_TOML_BYTES:
        raise ScenarioError(f"{origin}: too large (more than {MAX_TOML_BYTES // 1024} kB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{origin}: not UTF-8 text (byte {err.start} is {raw[err.start]:#04x})") from None
    return read_toml_text(text, origin)


def _load_dict(file: Traversable, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """A scenario file's contents merged onto the built-in scenario it extends; ``seen``: files already followed."""
    origin = f"scenario '{file.name}'"
    return resolve_extends(read_toml_file(file, origin), origin, (*seen, str(file)))


def resolve_extends(data: dict[str, Any], origin: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Follow ``extends = "name"`` to a built-in scenario and merge this file on top of it."""
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str) or base_name not in list_scenarios():
        raise ScenarioError(f"{origin}: extends: must name a built-in scenario ({', '.join(list_scenarios())})")
    base = SCENARIO_DIR / f"{base_name}.toml"
    if str(base) in seen:
        raise ScenarioError(f"{origin}: extends: '{base_name}' extends itself")
    return _merge(_load_dict(base, seen), data)


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge (``extends``), override and validate a scenario."""
    file = scenario_path(name_or_path)
    if not file.is_file():
        raise ScenarioError(f"scenario '{name_or_path}' not found (known scenarios: {', '.join(list_scenarios())})")
    scenario = validate(_load_dict(file), origin=f"scenario '{file.name}'")
    return scenario.with_overrides(overrides) if overrides else scenario


def loads_scenario(text: str, origin: str = "uploaded scenario") -> Scenario:
    """Validate scenario TOML text (an upload); ``extends`` may name a built-in scenario."""
    return validate(resolve_extends(read_toml_text(text, origin), origin), origin=origin)


def list_scenarios() -> list[str]:
    """The names of the built-in scenarios."""
    return sorted(f.name.removesuffix(".toml") for f in SCENARIO_DIR.iterdir() if f.name.endswith(".toml"))


def _rows(cls: Any, prefix: str, instance: Any, title: str = "") -> list[dict[str, Any]]:
    """The parameter rows of a schema class (nested sections walked), names starting with ``prefix``:
    dotted name, default, range, unit, source, meaning, its label for people (None where it has none
    yet; a provider type's parameters are prefixed with the type) and how a text value reads."""
    rows: list[dict[str, Any]] = []
    for name, info in cls.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            rows += _rows(type(value), f"{prefix}{name}.", value, PROVIDER_TYPE_LABELS.get(name, title))
        elif info.json_schema_extra:
            extra = info.json_schema_extra
            label = extra.get("label")
            row = {"name": prefix + name, "default": value, "range": extra["range"], "unit": extra["unit"],
                   "source": extra["source"], "doc": info.description,
                   "label": f"{title}: {label}" if title and label else label, "choices": extra.get("choices")}
            if isinstance(value, list):  # the element type, which an empty default does not show
                row["element"] = get_args(info.annotation)[0].__name__
            rows.append(row)
    return rows


def parameter_table() -> list[dict[str, Any]]:
    """Every parameter of a scenario (a named day centre's fields apart: a scenario has none by
    default, see :func:`day_centre_table`), as :func:`_rows` gives them."""
    rows = _rows(Council, "councils.N.", Council(name="x"))
    base = Scenario(councils=[Council(name="x")])
    for section in ("run", "demography", "budgets", "choice", "providers", "carers", "outcomes"):
        rows += _rows(type(getattr(base, section)), f"{section}.", getattr(base, section))
    return rows


def day_centre_table() -> list[dict[str, Any]]:
    """The fields of a named day centre (``[[councils.day_centres]]``), as :func:`parameter_table` rows."""
    return _rows(DayCentre, "councils.N.day_centres.N.", DayCentre(name="x"))


def _markdown_table() -> str:
    lines = ["# Parameters", "", "Generated by `python -m model.scenario` from `model/scenario.py`. "
             "Ranges are inclusive; lists give one value per client group or option; the label is the "
             "name the dashboard, the printed summaries and the figures use.", "",
             "| parameter | label | default | range | unit | source | meaning |", "|---|---|---|---|---|---|---|"]
    for r in parameter_table() + day_centre_table():
        lo, hi = r["range"]
        rng = "" if lo is None and hi is None else f"{lo:g} to {hi:g}" if hi is not None else f"≥ {lo:g}"
        lines.append(f"| `{r['name']}` | {r['label'] or ''} | {r['default']} | {rng} | {r['unit']} | {r['source']} | "
                     f"{r['doc']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(_markdown_table(), end="")
