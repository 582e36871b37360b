"""Bad and unusual input through every public entry point.

Each kind of input either gets the correct result or a clear error, checked on
real components: JAX training on tiny corpora, real gensim, the real CLI.
"""

import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap

import nltk
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold, cross_val_score

import embedsent.compare
import embedsent.sgns_model
import embedsent.text
import embedsent.trainer
from embedsent.baseline import TfidfLogisticRegression, train_gensim_word2vec
from embedsent.classifier import MLPClassifier
from embedsent.cli import main
from embedsent.compare import CompareConfig, run_comparison
from embedsent.config import ClassifierConfig, SGNSConfig, TextConfig, VocabConfig
from embedsent.datasets import LabeledTexts, SplitCorpus, balanced_sample
from embedsent.features import SentenceEncoder
from embedsent.pipeline import TransferClassifier, pretrain
from embedsent.sklearn_api import EmbeddingClassifier
from embedsent.text import stopword_list, tokenize, tokenize_corpus
from embedsent.trainer import (
    TrainingDiverged,
    check_memory,
    continue_training,
    train_sgns,
)
from embedsent.vectors import WordVectors
from embedsent.vocab import Vocabulary

# Reviews with HTML breaks, entities, negations, emoticons and emoji, the way
# IMDB reviews are written.
POSITIVE_REVIEWS = [
    "A great film.<br /><br />I loved it :) <3",
    "Wonderful acting &amp; a superb story 😀😀",
    "<i>Great</i> fun, I loved every minute :)",
    "Superb cast<br />wonderful music 😀 <3",
]
NEGATIVE_REVIEWS = [
    "An awful film.<br /><br />I hated it :(",
    "Boring acting &amp; a dull story, not good",
    "<b>Awful</b> plot, I don't recommend it :(",
    "Dull cast<br />terrible music, isn't good",
]
UNLABELED = (POSITIVE_REVIEWS + NEGATIVE_REVIEWS) * 6
TEXTS = POSITIVE_REVIEWS + NEGATIVE_REVIEWS
LABELS = ["pos"] * 4 + ["neg"] * 4

# One step shape for every JAX run, so train_chunk compiles once per vocabulary
# size and dim.
TINY_SGNS = SGNSConfig(
    dim=16,
    epochs=5,
    batch_size=64,
    negative_group=16,
    shared_negatives=16,
    steps_per_call=4,
    seed=0,
)
TINY_VOCAB = VocabConfig(min_count=2, sample=0.0)
TINY_CLASSIFIER = ClassifierConfig(hidden_size=8, epochs=40)
TOKENS = [["great", "film", "loved"], ["awful", "film", "hated"]] * 10

# Texts in which no token is in the vocabulary: empty, blank, punctuation,
# unknown words, control characters, a zero-width joiner, an RTL override.
TEXTLESS = [
    "",
    "   ",
    "!!! ... ?!",
    "qwertyuiop zxcvbnm",
    "\x00\x07",
    "\u200d",
    "\u202e",
]


@pytest.fixture(scope="module")
def vectors():
    return pretrain(UNLABELED, vocab_config=TINY_VOCAB, sgns_config=TINY_SGNS)


@pytest.fixture(scope="module")
def model(vectors):
    classifier = TransferClassifier(vectors, classifier_config=TINY_CLASSIFIER)
    return classifier.fit(TEXTS, LABELS)


@pytest.fixture(scope="module")
def sgns_model():
    return train_sgns(TOKENS, TINY_SGNS, VocabConfig(min_count=1, sample=0.0))


def _fail_if_called(*args, **kwargs):
    raise AssertionError("reached a step that the input check should prevent")


# --- Raw strings where token lists are expected ------------------------------

RAW_CORPORA = {
    "list of str": ["great film", "awful film"],
    "single str": "great film",
    "list mixing lists and str": [["great", "film"], "awful film"],
    "bytes": b"great film",
    "bytearray": bytearray(b"great film"),
    "list of bytes": [b"great film", b"awful film"],
}


def _token_list_entry_points(sgns_model, vectors):
    tiny_vocab = VocabConfig(min_count=1)
    return {
        "Vocabulary.build": lambda corpus: Vocabulary.build(corpus, tiny_vocab),
        "train_sgns": lambda corpus: train_sgns(corpus, TINY_SGNS, tiny_vocab),
        "continue_training": lambda corpus: continue_training(sgns_model, corpus),
        "train_gensim_word2vec": lambda corpus: train_gensim_word2vec(
            corpus, sgns=TINY_SGNS, vocab=tiny_vocab
        ),
        "SentenceEncoder.fit": lambda corpus: SentenceEncoder(vectors, "tfidf").fit(
            corpus
        ),
        "SentenceEncoder.transform": lambda corpus: SentenceEncoder(vectors).transform(
            corpus
        ),
        "TfidfLogisticRegression.fit": lambda corpus: TfidfLogisticRegression().fit(
            corpus, ["pos", "neg"]
        ),
    }


TOKEN_LIST_ENTRY_POINTS = [
    "Vocabulary.build",
    "train_sgns",
    "continue_training",
    "train_gensim_word2vec",
    "SentenceEncoder.fit",
    "SentenceEncoder.transform",
    "TfidfLogisticRegression.fit",
]


@pytest.mark.parametrize("entry_point", TOKEN_LIST_ENTRY_POINTS)
@pytest.mark.parametrize("corpus_kind", list(RAW_CORPORA))
def test_token_list_entry_points_reject_raw_text(
    entry_point, corpus_kind, sgns_model, vectors
):
    call = _token_list_entry_points(sgns_model, vectors)[entry_point]
    with pytest.raises(TypeError, match="tokenize"):
        call(RAW_CORPORA[corpus_kind])


def test_list_of_bytes_error_says_bytes_not_int():
    with pytest.raises(TypeError, match=r"corpus\[0\] is a bytes") as raised:
        Vocabulary.build([b"great film"])
    assert "Decode it" in str(raised.value)
    assert "int" not in str(raised.value)


def test_non_str_token_is_named():
    with pytest.raises(TypeError, match=r"tokens must be str, got int \(3\)"):
        Vocabulary.build([["great", 3], ["great"]], VocabConfig(min_count=1))
    with pytest.raises(TypeError, match=r"got bytes \(b'film'\)"):
        train_sgns([["great", b"film"]] * 3, TINY_SGNS, VocabConfig(min_count=1))


def test_text_entry_points_tokenize_raw_text(vectors, model):
    assert "great" in vectors
    assert "g" not in vectors
    assert tokenize_corpus(iter(["great film"])) == [["great", "film"]]
    assert model.predict(["a great film"]).shape == (1,)


def test_text_entry_points_reject_token_lists(vectors, model):
    with pytest.raises(TypeError, match=r"texts\[0\] must be str, got list"):
        pretrain([["great", "film"]], sgns_config=TINY_SGNS)
    with pytest.raises(TypeError, match=r"texts\[0\] must be str, got list"):
        model.predict_proba([["great", "film"]])
    with pytest.raises(TypeError, match="not one str"):
        model.predict("a great film")
    with pytest.raises(TypeError, match="decode it first"):
        tokenize_corpus([b"great film"])


def test_classifier_rejects_raw_text_features():
    with pytest.raises(TypeError, match="X must contain real numbers"):
        MLPClassifier().fit(["great film", "awful film"], ["pos", "neg"])


# --- Every word below min_count ----------------------------------------------

# 3 token types, "blue" seen twice: none reaches min_count=5.
RARE_TOKENS = [["red", "blue"], ["blue", "green"]]
RARE_TEXTS = ["red blue", "blue green"]
RARE_MESSAGE = "3 token types and the largest count is 2"


def test_min_count_error_before_training(monkeypatch):
    monkeypatch.setattr(embedsent.trainer, "train_chunk", _fail_if_called)
    monkeypatch.setattr(embedsent.trainer, "init_tables", _fail_if_called)
    rare = VocabConfig(min_count=5)
    calls = {
        "Vocabulary.build": lambda: Vocabulary.build(RARE_TOKENS, rare),
        "train_sgns": lambda: train_sgns(RARE_TOKENS, TINY_SGNS, rare),
        "train_gensim_word2vec": lambda: train_gensim_word2vec(
            RARE_TOKENS, sgns=TINY_SGNS, vocab=rare
        ),
        "pretrain": lambda: pretrain(
            RARE_TEXTS, vocab_config=rare, sgns_config=TINY_SGNS
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match="min_count=5") as raised:
            call()
        assert RARE_MESSAGE in str(raised.value), name


def test_cli_pretrain_min_count_error(tmp_path, capsys):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(RARE_TEXTS) + "\n")
    code = main(
        [
            "--no-progress",
            "pretrain",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "vectors.txt"),
            "--min-count",
            "5",
        ]
    )
    assert code == 2
    assert RARE_MESSAGE in capsys.readouterr().err
    assert not (tmp_path / "vectors.txt").exists()


# --- Divergence and non-finite vectors ----------------------------------------

DIVERGING_SGNS = SGNSConfig(
    dim=16,
    epochs=2,
    alpha=1000.0,
    min_alpha=0.0,
    batch_size=64,
    negative_group=16,
    shared_negatives=16,
    steps_per_call=4,
)
DIVERGED_MESSAGE = (
    r"loss (became (nan|inf|-inf)|reached [0-9.e+]+ per pair) in epoch \d+, "
    r"chunk \d+ \(learning rate [0-9.e+]+\)"
)


def test_diverging_alpha_stops_with_chunk_and_value():
    with pytest.raises(TrainingDiverged, match=DIVERGED_MESSAGE) as raised:
        train_sgns(TOKENS * 5, DIVERGING_SGNS, VocabConfig(min_count=1, sample=0.0))
    assert "lower alpha (now 1000.0)" in str(raised.value)
    assert raised.value.alpha == 1000.0


def test_cli_pretrain_divergence_reports_error(tmp_path, capsys):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(UNLABELED) + "\n")
    code = main(
        [
            "--no-progress",
            "pretrain",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "vectors.txt"),
            "--min-count",
            "1",
            "--sample",
            "0",
            "--alpha",
            "1000",
            "--dim",
            "16",
            "--batch-size",
            "64",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "embedsent pretrain: error: SGNS training diverged: loss " in err
    assert "pass a lower --alpha (now 1000), for example --alpha 0.025" in err
    assert "lower alpha" not in err


@pytest.mark.parametrize(
    ("loss", "pairs", "reason"),
    [
        (float("nan"), 10.0, "loss became nan in epoch 1, chunk 3"),
        (float("inf"), 10.0, "loss became inf in epoch 1, chunk 3"),
        (1e6, 10.0, "loss reached 1e+05 per pair in epoch 1, chunk 3"),
    ],
)
def test_loss_divergence_carries_alpha(loss, pairs, reason):
    from types import SimpleNamespace

    from embedsent.checkpoint import RunState

    run = SimpleNamespace(config=SGNSConfig(alpha=0.5))
    pending = (loss, pairs, 3, 0.25)
    with pytest.raises(TrainingDiverged) as raised:
        embedsent.trainer._Run._add_loss(run, RunState(), pending)
    assert raised.value.alpha == 0.5
    assert raised.value.reason.startswith(reason)
    assert str(raised.value).endswith("; lower alpha (now 0.5)")


def test_non_finite_trained_vectors_carry_alpha(monkeypatch):
    def poisoned(table):
        return np.full(np.shape(table), np.nan, np.float32)

    monkeypatch.setattr(embedsent.trainer.distributed, "replica_to_numpy", poisoned)
    config = dataclasses.replace(TINY_SGNS, epochs=1, alpha=0.05)
    with pytest.raises(TrainingDiverged) as raised:
        train_sgns(TOKENS, config, TINY_VOCAB)
    assert raised.value.alpha == 0.05
    assert raised.value.reason == "the trained vectors contain NaN or inf"


def test_classifier_divergence_raises_and_cli_reports(vectors, tmp_path, capsys):
    exploding = ClassifierConfig(
        hidden_size=8, epochs=40, learning_rate=1e30, weight_decay=0.0
    )
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        TransferClassifier(vectors, classifier_config=exploding).fit(TEXTS, LABELS)

    vectors_path = tmp_path / "vectors.txt"
    vectors.save_word2vec(vectors_path)
    labeled = tmp_path / "labeled.jsonl"
    rows = [
        json.dumps({"text": t, "label": y}) for t, y in zip(TEXTS, LABELS, strict=True)
    ]
    labeled.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "train",
            "--vectors",
            str(vectors_path),
            "--data",
            str(labeled),
            "--out",
            str(tmp_path / "model.npz"),
            "--learning-rate",
            "1e30",
            "--weight-decay",
            "0",
        ]
    )
    assert code == 2
    assert "training diverged" in capsys.readouterr().err


def test_non_finite_initial_tables_rejected(sgns_model):
    poisoned = sgns_model.input_vectors.copy()
    poisoned[2, 0] = np.nan
    with pytest.raises(ValueError, match="initial input table row 2 contains NaN"):
        train_sgns(
            TOKENS,
            TINY_SGNS,
            vocab=sgns_model.vocab,
            initial_tables=(poisoned, sgns_model.output_vectors),
        )
    sgns_model_with_nan = type(sgns_model)(
        sgns_model.vocab, poisoned, sgns_model.output_vectors, TINY_SGNS
    )
    with pytest.raises(ValueError, match="contains NaN or inf"):
        continue_training(sgns_model_with_nan, TOKENS)


def _write_binary(path, rows):
    with open(path, "wb") as handle:
        handle.write(f"{len(rows)} 2\n".encode())
        for word, values in rows:
            handle.write(word.encode() + b" ")
            handle.write(np.asarray(values, dtype="<f4").tobytes() + b"\n")


NON_FINITE_FILES = {
    "word2vec text NaN": ("v.txt", "2 2\ngood 1 nan\nbad 1 2\n"),
    "word2vec text inf": ("v.txt", "2 2\ngood 1 2\nbad -inf 2\n"),
    "word2vec text beyond float32": ("v.txt", "2 2\ngood 1 2\nbad 1e39 2\n"),
    "GloVe NaN": ("v.glove", "good 1 2\nbad NaN 2\n"),
    "GloVe inf": ("v.glove", "good Infinity 2\nbad 1 2\n"),
}


@pytest.mark.parametrize("case", list(NON_FINITE_FILES))
def test_loaders_reject_non_finite_text_files(case, tmp_path):
    name, content = NON_FINITE_FILES[case]
    path = tmp_path / name
    path.write_text(content)
    loaders = [lambda: WordVectors.load(path)]
    if name == "v.txt":
        loaders.append(lambda: WordVectors.load_word2vec(path))
    else:
        loaders.append(lambda: WordVectors.load_glove(path))
    for load in loaders:
        with pytest.raises(ValueError, match="contains NaN or infinity"):
            load()


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_loaders_reject_non_finite_binary_files(bad_value, tmp_path):
    path = tmp_path / "vectors.bin"
    _write_binary(path, [("good", [1.0, 2.0]), ("bad", [bad_value, 2.0])])
    with pytest.raises(ValueError, match="word 'bad' at byte offset"):
        WordVectors.load(path)
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        WordVectors.load_word2vec(path, binary=True)


def test_word_vectors_reject_non_finite_arrays():
    with pytest.raises(ValueError, match=r"word 'bad' \(row 1\) contains NaN"):
        WordVectors(["good", "bad"], np.array([[1.0, 2.0], [np.nan, 2.0]]))
    with pytest.raises(ValueError, match="NaN or infinity in float32"):
        WordVectors(["good", "bad"], np.array([[1.0, 2.0], [1e300, 2.0]]))


def test_cli_train_rejects_non_finite_vectors(tmp_path, capsys):
    vectors_path = tmp_path / "vectors.txt"
    vectors_path.write_text("2 2\ngood 1 nan\nbad 1 2\n")
    code = main(
        [
            "train",
            "--vectors",
            str(vectors_path),
            "--data",
            "default",
            "--out",
            str(tmp_path / "model.npz"),
        ]
    )
    assert code == 2
    assert "contains NaN or infinity" in capsys.readouterr().err


# --- Configurations too large for memory --------------------------------------

# 200,000 distinct tokens x dim 10,000 x 2 tables x 4 bytes = 14.9 GiB, above
# the default max_memory_gb of 8.
HUGE_CORPUS = [
    [f"w{i}" for i in range(start, start + 100)] for start in range(0, 200_000, 100)
]
HUGE_SGNS = SGNSConfig(dim=10_000)


def test_huge_tables_refused_before_allocation(monkeypatch):
    monkeypatch.setattr(embedsent.trainer, "init_tables", _fail_if_called)
    with pytest.raises(MemoryError, match=r"need 14\.9 GiB") as raised:
        train_sgns(HUGE_CORPUS, HUGE_SGNS, VocabConfig(min_count=1))
    assert "2 x 200000 words x 10000 dims" in str(raised.value)
    assert "set max_vocab_size" in str(raised.value)


def test_max_memory_gb_limit_refuses_small_tables(monkeypatch):
    monkeypatch.setattr(embedsent.trainer, "init_tables", _fail_if_called)
    config = SGNSConfig(dim=200, max_memory_gb=1e-4)
    corpus = [[f"w{i}" for i in range(100)]]
    with pytest.raises(MemoryError, match=r"above max_memory_gb=0\.0001"):
        train_sgns(corpus, config, VocabConfig(min_count=1))


def test_max_vocab_size_brings_tables_under_limit():
    config = SGNSConfig(
        dim=16,
        epochs=1,
        max_memory_gb=1e-4,
        batch_size=64,
        negative_group=16,
        shared_negatives=16,
        steps_per_call=4,
    )
    corpus = [[f"w{i}" for i in range(2000)]]
    with pytest.raises(MemoryError):
        train_sgns(corpus, config, VocabConfig(min_count=1))
    capped = train_sgns(corpus, config, VocabConfig(min_count=1, max_vocab_size=100))
    assert capped.input_vectors.shape == (100, 16)


def test_available_memory_limit_refuses(monkeypatch):
    monkeypatch.setattr(embedsent.sgns_model, "_available_memory_bytes", lambda: 2**30)
    config = SGNSConfig(dim=10_000, max_memory_gb=100.0)
    with pytest.raises(MemoryError, match=r"need 7\.45 GiB but only 1 GiB"):
        check_memory(100_000, config)


def test_available_memory_is_positive_and_below_total():
    available = embedsent.sgns_model._available_memory_bytes()
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert available > 0
    assert available <= total


def test_continue_training_refuses_before_growing(sgns_model, monkeypatch):
    monkeypatch.setattr(embedsent.trainer, "init_tables", _fail_if_called)
    config = SGNSConfig(dim=16, max_memory_gb=1e-5)
    new_words = [[f"new{i}" for i in range(2000)]] * 5
    with pytest.raises(MemoryError, match=r"2 x 2005 words x 16 dims"):
        continue_training(sgns_model, new_words, config)


def test_gensim_refuses_before_allocation(monkeypatch):
    import gensim.models

    monkeypatch.setattr(gensim.models, "Word2Vec", _fail_if_called)
    with pytest.raises(MemoryError, match=r"need 14\.9 GiB"):
        train_gensim_word2vec(
            HUGE_CORPUS, sgns=HUGE_SGNS, vocab=VocabConfig(min_count=1)
        )
    capped = VocabConfig(min_count=1, max_vocab_size=10)
    small = SGNSConfig(dim=10_000, max_memory_gb=1e-4)
    with pytest.raises(MemoryError, match="2 x 10 words x 10000 dims"):
        train_gensim_word2vec(HUGE_CORPUS, sgns=small, vocab=capped)


def test_cli_pretrain_refuses_huge_tables(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(embedsent.trainer, "init_tables", _fail_if_called)
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(" ".join(document) for document in HUGE_CORPUS))
    code = main(
        [
            "--no-progress",
            "pretrain",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "vectors.txt"),
            "--min-count",
            "1",
            "--dim",
            "10000",
        ]
    )
    assert code == 2
    assert "the embedding tables need 14.9 GiB" in capsys.readouterr().err


# --- Texts with no known token ------------------------------------------------


def test_textless_inputs_get_finite_predictions(model):
    probabilities = model.predict_proba(TEXTLESS)
    assert probabilities.shape == (len(TEXTLESS), 2)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert model.encoder.last_report_.n_empty == len(TEXTLESS)
    labels = model.predict(TEXTLESS)
    assert set(labels.tolist()) <= set(model.classes_)


def test_textless_inputs_are_counted(model):
    model.predict_proba(["a great film", *TEXTLESS])
    report = model.encoder.last_report_
    assert report.n_texts == len(TEXTLESS) + 1
    assert report.n_empty == len(TEXTLESS)


def test_textless_training_set_rejected(vectors):
    labels = ["pos", "neg"] * (len(TEXTLESS) // 2) + ["pos"] * (len(TEXTLESS) % 2)
    text_level_models = [
        TransferClassifier(vectors, classifier_config=TINY_CLASSIFIER),
        EmbeddingClassifier(vectors, hidden_size=0, epochs=5),
    ]
    for estimator in text_level_models:
        with pytest.raises(ValueError, match="none of the .* labeled texts has a"):
            estimator.fit(TEXTLESS, labels)


@pytest.mark.parametrize("method", ["mean", "tfidf", "sif"])
def test_encoder_gives_zero_rows_for_empty_texts(vectors, method):
    encoder = SentenceEncoder(vectors, method).fit(tokenize_corpus(UNLABELED))
    features = encoder.transform([[], ["qwerty"], ["great", "film"]])
    assert np.isfinite(features).all()
    assert not features[0].any()
    assert not features[1].any()
    assert features[2].any()
    assert encoder.last_report_.n_empty == 2
    assert encoder.last_report_.n_oov_tokens == 1


@pytest.mark.parametrize("method", ["tfidf", "sif"])
def test_encoder_fitted_on_empty_texts_stays_finite(vectors, method):
    encoder = SentenceEncoder(vectors, method).fit([[], ["qwerty"]])
    features = encoder.transform([["great"], []])
    assert np.isfinite(features).all()
    assert features[0].any()


def test_cli_predict_reports_textless_lines(model, tmp_path, capsys, caplog):
    model_path = tmp_path / "model.npz"
    model.save(model_path)
    inputs = tmp_path / "texts.txt"
    inputs.write_text("a great film\n\n!!!\nqwerty zxcvb\nawful, not good\n")
    with caplog.at_level(logging.WARNING):
        assert main(["predict", "--model", str(model_path), str(inputs)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 5
    for record in records:
        assert all(np.isfinite(p) for p in record["probabilities"].values())
    # One warning per prediction: the class prior, not also the zero vectors.
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].name == "embedsent.class_prior"
    assert "3 of 5 texts have no in-vocabulary token" in warnings[0].message
    assert "they get the class prior" in warnings[0].message


# --- Negation -----------------------------------------------------------------

NEGATED = [
    "don't like",
    "don\u2019t like",
    "isn't good",
    "can't stand",
    "won't watch",
    "DIDN'T like",
    "cannot stand",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_forms_keep_not(text):
    tokens = tokenize(text)
    assert tokens[0] == "not"
    assert len(tokens) == 2


def test_not_good_differs_from_good(model, vectors):
    assert tokenize("not good") == ["not", "good"]
    assert tokenize("good") == ["good"]
    assert "not" in vectors
    negated, plain = model.features(["not good", "good"])
    assert np.abs(negated - plain).max() > 1e-4
    isnt, plain = model.features(["isn't good", "good"])
    assert np.abs(isnt - plain).max() > 1e-4


def test_negations_are_not_stopwords():
    assert {"not", "no", "nor", "never"}.isdisjoint(stopword_list())


# --- Emoticons and emoji ------------------------------------------------------


def test_emoticons_and_emoji_are_single_tokens():
    tokens = tokenize(":) <3 :-( 😀😀😀 great😀 👨\u200d👩\u200d👧 👍🏽")
    assert tokens == [
        ":)",
        "<3",
        ":-(",
        "😀",
        "😀",
        "😀",
        "great",
        "😀",
        "👨\u200d👩\u200d👧",
        "👍🏽",
    ]


def test_emoji_reach_vocabulary_and_features(vectors, model):
    for token in (":)", ":(", "<3", "😀"):
        assert token in vectors, token
    features = model.features([":)", "😀", "<3"])
    assert model.encoder.last_report_.n_empty == 0
    assert np.isfinite(features).all()


def test_emoji_survive_word2vec_files(vectors, tmp_path):
    for binary in (False, True):
        path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
        vectors.save_word2vec(path, binary=binary)
        loaded = WordVectors.load_word2vec(path, binary=binary)
        assert loaded.words == vectors.words
        np.testing.assert_array_equal(loaded["😀"], vectors["😀"])


# --- HTML ---------------------------------------------------------------------

HTML_CASES = {
    "good<br />bad": ["good", "bad"],
    "good<br/><br/>bad": ["good", "bad"],
    "<i>superb</i>acting": ["superb", "acting"],
    "Tom &amp; Jerry": ["tom", "jerry"],
    "x&lt;br /&gt;y": ["x", "y"],
    "<p>plot</p><P>cast</P>": ["plot", "cast"],
}


@pytest.mark.parametrize("text", list(HTML_CASES))
def test_html_tags_become_spaces(text):
    assert tokenize(text) == HTML_CASES[text]


def test_html_break_never_enters_vocabulary(vectors):
    assert "<br /><br />" in UNLABELED[0]
    for leftover in ("br", "amp", "i", "b", "<", "/>"):
        assert leftover not in vectors, leftover


def test_unclosed_break_at_text_end_is_dropped():
    assert tokenize("the end<br") == ["end"]


# --- One class only -----------------------------------------------------------


def test_single_class_fit_rejected(vectors):
    with pytest.raises(ValueError, match="labels has only one class 'pos'"):
        TransferClassifier(vectors).fit(TEXTS[:4], LABELS[:4])
    with pytest.raises(ValueError, match="only one class 'pos'"):
        MLPClassifier().fit(np.eye(3), ["pos"] * 3)
    with pytest.raises(ValueError, match=r"at least two classes, got only \['pos'\]"):
        TfidfLogisticRegression().fit([["great"], ["fun"]], ["pos", "pos"])


def test_balanced_sample_below_class_count_rejected():
    labeled = LabeledTexts(tuple(TEXTS), tuple(LABELS))
    with pytest.raises(ValueError, match=r"at least the number of classes \(2"):
        balanced_sample(labeled, 1, np.random.default_rng(0))


def _corpus(train_labels):
    return SplitCorpus(
        name="reviews",
        train=LabeledTexts(tuple(TEXTS), tuple(train_labels)),
        test=LabeledTexts(tuple(TEXTS), tuple(LABELS)),
        unlabeled=tuple(UNLABELED),
    )


def test_compare_rejects_bad_sizes_before_pretraining(monkeypatch):
    monkeypatch.setattr(embedsent.compare, "tokenize_corpus", _fail_if_called)
    monkeypatch.setattr(embedsent.compare, "train_sgns", _fail_if_called)
    with pytest.raises(ValueError, match=r"at least the number of classes.*n=1"):
        run_comparison(_corpus(LABELS), CompareConfig(sizes=(4, 1)))
    unbalanced = ["pos"] * 6 + ["neg"] * 2
    with pytest.raises(ValueError, match="class 'neg' has 2 examples.*n=6 needs 3"):
        run_comparison(_corpus(unbalanced), CompareConfig(sizes=(6,)))
    with pytest.raises(ValueError, match=r"1 class\(es\) \{'pos': 8\}"):
        run_comparison(_corpus(["pos"] * 8), CompareConfig(sizes=(0,)))


def test_cli_compare_rejects_too_small_size(capsys):
    code = main(["--no-progress", "compare", "--data", "default", "--sizes", "1"])
    assert code == 2
    assert "at least the number of classes" in capsys.readouterr().err


def test_cross_validation_fold_with_one_class_rejected(vectors):
    classifier = EmbeddingClassifier(vectors, hidden_size=0, epochs=5)
    # Unshuffled 2-fold on sorted labels trains each fold on one class.
    sorted_labels = ["neg"] * 4 + ["pos"] * 4
    sorted_texts = NEGATIVE_REVIEWS + POSITIVE_REVIEWS
    with pytest.raises(ValueError, match="only one class"):
        cross_val_score(
            classifier, sorted_texts, sorted_labels, cv=KFold(2), error_score="raise"
        )


# --- nltk data missing --------------------------------------------------------


def test_tokenize_works_offline_without_nltk_data(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network access attempted")

    def no_download(*args, **kwargs):
        raise AssertionError("nltk.download was called")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(nltk, "download", no_download)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    # Cached tokenizers were built before the patches; rebuild them under them.
    embedsent.text._pipeline.cache_clear()
    embedsent.text._regexp_tokenizer.cache_clear()
    with pytest.raises(LookupError):
        nltk.data.find("tokenizers/punkt")
    with pytest.raises(LookupError):
        nltk.data.find("corpora/stopwords")

    assert tokenize("The film wasn't good :(") == ["film", "not", "good", ":("]
    assert "the" in stopword_list()
    assert tokenize_corpus(["A great film", ""]) == [["great", "film"], []]


# --- One-shot iterators -------------------------------------------------------


def test_generator_corpus_is_read_once_and_kept(vectors):
    vocab = VocabConfig(min_count=1, sample=0.0)
    from_list = train_sgns(TOKENS, TINY_SGNS, vocab)
    from_generator = train_sgns((document for document in TOKENS), TINY_SGNS, vocab)
    np.testing.assert_array_equal(from_generator.input_vectors, from_list.input_vectors)
    assert len(from_generator.epoch_losses) == TINY_SGNS.epochs
    assert all(loss > 0 for loss in from_generator.epoch_losses)

    built = Vocabulary.build(iter(TOKENS), vocab)
    assert built.tokens == from_list.vocab.tokens

    pretrained = pretrain(
        iter(UNLABELED), vocab_config=TINY_VOCAB, sgns_config=TINY_SGNS
    )
    np.testing.assert_array_equal(pretrained.vectors, vectors.vectors)

    assert tokenize_corpus(iter(TEXTS)) == tokenize_corpus(TEXTS)

    continued = continue_training(from_list, iter(TOKENS))
    assert continued.vocab.tokens == from_list.vocab.tokens
    assert all(loss > 0 for loss in continued.epoch_losses)


@pytest.mark.parametrize("method", ["mean", "tfidf", "sif"])
def test_encoder_reads_generator_once(vectors, method):
    documents = tokenize_corpus(UNLABELED)
    expected = SentenceEncoder(vectors, method).fit_transform(documents)
    features = SentenceEncoder(vectors, method).fit_transform(iter(documents))
    assert features.shape == (len(documents), vectors.dim)
    np.testing.assert_array_equal(features, expected)
    fitted = SentenceEncoder(vectors, method).fit(iter(documents))
    np.testing.assert_array_equal(fitted.transform(documents), expected)


def test_gensim_rejects_generator():
    with pytest.raises(TypeError, match="re-iterable, got a one-shot generator"):
        train_gensim_word2vec(
            (document for document in TOKENS),
            sgns=TINY_SGNS,
            vocab=VocabConfig(min_count=1),
        )


def test_texts_of_one_known_token_rejected_before_training():
    single_tokens = [["great"], ["awful"]] * 10
    with pytest.raises(ValueError) as raised:
        train_sgns(single_tokens, TINY_SGNS, VocabConfig(min_count=1, sample=0))
    message = str(raised.value)
    assert message.startswith("no text has two in-vocabulary tokens")
    # min_count 1 keeps every word and no cap dropped one, so only more
    # text can help.
    assert message.endswith("(the vocabulary has 2 words); pass longer texts")


def test_pairless_text_advises_lower_min_count():
    texts = [["great", "rare"], ["awful"], ["great"], ["awful"]]
    with pytest.raises(ValueError) as raised:
        train_sgns(texts, TINY_SGNS, VocabConfig(min_count=2, sample=0))
    assert str(raised.value).endswith(
        "pass longer texts or lower --min-count (VocabConfig.min_count)"
    )


@pytest.mark.parametrize(
    ("cap", "advised"), [(1, True), (5, False)], ids=["cap-reached", "cap-unreached"]
)
def test_pairless_advice_names_reached_cap_only(cap, advised):
    texts = [["great", "awful"]] * 3 + [["good"]] if cap == 1 else [["great"]] * 3
    with pytest.raises(ValueError) as raised:
        train_sgns(texts, TINY_SGNS, VocabConfig(min_count=1, max_vocab_size=cap))
    message = str(raised.value)
    assert ("raise --max-vocab-size" in message) is advised
    assert "min-count" not in message


def test_reached_cap_advice_leaves_out_min_count():
    texts = [["great", "awful"]] * 10
    with pytest.raises(ValueError) as raised:
        train_sgns(texts, TINY_SGNS, VocabConfig(min_count=2, max_vocab_size=1))
    assert str(raised.value).endswith(
        "pass longer texts or raise --max-vocab-size (VocabConfig.max_vocab_size)"
    )


def test_pretrain_cap_of_one_word_advises_raising_it(tmp_path, capsys):
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--max-vocab-size", "1"]
    assert main(argv) == 2
    assert (
        capsys.readouterr()
        .err.rstrip()
        .endswith(
            "pass longer texts or raise --max-vocab-size (VocabConfig.max_vocab_size)"
        )
    )


def test_vocabulary_of_one_word_leaves_no_pair():
    texts = [["great", "awful"]] * 10
    with pytest.raises(ValueError, match="the vocabulary has 1 word\\)"):
        train_sgns(texts, TINY_SGNS, VocabConfig(min_count=1, max_vocab_size=1))


def test_given_vocabulary_gets_no_vocabulary_advice():
    texts = [["great"], ["awful"]] * 10
    vocab = Vocabulary.build(texts, VocabConfig(min_count=1))
    with pytest.raises(ValueError) as raised:
        train_sgns(texts, TINY_SGNS, VocabConfig(min_count=1), vocab=vocab)
    message = str(raised.value)
    assert message.endswith("(the vocabulary has 2 words); pass longer texts")


def test_pairless_run_warns_then_raises(caplog):
    texts = [["great", "awful"]] * 10
    with caplog.at_level(logging.WARNING, logger="embedsent.trainer"):
        with pytest.raises(ValueError) as raised:
            train_sgns(texts, TINY_SGNS, VocabConfig(min_count=1, sample=1e-9))
    assert "epoch 1/5 trained no (center, context) pair" in caplog.text
    assert "epoch 5/5 trained no (center, context) pair" in caplog.text
    message = str(raised.value)
    assert message.startswith("no epoch trained a (center, context) pair")
    assert "so the vectors are untrained" in message
    assert "Lower --sample (VocabConfig.sample" in message


def test_pairless_run_leaves_no_checkpoint(tmp_path):
    texts = [["great", "awful"]] * 10
    path = tmp_path / "run.ckpt"
    with pytest.raises(ValueError, match="no epoch trained"):
        train_sgns(
            texts, TINY_SGNS, VocabConfig(min_count=1, sample=1e-9), checkpoint=path
        )
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


# --- Reproducibility ----------------------------------------------------------

REPRODUCE_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
    from embedsent.pipeline import TransferClassifier, pretrain

    texts = {texts!r}
    labels = {labels!r}
    for seed in (0, 1):
        sgns = SGNSConfig(dim=16, epochs=5, batch_size=64, negative_group=16,
                          shared_negatives=16, steps_per_call=4, seed=seed)
        vocab = VocabConfig(min_count=2, sample=0.0)
        vectors = pretrain(texts * 6, vocab_config=vocab, sgns_config=sgns)
        config = ClassifierConfig(hidden_size=8, epochs=40, dropout=0.2,
                                  batch_size=4, seed=seed)
        model = TransferClassifier(vectors, classifier_config=config)
        model.fit(texts, labels)
        probabilities = model.predict_proba(texts + ["not good", ""])
        for name, array in (("vectors", vectors.vectors),
                            ("probabilities", probabilities)):
            digest = hashlib.sha256(array.tobytes()).hexdigest()
            print(seed, name, digest)
    """
).format(texts=TEXTS, labels=LABELS)


def test_same_seed_same_outputs_in_two_processes(tmp_path):
    processes = []
    for hash_seed in ("1", "2"):
        environment = {
            **os.environ,
            "JAX_PLATFORMS": "cpu",
            "PYTHONHASHSEED": hash_seed,
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", REPRODUCE_SCRIPT],
                env=environment,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(out.splitlines())
    first, second = outputs
    assert len(first) == 4
    assert first == second
    hashes = {line.split()[1]: [] for line in first}
    for line in first:
        seed, name, digest = line.split()
        hashes[name].append(digest)
    assert hashes["vectors"][0] != hashes["vectors"][1]
    assert hashes["probabilities"][0] != hashes["probabilities"][1]


# --- Fuzzing the text and feature path ----------------------------------------

# Characters that have broken text pipelines: zero-width joiner and space,
# directional marks and overrides, byte-order mark, control characters, the
# C1 next-line, line and paragraph separators, combining marks, emoji
# modifiers, tag characters, noncharacters, and HTML and negation fragments.
AWKWARD_PIECES = [
    "\u200d",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\x00",
    "\x1b",
    "\x85",
    "\u2028",
    "\u2029",
    "\u0301",
    "\U0001f3fd",
    "\U000e0041",
    "\uffff",
    "\U0010ffff",
    "<br />",
    "&amp;",
    "&#xd800;",
    "n't",
    "\u2019t",
    ":)",
    "<3",
    "great",
    "awful",
]
FUZZ_PIECES = st.lists(
    st.one_of(st.text(), st.sampled_from(AWKWARD_PIECES)), max_size=40
).map("".join)
# Long texts: a fuzzed piece repeated up to 20,000 times.
LONG_FUZZ_TEXTS = st.tuples(FUZZ_PIECES, st.integers(1_000, 20_000)).map(
    lambda piece_and_count: piece_and_count[0] * piece_and_count[1]
)
FUZZ_TEXTS = st.one_of(FUZZ_PIECES, LONG_FUZZ_TEXTS)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(texts=st.lists(FUZZ_TEXTS, min_size=1, max_size=5))
def test_fuzzed_text_gives_finite_probabilities(model, texts):
    probabilities = model.predict_proba(texts)
    assert probabilities.shape == (len(texts), 2)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_very_long_text_gives_finite_probabilities(model):
    long_texts = [
        "great " * 200_000,
        "\u200d" * 500_000,
        ("awful\u202e:)\x00<br />" * 50_000),
        "x" * 1_000_000,
    ]
    probabilities = model.predict_proba(long_texts)
    assert np.isfinite(probabilities).all()
    assert model.encoder.last_report_.n_empty == 2


def test_non_str_texts_raise_type_error(model):
    with pytest.raises(TypeError, match=r"texts\[1\] must be str, got NoneType"):
        model.predict_proba(["great", None])
    with pytest.raises(TypeError, match=r"texts\[0\] must be str, got bytes"):
        model.predict_proba([b"great"])


def test_text_config_variants_never_emit_whitespace_tokens():
    config = TextConfig(remove_punctuation=False, remove_stopwords=False)
    for piece in AWKWARD_PIECES:
        for token in tokenize(f"a{piece}b {piece} {piece}{piece}", config):
            assert token
            assert not any(character.isspace() for character in token), token


def test_cgroup_limit_counts_as_available_memory(tmp_path):
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("73741824\n")
    assert embedsent.sgns_model._cgroup_available(str(tmp_path)) == 1_000_000_000


def test_unlimited_cgroup_is_ignored(tmp_path):
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text("5\n")
    assert embedsent.sgns_model._cgroup_available(str(tmp_path)) is None


def test_address_space_limit_lowers_available_memory():
    import subprocess
    import sys

    script = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (2**34, 2**34)); "
        "import embedsent.sgns_model as m; print(m._available_memory_bytes())"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout) <= 2**34


@pytest.mark.parametrize(
    ("bad_label", "expected"),
    [
        ("NaN", "reads as nan, which is not a finite number"),
        ("1e400", "reads as inf, which is not a finite number"),
        ("false", "mixes boolean and numeric labels: line 3 has false"),
        ('"1"', 'same number: line 2 has 1 and line 3 has "1"'),
    ],
)
def test_cli_train_rejects_bad_json_label(
    vectors, tmp_path, capsys, bad_label, expected
):
    vectors_path = tmp_path / "vectors.txt"
    vectors.save_word2vec(vectors_path)
    labeled = tmp_path / "labeled.jsonl"
    rows = [json.dumps({"text": t, "label": i % 2}) for i, t in enumerate(TEXTS)]
    rows[2] = f'{{"text": {json.dumps(TEXTS[2])}, "label": {bad_label}}}'
    labeled.write_text("\n".join(rows) + "\n")
    argv = ["train", "--vectors", str(vectors_path), "--data", str(labeled)]
    assert main([*argv, "--out", str(tmp_path / "model.npz")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert expected in err
    assert "line 3" in err
    assert str(labeled) in err
    assert not (tmp_path / "model.npz").exists()
