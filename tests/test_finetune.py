import numpy as np
import pytest

from embedsent.classifier import ClassifierDiverged, MLPClassifier, NotFittedError
from embedsent.finetune import FineTuneClassifier, FineTuneConfig, count_matrix
from embedsent.vectors import WordVectors

POSITIVE = [f"good{i}" for i in range(6)]
NEGATIVE = [f"bad{i}" for i in range(6)]
NEUTRAL = [f"film{i}" for i in range(10)]
UNUSED = [f"unused{i}" for i in range(4)]


def _vectors(seed: int = 0) -> WordVectors:
    words = POSITIVE + NEGATIVE + NEUTRAL + UNUSED
    rng = np.random.default_rng(seed)
    return WordVectors(words, rng.normal(size=(len(words), 8)).astype(np.float32))


def _texts(n: int, seed: int = 1) -> tuple[list[list[str]], list[str]]:
    """Return separable token lists: each has 2 words of its class and neutrals."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        positive = i % 2 == 0
        cue = POSITIVE if positive else NEGATIVE
        tokens = list(rng.choice(cue, 2)) + list(rng.choice(NEUTRAL, 3))
        texts.append(tokens + ["out-of-vocabulary"])
        labels.append("pos" if positive else "neg")
    return texts, labels


FAST = FineTuneConfig(epochs=60, batch_size=8, embedding_learning_rate=3e-2)


def test_finetune_learns_separable_texts():
    texts, labels = _texts(32)
    test_texts, test_labels = _texts(40, seed=2)
    model = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    assert model.score(test_texts, test_labels) >= 0.95


def test_finetune_generalizes_better_than_frozen():
    texts, labels = _texts(32)
    test_texts, test_labels = _texts(200, seed=2)
    frozen = FineTuneConfig(epochs=60, batch_size=8, freeze_embeddings=True)
    tuned = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    fixed = FineTuneClassifier(_vectors(), frozen).fit(texts, labels)
    assert tuned.score(test_texts, test_labels) > fixed.score(test_texts, test_labels)


def test_finetune_returns_labels_as_given():
    texts, labels = _texts(16)
    numeric = [1 if label == "pos" else 0 for label in labels]
    model = FineTuneClassifier(_vectors(), FAST).fit(texts, numeric)
    assert model.classes_ == [0, 1]
    assert model.predict(texts[:4]).tolist() == numeric[:4]


def test_finetune_probabilities_sum_to_one():
    texts, labels = _texts(16)
    model = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    probabilities = model.predict_proba(texts)
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_frozen_mode_leaves_table_unchanged():
    vectors = _vectors()
    texts, labels = _texts(16)
    config = FineTuneConfig(epochs=30, freeze_embeddings=True)
    model = FineTuneClassifier(vectors, config).fit(texts, labels)
    np.testing.assert_array_equal(model.embeddings_, vectors.vectors)


def test_frozen_mode_matches_mlp_on_mean_vectors():
    vectors = _vectors()
    texts, labels = _texts(16)
    config = FineTuneConfig(epochs=30, freeze_embeddings=True, batch_size=None)
    model = FineTuneClassifier(vectors, config).fit(texts, labels)
    means = np.stack(
        [np.mean([vectors[t] for t in text if t in vectors], axis=0) for text in texts]
    )
    reference = MLPClassifier(config.head_config()).fit(means, labels)
    np.testing.assert_allclose(
        model.predict_proba(texts), reference.predict_proba(means), atol=1e-5
    )


def test_finetune_changes_only_used_rows():
    vectors = _vectors()
    texts, labels = _texts(16)
    model = FineTuneClassifier(vectors, FAST).fit(texts, labels)
    changed = np.abs(model.embeddings_ - vectors.vectors).max(axis=1) > 0
    used = np.isin(vectors.words, sorted({token for text in texts for token in text}))
    assert changed[used].all()
    assert not changed[~used].any()


def test_finetune_does_not_modify_given_vectors():
    vectors = _vectors()
    before = vectors.vectors.copy()
    texts, labels = _texts(16)
    FineTuneClassifier(vectors, FAST).fit(texts, labels)
    np.testing.assert_array_equal(vectors.vectors, before)


def test_finetune_is_deterministic():
    texts, labels = _texts(24)
    first = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    second = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    np.testing.assert_array_equal(first.embeddings_, second.embeddings_)
    np.testing.assert_array_equal(
        first.predict_proba(texts), second.predict_proba(texts)
    )


def test_finetune_seed_changes_model():
    texts, labels = _texts(24)
    first = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    config = FineTuneConfig(
        epochs=60, batch_size=8, embedding_learning_rate=3e-2, seed=1
    )
    second = FineTuneClassifier(_vectors(), config).fit(texts, labels)
    assert not np.array_equal(first.embeddings_, second.embeddings_)


def test_finetune_accepts_count_matrix():
    vectors = _vectors()
    texts, labels = _texts(16)
    counts = count_matrix(texts, vectors.index)
    from_tokens = FineTuneClassifier(vectors, FAST).fit(texts, labels)
    from_counts = FineTuneClassifier(vectors, FAST).fit(counts, labels)
    np.testing.assert_array_equal(
        from_tokens.predict_proba(texts), from_counts.predict_proba(counts)
    )


def test_text_without_known_token_gets_zero_vector():
    texts, labels = _texts(16)
    model = FineTuneClassifier(_vectors(), FAST).fit(texts, labels)
    features = model.transform([["out-of-vocabulary"], []])
    np.testing.assert_array_equal(features, np.zeros((2, 8)))


def test_count_matrix_counts_known_tokens():
    counts = count_matrix([["a", "b", "a", "zzz"], []], {"a": 0, "b": 1, "c": 2})
    assert counts.shape == (2, 3)
    assert counts.toarray().tolist() == [[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_finetune_rejects_one_class():
    texts, _ = _texts(8)
    with pytest.raises(ValueError, match="only one class"):
        FineTuneClassifier(_vectors(), FAST).fit(texts, ["pos"] * 8)


def test_finetune_rejects_length_mismatch():
    texts, labels = _texts(8)
    with pytest.raises(ValueError, match="8 texts but y has 7 labels"):
        FineTuneClassifier(_vectors(), FAST).fit(texts, labels[:7])


def test_finetune_rejects_texts_without_known_tokens():
    with pytest.raises(ValueError, match="no training text contains a token"):
        FineTuneClassifier(_vectors(), FAST).fit([["x"], ["y"]], ["pos", "neg"])


def test_finetune_rejects_raw_string():
    with pytest.raises(TypeError, match="tokenize"):
        FineTuneClassifier(_vectors(), FAST).fit("good film", ["pos"])


def test_finetune_rejects_wrong_count_width():
    texts, labels = _texts(8)
    counts = count_matrix(texts, {"good0": 0})
    with pytest.raises(ValueError, match="columns but the vocabulary"):
        FineTuneClassifier(_vectors(), FAST).fit(counts, labels)


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="call fit"):
        FineTuneClassifier(_vectors()).predict([["good0"]])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("embedding_learning_rate", 0.0, "embedding_learning_rate must be >"),
        ("epochs", 0, "epochs must be >= 1"),
        ("batch_size", 0, "batch_size must be >= 1"),
        ("activation", "gelu", "activation must be"),
    ],
)
def test_config_rejects_invalid_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        FineTuneConfig(**{field: value})


def test_config_rejects_non_bool_freeze():
    with pytest.raises(TypeError, match="freeze_embeddings must be True or False"):
        FineTuneConfig(freeze_embeddings=1)


@pytest.mark.parametrize(
    ("field", "value"), [("learning_rate", 1000.0), ("embedding_learning_rate", 1e6)]
)
def test_high_learning_rate_raises_diverged(field, value):
    texts, labels = _texts(32)
    settings = {"epochs": 30, "batch_size": 8, "weight_decay": 0.0, field: value}
    model = FineTuneClassifier(_vectors(), FineTuneConfig(**settings))
    with pytest.raises(ClassifierDiverged) as raised:
        model.fit(texts, labels)
    assert raised.value.parameter == field
    assert f"lower {field} (got {value})" in str(raised.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"learning_rate": 1e300}, r"^learning_rate must be at most 3\.4028235e\+38"),
        (
            {"embedding_learning_rate": 1e-50},
            r"^embedding_learning_rate must be at least 1\.4e-45",
        ),
    ],
)
def test_rates_outside_float32_rejected(values, message):
    with pytest.raises(ValueError, match=message):
        FineTuneConfig(**values)
