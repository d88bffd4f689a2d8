"""Compare page: two to four scenarios side by side, with paired differences and 95% intervals.

Every scenario runs the same replications with the same seeds (common random numbers), so the
differences from the reference (the first scenario) are paired and their intervals narrow.
"""

from concurrent.futures import Executor

import altair as alt
import pandas as pd
import shared
import streamlit as st

from model.experiments.runner import ComparisonResult, ProgressFn, compare
from model.scenario import Scenario

DEFAULT = ["sds_rollout", "targeted_support"]
FIGURES = {figure: label for figure, label, _ in shared.HEADLINES} | {
    "share_option2": "Option 2 (ISF) share", "gap_control": "Control gap Q5 − Q1",
    "dc_attendance": "Day-centre attendance", "providers_active": "Providers active",
    "total_council_spend": "Total council spend over the run (£)"}
OVER_TIME = {"share_option1": "Option 1 share", "equity_gap": "wellbeing gap Q5 − Q1",
             "dc_attendance": "day-centre attendance", "dc_open": "day centres open",
             "providers_active": "providers active", "cost_per_person": "cost per person (£/month)",
             "society_cost": "cost to society (£/month)"}

st.title("Compare scenarios")
st.caption("Two to four scenarios run with the same seeds; the differences from the reference (the first) are paired, "
           "with 95% Student-t intervals over replications.")

choices = shared.scenario_choices(with_edited=True)
names = st.multiselect("Scenarios (the first is the reference)", list(choices), default=DEFAULT, max_selections=4,
                       key="compare:names", persist_state="session")
if len(names) < 2:
    st.warning("Choose two to four scenarios to compare.")
    st.stop()
st.caption("Every scenario runs with these settings:")
reference = choices[names[0]]
settings = shared.parameter_form(reference, {"run": shared.PICKER_KEYS}, f"compare:{shared.run_key(reference)}")
if settings is None:
    st.stop()
overrides = {key: shared.get_dotted(settings, key) for key in shared.PICKER_KEYS}
scenarios: list[Scenario] = [choices[name].with_overrides(overrides) for name in names]


def compute(progress: ProgressFn, pool: Executor) -> ComparisonResult:
    """The comparison through the chosen executor."""
    return compare(scenarios, settings.run.replications, settings.run.seed, executor=pool, progress=progress)


key = "compare:" + "|".join(shared.run_key(s) for s in scenarios)
shared.show_estimate(scenarios)
comparison = shared.computed(key, st.button("Run", type="primary", key="compare:run"), "Comparing", compute, scenarios)
if comparison is None:
    shared.ask_to_run()
    st.stop()

st.subheader("Side by side (means over replications at the horizon)")
means = pd.DataFrame({name: heads.mean() for name, heads in comparison.headlines.items()})
st.dataframe(means.loc[list(FIGURES)].rename(index=FIGURES), column_config={
    name: st.column_config.NumberColumn(format="%.4g") for name in means.columns})

st.subheader(f"Paired differences from {comparison.reference}")
diffs = comparison.differences[comparison.differences["figure"].isin(list(FIGURES))].assign(
    label=lambda d: d["figure"].map(FIGURES))
base = alt.Chart().encode(y=alt.Y("scenario:N", title=None))
points = base.mark_point(filled=True, size=60).encode(
    x=alt.X("mean_difference:Q", title="difference from the reference (95% interval)"),
    tooltip=["scenario", "label", "mean_difference", "ci_low", "ci_high"])
intervals = base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q")
zero = alt.Chart().mark_rule(color="grey", strokeDash=[4, 4]).encode(x=alt.datum(0))
shared.show(alt.layer(intervals, points, zero, data=diffs).properties(height=40 * (len(names) - 1), width=240).facet(
    facet=alt.Facet("label:N", title=None, header=alt.Header(labelFontWeight="bold")), columns=3
).resolve_scale(x="independent"))
st.dataframe(diffs.drop(columns="label"), hide_index=True)

st.subheader("Over time")
column = st.selectbox("Figure", list(OVER_TIME), format_func=OVER_TIME.get, key="compare:figure")
shared.show(shared.band_chart([(name, result.monthly, column) for name, result in comparison.results.items()],
                              OVER_TIME[column], OVER_TIME[column].capitalize()))

monthly = pd.concat([r.monthly.assign(scenario=name) for name, r in comparison.results.items()], ignore_index=True)
shared.table_downloads({"differences": comparison.differences, "monthly": monthly}, stem="comparison",
                       key="compare:download")
