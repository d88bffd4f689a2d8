"""The default engine: every per-person rule applied to whole arrays (structure of arrays).

Same rules, same order and same meaning as the per-agent reference (:mod:`model.reference`);
random numbers are drawn in bulk from the model's generator, aggregation uses ``bincount``, and
the rationing rule of :mod:`model.market` is applied with sorting instead of queues. There is no
Python loop over people; loops run over councils, provider types, slots or matching rounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import budgets, carers, choice, demography, market, outcomes, providers, rollout, support
from model.state import MODE_COUNCIL, MODE_DIRECT, MODE_ISF, MODE_NONE, NO_PROVIDER

if TYPE_CHECKING:
    from model.economy import CareEconomy


class VectorEngine:
    """Applies the monthly schedule of :class:`~model.economy.CareEconomy` to arrays."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model

    # ------------------------------------------------------------------ helpers
    def alive_rows(self) -> np.ndarray:
        return np.flatnonzero(self.m.people.view("alive"))

    def per_council(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.m.people.council[rows], weights, minlength=self.m.n_councils)

    # ------------------------------------------------------------------ 1. demography
    def demography(self) -> None:
        m, P, d, rng = self.m, self.m.people, self.m.config.demography, self.m.rng
        rows = self.alive_rows()
        leave = rng.random(rows.size) < demography.departure_probability(P.group[rows], P.need[rows], d)
        m.depart(rows[leave])
        stay = rows[~leave]
        P.need[stay] = demography.drift_need(P.need[stay], P.group[stay], rng.standard_normal(stay.size), d)
        P.age_band[stay] = demography.age(P.age_band[stay], rng.random(stay.size), d)
        for c, n in enumerate(demography.arrivals(self.per_council(stay), d, rng)):
            new = m.add_people(c, int(n))
            P.review_in[new] = 0
            m.ledger.arrivals[c] += new.size

    # ------------------------------------------------------------------ 2-3. rollout and reviews
    def rollout_and_reviews(self) -> np.ndarray:
        """Offer the choice to more people, then review everyone due; returns rows reviewed."""
        m, P, L = self.m, self.m.people, self.m.ledger
        rows = self.alive_rows()
        share = np.array([rollout.offered_share(m.month, c.rollout) for c in m.config.councils])
        newly = rows[~P.offered[rows] & (P.offer_rank[rows] < share[P.council[rows]])]
        P.offered[newly] = True
        P.review_in[newly] = 0
        m.set_block_places()
        P.review_in[rows] -= 1
        due = rows[P.review_in[rows] <= 0]
        P.review_in[due] = m.interval[P.council[due]]
        L.assessments += self.per_council(due)
        L.assessment += self.per_council(due) * np.array([c.finance.assessment_cost for c in m.config.councils])
        self.clawback(due)
        m.apply_assessment(due)
        lost = due[~P.eligible[due] & (P.option[due] > 0)]
        m.release(lost, np.array([True, True]))
        P.option[lost] = 0
        return due

    def clawback(self, rows: np.ndarray) -> None:
        """Recover direct-payment balances above the buffer for people under review."""
        P, L, b = self.m.people, self.m.ledger, self.m.config.budgets
        dp = rows[P.dp_balance[rows] > 0]
        direct = P.budget[dp] * market.slot_shares(P.option[dp], self.m.config.choice.option4_direct_share)[:, 1]
        direct = np.where(P.option[dp] == 1, P.budget[dp], direct)
        claw = budgets.clawback(P.dp_balance[dp], direct, b)
        P.dp_balance[dp] -= claw
        L.clawback += self.per_council(dp, claw)
        np.add.at(L.services_by_option, (P.council[dp].astype(np.int64), np.clip(P.option[dp] - 1, 0, 3)), -claw)

    # ------------------------------------------------------------------ 4-5. support and choice
    def support_and_choice(self, due: np.ndarray) -> None:
        m, P, L, rng, s = self.m, self.m.people, self.m.ledger, self.m.rng, self.m.config
        ch = s.choice
        due = due[P.eligible[due]]
        choosing = due[P.offered[due]]
        P.supported[choosing] = False
        for c, spec in enumerate(s.councils):
            cand = choosing[P.council[choosing] == c]
            if cand.size == 0:
                continue
            n_places = support.places(int(np.count_nonzero(P.view("alive") & (P.view("council") == c))),
                                      spec.support, rng.random())
            keys = support.priority(P.quintile[cand], rng.random(cand.size), spec.support)
            got = cand[support.allocate(keys, n_places)]
            P.supported[got] = True
            L.supported[c] += got.size
            L.support[c] += got.size * spec.support.cost_per_person
        current = P.option[choosing]
        signal = self.peer_signal(choosing)
        util = choice.utilities(P.confidence[choosing], demography.is_over65(P.age_band[choosing]), P.group[choosing],
                                P.supported[choosing], current, signal, m.available[P.council[choosing]],
                                m.reduction[P.council[choosing]], ch)
        new_option = choice.choose(util, rng.random(choosing.size)).astype(np.int8)
        not_offered = due[~P.offered[due]]
        self.set_options(np.concatenate([choosing, not_offered]),
                         np.concatenate([new_option, np.full(not_offered.size, 3, np.int8)]))

    def peer_signal(self, rows: np.ndarray) -> np.ndarray:
        P, thr = self.m.people, self.m.config.choice.switch_satisfaction
        peers = P.peers[rows]
        valid = peers >= 0
        idx = np.maximum(peers, 0)
        valid &= P.alive[idx] & (P.option[idx] > 0)
        return choice.peer_signal(P.option[idx], P.satisfaction[idx] >= thr, valid)

    def set_options(self, rows: np.ndarray, options: np.ndarray) -> None:
        """Change options; a changed option ends the old provider relationships."""
        P = self.m.people
        changed = rows[P.option[rows] != options]
        self.m.release(changed, np.array([True, True]))
        P.option[rows] = options

    # ------------------------------------------------------------------ 6. matching and purchasing
    def seekers(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, slot) pairs with a budget slot, need, and no provider."""
        P = self.m.people
        rows = self.alive_rows()
        rows = rows[(P.option[rows] > 0) & (P.budget[rows] > 0) & (P.required[rows] > 0)]
        modes = market.SLOT_MODES[P.option[rows]]
        want = (modes != MODE_NONE) & (P.provider[rows] == NO_PROVIDER)
        r, slot = np.nonzero(want)
        return rows[r], slot

    def initial_matching(self) -> None:
        self.matching()
        self.m.ledger.entries[:] = 0

    def matching(self) -> None:
        """The rationing rule of :mod:`model.market`, applied to all seekers at once."""
        m, P, Q, p, rng = self.m, self.m.people, self.m.providers, self.m.config.providers, self.m.rng
        rows, slots = self.seekers()
        if rows.size == 0:
            self.unmet = np.zeros((m.n_councils, 4))
            self.unmet_hours = np.zeros((m.n_councils, 4))
            return
        modes = market.SLOT_MODES[P.option[rows], slots]
        tappeal = market.type_appeal(P.dc_affinity[rows], demography.is_over65(P.age_band[rows]), modes, p)
        prov = np.flatnonzero(Q.view("active"))
        key = Q.council[prov].astype(np.int64) * 4 + Q.ptype[prov]
        order = np.argsort(key, kind="stable")
        prov, key = prov[order], key[order]
        groups = m.n_councils * 4
        g_start = np.searchsorted(key, np.arange(groups), "left")
        g_end = np.searchsorted(key, np.arange(groups), "right")
        ref = m.type_price[Q.ptype[prov]]
        # Within a type the council prefers its block-contract holders; choosing the type it does not.
        appeal = [market.provider_appeal(Q.rating[prov], Q.price[prov], ref, Q.block_places[prov], cm, p)
                  for cm in (False, True)]
        type_level = [appeal[0], market.provider_appeal(Q.rating[prov], Q.price[prov], ref, 0, True, p)]
        person_class = (modes == MODE_COUNCIL).astype(np.int64)
        seek_group0 = P.council[rows].astype(np.int64) * 4
        pending = np.arange(rows.size)
        self.record_unmet(rows, tappeal, [np.bincount(key, (Q.capacity[prov] - Q.clients[prov] > 0).astype(float),
                                                     minlength=groups)])
        for _ in range(p.matching_rounds):
            if pending.size == 0:
                break
            free = Q.capacity[prov] - Q.clients[prov]
            weights = [np.exp(a) * (free > 0) for a in appeal]
            cums = [np.cumsum(w) for w in weights]
            totals = [np.bincount(key, w, minlength=groups) for w in weights]
            level = [np.bincount(key, np.exp(a) * (free > 0), minlength=groups) for a in type_level]
            n_free = np.maximum(np.bincount(key, (free > 0).astype(float), minlength=groups), 1.0)
            cls = person_class[pending]
            gidx = seek_group0[pending, None] + np.arange(4)
            tot = np.where(cls[:, None] == 1, level[1][gidx], level[0][gidx]) / n_free[gidx]
            with np.errstate(divide="ignore"):
                util = tappeal[pending] + np.log(tot)
            can = np.isfinite(util).any(axis=1)
            pending = pending[can]
            util, cls = util[can], cls[can]
            if pending.size == 0:
                break
            t = choice.choose(util, rng.random(pending.size)) - 1
            g = seek_group0[pending] + t
            u2 = rng.random(pending.size)
            pick = np.empty(pending.size, dtype=np.int64)
            for k in (0, 1):
                sel = cls == k
                gk = g[sel]
                before = np.where(g_start[gk] > 0, cums[k][np.maximum(g_start[gk] - 1, 0)], 0.0)
                target = before + u2[sel] * totals[k][gk]
                idx = np.searchsorted(cums[k], target, side="right")
                pick[sel] = np.clip(idx, g_start[gk], g_end[gk] - 1)
            chosen = prov[pick]
            order2 = np.lexsort((rng.random(pending.size), chosen))
            cs = chosen[order2]
            first = np.searchsorted(cs, cs, "left")
            rank = np.arange(cs.size) - first
            ok = rank < (Q.capacity[cs] - Q.clients[cs])
            acc = pending[order2[ok]]
            P.provider[rows[acc], slots[acc]] = cs[ok]
            Q.clients[: Q.n] += np.bincount(cs[ok], minlength=Q.n).astype(np.int32)
            done = np.zeros(rows.size, dtype=bool)
            done[acc] = True
            pending = pending[~done[pending]]
        left = rows[P.provider[rows, slots] == NO_PROVIDER]
        m.ledger.unmatched += np.bincount(P.council[left], minlength=m.n_councils)

    def record_unmet(self, rows: np.ndarray, tappeal: np.ndarray, free_by_group: list[np.ndarray]) -> None:
        """Entry signal: seekers whose most wanted type has no free place in their council, by
        council and type, with the hours they need."""
        m, P = self.m, self.m.people
        want = choice.choose(tappeal, m.rng.random(rows.size)) - 1
        c = P.council[rows].astype(np.int64)
        flat = c * 4 + want
        gap = free_by_group[0][flat] == 0
        n = m.n_councils * 4
        self.unmet = np.bincount(flat[gap], minlength=n).reshape(m.n_councils, 4).astype(float)
        self.unmet_hours = np.bincount(flat[gap], P.required[rows[gap]], minlength=n).reshape(m.n_councils, 4)

    def purchasing(self) -> None:
        """Each slot buys hours from its provider; the council and DP accounts pay (ODD 7.6)."""
        m, P, Q, L = self.m, self.m.people, self.m.providers, self.m.ledger
        rows = self.alive_rows()
        rows = rows[P.option[rows] > 0]
        share = market.slot_shares(P.option[rows], m.config.choice.option4_direct_share)
        modes = market.SLOT_MODES[P.option[rows]]
        council = P.council[rows].astype(np.int64)
        opt_col = P.option[rows].astype(np.int64) - 1
        C = m.n_councils
        delivered = np.zeros(rows.size)
        bonus = np.zeros(rows.size)
        respite = np.zeros(rows.size)
        income = np.zeros(Q.n)
        hours_p = np.zeros(Q.n)
        # Block contracts are paid in full whatever the attendance.
        dc = np.flatnonzero(Q.view("active") & (Q.view("block_places") > 0))
        block_pay = Q.block_places[dc] * Q.price[dc] * m.type_maxh[0] * budgets.WEEKS_PER_MONTH
        income[dc] += block_pay
        block_by_c = np.bincount(Q.council[dc], block_pay, minlength=C)
        L.block_paid += block_by_c
        L.services_by_option[:, 2] += block_by_c
        for slot in (0, 1):
            direct = modes[:, slot] == MODE_DIRECT
            credit = np.where(direct, P.budget[rows] * share[:, slot], 0.0)
            P.dp_balance[rows] += credit
            L.dp_paid += np.bincount(council, credit, minlength=C)
            np.add.at(L.services_by_option, (council, opt_col), credit)
            has = P.provider[rows, slot] >= 0
            r, pr = rows[has], P.provider[rows[has], slot]
            t = Q.ptype[pr]
            hours = market.hours_bought(P.required[r], P.budget[r], share[has, slot], Q.price[pr], m.type_maxh[t])
            cost = hours * Q.price[pr]
            mode = modes[has, slot]
            covered = self.block_covered(pr, mode == MODE_COUNCIL)
            cost = np.where(covered, 0.0, cost)
            cc = council[has]
            dp = mode == MODE_DIRECT
            P.dp_balance[r[dp]] -= cost[dp]
            L.dp_spent += np.bincount(cc[dp], cost[dp], minlength=C)
            paid = (mode == MODE_ISF) | (mode == MODE_COUNCIL)
            L.direct_paid += np.bincount(cc[paid], cost[paid], minlength=C)
            np.add.at(L.services_by_option, (cc[paid], opt_col[has][paid]), cost[paid])
            income += np.bincount(pr, cost, minlength=Q.n)
            hours_p += np.bincount(pr, hours, minlength=Q.n)
            intensity = hours / np.maximum(m.type_maxh[t] * budgets.WEEKS_PER_MONTH, 1e-9)
            delivered[has] += hours
            bonus[has] += m.type_bonus[t] * intensity
            respite[has] += m.type_respite[t] * intensity
        P.delivered[: P.n] = 0.0
        P.respite[: P.n] = 0.0
        P.delivered[rows] = delivered
        P.respite[rows] = respite
        self.bonus = np.zeros(P.n)
        self.bonus[rows] = bonus
        Q.income[: Q.n] = income
        Q.hours[: Q.n] = hours_p
        L.provider_received += np.bincount(Q.view("council"), income, minlength=C)

    def block_covered(self, prov: np.ndarray, council_mode: np.ndarray) -> np.ndarray:
        """Council-arranged clients of a day centre fill its block places first, in row order."""
        Q = self.m.providers
        cand = council_mode & (Q.block_places[prov] > 0)
        idx = np.flatnonzero(cand)
        order = np.argsort(prov[idx], kind="stable")
        ps = prov[idx][order]
        rank = np.arange(ps.size) - np.searchsorted(ps, ps, "left")
        covered = np.zeros(prov.size, dtype=bool)
        covered[idx[order]] = rank < Q.block_places[ps]
        return covered

    # ------------------------------------------------------------------ 7. carers
    def carers(self) -> None:
        m, P, L, c, rng = self.m, self.m.people, self.m.ledger, self.m.config.carers, self.m.rng
        rows = self.alive_rows()
        rows = rows[P.has_carer[rows] & (P.carer_hours[rows] > 0)]
        met = outcomes.met_need(P.delivered[rows], P.required[rows])
        P.strain[rows] = carers.next_strain(P.strain[rows], P.carer_hours[rows], 1.0 - met, P.respite[rows], c)
        broke = rows[carers.breaks_down(P.strain[rows], True, rng.random(rows.size), c)]
        crisis = broke[rng.random(broke.size) < c.crisis_probability]
        P.carer_hours[broke] = 0.0
        P.strain[broke] = 0.0
        P.need[broke] = np.minimum(100.0, P.need[broke] + c.breakdown_need_jump)
        P.review_in[broke] = 0
        m.refresh_required(broke)
        L.breakdowns += self.per_council(broke)
        L.admissions += self.per_council(crisis)
        L.crisis += self.per_council(crisis) * c.crisis_cost

    # ------------------------------------------------------------------ 8. outcomes and voice
    def outcomes(self) -> None:
        m, P, Q, s, rng = self.m, self.m.people, self.m.providers, self.m.config, self.m.rng
        rows = self.alive_rows()
        opt = P.option[rows]
        has_opt = opt > 0
        opt_i = np.clip(opt - 1, 0, 3)
        control = np.where(has_opt, np.asarray(s.choice.control)[opt_i], 0.0)
        burden = np.where(has_opt, choice.felt_burden(np.asarray(s.choice.burden)[opt_i], P.confidence[rows],
                                                      P.supported[rows], m.reduction[P.council[rows]]), 0.0)
        met = outcomes.met_need(P.delivered[rows], P.required[rows])
        P.met_need[rows] = met
        P.wellbeing[rows] = outcomes.wellbeing(met, control, burden, self.bonus[rows], s.outcomes)
        main = P.provider[rows, 0]
        main = np.where(main >= 0, main, P.provider[rows, 1])
        quality = np.where(main >= 0, Q.quality[np.maximum(main, 0)], 0.0)
        sat = outcomes.satisfaction(quality, met, rng.standard_normal(rows.size), s.outcomes)
        P.satisfaction[rows] = sat
        low = has_opt & (sat < s.choice.switch_satisfaction)
        P.low_sat[rows] = np.where(low, P.low_sat[rows] + 1, 0)
        switch = rows[P.low_sat[rows] >= s.choice.switch_after_months]
        m.release(switch, np.array([True, True]))
        P.review_in[switch[P.offered[switch]]] = 0
        P.low_sat[switch] = 0
        # Ratings: moving average of clients' satisfaction.
        held = P.provider[rows]
        mask = held >= 0
        who = held[mask]
        sat2 = np.broadcast_to(sat[:, None], held.shape)[mask]
        n = np.bincount(who, minlength=Q.n)
        mean = np.bincount(who, sat2, minlength=Q.n) / np.maximum(n, 1)
        Q.rating[: Q.n] = outcomes.next_rating(Q.view("rating"), mean, n > 0, s.providers.rating_memory)

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        m, Q, L, p = self.m, self.m.providers, self.m.ledger, self.m.config.providers
        a = np.flatnonzero(Q.view("active"))
        t = Q.ptype[a]
        profit = providers.operating_result(Q.income[a], Q.hours[a], m.type_var[t], m.type_fixed[t])
        Q.profit[a] = profit
        Q.reserves[a] += profit
        Q.neg_months[a] = providers.next_neg_months(Q.reserves[a], Q.neg_months[a])
        occ = Q.clients[a] / np.maximum(Q.capacity[a], 1)
        Q.price[a] = providers.next_price(Q.price[a], occ, m.type_var[t], m.type_price[t], p)
        Q.capacity[a] = providers.next_capacity(Q.capacity[a], occ, profit, m.type_growth[t])
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
                mean_hours = self.unmet_hours[c, t] / unmet
                n = providers.entrants(unmet, mean_hours, tspec, p, grant, m.rng)
                m.add_providers(c, t, n, grant)
                L.entries[c, t] += n
                L.support[c] += n * grant

    # ------------------------------------------------------------------ 10. council finance
    def finance(self) -> None:
        m, P, L = self.m, self.m.people, self.m.ledger
        rows = self.alive_rows()
        rows = rows[P.option[rows] > 0]
        admin = np.array([c.finance.admin_cost for c in m.config.councils])
        cost = admin[P.council[rows], P.option[rows] - 1]
        L.admin += self.per_council(rows, cost)
        for council in m.councils:
            council.account(self.per_council(rows)[council.index])

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        m = self.m
        self.demography()
        due = self.rollout_and_reviews()
        self.support_and_choice(due)
        m.refresh_required(self.alive_rows())
        self.matching()
        self.purchasing()
        self.carers()
        self.outcomes()
        self.providers()
        self.finance()
