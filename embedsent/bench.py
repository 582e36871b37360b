"""SGNS speed benchmark: embedsent's JAX trainer against gensim's Word2Vec.

Both trainers get the same token stream (the IMDB unlabeled reviews through
``embedsent.text.tokenize_corpus``) and the same hyperparameters. Each trial
runs in its own child process, alternating trainers, so peak resident memory
is measured per trainer and one trial's caches never help the next. A trial
reports raw words per second (corpus tokens x epochs / training seconds,
compile time excluded and reported apart), peak RSS and vector quality
(WordSim353, SimLex-999, analogies), so speed is never bought with broken
training.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["BenchConfig", "run_benchmark"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchConfig:
    """What the benchmark runs.

    Attributes:
        data: aclImdb folder or archive; its unlabeled reviews are the corpus.
        epochs: Epoch counts to time.
        repeats: Trials per trainer and epoch count.
        gensim_workers: gensim thread counts to time.
        max_docs: Use at most this many reviews (None: all).
        dim, window, negative, sample, min_count, alpha: Shared
            hyperparameters.
        batch_size: embedsent centers per step; the default is
            ``SGNSConfig``'s, so the benchmark times what users get.
        n_devices: embedsent devices (0: every device JAX lists).
        platform: JAX platform for embedsent (``cpu`` or ``gpu``).
        sweeps: Extra scaling sweeps: ``corpus`` (1x, 2x, 4x the corpus),
            ``vocab`` (10k to 1M types at one corpus size), ``dim`` (50 to 300).
        seed: Seed of both trainers.
    """

    data: str
    epochs: tuple[int, ...] = (1, 5)
    repeats: int = 3
    gensim_workers: tuple[int, ...] = (1, 2)
    max_docs: int | None = None
    dim: int = 100
    window: int = 5
    negative: int = 5
    sample: float = 1e-3
    min_count: int = 5
    alpha: float = 0.025
    batch_size: int = 256
    n_devices: int = 1
    platform: str = "cpu"
    sweeps: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class Trial:
    trainer: str
    epochs: int
    words_per_second: float
    train_seconds: float
    compile_seconds: float
    peak_rss_mb: float
    raw_words: int
    vocab_size: int
    quality: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    base_rss_mb: float | None = None


def _tokens_file(config: BenchConfig, folder: Path) -> Path:
    from embedsent.datasets import load_aclimdb
    from embedsent.text import tokenize_corpus

    corpus = load_aclimdb(
        config.data, max_per_class=0, max_unlabeled=config.max_docs, seed=config.seed
    )
    tokens = tokenize_corpus(corpus.unlabeled)
    path = folder / "tokens.txt"
    with open(path, "w", encoding="utf-8") as handle:
        for document in tokens:
            handle.write(" ".join(document) + "\n")
    logger.info(
        "token stream: %d documents, %d tokens", len(tokens), sum(map(len, tokens))
    )
    return path


def read_tokens(path: str | os.PathLike, repeat: int = 1) -> list[list[str]]:
    with open(path, encoding="utf-8") as handle:
        documents = [line.split() for line in handle]
    return documents * repeat


def _quality(vectors) -> dict:
    from embedsent.evaluate import word_analogies, word_similarity

    result = {}
    for dataset in ("wordsim353", "simlex999"):
        try:
            result[dataset] = word_similarity(vectors, dataset).spearman
        except ValueError:
            result[dataset] = None
    try:
        result["analogy"] = word_analogies(vectors).accuracy
    except ValueError:
        result["analogy"] = None
    return result


def run_trial(spec: dict) -> dict:
    """Run one trial described by ``spec`` in this process; return its record."""
    documents = read_tokens(spec["tokens"], spec.get("repeat", 1))
    raw_words = sum(map(len, documents))
    # The baseline contains the token lists and the imported trainer library,
    # which both trainers pay alike. The JAX backend starts during training.
    if spec["trainer"] == "embedsent":
        import embedsent.trainer  # noqa: F401
    else:
        import gensim.models  # noqa: F401
    base_rss_mb = _current_rss_mb()
    if spec["trainer"] == "embedsent":
        trial, vectors = _trial_embedsent(spec, documents, raw_words)
    else:
        trial, vectors = _trial_gensim(spec, documents, raw_words)
    # The peak is read before the quality checks, because they load gensim's
    # test files and score analogies in batches, which is not training.
    trial.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    trial.base_rss_mb = base_rss_mb
    if spec.get("quality", True):
        trial.quality = _quality(vectors)
    return asdict(trial)


def _current_rss_mb() -> float | None:
    """Return this process's resident memory in MB, or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _trial_embedsent(spec, documents, raw_words):
    from embedsent.config import SGNSConfig, VocabConfig
    from embedsent.trainer import train_sgns

    sgns = SGNSConfig(
        dim=spec["dim"],
        window=spec["window"],
        negative=spec["negative"],
        epochs=spec["epochs"],
        alpha=spec["alpha"],
        batch_size=spec["batch_size"],
        n_devices=spec["n_devices"],
        seed=spec["seed"],
    )
    vocab = VocabConfig(
        min_count=spec["min_count"],
        sample=spec["sample"],
        max_vocab_size=spec.get("max_vocab_size"),
    )
    started = time.perf_counter()
    model = train_sgns(documents, sgns, vocab)
    total = time.perf_counter() - started
    # An epoch whose only call compiled has no timed words (speed 0); when
    # every epoch is like that, time the run without its compile time.
    timed = [speed for speed in model.words_per_second if speed > 0]
    if timed:
        train_seconds = raw_words * spec["epochs"] / statistics.harmonic_mean(timed)
    else:
        train_seconds = max(total - model.compile_seconds, 1e-9)
    return Trial(
        trainer="embedsent",
        epochs=spec["epochs"],
        words_per_second=raw_words * spec["epochs"] / train_seconds,
        train_seconds=train_seconds,
        compile_seconds=model.compile_seconds,
        peak_rss_mb=0.0,
        raw_words=raw_words,
        vocab_size=len(model.vocab),
        settings={"total_seconds": total, "devices": spec["n_devices"]},
    ), model.word_vectors()


def _trial_gensim(spec, documents, raw_words):
    from gensim.models import Word2Vec

    from embedsent.vectors import WordVectors

    model = Word2Vec(
        sg=1,
        hs=0,
        negative=spec["negative"],
        vector_size=spec["dim"],
        window=spec["window"],
        min_count=spec["min_count"],
        sample=spec["sample"],
        alpha=spec["alpha"],
        min_alpha=0.0001,
        seed=spec["seed"],
        workers=spec["workers"],
        max_final_vocab=spec.get("max_vocab_size"),
    )
    model.build_vocab(documents)
    started = time.perf_counter()
    model.train(documents, total_examples=len(documents), epochs=spec["epochs"])
    train_seconds = time.perf_counter() - started
    vectors = WordVectors.from_gensim(model.wv)
    return Trial(
        trainer=f"gensim-w{spec['workers']}",
        epochs=spec["epochs"],
        words_per_second=raw_words * spec["epochs"] / train_seconds,
        train_seconds=train_seconds,
        compile_seconds=0.0,
        peak_rss_mb=0.0,
        raw_words=raw_words,
        vocab_size=len(vectors),
    ), vectors


def _child(spec: dict) -> dict:
    """Run ``spec`` in a fresh Python process and return its record."""
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = spec.get("platform", "cpu")
    if spec.get("n_devices", 1) > 1 and spec.get("platform", "cpu") == "cpu":
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={spec['n_devices']}"
    completed = subprocess.run(
        [sys.executable, "-m", "embedsent.bench", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark trial {spec['trainer']} failed:\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _base_spec(config: BenchConfig, tokens: Path) -> dict:
    return {
        "tokens": str(tokens),
        "dim": config.dim,
        "window": config.window,
        "negative": config.negative,
        "sample": config.sample,
        "min_count": config.min_count,
        "alpha": config.alpha,
        "batch_size": config.batch_size,
        "n_devices": config.n_devices,
        "platform": config.platform,
        "seed": config.seed,
    }


def run_benchmark(config: BenchConfig, progress=None) -> dict:
    """Run every trial of ``config`` and return the records and summary."""
    report = {
        "config": asdict(config),
        "machine": machine_description(),
        "trials": [],
        "sweeps": {},
    }
    with tempfile.TemporaryDirectory(prefix="embedsent-bench-") as folder:
        tokens = _tokens_file(config, Path(folder))
        base = _base_spec(config, tokens)
        for epochs in config.epochs:
            for repeat in range(config.repeats):
                specs = [{**base, "trainer": "embedsent", "epochs": epochs}]
                specs += [
                    {**base, "trainer": "gensim", "workers": w, "epochs": epochs}
                    for w in config.gensim_workers
                ]
                for spec in specs:
                    record = _child(spec)
                    record["repeat"] = repeat
                    report["trials"].append(record)
                    if progress:
                        progress(record)
        for sweep in config.sweeps:
            report["sweeps"][sweep] = _sweep(sweep, base, progress)
    report["summary"] = summarize(report["trials"])
    return report


def _sweep(name: str, base: dict, progress) -> list[dict]:
    quiet = {**base, "trainer": "embedsent", "epochs": 1, "quality": False}
    if name == "corpus":
        specs = [{**quiet, "repeat": r} for r in (1, 2, 4)]
    elif name == "vocab":
        specs = [
            {**quiet, "min_count": 1, "max_vocab_size": v}
            for v in (10_000, 100_000, 1_000_000)
        ]
    elif name == "dim":
        specs = [{**quiet, "dim": d} for d in (50, 100, 200, 300)]
    else:
        raise ValueError(f"unknown sweep {name!r}; choose corpus, vocab or dim")
    records = []
    for spec in specs:
        record = _child(spec)
        record["sweep"] = {k: spec.get(k) for k in ("repeat", "max_vocab_size", "dim")}
        records.append(record)
        if progress:
            progress(record)
    return records


def summarize(trials: list[dict]) -> list[dict]:
    """Return median words/s per (trainer, epochs) and embedsent/gensim ratios.

    Ratios pair the i-th embedsent trial with the i-th trial of each gensim
    setting at the same epoch count. The median of those ratios is reported.
    """
    rows = []
    keys = sorted({(t["trainer"], t["epochs"]) for t in trials})
    for trainer, epochs in keys:
        runs = [t for t in trials if (t["trainer"], t["epochs"]) == (trainer, epochs)]
        row = {
            "trainer": trainer,
            "epochs": epochs,
            "runs": len(runs),
            "median_words_per_second": statistics.median(
                t["words_per_second"] for t in runs
            ),
            "peak_rss_mb": max(t["peak_rss_mb"] for t in runs),
            "added_rss_mb": _max_added_rss(runs),
            "compile_seconds": statistics.median(t["compile_seconds"] for t in runs),
        }
        for metric in ("wordsim353", "simlex999", "analogy"):
            values = [t["quality"].get(metric) for t in runs]
            values = [v for v in values if v is not None]
            row[metric] = statistics.median(values) if values else None
        ours = [
            t for t in trials if t["trainer"] == "embedsent" and t["epochs"] == epochs
        ]
        if trainer != "embedsent" and ours:
            ratios = [
                o["words_per_second"] / g["words_per_second"]
                for o, g in zip(ours, runs, strict=False)
            ]
            row["embedsent_ratio_median"] = statistics.median(ratios)
        rows.append(row)
    return rows


def _max_added_rss(runs: list[dict]) -> float | None:
    """Return the largest peak-minus-baseline RSS of ``runs``, if measured."""
    added = [
        t["peak_rss_mb"] - t["base_rss_mb"]
        for t in runs
        if t.get("base_rss_mb") is not None
    ]
    return max(added) if added else None


def format_summary(report: dict) -> str:
    """Return the summary and sweeps of a benchmark report as plain text."""
    machine = report["machine"]
    lines = [
        f"machine: {machine['processor']}, {machine['cpu_count']} CPUs, "
        f"{machine['platform']}; jax {machine['jax']}",
        f"{'trainer':<12} {'epochs':>6} {'words/s':>10} {'ratio':>6} "
        f"{'RSS MB':>7} {'added':>6} {'compile s':>9} {'WS353':>6} {'SL999':>6} "
        f"{'analogy':>7}",
    ]
    for row in report["summary"]:
        ratio = row.get("embedsent_ratio_median")
        added = row.get("added_rss_mb")
        cells = [
            f"{row['trainer']:<12}",
            f"{row['epochs']:>6}",
            f"{row['median_words_per_second']:>10.0f}",
            f"{ratio:>6.2f}" if ratio else f"{'':>6}",
            f"{row['peak_rss_mb']:>7.0f}",
            f"{added:>6.0f}" if added is not None else f"{'':>6}",
            f"{row['compile_seconds']:>9.1f}",
        ]
        for metric in ("wordsim353", "simlex999", "analogy"):
            value = row[metric]
            cells.append(f"{value:>6.3f}" if value is not None else f"{'':>6}")
        lines.append(" ".join(cells))
    lines.append("ratio: median over trials of embedsent words/s / this trainer's")
    lines.append(
        "added: peak RSS minus RSS after loading the tokens and importing the "
        "trainer (max over trials)"
    )
    for name, records in report["sweeps"].items():
        lines.append(f"sweep {name}:")
        for record in records:
            lines.append(
                f"  {record['sweep']} vocab {record['vocab_size']}, "
                f"{record['raw_words']} words: "
                f"{record['words_per_second']:.0f} words/s, "
                f"{record['train_seconds']:.1f} s"
            )
    return "\n".join(lines)


def machine_description() -> dict:
    import jax

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jax_devices": [str(d) for d in jax.devices()],
    }


if __name__ == "__main__":
    print(json.dumps(run_trial(json.loads(sys.argv[1]))))
