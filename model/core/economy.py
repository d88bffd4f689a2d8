"""The CareEconomy model: councils, providers, people and carers stepped month by month.

The model owns the state (``model.people``, ``model.providers``: structures of arrays), the Mesa
agents (thin objects reading their row) and the monthly ledger; an *engine* applies the rules.
The schedule of one month, in order (docs/explanation/ODD.md, process overview):

1. demography: departures, need drift and ageing, arrivals;
2. rollout: the offer reaches more people (triggering reviews); block contracts run down;
3. reviews: assessment, budgets, clawback; eligibility lost ends a package;
4. support and 5. option choice for people reviewed who have been offered the choice;
6. matching (the rationing rule) and purchasing, with payments;
7. unpaid carers: strain, respite, breakdown and crises;
8. outcomes: met need, wellbeing, satisfaction, ratings, switching;
9. providers: results, reserves, prices, capacity, exit (clients displaced) and entry;
10. council finance: charges, the ledger; each council's cash limit and levers (every month).

An engine implements the phases over the state tables, and the bookkeeping over rows the model
asks of it (arrivals, peers, departures, provider links, cells, block places, compaction). Engines
register themselves by name (:func:`register_engine`) when :mod:`model.engines` is imported:
``"vector"`` (default) applies each rule to arrays in compiled passes; ``"agents"`` walks the
agents one by one. This module imports no engine.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Protocol

import mesa
import numpy as np

from model import stream
from model.codes import AGENCY, DAY_CENTRE, N_SLOTS, N_TYPES, NO_PROVIDER
from model.core.agents import Carer, Council, Person, Provider
from model.core.state import Ledger, People, Providers
from model.rules import budgets, carers, demography, market, providers, rollout
from model.scenario import Scenario, ScenarioError


class Engine(Protocol):
    """What the model asks of an engine: the month's phases (:meth:`step`) and the bookkeeping over
    rows that the model's own methods delegate to it."""

    def __init__(self, model: CareEconomy) -> None: ...
    def start(self) -> None: ...
    def demography(self) -> None: ...
    def reviews(self) -> None: ...
    def support_and_choice(self) -> None: ...
    def matching(self) -> None: ...
    def purchase_and_outcomes(self) -> None: ...
    def providers(self) -> None: ...
    def finance(self) -> None: ...
    def arrivals(self, start: int, counts: np.ndarray, group_mix: np.ndarray, state: np.ndarray) -> None: ...
    def depart(self, rows: np.ndarray) -> None: ...
    def release(self, rows: np.ndarray) -> None: ...
    def set_cells(self, rows: np.ndarray) -> None: ...
    def choice_state(self, rows: np.ndarray) -> None: ...
    def displace(self, closing: np.ndarray) -> int: ...
    def block_places(self) -> None: ...
    def compact_rows(self, alive: np.ndarray, keep: np.ndarray, new_index: np.ndarray) -> None: ...


#: The month's phases, in order (docs: ODD, process overview); an engine implements one method each.
PHASES = (
    "demography",             # departures, need drift, ageing, the offer and the review countdown; arrivals
    "reviews",                # assessment, clawback, eligibility and budgets of the people due
    "support_and_choice",     # support places, then option choice of those offered the choice
    "matching",               # the rationing rule: seekers matched to providers
    "purchase_and_outcomes",  # purchasing and payments, unpaid carers, outcomes, voice, ratings
    "providers",              # results, reserves, prices, capacity, exit (clients displaced), entry
    "finance",                # charges, the ledger; each council's cash limit and levers
)

#: The columns of :meth:`CareEconomy.books`, one row per council.
BOOKS = ("cash_limit", "carried_in", "year_spend", "overspend", "threshold", "ras_rate", "waiting_list_on",
         "assessment_capacity", "review_reduction", "charge_rate", "decommission", "lever_moved", "block_level")

#: Engines by name, filled by :mod:`model.engines` when it is imported.
ENGINES: dict[str, type[Engine]] = {}


def register_engine(name: str, engine: type[Engine]) -> None:
    """Make an engine available to :class:`CareEconomy` under ``name``."""
    ENGINES[name] = engine


class CareEconomy(mesa.Model):
    """A care economy under self-directed support.

    Args:
        scenario: a validated :class:`~model.scenario.Scenario`.
        seed: an integer or ``numpy.random.SeedSequence``; the model's generator is derived from it.
        engine: ``"vector"`` (default) or ``"agents"`` (the per-agent reference).
    """

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence | None = None,
                 engine: str = "vector") -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES) or '(none registered: import model.engines)'}"
                             f"; got {engine!r}")
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(
            scenario.run.seed if seed is None else seed)
        super().__init__(rng=np.random.default_rng(ss))
        self.config = scenario
        self.engine_name = engine
        self.month = 0
        #: Whether this month's quality of life is worked out (:func:`model.rules.outcomes.quality_of_life`:
        #: people's ``wellbeing``, the ledger's ``ascot``, ``carer_qol`` and ``carers_known``). It feeds nothing
        #: else, so a recorder that reads only some months clears it for the others
        #: (:class:`model.metrics.recorder.HorizonRecorder`); in those months those figures are not
        #: observed (the ledger's are zero, people keep the last month's ``wellbeing``).
        self.score_quality = True
        self._rollout_month = -1  # the month of the shares in _rollout_shares (see _rollout)
        self._rollout_shares: tuple[np.ndarray, np.ndarray, bool] = (np.empty(0, np.float32), np.empty(0), True)
        s = scenario
        self.n_councils = len(s.councils)
        p = s.providers
        self.ptypes = s.providers.types()
        if p.workforce:  # an agency's cost per hour follows the care-worker wage (ODD 7.9, workforce)
            unit_cost = providers.cost_per_hour(p.care_worker_wage, p.travel_time_share, p.on_cost_share,
                                                p.mileage_per_hour)
            self.ptypes[AGENCY] = self.ptypes[AGENCY].model_copy(update={"variable_cost": unit_cost})
        #: Each council's hourly rate for home care it pays for (0: it pays the agency's price).
        self.hourly_rates = np.array([c.commissioning.hourly_rate if c.commissioning.set_hourly_rate else 0.0
                                      for c in s.councils])
        self.type_price = np.array([t.price for t in self.ptypes])
        self.type_var = np.array([t.variable_cost for t in self.ptypes])
        self._handback_hazard = np.array([providers.handback_hazard(float(self.type_var[AGENCY]), float(rate), p)
                                          for rate in self.hourly_rates])
        self.type_maxh = np.array([t.max_hours for t in self.ptypes], dtype=np.float32)
        self.type_growth = np.array([t.growth for t in self.ptypes])
        self.type_capacity = np.array([t.capacity for t in self.ptypes])
        self.type_bonus = np.array([t.wellbeing_bonus for t in self.ptypes], dtype=np.float32)
        self.type_respite = np.array([t.respite for t in self.ptypes], dtype=np.float32)
        self.interval = np.array([c.rollout.review_interval_months for c in s.councils])
        self.reduction = np.array([c.support.burden_reduction for c in s.councils], dtype=np.float32)
        self.managed_account = np.array([c.support.managed_account for c in s.councils])
        self.presentation = np.array([c.rollout.presentation for c in s.councils])  # (council, Option 1-4)
        self.available = np.array([[o in c.rollout.options for o in (1, 2, 3, 4)] for c in s.councils])
        self.deprivation = np.array([c.deprivation for c in s.councils])
        #: Each council's rule for closing its own day centres: occupancy threshold and months below it.
        self.close_below = np.array([c.commissioning.in_house_close_occupancy for c in s.councils])
        self.close_after = np.array([c.commissioning.in_house_close_after_months for c in s.councils], dtype=np.int64)
        self._projection = read_projection(s)
        self.referral_groups = demography.referral_groups(s.demography)

        sizes = np.floor(np.array([c.population_share for c in s.councils]) * s.run.people).astype(int)
        sizes[np.argmax(sizes)] += s.run.people - sizes.sum()
        #: Simulated people per real person, by council: the people simulated at month 0 are a sample
        #: of the council's real caseload (ODD 7.1). Money, people and places in the model are the
        #: real ones times this.
        self.scale = demography.sample_scale(sizes, self.adults(0), s.demography)
        self.people = People(int(s.run.people * 1.3) + 64, peers=s.demography.peers)
        self.providers = Providers(256)
        # Person, Carer and Provider agents are thin views of rows, materialised when Mesa's agent
        # sets are read (see `agents`); the vectorised engine never needs them during a run.
        self.person_agents: dict[int, Person] = {}
        self.carer_agents: dict[int, Carer] = {}
        self._has_agent = np.zeros(0, dtype=bool)
        self.provider_agents: list[Provider | None] = []  # by provider row, up to the last row seen
        self.councils = [Council(self, i, spec) for i, spec in enumerate(s.councils)]
        self.ledger = Ledger(self.n_councils)
        self.engine: Engine = ENGINES[engine](self)

        self.add_people(sizes, np.asarray(s.demography.group_mix, dtype=np.float64))
        for council in self.councils:
            council.open_books(int(sizes[council.index]))
        P = self.people
        rows = np.arange(P.n)
        need, tenure = demography.settle(P.need[rows], P.group[rows], P.quintile[rows], s.demography, self.rng)
        P.carer_base[rows] = P.carer_hours[rows]
        u = self.rng.random(rows.size)
        v = self.rng.random(rows.size) if s.carers.strain_gradient else np.zeros(rows.size)  # capacities
        w = self.rng.random(rows.size) if s.carers.replacement else np.ones(rows.size)  # new carers
        (P.carer_hours[rows], P.strain[rows], P.need[rows], P.carer_capacity[rows],
         P.strained_months[rows]) = carers.settle(P.carer_hours[rows], need, tenure, u, v, w, s.carers)
        P.carer_credit[rows] = budgets.credited_hours(P.carer_hours[rows], P.carer_base[rows], P.strain[rows],
                                                      s.carers)
        self.refresh_required(rows)
        # Stagger first reviews over the interval, so reviews spread across the year.
        P.review_in[rows] = 1 + (self.rng.random(rows.size) * self.interval[P.council[rows]]).astype(np.int16)
        self.apply_assessment(rows)
        P.option[rows] = np.where(P.eligible[rows], 3, 0)
        P.seeking[rows] = P.option[rows] > 0  # every package starts without a provider
        self.set_choice_state(rows)
        for c, spec_c in enumerate(s.councils):
            n_c = int(sizes[c])
            for t, spec in enumerate(self.ptypes):
                if t == DAY_CENTRE and spec_c.day_centres:
                    self.add_day_centres(c)
                else:
                    self.add_providers(c, t, round(spec.per_1000 * n_c / 1000.0))
        self.open_at_demand()
        self.set_block_places()
        for c in range(self.n_councils):
            self.seat_attendees(c)
        self.engine.start()
        self.staff_agencies()
        self.burn_in(s.run.burn_in_months)

    # ------------------------------------------------------------------ population bookkeeping
    def add_people(self, counts: np.ndarray, group_mix: np.ndarray | None = None) -> np.ndarray:
        """Append newly referred people, ``counts[c]`` to council ``c``, their first review due at
        once, their client groups drawn from ``group_mix`` (default: the referrals' mix,
        :func:`model.rules.demography.referral_groups`); returns their rows."""
        counts, start, state = self.make_room(counts)
        if state is None:
            return np.empty(0, dtype=np.int64)
        self.engine.arrivals(start, counts, self.referral_groups if group_mix is None else group_mix, state)
        return np.arange(start, start + int(counts.sum()))

    def make_room(self, counts: np.ndarray) -> tuple[np.ndarray, int, np.ndarray | None]:
        """Rows for newly referred people, ``counts[c]`` to council ``c``, appended to the people
        table, to be filled in, council by council, and given peers by the engine's arrivals.
        Returns the counts (int64), the first new row and the stream the arrivals draw from (None,
        and no row added, when nobody arrives)."""
        counts = np.asarray(counts, dtype=np.int64)
        total = int(counts.sum())
        if total <= 0:
            return counts, self.people.n, None
        return counts, self.people.append(total).start, stream.seed(self.rng)

    # ------------------------------------------------------------------ Mesa's view of the rows
    def sync_agents(self) -> None:
        """Make the Person, Carer and Provider agents match the rows: one per living person (and
        carer) and one per open provider, each made in row order. (Closing providers lose theirs
        at once, in :meth:`close_providers`; provider rows are never reused.)"""
        Q = self.providers
        for row in range(len(self.provider_agents), Q.n):  # providers opened since the last sync
            self.provider_agents.append(Provider(self, row) if Q.active[row] else None)
        P = self.people
        if self._has_agent.size < P.n:
            self._has_agent = np.concatenate([self._has_agent, np.zeros(P.n - self._has_agent.size, dtype=bool)])
        has = self._has_agent[: P.n]
        alive = P.view("alive")
        for r in np.flatnonzero(has & ~alive).tolist():
            self.person_agents.pop(r).remove()
            carer = self.carer_agents.pop(r, None)
            if carer is not None:
                carer.remove()
        carers = P.view("has_carer")
        for r in np.flatnonzero(alive & ~has).tolist():
            self.person_agents[r] = Person(self, r)
            if carers[r]:
                self.carer_agents[r] = Carer(self, r)
        has[:] = alive

    @property
    def agents(self) -> mesa.agent.AgentSet:  # type: ignore[override]
        """All agents (people and carers materialised on demand)."""
        self.sync_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:  # type: ignore[override]
        self.sync_agents()
        return super().agents_by_type

    def compact(self) -> None:
        """Drop the rows of people who have left (when they are over a quarter of all rows, or the
        table is nine-tenths full and would soon have to grow); peers and materialised agents are
        renumbered."""
        P = self.people
        alive = P.view("alive")
        gone = P.n - np.count_nonzero(alive)
        if gone == 0 or (gone < max(64, P.n // 4) and P.n < 0.9 * P.allocated):
            return
        for r in [r for r in self.person_agents if not alive[r]]:  # agents of the departed go first
            self.person_agents.pop(r).remove()
            carer = self.carer_agents.pop(r, None)
            if carer is not None:
                carer.remove()
        new_index = np.cumsum(alive) - 1
        keep = np.flatnonzero(alive)
        self.engine.compact_rows(alive, keep, new_index)
        self.person_agents = {int(new_index[r]): a for r, a in self.person_agents.items()}
        self.carer_agents = {int(new_index[r]): a for r, a in self.carer_agents.items()}
        for a in (*self.person_agents.values(), *self.carer_agents.values()):
            a.row = int(new_index[a.row])
        self._has_agent = np.zeros(keep.size, dtype=bool)
        self._has_agent[list(self.person_agents)] = True
        P.n = keep.size

    def depart(self, rows: np.ndarray) -> None:
        """People leave (death, residential care): packages end, DP balances return to the council."""
        if rows.size == 0:
            return
        self.engine.depart(np.asarray(rows, dtype=np.int64))

    def release(self, rows: np.ndarray) -> None:
        """End the provider relationships of ``rows`` (both budget slots)."""
        self.engine.release(np.asarray(rows, dtype=np.int64))

    def set_cell(self, rows: np.ndarray) -> None:
        """Breakdown cell (council, client group, age band, quintile) of ``rows``."""
        self.engine.set_cells(np.asarray(rows, dtype=np.int64))

    def set_choice_state(self, rows: np.ndarray) -> None:
        """Control and felt burden of ``rows`` in their current option (ODD 7.4, 7.8); they change
        only when the option or support changes, so they are stored rather than recomputed."""
        self.engine.choice_state(np.asarray(rows, dtype=np.int64))

    def account(self, charges: np.ndarray) -> None:
        """Council finance (ODD 7.10): each council adds the month's spend, net of the ``charges`` it
        collected (by council), to the year's and decides on its levers, knowing who is on its
        waiting list (:meth:`Council.account`), and reviews its block contracts
        (:meth:`Council.commission`). (Not during the burn-in, which keeps month 0's policy and
        contracts; its ledger is discarded.)"""
        if self.month < 0:
            return
        self.ledger.charges += charges
        spend = self.ledger.council_spend()
        for council in self.councils:
            council.account(float(spend[council.index]), float(charges[council.index]),
                            int(self.ledger.waiting[council.index]))
            council.commission(float(self.ledger.block_taken[council.index]),
                               float(self.ledger.block_held[council.index]))

    def offered_shares(self) -> np.ndarray:
        """Each council's share of people offered the choice this month (ODD 7.3), as the people's
        offer ranks (float32) are compared with it. (Read-only: shared by the month's readers.)"""
        return self._rollout()[0]

    def offer_moved(self) -> bool:
        """Whether any council's offered share differs from the month before (always, in the
        first month): only then can anyone newly be offered the choice."""
        return self._rollout()[2]

    def block_rundowns(self) -> np.ndarray:
        """Each council's block contracts left this month as a share of those before rollout (on the
        schedule or as its reviews decided: :meth:`_block_level`), less what it has decommissioned:
        a named day centre's block places at the start are scaled by it."""
        return np.array([budgets.block_share(self._block_level(council), council.policy) for council in self.councils])

    def _block_level(self, council: Council) -> float:
        """The share of a council's starting block contracts it holds this month: on the schedule
        (:func:`model.rules.rollout.block_rundown`), or as its commissioning reviews decided
        (``rundown`` = occupancy, :meth:`Council.commission`)."""
        c = council.spec
        if c.commissioning.rundown == "occupancy":
            return council.block_level
        return rollout.block_rundown(max(self.month, 0), c.rollout, c.commissioning)

    def block_shares(self) -> np.ndarray:
        """Each council's share of day-centre places on block contracts this month (less what it has
        decommissioned, as its policy stood when the month began)."""
        return self._rollout()[1]

    def _rollout(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """The month's offered and block shares by council and whether the offered shares moved,
        worked out once a month."""
        if self._rollout_month != self.month:
            councils = self.config.councils
            month = max(self.month, 0)  # the burn-in keeps month 0's offer and contracts
            offered = np.array([rollout.offered_share(month, c.rollout) for c in councils], dtype=np.float32)
            moved = self._rollout_month != self.month - 1 or offered.tolist() != self._rollout_shares[0].tolist()
            self._rollout_shares = (
                offered, np.array([budgets.block_share(c.commissioning.block_share * self._block_level(council),
                                                       council.policy)
                                   for c, council in zip(councils, self.councils, strict=True)]), moved)
            self._rollout_month = self.month
        return self._rollout_shares

    def adults(self, month: int | None = None) -> np.ndarray:
        """Each council's adult population (real people, not simulated) in ``month`` (default: this
        month; the burn-in has month 0's): ``councils.N.adults`` grown at ``adult_growth``, or the
        scenario's population projection where it lists the council. In the model's units it is
        this times :attr:`scale`."""
        month = max(self.month if month is None else month, 0)
        year = self.config.run.decimal_year(month)
        return np.array([demography.projected_adults(*self._projection[i], year) if i in self._projection
                         else demography.adults_at(c.adults, c.adult_growth, month)
                         for i, c in enumerate(self.config.councils)])

    def expected_referrals(self) -> np.ndarray:
        """This month's expected new referrals by council, in simulated people (ODD 7.1): its adults
        x the referral incidence, scaled to the sample."""
        return demography.expected_referrals(self.adults(), self.scale, self.config.demography)

    def policy(self) -> tuple[np.ndarray, np.ndarray]:
        """Each council's current eligibility threshold and RAS rate at review (they move with its levers)."""
        return np.array([c.threshold for c in self.councils]), np.array([c.rate for c in self.councils])

    def charge_rates(self) -> np.ndarray:
        """Each council's current charge rate (share of the chargeable part of a package)."""
        return np.array([c.policy.charge_rate for c in self.councils])

    def assessments_allowed(self) -> np.ndarray:
        """The most people each council assesses this month (-1: no limit; ODD 7.10, waiting list)."""
        return np.array([c.assessments_allowed() for c in self.councils], dtype=np.int64)

    def books(self) -> np.ndarray:
        """Each council's budget and levers after the month (columns: :data:`BOOKS`)."""
        return np.array([[c.cash, c.carried_in, c.year_spend, c.overspend, c.policy.threshold, c.rate,
                          float(c.policy.waiting_list), c.policy.assessment_capacity, c.policy.review_reduction,
                          c.policy.charge_rate, c.policy.decommission, c.moved, self._block_level(c)]
                         for c in self.councils])

    def apply_assessment(self, rows: np.ndarray) -> None:
        """Assess ``rows`` with their council's current threshold and RAS rate."""
        P = self.people
        threshold, rate = self.policy()
        elig, budget = budgets.assess(P.need[rows], P.carer_credit[rows], threshold[P.council[rows]],
                                      rate[P.council[rows]], self.config.budgets)
        P.eligible[rows] = elig
        P.budget[rows] = budget

    def refresh_required(self, rows: np.ndarray | None = None) -> None:
        """Formal hours needed this month, for ``rows`` (default: everyone), worked out in double
        precision and stored as float32, as the vector engine's compiled passes do."""
        P = self.people
        sel = slice(0, P.n) if rows is None else rows
        P.required[sel] = budgets.required_hours(P.need[sel].astype(np.float64), P.carer_credit[sel].astype(np.float64),
                                                 self.config.budgets.hours_per_point)

    # ------------------------------------------------------------------ providers bookkeeping
    def add_providers(self, council: int, ptype: int, n: int, grant: float = 0.0, staff: float = 0.0) -> np.ndarray:
        """Open ``n`` providers of one type in one council (start-up grant added to reserves), each
        with ``staff`` care workers."""
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        t = self.ptypes[ptype]
        quality = np.clip(t.quality_mean + t.quality_sd * self.rng.standard_normal(n), 0.05, 1.0)
        r = self.providers.append(
            n, active=True, ptype=ptype, council=council, capacity=t.capacity, price=t.price,
            quality=quality, rating=quality, reserves=t.reserve_months * t.fixed_cost + grant, born=self.month,
            staff=staff, fixed_cost=t.fixed_cost)
        return np.arange(r.start, r.stop)

    def open_at_demand(self) -> None:
        """Starting market at its demand (ODD, initialisation): each open provider's places from
        :func:`model.rules.providers.opening_places`, given the starting clients of its council
        expected to want its type (:func:`model.rules.market.wanted_shares` of everyone with a
        package and formal hours to buy, in the mode of their main budget slot)."""
        P, Q = self.people, self.providers
        rows = np.flatnonzero((P.option[:P.n] > 0) & (P.required[:P.n] > 0) & (P.budget[:P.n] > 0))
        shares = market.wanted_shares(P.dc_affinity[rows], demography.is_over65(P.age_band[rows]),
                                      market.SLOT_MODES[P.option[rows], 0], self.config.providers)
        wanted = np.stack([np.bincount(P.council[rows], shares[:, t], minlength=self.n_councils)
                           for t in range(N_TYPES)], axis=-1)
        q = np.flatnonzero(Q.active[:Q.n])
        council, ptype = Q.council[q], Q.ptype[q]
        places = np.zeros((self.n_councils, N_TYPES))
        np.add.at(places, (council, ptype), Q.capacity[q])
        living = np.bincount(P.council[:P.n][P.alive[:P.n]], minlength=self.n_councils)
        Q.capacity[q] = providers.opening_places(Q.capacity[q], places[council, ptype], wanted[council, ptype],
                                                 self.type_growth[ptype], living[council], self.config.providers)

    def add_day_centres(self, council: int) -> np.ndarray:
        """Open the council's named day centres (``councils.N.day_centres``), in the order given: each
        with its attendees when full, price, fixed cost and block places at the start
        (:func:`model.rules.providers.named_centre`, in the model's units: the council's
        :attr:`scale`), the type's quality draw and reserves of the type's months of its fixed cost."""
        specs = self.config.councils[council].day_centres
        rows = self.add_providers(council, DAY_CENTRE, len(specs))
        Q, t = self.providers, self.ptypes[DAY_CENTRE]
        for i, (row, spec) in enumerate(zip(rows.tolist(), specs, strict=True)):
            capacity, price, fixed_cost, block, _ = providers.named_centre(spec, t, float(self.scale[council]))
            Q.capacity[row], Q.price[row], Q.fixed_cost[row], Q.block_start[row] = capacity, price, fixed_cost, block
            Q.reserves[row] = t.reserve_months * fixed_cost
            Q.centre[row], Q.in_house[row], Q.close_month[row] = i, spec.ownership == "in_house", spec.close_month
        return rows

    def seat_attendees(self, council: int) -> None:
        """The named day centres' attendance at the start: each centre, in order, takes the council's
        eligible people not yet attending one, those who value day care first, then in row order
        (:func:`model.rules.providers.named_centre`: its attendance in the model's units)."""
        specs = self.config.councils[council].day_centres
        if not specs:
            return
        P, Q = self.people, self.providers
        n = P.n
        rows = np.flatnonzero((P.council[:n] == council) & P.eligible[:n] & (P.provider[:n, 0] == NO_PROVIDER))
        rows = np.concatenate([rows[P.dc_affinity[rows]], rows[~P.dc_affinity[rows]]])
        centres = np.flatnonzero((Q.view("council") == council) & (Q.view("centre") >= 0) & Q.view("active"))
        taken = 0
        for q in centres.tolist():
            spec = specs[int(Q.centre[q])]
            seats = providers.named_centre(spec, self.ptypes[DAY_CENTRE], float(self.scale[council]))[4]
            seated = rows[taken: taken + min(seats, int(Q.capacity[q]))]
            taken += seated.size
            P.provider[seated, 0] = q
            P.seeking[seated] = False
            Q.clients[q] += seated.size

    def staffed_hours(self) -> np.ndarray:
        """Hours each provider's staff can deliver this month (by provider row): an agency's care
        workers' contact hours (:func:`model.rules.providers.worker_hours`) with the workforce on;
        otherwise no bound (infinite)."""
        Q, p = self.providers, self.config.providers
        if not p.workforce:
            return np.full(Q.n, np.inf)
        return np.where(Q.view("ptype") == AGENCY, Q.view("staff") * providers.worker_hours(p), np.inf)

    def handback_hazards(self) -> np.ndarray:
        """Each council's monthly chance that an agency hands back a package it pays for
        (:func:`model.rules.providers.handback_hazard`: its hourly rate against an agency's cost per
        hour, fixed for the run), 0 in a council with no open agency."""
        hazard = self._handback_hazard
        if not hazard.any():
            return hazard
        Q = self.providers
        open_agency = np.bincount(Q.view("council")[Q.view("active") & (Q.view("ptype") == AGENCY)],
                                  minlength=self.n_councils)
        return np.where(open_agency > 0, hazard, 0.0)

    def free_workers(self) -> np.ndarray:
        """Each council's care workers not employed by its open agencies: its labour supply this
        month (:func:`model.rules.providers.labour_supply`) less the agencies' staff (ODD 7.9, workforce)."""
        Q = self.providers
        employed = np.bincount(Q.view("council"), np.where(Q.view("active"), Q.view("staff"), 0.0),
                               minlength=self.n_councils)
        return providers.labour_supply(self.adults(), self.scale, self.config.providers) - employed

    def staff_agencies(self) -> None:
        """The starting agencies' care workers (with the workforce on), once the first matching is
        done: for the hours their clients want this month (what their packages would buy,
        :func:`model.rules.market.hours_bought` at :func:`model.rules.market.price_paid`), the
        steady state's staff (:func:`model.rules.providers.steady_staff`), as far as each
        council's labour supply allows (:func:`model.rules.providers.pool_fill`)."""
        p = self.config.providers
        if not p.workforce:
            return
        P, Q = self.people, self.providers
        n = P.n
        wanted = np.zeros(Q.n)
        direct_share = self.config.choice.option4_direct_share
        for slot in range(N_SLOTS):
            rows = np.flatnonzero(P.provider[:n, slot] >= 0)
            q = P.provider[rows, slot]
            option = P.option[rows].astype(np.int64)
            agency = Q.ptype[q] == AGENCY
            rate = self.hourly_rates[P.council[rows]]
            price = market.price_paid(option, slot, agency, Q.price[q], rate, p.top_up)
            np.add.at(wanted, q, market.hours_bought(P.required[rows].astype(np.float64), P.budget[rows],
                                                     market.slot_share(option, slot, direct_share), price,
                                                     self.type_maxh[Q.ptype[q]]))
        agencies = np.flatnonzero(Q.view("active") & (Q.view("ptype") == AGENCY))
        staff = providers.steady_staff(wanted[agencies] / providers.worker_hours(p), p)
        council = Q.council[agencies]
        wanting = np.bincount(council, staff, minlength=self.n_councils)
        fill = np.array([providers.pool_fill(float(free), float(want))
                         for free, want in zip(self.free_workers(), wanting, strict=True)])
        Q.staff[agencies] = staff * fill[council]

    def close_providers(self, rows: np.ndarray) -> int:
        """After the providers' month: block places follow the centres' new capacity
        (:meth:`set_block_places`: a centre that has given up places holds no more contracted places
        than it has); then providers exit (a council's own centres, by its decision: counted as its
        closures): their clients are displaced (they will be re-matched). Returns displaced."""
        self.set_block_places()
        if rows.size == 0:
            return 0
        Q, L = self.providers, self.ledger
        Q.active[rows] = False
        Q.died[rows] = self.month
        Q.block_places[rows] = 0
        np.add.at(L.exits, (Q.council[rows].astype(np.int64), Q.ptype[rows].astype(np.int64)), 1)
        np.add.at(L.council_closures, Q.council[rows].astype(np.int64), Q.in_house[rows])
        closing = np.zeros(Q.n, dtype=bool)
        closing[rows] = True
        displaced = self.engine.displace(closing)
        for row in rows.tolist():
            if row < len(self.provider_agents) and self.provider_agents[row] is not None:
                self.provider_agents[row].remove()
                self.provider_agents[row] = None
        return displaced

    def set_block_places(self) -> None:
        """Block-contracted places at each open day centre, from the council's current block share."""
        self.engine.block_places()

    # ------------------------------------------------------------------ schedule
    def begin_month(self) -> None:
        """A new month's ledger; departed rows compacted away."""
        self.ledger = Ledger(self.n_councils)
        self.compact()

    def step(self) -> None:
        """Advance one month: the phases of :data:`PHASES`, in order, by the engine."""
        self.advance()

    def advance(self) -> None:
        """One month's phases (:meth:`step` without Mesa's count of steps)."""
        self.begin_month()
        for phase in PHASES:
            getattr(self.engine, phase)()
        self.month += 1

    def burn_in(self, months: int) -> None:
        """The spin-up (ODD, initialisation): ``months`` months run before month 0 with month 0's
        offer, contracts, council policy and population, and no budget review; then the clock is at
        month 0 with a fresh ledger, so that nothing of the spin-up is recorded."""
        self.month = -months
        for _ in range(months):
            self.advance()
        self.month = 0
        self.ledger = Ledger(self.n_councils)

    def run(self, months: int | None = None) -> None:
        """Advance ``months`` months (default: the scenario's horizon): one Mesa step each, through
        Mesa's own clock (``run_for``)."""
        months = self.config.run.months if months is None else months
        if months > 0:
            self.run_for(months)


def read_projection(s: Scenario) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The scenario's population projection (``demography.population_projection``, a CSV with
    columns council, year, adults), as (years, adults) by council index for the councils it
    lists; empty without one. A file that cannot be used is a :class:`ScenarioError` naming it."""
    path = s.demography.population_projection
    if not path:
        return {}
    names = {c.name: i for i, c in enumerate(s.councils)}
    rows: dict[int, list[tuple[int, float]]] = {}
    field = "demography.population_projection"
    try:
        with Path(path).open(newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if row.get("council") not in names:
                    continue
                try:
                    year, adults = int(row["year"]), float(row["adults"])
                except (KeyError, TypeError, ValueError):
                    raise ScenarioError(f"{path} line {line}: year must be a whole number and adults a number "
                                        "(columns council, year, adults)", field) from None
                if not adults > 0:
                    raise ScenarioError(f"{path} line {line}: adults must be above 0", field)
                rows.setdefault(names[row["council"]], []).append((year, adults))
    except OSError as e:
        raise ScenarioError(f"cannot read {path}: {e.strerror}", field) from None
    return {i: (np.array([y for y, _ in sorted(r)]), np.array([a for _, a in sorted(r)])) for i, r in rows.items()}
