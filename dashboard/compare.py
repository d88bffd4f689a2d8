"""Compare page: two to four scenarios side by side, with paired differences and 95% intervals.

Every scenario runs the same replications with the same seeds (common random numbers), so the
differences from the reference (the first scenario) are paired and their intervals narrow.
"""

import altair as alt
import pandas as pd
import shared
import streamlit as st

from model.metrics import labels
from model.scenario import Scenario

DEFAULT = ["sds_rollout", "targeted_support"]
#: Figures compared, grouped as a reader looks for them: uptake, equity, outcomes, providers, cost.
FIGURES = ("share_option1", "share_option2", "share_option3", "equity_gap", "gap_control", "unmet_need",
           "dc_attendance", "dc_open", "dc_closures", "displaced", "providers_active", "providers_in_deficit",
           "cost_per_person", "society_cost", "total_council_spend")
OVER_TIME = ("share_option1", "equity_gap", "unmet_need", "dc_attendance", "dc_open", "providers_active",
             "cost_per_person", "society_cost")

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


drawn = shared.ensemble_choice("compare", settings)
shared.show_estimate(scenarios)
comparison = shared.comparison(scenarios, st.button("Run", type="primary", key="compare:run"), drawn)
if comparison is None:
    shared.ask_to_run()
    st.stop()

st.subheader("Side by side (means over replications at the horizon)")
means = pd.DataFrame({name: heads.mean() for name, heads in comparison.headlines.items()}).loc[list(FIGURES)]
st.dataframe(pd.DataFrame({name: [labels.output(f).format(v) for f, v in column.items()]
                           for name, column in means.items()}, index=[str(labels.output(f)) for f in FIGURES]))

st.subheader(f"Paired differences from {comparison.reference}")
#: Differences of shares are drawn in percentage points, as the table gives them.
points_of = {f: 100.0 if labels.output(f).unit.startswith("share") else 1.0 for f in FIGURES}
panel = {f: f"{labels.output(f).text} (pp)" if points_of[f] == 100 else str(labels.output(f)) for f in FIGURES}
diffs = comparison.differences[comparison.differences["figure"].isin(FIGURES)]
drawn_diffs = diffs.assign(
    label=diffs["figure"].map(panel),
    **{c: diffs[c] * diffs["figure"].map(points_of) for c in ("mean_difference", "ci_low", "ci_high")})
base = alt.Chart().encode(y=alt.Y("scenario:N", title=None))
points = base.mark_point(filled=True, size=60).encode(
    x=alt.X("mean_difference:Q", title="difference from the reference (95% interval)"),
    tooltip=[alt.Tooltip("scenario:N", title="scenario"), alt.Tooltip("label:N", title="figure"),
             alt.Tooltip("mean_difference:Q", title="difference", format=".4~g"),
             alt.Tooltip("ci_low:Q", title="95% low", format=".4~g"),
             alt.Tooltip("ci_high:Q", title="95% high", format=".4~g")])
intervals = base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q")
zero = alt.Chart().mark_rule(color="grey", strokeDash=[4, 4]).encode(x=alt.datum(0))
layers = alt.layer(intervals, points, zero, data=drawn_diffs).properties(height=40 * (len(names) - 1), width=300)
shared.show(layers.facet(facet=alt.Facet("label:N", title=None, sort=list(panel.values()),
                                         header=alt.Header(labelFontWeight="bold", labelLimit=320)),
                         columns=3).resolve_scale(x="independent"))
rows = [(labels.output(r.figure), r) for r in diffs.itertuples()]
head = {code: str(labels.header(code)) for code in ("scenario", "figure", "reference_mean", "scenario_mean",
                                                   "difference", "interval")}
st.dataframe(pd.DataFrame({
    head["scenario"]: [r.scenario for _, r in rows], head["figure"]: [str(label) for label, _ in rows],
    head["reference_mean"]: [label.format(r.reference_mean) for label, r in rows],
    head["scenario_mean"]: [label.format(r.scenario_mean) for label, r in rows],
    head["difference"]: [label.difference(r.mean_difference) for label, r in rows],
    head["interval"]: [label.interval(r.ci_low, r.ci_high) for label, r in rows]}), hide_index=True)
st.caption("Differences in shares are in percentage points (pp).")

st.subheader("Who gains and who loses")
st.caption(shared.WHO_GAINS_NOTE)
chosen = shared.who_gains_at_horizon(comparison.who_gains, "compare")
if chosen is not None:
    outcome, last = chosen
    for name, rows in last.groupby("scenario", sort=False):
        st.markdown(f"**{name}** against **{rows['comparator'].iloc[0]}**: "
                    f"{shared.who_gains_summary(rows, outcome)}")
        st.dataframe(shared.who_gains_table(rows, outcome), hide_index=True)

st.subheader("Over time")
column = st.selectbox("Figure", OVER_TIME, format_func=lambda c: str(labels.output(c)), key="compare:figure",
                      persist_state="session")
lines = [(name, result.monthly, column) for name, result in comparison.results.items()]
fan = drawn is not None
shared.show(shared.band_chart(lines, shared.axis_title([column]), labels.output(column).text,
                              note=shared.fan_note(lines) if fan else shared.RUN_TO_RUN, fan=fan,
                              start=min(shared.rollout_start(s) for s in scenarios)))

monthly = pd.concat([r.monthly.assign(scenario=name) for name, r in comparison.results.items()], ignore_index=True)
shared.table_downloads({"differences": comparison.differences, "monthly": monthly}, stem="comparison",
                       key="compare:download")
