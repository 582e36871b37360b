import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsent.features import SentenceEncoder
from embedsent.text import tokenize_corpus
from embedsent.vectors import WordVectors


@pytest.fixture
def vectors():
    words = ["good", "great", "bad", "film"]
    values = np.array(
        [[1.0, 0.0], [0.8, 0.2], [-1.0, 0.0], [0.0, 1.0]], dtype=np.float32
    )
    return WordVectors(words, values, np.array([10, 5, 8, 40]))


def test_encoder_warns_once_about_zero_rows(caplog):
    words = [f"w{i}" for i in range(6)]
    values = np.ones((6, 2), dtype=np.float32)
    values[[1, 2, 4, 5]] = 0.0
    zero_rows = WordVectors(words, values)
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        SentenceEncoder(zero_rows)
        SentenceEncoder(zero_rows, "tfidf")
    expected = (
        "the word vectors of the sentence features: 4 of the 6 word vectors are "
        "all zero, for example 'w1', 'w2' and 'w4'"
    )
    assert expected in caplog.text
    assert caplog.text.count("are all zero") == 1
    assert "'w5'" not in caplog.text


def test_encoder_names_single_zero_row(caplog):
    values = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        SentenceEncoder(WordVectors(["good", "pad", "film"], values))
    assert "1 of the 3 word vectors is all zero: 'pad'." in caplog.text


def test_encoder_without_zero_rows_no_warning(vectors, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        SentenceEncoder(vectors)
    assert caplog.records == []


def test_encoder_leaves_all_zero_table_to_callers(caplog):
    # TransferClassifier, EmbeddingClassifier and the command line warn about
    # a table of zeros with advice for their own API.
    zero = WordVectors(["good", "bad"], np.zeros((2, 3)))
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        SentenceEncoder(zero)
    assert caplog.records == []


def test_mean_averages_known_tokens(vectors):
    features = SentenceEncoder(vectors).transform([["good", "film", "unknown"]])
    np.testing.assert_allclose(features[0], [0.5, 0.5])


def test_mean_report_counts_oov_and_empty(vectors):
    encoder = SentenceEncoder(vectors)
    encoder.transform([["good", "zzz"], [], ["qqq"]])
    report = encoder.last_report_
    assert report.n_texts == 3
    assert report.n_empty == 2
    assert report.n_tokens == 3
    assert report.n_oov_tokens == 2


def test_text_without_known_token_gets_zero_vector(vectors, caplog):
    with caplog.at_level(logging.WARNING):
        features = SentenceEncoder(vectors).transform([["unknown"], []])
    assert np.all(features == 0.0)
    assert "2 of 2 texts have no in-vocabulary token" in caplog.text


@pytest.mark.parametrize(
    ("token_lists", "message"),
    [
        (
            [["unknown"], ["good"], ["film"]],
            "1 of 3 texts has no in-vocabulary token and gets a zero vector",
        ),
        (
            [["unknown"], [], ["good"]],
            "2 of 3 texts have no in-vocabulary token and get zero vectors",
        ),
        ([[]], "1 of 1 text has no in-vocabulary token and gets a zero vector"),
    ],
)
def test_empty_text_warning_verbs_agree_with_count(
    vectors, caplog, token_lists, message
):
    with caplog.at_level(logging.WARNING, logger="embedsent.features"):
        SentenceEncoder(vectors).transform(token_lists)
    assert caplog.messages == [message]


def test_quiet_transform_logs_empty_at_debug(vectors, caplog):
    encoder = SentenceEncoder(vectors)
    with caplog.at_level(logging.DEBUG, logger="embedsent.features"):
        features = encoder.transform([["unknown"], [], ["good"]], warn_empty=False)
    assert np.all(features[:2] == 0.0)
    levels = [r.levelno for r in caplog.records if "in-vocabulary" in r.message]
    assert levels == [logging.DEBUG]
    assert encoder.last_report_.n_empty == 2


def test_tfidf_downweights_common_words(vectors):
    encoder = SentenceEncoder(vectors, "tfidf")
    encoder.fit([["film", "good"], ["film"], ["film", "bad"]])
    features = encoder.transform([["good", "film"]])
    # "good" is rarer than "film", so the mean leans towards good = [1, 0].
    assert features[0, 0] > features[0, 1]


def test_tfidf_requires_fit(vectors):
    with pytest.raises(ValueError, match="call fit"):
        SentenceEncoder(vectors, "tfidf").transform([["good"]])


def test_sif_removes_common_component(vectors):
    encoder = SentenceEncoder(vectors, "sif")
    texts = [["good", "film"], ["bad", "film"], ["great", "film"], ["film"]]
    features = encoder.fit_transform(texts)
    component = encoder.principal_component_
    np.testing.assert_allclose(features @ component, 0.0, atol=1e-5)


def test_unknown_method_rejected(vectors):
    with pytest.raises(ValueError, match="method must be one of"):
        SentenceEncoder(vectors, "max")


def test_state_round_trip_gives_same_features(vectors):
    encoder = SentenceEncoder(vectors, "sif").fit([["good", "film"], ["bad"]])
    meta, arrays = encoder.get_state()
    rebuilt = SentenceEncoder.from_state(vectors, meta, arrays)
    texts = [["good", "bad", "film"]]
    np.testing.assert_array_equal(rebuilt.transform(texts), encoder.transform(texts))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=5))
def test_features_are_finite_for_any_text(texts):
    words = ["good", "bad", "film", ":)", "not"]
    rng = np.random.default_rng(0)
    vectors = WordVectors(words, rng.normal(size=(5, 4)), np.arange(1, 6))
    for method in ("mean", "tfidf", "sif"):
        encoder = SentenceEncoder(vectors, method)
        tokens = tokenize_corpus(texts)
        features = encoder.fit_transform(tokens + [["good", "film"], ["bad"]])
        assert np.isfinite(features).all()


def test_sif_rejects_counts_that_sum_to_zero():
    words = ["good", "bad"]
    vectors = WordVectors(words, np.eye(2), counts=np.zeros(2, dtype=int))
    encoder = SentenceEncoder(vectors, "sif")
    with pytest.raises(ValueError, match="all 2 counts are 0.*word_counts="):
        encoder.fit([["good"], ["bad"]])


@pytest.mark.parametrize("sif_a", [float("inf"), float("nan"), 0.0, -1.0])
def test_sif_a_must_be_finite_and_positive(vectors, sif_a):
    with pytest.raises(ValueError, match="sif_a must be a finite number > 0"):
        SentenceEncoder(vectors, "sif", sif_a=sif_a)


@pytest.mark.parametrize("sif_a", ["x", None, True])
def test_sif_a_must_be_a_number(vectors, sif_a):
    with pytest.raises(TypeError, match="sif_a must be a number, got"):
        SentenceEncoder(vectors, "sif", sif_a=sif_a)


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        ([1, 2, 3], r"word_counts must have shape \(4,\), one per word, got \(3,\)"),
        ([1, -2, 3, 4], "word_counts must be >= 0, got -2 at row 1"),
        ([1.0, 2.0, 3.0, 4.0], "word_counts must be integers"),
    ],
)
def test_word_counts_must_match_vocabulary(vectors, counts, match):
    with pytest.raises((TypeError, ValueError), match=match):
        SentenceEncoder(vectors, "sif", word_counts=np.array(counts))


def _fitted_state(vectors, method):
    encoder = SentenceEncoder(vectors, method, word_counts=np.arange(1, 5))
    return encoder.fit([["good", "film"], ["bad"], ["great"]]).get_state()


@pytest.mark.parametrize(
    ("method", "name", "value", "match"),
    [
        ("tfidf", "idf", np.ones(3), "'idf' has length 3, but length 4"),
        ("sif", "principal_component", np.ones(3), "has length 3, but length 2"),
        ("sif", "principal_component", np.ones((2, 2)), r"has shape \(2, 2\)"),
        ("sif", "word_counts", np.ones(5, dtype=int), r"shape \(4,\).*got \(5,\)"),
    ],
)
def test_from_state_rejects_wrong_lengths(vectors, method, name, value, match):
    meta, arrays = _fitted_state(vectors, method)
    with pytest.raises(ValueError, match=match):
        SentenceEncoder.from_state(vectors, meta, {**arrays, name: value})


def test_from_state_requires_idf_for_tfidf(vectors):
    meta, arrays = _fitted_state(vectors, "tfidf")
    del arrays["idf"]
    with pytest.raises(ValueError, match="tfidf encoder state has no 'idf' array"):
        SentenceEncoder.from_state(vectors, meta, arrays)


def test_sif_requires_fit(vectors):
    with pytest.raises(ValueError, match="the sif encoder is not fitted; call fit"):
        SentenceEncoder(vectors, "sif").transform([["good"]])
    with pytest.raises(ValueError, match="call fit"):
        SentenceEncoder(vectors, "sif").get_state()


def test_sif_fitted_without_component_transforms(vectors):
    encoder = SentenceEncoder(vectors, "sif").fit([["good"]])
    assert encoder.principal_component_ is None
    meta, arrays = encoder.get_state()
    rebuilt = SentenceEncoder.from_state(vectors, meta, arrays)
    texts = [["good", "film"]]
    np.testing.assert_array_equal(rebuilt.transform(texts), encoder.transform(texts))


def test_old_pickle_stays_fitted(vectors):
    encoder = SentenceEncoder(vectors, "sif").fit([["good", "film"], ["bad"]])
    state = dict(encoder.__dict__)
    del state["_fitted"]
    restored = SentenceEncoder.__new__(SentenceEncoder)
    restored.__setstate__(state)
    texts = [["good", "bad"]]
    np.testing.assert_array_equal(restored.transform(texts), encoder.transform(texts))


@pytest.mark.parametrize("token", [["x"], None, 3])
def test_non_string_token_names_position(vectors, token):
    encoder = SentenceEncoder(vectors)
    with pytest.raises(TypeError) as raised:
        encoder.transform([["good"], ["great", token]])
    message = str(raised.value)
    assert "token_lists[1] must contain str tokens" in message
    assert f"got {type(token).__name__} ({token!r}) at position 1" in message


def test_str_subclass_tokens_are_looked_up(vectors):
    features = SentenceEncoder(vectors).transform([[np.str_("good"), "zzz"]])
    np.testing.assert_allclose(features[0], [1.0, 0.0])
