"""The plain functions behind the pages (no AppTest): map search and neighbours; the cleaning report;
table columns; the one model summary."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

from studio import maps
from studio.corpora import report_line, table_columns
from studio.maps import MapData


def test_search_mask_is_case_insensitive_and_none_when_blank():
    sentences = ["A Dog runs.", "A cat sleeps.", "dogs bark"]
    assert maps.search_mask(sentences, "  dog ").tolist() == [True, False, True]
    assert maps.search_mask(sentences, "   ") is None
    assert maps.search_mask(sentences, "zebra").tolist() == [False, False, False]


def test_neighbour_choices_put_the_typed_sentence_then_the_central_ones_first():
    assert maps.neighbour_choices(3000, [], typed=False)[:2] == [0, 1]
    choices = maps.neighbour_choices(3000, [2500, 7], typed=False)
    assert choices[:4] == [2500, 7, 0, 1] and len(choices) == 2001 and len(set(choices)) == 2001  # 7 once
    with_typed = maps.neighbour_choices(3000, [2500, 7], typed=True)
    assert with_typed[:3] == [maps.TYPED, 2500, 7] and len(with_typed) == 2002
    assert maps.neighbour_choices(3, [1], typed=False) == [1, 0, 2]


def test_neighbour_query_maps_the_choice_to_a_row():
    z = np.arange(12.0).reshape(4, 3)
    typed = np.array([9.0, 9.0, 9.0])
    query, exclude = maps.neighbour_query(maps.TYPED, z, typed)
    assert exclude is None and query is typed
    query, exclude = maps.neighbour_query(1, z, typed)
    assert exclude == 1 and query.tolist() == z[1].tolist()
    query, exclude = maps.neighbour_query(2, z, None)
    assert exclude == 2 and query.tolist() == z[2].tolist()


def test_map_colours():
    data = MapData(np.arange(2), ["one two", "three"], ["pos", "neg"], np.zeros((2, 2)), False)
    names = ["1: one, two", "2: three"]
    assert maps.map_colours("cluster", data, np.array([1, 0]), names) == (names[::-1], "category", "cluster: top words")
    assert maps.map_colours("label", data, np.array([0, 1]), names) == (["pos", "neg"], "category", "label")
    assert maps.map_colours("length", data, np.array([0, 1]), names) == ([2, 1], "number", "words")


def test_map_note_says_what_the_axes_mean():
    from textvae.latent import Projection

    data = MapData(np.arange(2), ["one two", "three"], None, np.zeros((2, 2)), True)
    pca = Projection("pca", np.zeros((2, 2)), [0.3, 0.2], None)
    assert maps.map_note(data, 10, pca, 2, None) == (
        "2 sentences (a random sample of 10; raise “Max points” to see more) · the 2 PCA axes explain 50% of the "
        "variance of z"
    )
    axis = maps.map_note(data, 10, Projection("direction", np.zeros((2, 2)), None, None), 2, ("neg", "pos"))
    assert "x: from the average “neg” code (0) to the average “pos” code (1)" in axis and "PCA axes" not in axis


def test_report_line():
    assert report_line({}) == ""
    assert report_line({"read": 1200, "kept": 1000}) == "Read 1,200 units, kept 1,000."
    report = {"read": 10, "kept": 6, "dropped_empty": 3, "dropped_too_short": 1, "cut_long": 0}
    assert report_line(report) == "Read 10 units, kept 6; dropped empty: 3, dropped too short: 1."


def test_report_line_says_how_many_long_sentences_were_split():
    report = {"read": 10, "kept": 14, "split_long": 2, "split_pieces": 6}
    assert report_line(report) == "Read 10 units, kept 14; split 2 long sentences into 6 parts at clause marks."


def test_report_line_says_what_cleaning_a_book_removed():
    report = {"read": 900, "kept": 800, "removed_licence": 58, "removed_chapter_headings": 61, "joined_lines": 400}
    line = report_line(report)
    assert line.startswith("Removed 58 lines of licence text, 61 chapter headings") and "joined 400" in line
    assert "removed licence" not in line and line.endswith("Read 900 units, kept 800.")


def test_table_columns_guess_the_text_and_label_columns():
    table = "id,review,stars,label\n" + "".join(f"{i},this is review number {i},{i % 5},pos\n" for i in range(20))
    cols = table_columns(table.encode(), ".csv")
    assert cols.columns == ["id", "review", "stars", "label"]
    assert cols.text_column == "review" and cols.label_column == "label"
    tsv = table_columns(b"text\tscore\nhello there my friend\t1\nhow are you today\t2\n", ".tsv")
    assert tsv.text_column == "text" and tsv.label_column is None


@pytest.mark.parametrize("data", [b"only,a,header\n", b"a,a\nx,y\n", b",b\nx,y\n"])
def test_unreadable_tables_are_refused(data):
    from textvae import TextVAEError

    with pytest.raises(TextVAEError):
        table_columns(data, ".csv")


def test_the_model_summary_is_the_same_from_a_bundle_and_from_its_files(trained):
    from studio import models

    bundle, directory, _ = trained
    from_files = models._folder_info.__wrapped__(str(directory), 0.0)
    assert from_files == models.model_summary(bundle)


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux gives each thread its own nice value")
def test_background_work_runs_at_a_lower_priority_than_page_runs():
    from studio.computed import _BACKGROUND
    from studio.runtime import BACKGROUND_NICE, background_priority

    def own_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = own_nice()
    seen: list[int] = []
    thread = threading.Thread(target=lambda: (background_priority(), seen.append(own_nice())))
    thread.start()
    thread.join()
    assert seen[0] >= BACKGROUND_NICE and own_nice() == before  # the caller's thread is untouched
    assert _BACKGROUND.submit(own_nice).result(timeout=30) >= BACKGROUND_NICE
    if before < BACKGROUND_NICE:  # the usual case: a server at the default priority
        assert seen == [BACKGROUND_NICE]
