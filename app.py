"""TextVAE Studio: the entry point. Declares the pages and the sidebar; each page is in app_pages/,
the helpers they share in studio/.

Not pages/: with that folder Streamlit runs a page's script alone (no app.py, no sidebar, no
session) when a deep link such as /train is the first request after a start."""

import streamlit as st

from studio.components import sidebar_card
from studio.paths import FAVICON, PAGES, SECTIONS
from studio.presentation import QUERY, presentation_switch
from studio.runtime import timed, warm_up
from studio.state import init_state

st.set_page_config(
    page_title="TextVAE Studio",
    page_icon=str(FAVICON),
    layout="wide",
    initial_sidebar_state="collapsed" if st.query_params.get(QUERY) == "1" else "auto",  # presenting: fold it away
)
init_state()

pages = {
    section: [
        st.Page(path, title=PAGES[path][0], icon=PAGES[path][1], default=path == "app_pages/home.py") for path in paths
    ]
    for section, paths in SECTIONS.items()
}
current = st.navigation(pages)
sidebar_card()
presentation_switch()
with timed(current.title):
    current.run()
warm_up()
