"""Entry point of the carecon dashboard: ``streamlit run dashboard/app.py`` (or ``make dashboard``).

Each page is its own script in this folder; this file only sets up the page and the navigation.
"""

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
page.run()
