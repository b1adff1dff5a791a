"""TextVAE Studio: the entry point. Declares the pages and the sidebar; each page is in app_pages/.

Not pages/: with that folder Streamlit runs a page's script alone (no app.py, no sidebar, no
session) when a deep link such as /train is the first request after a start."""

import streamlit as st

import ui

st.set_page_config(page_title="TextVAE Studio", page_icon=":material/blur_on:", layout="wide")
ui.init_state()

pages = {
    section: [
        st.Page(path, title=ui.PAGES[path][0], icon=ui.PAGES[path][1], default=path == "app_pages/home.py")
        for path in paths
    ]
    for section, paths in ui.SECTIONS.items()
}
current = st.navigation(pages)
ui.sidebar_card()
with ui.timed(current.title):
    current.run()
ui.warm_up()
