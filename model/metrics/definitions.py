"""Every reported figure, defined once: the recorder (:mod:`model.metrics.recorder`) and the run
layer compute the figures with these functions, and the tests test them.

Each function takes sums or counts already gathered (by month, council, cell or quintile along
the leading axes) and works on whole arrays, so one definition serves one month or many.

Headline definitions (docs/explanation/ODD.md, "Observation"; every column in docs/reference/outputs.md):

* **Missing, never made up**: a figure with nobody behind it (a mean or share over no one, cost
  per person with no package, a gap with an empty quintile, occupancy with no places) is NaN,
  shown as missing; never 0 and never a division by ``max(n, 1)``.
* **Option shares**: among people with a package (option 1-4); they sum to one.
* **Quintile gap** of an outcome: mean in Q5 (least deprived) minus mean in Q1 (most deprived);
  positive means the most deprived are worse off; NaN when Q1 or Q5 has nobody. ``equity_gap``
  is the gap in wellbeing.
* **Concentration index** (Wagstaff, van Doorslaer and Paci 1991; Kakwani et al. 1997):
  ``2 cov(y, R) / mean(y)`` with R the fractional rank by deprivation (most deprived first),
  computed on quintile groups with mid-point ranks. Positive: concentrated among the less deprived.
* **HHI**: Herfindahl-Hirschman index of client shares among a council's active providers
  (0-10,000), averaged over councils weighted by clients.
* **Council spend** (:meth:`model.core.state.Ledger.council_spend`): services (net of clawback) +
  assessment + administration + support. **Total to society** adds the replacement value of
  unpaid care and crisis costs.
* **Run totals** (:data:`RUN_TOTALS`): sums over a run's months of monthly columns.
* **Cash limits and levers** (ODD 7.10): money and people on waiting lists are summed over
  councils; the levers' settings (:data:`COUNCIL_MEANS`) are averaged over them. A council's net
  spend is its spend less the charges it collects; in a year's last month its year's net spend is
  at most its cash limit, what was carried in, the overspend it may carry out and the overspend
  reported beyond that (:func:`within_cash`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce

import numpy as np

from model.metrics import equity
from model.rules.budgets import WEEKS_PER_MONTH
from model.scenario import PROVIDER_TYPES

#: Per-council figures of the monthly row that are means over councils (the others are sums).
COUNCIL_MEANS = frozenset(("threshold", "ras_rate", "waiting_list_on", "review_reduction", "charge_rate",
                           "decommission", "block_level"))


# ------------------------------------------------------------------------------ means and shares
def average(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``sums / counts`` group by group (a mean; a share when the sums count people); NaN (missing)
    for a group with nobody in it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)


def unmet_need(met_need: np.ndarray) -> np.ndarray:
    """Mean share of assessed need not met: one minus the mean met need."""
    return 1.0 - met_need


# ------------------------------------------------------------------------------ equity
def quintile_means(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean of an outcome in each quintile (last axis, most deprived first) over people with a
    package; NaN for a quintile with nobody."""
    return average(sums, counts)


def quintile_gap(means: np.ndarray) -> np.ndarray:
    """Mean in Q5 (least deprived) minus mean in Q1 (most deprived), along the last axis."""
    return means[..., -1] - means[..., 0]


def concentration_indices(counts: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Concentration index of an outcome over groups ordered from most to least deprived (last
    axis), for each leading index: the index of the individuals behind the groups
    (:func:`model.metrics.equity.block_moments`: ``2 sum_q w_q m_q (R_q - 0.5) / mu`` with ``w_q``
    the groups' shares of people, ``R_q`` their mid-point fractional ranks and ``mu`` the mean).
    An empty group carries no weight; NaN when fewer than two groups have anyone or the mean is 0."""
    counts = np.asarray(counts, dtype=float)
    sums = counts * np.where(counts > 0, means, 0.0)
    return equity.concentration_of(equity.block_moments(counts, sums))


def concentration_index(counts: np.ndarray, means: np.ndarray) -> float:
    """:func:`concentration_indices` of one set of groups (most to least deprived)."""
    return float(concentration_indices(np.asarray(counts)[None], np.asarray(means)[None])[0])


# ------------------------------------------------------------------------------ market
def hhi_by_month(clients: np.ndarray, market: np.ndarray, month: np.ndarray, months: int,
                 markets: int) -> np.ndarray:
    """Herfindahl-Hirschman index (0-10,000) of client shares within each market, averaged over
    markets weighted by clients, for each month: providers with ``clients``, in ``market``
    (0..markets-1) in ``month`` (0..months-1); NaN in a month without clients."""
    key = month * markets + market
    tot = np.bincount(key, clients, minlength=months * markets)
    share = clients / np.maximum(tot[key], 1e-12)
    per_market = np.bincount(key, (100 * share) ** 2, minlength=months * markets).reshape(months, markets)
    tot = tot.reshape(months, markets)
    tot_all = tot.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tot_all > 0, (per_market * tot).sum(axis=1) / tot_all, np.nan)


def hhi(clients: np.ndarray, market: np.ndarray) -> float:
    """:func:`hhi_by_month` of one month, over the markets up to the highest one with a provider."""
    markets = int(market.max()) + 1 if market.size else 0
    return float(hhi_by_month(clients, market, np.zeros_like(market), 1, markets)[0])


def occupancy(clients: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Clients per place (NaN with no places)."""
    return average(clients, places)


# ------------------------------------------------------------------------------ cost
def cost_per_person(spend: np.ndarray, with_package: np.ndarray) -> np.ndarray:
    """Council spend per person with a package (NaN when nobody has one)."""
    return average(spend, with_package)


def unpaid_hours(weekly_hours: np.ndarray) -> np.ndarray:
    """Hours of unpaid care in a month from the hours carers give a week."""
    return weekly_hours * WEEKS_PER_MONTH


def society_cost(council_spend: np.ndarray, unpaid_value: np.ndarray, crisis_cost: np.ndarray) -> np.ndarray:
    """Council spend plus unpaid care at its replacement value plus crisis costs."""
    return council_spend + unpaid_value + crisis_cost


def balance_change(balances: np.ndarray, before: float) -> np.ndarray:
    """Change of month-end balances from the month before (``before``: the balance before the first)."""
    return balances - np.concatenate([[before], balances[:-1]])


# ------------------------------------------------------------------------------ run totals
#: Totals over a run: each the sum over the run's months of these monthly columns.
RUN_TOTALS: dict[str, tuple[str, ...]] = {
    "provider_entries": tuple(f"entries_{t}" for t in PROVIDER_TYPES),
    "provider_exits": tuple(f"exits_{t}" for t in PROVIDER_TYPES),
    "dc_closures": ("exits_day_centre",),
    "displaced": ("displaced",),
    "total_council_spend": ("council_spend",),
}
#: The monthly columns the run totals add up.
TOTALLED = tuple(dict.fromkeys(c for columns in RUN_TOTALS.values() for c in columns))


def run_totals(names: Sequence[str], run: np.ndarray, monthly: Mapping[str, np.ndarray],
               runs: int) -> dict[str, np.ndarray]:
    """The run totals ``names`` of runs 0..runs-1, as float64: row ``i`` of the ``monthly`` columns
    is a month of run ``run[i]``; each column is added over a run's months in row order, then the
    columns of a total in :data:`RUN_TOTALS` order."""
    def total(column: str) -> np.ndarray:
        return np.bincount(run, weights=monthly[column], minlength=runs)

    return {name: reduce(np.add, map(total, RUN_TOTALS[name])) for name in names}


# ------------------------------------------------------------------------------ cash limits
def within_cash(year_spend: np.ndarray, cash_limit: np.ndarray, carried_in: np.ndarray, overspend: np.ndarray,
                carry_over_limit: np.ndarray | float) -> np.ndarray:
    """The money invariant of a year's last month (ODD 7.10), council by council: the year's net
    spend is at most its cash limit, what was carried into it, the overspend it may carry out
    (``carry_over_limit`` x its cash limit) and the overspend reported beyond that. (A relative
    tolerance of 1e-9 allows for rounding.)"""
    most = cash_limit + carried_in + carry_over_limit * cash_limit + overspend
    return year_spend <= most + 1e-9 * np.abs(most)
