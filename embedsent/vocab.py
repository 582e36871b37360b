"""Vocabulary: token counts, frequent-word subsampling and the noise distribution.

Tokens are ordered by descending count, ties broken by the token string, so a
vocabulary built from the same corpus always has the same ids.
"""

from __future__ import annotations

import json
import logging
import os
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from embedsent.config import VocabConfig
from embedsent.json_nesting import parse_json
from embedsent.output_kinds import VOCABULARY_FILE, check_replaceable
from embedsent.storage import write_text_atomic

__all__ = [
    "Vocabulary",
    "EncodedCorpus",
    "EmptyCorpusError",
    "MinCountError",
    "build_and_encode",
    "check_token_corpus",
    "check_token_types",
    "id_dtype",
]

logger = logging.getLogger(__name__)

VOCAB_FORMAT_VERSION = 1


class EmptyCorpusError(ValueError):
    """Raised when a corpus to build a vocabulary from has no tokens at all."""


class MinCountError(ValueError):
    """A corpus in which no token occurs at least ``min_count`` times.

    Attributes:
        min_count: The minimum count requested.
        token_types: Distinct tokens in the corpus.
        largest_count: Occurrences of the most frequent token.
    """

    def __init__(
        self, message: str, *, min_count: int, token_types: int, largest_count: int
    ) -> None:
        super().__init__(message)
        self.min_count = min_count
        self.token_types = token_types
        self.largest_count = largest_count


def check_token_corpus(corpus, *, name: str = "corpus") -> list[Sequence[str]]:
    """Validate a tokenised corpus and return it as a list of token lists.

    A one-shot iterator is read once and kept, so it can serve every epoch.

    Raises:
        TypeError: if ``corpus`` is a single string, a flat sequence of strings
            (raw texts, which would be trained on as characters), or holds
            anything but sequences of strings.
    """
    _check_corpus_type(corpus, name)
    documents = corpus if isinstance(corpus, list) else list(corpus)
    for position, document in enumerate(documents):
        _check_document(document, f"{name}[{position}]")
    return documents


def _check_corpus_type(corpus, name: str) -> None:
    """Raise TypeError unless ``corpus`` is an iterable other than a string."""
    if isinstance(corpus, str | bytes | bytearray):
        raise TypeError(
            f"{name} must be a sequence of token lists, got a single "
            f"{type(corpus).__name__}; tokenize texts first with "
            "embedsent.text.tokenize_corpus([text, ...])"
        )
    if not isinstance(corpus, Iterable):
        raise TypeError(
            f"{name} must be an iterable of token lists, got {type(corpus).__name__}"
        )


def _check_document(document, label: str) -> None:
    """Raise TypeError unless ``document`` is a sequence of str tokens.

    Only the first token is checked here; callers check the distinct tokens
    with ``check_token_types``.
    """
    if isinstance(document, str | bytes | bytearray):
        fix = "Tokenize it first"
        if not isinstance(document, str):
            fix = "Decode it and tokenize it first"
        raise TypeError(
            f"{label} is a {type(document).__name__} "
            f"({document[:40]!r}), not a token list; a corpus of raw texts "
            f"would be trained on as characters. {fix} with "
            "embedsent.text.tokenize_corpus(texts)"
        )
    if not isinstance(document, Sequence):
        raise TypeError(
            f"{label} must be a list of str tokens, got {type(document).__name__}"
        )
    for token in document[:1]:
        if not isinstance(token, str):
            raise TypeError(
                f"{label} must contain str tokens, got "
                f"{type(token).__name__} ({token!r})"
            )


def check_token_types(tokens: Iterable, *, name: str = "corpus") -> None:
    """Raise TypeError naming the first token of ``tokens`` that is not a str.

    ``check_token_corpus`` checks only the first token of each document, so
    callers pass the distinct tokens they counted here.
    """
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(
                f"{name} tokens must be str, got {type(token).__name__} "
                f"({token!r}); tokenize texts with "
                "embedsent.text.tokenize_corpus(texts)"
            )


# Ids counted at a time by EncodedCorpus.id_counts.
COUNT_BLOCK = 1 << 20
# Vocabularies up to this size store a corpus's ids as uint16, 2 bytes per
# token instead of the 4 of int32. The compiled step still reads int32 chunks.
MAX_UINT16_VOCAB = 1 << 16


def id_dtype(vocab_size: int) -> np.dtype:
    """Return the dtype of corpus ids for a vocabulary of ``vocab_size`` words."""
    return np.dtype(np.uint16 if vocab_size <= MAX_UINT16_VOCAB else np.int32)


@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as one flat array of token ids with document boundaries.

    Attributes:
        ids: ``[n_tokens]`` ids of in-vocabulary tokens, documents
            concatenated. ``Vocabulary`` encodes them as ``uint16`` for up to
            65,536 words and as ``int32`` above (see ``id_dtype``); any
            integer dtype is accepted.
        doc_offsets: ``int64[n_documents + 1]``, non-decreasing from 0 to
            ``n_tokens``: document ``d`` holds
            ``ids[doc_offsets[d]:doc_offsets[d + 1]]``. Windows never cross a
            document boundary. Offsets take 8 bytes per document, where a
            document id per token would take 4 bytes per token.
        raw_token_count: Tokens in the corpus before out-of-vocabulary tokens
            were dropped (what word2vec tools report as raw words).
    """

    ids: np.ndarray
    doc_offsets: np.ndarray
    raw_token_count: int

    def __post_init__(self) -> None:
        ids = self.ids
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(
                f"ids must be a 1-D integer array, got shape {ids.shape} and "
                f"dtype {ids.dtype}; encode texts with Vocabulary.encode_corpus"
            )
        if ids.size and ids.min() < 0:
            raise ValueError(f"ids must be >= 0, got {ids.min()}")
        if not 0 <= self.raw_token_count or self.raw_token_count < ids.shape[0]:
            raise ValueError(
                f"raw_token_count must count every token before unknown ones "
                f"were dropped, so at least len(ids) = {ids.shape[0]}, got "
                f"{self.raw_token_count}"
            )
        offsets = np.asarray(self.doc_offsets)
        if offsets.size and not np.issubdtype(offsets.dtype, np.integer):
            raise ValueError(
                f"doc_offsets must be integers, got dtype {offsets.dtype}; pass "
                "the start of each document in ids, then len(ids)"
            )
        if (
            offsets.ndim != 1
            or offsets.shape[0] < 1
            or offsets[0] != 0
            or offsets[-1] != self.ids.shape[0]
            or (np.diff(offsets) < 0).any()
        ):
            raise ValueError(
                "doc_offsets must rise from 0 to the number of ids "
                f"({self.ids.shape[0]}) without falling, got shape "
                f"{offsets.shape} with values {offsets.ravel()[:5].tolist()}"
                f"{' ...' if offsets.size > 5 else ''}"
            )
        # The dataclass is frozen, so the converted array is set this way.
        object.__setattr__(self, "doc_offsets", offsets.astype(np.int64, copy=False))

    @classmethod
    def from_lengths(
        cls, ids: np.ndarray, lengths: np.ndarray, raw_token_count: int
    ) -> EncodedCorpus:
        """Build from the number of ids in each document.

        Raises:
            ValueError: if ``lengths`` is not a 1-D array of non-negative
                integers that sum to ``len(ids)``.
        """
        lengths = np.asarray(lengths)
        if lengths.ndim != 1 or (
            lengths.size and not np.issubdtype(lengths.dtype, np.integer)
        ):
            raise ValueError(
                f"lengths must be a 1-D integer array, got shape {lengths.shape} "
                f"and dtype {lengths.dtype}"
            )
        if lengths.size and lengths.min() < 0:
            raise ValueError(f"lengths must be >= 0, got {lengths.min()}")
        offsets = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(ids=ids, doc_offsets=offsets, raw_token_count=raw_token_count)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def id_counts(self, vocab_size: int) -> np.ndarray:
        """``int64[vocab_size]`` occurrences of each id in the corpus."""
        counts = np.zeros(vocab_size, np.int64)
        # np.bincount converts its input to 8-byte integers, so it counts a
        # block at a time instead of copying every id at once.
        for start in range(0, len(self), COUNT_BLOCK):
            block = self.ids[start : start + COUNT_BLOCK]
            if block.min() < 0 or block.max() >= vocab_size:
                raise ValueError(
                    f"ids range from {block.min()} to {block.max()} near "
                    f"position {start}, outside 0..{vocab_size - 1}; encode the "
                    "corpus with the vocabulary it is counted against"
                )
            counts += np.bincount(block, minlength=vocab_size)
        return counts

    @property
    def n_documents(self) -> int:
        return int(self.doc_offsets.shape[0] - 1)

    @property
    def doc_ids(self) -> np.ndarray:
        """``int32[n_tokens]`` index of the document of each token (a new array)."""
        return self.doc_ids_between(0, len(self))

    def doc_ids_between(self, start: int, end: int) -> np.ndarray:
        """Return the ``int32`` document index of each token in ``start:end``.

        Bounds are clipped to ``0..len(self)``. Unlike a slice bound, a
        negative bound does not count from the end.
        """
        start, end = max(int(start), 0), min(int(end), len(self))
        if end <= start:
            return np.empty(0, np.int32)
        offsets = self.doc_offsets
        first = int(np.searchsorted(offsets, start, side="right")) - 1
        last = int(np.searchsorted(offsets, end - 1, side="right")) - 1
        bounds = np.clip(offsets[first : last + 2], start, end)
        return np.repeat(np.arange(first, last + 1, dtype=np.int32), np.diff(bounds))


class Vocabulary:
    """Token-to-id mapping with counts, ordered by (-count, token).

    Args:
        tokens: Distinct tokens in id order.
        counts: Corpus count of each token, same length as ``tokens``.
    """

    def __init__(self, tokens: Sequence[str], counts: Sequence[int] | np.ndarray):
        tokens = list(tokens)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.ndim != 1 or counts.shape[0] != len(tokens):
            raise ValueError(
                f"tokens and counts must have the same length, got {len(tokens)} "
                f"tokens and counts of shape {counts.shape}"
            )
        if len(tokens) and counts.min() < 1:
            raise ValueError("every count must be >= 1")
        self.tokens = tokens
        self.counts = counts
        self.index = {token: i for i, token in enumerate(tokens)}
        if len(self.index) != len(tokens):
            duplicate = next(t for t, c in Counter(tokens).items() if c > 1)
            raise ValueError(f"duplicate token {duplicate!r} in vocabulary")

    @classmethod
    def build(
        cls, corpus: Iterable[Sequence[str]], config: VocabConfig | None = None
    ) -> Vocabulary:
        """Count tokens in ``corpus`` and keep those passing ``config``.

        Raises:
            ValueError: if no token reaches ``min_count``; the message gives
                the number of token types and the largest count.
        """
        config = config or VocabConfig()
        documents = check_token_corpus(corpus)
        counter: Counter[str] = Counter()
        for document in documents:
            counter.update(document)
        return cls._from_counts(counter.keys(), counter.values(), config)

    @classmethod
    def _from_counts(
        cls, tokens: Iterable[str], counts: Iterable[int], config: VocabConfig
    ) -> Vocabulary:
        """Keep the counted tokens that pass ``config``, in vocabulary order."""
        counted = list(zip(tokens, counts, strict=True))
        if not counted:
            raise EmptyCorpusError(
                "the corpus contains no tokens; pass non-empty tokenised texts"
            )
        check_token_types(token for token, _ in counted)
        kept = [(t, c) for t, c in counted if c >= config.min_count]
        if not kept:
            largest = max(c for _, c in counted)
            raise MinCountError(
                f"every token is below min_count={config.min_count}: the corpus has "
                f"{len(counted)} token types and the largest count is {largest}; "
                f"lower min_count to at most {largest} or add more text",
                min_count=config.min_count,
                token_types=len(counted),
                largest_count=largest,
            )
        kept.sort(key=lambda item: (-item[1], item[0]))
        if config.max_vocab_size is not None:
            kept = kept[: config.max_vocab_size]
        logger.info(
            "vocabulary: %d of %d token types kept (min_count=%d)",
            len(kept),
            len(counted),
            config.min_count,
        )
        return cls([t for t, _ in kept], [c for _, c in kept])

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.index

    @property
    def total_count(self) -> int:
        """Sum of the counts of in-vocabulary tokens."""
        return int(self.counts.sum())

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Map tokens to ``int32`` ids, dropping out-of-vocabulary tokens."""
        index = self.index
        return np.fromiter((index[t] for t in tokens if t in index), dtype=np.int32)

    def encode_corpus(self, corpus: Iterable[Sequence[str]]) -> EncodedCorpus:
        """Encode a tokenised corpus into one flat id array with document ids."""
        documents = check_token_corpus(corpus)
        index = self.index
        lengths: list[int] = []

        def known_ids():
            # One flat pass fills a single growing array, so the corpus never
            # exists as per-document arrays and a concatenated copy at once.
            for document in documents:
                known_count = 0
                for token in document:
                    token_id = index.get(token)
                    if token_id is not None:
                        known_count += 1
                        yield token_id
                lengths.append(known_count)

        ids = np.fromiter(known_ids(), dtype=id_dtype(len(self)))
        raw = sum(len(document) for document in documents)
        return EncodedCorpus.from_lengths(ids, np.asarray(lengths, np.int64), raw)

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Return word2vec's probability of keeping each token during training.

        A token with corpus frequency ``f`` (count / total) is kept with
        probability ``(sqrt(f / sample) + 1) * sample / f``, capped at 1, as in
        the word2vec C tool. ``sample == 0`` keeps every token.
        """
        if sample == 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.total_count
        counts = self.counts.astype(np.float64)
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
        return np.minimum(keep, 1.0)

    def noise_distribution(self, power: float = 0.75) -> np.ndarray:
        """Return the negative-sampling distribution ``count**power``, normalised."""
        weights = self.counts.astype(np.float64) ** power
        return weights / weights.sum()

    def to_dict(self) -> dict:
        return {
            "format_version": VOCAB_FORMAT_VERSION,
            "tokens": self.tokens,
            "counts": self.counts.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        version = data.get("format_version")
        if version != VOCAB_FORMAT_VERSION:
            raise ValueError(
                f"unsupported vocabulary format_version {version!r}; this version "
                f"of embedsent reads version {VOCAB_FORMAT_VERSION}"
            )
        return cls(data["tokens"], data["counts"])

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON, atomically.

        An existing vocabulary file at ``path`` is replaced, and so is an
        empty file.

        Raises:
            ValueError: If ``path`` is an existing file of another kind, such
                as a CSV table, another JSON file or a model. Such a file is
                left as it is.
        """
        check_replaceable(path, VOCABULARY_FILE, "path")
        write_text_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
        data = parse_json(
            content,
            source=f"vocabulary file {path}",
            fix="write it again with Vocabulary.save, which writes no such nesting",
        )
        return cls.from_dict(data)


def build_and_encode(
    corpus: Iterable[Sequence[str]], config: VocabConfig | None = None
) -> tuple[Vocabulary, EncodedCorpus]:
    """Build the vocabulary and encode the corpus in one pass over ``corpus``.

    The result equals ``Vocabulary.build(corpus, config)`` followed by
    ``encode_corpus``, but each document is read once and only its ids are
    kept: every token gets a provisional id in order of first appearance,
    and the kept tokens are renumbered in vocabulary order at the end. A
    generator that tokenises texts one at a time therefore never has the
    whole corpus in memory as token lists. On IMDB reviews those lists took
    about 60 bytes per token as Python strings, against 2 or 4 for the ids.

    Raises:
        TypeError: as ``check_token_corpus`` and ``check_token_types`` do.
        ValueError: if the corpus has no tokens or none reaches ``min_count``.
    """
    config = config or VocabConfig()
    _check_corpus_type(corpus, "corpus")
    provisional: dict[str, int] = {}
    ids = array("i")
    lengths = array("q")
    for position, document in enumerate(corpus):
        _check_document(document, f"corpus[{position}]")
        start = len(ids)
        try:
            ids.extend(
                provisional.setdefault(token, len(provisional)) for token in document
            )
        except TypeError:
            # An unhashable token; name it and its document.
            check_token_types(document, name=f"corpus[{position}]")
            raise
        lengths.append(len(ids) - start)
    first_ids = (
        np.frombuffer(ids, dtype=np.int32) if len(ids) else np.empty(0, np.int32)
    )
    counts = np.bincount(first_ids, minlength=len(provisional))
    vocab = Vocabulary._from_counts(provisional.keys(), counts.tolist(), config)
    renumber = np.full(len(provisional), -1, dtype=np.int32)
    for new_id, token in enumerate(vocab.tokens):
        renumber[provisional[token]] = new_id
    del provisional
    final = renumber[first_ids]
    known = final >= 0
    doc_lengths = np.frombuffer(lengths, dtype=np.int64)
    # Known tokens per document. reduceat would give an empty document the
    # next document's first value, so only non-empty documents are summed.
    known_lengths = np.zeros(len(doc_lengths), np.int64)
    non_empty = doc_lengths > 0
    if non_empty.any():
        starts = np.cumsum(doc_lengths) - doc_lengths
        known_lengths[non_empty] = np.add.reduceat(
            known, starts[non_empty], dtype=np.int64
        )
    encoded = EncodedCorpus.from_lengths(
        final[known].astype(id_dtype(len(vocab))),
        known_lengths,
        int(len(first_ids)),
    )
    return vocab, encoded
