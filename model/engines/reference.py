"""The per-agent reference engine: the same schedule as :mod:`model.engines.vector.engine`, one agent at a time.

This is the readable statement of the model and the other side of the docking tests. Each phase
walks the agents (people, carers, providers) and applies the rule to one of them; council-level
steps (entry, the budget review) are the Council agents' own. The model's bookkeeping over rows
(arrivals, peers, departures, provider links, cells, block places, compaction) is written here in
plain Python too, row by row, calling the same rules and drawing the same streams in the same
order as the vectorised engine. It is slow by design (microseconds per person-month); use
``--engine agents`` to check the default engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import stream
from model.codes import (
    AGENCY,
    DAY_CENTRE,
    MODE_COUNCIL,
    N_OPTION_CODES,
    N_QUINTILES,
    N_SLOTS,
    N_TYPES,
    NO_PROVIDER,
    OPTION_3,
    cell_of,
)
from model.core.agents import Person, Provider
from model.rules import budgets, choice, demography, market, outcomes, providers, rollout, support

if TYPE_CHECKING:
    from model.core.economy import CareEconomy


class ReferenceEngine:
    """Per-agent engine (``--engine agents``)."""

    def __init__(self, model: CareEconomy) -> None:
        self.m = model

    def open_providers(self) -> list[Provider]:
        """The open providers' agents, in row order."""
        self.m.sync_agents()
        return [prov for prov in self.m.provider_agents if prov is not None]

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
        mortality = demography.mortality_gradient(m.config.demography)
        leavers, due = [], []
        for person in self.people():
            leaves, words = person.live_month(words, mortality)
            if leaves:
                leavers.append(person.row)
            elif person.count_down():
                due.append(person.row)
        m.depart(np.array(leavers, dtype=np.int64))
        arriving = demography.arrivals(m.expected_referrals(), m.rng)
        m.add_people(arriving)
        m.ledger.arrivals += arriving
        m.set_block_places()
        self.due = np.array(due, dtype=np.int64)

    # ------------------------------------------------------------------ 2-3. reviews
    def reviews(self) -> None:
        """The new arrivals' countdown, then everyone due whom their council assesses
        (:func:`model.rules.budgets.assessed`, the people due in row order) is reviewed
        (:meth:`Person.review`): each review is counted and costed
        (:func:`model.rules.budgets.assessment_spend`); those who choose will choose this month. The
        others wait (:meth:`Person.wait`), counted with their months waited and whether they hold a
        package."""
        m, L = self.m, self.m.ledger
        m.sync_agents()  # agents for the month's arrivals
        new = [m.person_agents[r] for r in range(self.first_new, m.people.n)]
        due = [m.person_agents[r] for r in self.due.tolist()] + [a for a in new if a.count_down()]
        assessed = budgets.assessed(np.array([int(a.waiting) for a in due], dtype=np.int64),
                                    np.array([int(a.council) for a in due], dtype=np.int64), m.assessments_allowed())
        choosing, kept = [], []
        for person, assess in zip(due, assessed.tolist(), strict=True):
            if not assess:
                person.wait()
                L.waiting[person.council] += 1
                L.waiting_months[person.council] += int(person.waiting)
                L.waiting_new[person.council] += not budgets.has_package(int(person.option))
                continue
            L.assessments[person.council] += 1
            cost = m.config.councils[person.council].finance.assessment_cost
            L.assessment[person.council] += budgets.assessment_spend(1, cost)
            eligible, chooses = person.review()
            if chooses:
                choosing.append(person.row)
            elif eligible:
                kept.append(person.row)
        self.choosing, self.kept = np.array(choosing, dtype=np.int64), np.array(kept, dtype=np.int64)

    # ------------------------------------------------------------------ 4-5. support and choice
    def support_and_choice(self) -> None:
        """Support reaches some of the people choosing (ODD 7.5), council by council
        (:func:`model.rules.support.reached`, costed by :func:`model.rules.support.spend`); then each
        of them decides to keep or change their option (:meth:`Person.decide`), all against the
        same state (peers' options before this month's choices), and the decisions take effect
        (:meth:`Person.take_decision`; the others reviewed stay council-arranged,
        :meth:`Person.take_option`). Support's uniforms come from one call to the model's generator
        (for each council with someone choosing, one for its places, then one per person queued
        there, in row order); choice draws from one stream, person by person, for those who choose."""
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
            L.support[c] += support.spend(int(reached.sum()), spec.support.cost_per_person)
        words = stream.load(stream.seed(m.rng))
        decisions = []
        for person in choosing:
            option, why, chose, words = person.decide(words)
            decisions.append((option, why, chose))
        for person, (option, why, chose) in zip(choosing, decisions, strict=True):
            person.take_decision(option, why, chose)
        for person in kept:
            person.take_option(OPTION_3)

    # ------------------------------------------------------------------ 6. matching
    def start(self) -> None:
        """Once the starting population and providers are in place: everyone's formal hours, then the
        first matching."""
        self.m.refresh_required()
        self.matching()

    def matching(self) -> None:
        """The rationing rule of :mod:`model.rules.market`, seeker by seeker and provider by provider.

        The seekers are the people flagged as seeking, in row order
        (:func:`~model.rules.market.slots_sought`): every slot-0 seeker first, then slot 1 (Option 4's
        direct-payment slots, top-up slots). The providers are the open ones by council and type, in row order
        within a type, each weighed once (:func:`~model.rules.market.provider_weights`). Each seeker
        draws the type it wants, the entry signal (:func:`~model.rules.market.wanted_type`); then in
        each round every pending seeker applies (:func:`~model.rules.market.application`) given the
        market at the start of the round (:func:`~model.rules.market.round_market`), every seeker
        draws a priority, and each provider answers its applicants in priority order
        (:func:`~model.rules.market.admit`). The draws come from one stream, in that order."""
        m, P, p = self.m, self.m.people, self.m.config.providers
        m.sync_agents()
        first, second = [], []  # (person, slot)
        for r in np.flatnonzero(P.view("seeking")).tolist():
            person = m.person_agents.get(r)
            if person is None:  # has left
                P.seeking[r] = False
                continue
            P.provider[r, 0], P.provider[r, 1] = market.promote_top_up(
                int(person.option), int(P.provider[r, 0]), int(P.provider[r, 1]), p.top_up)
            _, agency0, price0, cap0 = person.first_provider()
            person.seeking, seek0, seek1 = market.slots_sought(
                int(person.option), int(person.providers[0]), int(person.providers[1]), float(person.budget),
                float(person.required), p.top_up, agency0, price0, float(m.hourly_rates[person.council]), cap0)
            if seek0:
                first.append((person, 0))
            if seek1:
                second.append((person, 1))
        seekers = first + second
        n_groups = m.n_councils * N_TYPES
        providers = sorted((q for q in m.provider_agents if q is not None and q.active),
                           key=lambda q: (int(q.council), int(q.ptype), q.row))
        group = np.array([int(q.council) * N_TYPES + int(q.ptype) for q in providers], dtype=np.int64)
        start = np.searchsorted(group, np.arange(n_groups + 1))  # group g: providers[start[g]:start[g + 1]]
        weights = np.array([market.provider_weights(float(q.rating), float(q.price), float(m.type_price[q.ptype]),
                                                    int(q.block_places), p) for q in providers]).reshape(-1, 3).T
        appeal, type_level = weights[[0, 1]], weights[[0, 2]]  # within the type (people, the council); type level
        capacity = np.array([int(q.capacity) for q in providers], dtype=np.int64)
        spare = np.zeros(n_groups)  # free places by group, for the entry signal
        for q, g in zip(providers, group, strict=True):
            spare[g] += market.free_places(int(q.clients), int(q.capacity))
        words = stream.load(stream.seed(m.rng))
        unmet, unmet_hours = np.zeros(n_groups), np.zeros(n_groups)
        type_weight = []
        for person, slot in seekers:
            tw = market.type_weights(bool(person.dc_affinity), person.over65,
                                     int(market.slot_mode(int(person.option), slot, p.top_up)), p)
            type_weight.append(tw)
            t, words = market.wanted_type(tw, words)
            g = int(person.council) * N_TYPES + t
            beyond, spare[g] = market.beyond_free_places(float(spare[g]))
            if beyond:
                unmet[g] += 1
                unmet_hours[g] += float(person.required)
        pending = [True] * len(seekers)
        matched = [False] * len(seekers)
        for _ in range(p.matching_rounds):
            clients = np.array([int(q.clients) for q in providers], dtype=np.int64)
            cum, total, mean = market.round_market(appeal, type_level, clients, capacity, group, n_groups)
            applicants: dict[int, list[int]] = {}  # by provider position: the seekers applying
            for s, (person, slot) in enumerate(seekers):
                if not pending[s]:
                    continue
                k = int(market.in_mode(int(person.option), slot, MODE_COUNCIL, p.top_up))
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
                    person, slot = seekers[s]
                    q.clients, took = market.admit(int(q.clients), int(q.capacity), market.own_top_up(
                        int(person.option), slot, int(P.provider[person.row, 0]), q.row, p.top_up))
                    if took:
                        P.provider[person.row, slot] = q.row
                        pending[s], matched[s] = False, True
        for (person, _), got in zip(seekers, matched, strict=True):
            if not got:
                m.ledger.unmatched[person.council] += 1
        self.unmet, self.unmet_hours = unmet.reshape(m.n_councils, N_TYPES), unmet_hours.reshape(m.n_councils, N_TYPES)

    # ------------------------------------------------------------------ 6-8. purchasing, carers, outcomes
    def purchase_and_outcomes(self) -> None:
        """Purchasing (ODD 7.6), unpaid carers (7.7), outcomes and voice (7.8), person by person in
        row order: the person buys in each budget slot (:meth:`Person.buy`), their carer has their
        month (:meth:`Carer.care`), then the person's outcomes (:meth:`Person.evaluate`) and voice
        (:meth:`Person.voice`), drawing from one stream in that order. Block contracts are paid in
        full first; money goes to the ledger by council (services by council and option, totalled
        after the people), and each provider's income, hours and rating
        (:func:`model.rules.outcomes.provider_rating`) follow."""
        m, Q, L = self.m, self.m.providers, self.m.ledger
        n_c = m.n_councils
        income, hours = np.zeros(Q.n), np.zeros(Q.n)
        block = np.zeros(n_c)
        place_hours = float(m.type_maxh[DAY_CENTRE])
        for prov in self.open_providers():
            if prov.block_places > 0:
                pay = market.block_payment(int(prov.block_places), float(prov.price), place_hours)
                income[prov.row] = pay
                block[prov.council] += pay
                L.block_held[prov.council] += int(prov.block_places)
        L.block_paid += block
        L.services_by_option[:, 2] += block
        services = np.zeros((n_c, N_OPTION_CODES))  # by council and option (0: none)
        paid, spent, broke, crises, replaced, breaks = (np.zeros(n_c), np.zeros(n_c), np.zeros(n_c), np.zeros(n_c),
                                                        np.zeros(n_c), np.zeros(n_c))
        clients, client_satisfaction = np.zeros(Q.n), np.zeros(Q.n)
        block_used = np.zeros(Q.n, dtype=np.int64)
        staffed, wanted = m.staffed_hours(), np.zeros(Q.n)
        words = stream.load(stream.seed(m.rng))
        for person in self.people():
            c, option = int(person.council), int(person.option)
            purchases, got, respite, bonus = person.buy(block_used, staffed)
            for slot, q, h, cost, credit, want in purchases:
                pays, into, out = market.slot_payment(option, slot, cost, credit, m.config.providers.top_up)
                services[c, option] += pays
                paid[c] += into
                spent[c] += out
                if q != NO_PROVIDER:
                    income[q] += cost
                    hours[q] += h
                    wanted[q] += want
            carer = m.carer_agents.get(person.row)
            if carer is not None:
                broke_down, crisis, new_carer, given, words = carer.care(got, respite, words)
                broke[c] += broke_down
                crises[c] += crisis
                replaced[c] += new_carer
                breaks[c] += given
                # carers known to the council, as the carers' survey counts
                if m.score_quality and carer.caring and option > 0:
                    L.carer_qol[c] += outcomes.carer_qol(float(carer.strain), m.config.outcomes)
                    L.carers_known[c] += 1
            satisfaction, domains, words = person.evaluate(got, bonus, words)
            if domains is not None and option > 0:
                for k, score in enumerate(domains):
                    L.ascot[c, k] += score
            links = person.providers.tolist()
            if option > 0 and NO_PROVIDER not in links:
                L.two_providers[c] += 1
            for q in links:
                if q != NO_PROVIDER:
                    clients[q] += 1
                    client_satisfaction[q] += satisfaction
            if not person.voice(satisfaction) and m.config.providers.top_up:
                person.top_up()
        market.book_payments(services, paid, spent, L.services_by_option, L.dp_paid, L.dp_spent, L.direct_paid)
        L.breakdowns += broke
        L.replacements += replaced
        L.breaks_given += breaks
        L.short_breaks += breaks * m.config.carers.short_break_cost
        L.admissions += crises
        L.crisis += crises * m.config.carers.crisis_cost
        received = np.zeros(n_c)
        memory = m.config.providers.rating_memory
        for q in range(Q.n):  # closed providers' rows too: their month's income is none
            L.block_taken[Q.council[q]] += block_used[q]
            Q.income[q], Q.hours[q], Q.wanted[q] = income[q], hours[q], wanted[q]
            received[Q.council[q]] += income[q]
            Q.rating[q] = outcomes.provider_rating(float(Q.rating[q]), float(client_satisfaction[q]),
                                                   float(clients[q]), memory)
        L.provider_received += received

    # ------------------------------------------------------------------ 9. providers
    def providers(self) -> None:
        """Each open provider's month (:meth:`Provider.month`), in row order, with the people living in
        its council; those that exit close (their clients are displaced); with the workforce on, the
        open agencies' staff (:meth:`staffing`); hand-backs (:meth:`hand_backs`); then each council's
        entrants (:meth:`model.core.agents.Council.entry`)."""
        m = self.m
        people = self.people_by_council()
        m.sync_agents()
        closing = [prov.row for prov in m.provider_agents if prov is not None and prov.month(int(people[prov.council]))]
        m.close_providers(np.array(closing, dtype=np.int64))
        if m.config.providers.workforce:
            self.staffing()
        hazard = m.handback_hazards()
        if hazard.any():
            self.hand_backs(hazard)
        for council in m.councils:
            council.entry(self.unmet[council.index], self.unmet_hours[council.index], int(people[council.index]))

    def staffing(self) -> None:
        """The care labour market (ODD 7.9): each open agency, in row order, loses its leavers and
        seeks care workers for its vacancies (:meth:`Provider.recruit`); each council's free care
        workers and its leavers allow a share of those sought
        (:func:`model.rules.providers.hiring_fill`), which every agency of the council hires
        (:meth:`Provider.hire`). Posts, vacancies and care workers are counted by council."""
        m, L = self.m, self.m.ledger
        free = m.free_workers()
        agencies = [prov for prov in m.provider_agents if prov is not None and int(prov.ptype) == AGENCY]
        plans = [prov.recruit() for prov in agencies]
        leaving, seeking = np.zeros(m.n_councils), np.zeros(m.n_councils)
        for prov, (_, leave, _, seek) in zip(agencies, plans, strict=True):
            leaving[prov.council] += leave
            seeking[prov.council] += seek
        for prov, (stay, _, posts, seek) in zip(agencies, plans, strict=True):
            c = int(prov.council)
            fill = providers.hiring_fill(float(free[c]), float(leaving[c]), float(seeking[c]))
            vacancies = prov.hire(stay, seek, posts, fill)
            L.posts[c] += posts
            L.vacancies[c] += vacancies
            L.care_workers[c] += float(prov.staff)

    def hand_backs(self, hazard: np.ndarray) -> None:
        """Hand-backs (ODD 7.9): person by person in row order, each budget slot whose agency hands
        the package back (:func:`model.rules.providers.hands_back`, with the monthly ``hazard`` of
        the person's council) loses it and the person seeks a provider again; counted by council.
        The draws come from one stream."""
        m, P, Q, L = self.m, self.m.people, self.m.providers, self.m.ledger
        words = stream.load(stream.seed(m.rng))
        for person in self.people():
            c = int(person.council)
            for slot in range(N_SLOTS):
                q = int(person.providers[slot])
                if q == NO_PROVIDER:
                    continue
                _, back, words = providers.hands_back(int(person.option), slot, int(Q.ptype[q]), float(hazard[c]),
                                                      m.config.providers.top_up, words)
                if back:
                    Q.clients[q] -= 1
                    P.provider[person.row, slot] = NO_PROVIDER
                    person.seeking = True
                    L.handbacks[c] += 1

    # ------------------------------------------------------------------ 10. finance
    def finance(self) -> None:
        """Each person's package is administered (:func:`model.rules.budgets.admin_cost`) and charged
        for (:func:`model.rules.budgets.charge`, at their council's charge rate) by their council,
        in row order; each council's accounts."""
        m, L = self.m, self.m.ledger
        rates, chargeable = m.charge_rates().tolist(), budgets.chargeable_share(m.config.budgets)
        charges = np.zeros(m.n_councils)
        for person in self.people():
            c, option = int(person.council), int(person.option)
            L.admin[c] += budgets.admin_cost(option, m.config.councils[c].finance.admin_cost)
            charges[c] += budgets.charge(option, float(person.budget), rates[c], chargeable)
        m.account(charges)

    # ------------------------------------------------------------------ bookkeeping over rows
    def people_by_council(self) -> np.ndarray:
        """The living people of each council."""
        counts = np.zeros(self.m.n_councils, dtype=np.int64)
        for person in self.people():
            counts[person.council] += 1
        return counts

    def arrivals(self, start: int, counts: np.ndarray, group_mix: np.ndarray, state: np.ndarray) -> None:
        """Fill in the rows from ``start`` with ``counts[c]`` new people in council ``c``, council by
        council, each alive and drawn from the stream ``state`` (:func:`model.rules.demography.new_person`,
        from the council's :func:`~model.rules.demography.referral_mix` and the groups' ``group_mix``);
        then, from the values stored, offered the choice or not (:func:`model.rules.rollout.is_offered`,
        with the council's offered share), with their breakdown cell, the hours the assessment credits
        to their carer and the formal hours they need (:func:`model.rules.budgets.referral_hours`);
        then their peers (:meth:`draw_peers`), from the same stream."""
        m, P = self.m, self.m.people
        share, hours_per_point = m.offered_shares(), m.config.budgets.hours_per_point
        row = start
        for c, n in enumerate(np.asarray(counts).tolist()):
            mix = demography.referral_mix(m.deprivation[c], m.config.demography)
            for _ in range(n):
                P.council[row], P.alive[row] = c, True
                (P.group[row], P.quintile[row], P.age_band[row], P.confidence[row], P.dc_affinity[row],
                 P.offer_rank[row], P.need[row], P.has_carer[row], P.carer_hours[row], P.carer_base[row],
                 P.carer_capacity[row], P.review_in[row]) = demography.new_person(mix, group_mix, m.config.demography,
                                                                                  state)
                P.offered[row] = rollout.is_offered(float(P.offer_rank[row]), float(share[c]))
                self.set_cells(np.array([row]))
                P.carer_credit[row], P.required[row] = budgets.referral_hours(
                    float(P.need[row]), float(P.carer_hours[row]), float(P.carer_base[row]), m.config.carers,
                    hours_per_point)
                row += 1
        self.draw_peers(np.arange(start, row), state)

    def draw_peers(self, rows: np.ndarray, state: np.ndarray) -> None:
        """Peers of the people ``rows`` (ODD 7.1), each drawn by :func:`model.rules.demography.peer`
        among the living people of their council, from the stream ``state``. Those people are listed
        by (council, quintile), in row order within a group; when few are arriving, from a sample of
        rows drawn first (two per peer wanted, at least 4,096; departed rows dropped), as the
        vectorised engine does."""
        m, P = self.m, self.m.people
        n, k = P.n, P.peers.shape[1]
        if k == 0 or rows.size == 0:
            return
        words = stream.load(state)
        sample = max(4096, 2 * rows.size * k)
        pool: list[int] | range = range(n)
        if sample < n // 2:
            pool = []
            for _ in range(sample):
                u, words = stream.next_uniform(words)
                pool.append(min(int(u * n), n - 1))
        groups: list[list[int]] = [[] for _ in range(m.n_councils * N_QUINTILES)]
        for r in pool:
            if P.alive[r]:
                groups[int(P.council[r]) * N_QUINTILES + int(P.quintile[r])].append(r)
        homophily = m.config.demography.peer_homophily
        for r in rows.tolist():
            first, quintile = int(P.council[r]) * N_QUINTILES, int(P.quintile[r])
            council = [q for group in groups[first: first + N_QUINTILES] for q in group]
            own_start = sum(len(group) for group in groups[first: first + quintile])
            for j in range(k):
                P.peers[r, j], words = demography.peer(r, council, own_start, len(groups[first + quintile]), 0,
                                                       len(council), homophily, words)
        state[:] = words  # the stream moves on, for whoever draws from it next

    def depart(self, rows: np.ndarray) -> None:
        """People leave (:func:`model.rules.demography.leave`): their provider relationships end, a
        direct-payment balance returns to the council (clawback, taken off the services of the option
        it was paid under), they are counted by council."""
        m, P, L = self.m, self.m.people, self.m.ledger
        clawed, gone = np.zeros(m.n_councils), np.zeros(m.n_councils)
        for r in rows.tolist():
            c = int(P.council[r])
            self.release(np.array([r]))
            claw, column, P.option[r], P.dp_balance[r] = demography.leave(int(P.option[r]), float(P.dp_balance[r]))
            clawed[c] += claw
            if column >= 0:
                L.services_by_option[c, column] -= claw
            P.alive[r] = False
            gone[c] += 1
        L.clawback += clawed
        L.departures += gone

    def release(self, rows: np.ndarray) -> None:
        """End the provider relationships of ``rows`` (both budget slots)."""
        P, Q = self.m.people, self.m.providers
        for r in rows.tolist():
            for slot in range(N_SLOTS):
                q = int(P.provider[r, slot])
                if q != NO_PROVIDER:
                    Q.clients[q] -= 1
                    P.provider[r, slot] = NO_PROVIDER

    def set_cells(self, rows: np.ndarray) -> None:
        """The breakdown cell of ``rows`` (:func:`model.codes.cell_of`)."""
        P = self.m.people
        for r in rows.tolist():
            P.cell[r] = cell_of(int(P.council[r]), int(P.group[r]), int(P.age_band[r]), int(P.quintile[r]))

    def choice_state(self, rows: np.ndarray) -> None:
        """Control and felt burden of ``rows`` in their current option (:func:`model.rules.choice.held`);
        none without a package."""
        m, P = self.m, self.m.people
        for r in rows.tolist():
            c = int(P.council[r])
            P.control[r], P.burden[r] = choice.held(int(P.option[r]), float(P.confidence[r]), bool(P.supported[r]),
                                                    float(m.reduction[c]), float(P.carer_hours[r]) > 0,
                                                    float(m.managed_account[c]), m.config.choice)

    def displace(self, closing: np.ndarray) -> int:
        """The clients of the providers ``closing`` lose them and are seeking again, counted by council
        once per budget slot. Returns how many links ended."""
        P, Q, L = self.m.people, self.m.providers, self.m.ledger
        ended = 0
        for r in range(P.n):
            for slot in range(N_SLOTS):
                q = int(P.provider[r, slot])
                if q != NO_PROVIDER and closing[q]:
                    Q.clients[q] -= 1
                    P.provider[r, slot] = NO_PROVIDER
                    P.seeking[r] = True
                    L.displaced[P.council[r]] += 1
                    ended += 1
        return ended

    def block_places(self) -> None:
        """Block-contracted places at each open day centre (:func:`model.rules.rollout.block_places`,
        from its council's block share and run-down this month); none elsewhere."""
        Q, share, rundown = self.m.providers, self.m.block_shares(), self.m.block_rundowns()
        for q in range(Q.n):
            open_day_centre = bool(Q.active[q]) and Q.ptype[q] == DAY_CENTRE
            c = int(Q.council[q])
            Q.block_places[q] = (rollout.block_places(int(Q.capacity[q]), float(share[c]), int(Q.block_start[q]),
                                                      float(rundown[c]))
                                 if open_day_centre else 0)

    def compact_rows(self, alive: np.ndarray, keep: np.ndarray, new_index: np.ndarray) -> None:
        """Move the rows ``keep`` to the front of every column (the rows after them back to their
        initial values), the peers of those kept renumbered (-1 for a peer who has left)."""
        P = self.m.people
        for r in keep.tolist():
            for j in range(P.peers.shape[1]):
                q = int(P.peers[r, j])
                P.peers[r, j] = new_index[q] if q >= 0 and alive[q] else -1
        for name in (*P.FIELDS, *P.WIDE):
            column = getattr(P, name)
            column[: keep.size] = column[keep]
            column[keep.size: P.n] = P.FIELDS[name][1] if name in P.FIELDS else P.WIDE[name][2]
