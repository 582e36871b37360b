"""Errors from bad flag values name the flag the user typed, not a parameter."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import jax
import pytest

import embedsent.cli
import embedsent.datasets
import embedsent.sgns_model
from embedsent.cli import build_parser, main
from embedsent.config import ClassifierConfig, VocabConfig

PRETRAIN = ["pretrain", "--data", "default", "--out", "unused.txt"]
TRAIN = ["train", "--vectors", "v.txt", "--data", "default", "--out", "m.npz"]
COMPARE = ["compare", "--data", "default"]
SELECT = ["select", "--data", "default", "--vectors", "v.txt"]
DIAGNOSE = ["diagnose", "--model", "m.npz", "--data", "default"]
TRANSFER = ["bench", "transfer", "--data", "default"]
BENCH_SGNS = ["bench", "sgns", "--data", "default"]
SERVE = ["serve", "--model", "m.npz"]

# (command line, expected message). Each is rejected while parsing, before any
# file named in it is opened.
PARSE_ERRORS = [
    (["--seed", "-1", *PRETRAIN], "argument --seed: must be >= 0"),
    ([*PRETRAIN, "--dim", "0"], "argument --dim: must be >= 1 and <= 10000, got 0"),
    ([*PRETRAIN, "--window", "101"], "argument --window: must be >= 1 and <= 100"),
    ([*PRETRAIN, "--negative", "0"], "argument --negative: must be >= 1"),
    ([*PRETRAIN, "--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
    ([*PRETRAIN, "--alpha", "0"], "argument --alpha: must be >= 0.0001"),
    ([*PRETRAIN, "--alpha", "1e-5"], "argument --alpha: must be >= 0.0001"),
    ([*PRETRAIN, "--batch-size", "0"], "argument --batch-size: must be >= 1"),
    (
        [*PRETRAIN, "--min-count", "0"],
        "argument --min-count: must be >= 1, got 0; 1 keeps every word",
    ),
    (
        [*PRETRAIN, "--max-vocab-size", "0"],
        "argument --max-vocab-size: must be >= 1, got 0; leave it out",
    ),
    ([*PRETRAIN, "--sample", "2"], "argument --sample: must be >= 0.0 and <= 1.0"),
    (
        [*PRETRAIN, "--devices", "-1"],
        "argument --devices: must be >= 0 and <= 4096, got -1; 0 uses every device",
    ),
    ([*PRETRAIN, "--checkpoint-every", "-1"], "argument --checkpoint-every: must"),
    (
        [*PRETRAIN, "--num-processes", "0"],
        "argument --num-processes: must be >= 1 and <= 4096, got 0",
    ),
    ([*PRETRAIN, "--process-id", "-1"], "argument --process-id: must be >= 0"),
    (
        [*PRETRAIN, "--coordinator-timeout", "0"],
        "argument --coordinator-timeout: must be >= 1",
    ),
    ([*PRETRAIN, "--encoding", "no-such-codec"], "argument --encoding: unknown"),
    ([*PRETRAIN, "--encoding", "rot13"], "argument --encoding: 'rot13' is not a text"),
    ([*TRAIN, "--encoding", "base64"], "argument --encoding: 'base64' is not a text"),
    ([*PRETRAIN, "--dim", "x"], "argument --dim: invalid int value: 'x'"),
    (
        [*TRAIN, "--hidden-size", "-1"],
        "argument --hidden-size: must be >= 0 and <= 100000, got -1; 0 gives "
        "logistic regression",
    ),
    ([*TRAIN, "--classifier-epochs", "0"], "argument --classifier-epochs: must"),
    ([*TRAIN, "--learning-rate", "0"], "argument --learning-rate: must be > 0.0"),
    ([*TRAIN, "--weight-decay", "-1"], "argument --weight-decay: must be >= 0.0"),
    ([*TRAIN, "--vectors-encoding", "nope"], "argument --vectors-encoding: unknown"),
    ([*TRAIN, "--vectors-encoding", "utf-16"], "not ASCII-compatible"),
    ([*TRAIN, "--encoding-errors", "skip"], "argument --encoding-errors: invalid"),
    ([*COMPARE, "--sizes", "-1"], "argument --sizes: must be >= 0 or 'all'"),
    ([*COMPARE, "--sizes", "x"], "argument --sizes: invalid size 'x'"),
    ([*COMPARE, "--draws", "0"], "argument --draws: must be >= 1 and <= 1000, got 0"),
    ([*COMPARE, "--max-per-class", "0"], "argument --max-per-class: must be >= 1"),
    ([*COMPARE, "--max-unlabeled", "-1"], "argument --max-unlabeled: must be >= 0"),
    ([*COMPARE, "--gensim-workers", "0"], "argument --gensim-workers: must be >= 1"),
    ([*COMPARE, "--classifier-epochs", "0"], "argument --classifier-epochs: must"),
    ([*SELECT, "--max-labeled", "0"], "argument --max-labeled: must be >= 1"),
    ([*SELECT, "--folds", "1"], "argument --folds: must be >= 2, got 1"),
    ([*SELECT, "--repeats", "0"], "argument --repeats: must be >= 1 and <= 100"),
    ([*SELECT, "--dim", "0"], "argument --dim: must be >= 1"),
    ([*SELECT, "--sgns-epochs", "0"], "argument --sgns-epochs: must be >= 1"),
    ([*SELECT, "--min-count", "0"], "argument --min-count: must be >= 1"),
    ([*SELECT, "--hidden-sizes", "8", "-1"], "argument --hidden-sizes: must be"),
    ([*SELECT, "--weight-decays", "-1"], "argument --weight-decays: must be"),
    ([*SELECT, "--vectors-encoding", "nope"], "argument --vectors-encoding: unknown"),
    ([*DIAGNOSE, "--folds", "1"], "argument --folds: must be >= 2, got 1"),
    ([*DIAGNOSE, "--max-labeled", "-3"], "argument --max-labeled: must be >= 1"),
    ([*TRANSFER, "--draws", "0"], "argument --draws: must be an int >= 1, got 0"),
    ([*TRANSFER, "--large-size", "0"], "argument --large-size: must be an int >="),
    ([*TRANSFER, "--finetune-steps", "0"], "argument --finetune-steps: must be"),
    ([*TRANSFER, "--min-count", "0"], "argument --min-count: must be >= 1"),
    ([*TRANSFER, "--max-per-class", "0"], "argument --max-per-class: must be >= 1"),
    ([*TRANSFER, "--max-unlabeled", "-1"], "argument --max-unlabeled: must be >= 0"),
    ([*TRANSFER, "--seed", "-1"], "argument --seed: must be >= 0"),
    ([*BENCH_SGNS, "--repeats", "0"], "argument --repeats: must be >= 1"),
    ([*BENCH_SGNS, "--bench-epochs", "1", "0"], "argument --bench-epochs: must"),
    ([*BENCH_SGNS, "--max-docs", "0"], "argument --max-docs: must be >= 1"),
    ([*BENCH_SGNS, "--batch-size", "0"], "argument --batch-size: must be >= 1"),
    (
        [*SERVE, "--port", "70000"],
        "argument --port: must be >= 0 and <= 65535, got 70000; 0 picks a free port",
    ),
    ([*SERVE, "--max-body-bytes", "0"], "argument --max-body-bytes: must be >= 1"),
    ([*SERVE, "--max-texts", "0"], "argument --max-texts: must be >= 1"),
    (
        [*SERVE, "--shutdown-timeout", "-1"],
        "argument --shutdown-timeout: must be >= 0.0 and <= 3600.0, got -1",
    ),
    ([*PRETRAIN, "--alpha", "nan"], "argument --alpha: must be a number, got nan"),
    (
        [*PRETRAIN, "--checkpoint-every", "nan"],
        "argument --checkpoint-every: must be a number, got nan",
    ),
    (
        [*TRAIN, "--learning-rate", "1e300"],
        "argument --learning-rate: must be at most 3.4028235e+38 because training "
        "computes in float32, got 1e300",
    ),
    (
        [*TRAIN, "--weight-decay", "1e300"],
        "argument --weight-decay: must be at most 3.4028235e+38",
    ),
    # A float64 subnormal; the message shows it as typed, not as 9.99989e-321.
    (
        [*TRAIN, "--learning-rate", "1e-320"],
        "argument --learning-rate: must be at least 1.4e-45 because training "
        "computes in float32, where it would round to 0, got 1e-320",
    ),
    (
        [*TRAIN, "--learning-rate", "1E-320"],
        "where it would round to 0, got 1E-320",
    ),
    (
        [*TRAIN, "--learning-rate", "0"],
        "argument --learning-rate: must be > 0.0, got 0",
    ),
    # A nonzero double that float32 rounds to 0.
    (
        [*TRAIN, "--learning-rate", "3e-324"],
        "argument --learning-rate: must be at least 1.4e-45 because training "
        "computes in float32, where it would round to 0, got 3e-324",
    ),
    ([*PRETRAIN, "--alpha", "NaN"], "argument --alpha: must be a number, got NaN"),
    (
        [*TRAIN, "--weight-decay", "1e-320"],
        "argument --weight-decay: must be 0, which turns weight decay off, or at "
        "least 1.4e-45 because training computes in float32, where it would round "
        "to 0, got 1e-320",
    ),
    (
        [*TRAIN, "--weight-decay", "-0.50"],
        "argument --weight-decay: must be >= 0.0, got -0.50",
    ),
]


@pytest.mark.parametrize(
    ("argv", "expected"), PARSE_ERRORS, ids=[" ".join(a) for a, _ in PARSE_ERRORS]
)
def test_bad_flag_value_rejected_naming_flag(argv, expected, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert expected in capsys.readouterr().err


# Float flags, each with a command line it parses in. Each flag is given a
# nonzero number that float() rounds to 0.0 or to infinity.
FLOAT_FLAGS = [
    (PRETRAIN, "--alpha"),
    (PRETRAIN, "--sample"),
    (PRETRAIN, "--repeat-damping"),
    (PRETRAIN, "--checkpoint-every"),
    (TRAIN, "--learning-rate"),
    (TRAIN, "--weight-decay"),
    (TRANSFER, "--target-accuracy"),
]


@pytest.mark.parametrize(("argv", "flag"), FLOAT_FLAGS)
@pytest.mark.parametrize("text", ["1e-400", "-1E-400", "0.1e-999"])
def test_float_flag_underflow_named(argv, flag, text, capsys):
    with pytest.raises(SystemExit) as stopped:
        # The = form passes a negative number as the value, not as a flag.
        main([*argv, f"{flag}={text}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: got {text}, which rounds to 0.0 because" in err
    assert "the smallest nonzero double (64-bit float) is 4.9e-324" in err
    assert "pass a value further from 0" in err
    assert "must be" not in err


@pytest.mark.parametrize(("argv", "flag"), FLOAT_FLAGS)
@pytest.mark.parametrize(("text", "rounded"), [("1e400", "inf"), ("-2e308", "-inf")])
def test_float_flag_overflow_named(argv, flag, text, rounded, capsys):
    with pytest.raises(SystemExit) as stopped:
        # The = form passes a negative number as the value, not as a flag.
        main([*argv, f"{flag}={text}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: got {text}, which overflows to {rounded} " in err
    assert "the largest double (64-bit float) is 1.8e+308" in err
    assert "pass a value closer to 0" in err
    assert "must be" not in err


@pytest.mark.parametrize(
    ("argv", "flag", "text", "expected"),
    [
        (PRETRAIN, "--sample", "0.0e-400", 0.0),
        (PRETRAIN, "--checkpoint-every", "inf", float("inf")),
        (TRAIN, "--weight-decay", "0e999", 0.0),
        (PRETRAIN, "--checkpoint-every", "3e-324", 5e-324),
    ],
)
def test_float_flag_zero_and_inf_accepted(argv, flag, text, expected):
    # A typed zero or infinity is not a rounded number, and 3e-324 rounds to
    # the smallest double, not to 0.
    args = build_parser().parse_args([*argv, flag, text])
    assert getattr(args, flag[2:].replace("-", "_")) == expected


@pytest.mark.parametrize(
    ("argv", "prefix"),
    [
        (["predict", "--model", "m.npz", "--text", "a fine film"], "--text"),
        ([*PRETRAIN, "--ep", "2"], "--ep"),
        (["--no-prog", *PRETRAIN], "--no-prog"),
    ],
)
def test_option_prefix_is_not_read_as_the_option(argv, prefix, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert f"unrecognized arguments: {prefix}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (
            [*TRAIN, "--epochs", "5"],
            "; did you mean --classifier-epochs instead of --epochs?",
        ),
        ([*PRETRAIN, "--ep", "2"], "; did you mean --epochs instead of --ep?"),
        ([*PRETRAIN, "--windw", "3"], "; did you mean --window instead of --windw?"),
        (
            ["predict", "--model", "m.npz", "--text", "a fine film"],
            "; did you mean --text-column instead of --text?",
        ),
        ([*TRANSFER, "--draw=3"], "did you mean --draws"),
        (
            ["predict", "--mod", "m.npz"],
            "required: --model; did you mean --model instead of --mod?",
        ),
        (
            ["diagnose", "--mdoel=m.npz", "--data", "default"],
            "required: --model; did you mean --model instead of --mdoel?",
        ),
        (
            [*TRANSFER, "--seeds", "1", "--max-per-clas", "5"],
            "; did you mean --seed instead of --seeds, and --max-per-class instead "
            "of --max-per-clas?",
        ),
        (
            ["train", "--vector", "v.txt", "--data", "default", "--out", "m.npz"],
            "did you mean --vectors or --vectors-format instead of --vector?",
        ),
        (
            ["--se", "3", "demo"],
            "invalid choice: '3' (choose from 'demo', 'pretrain', 'train', "
            "'predict', 'compare', 'diagnose', 'select', 'bench', 'serve'); did "
            "you mean --seed instead of --se?",
        ),
        (["--no-prog", "demo"], "did you mean --no-progress instead of --no-prog?"),
        (
            ["predict", "--model", "m.npz", "--no-compile"],
            "did you mean --no-compile-cache instead of --no-compile?",
        ),
    ],
)
def test_unknown_option_suggests_close_options_of_its_command(argv, hint, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert hint in capsys.readouterr().err


def test_unknown_option_without_close_option_gets_no_suggestion(capsys):
    with pytest.raises(SystemExit):
        main([*PRETRAIN, "--zzzz", "3"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --zzzz 3" in err
    assert "did you mean" not in err


def test_python_api_messages_keep_parameter_names():
    with pytest.raises(ValueError, match="min_count must be >= 1, got 0"):
        VocabConfig(min_count=0)
    with pytest.raises(ValueError, match="hidden_size must be >= 0"):
        ClassifierConfig(hidden_size=-1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny vectors file and a labeled CSV with 4 pos and 2 neg texts."""
    folder = tmp_path_factory.mktemp("cli_errors")
    vectors = folder / "vectors.txt"
    vectors.write_text(
        "4 2\ngood 1 0\ngreat 0.9 0.1\nbad 0 1\nawful 0.1 0.9\n", encoding="utf-8"
    )
    labeled = folder / "labeled.csv"
    rows = ["good film,pos", "great film,pos", "good plot,pos", "great plot,pos"]
    rows += ["awful film,neg", "bad plot,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return {"vectors": str(vectors), "labeled": str(labeled), "folder": folder}


def _train(files, *extra):
    out = files["folder"] / "model.npz"
    return main(
        [
            "train",
            "--vectors",
            files["vectors"],
            "--data",
            files["labeled"],
            "--out",
            str(out),
            "--hidden-size",
            "0",
            "--classifier-epochs",
            "5",
            *extra,
        ]
    )


def test_train_missing_text_column_names_flag(files, capsys):
    assert _train(files, "--text-column", "review") == 2
    err = capsys.readouterr().err
    assert "column 'review' not found in the header of" in err
    assert "columns found: ['text', 'label']" in err
    assert "pass the column's name with --text-column" in err
    assert "text_column=" not in err


def test_train_missing_label_column_names_flag(files, capsys):
    assert _train(files, "--label-column", "stars") == 2
    err = capsys.readouterr().err
    assert "pass the column's name with --label-column" in err
    assert "label_column=" not in err


def test_train_diverging_names_learning_rate_flag(files, capsys):
    rates = ["--learning-rate", "1e30", "--weight-decay", "0"]
    assert _train(files, "--hidden-size", "8", "--classifier-epochs", "40", *rates) == 2
    err = capsys.readouterr().err
    assert "pass a lower --learning-rate (now 1e+30)" in err
    assert "learning_rate" not in err


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        (1000.0, "pass a lower --alpha (now 1000), for example --alpha 0.025"),
        (50.0, "pass a lower --alpha (now 50), for example --alpha 0.025"),
        (0.03, "pass a lower --alpha (now 0.03), for example --alpha 0.025"),
        (0.025, "pass a lower --alpha (now 0.025), for example --alpha 0.0025"),
        (0.01, "pass a lower --alpha (now 0.01), for example --alpha 0.001"),
        (0.0005, "pass a lower --alpha (now 0.0005), for example --alpha 0.0001"),
        (0.0001, "--alpha 0.0001 is already the lowest value it accepts"),
    ],
)
def test_sgns_divergence_names_alpha_flag(alpha, expected):
    from embedsent.cli import _describe_error
    from embedsent.sgns_model import TrainingDiverged

    error = TrainingDiverged("loss became nan in epoch 1, chunk 0", alpha)
    args = build_parser().parse_args(["compare", "--alpha", str(alpha)])
    message = _describe_error(error, args)
    assert message.startswith("SGNS training diverged: loss became nan in epoch 1")
    assert expected in message
    assert "lower alpha" not in message


def test_pretrain_min_count_too_high_names_flag(tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("good film\ngood plot\n", encoding="utf-8")
    argv = ["--no-progress", "pretrain", "--data", str(texts)]
    argv += ["--out", str(tmp_path / "v.txt"), "--min-count", "5"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--min-count 5: no word occurs that often" in err
    assert "the largest count is 2; pass --min-count 2 or lower" in err
    assert "min_count" not in err


def test_min_count_advice_stops_at_one(tmp_path, capsys):
    # Every word occurs once, so only --min-count 1 keeps a word.
    texts = tmp_path / "texts.txt"
    texts.write_text("good film\nbad plot\n", encoding="utf-8")
    argv = ["--no-progress", "pretrain", "--data", str(texts)]
    argv += ["--out", str(tmp_path / "v.txt"), "--min-count", "3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--min-count 3: no word occurs that often" in err
    assert "the largest count is 1; pass --min-count 1, which keeps every word" in err
    assert "or add more text" in err
    assert "or lower" not in err


@pytest.mark.parametrize("column", [[], ["--text-column", "body"]])
def test_pretrain_missing_text_column_names_flag(tmp_path, capsys, column):
    table = tmp_path / "texts.csv"
    table.write_text("id,review\n1,good film\n", encoding="utf-8")
    argv = ["pretrain", "--data", str(table), "--out", str(tmp_path / "v.txt")]
    assert main([*argv, *column]) == 2
    err = capsys.readouterr().err
    name = column[1] if column else "text"
    assert f"column {name!r} not found in the header of" in err
    assert "columns found: ['id', 'review']" in err
    assert "pass the column's name with --text-column" in err
    assert "text_column=" not in err


def test_max_labeled_too_small_names_flag(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    assert main([*argv, "--max-labeled", "1"]) == 2
    err = capsys.readouterr().err
    assert "--max-labeled 1: cross-validation needs at least 2 labeled texts" in err
    assert "pass --max-labeled 4 or more" in err
    assert "n=1" not in err


def test_max_labeled_unbalanced_names_flag(files, capsys):
    # diagnose loads the model first. A balanced 5 needs 3 neg, but there are 2.
    assert _train(files) == 0
    model = str(files["folder"] / "model.npz")
    capsys.readouterr()
    argv = ["diagnose", "--model", model, "--data", files["labeled"]]
    assert main([*argv, "--max-labeled", "5"]) == 2
    err = capsys.readouterr().err
    assert "--max-labeled 5: class 'neg' has only 2 labeled texts" in err
    assert "pass --max-labeled 4 or less" in err


def test_compare_size_too_small_names_flag(capsys):
    code = main(["--no-progress", "compare", "--data", "default", "--sizes", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--sizes 1: must be at least the number of classes (2" in err
    assert "n=1" not in err


def test_select_tuned_without_mean_names_flags(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    assert main([*argv, "--fine-tune", "tuned", "--features", "tfidf"]) == 2
    err = capsys.readouterr().err
    assert "--fine-tune tuned fine-tunes the mean feature only" in err
    assert "add mean to --features" in err
    assert "fine_tune=" not in err


def test_select_sif_without_counts_names_flags(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    assert main([*argv, "--features", "sif", "--fine-tune", "frozen"]) == 2
    err = capsys.readouterr().err
    assert "no candidates to score" in err
    assert "add mean or tfidf to --features" in err
    assert "build_candidates" not in err


def test_select_repeated_grid_values_accepted(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    argv += ["--hidden-sizes", "0", "0", "--weight-decays", "0.1", "--folds", "2"]
    argv += ["--repeats", "1", "--features", "mean", "mean", "--fine-tune", "frozen"]
    json_path = files["folder"] / "scores.json"
    assert main([*argv, "--json", str(json_path)]) == 0
    scores = json.loads(json_path.read_text())["scores"]
    assert len(scores) == 1


def test_demo_missing_corpus_names_data_dir(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--data-dir {tmp_path}: " in err
    assert "movie_reviews/unlabeled.txt not found" in err
    assert "as data_dir" not in err


HUGE = str(10**12)


@pytest.mark.parametrize(
    ("argv", "flag", "limit", "reason"),
    [
        ([*PRETRAIN, "--batch-size", HUGE], "--batch-size", 65536, "more memory"),
        ([*COMPARE, "--batch-size", HUGE], "--batch-size", 65536, "more memory"),
        ([*BENCH_SGNS, "--batch-size", HUGE], "--batch-size", 65536, "more memory"),
        (
            [*TRAIN, "--classifier-epochs", HUGE],
            "--classifier-epochs",
            10000,
            "every labeled text",
        ),
        (
            [*COMPARE, "--classifier-epochs", HUGE],
            "--classifier-epochs",
            10000,
            "every labeled text",
        ),
        ([*PRETRAIN, "--epochs", HUGE], "--epochs", 10000, "pass over every"),
        (
            ["select", "--data", "default", "--pretrain", "--sgns-epochs", HUGE],
            "--sgns-epochs",
            10000,
            "pass over every",
        ),
        (
            ["bench", "transfer", "--data", "default", "--epochs", HUGE],
            "--epochs",
            10000,
            "pass over every",
        ),
        ([*COMPARE, "--draws", HUGE], "--draws", 1000, "fits every method"),
        (
            ["bench", "transfer", "--data", "default", "--draws", HUGE],
            "--draws",
            1000,
            "fits every method",
        ),
        ([*BENCH_SGNS, "--repeats", HUGE], "--repeats", 100, "every trainer again"),
        (
            [*COMPARE, "--gensim-workers", HUGE],
            "--gensim-workers",
            1024,
            "one thread per worker",
        ),
        (
            [*SELECT, "--gensim-workers", HUGE],
            "--gensim-workers",
            1024,
            "one thread per worker",
        ),
        (
            ["bench", "transfer", "--data", "default", "--gensim-workers", HUGE],
            "--gensim-workers",
            1024,
            "one thread per worker",
        ),
        ([*SELECT, "--repeats", HUGE], "--repeats", 100, "runs every fold again"),
        ([*DIAGNOSE, "--repeats", HUGE], "--repeats", 100, "runs every fold again"),
        (
            [*PRETRAIN, "--num-processes", HUGE],
            "--num-processes",
            4096,
            "every process trains on at least one device",
        ),
        (
            [*SERVE, "--max-body-bytes", HUGE],
            "--max-body-bytes",
            2**30,
            "holds each request body in memory",
        ),
        (
            [*SERVE, "--shutdown-timeout", HUGE],
            "--shutdown-timeout",
            3600.0,
            "process managers kill a server after 30 s",
        ),
    ],
    ids=[
        "pretrain batch-size",
        "compare batch-size",
        "bench sgns batch-size",
        "train classifier-epochs",
        "compare classifier-epochs",
        "pretrain epochs",
        "select sgns-epochs",
        "bench transfer epochs",
        "compare draws",
        "bench transfer draws",
        "bench sgns repeats",
        "compare gensim-workers",
        "select gensim-workers",
        "bench transfer gensim-workers",
        "select repeats",
        "diagnose repeats",
        "pretrain num-processes",
        "serve max-body-bytes",
        "serve shutdown-timeout",
    ],
)
def test_flag_above_limit_rejected(argv, flag, limit, reason, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: must be" in err
    assert f"<= {limit}, got {HUGE}" in err
    assert reason in err


def test_upper_limits_themselves_accepted():
    parser = build_parser()
    assert parser.parse_args([*PRETRAIN, "--batch-size", "65536"]).batch_size == 65536
    train = parser.parse_args([*TRAIN, "--classifier-epochs", "10000"])
    assert train.classifier_epochs == 10000
    assert parser.parse_args([*PRETRAIN, "--epochs", "10000"]).epochs == 10000
    assert parser.parse_args([*COMPARE, "--draws", "1000"]).draws == 1000
    processes = parser.parse_args([*PRETRAIN, "--num-processes", "4096"])
    assert processes.num_processes == 4096
    body = parser.parse_args([*SERVE, "--max-body-bytes", str(2**30)])
    assert body.max_body_bytes == 2**30
    wait = parser.parse_args([*SERVE, "--shutdown-timeout", "3600"])
    assert wait.shutdown_timeout == 3600.0


def test_shutdown_timeout_default_matches_serve():
    from embedsent import serve

    parser = build_parser()
    default = parser.parse_args(SERVE).shutdown_timeout
    assert default == serve.SHUTDOWN_TIMEOUT_SECONDS


def test_serve_passes_shutdown_timeout(monkeypatch, tmp_path):
    from embedsent import commands, serve

    calls = []
    monkeypatch.setattr(serve, "serve", lambda *a, **k: calls.append(k))
    args = build_parser().parse_args([*SERVE, "--shutdown-timeout", "2.5"])
    assert commands.run_serve(args) == 0
    assert calls[0]["shutdown_timeout"] == 2.5


@pytest.mark.parametrize(
    ("argv", "limit"),
    [
        ([*PRETRAIN, "--help"], "at most 4096"),
        ([*SERVE, "--help"], "at most 1073741824 (1 GiB)"),
    ],
)
def test_help_states_upper_limit(argv, limit, capsys, monkeypatch):
    # A wide terminal keeps each help text on one line.
    monkeypatch.setenv("COLUMNS", "500")
    with pytest.raises(SystemExit):
        main(argv)
    assert limit in capsys.readouterr().out


def _fail_if_run(args):
    raise AssertionError("the command ran although its flags conflict")


def test_checkpoint_every_without_checkpoint_rejected(capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    assert main([*PRETRAIN, "--checkpoint-every", "60"]) == 2
    err = capsys.readouterr().err
    assert "error: --checkpoint-every 60 sets the time between checkpoints" in err
    assert "no --checkpoint file was given" in err
    assert "pass --checkpoint PATH, or drop --checkpoint-every" in err


def test_checkpoint_every_with_continue_from_rejected(capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    # The flags are checked before the inputs, so the file need not exist.
    argv = [*PRETRAIN, "--continue-from", "sgns.npz"]
    assert main([*argv, "--checkpoint-every", "0"]) == 2
    err = capsys.readouterr().err
    assert "--checkpoint-every 0 has no effect" in err
    assert "writes no checkpoint; drop --checkpoint-every" in err


def test_checkpoint_every_default_matches_checkpointing(tmp_path, monkeypatch):
    from embedsent.checkpoint import Checkpointing

    seen = {}

    def record(args):
        seen["every"] = args.checkpoint_every
        return 0

    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", record)
    argv = [*PRETRAIN[:-1], str(tmp_path / "v.txt")]
    assert main([*argv, "--checkpoint", str(tmp_path / "run.npz")]) == 0
    # Unset, so run_pretrain keeps the default of Checkpointing.
    assert seen["every"] is None
    default = Checkpointing(tmp_path / "run.npz").every_seconds
    assert embedsent.cli.DEFAULT_CHECKPOINT_SECONDS == default


def test_process_id_not_below_num_processes_names_flags(tmp_path, capsys):
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    argv += ["--coordinator-address", "127.0.0.1:1", "--num-processes", "2"]
    assert main([*argv, "--process-id", "2"]) == 2
    err = capsys.readouterr().err
    assert "--process-id 2: must be less than --num-processes 2" in err
    assert "give the processes the ids 0 to 1, one each" in err
    assert "process_id" not in err


def _pretrain_tiny(tmp_path, *extra):
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--dim", "8", "--min-count", "1"]
    return main([*argv, *extra])


def test_devices_above_device_count_names_flag(tmp_path, capsys):
    count = jax.device_count()
    assert _pretrain_tiny(tmp_path, "--devices", str(count + 1)) == 2
    err = capsys.readouterr().err
    assert f"--devices {count + 1}: JAX sees {count} " in err
    assert f"pass --devices {count} or fewer (0 uses every device)" in err
    assert "n_devices" not in err


def test_devices_in_multiprocess_run_names_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(jax, "process_count", lambda: 2)
    monkeypatch.setattr(jax, "device_count", lambda: 2)
    assert _pretrain_tiny(tmp_path, "--devices", "1") == 2
    err = capsys.readouterr().err
    assert "--devices 1: a multi-process run trains on every device" in err
    assert "pass --devices 0 or --devices 2" in err
    assert "n_devices" not in err


def test_tables_above_free_memory_name_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(embedsent.sgns_model, "_available_memory_bytes", lambda: 1024)
    assert _pretrain_tiny(tmp_path) == 2
    err = capsys.readouterr().err
    assert "of memory is available; raise --min-count (now 1), pass " in err
    assert "--max-vocab-size or lower --dim (now 8)" in err
    assert "min_count" not in err
    assert "max_vocab_size" not in err


def test_tables_above_memory_limit_name_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(
        embedsent.sgns_model, "estimate_table_bytes", lambda words, dim: 9 * 2**30
    )
    assert _pretrain_tiny(tmp_path) == 2
    err = capsys.readouterr().err
    assert "above the 8 GiB limit of SGNSConfig.max_memory_gb, which no flag" in err
    assert "raise --min-count (now 1)" in err
    assert "raise max_memory_gb" not in err


def test_select_tables_above_free_memory_name_its_flags(files, capsys, monkeypatch):
    monkeypatch.setattr(embedsent.sgns_model, "_available_memory_bytes", lambda: 1024)
    argv = ["--no-progress", "select", "--data", "default", "--pretrain"]
    assert main([*argv, "--dim", "8", "--min-count", "1"]) == 2
    err = capsys.readouterr().err
    assert "raise --min-count (now 1) or lower --dim (now 8)" in err
    assert "--max-vocab-size" not in err


def test_learning_rate_times_weight_decay_names_flags(files, capsys):
    assert _train(files, "--learning-rate", "0.5") == 2
    err = capsys.readouterr().err
    assert "--learning-rate 0.5 times --weight-decay 10.0 is 5" in err
    assert "pass --weight-decay below 2 or a lower --learning-rate" in err
    assert "weight_decay" not in err
    assert "learning_rate" not in err


def test_select_weight_decays_too_large_names_flag(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    assert main([*argv, "--weight-decays", "1", "200"]) == 2
    err = capsys.readouterr().err
    assert "--weight-decays 200: the heads train with learning rate 0.01" in err
    assert "every weight decay must be below 100" in err
    assert "weight_decay" not in err


def test_train_sif_without_counts_names_flags(files, capsys):
    assert _train(files, "--feature", "sif") == 2
    err = capsys.readouterr().err
    assert "--feature sif weights words by their corpus counts" in err
    assert f"which --vectors {files['vectors']} does not contain" in err
    assert "pass --feature mean or --feature tfidf" in err
    assert "word_counts=" not in err


def test_train_sif_with_zero_counts_names_flags(files, capsys):
    import numpy as np

    from embedsent.vectors import WordVectors

    path = files["folder"] / "zero-counts.kv"
    words = ["good", "great", "bad", "awful"]
    vectors = np.eye(4, 2, dtype=np.float32)
    WordVectors(words, vectors, np.zeros(4, np.int64)).to_gensim().save(str(path))
    argv = ["--vectors", str(path), "--vectors-format", "gensim"]
    assert _train(files, "--feature", "sif", *argv) == 2
    err = capsys.readouterr().err
    assert f"every count in --vectors {path} is 0" in err
    assert "word_counts=" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["demo", "--no-progress"], "--no-progress is an option of embedsent itself"),
        (["demo", "-vv"], "as in: embedsent -vv COMMAND"),
        (
            ["demo", "--seed", "3", "--no-compile-cache"],
            "--seed, --no-compile-cache are options of embedsent itself",
        ),
        (["demo", "--no-progress", "-v"], "as in: embedsent --no-progress -v COMMAND"),
        (
            ["demo", "--seed", "3", "--no-compile-cache"],
            "as in: embedsent --seed 3 --no-compile-cache COMMAND",
        ),
    ],
)
def test_global_option_after_command_is_named(argv, expected, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("written", [False, True])
def test_interrupt_hint_depends_on_checkpoint(tmp_path, monkeypatch, capsys, written):
    from embedsent import cli

    checkpoint = tmp_path / "run.ckpt"
    if written:
        from embedsent.config import SGNSConfig
        from embedsent.trainer import train_sgns

        texts = [["good", "film"], ["bad", "film"]] * 4
        config = SGNSConfig(dim=4, epochs=1)
        train_sgns(texts, config, VocabConfig(min_count=1), checkpoint=checkpoint)

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "pretrain", interrupted)
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    assert main([*argv, "--checkpoint", str(checkpoint)]) == 130
    error = capsys.readouterr().err
    assert "embedsent pretrain: interrupted" in error
    if written:
        assert f"rerun with --checkpoint {checkpoint} to resume" in error
    else:
        assert f"before the first checkpoint was written to {checkpoint}" in error
        assert "a rerun starts over" in error


def _terminate_self(args):
    # SIGTERM's default action would end the test process, so the signal is
    # sent only when a handler catches it.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
        return 99
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
    return 0


def test_sigterm_with_checkpoint_names_checkpoint(tmp_path, monkeypatch, capsys):
    checkpoint = tmp_path / "run.npz"
    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _terminate_self)
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    # 143 is 128 + 15, the status that shells report for SIGTERM.
    assert main([*argv, "--checkpoint", str(checkpoint)]) == 143
    error = capsys.readouterr().err
    assert "embedsent pretrain: terminated by SIGTERM" in error
    assert f"before the first checkpoint was written to {checkpoint}" in error
    assert signal.getsignal(signal.SIGTERM) == before


def test_sigterm_without_checkpoint_keeps_default_action(tmp_path, monkeypatch):
    seen = {}

    def record_handler(args):
        seen["handler"] = signal.getsignal(signal.SIGTERM)
        return 0

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", record_handler)
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    assert main(argv) == 0
    assert seen["handler"] == before


def test_max_labeled_below_crossval_minimum(files, capsys):
    argv = ["select", "--data", files["labeled"], "--vectors", files["vectors"]]
    assert main([*argv, "--max-labeled", "3"]) == 2
    err = capsys.readouterr().err
    assert (
        "--max-labeled 3: cross-validation needs at least 2 labeled texts per "
        f"class, so 4 for the 2 classes of --data {files['labeled']}"
    ) in err
    assert "pass --max-labeled 4 or more, or leave it out to use all 6 texts" in err


def test_lone_surrogate_names_encoding_errors(files, capsys):
    data = files["folder"] / "surrogate.jsonl"
    rows = ['{"text": "good film", "label": "pos"}']
    rows.append('{"text": "great \\ud800 film", "label": "neg"}')
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = str(files["folder"] / "surrogate.npz")
    argv = ["train", "--vectors", files["vectors"], "--data", str(data)]
    assert main([*argv, "--out", out]) == 2
    err = capsys.readouterr().err
    assert f"{data}, line 2, column 17: \\ud800 is a lone UTF-16 surrogate" in err
    assert "pass --encoding-errors replace" in err
    assert "errors='replace'" not in err


def test_numeric_classes_explain_text_labels(files, capsys):
    data = files["folder"] / "numeric.jsonl"
    rows = [("good film", 1), ("great film", 1), ("awful film", 0), ("bad plot", 0)]
    lines = [json.dumps({"text": text, "label": label}) for text, label in rows]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = str(files["folder"] / "numeric.npz")
    argv = ["train", "--vectors", files["vectors"], "--data", str(data)]
    argv += ["--out", model, "--hidden-size", "0", "--classifier-epochs", "5"]
    assert main(argv) == 0
    table = files["folder"] / "numeric.csv"
    table.write_text(
        "text,label\n" + "".join(f"{t},{label}\n" for t, label in rows),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["diagnose", "--model", model, "--data", str(table)]) == 2
    err = capsys.readouterr().err
    assert f"--data {table} contains '1', which is not one of the classes [0, 1]" in err
    assert "the text '1', but the model's class is the number 1" in err
    assert "give the labels as JSON numbers in a .jsonl file" in err


# Runs the console entry with "$@" as arguments, standard output or error
# closed by the shell as `>&-` and `2>&-` close them.
_ENTRY = (
    "import sys; from embedsent.console import entry; "
    "sys.argv[0] = 'embedsent'; entry()"
)


def _run_with_closed(stream: str, *arguments: str) -> subprocess.CompletedProcess:
    closing = {"stdout": ">&-", "stderr": "2>&-"}[stream]
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {closing}', "sh", sys.executable, "-c", _ENTRY]
        + list(arguments),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("arguments", [["--help"], ["predict", "--model", "m.npz"]])
def test_closed_standard_output_fails_before_work(arguments):
    result = _run_with_closed("stdout", *arguments)
    assert result.returncode == 2
    assert result.stderr == (
        "embedsent: error: standard output is closed (as `>&-` leaves it), so "
        "the command's output would be lost; redirect it to a file, or to "
        "/dev/null to discard it\n"
    )


def test_closed_stderr_keeps_output_clean(tmp_path):
    result = _run_with_closed("stderr", "predict", "--model", str(tmp_path / "m.npz"))
    assert result.returncode == 2
    assert result.stdout == ""


def _bench_transfer_args(out_dir, *extra):
    argv = ["bench", "transfer", "--out-dir", str(out_dir), *extra]
    return build_parser().parse_args(argv)


def test_bench_transfer_stop_names_stored_runs(tmp_path):
    args = _bench_transfer_args(tmp_path)
    assert embedsent.cli._resumes(args)
    assert embedsent.cli._resume_hint(args) == (
        " before the first run was stored, so a rerun starts over"
    )
    (tmp_path / "transfer_curves.json").write_text("{}", encoding="utf-8")
    assert embedsent.cli._resume_hint(args) == (
        f"; the finished runs are kept in {tmp_path / 'transfer_curves.json'}, "
        "and the same command resumes from them"
    )


def test_bench_transfer_report_only_has_no_resume_hint(tmp_path):
    args = _bench_transfer_args(tmp_path, "--report-only")
    assert not embedsent.cli._resumes(args)
    assert embedsent.cli._resume_hint(args) == ""


@pytest.mark.parametrize(
    ("argv", "warned"),
    [
        (["--seed", "3", "bench", "transfer", "--seed", "5"], "(3, 5)"),
        (["--seed=3", "bench", "transfer", "--seed=5"], "(3, 5)"),
        (["--seed", "3", "bench", "transfer", "--seed", "3"], None),
        (["--seed", "3", "demo"], None),
    ],
)
def test_repeated_seed_values_warn(argv, warned, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.cli"):
        embedsent.cli._warn_repeated_seed(argv)
    if warned is None:
        assert caplog.text == ""
    else:
        assert f"--seed was given 2 times {warned}, so only the last value, " in (
            caplog.text
        )


@pytest.mark.parametrize("target", ["sgns", "transfer"])
def test_missing_default_bench_data_named(target, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", target]) == 2
    assert (
        "--data ../shared/data/aclImdb-partial.tar.gz: file or folder not found "
        f"(the default --data, which is relative to the current folder {tmp_path}); "
        "run the command from the repository root, or pass --data"
    ) in capsys.readouterr().err


def test_checkpoint_in_use_rejected_early(tmp_path, capsys, monkeypatch):
    from embedsent.checkpoint import Checkpointing, hold_checkpoint

    def fail_load(*args, **kwargs):
        raise AssertionError("texts read although the checkpoint is in use")

    monkeypatch.setattr(embedsent.datasets, "load_default_corpus", fail_load)
    checkpoint = tmp_path / "run.ckpt"
    argv = ["pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--checkpoint", str(checkpoint)]
    with hold_checkpoint(Checkpointing(checkpoint)):
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        f"--checkpoint: checkpoint {checkpoint} is in use by another running "
        f"process (it holds the lock on {tmp_path / '.run.ckpt.lock'})"
    ) in err
    assert not (tmp_path / "v.txt").exists()
