"""The stakeholder report as one HTML file: f-strings, every text through html.escape, a small embedded stylesheet
that reads on a phone and on a projector, and the map's plotly.js inlined, so the file opens offline and loads
nothing from anywhere."""

from __future__ import annotations

import textwrap
from html import escape

import plotly.graph_objects as go

from . import __version__
from .cluster_labels import cluster_names
from .compression import in_words
from .report import ReportContent

COLOURS = ("#4F46E5", "#E4572E", "#17BEBB", "#F2A541", "#76B041", "#C65BCF", "#2E86AB", "#A23B72", "#6C757D")

CSS = """
:root { color-scheme: light; --ink: #1f2330; --muted: #5b6172; --line: #dfe2ea; --accent: #4F46E5; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #f6f7fb; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
header h1 { font-size: clamp(1.6rem, 4vw, 2.4rem); margin: 0 0 .25rem; line-height: 1.2; overflow-wrap: anywhere; }
header p { margin: .2rem 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 1rem 1.25rem;
          margin: 1.25rem 0; }
h2 { font-size: 1.3rem; margin: .2rem 0 .6rem; }
.note { color: var(--muted); font-size: .92rem; }
.verdict { border-left: 4px solid var(--accent); padding: .3rem .8rem; background: #f1f0ff; border-radius: 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid var(--line); }
th { font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
th.num, td.num { width: 6.5rem; }
td.num { white-space: nowrap; }
table.card th { width: 12rem; padding-top: .6rem; }
.value { display: block; font-weight: 600; font-size: 1.05rem; }
.explain { display: block; color: var(--muted); font-size: .92rem; }
ol { padding-left: 1.6rem; margin: .3rem 0; }
li { margin: .15rem 0; }
li.real { font-weight: 600; }
li.real::after { content: " (corpus)"; font-weight: 400; color: var(--muted); font-size: .85rem; }
.path { margin: .6rem 0 1rem; }
#latent-map { width: 100%; }
@media (max-width: 600px) {
  body { font-size: 16px; }
  main { padding: 1rem .5rem 2rem; }
  section { padding: .8rem .7rem; }
  table.card th, table.card td { display: block; width: auto; border-bottom: none; padding: .1rem .3rem; }
  table.card tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.stack td { display: block; border: none; padding: .1rem .3rem; text-align: left; white-space: normal; }
  table.stack td::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
}
"""


def _hover(sentence: str) -> str:
    """A sentence for a plotly hover label (which renders tags): escaped, wrapped, at most six lines."""
    return "<br>".join(escape(line, quote=False) for line in textwrap.wrap(sentence, 60)[:6])


def map_figure(content: ReportContent) -> go.Figure:
    """The map: one trace per label (or per k-means cluster), each point's sentence on hover."""
    mapped = content.map
    coords = mapped.coords.round(3)  # a thousandth of the map's width is invisible; the last bits vary with threads
    if mapped.labels is not None:
        groups = list(mapped.labels)
        order = sorted(set(groups), key=lambda g: (len(g), g))
    else:  # each cluster named by its most distinctive words, as on the app's map: "3: food, service, waiter"
        names = cluster_names(mapped.cluster_keywords())
        groups = [names[int(c)] for c in mapped.clusters]
        order = [name for name in names if name in set(groups)]
    fig = go.Figure()
    for i, group in enumerate(order[: len(COLOURS)]):
        rows = [j for j, g in enumerate(groups) if g == group]
        fig.add_trace(
            go.Scatter(  # SVG, not WebGL: it draws in any browser, with or without a GPU
                x=coords[rows, 0],
                y=coords[rows, 1],
                mode="markers",
                name=escape(group, quote=False),
                hovertext=[_hover(mapped.sentences[j]) for j in rows],
                hovertemplate="%{hovertext}<extra></extra>",
                marker={"size": 6, "color": COLOURS[i], "opacity": 0.7},
            )
        )
    fig.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        hoverlabel={"align": "left"},
        plot_bgcolor="#fbfbfe",
    )
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def _card(content: ReportContent) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(r.name)}</th><td><span class="value">{escape(r.value)}</span>'
        f'<span class="explain">{escape(r.explanation)}</span></td></tr>'
        for r in content.facts + content.metrics
    )
    return (
        "<section><h2>Model card</h2>"
        f'<div class="scroll"><table class="card"><tbody>{rows}</tbody></table></div>'
        f'<p class="verdict">{escape(content.verdict)}</p>'
        '<p class="note">Held-out numbers: measured on sentences kept out of training (the model\'s metrics.json).'
        "</p></section>"
    )


def _map(content: ReportContent) -> str:
    coloured = (
        "label"
        if content.map.labels is not None
        else "k-means cluster of the codes, each named by its most distinctive words"
    )
    plot = map_figure(content).to_html(
        full_html=False,
        include_plotlyjs=True,
        div_id="latent-map",
        config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage"]},
    )
    return (
        "<section><h2>The latent map</h2>"
        f"<p>Each dot is one of {len(content.map.sentences):,} sentences of {escape(content.corpus_name)}, placed by "
        f"its code z (PCA to two dimensions), coloured by {coloured}. Sentences the model thinks alike sit close. "
        "Hover over a dot to read it; drag to zoom, double-click to zoom out.</p>"
        f"{plot}</section>"
    )


def _list(items: list[str], real: tuple[int, ...] = ()) -> str:
    """An ordered list; the items at the positions in ``real`` are corpus sentences, marked as such."""
    return (
        "<ol>"
        + "".join(
            f'<li class="real">{escape(s)}</li>' if i in real else f"<li>{escape(s)}</li>" for i, s in enumerate(items)
        )
        + "</ol>"
    )


def _generations(content: ReportContent) -> str:
    paths = "".join(f'<div class="path">{_list(path, (0, len(path) - 1))}</div>' for path in content.interpolations)
    return (
        "<section><h2>Samples</h2><p>New sentences: codes drawn at random and decoded (nucleus sampling, p = 0.9). "
        "From the prior N(0, I), the model's own way to make up sentences:</p>"
        f"{_list(content.samples)}<p>The same draws moved to where the corpus's sentences lie (a Gaussian with "
        "the mean and covariance of their codes), where a model fine-tuned for a short while writes more like "
        f"the corpus:</p>{_list(content.samples_near)}</section>"
        "<section><h2>Interpolations</h2><p>From one real sentence of the corpus to another: the codes between "
        f"theirs, decoded. A smooth space changes the sentence a little at each step.</p>{paths}</section>"
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A table that scrolls on a wide screen and stacks each row as a card on a phone (data-label names a cell)."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-label="{escape(headers[i])}"{" class=num" if i in numeric else ""}>{escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table class="stack"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _reconstructions(content: ReportContent) -> str:
    rows = [
        [original, decoded, f"{bits.text_bits:,}", f"{bits.model_bits:,.0f}", f"{bits.code_bits:,.0f}"]
        for original, decoded, bits in content.reconstructions
    ]
    headers = ["Sentence", "Decoded from its code", "Bits as text", "Bits under the model", "Bits in the code"]
    first = content.reconstructions[0][2]
    return (
        "<section><h2>Reconstructions</h2><p>Sentence → code → sentence: the model as a lossy compressor. "
        "What survives the round trip is what the code remembers.</p>"
        f"{_table(headers, rows, {2, 3, 4})}"
        f'<p class="note">First row: {escape(in_words(first))} Bits under the model: −log₂ p(x), '
        f"importance-weighted with {first.samples} samples; bits in the code: KL(q(z|x) ‖ p(z)).</p></section>"
    )


def _labels(content: ReportContent) -> str:
    if content.labels is None:
        return ""
    rows = [
        [r.label, f"{r.sentences:,}", f"{r.share:.0%}", f"{r.same_label_neighbours:.0%}", r.typical]
        for r in content.labels
    ]
    headers = ["Label", "Sentences", "Share", "Same-label neighbours", "Typical"]
    return (
        "<section><h2>Labels</h2><p>How each label of the corpus sits in the code. <em>Same-label neighbours</em>: "
        "of each sentence's 10 nearest codes, the share with its label (by chance: "
        f"{content.chance_neighbours:.0%}); higher means the model groups that label together without being told. "
        "<em>Typical</em>: the sentence nearest the label's average code.</p>"
        f"{_table(headers, rows, {1, 2, 3})}</section>"
    )


def _steering(content: ReportContent) -> str:
    if not content.steering:
        return ""
    paths = "".join(
        f"<p><strong>{escape(s.source)} → {escape(s.target)}</strong></p>"
        f'<div class="path">{_list([s.original, *s.path[1:]], (0,))}</div>'
        for s in content.steering
    )
    return (
        "<section><h2>Steering</h2><p>A typical sentence of one label, its code moved step by step along the "
        "direction from that label's average code to the other's, and decoded: what the model has learned the "
        f"labels mean, without being told.</p>{paths}</section>"
    )


def render(content: ReportContent) -> str:
    """The whole document."""
    title = f"{content.name}: a sentence VAE"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{escape(content.name)}</h1>"
        f"<p>A sentence variational autoencoder, shown on {escape(content.corpus_name)} "
        f"({content.corpus_sentences:,} sentences). It squeezes each sentence into a short code and writes it "
        "back from that code.</p>"
        f"<p>Seed {content.seed}: the same model, corpus and seed give the same report. This file needs no network; "
        "the map's code is inside it.</p></header>"
        f"{_card(content)}{_map(content)}{_generations(content)}{_reconstructions(content)}"
        f"{_labels(content)}{_steering(content)}"
        f'<p class="note">Made with TextVAE Studio {escape(__version__)} '
        "(python -m textvae report).</p></main></body></html>\n"
    )
