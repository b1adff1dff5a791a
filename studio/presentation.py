"""Presentation mode: one switch for a projector or a phone. Larger type (Streamlit sizes in rem, so the whole page
grows with the root font), the toolbar hidden, wide content; ``?present=1`` in a link opens the app presenting.

The styles that fit every screen (a long equation scrolls instead of being cut off on a phone; a table's sentences
use their column's width, where Streamlit wraps a cell's text at 400 px) are always on.
"""

from __future__ import annotations

import streamlit as st

from studio.state import KEEP

KEY = KEEP + "present"
QUERY = "present"

ALWAYS = """<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding-bottom: 0.2rem; }
@media (max-width: 640px) { .katex-display { font-size: 0.85em; } }
[data-testid="stTable"] td [data-testid="stMarkdownContainer"] { max-width: none; }
</style>"""
PRESENTING = """<style>
html { font-size: 21px; }
[data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; padding-left: 2rem; padding-right: 2rem; max-width: 100%; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
.js-plotly-plot .hoverlayer .hovertext text { font-size: 16px !important; }
@media (max-width: 640px) { html { font-size: 18px; } [data-testid="stMainBlockContainer"] { padding: 1rem 0.6rem; } }
</style>"""


def presenting() -> bool:
    """Whether this session presents: its switch, or ``?present=1`` in the link it opened."""
    if KEY not in st.session_state:
        st.session_state[KEY] = st.query_params.get(QUERY) == "1"
    return bool(st.session_state[KEY])


def _follow_switch() -> None:
    """Keep the link in step with the switch, so copying the address shares the mode."""
    if st.session_state[KEY]:
        st.query_params[QUERY] = "1"
    elif QUERY in st.query_params:
        del st.query_params[QUERY]


def presentation_switch() -> None:
    """The sidebar switch, and the page styles it selects."""
    presenting()
    st.sidebar.toggle(
        "Presentation mode",
        key=KEY,
        on_change=_follow_switch,
        help="Large type and a clean page for a projector or a phone. A link with ?present=1 opens in this mode.",
    )
    st.html(ALWAYS + (PRESENTING if st.session_state[KEY] else ""))
