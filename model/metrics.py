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

from model.budgets import WEEKS_PER_MONTH
from model.providers import breakeven_occupancy
from model.scenario import AGE_BANDS, GROUPS, PROVIDER_TYPES, QUINTILES

if TYPE_CHECKING:
    from model.economy import CareEconomy

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


class MonthRecorder:
    """Collects the monthly headline row, the breakdowns and the day-centre table."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model
        self.rows: list[dict[str, float]] = []
        self.cells: list[np.ndarray] = []      # per month: (n_metrics_raw, C, 4, 4, 5) sums
        self.daycentres: list[np.ndarray] = []
        self.councils: list[np.ndarray] = []   # per month: (councils, len(COUNCIL_COLUMNS))
        self.dp_total_prev = 0.0

    def record(self) -> None:
        self.rows.append(self.headline())
        self.councils.append(self.council_table())

    def council_table(self) -> np.ndarray:
        """Provider, cost and policy figures per council this month (columns: COUNCIL_COLUMNS)."""
        m, Q, L = self.m, self.m.providers, self.m.ledger
        C = m.n_councils
        act = Q.view("active")
        key = Q.view("council").astype(np.int64) * 4 + Q.view("ptype")
        active = np.bincount(key[act], minlength=C * 4).reshape(C, 4)
        dc = act & (Q.view("ptype") == 0)
        attendance = np.bincount(Q.view("council")[dc], Q.view("clients")[dc], minlength=C)
        deficit = np.bincount(Q.view("council")[act], Q.view("reserves")[act] < 0, minlength=C)
        people = np.bincount(self.m.people.council[: self.m.people.n], self.m.people.alive[: self.m.people.n],
                             minlength=C)
        with_package = self.cells[-1][0].sum(axis=(1, 2, 3)) if self.cells else np.zeros(C)
        spend = L.council_spend()
        cols = [np.full(C, m.month + 1), np.arange(C), people, with_package, spend, L.services_by_option.sum(axis=1),
                L.assessment, L.admin, L.support, L.crisis, spend / np.maximum(with_package, 1), L.clawback,
                *active.T, *L.entries.T, *L.exits.T, active[:, 0], attendance, deficit, L.displaced, L.unmatched,
                [c.threshold for c in m.councils], [c.rate for c in m.councils]]
        return np.column_stack(cols).astype(float)

    def headline(self) -> dict[str, float]:
        m, P, L = self.m, self.m.people, self.m.ledger
        n = P.n
        alive = P.alive[:n]
        n_alive = int(np.count_nonzero(alive))
        out: dict[str, float] = {"month": m.month + 1, "people": n_alive,
                                 "arrivals": L.arrivals.sum(), "departures": L.departures.sum(),
                                 "offered_share": float(np.count_nonzero(P.offered[:n] & alive)) / max(n_alive, 1)}
        out.update(self.outcomes_and_equity())
        out.update(self.provider_figures())
        out.update(self.cost_figures(alive, int(out["with_package"])))
        out["threshold"] = float(np.mean([c.threshold for c in m.councils]))
        out["ras_rate"] = float(np.mean([c.rate for c in m.councils]))
        return out

    def outcomes_and_equity(self) -> dict[str, float]:
        """Uptake, outcomes and equity among people with a package, from one table of sums over
        cells (council x client group x age band x quintile); the breakdowns come from it too."""
        P, s = self.m.people, self.m.config
        n, C = P.n, self.m.n_councils
        opt = P.option[:n]
        ncell = C * 80
        # People without a package (and departed rows) go to a junk bin past the last cell.
        key = P.cell[:n] + ncell * (opt == 0)
        # Counts by (cell, option, offered) from one integer bincount; sums of outcomes by cell.
        counts = np.bincount((key * 5 + opt) * 2 + P.offered[:n], minlength=2 * ncell * 10)[: ncell * 10]
        counts = counts.reshape(ncell, 5, 2)[:, 1:, :].astype(float)
        by_option = counts.sum(axis=2)
        offered = counts[:, :, 1].sum(axis=1)
        sums = [np.bincount(key, w, minlength=2 * ncell)[:ncell]
                for w in (P.met_need[:n], P.wellbeing[:n], P.satisfaction[:n])]
        count = by_option.sum(axis=1)
        control = by_option @ np.asarray(s.choice.control)
        raw = np.stack([count, *by_option.T, sums[0], sums[1], control, offered])
        self.cells.append(raw.reshape(len(raw), C, 4, 4, 5))
        # By quintile (most deprived first) for gaps and concentration indices.
        q = raw.reshape(len(raw), -1, 5).sum(axis=1)
        n_q = q[0]
        total = n_q.sum()
        per = {"met_need": (q[5], sums[0].sum()), "wellbeing": (q[6], sums[1].sum()), "control": (q[7], control.sum()),
               "satisfaction": (sums[2].reshape(-1, 5).sum(axis=0), sums[2].sum()), "option1": (q[1], q[1].sum())}
        out: dict[str, float] = {"with_package": total}
        for j in range(4):
            out[f"share_option{j + 1}"] = float(q[1 + j].sum() / total) if total else 0.0
        for k, (sum_q, sum_all) in per.items():
            mean_q = sum_q / np.maximum(n_q, 1)
            out[k] = float(sum_all / total) if total else float("nan")
            out[f"gap_{k}"] = quintile_gap(mean_q)
            if k != "satisfaction":
                out[f"ci_{k}"] = concentration_index(n_q, mean_q)
        out["unmet_need"] = 1.0 - out["met_need"]
        out["equity_gap"] = out["gap_wellbeing"]
        return out

    def provider_figures(self) -> dict[str, float]:
        Q, L = self.m.providers, self.m.ledger
        act = Q.view("active")
        t = Q.view("ptype")
        out: dict[str, float] = {}
        active = np.bincount(t[act], minlength=4)
        capacity = np.bincount(t[act], Q.capacity[: Q.n][act], minlength=4)
        entries, exits = L.entries.sum(axis=0), L.exits.sum(axis=0)
        for j, name in enumerate(PROVIDER_TYPES):
            out[f"active_{name}"] = int(active[j])
            out[f"entries_{name}"] = float(entries[j])
            out[f"exits_{name}"] = float(exits[j])
            out[f"capacity_{name}"] = int(capacity[j])
        a = np.flatnonzero(act)
        dc = a[Q.ptype[a] == 0]
        attend = Q.clients[dc].astype(float)
        out["dc_open"] = dc.size
        out["dc_attendance"] = float(attend.sum())
        out["dc_occupancy"] = float(attend.sum() / max(Q.capacity[dc].sum(), 1))
        be = self.daycentre_table(dc)
        # Break-even given the centre's current block contracts (see providers.breakeven_occupancy);
        # as contracts run down it rises towards the spot break-even. Deficit: this month's result.
        out["dc_below_breakeven"] = int(np.count_nonzero(be[:, 4] < be[:, 5])) if be.size else 0
        out["dc_in_deficit"] = int(np.count_nonzero(Q.profit[dc] < 0))
        out["providers_in_deficit"] = int(np.count_nonzero(Q.reserves[a] < 0))
        out["providers_active"] = a.size
        out["hhi"] = hhi(Q.clients[a].astype(float), Q.council[a].astype(np.int64))
        out["displaced"] = float(L.displaced.sum())
        out["unmatched"] = float(L.unmatched.sum())
        return out

    def daycentre_table(self, dc: np.ndarray) -> np.ndarray:
        """Rows: month, council, provider, attendance, occupancy, break-even occupancy, capacity."""
        m, Q = self.m, self.m.providers
        spec = m.ptypes[0]
        clients = Q.clients[dc].astype(float)
        hours_per_client = np.where(clients > 0, Q.hours[dc] / np.maximum(clients, 1),
                                    spec.max_hours * WEEKS_PER_MONTH)
        be = breakeven_occupancy(spec.fixed_cost, Q.capacity[dc], hours_per_client, Q.price[dc], spec.variable_cost,
                                 Q.block_places[dc], spec.max_hours * WEEKS_PER_MONTH)
        table = np.column_stack([np.full(dc.size, m.month + 1), Q.council[dc], dc, clients,
                                 clients / np.maximum(Q.capacity[dc], 1), be, Q.capacity[dc]]).astype(float)
        if len(self.daycentres) < m.month + 1:
            self.daycentres.append(table)
        return table

    def cost_figures(self, alive: np.ndarray, n_pkg: int) -> dict[str, float]:
        P, L, c = self.m.people, self.m.ledger, self.m.config.carers
        out: dict[str, float] = {}
        for j in range(4):
            out[f"spend_option{j + 1}"] = float(L.services_by_option[:, j].sum())
        out["spend_services"] = float(L.services_by_option.sum())
        out["spend_assessment"] = float(L.assessment.sum())
        out["spend_admin"] = float(L.admin.sum())
        out["spend_support"] = float(L.support.sum())
        out["council_spend"] = float(L.council_spend().sum())
        out["cost_per_person"] = out["council_spend"] / max(n_pkg, 1)
        hours = float(np.dot(P.carer_hours[: P.n], alive)) * WEEKS_PER_MONTH
        out["unpaid_hours"] = hours
        out["unpaid_value"] = hours * c.replacement_value
        out["carer_breakdowns"] = float(L.breakdowns.sum())
        out["emergency_admissions"] = float(L.admissions.sum())
        out["crisis_cost"] = float(L.crisis.sum())
        out["society_cost"] = out["council_spend"] + out["unpaid_value"] + out["crisis_cost"]
        # Money flows, for the conservation check: paid out = received + change in DP balances + clawback.
        dp_total = float(P.dp_balance[: P.n].sum())
        out["paid_out"] = float(L.dp_paid.sum() + L.direct_paid.sum() + L.block_paid.sum())
        out["provider_received"] = float(L.provider_received.sum())
        out["dp_balance_change"] = dp_total - self.dp_total_prev
        out["clawback"] = float(L.clawback.sum())
        self.dp_total_prev = dp_total
        out["dp_balances"] = dp_total
        return out

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
