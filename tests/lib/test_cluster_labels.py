"""Cluster names from class-based TF-IDF: the right words on a hand-made example, in any script."""

from textvae.cluster_labels import cluster_keywords, cluster_names, words

FOOD = [
    "The food was cold and the waiter was rude.",
    "The waiter brought the food late.",
    "Great food, friendly waiter, good service.",
    "The service was slow but the food was tasty.",
]
DOGS = [
    "The dog runs in the park.",
    "A dog plays with a ball in the park.",
    "Two dogs chase a ball.",
    "The dog sleeps after the walk in the park.",
]


def test_each_cluster_is_named_by_its_own_words():
    keywords = cluster_keywords(FOOD + DOGS, [0] * 4 + [1] * 4, k=2)
    assert set(keywords[0][:2]) == {"food", "waiter"}
    assert set(keywords[1][:2]) == {"dog", "park"}
    assert "the" not in keywords[0] + keywords[1]  # function words never name a cluster


def test_a_word_every_cluster_uses_scores_below_a_word_of_one_cluster():
    sentences = ["apple pie good", "apple tart good", "fresh apple", "car engine good", "car wheel good", "fast car"]
    # "good" is in 4 of 6 sentences (a corpus-wide word, left out); "apple" and "car" belong to one cluster each
    assert cluster_keywords(sentences, [0, 0, 0, 1, 1, 1], k=2) == [["apple"], ["car"]]
    balanced = ["apple good", "apple good", "pie", "tart", "car good", "car good", "wheel", "engine"]
    # as often in its cluster as "apple" and "car", but in both: "good" scores lower; once-used words never count
    assert cluster_keywords(balanced, [0] * 4 + [1] * 4, k=2) == [["apple", "good"], ["car", "good"]]


def test_names_are_numbered_from_one_and_an_empty_cluster_keeps_its_number():
    assert cluster_names([["food", "waiter"], []]) == ["1: food, waiter", "2"]
    assert cluster_keywords(FOOD, [0, 0, 0, 0], k=2)[1] == []


def test_words_of_scripts_with_and_without_spaces():
    assert words("Don't STOP, 42 times — naïve café!") == ["don't", "stop", "times", "naïve", "café"]
    assert words("Привет, мир") == ["привет", "мир"]
    assert words("我喜欢苹果。") == ["我喜", "喜欢", "欢苹", "苹果"]
    assert words("iPhone手机") == ["iphone", "手机"]
    assert words("Th' Almighty, o’ the dogs' bowls") == ["almighty", "the", "dogs", "bowls"]
    assert words("猫") == ["猫"] and words("...") == []
    assert words("Dec. 11th, 17—; the 2nd letter") == ["dec", "the", "letter"]  # no "th" or "nd" of ordinals


def test_chinese_and_japanese_clusters_get_bigrams():
    sentences = ["我喜欢苹果。", "苹果很好吃。", "今日は雨です。", "明日も雨です。"]
    keywords = cluster_keywords(sentences, [0, 0, 1, 1], k=2, top=2)
    assert keywords[0][0] == "苹果"  # the one bigram both Chinese sentences share
    assert set(keywords[1]) == {"雨で", "です"}  # the bigrams both Japanese sentences share
