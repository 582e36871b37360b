"""The ``diagnose`` and ``select`` subcommands of ``embedsent``.

``embedsent.diagnose.run`` and ``embedsent.selection.run`` call the
functions here. Their options are defined in ``embedsent.model_options`` and
re-exported here. Both commands read labeled texts with the same options
(``add_labeled_options``).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from embedsent.calibration import plot_reliability
from embedsent.candidates import SelectionGrid, build_candidates
from embedsent.classifier import check_known_labels
from embedsent.cli_input import (
    check_sample_size,
    describe_id_like_texts,
    load_labeled_table,
    load_vectors_file,
)
from embedsent.cli_paths import TABLE_SUFFIXES
from embedsent.console import format_signed
from embedsent.crossval import cross_validation_plan
from embedsent.datasets import LabeledTexts, balanced_sample
from embedsent.diagnose import count_noun, diagnose
from embedsent.model_options import (
    add_diagnose_parser,
    add_labeled_options,
    add_select_parser,
)
from embedsent.pipeline import TransferClassifier
from embedsent.selection import select_model, tied_at_top
from embedsent.text import tokenize_corpus
from embedsent.vectors import WordVectors

__all__ = [
    "add_diagnose_parser",
    "add_labeled_options",
    "add_select_parser",
    "load_labeled",
    "load_labeled_and_unlabeled",
    "run_diagnose",
    "run_select",
]

logger = logging.getLogger(__name__)


def load_labeled(args: argparse.Namespace, *, seed: int) -> LabeledTexts:
    """Load the labeled texts named by ``add_labeled_options``'s options.

    Args:
        args: Parsed options.
        seed: Seed of the ``--max-labeled`` sample and of aclImdb subsets.
    """
    return _load(args, seed, with_unlabeled=False)[0]


def load_labeled_and_unlabeled(
    args: argparse.Namespace, *, seed: int
) -> tuple[LabeledTexts, list[str]]:
    """Load the labeled texts and, for a corpus, texts to pretrain on.

    Returns:
        ``(labeled, unlabeled)``. For a corpus (``default`` or aclImdb),
        ``unlabeled`` is its unlabeled texts plus all its training texts,
        without labels and without test texts. For a table it is empty.
    """
    return _load(args, seed, with_unlabeled=True)


def _load(args, seed: int, with_unlabeled: bool) -> tuple[LabeledTexts, list[str]]:
    from embedsent.datasets import load_aclimdb, load_default_corpus

    spec = args.data
    unlabeled: list[str] = []
    if Path(spec).suffix.lower() in TABLE_SUFFIXES:
        labeled = load_labeled_table(spec, args)
        hint = describe_id_like_texts(spec, labeled.texts, args)
        if hint is not None:
            logger.warning("%s", hint)
    else:
        if spec == "default":
            corpus = load_default_corpus()
        else:
            limit = None if with_unlabeled else 0
            corpus = load_aclimdb(spec, max_unlabeled=limit, seed=seed, with_test=False)
        labeled = corpus.train
        if with_unlabeled:
            unlabeled = list(corpus.unlabeled) + list(corpus.train.texts)
    sampled = args.max_labeled is not None and args.max_labeled < len(labeled)
    if sampled:
        # The whole data is checked first, so that a class too small for
        # cross-validation is blamed on --data, not on --max-labeled.
        _check_classes_for_crossval(args, labeled.labels)
        _check_max_labeled_for_crossval(args, labeled)
        check_sample_size(labeled, args.max_labeled, "--max-labeled")
        picked = balanced_sample(labeled, args.max_labeled, np.random.default_rng(seed))
        labeled = labeled.subset(np.sort(picked))
    _check_classes_for_crossval(args, labeled.labels, sampled=sampled)
    return labeled, unlabeled


def _check_max_labeled_for_crossval(args, labeled: LabeledTexts) -> None:
    """Raise ValueError naming ``--max-labeled`` when its sample cannot be split.

    The balanced sample gives each class ``max_labeled // classes`` texts or
    one more, and cross-validation needs ``MIN_CLASS_SIZE`` per class.
    """
    from embedsent.crossval import MIN_CLASS_SIZE

    max_labeled = args.max_labeled
    classes = len(labeled.label_counts())
    needed = MIN_CLASS_SIZE * classes
    if max_labeled >= needed:
        return
    raise ValueError(
        f"--max-labeled {max_labeled}: cross-validation needs at least "
        f"{MIN_CLASS_SIZE} labeled texts per class, so {needed} for the "
        f"{classes} classes of --data {args.data}; pass "
        f"--max-labeled {needed} or more, or leave it out to use all "
        f"{len(labeled)} texts"
    )


def _check_classes_for_crossval(args, labels, *, sampled: bool = False) -> None:
    """Raise ValueError naming ``--data`` unless cross-validation can split it.

    Cross-validation would raise as well, but only after ``select`` has
    listed its candidates, and without the file and the label column. When
    ``sampled`` is true, ``labels`` are those of the ``--max-labeled`` sample,
    so a class left too small in it is blamed on ``--max-labeled``.
    """
    from embedsent.commands import _check_label_classes
    from embedsent.crossval import MIN_CLASS_SIZE

    _check_label_classes(args, labels)
    sizes: dict = {}
    for label in labels:
        sizes[label] = sizes.get(label, 0) + 1
    if not sizes:
        return
    smallest = min(sizes, key=sizes.get)
    if sizes[smallest] >= MIN_CLASS_SIZE:
        return
    if sampled:
        raise ValueError(
            f"--max-labeled {args.max_labeled}: the sample of --data {args.data} "
            f"has {sizes[smallest]} labeled text(s) of class {smallest!r}, but "
            f"cross-validation needs at least {MIN_CLASS_SIZE} per class; pass "
            "a larger --max-labeled or leave it out"
        )
    fix = "label more texts of that class"
    if Path(args.data).suffix.lower() in TABLE_SUFFIXES:
        fix += ", or pick the right column with --label-column"
    raise ValueError(
        f"--data {args.data}: class {smallest!r} has {sizes[smallest]} labeled "
        f"text(s), but cross-validation needs at least {MIN_CLASS_SIZE} per "
        f"class; {fix}"
    )


def _vector_sources(args, seed: int, unlabeled: list[str]) -> dict[str, WordVectors]:
    from embedsent.baseline import train_gensim_word2vec
    from embedsent.config import SGNSConfig, VocabConfig
    from embedsent.pipeline import pretrain

    sources: dict[str, WordVectors] = {}
    for path in args.vectors:
        name = stem = Path(path).stem
        suffix = 2
        while name in sources or name in ("jax", "gensim"):
            name, suffix = f"{stem}_{suffix}", suffix + 1
        sources[name] = load_vectors_file(path, args)
    if args.pretrain or args.gensim:
        if args.unlabeled:
            unlabeled = _load_unlabeled_file(args)
            if not unlabeled:
                given_flags = [
                    flag for flag in ("pretrain", "gensim") if getattr(args, flag)
                ]
                trainers = " and ".join(f"--{flag}" for flag in given_flags)
                verb = "train" if len(given_flags) > 1 else "trains"
                raise ValueError(
                    f"--unlabeled {args.unlabeled} has no texts (it is empty or "
                    f"has only blank lines), but {trainers} {verb} vectors on it; "
                    "pass a file with one text per line"
                )
        if not unlabeled:
            raise ValueError(
                "--pretrain and --gensim need unlabeled texts; pass --unlabeled "
                "FILE.txt or a corpus as --data"
            )
        sgns = SGNSConfig(
            dim=args.dim, window=args.window, epochs=args.sgns_epochs, seed=seed
        )
        vocab = VocabConfig(min_count=args.min_count)
        if args.pretrain:
            sources["jax"] = pretrain(unlabeled, vocab_config=vocab, sgns_config=sgns)
        if args.gensim:
            sources["gensim"] = train_gensim_word2vec(
                tokenize_corpus(unlabeled),
                sgns=sgns,
                vocab=vocab,
                workers=args.gensim_workers,
            )
    if not sources:
        raise ValueError(
            "no vector source: pass --vectors FILE, --pretrain or --gensim"
        )
    return sources


def _load_unlabeled_file(args) -> list[str]:
    """Read the ``--unlabeled`` texts, as ``pretrain --data`` reads a file."""
    from embedsent.cli_input import read_unlabeled_file

    return read_unlabeled_file(args.unlabeled, args)


def run_select(args: argparse.Namespace) -> int:
    """Run ``embedsent select``; print the ranking and return 0."""
    from embedsent.storage import as_report, write_text_atomic

    seed = getattr(args, "seed", 0)
    if args.fine_tune == "tuned" and "mean" not in args.features:
        raise ValueError(
            "--fine-tune tuned fine-tunes the mean feature only, but --features "
            f"is {' '.join(args.features)}; add mean to --features"
        )
    # Only --pretrain and --gensim read --unlabeled, so a run without them
    # would score other vectors than the user expects. It is rejected rather
    # than warned of, because the fix is one flag.
    if args.unlabeled and not (args.pretrain or args.gensim):
        raise ValueError(
            f"--unlabeled {args.unlabeled} is read only by --pretrain and "
            "--gensim, and neither is given; add --pretrain or --gensim to "
            "train vectors on it, or drop --unlabeled"
        )
    if (args.pretrain or args.gensim) and not args.unlabeled:
        labeled, unlabeled = load_labeled_and_unlabeled(args, seed=seed)
    else:
        labeled, unlabeled = load_labeled(args, seed=seed), []
    vectors = _vector_sources(args, seed, unlabeled)
    fine_tune = {"frozen": (False,), "tuned": (True,), "both": (False, True)}
    # dict.fromkeys drops repeated grid values and keeps the order given.
    grid = SelectionGrid(
        hidden_sizes=tuple(dict.fromkeys(args.hidden_sizes)),
        weight_decays=tuple(dict.fromkeys(args.weight_decays)),
        features=tuple(dict.fromkeys(args.features)),
        fine_tune=fine_tune[args.fine_tune],
    )
    candidates = build_candidates(grid, vectors)
    if not candidates:
        raise ValueError(
            "no candidates to score: the sif feature needs word counts, which "
            "the --vectors files lack; add mean or tfidf to --features, add "
            "--pretrain or --gensim, or pass an SGNS model from `embedsent "
            "pretrain --save-model` to --vectors"
        )
    if args.out and all(candidate.fine_tune for candidate in candidates):
        raise ValueError(
            "--out saves a frozen-vector model, but --fine-tune tuned scores "
            "fine-tuned candidates only; use --fine-tune both or frozen"
        )
    print(
        f"scoring {count_noun(len(candidates), 'candidate')} on "
        f"{len(labeled)} labeled texts",
        flush=True,
    )
    result = select_model(
        labeled.texts,
        labeled.labels,
        candidates,
        vectors=vectors,
        repeats=args.repeats,
        folds=args.folds,
        seed=seed,
    )
    # Every repetition holds out the same number of texts, so one repetition
    # of the same plan gives the count without the scores.
    held_out = cross_validation_plan(
        labeled.labels, folds=args.folds, repeats=1, seed=seed
    ).held_out_per_repeat
    print(
        f"{result.scheme}, {result.folds} folds x "
        f"{count_noun(result.repeats, 'repeat')}, "
        f"{held_out} of the {len(labeled)} texts held out and scored per repeat, "
        f"{result.seconds:.0f} s"
    )
    print(result.format_table())
    tied = tied_at_top(result)
    _print_tie(tied)
    for role, score in (("winner", result.winner), ("runner-up", result.runner_up)):
        if score is not None:
            print(
                f"{role}: {score.candidate.name}, {100 * score.mean:.1f}% "
                f"[{100 * score.low:.1f}, {100 * score.high:.1f}]"
            )
    margin = result.margin()
    if margin is not None:
        if margin["low"] is None:
            spread = "(the same on every text, so no interval)"
        else:
            low, high = (format_signed(100 * margin[end]) for end in ("low", "high"))
            spread = f"[{low}, {high}]"
        print(
            f"winner minus runner-up, paired by text: "
            f"{format_signed(100 * margin['mean_difference'])} points {spread}"
        )
    if args.json:
        # tied_at_top names the candidates that share the winner's mean, in
        # the order of the tie-break rule, or is empty without a tie.
        payload = result.to_dict()
        payload["tied_at_top"] = (
            [score.candidate.name for score in tied] if len(tied) > 1 else []
        )
        write_text_atomic(args.json, json.dumps(as_report("select", payload), indent=2))
    if args.out:
        best = next(s for s in result.scores if not s.candidate.fine_tune)
        chosen = best.candidate
        model = TransferClassifier(
            vectors[chosen.source],
            feature_method=chosen.feature,
            classifier_config=chosen.classifier_config(seed=seed),
        )
        model.fit(labeled.texts, labeled.labels)
        model.save(args.out)
        print(f"saved {chosen.name} fitted on all labeled texts to {args.out}")
    return 0


# Maximum number of tied candidates that the tie line names. It counts the rest.
_TIED_NAMES_SHOWN = 5


def _print_tie(tied) -> None:
    """Print which candidates share the top mean accuracy, if more than one."""
    if len(tied) < 2:
        return
    names = ", ".join(score.candidate.name for score in tied[:_TIED_NAMES_SHOWN])
    if len(tied) > _TIED_NAMES_SHOWN:
        names += f" and {len(tied) - _TIED_NAMES_SHOWN} more"
    print(
        f"tie: {len(tied)} candidates share the top mean accuracy of "
        f"{100 * tied[0].mean:.1f}%: {names}. The winner is the one with the "
        "fewest hidden units, then the largest weight decay. Among equal heads "
        "it is the first in the grid, which lists --vectors files as given, "
        "then --pretrain and --gensim vectors, frozen before fine-tuned "
        "vectors, and features in --features order."
    )


def run_diagnose(args: argparse.Namespace) -> int:
    """Run ``embedsent diagnose``; print the report and return 0."""
    from embedsent.storage import as_report, write_text_atomic

    seed = getattr(args, "seed", 0)
    model = TransferClassifier.load(args.model)
    labeled = load_labeled(args, seed=seed)
    # Checked before the cross-validation, which would run first otherwise.
    check_known_labels(list(labeled.labels), model.classes_, f"--data {args.data}")
    report = diagnose(
        model,
        labeled.texts,
        labeled.labels,
        folds=args.folds,
        repeats=args.repeats,
        seed=seed,
    )
    print(report.format_text())
    # The JSON report goes first, so a failed plot write does not lose it.
    if args.json:
        report_json = json.dumps(as_report("diagnose", report.to_dict()), indent=2)
        write_text_atomic(args.json, report_json)
    if args.plot:
        plot_reliability(report.calibration, args.plot)
        print(f"wrote reliability diagram to {args.plot}")
    return 0
