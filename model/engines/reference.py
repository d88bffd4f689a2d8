"""The per-agent reference engine: the same schedule as :mod:`model.engines.vector.engine`, one agent at a time.

This is the readable statement of the model and the other side of the docking tests. Each phase
walks the agents (people, carers, providers) and applies the rule to one of them; council-level
steps (arrivals, block contracts, entry) are shared with the vectorised engine. It is slow by
design (microseconds per person-month); use ``--engine agents`` to check the default engine.
"""

from __future__ import annotations

import numpy as np

from model import stream
from model.codes import DAY_CENTRE, MODE_COUNCIL, MODE_DIRECT, MODE_ISF, N_TYPES, OPTION_3
from model.core.agents import Carer, Person, Provider
from model.engines.vector.engine import VectorEngine
from model.rules import budgets, demography, market, outcomes, providers, support


class ReferenceEngine(VectorEngine):
    """Per-agent engine (``--engine agents``)."""

    def people(self) -> list[Person]:
        """The living people's agents, in row order (the order the phases visit them)."""
        return sorted(self.m.agents_by_type.get(Person, []), key=lambda a: a.row)

    # ------------------------------------------------------------------ 1. demography
    def demography(self) -> None:
        """Each living person's month (:meth:`Person.live_month`), drawing from one stream in row
        order; those who leave depart; the others' review countdown. Then arrivals, and block
        places from the month's block share."""
        m = self.m
        self.first_new = m.people.n
        words = stream.load(stream.seed(m.rng))
        leavers, due = [], []
        for person in self.people():
            leaves, words = person.live_month(words)
            if leaves:
                leavers.append(person.row)
            elif person.count_down():
                due.append(person.row)
        m.depart(np.array(leavers, dtype=np.int64))
        stock = np.zeros(m.n_councils, dtype=np.int64)
        for person in self.people():
            stock[person.council] += 1
        arriving = demography.arrivals(stock, m.config.demography, m.rng)
        m.add_people(arriving)
        m.ledger.arrivals += arriving
        m.set_block_places()
        self.due = np.array(due, dtype=np.int64)

    # ------------------------------------------------------------------ 2-3. reviews
    def reviews(self) -> None:
        """The new arrivals' countdown, then everyone due is reviewed (:meth:`Person.review`): each
        review is counted and costed; the eligible who have been offered the choice will choose."""
        m, L = self.m, self.m.ledger
        m.sync_agents()  # agents for the month's arrivals
        new = [m.person_agents[r] for r in range(self.first_new, m.people.n)]
        due = [m.person_agents[r] for r in self.due.tolist()] + [a for a in new if a.count_down()]
        choosing, kept = [], []
        for person in due:
            L.assessments[person.council] += 1
            L.assessment[person.council] += m.config.councils[person.council].finance.assessment_cost
            person.review()
            if person.eligible and person.offered:
                person.supported = False
                choosing.append(person.row)
            elif person.eligible:
                kept.append(person.row)
        self.choosing, self.kept = np.array(choosing, dtype=np.int64), np.array(kept, dtype=np.int64)

    # ------------------------------------------------------------------ 4-5. support and choice
    def support_and_choice(self) -> None:
        """Support reaches some of the people choosing (ODD 7.5), council by council
        (:func:`model.rules.support.reached`); then each of them chooses an option
        (:meth:`Person.choose_option`), all against the same state (peers' options before this
        month's choices), and the choices take effect (:meth:`Person.take_option`; the others
        reviewed stay council-arranged). Support's uniforms come from one call to the model's
        generator (for each council with someone choosing, one for its places, then one per person
        queued there, in row order); choice draws from one stream, person by person."""
        m, P, L = self.m, self.m.people, self.m.ledger
        choosing = [m.person_agents[r] for r in self.choosing.tolist()]
        kept = [m.person_agents[r] for r in self.kept.tolist()]
        queues = [[a for a in choosing if a.council == c] for c in range(m.n_councils)]
        u = m.rng.random(sum(1 + len(queue) for queue in queues if queue))
        alive_in = np.bincount(P.view("council")[P.view("alive")], minlength=m.n_councils)
        k = 0
        for c, (spec, queue) in enumerate(zip(m.config.councils, queues, strict=True)):
            if not queue:
                continue
            reached = support.reached(np.array([int(a.quintile) for a in queue]), int(alive_in[c]),
                                      spec.support.capacity, support.targets_most_deprived(spec.support),
                                      u[k:k + 1 + len(queue)])
            k += 1 + len(queue)
            for person, supported in zip(queue, reached.tolist(), strict=True):
                if supported:
                    person.supported = True
            L.supported[c] += int(reached.sum())
            L.support[c] += int(reached.sum()) * spec.support.cost_per_person
        words = stream.load(stream.seed(m.rng))
        chosen = []
        for person in choosing:
            option, words = person.choose_option(words)
            chosen.append(option)
        for person, option in zip(choosing + kept, chosen + [OPTION_3] * len(kept), strict=True):
            person.take_option(option)

    # ------------------------------------------------------------------ 6. matching
    def start(self) -> None:
        """Once the starting population and providers are in place: everyone's formal hours, then the
        first matching."""
        self.m.refresh_required()
        self.matching()

    def matching(self) -> None:
        """The rationing rule of :mod:`model.rules.market`, seeker by seeker and provider by provider.

        The seekers are the people flagged as seeking, in row order
        (:func:`~model.rules.market.slots_sought`): every slot-0 seeker first, then Option 4's
        direct-payment slots. The providers are the open ones by council and type, in row order
        within a type, each weighed once (:func:`~model.rules.market.provider_weights`). Each seeker
        draws the type it wants, the entry signal (:func:`~model.rules.market.wanted_type`); then in
        each round every pending seeker applies (:func:`~model.rules.market.application`) given the
        providers with a free place at the start of the round, every seeker draws a priority, and
        each provider takes its applicants in priority order while it has a place
        (:func:`~model.rules.market.has_place`). The draws come from one stream, in that order."""
        m, P, p = self.m, self.m.people, self.m.config.providers
        m.sync_agents()
        first, second = [], []  # (person, slot)
        for r in np.flatnonzero(P.view("seeking")).tolist():
            person = m.person_agents.get(r)
            if person is None:  # has left
                P.seeking[r] = False
                continue
            person.seeking, seek0, seek1 = market.slots_sought(
                int(person.option), int(person.providers[0]), int(person.providers[1]), float(person.budget),
                float(person.required))
            if seek0:
                first.append((person, 0))
            if seek1:
                second.append((person, 1))
        seekers = first + second
        n_groups = m.n_councils * N_TYPES
        providers = sorted((q for q in m.provider_agents if q is not None and q.active),
                           key=lambda q: (int(q.council), int(q.ptype), q.row))
        group = [int(q.council) * N_TYPES + int(q.ptype) for q in providers]
        start = np.searchsorted(group, np.arange(n_groups + 1))  # group g: providers[start[g]:start[g + 1]]
        weights = [market.provider_weights(float(q.rating), float(q.price), float(m.type_price[q.ptype]),
                                           int(q.block_places), p) for q in providers]
        appeal = ([w[0] for w in weights], [w[1] for w in weights])  # within the type: people, the council
        type_level = ([w[0] for w in weights], [w[2] for w in weights])
        free = np.zeros(n_groups)
        for q, g in zip(providers, group, strict=True):
            free[g] += market.has_place(int(q.clients), int(q.capacity))
        words = stream.load(stream.seed(m.rng))
        unmet, unmet_hours = np.zeros(n_groups), np.zeros(n_groups)
        type_weight = []
        for person, slot in seekers:
            tw = market.type_weights(bool(person.dc_affinity), person.over65,
                                     int(market.SLOT_MODES[person.option, slot]), p)
            type_weight.append(tw)
            t, words = market.wanted_type(tw, words)
            g = int(person.council) * N_TYPES + t
            if free[g] == 0:
                unmet[g] += 1
                unmet_hours[g] += float(person.required)
        pending = [True] * len(seekers)
        matched = [False] * len(seekers)
        for _ in range(p.matching_rounds):
            cum, total = np.zeros((2, len(providers) + 1)), np.zeros((2, n_groups))
            level, free = np.zeros((2, n_groups)), np.zeros(n_groups)
            for i, (q, g) in enumerate(zip(providers, group, strict=True)):
                has = market.has_place(int(q.clients), int(q.capacity))
                for k in (0, 1):
                    w = appeal[k][i] * has
                    cum[k, i + 1] = cum[k, i] + w
                    total[k, g] += w
                    level[k, g] += type_level[k][i] * has
                free[g] += has
            mean = np.divide(level, free, out=np.zeros_like(level), where=level > 0)
            applicants: dict[int, list[int]] = {}  # by provider position: the seekers applying
            for s, (person, slot) in enumerate(seekers):
                if not pending[s]:
                    continue
                k = int(market.SLOT_MODES[person.option, slot] == MODE_COUNCIL)
                g0 = int(person.council) * N_TYPES
                t, i, words = market.application(type_weight[s], mean[k, g0:g0 + N_TYPES],
                                                 start[g0:g0 + N_TYPES + 1], cum[k], total[k, g0:g0 + N_TYPES], words)
                if t < 0:
                    pending[s] = False
                    continue
                applicants.setdefault(int(i), []).append(s)
            if not applicants:
                break
            priority = []
            for _ in seekers:
                u, words = stream.next_uniform(words)
                priority.append(u)
            for i, applying in sorted(applicants.items()):
                q = providers[i]
                for s in sorted(applying, key=lambda s: priority[s]):
                    if market.has_place(int(q.clients), int(q.capacity)):
                        person, slot = seekers[s]
                        P.provider[person.row, slot] = q.row
                        q.clients = q.clients + 1
                        pending[s], matched[s] = False, True
        for (person, _), got in zip(seekers, matched, strict=True):
            if not got:
                m.ledger.unmatched[person.council] += 1
        self.unmet, self.unmet_hours = unmet.reshape(m.n_councils, N_TYPES), unmet_hours.reshape(m.n_councils, N_TYPES)

    # ------------------------------------------------------------------ 6. purchasing
    def purchasing(self) -> None:
        m, L = self.m, self.m.ledger
        direct_share = m.config.choice.option4_direct_share
        for prov in m.agents_by_type.get(Provider, []):
            prov.income, prov.hours = 0.0, 0.0
            if prov.block_places > 0:
                pay = prov.block_places * prov.price * m.type_maxh[DAY_CENTRE] * budgets.WEEKS_PER_MONTH
                prov.income = pay
                L.block_paid[prov.council] += pay
                L.services_by_option[prov.council, 2] += pay
        block_used: dict[int, int] = {}
        self.bonus = np.zeros(m.people.n)
        for person in sorted(self.people(), key=lambda a: a.row):
            person.delivered, person.respite = 0.0, 0.0
            if person.option == 0:
                continue
            shares = market.slot_shares(person.option, direct_share)
            c, col = person.council, person.option - 1
            for slot in (0, 1):
                mode = int(market.SLOT_MODES[person.option, slot])
                if mode == MODE_DIRECT:
                    credit = person.budget * shares[slot]
                    person.dp_balance = person.dp_balance + credit
                    L.dp_paid[c] += credit
                    L.services_by_option[c, col] += credit
                row = int(person.providers[slot])
                if row < 0:
                    continue
                prov = m.provider_agents[row]
                t = prov.ptype
                hours = float(market.hours_bought(person.required, person.budget, shares[slot], prov.price,
                                                  m.type_maxh[t]))
                cost = hours * prov.price
                if mode == MODE_COUNCIL and prov.block_places > 0:
                    used = block_used.get(row, 0)
                    if used < prov.block_places:
                        block_used[row] = used + 1
                        cost = 0.0
                if mode == MODE_DIRECT:
                    person.dp_balance = person.dp_balance - cost
                    L.dp_spent[c] += cost
                elif mode in (MODE_ISF, MODE_COUNCIL):
                    L.direct_paid[c] += cost
                    L.services_by_option[c, col] += cost
                prov.income = prov.income + cost
                prov.hours = prov.hours + hours
                intensity = hours / (m.type_maxh[t] * budgets.WEEKS_PER_MONTH)
                person.delivered = person.delivered + hours
                self.bonus[person.row] += m.type_bonus[t] * intensity
                person.respite = person.respite + m.type_respite[t] * intensity
        for prov in m.agents_by_type.get(Provider, []):
            L.provider_received[prov.council] += prov.income

    # ------------------------------------------------------------------ 6-8. purchasing, carers, outcomes
    def purchase_and_outcomes(self) -> None:
        """Purchasing, then unpaid carers, then outcomes and voice, each over every agent."""
        self.purchasing()
        self.carers()
        self.outcomes()

    def carers(self) -> None:
        L, c = self.m.ledger, self.m.config.carers
        for carer in list(self.m.agents_by_type.get(Carer, [])):
            if not carer.caring:
                continue
            broke, crisis = carer.care()
            council = self.m.people.council[carer.row]
            L.breakdowns[council] += broke
            L.admissions[council] += crisis
            L.crisis[council] += crisis * c.crisis_cost

    # ------------------------------------------------------------------ 8. outcomes
    def outcomes(self) -> None:
        m = self.m
        for person in sorted(self.people(), key=lambda a: a.row):
            person.evaluate(float(self.bonus[person.row]))
        sums: dict[int, list[float]] = {}
        for person in self.people():
            for row in person.providers:
                if row >= 0:
                    sums.setdefault(int(row), []).append(person.satisfaction)
        memory = m.config.providers.rating_memory
        for prov in m.agents_by_type.get(Provider, []):
            sats = sums.get(prov.row)
            if sats:
                prov.rating = float(outcomes.next_rating(prov.rating, float(np.mean(sats)), True, memory))
        for person in self.people():
            person.voice()

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        m, p = self.m, self.m.config.providers
        closing = []
        for prov in list(m.agents_by_type.get(Provider, [])):
            t = prov.ptype
            profit = float(providers.operating_result(prov.income, prov.hours, m.type_var[t], m.type_fixed[t]))
            prov.profit = profit
            prov.reserves = prov.reserves + profit
            prov.neg_months = int(providers.next_neg_months(prov.reserves, prov.neg_months))
            occ = prov.clients / max(prov.capacity, 1)
            prov.price = float(providers.next_price(prov.price, occ, m.type_var[t], m.type_price[t], p))
            prov.capacity = int(providers.next_capacity(prov.capacity, occ, profit, m.type_growth[t], p))
            if providers.exits(prov.neg_months, p):
                closing.append(prov.row)
        m.close_providers(np.array(sorted(closing), dtype=np.int64))
        self.entry()

    # ------------------------------------------------------------------ 10. finance
    def finance(self) -> None:
        m, L = self.m, self.m.ledger
        with_package = np.zeros(m.n_councils)
        for person in self.people():
            if person.option > 0:
                L.admin[person.council] += m.config.councils[person.council].finance.admin_cost[person.option - 1]
                with_package[person.council] += 1
        m.account(with_package)
