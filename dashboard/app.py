"""Entry point of the carecon dashboard: ``streamlit run dashboard/app.py`` (or ``make dashboard``).

Each page is its own script in this folder; this file only sets up the page and the navigation.
"""

import shared
import streamlit as st
from compute import COMPUTE

st.set_page_config(page_title="carecon", page_icon=":material/diversity_3:", layout="wide")

PAGES = [
    st.Page("scenario.py", title="Scenario", icon=":material/tune:", default=True),
    st.Page("compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("sensitivity.py", title="Sensitivity", icon=":material/query_stats:"),
    st.Page("forecast.py", title="Day-centre forecast", icon=":material/event_busy:"),
    st.Page("equity.py", title="Equity", icon=":material/balance:"),
]

page = st.navigation(PAGES)
settings = shared.settings_sidebar()
# Start the server's pool now, so its workers have imported the model before the first Run. Not in a
# worker: spawned workers re-import this script as their main module, under the name "__mp_main__".
if settings is not None and __name__ == "__main__":
    COMPUTE.prepare(settings)
page.run()
