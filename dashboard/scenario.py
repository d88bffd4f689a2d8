"""Scenario page: pick or upload a scenario, edit its key parameters, run replications, read the results."""

import shared
import streamlit as st

from model.scenario import PROVIDER_TYPES

DEFAULT = shared.DEFAULT_SCENARIO
RUN_KEYS = ["run.people", "run.months", "run.replications", "run.seed"]
MODEL_KEYS = ["budgets.eligibility_threshold", "budgets.ras_rate", "choice.beta_control", "choice.beta_burden",
              "choice.beta_peer", "demography.confidence_deprivation_gradient", "carers.breakdown_probability",
              "providers.entry_probability", "providers.exit_after_months", "providers.top_up"]
COUNCIL_KEYS = ["rollout.offer", "rollout.start_month", "rollout.duration_months", "support.capacity",
                "support.targeting", "support.burden_reduction", "commissioning.block_retention",
                "commissioning.rundown", "commissioning.market_shaping_grant", "finance.cash_per_head"]

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
if scenario is None:
    st.button("Run", type="primary", disabled=True, key="scenario:run")
    st.stop()
drawn = shared.ensemble_choice("scenario", scenario)
shared.show_estimate([scenario])
record = shared.run(scenario, st.button("Run", type="primary", key="scenario:run"), drawn)
if record is None:
    shared.ask_to_run()
    st.stop()

run = record.scenario.run
st.success(f"{run.replications} replications of {run.people:,} people over {run.months} months "
           f"in {record.seconds:.1f} s.")
shared.headline_metrics(record)

monthly = record.result.monthly
CHARTS = {  # tab: (title, monthly columns, axis format)
    "Uptake": [("Uptake of the SDS options", [f"share_option{j}" for j in (1, 2, 3, 4)], ".0%")],
    "Equity": [("Equity gaps: least (Q5) minus most (Q1) deprived fifth", list(shared.GAPS), ",.3~f")],
    "Providers": [("Active providers by type", [f"active_{t}" for t in PROVIDER_TYPES], ",.0f"),
                  ("Providers in deficit", ["providers_in_deficit"], ",.1f")],
    "Cost": [("Council spend by kind, and crisis costs", ["spend_services", "spend_assessment", "spend_admin",
                                                          "spend_support", "crisis_cost"], ",.0f"),
             ("Cost to the council and society", ["council_spend", "unpaid_value", "society_cost"], ",.0f")],
    "Day centres": [("Day-centre attendance", ["dc_attendance"], ",.0f"), ("Day centres open", ["dc_open"], ",.1f")],
}
for tab, charts in zip(st.tabs(list(CHARTS)), CHARTS.values(), strict=True):
    with tab:
        for title, columns, y_format in charts:
            shared.show(shared.band_chart(shared.series(monthly, columns), shared.axis_title(columns), title,
                                          y_format=y_format, note=record.band_note(columns),
                                          fan=record.with_ensemble, start=shared.rollout_start(record.scenario)))

st.subheader("Download the results")
tables = {"summary": record.summary, "monthly": monthly, "breakdown": record.result.breakdown,
          "daycentres": record.result.daycentres}
shared.table_downloads(tables, stem=scenario.name, key="scenario:download")
