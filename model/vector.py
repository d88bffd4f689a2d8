"""The default engine: every per-person rule applied to whole arrays (structure of arrays).

Same rules, same order and same meaning as the per-agent reference (:mod:`model.reference`).
How it stays fast without changing meaning:

* the per-person steps of each phase run in one compiled pass over the rows
  (:mod:`model.kernels`), which calls the rule modules' own functions;
* the rest runs on whole columns or on the rows concerned (``[:n]`` views; departed rows are
  compacted away by the model): support places, provider prices, exit and entry, the ledger;
* random numbers come from a stream per pass seeded from the model's generator
  (:mod:`model.stream`), so a run is determined by its seed.

There is no Python loop over people; loops run over councils or provider types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import budgets, demography, kernels, outcomes, providers, rollout, stream, support

if TYPE_CHECKING:
    from model.economy import CareEconomy


class VectorEngine:
    """Applies the monthly schedule of :class:`~model.economy.CareEconomy` to arrays."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model
        s = model.config
        self.admin = np.array([[0.0, *c.finance.admin_cost] for c in s.councils])       # (council, option)
        self.assessment_cost = np.array([c.finance.assessment_cost for c in s.councils])
        self.last_share = np.full(model.n_councils, -1.0)
        self.stock = np.bincount(model.people.view("council"), minlength=model.n_councils).astype(np.int64)
        self.o, self.c = kernels.struct(s.outcomes), kernels.struct(s.carers)
        self.b, self.p = kernels.struct(s.budgets), kernels.struct(s.providers)

    def per_council(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.m.people.council[rows], weights, minlength=self.m.n_councils)

    # ------------------------------------------------------------------ 1. demography
    def demography(self) -> None:
        m, P, d = self.m, self.m.people, self.m.config.demography
        n = P.n
        leaving, older = kernels.demography_sweep(P.alive[:n], P.need[:n], P.group[:n], P.age_band[:n],
                                                  m.demography_params, stream.seed(m.rng))
        m.depart(leaving)
        m.set_cell(older)
        self.stock -= m.ledger.departures.astype(np.int64)
        arriving = demography.arrivals(self.stock, d, m.rng)
        new = m.add_people(arriving)
        P.review_in[new] = 0
        m.ledger.arrivals += arriving
        self.stock += arriving

    # ------------------------------------------------------------------ 2-3. rollout and reviews
    def rollout_and_reviews(self) -> np.ndarray:
        """Offer the choice to more people, then review everyone due; returns rows reviewed."""
        m, P, L = self.m, self.m.people, self.m.ledger
        n = P.n
        share = np.array([rollout.offered_share(m.month, c.rollout) for c in m.config.councils], dtype=np.float32)
        offer = bool(np.any(share != self.last_share))
        self.last_share = share
        m.set_block_places()
        due = kernels.reviews(P.alive[:n], P.offered[:n], P.offer_rank[:n], P.council[:n], P.review_in[:n], share,
                              offer, m.interval)
        count = self.per_council(due)
        L.assessments += count
        L.assessment += count * self.assessment_cost
        clawed = np.zeros((m.n_councils, 4))
        lost = kernels.reassess(due, P.council, P.option, P.need, P.carer_hours, P.budget, P.eligible, P.dp_balance,
                                *m.policy(), m.config.choice.option4_direct_share, self.b, clawed)
        L.clawback += clawed.sum(axis=1)
        L.services_by_option -= clawed
        m.release(lost)
        P.option[lost] = 0
        m.set_choice_state(lost)
        return due

    # ------------------------------------------------------------------ 4-5. support and choice
    def support_and_choice(self, due: np.ndarray) -> None:
        m, P, L, rng, s = self.m, self.m.people, self.m.ledger, self.m.rng, self.m.config
        due = due[P.eligible[due]]
        choosing = due[P.offered[due]]
        P.supported[choosing] = False
        stock = self.stock
        for c, spec in enumerate(s.councils):
            cand = choosing[P.council[choosing] == c]
            if cand.size == 0:
                continue
            n_places = support.places(int(stock[c]), spec.support, rng.random())
            keys = support.priority(P.quintile[cand], rng.random(cand.size), spec.support)
            got = cand[support.allocate(keys, n_places)]
            P.supported[got] = True
            L.supported[c] += got.size
            L.support[c] += got.size * spec.support.cost_per_person
        new_option = kernels.choose_options(choosing, P.confidence, P.age_band, P.group, P.supported, P.option, P.peers,
                                            P.alive, P.satisfaction, P.council, m.available, m.reduction,
                                            m.choice_params, stream.seed(rng))
        not_offered = due[~P.offered[due]]
        self.set_options(np.concatenate([choosing, not_offered]),
                         np.concatenate([new_option, np.full(not_offered.size, 3, np.int8)]))
        m.set_choice_state(due)

    def set_options(self, rows: np.ndarray, options: np.ndarray) -> None:
        """Change options; a changed option ends the old provider relationships."""
        P = self.m.people
        changed = rows[P.option[rows] != options]
        self.m.release(changed)
        P.option[rows] = options

    # ------------------------------------------------------------------ 6. matching
    def initial_matching(self) -> None:
        self.matching()
        self.m.ledger.entries[:] = 0

    def matching(self) -> None:
        """Formal hours needed this month, then the rationing rule of :mod:`model.market`, applied to
        all seekers at once."""
        m, P, Q = self.m, self.m.people, self.m.providers
        n = P.n
        rows, slots = kernels.seekers(P.option[:n], P.budget[:n], P.need[:n], P.carer_hours[:n],
                                      m.config.budgets.hours_per_point, P.required[:n], P.provider[:n])
        prov = np.flatnonzero(Q.view("active"))
        key = Q.council[prov].astype(np.int64) * 4 + Q.ptype[prov]
        order = np.argsort(key, kind="stable")
        prov, key = prov[order], key[order]
        groups = m.n_councils * 4
        unmet, unmet_hours = np.zeros(groups), np.zeros(groups)
        clients = Q.clients[prov]
        got = kernels.ration(rows, slots, P.council, P.option, P.dc_affinity, P.age_band, P.required, key,
                             np.searchsorted(key, np.arange(groups), "left"), Q.rating[prov], Q.price[prov],
                             m.type_price[Q.ptype[prov]], Q.block_places[prov], Q.capacity[prov], clients, self.p,
                             stream.seed(m.rng), unmet, unmet_hours)
        Q.clients[prov] = clients
        self.unmet, self.unmet_hours = unmet.reshape(m.n_councils, 4), unmet_hours.reshape(m.n_councils, 4)
        matched = got >= 0
        P.provider[rows[matched], slots[matched]] = prov[got[matched]]
        m.ledger.unmatched += self.per_council(rows[~matched])

    # ------------------------------------------------------------------ 6-8. purchasing, carers, outcomes
    def purchase_and_outcomes(self) -> None:
        """Purchasing with payments (ODD 7.6), unpaid carers (7.7), and outcomes and voice (7.8).
        Block contracts are paid here in full; the per-person steps run in one compiled pass
        (:func:`model.kernels.purchase_and_outcomes`); then provider ratings and switches."""
        m, P, Q, L, s = self.m, self.m.people, self.m.providers, self.m.ledger, self.m.config
        n, C = P.n, m.n_councils
        # Block contracts are paid in full whatever the attendance.
        dc = np.flatnonzero(Q.view("active") & (Q.view("block_places") > 0))
        block_pay = Q.block_places[dc] * Q.price[dc] * m.type_maxh[0] * budgets.WEEKS_PER_MONTH
        income = np.zeros(Q.n + 1)  # by provider; the last entry stands for "no provider"
        income[:-1] = np.bincount(dc, block_pay, minlength=Q.n)
        hours = np.zeros(Q.n + 1)
        block_by_c = np.bincount(Q.council[dc], block_pay, minlength=C)
        L.block_paid += block_by_c
        L.services_by_option[:, 2] += block_by_c
        # Per-provider attributes: price, hour cap a week, respite and wellbeing per hour (the
        # type's value per hour of a full place), quality. The last row stands for "no provider"
        # (link -1): all zero, so no hours are bought.
        t = Q.ptype[: Q.n]
        per_hour = 1.0 / (m.type_maxh[t] * budgets.WEEKS_PER_MONTH)
        attrs = np.zeros((Q.n + 1, 5), dtype=np.float32)
        attrs[:-1] = np.column_stack([Q.price[: Q.n], m.type_maxh[t], m.type_respite[t] * per_hour,
                                      m.type_bonus[t] * per_hour, Q.quality[: Q.n]])
        services = np.zeros((C, 5))  # by council and option (0: none)
        dp_paid, dp_spent, breakdowns, crises = np.zeros(C), np.zeros(C), np.zeros(C), np.zeros(C)
        self.counts = np.zeros((C, 5), dtype=np.int64)  # people by council and option (fixed for the rest of the month)
        clients, total = np.zeros(Q.n + 1), np.zeros(Q.n + 1)  # clients and their satisfaction by provider
        switch = kernels.purchase_and_outcomes(
            P.alive[:n], P.option[:n], P.council[:n], P.budget[:n], P.need[:n], P.carer_hours[:n], P.required[:n],
            P.provider[:n], P.dp_balance[:n], P.delivered[:n], P.respite[:n], P.met_need[:n], P.strain[:n],
            P.review_in[:n], P.control[:n], P.burden[:n], P.wellbeing[:n], P.satisfaction[:n], P.low_sat[:n], attrs,
            Q.block_places[: Q.n], s.choice.option4_direct_share, s.budgets.hours_per_point, self.c, self.o,
            s.choice.switch_satisfaction, s.choice.switch_after_months, stream.seed(m.rng), income, hours, services,
            dp_paid, dp_spent, self.counts, breakdowns, crises, clients, total)
        L.services_by_option += services[:, 1:]
        L.dp_paid += dp_paid
        L.dp_spent += dp_spent
        L.direct_paid += services[:, 1:].sum(axis=1) - dp_paid
        Q.income[: Q.n] = income[:-1]
        Q.hours[: Q.n] = hours[:-1]
        L.provider_received += np.bincount(Q.view("council"), income[:-1], minlength=C)
        L.breakdowns += breakdowns
        L.admissions += crises
        L.crisis += crises * s.carers.crisis_cost
        # Ratings: moving average of clients' satisfaction (before anyone leaves), over both slots.
        count, mean = clients[:-1], total[:-1] / np.maximum(clients[:-1], 1)
        Q.rating[: Q.n] = outcomes.next_rating(Q.view("rating"), mean, count > 0, s.providers.rating_memory)
        # Voice: persistent dissatisfaction means switching provider (and, if offered, a review).
        m.release(switch)
        P.review_in[switch[P.offered[switch]]] = 0
        P.low_sat[switch] = 0

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        m, Q = self.m, self.m.providers
        closing = kernels.providers_month(np.flatnonzero(Q.view("active")), Q.ptype, Q.income, Q.hours, Q.reserves,
                                          Q.profit, Q.neg_months, Q.clients, Q.capacity, Q.price, m.type_var,
                                          m.type_fixed, m.type_price, m.type_growth, self.p)
        m.close_providers(closing)
        self.entry()

    def entry(self) -> None:
        m, L, p = self.m, self.m.ledger, self.m.config.providers
        for c, spec in enumerate(m.config.councils):
            grant = spec.commissioning.market_shaping_grant
            for t, tspec in enumerate(m.ptypes):
                unmet = int(self.unmet[c, t])
                if unmet == 0:
                    continue
                n = providers.entrants(unmet, self.unmet_hours[c, t] / unmet, tspec, p, grant, m.rng)
                m.add_providers(c, t, n, grant)
                L.entries[c, t] += n
                L.support[c] += n * grant

    # ------------------------------------------------------------------ 10. council finance
    def finance(self) -> None:
        m, L = self.m, self.m.ledger
        counts = self.counts  # people by council and option, counted during purchasing
        L.admin += (counts * self.admin).sum(axis=1)
        with_package = counts[:, 1:].sum(axis=1)
        for council in m.councils:
            council.account(int(with_package[council.index]))

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        self.demography()
        due = self.rollout_and_reviews()
        self.support_and_choice(due)
        self.matching()  # refreshes everyone's required hours first
        self.purchase_and_outcomes()
        self.providers()
        self.finance()
