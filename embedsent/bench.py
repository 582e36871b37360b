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
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["BenchConfig", "DeviceCountError", "run_benchmark"]

logger = logging.getLogger(__name__)

# The last stdout line of a trial process that stopped on DeviceCountError
# is a JSON object with this "error" value and the error's attributes.
_DEVICE_COUNT_ERROR = "device_count"


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


class DeviceCountError(ValueError):
    """Raised when a trial requests more devices than JAX lists in its process.

    Attributes:
        requested: The ``n_devices`` of the trial.
        available: Devices that JAX lists on the trial's platform.
        platform: The JAX platform of the trial, such as ``gpu``.
    """

    def __init__(self, requested: int, available: int, platform: str) -> None:
        super().__init__(
            f"n_devices={requested} but JAX lists {available} {platform} "
            f"device(s) in the trial process; set n_devices to {available} or "
            "fewer (0 uses every device)"
        )
        self.requested = requested
        self.available = available
        self.platform = platform


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
    peak_private_mb: float | None = None
    base_private_mb: float | None = None


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
    base = memory_status()
    sampler = PrivateMemorySampler()
    with sampler:
        if spec["trainer"] == "embedsent":
            trial, vectors = _trial_embedsent(spec, documents, raw_words)
        else:
            trial, vectors = _trial_gensim(spec, documents, raw_words)
        # The peak is read before the quality checks, because those load
        # gensim's test files and score analogies in batches, which is not
        # training.
        peak = memory_status()
    trial.peak_rss_mb = peak.get("VmHWM", _max_rss_mb())
    trial.base_rss_mb = base.get("VmRSS")
    trial.peak_private_mb = sampler.peak_mb
    trial.base_private_mb = base.get("RssAnon")
    if spec.get("quality", True):
        trial.quality = _quality(vectors)
    return asdict(trial)


def memory_status(pid: int | str = "self") -> dict[str, float]:
    """Return the memory counters of ``/proc/PID/status`` in MB (empty off Linux).

    ``VmRSS`` is resident memory now and ``VmHWM`` its peak since the process
    started its program: unlike ``ru_maxrss``, which keeps the parent's peak
    across ``exec``, it counts only this process image. ``RssAnon`` is the
    resident memory that no file backs: the heap and arrays, but not the
    pages of shared libraries, which other processes share and the kernel
    can drop and read again.
    """
    counters = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM", "RssAnon"):
                    counters[name] = int(value.split()[0]) / 1024
    except OSError:
        return {}
    return counters


def _max_rss_mb() -> float | None:
    """Return ``ru_maxrss`` in MB where ``/proc`` is missing (macOS: bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class PrivateMemorySampler:
    """Track the peak of ``RssAnon`` from a thread, every ``interval`` seconds.

    The kernel keeps no peak of file-free memory, so it is sampled. One read
    of ``/proc/self/status`` took about 30 microseconds here, 0.3% of a core
    at the default interval, and training releases the GIL in JAX and gensim.
    ``peak_mb`` stays None off Linux.
    """

    def __init__(self, interval: float = 0.01):
        self.interval = interval
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        value = memory_status().get("RssAnon")
        if value is not None:
            self.peak_mb = max(value, self.peak_mb or 0.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PrivateMemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


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
    _check_device_count(spec["n_devices"])
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


def _check_device_count(requested: int) -> None:
    """Raise DeviceCountError when JAX lists fewer than ``requested`` devices.

    The trainer makes the same check, but its message names only the
    ``SGNSConfig`` field, and the attributes of this error let the command
    line name its ``--devices`` flag instead.
    """
    import jax

    available = jax.device_count()
    if requested > available:
        raise DeviceCountError(requested, available, jax.devices()[0].platform)


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


def _child_environment(spec: dict) -> dict[str, str]:
    """Return the environment of the process that runs the trial ``spec``."""
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = spec.get("platform", "cpu")
    if spec.get("n_devices", 1) > 1 and spec.get("platform", "cpu") == "cpu":
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={spec['n_devices']}"
    return env


def _child(spec: dict) -> dict:
    """Run ``spec`` in a fresh Python process and return its record.

    Raises:
        DeviceCountError: if JAX lists fewer devices than the trial requests.
        RuntimeError: if the trial process fails in any other way; the
            message ends with its standard error.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "embedsent.bench", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=_child_environment(spec),
        check=False,
    )
    if completed.returncode != 0:
        _raise_device_count_error(completed.stdout)
        raise RuntimeError(
            f"benchmark trial {spec['trainer']} failed:\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _raise_device_count_error(stdout: str) -> None:
    """Raise the DeviceCountError whose attributes a trial process printed last."""
    lines = stdout.strip().splitlines()
    if not lines:
        return
    try:
        record = json.loads(lines[-1])
    except json.JSONDecodeError:
        return
    if isinstance(record, dict) and record.get("error") == _DEVICE_COUNT_ERROR:
        raise DeviceCountError(
            record["requested"], record["available"], record["platform"]
        )


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
            "peak_rss_mb": _max_of(runs, "peak_rss_mb"),
            "added_rss_mb": _max_added(runs, "peak_rss_mb", "base_rss_mb"),
            "peak_private_mb": _max_of(runs, "peak_private_mb"),
            "added_private_mb": _max_added(runs, "peak_private_mb", "base_private_mb"),
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


def _max_of(runs: list[dict], name: str) -> float | None:
    """Return the largest ``name`` of ``runs``, or None if none measured it."""
    values = [t[name] for t in runs if t.get(name) is not None]
    return max(values) if values else None


def _max_added(runs: list[dict], peak: str, base: str) -> float | None:
    """Return the largest ``peak`` minus ``base`` of ``runs``, if measured."""
    added = [
        t[peak] - t[base]
        for t in runs
        if t.get(peak) is not None and t.get(base) is not None
    ]
    return max(added) if added else None


def format_summary(report: dict) -> str:
    """Return the summary and sweeps of a benchmark report as plain text."""
    machine = report["machine"]
    lines = [
        f"machine: {machine['processor']}, {machine['cpu_count']} CPUs, "
        f"{machine['platform']}; jax {machine['jax']}",
        f"{'trainer':<12} {'epochs':>6} {'words/s':>10} {'ratio':>6} "
        f"{'RSS MB':>7} {'+RSS':>6} {'priv MB':>7} {'+priv':>6} {'compile s':>9} "
        f"{'WS353':>6} {'SL999':>6} {'analogy':>7}",
    ]
    for row in report["summary"]:
        ratio = row.get("embedsent_ratio_median")
        cells = [
            f"{row['trainer']:<12}",
            f"{row['epochs']:>6}",
            f"{row['median_words_per_second']:>10.0f}",
            f"{ratio:>6.2f}" if ratio else f"{'':>6}",
        ]
        for name, width in (
            ("peak_rss_mb", 7),
            ("added_rss_mb", 6),
            ("peak_private_mb", 7),
            ("added_private_mb", 6),
        ):
            value = row.get(name)
            cells.append(f"{value:>{width}.0f}" if value is not None else " " * width)
        cells.append(f"{row['compile_seconds']:>9.1f}")
        for metric in ("wordsim353", "simlex999", "analogy"):
            value = row[metric]
            cells.append(f"{value:>6.3f}" if value is not None else f"{'':>6}")
        lines.append(" ".join(cells))
    lines.append("ratio: median over trials of embedsent words/s / this trainer's")
    lines.append(
        "RSS MB: peak resident memory of the trial process (VmHWM); priv MB: "
        "peak memory not backed by files (RssAnon, sampled every 10 ms), which "
        "leaves out shared-library pages"
    )
    lines.append(
        "+RSS, +priv: peak minus the value after loading the tokens and importing "
        "the trainer (max over trials)"
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


def _run_child(spec_json: str) -> int:
    """Run the trial ``spec_json`` and print its record as one JSON line.

    Returns:
        0, or 2 after printing the attributes of a DeviceCountError, which
        ``_child`` raises again in the parent process.
    """
    try:
        record = run_trial(json.loads(spec_json))
    except DeviceCountError as error:
        print(
            json.dumps(
                {
                    "error": _DEVICE_COUNT_ERROR,
                    "requested": error.requested,
                    "available": error.available,
                    "platform": error.platform,
                }
            )
        )
        return 2
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(_run_child(sys.argv[1]))
