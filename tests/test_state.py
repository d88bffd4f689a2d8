"""State tables and the monthly ledger."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from model.core.state import Ledger, People, made_by_table


@pytest.mark.parametrize("n_councils", [1, 3, 32])
def test_ledger_figures_are_separate_zeroed_views_of_one_block(n_councils):
    """Every figure starts at zero with its shape (one number per council, or council x its width), and
    writing one figure changes no other: the views of the one block do not overlap."""
    L = Ledger(n_councils)
    names = [f.name for f in fields(Ledger) if f.name != "n_councils"]
    base = L.dp_paid.base
    for k, name in enumerate(names, start=1):
        figure = getattr(L, name)
        assert figure.base is base and figure.flags["C_CONTIGUOUS"]
        assert figure.shape == ((n_councils, Ledger._WIDE[name]) if name in Ledger._WIDE else (n_councils,))
        assert not figure.any()
        figure[...] = k  # a mark of its own
    for k, name in enumerate(names, start=1):
        assert (getattr(L, name) == k).all(), name
    assert base.size == sum(getattr(L, name).size for name in names)


def test_ledgers_of_different_months_share_nothing():
    a, b = Ledger(2), Ledger(2)
    a.arrivals += 1
    assert not b.arrivals.any() and not np.shares_memory(a.arrivals, b.arrivals)


def test_table_growth_keeps_rows_and_fills_new_ones():
    P = People(16, peers=3)
    P.append(10, need=np.arange(10, dtype=np.float32))
    P.append(20)  # past the capacity: the table grows
    assert P.allocated >= 30 and P.n == 30
    np.testing.assert_array_equal(P.view("need")[:10], np.arange(10))
    assert (P.view("need")[10:] == 0).all() and (P.view("provider") == -1).all() and P.peers.shape[1] == 3


def test_a_table_s_records_are_known_as_its_own_until_it_makes_another():
    """:func:`made_by_table` knows a table's current record (so a compiled pass may type it by its
    class), forgets it when the table makes a new one or grows, and knows no other tuple."""
    P = People(16)
    P.append(4)
    first = P.record(P.n)
    assert made_by_table(first) and made_by_table(Ledger(2).record())
    P.append(2)
    second = P.record(P.n)
    assert made_by_table(second) and not made_by_table(first)
    P.append(40)  # grows
    assert not made_by_table(second) and made_by_table(P.record(P.n))
    assert not made_by_table(People.Record(*second)) and not made_by_table(None)
