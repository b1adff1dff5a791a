import dataclasses
import json
import re
import shutil

import numpy as np
import pytest

from textvae.cli import main
from textvae.model_card import held_out_metrics, model_facts, precision_of
from textvae.report import pick_sentences, same_label_neighbours

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NAME = "Tiny <b>model</b> & co"
# What would make a browser fetch something: a tag that loads a URL, a stylesheet import, a CSS url() to a host.
LOADS = re.compile(
    r"<script\b[^>]*\bsrc\s*=|<link\b[^>]*\bhref\s*=\s*[\"']?(https?:)?//|<(img|iframe|audio|video|source|embed)\b"
    r"[^>]*\bsrc\s*=\s*[\"']?(https?:)?//|@import|url\(\s*[\"']?(https?:)?//",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def named_bundle(trained, tmp_path_factory):
    """The tiny model under a name with markup in it."""
    _, directory, _ = trained
    target = tmp_path_factory.mktemp("named") / "bundle"
    shutil.copytree(directory, target)
    metrics = json.loads((target / "metrics.json").read_text())
    (target / "metrics.json").write_text(json.dumps({**metrics, "name": NAME}))
    return target


@pytest.fixture(scope="module")
def labelled_csv(trained, tmp_path_factory):
    """The training sentences as a table with a label column; every other one starts with a script tag."""
    _, _, corpus = trained
    path = tmp_path_factory.mktemp("labelled") / "labelled.csv"
    rows = ["text,label"]
    for i, sentence in enumerate(corpus.sentences[:120]):
        text = f"{SCRIPT} {sentence}" if i % 2 else sentence
        rows.append(f'"{text}",{"night" if "night" in sentence else "day"}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(named_bundle, labelled_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(named_bundle), str(labelled_csv), "--out", str(out), "--limit", "100"]) == 0
    return out.read_text(encoding="utf-8")


def test_the_report_loads_nothing_from_the_network(report):
    assert LOADS.search(report) is None
    assert report.count("<script>") >= 2  # the map's plotly.js is inlined: the file is its own library
    assert len(report) > 1_000_000 and 'id="latent-map"' in report


def test_user_text_is_escaped_never_markup(report):
    assert SCRIPT not in report and "<b>model</b>" not in report
    assert report.count(ESCAPED) >= 2  # on the map and in the report's own text
    assert "Tiny &lt;b&gt;model&lt;/b&gt; &amp; co" in report


def test_the_report_has_every_section_and_says_it_is_seeded(report):
    sections = ("Model card", "The latent map", "Samples", "Interpolations", "Reconstructions", "Labels", "Steering")
    for heading in sections:
        assert f"<h2>{heading}</h2>" in report
    assert "Seed 0: the same model, corpus and seed give the same report." in report
    assert "Same-label neighbours" in report and ">night<" in report and ">day<" in report
    assert "<strong>day → night</strong>" in report and "<strong>night → day</strong>" in report
    assert "&lt;unk&gt;" not in report.split("<h2>Samples</h2>")[1]  # decoding for people never emits it
    samples = report.split("<h2>Samples</h2>")[1].split("</section>")[0]
    assert "From the prior N(0, I)" in samples and "where the corpus's sentences lie" in samples
    assert samples.count("<ol") == 2 and samples.count("<li") == 16  # 8 from the prior, 8 from the same draws there


def test_the_same_seed_gives_the_same_file(named_bundle, labelled_csv, tmp_path, report):
    again, other = tmp_path / "again.html", tmp_path / "other.html"
    assert main(["report", str(named_bundle), str(labelled_csv), "--out", str(again), "--limit", "100"]) == 0
    assert again.read_text(encoding="utf-8") == report
    args = ["report", str(named_bundle), str(labelled_csv), "--out", str(other), "--limit", "100", "--seed", "5"]
    assert main(args) == 0
    assert other.read_text(encoding="utf-8") != report


def test_an_unlabelled_corpus_has_no_label_section(trained, corpus_file, tmp_path):
    _, directory, _ = trained
    out = tmp_path / "plain.html"
    assert main(["report", str(directory), str(corpus_file), "--out", str(out), "--limit", "50"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<h2>Labels</h2>" not in text and "<h2>Steering</h2>" not in text and "k-means cluster" in text
    named = re.findall(r'"name":"(\d+): ([a-z]+)', text)  # the legend names each cluster by its words
    assert len(named) >= 2 and all(word in text for _, word in named)


def test_a_report_must_be_html(trained, corpus_file, tmp_path, capsys):
    _, directory, _ = trained
    assert main(["report", str(directory), str(corpus_file), "--out", str(tmp_path / "r.pdf")]) == 2
    assert "must end in .html" in capsys.readouterr().err


def test_neighbours_share_labels_in_separated_groups():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (20, 3)), rng.normal(5, 0.1, (20, 3))])
    labels = ["a"] * 20 + ["b"] * 20
    assert same_label_neighbours(z, labels, k=5).tolist() == [1.0] * 40
    assert same_label_neighbours(z, ["a", "b"] * 20, k=5).mean() < 0.7


def test_picked_sentences_are_distinct_and_readable():
    sentences = ["Too short.", "This one has five words.", "This one has five words.", "Four words are here."]
    picked = pick_sentences(sentences, 2, np.random.default_rng(0))
    assert sorted(picked) == ["Four words are here.", "This one has five words."]
    assert len(pick_sentences(sentences, 9, np.random.default_rng(0))) == 3  # as many as there are


def test_the_model_card_explains_what_the_bundle_has(trained):
    bundle, _, _ = trained
    facts = {row.name: row for row in model_facts(bundle)}
    parameters = sum(p.numel() for p in bundle.model.parameters())
    assert f"{parameters:,} parameters" in facts["Size"].value
    recorded = bundle.metrics["result"]["precision"]  # auto: bf16 on AVX512-BF16 or AMX machines, else fp32
    assert recorded in ("fp32", "bf16") and facts["Precision"].value == recorded
    assert facts["Training time"].explanation
    metrics = {row.name: row.value for row in held_out_metrics(bundle)}
    assert metrics["−ELBO (nats a sentence)"] == f"{bundle.metrics['valid']['elbo']:,.2f}"
    assert metrics["Active units"].endswith(f"of {bundle.config.latent_dim}") and "BLEU" not in metrics
    assert all(row.explanation for row in held_out_metrics(bundle))


@pytest.mark.parametrize(
    ("result", "shown"),
    [
        ({"epochs_done": 5, "steps": 3345}, "(5 epochs, 3,345 steps)"),
        ({"epochs_done": 1, "steps": 700}, "(1 epoch, 700 steps)"),
        ({"epochs_done": 0, "steps": 200}, "(200 steps)"),  # a time budget stopped it in the first epoch
    ],
)
def test_the_training_time_says_how_far_it_got(trained, result, shown):
    bundle = trained[0]
    metrics = {**bundle.metrics, "result": {**bundle.metrics["result"], "elapsed_s": 76.0, **result}}
    facts = {row.name: row for row in model_facts(dataclasses.replace(bundle, metrics=metrics))}
    assert facts["Training time"].value == f"1 min 16 s {shown}"


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"result": {"precision": "bf16"}}, "bf16"),
        ({"training": {"precision": "fp32"}}, "fp32"),
        ({"training": {"bf16": True}}, "bf16"),  # bundles from before the precision choice
        ({}, "fp32"),
    ],
)
def test_precision_as_recorded(metrics, expected):
    assert precision_of(metrics) == expected
