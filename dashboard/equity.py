"""Equity page: who gains and who loses under a scenario against a comparator (by deprivation quintile, age
band, client group and carer status), as paired differences on common random numbers with 95% intervals;
and, within the scenario, the gaps over time and the concentration over deprivation."""

import altair as alt
import numpy as np
import pandas as pd
import shared
import streamlit as st

from model.metrics import labels
from model.metrics.columns import EQUITY_DIMENSIONS, GROUP_LABELS
from model.scenario import ScenarioError

#: The comparator offered first.
COMPARATOR = "baseline"
#: Height of a table row in pixels (Streamlit's data grid).
ROW_PIXELS = 35
#: Outcomes whose concentration over deprivation is drawn (they are positive, so curves are defined), and the
#: monthly column in which the model records each one's concentration index.
CONCENTRATED = {"met_need": "ci_met_need", "wellbeing": "ci_wellbeing", "control": "ci_control",
                "share_option1": "ci_option1"}
NAMES = {m: str(labels.output(m)) for m in CONCENTRATED}


def concentration_curves(breakdown: pd.DataFrame, month: int) -> pd.DataFrame:
    """Concentration curves at ``month`` (mean over replications), from the breakdown by quintile.

    People are ranked from most to least deprived quintile; a curve below the diagonal means the
    outcome is concentrated among the less deprived (a positive index).
    """
    q = breakdown[(breakdown["dimension"] == "quintile") & (breakdown["month"] == month)]
    curves = []
    for rep, cells in q.groupby("replication"):
        wide = cells.pivot(index="level", columns="metric", values="value").sort_index()
        people = wide["people"].to_numpy(dtype=float)
        for metric in CONCENTRATED:
            values = wide[metric].to_numpy(dtype=float)
            share = np.concatenate([[0.0], np.cumsum(people * values) / max((people * values).sum(), 1e-12)])
            population = np.concatenate([[0.0], np.cumsum(people) / people.sum()])
            curves.append(pd.DataFrame({"metric": NAMES[metric], "replication": rep, "point": range(6),
                                        "population": population, "outcome": share}))
    return pd.concat(curves).groupby(["metric", "point"])[["population", "outcome"]].mean().reset_index()


def concentration_indices(monthly: pd.DataFrame, month: int) -> pd.DataFrame:
    """Concentration indices at ``month``, per replication, as the model recorded them (monthly columns
    ``ci_*``, :func:`model.metrics.definitions.concentration_indices` over quintiles)."""
    rows = monthly[monthly["month"] == month].set_index("replication")[list(CONCENTRATED.values())]
    long = rows.rename(columns={column: NAMES[metric] for metric, column in CONCENTRATED.items()}).stack()
    return long.rename_axis(["replication", "metric"]).rename("index").reset_index()[["metric", "replication", "index"]]


def gains_chart(rows: pd.DataFrame, outcome: str) -> alt.LayerChart:
    """Each group's paired difference (point) and its 95% interval (line), in the unit of the table."""
    scale = 100.0 if labels.difference_unit(outcome) == "pp" else 1.0
    data = pd.DataFrame({
        "breakdown": rows["dimension"].map(lambda d: EQUITY_DIMENSIONS[d][0]),
        "group": rows["group"].map(lambda g: GROUP_LABELS.get(g, g)),
        "difference": rows["difference"] * scale, "low": rows["low"] * scale, "high": rows["high"] * scale})
    axis = str(labels.header("difference", outcome))
    base = alt.Chart(data).encode(y=alt.Y("group:N", title=None, sort=list(data["group"]),
                                          axis=alt.Axis(labelLimit=260, labelOverlap=False)),
                                  color=alt.Color("breakdown:N", title=None, sort=list(dict.fromkeys(
                                      data["breakdown"])), legend=alt.Legend(orient="right", labelLimit=320)))
    points = base.mark_point(filled=True, size=70).encode(
        x=alt.X("difference:Q", title=f"{axis}, with 95% interval"),
        tooltip=[alt.Tooltip("group:N", title="group"), alt.Tooltip("difference:Q", title=axis, format=".3~g"),
                 alt.Tooltip("low:Q", title="95% low", format=".3~g"),
                 alt.Tooltip("high:Q", title="95% high", format=".3~g")])
    intervals = base.mark_rule(strokeWidth=2).encode(x="low:Q", x2="high:Q")
    zero = alt.Chart().mark_rule(color="grey", strokeDash=[4, 4]).encode(x=alt.datum(0))
    return alt.layer(intervals, points, zero).properties(height=alt.Step(24), title=alt.TitleParams(
        f"{labels.output(outcome).text}: scenario minus comparator, by group",
        subtitle="Point: mean of the paired differences; line: 95% interval (spanning 0: no clear gain or loss)."))


st.title("Equity")
st.caption("Who gains and who loses under a scenario, against a comparator run on the same seeds (common random "
           "numbers): each group's outcome under the scenario minus under the comparator, by deprivation quintile, "
           "age band, client group and carer status, with 95% intervals over the paired replications. Both run "
           "with the scenario's run settings, so drift that both share cancels.")

scenario = shared.pick_scenario("equity")
if scenario is None:
    st.stop()
choices = shared.scenario_choices(with_edited=True)
options = list(choices)
chosen = st.selectbox("Comparator", options, key="equity:comparator", persist_state="session",
                      index=options.index(COMPARATOR) if COMPARATOR in options else 0,
                      help="The scenario each group's outcome is compared with, on the same seeds.")
try:
    comparator = choices[chosen].with_overrides({f"run.{k}": v for k, v in scenario.run.model_dump().items()})
except ScenarioError as err:
    st.error(f"The comparator cannot run with the scenario's run settings: {err}")
    st.stop()
if comparator.to_toml() == scenario.to_toml():
    st.warning("The comparator is the scenario itself: choose another to see who gains and who loses.")
    st.stop()
drawn = shared.ensemble_choice("equity", scenario)
shared.show_estimate([comparator, scenario])
result = shared.comparison([comparator, scenario], st.button("Run", type="primary", key="equity:run"), drawn)
if result is None:
    shared.ask_to_run()
    st.stop()

name = list(result.results)[1]
horizon = scenario.run.months
st.subheader(f"Who gains and who loses: {name} against {result.reference}")
st.caption(shared.WHO_GAINS_NOTE + (" Each pair of replications drew its parameters from the calibrated posterior, "
                                   "so the intervals include parameter uncertainty." if drawn is not None else
                                   " The intervals are run-to-run variation only."))
gains = result.who_gains
chosen_outcome = shared.who_gains_at_horizon(gains, "equity")
if chosen_outcome is not None:
    outcome, rows = chosen_outcome
    st.markdown(shared.who_gains_summary(rows, outcome))
    shared.show(gains_chart(rows, outcome))
    table = shared.who_gains_table(rows, outcome)
    st.dataframe(table, hide_index=True, height=ROW_PIXELS * (len(table) + 1) + 3)  # every group, no scrolling

own = result.results[name]
st.subheader(f"Within {name}")
st.caption("These figures are within the one scenario, not against the comparator: they include any drift the "
           "comparator shares.")
shared.show(shared.band_chart(shared.series(own.monthly, shared.GAPS), shared.axis_title(shared.GAPS),
                              "Equity gaps: least (Q5) minus most (Q1) deprived fifth", note=shared.RUN_TO_RUN
                              if drawn is None else shared.fan_note(shared.series(own.monthly, shared.GAPS)),
                              fan=drawn is not None, start=shared.rollout_start(scenario)))
curves = concentration_curves(own.breakdown, horizon)
indices = concentration_indices(own.monthly, horizon)
diagonal = alt.Chart(pd.DataFrame({"population": [0, 1], "outcome": [0, 1]})).mark_line(
    color="grey", strokeDash=[4, 4]).encode(x="population:Q", y="outcome:Q")
lines = alt.Chart(curves).mark_line(point=True).encode(
    x=alt.X("population:Q", title="cumulative share of people, most deprived first", axis=alt.Axis(format="%")),
    y=alt.Y("outcome:Q", title="cumulative share of the outcome", axis=alt.Axis(format="%")),
    color=alt.Color("metric:N", title=None))
chart_col, table_col = st.columns([3, 2])
with chart_col:
    shared.show((diagonal + lines).properties(height=360, title=f"Concentration curves at month {horizon}"))
with table_col:
    head = {code: str(labels.header(code)) for code in ("concentration_index", "mean", "p05", "p95")}
    ci = indices.groupby("metric")["index"].describe(percentiles=[0.05, 0.95])[["mean", "5%", "95%"]]
    ci = ci.rename_axis(head["concentration_index"]).rename(columns={"mean": head["mean"], "5%": head["p05"],
                                                                      "95%": head["p95"]})
    st.caption(f"Concentration index at month {horizon} (positive: concentrated among the less deprived).")
    st.dataframe(ci, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ci.columns})

shared.table_downloads({"who_gains": gains[gains["scenario"] == name], "concentration_indices": indices,
                        "concentration_curves": curves}, stem=f"{name}_vs_{result.reference}_equity",
                       key="equity:download")
