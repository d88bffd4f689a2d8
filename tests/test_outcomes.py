"""Outcomes and voice: met need, quality of life by ASCOT domain, carers' quality of life, satisfaction and
ratings."""

from __future__ import annotations

import numpy as np
import pytest

from model.codes import AGE_BANDS, DOMAIN_TOP, DOMAINS, GROUPS
from model.rules import choice, outcomes
from model.scenario import Choice, Outcomes

OC = Outcomes()


def test_met_need_is_a_capped_share_and_one_when_nothing_is_required():
    np.testing.assert_allclose(outcomes.met_need(np.array([5.0, 20.0, 0.0, 3.0]), np.array([10.0, 10.0, 10.0, 0.0])),
                               [0.5, 1.0, 0.0, 1.0])


def test_domain_scores_follow_their_mechanisms_and_stay_in_0_to_3():
    o = Outcomes(basic_unmet=1.0, basic_met=3.0, control_base=1.0, control_met=1.0, burden_weight=2.0,
                 social_base=1.5, social_carer=0.3, occupation_base=2.0, dignity_base=2.3, dignity_quality=1.5)
    d = outcomes.domain_scores(0.5, 0.6, 1.0, 0.2, 0.05, True, 0.7, True, o)
    assert len(d) == len(DOMAINS) == 8
    control, care, food, home, safety, social, occupation, dignity = d
    assert control == pytest.approx(1.0 + 0.5 + 0.6 - 0.4)
    assert care == food == home == safety == pytest.approx(2.0)
    assert social == pytest.approx(1.5 + 0.3 + 12 * 0.05)
    assert occupation == pytest.approx(2.0 + 12 * 0.05)
    assert dignity == pytest.approx(2.3 + 1.5 * 0.2)
    # Without a carer, activity or a provider, those terms drop out; at the extremes each domain is bounded.
    bare = outcomes.domain_scores(0.5, 0.6, 1.0, 0.2, 0.0, False, 0.7, False, o)
    assert (bare[5], bare[6], bare[7]) == (1.5, 2.0, 2.3)
    top = outcomes.domain_scores(1.0, 1.0, 3.0, 0.0, 1.0, True, 1.0, True, o)
    bottom = outcomes.domain_scores(0.0, 0.0, 0.0, 1.0, 0.0, False, 0.0, True, Outcomes(
        basic_unmet=0.0, control_base=0.0, social_base=0.0, occupation_base=0.0, dignity_base=0.5,
        dignity_quality=6.0))
    assert max(top) == DOMAIN_TOP and outcomes.scrqol(top) == 24.0
    assert min(bottom) == 0.0 and outcomes.scrqol(bottom) == 0.0


def test_person_outcome_is_met_need_and_satisfaction_with_the_main_providers_quality():
    o = Outcomes(satisfaction_quality_weight=0.5, satisfaction_noise=0.1)
    met, sat = outcomes.person_outcome(3, 5.0, 10.0, True, 0.9, False, 0.0, 0.5, o)
    assert met == 0.5
    assert sat == pytest.approx(0.5 * 0.9 + 0.5 * 0.5 + 0.1 * 0.5)
    # Option 4 with nobody in the council-arranged slot: the direct-payment slot's provider is the main one.
    assert outcomes.person_outcome(4, 5.0, 10.0, False, 0.0, True, 0.3, 0.0, o)[1] == pytest.approx(0.15 + 0.25)
    assert outcomes.person_outcome(1, 5.0, 10.0, False, 0.0, True, 0.3, 0.0, o)[1] == pytest.approx(0.25)


def test_quality_of_life_is_scrqol_over_24_with_the_main_providers_quality():
    o = Outcomes()
    wellbeing, domains = outcomes.quality_of_life(3, 0.5, 0.0, 1.0, 0.0, 0.0, False, True, 0.9, False, 0.0, o)
    assert wellbeing == pytest.approx(outcomes.scrqol(domains) / 24)
    assert domains == outcomes.domain_scores(0.5, 0.0, 1.0, 0.0, 0.0, False, 0.9, True, o)
    assert domains[7] == pytest.approx(o.dignity_base + o.dignity_quality * 0.4)
    # Option 4 with nobody in the council-arranged slot: the direct-payment slot's provider is the main one.
    _, mixed = outcomes.quality_of_life(4, 0.5, 0.6, 1.0, 0.0, 0.0, False, False, 0.0, True, 0.3, o)
    assert mixed[7] == pytest.approx(o.dignity_base + o.dignity_quality * -0.2)
    _, unserved = outcomes.quality_of_life(4, 0.5, 0.6, 1.0, 0.0, 0.0, False, False, 0.0, False, 0.0, o)
    assert unserved[7] == o.dignity_base


def test_the_value_of_control_differs_by_group_and_age_and_not_everyone_gains_from_a_direct_payment():
    """Control domain on Option 1 (control 1, burden 1) against Option 3 (none), with the default
    burden felt at confidence 0.5 and no help: a physically disabled adult under 65 gains, an older
    person over 65 loses (IBSEN: satisfaction with individual budgets lowest among older people)."""
    o, ch = Outcomes(), Choice()
    older = outcomes.value_of_control(GROUPS.index("older"), AGE_BANDS.index("80+"), o)
    younger = outcomes.value_of_control(GROUPS.index("physical_disability"), AGE_BANDS.index("18-39"), o)
    assert older == pytest.approx(o.control_value[0] * o.control_value_over65)
    assert younger == o.control_value[1]

    def control_domain(option: int, value: float) -> float:
        control, burden = choice.held(option, 0.5, False, 0.0, False, 0.0, ch)
        return outcomes.domain_scores(0.8, control, value, burden, 0.0, False, 0.5, True, o)[0]

    assert control_domain(1, younger) > control_domain(3, younger)
    assert control_domain(1, older) < control_domain(3, older)


def test_carer_quality_of_life_falls_with_strain_within_0_to_12():
    o = Outcomes(carer_qol_unstrained=9.0, carer_qol_strain=5.0)
    np.testing.assert_allclose(outcomes.carer_qol(np.array([0.0, 0.4, 1.0]), o), [9.0, 7.0, 4.0])
    assert outcomes.carer_qol(1.0, Outcomes(carer_qol_unstrained=2.0, carer_qol_strain=12.0)) == 0.0


def test_satisfaction_mixes_quality_and_met_need():
    o = Outcomes(satisfaction_quality_weight=0.3, satisfaction_noise=0.1)
    assert outcomes.satisfaction(0.9, 0.5, 0.0, o) == pytest.approx(0.3 * 0.9 + 0.7 * 0.5)
    assert outcomes.satisfaction(0.9, 0.5, 1.0, o) == pytest.approx(0.3 * 0.9 + 0.7 * 0.5 + 0.1)
    assert outcomes.satisfaction(1.0, 1.0, 50.0, o) == 1.0


def test_rating_is_a_moving_average_and_unchanged_without_clients():
    r = outcomes.next_rating(np.array([0.5, 0.5]), np.array([1.0, 1.0]), np.array([True, False]), 0.8)
    np.testing.assert_allclose(r, [0.6, 0.5])
    rating = 0.2
    for _ in range(200):
        rating = float(outcomes.next_rating(rating, 0.7, True, 0.8))
    assert rating == pytest.approx(0.7)
