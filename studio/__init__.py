"""TextVAE Studio's Streamlit helpers, one concern a module; the pages in app_pages/ are widgets and calls to these.

Per-user things (uploaded corpora, trained models, training jobs) live in st.session_state.
The bundled demo model and corpus are shared read-only through st.cache_resource. Derived
results (encodings, maps, generations) are cached by model id + corpus id, which are random
per-session ids for anything a user made, so one user never sees another's results.

Nothing is imported here: a page imports the modules it uses (``from studio import models``).
"""
