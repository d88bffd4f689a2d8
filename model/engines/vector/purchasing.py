"""Purchasing (ODD 7.6), unpaid carers (7.7) and outcomes and voice (7.8), compiled: one pass
over the people."""

from __future__ import annotations

import numba
import numpy as np

from model import stream
from model.codes import AGENCY, MODE_NONE, N_DOMAINS, N_OPTION_CODES
from model.core.state import Ledger, People, Providers
from model.engines.vector import common
from model.engines.vector.common import CARERS, CHOICE, OUTCOMES, PROVIDERS, release_row
from model.rules import carers, choice, market, outcomes

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def purchase_and_outcomes(people: People.Record, providers: Providers.Record, type_attrs: np.ndarray,
                          place_hours: float, direct_share: float, hours_per_point: float, c: np.ndarray,
                          o: np.ndarray, ch: np.ndarray, pr: np.ndarray, state: np.ndarray,
                          ledger: Ledger.Record, staffed: np.ndarray, rates: np.ndarray, score: bool,
                          values: np.ndarray) -> None:
    """Purchasing (ODD 7.6), unpaid carers (7.7), and outcomes and voice (7.8), person by person in row
    order, as the per-agent engine does; ``people``, ``providers`` and ``ledger`` are the tables'
    records.

    These steps of the month involve no one else, so one pass applies all three to each living row:
    each budget slot's purchase (:func:`model.rules.market.buy_slot`, with the slot's provider's
    price, its type's hour cap a week and respite and wellbeing bonus per hour, ``type_attrs`` by
    provider type, whether a block place is left at it, the council's hourly ``rates`` by council
    and the hours the provider's staff can still deliver, ``staffed`` by provider, less what each
    slot gets), the carer's month (:func:`model.rules.carers.carer_month`: hours, strain, capacity,
    months above the threshold and the hours the assessment credits; a breakdown's consequences for
    the person, :func:`model.rules.carers.after_breakdown`; a new carer for one whose carer broke
    down and a short break are counted), the person's outcomes
    (:func:`model.rules.outcomes.person_outcome`) and voice (:func:`model.rules.choice.voice`: one
    who switches ends their provider relationships and is ``seeking`` again, to be re-matched). The
    draws come from one stream, in that order. When the month's quality of life is scored
    (``score``), each person's (:func:`model.rules.outcomes.quality_of_life`, their value of
    control from ``values`` by client group and age band) and, for people with a package, their
    domain scores and their caring carer's quality of life (:func:`model.rules.outcomes.carer_qol`)
    are added to the ledger.

    Block contracts are paid in full first (:func:`model.rules.market.block_payment`,
    ``place_hours`` a week per place), and the block places held and taken are counted by council.
    Money is added to the ledger (by council; services by council and Option 1-4), the providers'
    income and hours are set, and each provider's rating follows its clients' satisfaction
    (:func:`model.rules.outcomes.provider_rating`). Sums are added in the order ``numpy.bincount``
    adds them. (The columns are read into local names first: the record's fields then need no
    reference counting per row.)"""
    c, o, ch, pr = c.view(CARERS)[0], o.view(OUTCOMES)[0], ch.view(CHOICE)[0], pr.view(PROVIDERS)[0]
    top_up = pr.top_up
    alive, option, council, budget, need = people.alive, people.option, people.council, people.budget, people.need
    carer_hours, required, provider = people.carer_hours, people.required, people.provider
    dp_balance, group, age_band = people.dp_balance, people.group, people.age_band
    delivered, respite, met_need, strain = people.delivered, people.respite, people.met_need, people.strain
    carer_base, carer_capacity, strained_months, carer_credit = (people.carer_base, people.carer_capacity,
                                                                 people.strained_months, people.carer_credit)
    review_in, control, burden, wellbeing = people.review_in, people.control, people.burden, people.wellbeing
    satisfaction, low_sat, offered, seeking = people.satisfaction, people.low_sat, people.offered, people.seeking
    active, block_places, provider_price, provider_council = (providers.active, providers.block_places,
                                                              providers.price, providers.council)
    provider_clients, rating = providers.clients, providers.rating
    n_q, n_c = active.size, ledger.block_paid.size
    # Per provider: price, hour cap a week, respite and wellbeing per hour, quality; the last row
    # stands for "no provider" (link -1): all zero, so no hours are bought.
    attrs = np.zeros((n_q + 1, 5))
    for q in range(n_q):
        attrs[q, 0] = provider_price[q]
        for k in range(3):
            attrs[q, k + 1] = type_attrs[providers.ptype[q], k]
        attrs[q, 4] = providers.quality[q]
    income = np.zeros(n_q + 1)  # by provider; the last entry stands for "no provider"
    hours = np.zeros(n_q + 1)
    wanted = np.zeros(n_q + 1)
    left = np.full(n_q + 1, np.inf)  # hours the staff can still deliver
    left[:n_q] = staffed
    agency = np.zeros(n_q + 1, dtype=np.bool_)
    for q in range(n_q):
        agency[q] = providers.ptype[q] == AGENCY
    block_by_council = np.zeros(n_c)
    for q in range(n_q):
        if active[q] and block_places[q] > 0:
            pay = market.block_payment(block_places[q], provider_price[q], place_hours)
            income[q] = pay
            block_by_council[provider_council[q]] += pay
            ledger.block_held[provider_council[q]] += block_places[q]
    services_by_option = ledger.services_by_option
    for ci in range(n_c):
        ledger.block_paid[ci] += block_by_council[ci]
        services_by_option[ci, 2] += block_by_council[ci]
    services = np.zeros((n_c, N_OPTION_CODES))  # by council and option (0: none)
    paid, spent = np.zeros(n_c), np.zeros(n_c)
    broke, crises, replaced, breaks = np.zeros(n_c), np.zeros(n_c), np.zeros(n_c), np.zeros(n_c)
    clients, client_satisfaction = np.zeros(n_q + 1), np.zeros(n_q + 1)  # by provider, for ratings
    used = np.zeros(n_q, dtype=np.int64)
    # By council: domain scores (people with a package); quality of life of their caring carers, and how many.
    ascot, carer_qol, carers_known = ledger.ascot, ledger.carer_qol, ledger.carers_known
    words = stream.load(state)
    for i in range(alive.size):
        if not alive[i]:
            continue
        o_i = np.uint8(option[i])  # unsigned: see _link
        ci = np.uint16(council[i])
        # 6. purchasing (locals: a row's values are read once)
        req = required[i]
        bud = budget[i]
        balance = dp_balance[i]
        got = 0.0
        rest = 0.0
        bonus = 0.0
        value = 0.0
        for slot in range(2):
            if market.in_mode(o_i, slot, MODE_NONE, top_up):
                continue
            p = _link(provider[i, slot], n_q)  # no provider: the last row of attrs
            need_s, money, credit = market.slot_terms(o_i, slot, req, bud, direct_share, top_up, got, value)
            h, r, b, cost, balance, took, want, left[p], worth = market.buy_slot(
                o_i, slot, need_s, money, credit, balance, attrs[p, 0], attrs[p, 1], attrs[p, 2], attrs[p, 3],
                p < n_q and used[p] < block_places[p], agency[p], rates[ci], left[p], top_up)
            value += worth
            if took:
                used[p] += 1
            wanted[p] += want
            pays, into, out = market.slot_payment(o_i, slot, cost, credit, top_up)
            services[ci, o_i] += pays
            paid[ci] += into
            spent[ci] += out
            income[p] += cost
            hours[p] += h
            got += h
            rest += r
            bonus += b
        dp_balance[i] = balance
        delivered[i] = got
        respite[i] = rest
        # 7. unpaid carers (none for one who never had a carer: nothing would change)
        if carer_base[i] > 0 or carer_hours[i] > 0:
            (strain[i], carer_hours[i], carer_capacity[i], strained_months[i], carer_credit[i], need_after, broke_down,
             crisis, new_carer, given, words) = carers.carer_month(strain[i], carer_hours[i], carer_base[i],
                                                                   carer_capacity[i], strained_months[i], need[i], got,
                                                                   req, rest, c, words)
            replaced[ci] += new_carer
            breaks[ci] += given
            if broke_down:
                broke[ci] += 1
                crises[ci] += crisis
                need[i] = need_after
                review_in[i], required[i] = carers.after_breakdown(need[i], carer_credit[i], hours_per_point)
            if score and carer_hours[i] > 0 and o_i > 0:  # carers known to the council, as the carers' survey counts
                carer_qol[ci] += outcomes.carer_qol(strain[i], o)
                carers_known[ci] += 1
        # 8. outcomes and voice
        main = _link(provider[i, 0], n_q)
        second = _link(provider[i, 1], n_q)
        z, words = stream.next_normal(words)
        met, sat = outcomes.person_outcome(o_i, got, required[i], main < n_q, attrs[main, 4], second < n_q,
                                           attrs[second, 4], z, o)
        met_need[i] = met
        if score:
            wellbeing[i], domains = outcomes.quality_of_life(o_i, met, control[i], values[group[i], age_band[i]],
                                                             burden[i], bonus, carer_hours[i] > 0, main < n_q,
                                                             attrs[main, 4], second < n_q, attrs[second, 4], o)
            if o_i > 0:
                for k in range(N_DOMAINS):
                    ascot[ci, k] += domains[k]
        satisfaction[i] = sat
        if o_i > 0 and main < n_q and second < n_q:
            ledger.two_providers[ci] += 1
        if main < n_q:
            clients[main] += 1
            client_satisfaction[main] += sat
        if second < n_q:
            clients[second] += 1
            client_satisfaction[second] += sat
        low_sat[i], switches, due = choice.voice(o_i, sat, low_sat[i], offered[i], review_in[i], ch)
        if switches:
            release_row(provider, provider_clients, i)
            seeking[i] = True
            review_in[i] = due
        elif top_up:
            let_go, seek = market.top_up_change(o_i, main < n_q, second < n_q, agency[main], attrs[main, 0], rates[ci],
                                                attrs[main, 1], required[i], bud, top_up)
            if let_go:
                provider_clients[second] -= 1
                provider[i, 1] = -1
            seeking[i] = seeking[i] or seek
    stream.store(state, words)
    market.book_payments(services, paid, spent, services_by_option, ledger.dp_paid, ledger.dp_spent,
                         ledger.direct_paid)
    for ci in range(n_c):
        ledger.breakdowns[ci] += broke[ci]
        ledger.replacements[ci] += replaced[ci]
        ledger.breaks_given[ci] += breaks[ci]
        ledger.short_breaks[ci] += breaks[ci] * c.short_break_cost
        ledger.admissions[ci] += crises[ci]
        ledger.crisis[ci] += crises[ci] * c.crisis_cost
    received = np.zeros(n_c)
    for q in range(n_q):
        ledger.block_taken[provider_council[q]] += used[q]
        providers.income[q] = income[q]
        providers.hours[q] = hours[q]
        providers.wanted[q] = wanted[q]
        received[provider_council[q]] += income[q]
        rating[q] = outcomes.provider_rating(rating[q], client_satisfaction[q], clients[q], pr.rating_memory)
    for ci in range(n_c):
        ledger.provider_received[ci] += received[ci]


@numba.njit(inline="always", cache=True)
def _link(p: int, none: int) -> np.uint32:
    """A provider link as an unsigned row number, ``none`` for no provider (-1). numba checks every
    signed index for a negative value (counting from the end) on every access; unsigned ones it
    uses as they are, which takes a few per cent off the purchasing pass."""
    return np.uint32(p if p >= 0 else none)
