"""Implementations of the ``embedsent`` subcommands.

Each ``run_*`` function takes the parsed arguments of its subcommand, calls
the library, prints the result and returns the exit status. Parsing lives in
``embedsent.cli``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from embedsent.cli_paths import TABLE_SUFFIXES

logger = logging.getLogger(__name__)


def configs(args, seed: int):
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
            repeat_damping=args.repeat_damping,
            add_context_vectors=args.add_context_vectors,
            n_devices=getattr(args, "devices", 1),
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
            standardize=args.standardize,
            seed=seed,
        )
    return sgns, vocab, classifier


def _load_corpus(
    spec: str, args, *, with_test: bool = True, with_unlabeled: bool = True
):
    """Load ``default`` or an aclImdb corpus.

    ``with_test=False`` skips aclImdb's test/ and ``with_unlabeled=False`` its
    train/unsup/, so those folders may be absent or empty.
    """
    from embedsent.datasets import limit_corpus, load_aclimdb, load_default_corpus

    limits = {
        "max_per_class": getattr(args, "max_per_class", None),
        "max_unlabeled": getattr(args, "max_unlabeled", None),
        "seed": args.seed,
    }
    if not with_unlabeled:
        limits["max_unlabeled"] = 0
    if spec == "default":
        corpus = load_default_corpus(getattr(args, "data_dir", None))
        return limit_corpus(corpus, **limits)
    return load_aclimdb(
        spec, **limits, progress=not args.no_progress, with_test=with_test
    )


def _load_unlabeled_texts(spec: str, args) -> list[str]:
    from embedsent.cli_input import read_unlabeled_file

    suffix = Path(spec).suffix.lower()
    if spec != "default" and (suffix == ".txt" or suffix in TABLE_SUFFIXES):
        return read_unlabeled_file(spec, args)
    corpus = _load_corpus(spec, args, with_test=False)
    return list(corpus.unlabeled) + list(corpus.train.texts)


def _load_labeled(spec: str, args):
    from embedsent.cli_input import load_labeled_table

    path = Path(spec)
    if spec != "default" and path.suffix.lower() in TABLE_SUFFIXES:
        return load_labeled_table(path, args)
    return _load_corpus(spec, args, with_test=False, with_unlabeled=False).train


def run_demo(args) -> int:
    from embedsent.baseline import TfidfLogisticRegression
    from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
    from embedsent.datasets import load_default_corpus
    from embedsent.pipeline import TransferClassifier, pretrain, random_vectors
    from embedsent.text import tokenize_corpus

    started = time.perf_counter()
    if args.data_dir is not None:
        from embedsent.cli_input import check_corpus_folder

        check_corpus_folder(args.data_dir)
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


def _join_processes(args) -> None:
    """Connect to the other processes when ``--coordinator-address`` is given."""
    if args.coordinator_address is None:
        if args.num_processes != 1 or args.process_id != 0:
            raise ValueError(
                f"--num-processes {args.num_processes} and --process-id "
                f"{args.process_id} need --coordinator-address HOST:PORT, the "
                "address of process 0"
            )
        return
    from embedsent.distributed import DistributedConfig, initialize

    initialize(
        DistributedConfig(
            coordinator_address=args.coordinator_address,
            num_processes=args.num_processes,
            process_id=args.process_id,
            initialization_timeout=args.coordinator_timeout,
        )
    )


def run_pretrain(args) -> int:
    from embedsent.cli_checks import check_devices_flag
    from embedsent.config import TextConfig
    from embedsent.text import tokenize_corpus
    from embedsent.trainer import (
        Checkpointing,
        SGNSModel,
        check_pairs_possible,
        continue_training,
        train_sgns,
    )

    passed = _fill_unset_defaults(args)
    _join_processes(args)
    check_devices_flag(args.devices)
    sgns, vocab, _ = configs(args, args.seed)
    base = None
    if args.continue_from:
        # Loaded before the texts, so a wrong file fails before tokenising.
        base = SGNSModel.load(args.continue_from)
        _warn_ignored_with_continue_from(args, base, passed)
    texts = _load_unlabeled_texts(args.data, args)
    if args.max_texts is not None and len(texts) > args.max_texts:
        # Sorted, so the sample keeps the order of the file.
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.choice(len(texts), size=args.max_texts, replace=False))
        logger.info("pretraining on %d of %d texts", args.max_texts, len(texts))
        texts = [texts[i] for i in keep]
    progress = not args.no_progress
    resumed_at = None
    if base is not None:
        tokens = tokenize_corpus(texts, TextConfig(), progress=progress)
        _check_has_tokens(args.data, texts, tokens)
        sgns = dataclasses.replace(sgns, dim=base.config.dim)
        try:
            model = continue_training(base, tokens, sgns, progress=progress)
        except ValueError as error:
            # The trainer's message advises a lower min_count, which
            # --continue-from cannot set.
            if _has_trainable_token(base, tokens):
                raise
            raise _no_trainable_token_error(args, base, tokens) from error
        print(
            f"continued {args.continue_from}: {len(model.vocab) - len(base.vocab)} "
            "new words"
        )
    else:
        checkpoint = None
        if args.checkpoint:
            every = {}
            if args.checkpoint_every is not None:
                every["every_seconds"] = args.checkpoint_every
            checkpoint = Checkpointing(Path(args.checkpoint), **every)
            # Read before training, which overwrites the checkpoint.
            resumed_at = _checkpoint_progress(checkpoint.path, sgns)
        vocabulary, encoded = _encode_texts(args.data, texts, vocab, progress)
        del texts
        # The vocabulary was built here with the --min-count and
        # --max-vocab-size settings, so the error may advise changing them.
        check_pairs_possible(encoded, len(vocabulary), False, vocab)
        model = train_sgns(
            encoded,
            sgns,
            vocab,
            vocab=vocabulary,
            progress=progress,
            checkpoint=checkpoint,
        )
    from embedsent.distributed import writes_files

    if not writes_files():
        print(f"process {args.process_id} finished; process 0 writes {args.out}")
        return 0
    vectors = model.word_vectors()
    vectors.save_word2vec(args.out, binary=args.binary)
    if args.save_model:
        try:
            model.save(args.save_model)
        except OSError as error:
            failure = type(error)(
                f"--save-model {args.save_model}: {error}. The word vectors were "
                f"saved to {args.out}; only the --save-model file is missing, and "
                "writing it needs another pretraining run"
            )
            failure.errno = error.errno
            raise failure from error
    summary = f"wrote {len(vectors)} word vectors of dim {vectors.dim} to {args.out}"
    if resumed_at is not None:
        summary += f", resumed from {args.checkpoint} at {resumed_at}"
    print(summary)
    return 0


def _fill_unset_defaults(args) -> set[str]:
    """Fill in the defaults of ``--dim``, ``--min-count`` and ``--sample`` in ``args``.

    ``pretrain`` gives these flags a None default so that ``--continue-from``
    can tell a passed value from the default. Returns the names of the flags
    that the user passed.
    """
    from embedsent.config import SGNSConfig, VocabConfig

    defaults = {
        "dim": SGNSConfig().dim,
        "min_count": VocabConfig().min_count,
        "sample": VocabConfig().sample,
    }
    passed = set()
    for name, default in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
        else:
            passed.add(name)
    return passed


def _checkpoint_progress(path: Path, config) -> str | None:
    """Describe where a run of ``config`` resumes from the checkpoint at ``path``.

    Returns None when there is no checkpoint to resume from. Only the
    metadata is read, not the tables.
    """
    from embedsent.checkpoint import RunState, describe_progress, has_checkpoint
    from embedsent.storage import META_KEY

    if not has_checkpoint(path):
        return None
    # check_input_paths has checked the file's format. A checkpoint that
    # train_sgns cannot resume from makes it raise before the summary line.
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(archive[META_KEY].tobytes())
    return describe_progress(RunState(**meta["state"]), config)


def _warn_ignored_with_continue_from(args, base, passed: set[str]) -> None:
    """Log the settings that ``--continue-from`` keeps, and warn of passed flags.

    Continued training keeps the saved model's dimension, minimum count and
    subsampling threshold, adds every new word that reaches that count, and
    writes no checkpoint. The kept settings are logged at INFO. The warning
    names --max-vocab-size and --checkpoint when given, and each flag in
    ``passed`` (names among ``dim``, ``min_count`` and ``sample``) whose value
    differs from the saved model's.
    """
    saved = base.vocab_config
    logger.info(
        "--continue-from %s keeps the saved model's dim %d, min count %d and sample %g",
        args.continue_from,
        base.config.dim,
        saved.min_count,
        saved.sample,
    )
    ignored = []
    if "dim" in passed and args.dim != base.config.dim:
        ignored.append(f"--dim {args.dim} (the model keeps its dim {base.config.dim})")
    if "min_count" in passed and args.min_count != saved.min_count:
        ignored.append(
            f"--min-count {args.min_count} (new words need the model's min count "
            f"{saved.min_count})"
        )
    if args.max_vocab_size is not None:
        ignored.append(
            f"--max-vocab-size {args.max_vocab_size} (every new word that reaches "
            "the min count is added)"
        )
    if "sample" in passed and args.sample != saved.sample:
        ignored.append(
            f"--sample {args.sample} (the model keeps its sample {saved.sample})"
        )
    if args.checkpoint:
        ignored.append(
            f"--checkpoint {args.checkpoint} (continued training writes no checkpoint)"
        )
    if ignored:
        logger.warning(
            "--continue-from %s ignores %s",
            args.continue_from,
            "; ".join(ignored),
        )


def _encode_texts(source: str, texts: list[str], vocab_config, progress: bool):
    """Tokenise ``texts`` one at a time into a vocabulary and id arrays.

    Only ids are kept, 2 or 4 bytes per token (see ``vocab.id_dtype``), so
    the token lists of the whole corpus, over ten times larger as Python
    strings, never exist at once.
    """
    from embedsent.config import TextConfig
    from embedsent.text import iter_tokenize
    from embedsent.vocab import EmptyCorpusError, build_and_encode

    _check_has_texts(source, texts)
    try:
        return build_and_encode(
            iter_tokenize(texts, TextConfig(), progress=progress), vocab_config
        )
    except EmptyCorpusError:
        raise _no_tokens_error(source, texts) from None


def _check_has_tokens(source: str, texts: list[str], tokens) -> None:
    """Raise ValueError naming ``--data`` when its texts contain no token."""
    _check_has_texts(source, texts)
    if not any(tokens):
        raise _no_tokens_error(source, texts)


def _check_has_texts(source: str, texts: list[str]) -> None:
    """Raise ValueError naming ``--data`` when it contains no texts."""
    if not texts:
        raise ValueError(
            f"--data {source} contains no texts (it is empty or has only blank "
            "lines); pass a file with one text per line"
        )


def _no_tokens_error(source: str, texts: list[str]) -> ValueError:
    return ValueError(
        f"--data {source}: its {len(texts)} texts contain no tokens after "
        "tokenisation, which drops stopwords and punctuation; pass texts with "
        "more words"
    )


def _has_trainable_token(base, tokens) -> bool:
    """Return whether ``continue_training`` of ``base`` has a token to train on.

    It trains on the words of the saved vocabulary and on the new words that
    occur at least the saved model's min count times.
    """
    counts = Counter(token for document in tokens for token in document)
    min_count = base.vocab_config.min_count
    known = base.vocab.index
    return any(word in known or count >= min_count for word, count in counts.items())


def _no_trainable_token_error(args, base, tokens) -> ValueError:
    distinct = len({token for document in tokens for token in document})
    min_count = base.vocab_config.min_count
    return ValueError(
        f"--data {args.data}: none of its {distinct} distinct words is in the "
        f"vocabulary of --continue-from {args.continue_from}, and none occurs "
        f"at least {min_count} times, the saved model's min count, so there is "
        "nothing to train on (--min-count does not change the saved model's). Pass "
        "more text, or retrain from scratch without --continue-from and with a "
        "lower --min-count"
    )


def _check_label_classes(args, labels) -> None:
    """Raise ValueError naming ``--data`` when its labels have one class only.

    ``TransferClassifier.fit`` would raise as well, but without the file and
    the label column.
    """
    classes = set(labels)
    if len(classes) != 1:
        return
    (only,) = classes
    fix = "Add labeled texts of another class"
    where = "its labels have"
    if Path(args.data).suffix.lower() in TABLE_SUFFIXES:
        fix += ", or pick the right column with --label-column"
        where = f"its label column {args.label_column!r} has"
    raise ValueError(
        f"--data {args.data}: {where} only one class {only!r}, but the "
        f"classifier needs at least two. {fix}"
    )


def run_train(args) -> int:
    from embedsent.cli_input import describe_id_like_texts, load_vectors_file
    from embedsent.parameters import describe_parameters
    from embedsent.pipeline import TransferClassifier

    _, _, classifier = configs(args, args.seed)
    vectors = load_vectors_file(args.vectors, args)
    if args.feature == "sif" and vectors.counts is None:
        raise ValueError(
            f"--feature sif weights words by their corpus counts, which "
            f"--vectors {args.vectors} does not contain (word2vec and GloVe "
            "files have none); pass --feature mean or --feature tfidf, or as "
            "--vectors an SGNS model from `embedsent pretrain --save-model` or "
            "a gensim KeyedVectors file, which store counts"
        )
    if args.feature == "sif" and not np.any(vectors.counts):
        raise ValueError(
            f"--feature sif weights words by their corpus counts, but every count "
            f"in --vectors {args.vectors} is 0; pass --feature mean or --feature "
            "tfidf, or vectors saved with their real counts"
        )
    labeled = _load_labeled(args.data, args)
    _check_label_classes(args, labeled.labels)
    model = TransferClassifier(
        vectors, feature_method=args.feature, classifier_config=classifier
    )
    hint = describe_id_like_texts(args.data, labeled.texts, args)
    try:
        model.fit(labeled.texts, labeled.labels)
    except ValueError as error:
        # Ids in the text column leave no text with a token in the vectors.
        if hint is None:
            raise
        raise ValueError(f"{error}. {hint}") from error
    if hint is not None:
        # Vectors that contain numbers fit an id column without an error.
        logger.warning("%s", hint)
    model.save(args.out)
    # fit has warned of the labeled texts with no in-vocabulary token, and
    # score would warn of the same texts again, as class-prior predictions.
    accuracy = model.score(labeled.texts, labeled.labels, warn_empty=False)
    print(
        f"trained on {len(labeled)} texts, classes {model.classes_}, train "
        f"accuracy {100 * accuracy:.1f}%; saved {args.out}"
    )
    print(describe_parameters(model))
    return 0


def run_predict(args) -> int:
    from embedsent.cli_input import read_predict_texts, warn_about_predict_input
    from embedsent.console import flush_output, print_output
    from embedsent.pipeline import TransferClassifier

    model = TransferClassifier.load(args.model)
    # Every input is read before the first prediction is written, so a missing
    # or malformed later input leaves no partial output.
    inputs = [(name, read_predict_texts(name, args)) for name in args.inputs]
    for name, texts in inputs:
        warn_about_predict_input(name, texts)
        if not texts:
            continue
        for text, record in zip(texts, model.prediction_records(texts), strict=True):
            record = {"text": text, **record}
            print_output(json_line(record), "the predictions")
    flush_output("the predictions")
    return 0


# Characters that json.dumps(ensure_ascii=False) writes raw but that
# Python's str.splitlines and other Unicode-aware readers treat as line
# breaks, which would split one JSON Lines record into several.
_LINE_BREAK_ESCAPES = str.maketrans(
    {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def json_line(record: dict) -> str:
    """Return ``record`` as one JSON Lines line, keeping non-ASCII text readable.

    NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are escaped as ``\\uXXXX``,
    so a reader that splits on every Unicode line break gets one record per
    line.
    """
    return json.dumps(record, ensure_ascii=False).translate(_LINE_BREAK_ESCAPES)


def run_compare(args) -> int:
    from embedsent.cli_checks import check_devices_flag
    from embedsent.cli_input import check_sample_size
    from embedsent.compare import (
        CompareConfig,
        comparison_json,
        format_similarity,
        run_comparison,
        select_sizes,
    )

    check_devices_flag(args.devices)
    sgns, vocab, classifier = configs(args, args.seed)
    corpus = _load_corpus(args.data, args)
    sizes = select_sizes(args.sizes)
    for size in sizes:
        # 0 stands for every training text.
        check_sample_size(corpus.train, size or len(corpus.train), "--sizes")
    config = CompareConfig(
        sizes=sizes,
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
    pairs = [
        ("transfer", "transfer_gensim"),
        ("transfer", "tfidf_lr"),
        ("transfer", "scratch"),
    ]
    # The file is written before anything is printed, so a reader that closes
    # the pipe early, such as `| head`, does not lose it.
    if args.json:
        from embedsent.storage import as_report, write_text_atomic

        paired = []
        for method, reference in pairs:
            paired += result.paired(method, reference)
        payload = {
            "settings": {"data": str(args.data), **result.settings},
            "test_size": result.test_size,
            "runs": result.runs,
            "summary": result.summary(),
            "paired": paired,
            "similarity": result.similarity,
            "timings": result.timings,
        }
        write_text_atomic(args.json, comparison_json(as_report("compare", payload)))
    print(f"test accuracy (%) on {result.test_size} test texts, mean +/- std (draws)")
    print(result.format_table())
    print()
    print(format_similarity(result.similarity))
    for method, reference in pairs:
        table = result.format_paired(method, reference)
        if table:
            print()
            print(table)
    return 0


def run_diagnose(args) -> int:
    from embedsent.diagnose import run

    return run(args)


def run_select(args) -> int:
    from embedsent.selection import run

    return run(args)


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
            shutdown_timeout=args.shutdown_timeout,
        )
    except OSError as error:
        # Also covers FileNotFoundError, in the format that main uses.
        print(f"embedsent serve: error: {error}", file=sys.stderr)
        return 2
    print("embedsent serve: stopped", file=sys.stderr)
    return 0


def run_bench(args) -> int:
    if args.target == "transfer":
        from embedsent.curve_cli import run as run_curves

        return run_curves(args)
    from embedsent.bench import BenchConfig, format_summary, run_benchmark
    from embedsent.storage import as_report, write_text_atomic

    config = BenchConfig(
        data=None if args.tokens else args.data,
        tokens=args.tokens,
        epochs=tuple(args.bench_epochs),
        repeats=args.repeats,
        gensim_workers=tuple(args.gensim_workers),
        max_docs=args.max_docs,
        batch_size=args.batch_size,
        repeat_damping=args.repeat_damping,
        n_devices=args.devices,
        platform=args.platform,
        sweeps=tuple(args.sweeps),
        seed=args.seed,
        compile_cache=args.compile_cache,
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
        write_text_atomic(
            args.json, json.dumps(as_report("bench sgns", report), indent=2)
        )
    return 0
