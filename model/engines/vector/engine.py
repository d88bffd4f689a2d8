"""The default engine: every per-person rule applied to whole arrays (structure of arrays).

Same rules, same order and same meaning as the per-agent reference (:mod:`model.engines.reference`).
How it stays fast without changing meaning:

* the per-person steps of each phase run in one compiled pass over the rows
  (:mod:`model.engines.vector`, one module per phase), which calls the rule modules' own functions;
* the passes also keep the books: departures, provider links, the month's ledger sums (added in
  the order ``numpy.bincount`` would add them), provider income and ratings, admin costs;
* the rest runs per council or per provider (arrivals drawn, entry and exit with their Mesa
  agents); departed rows are compacted away by the model;
* random numbers come from a stream per pass seeded from the model's generator
  (:mod:`model.stream`), so a run is determined by its seed.

There is no Python loop over people; loops run over councils or provider types.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from model import stream
from model.codes import DAY_CENTRE, N_AGE_BANDS, N_GROUPS, N_TYPES
from model.engines.vector import (
    bookkeeping,
    common,
    demography,
    finance,
    matching,
    providers,
    purchasing,
    reviews,
    support_and_choice,
)
from model.rules import budgets, choice, market, outcomes, support
from model.rules import demography as demography_rules

if TYPE_CHECKING:
    from model.core.economy import CareEconomy


#: The compiled passes the engine calls from Python, by name, each through
#: :class:`~model.engines.vector.common.Pass` (their arguments' types worked out once, not on every call).
Passes = SimpleNamespace(**{f.__name__: common.Pass(f) for f in (
    demography.month,
    reviews.reviews,
    support_and_choice.support_and_choice,
    matching.match,
    purchasing.purchase_and_outcomes,
    providers.providers_month,
    providers.staffing,
    providers.hand_backs,
    finance.finance,
    demography.arrive,
    demography.depart,
    bookkeeping.release,
    demography.set_cells,
    support_and_choice.choice_state,
    bookkeeping.displace,
    bookkeeping.block_places,
    bookkeeping.renumber_peers,
    bookkeeping.move_rows,
)})


class VectorEngine:
    """Applies the monthly schedule of :class:`~model.core.economy.CareEconomy` to arrays."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model
        s = model.config
        self.admin_cost = np.array([c.finance.admin_cost for c in s.councils])  # (council, Option 1-4)
        self.type_costs = providers.TypeCosts(model.type_var, model.type_price, model.type_growth, model.type_capacity)
        self.closing_rule = providers.Closing(model.close_below, model.close_after)
        self.assessment_cost = np.array([c.finance.assessment_cost for c in s.councils])
        self.chargeable = budgets.chargeable_share(s.budgets)
        self.d, self.ch = common.struct(s.demography), common.struct(s.choice)
        self.fresh = choice.fresh_choice(s.choice)
        self.o, self.c = common.struct(s.outcomes), common.struct(s.carers)
        self.b, self.p = common.struct(s.budgets), common.struct(s.providers)
        # Per provider type: hour cap a week, respite and wellbeing bonus per hour, as purchasing reads them.
        self.type_attrs = np.column_stack([model.type_maxh, market.per_hour(model.type_respite, model.type_maxh),
                                           market.per_hour(model.type_bonus, model.type_maxh)])
        self.support_capacity = np.array([c.support.capacity for c in s.councils])
        self.most_deprived = np.array([support.targets_most_deprived(c.support) for c in s.councils])
        self.support_cost = np.array([c.support.cost_per_person for c in s.councils])
        # How much people value control (model.rules.outcomes.value_of_control), by client group and age band.
        self.control_values = np.array([[outcomes.value_of_control(g, b, s.outcomes) for b in range(N_AGE_BANDS)]
                                        for g in range(N_GROUPS)])

    # ------------------------------------------------------------------ 1-3. demography, rollout and reviews
    def demography(self) -> None:
        """Departures, need drift and ageing, the offer and the countdown to reviews (the rows due
        are kept for the reviews); arrivals (their rows made first: :meth:`CareEconomy.make_room`);
        block places follow the month's block share. One compiled call
        (:func:`model.engines.vector.demography.month`); the model's generator gives the sweep's
        stream, the arrivals and the arrivals' stream, in that order."""
        m, P, Q, L = self.m, self.m.people, self.m.providers, self.m.ledger
        self.first_new = P.n
        share, offer = m.offered_shares(), m.offer_moved()
        state = stream.seed(m.rng)
        arriving = demography_rules.arrivals(m.expected_referrals(), m.rng)
        counts, start, arrivals_state = m.make_room(arriving)
        if arrivals_state is None:  # nobody arrives: the pass draws nothing from it
            arrivals_state = np.zeros(4, np.uint64)
        self.due = Passes.month(P.record(P.n), Q.clients, share, offer, m.interval, self.stock,
                                m.config.budgets.hours_per_point, self.d, state, L.record(), start, counts,
                                m.deprivation, m.referral_groups, self.c, m.n_councils,
                                m.config.demography.peer_homophily, arrivals_state, Q.record(Q.n),
                                m.block_shares(), m.block_rundowns())
        L.arrivals += arriving
        self.stock += arriving

    def reviews(self) -> None:
        """Everyone due is reviewed (the new arrivals' countdown first), but for those a council's
        waiting list holds back. Keeps the eligible people
        reviewed who choose this month (they have been offered the choice), the others, and the
        number of councils where someone chooses."""
        m, P, L = self.m, self.m.people, self.m.ledger
        threshold, rate = m.policy()
        councils = reviews.Councils(m.offered_shares(), m.interval, threshold, rate, m.assessments_allowed(),
                                    self.assessment_cost)
        self.choosing, self.kept, self.queues = Passes.reviews(
            self.due, self.first_new, P.record(P.n), m.providers.clients, councils, m.offer_moved(),
            m.config.choice.option4_direct_share, self.b, L.record())

    # ------------------------------------------------------------------ 4-5. support and choice
    def support_and_choice(self) -> None:
        """Support reaches some of the people choosing (ODD 7.5); they decide to keep or change their
        option (7.4); the others reviewed stay council-arranged."""
        m, P, L, rng = self.m, self.m.people, self.m.ledger, self.m.rng
        choosing, kept, queues = self.choosing, self.kept, self.queues
        u = rng.random(queues + choosing.size)  # as the per-agent engine draws them
        Passes.support_and_choice(choosing, kept, P.record(P.n), self.stock, self.support_capacity,
                                  self.most_deprived, self.support_cost, u, m.available, m.reduction,
                                  m.managed_account, m.presentation, self.ch, self.fresh,
                                  stream.seed(rng), m.month, m.providers.clients, L.record())

    # ------------------------------------------------------------------ 6. matching
    def start(self) -> None:
        """Once the starting population and providers are in place: the people by council, everyone's
        formal hours (later the compiled passes work them out when need changes), then the first
        matching."""
        self.stock = np.bincount(self.m.people.view("council"), minlength=self.m.n_councils).astype(np.int64)
        self.m.refresh_required()
        self.matching()
        self.m.ledger.entries[:] = 0

    def matching(self) -> None:
        """The people seeking a provider (their formal hours this month were worked out when their
        need changed), then the rationing rule of :mod:`model.rules.market`, applied to all seekers at
        once."""
        m, P, Q = self.m, self.m.people, self.m.providers
        unmet, unmet_hours = np.zeros(m.n_councils * N_TYPES), np.zeros(m.n_councils * N_TYPES)
        Passes.match(P.record(P.n), Q.record(Q.n), m.type_price, m.type_maxh, m.hourly_rates, self.p,
                     stream.seed(m.rng), unmet, unmet_hours, m.ledger.record())
        self.unmet, self.unmet_hours = unmet.reshape(m.n_councils, N_TYPES), unmet_hours.reshape(m.n_councils, N_TYPES)

    # ------------------------------------------------------------------ 6-8. purchasing, carers, outcomes
    def purchase_and_outcomes(self) -> None:
        """Purchasing with payments (ODD 7.6), unpaid carers (7.7), outcomes and voice (7.8), and
        provider ratings, in one compiled pass (:func:`model.engines.vector.purchasing.purchase_and_outcomes`)."""
        m, P, Q, s = self.m, self.m.people, self.m.providers, self.m.config
        Passes.purchase_and_outcomes(P.record(P.n), Q.record(Q.n), self.type_attrs,
                                     float(m.type_maxh[DAY_CENTRE]), s.choice.option4_direct_share,
                                     s.budgets.hours_per_point, self.c, self.o, self.ch, self.p, stream.seed(m.rng),
                                     m.ledger.record(), m.staffed_hours(), m.hourly_rates, m.score_quality,
                                     self.control_values)

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        """Each open provider's month (:func:`model.rules.providers.provider_month`, in one compiled
        pass); those that exit close (their clients are displaced); with the workforce on, the open
        agencies' staff (:func:`model.engines.vector.providers.staffing`); hand-backs
        (:func:`model.engines.vector.providers.hand_backs`); then each council's entrants
        (:meth:`model.core.agents.Council.entry`)."""
        m, Q = self.m, self.m.providers
        closing = Passes.providers_month(Q.record(Q.n), self.type_costs, self.stock, m.month, self.closing_rule,
                                         self.p, m.ledger.record())
        m.close_providers(closing)
        if m.config.providers.workforce:
            Passes.staffing(Q.record(Q.n), m.free_workers(), self.p, m.ledger.record())
        hazard = m.handback_hazards()
        if hazard.any():
            P = m.people
            Passes.hand_backs(P.record(P.n), Q.record(Q.n), hazard, m.config.providers.top_up, stream.seed(m.rng),
                              m.ledger.record())
        for council in m.councils:
            council.entry(self.unmet[council.index], self.unmet_hours[council.index], int(self.stock[council.index]))

    # ------------------------------------------------------------------ 10. council finance
    def finance(self) -> None:
        """The month's cost of administering packages and the charges collected, by council (in one
        compiled pass, :func:`model.engines.vector.finance.finance`); each council's accounts."""
        m, P = self.m, self.m.people
        m.account(Passes.finance(P.record(P.n), self.admin_cost, m.charge_rates(), self.chargeable, m.ledger.record()))

    # ------------------------------------------------------------------ bookkeeping over rows
    def arrivals(self, start: int, counts: np.ndarray, group_mix: np.ndarray, state: np.ndarray) -> None:
        """Fill in the rows from ``start`` with ``counts[c]`` new people in council ``c``, and draw their peers."""
        m = self.m
        Passes.arrive(start, counts, m.deprivation, group_mix, m.offered_shares(), self.d, self.c,
                      m.config.budgets.hours_per_point, m.n_councils, m.config.demography.peer_homophily, state,
                      m.people.record(m.people.n))

    def depart(self, rows: np.ndarray) -> None:
        P = self.m.people
        Passes.depart(rows, P.record(P.n), self.m.providers.clients, self.m.ledger.record())

    def release(self, rows: np.ndarray) -> None:
        Passes.release(self.m.people.provider, self.m.providers.clients, rows)

    def set_cells(self, rows: np.ndarray) -> None:
        P = self.m.people
        Passes.set_cells(rows, P.record(P.n))

    def choice_state(self, rows: np.ndarray) -> None:
        P = self.m.people
        Passes.choice_state(rows, P.record(P.n), self.m.reduction, self.m.managed_account, self.ch)

    def displace(self, closing: np.ndarray) -> int:
        P, Q = self.m.people, self.m.providers
        return Passes.displace(P.record(P.n), Q.clients, closing, self.m.ledger.record())

    def block_places(self) -> None:
        Q = self.m.providers
        Passes.block_places(Q.record(Q.n), self.m.block_shares(), self.m.block_rundowns())

    def compact_rows(self, alive: np.ndarray, keep: np.ndarray, new_index: np.ndarray) -> None:
        """Move the rows ``keep`` to the front of every column, renumbering peer links."""
        P = self.m.people
        Passes.renumber_peers(P.peers, alive, keep, new_index)
        for name in (*P.FIELDS, *P.WIDE):
            col = getattr(P, name)
            Passes.move_rows(col, keep)
            col[keep.size: P.n] = P.FIELDS[name][1] if name in P.FIELDS else P.WIDE[name][2]

