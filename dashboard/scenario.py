"""Scenario page: pick or upload a scenario, edit its key parameters, run replications, read the results."""

import shared
import streamlit as st

from model.run.plots import OPTION_LABELS
from model.scenario import PROVIDER_TYPES

DEFAULT = "sds_rollout"
RUN_KEYS = ["run.people", "run.months", "run.replications", "run.seed"]
MODEL_KEYS = ["budgets.eligibility_threshold", "budgets.ras_rate", "choice.beta_control", "choice.beta_burden",
              "choice.beta_peer", "demography.confidence_deprivation_gradient", "carers.breakdown_probability",
              "providers.entry_probability", "providers.exit_after_months"]
COUNCIL_KEYS = ["rollout.offer", "rollout.start_month", "rollout.duration_months", "support.capacity",
                "support.targeting", "support.burden_reduction", "commissioning.block_retention",
                "commissioning.market_shaping_grant", "finance.cash_per_head"]

st.title("Scenario")
st.caption("Choose a scenario or upload one, adjust its key parameters, and run replications. "
           "Each parameter shows its unit and allowed range; the ? beside it gives its meaning and source.")

shared.upload_box()
choices = shared.scenario_choices(with_edited=False)
names = list(choices)
name = st.selectbox("Scenario", names, index=names.index(DEFAULT), key="scenario:name", persist_state="session")
base = choices[name]
st.markdown(f"**{base.question}**  \n{base.description}")

groups = {"Run": RUN_KEYS, "Budgets, choice and market": MODEL_KEYS}
groups.update({f"Council: {c.name}": [f"councils.{i}.{k}" for k in COUNCIL_KEYS] for i, c in enumerate(base.councils)})
scenario = shared.parameter_form(base, groups, prefix=f"scenario:{name}")

if scenario is not None:
    st.session_state["edited"] = scenario
    st.download_button("Download the edited scenario (TOML)", data=scenario.to_toml(),
                       file_name=f"{scenario.name}.toml", mime="application/toml", on_click="ignore")
if scenario is not None:
    shared.show_estimate([scenario])
clicked = st.button("Run", type="primary", disabled=scenario is None, key="scenario:run")
if scenario is None:
    st.stop()
record = shared.run(scenario, clicked)
if record is None:
    shared.ask_to_run()
    st.stop()

run = record.scenario.run
st.success(f"{run.replications} replications of {run.people:,} people over {run.months} months "
           f"in {record.seconds:.1f} s.")
shared.headline_metrics(record)

monthly = record.result.monthly
uptake, equity, providers, cost, daycentres = st.tabs(["Uptake", "Equity", "Providers", "Cost", "Day centres"])
with uptake:
    shared.show(shared.band_chart(shared.series(monthly, OPTION_LABELS), "share of people with a package",
                                  "Uptake of the SDS options", y_format=".0%"))
with equity:
    shared.show(shared.band_chart(shared.series(monthly, shared.GAPS), "Q5 (least deprived) minus Q1 (most deprived)",
                                  "Equity gaps between deprivation quintiles"))
with providers:
    active = {f"active_{t}": t.replace("_", " ") for t in PROVIDER_TYPES}
    shared.show(shared.band_chart(shared.series(monthly, active), "providers", "Active providers by type",
                                  y_format=",.0f"))
    shared.show(shared.band_chart(shared.series(monthly, {"providers_in_deficit": "in deficit"}), "providers",
                                  "Providers in deficit", y_format=",.1f"))
with cost:
    kinds = {"spend_services": "services", "spend_assessment": "assessment", "spend_admin": "administration",
             "spend_support": "support", "crisis_cost": "crisis (to society)"}
    shared.show(shared.band_chart(shared.series(monthly, kinds), "£ per month", "Council spend by kind",
                                  y_format=",.0f"))
    society = {"council_spend": "council spend", "unpaid_value": "unpaid care (replacement value)",
               "society_cost": "total to society"}
    shared.show(shared.band_chart(shared.series(monthly, society), "£ per month", "Cost to the council and society",
                                  y_format=",.0f"))
with daycentres:
    shared.show(shared.band_chart(shared.series(monthly, {"dc_attendance": "attendance"}), "people",
                                  "Day-centre attendance", y_format=",.0f"))
    shared.show(shared.band_chart(shared.series(monthly, {"dc_open": "open"}), "centres", "Day centres open",
                                  y_format=",.1f"))

st.subheader("Download the results")
tables = {"summary": record.summary, "monthly": monthly, "breakdown": record.result.breakdown,
          "daycentres": record.result.daycentres}
shared.table_downloads(tables, stem=scenario.name, key="scenario:download")
