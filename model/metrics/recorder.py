"""The recorder: observes a model after each month and computes the reported figures with the
definitions of :mod:`model.metrics.definitions` (the columns are named and described in
:mod:`model.metrics.columns`).

The run layer attaches a recorder to a model and calls :meth:`MonthRecorder.record` after every
``model.step()``, as a Mesa ``DataCollector`` is called; the model knows nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from model.codes import (
    AGE_BANDS,
    DOMAINS,
    FIRST_65_BAND,
    GROUPS,
    N_AGE_BANDS,
    N_GROUPS,
    N_QUINTILES,
    OPTION_1,
    OPTION_3,
    PROMPTS,
    QUINTILES,
)
from model.core.economy import BOOKS
from model.metrics import definitions as d
from model.metrics import equity
from model.metrics.columns import (
    BREAKDOWN_COLUMNS,
    BREAKDOWN_METRICS,
    COUNCIL_COLUMNS,
    DIMENSIONS,
    EQUITY_OUTCOMES,
    EQUITY_TABLE_COLUMNS,
    MONTHLY_COLUMNS,
)
from model.metrics.snapshot import CellSums, snapshot
from model.rules.budgets import WEEKS_PER_MONTH
from model.rules.providers import breakeven_occupancy
from model.scenario import PROVIDER_TYPES

if TYPE_CHECKING:
    from model.core.economy import CareEconomy
    from model.core.state import Ledger

#: Monthly columns held as numpy floats (sums taken straight from the ledger and the cell table).
_NUMPY_FLOATS = frozenset(("arrivals", "departures", "with_package"))


#: Bootstrap resamples of the people behind the intervals of the last month's equity table (the
#: yearly tables give the estimates only: their spread across replications is the run-to-run one).
EQUITY_RESAMPLES = 199
#: The last word of the spawn key of the equity bootstrap's seed (see :func:`equity_seed`), far from
#: the keys a run's own seed sequence hands out.
EQUITY_STREAM = 2**31 - 7
#: The carer-status dimension's groups (code 0, 1).
CARER_STATUS = ("no carer", "carer")


def equity_month(month: int, horizon: int) -> bool:
    """Whether a month's equity table is recorded: each year's last month (12, 24, ...: the months
    councils review their budgets) and the horizon."""
    return month % 12 == 0 or month == horizon


def equity_seed(model: CareEconomy, month: int) -> np.random.SeedSequence:
    """The seed of a month's equity bootstrap: a child of the run's own seed sequence that the model
    never draws from, so the intervals are reproducible and recording them changes nothing in the run."""
    root = model.rng.bit_generator.seed_seq
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, EQUITY_STREAM, month))


def population_with_need(model: CareEconomy) -> dict[str, np.ndarray]:
    """The people of the equity table: everyone living whose assessed need is at or above the
    scenario's starting eligibility threshold (``budgets.eligibility_threshold``; not a council's
    current one, which moves), with or without a package: their deprivation quintile, age band,
    client group, carer status (an unpaid carer giving hours), need, package, option, met need,
    wellbeing and formal hours delivered this month."""
    P, n = model.people, model.people.n
    rows = np.flatnonzero(P.alive[:n] & (P.need[:n] >= np.float32(model.config.budgets.eligibility_threshold)))
    return {"quintile": P.quintile[rows], "age_band": P.age_band[rows], "client_group": P.group[rows],
            "carer": (P.carer_hours[rows] > 0).astype(np.int8), "need": P.need[rows], "option": P.option[rows],
            "met_need": P.met_need[rows], "wellbeing": P.wellbeing[rows], "hours": P.delivered[rows]}


def equity_table(people: dict[str, np.ndarray], n_boot: int = EQUITY_RESAMPLES,
                 seed: int | np.random.SeedSequence = 0) -> pd.DataFrame:
    """The equity table (``EQUITY_TABLE_COLUMNS`` but replication and month) of the population with
    need (:func:`population_with_need`): :func:`model.metrics.equity.population_table` of its
    outcomes ranked by deprivation quintile, by age band, client group and carer status, and age
    band x quintile; formal hours standardised for need (points, age band, client group)."""
    package = people["option"] > 0
    met = people["met_need"].astype(float)
    outcomes = {"has_package": equity.Outcome(package.astype(float), bounds=(0.0, 1.0)),
                "met_need": equity.Outcome(met, bounds=(0.0, 1.0)),
                "unmet_need": equity.Outcome(d.unmet_need(met), bounds=(0.0, 1.0)),
                "direct_payment": equity.Outcome((people["option"] == OPTION_1).astype(float), among=package,
                                                 bounds=(0.0, 1.0)),
                "wellbeing": equity.Outcome(people["wellbeing"].astype(float), bounds=(0.0, 1.0)),
                "formal_hours": equity.Outcome(people["hours"].astype(float))}
    strata = {"age_band": (people["age_band"], AGE_BANDS), "client_group": (people["client_group"], GROUPS),
              "carer": (people["carer"], CARER_STATUS)}
    return equity.population_table(people["quintile"], QUINTILES, strata, outcomes, people["need"].astype(float),
                                   use="formal_hours", need_strata=("age_band", "client_group"), crossed="age_band",
                                   n_boot=n_boot, seed=seed)


def ledger_figures(ledgers: Sequence[Ledger], names: Sequence[str]) -> dict[str, np.ndarray]:
    """The ledger arrays ``names`` of months of ledgers, stacked (months first)."""
    return {name: np.array([getattr(L, name) for L in ledgers]) for name in names}


def totalled(entries: np.ndarray, exits: np.ndarray, displaced: np.ndarray, spend: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`~model.metrics.definitions.TOTALLED` columns of months of ledgers, each summed over
    councils: provider entries and exits by type (months x councils x types), people displaced and
    council spend (months x councils)."""
    entries_t, exits_t = entries.sum(axis=1), exits.sum(axis=1)
    columns = {**{f"entries_{t}": entries_t[:, j] for j, t in enumerate(PROVIDER_TYPES)},
               **{f"exits_{t}": exits_t[:, j] for j, t in enumerate(PROVIDER_TYPES)},
               "displaced": displaced.sum(axis=1), "council_spend": spend.sum(axis=1)}
    return {c: columns[c] for c in d.TOTALLED}


class MonthRecorder:
    """Collects the monthly headline row, the breakdowns and the day-centre and council tables.

    :meth:`record` runs after every month and only takes what the month leaves behind: one pass
    over the people (:func:`~model.metrics.snapshot.snapshot`: the living counted by cell, option and
    offered; sums of met need, wellbeing and satisfaction by cell over people with a package), two sums,
    the active providers' columns and the month's :class:`~model.core.state.Ledger`, held by reference
    (the model starts a new one every month). Every figure is derived from those, for many months
    at once, when ``rows``, ``cells``, ``councils`` or ``daycentres`` is read (or every ``BATCH``
    months). The figures do not depend on how months are batched: each sum adds the same terms in
    the same order as it would for a month on its own
    (bincounts keep the people's order within a bin; reductions run along the same axis layout).
    """

    BATCH = 48  # months held before they are turned into figures, to bound memory on long runs
    #: Breakdown metrics that are means over people with a package, and their sums in :attr:`cells`.
    CELL_MEANS: ClassVar[dict[str, int]] = {**{f"share_option{j}": j for j in (1, 2, 3, 4)}, "met_need": 5,
                                            "wellbeing": 6, "control": 7, "offered": 8}

    def __init__(self, model: CareEconomy, equity: bool = True) -> None:
        self.m = model
        self._record_equity = equity
        self._equity_pending: list[tuple[int, dict[str, np.ndarray], int]] = []
        self._equity: list[pd.DataFrame] = []
        self._ncell = model.n_councils * 80
        self._control = np.asarray(model.config.choice.control)
        self._pending: list[tuple[Any, ...]] = []
        # Balances already held when recording starts (people who chose a direct payment in the spin-up).
        self._dp_total_prev = float(model.people.dp_balance[: model.people.n].sum())
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
        break-even occupancy, capacity, named centre (its index, -1: none), in-house (1) or not, result,
        block places."""
        self._materialise()
        return self._daycentres

    @property
    def councils(self) -> list[np.ndarray]:
        """Per month, provider, cost and policy figures per council (columns: ``COUNCIL_COLUMNS``)."""
        self._materialise()
        return self._councils

    @property
    def equity(self) -> pd.DataFrame:
        """The equity tables of the months :func:`equity_month` picks, one under the other
        (``EQUITY_TABLE_COLUMNS`` but replication; empty when equity is not recorded); the horizon
        month's with bootstrap intervals (:data:`EQUITY_RESAMPLES`)."""
        for month, people, resamples in self._equity_pending:  # worked out only when read
            table = equity_table(people, resamples, equity_seed(self.m, month))
            table.insert(0, "month", month)
            self._equity.append(table)
        self._equity_pending = []
        if not self._equity:
            return pd.DataFrame(columns=list(EQUITY_TABLE_COLUMNS[1:]))
        return pd.concat(self._equity, ignore_index=True)

    def record(self) -> None:
        """Take the snapshot of the month the model has just stepped (call it after ``model.step()``)."""
        m, P, Q = self.m, self.m.people, self.m.providers
        if self._record_equity and equity_month(m.month, m.config.run.months):
            resamples = EQUITY_RESAMPLES if m.month == m.config.run.months else 0
            self._equity_pending.append((m.month, population_with_need(m), resamples))
        n = P.n
        # The living by (cell, option, offered); sums by cell over people with a package, added in
        # the same order as a bincount over the cell alone.
        counts = np.zeros(self._ncell * 10, dtype=np.int64)
        sums = CellSums(np.zeros(self._ncell), np.zeros(self._ncell), np.zeros(self._ncell))
        carer_hours, dp_total, carers = snapshot(P.record(n), float(np.float32(m.config.budgets.eligibility_threshold)),
                                                 m.config.carers.strained_level, counts, sums)
        a = np.flatnonzero(Q.active[: Q.n])
        ptype = Q.ptype[a]
        dc = a[ptype == 0]
        providers = (ptype, Q.council[a], Q.capacity[a], Q.clients[a], Q.reserves[a],
                     dc, Q.hours[dc], Q.price[dc], Q.block_places[dc], Q.profit[dc], Q.fixed_cost[dc], Q.centre[dc],
                     Q.in_house[dc])
        self._pending.append((m.month, counts, sums, (carer_hours, carers), dp_total, m.ledger, providers, m.books()))
        if len(self._pending) >= self.BATCH:
            self._materialise()

    # ------------------------------------------------------------------ figures from the snapshots
    def _materialise(self) -> None:
        """Turn the pending snapshots into rows, cells, council and day-centre tables (the equity
        tables are worked out when :attr:`equity` is read)."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        B, C, ncell = len(batch), self.m.n_councils, self._ncell
        month, counts, sums, carer_figures, dp_total, ledgers, providers, books = zip(*batch, strict=True)
        hours = [h for h, _ in carer_figures]
        carers = np.array([f for _, f in carer_figures])  # (B, with need / their carers' hours / caring / strained)
        fig: dict[str, Any] = {"month": np.array(month)}

        # People: the living by (cell, option 0-4, offered); sums by cell of people with a package.
        alive = np.array(counts).reshape(B, ncell, 5, 2)
        people_c = alive.reshape(B, C, -1).sum(axis=2)
        fig["people"] = people_c.sum(axis=1)
        offered_alive = alive[..., 1].reshape(B, -1).sum(axis=1)
        fig["offered_share"] = d.average(offered_alive, fig["people"])
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
        fig["with_package"] = total
        sat = np.ascontiguousarray(w[:, 2])
        per = {"met_need": (q[:, 5], raw[:, 5].sum(axis=1)), "wellbeing": (q[:, 6], raw[:, 6].sum(axis=1)),
               "control": (q[:, 7], control.sum(axis=1)), "satisfaction": (sat.reshape(B, -1, 5).sum(axis=1),
                                                                           sat.sum(axis=1)),
               "option1": (q[:, 1], q[:, 1].sum(axis=1))}
        for j in range(4):
            fig[f"share_option{j + 1}"] = d.average(q[:, 1 + j].sum(axis=1), total)
        # SDS clients (offered, with a package) by option, and who is 65+ (age bands from FIRST_65_BAND).
        sds = by_offer[..., 1].reshape(B, C, N_GROUPS, N_AGE_BANDS, N_QUINTILES, 4).sum(axis=(1, 2, 4))
        sds_clients = sds.sum(axis=(1, 2))
        for j in range(4):
            fig[f"sds_option{j + 1}"] = d.average(sds[:, :, j].sum(axis=1), sds_clients)
        sds_old = sds[:, FIRST_65_BAND:].sum(axis=1)  # (B, option)
        fig["sds_65plus"] = d.average(sds_old.sum(axis=1), sds_clients)
        fig["sds_option3_65plus"] = d.average(sds_old[:, OPTION_3 - 1], sds_old.sum(axis=1))
        dp_by_age = by_option[:, :, OPTION_1 - 1].reshape(B, C, N_GROUPS, N_AGE_BANDS, N_QUINTILES).sum(axis=(1, 2, 4))
        fig["dp_65plus"] = d.average(dp_by_age[:, FIRST_65_BAND:].sum(axis=1), dp_by_age.sum(axis=1))
        for name in EQUITY_OUTCOMES:
            sum_q, sum_all = per[name]
            mean_q = d.quintile_means(sum_q, n_q)
            fig[name] = d.average(sum_all, total)
            fig[f"gap_{name}"] = d.quintile_gap(mean_q)
            if f"ci_{name}" in MONTHLY_COLUMNS:
                fig[f"ci_{name}"] = d.concentration_indices(n_q, mean_q)
        fig["unmet_need"] = d.unmet_need(fig["met_need"])
        fig["equity_gap"] = fig["gap_wellbeing"]

        self._provider_figures(fig, month, providers, B, C)

        # Money and events from the month's ledger: (B, C) arrays, (B, C, 4) for the wide ones.
        by_ledger = ledger_figures(ledgers, (
            "services_by_option", "entries", "exits", "arrivals", "departures", "assessment", "admin", "support",
            "crisis", "clawback", "displaced", "unmatched", "breakdowns", "replacements", "breaks_given",
            "short_breaks", "admissions", "dp_paid", "direct_paid", "block_paid", "provider_received", "charges",
            "waiting", "waiting_months", "waiting_new", "handbacks", "posts", "vacancies", "care_workers",
            "option_reviews", "prompted", "changes_by_prompt", "in_house_cost", "council_closures", "ascot",
            "carer_qol", "carers_known", "block_taken", "block_held", "two_providers"))
        services, entries, exits = by_ledger["services_by_option"], by_ledger["entries"], by_ledger["exits"]
        spend_c = np.array([L.council_spend() for L in ledgers])
        fig["arrivals"], fig["departures"] = by_ledger["arrivals"].sum(axis=1), by_ledger["departures"].sum(axis=1)
        fig.update(totalled(entries, exits, by_ledger["displaced"], spend_c))
        fig["unmatched"] = by_ledger["unmatched"].sum(axis=1)
        fig["handbacks"] = by_ledger["handbacks"].sum(axis=1)
        fig["care_workers"] = by_ledger["care_workers"].sum(axis=1)
        fig["vacancy_rate"] = d.average(by_ledger["vacancies"].sum(axis=1), by_ledger["posts"].sum(axis=1))
        spend_opt = np.ascontiguousarray(services.transpose(0, 2, 1)).sum(axis=2)
        for j in range(4):
            fig[f"spend_option{j + 1}"] = spend_opt[:, j]
        fig["spend_services"] = services.reshape(B, -1).sum(axis=1)
        for name in ("assessment", "admin", "support", "short_breaks"):
            fig[f"spend_{name}"] = by_ledger[name].sum(axis=1)
        fig["spend_in_house"] = by_ledger["in_house_cost"].sum(axis=1)
        fig["council_closures"] = by_ledger["council_closures"].sum(axis=1)
        fig["cost_per_person"] = d.cost_per_person(fig["council_spend"], total.astype(int))
        fig["unpaid_hours"] = d.unpaid_hours(np.array(hours, dtype=float))
        fig["unpaid_value"] = fig["unpaid_hours"] * self.m.config.carers.replacement_value
        fig["unpaid_hours_with_need"] = d.average(d.unpaid_hours(carers[:, 1]), carers[:, 0])
        fig["carers_strained"] = d.average(carers[:, 3], carers[:, 2])
        fig["carer_qol"] = d.average(by_ledger["carer_qol"].sum(axis=1), by_ledger["carers_known"].sum(axis=1))
        # Quality of life by ASCOT domain, over people with a package (ODD 7.8).
        domains = by_ledger["ascot"].sum(axis=1)  # (B, domain)
        fig["scrqol"] = d.average(domains.sum(axis=1), total)
        for k, name in enumerate(DOMAINS):
            fig[f"ascot_{name}"] = d.average(domains[:, k], total)
        fig["carer_breakdowns"] = by_ledger["breakdowns"].sum(axis=1)
        fig["carer_replacements"] = by_ledger["replacements"].sum(axis=1)
        fig["carer_short_breaks"] = by_ledger["breaks_given"].sum(axis=1)
        fig["emergency_admissions"] = by_ledger["admissions"].sum(axis=1)
        fig["crisis_cost"] = by_ledger["crisis"].sum(axis=1)
        fig["society_cost"] = d.society_cost(fig["council_spend"], fig["unpaid_value"], fig["crisis_cost"])
        # Money flows, for the conservation check: paid out = received + change in DP balances + clawback.
        fig["paid_out"] = (by_ledger["dp_paid"].sum(axis=1) + by_ledger["direct_paid"].sum(axis=1)
                           + by_ledger["block_paid"].sum(axis=1))
        fig["provider_received"] = by_ledger["provider_received"].sum(axis=1)
        dp = np.array(dp_total)
        fig["dp_balance_change"] = d.balance_change(dp, self._dp_total_prev)
        self._dp_total_prev = dp_total[-1]
        fig["clawback"] = by_ledger["clawback"].sum(axis=1)
        fig["dp_balances"] = dp
        # Cash limits and levers (ODD 7.10): (B, C) arrays of the councils' books after the month.
        book = dict(zip(BOOKS, np.moveaxis(np.array(books), 2, 0), strict=True))
        waiting, waited = by_ledger["waiting"], by_ledger["waiting_months"]
        per_council_books = {
            "cash_limit": book["cash_limit"], "carried_in": book["carried_in"], "year_spend": book["year_spend"],
            "charges": by_ledger["charges"], "net_spend": spend_c - by_ledger["charges"],
            "overspend": book["overspend"], "waiting_list": waiting, "waiting_new": by_ledger["waiting_new"],
            "threshold": book["threshold"], "ras_rate": book["ras_rate"], "waiting_list_on": book["waiting_list_on"],
            "review_reduction": book["review_reduction"], "charge_rate": book["charge_rate"],
            "decommission": book["decommission"], "block_level": book["block_level"]}
        for name, by_council in per_council_books.items():
            fig[name] = by_council.mean(axis=1) if name in d.COUNCIL_MEANS else by_council.sum(axis=1)
        fig["block_use"] = d.average(by_ledger["block_taken"].sum(axis=1), by_ledger["block_held"].sum(axis=1))
        fig["mixed_packages"] = d.average(by_ledger["two_providers"].sum(axis=1), fig["with_package"])
        fig["mean_wait"] = d.average(waited.sum(axis=1), fig["waiting_list"])
        # Reviews as decisions to keep or change (ODD 7.4): changes by council and prompt.
        by_prompt = by_ledger["changes_by_prompt"].sum(axis=1)  # (B, prompt)
        fig["option_reviews"], fig["reviews_prompted"] = (by_ledger["option_reviews"].sum(axis=1),
                                                          by_ledger["prompted"].sum(axis=1))
        fig["option_changes"] = by_prompt.sum(axis=1)
        fig["option_change_share"] = d.average(fig["option_changes"], fig["option_reviews"])
        fig.update({f"changes_{prompt}": by_prompt[:, k] for k, prompt in enumerate(PROMPTS)})

        columns = [list(fig[c]) if c in _NUMPY_FLOATS else fig[c].tolist() for c in MONTHLY_COLUMNS]
        self._rows.extend(dict(zip(MONTHLY_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True))

        # Per council: (months, councils) arrays, stacked in the order of COUNCIL_COLUMNS.
        active = fig.pop("_active")
        per_council = {"month": np.broadcast_to(fig["month"][:, None], (B, C)),
                       "council": np.broadcast_to(np.arange(C), (B, C)), "people": people_c,
                       "with_package": with_package_c, "council_spend": spend_c, "spend_services": services.sum(axis=2),
                       **{f"spend_{k}": by_ledger[k] for k in ("assessment", "admin", "support")},
                       "spend_in_house": by_ledger["in_house_cost"], "council_closures": by_ledger["council_closures"],
                       "crisis_cost": by_ledger["crisis"],
                       "cost_per_person": d.cost_per_person(spend_c, with_package_c), "clawback": by_ledger["clawback"],
                       **{f"{kind}_{t}": by_type[:, :, j] for kind, by_type in (("active", active),
                                                                               ("entries", entries), ("exits", exits))
                          for j, t in enumerate(PROVIDER_TYPES)},
                       "dc_open": active[:, :, 0], "dc_attendance": fig.pop("_attendance"),
                       "providers_in_deficit": fig.pop("_deficit"), "displaced": by_ledger["displaced"],
                       "unmatched": by_ledger["unmatched"], "handbacks": by_ledger["handbacks"],
                       "vacancy_rate": d.average(by_ledger["vacancies"], by_ledger["posts"]),
                       "care_workers": by_ledger["care_workers"], **per_council_books,
                       "assessment_capacity": book["assessment_capacity"],
                       "block_use": d.average(by_ledger["block_taken"], by_ledger["block_held"]),
                       "mean_wait": d.average(waited, waiting), "lever_moved": book["lever_moved"]}
        self._councils.extend(np.stack([per_council[c] for c in COUNCIL_COLUMNS], axis=2).astype(float))

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
        row, hours, price, block, profit, fixed, centre, in_house = (np.concatenate([p[i] for p in providers])
                                                                     for i in range(5, 13))
        attendance = np.bincount(d_mc, attend, minlength=B * C).reshape(B, C)
        fig["_attendance"] = attendance
        place_hours = spec.max_hours * WEEKS_PER_MONTH
        hours_per_client = np.where(attend > 0, hours / np.maximum(attend, 1), place_hours)
        be = breakeven_occupancy(fixed, d_cap, hours_per_client, price, spec.variable_cost, block, place_hours)
        occupancy = d.occupancy(attend, d_cap)
        table = np.column_stack([np.array(month)[d_mi], d_council, row, attend, occupancy, be, d_cap, centre,
                                 in_house, profit, block])
        ends = np.cumsum(np.bincount(d_mi, minlength=B)).tolist()
        self._daycentres.extend(table[i:j] for i, j in zip([0, *ends[:-1]], ends, strict=True))
        fig["dc_open"] = active[:, :, 0].sum(axis=1)
        fig["dc_attendance"] = attendance.sum(axis=1)
        fig["dc_occupancy"] = d.occupancy(fig["dc_attendance"], np.bincount(d_mi, d_cap, minlength=B))
        fig["dc_below_breakeven"] = np.bincount(d_mi[occupancy < be], minlength=B)
        # Deficit: this month's result.
        fig["dc_in_deficit"] = np.bincount(d_mi[profit < 0], minlength=B)

        # HHI by (month, council) markets; the HHI of a month whose last council has no active
        # provider is summed over the markets up to the last with one (definitions.hhi).
        h = d.hhi_by_month(clients, council, mi, B, C)
        top = np.full(B, C - 1)
        some = np.flatnonzero(sizes)
        if some.size:
            top[some] = np.maximum.reduceat(council, (np.cumsum(sizes) - sizes)[some])
        for b in np.flatnonzero(top < C - 1):
            h[b] = d.hhi(providers[b][3].astype(float), providers[b][1].astype(np.int64))
        fig["hhi"] = h

    # ------------------------------------------------------------------ tidy tables
    def breakdown_long(self) -> dict[str, Any]:
        """Breakdowns as columns (``BREAKDOWN_COLUMNS``: month, dimension, level, metric, value) for a DataFrame."""
        cells = np.stack(self.cells)  # (months, raw, C, 4, 4, 5)
        months = np.arange(1, cells.shape[0] + 1)
        councils = tuple(c.name for c in self.m.config.councils)
        names = {dim: councils if levels is None else levels for dim, (_, levels) in DIMENSIONS.items()}
        axes = {"council": 2, "client_group": 3, "age_band": 4, "quintile": 5}
        cols: dict[str, list[Any]] = {name: [] for name in BREAKDOWN_COLUMNS}
        for dim in DIMENSIONS:
            other = tuple(a for a in axes.values() if a != axes[dim])
            sums = cells.sum(axis=other)  # (months, raw, levels)
            n = sums[:, 0, :]
            means = {metric: d.average(sums[:, i, :], n) for metric, i in self.CELL_MEANS.items()}
            vals = {"people": n, **means, "unmet_need": d.unmet_need(means["met_need"])}
            for metric in BREAKDOWN_METRICS:
                v = vals[metric]
                for li, level in enumerate(names[dim]):
                    cols["month"].extend(months.tolist())
                    cols["dimension"].extend([dim] * months.size)
                    cols["level"].extend([level] * months.size)
                    cols["metric"].extend([metric] * months.size)
                    cols["value"].extend(v[:, li].tolist())
        return cols


class HorizonRecorder:
    """What a study reads of a run (:func:`model.run.simulation.simulate_headline`): every month's
    :data:`~model.metrics.definitions.TOTALLED` columns and the headline row of the ``horizon`` month only.

    :meth:`record` keeps the month's ledger (by reference, as :class:`MonthRecorder` does) and, in
    the horizon month only, has a :class:`MonthRecorder` take the month's snapshot; the model scores
    quality of life in that month only. Its figures are
    those of a run recorded in full, bit for bit: a month's figures do not depend on which months
    are worked out with it, and the ``TOTALLED`` columns come from the same :func:`totalled`.
    """

    def __init__(self, model: CareEconomy, horizon: int) -> None:
        self.m, self.horizon = model, horizon
        self._ledgers: list[Ledger] = []
        self._last = MonthRecorder(model, equity=False)
        self._score_next()

    def _score_next(self) -> None:
        """The model works out quality of life only in the step to the horizon month, the one month
        read (:attr:`~model.core.economy.CareEconomy.score_quality`)."""
        self.m.score_quality = self.m.month + 1 == self.horizon

    def record(self) -> None:
        """Keep this month's ledger; in the horizon month, take the month's snapshot."""
        self._ledgers.append(self.m.ledger)
        if self.m.month == self.horizon:
            self._last.record()
        self._score_next()

    @property
    def row(self) -> dict[str, float]:
        """The horizon month's headline figures: ``MONTHLY_COLUMNS`` but ``dp_balance_change``, the one
        figure that needs the month before."""
        if len(self._ledgers) < self.horizon:
            raise RuntimeError(f"the run has recorded {len(self._ledgers)} months, not the horizon {self.horizon}")
        return {k: v for k, v in self._last.rows[-1].items() if k != "dp_balance_change"}

    @property
    def totals(self) -> dict[str, np.ndarray]:
        """The :data:`~model.metrics.definitions.TOTALLED` columns, one value per month recorded."""
        ledgers = self._ledgers
        return totalled(**ledger_figures(ledgers, ("entries", "exits", "displaced")),
                        spend=np.array([L.council_spend() for L in ledgers]))
