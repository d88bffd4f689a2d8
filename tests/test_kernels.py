"""Compiled sweeps: they apply the rule modules' functions, and their own sampling steps agree
with the numpy versions draw for draw."""

from __future__ import annotations

import shutil

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model import choice, kernels, load_scenario
from model.scenario import Choice


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 50))
def test_logit_draw_is_choice_choose(seed, n):
    rng = np.random.default_rng(seed)
    util = rng.normal(0, 2, (n, 4))
    util[rng.random((n, 4)) < 0.3] = -np.inf
    util[:, 2] = rng.normal(0, 2, n)  # at least one option available
    u = rng.random(n)
    expected = choice.choose(util, u)
    assert [kernels.logit_draw(util[i], u[i]) for i in range(n)] == expected.tolist()


def test_choose_options_matches_the_numpy_rule_draw_for_draw():
    rng = np.random.default_rng(3)
    n, k, councils = 400, 6, 2
    ch = load_scenario("sds_rollout").choice
    option = rng.integers(0, 5, n).astype(np.int8)
    alive = rng.random(n) < 0.9
    peers = rng.integers(-1, n, (n, k)).astype(np.int32)
    satisfaction = rng.random(n).astype(np.float32)
    confidence = rng.random(n).astype(np.float32)
    age_band = rng.integers(0, 4, n).astype(np.int8)
    group = rng.integers(0, 4, n).astype(np.int8)
    supported = rng.random(n) < 0.3
    council = rng.integers(0, councils, n).astype(np.int16)
    available = np.array([[True, True, True, True], [False, True, True, False]])
    reduction = np.array([0.5, 0.2], dtype=np.float32)
    rows = np.flatnonzero(rng.random(n) < 0.5)

    idx = np.maximum(peers[rows], 0)
    valid = (peers[rows] >= 0) & alive[idx] & (option[idx] > 0)
    signal = choice.peer_signal(option[idx], satisfaction[idx] >= ch.switch_satisfaction, valid)
    util = choice.utilities(confidence[rows], age_band[rows] >= 2, group[rows], supported[rows], option[rows], signal,
                            available[council[rows]], reduction[council[rows]], ch)
    expected = choice.choose(util, np.random.default_rng(11).random(rows.size))
    got = kernels.choose_options(rows, confidence, age_band, group, supported, option, peers, alive, satisfaction,
                                 council, available, reduction, kernels.struct(ch), np.random.default_rng(11))
    np.testing.assert_array_equal(got, expected)
    assert not np.isin(got[council[rows] == 1], [1, 4]).any()  # options the council does not offer


def test_struct_carries_every_numeric_field():
    ch = Choice()
    s = kernels.struct(ch)
    assert s.beta_control == ch.beta_control and s.switch_after_months == ch.switch_after_months
    np.testing.assert_array_equal(s.asc_group, ch.asc_group)
    assert set(s._fields) == set(type(ch).model_fields)


def test_stale_compiled_cache_is_dropped_when_a_rule_changes(tmp_path, monkeypatch):
    fake = tmp_path / "kernels.py"
    shutil.copy(kernels.__file__, fake)
    monkeypatch.setattr(kernels, "__file__", str(fake))
    cache = tmp_path / "__pycache__"
    kernels.drop_stale_cache()
    stamp = (cache / "kernels.rules-digest").read_text()
    compiled = cache / "kernels.purchase-1.py312.nbi"
    compiled.write_text("old")
    kernels.drop_stale_cache()  # nothing changed: the cache stays
    assert compiled.exists()
    fake.write_text(fake.read_text() + "\n# a rule changed\n")
    kernels.drop_stale_cache()
    assert not compiled.exists()
    assert (cache / "kernels.rules-digest").read_text() != stamp


def test_struct_is_only_for_the_sections_the_sweeps_read():
    with pytest.raises(KeyError):
        kernels.struct(load_scenario("sds_rollout").budgets)


@numba.njit
def _normals(rng, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = kernels.standard_normal(rng)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_ziggurat_draws_are_standard_normal(seed):
    n = 1_000_000
    z = _normals(np.random.default_rng(seed), n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 4.5 / np.sqrt(n) and abs(z.var() - 1) < 4.5 * np.sqrt(2 / n)
    # The tail beyond the ziggurat's base (drawn by a separate algorithm) has the right mass.
    tail = np.mean(np.abs(z) > kernels._ZIG_R)
    expect = 2 * stats.norm.sf(kernels._ZIG_R)
    assert abs(tail - expect) < 4.5 * np.sqrt(expect / n)
    beyond = np.abs(z[np.abs(z) > kernels._ZIG_R])
    assert stats.kstest(beyond, stats.truncnorm(kernels._ZIG_R, np.inf).cdf).pvalue > 1e-3
