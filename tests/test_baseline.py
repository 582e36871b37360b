import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gensim.test.utils import datapath
from sklearn.exceptions import NotFittedError

from embedsent.baseline import (
    TfidfLogisticRegression,
    train_gensim_word2vec,
    word2vec_arguments,
)
from embedsent.config import SGNSConfig, VocabConfig

SMALL_SGNS = SGNSConfig(dim=12, window=3, negative=3, epochs=2, seed=7)
SMALL_VOCAB = VocabConfig(min_count=2)


def _synthetic_corpus(seed: int = 0) -> list[list[str]]:
    """300 sentences of 8 Zipf-distributed words, ranks above 60 clipped to 60."""
    rng = np.random.default_rng(seed)
    ranks = np.minimum(rng.zipf(1.3, size=(300, 8)), 60)
    return [[f"w{rank}" for rank in row] for row in ranks.tolist()]


def _pang_lee() -> tuple[list[list[str]], np.ndarray]:
    documents, labels = [], []
    # The file is Windows-1252 encoded (byte 0x97 is an em dash).
    with open(datapath("pang_lee_polarity.cor"), encoding="cp1252") as lines:
        for line in lines:
            label, *tokens = line.split()
            documents.append(tokens)
            labels.append(label.removeprefix("__label__"))
    return documents, np.array(labels)


def test_word2vec_workers1_reproducible():
    corpus = _synthetic_corpus()
    first = train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)
    second = train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)
    assert first.words == second.words
    assert np.array_equal(first.vectors, second.vectors)


def test_word2vec_ignores_pythonhashseed():
    script = (
        "import hashlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_baseline import SMALL_SGNS, SMALL_VOCAB, _synthetic_corpus\n"
        "from embedsent.baseline import train_gensim_word2vec\n"
        "vectors = train_gensim_word2vec(\n"
        "    _synthetic_corpus(), sgns=SMALL_SGNS, vocab=SMALL_VOCAB\n"
        ")\n"
        "print(hashlib.sha256(vectors.vectors.tobytes()).hexdigest())\n"
    )
    digests = []
    for hash_seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", script, str(Path(__file__).parent)],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        digests.append(completed.stdout.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]


def test_word2vec_seed_changes_vectors():
    corpus = _synthetic_corpus()
    other = SGNSConfig(dim=12, window=3, negative=3, epochs=2, seed=8)
    first = train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)
    second = train_gensim_word2vec(corpus, sgns=other, vocab=SMALL_VOCAB)
    assert not np.array_equal(first.vectors, second.vectors)


def test_word2vec_returns_counts_in_order():
    corpus = _synthetic_corpus()
    vectors = train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)
    tokens = [token for sentence in corpus for token in sentence]
    expected = [tokens.count(word) for word in vectors.words]
    assert vectors.vectors.shape == (len(vectors.words), 12)
    assert vectors.vectors.dtype == np.float32
    assert vectors.counts.tolist() == expected
    assert expected == sorted(expected, reverse=True)
    assert min(expected) >= 2


def test_word2vec_max_vocab_size_caps_words():
    vocab = VocabConfig(min_count=1, max_vocab_size=10)
    vectors = train_gensim_word2vec(_synthetic_corpus(), sgns=SMALL_SGNS, vocab=vocab)
    assert 0 < len(vectors.words) <= 10


def test_word2vec_string_corpus_raises():
    with pytest.raises(TypeError, match="tokenize_corpus"):
        train_gensim_word2vec("a b c", sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_flat_list_raises():
    with pytest.raises(TypeError, match="tokenize_corpus"):
        train_gensim_word2vec(["a b", "c d"], sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_generator_raises():
    corpus = (sentence for sentence in _synthetic_corpus())
    with pytest.raises(TypeError, match="pass a list"):
        train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_list_iterator_raises():
    corpus = iter(_synthetic_corpus())
    with pytest.raises(TypeError, match="one-shot list_iterator"):
        train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_non_string_token_raises():
    corpus = [["a", "b"], ["c", 3]]
    with pytest.raises(TypeError, match="tokens must be str, got int"):
        train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_all_rare_raises():
    corpus = [["a", "b"], ["c", "a"]]
    with pytest.raises(ValueError, match="3 token types and the largest count is 2"):
        train_gensim_word2vec(corpus, sgns=SMALL_SGNS, vocab=VocabConfig(min_count=5))


def test_word2vec_empty_corpus_raises():
    with pytest.raises(ValueError, match="no tokens"):
        train_gensim_word2vec([[], []], sgns=SMALL_SGNS, vocab=SMALL_VOCAB)


def test_word2vec_bad_workers_raises():
    with pytest.raises(ValueError, match="workers must be an int >= 1, got 0"):
        train_gensim_word2vec(
            _synthetic_corpus(), sgns=SMALL_SGNS, vocab=SMALL_VOCAB, workers=0
        )


def test_tfidf_fits_pang_lee_sentences():
    # Held-out accuracy on these 200 sentences is near chance (0.53 to 0.55
    # pooled over 10-fold cross-validation), so the test checks the fit on
    # real punctuated text and the label type, not generalisation.
    documents, labels = _pang_lee()
    model = TfidfLogisticRegression().fit(documents, labels)
    assert model.score(documents, labels) > 0.95
    assert set(model.predict(documents[:20]).tolist()) <= {"pos", "neg"}


def test_tfidf_separates_clear_signal():
    rng = np.random.default_rng(0)
    filler = [f"f{i}" for i in range(50)]

    def sentence(cue: str) -> list[str]:
        return [cue, *rng.choice(filler, size=6).tolist()]

    train = [sentence("great") for _ in range(20)] + [
        sentence("awful") for _ in range(20)
    ]
    test = [sentence("great") for _ in range(10)] + [
        sentence("awful") for _ in range(10)
    ]
    labels = ["pos"] * 20 + ["neg"] * 20
    model = TfidfLogisticRegression().fit(train, labels)
    # Measured 0.95: one test sentence has more "neg" filler words than the cue.
    assert model.score(test, ["pos"] * 10 + ["neg"] * 10) >= 0.9


def test_tfidf_predicts_given_labels():
    model = TfidfLogisticRegression().fit(
        [["good", "film"], ["bad", "film"], ["good"], ["bad"]],
        ["pos", "neg", "pos", "neg"],
    )
    proba = model.predict_proba([["good"], ["bad"]])
    assert model.predict([["good"], ["bad"]]).tolist() == ["pos", "neg"]
    assert model.classes_.tolist() == ["neg", "pos"]
    assert proba.shape == (2, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_tfidf_bigrams_use_word_order():
    # Both classes contain the same words, so only bigrams separate them.
    documents = [["not", "good", "film"], ["good", "not", "film"]] * 4
    labels = ["neg", "pos"] * 4
    unigrams = TfidfLogisticRegression(ngram_range=(1, 1)).fit(documents, labels)
    bigrams = TfidfLogisticRegression(ngram_range=(1, 2)).fit(documents, labels)
    assert unigrams.score(documents, labels) == 0.5
    assert bigrams.score(documents, labels) == 1.0


def test_tfidf_keeps_token_case():
    documents = [["Good"], ["good"]] * 3
    labels = [1, 0] * 3
    model = TfidfLogisticRegression().fit(documents, labels)
    assert model.predict([["Good"], ["good"]]).tolist() == [1, 0]


def test_tfidf_single_class_raises():
    with pytest.raises(ValueError, match="at least two classes, got only"):
        TfidfLogisticRegression().fit([["a"], ["b"]], ["pos", "pos"])


def test_tfidf_length_mismatch_raises():
    with pytest.raises(ValueError, match="got 2 token lists and labels of shape"):
        TfidfLogisticRegression().fit([["a"], ["b"]], ["pos", "neg", "pos"])


def test_tfidf_string_document_raises():
    with pytest.raises(TypeError, match=r"token_lists\[1\] is a str"):
        TfidfLogisticRegression().fit([["a"], "b c"], ["pos", "neg"])


def test_tfidf_string_input_raises():
    with pytest.raises(TypeError, match="got a single str"):
        TfidfLogisticRegression().fit("a b", ["pos", "neg"])


def test_tfidf_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="call fit"):
        TfidfLogisticRegression().predict([["a"]])


def test_tfidf_min_df_too_high_raises():
    with pytest.raises(ValueError, match="no n-gram features remain with min_df=3"):
        TfidfLogisticRegression(min_df=3).fit([["a"], ["b"]], ["pos", "neg"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"C": 0.0}, "C must be a finite number > 0"),
        ({"ngram_range": (2, 1)}, "ngram_range must be two ints"),
        ({"min_df": 0}, "min_df must be an int >= 1"),
        ({"seed": -1}, "seed must be an int >= 0"),
    ],
    ids=["C", "ngram_range", "min_df", "seed"],
)
def test_tfidf_invalid_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TfidfLogisticRegression(**kwargs)


def _imdb_tokens(texts) -> list[list[str]]:
    return [
        re.findall(r"[a-z']+", text.replace("<br />", " ").lower()) for text in texts
    ]


@pytest.mark.slow
@pytest.mark.realdata
def test_tfidf_imdb_512_reviews(imdb_archive):
    # Measured 0.794 with this draw (seed 0), 0.813 and 0.834 with seeds 1
    # and 2, tested on 1,000 + 1,000 reviews.
    from embedsent.datasets import balanced_sample, load_aclimdb

    corpus = load_aclimdb(imdb_archive, max_per_class=1000, max_unlabeled=0)
    rows = balanced_sample(corpus.train, 512, np.random.default_rng(0))
    train_tokens = _imdb_tokens(corpus.train.texts[i] for i in rows)
    train_labels = [corpus.train.labels[i] for i in rows]
    model = TfidfLogisticRegression().fit(train_tokens, train_labels)
    accuracy = model.score(_imdb_tokens(corpus.test.texts), corpus.test.labels)
    assert accuracy > 0.77


def test_word2vec_keeps_gensim_input_vectors():
    from gensim.models import Word2Vec

    corpus = _synthetic_corpus()
    for add in (True, False):
        vectors = train_gensim_word2vec(
            corpus,
            sgns=replace(SMALL_SGNS, add_context_vectors=add),
            vocab=SMALL_VOCAB,
        )
        # workers=1 is bit-reproducible, so a direct gensim run must match.
        direct = Word2Vec(
            sentences=corpus, **word2vec_arguments(SMALL_SGNS, SMALL_VOCAB, workers=1)
        )
        assert vectors.words == list(direct.wv.index_to_key)
        np.testing.assert_array_equal(vectors.vectors, direct.wv.vectors)
