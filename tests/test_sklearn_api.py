import logging
import pickle
from dataclasses import fields

import numpy as np
import pytest
import sklearn.utils.estimator_checks as estimator_checks
from sklearn.base import clone
from sklearn.exceptions import NotFittedError, SkipTestWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from embedsent.classifier import ClassifierDiverged, MLPClassifier
from embedsent.config import ClassifierConfig, TextConfig
from embedsent.features import SentenceEncoder
from embedsent.pipeline import TransferClassifier
from embedsent.sklearn_api import (
    EmbeddingClassifier,
    MLPHeadClassifier,
    SentenceVectorizer,
)
from embedsent.text import tokenize_corpus
from embedsent.vectors import WordVectors

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant"]
NEGATIVE = ["awful", "boring", "dull", "clumsy", "terrible"]
NEUTRAL = ["film", "plot", "acting", "story", "cast", "scene"]
DIM = 6


def _tiny_vectors() -> WordVectors:
    """Build vectors in which every dimension separates positive from negative words."""
    rng = np.random.default_rng(0)
    words = POSITIVE + NEGATIVE + NEUTRAL
    values = rng.normal(scale=0.3, size=(len(words), DIM))
    values[: len(POSITIVE)] += 1.0
    values[len(POSITIVE) : len(POSITIVE) + len(NEGATIVE)] -= 1.0
    counts = np.arange(len(words), 0, -1) * 10
    return WordVectors(words, values, counts)


def _labeled_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Draw n texts of two sentiment words and one neutral word, alternating labels."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        pool = POSITIVE if label == "pos" else NEGATIVE
        words = [*rng.choice(pool, 2), rng.choice(NEUTRAL)]
        texts.append("The " + " and ".join(str(word) for word in words) + "!")
        labels.append(label)
    return texts, labels


VECTORS = _tiny_vectors()
TEXTS, LABELS = _labeled_texts(30, seed=1)
TEST_TEXTS, TEST_LABELS = _labeled_texts(10, seed=2)
# Small classifiers keep each JAX compilation and fit short.
# The default weight decay of 10 keeps weights too small for scikit-learn's
# low-dimensional toy data to reach its training-accuracy bar in 40 epochs.
# These tests check the API, so the head uses a light decay.
SMALL_HEAD = {"hidden_size": 8, "epochs": 40, "weight_decay": 1e-3}


def _small_classifier(**params) -> EmbeddingClassifier:
    return EmbeddingClassifier(VECTORS, **{**SMALL_HEAD, **params})


@pytest.fixture(scope="module")
def fitted() -> EmbeddingClassifier:
    return _small_classifier().fit(TEXTS, LABELS)


# ---------------------------------------------------------------------------
# scikit-learn estimator checks
# ---------------------------------------------------------------------------


@parametrize_with_checks([MLPHeadClassifier(**SMALL_HEAD)])
def test_head_passes_estimator_checks(estimator, check):
    check(estimator)


# Checks that need no numeric fit, so they apply to estimators that take texts.
TEXT_API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
]
TEXT_ESTIMATOR_CHECKS = [
    (SentenceVectorizer(VECTORS), name)
    for name in [
        *TEXT_API_CHECKS,
        "check_transformers_unfitted",
        "check_get_feature_names_out_error",
    ]
] + [
    (_small_classifier(), name)
    for name in [*TEXT_API_CHECKS, "check_estimators_unfitted"]
]


@pytest.mark.parametrize(
    ("estimator", "check_name"),
    TEXT_ESTIMATOR_CHECKS,
    ids=[f"{type(e).__name__}-{name}" for e, name in TEXT_ESTIMATOR_CHECKS],
)
def test_text_estimator_passes_api_check(estimator, check_name):
    check = getattr(estimator_checks, check_name)
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator", [SentenceVectorizer(VECTORS), _small_classifier()]
)
def test_text_estimator_tags_declare_text_input(estimator):
    tags = get_tags(estimator)
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.string is True


@pytest.mark.parametrize(
    "estimator", [SentenceVectorizer(VECTORS), _small_classifier()]
)
def test_sklearn_runs_only_cloneable_on_text(estimator):
    with pytest.warns(SkipTestWarning, match="Can't test estimator"):
        checks = list(estimator_checks.estimator_checks_generator(estimator))
    names = [check.func.__name__ for _, check in checks]
    assert names == ["check_estimator_cloneable"]


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "config_class"),
    [
        (SentenceVectorizer(VECTORS), TextConfig),
        (EmbeddingClassifier(VECTORS), TextConfig),
        (EmbeddingClassifier(VECTORS), ClassifierConfig),
        (MLPHeadClassifier(), ClassifierConfig),
    ],
    ids=["vectorizer-text", "classifier-text", "classifier-mlp", "head-mlp"],
)
def test_defaults_match_config_defaults(estimator, config_class):
    params = estimator.get_params()
    for field in fields(config_class):
        assert field.name in params
        assert params[field.name] == field.default, field.name


def test_clone_keeps_parameters():
    original = _small_classifier(method="tfidf", lowercase=False, seed=3)
    copy = clone(original)
    copied_params = copy.get_params()
    original_params = original.get_params()
    assert copied_params.keys() == original_params.keys()
    for name in original_params:
        if name != "vectors":
            assert copied_params[name] == original_params[name], name
    assert copied_params["vectors"].words == VECTORS.words
    np.testing.assert_array_equal(copied_params["vectors"].vectors, VECTORS.vectors)


def test_clone_of_fitted_is_unfitted(fitted):
    copy = clone(fitted)
    with pytest.raises(NotFittedError):
        copy.predict(TEST_TEXTS)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"hidden_size": -1}, ValueError, r"hidden_size must be >= 0.*got -1"),
        ({"activation": "gelu"}, ValueError, r"activation .*'gelu'"),
        ({"epochs": 2.5}, TypeError, r"epochs must be an int, got 2.5"),
        ({"method": "max"}, ValueError, r"method must be one of .*got 'max'"),
        ({"min_token_length": 0}, ValueError, r"min_token_length .*got 0"),
        ({"lowercase": "yes"}, TypeError, r"lowercase must be True or False"),
        ({"sif_a": 0.0}, ValueError, r"sif_a must be a finite number > 0"),
        ({"vectors": 42}, TypeError, r"vectors must be a WordVectors or the path"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else "",
)
def test_invalid_set_params_raises_at_fit(params, error, match):
    estimator = _small_classifier()
    estimator.set_params(**params)
    with pytest.raises(error, match=match):
        estimator.fit(TEXTS, LABELS)


@pytest.mark.parametrize("estimator_class", [EmbeddingClassifier, SentenceVectorizer])
def test_missing_vectors_file_names_parameter_and_fix(
    estimator_class, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as raised:
        estimator_class("nope.txt").fit(TEXTS, LABELS)
    message = str(raised.value)
    assert message.startswith(
        f"vectors 'nope.txt' was not found in the working directory {tmp_path}; "
        "pass the path of a word-vector file (word2vec text or binary, GloVe text"
    )
    assert message.endswith("or a WordVectors object")
    assert "Errno" not in message


def test_missing_vectors_file_with_absolute_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match=r"^vectors '.*nope\.txt' was not "):
        EmbeddingClassifier(missing).fit(TEXTS, LABELS)
    with pytest.raises(FileNotFoundError, match="not found; pass the path"):
        EmbeddingClassifier(str(missing)).fit(TEXTS, LABELS)


def test_set_params_does_not_validate():
    estimator = _small_classifier().set_params(hidden_size=-1, method="max")
    assert estimator.hidden_size == -1
    assert estimator.method == "max"


def test_numpy_scalar_parameters_accepted():
    estimator = _small_classifier().set_params(
        hidden_size=np.int64(4),
        lowercase=np.bool_(True),
        learning_rate=np.float32(0.02),
    )
    estimator.fit(TEXTS, LABELS)
    assert estimator.classifier_.model_.config.hidden_size == 4
    assert type(estimator.classifier_.model_.config.hidden_size) is int


# ---------------------------------------------------------------------------
# SentenceVectorizer
# ---------------------------------------------------------------------------


def test_vectorizer_output_shape_and_dtype():
    features = SentenceVectorizer(VECTORS).fit(TEXTS).transform(TEST_TEXTS)
    assert features.shape == (len(TEST_TEXTS), DIM)
    assert features.dtype == np.float32


@pytest.mark.parametrize("method", ["mean", "tfidf", "sif"])
def test_vectorizer_matches_sentence_encoder(method):
    tokens = tokenize_corpus(TEXTS, TextConfig())
    expected = SentenceEncoder(VECTORS, method).fit(tokens).transform(tokens)
    features = SentenceVectorizer(VECTORS, method=method).fit_transform(TEXTS)
    np.testing.assert_allclose(features, expected, rtol=1e-6)


def test_vectorizer_fit_transform_equals_fit_then_transform():
    vectorizer = SentenceVectorizer(VECTORS, method="sif")
    together = vectorizer.fit_transform(TEXTS)
    separate = vectorizer.fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(together, separate)


def test_vectorizer_text_options_change_tokens():
    text = ["GREAT film"]
    folded = SentenceVectorizer(VECTORS).fit(text).transform(text)
    kept_case = SentenceVectorizer(VECTORS, lowercase=False).fit(text).transform(text)
    both = (VECTORS["great"] + VECTORS["film"]) / 2
    np.testing.assert_allclose(folded[0], both, rtol=1e-6)
    np.testing.assert_allclose(kept_case[0], VECTORS["film"], rtol=1e-6)


def test_vectorizer_feature_names():
    vectorizer = SentenceVectorizer(VECTORS).fit(TEXTS)
    names = vectorizer.get_feature_names_out()
    assert list(names) == [f"sentencevectorizer{i}" for i in range(DIM)]


def test_vectorizer_loads_vectors_from_path(tmp_path):
    path = tmp_path / "vectors.txt"
    VECTORS.save_word2vec(path)
    from_path = SentenceVectorizer(str(path)).fit(TEXTS)
    from_object = SentenceVectorizer(VECTORS).fit(TEXTS)
    assert from_path.vectors == str(path)
    assert from_path.vectors_.words == VECTORS.words
    np.testing.assert_array_equal(
        from_path.transform(TEST_TEXTS), from_object.transform(TEST_TEXTS)
    )


def test_vectorizer_rejects_single_string():
    with pytest.raises(TypeError, match=r"list of texts, e\.g\. \[text\]"):
        SentenceVectorizer(VECTORS).fit("a great film")


def test_vectorizer_rejects_2d_array():
    column = np.array(TEXTS, dtype=object).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"1-D with one text per row, got 2"):
        SentenceVectorizer(VECTORS).fit(column)


def test_vectorizer_rejects_non_string_text():
    with pytest.raises(TypeError, match=r"X\[1\] must be a str, got None"):
        SentenceVectorizer(VECTORS).fit(["great film", None])


def test_vectorizer_rejects_empty_input():
    with pytest.raises(ValueError, match="X is empty"):
        SentenceVectorizer(VECTORS).fit([])


def test_vectorizer_accepts_1d_array():
    array = np.array(TEXTS)
    features = SentenceVectorizer(VECTORS).fit_transform(array)
    expected = SentenceVectorizer(VECTORS).fit_transform(TEXTS)
    np.testing.assert_array_equal(features, expected)


def test_sif_without_counts_rejected():
    no_counts = WordVectors(VECTORS.words, VECTORS.vectors)
    with pytest.raises(ValueError, match="method='sif' needs word counts"):
        SentenceVectorizer(no_counts, method="sif").fit(TEXTS)


def test_sif_with_all_zero_counts_rejected():
    counts = np.zeros(len(VECTORS), dtype=int)
    zero_counts = WordVectors(VECTORS.words, VECTORS.vectors, counts)
    with pytest.raises(ValueError, match="counts of these vectors are 0"):
        SentenceVectorizer(zero_counts, method="sif").fit(TEXTS)


def test_vectorizer_rejects_infinite_sif_a():
    vectorizer = SentenceVectorizer(VECTORS, method="sif", sif_a=float("inf"))
    with pytest.raises(ValueError, match="sif_a must be a finite number > 0"):
        vectorizer.fit(TEXTS)


def test_clone_shares_word_vectors():
    assert clone(_small_classifier()).vectors is VECTORS


def test_vectorizer_not_fitted():
    with pytest.raises(NotFittedError):
        SentenceVectorizer(VECTORS).transform(TEXTS)


# ---------------------------------------------------------------------------
# MLPHeadClassifier and EmbeddingClassifier
# ---------------------------------------------------------------------------


def test_labels_returned_as_given(fitted):
    predicted = fitted.predict(TEST_TEXTS)
    assert isinstance(fitted.classes_, np.ndarray)
    assert fitted.classes_.tolist() == ["neg", "pos"]
    assert all(type(label) is str for label in predicted.tolist())
    assert fitted.score(TEST_TEXTS, TEST_LABELS) == 1.0


def test_integer_labels_returned_as_given():
    labels = [7 if label == "pos" else -3 for label in LABELS]
    predicted = _small_classifier().fit(TEXTS, labels).predict(TEST_TEXTS)
    assert set(predicted.tolist()) <= {7, -3}
    assert predicted.dtype.kind == "i"


def test_binary_decision_function_is_logit_difference(fitted):
    scores = fitted.decision_function(TEST_TEXTS)
    proba = fitted.predict_proba(TEST_TEXTS)
    assert scores.shape == (len(TEST_TEXTS),)
    np.testing.assert_allclose(1 / (1 + np.exp(-scores)), proba[:, 1])
    np.testing.assert_array_equal(
        fitted.classes_[(scores > 0).astype(int)], fitted.predict(TEST_TEXTS)
    )


def test_multiclass_decision_function_has_column_per_class():
    labels = [["a", "b", "c"][i % 3] for i in range(len(TEXTS))]
    estimator = _small_classifier().fit(TEXTS, labels)
    assert estimator.decision_function(TEST_TEXTS).shape == (len(TEST_TEXTS), 3)
    assert estimator.predict_proba(TEST_TEXTS).shape == (len(TEST_TEXTS), 3)


def test_probabilities_sum_to_one(fitted):
    proba = fitted.predict_proba(TEST_TEXTS)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(fitted.predict_log_proba(TEST_TEXTS), np.log(proba))


def test_classifier_rejects_single_class():
    with pytest.raises(ValueError, match="only one class 'pos'"):
        _small_classifier().fit(TEXTS[:1], LABELS[:1])


def test_classifier_rejects_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _small_classifier().fit(TEXTS, LABELS[:-1])


def test_head_high_learning_rate_raises_diverged():
    X = SentenceEncoder(VECTORS).transform(tokenize_corpus(TEXTS))
    head = MLPHeadClassifier(**{**SMALL_HEAD, "learning_rate": 1e6, "weight_decay": 0})
    with pytest.raises(ClassifierDiverged, match=r"lower learning_rate \(got 1000000"):
        head.fit(X, LABELS)


def test_text_classifier_high_learning_rate_raises_diverged():
    classifier = _small_classifier(learning_rate=1000.0, weight_decay=0.0)
    with pytest.raises(ClassifierDiverged, match=r"lower learning_rate \(got 1000"):
        classifier.fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    ("missing", "name"), [(None, "None"), (float("nan"), "NaN"), (np.nan, "NaN")]
)
def test_classifier_names_missing_label(missing, name):
    labels = [*LABELS[:3], missing, *LABELS[4:]]
    with pytest.raises(ValueError, match=rf"y\[3\] is {name}; "):
        _small_classifier().fit(TEXTS, labels)
    with pytest.raises(ValueError, match=rf"y\[3\] is {name}; "):
        MLPHeadClassifier(**SMALL_HEAD).fit(np.ones((len(labels), 2)), labels)


@pytest.mark.parametrize(
    "labels",
    [
        [b"pos", b"neg"] * 15,
        np.array([b"pos", b"neg"] * 15),
        ["pos", 1] * 15,
    ],
)
def test_label_check_matches_transfer_classifier(labels):
    with pytest.raises((TypeError, ValueError)) as sklearn_error:
        _small_classifier().fit(TEXTS, labels)
    with pytest.raises((TypeError, ValueError)) as transfer_error:
        TransferClassifier(VECTORS).fit(TEXTS, labels)
    assert type(sklearn_error.value) is type(transfer_error.value)
    sklearn_message = str(sklearn_error.value)
    transfer_message = str(transfer_error.value)
    assert sklearn_message.startswith("y")
    assert transfer_message.startswith("labels")
    assert sklearn_message.removeprefix("y") == transfer_message.removeprefix("labels")


def test_fit_label_error_matches_save_error():
    labels = [b"pos", b"neg"] * 15
    with pytest.raises(TypeError) as fit_error:
        _small_classifier().fit(TEXTS, labels)
    features = np.ones((len(labels), 2))
    unsaved = MLPClassifier(ClassifierConfig(hidden_size=0, epochs=1))
    unsaved.fit(features, labels)
    with pytest.raises(TypeError) as save_error:
        unsaved.get_state()
    suffix = "has type bytes, which cannot be saved because saved models store"
    assert f"y[0] = b'pos' {suffix}" in str(fit_error.value)
    assert f"class label b'neg' {suffix}" in str(save_error.value)
    fit_reason = str(fit_error.value).partition(" has type ")[2]
    save_reason = str(save_error.value).partition(" has type ")[2]
    assert fit_reason == save_reason


@pytest.mark.parametrize(
    ("first", "message"),
    [
        (1, r"with numbers such as 1, which a numpy array .* the str '1'"),
        (np.True_, r"with numbers such as np\.True_, .* the str 'True'"),
        (b"pos", r"with bytes such as b'pos', which numpy would turn into"),
    ],
)
def test_classifier_rejects_str_mixed_with_other_labels(first, message):
    labels = np.array([first, *LABELS[1:]], dtype=object)
    with pytest.raises(ValueError, match=r"y mixes str labels such as '\w+' "):
        _small_classifier().fit(TEXTS, labels)
    with pytest.raises(ValueError, match=message):
        MLPHeadClassifier(**SMALL_HEAD).fit(np.ones((len(labels), 2)), labels)


def test_head_names_nan_in_float_labels():
    labels = np.array([0.0, 1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"y\[2\] is NaN; "):
        MLPHeadClassifier(**SMALL_HEAD).fit(np.ones((4, 2)), labels)


def test_classifier_rejects_single_string():
    with pytest.raises(TypeError, match="list of texts"):
        _small_classifier().fit("a great film", ["pos"])


def test_classifier_fit_none_texts():
    with pytest.raises(TypeError, match="X must be a list of texts, got NoneType"):
        _small_classifier().fit(None, None)


def test_classifier_fit_none_labels():
    with pytest.raises(ValueError) as raised:
        _small_classifier().fit(TEXTS, None)
    assert str(raised.value) == (
        "This EmbeddingClassifier estimator requires y to be passed, but the "
        "target y is None; pass one label per text"
    )


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_classifier_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(_small_classifier(), method)(TEST_TEXTS)


def test_head_not_fitted():
    with pytest.raises(NotFittedError):
        MLPHeadClassifier().predict(np.zeros((2, 3)))


def test_pickle_keeps_predictions(fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        restored.predict_proba(TEST_TEXTS), fitted.predict_proba(TEST_TEXTS)
    )


# ---------------------------------------------------------------------------
# Texts with no known token
# ---------------------------------------------------------------------------

UNKNOWN_TEXTS = ["qwerty zxcvb", "", "The and!"]
# Every third label is "neg": the class prior is 1/3 "neg", 2/3 "pos".
UNBALANCED_LABELS = ["neg" if i % 3 == 0 else "pos" for i in range(len(TEXTS))]


@pytest.fixture(scope="module")
def unbalanced() -> EmbeddingClassifier:
    return _small_classifier().fit(TEXTS, UNBALANCED_LABELS)


def test_unknown_text_gets_class_prior(unbalanced):
    n = len(UNKNOWN_TEXTS)
    np.testing.assert_allclose(unbalanced.class_prior_, [1 / 3, 2 / 3])
    proba = unbalanced.predict_proba(UNKNOWN_TEXTS)
    np.testing.assert_allclose(proba, [[1 / 3, 2 / 3]] * n)
    np.testing.assert_allclose(
        unbalanced.predict_log_proba(UNKNOWN_TEXTS), np.log(proba)
    )
    np.testing.assert_allclose(
        unbalanced.decision_function(UNKNOWN_TEXTS), [np.log(2)] * n
    )
    assert unbalanced.predict(UNKNOWN_TEXTS).tolist() == ["pos"] * n


def test_balanced_prior_tie_goes_to_first_class(fitted):
    np.testing.assert_allclose(fitted.class_prior_, [0.5, 0.5])
    predicted = fitted.predict(UNKNOWN_TEXTS)
    assert predicted.tolist() == ["neg"] * len(UNKNOWN_TEXTS)
    assert predicted.dtype == fitted.classes_.dtype


def test_multiclass_unknown_text_gets_log_prior():
    labels = [["a", "b", "c"][min(i % 4, 2)] for i in range(len(TEXTS))]
    estimator = _small_classifier().fit(TEXTS, labels)
    prior = np.array([8, 8, 14]) / 30
    np.testing.assert_allclose(estimator.class_prior_, prior)
    scores = estimator.decision_function(UNKNOWN_TEXTS[:1])
    np.testing.assert_allclose(scores, [np.log(prior)])
    assert estimator.predict(UNKNOWN_TEXTS[:1]).tolist() == ["c"]


def test_mixed_batch_changes_only_unknown_rows(unbalanced):
    known_texts = TEST_TEXTS[:3]
    mixed = [known_texts[0], UNKNOWN_TEXTS[0], known_texts[1], UNKNOWN_TEXTS[1]]
    mixed.append(known_texts[2])
    known_rows, unknown_rows = [0, 2, 4], [1, 3]
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        values = getattr(unbalanced, method)(mixed)
        np.testing.assert_array_equal(
            values[known_rows], getattr(unbalanced, method)(known_texts)
        )
    proba = unbalanced.predict_proba(mixed)
    np.testing.assert_allclose(proba[unknown_rows], [[1 / 3, 2 / 3]] * 2)
    assert not np.isclose(proba[known_rows], [1 / 3, 2 / 3]).any()
    labels = unbalanced.predict(mixed)
    assert labels[known_rows].tolist() == unbalanced.predict(known_texts).tolist()
    assert labels[unknown_rows].tolist() == ["pos", "pos"]


def test_pickle_keeps_class_prior(unbalanced):
    restored = pickle.loads(pickle.dumps(unbalanced))
    np.testing.assert_array_equal(restored.class_prior_, unbalanced.class_prior_)
    assert restored.predict(UNKNOWN_TEXTS[:1]).tolist() == ["pos"]


def test_pickle_without_class_prior_gets_uniform_prior(unbalanced):
    # __getstate__ returns the fixture's own __dict__, so copy it.
    state = dict(unbalanced.__getstate__())
    # Estimators pickled before the class prior was stored lack it.
    del state["class_prior_"]
    restored = EmbeddingClassifier.__new__(EmbeddingClassifier)
    restored.__setstate__(state)
    np.testing.assert_array_equal(restored.class_prior_, [0.5, 0.5])
    assert restored.predict(UNKNOWN_TEXTS[:1]).tolist() == ["neg"]


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_prediction_logs_one_warning(unbalanced, method, caplog):
    with caplog.at_level(logging.DEBUG):
        getattr(unbalanced, method)([TEST_TEXTS[0], *UNKNOWN_TEXTS])
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].name == "embedsent.class_prior"
    assert "3 of 4 texts have no in-vocabulary token" in warnings[0].message


def test_prior_warning_shows_plain_label(unbalanced, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        unbalanced.predict(UNKNOWN_TEXTS)
    assert "the most frequent training label 'pos'" in caplog.text
    assert "np.str_" not in caplog.text


def test_prior_warning_tied_labels(caplog):
    tied_labels = ["neg" if i % 2 == 0 else "pos" for i in range(len(TEXTS))]
    classifier = _small_classifier().fit(TEXTS, tied_labels)
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        assert classifier.predict(UNKNOWN_TEXTS).tolist() == ["neg"] * 3
    assert (
        "the label 'neg', the first (in class order) of the training labels "
        "tied as the most frequent"
    ) in caplog.text
    assert "the most frequent training label" not in caplog.text


def test_vectorizer_still_warns_of_empty_texts(caplog):
    vectorizer = SentenceVectorizer(VECTORS).fit(TEXTS)
    with caplog.at_level(logging.WARNING):
        vectorizer.transform(UNKNOWN_TEXTS)
    assert "3 of 3 texts have no in-vocabulary token and get zero" in caplog.text


def test_unpickled_uniform_prior_warning_says_equal(unbalanced, caplog):
    # __getstate__ returns the fixture's own __dict__, so copy it.
    state = dict(unbalanced.__getstate__())
    del state["class_prior_"]
    restored = EmbeddingClassifier.__new__(EmbeddingClassifier)
    restored.__setstate__(state)
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        restored.predict(UNKNOWN_TEXTS[:1])
    assert "equal class probabilities and the first class 'neg'" in caplog.text
    assert "most frequent" not in caplog.text


def test_fit_rejects_texts_without_known_word():
    with pytest.raises(ValueError, match="none of the 2 labeled texts") as raised:
        _small_classifier().fit(["zzz", "qqq"], ["a", "b"])
    assert "The tokenisation and the vectors do not match" in str(raised.value)


def test_fit_warns_once_of_unknown_texts(caplog):
    with caplog.at_level(logging.DEBUG):
        _small_classifier(epochs=5).fit([*TEXTS, "qwerty"], [*LABELS, "neg"])
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    expected = f"1 of {len(TEXTS) + 1} labeled texts has no in-vocabulary token"
    assert expected in warnings[0].message


# ---------------------------------------------------------------------------
# Pipeline, cross-validation and grid search
# ---------------------------------------------------------------------------


def test_pipeline_matches_embedding_classifier(fitted):
    pipeline = make_pipeline(
        SentenceVectorizer(VECTORS), MLPHeadClassifier(**SMALL_HEAD)
    )
    pipeline.fit(TEXTS, LABELS)
    np.testing.assert_array_equal(
        pipeline.predict_proba(TEST_TEXTS), fitted.predict_proba(TEST_TEXTS)
    )
    assert pipeline.predict(TEST_TEXTS).tolist() == TEST_LABELS


def test_cross_val_score_three_folds():
    scores = cross_val_score(_small_classifier(), TEXTS, LABELS, cv=3)
    assert scores.shape == (3,)
    assert scores.min() >= 0.8


def test_grid_search_over_hidden_size_and_method():
    grid = {"hidden_size": [0, 8], "method": ["mean", "tfidf"]}
    search = GridSearchCV(_small_classifier(), grid, cv=3, error_score="raise")
    search.fit(TEXTS, LABELS)
    tried = {(p["hidden_size"], p["method"]) for p in search.cv_results_["params"]}
    assert tried == {(0, "mean"), (0, "tfidf"), (8, "mean"), (8, "tfidf")}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_.keys() == grid.keys()
    assert search.score(TEST_TEXTS, TEST_LABELS) >= 0.8


def test_fit_on_all_zero_vectors_warns(caplog):
    zero = WordVectors(VECTORS.words, np.zeros_like(VECTORS.vectors))
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        EmbeddingClassifier(zero, **SMALL_HEAD).fit(TEXTS, LABELS)
    assert "the word vectors of this EmbeddingClassifier: every one of the" in (
        caplog.text
    )
