"""Tests for embedsent.classifier.MLPClassifier."""

import itertools
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from embedsent.classifier import (
    ClassifierDiverged,
    MLPClassifier,
    NotFittedError,
    _check_converged,
    _train,
)
from embedsent.config import ClassifierConfig
from embedsent.storage import InvalidStateError

# Most tests share these shapes and static settings (hidden size, epochs,
# batch size, dropout on or off) so that they reuse a few compiled functions.
N_ROWS = 40
N_FEATURES = 5
SHORT = ClassifierConfig(epochs=30)
MINI_BATCH = ClassifierConfig(batch_size=16)


def make_blobs(n_rows=N_ROWS, n_features=N_FEATURES, n_classes=2, seed=0):
    """Return (X, class index) for well-separated Gaussian blobs."""
    rng = np.random.default_rng(seed)
    centers = 4.0 * rng.normal(size=(n_classes, n_features))
    index = np.arange(n_rows) % n_classes
    X = centers[index] + rng.normal(size=(n_rows, n_features))
    return X, index


@pytest.fixture(scope="module")
def blobs():
    return make_blobs()


@pytest.fixture(scope="module")
def fitted(blobs):
    X, index = blobs
    labels = np.array(["neg", "pos"])[index]
    return MLPClassifier().fit(X, labels)


# -- quality ------------------------------------------------------------------


@pytest.mark.parametrize("hidden_size", [0, 64])
def test_fit_separable_reaches_full_train_accuracy(blobs, hidden_size):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(hidden_size=hidden_size)).fit(X, index)
    assert model.score(X, index) == 1.0


def test_fit_three_classes(blobs):
    X, index = make_blobs(n_classes=3)
    labels = np.array(["a", "b", "c"])[index]
    model = MLPClassifier().fit(X, labels)
    assert model.classes_ == ["a", "b", "c"]
    assert model.predict_proba(X).shape == (N_ROWS, 3)
    assert model.score(X, labels) == 1.0


def test_tanh_activation_fits(blobs):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(activation="tanh")).fit(X, index)
    assert model.score(X, index) == 1.0


def test_accuracy_close_to_sklearn_logistic_regression():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    reference = LogisticRegression(max_iter=5000).fit(
        scaler.transform(X_train), y_train
    )
    reference_accuracy = reference.score(scaler.transform(X_test), y_test)

    # The 30 features are in different units, which is what per-feature
    # scaling is for.
    for hidden_size in (0, 64):
        config = ClassifierConfig(hidden_size=hidden_size, standardize="feature")
        accuracy = MLPClassifier(config).fit(X_train, y_train).score(X_test, y_test)
        assert accuracy >= reference_accuracy - 0.03, hidden_size


def test_loss_curve_has_one_decreasing_entry_per_epoch(blobs):
    X, index = blobs
    model = MLPClassifier(SHORT).fit(X, index)
    assert len(model.loss_curve_) == 30
    assert model.loss_curve_[-1] < model.loss_curve_[0]


# -- labels and outputs ---------------------------------------------------------


def test_predict_keeps_str_labels(fitted, blobs):
    predicted = fitted.predict(blobs[0])
    assert predicted.shape == (N_ROWS,)
    assert predicted.dtype.kind == "U"
    assert all(type(label) is str for label in predicted.tolist())
    assert set(predicted.tolist()) == {"neg", "pos"}


def test_predict_keeps_int_labels(blobs):
    X, index = blobs
    labels = [int(7 + 3 * i) for i in index]  # 7 and 10
    predicted = MLPClassifier().fit(X, labels).predict(X)
    assert predicted.dtype.kind == "i"
    assert all(type(label) is int for label in predicted.tolist())
    assert predicted.tolist() == labels


def test_classes_sorted_when_comparable(blobs):
    X, index = blobs
    labels = np.array(["zeta", "alpha"])[index]
    model = MLPClassifier().fit(X, labels)
    assert model.classes_ == ["alpha", "zeta"]


def test_classes_first_seen_when_not_comparable(blobs):
    X, index = blobs
    labels = [("t",) if i else 3 for i in index]  # index starts with 0
    model = MLPClassifier().fit(X, labels)
    assert model.classes_ == [3, ("t",)]
    assert model.predict(X).tolist() == labels


def test_predict_proba_rows_sum_to_one(fitted, blobs):
    proba = fitted.predict_proba(blobs[0])
    assert proba.shape == (N_ROWS, 2)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (proba >= 0).all()


def test_predict_proba_columns_follow_classes(fitted, blobs):
    X, _ = blobs
    proba = fitted.predict_proba(X)
    expected = np.array(fitted.classes_)[proba.argmax(axis=1)]
    assert fitted.predict(X).tolist() == expected.tolist()


def test_decision_function_argmax_matches_predict(fitted, blobs):
    X, _ = blobs
    logits = fitted.decision_function(X)
    assert logits.shape == (N_ROWS, 2)
    assert fitted.predict(X).tolist() == [fitted.classes_[k] for k in logits.argmax(1)]


def test_predict_accepts_empty_input(fitted):
    empty = np.zeros((0, N_FEATURES))
    assert fitted.predict(empty).shape == (0,)
    assert fitted.predict_proba(empty).shape == (0, 2)


def test_score_is_accuracy(fitted, blobs):
    X, index = blobs
    labels = np.array(["neg", "pos"])[index].tolist()
    flipped = ["pos" if label == "neg" else "neg" for label in labels[:10]]
    assert fitted.score(X, labels) == 1.0
    assert fitted.score(X, flipped + labels[10:]) == 0.75


@pytest.mark.parametrize(
    ("hidden_size", "expected"),
    [(0, (N_FEATURES + 1) * 2), (64, (N_FEATURES + 1) * 64 + (64 + 1) * 2)],
)
def test_n_parameters(blobs, hidden_size, expected):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(hidden_size=hidden_size)).fit(X, index)
    assert model.n_parameters == expected
    _, arrays = model.get_state()
    weights = sum(
        value.size for name, value in arrays.items() if not name.startswith("feature")
    )
    assert weights == expected


# -- state ------------------------------------------------------------------------


def round_trip(model):
    meta, arrays = model.get_state()
    return MLPClassifier.from_state(json.loads(json.dumps(meta)), arrays)


def test_state_round_trip_gives_identical_predictions(fitted, blobs):
    X, _ = blobs
    restored = round_trip(fitted)
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored.predict(X).tolist() == fitted.predict(X).tolist()
    assert restored.classes_ == fitted.classes_
    assert restored.config == fitted.config
    assert restored.loss_curve_ == fitted.loss_curve_


def test_state_round_trip_without_hidden_layer(blobs):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(hidden_size=0)).fit(X, index)
    restored = round_trip(model)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "classes", [[1, 2], [0.5, 1.5], [False, True], [np.int64(3), 4]]
)
def test_state_round_trip_keeps_label_types(blobs, classes):
    X, index = blobs
    labels = [classes[i] for i in index]
    restored = round_trip(MLPClassifier(SHORT).fit(X, labels))
    restored_types = [type(label) for label in restored.classes_]
    expected_types = [
        int if isinstance(label, np.integer) else type(label) for label in classes
    ]
    assert restored_types == expected_types
    assert restored.classes_ == classes


def test_get_state_rejects_tuple_labels(blobs):
    X, index = blobs
    model = MLPClassifier(SHORT).fit(X, [(i,) for i in index])
    with pytest.raises(TypeError, match=r"type tuple.*str, int, float and bool"):
        model.get_state()


def test_state_tuple_labels_names_json(blobs):
    X, index = blobs
    model = MLPClassifier(SHORT).fit(X, [(i,) for i in index])
    with pytest.raises(TypeError) as raised:
        model.get_state()
    message = str(raised.value)
    assert "cannot be saved because saved models store labels as JSON" in message
    assert "get_state" not in message


def test_from_state_rejects_wrong_shape(fitted):
    meta, arrays = fitted.get_state()
    arrays["output_bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"output_bias.*shape \(3,\), expected \(2,\)"):
        MLPClassifier.from_state(meta, arrays)


def test_from_state_rejects_missing_array(fitted):
    meta, arrays = fitted.get_state()
    del arrays["hidden_weights"]
    with pytest.raises(InvalidStateError) as raised:
        MLPClassifier.from_state(meta, arrays)
    message = str(raised.value)
    assert "the classifier arrays are" in message
    # from_state is called with arrays, so the advice names their source.
    assert message.endswith("; pass the arrays written by MLPClassifier.get_state")
    assert "get_state" not in raised.value.problem


def test_from_state_rejects_other_format(fitted):
    meta, arrays = fitted.get_state()
    meta["format"] = "something else"
    with pytest.raises(ValueError, match="format 'something else'"):
        MLPClassifier.from_state(meta, arrays)


def test_from_state_rejects_missing_meta_key(fitted):
    meta, arrays = fitted.get_state()
    del meta["class_types"]
    with pytest.raises(ValueError, match=r"missing the keys \['class_types'\]"):
        MLPClassifier.from_state(meta, arrays)


def test_from_state_rejects_class_type_mismatch(fitted):
    meta, arrays = fitted.get_state()
    meta["class_types"] = ["int", "str"]
    with pytest.raises(TypeError, match="class value 'neg' .* recorded type 'int'"):
        MLPClassifier.from_state(meta, arrays)


# -- training options ---------------------------------------------------------------


def test_fit_is_deterministic(blobs):
    X, index = blobs
    config = replace(MINI_BATCH, dropout=0.5)
    first = MLPClassifier(config).fit(X, index).predict_proba(X)
    second = MLPClassifier(config).fit(X, index).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_seed_changes_model(blobs):
    X, index = blobs
    first = MLPClassifier(ClassifierConfig(seed=0)).fit(X, index)
    second = MLPClassifier(ClassifierConfig(seed=1)).fit(X, index)
    assert not np.array_equal(first.predict_proba(X), second.predict_proba(X))


def test_mini_batch_fits_and_differs_from_full_batch(blobs):
    X, index = blobs
    full = MLPClassifier(ClassifierConfig()).fit(X, index)
    # 40 rows in batches of 16 leave a last batch of 8 rows.
    mini = MLPClassifier(MINI_BATCH).fit(X, index)
    assert mini.score(X, index) == 1.0
    assert mini.loss_curve_[-1] < mini.loss_curve_[0]
    assert not np.array_equal(full.predict_proba(X), mini.predict_proba(X))


def test_batch_size_at_least_rows_equals_full_batch(blobs):
    X, index = blobs
    full = MLPClassifier(ClassifierConfig()).fit(X, index)
    large = MLPClassifier(ClassifierConfig(batch_size=N_ROWS + 5)).fit(X, index)
    np.testing.assert_array_equal(full.predict_proba(X), large.predict_proba(X))


def test_dropout_changes_training_not_prediction(blobs):
    X, index = blobs
    plain = MLPClassifier(MINI_BATCH).fit(X, index)
    dropped = MLPClassifier(replace(MINI_BATCH, dropout=0.5)).fit(X, index)
    assert dropped.loss_curve_ != plain.loss_curve_
    first = dropped.predict_proba(X)
    second = dropped.predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert dropped.score(X, index) == 1.0


def test_weight_decay_shrinks_weights_but_not_biases():
    # With all-zero features the data gradient of the weights is zero, so only
    # weight decay moves them, while the bias learns the class prior 3:1.
    X = np.zeros((N_ROWS, N_FEATURES))
    index = (np.arange(N_ROWS) % 4 == 0).astype(int)
    config = ClassifierConfig(hidden_size=0, learning_rate=0.1, weight_decay=1.0)
    model = MLPClassifier(config).fit(X, index)
    baseline = MLPClassifier(replace(config, weight_decay=0.0)).fit(X, index)

    weights = model.get_state()[1]["output_weights"]
    start = baseline.get_state()[1]["output_weights"]
    # AdamW multiplies the weights by (1 - lr * wd) = 0.9 in each of 200 steps.
    np.testing.assert_allclose(weights, start * 0.9**200, atol=1e-6)
    assert np.abs(start).max() > 0.1
    np.testing.assert_allclose(model.predict_proba(X[:1]), [[0.75, 0.25]], atol=1e-3)


def test_constant_feature_gives_finite_output(blobs):
    X, index = blobs
    X = X.copy()
    X[:, 2] = 3.0
    model = MLPClassifier().fit(X, index)
    test = X.copy()
    test[:, 2] = 1e6
    assert np.isfinite(model.get_state()[1]["feature_scale"]).all()
    assert np.isfinite(model.predict_proba(test)).all()
    assert model.score(X, index) == 1.0


def test_standardize_off_fits(blobs):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(standardize=False)).fit(X + 5.0, index)
    _, arrays = model.get_state()
    assert model.score(X + 5.0, index) == 1.0
    np.testing.assert_array_equal(arrays["feature_mean"], 0.0)
    np.testing.assert_array_equal(arrays["feature_scale"], 1.0)


def test_refit_reuses_compiled_training(blobs):
    X, index = blobs
    MLPClassifier(SHORT).fit(X, index)
    compiled = _train._cache_size()
    for seed, learning_rate, weight_decay in [(1, 3e-3, 0.0), (2, 0.1, 1.0)]:
        config = replace(
            SHORT, seed=seed, learning_rate=learning_rate, weight_decay=weight_decay
        )
        MLPClassifier(config).fit(X + seed, index)
    assert _train._cache_size() == compiled


# -- errors -------------------------------------------------------------------


def test_fit_rejects_single_class(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="y has only one class 'pos'.*another class"):
        MLPClassifier().fit(X, ["pos"] * N_ROWS)


def test_fit_rejects_1d_x():
    with pytest.raises(ValueError, match=r"X must be 2-D.*got shape \(4,\)"):
        MLPClassifier().fit(np.arange(4.0), [0, 1, 0, 1])


def test_fit_rejects_nan_and_names_row(blobs):
    X, index = blobs
    X = X.copy()
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="X contains nan at row 7, column 1"):
        MLPClassifier().fit(X, index)


def test_fit_rejects_inf_and_names_row(blobs):
    X, index = blobs
    X = X.copy()
    X[3, 0] = -np.inf
    with pytest.raises(ValueError, match="X contains -inf at row 3"):
        MLPClassifier().fit(X, index)


def test_fit_rejects_length_mismatch(blobs):
    X, index = blobs
    with pytest.raises(ValueError, match=f"X has {N_ROWS} rows but y has 39 labels"):
        MLPClassifier().fit(X, index[:-1])


def test_fit_rejects_empty_x():
    with pytest.raises(ValueError, match="X is empty"):
        MLPClassifier().fit(np.zeros((0, 3)), [])


def test_fit_rejects_non_numeric_x():
    with pytest.raises(TypeError, match="X must contain real numbers"):
        MLPClassifier().fit([["a", "b"], ["c", "d"]], [0, 1])


@pytest.mark.parametrize("y", [None, [0, 1]])
def test_fit_names_none_features(y):
    with pytest.raises(TypeError, match="X must be an array of features .* got None"):
        MLPClassifier().fit(None, y)


def test_predict_names_none_features(blobs):
    X, index = blobs
    model = MLPClassifier(SHORT).fit(X, index)
    with pytest.raises(TypeError, match="X must be an array of features .* got None"):
        model.predict(None)


def test_fit_names_none_labels(blobs):
    X, _ = blobs
    with pytest.raises(TypeError, match="y must be a sequence of labels, got NoneType"):
        MLPClassifier(SHORT).fit(X, None)


def test_fit_rejects_unhashable_labels(blobs):
    X, index = blobs
    labels = [[int(i)] for i in index]
    with pytest.raises(TypeError, match=r"y\[0\] = \[0\] is unhashable \(list\)"):
        MLPClassifier().fit(X, labels)


def test_fit_rejects_nan_label(blobs):
    X, index = blobs
    labels = index.astype(float)
    labels[5] = np.nan
    with pytest.raises(ValueError, match=r"y\[5\] is NaN"):
        MLPClassifier().fit(X, labels)


def test_config_rejects_too_large_weight_decay_before_fit():
    with pytest.raises(
        ValueError,
        match="learning_rate \\* weight_decay is 1 .*lower learning_rate below 0.1 "
        "or weight_decay below 10",
    ):
        ClassifierConfig(learning_rate=0.1, weight_decay=10.0)


def test_fit_rejects_2d_labels(blobs):
    X, index = blobs
    with pytest.raises(ValueError, match=r"y must be 1-D.*argmax"):
        MLPClassifier().fit(X, np.eye(2)[index])


def test_predict_before_fit_raises_not_fitted():
    model = MLPClassifier()
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="not fitted yet"):
        model.get_state()


def test_predict_rejects_feature_mismatch(fitted):
    with pytest.raises(ValueError, match=f"X has 3 features but .* with {N_FEATURES}"):
        fitted.predict(np.zeros((2, 3)))


def test_predict_rejects_nan(fitted):
    X = np.zeros((2, N_FEATURES))
    X[1, 4] = np.nan
    with pytest.raises(ValueError, match="row 1, column 4"):
        fitted.predict_proba(X)


def test_diverged_loss_raises():
    losses = np.array([0.7, 0.5, np.nan, np.nan])
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 2"):
        _check_converged(losses, {}, 0.01, 0.7)
    params = {"output_bias": np.array([0.0, np.inf])}
    with pytest.raises(FloatingPointError, match="output_bias contains NaN or inf"):
        _check_converged(np.ones(4), params, 0.01, 0.7)


def test_finite_loss_blow_up_raises():
    losses = np.array([0.7, 5000.0, 0.0, 0.0])
    with pytest.raises(
        ClassifierDiverged,
        match=r"loss reached 5000 at epoch 1, far above the 0\.7 of the untrained "
        r"model; lower learning_rate \(got 1000\)",
    ):
        _check_converged(losses, {}, 1000, 0.7)


def test_loss_rise_is_measured_from_untrained_loss():
    # Unscaled features can start far above ln(n_classes) without diverging.
    _check_converged(np.array([3000.0, 3500.0, 10.0]), {}, 0.01, 3000.0)
    with pytest.raises(ClassifierDiverged, match="far above the 3000"):
        _check_converged(np.array([3000.0, 4100.0, 10.0]), {}, 0.01, 3000.0)


@pytest.mark.parametrize(
    ("hidden_size", "learning_rate"), [(64, 1000.0), (64, 1e6), (0, 1e6)]
)
def test_high_learning_rate_raises_diverged(hidden_size, learning_rate):
    data = load_breast_cancer()
    config = ClassifierConfig(
        hidden_size=hidden_size,
        learning_rate=learning_rate,
        weight_decay=0.0,
        epochs=30,
    )
    with pytest.raises(ClassifierDiverged) as raised:
        MLPClassifier(config).fit(data.data[:100], data.target[:100])
    assert raised.value.learning_rate == learning_rate
    assert raised.value.parameter == "learning_rate"
    assert f"lower learning_rate (got {learning_rate})" in str(raised.value)


@pytest.mark.parametrize(
    "config",
    [
        ClassifierConfig(),
        ClassifierConfig(hidden_size=256, learning_rate=0.1, weight_decay=1e-3),
        ClassifierConfig(hidden_size=0, learning_rate=0.03, weight_decay=30.0),
    ],
)
def test_sensible_settings_do_not_diverge(config):
    data = load_breast_cancer()
    model = MLPClassifier(config).fit(data.data, data.target)
    # The peak stays an order of magnitude below the rise that counts as diverged.
    assert max(model.loss_curve_) < 100


def test_unscaled_features_without_standardization_fit():
    data = load_breast_cancer()
    config = ClassifierConfig(standardize="none", epochs=30)
    model = MLPClassifier(config).fit(100 * data.data[:100], data.target[:100])
    # The untrained loss is above the rise limit, so only the rise is checked.
    assert model.loss_curve_[0] > 1000


def test_init_rejects_non_config():
    with pytest.raises(TypeError, match="config must be a ClassifierConfig, got dict"):
        MLPClassifier({"hidden_size": 0})


@pytest.mark.parametrize("labels", [["1", 1], [2.0, "2"], [True, "True"]])
def test_fit_rejects_labels_written_alike(blobs, labels):
    X, index = blobs
    y = [labels[i % 2] for i in index]
    with pytest.raises(ValueError, match="would be written the same way"):
        MLPClassifier().fit(X, y)


@pytest.mark.parametrize(
    ("first", "second"), [(True, 1), (1.0, 1), (np.float64(0.0), False)]
)
def test_fit_rejects_equal_mixed_type_labels(blobs, first, second):
    X, index = blobs
    y = [first, second] + ["other"] * (len(index) - 2)
    message = re.escape(f"y[0] = {first!r} and y[1] = {second!r}")
    with pytest.raises(ValueError, match=message + ".*merge into one class"):
        MLPClassifier(SHORT).fit(X, y)


@pytest.mark.parametrize("y", [{0, 1}, {"a": 0, "b": 1}])
def test_fit_rejects_unordered_labels(blobs, y):
    X, _ = blobs
    with pytest.raises(TypeError, match="order is not the order of the rows"):
        MLPClassifier(SHORT).fit(X[:2], y)


def test_int_labels_beyond_int64_come_back_exact(blobs):
    X, index = blobs
    big = 2**63
    model = MLPClassifier(SHORT).fit(X, [big if k else -1 for k in index])
    predicted = model.predict(X).tolist()
    assert set(predicted) <= {big, -1}
    assert all(type(label) is int for label in predicted)


@pytest.mark.parametrize("standardize", ["global", "feature"])
def test_fit_rejects_features_whose_variance_overflows(standardize):
    X = [[1e200, 1.0], [-1e200, 2.0], [2e200, 1.5], [-2e200, 0.5]]
    config = ClassifierConfig(standardize=standardize, epochs=5)
    with pytest.raises(ValueError, match="too large to standardize"):
        MLPClassifier(config).fit(X, [1, 0, 1, 0])


def test_overflowing_rows_raise_not_nan():
    X = np.random.default_rng(0).normal(size=(8, 3))
    model = MLPClassifier(ClassifierConfig(hidden_size=4, epochs=5)).fit(X, [0, 1] * 4)
    raised = 0
    for signs in itertools.product([1.0, -1.0], repeat=3):
        try:
            probabilities = model.predict_proba([np.array(signs) * 1e308])
        except ValueError as error:
            assert "row 0 gives non-finite logits" in str(error)
            raised += 1
        else:
            assert np.isfinite(probabilities).all()
    assert raised >= 1


def test_fit_rejects_none_label(blobs):
    X, index = blobs
    y = ["pos" if k else "neg" for k in index]
    y[0] = None
    with pytest.raises(ValueError, match=r"y\[0\] is None"):
        MLPClassifier().fit(X, y)


def test_score_rejects_unknown_labels(blobs):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(epochs=5)).fit(X, index)
    with pytest.raises(ValueError, match="not one of the classes"):
        model.score(X, ["a"] * len(index))


def test_global_scaling_uses_one_scale():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * np.array([10.0, 1.0, 0.1]) + 5.0
    y = (X[:, 0] > 5.0).astype(int)
    model = MLPClassifier(ClassifierConfig(standardize="global")).fit(X, y)
    _, arrays = model.get_state()
    centred = X - X.mean(axis=0)
    np.testing.assert_allclose(arrays["feature_mean"], X.mean(axis=0))
    np.testing.assert_allclose(
        arrays["feature_scale"], np.full(3, np.sqrt(np.mean(centred**2)))
    )


def test_feature_scaling_scales_each_feature():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * np.array([10.0, 1.0, 0.1])
    y = (X[:, 0] > 0).astype(int)
    model = MLPClassifier(ClassifierConfig(standardize="feature")).fit(X, y)
    _, arrays = model.get_state()
    np.testing.assert_allclose(arrays["feature_scale"], X.std(axis=0))


def test_global_scaling_of_constant_features():
    X = np.full((6, 2), 3.0)
    y = [0, 1, 0, 1, 0, 1]
    model = MLPClassifier(ClassifierConfig(standardize="global")).fit(X, y)
    _, arrays = model.get_state()
    np.testing.assert_array_equal(arrays["feature_scale"], [1.0, 1.0])


@pytest.mark.parametrize(
    ("given", "mode"),
    [(True, "feature"), (False, "none"), (np.True_, "feature"), (np.False_, "none")],
)
def test_boolean_standardize_reads_as_its_mode(given, mode):
    assert ClassifierConfig(standardize=given).standardize == mode


def test_unknown_standardize_mode_names_the_choices():
    with pytest.raises(ValueError, match="'global', 'feature', 'none'.*'zscore'"):
        ClassifierConfig(standardize="zscore")


def test_model_saved_with_boolean_standardize_loads(blobs):
    X, index = blobs
    model = MLPClassifier(ClassifierConfig(standardize="feature")).fit(X, index)
    meta, arrays = model.get_state()
    meta = json.loads(json.dumps(meta))
    meta["config"]["standardize"] = True
    loaded = MLPClassifier.from_state(meta, arrays)
    assert loaded.config.standardize == "feature"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
