import numpy as np
import streamlit as st

from studio import map_chart, map_view, maps, view_link
from studio.cached import posterior
from studio.components import page_header
from studio.corpora import active_corpus
from studio.figures import latent_figure
from studio.latent_replay import latent_replay
from studio.messages import check_typed, show_error
from studio.models import active_model_id, require_model
from studio.presentation import presenting
from studio.state import keep
from studio.steering import label_values
from textvae import TextVAEError
from textvae.cluster_labels import cluster_names

page_header(
    "Latent space",
    "Every dot is a sentence, placed by its code z. Nearby dots: sentences the model finds alike. "
    "Hover to read, drag to select.",
)
view_link.open_view_link()  # a link to a view sets the model, the corpus and the controls once
bundle = require_model()
found = active_corpus()
if found is None:
    st.warning("Choose sentences on the **Data** page first.", icon=":material/info:")
    st.stop()
corpus, corpus_id = found


@st.fragment  # every click on the map or its controls reruns only this part, not the whole app
def latent_map() -> None:
    ctl = map_view.map_controls(corpus.labels is not None, label_values(corpus))
    data = maps.encoded(bundle, corpus, corpus_id, ctl.cap)
    try:
        proj = maps.projection(data, corpus_id, ctl.method, ctl.dims, ctl.cap, ctl.axis)
    except TextVAEError as exc:
        show_error(exc)
        return
    if ctl.method == "tsne" and maps.tsne_progress(corpus_id, ctl.dims, ctl.cap) is not None:
        maps.tsne_refining(corpus_id, ctl.dims, ctl.cap)
    summary = maps.clusters(active_model_id(), corpus_id, ctl.cap, ctl.k, data.z)
    words = maps.cluster_words(active_model_id(), corpus_id, ctl.cap, ctl.k, data.sentences, summary.labels)
    st.caption(maps.map_note(data, len(corpus), proj, ctl.dims, ctl.axis))

    s1, s2 = st.columns(2)
    typed = s1.text_input(
        "Place a sentence on the map",
        key=keep("map.typed", ""),
        placeholder="Type a sentence and press Enter",
        max_chars=500,
    )
    search = s2.text_input(
        "Search the map", key=keep("map.search", ""), placeholder="A word or phrase to highlight", max_chars=200
    )

    typed_point, typed_z = None, None
    if typed.strip() and check_typed(bundle, {"Place a sentence on the map": typed}):
        try:
            mu, _ = posterior(bundle, [typed])
            typed_z = mu[0]
            typed_point = np.asarray(proj.transform(mu))[0, : ctl.dims]
        except TextVAEError as exc:
            show_error(exc)
    highlight = maps.search_mask(data.sentences, search)
    if highlight is not None:
        s2.caption(f"{int(highlight.sum()):,} matching sentences highlighted.")

    st.space("small")  # room for the chart's hover toolbar, which otherwise covers the search field
    color, kind, title = maps.map_colours(ctl.color_by, data, summary.labels, cluster_names(words))
    if ctl.dims == 2:  # Vega-Lite: a new point or search updates the drawn map in place (studio/map_chart.py)
        typed_row = (typed_point, typed) if typed_point is not None else None
        named, categories = map_chart.datasets(proj.coords, data.sentences, color, kind, highlight, typed_row)
        event = st.vega_lite_chart(
            spec=map_chart.spec(
                kind, categories, title, len(data.sentences), map_chart.extent(proj.coords, typed_point), presenting()
            )
            | {"datasets": named},
            width="stretch",
            key="map.chart",
            on_select="rerun",
            selection_mode=list(map_chart.SELECTIONS),
        )
        selection = event.selection if event else {}
        map_view.selection_table(data, summary, map_chart.selected_rows(selection, proj.coords))
    else:
        extra = [] if typed_point is None else [{"coords": typed_point[None], "text": [typed], "name": "your sentence"}]
        fig = latent_figure(proj.coords, data.sentences, color, kind, title, highlight=highlight, extra=extra)
        st.plotly_chart(fig, width="stretch", key="map.chart.3", config={"displaylogo": False})
        st.caption("Drag to rotate, scroll to zoom. Selection works in the 2D view.")

    view_link.publish_view(corpus.name if corpus_id.startswith("bundled:") else None)
    st.caption(
        ":material/link: This page's address is a link to this view (projection, colours, search, your sentence, "
        "and the model when it is saved in this server's models folder): copy it to bookmark the view or to share "
        "it on this server."
    )
    neighbours_tab, summary_tab = st.tabs(["Nearest neighbours", "Corpus summary"])
    with neighbours_tab:
        map_view.neighbours(data, summary, typed_z)
    with summary_tab:
        map_view.cluster_table(data, summary, ctl.k, words)


latent_map()
if (history := bundle.latent_history) is not None:
    with st.expander("Replay: this model's latent space forming during training", icon=":material/play_circle:"):
        latent_replay(history.steps, history.stacked(), history.sentences, animate=True, key="map.replay")
