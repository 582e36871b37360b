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

import gzip
import importlib.metadata
import json
import logging
import math
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

__all__ = [
    "BenchConfig",
    "CorpusTooSmallError",
    "DeviceCountError",
    "PlatformError",
    "TokenFileError",
    "TrialError",
    "run_benchmark",
]

logger = logging.getLogger(__name__)

# The last stdout line of a trial process that stopped on DeviceCountError or
# PlatformError is a JSON object with one of these "error" values and the
# error's attributes.
_DEVICE_COUNT_ERROR = "device_count"
_PLATFORM_ERROR = "platform"

# The spec key that each scaling sweep varies.
_SWEEP_SETTINGS = {"corpus": "repeat", "vocab": "max_vocab_size", "dim": "dim"}

# Word-pair files of embedsent.evaluate.word_similarity that every trial scores.
_SIMILARITY_DATASETS = ("wordsim353", "simlex999")

# The maximum number of gensim worker threads a trial may start. Each worker
# is one thread, so a typo such as 100000 would start that many. 1024 is a
# chosen limit above the core counts of common servers.
# NOTE: a machine with more than 1024 cores cannot time gensim on all of them.
MAX_GENSIM_WORKERS = 1024

# The XLA flag that makes the CPU backend list this many devices.
_HOST_DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"

# Fixes that the messages of TokenFileError give: rewrite the file, or the format.
_REWRITE_TOKEN_FILE = (
    "write it again with benchmarks/prepare_gpu_bench.py from an aclImdb archive"
)
_TOKEN_FILE_FORMAT = (
    "a token file is UTF-8 text with one document per line and its tokens "
    "separated by spaces, gzip-compressed when its name ends in .gz, and "
    "benchmarks/prepare_gpu_bench.py writes one from an aclImdb archive"
)
_GZIP_MAGIC = b"\x1f\x8b"
# Leading bytes of a token file that are checked for a binary format.
_TOKEN_SNIFF_BYTES = 4096
# A tar header stores "ustar" at this byte offset.
_TAR_MAGIC_OFFSET = 257
# Kinds of embedsent.file_kinds.identify_file that are never token text.
_BINARY_KINDS = frozenset(
    ("bundle", "damaged", "zip", "pickle", "compressed", "tar", "npy", "binary")
)
_ARCHIVE_FIX = (
    "an aclImdb archive is read as data, not as a token file, and "
    "benchmarks/prepare_gpu_bench.py --data ARCHIVE writes a token file from it"
)
_VECTORS_FIX = (
    "word vectors are read by --vectors of `embedsent train` and `embedsent "
    f"select`, not by the benchmark; {_TOKEN_FILE_FORMAT}"
)
_TABLE_FIX = (
    "tables are read by --data of `embedsent pretrain` and `embedsent train`, "
    f"not by the benchmark; {_TOKEN_FILE_FORMAT}"
)
# Suffixes of the tables that `embedsent pretrain` and `train` read, as
# embedsent.output_kinds.TABLE_SUFFIXES lists them, with the delimiter of a
# header line, or None for JSON, whose first line starts with "{" or "[".
_TABLE_DELIMITERS = {
    ".csv": ",",
    ".tsv": "\t",
    ".jsonl": None,
    ".ndjson": None,
    ".json": None,
}
# Characters of a header line that an error message quotes.
_QUOTED_HEADER_CHARS = 60


@dataclass(frozen=True)
class BenchConfig:
    """What the benchmark runs.

    Attributes:
        data: aclImdb folder or archive; its unlabeled reviews are the corpus.
            None when ``tokens`` is given.
        tokens: A token file used instead of ``data``: one document per line,
            tokens separated by spaces, read as gzip when the name ends in
            ``.gz`` (``write_token_file`` writes one). ``max_docs`` does not
            apply to it. Exactly one of ``data`` and ``tokens`` is given.
        epochs: Epoch counts to time.
        repeats: Trials per trainer and epoch count.
        gensim_workers: gensim thread counts to time.
        max_docs: Use at most this many reviews (None: all).
        dim, window, negative, sample, min_count, alpha: Shared
            hyperparameters.
        batch_size: embedsent centers per step; the default is
            ``SGNSConfig``'s, so the benchmark times what users get.
        repeat_damping: embedsent's damping of rows repeated within a
            batch, ``SGNSConfig``'s default unless given.
        n_devices: embedsent devices (0: every device JAX lists).
        platform: JAX platform for embedsent (``cpu`` or ``gpu``).
        sweeps: Extra scaling sweeps: ``corpus`` (1x, 2x, 4x the corpus),
            ``vocab`` (10k to 1M types at one corpus size), ``dim`` (50 to 300).
        seed: Seed of both trainers.
        compile_cache: Folder of compiled programs that embedsent trials read
            and write (``embedsent.compile_cache``); None compiles in every
            trial. A trial that reads its step from the folder skips the
            compiler's time and temporary memory.
    """

    data: str | None
    tokens: str | None = None
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
    repeat_damping: float = 0.5
    n_devices: int = 1
    platform: str = "cpu"
    sweeps: tuple[str, ...] = ()
    seed: int = 0
    compile_cache: str | None = None

    def __post_init__(self) -> None:
        # A token file replaces the reviews of data, so data given with it
        # would be silently ignored.
        if self.data is not None and self.tokens is not None:
            raise ValueError(
                f"data={self.data!r} and tokens={self.tokens!r} both name the "
                "corpus, and the token file replaces data; pass data=None with "
                "tokens, or tokens=None with data"
            )
        if self.data is None and self.tokens is None:
            raise ValueError(
                "data and tokens are both None; pass an aclImdb folder or archive "
                "as data, or a token file as tokens"
            )
        too_many = [w for w in self.gensim_workers if w > MAX_GENSIM_WORKERS]
        if too_many:
            raise ValueError(
                f"gensim_workers (--gensim-workers) {too_many[0]} exceeds "
                f"{MAX_GENSIM_WORKERS}; "
                "gensim starts one thread per worker, and beyond the CPU count "
                f"({os.cpu_count()} here) the threads only wait for each other; "
                f"pass at most {MAX_GENSIM_WORKERS}"
            )


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


class PlatformError(ValueError):
    """Raised when JAX in a trial process cannot start the requested platform.

    Attributes:
        platform: The JAX platform of the trial, such as ``gpu``.
        reason: JAX's message, such as "Unable to initialize backend 'rocm'".
    """

    def __init__(self, platform: str, reason: str) -> None:
        use_cpu = "use platform='cpu'"
        super().__init__(
            f"platform={platform!r}: JAX finds no {platform} backend in the "
            f"trial process ({reason}); {platform_fix(platform, use_cpu)}"
        )
        self.platform = platform
        self.reason = reason


def platform_fix(platform: str, use_cpu: str) -> str:
    """Return what to do when JAX cannot start ``platform``.

    ``use_cpu`` is how the caller chooses the CPU, such as
    ``pass --platform cpu`` on the command line.
    """
    if platform == "gpu":
        return f"install a CUDA build of jax (docs/devices.md) or {use_cpu}"
    return use_cpu


class CorpusTooSmallError(ValueError):
    """Raised when no token of the benchmark corpus reaches ``min_count``.

    Attributes:
        documents: Reviews in the corpus.
        tokens: Tokens in the corpus.
        largest_count: Occurrences of the most frequent token (0: no tokens).
        min_count: The benchmark's ``min_count``.
        max_docs: The ``max_docs`` that limited the corpus, or None.
        token_file: The token file that the corpus came from, or None when
            it came from ``data``.
        suggested_max_docs: An estimate of the reviews that bring the most
            frequent token to ``min_count``, assuming counts grow in
            proportion to the reviews; None for a corpus without tokens.
    """

    def __init__(
        self,
        *,
        documents: int,
        tokens: int,
        largest_count: int,
        min_count: int,
        max_docs: int | None,
        token_file: str | None = None,
    ) -> None:
        if max_docs is not None:
            fix = "raise max_docs"
        elif token_file is not None:
            fix = f"use a token file with more documents than {token_file}"
        else:
            fix = "use a larger corpus"
        super().__init__(
            f"no token occurs min_count={min_count} times in the benchmark "
            f"corpus of {documents} review(s) and {tokens} tokens (the largest "
            f"count is {largest_count}), so neither trainer has a vocabulary; {fix}"
        )
        self.documents = documents
        self.tokens = tokens
        self.largest_count = largest_count
        self.min_count = min_count
        self.max_docs = max_docs
        self.token_file = token_file
        self.suggested_max_docs = None
        if largest_count > 0:
            self.suggested_max_docs = max(
                documents + 1, math.ceil(documents * min_count / largest_count)
            )


class TokenFileError(ValueError):
    """Raised when a token file cannot be read as one document of tokens per line.

    Attributes:
        path: The token file.
        problem: What is wrong, as a predicate of the file, such as "is not
            valid UTF-8 (invalid start byte at byte 3, line 1)".
        fix: What to do about it.
    """

    def __init__(self, path: str | os.PathLike, problem: str, fix: str) -> None:
        super().__init__(f"token file {path} {problem}; {fix}")
        self.path = str(path)
        self.problem = problem
        self.fix = fix


class TrialError(RuntimeError):
    """Raised when a trial process fails for a reason without its own class.

    Attributes:
        trial: The trial's name, such as ``gensim-w2, 5 epoch(s)``.
        reason: The last line of the trial's standard error, or the signal
            that ended it.
        stderr: The trial's whole standard error.
    """

    def __init__(self, trial: str, reason: str, stderr: str) -> None:
        super().__init__(f"benchmark trial {trial} failed: {reason}")
        self.trial = trial
        self.reason = reason
        self.stderr = stderr


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
    """Return the token file that every trial reads.

    A ``config.tokens`` file is used as it is. Otherwise the unlabeled
    reviews of ``config.data`` are tokenised into ``folder``.
    """
    if config.tokens is not None:
        path = Path(config.tokens)
        tokens = read_tokens(path)
        if not any(tokens):
            raise TokenFileError(
                path,
                "contains no tokens (it is empty or has only blank lines)",
                _REWRITE_TOKEN_FILE,
            )
    else:
        path = folder / "tokens.txt"
        tokens = write_token_file(config, path)
    _check_min_count(tokens, config)
    logger.info(
        "token stream: %d documents, %d tokens", len(tokens), sum(map(len, tokens))
    )
    return path


def write_token_file(config: BenchConfig, path: str | os.PathLike) -> list[list[str]]:
    """Tokenise the unlabeled reviews of ``config.data`` into a token file.

    The file is written by ``write_tokens``. Returns the token lists.
    """
    tokens = read_bench_tokens(config)
    write_tokens(path, tokens)
    return tokens


def read_bench_tokens(config: BenchConfig) -> list[list[str]]:
    """Read and tokenise the unlabeled reviews of ``config.data``.

    Raises:
        FileNotFoundError, ValueError: ``config.data`` does not have the
            aclImdb layout, or a review is not UTF-8.
    """
    from embedsent.datasets import load_aclimdb
    from embedsent.text import tokenize_corpus

    corpus = load_aclimdb(
        config.data, max_per_class=0, max_unlabeled=config.max_docs, seed=config.seed
    )
    return tokenize_corpus(corpus.unlabeled)


def write_tokens(path: str | os.PathLike, tokens: list[list[str]]) -> None:
    """Write one text per line with its tokens separated by spaces, atomically.

    The file is gzip-compressed when ``path`` ends in ``.gz``.
    """
    from embedsent.storage import write_atomic

    text = "".join(" ".join(document) + "\n" for document in tokens)
    data = text.encode("utf-8")
    if str(path).endswith(".gz"):
        # mtime=0 keeps the file's bytes the same from run to run.
        data = gzip.compress(data, mtime=0)
    write_atomic(path, lambda stream: stream.write(data))


def _check_min_count(documents: list[list[str]], config: BenchConfig) -> None:
    """Raise CorpusTooSmallError when no token reaches ``config.min_count``.

    Both trainers would fail on such a corpus in every trial process, the JAX
    trainer with a MinCountError that names ``min_count``, which the benchmark
    fixes rather than takes from the user.
    """
    counts = Counter(token for document in documents for token in document)
    largest = max(counts.values(), default=0)
    if largest < config.min_count:
        raise CorpusTooSmallError(
            documents=len(documents),
            tokens=counts.total(),
            largest_count=largest,
            min_count=config.min_count,
            max_docs=config.max_docs,
            token_file=config.tokens,
        )


def read_tokens(path: str | os.PathLike, repeat: int = 1) -> list[list[str]]:
    """Read a token file, gzip-compressed when its name ends in ``.gz``.

    Returns one token list per line, the whole file ``repeat`` times.

    Raises:
        TokenFileError: If the file is of a binary format, is a word-vector
            file or a .csv, .tsv or JSON Lines table, is gzip-compressed
            without a name that ends in ``.gz`` or the reverse, is a damaged
            gzip file, or is not valid UTF-8.
    """
    compressed = str(path).endswith(".gz")
    _check_token_file_kind(path, compressed)
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            documents = [line.split() for line in handle]
    except UnicodeDecodeError as error:
        location = _locate_decode_error(path, compressed) or error.reason
        raise TokenFileError(
            path,
            f"is not valid UTF-8 ({location})",
            "token files are UTF-8, so convert it, for example with "
            "`iconv -f latin1 -t utf-8` for a latin-1 file, or "
            f"{_REWRITE_TOKEN_FILE}",
        ) from error
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise _damaged_gzip_error(path, error) from error
    return documents * repeat


def _check_token_file_kind(path: str | os.PathLike, compressed: bool) -> None:
    """Raise TokenFileError when the leading bytes of ``path`` are not token text.

    ``compressed`` is True when the name ends in ``.gz``. Only regular files
    are read, because reading a FIFO here would consume the lines that
    ``read_tokens`` needs. A missing file is left to ``open``.
    """
    from embedsent.file_kinds import identify_file

    if not Path(path).is_file():
        return
    with open(path, "rb") as handle:
        head = handle.read(_TOKEN_SNIFF_BYTES)
    is_gzip = head.startswith(_GZIP_MAGIC)
    if is_gzip and not compressed:
        raise TokenFileError(
            path,
            "is gzip-compressed, but its name does not end in .gz, so it would "
            "be read as plain text",
            "rename it so that its name ends in .gz",
        )
    if compressed and head and not is_gzip:
        raise TokenFileError(
            path,
            "has a name that ends in .gz, but it is not gzip-compressed (it is "
            f"{identify_file(path).name})",
            "rename it without .gz if it is a plain token file, or "
            f"{_REWRITE_TOKEN_FILE}",
        )
    if compressed:
        _check_decompressed_head(path)
        return
    found = identify_file(path)
    if found.category == "vectors":
        raise TokenFileError(path, f"is {found.name}, not a token file", _VECTORS_FIX)
    if found.category not in _BINARY_KINDS:
        _check_not_table(path, Path(path), head)
        return
    fix = _TOKEN_FILE_FORMAT
    if found.category == "tar":
        fix = _ARCHIVE_FIX
    elif found.category == "compressed":
        fix = (
            "decompress it, or compress it with gzip and give it a name that "
            "ends in .gz"
        )
    raise TokenFileError(path, f"is {found.name}, not a token file", fix)


def _check_decompressed_head(path: str | os.PathLike) -> None:
    """Raise TokenFileError when a gzip file contains a tar archive or binary data."""
    try:
        with gzip.open(path, "rb") as handle:
            head = handle.read(_TOKEN_SNIFF_BYTES)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise _damaged_gzip_error(path, error) from error
    if head[_TAR_MAGIC_OFFSET:].startswith(b"ustar"):
        raise TokenFileError(
            path, "is a gzip-compressed tar archive, not a token file", _ARCHIVE_FIX
        )
    if b"\0" in head:
        raise TokenFileError(
            path,
            "contains NUL bytes after decompression, so it is binary, not a token file",
            _TOKEN_FILE_FORMAT,
        )
    # The table suffix of a compressed file comes before .gz, as in "a.csv.gz".
    _check_not_table(path, Path(str(path)[: -len(".gz")]), head)


def _check_not_table(path: str | os.PathLike, name: Path, head: bytes) -> None:
    """Raise TokenFileError when ``head`` starts a table that ``name`` names.

    ``name`` is ``path`` without a .gz suffix, and ``head`` contains the first
    bytes of the file's text. A .csv or .tsv file whose first non-blank line
    contains its delimiter, or a .jsonl, .ndjson or .json file whose first
    non-blank line starts with "{" or "[", is taken for a table. The
    tokenizer drops punctuation, so the token files that embedsent writes
    have no such line.
    """
    suffix = name.suffix.lower()
    if suffix not in _TABLE_DELIMITERS:
        return
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _TABLE_DELIMITERS[suffix]
    if delimiter is None:
        start = first.lstrip()[:1]
        if start not in ("{", "["):
            return
        kind = "a JSON Lines table" if start == "{" else "a JSON file"
        problem = f"is {kind} (its first line starts with {start!r})"
    else:
        if delimiter not in first:
            return
        quoted = first[:_QUOTED_HEADER_CHARS]
        if len(first) > len(quoted):
            quoted += "..."
        kind = "CSV" if suffix == ".csv" else "TSV"
        problem = f"is a {kind} table with the header line {quoted!r}"
    raise TokenFileError(path, f"{problem}, not a token file", _TABLE_FIX)


def _damaged_gzip_error(path: str | os.PathLike, error: Exception) -> TokenFileError:
    return TokenFileError(
        path,
        f"is a damaged or truncated gzip file ({error})",
        _REWRITE_TOKEN_FILE,
    )


def _locate_decode_error(path: str | os.PathLike, compressed: bool) -> str | None:
    """Return the location of the first invalid UTF-8 in a token file.

    The location reads like "invalid start byte at byte 3, line 1". None
    means that every line decodes.

    Lines are counted at "\\n". Offsets count the decompressed bytes of a
    gzip file.
    """
    opener = gzip.open if compressed else open
    offset = 0
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return f"{error.reason} at byte {offset + error.start}, line {number}"
            offset += len(line)
    return None


def _quality(vectors) -> dict:
    from embedsent.evaluate import word_analogies, word_similarity

    result = {}
    for dataset in _SIMILARITY_DATASETS:
        try:
            similarity = word_similarity(vectors, dataset)
        except ValueError:
            # There is no score, for example because fewer than two pairs
            # have both words in the vocabulary.
            result[dataset] = None
            result[f"{dataset}_pairs"] = None
            result[f"{dataset}_total_pairs"] = None
            continue
        result[dataset] = similarity.spearman
        result[f"{dataset}_pairs"] = similarity.n_pairs
        result[f"{dataset}_total_pairs"] = similarity.n_pairs + similarity.n_oov
    try:
        analogies = word_analogies(vectors)
    except ValueError:
        # No question has all four words among the searched words.
        result["analogy"] = None
        result["analogy_questions"] = None
        result["analogy_total_questions"] = None
        return result
    result["analogy"] = analogies.accuracy
    result["analogy_questions"] = analogies.n_questions
    result["analogy_total_questions"] = analogies.n_questions + analogies.n_oov
    return result


def run_trial(spec: dict) -> dict:
    """Run one trial described by ``spec`` in this process; return its record."""
    documents = read_tokens(spec["tokens"], spec.get("repeat", 1))
    raw_words = sum(map(len, documents))
    # The baseline contains the token lists and the imported trainer library,
    # which both trainers pay alike. The JAX backend starts during training.
    if spec["trainer"] == "embedsent":
        import embedsent.trainer  # noqa: F401
        from embedsent.compile_cache import enable_compile_cache

        if spec.get("compile_cache"):
            enable_compile_cache(spec["compile_cache"])
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
        repeat_damping=spec.get("repeat_damping", SGNSConfig.repeat_damping),
        n_devices=spec["n_devices"],
        seed=spec["seed"],
    )
    vocab = VocabConfig(
        min_count=spec["min_count"],
        sample=spec["sample"],
        max_vocab_size=spec.get("max_vocab_size"),
    )
    started = time.perf_counter()
    devices = _check_devices(spec["n_devices"], spec.get("platform", "cpu"))
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
        settings={
            "total_seconds": total,
            "devices": spec["n_devices"] or len(devices),
            "platform": devices[0].platform,
            "jax_devices": [str(device) for device in devices],
        },
    ), model.word_vectors(add_context_vectors=False)


def _check_devices(requested: int, platform: str) -> list:
    """Return the devices JAX lists, after checking them against the trial.

    The trainer checks the device count too, but its message names only the
    ``SGNSConfig`` field, and the attributes of these errors let the command
    line name its ``--devices`` and ``--platform`` flags instead.

    Raises:
        PlatformError: if JAX cannot start the ``platform`` backend.
        DeviceCountError: if JAX lists fewer than ``requested`` devices.
    """
    import jax

    try:
        devices = jax.devices()
    except RuntimeError as error:
        # NOTE: only a jaxlib without GPU support was tested here. A CUDA build
        # on a machine without a usable GPU may fail in another way.
        # JAX suggests unsetting JAX_PLATFORMS, which the benchmark sets itself.
        reason = str(error).split(" (set JAX_PLATFORMS=", 1)[0].rstrip(". ")
        raise PlatformError(platform, reason) from error
    if requested > len(devices):
        raise DeviceCountError(requested, len(devices), devices[0].platform)
    return devices


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
        # XLA reads XLA_FLAGS as flags separated by spaces. The user's other
        # flags stay, and the trial's device count replaces the user's.
        flags = [
            flag
            for flag in env.get("XLA_FLAGS", "").split()
            if flag.split("=", 1)[0] != _HOST_DEVICE_COUNT_FLAG
        ]
        flags.append(f"{_HOST_DEVICE_COUNT_FLAG}={spec['n_devices']}")
        env["XLA_FLAGS"] = " ".join(flags)
    return env


def _child(spec: dict) -> dict:
    """Run ``spec`` in a fresh Python process and return its record.

    Raises:
        DeviceCountError: if JAX lists fewer devices than the trial requests.
        PlatformError: if JAX cannot start the trial's platform.
        TrialError: if the trial process fails in any other way. Its message
            ends with the last line of the trial's standard error, and the
            whole standard error is logged at DEBUG level.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "embedsent.bench", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=_child_environment(spec),
        check=False,
    )
    if completed.returncode != 0:
        _raise_reported_error(completed.stdout)
        name = _trial_name(spec)
        logger.debug(
            "benchmark trial %s: exit status %d, standard error:\n%s",
            name,
            completed.returncode,
            completed.stderr,
        )
        raise TrialError(
            name,
            _failure_reason(completed.returncode, completed.stderr),
            completed.stderr,
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _trial_name(spec: dict) -> str:
    """Return a name for the trial ``spec``, such as ``gensim-w2, 5 epoch(s)``."""
    trainer = spec["trainer"]
    if trainer == "gensim":
        trainer = f"gensim-w{spec['workers']}"
    name = f"{trainer}, {spec['epochs']} epoch(s)"
    sweep = spec.get("sweep")
    if sweep:
        setting = _SWEEP_SETTINGS[sweep]
        name += f", {sweep} sweep at {setting}={spec.get(setting)}"
    return name


# The line of a traceback that names the exception, such as
# "jaxlib._jax.XlaRuntimeError: INVALID_ARGUMENT: ...".
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b")


def _failure_reason(returncode: int, stderr: str) -> str:
    """Return the exception line of ``stderr``, or the signal that ended the trial.

    Notes that Python prints after the exception, such as JAX's remark that
    it removed its internal frames, are skipped. Without an exception line,
    the last line is returned.
    """
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (SIGKILL often means out of memory)" if name == "SIGKILL" else ""
        return f"ended by {name}{hint}"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode} without an error message"
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    return lines[-1]


def _raise_reported_error(stdout: str) -> None:
    """Raise the error whose attributes a trial process printed last, if any."""
    lines = stdout.strip().splitlines()
    if not lines:
        return
    try:
        record = json.loads(lines[-1])
    except json.JSONDecodeError:
        return
    if not isinstance(record, dict):
        return
    if record.get("error") == _DEVICE_COUNT_ERROR:
        raise DeviceCountError(
            record["requested"], record["available"], record["platform"]
        )
    if record.get("error") == _PLATFORM_ERROR:
        raise PlatformError(record["platform"], record["reason"])


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
        "repeat_damping": config.repeat_damping,
        "n_devices": config.n_devices,
        "platform": config.platform,
        "seed": config.seed,
        "compile_cache": config.compile_cache,
    }


def run_benchmark(config: BenchConfig, progress=None) -> dict:
    """Run every trial of ``config`` and return the records and summary."""
    report = {
        "config": asdict(config),
        "machine": machine_description(),
        "trials": [],
        "sweeps": {},
    }
    _warn_simulated_devices(config)
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


def _warn_simulated_devices(config: BenchConfig) -> None:
    """Log a warning when simulated CPU devices outnumber the CPUs."""
    cpus = os.cpu_count()
    if config.platform != "cpu" or cpus is None or config.n_devices <= cpus:
        return
    logger.warning(
        "n_devices=%d simulated CPU devices share %d CPUs, so each device runs "
        "on a fraction of a core and every device holds its own copy of the "
        "tables; words/s then measures the simulation, not data parallelism",
        config.n_devices,
        cpus,
    )


def _sweep(name: str, base: dict, progress) -> list[dict]:
    quiet = {
        **base,
        "trainer": "embedsent",
        "epochs": 1,
        "quality": False,
        "sweep": name,
    }
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
        record["sweep"] = {k: spec.get(k) for k in _SWEEP_SETTINGS.values()}
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
        for dataset in _SIMILARITY_DATASETS:
            row.update(_coverage(runs, f"{dataset}_pairs", f"{dataset}_total_pairs"))
        row.update(_coverage(runs, "analogy_questions", "analogy_total_questions"))
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


def _coverage(runs: list[dict], scored: str, total: str) -> dict[str, int | None]:
    """Return the min count of items scored and the max total over ``runs``.

    ``scored`` and ``total`` name the quality fields of one evaluation, such
    as ``wordsim353_pairs`` and ``wordsim353_total_pairs``. Trials of one
    trainer and epoch count share a vocabulary, so their counts agree, and
    the minimum never claims more items than a trial scored. Both counts are
    None when no trial has them, as in reports written before trials
    recorded them.
    """
    measured = [
        t["quality"] for t in runs if t.get("quality", {}).get(scored) is not None
    ]
    if not measured:
        return {scored: None, total: None}
    return {
        scored: min(q[scored] for q in measured),
        total: max(q[total] for q in measured),
    }


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


# Header and width of each column of the summary table. The trainer column is
# left-aligned and the others right-aligned, headers and cells alike. Two
# spaces separate the columns, so that headers of two words, such as "RSS MB",
# read as one header.
_SUMMARY_COLUMNS = (
    ("trainer", 12),
    ("epochs", 6),
    ("words/s", 10),
    ("ratio", 6),
    ("RSS MB", 7),
    ("+RSS", 6),
    ("priv MB", 7),
    ("+priv", 6),
    ("compile s", 9),
    ("WS353", 6),
    ("pairs", 7),
    ("SL999", 6),
    ("pairs", 7),
    ("analogy", 7),
    # Wide enough for all 19,544 questions of questions-words.txt.
    ("questions", 11),
)
_COLUMN_GAP = "  "


def format_summary(report: dict) -> str:
    """Return the summary and sweeps of a benchmark report as plain text."""
    machine = report["machine"]
    lines = [
        f"machine: {machine.get('cpu_model') or machine['processor']}, "
        f"{machine['cpu_count']} CPUs, "
        f"{machine['platform']}; jax {machine['jax']}",
        _describe_devices(report),
        _format_columns([header for header, _ in _SUMMARY_COLUMNS]),
    ]
    for row in report["summary"]:
        lines.append(_format_columns(_summary_cells(row)))
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
    cache = report.get("config", {}).get("compile_cache")
    lines.append(
        f"compile cache: {cache}; a trial that reads its step from there skips "
        "the compiler's time and memory"
        if cache
        else "compile cache: off, so every embedsent trial compiles its step"
    )
    lines.append(
        "WS353, SL999: Spearman on WordSim353 and SimLex-999 (median over "
        "trials); pairs: pairs scored, those with both words in the vocabulary, "
        "of the pairs in the file. A score on few pairs is noisy"
    )
    lines.append(
        "analogy: 3CosAdd accuracy on questions-words.txt (median over trials); "
        "questions: questions scored, those with all four words among the "
        "30,000 most frequent words, of the questions in the file"
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


def _summary_cells(row: dict) -> list[str]:
    """Return the unpadded cells of one summary row, "" where a value is missing."""
    ratio = row.get("embedsent_ratio_median")
    cells = [
        str(row["trainer"]),
        str(row["epochs"]),
        f"{row['median_words_per_second']:.0f}",
        f"{ratio:.2f}" if ratio else "",
    ]
    for name in ("peak_rss_mb", "added_rss_mb", "peak_private_mb", "added_private_mb"):
        value = row.get(name)
        cells.append(f"{value:.0f}" if value is not None else "")
    cells.append(f"{row['compile_seconds']:.1f}")
    for dataset in _SIMILARITY_DATASETS:
        value = row[dataset]
        cells.append(f"{value:.3f}" if value is not None else "")
        cells.append(_format_count(row, f"{dataset}_pairs", f"{dataset}_total_pairs"))
    value = row["analogy"]
    cells.append(f"{value:.3f}" if value is not None else "")
    cells.append(_format_count(row, "analogy_questions", "analogy_total_questions"))
    return cells


def _format_columns(cells: list[str]) -> str:
    """Pad ``cells`` to the widths of ``_SUMMARY_COLUMNS`` and join them.

    Trailing spaces, from the padding of empty cells at the end, are removed.
    """
    padded = []
    for position, (cell, (_, width)) in enumerate(
        zip(cells, _SUMMARY_COLUMNS, strict=True)
    ):
        padded.append(f"{cell:<{width}}" if position == 0 else f"{cell:>{width}}")
    return _COLUMN_GAP.join(padded).rstrip()


def _format_count(row: dict, scored: str, total: str) -> str:
    """Return "scored/total" from two fields of a summary row, or ""."""
    if row.get(scored) is None or row.get(total) is None:
        return ""
    return f"{row[scored]}/{row[total]}"


def _describe_devices(report: dict) -> str:
    """Return the line that states the devices of the embedsent trials."""
    config = report.get("config", {})
    platform_name = config.get("platform", "cpu")
    count = config.get("n_devices", 1)
    for trial in report.get("trials", []):
        if "devices" in trial.get("settings", {}):
            count = trial["settings"]["devices"]
            platform_name = trial["settings"].get("platform", platform_name)
            break
    if count == 0:
        return f"embedsent devices: every {platform_name} device JAX lists"
    line = f"embedsent devices: {count} {platform_name}"
    if platform_name == "cpu" and count > 1:
        cpus = report["machine"]["cpu_count"]
        line += f" (simulated host devices sharing {cpus} CPUs)"
    return line


def machine_description() -> dict:
    """Describe this machine without starting a JAX backend.

    Starting one here would list the devices of the parent, not of a trial,
    and a GPU backend would reserve GPU memory that the trials then lack. The
    embedsent trials record their own devices in ``settings``.
    """
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "jax": importlib.metadata.version("jax"),
        "versions": package_versions(),
    }


# The packages whose versions a benchmark record names: the toolkit, its
# trainer's JAX and NumPy, and gensim, the baseline that speeds are compared to.
VERSIONED_PACKAGES = ("embedsent", "jax", "jaxlib", "numpy", "gensim")


def cpu_model() -> str:
    """Return the processor's model name, such as "AMD EPYC 7B13".

    On Linux it is the first "model name" line of /proc/cpuinfo. Elsewhere,
    or where that line is missing, it is ``platform.processor()``, then
    ``platform.machine()``.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> dict[str, str | None]:
    """Return the installed version of each of ``VERSIONED_PACKAGES``.

    A package that is not installed maps to None. Nothing is imported.
    """
    versions: dict[str, str | None] = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def exit_script(code: int) -> NoReturn:
    """End a benchmark script with exit status ``code``.

    After an interrupt (status 130) the interpreter's shutdown is skipped, as
    ``embedsent.console`` does for the ``embedsent`` command, because that
    shutdown can crash after a Ctrl-C that stopped an XLA compile.
    """
    from embedsent.console import INTERRUPTED_STATUS, exit_at_once

    if code == INTERRUPTED_STATUS:
        exit_at_once(code)
    sys.exit(code)


def _run_child(spec_json: str) -> int:
    """Run the trial ``spec_json`` and print its record as one JSON line.

    Returns:
        0, or 2 after printing the attributes of a DeviceCountError or
        PlatformError, which ``_child`` raises again in the parent process.
    """
    try:
        record = run_trial(json.loads(spec_json))
    except PlatformError as error:
        print(
            json.dumps(
                {
                    "error": _PLATFORM_ERROR,
                    "platform": error.platform,
                    "reason": error.reason,
                }
            )
        )
        return 2
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
