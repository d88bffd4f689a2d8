"""Council finance (ODD 7.10), compiled: the month's administration cost and the people with a
package, by council."""

from __future__ import annotations

import numba
import numpy as np

from model.codes import N_OPTION_CODES
from model.core.state import Ledger, People
from model.engines.vector import common
from model.rules import budgets

common.prepare(__name__, __file__)


@numba.njit(cache=True)
def finance(people: People.Record, admin_cost: np.ndarray, ledger: Ledger.Record, with_package: np.ndarray) -> None:
    """Council finance (ODD 7.10): the month's cost of administering the packages of the people
    table's record ``people`` (:func:`model.rules.budgets.admin_cost`, ``admin_cost`` by council and
    Option 1-4) is added to the ledger's ``admin``, and the people with a package
    (:func:`model.rules.budgets.has_package`) to ``with_package``, by council. (Rows of people who
    have left hold no package.) People are counted by council and option first, then costed, as
    ``numpy`` sums a row of such products."""
    option, council, admin = people.option, people.council, ledger.admin
    n_c = admin.size
    counts = np.zeros((n_c, N_OPTION_CODES), dtype=np.int64)
    for i in range(option.size):
        counts[council[i], option[i]] += 1
    for c in range(n_c):
        cost = 0.0
        for j in range(N_OPTION_CODES):
            cost += np.float64(counts[c, j]) * budgets.admin_cost(j, admin_cost[c])
            if budgets.has_package(j):
                with_package[c] += counts[c, j]
        admin[c] += cost


