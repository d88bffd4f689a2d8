"""Day-centre forecast page: a council's own named centres (entered or uploaded) forecast centre by centre,
with before/after comparison and a briefing export; then attendance per council with bands, occupancy
against break-even, closure timing, and what-ifs (protecting block contracts, targeting support)."""

import pandas as pd
import shared
import streamlit as st
from own_centres import own_centres

from model.metrics import labels
from model.scenario import Scenario

#: What-ifs applied to every council: the levers of the built-in scenarios named in the labels, read
#: from those scenario files so they cannot drift apart.
_PROTECT = shared.builtin("protect_day_centres").councils[0].commissioning
_TARGET = shared.builtin("targeted_support").councils[0].support
WHAT_IFS = {
    "protect block contracts (as protect_day_centres)": {"commissioning.block_retention": _PROTECT.block_retention},
    "target support (as targeted_support)": {"support.capacity": _TARGET.capacity,
                                             "support.targeting": _TARGET.targeting,
                                             "support.burden_reduction": _TARGET.burden_reduction},
}
BASE = "as set"


def with_what_if(scenario: Scenario, levers: dict[str, object]) -> Scenario:
    """The scenario with a what-if's levers set in every council."""
    return scenario.with_overrides({f"councils.{i}.{k}": v for i in range(len(scenario.councils))
                                    for k, v in levers.items()})


def month_grid(reps: int, months: int) -> pd.MultiIndex:
    """Every (replication, month) of a run, so that months with no open centre count as zero."""
    return pd.MultiIndex.from_product([range(reps), range(1, months + 1)], names=["replication", "month"])


def council_months(daycentres: pd.DataFrame, reps: int, months: int) -> pd.DataFrame:
    """Per replication and month: attendance, places and capacity-weighted break-even of open centres (0 if none)."""
    frame = daycentres.assign(breakeven_places=daycentres["breakeven_occupancy"] * daycentres["capacity"])
    sums = frame.groupby(["replication", "month"])[["attendance", "capacity", "breakeven_places"]].sum()
    out = sums.reindex(month_grid(reps, months), fill_value=0).reset_index()
    open_ = out["capacity"] > 0
    out["occupancy"] = (out["attendance"] / out["capacity"]).where(open_)
    out["breakeven"] = (out["breakeven_places"] / out["capacity"]).where(open_)
    return out


def closures(councils: pd.DataFrame, reps: int, months: int) -> pd.DataFrame:
    """Per replication and month: centres closed so far, from the day-centre exits the model records each month
    (``exits_day_centre`` of one council's rows in the councils table)."""
    exits = councils.set_index(["replication", "month"])["exits_day_centre"].astype(int)
    per_month = exits.reindex(month_grid(reps, months), fill_value=0)
    return per_month.groupby(level="replication").cumsum().rename("closed").reset_index()


def centre_table(daycentres: pd.DataFrame, months: int) -> pd.DataFrame:
    """Per centre: share of replications in which it closed, median closure month, median first month below
    break-even occupancy."""
    below = daycentres[daycentres["occupancy"] < daycentres["breakeven_occupancy"]]
    per_run = daycentres.groupby(["provider", "replication"])["month"].max().rename("last").to_frame()
    per_run["first_below"] = below.groupby(["provider", "replication"])["month"].min()
    per_run["closed_month"] = (per_run["last"] + 1).where(per_run["last"] < months)
    return per_run.groupby(level="provider").agg(
        runs=("last", "size"), closed_share=("closed_month", lambda c: c.notna().mean()),
        median_closure_month=("closed_month", "median"), median_first_month_below_breakeven=("first_below", "median"))


st.title("Day-centre forecast")
st.caption("When budgets follow the person, day-centre attendance falls, cost per attendee rises and centres close. "
           "Bands are 5–95% across replications; what-ifs use the same seeds (common random numbers).")

scenario = shared.pick_scenario("forecast")
if scenario is not None:
    own_centres(scenario)
st.header("The scenario's centres, with what-ifs")
chosen = st.multiselect("What-ifs", list(WHAT_IFS), key="forecast:whatifs", persist_state="session")
if scenario is None:
    st.stop()
variants = {BASE: scenario} | {name: with_what_if(scenario, WHAT_IFS[name]) for name in chosen}
shared.show_estimate(list(variants.values()))
clicked = st.button("Run", type="primary", key="forecast:run")
records = {name: shared.run(s, clicked) for name, s in variants.items()}
if any(r is None for r in records.values()):
    shared.ask_to_run()
    st.stop()

run = scenario.run
councils = [c.name for c in scenario.councils]
council = st.selectbox("Council", councils, key="forecast:council") if len(councils) > 1 else councils[0]
dc = {name: r.result.daycentres[r.result.daycentres["council"] == council] for name, r in records.items()}
monthly = {name: council_months(d, run.replications, run.months) for name, d in dc.items()}
shut = {name: closures(r.result.councils[r.result.councils["council"] == council], run.replications, run.months)
        for name, r in records.items()}

st.subheader(f"{council}: attendance")
shared.show(shared.band_chart([(name, m, "attendance") for name, m in monthly.items()], "people attending",
                              "Day-centre attendance", y_format=",.0f", start=shared.rollout_start(scenario)))

st.subheader("Occupancy against break-even")
detail = st.selectbox("Variant", list(records), key="forecast:detail") if len(records) > 1 else BASE
shared.show(shared.band_chart([("occupancy", monthly[detail], "occupancy"),
                               ("break-even occupancy", monthly[detail], "breakeven")],
                              "share of places", f"Occupancy of open centres ({detail})", y_format=".0%"))

st.subheader("Closure timing")
shared.show(shared.band_chart([(name, c, "closed") for name, c in shut.items()], "centres closed",
                              "Centres closed so far", y_format=",.1f", start=shared.rollout_start(scenario)))
at_horizon = pd.DataFrame({name: c[c["month"] == run.months]["closed"].describe(percentiles=[0.05, 0.95])
                           for name, c in shut.items()}).T[["mean", "5%", "95%"]]
first = {name: c[c["closed"] > 0].groupby("replication")["month"].min() for name, c in shut.items()}
at_horizon.columns = ["closed_mean", "closed_p05", "closed_p95"]
at_horizon["first_closure"] = [first[n].median() if len(first[n]) else None for n in at_horizon.index]
at_horizon["runs_with_closure"] = [len(first[n]) / run.replications for n in at_horizon.index]
headers = labels.FORECAST_HEADERS
st.dataframe(at_horizon.rename(columns=headers),
             column_config={headers["runs_with_closure"]: st.column_config.NumberColumn(format="percent")})
st.caption(f"Each centre in the {detail!r} runs: when it first fell below its break-even occupancy and when it closed "
           "(medians over the replications in which it happened).")
st.dataframe(centre_table(dc[detail], run.months).rename_axis(headers["provider"]).rename(columns=headers),
             column_config={headers["closed_share"]: st.column_config.NumberColumn(format="percent")})

shared.table_downloads({"attendance": pd.concat([m.assign(variant=n) for n, m in monthly.items()]),
                        "closures": pd.concat([c.assign(variant=n) for n, c in shut.items()])},
                       stem=f"{scenario.name}_{council}", key="forecast:download")
