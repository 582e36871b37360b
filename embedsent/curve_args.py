"""Command-line options of ``embedsent bench transfer``.

:func:`add_parser` adds the ``transfer`` subcommand to an argparse
subparsers object, and :func:`add_arguments` adds its options to any parser,
such as the one of ``benchmarks/bench_transfer.py``.
``embedsent.curve_cli.run`` runs the parsed options. This module imports
neither JAX nor SciPy, so building the parser does not either.
"""

from __future__ import annotations

import argparse

from embedsent.cli_paths import DEFAULT_BENCH_DATA
from embedsent.cli_types import (
    DRAWS_REASON,
    MAX_DRAWS,
    OutputPathAction,
    ascii_number,
    bounded,
    config_value,
    gensim_workers,
    sgns_epochs,
)
from embedsent.config import FEATURE_METHODS, SGNSConfig, VocabConfig
from embedsent.curve_config import METHODS, CurveConfig

__all__ = [
    "CURVES_PLOT",
    "DEFAULT_DATA",
    "DEFAULT_DOCS_DIR",
    "DOCS_FILE",
    "FEATURES_PLOT",
    "RESULTS_FILE",
    "add_arguments",
    "add_parser",
]

DEFAULT_DATA = DEFAULT_BENCH_DATA
DEFAULT_DOCS_DIR = "docs"
# Files that a run writes in --out-dir, or in --docs-dir when it is given.
RESULTS_FILE = "transfer_curves.json"
CURVES_PLOT = "transfer_curves.png"
FEATURES_PLOT = "transfer_features.png"
DOCS_FILE = "benchmarks.md"


def _size(value: str) -> int:
    if value == "all":
        return 0
    try:
        size = ascii_number(int)(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size {value!r} is not an int or 'all'; pass e.g. 8 16 32 all"
        ) from None
    if size < 0:
        raise argparse.ArgumentTypeError(
            f"size must be >= 0 or 'all', got {size}; 0 and 'all' use every "
            "training text"
        )
    return size


def _target_accuracy(text: str) -> float:
    value = ascii_number(float)(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be between 0 and 1, got {text}; pass e.g. 0.8 for 80%"
        )
    return value


def _toy_splits(text: str) -> int:
    value = ascii_number(int)(text)
    if value < 0 or value == 1:
        raise argparse.ArgumentTypeError(f"must be 0 (skip) or at least 2, got {text}")
    return value


class _MergeRepeats(argparse.Action):
    """Store a list option's values with repeats merged, in first-seen order.

    ``--methods scratch scratch`` then runs ``scratch`` once, as
    ``--sizes 4 4`` measures size 4 once.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, list(dict.fromkeys(values)))


def add_arguments(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """Add the options of ``embedsent bench transfer`` to ``parser``.

    With ``subcommand``, ``--seed`` and ``--no-progress`` default to the
    values of the global ``embedsent`` options of the same name, which a
    subparser default would otherwise override, and ``--docs-dir`` defaults
    to none, so a user's run never rewrites the project's docs. Without it,
    ``--docs-dir`` defaults to ``docs``.
    """
    _add_data_options(parser.add_argument_group("data and draws"))
    _add_method_options(parser.add_argument_group("methods and pretraining"))
    _add_output_options(parser.add_argument_group("report and output"), subcommand)


def _add_data_options(parser) -> None:
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help="aclImdb folder or .tar.gz, or 'default' for the shipped corpus "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        action=_MergeRepeats,
        type=_size,
        default=list(CurveConfig().sizes),
        metavar="N",
        help="labeled training sizes; 'all' or 0 uses every training text "
        "(default: 8 16 32 64 128 256 512 1024 2048 all)",
    )
    parser.add_argument(
        "--draws",
        type=config_value(
            CurveConfig, "draws", maximum=MAX_DRAWS, maximum_reason=DRAWS_REASON
        ),
        default=10,
        help="balanced random draws per size below --large-size (default: 10)",
    )
    parser.add_argument(
        "--large-draws",
        type=config_value(
            CurveConfig,
            "large_draws",
            maximum=MAX_DRAWS,
            maximum_reason=DRAWS_REASON,
        ),
        default=3,
        help="draws per size from --large-size on; 'all' gets 1 (default: 3)",
    )
    parser.add_argument(
        "--large-size",
        type=config_value(CurveConfig, "large_size"),
        default=1024,
        help="first size that gets --large-draws draws (default: 1024)",
    )
    parser.add_argument(
        "--max-per-class",
        type=bounded(int, 1),
        default=None,
        help="labeled texts kept per class and split, drawn at random with "
        "--seed (default: all)",
    )
    parser.add_argument(
        "--max-unlabeled",
        type=bounded(int, 0),
        default=None,
        help="unlabeled texts kept for pretraining, drawn at random with "
        "--seed; 0 pretrains on the training texts alone (default: all)",
    )


def _add_method_options(parser) -> None:
    parser.add_argument(
        "--methods",
        nargs="+",
        action=_MergeRepeats,
        choices=METHODS,
        default=list(METHODS),
        metavar="METHOD",
        help=f"methods to run, of {', '.join(METHODS)} (default: all)",
    )
    parser.add_argument(
        "--features",
        nargs="+",
        action=_MergeRepeats,
        choices=FEATURE_METHODS,
        default=list(FEATURE_METHODS),
        metavar="FEATURE",
        help="sentence features of the frozen-vector methods, of "
        f"{', '.join(FEATURE_METHODS)} (default: all)",
    )
    parser.add_argument(
        "--epochs",
        type=sgns_epochs,
        default=SGNSConfig().epochs,
        help="pretraining epochs of both SGNS trainers (default: %(default)s)",
    )
    parser.add_argument(
        "--dim",
        type=config_value(SGNSConfig, "dim"),
        default=SGNSConfig().dim,
        help="word vector dimension (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat-damping",
        type=config_value(SGNSConfig, "repeat_damping", float),
        default=SGNSConfig().repeat_damping,
        help="in JAX pretraining, divide the updates of a word that a step "
        "updates c times by c**this, 0 to 1; 0 adds them at full size, and "
        "gensim has no such setting (default: %(default)s)",
    )
    parser.add_argument(
        "--add-context-vectors",
        action=argparse.BooleanOptionalAction,
        default=SGNSConfig().add_context_vectors,
        help="give each word of the JAX vectors the sum of its input and "
        "output (context) vectors; --no-add-context-vectors keeps the input "
        "vector alone, as word2vec and gensim do (default: on)",
    )
    parser.add_argument(
        "--min-count",
        type=config_value(VocabConfig, "min_count", hint="; 1 keeps every word"),
        default=VocabConfig().min_count,
        help="drop words seen fewer times in pretraining (default: %(default)s)",
    )
    parser.add_argument(
        "--gensim-workers",
        type=gensim_workers,
        default=2,
        help="gensim threads; only 1 is bit-reproducible (default: %(default)s)",
    )
    parser.add_argument(
        "--finetune-max-n",
        type=_size,
        default=None,
        help="largest size at which the end-to-end methods (scratch, "
        "transfer_finetune) run; 0 or 'all' means every size, as the default "
        "does (default: every size)",
    )
    parser.add_argument(
        "--finetune-steps",
        type=config_value(CurveConfig, "finetune_steps"),
        default=1000,
        help="cap on the optimizer steps of an end-to-end fit, reached by "
        "lowering its epochs (default: %(default)s)",
    )


def _add_output_options(parser, subcommand: bool) -> None:
    parser.add_argument(
        "--target-accuracy",
        type=_target_accuracy,
        default=0.8,
        help="accuracy for which the labels needed are estimated (default: 0.8)",
    )
    parser.add_argument(
        "--toy-splits",
        type=_toy_splits,
        default=200,
        help="random splits of the shipped corpus experiment; 0 skips it "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--out-dir",
        default="benchmarks/results",
        action=OutputPathAction,
        help="folder of the JSON results, the cached tokens and vectors, and "
        "the PNG plots unless --docs-dir is given (default: %(default)s)",
    )
    if subcommand:
        docs_default = "none, so no Markdown is written"
    else:
        docs_default = DEFAULT_DOCS_DIR
    parser.add_argument(
        "--docs-dir",
        default=None if subcommand else DEFAULT_DOCS_DIR,
        action=OutputPathAction,
        metavar="DIR",
        help="write the PNG plots and the 'Transfer learning curves' section "
        "of DIR/benchmarks.md here, replacing that section if the file has it "
        f"(default: {docs_default})",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="redraw the plots, and with --docs-dir the docs section, from the "
        "JSON without running; the corpus and vectors are not read, and the "
        "report gives the settings stored in the JSON, whatever the run options",
    )
    parser.add_argument(
        "--seed",
        type=config_value(SGNSConfig, "seed"),
        default=argparse.SUPPRESS if subcommand else 0,
        help="seed (default: 0, or embedsent's global --seed)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="hide the progress bars",
    )


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``transfer`` subcommand to ``subparsers`` and return its parser."""
    parser = subparsers.add_parser(
        "transfer",
        help="learning curves of transfer learning against baselines",
        description="Score scratch, TF-IDF + logistic regression, frozen JAX "
        "and gensim vectors (mean, tfidf and sif features) and fine-tuned "
        "vectors on the same balanced draws of n labeled texts; write JSON "
        "and PNG plots to --out-dir. With --docs-dir DIR, write the plots and "
        "the 'Transfer learning curves' section of DIR/benchmarks.md there "
        "instead. Reruns skip the runs already in the JSON.",
    )
    add_arguments(parser, subcommand=True)
    return parser
