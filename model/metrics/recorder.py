"""Every reported figure, defined once and computed from the model's state and monthly ledger.

Headline definitions (docs/ODD.md, "Observation"):

* **Option shares**: among people with a package (option 1-4); they sum to one.
* **Quintile gap** of an outcome: mean in Q5 (least deprived) minus mean in Q1 (most deprived);
  positive means the most deprived are worse off. ``equity_gap`` is the gap in wellbeing.
* **Concentration index** (Wagstaff, van Doorslaer and Paci 1991; Kakwani et al. 1997):
  ``2 cov(y, R) / mean(y)`` with R the fractional rank by deprivation (most deprived first),
  computed on quintile groups with mid-point ranks. Positive: concentrated among the less deprived.
* **HHI**: Herfindahl-Hirschman index of client shares among a council's active providers
  (0-10,000), averaged over councils weighted by clients.
* **Council spend**: services (net of clawback) + assessment + administration + support.
  **Total to society** adds the replacement value of unpaid care and crisis costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from model.engines.vector import kernels
from model.rules.budgets import WEEKS_PER_MONTH
from model.rules.providers import breakeven_occupancy
from model.scenario import AGE_BANDS, GROUPS, PROVIDER_TYPES, QUINTILES

if TYPE_CHECKING:
    from model.core.economy import CareEconomy
    from model.core.state import Ledger

BREAKDOWN_METRICS = ("people", "share_option1", "share_option2", "share_option3", "share_option4",
                     "met_need", "unmet_need", "wellbeing", "control", "offered")
DIMENSIONS = ("client_group", "age_band", "quintile", "council")
COUNCIL_COLUMNS = ("month", "council", "people", "with_package", "council_spend", "spend_services", "spend_assessment",
                   "spend_admin", "spend_support", "crisis_cost", "cost_per_person", "clawback",
                   *(f"active_{t}" for t in PROVIDER_TYPES), *(f"entries_{t}" for t in PROVIDER_TYPES),
                   *(f"exits_{t}" for t in PROVIDER_TYPES), "dc_open", "dc_attendance", "providers_in_deficit",
                   "displaced", "unmatched", "threshold", "ras_rate")


def concentration_index(counts: np.ndarray, means: np.ndarray) -> float:
    """Concentration index of an outcome over groups ordered from most to least deprived."""
    n = counts.sum()
    if n <= 0:
        return float("nan")
    w = counts / n
    mu = float((w * means).sum())
    if mu == 0:
        return float("nan")
    rank = np.cumsum(w) - w / 2.0
    return float(2.0 * (w * means * (rank - 0.5)).sum() / mu)


def quintile_gap(means: np.ndarray) -> float:
    """Mean in Q5 (least deprived) minus mean in Q1 (most deprived)."""
    return float(means[-1] - means[0])


def hhi(clients: np.ndarray, market: np.ndarray) -> float:
    """Client-weighted mean over markets of the Herfindahl-Hirschman index (0-10,000)."""
    tot = np.bincount(market, clients, minlength=market.max() + 1 if market.size else 0)
    if tot.sum() <= 0:
        return float("nan")
    share = clients / np.maximum(tot[market], 1e-12)
    per_market = np.bincount(market, (100 * share) ** 2, minlength=tot.size)
    return float((per_market * tot).sum() / tot.sum())


def concentration_indices(counts: np.ndarray, means: np.ndarray) -> np.ndarray:
    """:func:`concentration_index` of each row of ``counts`` and ``means`` (same arithmetic, row by row)."""
    n = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = counts / n
        mu = (w * means).sum(axis=-1)
        rank = np.cumsum(w, axis=-1) - w / 2.0
        ci = 2.0 * (w * means * (rank - 0.5)).sum(axis=-1) / mu
    return np.where((n[..., 0] > 0) & (mu != 0), ci, np.nan)


#: Outcomes among people with a package whose quintile gaps (and, but for satisfaction,
#: concentration indices) are recorded.
EQUITY_OUTCOMES = ("met_need", "wellbeing", "control", "satisfaction", "option1")
#: Columns of the monthly headline row, in order.
MONTHLY_COLUMNS = ("month", "people", "arrivals", "departures", "offered_share", "with_package",
                   *(f"share_option{j}" for j in (1, 2, 3, 4)),
                   *(c for k in EQUITY_OUTCOMES for c in (k, f"gap_{k}", f"ci_{k}") if c != "ci_satisfaction"),
                   "unmet_need", "equity_gap",
                   *(f"{f}_{t}" for t in PROVIDER_TYPES for f in ("active", "entries", "exits", "capacity")),
                   "dc_open", "dc_attendance", "dc_occupancy", "dc_below_breakeven", "dc_in_deficit",
                   "providers_in_deficit", "providers_active", "hhi", "displaced", "unmatched",
                   *(f"spend_option{j}" for j in (1, 2, 3, 4)), "spend_services", "spend_assessment", "spend_admin",
                   "spend_support", "council_spend", "cost_per_person", "unpaid_hours", "unpaid_value",
                   "carer_breakdowns", "emergency_admissions", "crisis_cost", "society_cost", "paid_out",
                   "provider_received", "dp_balance_change", "clawback", "dp_balances", "threshold", "ras_rate")
#: Monthly columns that the run totals add up (``simulation.TOTALS``).
TOTALLED = (*(f"exits_{t}" for t in PROVIDER_TYPES), "displaced", "council_spend")
#: Monthly columns held as numpy floats (sums taken straight from the ledger and the cell table).
_NUMPY_FLOATS = frozenset(("arrivals", "departures", "with_package"))

def totalled(exits: np.ndarray, displaced: np.ndarray, spend: np.ndarray) -> dict[str, np.ndarray]:
    """The ``TOTALLED`` columns of months of ledgers, each summed over councils: provider exits by type
    (months x councils x types), people displaced and council spend (months x councils)."""
    by_type = exits.sum(axis=1)
    return {**{f"exits_{t}": by_type[:, j] for j, t in enumerate(PROVIDER_TYPES)},
            "displaced": displaced.sum(axis=1), "council_spend": spend.sum(axis=1)}


class MonthRecorder:
    """Collects the monthly headline row, the breakdowns and the day-centre and council tables.

    :meth:`record` runs after every month and only takes what the month leaves behind: one pass
    over the people (:func:`model.engines.vector.kernels.snapshot`: the living counted by cell, option and offered;
    sums of met need, wellbeing and satisfaction by cell over people with a package), two sums,
    the active providers' columns and the month's :class:`~model.core.state.Ledger`, held by reference
    (the model starts a new one every month). Every figure is derived from those, for many months
    at once, when ``rows``, ``cells``, ``councils`` or ``daycentres`` is read (or every ``BATCH``
    months). The figures do not depend on how months are batched: each sum adds the same terms in
    the same order as it would for a month on its own
    (bincounts keep the people's order within a bin; reductions run along the same axis layout).
    """

    BATCH = 48  # months held before they are turned into figures, to bound memory on long runs

    def __init__(self, model: CareEconomy) -> None:
        self.m = model
        self._ncell = model.n_councils * 80
        self._control = np.asarray(model.config.choice.control)
        self._pending: list[tuple[Any, ...]] = []
        self._dp_total_prev = 0.0
        self._rows: list[dict[str, float]] = []
        self._cells: list[np.ndarray] = []       # per month: (9 raw sums, C, 4, 4, 5)
        self._daycentres: list[np.ndarray] = []  # per month: (open day centres, 7)
        self._councils: list[np.ndarray] = []    # per month: (councils, len(COUNCIL_COLUMNS))

    @property
    def rows(self) -> list[dict[str, float]]:
        """Headline figures, one dict per month (keys: ``MONTHLY_COLUMNS``)."""
        self._materialise()
        return self._rows

    @property
    def cells(self) -> list[np.ndarray]:
        """Per month, sums over people with a package by cell: (count, option 1-4 counts, met need,
        wellbeing, control, offered) x council x client group x age band x quintile."""
        self._materialise()
        return self._cells

    @property
    def daycentres(self) -> list[np.ndarray]:
        """Per month, one row per open day centre: month, council, provider, attendance, occupancy,
        break-even occupancy, capacity."""
        self._materialise()
        return self._daycentres

    @property
    def councils(self) -> list[np.ndarray]:
        """Per month, provider, cost and policy figures per council (columns: ``COUNCIL_COLUMNS``)."""
        self._materialise()
        return self._councils

    def record(self) -> None:
        """Take this month's snapshot."""
        m, P, Q = self.m, self.m.people, self.m.providers
        n = P.n
        # The living by (cell, option, offered); sums by cell over people with a package, added in
        # the same order as a bincount over the cell alone.
        counts = np.zeros(self._ncell * 10, dtype=np.int64)
        sums = (np.zeros(self._ncell), np.zeros(self._ncell), np.zeros(self._ncell))
        carer_hours, dp_total = kernels.snapshot(P.cell[:n], P.option[:n], P.offered[:n], P.alive[:n], P.met_need[:n],
                                                 P.wellbeing[:n], P.satisfaction[:n], P.carer_hours[:n],
                                                 P.dp_balance[:n], counts, *sums)
        a = np.flatnonzero(Q.active[: Q.n])
        ptype = Q.ptype[a]
        dc = a[ptype == 0]
        providers = (ptype, Q.council[a], Q.capacity[a], Q.clients[a], Q.reserves[a],
                     dc, Q.hours[dc], Q.price[dc], Q.block_places[dc], Q.profit[dc])
        self._pending.append((m.month + 1, counts, sums, carer_hours, dp_total, m.ledger, providers, *m.policy()))
        if len(self._pending) >= self.BATCH:
            self._materialise()

    # ------------------------------------------------------------------ figures from the snapshots
    def _materialise(self) -> None:
        """Turn the pending snapshots into rows, cells, council and day-centre tables."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        B, C, ncell = len(batch), self.m.n_councils, self._ncell
        month, counts, sums, hours, dp_total, ledgers, providers, thresholds, rates = zip(*batch, strict=True)
        fig: dict[str, Any] = {"month": np.array(month)}

        # People: the living by (cell, option 0-4, offered); sums by cell of people with a package.
        alive = np.array(counts).reshape(B, ncell, 5, 2)
        people_c = alive.reshape(B, C, -1).sum(axis=2)
        fig["people"] = people_c.sum(axis=1)
        offered_alive = alive[..., 1].reshape(B, -1).sum(axis=1)
        fig["offered_share"] = offered_alive / np.maximum(fig["people"], 1)
        by_offer = alive[:, :, 1:]                            # (B, cell, option 1-4, offered)
        by_option = (by_offer[..., 0] + by_offer[..., 1]).astype(float)
        control = by_option @ self._control
        w = np.array(sums)                                   # (B, met/wellbeing/satisfaction, cell)
        raw = np.concatenate([by_option.sum(axis=2)[:, None], by_option.transpose(0, 2, 1), w[:, :2],
                              control[:, None], by_offer[..., 1].sum(axis=2)[:, None]], axis=1)
        self._cells.extend(raw.reshape(B, len(raw[0]), C, 4, 4, 5))
        with_package_c = raw[:, 0].reshape(B, C, -1).sum(axis=2)

        # By quintile (most deprived first) for gaps and concentration indices.
        q = raw.reshape(B, len(raw[0]), -1, 5).sum(axis=2)   # (B, raw, quintile)
        n_q = q[:, 0]
        total = n_q.sum(axis=1)
        has = total > 0
        fig["with_package"] = total
        sat = np.ascontiguousarray(w[:, 2])
        per = {"met_need": (q[:, 5], raw[:, 5].sum(axis=1)), "wellbeing": (q[:, 6], raw[:, 6].sum(axis=1)),
               "control": (q[:, 7], control.sum(axis=1)), "satisfaction": (sat.reshape(B, -1, 5).sum(axis=1),
                                                                           sat.sum(axis=1)),
               "option1": (q[:, 1], q[:, 1].sum(axis=1))}
        with np.errstate(divide="ignore", invalid="ignore"):
            for j in range(4):
                fig[f"share_option{j + 1}"] = np.where(has, q[:, 1 + j].sum(axis=1) / total, 0.0)
            for name, (sum_q, sum_all) in per.items():
                mean_q = sum_q / np.maximum(n_q, 1)
                fig[name] = np.where(has, sum_all / total, np.nan)
                fig[f"gap_{name}"] = mean_q[:, -1] - mean_q[:, 0]
                if name != "satisfaction":
                    fig[f"ci_{name}"] = concentration_indices(n_q, mean_q)
        fig["unmet_need"] = 1.0 - fig["met_need"]
        fig["equity_gap"] = fig["gap_wellbeing"]

        self._provider_figures(fig, month, providers, B, C)

        # Money and events from the month's ledger.
        def led(name: str) -> np.ndarray:
            return np.array([getattr(L, name) for L in ledgers])

        services = led("services_by_option")                   # (B, C, 4)
        spend_c = np.array([L.council_spend() for L in ledgers])
        entries, exits = led("entries"), led("exits")
        fig["arrivals"], fig["departures"] = led("arrivals").sum(axis=1), led("departures").sum(axis=1)
        entries_t = entries.sum(axis=1)
        for j, name in enumerate(PROVIDER_TYPES):
            fig[f"entries_{name}"] = entries_t[:, j]
        by_ledger = {name: led(name) for name in ("assessment", "admin", "support", "crisis", "clawback",
                                                  "displaced", "unmatched")}
        fig.update(totalled(exits, by_ledger["displaced"], spend_c))
        fig["unmatched"] = by_ledger["unmatched"].sum(axis=1)
        spend_opt = np.ascontiguousarray(services.transpose(0, 2, 1)).sum(axis=2)
        for j in range(4):
            fig[f"spend_option{j + 1}"] = spend_opt[:, j]
        fig["spend_services"] = services.reshape(B, -1).sum(axis=1)
        for name in ("assessment", "admin", "support"):
            fig[f"spend_{name}"] = by_ledger[name].sum(axis=1)
        fig["cost_per_person"] = fig["council_spend"] / np.maximum(total.astype(int), 1)
        fig["unpaid_hours"] = np.array(hours, dtype=float) * WEEKS_PER_MONTH
        fig["unpaid_value"] = fig["unpaid_hours"] * self.m.config.carers.replacement_value
        fig["carer_breakdowns"] = led("breakdowns").sum(axis=1)
        fig["emergency_admissions"] = led("admissions").sum(axis=1)
        fig["crisis_cost"] = by_ledger["crisis"].sum(axis=1)
        fig["society_cost"] = fig["council_spend"] + fig["unpaid_value"] + fig["crisis_cost"]
        # Money flows, for the conservation check: paid out = received + change in DP balances + clawback.
        fig["paid_out"] = led("dp_paid").sum(axis=1) + led("direct_paid").sum(axis=1) + led("block_paid").sum(axis=1)
        fig["provider_received"] = led("provider_received").sum(axis=1)
        dp = np.array(dp_total)
        fig["dp_balance_change"] = dp - np.concatenate([[self._dp_total_prev], dp[:-1]])
        self._dp_total_prev = dp_total[-1]
        fig["clawback"] = by_ledger["clawback"].sum(axis=1)
        fig["dp_balances"] = dp
        thr, rate = np.array(thresholds), np.array(rates)
        fig["threshold"], fig["ras_rate"] = thr.mean(axis=1), rate.mean(axis=1)

        columns = [list(fig[c]) if c in _NUMPY_FLOATS else fig[c].tolist() for c in MONTHLY_COLUMNS]
        self._rows.extend(dict(zip(MONTHLY_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True))

        # Per council (columns: COUNCIL_COLUMNS).
        active = fig.pop("_active")
        table = [np.broadcast_to(fig["month"][:, None], (B, C)), np.broadcast_to(np.arange(C), (B, C)), people_c,
                 with_package_c, spend_c, services.sum(axis=2), by_ledger["assessment"], by_ledger["admin"],
                 by_ledger["support"], by_ledger["crisis"], spend_c / np.maximum(with_package_c, 1),
                 by_ledger["clawback"], *active.transpose(2, 0, 1), *entries.transpose(2, 0, 1),
                 *exits.transpose(2, 0, 1), active[:, :, 0], fig.pop("_attendance"), fig.pop("_deficit"),
                 by_ledger["displaced"], by_ledger["unmatched"], thr, rate]
        self._councils.extend(np.stack(table, axis=2).astype(float))

    def _provider_figures(self, fig: dict[str, Any], month: tuple[int, ...],
                          providers: tuple[tuple[np.ndarray, ...], ...], B: int, C: int) -> None:
        """Provider figures of a batch of months from the active providers' columns."""
        spec = self.m.ptypes[0]
        sizes = np.array([p[0].size for p in providers])
        ptype, council = (np.concatenate([p[i] for p in providers], dtype=np.intp) for i in (0, 1))
        capacity, clients, reserves = (np.concatenate([p[i] for p in providers], dtype=float) for i in (2, 3, 4))
        mi = np.repeat(np.arange(B), sizes)
        mc = mi * C
        mc += council                                          # (month, council)
        key = mc * 4
        key += ptype
        active = np.bincount(key, minlength=B * C * 4).reshape(B, C, 4)
        cap = np.bincount(key, capacity, minlength=B * C * 4).reshape(B, C, 4).sum(axis=1)
        deficit = np.bincount(mc[reserves < 0], minlength=B * C).reshape(B, C)
        for j, name in enumerate(PROVIDER_TYPES):
            fig[f"active_{name}"] = active[:, :, j].sum(axis=1)
            fig[f"capacity_{name}"] = cap[:, j].astype(int)
        fig["_active"], fig["_deficit"] = active, deficit
        fig["providers_in_deficit"] = deficit.sum(axis=1)
        fig["providers_active"] = sizes

        # Day centres: attendance, occupancy and break-even given the centre's current block contracts
        # (see providers.breakeven_occupancy); as contracts run down it rises towards the spot break-even.
        is_dc = ptype == 0
        d_mi, d_mc, d_council, attend, d_cap = mi[is_dc], mc[is_dc], council[is_dc], clients[is_dc], capacity[is_dc]
        row, hours, price, block, profit = (np.concatenate([p[i] for p in providers]) for i in range(5, 10))
        attendance = np.bincount(d_mc, attend, minlength=B * C).reshape(B, C)
        fig["_attendance"] = attendance
        place_hours = spec.max_hours * WEEKS_PER_MONTH
        hours_per_client = np.where(attend > 0, hours / np.maximum(attend, 1), place_hours)
        be = breakeven_occupancy(spec.fixed_cost, d_cap, hours_per_client, price, spec.variable_cost, block,
                                 place_hours)
        occupancy = attend / np.maximum(d_cap, 1)
        table = np.column_stack([np.array(month)[d_mi], d_council, row, attend, occupancy, be, d_cap])
        ends = np.cumsum(np.bincount(d_mi, minlength=B)).tolist()
        self._daycentres.extend(table[i:j] for i, j in zip([0, *ends[:-1]], ends, strict=True))
        fig["dc_open"] = active[:, :, 0].sum(axis=1)
        fig["dc_attendance"] = attendance.sum(axis=1)
        fig["dc_occupancy"] = fig["dc_attendance"] / np.maximum(np.bincount(d_mi, d_cap, minlength=B), 1)
        fig["dc_below_breakeven"] = np.bincount(d_mi[occupancy < be], minlength=B)
        # Deficit: this month's result.
        fig["dc_in_deficit"] = np.bincount(d_mi[profit < 0], minlength=B)

        # HHI by (month, council) markets; a month whose last council has no active provider summed
        # over fewer markets, so it is recomputed on its own (the same sum over the same terms).
        tot = np.bincount(mc, clients, minlength=B * C)
        share = clients / np.maximum(tot[mc], 1e-12)
        per_market = np.bincount(mc, (100 * share) ** 2, minlength=B * C).reshape(B, C)
        tot = tot.reshape(B, C)
        tot_all = tot.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(tot_all > 0, (per_market * tot).sum(axis=1) / tot_all, np.nan)
        top = np.full(B, C - 1)
        some = np.flatnonzero(sizes)
        if some.size:
            top[some] = np.maximum.reduceat(council, (np.cumsum(sizes) - sizes)[some])
        for b in np.flatnonzero(top < C - 1):
            h[b] = hhi(providers[b][3].astype(float), providers[b][1].astype(np.int64))
        fig["hhi"] = h

    # ------------------------------------------------------------------ tidy tables
    def breakdown_long(self) -> dict[str, Any]:
        """Breakdowns as columns (month, dimension, level, metric, value) for a DataFrame."""
        m = self.m
        cells = np.stack(self.cells)  # (months, raw, C, 4, 4, 5)
        months = np.arange(1, cells.shape[0] + 1)
        names = {"client_group": list(GROUPS), "age_band": list(AGE_BANDS), "quintile": list(QUINTILES),
                 "council": [c.name for c in m.config.councils]}
        axes = {"council": 2, "client_group": 3, "age_band": 4, "quintile": 5}
        cols: dict[str, list[Any]] = {"month": [], "dimension": [], "level": [], "metric": [], "value": []}
        for dim, ax in axes.items():
            other = tuple(a for a in (2, 3, 4, 5) if a != ax)
            sums = cells.sum(axis=other)  # (months, raw, levels)
            n = sums[:, 0, :]
            safe = np.maximum(n, 1)
            met = sums[:, 5, :] / safe
            vals = {"people": n, "share_option1": sums[:, 1, :] / safe, "share_option2": sums[:, 2, :] / safe,
                    "share_option3": sums[:, 3, :] / safe, "share_option4": sums[:, 4, :] / safe,
                    "met_need": met, "unmet_need": 1 - met, "wellbeing": sums[:, 6, :] / safe,
                    "control": sums[:, 7, :] / safe, "offered": sums[:, 8, :] / safe}
            for metric in BREAKDOWN_METRICS:
                v = np.where(n > 0, vals[metric], np.nan) if metric != "people" else vals[metric]
                for li, level in enumerate(names[dim]):
                    cols["month"].extend(months.tolist())
                    cols["dimension"].extend([dim] * months.size)
                    cols["level"].extend([level] * months.size)
                    cols["metric"].extend([metric] * months.size)
                    cols["value"].extend(v[:, li].tolist())
        return cols


class HorizonRecorder:
    """What a study reads of a run (:func:`model.run.simulation.simulate_headline`): every month's
    ``TOTALLED`` columns and the headline row of the ``horizon`` month only.

    :meth:`record` keeps the month's ledger (by reference, as :class:`MonthRecorder` does) and, in
    the horizon month only, has a :class:`MonthRecorder` take the month's snapshot. Its figures are
    those of a run recorded in full, bit for bit: a month's figures do not depend on which months
    are worked out with it, and the ``TOTALLED`` columns come from the same :func:`totalled`.
    """

    def __init__(self, model: CareEconomy, horizon: int) -> None:
        self.m, self.horizon = model, horizon
        self._ledgers: list[Ledger] = []
        self._last = MonthRecorder(model)

    def record(self) -> None:
        """Keep this month's ledger; in the horizon month, take the month's snapshot."""
        self._ledgers.append(self.m.ledger)
        if self.m.month + 1 == self.horizon:
            self._last.record()

    @property
    def row(self) -> dict[str, float]:
        """The horizon month's headline figures: ``MONTHLY_COLUMNS`` but ``dp_balance_change``, the one
        figure that needs the month before."""
        if len(self._ledgers) < self.horizon:
            raise RuntimeError(f"the run has recorded {len(self._ledgers)} months, not the horizon {self.horizon}")
        return {k: v for k, v in self._last.rows[-1].items() if k != "dp_balance_change"}

    @property
    def totals(self) -> dict[str, np.ndarray]:
        """The ``TOTALLED`` columns, one value per month recorded."""
        ledgers = self._ledgers
        return totalled(np.array([L.exits for L in ledgers]), np.array([L.displaced for L in ledgers]),
                        np.array([L.council_spend() for L in ledgers]))
