"""The default engine: every per-person rule applied to whole arrays (structure of arrays).

Same rules, same order and same meaning as the per-agent reference (:mod:`model.reference`).
How it stays fast without changing meaning:

* rules run on whole columns (``[:n]`` views; departed rows are compacted away by the model);
* rare per-person events (leaving, ageing, carer breakdown) are Bernoulli draws taken by
  *thinning*: the rows that could fire are found with geometric skips (exactly a Bernoulli(p_max)
  choice per row), then each is accepted with p_i / p_max; the distribution is the same as one
  uniform per person, at a fraction of the draws;
* aggregation uses ``bincount``; the rationing rule of :mod:`model.market` uses sorting instead
  of queues; Option 4's second budget slot is handled only where it exists.

There is no Python loop over people; loops run over councils, provider types or matching rounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import budgets, carers, choice, demography, market, outcomes, providers, rollout, support
from model.state import MODE_COUNCIL, MODE_DIRECT, NO_PROVIDER

if TYPE_CHECKING:
    from model.economy import CareEconomy


def thin(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Indices in [0, n) each chosen independently with probability ``p`` (geometric skips)."""
    if n == 0 or p <= 0:
        return np.empty(0, dtype=np.int64)
    if p >= 1:
        return np.arange(n)
    expect = n * p
    gaps = rng.geometric(p, size=int(expect + 6 * np.sqrt(expect) + 16))
    pos = np.cumsum(gaps) - 1
    while pos[-1] < n:  # rarely needed: extend the run of skips
        more = np.cumsum(rng.geometric(p, size=pos.size)) + pos[-1]
        pos = np.concatenate([pos, more])
    return pos[pos < n]


class VectorEngine:
    """Applies the monthly schedule of :class:`~model.economy.CareEconomy` to arrays."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model
        s = model.config
        self.depart_max = float(demography.departure_probability(np.argmax(s.demography.departure_rate), 100.0,
                                                                 s.demography))
        self.admin = np.array([[0.0, *c.finance.admin_cost] for c in s.councils])       # (council, option)
        self.assessment_cost = np.array([c.finance.assessment_cost for c in s.councils])
        self.last_share = np.full(model.n_councils, -1.0)
        self.stock = np.bincount(model.people.view("council"), minlength=model.n_councils).astype(np.int64)
        self.bonus = np.zeros(0)

    def per_council(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.m.people.council[rows], weights, minlength=self.m.n_councils)

    # ------------------------------------------------------------------ 1. demography
    def demography(self) -> None:
        m, P, d, rng = self.m, self.m.people, self.m.config.demography, self.m.rng
        n = P.n
        alive = P.alive[:n]
        cand = thin(rng, n, self.depart_max)
        cand = cand[alive[cand]]
        p = demography.departure_probability(P.group[cand], P.need[cand], d)
        m.depart(cand[rng.random(cand.size) * self.depart_max < p])
        P.need[:n] = demography.drift_need(P.need[:n], P.group[:n], rng.standard_normal(n, dtype=np.float32), d)
        older = thin(rng, n, d.ageing_rate)
        P.age_band[older] = demography.age(P.age_band[older], 0.0, d)
        m.set_cell(older)
        self.stock -= m.ledger.departures.astype(np.int64)
        arriving = demography.arrivals(self.stock, d, rng)
        new = m.add_people(arriving)
        P.review_in[new] = 0
        m.ledger.arrivals += arriving
        self.stock += arriving

    # ------------------------------------------------------------------ 2-3. rollout and reviews
    def rollout_and_reviews(self) -> np.ndarray:
        """Offer the choice to more people, then review everyone due; returns rows reviewed."""
        m, P, L = self.m, self.m.people, self.m.ledger
        n = P.n
        alive = P.alive[:n]
        share = np.array([rollout.offered_share(m.month, c.rollout) for c in m.config.councils], dtype=np.float32)
        if np.any(share != self.last_share):
            newly = alive & ~P.offered[:n] & (P.offer_rank[:n] < share[P.council[:n]])
            P.offered[:n] |= newly
            P.review_in[:n][newly] = 0
            self.last_share = share
        m.set_block_places()
        P.review_in[:n] -= alive
        due = np.flatnonzero(alive & (P.review_in[:n] <= 0))
        P.review_in[due] = m.interval[P.council[due]]
        count = self.per_council(due)
        L.assessments += count
        L.assessment += count * self.assessment_cost
        self.clawback(due)
        m.apply_assessment(due)
        lost = due[~P.eligible[due] & (P.option[due] > 0)]
        m.release(lost, np.array([True, True]))
        P.option[lost] = 0
        m.set_choice_state(lost)
        return due

    def clawback(self, rows: np.ndarray) -> None:
        """Recover direct-payment balances above the buffer for people under review."""
        P, L, b = self.m.people, self.m.ledger, self.m.config.budgets
        dp = rows[P.dp_balance[rows] > 0]
        opt = P.option[dp]
        direct = P.budget[dp] * market.paid_directly(opt, self.m.config.choice.option4_direct_share)
        claw = budgets.clawback(P.dp_balance[dp], direct, b)
        P.dp_balance[dp] -= claw
        L.clawback += self.per_council(dp, claw)
        self.add_services(P.council[dp], np.maximum(opt, 1), -claw)

    def add_services(self, council: np.ndarray, option: np.ndarray, amount: np.ndarray) -> None:
        """Add spend to the ledger's services-by-option table (options 1-4)."""
        C = self.m.n_councils
        key = council.astype(np.int64) * 4 + (option.astype(np.int64) - 1)
        self.m.ledger.services_by_option += np.bincount(key, amount, minlength=C * 4).reshape(C, 4)

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
        council = P.council[choosing]
        util = choice.utilities(P.confidence[choosing], demography.is_over65(P.age_band[choosing]), P.group[choosing],
                                P.supported[choosing], P.option[choosing], self.peer_signal(choosing),
                                m.available[council], m.reduction[council], s.choice)
        new_option = choice.choose(util, rng.random(choosing.size)).astype(np.int8)
        not_offered = due[~P.offered[due]]
        self.set_options(np.concatenate([choosing, not_offered]),
                         np.concatenate([new_option, np.full(not_offered.size, 3, np.int8)]))
        m.set_choice_state(due)

    def peer_signal(self, rows: np.ndarray) -> np.ndarray:
        P, thr = self.m.people, self.m.config.choice.switch_satisfaction
        peers = P.peers[rows]
        idx = np.maximum(peers, 0)
        valid = (peers >= 0) & P.alive[idx] & (P.option[idx] > 0)
        return choice.peer_signal(P.option[idx], P.satisfaction[idx] >= thr, valid)

    def set_options(self, rows: np.ndarray, options: np.ndarray) -> None:
        """Change options; a changed option ends the old provider relationships."""
        P = self.m.people
        changed = rows[P.option[rows] != options]
        self.m.release(changed, np.array([True, True]))
        P.option[rows] = options

    # ------------------------------------------------------------------ 6. matching
    def seekers(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, slot) pairs with a budget slot, need, and no provider."""
        P = self.m.people
        n = P.n
        opt = P.option[:n]
        ok = (opt > 0) & (P.budget[:n] > 0) & (P.required[:n] > 0)
        r0 = np.flatnonzero(ok & (P.provider[:n, 0] == NO_PROVIDER))
        r1 = np.flatnonzero(ok & (opt == 4) & (P.provider[:n, 1] == NO_PROVIDER))
        return np.concatenate([r0, r1]), np.concatenate([np.zeros(r0.size, np.int64), np.ones(r1.size, np.int64)])

    def initial_matching(self) -> None:
        self.matching()
        self.m.ledger.entries[:] = 0

    def matching(self) -> None:
        """The rationing rule of :mod:`model.market`, applied to all seekers at once."""
        m, P, Q, p, rng = self.m, self.m.people, self.m.providers, self.m.config.providers, self.m.rng
        rows, slots = self.seekers()
        prov = np.flatnonzero(Q.view("active"))
        key = Q.council[prov].astype(np.int64) * 4 + Q.ptype[prov]
        order = np.argsort(key, kind="stable")
        prov, key = prov[order], key[order]
        groups = m.n_councils * 4
        modes = market.SLOT_MODES[P.option[rows], slots]
        tappeal = market.type_appeal(P.dc_affinity[rows], demography.is_over65(P.age_band[rows]), modes, p)
        self.record_unmet(rows, tappeal, np.bincount(key, Q.capacity[prov] > Q.clients[prov], minlength=groups))
        if rows.size == 0:
            return
        g_start = np.searchsorted(key, np.arange(groups), "left")
        g_end = np.searchsorted(key, np.arange(groups), "right")
        ref = m.type_price[Q.ptype[prov]]
        # Within a type the council prefers its block-contract holders; choosing the type it does not.
        appeal = [market.provider_appeal(Q.rating[prov], Q.price[prov], ref, Q.block_places[prov], cm, p)
                  for cm in (False, True)]
        type_level = [appeal[0], market.provider_appeal(Q.rating[prov], Q.price[prov], ref, 0, True, p)]
        exp_appeal = [np.exp(a) for a in appeal]       # fixed within the month: only free places change
        exp_level = [np.exp(a) for a in type_level]
        person_class = (modes == MODE_COUNCIL).astype(np.int64)
        seek_group0 = P.council[rows].astype(np.int64) * 4
        pending = np.arange(rows.size)
        for _ in range(p.matching_rounds):
            has_free = Q.capacity[prov] > Q.clients[prov]
            weights = [e * has_free for e in exp_appeal]
            cums = [np.zeros(w.size + 1) for w in weights]  # cums[k][i]: weight before provider i
            for c, w in zip(cums, weights, strict=True):
                np.cumsum(w, out=c[1:])
            totals = [np.bincount(key, w, minlength=groups) for w in weights]
            level = [np.bincount(key, e * has_free, minlength=groups) for e in exp_level]
            n_free = np.maximum(np.bincount(key, has_free, minlength=groups), 1.0)
            cls = person_class[pending]
            gidx = seek_group0[pending, None] + np.arange(4)
            mean_w = np.where(cls[:, None] == 1, level[1][gidx], level[0][gidx]) / n_free[gidx]
            util = tappeal[pending] + np.log(mean_w, out=np.full_like(mean_w, -np.inf), where=mean_w > 0)
            can = np.isfinite(util).any(axis=1)
            pending, util, cls = pending[can], util[can], cls[can]
            if pending.size == 0:
                break
            g = seek_group0[pending] + choice.choose(util, rng.random(pending.size)) - 1
            u2 = rng.random(pending.size)
            pick = np.empty(pending.size, dtype=np.int64)
            for k in (0, 1):
                sel = cls == k
                gk = g[sel]
                idx = np.searchsorted(cums[k], cums[k][g_start[gk]] + u2[sel] * totals[k][gk], side="right") - 1
                pick[sel] = np.clip(idx, g_start[gk], g_end[gk] - 1)
            chosen = prov[pick]
            order2 = np.lexsort((rng.random(pending.size), chosen))
            cs = chosen[order2]
            rank = np.arange(cs.size) - np.searchsorted(cs, cs, "left")
            ok = rank < (Q.capacity[cs] - Q.clients[cs])
            acc = pending[order2[ok]]
            P.provider[rows[acc], slots[acc]] = cs[ok]
            Q.clients[: Q.n] += np.bincount(cs[ok], minlength=Q.n).astype(np.int32)
            done = np.zeros(rows.size, dtype=bool)
            done[acc] = True
            pending = pending[~done[pending]]
        left = rows[P.provider[rows, slots] == NO_PROVIDER]
        m.ledger.unmatched += self.per_council(left)

    def record_unmet(self, rows: np.ndarray, tappeal: np.ndarray, free_by_group: np.ndarray) -> None:
        """Entry signal: seekers whose wanted type (a logit draw over type appeal) has no free
        place in their council, by council and type, with the hours they need."""
        m, P = self.m, self.m.people
        n = m.n_councils * 4
        if rows.size == 0:
            self.unmet = np.zeros((m.n_councils, 4))
            self.unmet_hours = np.zeros((m.n_councils, 4))
            return
        flat = P.council[rows].astype(np.int64) * 4 + choice.choose(tappeal, m.rng.random(rows.size)) - 1
        gap = free_by_group[flat] == 0
        self.unmet = np.bincount(flat[gap], minlength=n).reshape(m.n_councils, 4).astype(float)
        self.unmet_hours = np.bincount(flat[gap], P.required[rows[gap]], minlength=n).reshape(m.n_councils, 4)

    # ------------------------------------------------------------------ 6. purchasing
    def purchasing(self) -> None:
        """Each budget slot buys hours from its provider; the council and DP accounts pay (ODD 7.6).
        Slot 0 is every package, bought over whole columns (no package: no hours); slot 1 exists
        only for Option 4 (its direct-payment part)."""
        m, P, Q, L = self.m, self.m.people, self.m.providers, self.m.ledger
        n, C = P.n, m.n_councils
        # Block contracts are paid in full whatever the attendance.
        dc = np.flatnonzero(Q.view("active") & (Q.view("block_places") > 0))
        block_pay = Q.block_places[dc] * Q.price[dc] * m.type_maxh[0] * budgets.WEEKS_PER_MONTH
        # Income and hours by provider + 1 (bin 0: no provider).
        self.income = np.bincount(dc + 1, block_pay, minlength=Q.n + 1).astype(np.float64)  # float even if empty
        self.hours_p = np.zeros(Q.n + 1)
        block_by_c = np.bincount(Q.council[dc], block_pay, minlength=C)
        L.block_paid += block_by_c
        L.services_by_option[:, 2] += block_by_c
        # Per-provider attributes, gathered in one take per slot: price, hour cap a week, respite
        # and wellbeing per hour (the type's value per hour of a full place), holds block places,
        # quality (read again by outcomes).
        # The last row stands for "no provider" (link -1): all zero, so no hours are bought.
        t = Q.ptype[: Q.n]
        per_hour = 1.0 / (m.type_maxh[t] * budgets.WEEKS_PER_MONTH)
        self.attrs = np.zeros((Q.n + 1, 8), dtype=np.float32)  # 32-byte rows: numpy's fast take path
        self.attrs[:-1, :6] = np.column_stack([Q.price[: Q.n], m.type_maxh[t], m.type_respite[t] * per_hour,
                                               m.type_bonus[t] * per_hour, Q.block_places[: Q.n] > 0,
                                               Q.quality[: Q.n]])
        opt = P.option[:n]
        four = np.flatnonzero(opt == 4)
        self.slot_prov = (self.buy(None, opt, 0), self.buy(four, opt[four], 1))
        self.option4 = four
        Q.income[: Q.n] = self.income[1:]
        Q.hours[: Q.n] = self.hours_p[1:]
        P.met_need[:n] = outcomes.met_need(P.delivered[:n], P.required[:n])
        L.provider_received += np.bincount(Q.view("council"), self.income[1:], minlength=C)

    def buy(self, rows: np.ndarray | None, opt: np.ndarray, slot: int) -> tuple[np.ndarray, np.ndarray]:
        """One budget slot for ``rows`` (``None``: every row; otherwise each row once, after slot 0):
        credit direct payments, buy hours at the provider's price within the slot's budget, pay,
        and record what was delivered. Returns each row's provider (-1 for none) and its quality."""
        m, P, Q, L = self.m, self.m.people, self.m.providers, self.m.ledger
        C = m.n_councils
        sel = slice(0, P.n) if rows is None else rows
        council, budget = P.council[sel], P.budget[sel]
        share = market.slot_share(opt, slot, m.config.choice.option4_direct_share)
        prov = P.provider[sel, slot]
        a = self.attrs.take(prov, axis=0)
        price, respite, bonus = a[:, 0], a[:, 2], a[:, 3]
        hours = market.hours_bought(P.required[sel], budget, share, price, a[:, 1])
        cost = (hours * price).astype(np.float64)
        cost[self.block_covered(prov, np.flatnonzero((a[:, 4] > 0) & market.in_mode(opt, slot, MODE_COUNCIL)))] = 0.0
        d = np.flatnonzero(market.in_mode(opt, slot, MODE_DIRECT))
        credit = budget[d].astype(np.float64) * share[d]  # paid into DP accounts whether or not it is spent
        spent = np.minimum(cost[d], credit)  # never more than this month's payment (float32 rounding)
        cost[d] = spent
        P.dp_balance[d if rows is None else rows[d]] += credit - spent
        # Services by (council, option): direct payments credited, plus what the council paid providers.
        paid = cost.copy()
        paid[d] = credit
        by = np.bincount(council.astype(np.int64) * 5 + opt, paid, minlength=C * 5).reshape(C, 5)[:, 1:]
        L.services_by_option += by
        dp_c = np.bincount(council[d], credit, minlength=C)
        L.dp_paid += dp_c
        L.dp_spent += np.bincount(council[d], spent, minlength=C)
        L.direct_paid += by.sum(axis=1) - dp_c
        bins = prov + 1
        self.income += np.bincount(bins, cost, minlength=Q.n + 1)
        self.hours_p += np.bincount(bins, hours, minlength=Q.n + 1)
        if rows is None:
            P.delivered[sel], P.respite[sel], self.bonus = hours, respite * hours, bonus * hours
        else:
            P.delivered[rows] += hours
            P.respite[rows] += respite * hours
            self.bonus[rows] += bonus * hours
        return prov, a[:, 5]

    def block_covered(self, prov: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Of the positions ``idx`` (council-arranged clients of day centres holding block places,
        ascending), those whose place is a block place: each centre's first ``block_places``
        clients in row order. The rest are bought spot."""
        Q = self.m.providers
        if idx.size == 0:
            return idx
        ps = prov[idx]
        order = np.argsort(ps.astype(np.uint16) if Q.n < 2**16 else ps, kind="stable")  # radix sort
        ps = ps[order]
        starts = np.flatnonzero(np.diff(ps, prepend=-1))
        rank = np.arange(ps.size) - np.repeat(starts, np.diff(starts, append=ps.size))
        return idx[order[rank < Q.block_places[ps]]]

    # ------------------------------------------------------------------ 7. carers
    def carers(self) -> None:
        m, P, L, c, rng = self.m, self.m.people, self.m.ledger, self.m.config.carers, self.m.rng
        n = P.n
        caring = P.alive[:n] & (P.carer_hours[:n] > 0)
        unmet = 1.0 - P.met_need[:n]
        P.strain[:n] = carers.next_strain(P.strain[:n], P.carer_hours[:n], unmet, P.respite[:n], c) * caring
        at_risk = np.flatnonzero(caring & (P.strain[:n] > c.breakdown_threshold))
        broke = at_risk[carers.breaks_down(P.strain[at_risk], True, rng.random(at_risk.size), c)]
        crisis = broke[rng.random(broke.size) < c.crisis_probability]
        P.carer_hours[broke] = 0.0
        P.strain[broke] = 0.0
        P.need[broke] = np.minimum(100.0, P.need[broke] + c.breakdown_need_jump)
        P.review_in[broke] = 0
        m.refresh_required(broke)
        P.met_need[broke] = outcomes.met_need(P.delivered[broke], P.required[broke])
        L.breakdowns += self.per_council(broke)
        L.admissions += self.per_council(crisis)
        L.crisis += self.per_council(crisis) * c.crisis_cost

    # ------------------------------------------------------------------ 8. outcomes and voice
    def outcomes(self) -> None:
        m, P, Q, s, rng = self.m, self.m.people, self.m.providers, self.m.config, self.m.rng
        n = P.n
        has_opt = P.option[:n] > 0
        met = P.met_need[:n]
        P.wellbeing[:n] = outcomes.wellbeing(met, P.control[:n], P.burden[:n], self.bonus, s.outcomes)
        # Quality of the main provider (slot 0; for Option 4 the direct-payment slot if slot 0 has none).
        # Qualities come from purchasing's gather (0 for no provider); ratings bin 0 (no provider) is dropped.
        (main, main_quality), (direct, direct_quality) = self.slot_prov
        quality = main_quality.copy()
        four = self.option4
        only_direct = main[four] < 0
        quality[four[only_direct]] = direct_quality[only_direct]
        sat = outcomes.satisfaction(quality, met, rng.standard_normal(n, dtype=np.float32), s.outcomes)
        P.satisfaction[:n] = sat
        # Ratings: moving average of clients' satisfaction (before anyone leaves), over both slots.
        count = np.bincount(main + 1, minlength=Q.n + 1) + np.bincount(direct + 1, minlength=Q.n + 1)
        total = np.bincount(main + 1, sat, minlength=Q.n + 1) + np.bincount(direct + 1, sat[four], minlength=Q.n + 1)
        count, mean = count[1:], total[1:] / np.maximum(count[1:], 1)
        Q.rating[: Q.n] = outcomes.next_rating(Q.view("rating"), mean, count > 0, s.providers.rating_memory)
        # Voice: persistent dissatisfaction means switching provider (and, if offered, a review).
        low = has_opt & (sat < s.choice.switch_satisfaction)
        P.low_sat[:n] = (P.low_sat[:n] + 1) * low
        switch = np.flatnonzero(P.low_sat[:n] >= s.choice.switch_after_months)
        m.release(switch, np.array([True, True]))
        P.review_in[switch[P.offered[switch]]] = 0
        P.low_sat[switch] = 0

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        m, Q, p = self.m, self.m.providers, self.m.config.providers
        a = np.flatnonzero(Q.view("active"))
        t = Q.ptype[a]
        profit = providers.operating_result(Q.income[a], Q.hours[a], m.type_var[t], m.type_fixed[t])
        Q.profit[a] = profit
        Q.reserves[a] += profit
        Q.neg_months[a] = providers.next_neg_months(Q.reserves[a], Q.neg_months[a])
        occ = Q.clients[a] / np.maximum(Q.capacity[a], 1)
        Q.price[a] = providers.next_price(Q.price[a], occ, m.type_var[t], m.type_price[t], p)
        Q.capacity[a] = providers.next_capacity(Q.capacity[a], occ, profit, m.type_growth[t], p)
        m.close_providers(a[providers.exits(Q.neg_months[a], p)])
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
        m, P, L = self.m, self.m.people, self.m.ledger
        C = m.n_councils
        counts = np.bincount(P.council[: P.n].astype(np.int64) * 5 + P.option[: P.n], minlength=C * 5).reshape(C, 5)
        L.admin += (counts * self.admin).sum(axis=1)
        with_package = counts[:, 1:].sum(axis=1)
        for council in m.councils:
            council.account(int(with_package[council.index]))

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        m = self.m
        self.demography()
        due = self.rollout_and_reviews()
        self.support_and_choice(due)
        m.refresh_required()
        self.matching()
        self.purchasing()
        self.carers()
        self.outcomes()
        self.providers()
        self.finance()
