"""The scenario pages' generated blocks: combined intervals and "What it found" tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from model.experiments.pages import (
    COUNCIL_COLUMNS,
    COUNCILS_END,
    COUNCILS_START,
    END,
    FOUND,
    FOUND_END,
    FOUND_START,
    PAGES,
    ROWS,
    START,
    block,
    put_block,
    put_found,
)
from model.experiments.runner import run_replications
from model.metrics import labels
from model.run.ensemble import committed_posterior
from model.scenario import list_scenarios, load_scenario
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


def test_every_found_page_has_its_blocks():
    for page in FOUND:
        text = (ROOT / "docs" / "scenarios" / f"{page}.md").read_text()
        assert text.count(FOUND_START) == text.count(FOUND_END) == 1
        assert text.index(FOUND_START) < text.index(FOUND_END)
        several = len(load_scenario(page).councils) > 1
        assert (COUNCILS_START in text and COUNCILS_END in text) == several


def test_every_row_shows_outputs_or_figures_built_from_them():
    built = {"option1_65plus", "option1_under65", "option3_65plus", "attending"}
    for row in (*ROWS, *COUNCIL_COLUMNS):
        for figure in row.figures:
            assert figure in built or labels.is_output(figure.removesuffix("_so_far")), figure


@pytest.fixture(scope="module")
def found_run(multi_scenario):
    return multi_scenario, run_replications(multi_scenario, 3, 7)


def _cells(text: str, label: str) -> list[str]:
    line = next(line for line in text.split("\n") if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def test_found_cells_are_the_means_and_ranges_of_the_runs(found_run):
    scenario, result = found_run
    text = put_found(f"{FOUND_START}\n{FOUND_END}\n{COUNCILS_START}\n{COUNCILS_END}", scenario, result, 3, (12, 36))
    assert text.count("\n| ") == 1 + len(ROWS) + 1 + 3 * 2  # a header and a row per figure; per council and month
    m = result.monthly
    package = m.loc[m["month"] == 36, "with_package"].to_numpy(dtype=float)
    low, high = np.quantile(package, [0.05, 0.95])
    assert _cells(text, "People with a package")[1] == f"{package.mean():.0f} [{low:.0f}–{high:.0f}]"
    spend = m.loc[m["month"] == 12, "council_spend"].mean() / 1000
    assert _cells(text, "Council spend, £k/month")[0].startswith(f"{spend:,.0f} [")
    so_far = m[m["month"] <= 12].groupby("replication")["carer_breakdowns"].sum().mean()
    assert _cells(text, "Carer breakdowns so far")[0].startswith(f"{so_far:.0f} [")
    pair = [m.loc[m["month"] == 36, c].mean() for c in ("threshold", "ras_rate")]
    assert _cells(text, "Eligibility threshold (points) / RAS rate (£/point)")[1] == f"{pair[0]:.1f} / {pair[1]:.1f}"
    # Option 1 among 65+: the breakdown's age bands 65-79 and 80+, weighted by their people
    b = result.breakdown
    b = b[(b["month"] == 36) & (b["dimension"] == "age_band") & b["level"].isin(["65-79", "80+"])]
    wide = b.pivot_table(index=["replication", "level"], columns="metric", values="value")
    share = (wide["people"] * wide["share_option1"].fillna(0)).groupby("replication").sum() / wide["people"].groupby(
        "replication").sum()
    assert _cells(text, "Option 1 among 65+ / under 65, %")[1].startswith(f"{100 * share.mean():.1f} / ")
    # the table per council: a council's cost per person from the councils table
    c = result.councils
    name = scenario.councils[1].name
    cost = c.loc[(c["month"] == 36) & (c["council"] == name), "cost_per_person"].mean()
    row = next(line for line in text.split("\n") if line.startswith(f"| {name} (") and "| 36 |" in line)
    assert row.rstrip(" |").split("| ")[-1].startswith(f"{cost:.0f} [")


def test_found_blocks_replace_only_their_lines_and_regenerate_the_same(found_run):
    scenario, result = found_run
    page = (f"# Page\n\nprose before\n\n{COUNCILS_START}\n| old |\n{COUNCILS_END}\n\nprose between\n\n"
            f"{FOUND_START}\n| old |\n{FOUND_END}\n\nprose after\n")
    once = put_found(page, scenario, result, 3, (12, 36))
    assert "| old |" not in once and once.count("\n| ") > len(ROWS)

    def outside(text: str) -> str:
        for start, end in ((FOUND_START, FOUND_END), (COUNCILS_START, COUNCILS_END)):
            text = re.sub(re.escape(start) + ".*?" + re.escape(end), "BLOCK", text, flags=re.S)
        return text

    assert outside(once) == outside(page)
    assert put_found(once, scenario, result, 3, (12, 36)) == once
    with pytest.raises(ValueError, match="has no line"):
        put_found("# Page\n", scenario, result, 3, (12, 36))
