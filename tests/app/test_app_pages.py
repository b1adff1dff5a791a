"""The Streamlit app, page by page, with streamlit.testing.v1.AppTest (no browser).

Uses the bundled demo model when the checkout has it, else the tiny model from conftest.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from studio.maps import TYPED_SENTENCE
from studio.messages import md_escape
from studio.paths import corpora_dir
from tests.app.apptest import PAGES, SMALL_MODEL, assert_ok, count, let_the_warm_up_finish, open_page, upload
from tests.helpers import make_sentences
from textvae import bundle_to_zip

# ---------------------------------------------------------------- every page


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_loads_without_exception(app_env, page):
    at = open_page(page)
    assert_ok(at)
    assert at.title[0].value == PAGES[page]
    assert not at.error


def test_home_explains_the_elbo_and_links_every_page(app_env):
    at = open_page("app_pages/home.py")
    assert "KL" in at.latex[0].value
    assert len(at.get("page_link")) == len(PAGES) - 1


def test_sidebar_card_describes_the_demo_model(app_env):
    at = open_page("app_pages/home.py")
    sidebar_text = " ".join(m.value for m in at.sidebar.markdown) + " ".join(c.value for c in at.sidebar.caption)
    assert "ACTIVE MODEL" in sidebar_text and "parameters" in sidebar_text and "KL" in sidebar_text


@pytest.mark.parametrize("base", [None, "English base model"])
def test_the_sidebar_card_says_whether_the_model_was_fine_tuned(app_env, trained, base):
    bundle = trained[0]
    at = open_page("app_pages/home.py")
    at.session_state["model"] = replace(bundle, metrics={**bundle.metrics, "base": base})
    at.run()
    card = " ".join(c.value for c in at.sidebar.caption)
    said = f"{md_escape('English base model')} fine-tuned on" if base else "· trained on"
    assert f"{said} {md_escape('sentences.txt')}" in card, card


# ---------------------------------------------------------------- data


def test_an_uploaded_text_file_becomes_the_active_corpus(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    assert_ok(at)
    assert len(at.session_state["corpus"]) == 300
    assert at.session_state["corpus_id"].startswith("upload:")
    assert any("sentences\\.txt" in s.value for s in at.success)  # the name is markdown-escaped
    assert at.metric[0].value == "300"


def test_back_on_the_data_page_the_active_corpus_shows_its_numbers(app_env):
    """The file uploader forgets its file when a person moves to another page; the page shows the active corpus."""
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    at.file_uploader(key="data.upload").set_value(None).run()  # what coming back to the page looks like
    assert_ok(at)
    assert len(at.session_state["corpus"]) == 300 and at.metric[0].value == "300"
    assert not any(b.key == "data.use" for b in at.button)  # it is the active corpus: nothing to confirm


def test_a_binary_upload_is_refused_with_a_message(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert_ok(at)
    assert "not text" in at.error[0].value
    assert at.session_state["corpus"] is None


def test_a_table_upload_offers_its_text_and_label_columns(app_env):
    rows = ["id,review,stars"] + [f"{i},{s},{i % 5}" for i, s in enumerate(make_sentences(60))]
    at = open_page("app_pages/data.py")
    upload(at, "reviews.csv", "\n".join(rows).encode(), "text/csv")
    assert_ok(at)
    text_column = at.selectbox(key="data.upload.text")
    assert text_column.value == "review" and text_column.options == ["id", "review", "stars"]
    at.selectbox(key="data.upload.label").set_value("stars").run()
    assert_ok(at)
    assert at.session_state["corpus"].labels[:2] == ["0", "1"]


def test_a_labelled_corpus_colours_the_map_by_label(app_env):
    rows = ["text,label"] + [f"{s},{'pos' if i % 2 else 'neg'}" for i, s in enumerate(make_sentences(80))]
    at = open_page("app_pages/data.py")
    upload(at, "labelled.csv", "\n".join(rows).encode(), "text/csv")
    at.switch_page("app_pages/latent_space.py").run()
    assert "Label" in at.get("button_group")[2].options
    at.session_state["keep.map.color"] = "label"
    at.run()
    assert_ok(at)


def test_a_file_name_with_markup_is_shown_escaped(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "**bold** <b>x</b>.txt", ("\n".join(make_sentences(30)) + "\n").encode())
    assert_ok(at)
    shown = at.success[0].value
    assert "\\*\\*bold\\*\\*" in shown and "\\<b\\>" in shown


def test_choosing_a_bundled_corpus_needs_a_click(app_env):
    at = open_page("app_pages/data.py")
    at.get("button_group")[0].set_value("Bundled corpus").run()
    assert_ok(at)
    if not at.selectbox(key="data.bundled").options:
        pytest.skip("no bundled corpora in this checkout")
    assert at.session_state["corpus"] is None
    at.button(key="data.use").click().run()
    assert_ok(at)
    assert at.session_state["corpus_id"].startswith("bundled:")


def test_a_bundled_table_offers_the_same_column_picker(app_env):
    at = open_page("app_pages/data.py")
    at.get("button_group")[0].set_value("Bundled corpus").run()
    tables = [name for name in at.selectbox(key="data.bundled").options if name.endswith(".csv")]
    if not tables:
        pytest.skip("no bundled table in this checkout")
    at.selectbox(key="data.bundled").set_value(corpora_dir() / tables[0]).run()
    assert_ok(at)
    text = at.selectbox(key=f"data.bundled.text.{tables[0]}")  # the picker the upload uses, with its own keys
    label = at.selectbox(key=f"data.bundled.label.{tables[0]}")
    assert text.value == "text" and label.value == "label" and label.options[0] == "(none)"
    label.set_value("(none)").run()
    assert_ok(at)
    at.button(key="data.use").click().run()
    assert at.session_state["corpus"].labels is None


# ---------------------------------------------------------------- train


def small_settings(at: AppTest) -> None:
    for key, value in SMALL_MODEL.items():
        at.session_state[f"keep.train.{key}"] = value


def test_the_train_page_starts_and_stops_a_job(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    at.switch_page("app_pages/train.py").run()
    small_settings(at)
    at.session_state["keep.train.max_minutes"] = 5.0
    at.button(key="train.start").click().run()
    assert_ok(at)
    job = at.session_state["job"]
    assert job.status in ("queued", "running")
    at.button(key="train.stop").click().run()
    assert_ok(at)
    assert job.join(60)
    assert job.status == "stopped" and job.stop_reason == "stopped by the user"


def test_a_finished_training_becomes_the_active_model(app_env, monkeypatch):
    monkeypatch.setenv("TEXTVAE_MODE", "classroom")  # each session's trainings private (personal: test_model_store)
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    at.switch_page("app_pages/train.py").run()
    small_settings(at)
    at.text_input(key="keep.train.name").set_value("tiny-test")
    at.button(key="train.start").click().run()
    job = at.session_state["job"]
    assert job.join(120) and job.status == "done", job.error
    at.run()
    assert_ok(at)
    assert at.session_state["model"] is job.result and at.session_state["model_origin"] == "trained here"
    assert (
        job.saved_path.parent.parent == app_env / "models" / ".sessions"
    )  # this session's own folder, not the shared one
    assert any("now active" in s.value and "Kept for this session only" in s.value for s in at.success)
    replay = [c for c in at.get("plotly_chart") if "Press Play" in c.proto.spec or "press Play" in c.proto.spec]
    assert replay, "the finished training's live map replays with play / pause"
    assert job.result.latent_history is not None and len(job.result.latent_history) >= 2
    at.switch_page("app_pages/latent_space.py").run()
    assert_ok(at)
    assert any("latent space forming" in e.label for e in at.expander)  # the model keeps its replay
    at.switch_page("app_pages/models.py").run()
    assert any(md_escape(job.saved_path.name) in m.value and "yours" in m.value for m in at.markdown)
    other = open_page("app_pages/models.py")  # another person's session: never lists this one's training
    assert_ok(other)
    assert not any(md_escape(job.saved_path.name) in m.value for m in other.markdown)


def test_a_training_over_the_server_cap_waits_with_a_queue_message(app_env, monkeypatch):
    from textvae import Corpus, jobs

    slots = jobs.TrainingSlots(1)
    monkeypatch.setattr(jobs, "_default_slots", slots)

    def hold_the_slot(*args, stop, **kwargs):
        stop.wait(60)
        return None, None

    other = jobs.TrainingJob(Corpus(make_sentences(50)), slots=slots, train_fn=hold_the_slot).start()
    at = open_page("app_pages/train.py")
    small_settings(at)
    at.button(key="train.start").click().run()
    assert_ok(at)
    job = at.session_state["job"]
    assert job.status == "queued"
    queued = [i.value for i in at.info if "Queued" in i.value]
    assert len(queued) == 1 and "0 ahead of you" in queued[0]
    job.stop()  # first: stopping the other first would let this one take the slot and start a worker
    other.stop()
    assert other.join(30) and job.join(60)


def test_an_impossible_setting_is_refused_before_training(app_env):
    at = open_page("app_pages/train.py")
    at.session_state["keep.train.hidden_dim"] = 2048
    at.session_state["keep.train.embed_dim"] = 1024
    at.session_state["keep.train.vocab_size"] = 50_000
    at.button(key="train.start").click().run()
    assert_ok(at)
    assert "parameters" in at.error[0].value
    assert at.session_state["job"] is None


def test_presets_fill_in_the_settings(app_env, monkeypatch):
    monkeypatch.setenv("TEXTVAE_QUICK_MINUTES", "0.25")
    at = open_page("app_pages/train.py")
    assert at.session_state["keep.train.max_minutes"] == 0.25
    at.get("button_group")[0].set_value("Balanced").run()
    assert_ok(at)
    assert at.session_state["keep.train.hidden_dim"] == 256 and at.session_state["keep.train.latent_dim"] == 32


# ---------------------------------------------------------------- models


def test_a_bundle_zip_upload_becomes_the_active_model(app_env, trained):
    _, directory, _ = trained
    at = open_page("app_pages/models.py")
    at.file_uploader(key="models.upload").set_value(("tiny.zip", bundle_to_zip(directory), "application/zip")).run()
    assert_ok(at)
    assert at.session_state["model_origin"] == "uploaded"
    assert not at.error


@pytest.mark.parametrize(
    "data, message", [(b"not a zip at all", "not a valid zip"), (b"\x80\x04\x95" + bytes(40), "pickle")]
)
def test_a_bad_bundle_upload_shows_a_clear_error(app_env, data, message):
    at = open_page("app_pages/models.py")
    at.file_uploader(key="models.upload").set_value(("model.zip", data, "application/zip")).run()
    assert_ok(at)
    assert message in at.error[0].value.lower()
    assert at.session_state["model"] is None


def test_the_download_is_a_loadable_bundle(app_env, trained):
    from studio.models import bundle_zip_bytes
    from textvae import load_bundle_zip

    bundle, _, _ = trained
    data = bundle_zip_bytes(bundle)
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert load_bundle_zip(data).config == bundle.config


def test_sharing_puts_the_model_in_the_models_folder(app_env, trained, monkeypatch):
    monkeypatch.setenv("TEXTVAE_MODE", "classroom")  # an upload is not saved until shared
    _, directory, _ = trained
    at = open_page("app_pages/models.py")
    at.file_uploader(key="models.upload").set_value(("tiny.zip", bundle_to_zip(directory), "application/zip")).run()
    next(t for t in at.text_input if t.label == "Save as").set_value("kept").run()
    at.button(key="models.save").click().run()
    assert_ok(at)
    saved = [p for p in (app_env / "models").iterdir() if not p.name.startswith(".")]
    assert len(saved) == 1 and saved[0].name.startswith("kept-")
    other = open_page("app_pages/models.py")  # shared on purpose: listed for everyone
    assert any(md_escape(saved[0].name) in m.value and "shared" in m.value for m in other.markdown)


# ---------------------------------------------------------------- explore


def test_the_latent_map_lists_clusters_and_neighbours(app_env):
    at = open_page("app_pages/latent_space.py")
    assert_ok(at)
    assert len(at.table) >= 2  # neighbours and cluster summary, whole sentences
    picker = at.selectbox(key="map.nn.choice")  # starts at the biggest cluster's most central sentence
    summary = at.table[1].value  # one row per cluster
    biggest = summary[summary["sentences"] == summary["sentences"].max()]["most central sentence"]
    assert picker.index == 0 and md_escape(picker.options[0]) in set(biggest)
    at.text_input(key="keep.map.typed").set_value("A man is playing a guitar.").run()
    assert_ok(at)
    assert at.selectbox(key="map.nn.choice").options[0] == TYPED_SENTENCE  # the typed sentence comes first
    at.text_input(key="keep.map.search").set_value("dog").run()
    assert_ok(at)


def test_the_latent_map_in_3d_and_by_length(app_env):
    at = open_page("app_pages/latent_space.py")
    at.session_state["keep.map.dims"] = 3
    at.session_state["keep.map.color"] = "length"
    at.run()
    assert_ok(at)


def test_tsne_works_on_a_small_corpus(app_env):
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(120)) + "\n").encode())
    at.switch_page("app_pages/latent_space.py").run()
    at.session_state["keep.map.method"] = "tsne"
    at.run(timeout=300)
    assert_ok(at)


def test_interpolation_shows_the_path_with_user_text_as_data(app_env):
    at = open_page("app_pages/interpolate.py")
    at.text_input(key="keep.interp.a").set_value("<script>alert(1)</script> **bold**")
    at.button[0].click().run()  # the form's submit button
    assert_ok(at)
    path = at.table[0].value
    assert len(path) == 8 and list(path.columns) == ["t", "sentence"] and path.index.name == "step"
    assert all("<script>" not in m.value for m in at.markdown)
    assert any("Steps 1 and 8 are the model's own decodings" in c.value for c in at.caption)


def test_sampling_is_repeatable_with_a_seed(app_env):
    first = open_page("app_pages/sample.py").table[0].value["sentence"].tolist()
    second = open_page("app_pages/sample.py").table[0].value["sentence"].tolist()
    assert first == second and len(first) == 10


def test_sampling_where_the_corpus_lies_says_so_and_repeats_with_a_seed(app_env):
    at = open_page("app_pages/sample.py")
    prior = at.table[0].value["sentence"].tolist()
    assert any(c.value.startswith("z ~ N(0, I), decoded") for c in at.caption)
    at.radio(key="keep.sample.codes").set_value("Where the corpus's sentences lie")
    at.button[0].click().run()  # the form's submit button
    assert_ok(at)
    near = at.table[0].value["sentence"].tolist()
    assert len(near) == 10 and near != prior
    assert any(c.value.startswith("z ~ N(m, S), fitted to the codes of") for c in at.caption)
    at.button[0].click().run()
    assert at.table[0].value["sentence"].tolist() == near


def test_reconstruction_reports_bits_and_noise(app_env):
    at = open_page("app_pages/reconstruct.py")
    assert_ok(at)
    labels = [m.label for m in at.metric]
    assert labels == ["As text", "Under the model", "In its code z", "Survives the round trip"]
    text, model, code = (float(m.value.removesuffix(" bits").replace(",", "")) for m in at.metric[:3])
    sentence = at.text_input(key="keep.recon.sentence").value
    assert text == 8 * len(sentence.encode("utf-8")) and model > 0 and code >= 0
    assert f"is {int(text):,} bits as text" in at.info[0].value
    assert len(at.table[0].value) >= 7


def test_an_empty_sentence_is_an_error_not_a_crash(app_env):
    at = open_page("app_pages/reconstruct.py")
    at.text_input(key="keep.recon.sentence").set_value("   ")
    at.button[0].click().run()
    assert_ok(at)
    assert "empty" in at.error[0].value


# ---------------------------------------------------------------- shared helpers


def test_markdown_escaping_neutralises_markup():
    escaped = md_escape("**x** <b>y</b> [l](http://e) $z$")
    for raw in ("**", "<b>", "](", "$z$"):
        assert raw not in escaped


def test_session_end_orphans_running_jobs(app_env):
    from studio import resume

    class Job:
        active, orphaned, name = True, None, "fake"

        def orphan(self, grace_s):
            self.orphaned = grace_s

        def adopt(self):
            self.orphaned = None

    holder = resume.open_holder()
    job = Job()
    holder.watch(job)
    resume.release_holder(holder)
    assert job.orphaned == 120.0


def test_a_page_switch_reuses_the_cached_work(app_env, monkeypatch):
    """Switching pages must not encode, project or cluster the corpus again, nor count it again: all cached.
    (Counts calls, not seconds: the machine may be busy. Calls from the server's warm-up thread do not count.)"""
    import textvae
    from textvae import latent

    calls = []

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            count(calls, name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    at = open_page("app_pages/latent_space.py")
    at.switch_page("app_pages/data.py").run()
    for name in ("encode_corpus", "project", "cluster_summary"):
        counted(latent, name)
    counted(textvae, "corpus_stats")
    for page in ("app_pages/home.py", "app_pages/latent_space.py", "app_pages/data.py", "app_pages/home.py"):
        at.switch_page(page).run()
        assert_ok(at)
    assert calls == []


def test_show_posterior_collapse_switches_the_fixes_off_and_back(app_env):
    from textvae.presets import POSTERIOR_COLLAPSE, PRESETS

    at = open_page("app_pages/train.py")
    state = at.session_state
    assert state["keep.train.free_bits"] > 0 and state["keep.train.from_base"]
    at.toggle(key="keep.train.collapse").set_value(True).run()
    assert_ok(at)
    for key, value in POSTERIOR_COLLAPSE.items():
        assert at.session_state[f"keep.train.{key}"] == (0 if value is None else value), key
    assert not at.session_state["keep.train.from_base"]  # the base model was trained with the fixes
    assert any("Posterior collapse, on purpose" in i.value for i in at.info)
    at.toggle(key="keep.train.collapse").set_value(False).run()
    assert_ok(at)
    assert at.session_state["keep.train.free_bits"] == PRESETS["quick"].training["free_bits"]
    assert at.session_state["keep.train.kl_schedule"] == PRESETS["quick"].training["kl_schedule"]
    assert at.session_state["keep.train.from_base"]


def test_ae_vs_vae_trains_both_sides_and_shows_their_maps_and_random_points(app_env, monkeypatch):
    import textvae.ae_vs_vae
    import textvae.generation

    monkeypatch.setattr(textvae.ae_vs_vae, "MINUTES", 0.05)  # seconds, not the page's 45 s each
    decoded_with = []
    real_sample_prior = textvae.generation.sample_prior

    def sample_prior(model, tokenizer, n, options=None, seed=0, region=None):
        decoded_with.append(options)
        return real_sample_prior(model, tokenizer, n, options, seed, region)

    monkeypatch.setattr(textvae.generation, "sample_prior", sample_prior)
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    at.switch_page("app_pages/ae_vs_vae.py").run()
    assert_ok(at)
    at.button(key="aevae.start").click().run()
    assert_ok(at)
    jobs = at.session_state["ae_vs_vae"]["jobs"]
    assert set(jobs) == {"autoencoder", "vae"}
    assert all(job.join(180) and job.status == "done" for job in jobs.values()), [j.error for j in jobs.values()]
    assert jobs["autoencoder"].training.beta_max == 0.0 and jobs["vae"].training.beta_max > 0
    at.run()
    assert_ok(at)
    charts = [c for c in at.get("plotly_chart") if "aevae.map" in c.proto.id or "random points" in c.proto.spec]
    assert len(charts) == 2
    assert any("nats a sentence" in c.value for c in at.caption)
    # random points decode as each model writes them: no guard dresses the autoencoder's nonsense as sentences
    assert len(decoded_with) == 2 and not any(
        o.known_words or o.sentence_shape or o.no_repeat_ngram for o in decoded_with
    )
    shares = [m for m in at.metric if m.label == "Random points that decode to a sentence"]
    assert len(shares) == 2 and all(0 <= float(m.value.rstrip("%")) <= 100 for m in shares)
    other = open_page("app_pages/data.py")  # another person, same corpus and seed: the results at once
    upload(other, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    other.switch_page("app_pages/ae_vs_vae.py").run()
    assert_ok(other)
    assert len([c for c in other.get("plotly_chart") if "random points" in c.proto.spec]) == 2


def test_the_warm_up_computes_what_the_latent_space_page_first_shows(app_env, monkeypatch):
    from studio import corpora, maps, models
    from textvae import cluster_labels, latent

    let_the_warm_up_finish()
    for cached in (maps._encode, maps.clusters, maps.cluster_words):
        cached.clear()
    calls = []
    for module, name in ((latent, "encode_corpus"), (cluster_labels, "cluster_keywords")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name, **k: count(calls, _n) or _f(*a, **k))
    corpus, corpus_id = corpora.demo_corpus()
    maps.warm_map(models.demo_model_id(), corpus_id, models.demo_bundle(), corpus)  # as the server's warm-up does
    assert calls == ["encode_corpus", "cluster_keywords"]
    at = open_page("app_pages/latent_space.py")
    assert_ok(at)
    assert calls == ["encode_corpus", "cluster_keywords"]  # the page found its codes and named clusters cached


def test_the_warm_up_computes_what_the_reconstruct_page_first_shows(app_env, monkeypatch):
    from studio import cached, models
    from studio.examples import DEMO
    from textvae import compression, generation

    let_the_warm_up_finish()
    cached._sentence_bits.clear()
    cached._reconstruction.clear()
    calls = []
    for module, name in ((compression, "sentence_bits"), (generation, "decode_latent")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name, **k: count(calls, _n) or _f(*a, **k))
    cached.warm_reconstruction(models.demo_model_id(), models.demo_bundle(), DEMO["recon.sentence"])  # as warm_up
    assert calls == ["sentence_bits", "decode_latent"]
    at = open_page("app_pages/reconstruct.py")
    assert_ok(at)
    assert calls == ["sentence_bits", "decode_latent"]  # the page found its bits and its noise table cached
    assert at.metric[0].value.endswith("bits")


def test_the_warm_up_finds_where_the_demo_corpus_lies_for_the_sample_page(app_env, monkeypatch):
    from studio import cached, corpora, models
    from textvae import code_region

    let_the_warm_up_finish()
    cached.REGIONS.clear()
    calls = []
    original = code_region.corpus_region
    monkeypatch.setattr(code_region, "corpus_region", lambda *a, **k: count(calls, "region") or original(*a, **k))
    corpus, corpus_id = corpora.demo_corpus()
    cached.warm_region(models.demo_model_id(), corpus_id, models.demo_bundle(), corpus)  # as the warm-up does
    assert calls == ["region"]
    at = open_page("app_pages/sample.py")
    at.radio(key="keep.sample.codes").set_value("Where the corpus's sentences lie")
    at.button[0].click().run()
    assert_ok(at)
    assert calls == ["region"]  # the page found it cached
