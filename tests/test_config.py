import warnings

import numpy as np
import pytest

from embedsent.config import (
    FLOAT32_MAX,
    FLOAT32_SMALLEST_POSITIVE,
    ClassifierConfig,
    SGNSConfig,
    TextConfig,
    VocabConfig,
    config_from_dict,
)
from embedsent.finetune import FineTuneConfig


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (SGNSConfig, {"dim": 0}, "dim must be >= 1"),
        (SGNSConfig, {"dim": 1.5}, "dim must be an int"),
        (SGNSConfig, {"window": True}, "window must be an int"),
        (SGNSConfig, {"alpha": 0.0}, "alpha must be > 0"),
        (SGNSConfig, {"alpha": float("nan")}, "alpha must be finite"),
        (SGNSConfig, {"alpha": 0.01, "min_alpha": 0.1}, "must not exceed alpha"),
        (
            SGNSConfig,
            {"alpha": 1e300},
            r"^alpha must be at most 3\.4028235e\+38 because training computes "
            r"in float32, got 1e\+300$",
        ),
        (
            SGNSConfig,
            {"min_alpha": 1e39},
            r"^min_alpha must be at most 3\.4028235e\+38 because training "
            r"computes in float32, got 1e\+39$",
        ),
        (
            SGNSConfig,
            {"alpha": 1e-50, "min_alpha": 0.0},
            r"^alpha must be at least 1\.4e-45 because training computes in "
            r"float32, where it would round to 0, got 1e-50$",
        ),
        (SGNSConfig, {"batch_size": 100, "negative_group": 16}, "multiple of"),
        (SGNSConfig, {"n_devices": -1}, "n_devices must be >= 0"),
        (SGNSConfig, {"seed": -1}, "seed must be >= 0"),
        (VocabConfig, {"min_count": 0}, "min_count must be >= 1"),
        (VocabConfig, {"sample": 2.0}, "sample must be >= 0.0 and <= 1.0"),
        (VocabConfig, {"max_vocab_size": 0}, "max_vocab_size must be >= 1"),
        (ClassifierConfig, {"activation": "gelu"}, "'relu' or 'tanh'"),
        (ClassifierConfig, {"dropout": 0.99}, "dropout must be"),
        (ClassifierConfig, {"batch_size": 0}, "batch_size must be >= 1"),
        (
            ClassifierConfig,
            {"learning_rate": 1e300},
            r"^learning_rate must be at most 3\.4028235e\+38 because training",
        ),
        (
            ClassifierConfig,
            {"learning_rate": 1e-50},
            r"^learning_rate must be at least 1\.4e-45 because training",
        ),
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


def test_float32_limits_of_rates_accepted():
    largest = SGNSConfig(alpha=FLOAT32_MAX, min_alpha=FLOAT32_MAX)
    assert np.isfinite(np.float32(largest.alpha))
    assert np.isfinite(np.float32(largest.min_alpha))
    # A min_alpha that rounds to 0 in float32 only ends the decay at 0.
    assert SGNSConfig(min_alpha=1e-50).min_alpha == 1e-50
    smallest = SGNSConfig(alpha=1.4e-45, min_alpha=0.0)
    assert np.float32(smallest.alpha) > 0


def test_float32_overflow_check_emits_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="alpha must be at most"):
            SGNSConfig(alpha=1e300)


def test_cli_alpha_overflow_is_usage_error(tmp_path, capsys):
    from embedsent.cli import main

    out = tmp_path / "vectors.txt"
    arguments = ["--no-progress", "pretrain", "--data", "default"]
    arguments += ["--alpha", "1e300", "--out", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SystemExit) as raised:
            main(arguments)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "usage: embedsent pretrain" in err
    assert (
        "argument --alpha: must be at most 3.4028235e+38 because training "
        "computes in float32, got 1e300" in err
    )
    assert "Traceback" not in err
    assert not out.exists()


WEIGHT_DECAY_ROUNDS_TO_ZERO = (
    r"^weight_decay must be 0, which turns weight decay off, or at least "
    r"1\.4e-45 because training computes in float32, where it would round to 0, "
    r"got 1e-320$"
)


@pytest.mark.parametrize("value", [1e-320, np.float64(1e-320)])
@pytest.mark.parametrize("cls", [ClassifierConfig, FineTuneConfig])
def test_weight_decay_rounding_to_zero_rejected(cls, value):
    with pytest.raises(ValueError, match=WEIGHT_DECAY_ROUNDS_TO_ZERO):
        cls(weight_decay=value)


@pytest.mark.parametrize("cls", [ClassifierConfig, FineTuneConfig])
def test_weight_decay_float32_limits_accepted(cls):
    assert cls(weight_decay=0.0).weight_decay == 0.0
    smallest = cls(weight_decay=FLOAT32_SMALLEST_POSITIVE)
    assert np.float32(smallest.weight_decay) > 0


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (ClassifierConfig, "learning_rate"),
        (FineTuneConfig, "learning_rate"),
        (FineTuneConfig, "embedding_learning_rate"),
    ],
)
def test_subnormal_rate_message_shows_value_as_typed(cls, field):
    with pytest.raises(ValueError, match=r"round to 0, got 1e-320$"):
        cls(**{field: 1e-320})
