"""Equity page: who gains and who loses, by deprivation quintile, age band and client group,
with concentration curves and indices."""

import altair as alt
import numpy as np
import pandas as pd
import shared
import streamlit as st

from model.metrics import labels
from model.metrics.columns import DIMENSIONS as BREAKDOWN_DIMENSIONS

#: Breakdowns offered, by their name for people.
DIMENSIONS = {d: BREAKDOWN_DIMENSIONS[d][0] for d in ("quintile", "age_band", "client_group", "council")}
#: Outcomes offered (breakdown metrics), by their label with unit.
METRICS = {m: str(labels.output(m)) for m in ("wellbeing", "met_need", "unmet_need", "control", "share_option1",
                                               "share_option3")}
#: Outcomes whose concentration over deprivation is drawn (they are positive, so curves are defined), and the
#: monthly column in which the model records each one's concentration index.
CONCENTRATED = {"met_need": "ci_met_need", "wellbeing": "ci_wellbeing", "control": "ci_control",
                "share_option1": "ci_option1"}


def before_after(breakdown: pd.DataFrame, dimension: str, metric: str, before: int, after: int) -> pd.DataFrame:
    """Per level and replication: the metric before rollout and at the horizon, and the change."""
    rows = breakdown[(breakdown["dimension"] == dimension) & (breakdown["metric"] == metric)
                     & breakdown["month"].isin([before, after])]
    wide = rows.pivot_table(index=["level", "replication"], columns="month", values="value").reset_index()
    return wide.rename(columns={before: "before", after: "after"}).assign(change=lambda d: d["after"] - d["before"])


def summarise(per_run: pd.DataFrame) -> pd.DataFrame:
    """Mean and 5-95% range across replications of before, after and change, per level."""
    g = per_run.groupby("level")
    out = g[["before", "after", "change"]].mean().add_suffix(" (mean)").rename_axis(columns=None)
    out["change 5%"] = g["change"].quantile(0.05)
    out["change 95%"] = g["change"].quantile(0.95)
    return out


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
            curves.append(pd.DataFrame({"metric": METRICS[metric], "replication": rep, "point": range(6),
                                        "population": population, "outcome": share}))
    return pd.concat(curves).groupby(["metric", "point"])[["population", "outcome"]].mean().reset_index()


def concentration_indices(monthly: pd.DataFrame, month: int) -> pd.DataFrame:
    """Concentration indices at ``month``, per replication, as the model recorded them (monthly columns
    ``ci_*``, :func:`model.metrics.definitions.concentration_indices` over quintiles)."""
    rows = monthly[monthly["month"] == month].set_index("replication")[list(CONCENTRATED.values())]
    long = rows.rename(columns={column: METRICS[metric] for metric, column in CONCENTRATED.items()}).stack()
    return long.rename_axis(["replication", "metric"]).rename("index").reset_index()[["metric", "replication", "index"]]


st.title("Equity")
st.caption("Who gains and who loses as self-directed support rolls out: outcomes by deprivation quintile, age band "
           "and client group, before the rollout and at the horizon (means, with 5–95% ranges across replications).")

scenario = shared.pick_scenario("equity")
if scenario is None:
    st.stop()
shared.show_estimate([scenario])
record = shared.run(scenario, st.button("Run", type="primary", key="equity:run"))
if record is None:
    shared.ask_to_run()
    st.stop()

breakdown = record.result.breakdown
before = max(1, min(c.rollout.start_month for c in scenario.councils))
after = scenario.run.months
st.subheader("Gaps between the least and most deprived over time")
shared.show(shared.band_chart(shared.series(record.result.monthly, shared.GAPS), shared.axis_title(shared.GAPS),
                              "Equity gaps: least (Q5) minus most (Q1) deprived fifth"))

st.subheader("Who gains and who loses")
left, right = st.columns(2)
dimension = left.radio("By", list(DIMENSIONS), format_func=DIMENSIONS.get, horizontal=True, key="equity:dimension",
                       persist_state="session")
metric = right.selectbox("Outcome", list(METRICS), format_func=METRICS.get, key="equity:metric",
                         persist_state="session")
per_run = before_after(breakdown, dimension, metric, before, after)
long = per_run.melt(id_vars=["level", "replication"], value_vars=["before", "after"], var_name="when")
bands = long.groupby(["level", "when"])["value"].agg(
    mean="mean", lo=lambda v: v.quantile(0.05), hi=lambda v: v.quantile(0.95)).reset_index()
when = alt.Color("when:N", sort=["before", "after"], title=None,
                 legend=alt.Legend(labelExpr=f"datum.label == 'before' ? 'month {before} (before rollout)' : "
                                             f"'month {after} (horizon)'"))
base = alt.Chart(bands).encode(x=alt.X("level:N", title=DIMENSIONS[dimension]),
                               xOffset=alt.XOffset("when:N", sort=["before", "after"]), color=when)
bars = base.mark_bar().encode(y=alt.Y("mean:Q", title=METRICS[metric]), tooltip=[
    alt.Tooltip("level:N", title="group"), alt.Tooltip("when:N", title="when"), alt.Tooltip("mean:Q", title="mean"),
    alt.Tooltip("lo:Q", title="5%"), alt.Tooltip("hi:Q", title="95%")])
ranges = base.mark_rule(color="black").encode(y="lo:Q", y2="hi:Q")
title = alt.TitleParams(f"{METRICS[metric]} by {DIMENSIONS[dimension].lower()}",
                       subtitle="Bars: mean over replications; lines: 5–95% across them (run-to-run variation only).")
shared.show((bars + ranges).properties(height=320, title=title))
table = summarise(per_run)
st.dataframe(table, column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns})

st.subheader(f"Concentration over deprivation at month {after}")
curves = concentration_curves(breakdown, after)
indices = concentration_indices(record.result.monthly, after)
diagonal = alt.Chart(pd.DataFrame({"population": [0, 1], "outcome": [0, 1]})).mark_line(
    color="grey", strokeDash=[4, 4]).encode(x="population:Q", y="outcome:Q")
lines = alt.Chart(curves).mark_line(point=True).encode(
    x=alt.X("population:Q", title="cumulative share of people, most deprived first", axis=alt.Axis(format="%")),
    y=alt.Y("outcome:Q", title="cumulative share of the outcome", axis=alt.Axis(format="%")),
    color=alt.Color("metric:N", title=None))
chart_col, table_col = st.columns([3, 2])
with chart_col:
    shared.show((diagonal + lines).properties(height=360, title="Concentration curves"))
with table_col:
    ci = indices.groupby("metric")["index"].describe(percentiles=[0.05, 0.95])[["mean", "5%", "95%"]]
    st.caption("Concentration index (positive: concentrated among the less deprived).")
    st.dataframe(ci, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ci.columns})

shared.table_downloads({"by_group": per_run, "concentration_indices": indices, "concentration_curves": curves},
                       stem=f"{scenario.name}_equity", key="equity:download")
