"""Council finance (ODD 7.10), compiled: the month's administration cost and the charges, by council."""

from __future__ import annotations

import numba
import numpy as np

from model.codes import N_OPTION_CODES
from model.core.state import Ledger, People
from model.engines.vector import common
from model.rules import budgets

common.prepare(__name__, __file__)

_LANES = 4  # interleaved count tables (a power of 2)


@numba.njit(cache=True)
def finance(people: People.Record, admin_cost: np.ndarray, charge_rate: np.ndarray, chargeable: float,
            ledger: Ledger.Record) -> np.ndarray:
    """Council finance (ODD 7.10): the month's cost of administering the packages of the people
    table's record ``people`` (:func:`model.rules.budgets.admin_cost`, ``admin_cost`` by council and
    Option 1-4) is added to the ledger's ``admin``. Returns the charges by council, each person's
    (:func:`model.rules.budgets.charge` at their council's ``charge_rate``) added in row order.
    (Rows of people who have left hold no package.) People are counted by council and option first,
    then costed, as ``numpy`` sums a row of such products.

    Speed, the same sums: rows are counted in four interleaved tables (a count that goes up row
    after row would wait on the last row's store each time) at unsigned indices, and the charges
    are added only where the council charges (at a rate of 0 every charge is 0, which leaves the
    sum as it is)."""
    option, council, budget, admin = people.option, people.council, people.budget, ledger.admin
    n_c = admin.size
    charges = np.zeros(n_c)
    counts = np.zeros((_LANES, n_c, N_OPTION_CODES), dtype=np.int64)
    for i in range(option.size):
        c = np.uint16(council[i])  # unsigned indices: no check for counting from the end
        counts[np.uint64(i) & np.uint64(_LANES - 1), c, np.uint8(option[i])] += 1
        if charge_rate[c] != 0.0:
            charges[c] += budgets.charge(option[i], np.float64(budget[i]), charge_rate[c], chargeable)
    for c in range(n_c):
        cost = 0.0
        for j in range(N_OPTION_CODES):
            count = 0
            for lane in range(_LANES):
                count += counts[lane, c, j]
            cost += np.float64(count) * budgets.admin_cost(j, admin_cost[c])
        admin[c] += cost
    return charges
