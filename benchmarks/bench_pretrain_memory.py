"""Peak memory of pretraining from raw texts: embedsent and gensim, each its own way.

``python benchmarks/bench_pretrain_memory.py [--data PATH] [--epochs N]``

``embedsent bench sgns`` hands both trainers the same token lists, so it
measures the trainers alone. A user starts from texts instead. This script
runs each way of getting from the same texts to word vectors in a fresh
process and reads that process's peak resident memory (``VmHWM``):

- ``embedsent-stream``: what ``embedsent pretrain`` does. Texts are tokenised
  one at a time into id arrays (``build_and_encode``), and the texts are
  dropped before training.
- ``embedsent-lists``: ``tokenize_corpus`` into token lists, then
  ``train_sgns`` on the lists.
- ``gensim-lists``: the same token lists to gensim's ``Word2Vec``, the usual
  way to call it. Both gensim modes call gensim directly, without JAX.
- ``gensim-stream``: gensim reads a corpus object that tokenises the texts
  again on every pass, gensim's way to save memory. It tokenises the corpus
  once per epoch and once more for the vocabulary.

``--data`` takes the inputs of ``embedsent pretrain``: an aclImdb folder or
tar archive (its unlabeled plus training texts, not its test texts), a
``.txt`` file with one text per line, a ``.csv``/``.tsv``/``.jsonl`` file
whose ``text`` column contains the texts, or ``default`` for the shipped
corpus. All four modes use the same SGNS and vocabulary settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from embedsent.bench import MAX_GENSIM_WORKERS
from embedsent.cli_types import MAX_SGNS_EPOCHS, ascii_number
from embedsent.console import INTERRUPTED_STATUS

MODES = ("embedsent-stream", "embedsent-lists", "gensim-lists", "gensim-stream")
# The table suffixes that `embedsent pretrain --data` reads as tables.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
ACCEPTED_DATA = (
    "pass an aclImdb folder or tar archive (.tar.gz), a .txt file with one "
    "text per line, a .csv/.tsv/.jsonl file with a 'text' column, or 'default'"
)

logger = logging.getLogger("bench_pretrain_memory")

# Results are written only when every mode has run, so nothing is kept.
INTERRUPTED_MESSAGE = (
    "bench_pretrain_memory: interrupted; nothing was written, so a rerun "
    "reuses nothing and runs every mode again"
)


def check_data(data: str) -> str | None:
    """Return why ``--data`` cannot be read, or None when its kind is accepted.

    The check reads at most an archive's first member header, so it runs
    before any mode. A folder or archive that is not a complete aclImdb
    dataset still fails when a mode loads it.
    """
    if data == "default":
        return None
    path = Path(data)
    if not path.exists():
        return f"--data {data} does not exist; {ACCEPTED_DATA}"
    if path.is_dir():
        if (path / "train").is_dir() or (path / "aclImdb" / "train").is_dir():
            return None
        return (
            f"--data {data} is a folder without train/ or aclImdb/train/, so it "
            f"is not an aclImdb dataset; {ACCEPTED_DATA}"
        )
    if path.suffix.lower() in (".txt", *TABLE_SUFFIXES):
        return None
    try:
        is_archive = tarfile.is_tarfile(path)
    except OSError as error:
        return f"--data {data} cannot be read ({error.strerror}); {ACCEPTED_DATA}"
    if is_archive:
        return None
    return f"--data {data} is not a tar archive, .txt or table file; {ACCEPTED_DATA}"


def _load_texts(data: str) -> list[str]:
    from embedsent.datasets import load_aclimdb, load_default_corpus, load_table

    path = Path(data)
    if data != "default" and path.suffix.lower() == ".txt":
        from embedsent.cli_input import read_texts

        return read_texts(data, encoding="utf-8", errors="strict")
    if data != "default" and path.suffix.lower() in TABLE_SUFFIXES:
        return list(load_table(path, label_column=None))
    if data == "default":
        corpus = load_default_corpus()
    else:
        corpus = load_aclimdb(data, with_test=False)
    return list(corpus.unlabeled) + list(corpus.train.texts)


class _TokenisingCorpus:
    """Tokenise the texts again on every pass, as a gensim streaming corpus does."""

    def __init__(self, texts: list[str]):
        self.texts = texts

    def __iter__(self):
        from embedsent.text import iter_tokenize

        return iter_tokenize(self.texts)


def _train_gensim(sentences, sgns, vocab_config, workers: int) -> int:
    """Train gensim's Word2Vec on ``sentences`` and return its vocabulary size.

    The steps are those of ``Word2Vec(sentences=...)``, with a check between
    them, because gensim's own error for an empty vocabulary is a
    RuntimeError about the order of calls. gensim is called directly, since
    ``train_gensim_word2vec`` imports JAX for its checks.
    """
    from gensim.models import Word2Vec

    from embedsent.baseline import word2vec_arguments

    model = Word2Vec(**word2vec_arguments(sgns, vocab_config, workers))
    model.build_vocab(corpus_iterable=sentences)
    if len(model.wv) == 0:
        raise ValueError(
            f"no word occurs at least min_count={vocab_config.min_count} times, "
            "so gensim has no vocabulary; pass more text"
        )
    model.train(
        corpus_iterable=sentences,
        total_examples=model.corpus_count,
        total_words=model.corpus_total_words,
        epochs=model.epochs,
        start_alpha=model.alpha,
        end_alpha=model.min_alpha,
    )
    return len(model.wv)


def run_mode(mode: str, data: str, epochs: int, workers: int) -> dict:
    """Pretrain one way in this process; return its figures."""
    from embedsent.bench import memory_status
    from embedsent.config import SGNSConfig, VocabConfig

    sgns, vocab_config = SGNSConfig(epochs=epochs), VocabConfig()
    texts = _load_texts(data)
    n_texts = len(texts)
    loaded_mb = memory_status().get("VmRSS")
    started = time.perf_counter()
    if mode == "embedsent-stream":
        from embedsent.text import iter_tokenize
        from embedsent.trainer import train_sgns
        from embedsent.vocab import build_and_encode

        vocab, encoded = build_and_encode(iter_tokenize(texts), vocab_config)
        del texts
        model = train_sgns(encoded, sgns, vocab_config, vocab=vocab)
        words = len(model.vocab)
    elif mode == "embedsent-lists":
        from embedsent.text import tokenize_corpus
        from embedsent.trainer import train_sgns

        tokens = tokenize_corpus(texts)
        del texts
        words = len(train_sgns(tokens, sgns, vocab_config).vocab)
    elif mode == "gensim-lists":
        from embedsent.text import tokenize_corpus

        tokens = tokenize_corpus(texts)
        del texts
        words = _train_gensim(tokens, sgns, vocab_config, workers)
    elif mode == "gensim-stream":
        words = _train_gensim(_TokenisingCorpus(texts), sgns, vocab_config, workers)
    else:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    seconds = time.perf_counter() - started
    status = memory_status()
    return {
        "mode": mode,
        "texts": n_texts,
        "vocabulary": words,
        "seconds": round(seconds, 1),
        "peak_rss_mb": status.get("VmHWM"),
        "rss_after_loading_texts_mb": loaded_mb,
    }


def _run_child(mode: str, args) -> dict:
    """Run ``mode`` in a fresh interpreter, so no peak carries over."""
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--data",
        args.data,
        "--epochs",
        str(args.epochs),
        "--gensim-workers",
        str(args.gensim_workers),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModeFailedError(
            f"mode {mode} failed with exit status {done.returncode}: "
            f"{done.stderr.strip()[-2000:]}",
            done.returncode,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


class ModeFailedError(RuntimeError):
    """Failure of a mode's process, whose exit status is in ``exit_status``."""

    def __init__(self, message: str, exit_status: int):
        super().__init__(message)
        self.exit_status = exit_status


def _machine() -> dict:
    """Describe the machine, with the CPU model and package versions.

    ``cpus`` repeats ``cpu_count`` under the name that earlier reports used.
    """
    from embedsent.bench import machine_description

    machine = machine_description()
    return {**machine, "cpus": machine["cpu_count"]}


def _format(results: list[dict]) -> str:
    lines = [
        f"{'mode':<17} {'peak RSS MB':>11} {'after texts MB':>14} {'seconds':>8} "
        f"{'vocabulary':>10}"
    ]
    for row in results:
        lines.append(
            f"{row['mode']:<17} {row['peak_rss_mb']:>11.0f} "
            f"{row['rss_after_loading_texts_mb']:>14.0f} {row['seconds']:>8.1f} "
            f"{row['vocabulary']:>10}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description="Peak resident memory of pretraining word vectors from raw "
        "texts, embedsent and gensim, each mode in a fresh process.",
    )
    parser.add_argument(
        "--data",
        default="../shared/data/aclImdb-partial.tar.gz",
        help="aclImdb folder or .tar.gz, a .txt file with one text per line, "
        "a .csv/.tsv/.jsonl file with a 'text' column, or 'default' for the "
        "shipped corpus (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs",
        type=ascii_number(int),
        default=1,
        help=f"SGNS epochs, at most {MAX_SGNS_EPOCHS} (default: %(default)s)",
    )
    parser.add_argument(
        "--gensim-workers",
        type=ascii_number(int),
        default=2,
        help="gensim threads (default: %(default)s)",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="ways to pretrain, run in this order, each once (default: all)",
    )
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return run(parser, args)
    except KeyboardInterrupt:
        if not args.child:
            # A mode's process gets the same Ctrl-C and ends quietly.
            print(INTERRUPTED_MESSAGE, file=sys.stderr)
        return INTERRUPTED_STATUS


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Check the options and run the modes, or one mode with ``--child``."""
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    if args.epochs > MAX_SGNS_EPOCHS:
        parser.error(
            f"--epochs must be at most {MAX_SGNS_EPOCHS}, got {args.epochs}; each "
            "epoch is one pass over every pretraining text"
        )
    if args.gensim_workers < 1:
        parser.error(f"--gensim-workers must be at least 1, got {args.gensim_workers}")
    if args.gensim_workers > MAX_GENSIM_WORKERS:
        parser.error(
            f"--gensim-workers must be at most {MAX_GENSIM_WORKERS}, got "
            f"{args.gensim_workers}; gensim starts one thread per worker"
        )
    repeated = sorted({mode for mode in args.modes if args.modes.count(mode) > 1})
    if repeated:
        parser.error(
            f"--modes lists {', '.join(repeated)} more than once; name each mode "
            "once, since a mode's peak memory does not change between runs"
        )
    data_problem = check_data(args.data)
    if data_problem is not None:
        parser.error(data_problem)
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(
            f"--json {args.json}: folder {Path(args.json).parent} does not exist; "
            "create it first"
        )
    if args.json and Path(args.json).is_dir():
        parser.error(f"--json {args.json} is a folder; pass a file path")
    if args.child:
        try:
            result = run_mode(args.child, args.data, args.epochs, args.gensim_workers)
        except (OSError, ValueError) as error:
            # An unreadable or invalid --data ends here, with exit status 2.
            print(f"--data {args.data}: {error}", file=sys.stderr)
            return 2
        print(json.dumps(result))
        return 0

    results = []
    for mode in args.modes:
        print(f"running {mode} ...", file=sys.stderr, flush=True)
        try:
            results.append(_run_child(mode, args))
        except ModeFailedError as error:
            if error.exit_status in (INTERRUPTED_STATUS, -signal.SIGINT):
                raise KeyboardInterrupt from error
            print(f"{parser.prog}: error: {error}", file=sys.stderr)
            return 2 if error.exit_status == 2 else 1
    print(_format(results))
    if args.json:
        from embedsent.storage import write_text_atomic

        report = {
            "settings": {
                "data": args.data,
                "epochs": args.epochs,
                "gensim_workers": args.gensim_workers,
            },
            "machine": _machine(),
            "results": results,
        }
        write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    from embedsent.bench import exit_script

    exit_script(main())
