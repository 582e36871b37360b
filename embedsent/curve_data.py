"""Inputs of the learning-curve benchmark: tokens and pretrained vectors, cached.

Tokenising the IMDB archive and pretraining two sets of word vectors take
minutes, so both are cached in the results folder. The cache key covers
every setting that changes them: data file, subset limits, seed, and the
text, vocabulary and SGNS settings. A rerun with the same settings loads the cache
and skips the work. The cache files are derived from the data set, so they
belong in the git-ignored results folder only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embedsent.config import SGNSConfig, TextConfig, VocabConfig
from embedsent.json_nesting import JSONNestingError, parse_json
from embedsent.sgns import SGNS_ALGORITHM_VERSION
from embedsent.storage import (
    check_folder_path,
    load_bundle,
    save_bundle,
    write_atomic,
)
from embedsent.vectors import WordVectors

__all__ = [
    "TokenizedCorpus",
    "cache_key",
    "content_digest",
    "corpus_cache_key",
    "ensure_folder",
    "load_tokenized_corpus",
    "pretrained_vectors",
]

logger = logging.getLogger(__name__)

_TOKENS_FORMAT = "embedsent.curve-tokens"
_VECTORS_FORMAT = "embedsent.curve-vectors"
_CACHE_VERSION = 1
GENSIM_IGNORED_FIELDS = (
    "batch_size",
    "shared_negatives",
    "negative_group",
    "steps_per_call",
    "n_devices",
    "max_memory_gb",
    "repeat_damping",
    "add_context_vectors",
    "input_role",
)


@dataclass(frozen=True)
class TokenizedCorpus:
    """A split corpus after tokenisation.

    Attributes:
        name: Corpus name, such as ``"aclImdb"``.
        unlabeled: Token lists of the unlabeled texts.
        train_tokens: Token lists of the labeled training texts.
        train_labels: One label per training text.
        test_tokens: Token lists of the test texts.
        test_labels: One label per test text.
    """

    name: str
    unlabeled: list[list[str]]
    train_tokens: list[list[str]]
    train_labels: list[str]
    test_tokens: list[list[str]]
    test_labels: list[str]

    @property
    def pretrain_tokens(self) -> list[list[str]]:
        """Texts the word vectors are trained on: unlabeled plus training texts.

        Test texts are never part of it.
        """
        return self.unlabeled + self.train_tokens


def cache_key(**settings) -> str:
    """Return a 16-hex-digit key of JSON-ready ``settings``, order-independent."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _data_identity(data: str) -> dict:
    """Describe the data source by its content, so that only a changed text
    changes the cache key.

    A copied, moved or re-extracted file has a new path or modification time
    but the same bytes, so it keeps its cached tokens, vectors and stored
    runs.
    """
    if data == "default":
        # The "limits" entry changes this corpus's cache keys, because token
        # caches written while the limits did not apply to it hold every text.
        return {"data": "default", "limits": "applied"}
    path = Path(data).resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"data {data!r} not found ({path}); pass an aclImdb folder or "
            ".tar.gz, or 'default' for the shipped corpus"
        )
    return {"data": "content", "sha256": content_digest(path)}


def content_digest(path: Path) -> str:
    """Return the SHA-256 hex digest of a data file, or of an aclImdb folder.

    A folder's digest covers the split, subfolder, name, size and bytes of
    each review file that ``load_aclimdb`` may read, so renaming, adding or
    changing a review changes it, and other files there do not.
    """
    if not path.is_dir():
        return _file_digest(path).hex()
    from embedsent.datasets import aclimdb_review_files

    digest = hashlib.sha256()
    for entry in aclimdb_review_files(path):
        # split/subfolder/file, the same whether ``path`` is the aclImdb
        # folder or its parent.
        name = "/".join(entry.parts[-3:]).encode("utf-8", "surrogateescape")
        digest.update(b"%d:%s:%d:" % (len(name), name, entry.stat().st_size))
        digest.update(_file_digest(entry))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


def corpus_cache_key(
    data: str,
    *,
    max_per_class: int | None,
    max_unlabeled: int | None,
    seed: int,
    text_config: TextConfig,
) -> str:
    """Return the cache key of the tokenised corpus without tokenising the texts.

    It is the key that :func:`load_tokenized_corpus` returns for the same
    arguments. The data file, or the review files of an aclImdb folder, are
    read once to hash their bytes (under a second for the 42 MB archive).

    Raises:
        FileNotFoundError: ``data`` is neither ``"default"`` nor an existing
            path.
    """
    settings = {
        **_data_identity(data),
        "max_per_class": max_per_class,
        "max_unlabeled": max_unlabeled,
        "seed": seed,
        "text": asdict(text_config),
        "version": _CACHE_VERSION,
    }
    return cache_key(**settings)


def load_tokenized_corpus(
    data: str,
    *,
    max_per_class: int | None,
    max_unlabeled: int | None,
    seed: int,
    text_config: TextConfig,
    cache_dir: Path | None,
    progress: bool = False,
) -> tuple[TokenizedCorpus, str]:
    """Load and tokenise a corpus, or read it from the cache.

    Args:
        data: An aclImdb folder or archive, or ``"default"`` for the shipped
            corpus.
        max_per_class: Labeled texts kept per class and split.
        max_unlabeled: Unlabeled texts kept.
        seed: Seed of the random subsets.
        text_config: Tokenisation settings.
        cache_dir: Folder of the cache, or None to neither read nor write it.
        progress: Show progress bars.

    Returns:
        The tokenised corpus and its cache key, which the vector caches extend.
    """
    key = corpus_cache_key(
        data,
        max_per_class=max_per_class,
        max_unlabeled=max_unlabeled,
        seed=seed,
        text_config=text_config,
    )
    path = None if cache_dir is None else cache_dir / f"tokens-{key}.json.gz"
    if path is not None and path.exists():
        started = time.perf_counter()
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                content = handle.read()
            stored = parse_json(
                content,
                source=f"benchmark cache file {path}",
                fix=(
                    "delete it, and the next run tokenizes the corpus again and "
                    "rewrites it"
                ),
            )
        except JSONNestingError:
            raise
        except (gzip.BadGzipFile, EOFError, zlib.error, ValueError) as error:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors, and
            # a gzip stream cut short raises EOFError.
            raise ValueError(
                f"benchmark cache file {path} is damaged or truncated ({error}); "
                "delete it, and the next run tokenizes the corpus again and "
                "rewrites it"
            ) from error
        if stored.get("format") == _TOKENS_FORMAT:
            logger.info(
                "read cached tokens %s in %.1f s", path, time.perf_counter() - started
            )
            return TokenizedCorpus(**stored["corpus"]), key
        logger.warning("ignoring %s: not a token cache of this version", path)

    from embedsent.datasets import limit_corpus, load_aclimdb, load_default_corpus
    from embedsent.text import tokenize_corpus

    if data == "default":
        corpus = limit_corpus(
            load_default_corpus(),
            max_per_class=max_per_class,
            max_unlabeled=max_unlabeled,
            seed=seed,
        )
    else:
        corpus = load_aclimdb(
            data,
            max_per_class=max_per_class,
            max_unlabeled=max_unlabeled,
            seed=seed,
            progress=progress,
        )
    tokenized = TokenizedCorpus(
        name=corpus.name,
        unlabeled=tokenize_corpus(corpus.unlabeled, text_config, progress=progress),
        train_tokens=tokenize_corpus(
            corpus.train.texts, text_config, progress=progress
        ),
        train_labels=[str(label) for label in corpus.train.labels],
        test_tokens=tokenize_corpus(corpus.test.texts, text_config, progress=progress),
        test_labels=[str(label) for label in corpus.test.labels],
    )
    if path is not None:
        payload = {"format": _TOKENS_FORMAT, "corpus": asdict(tokenized)}
        encoded = gzip.compress(json.dumps(payload).encode("utf-8"), compresslevel=3)
        write_atomic(path, lambda stream: stream.write(encoded))
        logger.info("cached tokens in %s", path)
    return tokenized, key


def pretrained_vectors(
    trainer: str,
    tokens: list[list[str]],
    *,
    sgns_config: SGNSConfig,
    vocab_config: VocabConfig,
    corpus_key: str,
    cache_dir: Path | None,
    gensim_workers: int = 2,
    progress: bool = False,
) -> tuple[WordVectors, float]:
    """Train word vectors with ``trainer`` (``"jax"`` or ``"gensim"``) or load them.

    Args:
        trainer: ``"jax"`` for embedsent's SGNS trainer, ``"gensim"`` for
            gensim's Word2Vec with the same settings.
        tokens: The pretraining texts.
        sgns_config: SGNS settings of both trainers.
        vocab_config: Vocabulary settings of both trainers.
        corpus_key: Cache key of ``tokens`` from ``load_tokenized_corpus``.
        cache_dir: Folder of the cache, or None to neither read nor write it.
        gensim_workers: gensim threads. Only 1 is bit-reproducible, and the
            worker count is part of the cache key.
        progress: Show a progress bar for the JAX trainer.

    Returns:
        The vectors with their corpus counts, and the training time in
        seconds (the time recorded when the cache was written).
    """
    if trainer not in ("jax", "gensim"):
        raise ValueError(f"trainer must be 'jax' or 'gensim', got {trainer!r}")
    sgns = asdict(sgns_config)
    if trainer == "gensim":
        # gensim ignores the batching, device, repeat-damping and export
        # fields, so they stay out of its key and changing them does not
        # retrain the gensim vectors.
        for name in GENSIM_IGNORED_FIELDS:
            sgns.pop(name)
        sgns["workers"] = gensim_workers
    else:
        # A new trainer algorithm version retrains instead of reading
        # vectors an older trainer wrote.
        sgns["algorithm"] = SGNS_ALGORITHM_VERSION
    settings = {
        "trainer": trainer,
        "corpus": corpus_key,
        "sgns": sgns,
        "vocab": asdict(vocab_config),
        "version": _CACHE_VERSION,
    }
    key = cache_key(**settings)
    path = None if cache_dir is None else cache_dir / f"vectors-{trainer}-{key}.npz"
    if path is not None and path.exists():
        meta, arrays = load_bundle(
            path,
            kind="cached word vectors",
            damaged_fix=(
                "it is a benchmark cache file, so delete it, and the next run "
                "trains the vectors again and rewrites it"
            ),
        )
        if meta.get("format") == _VECTORS_FORMAT:
            logger.info("read cached %s vectors %s", trainer, path)
            vectors = WordVectors(meta["words"], arrays["vectors"], arrays["counts"])
            return vectors, float(meta["seconds"])
        logger.warning("ignoring %s: not a vector cache of this version", path)

    started = time.perf_counter()
    if trainer == "jax":
        from embedsent.trainer import train_sgns

        model = train_sgns(tokens, sgns_config, vocab_config, progress=progress)
        vectors = model.word_vectors()
    else:
        from embedsent.baseline import train_gensim_word2vec

        vectors = train_gensim_word2vec(
            tokens, sgns=sgns_config, vocab=vocab_config, workers=gensim_workers
        )
    seconds = time.perf_counter() - started
    logger.info("pretrained %s vectors in %.1f s", trainer, seconds)
    if path is not None:
        meta = {
            "format": _VECTORS_FORMAT,
            "words": list(vectors.words),
            "seconds": seconds,
            "settings": settings,
        }
        counts = vectors.counts
        if counts is None:
            counts = np.ones(len(vectors.words), dtype=np.int64)
        save_bundle(path, meta, {"vectors": vectors.vectors, "counts": counts})
        logger.info("cached %s vectors in %s", trainer, path)
    return vectors, seconds


def ensure_folder(path: str | os.PathLike, flag: str | None = None) -> Path:
    """Create ``path`` and its parents if missing; return it as a Path.

    Args:
        path: The folder.
        flag: The command-line flag that gave ``path``, such as ``"--out-dir"``,
            for messages; None leaves the flag out.

    Raises:
        ValueError, PermissionError: As ``storage.check_folder_path``, before
            anything is created.
        OSError: If creating the folder fails for another reason; the
            message names the folder.
    """
    folder = check_folder_path(path, flag)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        named = f"{flag} " if flag else ""
        message = (
            f"{named}cannot create folder {folder}: {error.strerror}; pass "
            "another folder path"
        )
        if isinstance(error, PermissionError):
            raise PermissionError(message) from error
        raise OSError(message) from error
    return folder
