"""``embedsent bench transfer``: learning curves of transfer against baselines.

:func:`run` executes the options that ``embedsent.curve_args`` defines, and
this module re-exports its :func:`add_parser` and :func:`add_arguments`. One run
tokenises the corpus, pretrains (or loads cached) JAX and gensim vectors,
measures every missing (method, feature, n, draw), runs the shipped-corpus
split experiment, and rewrites the JSON results and the PNG plots in
``--out-dir``. The JSON also stores the corpus sizes, vocabulary size and
pretraining seconds of the report, so ``--report-only`` reads the JSON alone,
never the corpus or the vectors. Only with ``--docs-dir`` does it write the
plots and the "Transfer learning curves" section of ``benchmarks.md`` into
that folder instead. ``benchmarks/bench_transfer.py``, the command that
regenerates the published figures, defaults ``--docs-dir`` to ``docs``.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from embedsent.config import (
    FEATURE_METHODS,
    ClassifierConfig,
    SGNSConfig,
    TextConfig,
    VocabConfig,
)
from embedsent.curve_args import (
    CURVES_PLOT,
    DEFAULT_DATA,
    DEFAULT_DOCS_DIR,
    DOCS_FILE,
    FEATURES_PLOT,
    RESULTS_FILE,
    add_arguments,
    add_parser,
)
from embedsent.curve_data import (
    corpus_cache_key,
    ensure_folder,
    load_tokenized_corpus,
    pretrained_vectors,
)
from embedsent.curve_output import format_summary, plot_curves, write_section
from embedsent.curve_report import describe_setup, render_section
from embedsent.curves import (
    CurveConfig,
    CurveInputs,
    run_learning_curves,
    settings_record,
)
from embedsent.finetune import FineTuneConfig
from embedsent.run_store import RunStore

__all__ = ["DEFAULT_DATA", "DEFAULT_DOCS_DIR", "add_arguments", "add_parser", "run"]

logger = logging.getLogger(__name__)

# Keys of the results file's extras that a measuring run writes for the
# report: corpus sizes and vocabulary size, and pretraining seconds by trainer.
CORPUS_EXTRA = "corpus"
TIMINGS_EXTRA = "pretraining_seconds"

# Embedding learning rates of the end-to-end methods, chosen from 1e-4, 1e-3
# and 1e-2 on 3,000 validation texts cut from the IMDB training texts (never
# the test texts), training on 32 (3 draws), 512 (2) and 2,048 (1) of the
# rest. Mean validation accuracy (%) at those sizes: transfer_finetune 74.1,
# 73.7, 70.4 at n=32; 82.5, 82.6, 81.6 at 512; 84.6, 85.8, 86.0 at 2,048.
# scratch 58.6, 58.8, 60.2; 75.2, 77.2, 68.9; 83.2, 84.6, 84.0. 1e-3 is best
# or within a point of the best everywhere, so both use it.
FINETUNE_EMBEDDING_LR = 1e-3
SCRATCH_EMBEDDING_LR = 1e-3


def _configs(args) -> dict:
    sgns = SGNSConfig(
        dim=args.dim,
        epochs=args.epochs,
        repeat_damping=args.repeat_damping,
        add_context_vectors=args.add_context_vectors,
        seed=args.seed,
    )
    vocab = VocabConfig(min_count=args.min_count)
    curve = CurveConfig(
        sizes=tuple(args.sizes),
        draws=args.draws,
        large_draws=args.large_draws,
        large_size=args.large_size,
        methods=tuple(args.methods),
        features=tuple(args.features),
        finetune_max_n=args.finetune_max_n or None,
        finetune_steps=args.finetune_steps,
        seed=args.seed,
    )
    return {
        "text": TextConfig(),
        "sgns": sgns,
        "vocab": vocab,
        "curve": curve,
        "classifier": ClassifierConfig(),
        "finetune": FineTuneConfig(embedding_learning_rate=FINETUNE_EMBEDDING_LR),
        "scratch": FineTuneConfig(embedding_learning_rate=SCRATCH_EMBEDDING_LR),
    }


def _has_runs(path: Path) -> bool:
    """Return whether the results file at ``path`` exists and lists any run."""
    try:
        with open(path, encoding="utf-8") as handle:
            return bool(json.load(handle).get("runs"))
    except RecursionError:
        # The file nests JSON too deeply to parse, so RunStore.read raises the
        # error that names the file and the fix.
        return True
    except (OSError, ValueError, AttributeError):
        return False


def _typed_sizes(sizes: Sequence[int]) -> str:
    """Return ``--sizes`` values as the command line gives them, 0 as "all"."""
    return " ".join("all" if size == 0 else str(size) for size in sizes)


def _warn_few_sizes(sizes: Sequence[int], n_train: int, stored: Sequence[dict]) -> None:
    """Log a warning when the runs will cover fewer than 3 labeled sizes.

    ``sizes`` are the ``--sizes`` values, ``n_train`` the number of training
    texts, which caps every size, and ``stored`` the runs already in the
    results file, whose sizes the curve fits use too.
    """
    measured = {min(size, n_train) if size else n_train for size in sizes}
    measured |= {run["n"] for run in stored}
    if len(measured) >= 3:
        return
    capped = any(size == 0 or size > n_train for size in sizes)
    cause = (
        f"--data has {n_train} training texts, which caps every size, so "
        if capped
        else ""
    )
    logger.warning(
        "--sizes %s: %sthe runs cover %d size(s) (%s), and a learning curve "
        "needs 3 or more to be fitted; pass 3 or more sizes up to %d",
        _typed_sizes(sizes),
        cause,
        len(measured),
        ", ".join(map(str, sorted(measured))),
        n_train,
    )


def run(args) -> int:
    """Run ``embedsent bench transfer`` with parsed ``args``; return the exit code.

    ``args`` comes from a parser built with :func:`add_arguments`, whose
    types check the ranges of --target-accuracy and --toy-splits.
    """
    results = Path(args.out_dir) / RESULTS_FILE
    if args.report_only:
        return _report_only(args, results)

    configs = _configs(args)
    curve: CurveConfig = configs["curve"]
    progress = not args.no_progress
    started = time.perf_counter()
    corpus_key = corpus_cache_key(
        args.data,
        max_per_class=args.max_per_class,
        max_unlabeled=args.max_unlabeled,
        seed=args.seed,
        text_config=configs["text"],
    )
    # Every stored setting is known here, so a results file written with
    # other settings is rejected before tokenising and pretraining.
    store = RunStore(results, _settings(configs, corpus_key, args.gensim_workers))
    # The folders are created, and their permissions checked, before the
    # corpus is tokenised, because that and pretraining take minutes.
    out_dir = ensure_folder(args.out_dir, "--out-dir")
    cache_dir = ensure_folder(out_dir / "cache", "--out-dir")
    docs_dir = ensure_folder(args.docs_dir, "--docs-dir") if args.docs_dir else None

    corpus, loaded_key = load_tokenized_corpus(
        args.data,
        max_per_class=args.max_per_class,
        max_unlabeled=args.max_unlabeled,
        seed=args.seed,
        text_config=configs["text"],
        cache_dir=cache_dir,
        progress=progress,
    )
    if loaded_key != corpus_key:
        # The data file changed after the settings were checked.
        raise ValueError(
            f"--data {args.data} changed while the benchmark was starting "
            f"(cache key {corpus_key}, then {loaded_key}); run it again"
        )
    _warn_few_sizes(args.sizes, len(corpus.train_labels), store.runs)
    vectors, timings = _load_vectors(args, configs, corpus, corpus_key, cache_dir)
    inputs = CurveInputs(
        corpus=corpus,
        vectors=vectors,
        classifier_config=configs["classifier"],
        finetune_config=configs["finetune"],
        scratch_config=configs["scratch"],
    )
    _record_corpus(store, corpus, vectors, timings)
    store.data["extras"]["command"] = getattr(
        args, "command_line", shlex.join(["embedsent", *sys.argv[1:]])
    )
    measured = run_learning_curves(inputs, curve, store, progress=progress)
    logger.info("measured %d runs", measured)
    if args.toy_splits and _stored_toy_splits(store) != args.toy_splits:
        # The shipped-corpus experiment is not part of the stored settings,
        # so another --toy-splits replaces its stored result.
        from embedsent.toy_experiment import ToyConfig, run_toy_experiment

        toy = run_toy_experiment(
            ToyConfig(splits=args.toy_splits, seed=args.seed), progress=progress
        )
        store.set_extra("toy", toy)
    store.save()
    _report(args, store, out_dir, docs_dir, started)
    return 0


def _report_only(args, results: Path) -> int:
    """Write the plots, and with ``--docs-dir`` the section, from stored runs.

    Neither the corpus nor the vectors are loaded. The run settings given on
    the command line are not compared with the stored ones, because the
    report describes the settings that the results file contains.
    """
    if not _has_runs(results):
        # Writing a report from no runs would replace the plots, and the
        # published tables in --docs-dir, with empty ones.
        raise ValueError(
            f"--report-only: {results} has no measured runs to report; run "
            "without --report-only first, or pass the --out-dir that holds them"
        )
    started = time.perf_counter()
    store = RunStore.read(results)
    if args.docs_dir:
        docs_dir = ensure_folder(args.docs_dir, "--docs-dir")
    else:
        # The plots go next to the results file.
        docs_dir = None
        ensure_folder(results.parent, "--out-dir")
    _report(args, store, results.parent, docs_dir, started)
    return 0


def _settings(configs: dict, corpus_key: str, gensim_workers: int) -> dict:
    """Return the settings record that the results file must match."""
    return settings_record(
        configs["curve"],
        classifier_config=configs["classifier"],
        finetune_config=configs["finetune"],
        scratch_config=configs["scratch"],
        corpus=corpus_key,
        sgns=asdict(configs["sgns"]),
        vocab=asdict(configs["vocab"]),
        gensim_workers=gensim_workers,
    )


def _load_vectors(args, configs, corpus, corpus_key, cache_dir):
    """Pretrain, or read from the cache, the vectors that the methods need.

    Returns:
        The vectors by source (``jax``, ``random``, ``gensim``) and the
        pretraining seconds by trainer.
    """
    needed = set(configs["curve"].methods)
    vectors = {}
    timings = {}
    if needed & {"transfer", "transfer_finetune", "scratch"}:
        vectors["jax"], timings["jax"] = pretrained_vectors(
            "jax",
            corpus.pretrain_tokens,
            sgns_config=configs["sgns"],
            vocab_config=configs["vocab"],
            corpus_key=corpus_key,
            cache_dir=cache_dir,
            progress=not args.no_progress,
        )
        from embedsent.pipeline import random_vectors

        vectors["random"] = random_vectors(vectors["jax"], args.seed)
    if "transfer_gensim" in needed:
        vectors["gensim"], timings["gensim"] = pretrained_vectors(
            "gensim",
            corpus.pretrain_tokens,
            sgns_config=configs["sgns"],
            vocab_config=configs["vocab"],
            corpus_key=corpus_key,
            cache_dir=cache_dir,
            gensim_workers=args.gensim_workers,
        )
    return vectors, timings


def _record_corpus(store: RunStore, corpus, vectors: dict, timings: dict) -> None:
    """Store the corpus sizes and pretraining seconds that the report shows.

    A run that loads no JAX vectors keeps the stored vocabulary size, and
    the pretraining seconds of a trainer it does not run stay as stored.
    Equal settings give equal figures, so merging them is safe.
    """
    extras = store.data["extras"]
    vocabulary = extras.get(CORPUS_EXTRA, {}).get("vocabulary")
    if "jax" in vectors:
        vocabulary = len(vectors["jax"].words)
    extras[CORPUS_EXTRA] = {
        "name": corpus.name,
        "train": len(corpus.train_labels),
        "test": len(corpus.test_labels),
        "unlabeled": len(corpus.unlabeled),
        "vocabulary": vocabulary,
    }
    extras[TIMINGS_EXTRA] = {**extras.get(TIMINGS_EXTRA, {}), **timings}


def _stored_corpus(store: RunStore) -> dict:
    """Return the corpus figures of the results file, or a fallback for old files.

    Files written before the figures were stored get None for each figure
    except the number of training texts, which the "all" runs give, if any.
    """
    stored = store.data["extras"].get(CORPUS_EXTRA)
    if stored is not None:
        return stored
    logger.warning(
        "%s records no corpus sizes or pretraining times (an older embedsent "
        "wrote it), so the report leaves them out; rerun without --report-only "
        "with the same settings to record them",
        store.path,
    )
    all_sizes = [run["n"] for run in store.runs if run.get("size") == "all"]
    return {
        "name": None,
        "train": max(all_sizes) if all_sizes else None,
        "test": None,
        "unlabeled": None,
        "vocabulary": None,
    }


def _stored_toy_splits(store: RunStore) -> int | None:
    """Return the splits of the stored shipped-corpus experiment, if any."""
    toy = store.data["extras"].get("toy")
    return None if toy is None else toy["settings"]["splits"]


def format_toy_summary(toy: dict) -> str:
    """Format the shipped-corpus experiment of ``toy`` as console lines."""
    settings = toy["settings"]
    small = settings["n_small_test"]
    lines = [
        f"shipped corpus: {settings['splits']} random splits into "
        f"{settings['n_train']} training and {settings['n_test']} test reviews, "
        "mean accuracy (%) [95% interval]. Pretraining reads the unlabeled "
        "reviews only, so that no split's test reviews are in it; `embedsent "
        "demo` adds its 8 training reviews and scores higher:"
    ]
    for method, entry in toy["methods"].items():
        stats = entry["summary"]
        if stats["low"] is None:
            # Splits that all score the same have no t interval.
            interval = "[no spread between splits]"
        else:
            interval = f"[{100 * stats['low']:.1f}, {100 * stats['high']:.1f}]"
        lines.append(
            f"  {method:<26} {100 * stats['mean']:.1f} {interval}; the shipped split: "
            f"{100 * entry['shipped_split']:.1f}; splits whose first {small} "
            f"test reviews are all right: "
            f"{100 * entry['small_test_perfect_share']:.0f}%"
        )
    lines.append(
        f"  a coin flip scores 100% on {small} test reviews with probability "
        f"{100 * toy['coin_flip_perfect']:.0f}%"
    )
    return "\n".join(lines)


def _report(args, store: RunStore, out_dir: Path, docs_dir, started: float) -> None:
    """Write the plots and the docs section, and print the summary."""
    corpus = _stored_corpus(store)
    timings = store.data["extras"].get(TIMINGS_EXTRA, {})
    _write_outputs(args, store, docs_dir or out_dir, corpus, timings)
    is_imdb = corpus["name"] == "aclImdb"
    print(format_summary(store.runs, args.target_accuracy, is_imdb))
    toy = store.data["extras"].get("toy")
    if toy is not None:
        print(format_toy_summary(toy))
    if docs_dir is None:
        written = f"plots: {out_dir}; docs: not written (pass --docs-dir DIR)"
    else:
        written = f"plots: {docs_dir}; docs: {docs_dir / DOCS_FILE}"
    print(f"results: {store.path}; {written} ({time.perf_counter() - started:.0f} s)")


def _write_outputs(args, store, plot_dir: Path, corpus_sizes, timings) -> None:
    """Draw the plots into ``plot_dir``; with ``--docs-dir``, write the section."""
    runs = store.runs
    main_series = [
        ("scratch", "mean"),
        ("tfidf_lr", "ngrams"),
        ("transfer", "mean"),
        ("transfer_gensim", "mean"),
        ("transfer_finetune", "mean"),
    ]
    feature_series = [
        (method, feature)
        for method in ("transfer", "transfer_gensim")
        for feature in FEATURE_METHODS
    ]
    plot_curves(
        runs, plot_dir / CURVES_PLOT, main_series, "Test accuracy by labeled size"
    )
    plot_curves(runs, plot_dir / FEATURES_PLOT, feature_series, "Sentence features")
    if not args.docs_dir:
        return
    section = render_section(
        runs,
        n_train=corpus_sizes["train"],
        target=args.target_accuracy,
        intro=describe_setup(store.data, corpus_sizes, timings),
        toy=store.data["extras"].get("toy"),
        images=[CURVES_PLOT, FEATURES_PLOT],
        check=corpus_sizes["name"] == "aclImdb",
    )
    write_section(plot_dir / DOCS_FILE, section)
