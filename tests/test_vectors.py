"""Tests for embedsent.vectors: construction, lookup, similarity and gensim."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec
from vector_samples import (
    TOY_VECTORS,
    TOY_WORDS,
    make_random_vectors,
    make_toy_vectors,
)

from embedsent.vectors import WordVectors


@pytest.fixture
def toy() -> WordVectors:
    return make_toy_vectors()


@pytest.fixture
def random_vectors() -> WordVectors:
    return make_random_vectors()


# ------------------------------------------------------------------ constructor


def test_constructor_stores_float32_copy():
    source = np.ones((2, 3), dtype=np.float64)
    wv = WordVectors(["a", "b"], source)
    source[0, 0] = 5.0
    assert wv.vectors.dtype == np.float32
    assert wv.vectors.shape == (2, 3)
    assert wv.vectors[0, 0] == 1.0
    assert not wv.vectors.flags.writeable


def test_constructor_builds_index_and_counts(toy):
    assert toy.index["queen"] == 1
    assert toy.words == TOY_WORDS
    assert toy.counts.dtype == np.int64
    assert toy.counts.tolist() == [7, 6, 5, 4, 3, 2, 1]
    assert not toy.counts.flags.writeable


@pytest.mark.parametrize(
    ("words", "vectors", "error", "match"),
    [
        (["a", "b"], np.zeros((3, 2)), ValueError, "got 2 words but 3 vectors"),
        (["a", "b", "a", "b"], np.zeros((4, 2)), ValueError, "duplicate word 'a'"),
        (["a", ""], np.zeros((2, 2)), ValueError, r"words\[1\] is empty"),
        (["a", "b c"], np.zeros((2, 2)), ValueError, "'b c' contains ASCII"),
        (["a\tb"], np.zeros((1, 2)), ValueError, "contains ASCII whitespace"),
        (["a", "b\n"], np.zeros((2, 2)), ValueError, "contains ASCII whitespace"),
        (["a"], np.zeros(2), ValueError, r"must be 2-D .* got shape \(2,\)"),
        (["a"], np.zeros((1, 2, 1)), ValueError, "must be 2-D"),
        ([], np.zeros((0, 2)), ValueError, "at least one word, got 0"),
        (["a"], np.zeros((1, 0)), ValueError, "dimension >= 1"),
        ("ab", np.zeros((2, 2)), TypeError, "got the string 'ab'"),
        (["a", 3], np.zeros((2, 2)), TypeError, r"words\[1\] must be a str"),
        (["a"], np.array([["x", "y"]]), TypeError, "real-valued"),
        (["a"], np.array([[1j, 2j]]), TypeError, "real-valued"),
    ],
)
def test_constructor_rejects(words, vectors, error, match):
    with pytest.raises(error, match=match):
        WordVectors(words, vectors)


def test_constructor_names_first_duplicate():
    with pytest.raises(ValueError, match=r"'b' at positions 1 and 2"):
        WordVectors(["a", "b", "b", "a"], np.zeros((4, 2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_constructor_rejects_nonfinite_row(bad):
    values = np.zeros((3, 2))
    values[2, 1] = bad
    with pytest.raises(ValueError, match=r"word 'c' \(row 2\)"):
        WordVectors(["a", "b", "c"], values)


@pytest.mark.parametrize(
    ("counts", "error", "match"),
    [
        (np.array([1.0, 2.0]), TypeError, "counts must be integers"),
        (np.array([1, 2, 3]), ValueError, r"shape \(2,\)"),
        (np.array([1, -2]), ValueError, "got -2 at row 1"),
    ],
)
def test_constructor_rejects_bad_counts(counts, error, match):
    with pytest.raises(error, match=match):
        WordVectors(["a", "b"], np.zeros((2, 2)), counts)


# ----------------------------------------------------------------------- lookup


def test_lookup_basics(toy):
    assert len(toy) == 7
    assert toy.dim == 4
    assert "queen" in toy
    assert "princess" not in toy
    assert list(toy) == TOY_WORDS
    assert toy["man"].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert toy.get("man").tolist() == [0.0, 1.0, 0.0, 0.0]
    assert toy.get("princess") is None
    default = np.zeros(4)
    assert toy.get("princess", default) is default


def test_getitem_unknown_word_names_it(toy):
    with pytest.raises(KeyError, match="'princess' is not in the vocabulary"):
        toy["princess"]
    with pytest.raises(KeyError, match=r"word in vectors.*vectors\.get"):
        toy["princess"]


def test_getitem_returns_read_only_row(toy):
    row = toy["king"]
    with pytest.raises(ValueError, match="read-only"):
        row[0] = 3.0


def test_vectors_for_skips_unknown(toy):
    rows, unknown = toy.vectors_for(["man", "x", "apple", "man", "y"])
    assert unknown == 2
    assert rows.shape == (3, 4)
    assert rows.dtype == np.float32
    assert np.array_equal(rows, TOY_VECTORS[[2, 5, 2]])


def test_vectors_for_all_unknown(toy):
    rows, unknown = toy.vectors_for(["x", "y"])
    assert rows.shape == (0, 4)
    assert unknown == 2


def test_vectors_for_rejects_string(toy):
    with pytest.raises(TypeError, match="got the string 'man apple'"):
        toy.vectors_for("man apple")
    with pytest.raises(TypeError, match=r"tokens\[1\] must be a str"):
        toy.vectors_for(["man", 5])


# ------------------------------------------------------------------- similarity


def test_normalized_unit_rows_and_zero_rows(toy):
    unit = toy.normalized()
    norms = np.linalg.norm(unit, axis=1)
    assert unit.dtype == np.float32
    assert np.allclose(norms[:6], 1.0, atol=1e-6)
    assert np.array_equal(unit[6], np.zeros(4))
    assert np.allclose(unit[0], [2**-0.5, 2**-0.5, 0, 0])


def test_normalized_is_cached_and_read_only(toy):
    unit = toy.normalized()
    assert toy.normalized() is unit
    assert not unit.flags.writeable


@pytest.mark.parametrize("cache", [False, True])
def test_unpickled_vectors_stay_read_only(toy, cache):
    if cache:
        toy.normalized()
    restored = pickle.loads(pickle.dumps(toy))
    assert not restored.vectors.flags.writeable
    assert not restored.counts.flags.writeable
    assert not restored.normalized().flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        restored.vectors[0, 0] = 5.0
    np.testing.assert_array_equal(restored.vectors, toy.vectors)


def test_deepcopy_shares_read_only_vectors(toy):
    assert copy.deepcopy(toy) is toy


def test_normalized_handles_float32_extremes():
    big = np.finfo(np.float32).max
    wv = WordVectors(["a"], np.array([[big, big]], dtype=np.float32))
    assert np.allclose(wv.normalized()[0], [2**-0.5, 2**-0.5])


def test_similarity_symmetric(random_vectors):
    words = random_vectors.words
    for first, second in [(words[1], words[2]), (words[5], words[40])]:
        assert random_vectors.similarity(first, second) == (
            random_vectors.similarity(second, first)
        )


def test_similarity_values(toy):
    assert toy.similarity("king", "man") == pytest.approx(2**-0.5, abs=1e-6)
    assert toy.similarity("king", "king") == pytest.approx(1.0, abs=1e-6)
    assert toy.similarity("man", "woman") == 0.0
    assert toy.similarity("zero", "king") == 0.0


def test_similarity_unknown_word(toy):
    with pytest.raises(KeyError, match="'knight'"):
        toy.similarity("king", "knight")


def test_most_similar_order(toy):
    result = toy.most_similar("king", topn=3)
    assert [word for word, _ in result] == ["prince", "man", "queen"]
    assert result[0][1] == pytest.approx(2 / (2**0.5 * 2.09**0.5), abs=1e-6)
    assert result[1][1] == pytest.approx(2**-0.5, abs=1e-6)
    assert result[2][1] == pytest.approx(0.5, abs=1e-6)


def test_most_similar_exclusion_and_ties(toy):
    result = toy.most_similar("king", topn=100)
    words = [word for word, _ in result]
    assert "king" not in words
    assert len(words) == 6
    # woman, apple and zero all score exactly 0 and keep row order.
    assert words[3:] == ["woman", "apple", "zero"]


def test_most_similar_analogy(toy):
    result = toy.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    words = [word for word, _ in result]
    assert words[0] == "queen"
    assert "king" not in words
    assert "woman" not in words
    assert "man" not in words


def test_most_similar_vector_query(toy):
    result = toy.most_similar(np.array([0.0, 0.0, 0.0, 2.0]), topn=2)
    assert result[0][0] == "apple"
    assert result[0][1] == pytest.approx(1.0, abs=1e-6)
    assert result[1][0] == "prince"


def test_most_similar_unknown_word(toy):
    with pytest.raises(KeyError, match="'knight'"):
        toy.most_similar(["king", "knight"])
    with pytest.raises(KeyError, match="'knight'"):
        toy.most_similar("king", negative=["knight"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"positive": "king", "topn": 0}, ValueError, "topn must be >= 1, got 0"),
        ({"positive": "king", "topn": 2.0}, TypeError, "topn must be an int"),
        ({"positive": []}, ValueError, "at least one positive or negative"),
        ({"positive": ["king", 1]}, TypeError, r"positive\[1\] must be a str"),
        ({"positive": np.zeros(3)}, ValueError, r"shape \(4,\), got \(3,\)"),
        ({"positive": np.zeros(4)}, ValueError, "all zeros"),
        ({"positive": "zero"}, ValueError, "is the zero vector"),
        ({"positive": "king", "negative": "king"}, ValueError, "is the zero vector"),
    ],
)
def test_most_similar_rejects(toy, kwargs, error, match):
    with pytest.raises(error, match=match):
        toy.most_similar(**kwargs)


# ----------------------------------------------------------------------- gensim


def test_to_gensim_keeps_vectors_and_counts(toy):
    keyed = toy.to_gensim()
    assert keyed.index_to_key == toy.words
    assert keyed.vectors.dtype == np.float32
    assert np.array_equal(keyed.vectors, toy.vectors)
    assert keyed.get_vecattr("king", "count") == 7
    assert keyed.get_vecattr("zero", "count") == 1
    assert keyed.similarity("king", "man") == pytest.approx(2**-0.5, abs=1e-6)


def test_to_gensim_without_counts():
    keyed = WordVectors(["a", "b"], np.eye(2)).to_gensim()
    assert "count" not in keyed.expandos


def test_to_gensim_copies_vectors(toy):
    keyed = toy.to_gensim()
    keyed.vectors[0, 0] = 99.0
    assert toy["king"][0] == 1.0


def test_from_gensim_round_trip(toy):
    back = WordVectors.from_gensim(toy.to_gensim())
    assert back.words == toy.words
    assert np.array_equal(back.vectors, toy.vectors)
    assert back.counts.tolist() == toy.counts.tolist()


def test_from_gensim_trained_model_counts():
    sentences = [["good", "film"], ["bad", "film"], ["good", "plot"]] * 5
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1)
    wv = WordVectors.from_gensim(model.wv)
    assert wv.words == model.wv.index_to_key
    assert np.array_equal(wv.vectors, model.wv.vectors)
    assert wv.counts[wv.index["film"]] == 10
    assert wv.counts[wv.index["plot"]] == 5


def test_from_gensim_without_counts():
    keyed = KeyedVectors(2)
    keyed.add_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    assert WordVectors.from_gensim(keyed).counts is None


def test_from_gensim_rejects_model_and_int_keys():
    model = Word2Vec([["a", "b"]], vector_size=4, min_count=1, epochs=1, workers=1)
    with pytest.raises(TypeError, match=r"got Word2Vec; for a model, pass its \.wv"):
        WordVectors.from_gensim(model)
    keyed = KeyedVectors(2)
    keyed.add_vectors([7], np.ones((1, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="key 7 at index 0 has type int"):
        WordVectors.from_gensim(keyed)


def test_load_names_model_given_as_vectors(tmp_path):
    from embedsent.storage import save_bundle

    path = tmp_path / "model.npz"
    save_bundle(path, {"format": "embedsent-model"}, {"x": np.zeros(2)})
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path)
    message = str(raised.value)
    assert "is an embedsent classifier model, not a word-vector file" in message
    assert "utf-8" not in message


def test_gensim_format_rejects_text_vectors(tmp_path):
    path = tmp_path / "vectors.txt"
    WordVectors(["good", "bad"], np.eye(2, dtype=np.float32)).save_word2vec(path)
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path, format="gensim")
    message = str(raised.value)
    assert f"{path} is word vectors in word2vec text format" in message
    assert "format='auto'" in message


def test_gensim_format_names_unreadable_pickle(tmp_path):
    path = tmp_path / "broken.kv"
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="could not be read as a gensim KeyedVectors"):
        WordVectors.load(path, format="gensim")


def test_gensim_pickle_error_names_flag_for_cli(tmp_path):
    path = tmp_path / "broken.kv"
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path, format="gensim")
    assert str(raised.value).endswith("name the file's format with format=")
    assert raised.value.cli_message.endswith("with --vectors-format")
    assert "format=" not in raised.value.cli_message


def test_load_of_pickle_names_gensim_format(tmp_path, toy):
    path = tmp_path / "vectors.kv"
    toy.to_gensim().save(str(path))
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path)
    assert "format='gensim'" in str(raised.value)
    assert raised.value.cli_message.count("--vectors-format gensim") == 1
    assert "format=" not in raised.value.cli_message
