"""The lever table of the demand_surge page: first months, waiting and spend, from the councils table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.experiments.levers import LEVERS, NAMES, _cell, per_replication
from model.rules import budgets
from model.scenario import Budgets


def test_each_lever_code_the_council_records_names_that_lever():
    """The code a council records when a lever moves (:func:`model.rules.budgets.council_month`) is
    the code under which the page names that lever."""
    for lever in NAMES:
        b = Budgets(lever_order=[lever])
        _, moved = budgets.council_month(50.0, 10.0, 6, 100.0, budgets.starting_policy(b), 0, b)  # projected 110
        assert LEVERS[moved] == NAMES[lever]
    assert len(LEVERS) == len(NAMES)


def test_first_months_waiting_and_spend_are_read_from_the_councils_table():
    """Two replications of 24 months: the waiting list moves in month 5 (replication 0) and 7
    (replication 1), charging only in replication 1 (month 20); year 2's net spend is 90 % of the
    cash limit."""
    months = np.arange(1, 25)
    rows = []
    for rep, first in ((0, 5), (1, 7)):
        for m in months:
            moved = 1 if m == first else (3 if rep and m == 20 else 0)
            rows.append({"replication": rep, "month": m, "lever_moved": moved,
                         "waiting_list_on": float(m >= first), "waiting_list": 10.0 * (m >= first), "waiting_new": 4.0,
                         "year_spend": 90.0 * (m % 12 == 0), "cash_limit": 100.0, "overspend": np.nan,
                         "charges": 1.0})
    councils = pd.DataFrame(rows)
    monthly = pd.DataFrame({"replication": np.repeat([0, 1], 24), "month": np.tile(months, 2), "people": 50,
                            "with_package": 40, "met_need": 0.8})
    t = per_replication(councils, monthly)
    assert list(t["first month the waiting list moves"]) == [5, 7]
    assert np.isnan(t["first month charging moves"][0]) and t["first month charging moves"][1] == 20
    assert list(t["months with a waiting list in force"]) == [20, 18]
    assert list(t["year's net spend / cash limit, year 2"]) == [0.9, 0.9]
    assert list(t["charges over the run (GBP)"]) == [24.0, 24.0]
    assert _cell(t["first month charging moves"]) == "20 [20-20] (1 of 2 runs)"
    assert _cell(t["first month decommissioning moves"]) == "never"
