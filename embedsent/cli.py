"""Command-line interface: the `embedsent` command and its subcommands.

This is the only module that configures logging handlers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["main", "build_parser"]

logger = logging.getLogger("embedsent.cli")


def _add_sgns_options(parser: argparse.ArgumentParser, defaults) -> None:
    group = parser.add_argument_group("word-vector pretraining (SGNS)")
    group.add_argument(
        "--dim",
        type=int,
        default=defaults.dim,
        help="word vector dimension (default: %(default)s)",
    )
    group.add_argument(
        "--window",
        type=int,
        default=defaults.window,
        help="maximum context distance in tokens (default: %(default)s)",
    )
    group.add_argument(
        "--negative",
        type=int,
        default=defaults.negative,
        help="noise words per context pair (default: %(default)s)",
    )
    group.add_argument(
        "--epochs",
        type=int,
        default=defaults.epochs,
        help="passes over the unlabeled corpus (default: %(default)s)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=defaults.alpha,
        help="initial learning rate, decayed linearly (default: %(default)s)",
    )
    group.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="center words per step (default: %(default)s)",
    )
    group.add_argument(
        "--min-count",
        type=int,
        default=5,
        help="drop words seen fewer times (default: %(default)s)",
    )
    group.add_argument(
        "--max-vocab-size",
        type=int,
        default=None,
        help="keep at most this many words (default: all)",
    )
    group.add_argument(
        "--sample",
        type=float,
        default=1e-3,
        help="frequent-word subsampling threshold, 0 disables (default: %(default)s)",
    )


def _add_classifier_options(parser: argparse.ArgumentParser, defaults) -> None:
    group = parser.add_argument_group("classifier")
    group.add_argument(
        "--hidden-size",
        type=int,
        default=defaults.hidden_size,
        help="hidden units, 0 for logistic regression (default: %(default)s)",
    )
    group.add_argument(
        "--classifier-epochs",
        type=int,
        default=defaults.epochs,
        help="passes over the labeled texts (default: %(default)s)",
    )
    group.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        help="Adam learning rate (default: %(default)s)",
    )
    group.add_argument(
        "--weight-decay",
        type=float,
        default=defaults.weight_decay,
        help="AdamW weight decay (default: %(default)s)",
    )
    group.add_argument(
        "--feature",
        choices=("mean", "tfidf", "sif"),
        default="mean",
        help="sentence vector: plain mean, IDF-weighted mean, or SIF "
        "(default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    from embedsent.config import ClassifierConfig, SGNSConfig

    parser = argparse.ArgumentParser(
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
        type=int,
        default=0,
        help="seed of every random choice (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
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
        "per line, a .csv/.jsonl file with a text column, or "
        "'default'",
    )
    pretrain.add_argument("--out", required=True, help="output vectors file")
    pretrain.add_argument(
        "--binary", action="store_true", help="write word2vec binary instead of text"
    )
    pretrain.add_argument(
        "--checkpoint",
        default=None,
        help="checkpoint file, written every --checkpoint-every seconds and at "
        "each epoch end; a rerun with the same settings resumes from it "
        "(default: no checkpoints)",
    )
    pretrain.add_argument(
        "--checkpoint-every",
        type=float,
        default=300.0,
        help="seconds between checkpoints within an epoch (default: %(default)s)",
    )
    pretrain.add_argument(
        "--save-model",
        default=None,
        help="also write the full SGNS model (both tables, vocabulary counts) "
        "to this .npz file, so training can continue later (default: not saved)",
    )
    pretrain.add_argument(
        "--continue-from",
        default=None,
        help="an SGNS model from --save-model to train further on --data; new "
        "words are added to its vocabulary and its dim is kept; "
        "--checkpoint does not apply (default: train from scratch)",
    )
    _add_sgns_options(pretrain, SGNSConfig())

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
        "text, or a gensim KeyedVectors file",
    )
    train.add_argument(
        "--vectors-format",
        choices=("auto", "word2vec", "word2vec-binary", "glove", "gensim"),
        default="auto",
        help="format of --vectors; 'gensim' unpickles, so load only trusted "
        "files (default: %(default)s, from the suffix and first line)",
    )
    train.add_argument(
        "--vectors-encoding",
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
        help=".csv/.jsonl with text and label columns, an aclImdb "
        "folder or .tar.gz (its train split), or 'default'",
    )
    train.add_argument("--text-column", default="text")
    train.add_argument("--label-column", default="label")
    train.add_argument("--out", required=True, help="output model file (.npz)")
    _add_classifier_options(train, ClassifierConfig())

    predict = commands.add_parser(
        "predict",
        help="label texts with a saved model",
        description="Read texts (one per line) from files or stdin and write one "
        "JSON object per line with the label and class probabilities.",
    )
    predict.add_argument("--model", required=True, help="model file from `train`")
    predict.add_argument(
        "inputs",
        nargs="*",
        default=["-"],
        help="text files, one text per line; '-' is stdin (default)",
    )

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
        default=["8", "16", "32", "64", "128", "512", "all"],
        help="labeled sizes; 'all' uses every training text "
        "(default: 8 16 32 64 128 512 all)",
    )
    compare.add_argument(
        "--draws",
        type=int,
        default=5,
        help="balanced random draws per size (default: %(default)s)",
    )
    compare.add_argument(
        "--max-per-class",
        type=int,
        default=None,
        help="use at most this many labeled texts per class and split (default: all)",
    )
    compare.add_argument(
        "--max-unlabeled",
        type=int,
        default=None,
        help="use at most this many unlabeled texts (default: all)",
    )
    compare.add_argument(
        "--gensim-workers",
        type=int,
        default=2,
        help="gensim threads; only 1 is bit-reproducible (default: %(default)s)",
    )
    compare.add_argument(
        "--json",
        default=None,
        help="also write every run and the summary to this JSON file",
    )
    _add_sgns_options(compare, SGNSConfig())
    _add_classifier_options(compare, ClassifierConfig())

    bench = commands.add_parser(
        "bench",
        help="time the SGNS trainer against gensim",
        description="Train embedsent and gensim Word2Vec on the same IMDB token "
        "stream with the same hyperparameters, alternating trainers in child "
        "processes; print median raw words/s, the embedsent/gensim ratio, peak "
        "memory and vector quality.",
    )
    bench.add_argument("target", choices=("sgns",), help="what to benchmark")
    bench.add_argument(
        "--data",
        default="../shared/data/aclImdb-partial.tar.gz",
        help="aclImdb folder or .tar.gz whose unlabeled reviews are the corpus "
        "(default: %(default)s)",
    )
    bench.add_argument(
        "--bench-epochs",
        type=int,
        nargs="+",
        default=[1, 5],
        help="epoch counts to time (default: 1 5)",
    )
    bench.add_argument(
        "--repeats", type=int, default=3, help="trials per setting (default: 3)"
    )
    bench.add_argument(
        "--gensim-workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="gensim thread counts to time (default: 1 2)",
    )
    bench.add_argument(
        "--max-docs",
        type=int,
        default=None,
        help="use at most this many unlabeled reviews (default: all)",
    )
    bench.add_argument(
        "--sweeps",
        nargs="*",
        default=[],
        choices=("corpus", "vocab", "dim"),
        help="scaling sweeps: corpus 1x/2x/4x, vocabulary 10k-1M, dim 50-300 "
        "(default: none)",
    )
    bench.add_argument(
        "--platform",
        choices=("cpu", "gpu"),
        default="cpu",
        help="JAX platform for embedsent (default: %(default)s)",
    )
    bench.add_argument(
        "--devices",
        type=int,
        default=1,
        help="devices for embedsent, data-parallel; on CPU they are simulated "
        "host devices sharing the cores (default: %(default)s)",
    )
    bench.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        help="embedsent centers per step (default: %(default)s)",
    )
    bench.add_argument(
        "--json", default=None, help="write every trial and the summary here"
    )

    serve = commands.add_parser(
        "serve",
        help="serve predictions over HTTP from a saved model",
        description="Serve a saved model over HTTP until Ctrl-C. GET /health "
        'returns the status and classes; POST /predict takes {"texts": [...]} '
        "as JSON and returns one label and class probabilities per text. "
        "Warning: a --host other than a loopback address such as 127.0.0.1 "
        "exposes the model to the network, without authentication.",
    )
    serve.add_argument("--model", required=True, help="model file from `train`")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; a non-loopback address (e.g. 0.0.0.0) "
        "exposes the model to the network (default: %(default)s)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=8000,
        help="TCP port, 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=10_000_000,
        help="maximum request body size in bytes (default: %(default)s)",
    )
    serve.add_argument(
        "--max-texts",
        type=int,
        default=10_000,
        help="maximum number of texts per request (default: %(default)s)",
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


def _configs(args, seed: int):
    from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig

    sgns = None
    vocab = None
    if hasattr(args, "dim"):
        sgns = SGNSConfig(
            dim=args.dim,
            window=args.window,
            negative=args.negative,
            epochs=args.epochs,
            alpha=args.alpha,
            batch_size=args.batch_size,
            seed=seed,
        )
        vocab = VocabConfig(
            min_count=args.min_count,
            max_vocab_size=args.max_vocab_size,
            sample=args.sample,
        )
    classifier = None
    if hasattr(args, "hidden_size"):
        classifier = ClassifierConfig(
            hidden_size=args.hidden_size,
            epochs=args.classifier_epochs,
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            seed=seed,
        )
    return sgns, vocab, classifier


def _load_corpus(spec: str, args):
    from embedsent.datasets import load_aclimdb, load_default_corpus

    if spec == "default":
        return load_default_corpus(getattr(args, "data_dir", None))
    return load_aclimdb(
        spec,
        max_per_class=getattr(args, "max_per_class", None),
        max_unlabeled=getattr(args, "max_unlabeled", None),
        seed=args.seed,
        progress=not args.no_progress,
    )


def _load_unlabeled_texts(spec: str, args) -> list[str]:
    from embedsent.datasets import load_table

    path = Path(spec)
    if spec != "default" and path.suffix.lower() == ".txt":
        with open(path, encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.strip()]
    if spec != "default" and path.suffix.lower() in {
        ".csv",
        ".tsv",
        ".jsonl",
        ".ndjson",
        ".json",
    }:
        return list(load_table(path, label_column=None))
    corpus = _load_corpus(spec, args)
    return list(corpus.unlabeled) + list(corpus.train.texts)


def _load_labeled(spec: str, args):
    from embedsent.datasets import load_table

    path = Path(spec)
    if spec != "default" and path.suffix.lower() in {
        ".csv",
        ".tsv",
        ".jsonl",
        ".ndjson",
        ".json",
    }:
        return load_table(
            path, text_column=args.text_column, label_column=args.label_column
        )
    return _load_corpus(spec, args).train


def run_demo(args) -> int:
    from embedsent.baseline import TfidfLogisticRegression
    from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
    from embedsent.datasets import load_default_corpus
    from embedsent.pipeline import TransferClassifier, pretrain, random_vectors
    from embedsent.text import tokenize_corpus

    started = time.perf_counter()
    corpus = load_default_corpus(args.data_dir)
    texts = list(corpus.unlabeled) + list(corpus.train.texts)
    sgns = SGNSConfig(
        dim=50,
        window=5,
        epochs=100,
        batch_size=64,
        negative_group=16,
        steps_per_call=8,
        seed=args.seed,
    )
    vocab = VocabConfig(min_count=2, sample=0.0)
    vectors = pretrain(texts, vocab_config=vocab, sgns_config=sgns)
    classifier = ClassifierConfig(seed=args.seed)
    train, test = corpus.train, corpus.test
    rows = []
    transfer = TransferClassifier(vectors, classifier_config=classifier)
    transfer.fit(train.texts, train.labels)
    rows.append(
        ("transfer (pretrained JAX vectors)", transfer.score(test.texts, test.labels))
    )
    scratch = TransferClassifier(
        random_vectors(vectors, args.seed), classifier_config=classifier
    )
    scratch.fit(train.texts, train.labels)
    rows.append(("scratch (untrained vectors)", scratch.score(test.texts, test.labels)))
    tfidf = TfidfLogisticRegression(seed=args.seed)
    tfidf.fit(tokenize_corpus(train.texts), list(train.labels))
    rows.append(
        (
            "TF-IDF + logistic regression",
            tfidf.score(tokenize_corpus(test.texts), list(test.labels)),
        )
    )
    print(
        f"embedsent demo: pretrained on {len(texts)} texts "
        f"({len(vectors)} words, dim {vectors.dim}), trained on {len(train)} "
        f"labeled, tested on {len(test)}"
    )
    for name, accuracy in rows:
        print(f"  {name:<36} {100 * accuracy:5.1f}% test accuracy")
    print(f"finished in {time.perf_counter() - started:.1f} s")
    return 0


def run_pretrain(args) -> int:
    from embedsent.config import TextConfig
    from embedsent.text import tokenize_corpus
    from embedsent.trainer import (
        Checkpointing,
        SGNSModel,
        continue_training,
        train_sgns,
    )

    sgns, vocab, _ = _configs(args, args.seed)
    texts = _load_unlabeled_texts(args.data, args)
    progress = not args.no_progress
    tokens = tokenize_corpus(texts, TextConfig(), progress=progress)
    if args.continue_from:
        base = SGNSModel.load(args.continue_from)
        # The tables keep their dimension; --dim does not apply here.
        sgns = dataclasses.replace(sgns, dim=base.config.dim)
        model = continue_training(base, tokens, sgns, progress=progress)
        print(
            f"continued {args.continue_from}: {len(model.vocab) - len(base.vocab)} "
            "new words"
        )
    else:
        checkpoint = None
        if args.checkpoint:
            checkpoint = Checkpointing(Path(args.checkpoint), args.checkpoint_every)
        model = train_sgns(
            tokens, sgns, vocab, progress=progress, checkpoint=checkpoint
        )
    vectors = model.word_vectors()
    vectors.save_word2vec(args.out, binary=args.binary)
    if args.save_model:
        model.save(args.save_model)
    print(f"wrote {len(vectors)} word vectors of dim {vectors.dim} to {args.out}")
    return 0


def run_train(args) -> int:
    from embedsent.pipeline import TransferClassifier
    from embedsent.vectors import WordVectors

    _, _, classifier = _configs(args, args.seed)
    vectors = WordVectors.load(
        args.vectors,
        format=args.vectors_format,
        encoding=args.vectors_encoding,
        errors=args.vectors_errors,
    )
    labeled = _load_labeled(args.data, args)
    model = TransferClassifier(
        vectors, feature_method=args.feature, classifier_config=classifier
    )
    model.fit(labeled.texts, labeled.labels)
    model.save(args.out)
    head = model.classifier.n_parameters
    print(
        f"trained on {len(labeled)} texts, classes {model.classes_}, "
        f"{head} classifier parameters, train accuracy "
        f"{100 * model.score(labeled.texts, labeled.labels):.1f}%; saved {args.out}"
    )
    return 0


def run_predict(args) -> int:
    from embedsent.pipeline import TransferClassifier

    model = TransferClassifier.load(args.model)
    for name in args.inputs:
        if name == "-":
            opened = contextlib.nullcontext(sys.stdin)
        else:
            opened = open(name, encoding="utf-8")
        with opened as handle:
            texts = [line.rstrip("\n") for line in handle]
        if not texts:
            continue
        probabilities = model.classifier.predict_proba(model.features(texts))
        for text, row in zip(texts, probabilities, strict=True):
            best = int(np.argmax(row))
            record = {
                "text": text,
                "label": model.classes_[best],
                "probabilities": {
                    str(c): float(p) for c, p in zip(model.classes_, row, strict=True)
                },
            }
            print(json.dumps(record, ensure_ascii=False))
    return 0


def run_compare(args) -> int:
    from embedsent.compare import (
        CompareConfig,
        format_similarity,
        run_comparison,
        select_sizes,
    )

    sgns, vocab, classifier = _configs(args, args.seed)
    corpus = _load_corpus(args.data, args)
    config = CompareConfig(
        sizes=select_sizes(args.sizes),
        draws=args.draws,
        feature_method=args.feature,
        gensim_workers=args.gensim_workers,
        seed=args.seed,
    )
    result = run_comparison(
        corpus,
        config,
        vocab_config=vocab,
        sgns_config=sgns,
        classifier_config=classifier,
        progress=not args.no_progress,
    )
    print(f"test accuracy (%) on {result.test_size} test texts, mean +/- std (draws)")
    print(result.format_table())
    print()
    print(format_similarity(result.similarity))
    if args.json:
        from embedsent.storage import write_text_atomic

        payload = {
            "runs": result.runs,
            "summary": result.summary(),
            "similarity": result.similarity,
            "timings": result.timings,
        }
        write_text_atomic(args.json, json.dumps(payload, indent=2))
    return 0


def run_serve(args) -> int:
    from embedsent.serve import serve

    def announce(server) -> None:
        host, port = server.server_address[:2]
        print(
            f"embedsent serve: serving {args.model} on {host} port {port}; "
            "press Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )

    try:
        serve(
            args.model,
            args.host,
            args.port,
            max_body_bytes=args.max_body_bytes,
            max_texts=args.max_texts,
            on_start=announce,
        )
    except OSError as error:
        # Also covers FileNotFoundError, in the format that main uses.
        print(f"embedsent serve: error: {error}", file=sys.stderr)
        return 2
    print("embedsent serve: stopped", file=sys.stderr)
    return 0


def run_bench(args) -> int:
    from embedsent.bench import BenchConfig, format_summary, run_benchmark
    from embedsent.storage import write_text_atomic

    config = BenchConfig(
        data=args.data,
        epochs=tuple(args.bench_epochs),
        repeats=args.repeats,
        gensim_workers=tuple(args.gensim_workers),
        max_docs=args.max_docs,
        batch_size=args.batch_size,
        n_devices=args.devices,
        platform=args.platform,
        sweeps=tuple(args.sweeps),
        seed=args.seed,
    )

    def show(record):
        if not args.no_progress:
            print(
                f"  {record['trainer']:<12} epochs={record['epochs']} "
                f"{record['words_per_second']:>10.0f} words/s",
                file=sys.stderr,
            )

    report = run_benchmark(config, progress=show)
    print(format_summary(report))
    if args.json:
        write_text_atomic(args.json, json.dumps(report, indent=2))
    return 0


COMMANDS = {
    "bench": run_bench,
    "demo": run_demo,
    "pretrain": run_pretrain,
    "train": run_train,
    "predict": run_predict,
    "compare": run_compare,
    "serve": run_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return COMMANDS[args.command](args)
    except (
        ValueError,
        TypeError,
        FileNotFoundError,
        MemoryError,
        FloatingPointError,  # raised when SGNS or classifier training diverges
    ) as error:
        print(f"embedsent {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
