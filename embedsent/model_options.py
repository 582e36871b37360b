"""Command-line options of the ``diagnose`` and ``select`` subcommands.

Both commands read labeled texts with the same options
(``add_labeled_options``) and take the same cross-validation options.
``embedsent.model_commands`` runs the parsed options. This module imports
neither JAX nor SciPy, so building the parser does not either.
"""

from __future__ import annotations

import argparse

from embedsent.candidates import SelectionGrid
from embedsent.cli_types import (
    DEFAULT_LABEL_COLUMN,
    DEFAULT_TEXT_COLUMN,
    TABLE_FILES,
    OutputPathAction,
    add_encoding_options,
    bounded,
    config_value,
    cv_repeats,
    gensim_workers,
    sgns_epochs,
    vectors_codec_name,
)
from embedsent.config import FEATURE_METHODS, ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.crossval import DEFAULT_FOLDS, DEFAULT_REPEATS

__all__ = ["add_diagnose_parser", "add_labeled_options", "add_select_parser"]


def add_labeled_options(
    parser: argparse.ArgumentParser,
    encoding_inputs: str = f"a {TABLE_FILES} --data file",
) -> None:
    """Add ``--data``, the column names, the encoding and ``--max-labeled``.

    ``encoding_inputs`` names the files that ``--encoding`` applies to, for
    the help text.
    """
    parser.add_argument(
        "--data",
        required=True,
        help=f"labeled texts: a {TABLE_FILES} file with text and label "
        "columns, an aclImdb folder or .tar.gz (its train split), or 'default' "
        "for the shipped corpus's training texts",
    )
    parser.add_argument(
        "--text-column",
        default=DEFAULT_TEXT_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the texts in "
        "a table --data file (default: %(default)s)",
    )
    parser.add_argument(
        "--label-column",
        default=DEFAULT_LABEL_COLUMN,
        help="column (CSV/TSV header) or key (JSONL) that contains the labels in "
        "a table --data file (default: %(default)s)",
    )
    add_encoding_options(parser, encoding_inputs)
    parser.add_argument(
        "--max-labeled",
        type=bounded(int, 1),
        default=None,
        help="use a class-balanced random sample of this many labeled texts "
        "(default: all)",
    )


def add_select_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``select`` subcommand to an ``argparse`` subparsers object."""
    grid = SelectionGrid()
    parser = subparsers.add_parser(
        "select",
        help="choose vectors, feature and head by cross-validation",
        description="Score every combination of vector source, sentence "
        "feature, hidden size, weight decay and frozen or fine-tuned vectors "
        "by repeated stratified cross-validation on the labeled texts only; "
        "print the ranking with 95% intervals, the winner and the runner-up.",
    )
    add_labeled_options(parser, "the --data and --unlabeled files")

    sources = parser.add_argument_group("vector sources (at least one)")
    sources.add_argument(
        "--vectors",
        action="append",
        default=[],
        metavar="FILE",
        help="a vectors file (word2vec text or binary, GloVe, gensim, or an "
        "SGNS model from `pretrain --save-model`, which carries the word "
        "counts of sif); repeat for several, each named by its file stem",
    )
    sources.add_argument(
        "--vectors-format",
        default="auto",
        choices=("auto", "word2vec", "word2vec-binary", "glove", "gensim"),
        help="format of every --vectors file; 'gensim' unpickles, so load "
        "only trusted files (default: %(default)s)",
    )
    sources.add_argument(
        "--vectors-encoding",
        type=vectors_codec_name,
        default="utf-8",
        help="text encoding of every --vectors file (default: %(default)s)",
    )
    sources.add_argument(
        "--vectors-errors",
        choices=("strict", "replace", "ignore"),
        default="strict",
        help="what to do with bytes of --vectors files that do not decode: stop "
        "with an error, replace them, or drop them (default: %(default)s)",
    )
    sources.add_argument(
        "--pretrain",
        action="store_true",
        help="pretrain JAX SGNS vectors (source 'jax') on --unlabeled",
    )
    sources.add_argument(
        "--gensim",
        action="store_true",
        help="train gensim Word2Vec (source 'gensim') on --unlabeled",
    )
    sources.add_argument(
        "--unlabeled",
        default=None,
        help="texts for --pretrain and --gensim: a .txt file with one text "
        f"per line, or a {TABLE_FILES} file whose --text-column column is "
        "read, without labels (default: the unlabeled and training texts of "
        "--data when it is a corpus)",
    )
    sources.add_argument(
        "--dim",
        type=config_value(SGNSConfig, "dim"),
        default=100,
        help="vector dimension (default: %(default)s)",
    )
    sources.add_argument(
        "--window",
        type=config_value(SGNSConfig, "window"),
        default=5,
        help="maximum context distance in tokens (default: %(default)s)",
    )
    sources.add_argument(
        "--sgns-epochs",
        type=sgns_epochs,
        default=5,
        help="SGNS passes over the texts (default: %(default)s)",
    )
    sources.add_argument(
        "--min-count",
        type=config_value(VocabConfig, "min_count", hint="; 1 keeps every word"),
        default=5,
        help="drop words seen fewer times (default: %(default)s)",
    )
    sources.add_argument(
        "--gensim-workers",
        type=gensim_workers,
        default=1,
        help="gensim threads; only 1 is bit-reproducible (default: %(default)s)",
    )

    axes = parser.add_argument_group("grid")
    axes.add_argument(
        "--hidden-sizes",
        type=config_value(
            ClassifierConfig, "hidden_size", hint="; 0 gives logistic regression"
        ),
        nargs="+",
        default=list(grid.hidden_sizes),
        help="hidden units, 0 for none (default: %(default)s)",
    )
    axes.add_argument(
        "--weight-decays",
        type=config_value(ClassifierConfig, "weight_decay", float),
        nargs="+",
        default=list(grid.weight_decays),
        help="AdamW weight decays (default: %(default)s)",
    )
    axes.add_argument(
        "--features",
        nargs="+",
        choices=FEATURE_METHODS,
        default=list(grid.features),
        help="sentence features (default: %(default)s)",
    )
    axes.add_argument(
        "--fine-tune",
        choices=("frozen", "tuned", "both"),
        default="both",
        help="frozen vectors, fine-tuned ones (mean feature only), or both "
        "(default: %(default)s)",
    )

    _add_cv_options(parser)
    parser.add_argument(
        "--out",
        default=None,
        action=OutputPathAction,
        help="fit the best frozen-vector candidate on all labeled texts and "
        "save it here as a model file (.npz) (default: no model is saved)",
    )
    parser.add_argument(
        "--json",
        default=None,
        action=OutputPathAction,
        help="write every score to this JSON file, whose name must end with "
        ".json (default: no JSON file)",
    )
    return parser


def add_diagnose_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``diagnose`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "diagnose",
        help="find which half of a saved model limits its accuracy",
        description="Cross-validate a saved model's configuration on labeled "
        "texts and report vocabulary coverage, word similarity, nearest "
        "neighbours, parameter counts, training against cross-validated "
        "accuracy, calibration and the confusion matrix, with TF-IDF + "
        "logistic regression and untrained vectors as references; end with "
        "which half limits accuracy and what to try next.",
    )
    parser.add_argument("--model", required=True, help="model file from `train`")
    add_labeled_options(parser)
    _add_cv_options(parser)
    parser.add_argument(
        "--plot",
        default=None,
        action=OutputPathAction,
        help="write a reliability diagram here, as PNG, PDF or SVG by the "
        "suffix .png, .pdf or .svg (default: no diagram)",
    )
    parser.add_argument(
        "--json",
        default=None,
        action=OutputPathAction,
        help="also write the whole report to this JSON file, whose name must "
        "end with .json (default: no JSON file)",
    )
    return parser


def _add_cv_options(parser: argparse.ArgumentParser) -> None:
    """Add the cross-validation options shared by ``select`` and ``diagnose``."""
    parser.add_argument(
        "--folds",
        type=bounded(int, 2),
        default=DEFAULT_FOLDS,
        help="cross-validation folds, capped by the smallest class "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--repeats",
        type=cv_repeats,
        default=DEFAULT_REPEATS,
        help="cross-validation repetitions (default: %(default)s)",
    )
