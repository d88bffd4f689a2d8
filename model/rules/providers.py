"""Providers (ODD 7.9): cost structures, reserves, prices, capacity, exit and entry.

Four types with distinct cost structures: day centres (building-based, high fixed cost, places),
home-care agencies (office overhead, hourly staff), personal assistants (self-employed, almost no
fixed cost, one or two employers) and community groups (low fixed cost, short sessions). Each
month income (block contracts and spot purchases) minus fixed and variable cost moves reserves;
a provider whose reserves stay negative for ``exit_after_months`` exits and its clients are
displaced. Entrants appear where demand goes unanswered: people seeking a provider whose wanted
type (a logit draw over type appeal) has no free place in their council, when the expected margin
(plus any market-shaping grant spread over a year) is positive. The seeds: day centres "need more customers
to stay viable" once block income is replaced by spot purchasing.

The care labour market (``providers.workforce``): a home-care agency's cost per hour is the
care-worker wage with paid travel time, on-costs and mileage (:func:`cost_per_hour`, the UKHCA
costing model); its care workers (``staff``) bound the hours it delivers (7.6); each month some
leave (turnover) and it recruits for its vacancies from its council's labour supply, which scales
with the council's adults (:func:`recruitment`, :func:`hiring_fill`, :func:`hired`). Where the
council sets an hourly rate below an agency's cost per hour, the agency hands council-paid
packages back (:func:`handback_hazard`, :func:`hands_back`): the client seeks a provider again.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model import stream
from model.codes import AGENCY, N_SLOTS
from model.rules.arith import at_least, at_most, where
from model.rules.budgets import WEEKS_PER_MONTH
from model.rules.market import council_paid
from model.scenario import DayCentre, Providers, ProviderType


def operating_result(income: np.ndarray | float, hours: np.ndarray | float, variable_cost: np.ndarray | float,
                     fixed_cost: np.ndarray | float) -> np.ndarray:
    """Monthly surplus: income less variable cost per hour delivered less fixed cost."""
    return income - variable_cost * hours - fixed_cost


def next_price(price: np.ndarray | float, occupancy: np.ndarray | float, variable_cost: np.ndarray | float,
               ref_price: np.ndarray | float, p: Providers) -> np.ndarray:
    """Full books (occupancy >= ``price_rise_occupancy``) raise the price, up to ``max_price_markup``
    above the type's starting price; books below ``price_cut_occupancy`` lower it, never below
    variable cost x (1 + ``price_floor_markup``). With ``price_return``, books in between (spare
    places, but not below ``price_cut_occupancy``) lower a price above the type's starting price
    (``ref_price``, the going rate) back towards it, so that a rise under full books is undone once
    the books are no longer full."""
    up = at_least(at_most(price * (1 + p.price_adjust), ref_price * (1 + p.max_price_markup)), price)
    down = at_least(price * (1 - p.price_adjust), variable_cost * (1 + p.price_floor_markup))
    back = at_most(price, at_least(price * (1 - p.price_adjust), ref_price))
    spare = where(p.price_return, back, price)
    cut = where(occupancy < p.price_cut_occupancy, at_most(price, down), spare)
    return where(occupancy >= p.price_rise_occupancy, up, cut)


def most_places(people: np.ndarray | int) -> np.ndarray:
    """The most places a provider could ever fill in a council of ``people`` living people: one for
    each of their budget slots (people buy from the providers of their own council only)."""
    return N_SLOTS * people


def next_capacity(capacity: np.ndarray | int, occupancy: np.ndarray | float, profit: np.ndarray | float,
                  growth: np.ndarray | float, people: np.ndarray | int, clients: np.ndarray | int,
                  opening: np.ndarray | int, p: Providers) -> np.ndarray:
    """Providers that are full (occupancy >= ``growth_occupancy``) and in surplus grow by ``growth``
    of their capacity, but not beyond the places they could ever fill in their council of
    ``people`` living people (:func:`most_places`). Providers using fewer than
    ``shrink_occupancy`` of their places give up ``growth`` of their capacity, but keep their
    ``clients`` and the places a new provider of their type opens with (``opening``): places follow
    demand both ways (with ``shrink_occupancy`` 0, capacity never shrinks). (Unbounded, growth at
    the top of its range doubles capacity every month.)"""
    step = np.ceil(growth * capacity)
    grow = (occupancy >= p.growth_occupancy) & (profit > 0)
    grown = at_least(at_most(capacity + where(grow, step, 0.0), most_places(people)), capacity)
    shrunk = at_most(capacity, at_least(capacity - step, at_least(clients, opening)))
    return where(occupancy < p.shrink_occupancy, shrunk, grown)


def opening_places(capacity: np.ndarray | int, places: np.ndarray | float, wanted: np.ndarray | float,
                   growth: np.ndarray | float, people: np.ndarray | int, p: Providers) -> np.ndarray:
    """Starting market at its demand (``opening_at_demand``): the places of a provider with
    ``capacity`` places, of a type that grows (``growth`` above 0) and has ``places`` places in its
    council where ``wanted`` starting clients are expected to want it, raised in proportion so that
    the type's occupancy would be ``growth_occupancy``: the places its growth would have added. As
    growth, not beyond the places it could fill in its council of ``people`` living people
    (:func:`most_places`); it keeps its capacity where the type already has enough."""
    short = (growth > 0) & (wanted > p.growth_occupancy * places) & (places > 0)
    scale = wanted / at_least(p.growth_occupancy * places, 1e-9)
    raised = at_least(at_most(np.ceil(capacity * scale), most_places(people)), capacity)
    return where(p.opening_at_demand & short, raised, capacity)


def next_neg_months(reserves: np.ndarray | float, neg_months: np.ndarray | int) -> np.ndarray:
    """Consecutive months with negative reserves."""
    return where(reserves < 0, neg_months + 1, 0)


def exits(neg_months: np.ndarray | int, p: Providers) -> np.ndarray:
    """Providers exit after ``exit_after_months`` months of negative reserves."""
    return neg_months >= p.exit_after_months


def council_closes(occupancy: float, low_months: int, month: int, close_month: int, close_below: float,
                   close_after: int) -> tuple[int, bool]:
    """The council's decision on one of its own (in-house) day centres in model ``month`` (the run's
    month ``month + 1``, as the outputs count): months in a row with ``occupancy`` below
    ``close_below`` are counted; it closes the centre in the run's month ``close_month`` (0: none set)
    or once ``close_after`` such months have passed (``close_below`` 0: never for low occupancy). No
    decision is taken in the spin-up (months below 0). Returns (the months below, whether it closes)."""
    low = int(low_months) + 1 if occupancy < close_below else 0
    if month < 0:
        return low, False
    return low, (0 < close_month <= month + 1) or (close_below > 0.0 and low >= close_after)


class Books(NamedTuple):
    """One open provider as its month (:func:`provider_month`) finds it: the month's ``income`` and
    the ``hours`` it delivered, its ``reserves`` and months in deficit (``neg_months``), its
    ``clients``, places (``capacity``), ``price`` and ``fixed_cost``; whether it is a council's own
    centre (``in_house``), its months below its council's occupancy threshold (``low_months``) and
    the run's month its council closes it (``close_month``, 0: none set)."""

    income: float
    hours: float
    reserves: float
    neg_months: int
    clients: int
    capacity: int
    price: float
    fixed_cost: float
    in_house: bool
    low_months: int
    close_month: int


class Setting(NamedTuple):
    """What a provider's month (:func:`provider_month`) reads beyond its own books: its type's
    ``variable_cost``, starting price (``ref_price``), ``growth`` and opening places (``opening``);
    the ``people`` living in its council and the council's rule for closing its own centres
    (``close_below``, ``close_after``: :func:`council_closes`); the model's ``month``."""

    variable_cost: float
    ref_price: float
    growth: float
    opening: int
    people: int
    close_below: float
    close_after: int
    month: int


def provider_month(b: Books, s: Setting, p: Providers) -> tuple[float, float, int, float, int, int, float, bool]:
    """One open provider's month (ODD 7.9), after purchasing, from its books ``b`` and its setting
    ``s``: the month's income less the cost of the hours delivered and its fixed cost
    (:func:`operating_result`) is its result.

    An independent provider's result moves its reserves; months of negative reserves are counted
    (:func:`next_neg_months`); the price follows occupancy (clients over places,
    :func:`next_price`, against the type's starting price); a full provider in surplus grows
    and an under-used one shrinks (:func:`next_capacity`, with the people living in its council
    and its type's opening places); it exits on insolvency (:func:`exits`).
    A council's own centre (``in_house``) is the council's: its spend meets the result (the council's
    cost is minus the result), its reserves, price and places stay as they are, and it closes by the
    council's decision (:func:`council_closes`, with its months below the threshold).
    Returns (the month's result, reserves, months in deficit, price, capacity, months below the
    council's threshold, the council's cost, whether it closes)."""
    profit = operating_result(b.income, b.hours, s.variable_cost, b.fixed_cost)
    occupancy = b.clients / max(b.capacity, 1)
    if b.in_house:
        low, closes = council_closes(occupancy, b.low_months, s.month, b.close_month, s.close_below, s.close_after)
        return profit, b.reserves, 0, float(b.price), int(b.capacity), low, -profit, closes
    reserves = b.reserves + profit
    neg = int(next_neg_months(reserves, b.neg_months))
    price = next_price(b.price, occupancy, s.variable_cost, s.ref_price, p)
    capacity = int(next_capacity(b.capacity, occupancy, profit, s.growth, s.people, b.clients, s.opening, p))
    return profit, reserves, neg, float(price), capacity, 0, 0.0, bool(exits(neg, p))


def named_centre(spec: DayCentre, t: ProviderType, scale: float) -> tuple[int, float, float, int, int]:
    """A named day centre (``councils.N.day_centres``) in the model's units: its attendees when full
    (:meth:`~model.scenario.DayCentre.attendees`), fixed cost, block places and attendance at the
    start, each times the council's ``scale`` (simulated people per real one; places rounded half to
    even, at least one place), and its price per hour: the price of a day over the hours of a day
    (the type's ``max_hours`` a week over the days an attendee comes). Returns (capacity, price per
    hour, fixed cost, block places, attendance)."""
    capacity = max(1, round(spec.attendees() * scale))
    price = spec.price * spec.days_per_attendee / t.max_hours
    return (capacity, price, spec.fixed_cost * scale, min(round(spec.block_places * scale), capacity),
            min(round(spec.attendance * scale), capacity))


def expected_margin(t: ProviderType, clients: float, hours_per_client: float) -> float:
    """Monthly margin an entrant expects from ``clients`` clients of ``hours_per_client`` hours."""
    hours = min(hours_per_client, t.max_hours * WEEKS_PER_MONTH)
    return (t.price - t.variable_cost) * hours * clients - t.fixed_cost


def entry_limit(people: int, p: Providers) -> int:
    """The most potential entrants a month, per type, in a council of ``people`` living people:
    ``max_entries_per_1000`` per 1,000 of them (rounded up), so that entry scales with the size of
    the market."""
    return int(np.ceil(p.max_entries_per_1000 * people / 1000.0))


def potential_entrants(unmet: int, capacity: int, u: float) -> int:
    """Potential entrants for ``unmet`` people wanting a type with ``capacity`` places each:
    ``unmet / capacity`` rounded down, plus one with the chance of its fraction (the uniform ``u``),
    so that the expected number is ``unmet / capacity`` exactly. Entry is linear in the unmet
    demand, and so scale invariant: a count threshold or rounding up would favour small markets,
    where the monthly count is noisier (ODD 7.9)."""
    whole = unmet // capacity
    return whole + int(u < unmet / capacity - whole)


def entrants(unmet: int, mean_hours: float, t: ProviderType, p: Providers, grant: float, people: int,
             rng: np.random.Generator) -> int:
    """Entrants of one type in one council of ``people`` living people this month: if people
    wanting this type were left unmatched and the margin (plus a grant spread over 12 months) is
    positive, each of the :func:`potential_entrants` (drawn with a uniform), at most the council's
    :func:`entry_limit`, enters with ``entry_probability``."""
    if unmet <= 0:
        return 0
    margin = expected_margin(t, min(unmet, t.capacity), mean_hours) + grant / 12.0
    if margin <= 0:
        return 0
    potential = potential_entrants(unmet, t.capacity, float(rng.random()))
    return int(rng.binomial(min(entry_limit(people, p), potential), p.entry_probability))


def breakeven_occupancy(fixed_cost: np.ndarray | float, capacity: np.ndarray | int,
                        hours_per_client: np.ndarray | float, price: np.ndarray | float,
                        variable_cost: np.ndarray | float, block_places: np.ndarray | int = 0,
                        place_hours: np.ndarray | float = 0.0) -> np.ndarray:
    """Occupancy above which a centre is in surplus, given its current block contracts.

    With B block places paid in full (``place_hours`` hours each at ``price``), clients filling
    them first, and each further client paying ``hours_per_client`` hours at ``price``:
    income(c) = B p H + max(0, c - B) p h and cost(c) = fixed + v h c. If block income covers the
    cost with every block place filled, the centre is in surplus at any occupancy: break-even 0.
    Otherwise it needs c* = B + (fixed + v h B - B p H) / ((p - v) h) clients. Without block
    contracts this is the spot break-even fixed / ((p - v) h). Returned as c* / capacity; it can
    exceed 1 (a centre that cannot break even even when full)."""
    p, v, h = np.asarray(price, dtype=float), np.asarray(variable_cost, dtype=float), np.asarray(hours_per_client)
    B = np.asarray(block_places, dtype=float)
    shortfall = fixed_cost + v * h * B - B * p * place_hours  # result with the block places full
    clients = np.where(shortfall <= 0, 0.0, B + shortfall / np.maximum((p - v) * h, 1e-9))
    return clients / np.maximum(np.asarray(capacity, dtype=float), 1.0)


# ------------------------------------------------------------------ the care labour market
def cost_per_hour(wage: float, travel_time_share: float, on_cost_share: float, mileage: float) -> float:
    """An agency's cost of one contact hour (the UKHCA costing model): the wage for the hour and its
    paid travel time, the on-costs on that gross pay (national insurance, holiday, training,
    pension), and mileage."""
    return wage * (1.0 + travel_time_share) * (1.0 + on_cost_share) + mileage


def worker_hours(p: Providers) -> float:
    """Contact hours a care worker delivers in a month."""
    return p.contact_hours_per_worker * WEEKS_PER_MONTH


def monthly_leaving(p: Providers) -> float:
    """Share of an agency's care workers leaving in a month: 1 - (1 - turnover_rate)^(1/12)."""
    return 1.0 - (1.0 - p.turnover_rate) ** (1.0 / 12.0)


def recruitment_share(p: Providers) -> float:
    """Share of its vacancies an agency fills in a month when the labour supply is ample: the share
    f that makes ``vacancy_rate`` the steady state with the monthly leaving share l
    (staff S of N posts: S = S (1 - l) + f (N - S (1 - l)) at S = (1 - v) N, so
    f = 1 - v / (l + v (1 - l))). With no turnover or no vacancies published: all of them."""
    leave, v = monthly_leaving(p), p.vacancy_rate
    if leave <= 0.0 or v <= 0.0:
        return 1.0
    return 1.0 - v / (leave + v * (1.0 - leave))


def steady_staff(posts: np.ndarray | float, p: Providers) -> np.ndarray | float:
    """Care workers an agency with ``posts`` posts holds in the steady state: (1 - vacancy_rate) of them."""
    return posts * (1.0 - p.vacancy_rate)


def labour_supply(adults: np.ndarray | float, scale: np.ndarray | float, p: Providers) -> np.ndarray | float:
    """A council's care workers willing to work in home care: ``workers_per_1000_adults`` per 1,000
    of its ``adults``, in the model's units (times its ``scale``, simulated people per real one)."""
    return p.workers_per_1000_adults * adults / 1000.0 * scale


def opening_staff(t: ProviderType, clients: float, hours_per_client: float, p: Providers) -> float:
    """Care workers an entrant agency recruits before it opens: the steady state's
    (:func:`steady_staff`) for the hours of the ``clients`` it expects (as :func:`expected_margin`)."""
    return steady_staff(min(hours_per_client, t.max_hours * WEEKS_PER_MONTH) * clients / worker_hours(p), p)


def pool_fill(free: float, wanting: float) -> float:
    """Share of the care workers the agencies of a council want to hire that its labour pool
    allows: all while the ``free`` workers (its labour supply less those employed) cover them."""
    if wanting <= free:
        return 1.0
    return max(free, 0.0) / wanting


def recruitment(staff: float, wanted: float, p: Providers) -> tuple[float, float, float, float]:
    """One agency's month in the labour market, before hiring: its posts are the care workers the
    hours its clients ``wanted`` this month need (:func:`worker_hours`); of its ``staff``, those not
    leaving (:func:`monthly_leaving`) stay; it seeks to fill :func:`recruitment_share` of the posts
    left vacant. Returns (the staff staying, the staff leaving, posts, the care workers it seeks to
    hire)."""
    posts = wanted / worker_hours(p)
    stay = staff * (1.0 - monthly_leaving(p))
    return stay, staff - stay, posts, max(posts - stay, 0.0) * recruitment_share(p)


def hiring_fill(free: float, leaving: float, seeking: float) -> float:
    """Share of the care workers a council's agencies seek this month (``seeking``) that they hire:
    its labour pool is its ``free`` care workers (before the month's leavers) and those ``leaving``
    its agencies this month (:func:`recruitment`), who may be hired again (:func:`pool_fill`)."""
    return pool_fill(free + leaving, seeking)


def hired(stay: float, seeking: float, posts: float, fill: float) -> tuple[float, float]:
    """An agency's staff after hiring the share ``fill`` (:func:`pool_fill`) of the ``seeking``
    care workers it sought, and its vacancies then (posts not filled). Returns (staff, vacancies)."""
    staff = stay + seeking * fill
    return staff, max(posts - staff, 0.0)


def handback_hazard(cost: float, rate: float, p: Providers) -> float:
    """Monthly chance that an agency with ``cost`` per hour hands back a package its council pays
    for at the hourly ``rate`` (0: the council sets none): ``handback_rate`` x the shortfall
    1 - rate / cost, at most 1; none when the rate covers the cost."""
    if rate <= 0.0 or rate >= cost:
        return 0.0
    return min(1.0, p.handback_rate * (1.0 - rate / cost))


def hands_back(option: int, slot: int, ptype: int, hazard: float, top_up: bool,
               words: tuple) -> tuple[bool, bool, tuple]:
    """Whether the provider (of type ``ptype``) of a person's budget ``slot`` hands the package back
    this month: only an agency, only a package its council pays for (:func:`model.rules.market.council_paid`;
    ``top_up``: ``providers.top_up``), only under a positive ``hazard`` (:func:`handback_hazard`); then
    with that chance, a uniform from the stream ``words``. Returns (whether a uniform was drawn,
    whether it hands back, the stream's next words)."""
    if ptype != AGENCY or hazard <= 0.0 or not council_paid(option, slot, top_up):
        return False, False, words
    u, words = stream.next_uniform(words)
    return True, u < hazard, words
