"""Per-centre forecasts across replications (model.run.centres), on a day-centre table built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.metrics.columns import CENTRE_COLUMNS, CLOSURE_COLUMNS
from model.run import centres


def _rows(replication: int, months: range, name: str, ownership: str, provider: int, attendance: float,
          result: float, below: bool) -> list[dict]:
    return [{"replication": replication, "month": m, "date": pd.Timestamp(2020, m, 1), "council": "Northshire",
             "provider": provider, "attendance": attendance, "occupancy": 0.4 if below else 0.8,
             "breakeven_occupancy": 0.6, "capacity": 20, "centre": name, "ownership": ownership, "result": result,
             "block_places": 0} for m in months]


@pytest.fixture()
def table() -> pd.DataFrame:
    """Four months, two replications: Riverside (in-house) open throughout, below break-even from
    month 3 in replication 0 only; an unnamed independent centre closes in month 3 in replication 1
    (open months 1-2) and stays open in replication 0; in surplus in one month."""
    rows = [*_rows(0, range(1, 3), "Riverside", "in_house", 0, 16, -500.0, False),
            *_rows(0, range(3, 5), "Riverside", "in_house", 0, 8, -900.0, True),
            *_rows(1, range(1, 5), "Riverside", "in_house", 0, 16, 100.0, False),
            *_rows(0, range(1, 5), "", "independent", 7, 10, -200.0, False),
            *_rows(1, range(1, 2), "", "independent", 7, 10, 300.0, False),
            *_rows(1, range(2, 3), "", "independent", 7, 6, -400.0, True)]
    return pd.DataFrame(rows)


def test_centre_forecast_by_month(table):
    f = centres.centre_forecast(table, 2, 4).set_index(["centre", "month"])
    assert list(centres.centre_forecast(table, 2, 4).columns) == list(CENTRE_COLUMNS)
    r = f.loc["Riverside"]
    assert r["attendance"].tolist() == [16, 16, 12, 12] and r["open_share"].tolist() == [1.0] * 4
    assert r["below_breakeven_share"].tolist() == [0, 0, 0.5, 0.5] and r["crossed_share"].tolist() == [0, 0, 0.5, 0.5]
    assert r["cost_to_keep_open"].tolist() == pytest.approx([200.0, 200.0, 400.0, 400.0])  # in-house: minus result
    assert r.loc[3, "attendance_low"] == pytest.approx(8 + 0.05 * 8) and r.loc[3, "attendance_high"] == 16 - 0.05 * 8
    c = f.loc["centre 7"]
    assert c["open_share"].tolist() == [1.0, 1.0, 0.5, 0.5] and c["closed_share"].tolist() == [0, 0, 0.5, 0.5]
    assert c["attendance"].tolist() == [10, 8, 5, 5]  # a closed centre counts as no attendance
    assert c["crossed_share"].tolist() == [0, 0.5, 0.5, 0.5]  # below in month 2, then closed
    assert c["cost_to_keep_open"].tolist() == pytest.approx([100.0, 300.0, 200.0, 200.0])  # independent: its loss
    assert c.loc[3, "occupancy"] == 0.8  # over the replications in which it is open


def test_closure_table(table):
    t = centres.closure_table(table, 2, 4).set_index("centre")
    assert list(centres.closure_table(table, 2, 4).columns) == list(CLOSURE_COLUMNS)
    assert t.loc["centre 7", "closed_share"] == 0.5 and t.loc["centre 7", "closure_month"] == 3
    assert t.loc["Riverside", "closed_share"] == 0 and np.isnan(t.loc["Riverside", "closure_month"])
    assert t.loc["Riverside", "first_below_breakeven"] == 3  # only replication 0 was below
    assert t.loc["Riverside", "total_cost_to_keep_open"] == pytest.approx((2 * 500 + 2 * 900 + 4 * -100) / 2)
