"""Vocabulary: token counts, frequent-word subsampling and the noise distribution.

Tokens are ordered by descending count, ties broken by the token string, so a
vocabulary built from the same corpus always has the same ids.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from embedsent.config import VocabConfig
from embedsent.storage import write_text_atomic

__all__ = [
    "Vocabulary",
    "EncodedCorpus",
    "MinCountError",
    "check_token_corpus",
    "check_token_types",
]

logger = logging.getLogger(__name__)

VOCAB_FORMAT_VERSION = 1


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
    documents = corpus if isinstance(corpus, list) else list(corpus)
    for position, document in enumerate(documents):
        if isinstance(document, str | bytes | bytearray):
            fix = "Tokenize it first"
            if not isinstance(document, str):
                fix = "Decode it and tokenize it first"
            raise TypeError(
                f"{name}[{position}] is a {type(document).__name__} "
                f"({document[:40]!r}), not a token list; a corpus of raw texts "
                f"would be trained on as characters. {fix} with "
                "embedsent.text.tokenize_corpus(texts)"
            )
        if not isinstance(document, Sequence):
            raise TypeError(
                f"{name}[{position}] must be a list of str tokens, got "
                f"{type(document).__name__}"
            )
        for token in document[:1]:
            if not isinstance(token, str):
                raise TypeError(
                    f"{name}[{position}] must contain str tokens, got "
                    f"{type(token).__name__} ({token!r})"
                )
    return documents


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


@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as one flat array of token ids with document boundaries.

    Attributes:
        ids: ``int32[n_tokens]`` ids of in-vocabulary tokens, documents
            concatenated.
        doc_ids: ``int32[n_tokens]`` index of the document each token came
            from; windows never cross a document boundary.
        raw_token_count: Tokens in the corpus before out-of-vocabulary tokens
            were dropped (what word2vec tools report as raw words).
    """

    ids: np.ndarray
    doc_ids: np.ndarray
    raw_token_count: int

    def __len__(self) -> int:
        return int(self.ids.shape[0])


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
        if not counter:
            raise ValueError(
                "the corpus contains no tokens; pass non-empty tokenised texts"
            )
        check_token_types(counter)
        kept = [(t, c) for t, c in counter.items() if c >= config.min_count]
        if not kept:
            largest = max(counter.values())
            raise MinCountError(
                f"every token is below min_count={config.min_count}: the corpus has "
                f"{len(counter)} token types and the largest count is {largest}; "
                f"lower min_count to at most {largest} or add more text",
                min_count=config.min_count,
                token_types=len(counter),
                largest_count=largest,
            )
        kept.sort(key=lambda item: (-item[1], item[0]))
        if config.max_vocab_size is not None:
            kept = kept[: config.max_vocab_size]
        logger.info(
            "vocabulary: %d of %d token types kept (min_count=%d)",
            len(kept),
            len(counter),
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

        ids = np.fromiter(known_ids(), dtype=np.int32)
        doc_ids = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        raw = sum(len(document) for document in documents)
        return EncodedCorpus(ids=ids, doc_ids=doc_ids, raw_token_count=raw)

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
        """Write the vocabulary as JSON, atomically."""
        write_text_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))
