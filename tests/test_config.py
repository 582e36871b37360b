import pytest

from embedsent.config import (
    ClassifierConfig,
    SGNSConfig,
    TextConfig,
    VocabConfig,
    config_from_dict,
)


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (SGNSConfig, {"dim": 0}, "dim must be >= 1"),
        (SGNSConfig, {"dim": 1.5}, "dim must be an int"),
        (SGNSConfig, {"window": True}, "window must be an int"),
        (SGNSConfig, {"alpha": 0.0}, "alpha must be > 0"),
        (SGNSConfig, {"alpha": float("nan")}, "alpha must be finite"),
        (SGNSConfig, {"alpha": 0.01, "min_alpha": 0.1}, "must not exceed alpha"),
        (SGNSConfig, {"batch_size": 100, "negative_group": 16}, "multiple of"),
        (SGNSConfig, {"n_devices": -1}, "n_devices must be >= 0"),
        (SGNSConfig, {"seed": -1}, "seed must be >= 0"),
        (VocabConfig, {"min_count": 0}, "min_count must be >= 1"),
        (VocabConfig, {"sample": 2.0}, "sample must be >= 0.0 and <= 1.0"),
        (VocabConfig, {"max_vocab_size": 0}, "max_vocab_size must be >= 1"),
        (ClassifierConfig, {"activation": "gelu"}, "'relu' or 'tanh'"),
        (ClassifierConfig, {"dropout": 0.99}, "dropout must be"),
        (ClassifierConfig, {"batch_size": 0}, "batch_size must be >= 1"),
        (TextConfig, {"lowercase": 1}, "lowercase must be True or False"),
        (TextConfig, {"min_token_length": 0}, "min_token_length must be >= 1"),
    ],
)
def test_config_rejects_invalid_value(cls, values, message):
    with pytest.raises((ValueError, TypeError), match=message):
        cls(**values)


def test_config_is_frozen():
    config = SGNSConfig()
    with pytest.raises(AttributeError):
        config.dim = 50


def test_config_from_dict_rejects_unknown_field():
    with pytest.raises(ValueError, match=r"unknown SGNSConfig fields \['dims'\]"):
        config_from_dict(SGNSConfig, {"dims": 50})


def test_config_from_dict_round_trip():
    config = SGNSConfig(dim=32, seed=4)
    assert config_from_dict(SGNSConfig, config.__dict__) == config
