"""Purchasing and matching (ODD 7.6): who buys what from whom, and how capacity is rationed.

Each person's budget is held in one or two *slots*, each with a management mode:
Option 1 is a direct payment (the person holds the money and chooses from every provider type);
Option 2 is an individual service fund (the person chooses a day centre, agency or community
group, the council pays); Option 3 is council-arranged (the council chooses a day centre, an
agency or a commissioned community group, preferring providers holding its block contracts);
Option 4 splits the budget between a council-arranged slot and a direct-payment slot.

The rationing rule (both engines implement exactly this): each month, every slot without a
provider is a *seeker*. Matching runs in ``matching_rounds`` rounds. In a round each seeker
chooses a provider type by logit over (type appeal + log of the mean exp(appeal) of the providers
of that type in its council with a free place; a mean, so that a type is not more attractive
merely because it has more providers; the council's block-contract preference is left out of
this term and only decides between providers within a type), then a provider within the type with probability
proportional to exp(appeal). Each seeker draws a random priority; a provider accepts its
applicants in priority order until its free places are filled. Rejected seekers try again in the
next round; after the last round they stay without a provider (unmet need) until next month.

Entry signal: before the first round each seeker also draws the type it *wants* by logit over
type appeal alone; the seekers wanting a type beyond its free places in their council (counted
seeker by seeker, :func:`beyond_free_places`) are the unmet demand that draws entrants
(:func:`model.rules.providers.entrants`): a count that grows with the market, as entry does.

The per-seeker steps are :func:`wanted_type` and :func:`application`, the provider's acceptance
:func:`has_place`; the engines call them seeker by seeker (slot-0 seekers first, then Option 4's
direct-payment slots, each in row order) and provider by provider, from one random stream.
"""

from __future__ import annotations

import math

import numpy as np

from model import stream
from model.codes import (
    AGENCY,
    COMMUNITY_GROUP,
    DAY_CENTRE,
    MODE_COUNCIL,
    MODE_DIRECT,
    MODE_ISF,
    MODE_NONE,
    N_TYPES,
    PERSONAL_ASSISTANT,
)
from model.rules.arith import at_least, at_most, where
from model.rules.budgets import WEEKS_PER_MONTH
from model.scenario import Providers

#: Provider types each management mode may buy from: rows are modes, columns types.
ALLOWED = np.array([
    [False, False, False, False],  # no package
    [True, True, False, True],     # council-arranged: day centre, agency, commissioned community group
    [True, True, False, True],     # individual service fund: day centre, agency, community group
    [True, True, True, True],      # direct payment: any, including employing a personal assistant
])

#: Management mode of each budget slot by option (rows: option 0-4).
SLOT_MODES = np.array([
    [MODE_NONE, MODE_NONE], [MODE_DIRECT, MODE_NONE], [MODE_ISF, MODE_NONE],
    [MODE_COUNCIL, MODE_NONE], [MODE_COUNCIL, MODE_DIRECT],
])


def slot_share(option: np.ndarray | int, slot: int, direct_share: float) -> np.ndarray:
    """Share of the budget in one slot: Option 4 splits it, other options hold it all in slot 0."""
    four = (option == 4) * float(direct_share)
    if slot == 1:
        return four
    return (option > 0) - four


def slot_shares(option: np.ndarray | int, direct_share: float) -> np.ndarray:
    """Share of the budget in each slot, shape (..., 2)."""
    return np.stack([slot_share(option, 0, direct_share), slot_share(option, 1, direct_share)], axis=-1)


def slot_mode(option: np.ndarray | int, slot: int, top_up: bool = False) -> np.ndarray:
    """The management mode of each person's budget slot ``slot`` (:data:`SLOT_MODES`). With
    ``top_up`` (``providers.top_up``), slot 1 of a package held in one mode (Options 1-3) is its
    top-up slot, in the mode of slot 0: a second provider for the hours the first one's type cannot
    give (:func:`needs_top_up`)."""
    own = SLOT_MODES[option, slot]
    if slot == 1 and top_up:
        return where(own == MODE_NONE, SLOT_MODES[option, 0], own)
    return own


def in_mode(option: np.ndarray | int, slot: int, mode: int, top_up: bool = False) -> np.ndarray:
    """Whether each person's budget slot ``slot`` is managed in ``mode`` (:func:`slot_mode`)."""
    return slot_mode(option, slot, top_up) == mode


def is_top_up(option: int, slot: int, top_up: bool) -> bool:
    """Whether a budget slot is a package's top-up slot (:func:`slot_mode`)."""
    return top_up and slot == 1 and SLOT_MODES[option, 1] == MODE_NONE and SLOT_MODES[option, 0] != MODE_NONE


def needs_top_up(option: int, held0: bool, agency0: bool, price0: float, rate: float, max_hours_week0: float,
                 required: float, budget: float, top_up: bool) -> bool:
    """Whether a package needs a second, top-up provider (ODD 7.6, ``providers.top_up``): it has a
    top-up slot (:func:`is_top_up`) and a first provider (``held0``: an ``agency0`` or not, at its
    ``price0``, with the council's hourly ``rate``), the formal hours ``required`` a month are more
    than the first provider's type gives a client (``max_hours_week0`` a week), and the ``budget``
    buys more than that many hours at the price slot 0 pays (:func:`price_paid`)."""
    if not (held0 and is_top_up(option, 1, top_up)):
        return False
    most = max_hours_week0 * WEEKS_PER_MONTH
    return required > most and budget > price_paid(option, 0, agency0, price0, rate, top_up) * most


def own_top_up(option: int, slot: int, first: int, candidate: int, top_up: bool) -> bool:
    """Whether an applicant in matching is a top-up slot applying to its package's own ``first``
    provider (a second place there would get round its type's hours cap: :func:`admit`)."""
    return is_top_up(option, slot, top_up) and first == candidate


def promote_top_up(option: int, provider0: int, provider1: int, top_up: bool) -> tuple[int, int]:
    """A package that lost its first provider (a closure, a hand-back) while it holds a top-up one
    keeps that one as its first (slot 0), so that it is not left paying a top-up for the whole
    package. Returns the two slots' providers (-1: none)."""
    if is_top_up(option, 1, top_up) and provider0 < 0 and provider1 >= 0:
        return provider1, -1
    return provider0, provider1


def council_paid(option: np.ndarray | int, slot: int, top_up: bool = False) -> np.ndarray:
    """Whether the council pays the provider of a budget slot itself: an individual service fund or a
    council-arranged slot (a direct payment is paid from the person's account)."""
    return in_mode(option, slot, MODE_ISF, top_up) | in_mode(option, slot, MODE_COUNCIL, top_up)


def price_paid(option: np.ndarray | int, slot: int, agency: np.ndarray | bool, price: np.ndarray | float,
               rate: np.ndarray | float, top_up: bool = False) -> np.ndarray:
    """The price an hour of a budget slot is bought at: the council's hourly ``rate`` for an
    ``agency``'s hour the council pays for (:func:`council_paid`), when the council sets one (rate
    above 0); otherwise the provider's ``price``."""
    return where(agency & (rate > 0.0) & council_paid(option, slot, top_up), rate, price)


def paid_directly(option: np.ndarray | int, direct_share: float) -> np.ndarray:
    """Share of the budget paid into the person's direct-payment account: the shares of the slots
    managed as direct payments (Option 1: all of it; Option 4: its direct slot; otherwise none)."""
    return (slot_share(option, 0, direct_share) * in_mode(option, 0, MODE_DIRECT)
            + slot_share(option, 1, direct_share) * in_mode(option, 1, MODE_DIRECT))


def appeal_of_type(t: int, dc_affinity: np.ndarray | bool, over65: np.ndarray | bool, mode: np.ndarray | int,
                   p: Providers) -> np.ndarray:
    """Appeal of provider type ``t`` to a seeker; -inf where the seeker's mode may not buy it.
    The council arranges with its own preferences; people choosing for themselves use theirs."""
    base = where(mode == MODE_COUNCIL, np.asarray(p.council_type_preference)[t], np.asarray(p.type_preference)[t])
    u = (base + np.asarray(p.affinity_bonus)[t] * dc_affinity
         + p.pa_under65_bonus * (1 - over65) * (t == PERSONAL_ASSISTANT))
    return where(ALLOWED[mode, t], u, -np.inf)


def type_weights(dc_affinity: bool, over65: bool, mode: int, p: Providers) -> tuple[float, float, float, float]:
    """exp(type appeal) (:func:`appeal_of_type`) of each provider type to a seeker, in type order;
    0 for a type the seeker's mode may not buy."""
    return (math.exp(appeal_of_type(DAY_CENTRE, dc_affinity, over65, mode, p)),
            math.exp(appeal_of_type(AGENCY, dc_affinity, over65, mode, p)),
            math.exp(appeal_of_type(PERSONAL_ASSISTANT, dc_affinity, over65, mode, p)),
            math.exp(appeal_of_type(COMMUNITY_GROUP, dc_affinity, over65, mode, p)))


def wanted_shares(dc_affinity: np.ndarray, over65: np.ndarray, mode: np.ndarray, p: Providers) -> np.ndarray:
    """Chance that each seeker wants each provider type (shape (seekers, types)): the logit over type
    appeal alone that :func:`wanted_type` draws from."""
    w = np.stack([np.exp(appeal_of_type(t, dc_affinity, over65, mode, p)) for t in range(N_TYPES)], axis=-1)
    return w / w.sum(axis=-1, keepdims=True)


def provider_weights(rating: float, price: float, ref_price: float, block_places: int,
                     p: Providers) -> tuple[float, float, float]:
    """exp(appeal) of a provider within its type (:func:`provider_appeal`) to people choosing for
    themselves and to the council, and to the council at the type level, where its block-contract
    preference is left out (it decides only between providers of a type)."""
    return (math.exp(provider_appeal(rating, price, ref_price, block_places, False, p)),
            math.exp(provider_appeal(rating, price, ref_price, block_places, True, p)),
            math.exp(provider_appeal(rating, price, ref_price, 0, True, p)))


def has_place(clients: int, capacity: int) -> bool:
    """Whether a provider has a free place: it accepts applicants while it has one."""
    return clients < capacity


def free_places(clients: int, capacity: int) -> int:
    """A provider's free places (none when it is full or over capacity)."""
    return max(capacity - clients, 0)


def admit(clients: int, capacity: int, own: bool) -> tuple[int, bool]:
    """A provider's answer to one applicant in a round of matching: it takes them while it has a
    free place (:func:`has_place`), and has one more client, unless the applicant is a top-up slot
    whose package it already serves (``own``: a second place with the same provider would get round
    its type's hours cap); a refused applicant tries again in the next round. Returns (the
    provider's clients after, whether it took them)."""
    if has_place(clients, capacity) and not own:
        return clients + 1, True
    return clients, False


def round_market(exp_appeal: np.ndarray, exp_level: np.ndarray, clients: np.ndarray, capacity: np.ndarray,
                 group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The market as the seekers see it at the start of a round of matching, for each kind of
    chooser ``k`` (0: people choosing for themselves, 1: the council): the open providers, in
    (council, type) ``group`` order (group = council x 4 + type), with their exp(appeal) within
    their type ``exp_appeal[k]`` and at the type level ``exp_level[k]`` (:func:`provider_weights`);
    only those with a free place (``clients`` under ``capacity``, :func:`has_place`) count.

    Returns, for each ``k``, the cumulative exp(appeal) over the providers (``cum[k, i + 1]`` sums the
    first ``i + 1``; a full provider weighs 0), each group's sum of those weights (``total[k]``),
    and each group's mean exp(appeal at the type level) over its providers with a free place
    (``level[k]``; 0 where none is free): the market :func:`application` draws from."""
    n = clients.size
    cum = np.zeros((2, n + 1))
    total = np.zeros((2, n_groups))
    level = np.zeros((2, n_groups))
    n_free = np.zeros(n_groups)
    for i in range(n):
        free = has_place(clients[i], capacity[i])
        g = group[i]
        for k in range(2):
            w = exp_appeal[k, i] * free
            cum[k, i + 1] = cum[k, i] + w
            total[k, g] += w
            level[k, g] += exp_level[k, i] * free
        n_free[g] += free
    for k in range(2):
        for g in range(n_groups):
            if level[k, g] > 0:
                level[k, g] = level[k, g] / n_free[g]
    return cum, total, level


def beyond_free_places(left: float) -> tuple[bool, float]:
    """Entry signal of one seeker wanting a type of which ``left`` free places in its council are
    not yet counted against earlier seekers wanting it: unmet demand if none is left; otherwise it
    counts against one of them. Returns (unmet, the free places left)."""
    if left >= 1:
        return False, left - 1
    return True, left


def slots_sought(option: int, provider0: int, provider1: int, budget: float, required: float, top_up: bool,
                 agency0: bool, price0: float, rate: float, max_hours_week0: float) -> tuple[bool, bool, bool]:
    """A living person flagged as seeking a provider, at matching: whether they still are (a
    budget slot of their option has no provider), and whether each slot seeks one this month (it
    has none, and the person has a budget and formal hours to buy). A top-up slot (:func:`slot_mode`)
    lacks a provider only while :func:`needs_top_up` holds (slot 0's provider: ``agency0``,
    ``price0``, its type's ``max_hours_week0``; the council's hourly ``rate``)."""
    lack0 = not in_mode(option, 0, MODE_NONE) and provider0 < 0
    lack1 = not in_mode(option, 1, MODE_NONE, top_up) and provider1 < 0
    if lack1 and is_top_up(option, 1, top_up):
        lack1 = needs_top_up(option, provider0 >= 0, agency0, price0, rate, max_hours_week0, required, budget, top_up)
    if not (lack0 or lack1):
        return False, False, False
    buying = budget > 0 and required > 0
    return True, lack0 and buying, lack1 and buying


def draw_type(weight: np.ndarray | tuple, scale: np.ndarray | tuple, u: float) -> int:
    """Provider type drawn with probability proportional to ``weight[t] x scale[t]`` by inverse CDF
    with the uniform ``u``: the number of the first three cumulative weights at or below ``u`` x the
    total, so a type of weight 0 is never drawn (as :func:`model.rules.choice.logit_draw`)."""
    total = 0.0
    for t in range(N_TYPES):
        total += weight[t] * scale[t]
    target = u * total
    cum = 0.0
    pick = 0
    for t in range(N_TYPES - 1):
        cum += weight[t] * scale[t]
        if cum <= target:
            pick += 1
    return pick


#: Scale of :func:`draw_type` for a draw by type appeal alone.
_BY_APPEAL_ALONE = np.ones(N_TYPES)


def wanted_type(type_weight: np.ndarray | tuple, words: tuple) -> tuple[int, tuple]:
    """Entry signal: the provider type a seeker wants, by logit over type appeal alone (weights
    ``type_weight``: :func:`type_weights`), with a uniform from the stream ``words``. Returns (type,
    the stream's next words)."""
    u, words = stream.next_uniform(words)
    return draw_type(type_weight, _BY_APPEAL_ALONE, u), words


def application(type_weight: np.ndarray | tuple, level: np.ndarray, start: np.ndarray, cum: np.ndarray,
                total: np.ndarray, words: tuple) -> tuple[int, int, tuple]:
    """One seeker's application in a round of matching, given its council's market as its kind of
    chooser (the person or the council) sees it: ``level[t]``, the mean exp(appeal at the type
    level) over the council's providers of type ``t`` with a free place (0: none free); the
    cumulative exp(appeal) ``cum`` of the providers in the pass's order (a full provider weighs 0),
    where the type's providers are positions ``start[t]`` to ``start[t + 1] - 1``; and ``total[t]``,
    the type's sum of those weights.

    The seeker picks a type by logit over (type appeal + log ``level``), drawn with the weights
    ``type_weight`` (:func:`type_weights`) x ``level`` (the same probabilities), then a provider of
    that type with probability proportional to exp(appeal), each with a uniform from the stream
    ``words``. Returns (type, the provider's position, the stream's next words); (-1, -1, words),
    drawing nothing, when no type it may buy has a free place."""
    any_free = False
    for t in range(N_TYPES):
        any_free = any_free or type_weight[t] * level[t] > 0
    if not any_free:
        return -1, -1, words
    u, words = stream.next_uniform(words)
    t = draw_type(type_weight, level, u)
    u, words = stream.next_uniform(words)
    target = cum[start[t]] + u * total[t]
    i = np.searchsorted(cum, target, side="right") - 1
    return t, min(max(i, start[t]), start[t + 1] - 1), words


def provider_appeal(rating: np.ndarray | float, price: np.ndarray | float, ref_price: np.ndarray | float,
                    block_places: np.ndarray | int, council_mode: bool, p: Providers) -> np.ndarray:
    """Appeal of a provider within its type. People weigh ratings and price; the council weighs
    price and whether the provider holds one of its block contracts."""
    rel_price = price / ref_price - 1.0
    if council_mode:
        return p.block_bonus * (block_places > 0) - p.beta_price * rel_price
    return p.beta_rating * rating - p.beta_price * rel_price


def hours_bought(required: np.ndarray | float, budget: np.ndarray | float, share: np.ndarray | float,
                 price: np.ndarray | float, max_hours_week: np.ndarray | float) -> np.ndarray:
    """Hours a slot buys in a month: its share of the need, limited by its share of the budget at
    the provider's price and by the most a client can get from that type."""
    affordable = budget * share / at_least(price, 1e-9)
    return at_most(at_most(required * share, affordable), max_hours_week * WEEKS_PER_MONTH)


def per_hour(value: np.ndarray | float, max_hours_week: np.ndarray | float) -> np.ndarray:
    """A provider type's value per full place (its respite, its wellbeing bonus) per hour bought: a
    full place is ``max_hours_week`` hours a week."""
    return value * (1.0 / (max_hours_week * WEEKS_PER_MONTH))


def block_payment(places: int, price: float, place_hours: float) -> float:
    """A month's payment for a provider's block-contracted places, whatever the attendance:
    ``place_hours`` a week per place at the provider's price."""
    return places * price * place_hours * WEEKS_PER_MONTH


def slot_payment(option: int, slot: int, cost: float, credit: float, top_up: bool) -> tuple[float, float, float]:
    """Who pays for one budget slot's purchase (ODD 7.6): (the council's spend on the person's option,
    paid into their direct-payment account, spent from it). A direct-payment slot's ``credit`` is
    paid into the account and its ``cost`` spent from there; any other slot's ``cost`` the council
    pays the provider itself."""
    if in_mode(option, slot, MODE_DIRECT, top_up):
        return credit, credit, cost
    return cost, 0.0, 0.0


def book_payments(services: np.ndarray, paid: np.ndarray, spent: np.ndarray, by_option: np.ndarray,
                  dp_paid: np.ndarray, dp_spent: np.ndarray, direct_paid: np.ndarray) -> None:
    """Add a month's purchases, summed by council (``services`` by council and option code, 0 for
    none; ``paid`` into and ``spent`` from direct-payment accounts), to the ledger's figures: spend
    by council and Option 1-4, money into and out of accounts, and what the council paid providers
    directly (all spend on services but what went into accounts)."""
    for c in range(services.shape[0]):
        total = 0.0
        for j in range(1, services.shape[1]):
            by_option[c, j - 1] += services[c, j]
            total += services[c, j]
        dp_paid[c] += paid[c]
        dp_spent[c] += spent[c]
        direct_paid[c] += total - paid[c]


def slot_terms(option: int, slot: int, required: float, budget: float, direct_share: float, top_up: bool,
               got: float, spent: float) -> tuple[float, float, float]:
    """What one budget slot of a package buys with (ODD 7.6): (the formal hours it is to cover a
    month, the money it may spend, the credit paid into the person's direct-payment account). A
    slot holds its share of the ``required`` hours and of the ``budget``
    (:func:`slot_share`), a direct-payment slot's money paid into the account. A top-up slot
    (:func:`is_top_up`) covers the hours slot 0 did not give (``got``) with the money it did not
    spend (``spent``: its hours at the price paid); nothing more is paid into the account, which
    the whole budget went into with slot 0."""
    if is_top_up(option, slot, top_up):
        return at_least(required - got, 0.0), at_least(budget - spent, 0.0), 0.0
    share = slot_share(option, slot, direct_share)
    money = budget * share
    return required * share, money, money if in_mode(option, slot, MODE_DIRECT) else 0.0


def buy_slot(option: int, slot: int, need: float, money: float, credit: float, balance: float,
             price: float, max_hours_week: float, respite_per_hour: float, bonus_per_hour: float, block_free: bool,
             agency: bool, rate: float, staffed: float, top_up: bool
             ) -> tuple[float, float, float, float, float, bool, float, float, float]:
    """Purchasing (ODD 7.6) in one budget slot of a person's package, with the slot's terms
    (:func:`slot_terms`: the formal hours it is to cover, ``need``; the ``money`` it may spend; the
    ``credit`` paid into the person's account), from the slot's provider at its ``price`` (a type
    capped at ``max_hours_week`` hours a week; an empty slot has price and cap 0 and buys nothing),
    or at the council's hourly ``rate`` where the council pays an ``agency`` for it
    (:func:`price_paid`).

    The slot wants :func:`hours_bought` and gets them up to the hours the provider's staff can
    still deliver this month (``staffed``; people are served in row order). The hours bring the
    type's respite to the carer and wellbeing bonus to the person in proportion
    (``respite_per_hour``, ``bonus_per_hour``: :func:`per_hour`). A council-arranged
    slot at a provider with a block-contracted place not yet taken this month (``block_free``;
    people take them in row order) takes it and costs nothing more (the block is paid in full:
    :func:`block_payment`); otherwise the hours cost the price. A direct-payment slot's credit is
    paid into the person's account whether or not it is spent, and the account pays the provider,
    at most the slot's money.
    Returns (hours, respite, wellbeing bonus, what the provider is paid, the account's ``balance``
    after, whether a block place was taken, the hours wanted, the hours the provider's staff can
    still deliver after, the hours' value at the price paid)."""
    price = price_paid(option, slot, agency, price, rate, top_up)
    wanted = hours_bought(need, money, 1.0, price, max_hours_week)
    hours = min(wanted, staffed)
    cost = hours * price
    value = cost
    takes_block = block_free and in_mode(option, slot, MODE_COUNCIL, top_up)
    if takes_block:
        cost = 0.0
    if in_mode(option, slot, MODE_DIRECT, top_up):
        cost = min(cost, money)
        value = cost
        balance = balance + (credit - cost)
    return (hours, respite_per_hour * hours, bonus_per_hour * hours, cost, balance, takes_block, wanted,
            staffed - hours, value)


def top_up_change(option: int, held0: bool, held1: bool, agency0: bool, price0: float, rate: float,
                  max_hours_week0: float, required: float, budget: float, top_up: bool) -> tuple[bool, bool]:
    """After a month's purchase, a package with a top-up slot (:func:`is_top_up`): its second
    provider is let go once :func:`needs_top_up` no longer holds (slot 0's provider ``held0``: an
    ``agency0`` or not, its ``price0``, its type's ``max_hours_week0``; the council's hourly
    ``rate``), and one is sought (from next month's matching) when it does and there is none
    (``held1``). Returns (let go, seek)."""
    if not is_top_up(option, 1, top_up):
        return False, False
    needed = needs_top_up(option, held0, agency0, price0, rate, max_hours_week0, required, budget, top_up)
    return held1 and not needed, needed and not held1
