"""The scenario pages' generated blocks of combined intervals."""

from __future__ import annotations

import pandas as pd

from model.experiments.pages import END, PAGES, START, block, put_block
from model.run.ensemble import committed_posterior
from model.scenario import list_scenarios
from tests.conftest import ROOT


def test_a_block_replaces_only_its_own_lines_and_is_appended_once():
    page = "# Page\n\ntext before\n"
    once = put_block(page, f"{START}\nfirst\n{END}")
    assert once.startswith(page.rstrip("\n")) and once.count(START) == 1
    twice = put_block(once + "\ntext after\n", f"{START}\nsecond\n{END}")
    assert "first" not in twice and "second" in twice and twice.endswith("text after\n") and "text before" in twice


def test_every_page_and_comparator_is_a_scenario_with_a_page():
    for page, comparator in PAGES.items():
        assert page in list_scenarios() and (ROOT / "docs" / "scenarios" / f"{page}.md").is_file()
        assert comparator is None or comparator in list_scenarios()


def test_a_small_block_of_differences_and_one_of_levels(tmp_path):
    posterior = committed_posterior()
    text = block("targeted_support", 200, 4, posterior)
    assert text.startswith(START) and text.endswith(END)
    assert "`targeted_support` minus `sds_rollout`" in text
    assert text.count("\n| ") == 1 + 9  # the header and one row per figure
    # a posterior holding a parameter the scenario sets itself: the block says how it was kept
    table = pd.read_csv(posterior).assign(**{"councils.*.support.capacity": 4.0})
    table.to_csv(tmp_path / "posterior.csv", index=False)
    text = block("targeted_support", 200, 4, tmp_path / "posterior.csv")
    assert "`councils.0.support.capacity` = 6" in text
    assert text.count("\n| ") == 1 + 9  # the header and one row per figure
    levels = block("baseline", 200, 4, posterior)
    assert "mean [5-95 %]" in levels and "minus" not in levels
