"""Entry point of the carecon dashboard: ``streamlit run dashboard/app.py`` (or ``make dashboard``).

Each page is its own script in this folder; this file only sets up the page and the navigation.
"""

import os

import shared
import streamlit as st

st.set_page_config(page_title="carecon", page_icon=":material/diversity_3:", layout="wide")

PAGES = [
    st.Page("scenario.py", title="Scenario", icon=":material/tune:", default=True),
    st.Page("compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("sensitivity.py", title="Sensitivity", icon=":material/query_stats:"),
    st.Page("forecast.py", title="Day-centre forecast", icon=":material/event_busy:"),
    st.Page("equity.py", title="Equity", icon=":material/balance:"),
]

page = st.navigation(PAGES)
shared.settings_sidebar()
kind, workers, _ = shared.executor_args("runs")
# Start the run workers now, so they have imported the model before the first Run. Not in a worker:
# spawned workers re-import this script as their main module, under the name "__mp_main__".
if kind == "warm" and __name__ == "__main__" and os.environ.get("CARECON_WARM_POOL", "1") == "1":
    shared.warm_pool(int(workers or os.cpu_count() or 1))
page.run()
