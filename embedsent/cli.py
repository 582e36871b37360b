"""Command-line interface: the `embedsent` command and its subcommands.

This is the only module that configures logging handlers. Building the
parser imports none of JAX, optax, SciPy, scikit-learn, gensim, matplotlib
and nltk, so `--help` and argument errors return quickly. Each command
imports the libraries it needs when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
import pickle
import re
import sys
from collections.abc import Sequence

from embedsent.bench import TrialError
from embedsent.cli_checks import check_flag_combinations, warn_ignored_flags
from embedsent.cli_paths import (
    DEFAULT_BENCH_DATA,
    check_compile_cache_path,
    check_input_paths,
    check_output_paths,
    describe_data_stream,
)
from embedsent.cli_types import (
    DEFAULT_LABEL_COLUMN,
    DEFAULT_TEXT_COLUMN,
    DRAWS_REASON,
    MAX_DRAWS,
    TABLE_FILES,
    OutputPathAction,
    add_encoding_options,
    bounded,
    config_value,
    gensim_workers,
    host_name,
    labeled_size,
    sgns_epochs,
    vectors_codec_name,
)
from embedsent.commands import (
    run_bench,
    run_compare,
    run_demo,
    run_diagnose,
    run_predict,
    run_pretrain,
    run_select,
    run_serve,
    run_train,
)
from embedsent.compile_cache import ENV_VAR
from embedsent.config import (
    MAX_SGNS_BATCH_SIZE,
    MAX_SGNS_N_DEVICES,
    STANDARDIZE_MODES,
    ClassifierConfig,
    SGNSConfig,
    VocabConfig,
)
from embedsent.console import (
    INTERRUPTED_STATUS,
    TERMINATED_STATUS,
    discard_output,
    flush_output,
    release_deferred_sigterm,
    sigterm_interrupts,
    stopped_by_sigterm,
)
from embedsent.curve_args import add_parser as curves_add_parser
from embedsent.distributed_config import MAX_INITIALIZATION_TIMEOUT, coordinator_address
from embedsent.model_options import add_diagnose_parser, add_select_parser

__all__ = ["main", "build_parser"]

logger = logging.getLogger("embedsent.cli")

# Upper limits of flags, whose larger values are most likely typos such as
# 10**12. SGNSConfig applies the same batch-size limit.
SGNS_BATCH_SIZE_REASON = (
    "a larger batch needs more memory per step and makes fewer updates per "
    f"epoch (default {SGNSConfig().batch_size})"
)
MAX_CLASSIFIER_EPOCHS = 10_000
CLASSIFIER_EPOCHS_REASON = (
    "each epoch is one pass over every labeled text, so more epochs can run "
    f"for hours on a large data set (default {ClassifierConfig().epochs})"
)

# Every process of a multi-process run trains on at least one device, and
# SGNSConfig.n_devices accepts at most MAX_SGNS_N_DEVICES.
MAX_NUM_PROCESSES = MAX_SGNS_N_DEVICES
# The server reads each request body whole into memory and then parses it as
# JSON, once per request that runs at the same time.
MAX_BODY_BYTES = 2**30

# The default of Checkpointing.every_seconds, for the help of
# --checkpoint-every, because embedsent.checkpoint imports JAX.
DEFAULT_CHECKPOINT_SECONDS = 300.0
# serve.SHUTDOWN_TIMEOUT_SECONDS, for --shutdown-timeout, because
# embedsent.serve imports JAX. A test checks that the two agree.
DEFAULT_SHUTDOWN_SECONDS = 20.0
# A longer wait is taken for a typo, because process managers kill a server
# after 30 s (Kubernetes) or 90 s (systemd) by default.
MAX_SHUTDOWN_SECONDS = 3600.0

# The status of a process that SIGPIPE (signal 13) ended, as shells report it
# for `cat big.txt | head -1`, so scripts run with `set -o pipefail` treat a
# closed pipe the same way for embedsent as for other Unix tools.
BROKEN_PIPE_STATUS = 128 + 13


def _add_sgns_options(
    parser: argparse.ArgumentParser, defaults, *, none_when_unset: bool = False
) -> None:
    """Add the SGNS and vocabulary flags to ``parser``.

    With ``none_when_unset``, --dim, --min-count and --sample default to None,
    so the command can tell a value the user passed from the default, and
    must fill in the default itself. The help states the default either way.
    """
    vocab_defaults = VocabConfig()
    group = parser.add_argument_group("word-vector pretraining (SGNS)")
    group.add_argument(
        "--dim",
        type=config_value(SGNSConfig, "dim"),
        default=None if none_when_unset else defaults.dim,
        help=f"word vector dimension (default: {defaults.dim})",
    )
    group.add_argument(
        "--window",
        type=config_value(SGNSConfig, "window"),
        default=defaults.window,
        help="maximum context distance in tokens (default: %(default)s)",
    )
    group.add_argument(
        "--negative",
        type=config_value(SGNSConfig, "negative"),
        default=defaults.negative,
        help="noise words per context pair (default: %(default)s)",
    )
    group.add_argument(
        "--epochs",
        type=sgns_epochs,
        default=defaults.epochs,
        help="passes over the unlabeled corpus (default: %(default)s)",
    )
    group.add_argument(
        "--alpha",
        type=config_value(
            SGNSConfig,
            "alpha",
            float,
            hint=f"; the learning rate decays from --alpha to {defaults.min_alpha}",
            minimum=defaults.min_alpha,
        ),
        default=defaults.alpha,
        help="initial learning rate, decayed linearly (default: %(default)s)",
    )
    group.add_argument(
        "--batch-size",
        type=config_value(
            SGNSConfig,
            "batch_size",
            maximum=MAX_SGNS_BATCH_SIZE,
            maximum_reason=SGNS_BATCH_SIZE_REASON,
        ),
        default=defaults.batch_size,
        help="center words per step (default: %(default)s)",
    )
    group.add_argument(
        "--repeat-damping",
        type=config_value(SGNSConfig, "repeat_damping", float),
        default=defaults.repeat_damping,
        help="divide the updates of a word that a step updates c times by "
        "c**this, 0 to 1; 0 adds them at full size (default: %(default)s)",
    )
    group.add_argument(
        "--add-context-vectors",
        action=argparse.BooleanOptionalAction,
        default=defaults.add_context_vectors,
        help="give each word the sum of its input and output (context) "
        "vectors; --no-add-context-vectors keeps the input vector alone, as "
        "word2vec and gensim do; compare's gensim baseline keeps gensim's "
        "input vectors either way (default: on)",
    )
    group.add_argument(
        "--min-count",
        type=config_value(VocabConfig, "min_count", hint="; 1 keeps every word"),
        default=None if none_when_unset else vocab_defaults.min_count,
        help=f"drop words seen fewer times (default: {vocab_defaults.min_count})",
    )
    group.add_argument(
        "--max-vocab-size",
        type=config_value(
            VocabConfig, "max_vocab_size", hint="; leave it out to keep every word"
        ),
        default=None,
        help="keep at most this many words (default: all)",
    )
    group.add_argument(
        "--sample",
        type=config_value(VocabConfig, "sample", float, hint="; 0 disables it"),
        default=None if none_when_unset else vocab_defaults.sample,
        help="frequent-word subsampling threshold, 0 disables "
        f"(default: {vocab_defaults.sample})",
    )
    group.add_argument(
        "--devices",
        type=config_value(
            SGNSConfig, "n_devices", hint="; 0 uses every device JAX sees"
        ),
        default=1,
        help="devices to train on, data-parallel; 0 uses every device JAX sees "
        "(default: %(default)s)",
    )


def _rate_limit_clause(weight_decay: float) -> str:
    """Return the help clause that gives the default decay's highest learning rate."""
    if weight_decay <= 0:
        return ""
    limit = 1 / weight_decay
    return f", so with the default decay of {weight_decay:g} it must be below {limit:g}"


def _add_classifier_options(parser: argparse.ArgumentParser, defaults) -> None:
    group = parser.add_argument_group("classifier")
    group.add_argument(
        "--hidden-size",
        type=config_value(
            ClassifierConfig, "hidden_size", hint="; 0 gives logistic regression"
        ),
        default=defaults.hidden_size,
        help="hidden units, 0 for logistic regression (default: %(default)s)",
    )
    group.add_argument(
        "--classifier-epochs",
        type=config_value(
            ClassifierConfig,
            "epochs",
            maximum=MAX_CLASSIFIER_EPOCHS,
            maximum_reason=CLASSIFIER_EPOCHS_REASON,
        ),
        default=defaults.epochs,
        help="passes over the labeled texts (default: %(default)s)",
    )
    group.add_argument(
        "--learning-rate",
        type=config_value(ClassifierConfig, "learning_rate", float),
        default=defaults.learning_rate,
        help=f"Adam learning rate; its product with --weight-decay must be "
        f"below 1{_rate_limit_clause(defaults.weight_decay)} (default: %(default)s)",
    )
    group.add_argument(
        "--weight-decay",
        type=config_value(ClassifierConfig, "weight_decay", float),
        default=defaults.weight_decay,
        help="AdamW weight decay; each step shrinks the weights by the learning "
        "rate times this, so the product must be below 1 (default: "
        "%(default)s)",
    )
    group.add_argument(
        "--standardize",
        choices=STANDARDIZE_MODES,
        default=defaults.standardize,
        help="feature scaling before the classifier: centre each feature and "
        "divide all by one common standard deviation (global), each by its own "
        "(feature), or leave them as given (none) (default: %(default)s)",
    )
    group.add_argument(
        "--feature",
        choices=("mean", "tfidf", "sif"),
        default="mean",
        help="sentence vector: plain mean, IDF-weighted mean, or SIF "
        "(default: %(default)s)",
    )


def _add_process_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "multi-process training (one process per host; see docs/devices.md)"
    )
    group.add_argument(
        "--coordinator-address",
        type=coordinator_address,
        default=None,
        metavar="HOST:PORT",
        help="address where process 0 runs the JAX coordinator; every process "
        "passes the same one (default: a single process)",
    )
    group.add_argument(
        "--num-processes",
        type=bounded(
            int,
            1,
            MAX_NUM_PROCESSES,
            hint="; every process trains on at least one device, and --devices "
            f"accepts at most {MAX_SGNS_N_DEVICES}",
        ),
        default=1,
        help="processes in the run, all given the same arguments except "
        f"--process-id, at most {MAX_NUM_PROCESSES} (default: %(default)s)",
    )
    group.add_argument(
        "--process-id",
        type=bounded(int, 0),
        default=0,
        help="this process's id, 0 to --num-processes minus 1; process 0 writes "
        "the outputs and checkpoints (default: %(default)s)",
    )
    group.add_argument(
        "--coordinator-timeout",
        type=bounded(
            int,
            1,
            MAX_INITIALIZATION_TIMEOUT,
            hint="; wait from 1 s up to one week",
        ),
        default=300,
        help="seconds to wait for every process to connect, at most "
        f"{MAX_INITIALIZATION_TIMEOUT} (one week) (default: %(default)s)",
    )


# Options of the embedsent command itself, which go before the subcommand.
GLOBAL_OPTIONS = frozenset(
    {"-v", "--verbose", "--seed", "--no-progress"}
    | {"--compile-cache", "--no-compile-cache"}
)
_GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--seed", "--compile-cache"})


class _Parser(argparse.ArgumentParser):
    """The top-level parser, which names global options given too late."""

    _argv: list[str] = []

    def __init__(self, *args, **kwargs):
        # Subcommand parsers are of this class too. Without abbreviations,
        # `predict --text T` is an unknown option instead of --text-column T,
        # and a new option never changes what an old abbreviation means.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        # Stored on the class, so that a subcommand's parser, which reports a
        # missing required option, can read the command line too.
        _Parser._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_args(args, namespace)

    def error(self, message: str):
        prefix = "unrecognized arguments: "
        if message.startswith(
            ("the following arguments are required: ", "argument COMMAND: invalid")
        ):
            # A misspelled option leaves a required option missing, or, given
            # before the command, its value read as the command (`--se 3 demo`).
            known = set(_long_options(self)) | set(GLOBAL_OPTIONS)
            unknown = [
                word
                for word in self._argv
                if word.startswith("--") and word.split("=", 1)[0] not in known
            ]
            message += _suggestions(self, unknown)
        if message.startswith(prefix):
            words = message[len(prefix) :].split()
            late = []
            for position, word in enumerate(words):
                if word.split("=", 1)[0] in GLOBAL_OPTIONS or re.fullmatch(
                    r"-v+", word
                ):
                    late.append((position, word))
            if late:
                names = [word for _, word in late]
                example = " ".join(_with_values(names, self._argv))
                if len(names) == 1:
                    message += (
                        f"; {names[0]} is an option of embedsent itself, so put "
                        f"it before the command, as in: embedsent {example} "
                        "COMMAND ..."
                    )
                else:
                    message += (
                        f"; {', '.join(names)} are options of embedsent itself, so "
                        f"put them before the command, as in: embedsent {example} "
                        "COMMAND ..."
                    )
            else:
                command = _command_parser(self, self._argv)
                message += _suggestions(command, words, _long_options(self))
        super().error(message)


def _warn_repeated_seed(argv: list[str]) -> None:
    """Log a warning when ``argv`` gives --seed several different values.

    `bench transfer` takes --seed after the command too, and argparse keeps
    the last value, so ``embedsent --seed 3 bench transfer --seed 5`` uses 5.
    """
    values = []
    for position, word in enumerate(argv):
        if word == "--":
            break
        if word == "--seed" and position + 1 < len(argv):
            values.append(argv[position + 1])
        elif word.startswith("--seed="):
            values.append(word.split("=", 1)[1])
    if len(set(values)) > 1:
        logger.warning(
            "--seed was given %d times (%s), so only the last value, %s, is used; "
            "pass --seed once",
            len(values),
            ", ".join(values),
            values[-1],
        )


def _with_values(options: list[str], argv: list[str]) -> list[str]:
    """Return ``options`` with the value that follows each that takes one.

    The value may have been read as a positional argument, so it is looked up
    in the command line ``argv`` itself.
    """
    words = []
    for option in options:
        words.append(option)
        if option in _GLOBAL_OPTIONS_WITH_VALUE and option in argv:
            after = argv.index(option) + 1
            if after < len(argv):
                words.append(argv[after])
    return words


def _command_parser(parser: argparse.ArgumentParser, argv: list[str]):
    """Return the parser of the deepest subcommand named in ``argv``."""
    for word in argv:
        commands = [
            action
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
        ]
        if commands and word in commands[0].choices:
            parser = commands[0].choices[word]
    return parser


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


def _suggestions(
    command: argparse.ArgumentParser, words: list[str], extra: list[str] = ()
) -> str:
    """Return "; did you mean ...?" naming options close to each unknown word.

    An option of ``command`` is close when it starts with the unknown word,
    ends with it after a hyphen (``--epochs`` for ``--classifier-epochs``), or
    is similar by ``difflib``. ``extra`` adds options from elsewhere, such as
    embedsent's own options for a word given after the command.
    """
    known = list(dict.fromkeys([*_long_options(command), *extra]))
    hints = []
    for word in words:
        name = word.split("=", 1)[0]
        if not name.startswith("--") or len(name) < 4:
            continue
        close = [
            option
            for option in known
            if option.startswith(name) or option.endswith("-" + name[2:])
        ]
        close += difflib.get_close_matches(name, known, n=3, cutoff=0.75)
        # The two most similar, so that "--vector" names --vectors alone
        # rather than every option that starts with it.
        close = sorted(
            dict.fromkeys(close),
            key=lambda option: -difflib.SequenceMatcher(None, name, option).ratio(),
        )[:2]
        if close:
            hints.append(f"{' or '.join(close)} instead of {name}")
    return f"; did you mean {', and '.join(hints)}?" if hints else ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="embedsent",
        description="Sentiment classification with few labels: pretrain word "
        "vectors on unlabeled text (SGNS in JAX), average them, train a small "
        "classifier.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more log output (-v info, -vv debug)",
    )
    parser.add_argument(
        "--seed",
        type=config_value(SGNSConfig, "seed"),
        default=0,
        help="seed of every random choice (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--compile-cache",
        metavar="DIR",
        default=None,
        help="folder where compiled JAX programs are kept for later runs, "
        "which then start faster and with less memory; overrides "
        f"{ENV_VAR} (default: ${ENV_VAR} when set and not empty, else "
        "$XDG_CACHE_HOME/embedsent/xla, or ~/.cache/embedsent/xla without "
        f"XDG_CACHE_HOME; {ENV_VAR}=off turns the cache off)",
    )
    cache.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="compile every JAX program anew, and write no cache",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the whole pipeline on the shipped toy corpus",
        description="Pretrain on the 62 unlabeled reviews in data/, train on 8 "
        "labeled ones, and print test accuracy of transfer against scratch and "
        "TF-IDF + logistic regression.",
    )
    demo.add_argument(
        "--data-dir",
        default=None,
        help="folder holding movie_reviews/ (default: the repository's data/)",
    )

    pretrain = commands.add_parser(
        "pretrain",
        help="train word vectors on unlabeled texts",
        description="Tokenise unlabeled texts and train SGNS word vectors; write "
        "them in word2vec format.",
    )
    pretrain.add_argument(
        "--data",
        required=True,
        help="aclImdb folder or .tar.gz, a .txt file with one text "
        f"per line, a {TABLE_FILES} file with a text column, or 'default'",
    )
    pretrain.add_argument(
        "--out", required=True, action=OutputPathAction, help="output vectors file"
    )
    pretrain.add_argument(
        "--max-texts",
        type=bounded(int, 1),
        default=None,
        help="pretrain on at most this many of the texts, drawn at random with "
        "--seed, for a quick first run (default: all)",
    )
    pretrain.add_argument(
        "--binary", action="store_true", help="write word2vec binary instead of text"
    )
    pretrain.add_argument(
        "--checkpoint",
        default=None,
        action=OutputPathAction,
        help="checkpoint file, written every --checkpoint-every seconds and at "
        "each epoch end; a rerun with the same settings resumes from it. "
        "Ctrl-C or SIGTERM stops the run with a message that says whether it "
        "can resume (default: no checkpoints)",
    )
    # None when not passed, so that the command can reject it without
    # --checkpoint; run_pretrain then keeps Checkpointing's default.
    pretrain.add_argument(
        "--checkpoint-every",
        type=bounded(float, 0.0),
        default=None,
        help="seconds between checkpoints within an epoch, 0 after every "
        "compiled call; needs --checkpoint (default: "
        f"{DEFAULT_CHECKPOINT_SECONDS:g})",
    )
    pretrain.add_argument(
        "--save-model",
        default=None,
        action=OutputPathAction,
        help="also write the full SGNS model (both tables, vocabulary counts) "
        "to this .npz file, so training can continue later (default: not saved)",
    )
    pretrain.add_argument(
        "--continue-from",
        default=None,
        help="an SGNS model from --save-model to train further on --data; new "
        "words are added to its vocabulary, and its dim, min count and sample "
        "are kept, so --dim, --min-count, --sample, --max-vocab-size and "
        "--checkpoint do not apply (default: train from scratch)",
    )
    pretrain.add_argument(
        "--text-column",
        default=DEFAULT_TEXT_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the texts in "
        "a table --data file (default: %(default)s)",
    )
    add_encoding_options(pretrain, f"a .txt or {TABLE_FILES} --data file")
    # --continue-from warns only of the --dim, --min-count and --sample values
    # that the user passed, so these flags default to None here.
    _add_sgns_options(pretrain, SGNSConfig(), none_when_unset=True)
    _add_process_options(pretrain)

    train = commands.add_parser(
        "train",
        help="train the classifier on labeled texts",
        description="Fit sentence features and the classifier on labeled texts "
        "over pretrained vectors; save the whole model to one file.",
    )
    train.add_argument(
        "--vectors",
        required=True,
        help="pretrained vectors: word2vec text or binary, headerless GloVe "
        "text, a gensim KeyedVectors file, or an SGNS model from `pretrain "
        "--save-model`, which also carries the word counts that --feature sif "
        "needs",
    )
    train.add_argument(
        "--vectors-format",
        choices=("auto", "word2vec", "word2vec-binary", "glove", "gensim"),
        default="auto",
        help="format of --vectors; 'gensim' unpickles, so load only trusted "
        "files (default: %(default)s, from the suffix and contents)",
    )
    train.add_argument(
        "--vectors-encoding",
        type=vectors_codec_name,
        default="utf-8",
        help="text encoding of --vectors (default: %(default)s)",
    )
    train.add_argument(
        "--vectors-errors",
        choices=("strict", "replace", "ignore"),
        default="strict",
        help="what to do with bytes that do not decode: stop with an error, "
        "replace them, or drop them (default: %(default)s)",
    )
    train.add_argument(
        "--data",
        required=True,
        help=f"a {TABLE_FILES} file with text and label columns, an "
        "aclImdb folder or .tar.gz (its train split), or 'default'",
    )
    train.add_argument(
        "--text-column",
        default=DEFAULT_TEXT_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the texts in "
        "a table --data file (default: %(default)s)",
    )
    train.add_argument(
        "--label-column",
        default=DEFAULT_LABEL_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the labels in "
        "a table --data file; it needs at least two distinct labels "
        "(default: %(default)s)",
    )
    add_encoding_options(train, f"a {TABLE_FILES} --data file")
    train.add_argument(
        "--out",
        required=True,
        action=OutputPathAction,
        help="output model file (.npz)",
    )
    _add_classifier_options(train, ClassifierConfig())

    predict = commands.add_parser(
        "predict",
        help="label texts with a saved model",
        description="Read texts from files or stdin, one per line, or from the "
        "--text-column column of a .csv/.tsv or JSON Lines (.jsonl, .ndjson, "
        ".json) file, and write one JSON object per text with the text, the "
        "label, the class probabilities and "
        "known_tokens, the number of the text's tokens that have a word vector. "
        "A text with known_tokens 0 gets the class prior: the training label "
        "frequencies and the most frequent training label, the first in class "
        "order on a tie (equal "
        "probabilities and the first class for a model file from an older "
        "embedsent, which stores no label frequencies).",
    )
    predict.add_argument("--model", required=True, help="model file from `train`")
    predict.add_argument(
        "inputs",
        nargs="*",
        default=["-"],
        help="text files, one text per line, or .csv/.tsv/.jsonl/.ndjson/.json "
        "tables whose "
        "--text-column column is read; '-' is stdin (default), one text per line. "
        "All inputs are read before the first result is written",
    )
    predict.add_argument(
        "--text-column",
        default=DEFAULT_TEXT_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the texts in "
        "a table input file (default: %(default)s)",
    )
    add_encoding_options(predict, "the input files and stdin")

    compare = commands.add_parser(
        "compare",
        help="transfer vs scratch over labeled sizes",
        description="Pretrain on unlabeled + training texts, then score transfer "
        "(JAX vectors), transfer with gensim vectors, scratch (untrained vectors) "
        "and TF-IDF + logistic regression on balanced draws of n labeled texts.",
    )
    compare.add_argument(
        "--data",
        default="default",
        help="aclImdb folder or .tar.gz, or 'default' (default: %(default)s)",
    )
    compare.add_argument(
        "--sizes",
        nargs="+",
        type=labeled_size,
        default=["8", "16", "32", "64", "128", "512", "all"],
        help="labeled sizes; 'all' or 0 uses every training text, and a size "
        "above the number of training texts uses them all "
        "(default: 8 16 32 64 128 512 all)",
    )
    compare.add_argument(
        "--draws",
        type=bounded(int, 1, MAX_DRAWS, hint=f"; {DRAWS_REASON}"),
        default=5,
        help="balanced random draws per size (default: %(default)s)",
    )
    compare.add_argument(
        "--max-per-class",
        type=bounded(int, 1),
        default=None,
        help="use at most this many labeled texts per class and split, drawn "
        "at random with --seed (default: all)",
    )
    compare.add_argument(
        "--max-unlabeled",
        type=bounded(int, 0),
        default=None,
        help="use at most this many unlabeled texts, drawn at random with "
        "--seed; 0 pretrains on the training texts alone (default: all)",
    )
    compare.add_argument(
        "--gensim-workers",
        type=gensim_workers,
        default=2,
        help="gensim threads; only 1 is bit-reproducible (default: %(default)s)",
    )
    compare.add_argument(
        "--json",
        default=None,
        action=OutputPathAction,
        help="also write every run and the summary to this JSON file, whose "
        "name must end with .json (default: no JSON file)",
    )
    _add_sgns_options(compare, SGNSConfig())
    _add_classifier_options(compare, ClassifierConfig())

    add_diagnose_parser(commands)
    add_select_parser(commands)

    bench = commands.add_parser(
        "bench",
        help="benchmarks: SGNS speed, transfer learning curves",
        description="Benchmarks. 'bench sgns' times the SGNS trainer against "
        "gensim Word2Vec on the same tokens; 'bench transfer' measures learning "
        "curves of transfer learning against its baselines.",
    )
    benchmarks = bench.add_subparsers(dest="target", required=True, metavar="TARGET")
    bench_sgns = benchmarks.add_parser(
        "sgns",
        help="time the SGNS trainer against gensim",
        description="Train embedsent and gensim Word2Vec on the same IMDB token "
        "stream with the same hyperparameters, alternating trainers in child "
        "processes; print median raw words/s, the embedsent/gensim ratio, peak "
        "memory and vector quality.",
    )
    curves_add_parser(benchmarks)
    # argparse rejects --data and --tokens together only when both are on the
    # command line, so the default --data does not conflict with --tokens.
    corpus_source = bench_sgns.add_mutually_exclusive_group()
    corpus_source.add_argument(
        "--data",
        default=DEFAULT_BENCH_DATA,
        help="aclImdb folder or .tar.gz whose unlabeled reviews are the corpus "
        "(default: %(default)s)",
    )
    corpus_source.add_argument(
        "--tokens",
        default=None,
        help="token file to use instead of --data, so not with --data: one "
        "document per line, tokens separated by spaces, gzip when the name "
        "ends in .gz, not a table or word-vector file; "
        "benchmarks/prepare_gpu_bench.py writes one (default: tokenise --data)",
    )
    bench_sgns.add_argument(
        "--bench-epochs",
        type=config_value(SGNSConfig, "epochs"),
        nargs="+",
        default=[1, 5],
        help="epoch counts to time (default: 1 5)",
    )
    bench_sgns.add_argument(
        "--repeats",
        type=bounded(int, 1, 100, hint="; each repeat trains every trainer again"),
        default=3,
        help="trials per setting (default: 3)",
    )
    bench_sgns.add_argument(
        "--gensim-workers",
        type=gensim_workers,
        nargs="+",
        default=[1, 2],
        help="gensim thread counts to time (default: 1 2)",
    )
    bench_sgns.add_argument(
        "--max-docs",
        type=bounded(int, 1),
        default=None,
        help="use at most this many unlabeled reviews (default: all)",
    )
    bench_sgns.add_argument(
        "--sweeps",
        nargs="*",
        default=[],
        choices=("corpus", "vocab", "dim"),
        help="scaling sweeps: corpus 1x/2x/4x, vocabulary 10k-1M, dim 50-300 "
        "(default: none)",
    )
    bench_sgns.add_argument(
        "--platform",
        choices=("cpu", "gpu"),
        default="cpu",
        help="JAX platform for embedsent (default: %(default)s)",
    )
    bench_sgns.add_argument(
        "--devices",
        type=config_value(
            SGNSConfig, "n_devices", hint="; 0 uses every device JAX sees"
        ),
        default=1,
        help="devices for embedsent, data-parallel; on CPU they are simulated "
        "host devices sharing the cores (default: %(default)s)",
    )
    bench_sgns.add_argument(
        "--batch-size",
        type=config_value(
            SGNSConfig,
            "batch_size",
            maximum=MAX_SGNS_BATCH_SIZE,
            maximum_reason=SGNS_BATCH_SIZE_REASON,
        ),
        default=SGNSConfig().batch_size,
        help="embedsent centers per step (default: %(default)s, as in pretrain)",
    )
    bench_sgns.add_argument(
        "--repeat-damping",
        type=config_value(SGNSConfig, "repeat_damping", float),
        default=SGNSConfig().repeat_damping,
        help="embedsent's damping of words a step updates several times, "
        "0 to 1 (default: %(default)s, as in pretrain)",
    )
    bench_sgns.add_argument(
        "--json",
        default=None,
        action=OutputPathAction,
        help="write every trial and the summary to this JSON file, whose name "
        "must end with .json (default: no JSON file)",
    )

    serve = commands.add_parser(
        "serve",
        help="serve predictions over HTTP from a saved model",
        description="Serve a saved model over HTTP until Ctrl-C. GET /health "
        'returns the status and classes; POST /predict takes {"texts": [...]} '
        "as JSON and returns one label and class probabilities per text. "
        "Warning: a --host other than a loopback address such as 127.0.0.1 "
        "exposes the model to the network, without authentication. Ctrl-C or "
        "SIGTERM (kill PID) is the normal way to stop the server, so it exits "
        "with status 0, also when SIGTERM arrives while it starts.",
    )
    serve.add_argument("--model", required=True, help="model file from `train`")
    serve.add_argument(
        "--host",
        type=host_name,
        default="127.0.0.1",
        help="address to listen on; a non-loopback address (e.g. 0.0.0.0) "
        "exposes the model to the network (default: %(default)s)",
    )
    serve.add_argument(
        "--port",
        type=bounded(int, 0, 65535, hint="; 0 picks a free port"),
        default=8000,
        help="TCP port, 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=bounded(
            int,
            1,
            MAX_BODY_BYTES,
            hint="; the server holds each request body in memory while it parses it",
        ),
        default=10_000_000,
        help="maximum request body size in bytes, at most "
        f"{MAX_BODY_BYTES} (1 GiB) (default: %(default)s)",
    )
    serve.add_argument(
        "--max-texts",
        type=bounded(int, 1),
        default=10_000,
        help="maximum number of texts per request (default: %(default)s)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=bounded(
            float,
            0.0,
            MAX_SHUTDOWN_SECONDS,
            hint="; process managers kill a server after 30 s (Kubernetes) or "
            "90 s (systemd) by default",
        ),
        default=DEFAULT_SHUTDOWN_SECONDS,
        help="seconds that Ctrl-C or SIGTERM waits for the requests in progress "
        "before it drops them, at most "
        f"{MAX_SHUTDOWN_SECONDS:g}; 0 drops them at once (default: %(default)s)",
    )
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO
    if verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if verbosity < 2:
        logging.getLogger("gensim").setLevel(max(level, logging.WARNING))
        # JAX logs each accelerator plugin it fails to load, such as "Unable to
        # initialize backend 'tpu'", at INFO from this logger.
        logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)


def _start_compile_cache(args) -> str | None:
    """Enable the compile cache that the command line requests, and return its folder.

    A folder given by ``--compile-cache`` or by the environment must work. The
    default folder is only a convenience: when it cannot be used, the command
    warns and compiles as usual.
    """
    from embedsent.compile_cache import (
        CompileCacheError,
        default_cache_dir,
        disable_compile_cache,
        enable_compile_cache,
    )

    if args.compile_cache is not None:
        return str(enable_compile_cache(args.compile_cache, source="--compile-cache"))
    folder = None if args.no_compile_cache else default_cache_dir()
    if folder is None:
        # A process that ran an earlier command, such as a test, may have
        # enabled the cache.
        disable_compile_cache()
        return None
    if os.environ.get(ENV_VAR, "").strip():
        return str(enable_compile_cache(folder, source=ENV_VAR))
    try:
        return str(enable_compile_cache(folder))
    except CompileCacheError as error:
        disable_compile_cache()
        logging.getLogger(__name__).warning(
            "running without the compile cache: %s. Pass --compile-cache DIR "
            "for another folder, or --no-compile-cache to compile without this "
            "warning",
            error,
        )
        return None


COMMANDS = {
    "bench": run_bench,
    "diagnose": run_diagnose,
    "select": run_select,
    "demo": run_demo,
    "pretrain": run_pretrain,
    "train": run_train,
    "predict": run_predict,
    "compare": run_compare,
    "serve": run_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` and return the exit status.

    A reader that closes standard output early, as ``head`` does, ends the
    command quietly with status 141. A standard output closed before the
    start (``>&-``) ends it with status 2 before any work.
    """
    if sys.stderr is None:
        # Python sets a stream to None when its descriptor was closed at the
        # start, and print(file=None) would send error messages to standard
        # output instead, among the command's results.
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    if sys.stdout is None:
        print(
            "embedsent: error: standard output is closed (as `>&-` leaves it), so "
            "the command's output would be lost; redirect it to a file, or to "
            "/dev/null to discard it",
            file=sys.stderr,
        )
        return 2
    try:
        try:
            return _run(argv)
        finally:
            # Output still buffered would otherwise fail at interpreter exit,
            # outside this handler, with "Exception ignored ... BrokenPipeError".
            flush_output("the command's output")
    except BrokenPipeError:
        discard_output()
        return BROKEN_PIPE_STATUS
    except OSError as error:
        # Only the flush raises OSError here, because _run reports its own errors.
        print(f"embedsent: error: {error}", file=sys.stderr)
        return 2


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        # --help and invalid arguments end here, and a SIGTERM recorded
        # meanwhile ends the process as it would have without the deferral.
        release_deferred_sigterm()
        raise
    if args.command != "serve":
        release_deferred_sigterm()
    _configure_logging(args.verbose)
    _warn_repeated_seed(_Parser._argv)
    # SIGTERM stops a run that can resume as Ctrl-C does, so that its message
    # names the file to resume from.
    if _resumes(args):
        signal_handling = sigterm_interrupts()
    else:
        signal_handling = contextlib.nullcontext()
    try:
        with signal_handling:
            return _run_command(args)
    except BrokenPipeError:
        raise  # BrokenPipeError is an OSError, but main ends it quietly.
    except KeyboardInterrupt:
        if _resumes(args) and stopped_by_sigterm():
            stopped, status = "terminated by SIGTERM", TERMINATED_STATUS
        else:
            stopped, status = "interrupted", INTERRUPTED_STATUS
        print(
            f"embedsent {_command_label(args)}: {stopped}{_resume_hint(args)}",
            file=sys.stderr,
        )
        return status
    except (
        ValueError,
        TypeError,
        OSError,  # missing files, folders given as files, full disks
        MemoryError,
        FloatingPointError,  # raised when SGNS or classifier training diverges
        pickle.UnpicklingError,  # a file given as gensim KeyedVectors that is not
    ) as error:
        message = _describe_error(error, args)
        print(f"embedsent {_command_label(args)}: error: {message}", file=sys.stderr)
        return 2
    except TrialError as error:
        print(
            f"embedsent {_command_label(args)}: error: {error}; rerun with -vv to log "
            "the trial's standard error",
            file=sys.stderr,
        )
        return 1
    except Exception as error:
        # XLA reports an allocation that the machine cannot satisfy this way.
        if "RESOURCE_EXHAUSTED" not in str(error):
            raise
        print(
            f"embedsent {_command_label(args)}: error: out of memory ({error}); lower "
            "--dim, raise --min-count or set --max-vocab-size",
            file=sys.stderr,
        )
        return 2


def _run_command(args: argparse.Namespace) -> int:
    """Check the flags and paths of ``args``, then run its command."""
    check_flag_combinations(args)
    check_compile_cache_path(args)
    check_input_paths(args)
    check_output_paths(args)
    warn_ignored_flags(args)
    args.compile_cache = _start_compile_cache(args)
    if args.compile_cache is None:
        return COMMANDS[args.command](args)
    from embedsent.compile_cache import log_cache_warnings

    with log_cache_warnings(args.compile_cache, "pass --no-compile-cache"):
        return COMMANDS[args.command](args)


def _writes_checkpoint(args: argparse.Namespace) -> bool:
    # --continue-from writes no checkpoint, and its run warns that it
    # ignores --checkpoint.
    return bool(getattr(args, "checkpoint", None)) and not getattr(
        args, "continue_from", None
    )


def _stores_curve_runs(args: argparse.Namespace) -> bool:
    # `bench transfer` stores each finished run, and a rerun skips those.
    return (
        args.command == "bench"
        and getattr(args, "target", None) == "transfer"
        and not getattr(args, "report_only", False)
    )


def _resumes(args: argparse.Namespace) -> bool:
    return _writes_checkpoint(args) or _stores_curve_runs(args)


def _resume_hint(args: argparse.Namespace) -> str:
    """Return the message clause on how a stopped run resumes, or ""."""
    if _stores_curve_runs(args):
        from embedsent.curve_args import RESULTS_FILE

        results = os.path.join(args.out_dir, RESULTS_FILE)
        if os.path.isfile(results):
            return (
                f"; the finished runs are kept in {results}, and the same "
                "command resumes from them"
            )
        return " before the first run was stored, so a rerun starts over"
    if not _writes_checkpoint(args):
        return ""
    # An empty --checkpoint file contains no checkpoint, so a rerun starts over.
    if os.path.isfile(args.checkpoint) and os.path.getsize(args.checkpoint) > 0:
        return f"; rerun with --checkpoint {args.checkpoint} to resume"
    return (
        f" before the first checkpoint was written to {args.checkpoint}, so a "
        "rerun starts over"
    )


def _command_label(args: argparse.Namespace) -> str:
    """Return the command as the user typed it, such as "bench sgns"."""
    target = getattr(args, "target", None)
    return f"{args.command} {target}" if target else args.command


def _describe_error(error: BaseException, args) -> str:
    """Return the message of ``error``, naming the flag where the library names
    the Python parameter that the flag sets."""
    from embedsent.bench import (
        CorpusTooSmallError,
        DeviceCountError,
        PlatformError,
        TokenFileError,
        platform_fix,
    )
    from embedsent.datasets import ArchiveReadError
    from embedsent.sgns_model import TableMemoryError, TrainingDiverged
    from embedsent.vocab import MinCountError

    if isinstance(error, MinCountError) and hasattr(args, "min_count"):
        # --min-count accepts no value below 1, which keeps every word.
        if error.largest_count <= 1:
            fix = "pass --min-count 1, which keeps every word, or add more text"
        else:
            fix = f"pass --min-count {error.largest_count} or lower, or add more text"
        return (
            f"--min-count {error.min_count}: no word occurs that often; the "
            f"corpus has {error.token_types} token types and the largest count "
            f"is {error.largest_count}; {fix}"
        )
    # Only a command that imported the classifier module can raise its error,
    # and importing it here would import JAX to describe an input error.
    classifier = sys.modules.get("embedsent.classifier")
    if (
        classifier is not None
        and isinstance(error, classifier.ClassifierDiverged)
        and hasattr(args, "learning_rate")
    ):
        return (
            f"classifier training diverged: {error.reason}; pass a lower "
            f"--learning-rate (now {error.learning_rate})"
        )
    if isinstance(error, TrainingDiverged) and hasattr(args, "alpha"):
        return _describe_sgns_divergence(error)
    if isinstance(error, TableMemoryError) and hasattr(args, "dim"):
        return _describe_table_memory(error, args)
    if isinstance(error, DeviceCountError) and hasattr(args, "devices"):
        return (
            f"--devices {error.requested}: JAX lists {error.available} "
            f"{error.platform} device(s) in the benchmark's trial process; pass "
            f"--devices {error.available} or fewer (0 uses every device)"
        )
    if isinstance(error, PlatformError) and hasattr(args, "platform"):
        # JAX's own text names the last backend it tried (often ROCm on a
        # CUDA request), which misleads more than it helps, so it goes to -vv.
        logger.debug("JAX backend error: %s", error.reason)
        return (
            f"--platform {error.platform}: JAX finds no {error.platform} backend "
            "in the benchmark's trial process; "
            f"{platform_fix(error.platform, 'pass --platform cpu')}"
        )
    if isinstance(error, CorpusTooSmallError) and hasattr(args, "max_docs"):
        return _describe_small_corpus(error, args)
    if isinstance(error, TokenFileError) and hasattr(args, "tokens"):
        return f"--tokens {error.path} {error.problem}; {error.fix}"
    if isinstance(error, ArchiveReadError):
        return describe_data_stream(args, error.source, error.reason) or str(error)
    return str(error)


def _describe_sgns_divergence(error) -> str:
    # An alpha above the default gets the default as the suggestion, because a
    # tenth of a far too high rate (5 after 50) can diverge again.
    # --alpha accepts no value below SGNSConfig.min_alpha, which no flag sets.
    defaults = SGNSConfig()
    if error.alpha > defaults.alpha:
        suggested = defaults.alpha
    else:
        suggested = max(error.alpha / 10, defaults.min_alpha)
    message = f"SGNS training diverged: {error.reason}; "
    if suggested < error.alpha:
        return (
            f"{message}pass a lower --alpha (now {error.alpha:g}), for example "
            f"--alpha {suggested:g}"
        )
    return (
        f"{message}--alpha {error.alpha:g} is already the lowest value it "
        "accepts, so a lower learning rate cannot be the fix"
    )


def _describe_small_corpus(error, args) -> str:
    corpus = (
        f"no word occurs {error.min_count} times (the benchmark's min_count) in "
        f"the {error.documents} review(s) of the token stream, whose most "
        f"frequent word occurs {error.largest_count} time(s)"
    )
    if error.max_docs is not None and error.suggested_max_docs is not None:
        return (
            f"--max-docs {error.max_docs}: {corpus}; pass --max-docs "
            f"{error.suggested_max_docs} or more (an estimate)"
        )
    if error.max_docs is not None:
        return f"--max-docs {error.max_docs}: {corpus}; pass a larger --max-docs"
    if error.token_file is not None:
        return (
            f"--tokens {error.token_file}: {corpus}; pass a token file with more "
            "documents"
        )
    return f"--data {args.data}: {corpus}; pass a larger aclImdb corpus"


def _describe_table_memory(error, args) -> str:
    tables = (
        f"the embedding tables need {error.needed_bytes / 2**30:.3g} GiB (2 x "
        f"{error.vocab_size} words x {error.dim} dims x 4 bytes)"
    )
    if error.limit_gb is not None:
        problem = (
            f"{tables}, above the {error.limit_gb:g} GiB limit of "
            "SGNSConfig.max_memory_gb, which no flag sets"
        )
    else:
        problem = (
            f"{tables}, but only {error.available_bytes / 2**30:.3g} GiB of "
            "memory is available"
        )
    fixes = []
    if hasattr(args, "min_count"):
        fixes.append(f"raise --min-count (now {args.min_count})")
    if hasattr(args, "max_vocab_size"):
        fixes.append("pass --max-vocab-size")
    fixes.append(f"lower --dim (now {error.dim})")
    if len(fixes) > 1:
        fixes[-2:] = [f"{fixes[-2]} or {fixes[-1]}"]
    return f"{problem}; {', '.join(fixes)}"


if __name__ == "__main__":
    from embedsent.console import entry

    entry()
