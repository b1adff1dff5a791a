import numpy as np
import pandas as pd
import streamlit as st

import ui
from textvae import TextVAEError
from textvae.latent import nearest_neighbors

ui.page_header(
    "Latent space",
    "Every dot is a sentence, placed by its code z. Nearby dots: sentences the model finds alike. Hover to read, drag to select.",
)
bundle = ui.require_model()
found = ui.active_corpus()
if found is None:
    st.warning("Choose sentences on the **Data** page first.", icon=":material/info:")
    st.stop()
corpus, corpus_id = found


@st.fragment  # every click on the map or its controls reruns only this part, not the whole app
def latent_map() -> None:
    c = st.columns([1.2, 1, 1.3, 1, 1])
    method = (
        c[0].segmented_control(
            "Projection",
            ["pca", "tsne"],
            format_func={"pca": "PCA", "tsne": "t-SNE"}.get,
            key=ui.keep("map.method", "pca"),
            help="PCA: instant, linear, distances keep their meaning. t-SNE: slower, keeps neighbourhoods, clusters look crisper.",
        )
        or "pca"
    )
    dims = c[1].segmented_control("View", [2, 3], format_func=lambda d: f"{d}D", key=ui.keep("map.dims", 2)) or 2
    color_options = ["cluster", "length"] + (["label"] if corpus.labels is not None else [])
    if st.session_state.get(ui.KEEP + "map.color") not in color_options:
        st.session_state[ui.KEEP + "map.color"] = "cluster"
    color_by = (
        c[2].segmented_control("Colour by", color_options, format_func=str.capitalize, key=ui.KEEP + "map.color")
        or "cluster"
    )
    k = c[3].number_input(
        "Clusters",
        2,
        30,
        key=ui.keep("map.k", 8),
        help="k-means clusters on the codes, for colours and the summary below.",
    )
    cap = c[4].number_input(
        "Max points",
        500,
        20_000,
        step=500,
        key=ui.keep("map.cap", ui.MAP_POINT_CAP),
        help="A random sample of this many sentences is mapped.",
    )

    data = ui.encoded(bundle, corpus, corpus_id, int(cap))
    proj = ui.projection(data, corpus_id, method, int(dims), int(cap))
    summary = ui.clusters(ui.active_model_id(), corpus_id, int(cap), int(k), data.z)

    note = f"{len(data.sentences):,} sentences" + (
        f" (a random sample of {len(corpus):,}; raise “Max points” to see more)" if data.capped else ""
    )
    if proj.explained_variance:
        note += f" · the {dims} PCA axes explain {sum(proj.explained_variance):.0%} of the variance of z"
    st.caption(note)

    s1, s2 = st.columns(2)
    typed = s1.text_input(
        "Place a sentence on the map",
        key=ui.keep("map.typed", ""),
        placeholder="Type a sentence and press Enter",
        max_chars=500,
    )
    search = s2.text_input(
        "Search the map", key=ui.keep("map.search", ""), placeholder="A word or phrase to highlight", max_chars=200
    )

    extra, typed_z = [], None
    if typed.strip() and ui.check_typed(bundle, {"Place a sentence on the map": typed}):
        try:
            mu, _ = ui.posterior(bundle, [typed])
            typed_z = mu[0]
            extra.append(
                {"coords": np.asarray(proj.transform(mu))[:, : int(dims)], "text": [typed], "name": "your sentence"}
            )
        except TextVAEError as exc:
            ui.show_error(exc)
    highlight = None
    if search.strip():
        needle = search.strip().lower()
        highlight = np.fromiter((needle in s.lower() for s in data.sentences), dtype=bool, count=len(data.sentences))
        s2.caption(f"{int(highlight.sum()):,} matching sentences highlighted.")

    if color_by == "cluster":
        color, kind, title = [f"cluster {c + 1}" for c in summary.labels], "category", "cluster"
    elif color_by == "label":
        color, kind, title = data.labels, "category", "label"
    else:
        color, kind, title = [len(s.split()) for s in data.sentences], "number", "words"

    fig = ui.latent_figure(proj.coords, data.sentences, color, kind, title, highlight=highlight, extra=extra)
    event = st.plotly_chart(
        fig,
        width="stretch",
        key=f"map.chart.{dims}",
        on_select="rerun" if dims == 2 else "ignore",
        selection_mode=("box", "lasso", "points"),
        config={"displaylogo": False},
    )
    if dims == 2:
        selected = sorted(
            {
                int(p["customdata"][0])
                for p in (event.selection.points if event else [])
                if p.get("customdata") and int(p["customdata"][0]) >= 0
            }
        )
        if selected:
            st.subheader(f"Selected: {len(selected):,} sentences")
            frame = pd.DataFrame(
                {
                    "sentence": [data.sentences[i] for i in selected],
                    "cluster": [int(summary.labels[i]) + 1 for i in selected],
                }
            )
            if data.labels is not None:
                frame["label"] = [data.labels[i] for i in selected]
            st.dataframe(
                frame,
                width="stretch",
                hide_index=True,
                height=min(400, 38 + 35 * len(frame)),
                column_config={
                    "sentence": st.column_config.TextColumn(width="large"),
                    "cluster": st.column_config.NumberColumn(width="small"),
                },
            )
            st.download_button(
                "Download selection (CSV)",
                ui.csv_bytes(frame),
                "selection.csv",
                "text/csv",
                on_click="ignore",
                icon=":material/download:",
            )
        else:
            st.caption("Tip: use the box or lasso tool (top right of the chart) to list the sentences in a region.")
    else:
        st.caption("Drag to rotate, scroll to zoom. Selection works in the 2D view.")

    neighbours_tab, summary_tab = st.tabs(["Nearest neighbours", "Corpus summary"])
    with neighbours_tab:
        options = (
            ["(the sentence typed above)"] + data.sentences[:2000] if typed_z is not None else data.sentences[:2000]
        )
        c1, c2 = st.columns([3, 1])
        choice = c1.selectbox(
            "Sentence",
            range(len(options)),
            format_func=lambda i: options[i][:150],
            key="map.nn.choice",
            help="Any of the first 2,000 mapped sentences, or the one you typed above.",
        )
        n_neigh = c2.slider("How many", 3, 30, 10, key=ui.keep("map.nn.k", 10))
        if typed_z is not None and choice == 0:
            query, exclude = typed_z, None
        else:
            row = choice - 1 if typed_z is not None else choice
            query, exclude = data.z[row], row
        hits = nearest_neighbors(data.z, query, int(n_neigh), exclude=exclude)
        st.dataframe(
            pd.DataFrame(
                {"distance": [round(d, 3) for _, d in hits], "sentence": [data.sentences[i] for i, _ in hits]}
            ),
            width="stretch",
            hide_index=True,
            column_config={"distance": st.column_config.NumberColumn(width="small", format="%.3f")},
        )
        st.caption("Euclidean distance between posterior means: 0 is the same code.")
    with summary_tab:
        st.caption(f"{int(k)} clusters of codes (k-means), each shown by its most central sentence.")
        frame = pd.DataFrame(
            {
                "cluster": np.arange(1, len(summary.sizes) + 1),
                "sentences": summary.sizes,
                "most central sentence": [data.sentences[i] for i in summary.representatives],
            }
        ).sort_values("sentences", ascending=False)
        st.dataframe(
            frame,
            width="stretch",
            hide_index=True,
            column_config={
                "cluster": st.column_config.NumberColumn(width="small"),
                "sentences": st.column_config.ProgressColumn(
                    "sentences", format="%d", min_value=0, max_value=int(max(summary.sizes)), width="small"
                ),
                "most central sentence": st.column_config.TextColumn(width="large"),
            },
        )


latent_map()
