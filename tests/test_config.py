import json
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
    config_to_dict,
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


# Each config with one int field and one float field (None where it has none).
NUMPY_FIELDS = [
    (TextConfig, "min_token_length", None),
    (VocabConfig, "min_count", "sample"),
    (VocabConfig, "max_vocab_size", "noise_power"),
    (SGNSConfig, "window", "alpha"),
    (SGNSConfig, "shared_negatives", "max_memory_gb"),
    # learning_rate 1 or 0.5 times the default weight_decay 10 is at least 1,
    # which ClassifierConfig rejects; test_numpy_learning_rate_stored_as_float
    # covers that field.
    (ClassifierConfig, "hidden_size", None),
    (ClassifierConfig, "batch_size", "weight_decay"),
    (FineTuneConfig, "epochs", "embedding_learning_rate"),
    (FineTuneConfig, "batch_size", "learning_rate"),
]


@pytest.mark.parametrize(("cls", "int_field", "float_field"), NUMPY_FIELDS)
@pytest.mark.parametrize("int_type", [np.int64, np.int32, np.uint8])
def test_numpy_integer_stored_as_int(cls, int_field, float_field, int_type):
    config = cls(**{int_field: int_type(3)})
    value = getattr(config, int_field)
    assert type(value) is int
    assert config == cls(**{int_field: 3})
    json.dumps(config_to_dict(config))
    if float_field is not None:
        # An integer is a valid number for a float field, as a Python int is.
        config = cls(**{float_field: int_type(1)})
        assert type(getattr(config, float_field)) is int
        assert config == cls(**{float_field: 1})


@pytest.mark.parametrize(
    ("cls", "float_field"),
    [(cls, float_field) for cls, _, float_field in NUMPY_FIELDS if float_field],
)
@pytest.mark.parametrize("float_type", [np.float64, np.float32, np.float16])
def test_numpy_floating_stored_as_float(cls, float_field, float_type):
    config = cls(**{float_field: float_type(0.5)})
    assert type(getattr(config, float_field)) is float
    assert config == cls(**{float_field: 0.5})
    json.dumps(config_to_dict(config))


@pytest.mark.parametrize(("cls", "int_field", "float_field"), NUMPY_FIELDS)
@pytest.mark.parametrize(
    "value", [True, np.bool_(True), 3.0, np.float64(3.0), np.float32(3.0)]
)
def test_bool_and_float_rejected_for_int_field(cls, int_field, float_field, value):
    with pytest.raises(TypeError, match=rf"^{int_field} must be an int, got "):
        cls(**{int_field: value})


def test_numpy_float_int_field_message():
    with pytest.raises(
        TypeError, match=r"^window must be an int, got np\.float64\(3\.0\) \(float64\)$"
    ):
        SGNSConfig(window=np.float64(3.0))


@pytest.mark.parametrize("value", [np.bool_(True), True])
def test_bool_rejected_for_float_field(value):
    with pytest.raises(TypeError, match=r"^alpha must be a number, got "):
        SGNSConfig(alpha=value)


def test_numpy_values_checked_after_conversion():
    with pytest.raises(ValueError, match=r"^window must be >= 1 and <= 100, got 0$"):
        SGNSConfig(window=np.int64(0))
    with pytest.raises(ValueError, match=r"^alpha must be finite, got nan$"):
        SGNSConfig(alpha=np.float32("nan"))


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        ("batch_size", 10**30, 65_536),
        ("steps_per_call", 10**30, 10_000),
        ("shared_negatives", 10**6, 10_000),
        ("epochs", 10**6, 10_000),
        ("negative_group", 2**17, 65_536),
    ],
)
def test_sgns_config_rejects_above_cli_bound(field, value, bound):
    with pytest.raises(ValueError, match=rf"{field} must be <= {bound}.*got {value}"):
        SGNSConfig(**{field: value})


def test_sgns_config_bounds_match_cli_flags():
    from embedsent import cli, cli_types

    assert SGNSConfig(batch_size=cli.MAX_SGNS_BATCH_SIZE).batch_size == 65_536
    assert SGNSConfig(epochs=cli_types.MAX_SGNS_EPOCHS).epochs == 10_000
    with pytest.raises(ValueError, match="batch_size must be <= "):
        SGNSConfig(batch_size=cli.MAX_SGNS_BATCH_SIZE + 1)
    with pytest.raises(ValueError, match="epochs must be <= "):
        SGNSConfig(epochs=cli_types.MAX_SGNS_EPOCHS + 1)


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (TextConfig, "lowercase"),
        (TextConfig, "remove_stopwords"),
        (SGNSConfig, "add_context_vectors"),
        (FineTuneConfig, "freeze_embeddings"),
    ],
)
@pytest.mark.parametrize("value", [np.True_, np.False_])
def test_bool_fields_accept_numpy_bools(cls, field, value):
    config = cls(**{field: value})
    stored = getattr(config, field)
    assert type(stored) is bool
    assert stored is bool(value)
    assert config == cls(**{field: bool(value)})


@pytest.mark.parametrize("value", [np.True_, np.False_])
def test_standardize_reads_numpy_bools_as_python_bools(value):
    assert ClassifierConfig(standardize=value) == ClassifierConfig(
        standardize=bool(value)
    )


def test_decay_per_step_checked_at_construction():
    with pytest.raises(
        ValueError,
        match=r"learning_rate \* weight_decay is 20.*lower learning_rate below 0\.1 "
        r"or weight_decay below 0\.5",
    ):
        ClassifierConfig(learning_rate=2.0)
    assert ClassifierConfig(learning_rate=2.0, weight_decay=0.0).learning_rate == 2.0


def test_finetune_config_suggests_lowering_either_rate():
    with pytest.raises(
        ValueError, match="lower learning_rate below .* or weight_decay"
    ):
        FineTuneConfig(learning_rate=2.0, weight_decay=1.0)


@pytest.mark.parametrize("float_type", [np.float64, np.float32, np.float16])
def test_numpy_learning_rate_stored_as_float(float_type):
    config = ClassifierConfig(learning_rate=float_type(0.0625))
    assert type(config.learning_rate) is float
    assert config == ClassifierConfig(learning_rate=0.0625)


@pytest.mark.parametrize(
    ("argv", "flag", "text", "ascii_text"),
    [
        (["--epochs", "１２"], "--epochs", "１２", "12"),
        (["--dim", "٣٢"], "--dim", "٣٢", "32"),
        (["--sample", "０.５"], "--sample", "０.５", "0.5"),
        (["--alpha", "1e-٣"], "--alpha", "1e-٣", "1e-3"),
        (["--max-texts", "２"], "--max-texts", "２", "2"),
        (["--checkpoint-every", "６０"], "--checkpoint-every", "６０", "60"),
    ],
)
def test_cli_rejects_non_ascii_digits(capsys, tmp_path, argv, flag, text, ascii_text):
    from embedsent.cli import main

    out = str(tmp_path / "vectors.txt")
    with pytest.raises(SystemExit) as raised:
        main(["pretrain", "--data", "default", "--out", out, *argv])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: invalid value {text!r}: " in err
    assert "is not an ASCII digit" in err
    assert f"type the number with ASCII digits, such as {ascii_text}" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("flag", "text"),
    [("--target-accuracy", "０.8"), ("--toy-splits", "２００"), ("--sizes", "８")],
)
def test_bench_transfer_rejects_non_ascii_digits(capsys, tmp_path, flag, text):
    from embedsent.cli import main

    out_dir = tmp_path / "results"
    with pytest.raises(SystemExit) as raised:
        main(["bench", "transfer", "--out-dir", str(out_dir), flag, text])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: invalid value {text!r}: " in err
    assert "is not an ASCII digit" in err
    assert not out_dir.exists()


@pytest.mark.parametrize("text", ["１２", "1２", "٣"])
def test_parsers_reject_non_ascii_digits(text):
    import argparse

    from embedsent.cli_types import (
        ascii_number,
        bounded,
        config_value,
        labeled_size,
    )

    parsers = [
        bounded(int, 0),
        config_value(SGNSConfig, "epochs"),
        labeled_size,
        ascii_number(int),
    ]
    for parse in parsers:
        with pytest.raises(argparse.ArgumentTypeError, match="not an ASCII digit"):
            parse(text)


def test_ascii_digits_still_accepted():
    from embedsent.cli_types import bounded, config_value, labeled_size

    assert bounded(int, 0)("12") == 12
    assert bounded(float, 0.0)("1.5e-3") == 1.5e-3
    assert config_value(SGNSConfig, "epochs")(" 7 ") == 7
    assert labeled_size("16") == "16"


@pytest.mark.parametrize(
    ("text", "problem", "typed"),
    [
        ("\u00a05", "(U+00A0 NO-BREAK SPACE) is not an ASCII space", "5"),
        ("\u22125", "(U+2212 MINUS SIGN) is not an ASCII character", "-5"),
        ("\u00bd", "(U+00BD VULGAR FRACTION ONE HALF) is not an ASCII", None),
    ],
)
def test_parsers_name_non_ascii_characters(text, problem, typed):
    import argparse

    from embedsent.cli_types import ascii_number, bounded

    for parse in (bounded(float, -10), ascii_number(int)):
        with pytest.raises(argparse.ArgumentTypeError) as raised:
            parse(text)
        message = str(raised.value)
        assert problem in message
        if typed is None:
            assert message.endswith("type the number with ASCII digits")
        else:
            assert message.endswith(f"with ASCII digits, such as {typed}")
