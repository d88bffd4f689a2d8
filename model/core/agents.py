"""The agents: Person, Carer, Provider and Council (Mesa agents).

People, carers and providers are thin: their state lives in one row of the model's arrays
(:mod:`model.core.state`), and each attribute here reads or writes that row. This keeps Mesa's view
(``model.agents``) and the ODD description true while letting the vectorised engine work on whole
columns. The per-agent reference engine (:mod:`model.engines.reference`) calls the methods below one
agent at a time; each method applies a rule of the ODD to this one agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from model import stream
from model.codes import AGENCY, MODE_NONE, N_SLOTS, NO_PROVIDER
from model.rules import budgets, carers, choice, demography, market, outcomes, providers, rollout
from model.scenario import Council as CouncilSpec

if TYPE_CHECKING:
    from model.core.economy import CareEconomy


class Column:
    """Attribute that reads and writes the owner's row of a state table."""

    def __init__(self, table: str = "people") -> None:
        self.table = table

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj.model, self.table), self.name)[obj.row]

    def __set__(self, obj: Any, value: Any) -> None:
        getattr(getattr(obj.model, self.table), self.name)[obj.row] = value


class Person(mesa.Agent):
    """A person eligible (or once eligible) for social care."""

    model: CareEconomy
    alive = Column()
    council = Column()
    group = Column()
    age_band = Column()
    quintile = Column()
    confidence = Column()
    dc_affinity = Column()
    need = Column()
    eligible = Column()
    budget = Column()
    offered = Column()
    option = Column()
    review_in = Column()
    supported = Column()
    dp_balance = Column()
    required = Column()
    delivered = Column()
    met_need = Column()
    wellbeing = Column()
    satisfaction = Column()
    low_sat = Column()
    carer_hours = Column()
    carer_credit = Column()
    respite = Column()
    control = Column()
    burden = Column()
    seeking = Column()
    waiting = Column()
    chose_at = Column()
    chose_need = Column()
    chose_carer = Column()
    moved_at = Column()

    def __init__(self, model: CareEconomy, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def over65(self) -> bool:
        return bool(demography.is_over65(self.age_band))

    @property
    def providers(self) -> np.ndarray:
        return self.model.people.provider[self.row]

    # ---- 1. demography
    def live_month(self, words: tuple, mortality: np.ndarray) -> tuple[bool, tuple]:
        """This month's demography (:func:`model.rules.demography.person_month`), drawing from the
        stream ``words``, ``mortality`` the departure hazard's multiplier by quintile
        (:func:`model.rules.demography.mortality_gradient`): whether the person leaves, and the
        stream's next words. One who stays has their need, formal hours and age band (and so
        breakdown cell) updated."""
        m = self.model
        leaves, need, required, band, words = demography.person_month(
            float(self.need), int(self.group), int(self.age_band), float(mortality[self.quintile]),
            float(self.carer_credit), m.config.budgets.hours_per_point, m.config.demography, words)
        if not leaves:
            self.need, self.required = need, required
            if band != self.age_band:
                self.age_band = band
                m.set_cell(np.array([self.row]))
        return bool(leaves), words

    def count_down(self) -> bool:
        """The rollout reaches the person or not, and their next review comes a month closer
        (:func:`model.rules.rollout.review_countdown`); whether a review is due."""
        m = self.model
        self.offered, self.review_in, due = rollout.review_countdown(
            bool(self.offered), float(m.people.offer_rank[self.row]), int(self.review_in),
            float(m.offered_shares()[self.council]), m.offer_moved(), int(m.interval[self.council]))
        return bool(due)

    # ---- 3. reviews
    def wait(self) -> None:
        """Held on the council's waiting list (:func:`model.rules.rollout.wait`)."""
        self.waiting, self.review_in = rollout.wait(int(self.waiting))

    def review(self) -> tuple[bool, bool]:
        """Reassessment (:func:`model.rules.rollout.review`): DP clawback (to the council's ledger),
        then eligibility and budget; losing eligibility ends the package and the provider
        relationships. Returns (eligible, whether they choose this month)."""
        m, L, c = self.model, self.model.ledger, self.council
        council = m.councils[c]
        (claw, column, self.dp_balance, self.waiting, eligible, self.budget, self.option, self.control, self.burden,
         self.supported, ends, chooses) = rollout.review(
            int(self.option), float(self.dp_balance), float(self.budget), float(self.control), float(self.burden),
            bool(self.supported), bool(self.offered), float(self.need), float(self.carer_credit),
            float(council.threshold), float(council.rate), m.config.choice.option4_direct_share, m.config.budgets)
        self.eligible = bool(eligible)
        if column >= 0:
            L.clawback[c] += claw
            L.services_by_option[c, column] -= claw
        if ends:
            m.release(np.array([self.row]))
        return bool(eligible), bool(chooses)

    # ---- 5. option choice
    def decide(self, words: tuple) -> tuple[int, int, bool, tuple]:
        """The decision at review to keep or change (:func:`model.rules.choice.review_decision`),
        with what the person's peers show (:data:`model.rules.choice.ABSENT_PEER` for a peer who
        has left), drawing from the stream ``words``. Returns (option, what prompted them, whether
        they chose, the stream's next words)."""
        m, P, ch = self.model, self.model.people, self.model.config.choice
        shown = [(int(P.option[q]), float(P.satisfaction[q]), int(P.moved_at[q])) if q >= 0 and P.alive[q]
                 else choice.ABSENT_PEER for q in P.peers[self.row].tolist()]
        c = self.council
        option, why, chose, words = choice.review_decision(
            [s[0] for s in shown], [s[1] for s in shown], [s[2] for s in shown], int(self.option), int(self.chose_at),
            float(self.satisfaction), float(self.need), float(self.chose_need), bool(self.chose_carer),
            float(self.carer_hours), bool(self.supported), float(self.confidence), self.over65, int(self.group),
            choice.fresh_choice(ch), m.available[c], float(m.reduction[c]), float(m.managed_account[c]),
            m.presentation[c], ch, words)
        return int(option), int(why), bool(chose), words

    def take_decision(self, option: int, why: int, chose: bool) -> None:
        """The decision at review takes effect (:meth:`take_option`), counted in the council's option
        reviews, prompts and changes by prompt and remembered by the person
        (:func:`model.rules.choice.take_decision`)."""
        m, L, c = self.model, self.model.ledger, self.council
        reviewed, prompted, changed, self.chose_at, self.chose_need, self.chose_carer, self.moved_at = (
            choice.take_decision(int(self.option), option, why, chose, m.month, float(self.need),
                                 float(self.carer_hours), int(self.chose_at), float(self.chose_need),
                                 bool(self.chose_carer), int(self.moved_at)))
        L.option_reviews[c] += reviewed
        L.prompted[c] += prompted
        if changed:
            L.changes_by_prompt[c, why] += 1
        self.take_option(option)

    def take_option(self, option: int) -> None:
        """The option chosen (Option 3 for one reviewed but not offered the choice) takes effect
        (:func:`model.rules.choice.take_option`): a changed option ends the provider relationships
        and the person seeks providers for it; the control and felt burden of the option held are
        stored."""
        m, c = self.model, self.council
        self.option, changed, self.control, self.burden = choice.take_option(
            int(self.option), option, float(self.confidence), bool(self.supported), float(m.reduction[c]),
            float(self.carer_hours) > 0, float(m.managed_account[c]), m.config.choice)
        if changed:
            m.release(np.array([self.row]))
            self.seeking = True

    # ---- 6. purchasing
    def buy(self, block_used: np.ndarray,
            staffed: np.ndarray) -> tuple[list[tuple[int, int, float, float, float, float]], float, float, float]:
        """This month's purchase in each budget slot (:func:`model.rules.market.buy_slot`) from the
        slot's provider; a council-arranged slot takes a block place at it if one is left
        (``block_used`` counts those taken, by provider row), and gets at most the hours the
        provider's staff can still deliver (``staffed``, by provider row, less what it gets). The
        person's account balance, hours delivered and respite are updated. Returns each slot's
        (slot, provider row or -1, hours, what the provider is paid, the credit paid into the
        account, the hours wanted), and the hours, respite and wellbeing bonus in all."""
        m, Q = self.model, self.model.providers
        option, required, budget = int(self.option), float(self.required), float(self.budget)
        direct_share = m.config.choice.option4_direct_share
        balance, got, respite, bonus = float(self.dp_balance), 0.0, 0.0, 0.0
        purchases = []
        top_up, value = m.config.providers.top_up, 0.0
        for slot in range(N_SLOTS):
            if market.in_mode(option, slot, MODE_NONE, top_up):
                continue
            q = int(self.providers[slot])
            price = cap = respite_per_hour = bonus_per_hour = 0.0  # an empty slot buys nothing
            if q != NO_PROVIDER:
                t = int(Q.ptype[q])
                price, cap = float(Q.price[q]), float(m.type_maxh[t])
                respite_per_hour = float(market.per_hour(m.type_respite[t], m.type_maxh[t]))
                bonus_per_hour = float(market.per_hour(m.type_bonus[t], m.type_maxh[t]))
            block_free = q != NO_PROVIDER and int(block_used[q]) < int(Q.block_places[q])
            agency = q != NO_PROVIDER and int(Q.ptype[q]) == AGENCY
            need, money, credit = market.slot_terms(option, slot, required, budget, direct_share, top_up, got, value)
            hours, rest, more, cost, balance, took, wanted, left, worth = market.buy_slot(
                option, slot, need, money, credit, balance, price, cap, respite_per_hour, bonus_per_hour,
                block_free, agency, float(m.hourly_rates[self.council]),
                float(staffed[q]) if q != NO_PROVIDER else np.inf, top_up)
            value += float(worth)
            if took:
                block_used[q] += 1
            if q != NO_PROVIDER:
                staffed[q] = left
            purchases.append((slot, q, float(hours), float(cost), float(credit), float(wanted)))
            got += float(hours)
            respite += float(rest)
            bonus += float(more)
        self.dp_balance, self.delivered, self.respite = balance, got, respite
        return purchases, got, respite, bonus

    # ---- 8. outcomes and voice
    def evaluate(self, delivered: float, bonus: float, words: tuple) -> tuple[float, tuple | None, tuple]:
        """Met need and satisfaction this month (:func:`model.rules.outcomes.person_outcome`) with the
        hours ``delivered``, drawing from the stream ``words``; in a month whose quality of life is
        scored (:attr:`~model.core.economy.CareEconomy.score_quality`), wellbeing and the ASCOT domain
        scores (:func:`model.rules.outcomes.quality_of_life`) with the providers' ``bonus``. Returns
        (satisfaction, the domain scores or None, the stream's next words)."""
        m, Q = self.model, self.model.providers
        q0, q1 = (int(q) for q in self.providers)
        o = m.config.outcomes
        main = (q0 != NO_PROVIDER, float(Q.quality[q0]) if q0 != NO_PROVIDER else 0.0,
                q1 != NO_PROVIDER, float(Q.quality[q1]) if q1 != NO_PROVIDER else 0.0)
        z, words = stream.next_normal(words)
        option = int(self.option)
        met, satisfaction = outcomes.person_outcome(option, delivered, float(self.required), *main, z, o)
        self.met_need, self.satisfaction = met, satisfaction
        domains = None
        if m.score_quality:
            self.wellbeing, domains = outcomes.quality_of_life(
                option, met, float(self.control), outcomes.value_of_control(int(self.group), int(self.age_band), o),
                float(self.burden), bonus, float(self.carer_hours) > 0, *main, o)
        return float(satisfaction), domains, words

    def voice(self, satisfaction: float) -> bool:
        """Persistent dissatisfaction (:func:`model.rules.choice.voice`) means switching provider:
        the provider relationships end and the person seeks providers again (and, if offered the
        choice, is reviewed next month). Returns whether they switch."""
        m = self.model
        self.low_sat, switches, due = choice.voice(int(self.option), satisfaction, int(self.low_sat),
                                                   bool(self.offered), int(self.review_in), m.config.choice)
        if switches:
            m.release(np.array([self.row]))
            self.seeking = True
            self.review_in = due
        return bool(switches)

    def first_provider(self) -> tuple[bool, bool, float, float]:
        """Slot 0's provider as the top-up rules read it (:func:`model.rules.market.needs_top_up`):
        (held, an agency, its price, its type's hours cap a week); no provider: (False, False, 0, 0)."""
        m, Q = self.model, self.model.providers
        q0 = int(self.providers[0])
        if q0 == NO_PROVIDER:
            return False, False, 0.0, 0.0
        return True, int(Q.ptype[q0]) == AGENCY, float(Q.price[q0]), float(m.type_maxh[Q.ptype[q0]])

    def top_up(self) -> None:
        """A package with a top-up slot (``providers.top_up``) lets its second provider go, or seeks
        one from next month (:func:`model.rules.market.top_up_change`)."""
        m, Q = self.model, self.model.providers
        held0, agency0, price0, cap0 = self.first_provider()
        q1 = int(self.providers[1])
        let_go, seek = market.top_up_change(int(self.option), held0, q1 != NO_PROVIDER, agency0, price0,
                                            float(m.hourly_rates[self.council]), cap0, float(self.required),
                                            float(self.budget), m.config.providers.top_up)
        if let_go:
            Q.clients[q1] -= 1
            m.people.provider[self.row, 1] = NO_PROVIDER
        if seek:
            self.seeking = True


class Carer(mesa.Agent):
    """The unpaid carer of one person (the row is the cared-for person's)."""

    model: CareEconomy
    carer_hours = Column()
    strain = Column()
    carer_base = Column()
    carer_capacity = Column()
    strained_months = Column()
    carer_credit = Column()
    need = Column()
    review_in = Column()
    required = Column()

    def __init__(self, model: CareEconomy, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def caring(self) -> bool:
        return bool(self.carer_hours > 0)

    def care(self, delivered: float, respite: float, words: tuple) -> tuple[bool, bool, bool, bool, tuple]:
        """The carer's month (:func:`model.rules.carers.carer_month`) after the person got
        ``delivered`` formal hours and ``respite``, drawing from the stream ``words``: hours given,
        strain, and perhaps a breakdown (the person's need rises and a review is due:
        :func:`model.rules.carers.after_breakdown`), or, for one whose carer broke down, a new
        carer. Returns (broke down, crisis admission, replaced, had a short break, the stream's next
        words)."""
        m = self.model
        (self.strain, self.carer_hours, self.carer_capacity, self.strained_months, self.carer_credit, need, broke,
         crisis, replaced, given, words) = carers.carer_month(
            float(self.strain), float(self.carer_hours), float(self.carer_base), float(self.carer_capacity),
            float(self.strained_months), float(self.need), delivered, float(self.required), respite,
            m.config.carers, words)
        if broke:
            self.need = need
            self.review_in, self.required = carers.after_breakdown(float(self.need), float(self.carer_credit),
                                                                   m.config.budgets.hours_per_point)
        return bool(broke), bool(crisis), bool(replaced), bool(given), words


class Provider(mesa.Agent):
    """A day centre, home-care agency, personal assistant or community group."""

    model: CareEconomy
    active = Column("providers")
    ptype = Column("providers")
    council = Column("providers")
    capacity = Column("providers")
    price = Column("providers")
    quality = Column("providers")
    rating = Column("providers")
    reserves = Column("providers")
    neg_months = Column("providers")
    clients = Column("providers")
    block_places = Column("providers")
    hours = Column("providers")
    income = Column("providers")
    profit = Column("providers")
    wanted = Column("providers")
    staff = Column("providers")
    fixed_cost = Column("providers")
    in_house = Column("providers")
    low_months = Column("providers")
    close_month = Column("providers")

    def __init__(self, model: CareEconomy, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def free(self) -> int:
        return int(self.capacity - self.clients)

    # ---- 9. providers
    def month(self, people: int) -> bool:
        """The provider's month after purchasing (:func:`model.rules.providers.provider_month`), with
        its type's variable cost, its own fixed cost and the ``people`` living in its council: result,
        reserves, months in deficit, price and capacity; a council's own centre's cost is added to
        its council's spend and the council decides on it (its closing rule). Returns whether it
        exits (or the council closes it)."""
        m, t, c = self.model, int(self.ptype), int(self.council)
        books = providers.Books(income=float(self.income), hours=float(self.hours), reserves=float(self.reserves),
                                neg_months=int(self.neg_months), clients=int(self.clients),
                                capacity=int(self.capacity), price=float(self.price),
                                fixed_cost=float(self.fixed_cost), in_house=bool(self.in_house),
                                low_months=int(self.low_months), close_month=int(self.close_month))
        setting = providers.Setting(variable_cost=float(m.type_var[t]), ref_price=float(m.type_price[t]),
                                    growth=float(m.type_growth[t]), opening=int(m.type_capacity[t]), people=people,
                                    close_below=float(m.close_below[c]), close_after=int(m.close_after[c]),
                                    month=m.month)
        profit, reserves, neg_months, price, capacity, low, cost, exits = providers.provider_month(
            books, setting, m.config.providers)
        self.profit, self.reserves, self.neg_months = float(profit), float(reserves), int(neg_months)
        self.price, self.capacity, self.low_months = float(price), int(capacity), int(low)
        m.ledger.in_house_cost[c] += cost
        return bool(exits)

    def recruit(self) -> tuple[float, float, float, float]:
        """An agency's month in the labour market before hiring (:func:`model.rules.providers.recruitment`):
        returns (the staff staying, the staff leaving, its posts, the care workers it seeks)."""
        return providers.recruitment(float(self.staff), float(self.wanted), self.model.config.providers)

    def hire(self, stay: float, seeking: float, posts: float, fill: float) -> float:
        """The agency hires the share ``fill`` of the care workers it seeks
        (:func:`model.rules.providers.hired`); returns its vacancies."""
        self.staff, vacancies = providers.hired(stay, seeking, posts, fill)
        return float(vacancies)


class Council(mesa.Agent):
    """A council: assessment policy (its levers), the providers it lets in, and its cash-limited
    budget, reviewed every month (ODD 7.10)."""

    model: CareEconomy
    #: What a council carries from month to month (the engines' docking test copies and compares it).
    STATE = ("policy", "population", "cash", "carried_in", "year_spend", "carry_out", "overspend", "moved",
             "block_level", "block_taken", "block_held")

    def __init__(self, model: CareEconomy, index: int, spec: CouncilSpec) -> None:
        super().__init__(model)
        self.index = index
        self.spec = spec
        self.policy = budgets.starting_policy(model.config.budgets)
        self.population = 0      # people at the start (:meth:`open_books`)
        self.cash = 0.0          # this year's cash limit
        self.carried_in = 0.0    # under- (+) or overspend (-) carried into this year
        self.year_spend = 0.0    # net spend so far this year
        self.carry_out = 0.0     # at a year end: what is carried into the next year (else 0)
        self.overspend = 0.0     # at a year end: the overspend beyond what may be carried (else 0)
        self.moved = 0           # the lever moved this month (budgets.council_month)
        self.block_level = 1.0   # share of its starting block contracts held (rundown = occupancy)
        self.block_taken = 0.0   # block places its attendees took since the last commissioning review
        self.block_held = 0.0    # block places it paid for since then

    @property
    def threshold(self) -> float:
        return self.policy.threshold

    @property
    def rate(self) -> float:
        """The RAS rate used at review (the scenario's, less the council's review reduction)."""
        return budgets.review_rate(self.model.config.budgets.ras_rate, self.policy)

    def open_books(self, population: int) -> None:
        """The council's population (:func:`model.rules.budgets.cash_limit`) and its first year's cash limit."""
        self.population = population
        self.cash = self._cash_limit(0)

    def _cash_limit(self, year: int) -> float:
        f = self.spec.finance
        return budgets.cash_limit(f.cash_per_head, self.population, f.settlement_growth, year)

    def may_spend(self) -> float:
        """The most the council may spend this year: its cash limit, what was carried in, and the
        overspend it may carry out."""
        return self.cash + self.carried_in + self.spec.finance.carry_over_limit * self.cash

    def assessments_allowed(self) -> int:
        """The most people the council assesses this month (-1: no limit)."""
        return budgets.assessments_allowed(self.policy, self.population)

    def entry(self, unmet: np.ndarray, unmet_hours: np.ndarray, people: int) -> None:
        """Entrants (ODD 7.9) of each provider type, in type order, where this month's seekers
        wanted it and found no free place in the council (``unmet`` of them, wanting ``unmet_hours``
        formal hours in all, by type): :func:`model.rules.providers.entrants` of them open (the
        council has ``people`` living people), with the council's market-shaping grant each
        (counted as support spend). Where the council sets an hourly rate for home care, an entrant
        agency expects to be paid it (its expected margin is at the rate). With the workforce on,
        an entrant agency opens with the care workers it recruits for the clients it expects
        (:func:`model.rules.providers.opening_staff`), as far as the council's free care workers
        allow."""
        m, L, p = self.model, self.model.ledger, self.model.config.providers
        grant = self.spec.commissioning.market_shaping_grant
        for t in np.flatnonzero(unmet).tolist():
            wanting = int(unmet[t])
            spec = m.ptypes[t]
            if t == AGENCY and m.hourly_rates[self.index] > 0:  # an agency expects the council's rate
                spec = spec.model_copy(update={"price": float(m.hourly_rates[self.index])})
            n = providers.entrants(wanting, unmet_hours[t] / wanting, spec, p, grant, people, m.rng)
            staff = 0.0
            if n > 0 and p.workforce and t == AGENCY:  # recruited before opening, as far as the labour pool allows
                staff = providers.opening_staff(spec, min(wanting, spec.capacity), unmet_hours[t] / wanting, p)
                staff *= providers.pool_fill(float(m.free_workers()[self.index]), n * staff)
            m.add_providers(self.index, t, n, grant, staff)
            L.entries[self.index, t] += n
            L.support[self.index] += n * grant

    def commission(self, taken: float, held: float) -> None:
        """The month's use of the council's day-centre block places (``taken`` of the ``held`` it paid
        for) and, with ``rundown`` = occupancy, at the end of each review period its decision on its
        block contracts (:func:`model.rules.rollout.commissioning_review`, on the use since the last)."""
        c, month = self.spec.commissioning, self.model.month
        self.block_taken += taken
        self.block_held += held
        if c.rundown == "occupancy" and month % c.review_months == c.review_months - 1:
            self.block_level = rollout.commissioning_review(self.block_level, self.block_taken, self.block_held,
                                                            c.block_retention, c.block_min_use)
            self.block_taken = self.block_held = 0.0

    def account(self, spend: float, charges: float, waiting: int) -> None:
        """Add this month's spend net of charges to the year's and decide on the levers
        (:func:`model.rules.budgets.council_month`; ``waiting``: the people on its waiting list). A
        new year starts with its cash limit and what the last carried into it; at the year end, the
        under- or overspend to carry and any overspend beyond it (:func:`model.rules.budgets.carry_over`)."""
        m, b = self.model, self.model.config.budgets
        if m.month % 12 == 0 and m.month > 0:
            self.carried_in, self.cash, self.year_spend = self.carry_out, self._cash_limit(m.month // 12), 0.0
        net = spend - charges
        self.year_spend += net
        months_left = 11 - m.month % 12
        self.policy, self.moved = budgets.council_month(self.year_spend, net, months_left, self.may_spend(),
                                                        self.policy, waiting, b)
        self.carry_out, self.overspend = (budgets.carry_over(self.cash + self.carried_in, self.year_spend, self.cash,
                                                             self.spec.finance.carry_over_limit)
                                          if months_left == 0 else (0.0, 0.0))
