"""State as plain values: one row per person (and their carer), one row per provider.

Both engines read and write the same arrays. The per-agent reference engine walks the rows one
agent at a time; the vectorised engine applies each rule to whole columns. A person who leaves
keeps their row with ``alive = False`` until the model compacts the table (when departed rows are
over a quarter of it; peer links and agents are renumbered then).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, NamedTuple

import numpy as np

from model.codes import N_DOMAINS, N_PROMPTS, N_SLOTS, NEVER, NO_PROVIDER

#: Records the tables made (:meth:`Table.record`, :meth:`Ledger.record`), by ``id``: each column of
#: one is a table's own array (or a row of one), so C-contiguous, aligned and writeable. A compiled
#: pass may then take a record's numba type from its class alone
#: (:class:`model.engines.vector.common.Pass`). A table drops its last record here when it makes a
#: new one; at most :data:`_MADE_KEPT` are kept in all.
_MADE: dict[int, Any] = {}
_MADE_KEPT = 64


def _forget(record: Any) -> None:
    if record is not None and _MADE.get(id(record)) is record:
        del _MADE[id(record)]


def _made(record: Any, replaces: Any = None) -> Any:
    _forget(replaces)
    _MADE[id(record)] = record
    if len(_MADE) > _MADE_KEPT:
        del _MADE[next(iter(_MADE))]
    return record


def made_by_table(record: Any) -> bool:
    """Whether ``record`` was made by a table (:meth:`Table.record` or :meth:`Ledger.record`), so
    that every column is C-contiguous, aligned and writeable."""
    return record is not None and _MADE.get(id(record)) is record


class Table:
    """A growable structure of arrays: ``FIELDS`` maps column name to (dtype, initial value)."""

    FIELDS: ClassVar[dict[str, tuple[str, float]]] = {}
    WIDE: ClassVar[dict[str, tuple[str, int, float]]] = {}  # name -> (dtype, width, fill)
    #: The columns as one named tuple (``People.Record``, ...), made once per table class.
    Record: ClassVar[type]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record = NamedTuple(f"{cls.__name__}Record", [(name, np.ndarray) for name in (*cls.FIELDS, *cls.WIDE)])
        record.__module__, record.__qualname__ = cls.__module__, f"{cls.__name__}.Record"  # picklable by name
        cls.Record = record

    def __init__(self, capacity: int, **widths: int) -> None:
        self.n = 0
        self._record: Any = None  # the last record made (see `record`)
        self._cap = max(16, capacity)
        self._widths = {k: widths.get(k, w) for k, (_, w, _) in self.WIDE.items()}
        for name, (dtype, fill) in self.FIELDS.items():
            setattr(self, name, np.full(self._cap, fill, dtype=dtype))
        for name, (dtype, _, fill) in self.WIDE.items():
            setattr(self, name, np.full((self._cap, self._widths[name]), fill, dtype=dtype))

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        for name, (dtype, fill) in self.FIELDS.items():
            new = np.full(cap, fill, dtype=dtype)
            new[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, new)
        for name, (dtype, _, fill) in self.WIDE.items():
            new = np.full((cap, self._widths[name]), fill, dtype=dtype)
            new[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, new)
        self._cap = cap
        _forget(self._record)
        self._record = None

    def append(self, count: int, **columns: np.ndarray) -> slice:
        """Add ``count`` rows; columns not given keep their initial value. Returns the new rows."""
        if self.n + count > self._cap:
            self._grow(self.n + count)
        rows = slice(self.n, self.n + count)
        for name, values in columns.items():
            getattr(self, name)[rows] = values
        self.n += count
        return rows

    @property
    def allocated(self) -> int:
        """Rows the table holds before it has to grow."""
        return self._cap

    def view(self, name: str) -> np.ndarray:
        """The used part of a column."""
        return getattr(self, name)[: self.n]

    def record(self, n: int) -> Any:
        """The first ``n`` rows of every column as one :attr:`Record`: a compiled pass takes the table
        as this one argument and reads its columns by name. (Kept until the number of rows asked for
        changes or the table grows: the month's passes share it.)"""
        if self._record is None or len(self._record[0]) != n:
            columns = self.__dict__
            self._record = _made(self.Record._make([columns[name][:n] for name in self.Record._fields]), self._record)
        return self._record

    def __getstate__(self) -> dict[str, Any]:
        """Copies (``copy.deepcopy``, pickling) leave out the record: its columns are views of this table's."""
        return {**self.__dict__, "_record": None}


class People(Table):
    """People known to the councils, and the unpaid carer (if any) of each."""

    FIELDS: ClassVar[dict[str, tuple[str, float]]] = {
        "alive": ("bool", False),
        "council": ("int16", 0),
        "group": ("int8", 0),
        "age_band": ("int8", 0),
        "quintile": ("int8", 0),          # 0 = Q1, most deprived
        "confidence": ("float32", 0.5),
        "dc_affinity": ("bool", False),
        "offer_rank": ("float32", 1.0),   # offered the SDS choice once the rollout share passes it
        "need": ("float32", 0.0),         # assessed need, points 0-100
        "eligible": ("bool", False),
        "budget": ("float32", 0.0),       # GBP per month
        "offered": ("bool", False),
        "option": ("int8", 0),            # 0 = no package, 1-4 = SDS option
        "review_in": ("int16", 0),        # months until the next review (<= 0: due)
        "supported": ("bool", False),
        "dp_balance": ("float64", 0.0),   # unspent direct-payment money held by the person
        "required": ("float32", 0.0),     # formal hours needed this month
        "delivered": ("float32", 0.0),    # formal hours received this month
        "met_need": ("float32", 0.0),
        "wellbeing": ("float32", 0.0),
        "satisfaction": ("float32", 0.5),
        "low_sat": ("int16", 0),
        "has_carer": ("bool", False),
        "carer_hours": ("float32", 0.0),  # hours a week the carer gives
        "strain": ("float32", 0.0),
        "carer_base": ("float32", 0.0),   # hours a week the carer is willing to give with formal care as planned
        "carer_credit": ("float32", 0.0),  # hours a week the assessment credits to the carer (ODD 7.2, 7.7)
        "carer_capacity": ("float32", -1.0),  # hours a week the carer can give before their health suffers
                                              # (-1: not yet drawn)
        "strained_months": ("float32", 0.0),  # months of strain above the breakdown threshold
        "respite": ("float32", 0.0),      # share of a full day-centre place used this month
        "control": ("float32", 0.0),      # control the current option gives (set when it changes)
        "burden": ("float32", 0.0),       # burden felt in the current option (set at choice)
        "cell": ("int32", 0),             # council x group x age band x quintile, for breakdowns
        "seeking": ("bool", False),       # a budget slot may lack a provider (set when one is left
                                          # without; cleared at matching once every slot has one)
        "waiting": ("int16", 0),          # months waited for a due assessment (waiting list, ODD 7.10)
        # What a review's decision to keep or change is measured against (ODD 7.4):
        "chose_at": ("int16", NEVER),     # month the person last chose an option (NEVER: not since offered)
        "chose_need": ("float32", 0.0),   # their need then
        "chose_carer": ("bool", False),   # whether a carer was caring then
        "moved_at": ("int16", NEVER),     # month they last changed option or took a direct payment (news to peers)
    }
    WIDE: ClassVar[dict[str, tuple[str, int, float]]] = {
        "provider": ("int32", N_SLOTS, NO_PROVIDER),  # slot 0: main, slot 1: direct part of Option 4
        "peers": ("int32", 6, -1),
    }


class Providers(Table):
    """Care providers: day centres, home-care agencies, personal assistants, community groups."""

    FIELDS: ClassVar[dict[str, tuple[str, float]]] = {
        "active": ("bool", False),
        "ptype": ("int8", 0),
        "council": ("int16", 0),
        "capacity": ("int32", 0),
        "price": ("float64", 0.0),
        "quality": ("float64", 0.5),
        "rating": ("float64", 0.5),
        "reserves": ("float64", 0.0),
        "neg_months": ("int16", 0),
        "clients": ("int32", 0),
        "block_places": ("int32", 0),
        "hours": ("float64", 0.0),        # hours delivered this month
        "income": ("float64", 0.0),       # received this month
        "profit": ("float64", 0.0),
        "wanted": ("float64", 0.0),       # hours its clients wanted this month (before the staff bound)
        "staff": ("float64", 0.0),        # care workers (agencies, with the workforce on; model units)
        "born": ("int32", 0),
        "died": ("int32", -1),
        "fixed_cost": ("float64", 0.0),   # GBP per month (the type's, or a named centre's)
        # A council's named day centres (councils.N.day_centres):
        "centre": ("int16", -1),          # its index among the council's named centres (-1: not named)
        "in_house": ("bool", False),      # run by the council (closes by its decision, not on insolvency)
        "block_start": ("int32", -1),     # block places at the start (-1: the council's block share of places)
        "close_month": ("int32", 0),      # the run's month (from 1) the council closes it (0: none set)
        "low_months": ("int16", 0),       # months in a row below the council's occupancy threshold
    }


@dataclass
class Ledger:
    """Money and events of one month, per council (arrays indexed by council)."""

    #: The record lives in a slot, so that ``vars(ledger)`` holds the council count and the figures only.
    __slots__ = ("__dict__", "_record")
    n_councils: int
    dp_paid: np.ndarray = field(init=False)        # into direct-payment accounts
    direct_paid: np.ndarray = field(init=False)    # to providers for ISF and council-arranged spot hours
    block_paid: np.ndarray = field(init=False)     # block contracts
    provider_received: np.ndarray = field(init=False)
    dp_spent: np.ndarray = field(init=False)       # from accounts to providers
    clawback: np.ndarray = field(init=False)
    services_by_option: np.ndarray = field(init=False)  # (council, 4)
    assessment: np.ndarray = field(init=False)
    admin: np.ndarray = field(init=False)
    support: np.ndarray = field(init=False)
    crisis: np.ndarray = field(init=False)
    assessments: np.ndarray = field(init=False)
    supported: np.ndarray = field(init=False)
    breakdowns: np.ndarray = field(init=False)
    replacements: np.ndarray = field(init=False)   # new carers for people whose carer broke down
    breaks_given: np.ndarray = field(init=False)   # carers given a short break this month
    short_breaks: np.ndarray = field(init=False)   # spend on carers' short breaks
    admissions: np.ndarray = field(init=False)
    arrivals: np.ndarray = field(init=False)
    departures: np.ndarray = field(init=False)
    displaced: np.ndarray = field(init=False)
    entries: np.ndarray = field(init=False)        # (council, 4 types)
    exits: np.ndarray = field(init=False)          # (council, 4 types)
    unmatched: np.ndarray = field(init=False)      # seekers left without a provider
    charges: np.ndarray = field(init=False)        # non-residential charges collected (income to the council)
    waiting: np.ndarray = field(init=False)        # on the waiting list for assessment after the month's reviews
    waiting_months: np.ndarray = field(init=False)  # months waited so far by those on the list
    waiting_new: np.ndarray = field(init=False)    # of those on the list, people without a package
    handbacks: np.ndarray = field(init=False)      # packages agencies handed back (the council's rate below cost)
    in_house_cost: np.ndarray = field(init=False)  # the council's cost of its own day centres (minus their result)
    council_closures: np.ndarray = field(init=False)  # own day centres the council closed
    posts: np.ndarray = field(init=False)          # agencies' care-worker posts (workforce; end of month)
    vacancies: np.ndarray = field(init=False)      # of those, vacant
    care_workers: np.ndarray = field(init=False)   # care workers employed by agencies
    option_reviews: np.ndarray = field(init=False)  # reviews of people holding an option they chose (ODD 7.4)
    prompted: np.ndarray = field(init=False)       # of those, people something prompted to reconsider
    changes_by_prompt: np.ndarray = field(init=False)  # (council, prompt): of those, who changed option, by prompt
    carer_qol: np.ndarray = field(init=False)      # quality of life of caring carers of people with a package, summed
    carers_known: np.ndarray = field(init=False)   # how many carers that is
    block_held: np.ndarray = field(init=False)     # day-centre block places the council paid for this month
    block_taken: np.ndarray = field(init=False)    # of those, places its attendees took
    two_providers: np.ndarray = field(init=False)  # packages that bought from two providers this month
    ascot: np.ndarray = field(init=False)          # (council, domain): domain scores summed over people with a package

    #: Figures of more than one number per council, and how many: (council, width) arrays.
    _WIDE: ClassVar[dict[str, int]] = {"services_by_option": 4, "entries": 4, "exits": 4,
                                       "changes_by_prompt": N_PROMPTS, "ascot": N_DOMAINS}
    #: The figures as one named tuple (made below, once), for the compiled passes.
    Record: ClassVar[type]

    def __post_init__(self) -> None:
        # One allocation; each figure a view of it: the per-council figures are the rows of one
        # (figures, councils) block and the (council, width) figures the slabs after it.
        c = self.n_councils
        block = np.zeros(c * (len(_LEDGER_NARROW) + sum(self._WIDE.values())))
        start = len(_LEDGER_NARROW) * c
        figures = [*block[:start].reshape(-1, c)]
        for width in self._WIDE.values():
            figures.append(block[start: start + c * width].reshape(c, width))
            start += c * width
        self.__dict__.update(zip(self.Record._fields, figures, strict=True))
        self._record = _made(self.Record(*figures))

    def record(self) -> Any:
        """Every figure as one :attr:`Record`: a compiled pass takes the ledger as this one argument
        and adds to its figures by name. (Made once: the figures are added to in place, never
        replaced.)"""
        return self._record

    def __getstate__(self) -> dict[str, Any]:
        """Copies (``copy.deepcopy``, pickling) leave out the record; it is made again from the copied figures."""
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._record = _made(self.Record(*(state[name] for name in self.Record._fields)))

    def council_spend(self) -> np.ndarray:
        """Council spend this month: services (net of clawback), assessment, admin, support, carers'
        short breaks, and the cost of running its own day centres beyond what they were paid."""
        return (self.services_by_option.sum(axis=1) + self.assessment + self.admin + self.support + self.short_breaks
                + self.in_house_cost)


#: The ledger's figures of one number per council, in declaration order.
_LEDGER_NARROW = tuple(f.name for f in fields(Ledger) if f.name != "n_councils" and f.name not in Ledger._WIDE)

Ledger.Record = NamedTuple("LedgerRecord", [(name, np.ndarray) for name in (*_LEDGER_NARROW, *Ledger._WIDE)])
Ledger.Record.__module__, Ledger.Record.__qualname__ = __name__, "Ledger.Record"  # picklable by name
