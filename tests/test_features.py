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
