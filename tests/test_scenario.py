"""The scenario schema: built-in scenarios, extends, overrides, round trips and one-line errors."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings

from model import scenario as sc
from model.scenario import ScenarioError, load_scenario, loads_scenario, parse_override, set_dotted, validate
from tests.conftest import bad_scenarios, check_one_line_error

BUILT_IN = ("austerity", "baseline", "multi_council", "protect_day_centres", "sds_rollout", "targeted_support")


def test_the_six_scenarios_exist_and_validate():
    assert set(BUILT_IN) <= set(sc.list_scenarios())
    for name in BUILT_IN:
        s = load_scenario(name)
        assert s.name == name
        assert s.question and s.description, f"{name} says what it asks"


def test_scenario_policies_differ_as_documented():
    base, rollout = load_scenario("baseline"), load_scenario("sds_rollout")
    assert not base.councils[0].rollout.offer and rollout.councils[0].rollout.offer
    assert base.councils[0].commissioning.block_retention == 1.0
    # extends: what baseline does not set comes from sds_rollout.
    assert base.run == rollout.run and base.choice == rollout.choice
    targeted = load_scenario("targeted_support").councils[0].support
    assert targeted.targeting == "most_deprived" and targeted.capacity > rollout.councils[0].support.capacity
    assert len(load_scenario("multi_council").councils) == 3
    assert load_scenario("sds_rollout").councils[0].rollout.duration_months == 36


def test_toml_round_trip(multi_scenario):
    assert loads_scenario(multi_scenario.to_toml()) == multi_scenario


def test_overrides_are_validated_and_do_not_mutate(small_scenario):
    s = small_scenario.with_overrides({"councils.0.support.capacity": 9.5, "run.seed": 3})
    assert s.councils[0].support.capacity == 9.5 and s.run.seed == 3
    assert small_scenario.councils[0].support.capacity != 9.5
    with pytest.raises(ScenarioError, match="capacity"):
        small_scenario.with_overrides({"councils.0.support.capacity": -1.0})


@pytest.mark.parametrize(("text", "key", "value"), [
    ("run.months=60", "run.months", 60), ("a.b = 0.5", "a.b", 0.5), ("x=[1, 3]", "x", [1, 3]),
    ('name="x y"', "name", "x y"), ("councils.0.support.targeting=most_deprived", "councils.0.support.targeting",
                                    "most_deprived"), ("flag=true", "flag", True)])
def test_parse_override(text, key, value):
    assert parse_override(text) == (key, value)


@pytest.mark.parametrize("text", ["run.months", "=5"])
def test_parse_override_refuses_malformed(text):
    with pytest.raises(ScenarioError):
        parse_override(text)


def test_set_dotted_refuses_bad_paths(valid_dict):
    data = copy.deepcopy(valid_dict)
    with pytest.raises(ScenarioError, match="not one of 0 to 0"):
        set_dotted(data, "councils.3.name", "x")
    with pytest.raises(ScenarioError, match="unknown key 'nope'"):
        set_dotted(data, "nope.x", 1)
    with pytest.raises(ScenarioError, match="below a value"):
        set_dotted(data, "run.months.x", 1)


def test_parameter_table_documents_every_parameter():
    rows = sc.parameter_table()
    assert len(rows) > 80
    for r in rows:
        assert r["unit"] and r["source"] and r["doc"], r["name"]
        lo, hi = r["range"]
        values = r["default"] if isinstance(r["default"], list) else [r["default"]]
        for v in values:
            if isinstance(v, int | float) and not isinstance(v, bool):
                assert (lo is None or v >= lo) and (hi is None or v <= hi), r["name"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=bad_scenarios())
def test_bad_scenarios_are_refused_with_a_one_line_message(valid_dict, bad):
    mutate, field = bad
    data = copy.deepcopy(valid_dict)
    mutate(data)
    with pytest.raises(ScenarioError) as info:
        validate(data, origin="scenario 'bad.toml'")
    message = str(info.value)
    assert message.startswith("scenario 'bad.toml': ")
    check_one_line_error(message, field)


@pytest.mark.parametrize(("text", "fragment"), [
    ("name = ", "not valid TOML"), ('extends = "nowhere"', "extends: must name a built-in scenario"),
    ("extends = 3", "extends")])
def test_unreadable_or_badly_extended_text(text, fragment):
    with pytest.raises(ScenarioError, match=fragment) as info:
        loads_scenario(text)
    assert "\n" not in str(info.value)


def test_missing_file_lists_the_known_scenarios(tmp_path):
    with pytest.raises(ScenarioError, match=r"not found .*sds_rollout"):
        load_scenario(tmp_path / "missing.toml")


@pytest.mark.parametrize("ptype", sc.PROVIDER_TYPES)
def test_a_partial_provider_table_changes_only_the_keys_it_names(ptype):
    """A file that sets one key of ``[providers.<type>]`` keeps every other key at that type's own
    default (the dashboard found day centres reset to the generic price 20 and capacity 20)."""
    default = getattr(sc.Scenario(councils=[sc.Council(name="A")]).providers, ptype)
    text = f'[[councils]]\nname = "A"\n\n[providers.{ptype}]\nfixed_cost = 12345.0\n'
    got = getattr(loads_scenario(text).providers, ptype)
    assert got.fixed_cost == 12345.0
    assert got.model_dump(exclude={"fixed_cost"}) == default.model_dump(exclude={"fixed_cost"})
    # The same through extends (a built-in's own values are kept) and through a dotted --set.
    base = getattr(load_scenario("sds_rollout").providers, ptype)
    got = getattr(loads_scenario(f'extends = "sds_rollout"\n{text}').providers, ptype)
    assert got.model_dump(exclude={"fixed_cost"}) == base.model_dump(exclude={"fixed_cost"})
    got = getattr(load_scenario("sds_rollout", {f"providers.{ptype}.fixed_cost": 12345.0}).providers, ptype)
    assert got.model_dump(exclude={"fixed_cost"}) == base.model_dump(exclude={"fixed_cost"})


def test_a_partial_provider_table_in_a_file_on_disk(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[councils]]\nname = "A"\n\n[providers.day_centre]\nfixed_cost = 9000.0\n'
                    '[providers.agency]\nprice = 25.0\n', encoding="utf-8")
    p = load_scenario(path).providers
    assert (p.day_centre.price, p.day_centre.capacity, p.day_centre.per_1000) == (6.0, 35, 3.5)
    assert p.day_centre.fixed_cost == 9000.0
    assert (p.agency.price, p.agency.capacity, p.agency.growth) == (25.0, 40, 0.05)


@pytest.mark.parametrize(("override", "fragment"), [
    ({"choice.review_mode": "sometimes"}, "choice.review_mode: input should be 'keep_unless_prompted' or "
                                          "'fresh_choice'"),
    ({"councils.0.rollout.presentation": [0.5, 0.0]}, "councils.0.rollout.presentation: needs 4 values"),
    ({"councils.0.rollout.presentation": [0.5, 0.0, 0.0, 6.0]}, "councils.0.rollout.presentation: element 3"),
    ({"choice.prompt_need_change": -1.0}, "choice.prompt_need_change: input should be greater"),
    ({"councils.0.support.managed_account": 1.5}, "councils.0.support.managed_account: input should be less"),
])
def test_choice_process_inputs_are_refused_in_one_line_naming_the_field(override, fragment):
    with pytest.raises(ScenarioError, match=re.escape(fragment)) as info:
        load_scenario("sds_rollout", override)
    assert "\n" not in str(info.value)


_CENTRE = {"name": "Riverside", "places": 20, "ownership": "in_house", "block_places": 10, "attendance": 20}


@pytest.mark.parametrize(("change", "fragment"), [
    ({"places": 0}, "councils.0.day_centres.0.places: input should be greater than or equal to 1 (allowed: 1 to "
                    "1000 places a day)"),
    ({"days_per_week": 8}, "councils.0.day_centres.0.days_per_week: input should be less than or equal to 7 "
                           "(allowed: 1 to 7 days per week)"),
    ({"price": -1.0}, "councils.0.day_centres.0.price: input should be greater than or equal to 0.01 (allowed: "
                      "0.01 to 1000 GBP per attendee per day)"),
    ({"fixed_cost": 2e7}, "fixed_cost: input should be less than or equal to 10000000 (allowed: 0 to 1e+07 GBP per "
                          "month)"),
    ({"ownership": "private"}, "councils.0.day_centres.0.ownership: input should be 'in_house' or 'independent'"),
    ({"block_places": 40}, "day_centres 'Riverside': block_places must be at most the 33 attendees"),
    ({"attendance": -3}, "attendance: input should be greater than or equal to 0 (allowed: 0 to 10000 attendees)"),
    ({"days_per_attendee": 6.0}, "days_per_attendee must be at most days_per_week (5)"),
    ({"ownership": "independent", "close_month": 12}, "close_month applies to in_house centres only"),
    ({"colour": "blue"}, "unknown key 'councils.0.day_centres.0.colour'"),
])
def test_a_named_day_centre_is_checked_field_by_field(change, fragment):
    """Each field of ``[[councils.day_centres]]`` is checked, with one line naming it and what is allowed."""
    with pytest.raises(ScenarioError, match=re.escape(fragment)) as info:
        load_scenario("sds_rollout", {"councils.0.day_centres": [_CENTRE | change]})
    assert "\n" not in str(info.value)

